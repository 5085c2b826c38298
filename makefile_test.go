package main

// The Makefile's own rules: which `s` its targets run, and the packages make golden rewrites.

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMakefileServerlessDevs checks which `s` deploy, invoke and preview run (the one on PATH, else the
// pinned one, which npm ci installs first when package-lock.json is newer than node_modules) and the
// alias they pass.
func TestMakefileServerlessDevs(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make: %v", err)
	}
	installed := t.TempDir()
	if err := os.WriteFile(filepath.Join(installed, "s"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	globalS := filepath.Join(installed, "s")
	tests := []struct {
		name   string
		path   string // PATH: no s, or one with s
		env    []string
		target string
		want   []string
	}{
		{"deploy, no s installed", t.TempDir(), nil, "deploy",
			[]string{"npm ci --no-audit --no-fund", `node_modules/.bin/s deploy -y -a "default"`}},
		{"invoke, no s installed, ACCESS", t.TempDir(), []string{"ACCESS=prod"}, "invoke",
			[]string{"npm ci --no-audit --no-fund", `node_modules/.bin/s invoke -e '{"mode":"digest"}' -a "prod"`}},
		{"preview, s installed", installed, nil, "preview",
			[]string{globalS + ` invoke -e '{"mode":"digest","dryRun":true}' -a "default"`}},
		{"deploy, s installed, ACCESS", installed, []string{"ACCESS=prod"}, "deploy",
			[]string{globalS + ` deploy -y -a "prod"`}},
		{"deploy, RESTORE_ENABLED=true: s.restore.yaml", installed, []string{"RESTORE_ENABLED=true"}, "deploy",
			[]string{globalS + ` deploy -y -a "default" -t s.restore.yaml`}},
		{"deploy, RESTORE_ENABLED=false", installed, []string{"RESTORE_ENABLED=false"}, "deploy",
			[]string{globalS + ` deploy -y -a "default"`}},
		{"invoke, RESTORE_ENABLED=true: the alert function's digest", installed, []string{"RESTORE_ENABLED=true"}, "invoke",
			[]string{globalS + ` invoke -e '{"mode":"digest"}' -a "default"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// -n prints the commands; -W pretends package-lock.json changed, so the npm step shows.
			cmd := exec.Command(mk, "-n", "--no-print-directory", "-W", "package-lock.json", tt.target)
			cmd.Env = append([]string{"PATH=" + tt.path}, tt.env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n %s: %v\n%s", tt.target, err, out)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if !strings.HasPrefix(l, "command -v npm") && !strings.HasPrefix(l, "touch ") {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("make -n %s commands (-want +got):\n%s", tt.target, diff)
			}
		})
	}
	if out, err := exec.Command(mk, "-n", "-W", "package-lock.json", "test").CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "npm ci") {
		t.Errorf("make -n test = %v, want it to install the pinned s first (npm ci)\n%s", err, out)
	}
}

// TestMakefileDemoLeavesTargetAlone: make demo builds its binary outside target/, the code folder
// s.yaml deploys whole: a demo run before a deploy must not put a second binary in the function's code.
func TestMakefileDemoLeavesTargetAlone(t *testing.T) {
	out, err := exec.Command("make", "-n", "--no-print-directory", "demo").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n demo: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "go build") || strings.Contains(string(out), "target/") {
		t.Errorf("make -n demo:\n%s\nwant a build of the function outside target/", out)
	}
	// And make build (s.yaml's pre-deploy action) empties target/ first: nothing left there by anything
	// else is deployed beside the binary.
	out, err = exec.Command("make", "-n", "--no-print-directory", "build").CombinedOutput()
	if lines := strings.Split(string(out), "\n"); err != nil || lines[0] != "rm -rf target" {
		t.Errorf("make -n build = %v:\n%s\nwant it to start with rm -rf target", err, out)
	}
}

// TestMakefileGoldenPkgs checks that the Makefile's GOLDEN_PKGS (what make golden runs with -update)
// names every package that has golden files (*.golden, or files under testdata/golden/), and only
// packages whose tests take -update: their test files import internal/golden or notify/notifytest,
// which uses it; and that no test defines an -update flag of its own.
func TestMakefileGoldenPkgs(t *testing.T) {
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^GOLDEN_PKGS\s*:?=(.*)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile has no GOLDEN_PKGS")
	}
	patterns := strings.Fields(string(m[1]))
	// covered reports whether a pattern names dir ("." or "notify/slack").
	covered := func(dir string) bool {
		for _, p := range patterns {
			root, tree := strings.CutSuffix(filepath.Clean(p), "/...")
			if root == dir || tree && strings.HasPrefix(dir, root+"/") {
				return true
			}
		}
		return false
	}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") {
			// One -update flag, internal/golden's, so that make golden rewrites every golden file.
			if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte("flag.Bool("+`"update"`)) {
				t.Errorf("%s defines its own -update flag: compare golden files with internal/golden", path)
			}
			return nil
		}
		slashed := filepath.ToSlash(path)
		if d.IsDir() || !strings.HasSuffix(path, ".golden") && !strings.Contains("/"+slashed, "/testdata/golden/") {
			return nil
		}
		// The package is the folder that holds testdata/ (golden files are *.golden, or anything
		// under testdata/golden/).
		dir, _, _ := strings.Cut("/"+slashed, "/testdata/")
		if dir = strings.TrimPrefix(dir, "/"); dir == "" {
			dir = "."
		}
		if !covered(filepath.FromSlash(dir)) {
			t.Errorf("%s has golden files but is not in GOLDEN_PKGS %v", dir, patterns)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range patterns {
		dirs := []string{p}
		if root, ok := strings.CutSuffix(p, "/..."); ok {
			dirs = nil
			filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err == nil && d.IsDir() && d.Name() != "testdata" {
					dirs = append(dirs, path)
				}
				return nil
			})
		}
		for _, dir := range dirs {
			tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
			if len(tests) == 0 {
				continue
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
			takesUpdate := false
			for _, f := range files {
				b, _ := os.ReadFile(f)
				takesUpdate = takesUpdate || bytes.Contains(b, []byte(`"github.com/akrecycle/ak-recycle-alert/internal/golden"`)) ||
					strings.HasSuffix(f, "_test.go") && bytes.Contains(b, []byte(`"github.com/akrecycle/ak-recycle-alert/notify/notifytest"`))
			}
			if !takesUpdate {
				t.Errorf("GOLDEN_PKGS covers %s, whose tests do not take -update", dir)
			}
		}
	}
}

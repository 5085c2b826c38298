package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/internal/golden"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
)

const (
	readmePath  = "README.md"
	configStart = "<!-- config:start -->"
	configEnd   = "<!-- config:end -->"
)

// configTable renders the variables as the README's configuration reference: one row per variable, in
// order. A concrete default is code; a description of one, "(required)", is text; none is empty.
func configTable(vars []env.Var) string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, v := range vars {
		def := v.Default
		if def != "" && !strings.HasPrefix(def, "(") {
			def = "`" + def + "`"
		}
		b.WriteString("| `" + v.Name + "` | " + cell(def) + " | " + cell(v.Help) + " |\n")
	}
	return b.String()
}

// cell escapes the pipes of a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// readmeSections splits the README around its configuration reference.
func readmeSections(t *testing.T, readme string) (before, table, after string) {
	t.Helper()
	before, rest, ok := strings.Cut(readme, configStart+"\n")
	if !ok {
		t.Fatalf("%s has no line %q", readmePath, configStart)
	}
	table, after, ok = strings.Cut(rest, configEnd)
	if !ok {
		t.Fatalf("%s has no %q after %q", readmePath, configEnd, configStart)
	}
	if strings.Contains(after, configStart) {
		t.Fatalf("%s has more than one %q", readmePath, configStart)
	}
	return before + configStart + "\n", table, configEnd + after
}

func readReadme(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestReadmeConfigTable keeps the README's configuration reference equal to config.Vars, the
// configuration's own variables and the registry's channels'.
// go test -run ReadmeConfigTable -update . rewrites it.
func TestReadmeConfigTable(t *testing.T) {
	readme := readReadme(t)
	before, got, after := readmeSections(t, readme)
	want := configTable(config.Vars(channels.All))
	if golden.Update() {
		if got != want {
			if err := os.WriteFile(readmePath, []byte(before+want+after), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s configuration reference differs from config.Vars (-want +got); run go test -run ReadmeConfigTable -update .\n%s", readmePath, diff)
	}
}

func TestReadmeConfigTableRender(t *testing.T) {
	tests := []struct {
		name string
		v    env.Var
		want string
	}{
		{"concrete default", env.Var{Name: "A", Default: "7,3,1", Help: "h"}, "| `A` | `7,3,1` | h |\n"},
		{"described default", env.Var{Name: "B", Default: "(required)", Help: "h"}, "| `B` | (required) | h |\n"},
		{"no default", env.Var{Name: "C", Help: "x | y"}, "| `C` |  | x \\| y |\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := strings.CutPrefix(configTable([]env.Var{tt.v}), "| variable | default | meaning |\n|---|---|---|\n")
			if got != tt.want {
				t.Errorf("configTable(%+v) row = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}

// TestReadmeFirstScreen checks that a newcomer meets the two commands before the first section.
func TestReadmeFirstScreen(t *testing.T) {
	readme := readReadme(t)
	intro, _, ok := strings.Cut(readme, "\n## ")
	if !ok {
		t.Fatalf("%s has no section", readmePath)
	}
	for _, want := range []string{"make demo", "make test", "recycle bin", "DeleteDate"} {
		if !strings.Contains(intro, want) {
			t.Errorf("%s before its first section lacks %q", readmePath, want)
		}
	}
}

// TestReadmeRAMPolicy checks that the README shows deploy/ram-policy.json as it is.
func TestReadmeRAMPolicy(t *testing.T) {
	policy, err := os.ReadFile("deploy/ram-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	block := "```json\n" + string(bytes.TrimSpace(policy)) + "\n```"
	if !strings.Contains(readReadme(t), block) {
		t.Errorf("%s does not show deploy/ram-policy.json verbatim in a json block", readmePath)
	}
}

// TestReadmeInvokeExamples checks every `s invoke -e '…'` of the README: valid JSON, and either a timer
// event or an object of the known overrides.
func TestReadmeInvokeExamples(t *testing.T) {
	examples := regexp.MustCompile(`s invoke -e '([^']*)'`).FindAllStringSubmatch(readReadme(t), -1)
	if len(examples) < 5 {
		t.Fatalf("%s has %d `s invoke -e` examples, want at least 5", readmePath, len(examples))
	}
	overrides := map[string]bool{"users": true, "thresholds": true, "mode": true, "dryRun": true, "now": true, "accounts": true}
	timer := map[string]bool{"triggerTime": true, "triggerName": true, "payload": true}
	for _, m := range examples {
		var ev map[string]any
		if err := json.Unmarshal([]byte(m[1]), &ev); err != nil {
			t.Errorf("s invoke -e %q: %v, want a JSON object", m[1], err)
			continue
		}
		known := overrides
		if _, ok := ev["triggerTime"]; ok {
			known = timer
		}
		for k := range ev {
			if !known[k] {
				t.Errorf("s invoke -e %q has field %q, which the function rejects", m[1], k)
			}
		}
	}
}

// TestReadmeMakeTargets checks that the README documents every target of the Makefile.
func TestReadmeMakeTargets(t *testing.T) {
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Skipf("no Makefile: %v", err)
	}
	phony := regexp.MustCompile(`(?m)^\.PHONY:(.*)$`).FindSubmatch(mk)
	if phony == nil {
		t.Fatal("Makefile has no .PHONY line")
	}
	readme := readReadme(t)
	for _, target := range strings.Fields(string(phony[1])) {
		if !strings.Contains(readme, "| `make "+target+"` |") {
			t.Errorf("%s Makefile targets table lacks `make %s`", readmePath, target)
		}
	}
}

// notInRepository are the paths the README names that are not in the repository on purpose: build
// output (make build, npm ci), and the folder of the example channel that "Adding a channel" creates.
var notInRepository = map[string]bool{"target/": true, "target/main": true, "bin/main": true, "node_modules/": true, "node_modules/.bin/s": true,
	"notify/teams/": true}

// readmePathPattern matches a path in backticks or a Markdown link's target.
var readmePathPattern = regexp.MustCompile("`([^`\\s]+)`|\\]\\(([^)\\s#]+)\\)")

// fileExtensions are the endings that make a backticked word a file name even without a folder.
var fileExtensions = []string{".go", ".json", ".yaml", ".yml", ".golden", ".md", ".js"}

// TestReadmePathsExist checks that every path of the repository the README names exists: a backticked
// or linked path whose first folder is one of the repository's (`deploy/ram-policy.json`,
// `e2e/testdata/hostile-*.json.golden`, patterns matching at least one file), and a backticked file name
// on its own (`limiter.go`), somewhere in the repository.
func TestReadmePathsExist(t *testing.T) {
	var files []string // every file of the repository, slash-separated, but node_modules and .git
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "target") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			files = append(files, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, m := range readmePathPattern.FindAllStringSubmatch(readReadme(t), -1) {
		p := m[1] + m[2]
		if notInRepository[p] || strings.Contains(p, "://") || strings.HasPrefix(p, "~") || strings.HasPrefix(p, "/") {
			continue
		}
		first, _, nested := strings.Cut(strings.TrimPrefix(p, "./"), "/")
		named := false
		for _, ext := range fileExtensions {
			named = named || strings.HasSuffix(p, ext)
		}
		if _, err := os.Stat(first); (!nested || err != nil) && !named {
			continue // a package path (os/exec), a command or a value, not a path of the repository
		}
		checked++
		pattern := strings.TrimSuffix(strings.TrimPrefix(p, "./"), "/")
		found := false
		for _, f := range files {
			target := f
			if !nested {
				target = path.Base(f)
			}
			ok, _ := path.Match(pattern, target)
			found = found || ok || (nested && strings.HasPrefix(f, pattern+"/"))
		}
		if !found {
			t.Errorf("%s names %q, which is not in the repository", readmePath, p)
		}
	}
	if checked < 20 {
		t.Errorf("%s: %d paths checked, want the 20 or more it names", readmePath, checked)
	}
}

// TestDocAnchors: every in-page link (#anchor) of the README and docs/design.md names a heading of its
// page, by GitHub's rule (lower case, punctuation dropped, spaces to hyphens).
func TestDocAnchors(t *testing.T) {
	heading := regexp.MustCompile(`(?m)^#+\s+(.*)$`)
	link := regexp.MustCompile(`\]\(#([^)]+)\)`)
	punct := regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)
	for _, name := range []string{"README.md", "docs/design.md"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		anchors := map[string]bool{}
		for _, m := range heading.FindAllStringSubmatch(string(b), -1) {
			anchors[strings.ReplaceAll(punct.ReplaceAllString(strings.ToLower(strings.TrimSpace(m[1])), ""), " ", "-")] = true
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			if !anchors[m[1]] {
				t.Errorf("%s links to #%s, which is no heading of it", name, m[1])
			}
		}
	}
}

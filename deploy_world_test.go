package main

// The world of the deploy test (deploy_test.go): a temporary HOME with the fc3 stand-in and the access
// aliases, the pinned `s`, and what the stand-in records of each command.

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fc3Record is what the fc3 stand-in writes for each resource of each command it runs.
type fc3Record struct {
	Resource    string   `json:"resource"`
	Command     string   `json:"command"`
	Args        []string `json:"args"`
	Access      string   `json:"access"`
	AccessKeyID string   `json:"accessKeyID"`
	AccountID   string   `json:"accountID"`
	Props       fc3Props `json:"props"`
	CodeDir     string   `json:"codeDir"`
	CodeFiles   []struct {
		Name    string    `json:"name"`
		Size    int64     `json:"size"`
		ModTime time.Time `json:"modTime"`
	} `json:"codeFiles"`
}

// fc3Props are the props of s.yaml that the test checks, as `s` resolved them.
type fc3Props struct {
	Region               string            `json:"region"`
	FunctionName         string            `json:"functionName"`
	Runtime              string            `json:"runtime"`
	Handler              string            `json:"handler"`
	Code                 string            `json:"code"`
	Role                 string            `json:"role"`
	Timeout              int               `json:"timeout"`
	EnvironmentVariables map[string]string `json:"environmentVariables"`
	Triggers             []fc3Trigger      `json:"triggers"`
}

type fc3Trigger struct {
	TriggerName   string `json:"triggerName"`
	TriggerType   string `json:"triggerType"`
	Qualifier     string `json:"qualifier"`
	TriggerConfig struct {
		CronExpression string   `json:"cronExpression"`
		Enable         bool     `json:"enable"`
		Payload        string   `json:"payload"`
		AuthType       string   `json:"authType"`
		Methods        []string `json:"methods"`
	} `json:"triggerConfig"`
}

// sWorld runs `s` and the Makefile's targets in this repository with a temporary HOME that holds the
// fc3 stand-in and the access aliases, and an environment made from scratch: PATH, Go's caches and
// what each run adds. None of the user's Serverless Devs configuration or credentials is read.
type sWorld struct {
	bin        string // the pinned s, absolute
	home       string
	env        []string
	offlineLog string // connections that offline.js refused
}

// requirePinnedS returns the absolute path of the pinned `s`. It fails the test, saying how to install
// it, when Node.js or the package is missing: the deploy test must not pass without running it.
func requirePinnedS(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node: %v; the deploy test runs Serverless Devs, a Node.js program: install Node.js and npm "+
			"(apt-get install nodejs npm), then run `npm ci` (make test does)", err)
	}
	bin, err := filepath.Abs(sPinned)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%v; run `npm ci` to install the Serverless Devs that package-lock.json pins (make test does)", err)
	}
	return bin
}

func newSWorld(t *testing.T) *sWorld {
	t.Helper()
	w := &sWorld{bin: requirePinnedS(t), home: t.TempDir()}
	w.offlineLog = filepath.Join(w.home, "offline.log")
	guard, err := filepath.Abs("testdata/serverless-devs/offline.js")
	if err != nil {
		t.Fatal(err)
	}
	goTool := goCommand()
	w.env = []string{
		"PATH=" + filepath.Dir(goTool) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + w.home,
		"NODE_ENV=test", // s: no background update check, usage report or component update
		`NODE_OPTIONS=--require "` + guard + `"`,
		"S_OFFLINE_LOG=" + w.offlineLog,
		"GOPROXY=off", // make build needs only modules the test binary needed too
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
		"ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true",
	}
	// Go's caches and settings stay the user's: they live under the real HOME by default.
	out, err := exec.Command(goTool, "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, name := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"} {
		if i < len(lines) {
			w.env = append(w.env, name+"="+lines[i])
		}
	}
	for _, name := range []string{"GOFLAGS", "GOTOOLCHAIN", "TMPDIR"} {
		if v, ok := os.LookupEnv(name); ok {
			w.env = append(w.env, name+"="+v)
		}
	}

	// The fc3 stand-in, as `s` lays out a downloaded component: the .s.lock file marks it as
	// present, so `s` loads it without asking a registry.
	dir := filepath.Join(w.home, ".s", "components", "devsapp.cn", "v3", "fc3")
	if err := os.CopyFS(dir, os.DirFS("testdata/serverless-devs/fc3")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".s.lock"), []byte(`{"version":"0.0.0-stand-in"}`), 0o644); err != nil {
		t.Fatal(err)
	}

	// README step 2, without its prompts. s config add asks Alibaba Cloud's STS for the account ID
	// (GetCallerIdentity), which offline.js refuses: the alias keeps the account ID given here.
	for _, a := range []sAlias{aliasDefault, aliasProd} {
		out, err := w.command(t, nil, w.bin, "config", "add", "--AccessKeyID", a.keyID, "--AccessKeySecret", a.secret,
			"--AccountID", a.account, "-a", a.name, "-f").CombinedOutput()
		if err != nil {
			t.Fatalf("s config add -a %s: %v\n%s", a.name, err, out)
		}
		checkNoAliasSecret(t, "s config add -a "+a.name, out)
	}
	for _, line := range w.refused(t) {
		if !strings.HasPrefix(line, "offline test: refused a connection to sts.") {
			t.Errorf("s config add tried to reach %q, want only STS (refused)", line)
		}
	}
	if err := os.Remove(w.offlineLog); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return w
}

// goCommand returns the go command for make build: the one in PATH, else the one of the toolchain that
// GOROOT names.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go" // not found: the command's error says so
}

// sWait bounds each command: a hang fails the test instead of blocking it. The first deploy may build
// target/main from a cold cache.
const sWait = 5 * time.Minute

// command returns name with args, run in the repository with the world's environment plus env.
func (w *sWorld) command(t *testing.T, env []string, name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(t.Context(), sWait)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(slices.Clone(w.env), env...)
	cmd.WaitDelay = time.Second
	return cmd
}

// run runs name (`make` or the pinned `s`) with args and env on a template of one resource (s.yaml),
// and returns what the fc3 stand-in recorded (nil when it was not called) and the combined output.
func (w *sWorld) run(t *testing.T, env []string, name string, args ...string) (*fc3Record, string, error) {
	t.Helper()
	recs, out, err := w.runAll(t, env, name, args...)
	switch len(recs) {
	case 0:
		return nil, out, err
	case 1:
		return &recs[0], out, err
	}
	t.Fatalf("fc3 was called for %d resources, want 1\n%s", len(recs), out)
	return nil, out, err
}

// runAll is run for any number of resources: fc3's records, one per resource, in the order s called it.
func (w *sWorld) runAll(t *testing.T, env []string, name string, args ...string) ([]fc3Record, string, error) {
	t.Helper()
	recordPath := filepath.Join(t.TempDir(), "fc3.json")
	if name == "s" {
		name = w.bin
	}
	out, err := w.command(t, append(env, "FC3_STUB_RECORD="+recordPath), name, args...).CombinedOutput()
	checkNoAliasSecret(t, "the output of "+strings.Join(args, " "), out)
	raw, rerr := os.ReadFile(recordPath)
	if errors.Is(rerr, fs.ErrNotExist) {
		return nil, string(out), err
	}
	if rerr != nil {
		t.Fatal(rerr)
	}
	checkNoAliasSecret(t, "the fc3 record of "+strings.Join(args, " "), raw)
	var recs []fc3Record
	if err := json.Unmarshal(raw, &recs); err != nil {
		t.Fatalf("fc3 records %s: %v", raw, err)
	}
	return recs, string(out), err
}

// refused returns the connections and name lookups that offline.js refused so far.
func (w *sWorld) refused(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(w.offlineLog)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(raw)), "\n")
}

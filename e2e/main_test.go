package e2e

// The build of the function that every test runs (see the package documentation).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// mainPackage is the function's main package, the module's root.
const mainPackage = "github.com/akrecycle/ak-recycle-alert"

// binary is the function binary that TestMain builds with the e2etest tag.
var binary string

// maxWait bounds every wait of these tests: a hang fails instead of blocking.
const maxWait = 30 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ak-recycle-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "main")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	out, err := goBuild(ctx, binary, nil, "-tags", "e2etest")
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building the binary: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goTool returns the go command: the one in PATH, else the one in GOROOT.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go" // not found: the command's error says so
}

// goBuild builds the function (mainPackage) into out, offline: with GOPROXY=off, every module it needs
// is in the module cache already (go.sum lists them; go vet ./... or any build of the module fetched
// them).
func goBuild(ctx context.Context, out string, env []string, flags ...string) ([]byte, error) {
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", out, mainPackage)
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Env = append(append(os.Environ(), "GOPROXY=off"), env...)
	return cmd.CombinedOutput()
}

package e2e

// Benchmarks of the built function: its cold start and size here, its memory in bench_memory_test.go.
// They run with make bench, never with make test (go test skips Benchmark* without -bench).

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/internal/offline"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// benchEvent is a manual digest run: every key of every bin is rendered for Slack (the 100 most urgent,
// in parts) and the webhook (all of them), and posted.
const benchEvent = `{"mode":"digest"}`

// strippedFlags are make build's flags: no paths of this machine, no symbol table.
var strippedFlags = []string{"-trimpath", "-ldflags=-s -w"}

// buildStripped builds the function binary into a temporary directory with make build's recipe
// (static, stripped) for this machine, and returns its path.
func buildStripped(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "main")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := goBuild(ctx, path, []string{"CGO_ENABLED=0"}, strippedFlags...); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

// benchRAM is the benchmarks' emulator: users, every call answered in latency, at most rateLimit calls
// a second (0: no limit), the caller's credentials envKeyID and envSecret.
func benchRAM(users []ramfake.User, latency time.Duration, rateLimit int) *ramfake.Server {
	return ramfake.New(ramfake.Options{
		Users:       users,
		Credentials: map[string]ramfake.Credential{envKeyID: {Secret: envSecret}},
		Latency:     latency,
		RateLimit:   rateLimit,
	})
}

// benchEnviron is the function process's environment for RAM_USERS=* against api, posting to the
// vendors' fake as the Slack webhook and the generic webhook, with home as HOME.
func benchEnviron(api *ramfake.Server, vendors *notifytest.Server, home string) []string {
	return offline.Environ(append(endpointVars(api),
		"HOME="+home,
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+envKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+envSecret,
		"RAM_USERS=*",
		"FC_ACCOUNT_ID="+accountID,
		"ACCOUNT_LABEL=bench",
		"SLACK_WEBHOOK_URL="+vendors.ChannelURL("slack-webhook", slackPath),
		"WEBHOOK_URL="+vendors.ChannelURL("webhook", webhookPath),
		"WEBHOOK_SECRET="+webhookSecret,
	)...)
}

// endpointVars is api.EndpointEnv as "NAME=value" lines, sorted.
func endpointVars(api *ramfake.Server) []string {
	var vars []string
	for k, v := range api.EndpointEnv() {
		vars = append(vars, k+"="+v)
	}
	slices.Sort(vars)
	return vars
}

// BenchmarkColdStart measures the go1 runtime's start: from starting the process to its first /next
// poll (target: under 50 ms).
func BenchmarkColdStart(b *testing.B) {
	// No API is called before the first poll; the endpoints point at a closed emulator all the same.
	api := ramfake.New(ramfake.Options{})
	api.Close()
	env := offline.Environ(append(endpointVars(api), "RAM_USERS=alice", "SLACK_WEBHOOK_URL=http://127.0.0.1:1"+slackPath,
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+envKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+envSecret)...)
	var total time.Duration
	for range b.N {
		rt := fcfake.New()
		cmd := exec.Command(binary)
		cmd.Env = append(slices.Clone(env), "FC_RUNTIME_API="+rt.Addr())
		start := time.Now()
		if err := cmd.Start(); err != nil {
			rt.Close()
			b.Fatal(err)
		}
		var first time.Time
		select {
		case first = <-rt.FirstPoll():
		case <-time.After(maxWait):
		}
		cmd.Process.Kill()
		cmd.Wait()
		rt.Close()
		if first.IsZero() {
			b.Fatal("no /next poll within 30 s of starting the binary")
		}
		total += first.Sub(start)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/op")
}

// BenchmarkBinarySize builds the deployed binary (make build's recipe) and reports its size (target:
// under 15 MB).
func BenchmarkBinarySize(b *testing.B) {
	out := filepath.Join(b.TempDir(), "main")
	var size int64
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		msg, err := goBuild(ctx, out, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}, strippedFlags...)
		cancel()
		if err != nil {
			b.Fatalf("go build: %v\n%s", err, msg)
		}
		fi, err := os.Stat(out)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	}
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(float64(size)/1e6, "MB")
}

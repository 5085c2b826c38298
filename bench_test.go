package main

// Benchmarks of the whole run, against the project's RAM/IMS emulator (ramfake) and local
// receivers standing in for Slack and the generic webhook, all on 127.0.0.1. They run with `make bench`,
// never with `make test` (go test skips Benchmark* without -bench).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
)

// Fake credentials: the emulator checks the signatures they make; nothing leaves 127.0.0.1.
const (
	benchKeyID         = "LTAI5tBenchCallerKey0001"
	benchKeySecret     = "bench-secret-not-real"
	benchAccount       = "1234567890123456"
	benchWebhookSecret = "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtbm90LXJlYWwh"
	// benchEvent is a manual digest run: every key of every bin is rendered for Slack (the 100 most
	// urgent, in parts) and the webhook (all of them), and posted.
	benchEvent = `{"mode":"digest"}`
)

// benchReceiver stands in for Slack's incoming webhook and the generic webhook: it reads and counts
// every post and answers ok.
type benchReceiver struct {
	srv              *httptest.Server
	slack, webhook   atomic.Int64
	slackB, webhookB atomic.Int64
}

func newBenchReceiver(b *testing.B) *benchReceiver {
	b.Helper()
	rx := &benchReceiver{}
	rx.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		if strings.HasPrefix(r.URL.Path, "/slack/") {
			rx.slack.Add(1)
			rx.slackB.Add(n)
		} else {
			rx.webhook.Add(1)
			rx.webhookB.Add(n)
		}
		w.Write([]byte("ok"))
	}))
	b.Cleanup(rx.srv.Close)
	return rx
}

// benchEnv is the function's environment for RAM_USERS=* against api, posting to rx.
func benchEnv(api *ramfake.Server, rx *benchReceiver) map[string]string {
	return map[string]string{
		"RAM_USERS":            "*",
		"RAM_ENDPOINT":         api.URL(),
		"IMS_ENDPOINT":         api.URL(),
		"ACTIONTRAIL_ENDPOINT": api.URL(),
		"FC_ACCOUNT_ID":        benchAccount,
		"ACCOUNT_LABEL":        "bench",
		"SLACK_WEBHOOK_URL":    rx.srv.URL + "/slack/services/T0BENCH/B0BENCH/bench-webhook-token",
		"WEBHOOK_URL":          rx.srv.URL + "/webhook",
		"WEBHOOK_SECRET":       benchWebhookSecret,
	}
}

// benchIsolate keeps the benchmark's SDK and HTTP clients away from anything but loopback.
func benchIsolate(b *testing.B) {
	b.Helper()
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", "DEBUG"} {
		b.Setenv(v, "")
	}
	b.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	b.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
}

func benchServer(users []ramfake.User, latency time.Duration, rateLimit int) *ramfake.Server {
	return ramfake.New(ramfake.Options{
		Users:       users,
		Credentials: map[string]ramfake.Credential{benchKeyID: {Secret: benchKeySecret}},
		Latency:     latency,
		RateLimit:   rateLimit,
	})
}

// wantAlerts is how many keys SyntheticUsers(n) puts in the bins: one per third user.
func wantAlerts(n int) int { return (n + 2) / 3 }

// benchmarkRun runs whole invocations in process, as the function does on FC: main's build() turns the
// environment into the handler (the real alibaba.Reader and notify channels), and Handle lists every
// user, reads every bin, renders the digest and posts it to the local receivers. Each iteration gets a
// fresh emulator (a daily run finds the server's rate budget full) and a fresh handler (a cold
// instance). It fails the benchmark unless every user was read and every message delivered.
func benchmarkRun(b *testing.B, n int, latency time.Duration, rateLimit int) {
	benchIsolate(b)
	users := ramfake.SyntheticUsers(n, time.Now())
	rx := newBenchReceiver(b)
	calls := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		api := benchServer(users, latency, rateLimit)
		env := benchEnv(api, rx)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
		inv := handler.Invocation{RequestID: fmt.Sprintf("bench-%d", i), AccountID: benchAccount,
			Credentials: &alibaba.Credentials{AccessKeyID: benchKeyID, AccessKeySecret: benchKeySecret}}
		b.StartTimer()

		h, _ := build(func(k string) string { return env[k] }, io.Discard, channels.All)
		res, err := h.Handle(ctx, inv, []byte(benchEvent))

		b.StopTimer()
		cancel()
		calls += api.TotalCalls()
		api.Close()
		checkRun(b, res, err, n)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/user")
	b.ReportMetric(float64(rx.slack.Load())/float64(b.N), "slack-msgs/op")
	b.ReportMetric(float64(rx.webhookB.Load())/float64(b.N)/1e3, "webhook-KB/op")
}

// checkRun fails the benchmark unless the run read all n users and delivered everything.
func checkRun(b *testing.B, res *handler.Result, err error, n int) {
	b.Helper()
	if err != nil {
		b.Fatalf("Handle(%s) error: %v", benchEvent, err)
	}
	if res.UsersChecked != n || len(res.Errors) != 0 {
		b.Fatalf("Handle(%s): usersChecked = %d, %d errors (first %+v); want %d, 0", benchEvent, res.UsersChecked, len(res.Errors), first(res.Errors), n)
	}
	if len(res.Alerts) != wantAlerts(n) {
		b.Fatalf("Handle(%s): %d alerts, want %d", benchEvent, len(res.Alerts), wantAlerts(n))
	}
	if len(res.Deliveries) != 2 {
		b.Fatalf("Handle(%s): %d deliveries, want 2 (slack-webhook, webhook)", benchEvent, len(res.Deliveries))
	}
	for _, d := range res.Deliveries {
		if !d.OK || d.Messages == 0 {
			b.Fatalf("Handle(%s): delivery %+v, want ok with messages", benchEvent, d)
		}
	}
}

func first[T any](s []T) any {
	if len(s) == 0 {
		return nil
	}
	return s[0]
}

// BenchmarkRun1000Users10ms is the whole digest run for RAM_USERS=* with 1,000 users, every API call
// answered in 10 ms. Target: under 1.25 s per op (8x faster than 1,000 sequential calls).
func BenchmarkRun1000Users10ms(b *testing.B) { benchmarkRun(b, 1000, 10*time.Millisecond, 0) }

// BenchmarkRun1000UsersCapped200 is the same run behind a cap of 200 requests a second (answered
// Throttling.User beyond it), every call still answered in 10 ms. Target: every user read, in no more
// than 1.25 x 1,010 calls / 200 per second = 6.3 s per op.
func BenchmarkRun1000UsersCapped200(b *testing.B) { benchmarkRun(b, 1000, 10*time.Millisecond, 200) }

// BenchmarkRunPerUser is the whole digest run for 100, 1,000 and 5,000 users with every API call answered
// in 1 ms, so that the time is mostly our code (and the emulator's, which shares the CPUs). Target:
// ns/user flat as the count grows.
func BenchmarkRunPerUser(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) { benchmarkRun(b, n, time.Millisecond, 0) })
	}
}

// buildBenchBinary builds the function binary into dir with make build's recipe (static, stripped),
// offline: every module it needs is in the cache, since the test binary needs them too.
func buildBenchBinary(dir string) (string, error) {
	path := filepath.Join(dir, "main")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", path, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
}

// BenchmarkProcessPeakMemory runs the built binary in command-line mode (`main -e '{"mode":"digest"}'`)
// against the emulator with 1,000 and 5,000 users (1 ms per call) and local receivers, and reports the
// function process's peak resident memory (getrusage ru_maxrss). Target for 5,000 users: under 64 MB
// (the function runs in 128 MB).
func BenchmarkProcessPeakMemory(b *testing.B) {
	bin, err := buildBenchBinary(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) { benchmarkProcess(b, bin, n) })
	}
}

func benchmarkProcess(b *testing.B, bin string, n int) {
	users := ramfake.SyntheticUsers(n, time.Now())
	rx := newBenchReceiver(b)
	home := b.TempDir()
	var peakKB int64
	timeCmd, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		timeCmd = ""
		b.Logf("no /usr/bin/time: peak-MB is an upper bound that includes the benchmark process's own peak")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		api := benchServer(users, time.Millisecond, 0)
		env := []string{
			"HOME=" + home,
			"PATH=" + os.Getenv("PATH"),
			"ALIBABA_CLOUD_ACCESS_KEY_ID=" + benchKeyID,
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + benchKeySecret,
			"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
			"ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true",
		}
		for k, v := range benchEnv(api, rx) {
			env = append(env, k+"="+v)
		}
		rssFile := filepath.Join(home, "rss")
		cmd := exec.Command(bin, "-e", benchEvent)
		if timeCmd != "" {
			cmd = exec.Command(timeCmd, "-f", "%M", "-o", rssFile, bin, "-e", benchEvent)
		}
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		b.StartTimer()

		err := cmd.Run()

		b.StopTimer()
		api.Close()
		if err != nil {
			b.Fatalf("%s -e %s: %v\nstderr: %s", bin, benchEvent, err, tail(stderr.String(), 2000))
		}
		out := stdout.String()
		if want := fmt.Sprintf(`"usersChecked": %d,`, n); !strings.Contains(out, want) || !strings.Contains(out, `"errors": [],`) {
			b.Fatalf("%s -e %s: result lacks %s or has errors:\n%s", bin, benchEvent, want, tail(out, 2000))
		}
		kb, err := childPeakKB(cmd, timeCmd, rssFile)
		if err != nil {
			b.Fatal(err)
		}
		peakKB = max(peakKB, kb)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(peakKB)/1024, "peak-MB")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/user")
}

// childPeakKB is the peak resident memory of the function process in KB. On Linux a child started by
// os/exec inherits its parent's ru_maxrss (exec folds the vfork-shared memory's high-water mark into
// it), so ProcessState.SysUsage would report at least the benchmark process's own peak. GNU time
// forks from a process of about 1 MB and writes its child's ru_maxrss (%M, KB) to rssFile: that is
// the function's own peak, within about 1 MB.
func childPeakKB(cmd *exec.Cmd, timeCmd, rssFile string) (int64, error) {
	if timeCmd == "" {
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			return 0, errors.New("no rusage on this platform")
		}
		return ru.Maxrss, nil // KB on Linux
	}
	raw, err := os.ReadFile(rssFile)
	if err != nil {
		return 0, err
	}
	kb, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number of KB", rssFile, raw)
	}
	return kb, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

package e2e

// Benchmarks of the function process's memory: its peak resident memory on a run of 1,000 and 5,000
// users, and under oversized and concurrent events in every mode (events of 1 MiB to 300 MB; the
// function runs with 128 MB). They run with make bench, never with make test.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/internal/offline"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// BenchmarkProcessPeakMemory runs the built binary in command-line mode (`main -e '{"mode":"digest"}'`)
// against the emulator with 1,000 and 5,000 users (1 ms per call) and the vendors' fake, and reports the
// function process's peak resident memory (getrusage ru_maxrss). Target for 5,000 users: under 64 MB
// (the function runs in 128 MB).
func BenchmarkProcessPeakMemory(b *testing.B) {
	bin := buildStripped(b)
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) { benchmarkProcess(b, bin, n) })
	}
}

func benchmarkProcess(b *testing.B, bin string, n int) {
	users := ramfake.SyntheticUsers(n, time.Now())
	vendors := notifytest.NewVendors(b, nil)
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
		api := benchRAM(users, time.Millisecond, 0)
		stdout, kb := runMeasured(b, bin, timeCmd, home, benchEnviron(api, vendors, home))
		api.Close()
		out := string(stdout)
		if want := fmt.Sprintf(`"usersChecked": %d,`, n); !strings.Contains(out, want) || !strings.Contains(out, `"errors": [],`) {
			b.Fatalf("%s -e %s: result lacks %s or has errors:\n%s", bin, benchEvent, want, tail(stdout))
		}
		peakKB = max(peakKB, kb)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(peakKB)/1024, "peak-MB")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/user")
}

// BenchmarkProcessAccounts runs the built binary in command-line mode (`main -e '{"mode":"digest"}'`)
// with ACCOUNTS=* over 100 accounts (the home account and 99 members of its Resource Directory) of 100
// users each, every call answered in 10 ms, and reports the time of the whole process and its peak
// resident memory. Targets: under 2 s, under 64 MB. It asks ActionTrail nothing (LOOKUP_DELETER=false),
// as BenchmarkRunAccounts100x100 does.
func BenchmarkProcessAccounts(b *testing.B) {
	bin := buildStripped(b)
	const members, n = 99, 100
	accounts := ramfake.SyntheticAccounts(members, n, time.Now(), accountID, "ak-recycle-alert-reader")
	users := ramfake.SyntheticUsers(n, time.Now())
	vendors := notifytest.NewVendors(b, nil)
	home := b.TempDir()
	timeCmd, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		timeCmd = ""
		b.Logf("no /usr/bin/time: peak-MB is an upper bound that includes the benchmark process's own peak")
	}
	var peak int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		api := ramfake.New(ramfake.Options{AccountID: accountID, Users: users, Accounts: accounts,
			Credentials: map[string]ramfake.Credential{envKeyID: {Secret: envSecret, User: "bench"}}, Latency: 10 * time.Millisecond})
		stdout, kb := runMeasured(b, bin, timeCmd, home, append(benchEnviron(api, vendors, home), "ACCOUNTS=*", "LOOKUP_DELETER=false", "LOG_LEVEL=warn"))
		api.Close()
		var r handler.Result
		if err := json.Unmarshal(stdout, &r); err != nil || r.UsersChecked != (members+1)*n || len(r.Errors) != 0 || len(r.Accounts) != members+1 {
			b.Fatalf("%s -e %s: result (%v) is not %d users of %d accounts without errors:\n%s", bin, benchEvent, err, (members+1)*n, members+1, tail(stdout))
		}
		peak = max(peak, kb)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(peak)/1024, "peak-MB")
}

// runMeasured runs bin -e benchEvent in the environment env, timed (it is called with the timer stopped
// and leaves it stopped), under GNU time when timeCmd names it, and returns its standard output and its
// peak resident memory in KB; a failed run fails the benchmark with the end of its standard error.
func runMeasured(b *testing.B, bin, timeCmd, home string, env []string) (stdout []byte, peakKB int64) {
	b.Helper()
	rssFile := filepath.Join(home, "rss")
	cmd := exec.Command(bin, "-e", benchEvent)
	if timeCmd != "" {
		cmd = exec.Command(timeCmd, "-f", "%M", "-o", rssFile, bin, "-e", benchEvent)
	}
	cmd.Env = env
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	b.StartTimer()
	err := cmd.Run()
	b.StopTimer()
	if err != nil {
		b.Fatalf("%s -e %s: %v\nstderr: %s", bin, benchEvent, err, tail(stderr.Bytes()))
	}
	kb, err := childPeakKB(cmd, timeCmd, rssFile)
	if err != nil {
		b.Fatal(err)
	}
	return out.Bytes(), kb
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

// memEvent returns an event of exactly n bytes: a thresholds array that a decoder holding it whole
// pays for many times over (rejected: more than 20), or a valid dry-run digest padded with spaces (read,
// held and run).
func memEvent(n int, valid bool) []byte {
	if valid {
		ev := []byte(`{"mode":"digest","dryRun":true}`)
		return append(ev, bytes.Repeat([]byte(" "), n-len(ev))...)
	}
	ev := []byte(`{"thresholds":[0`)
	ev = append(ev, bytes.Repeat([]byte(",0"), (n-len(ev)-2)/2)...)
	ev = append(ev, "]}"...)
	return append(ev, bytes.Repeat([]byte(" "), n-len(ev))...)
}

// memEnv is the function's environment: a dry run against an emulator with a few users. It asks
// ActionTrail nothing (LOOKUP_DELETER=false): 50 runs at once in one process would wait for its 2 calls
// a second per account (their look-ups, paced, take 50 s), and these benchmarks measure the memory
// that events take.
func memEnv(b *testing.B, api *ramfake.Server, extra ...string) []string {
	b.Helper()
	env := append(endpointVars(api), "HOME="+b.TempDir(), "LOOKUP_DELETER=false", "RAM_USERS=*", "DRY_RUN=true",
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+envKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+envSecret, "LOG_LEVEL=warn")
	return offline.Environ(append(env, extra...)...)
}

// peakKB returns the process's peak resident memory (VmHWM) in KB.
func peakKB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// memProc is the function process under measurement.
type memProc struct {
	cmd  *exec.Cmd
	errs bytes.Buffer
}

func startMemProc(b *testing.B, bin string, env []string, args ...string) *memProc {
	b.Helper()
	p := &memProc{cmd: exec.Command(bin, args...)}
	p.cmd.Env = env
	p.cmd.Stderr = &p.errs
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return p
}

// stop reads the process's peak memory, then stops it.
func (p *memProc) stop(b *testing.B) int64 {
	b.Helper()
	kb, err := peakKB(p.cmd.Process.Pid)
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	if err != nil {
		b.Fatalf("%v\nstderr: %s", err, tail(p.errs.Bytes()))
	}
	return kb
}

func BenchmarkEventMemory(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc (Linux)")
	}
	bin := buildStripped(b)
	api := benchRAM(ramfake.SyntheticUsers(20, time.Now()), 0, 0)
	b.Cleanup(api.Close)

	serve := func(b *testing.B, events [][]byte) int64 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		p := startMemProc(b, bin, memEnv(b, api, "FC_CUSTOM_LISTEN_PORT="+port), "serve")
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				p.stop(b)
				b.Fatal("main serve did not listen")
			}
		}
		client := &http.Client{Timeout: 2 * time.Minute}
		var wg sync.WaitGroup
		for i, ev := range events {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+port+"/invoke", bytes.NewReader(ev))
				req.Header.Set("x-fc-request-id", fmt.Sprintf("mem-%d", i))
				req.Header.Set("x-fc-function-timeout", "60")
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
		return p.stop(b)
	}
	go1 := func(b *testing.B, events [][]byte) int64 {
		rt := fcfake.New()
		defer rt.Close()
		p := startMemProc(b, bin, memEnv(b, api, "FC_RUNTIME_API="+rt.Addr()))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var wg sync.WaitGroup
		for _, ev := range events {
			wg.Go(func() { rt.Invoke(ctx, fcfake.Request{Body: ev, Timeout: time.Minute}) }) //nolint:errcheck // the memory is what is measured
		}
		wg.Wait()
		return p.stop(b)
	}
	n := func(count int, ev []byte) [][]byte {
		out := make([][]byte, count)
		for i := range out {
			out[i] = ev
		}
		return out
	}
	mib := 1 << 20
	for _, bc := range []struct {
		name string
		run  func(b *testing.B) int64
	}{
		{"serve one 32 MB event", func(b *testing.B) int64 { return serve(b, n(1, memEvent(32<<20, false))) }},
		{"serve 50 concurrent 1 MiB events, rejected", func(b *testing.B) int64 { return serve(b, n(50, memEvent(mib, false))) }},
		{"serve 50 concurrent 1 MiB events, run", func(b *testing.B) int64 { return serve(b, n(50, memEvent(mib, true))) }},
		{"go1 one 300 MB event", func(b *testing.B) int64 { return go1(b, n(1, memEvent(300<<20, true))) }},
		{"go1 50 concurrent 1 MiB events, rejected", func(b *testing.B) int64 { return go1(b, n(50, memEvent(mib, false))) }},
		{"command line -f /dev/zero", func(b *testing.B) int64 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			rss := b.TempDir() + "/rss"
			cmd := exec.CommandContext(ctx, "/usr/bin/time", "-f", "%M", "-o", rss, bin, "-f", "/dev/zero")
			cmd.Env = memEnv(b, api)
			cmd.Run() //nolint:errcheck // rejected: exit status 2
			raw, err := os.ReadFile(rss)
			if err != nil {
				b.Skipf("no /usr/bin/time: %v", err)
			}
			kb, _ := strconv.ParseInt(strings.TrimSpace(lastLine(string(raw))), 10, 64)
			return kb
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var peak int64
			for range b.N {
				peak = max(peak, bc.run(b))
			}
			b.ReportMetric(float64(peak)/1024, "peak-MB")
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

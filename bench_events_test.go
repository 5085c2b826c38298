package main

// Benchmarks of the function's memory under oversized and concurrent events, in every mode: the peak
// resident memory (VmHWM, Linux) of the built function process while it is sent events of 1 MiB to
// 300 MB. They run with `make bench`, never with `make test`. The function runs with 128 MB.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
)

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
	env := []string{
		"HOME=" + b.TempDir(), "PATH=" + os.Getenv("PATH"), "LOOKUP_DELETER=false",
		"RAM_USERS=*", "DRY_RUN=true", "RAM_ENDPOINT=" + api.URL(), "IMS_ENDPOINT=" + api.URL(), "ACTIONTRAIL_ENDPOINT=" + api.URL(),
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + benchKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + benchKeySecret,
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true", "LOG_LEVEL=warn",
	}
	return append(env, extra...)
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
		b.Fatalf("%v\nstderr: %s", err, tail(p.errs.String(), 2000))
	}
	return kb
}

func BenchmarkEventMemory(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc (Linux)")
	}
	bin, err := buildBenchBinary(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	api := benchServer(ramfake.SyntheticUsers(20, time.Now()), 0, 0)
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

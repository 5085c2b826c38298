package e2e

// Running the binary: on the go1 runtime (startGo1, invoke), as the custom runtime (startServe), on the
// command line (runCLI); reading its answers.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
)

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec and the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// proc is a running binary.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{} // closed when the process has exited
}

// startProc starts the binary with args in e's environment. When the test ends it is stopped with
// SIGTERM (and must exit 0 within 5 s, else it is killed) and its output is checked for secrets.
func (e *world) startProc(args ...string) *proc {
	t := e.t
	t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = e.environ()
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", binary, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		checkNoSecrets(t, "stdout", p.stdout.Bytes())
		checkNoSecrets(t, "stderr", p.stderr.Bytes())
		e.checkReceivedNoSecrets()
	})
	return p
}

// stop sends SIGTERM and waits, bounded, for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		t.Errorf("the binary exited before the test stopped it (%v); stderr:\n%s", p.cmd.ProcessState, p.stderr.Bytes())
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("after SIGTERM the binary exited with status %d, want 0; stderr:\n%s", code, p.stderr.Bytes())
		}
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("the binary did not exit within 5 s of SIGTERM")
	}
}

// waitStdout waits, bounded, until the process's stdout holds s.
func (p *proc) waitStdout(t *testing.T, s string) []byte {
	t.Helper()
	deadline := time.Now().Add(maxWait)
	for {
		out := p.stdout.Bytes()
		if bytes.Contains(out, []byte(s)) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("stdout never showed %q; it holds:\n%s", s, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startGo1 starts the binary on the fake go1 runtime API.
func (e *world) startGo1() (*fcfake.Runtime, *proc) {
	e.t.Helper()
	rt := fcfake.NewTest(e.t)
	e.vars["FC_RUNTIME_API"] = rt.Addr()
	return rt, e.startProc()
}

// invoke sends req and returns the runtime's answer, bounded by maxWait.
func invoke(t *testing.T, rt *fcfake.Runtime, req fcfake.Request) fcfake.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), maxWait)
	defer cancel()
	resp, err := rt.Invoke(ctx, req)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", req.Body, err)
	}
	checkNoSecrets(t, "the answer to "+string(req.Body), resp.Body)
	return resp
}

// resultOf decodes a successful answer's result.
func resultOf(t *testing.T, resp fcfake.Response) handler.Result {
	t.Helper()
	if resp.Kind != fcfake.KindResponse {
		t.Fatalf("answer is a %s, want a response: %s", resp.Kind, resp.Body)
	}
	return decodeResult(t, resp.Body)
}

func decodeResult(t *testing.T, body []byte) handler.Result {
	t.Helper()
	var r handler.Result
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, body)
	}
	return r
}

// errorOf decodes a failed answer's error body, and fails the test when the answer is not a failure.
func errorOf(t *testing.T, resp fcfake.Response) fcruntime.ErrorBody {
	t.Helper()
	if resp.Kind != fcfake.KindError {
		t.Fatalf("answer is a %s, want an error: %s", resp.Kind, tail(resp.Body))
	}
	e, err := resp.ErrorBody()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// checkStillServing invokes a timer event and checks that it succeeds: the process is still serving.
func checkStillServing(t *testing.T, e *world, rt *fcfake.Runtime, what string) {
	t.Helper()
	resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur)})
	if resp.Kind != fcfake.KindResponse {
		t.Fatalf("the event after %s: answer is a %s, want a response: %s", what, resp.Kind, resp.Body)
	}
	if r := decodeResult(t, resp.Body); r.UsersChecked != 4 {
		t.Errorf("the event after %s: usersChecked = %d, want 4", what, r.UsersChecked)
	}
}

// withoutIDs returns alerts with their ids cleared, after checking their shape.
func withoutIDs(t *testing.T, alerts []alert.Alert) []alert.Alert {
	t.Helper()
	out := slices.Clone(alerts)
	for i := range out {
		if id := out[i].ID; !strings.HasPrefix(id, "alrt_") || len(id) != len("alrt_")+32 {
			t.Errorf("alert %d: id = %q, want alrt_ and 32 hex digits", i, id)
		}
		out[i].ID = ""
	}
	return out
}

// startServe starts `main serve` on a port the system picks (FC_CUSTOM_LISTEN_PORT=0), and waits,
// bounded, for its "custom runtime listening" line, which names the port; it returns the server's base
// URL. (A port found free beforehand could be taken by another test's server before the binary binds it.)
func (e *world) startServe() (string, *proc) {
	t := e.t
	t.Helper()
	e.vars["FC_CUSTOM_LISTEN_PORT"] = "0"
	p := e.startProc("serve")
	deadline := time.Now().Add(maxWait)
	for {
		for line := range strings.Lines(string(p.stdout.Bytes())) {
			var rec struct{ Msg, Port string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "custom runtime listening" && rec.Port != "" && rec.Port != "0" {
				return "http://127.0.0.1:" + rec.Port, p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("main serve exited: %v\nstderr:\n%s\nstdout:\n%s", p.cmd.ProcessState, p.stderr.Bytes(), p.stdout.Bytes())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("main serve did not say it listens:\nstdout:\n%s", p.stdout.Bytes())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runCLI runs the binary once, bounded by maxWait, and returns its output and exit status.
func (e *world) runCLI(stdin string, args ...string) (stdout, stderr []byte, code int) {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), maxWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = e.environ()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		code = exit.ExitCode()
	default:
		t.Fatalf("main %s: %v (stderr:\n%s)", strings.Join(args, " "), err, errOut.Bytes())
	}
	checkNoSecrets(t, "stdout", out.Bytes())
	checkNoSecrets(t, "stderr", errOut.Bytes())
	e.checkReceivedNoSecrets()
	return out.Bytes(), errOut.Bytes(), code
}

// checkJSONLines fails unless every line of out is a JSON object.
func checkJSONLines(t *testing.T, name string, out []byte) {
	t.Helper()
	for line := range strings.Lines(string(out)) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("%s line is not a JSON object: %q", name, line)
		}
	}
}

// tail is the end of b, at most 2,000 bytes of it, for failure messages.
func tail(b []byte) string {
	if len(b) > 2000 {
		return "…" + string(b[len(b)-2000:])
	}
	return string(b)
}

package fcruntime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
)

// Secrets used by the tests; they must never show up in stdout or the logs.
const (
	testSecret = "sk-Secret-Value-1234"
	testToken  = "CAIS-Security-Token-5678"
)

// lockedBuffer is a bytes.Buffer that goroutines may write to while a test reads it.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	notify func(line string)
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	n, err := l.b.Write(p)
	notify := l.notify
	l.mu.Unlock()
	if notify != nil {
		notify(string(p))
	}
	return n, err
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// go1 is a go1 runtime under test, serving from a fake runtime API.
type go1 struct {
	rt     *fcfake.Runtime
	stdout *lockedBuffer
	logs   *lockedBuffer
}

// startGo1 runs Start with h against a fresh fake until the test ends; opts.Stdout and opts.Logger are
// set to buffers of its own unless given.
func startGo1(t *testing.T, h fcruntime.Handler, opts fcruntime.Options) *go1 {
	t.Helper()
	return startGo1On(t, fcfake.NewTest(t), h, opts)
}

// startGo1On is startGo1 on rt, a fake the test has already set up: Start polls at once.
func startGo1On(t *testing.T, rt *fcfake.Runtime, h fcruntime.Handler, opts fcruntime.Options) *go1 {
	t.Helper()
	g := &go1{rt: rt, stdout: &lockedBuffer{}, logs: &lockedBuffer{}}
	if opts.Stdout == nil {
		opts.Stdout = g.stdout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(g.logs, nil))
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- fcruntime.Start(ctx, g.rt.Addr(), h, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start() = %v, want nil after cancel", err)
		}
		for _, out := range []string{g.stdout.String(), g.logs.String()} {
			if strings.Contains(out, testSecret) || strings.Contains(out, testToken) {
				t.Errorf("output holds a secret:\n%s", out)
			}
		}
	})
	return g
}

// invoke sends req and returns the answer.
func (g *go1) invoke(t *testing.T, req fcfake.Request) fcfake.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	resp, err := g.rt.Invoke(ctx, req)
	if err != nil {
		t.Fatalf("Invoke(%s) error: %v", req.RequestID, err)
	}
	return resp
}

// errorBody decodes an error response.
func errorBody(t *testing.T, resp fcfake.Response) fcruntime.ErrorBody {
	t.Helper()
	e, err := resp.ErrorBody()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestStartSuccess(t *testing.T) {
	tests := []struct {
		name   string
		result []byte
		want   string
	}{
		{name: "object", result: []byte(`{"ok":true}`), want: `{"ok":true}`},
		{name: "nil result posts null", result: nil, want: `null`},
		{name: "empty result stays empty", result: []byte{}, want: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
				return tt.result, nil
			}, fcruntime.Options{})
			resp := g.invoke(t, fcfake.Request{RequestID: "req-1", Body: []byte(`{}`)})
			if resp.Kind != fcfake.KindResponse || string(resp.Body) != tt.want {
				t.Errorf("Invoke() = %s %q, want response %q", resp.Kind, resp.Body, tt.want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if ua := g.rt.UserAgent(); !strings.HasPrefix(ua, "aliyun-fc-go/go") {
				t.Errorf("User-Agent = %q, want aliyun-fc-go/<go version>", ua)
			}
		})
	}
}

func TestStartInvocationFacts(t *testing.T) {
	type seen struct {
		inv   fcruntime.Invocation
		event string
		ctxDL time.Time
	}
	got := make(chan seen, 1)
	g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		dl, _ := ctx.Deadline()
		got <- seen{inv: inv, event: string(event), ctxDL: dl}
		return nil, nil
	}, fcruntime.Options{})
	deadline := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	g.invoke(t, fcfake.Request{
		RequestID:    "1-abc/def ?#%",
		Body:         []byte(`{"triggerTime":"2026-11-30T09:00:00Z"}`),
		RetryCount:   2,
		Credentials:  fcruntime.Credentials{AccessKeyID: "STS.id", AccessKeySecret: testSecret, SecurityToken: testToken},
		AccountID:    "1234567890123456",
		Region:       "cn-hangzhou",
		FunctionName: "ak-recycle-alert",
		Header:       http.Header{"X-Fc-Function-Deadline": {fmt.Sprint(deadline.UnixMilli())}},
	})
	s := <-got
	want := fcruntime.Invocation{
		RequestID:    "1-abc/def ?#%",
		Kind:         fcruntime.Invoke,
		Deadline:     deadline.UTC(),
		Credentials:  fcruntime.Credentials{AccessKeyID: "STS.id", AccessKeySecret: testSecret, SecurityToken: testToken},
		AccountID:    "1234567890123456",
		Region:       "cn-hangzhou",
		FunctionName: "ak-recycle-alert",
		RetryCount:   2,
	}
	if diff := cmp.Diff(want, s.inv); diff != "" {
		t.Errorf("handler's Invocation mismatch (-want +got):\n%s", diff)
	}
	if s.event != `{"triggerTime":"2026-11-30T09:00:00Z"}` {
		t.Errorf("handler's event = %q, want the body", s.event)
	}
	if !s.ctxDL.Equal(deadline) {
		t.Errorf("ctx.Deadline() = %v, want %v", s.ctxDL, deadline)
	}
}

// customError is an error type of the test's own.
type customError struct{ code string }

func (e *customError) Error() string { return "custom failure " + e.code }

func TestStartError(t *testing.T) {
	tests := []struct {
		name   string
		result []byte
		err    error
		want   fcruntime.ErrorBody
	}{
		{
			name: "errors.New",
			err:  errors.New("no user could be read"),
			want: fcruntime.ErrorBody{ErrorMessage: "no user could be read", ErrorType: "errorString"},
		},
		{
			name: "wrapped",
			err:  fmt.Errorf("deliver: %w", errors.New("slack: 500")),
			want: fcruntime.ErrorBody{ErrorMessage: "deliver: slack: 500", ErrorType: "wrapError"},
		},
		{
			name: "pointer type is dereferenced",
			err:  &customError{code: "X1"},
			want: fcruntime.ErrorBody{ErrorMessage: "custom failure X1", ErrorType: "customError"},
		},
		{
			name:   "result and error post the error",
			result: []byte(`{"usersChecked":3}`),
			err:    errors.New("a delivery failed"),
			want:   fcruntime.ErrorBody{ErrorMessage: "a delivery failed", ErrorType: "errorString"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
				return tt.result, tt.err
			}, fcruntime.Options{})
			resp := g.invoke(t, fcfake.Request{RequestID: "req-err"})
			if resp.Kind != fcfake.KindError {
				t.Fatalf("Invoke() kind = %s, want error", resp.Kind)
			}
			if diff := cmp.Diff(tt.want, errorBody(t, resp)); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(string(resp.Body), "stackTrace") {
				t.Errorf("error body %s has a stackTrace, want none for an error", resp.Body)
			}
		})
	}
}

func TestStartPanic(t *testing.T) {
	tests := []struct {
		name      string
		panicWith func()
		want      fcruntime.ErrorBody
	}{
		{
			name:      "string",
			panicWith: func() { panic("kaboom") },
			want:      fcruntime.ErrorBody{ErrorMessage: "kaboom", ErrorType: "string"},
		},
		{
			name:      "error value",
			panicWith: func() { panic(&customError{code: "P"}) },
			want:      fcruntime.ErrorBody{ErrorMessage: "custom failure P", ErrorType: "customError"},
		},
		{
			name: "nil dereference",
			panicWith: func() {
				var m *customError
				_ = m.code
			},
			want: fcruntime.ErrorBody{ErrorMessage: "runtime error: invalid memory address or nil pointer dereference", ErrorType: "errorString"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
				if string(event) == "panic" {
					tt.panicWith()
				}
				return []byte(`"fine"`), nil
			}, fcruntime.Options{})
			resp := g.invoke(t, fcfake.Request{RequestID: "req-panic", Body: []byte("panic")})
			e := errorBody(t, resp)
			checkPanicStack(t, e, "TestStartPanic")
			if diff := cmp.Diff(tt.want, e, cmpopts.IgnoreFields(fcruntime.ErrorBody{}, "StackTrace")); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(g.logs.String(), `"msg":"invocation panicked","requestId":"req-panic"`) {
				t.Errorf("logs = %s, want an invocation panicked line with the requestId", g.logs)
			}
			// The process goes on serving.
			if resp := g.invoke(t, fcfake.Request{RequestID: "req-after"}); resp.Kind != fcfake.KindResponse || string(resp.Body) != `"fine"` {
				t.Errorf("Invoke() after a panic = %s %s, want response \"fine\"", resp.Kind, resp.Body)
			}
		})
	}
}

// checkPanicStack checks that a panic's stack trace starts in the test function named fn.
func checkPanicStack(t *testing.T, e fcruntime.ErrorBody, fn string) {
	t.Helper()
	if len(e.StackTrace) == 0 || len(e.StackTrace) > 32 {
		t.Fatalf("stackTrace has %d frames, want 1 to 32", len(e.StackTrace))
	}
	top := e.StackTrace[0]
	if !strings.HasPrefix(top.Label, fn) || top.Path != "github.com/akrecycle/ak-recycle-alert/fcruntime_test/go1_test.go" || top.Line == 0 {
		t.Errorf("stackTrace[0] = %+v, want a frame of %s in github.com/akrecycle/ak-recycle-alert/fcruntime_test/go1_test.go", top, fn)
	}
}

func TestStartGoPanic(t *testing.T) {
	g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Add(1)
			fcruntime.Go(ctx, func() {
				defer wg.Done()
				if i == 1 && string(event) == "panic" {
					panic(fmt.Sprintf("worker %d failed", i))
				}
			})
		}
		wg.Wait()
		return []byte(`{"ok":true}`), nil
	}, fcruntime.Options{})
	resp := g.invoke(t, fcfake.Request{RequestID: "req-go", Body: []byte("panic")})
	e := errorBody(t, resp)
	if e.ErrorMessage != "worker 1 failed" || e.ErrorType != "string" {
		t.Errorf("error body = %+v, want worker 1 failed of type string", e)
	}
	checkPanicStack(t, e, "TestStartGoPanic")
	if resp := g.invoke(t, fcfake.Request{RequestID: "req-next"}); resp.Kind != fcfake.KindResponse {
		t.Errorf("Invoke() after a goroutine panic = %s %s, want a response", resp.Kind, resp.Body)
	}
}

func TestGoWithoutInvocation(t *testing.T) {
	logged := make(chan string, 1)
	buf := &lockedBuffer{notify: func(line string) { logged <- line }}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(buf, nil)))
	defer slog.SetDefault(old)

	fcruntime.Go(t.Context(), func() { panic("stray") })
	select {
	case line := <-logged:
		if !strings.Contains(line, `"error":"stray"`) {
			t.Errorf("logged %s, want the panic", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the panic was not logged")
	}
}

func TestStartBadHeaders(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   string
	}{
		{name: "missing deadline", header: http.Header{"X-Fc-Function-Deadline": {""}}, want: "header x-fc-function-deadline is missing"},
		{name: "malformed deadline", header: http.Header{"X-Fc-Function-Deadline": {"soon"}}, want: `header x-fc-function-deadline: "soon" is not a time in epoch milliseconds`},
		{name: "malformed timeout", header: http.Header{"X-Fc-Function-Timeout": {"1.5"}}, want: `header x-fc-function-timeout: "1.5" is not a positive number of seconds`},
		{name: "negative retry count", header: http.Header{"X-Fc-Retry-Count": {"-1"}}, want: `header x-fc-retry-count: "-1" is not a non-negative integer`},
		{name: "deadline wins", header: http.Header{"X-Fc-Retry-Count": {"x"}, "X-Fc-Function-Deadline": {"1e12"}}, want: `header x-fc-function-deadline: "1e12" is not a time in epoch milliseconds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
				t.Errorf("handler called for a bad header")
				return nil, nil
			}, fcruntime.Options{})
			resp := g.invoke(t, fcfake.Request{
				RequestID:   "req-bad",
				Header:      tt.header,
				Credentials: fcruntime.Credentials{AccessKeySecret: testSecret, SecurityToken: testToken},
			})
			want := fcruntime.ErrorBody{ErrorMessage: tt.want, ErrorType: "Runtime.InvalidHeader"}
			if diff := cmp.Diff(want, errorBody(t, resp)); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
			wantOut := "FC Invoke Start RequestId: req-bad\nFC Invoke End RequestId: req-bad, Error: Unhandled function error\n"
			if got := g.stdout.String(); got != wantOut {
				t.Errorf("stdout = %q, want %q", got, wantOut)
			}
		})
	}
}

func TestStartConcurrent(t *testing.T) {
	const n = 20
	var mu sync.Mutex
	started := 0
	all := make(chan struct{})
	g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		// Each handler waits until all n run at once: this only ends if they are served concurrently.
		mu.Lock()
		started++
		if started == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return []byte(`{"id":"` + inv.RequestID + `","event":` + string(event) + `}`), nil
	}, fcruntime.Options{})

	var wg sync.WaitGroup
	got := make([]fcfake.Response, n)
	for i := range n {
		wg.Go(func() {
			got[i] = g.invoke(t, fcfake.Request{RequestID: fmt.Sprintf("req-%02d", i), Body: fmt.Appendf(nil, "%d", i)})
		})
	}
	wg.Wait()
	for i, resp := range got {
		want := fmt.Sprintf(`{"id":"req-%02d","event":%d}`, i, i)
		if resp.Kind != fcfake.KindResponse || string(resp.Body) != want {
			t.Errorf("Invoke(req-%02d) = %s %s, want response %s", i, resp.Kind, resp.Body, want)
		}
	}
	if strings.Count(g.stdout.String(), "FC Invoke End RequestId: ") != n {
		t.Errorf("stdout = %s, want %d End markers", g.stdout, n)
	}
}

func TestStartHooks(t *testing.T) {
	tests := []struct {
		name    string
		kind    fcruntime.Kind
		header  http.Header
		panicky bool
		marker  string
	}{
		{name: "initialize", kind: fcruntime.Initialize, marker: "Initialize"},
		{name: "pre-stop", kind: fcruntime.PreStop, marker: "PreStop"},
		{name: "pre-freeze", kind: fcruntime.PreFreeze, marker: "PreFreeze"},
		{name: "initialize without deadline", kind: fcruntime.Initialize, marker: "Initialize", header: http.Header{"X-Fc-Function-Deadline": {""}}},
		{name: "panicking hook", kind: fcruntime.PreStop, marker: "PreStop", panicky: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hooks := make(chan fcruntime.Invocation, 1)
			g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
				t.Errorf("handler called for a %v hook", inv.Kind)
				return nil, errors.New("no")
			}, fcruntime.Options{OnHook: func(ctx context.Context, inv fcruntime.Invocation) {
				hooks <- inv
				if _, ok := ctx.Deadline(); !ok {
					t.Errorf("hook context has no deadline")
				}
				if tt.panicky {
					panic("hook failed")
				}
			}})
			resp := g.invoke(t, fcfake.Request{RequestID: "req-hook", Kind: tt.kind, Header: tt.header})
			if resp.Kind != fcfake.KindResponse || len(resp.Body) != 0 {
				t.Errorf("Invoke(%v) = %s %q, want an empty response", tt.kind, resp.Kind, resp.Body)
			}
			if inv := <-hooks; inv.Kind != tt.kind || inv.RequestID != "req-hook" {
				t.Errorf("OnHook got %v %q, want %v req-hook", inv.Kind, inv.RequestID, tt.kind)
			}
			want := "FC " + tt.marker + " Start RequestId: req-hook\nFC " + tt.marker + " End RequestId: req-hook\n"
			if got := g.stdout.String(); got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
			if tt.panicky && !strings.Contains(g.logs.String(), "lifecycle hook panicked") {
				t.Errorf("logs = %s, want the hook's panic", g.logs)
			}
		})
	}
}

func TestStartHookWithoutOnHook(t *testing.T) {
	g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		t.Errorf("handler called for a hook")
		return nil, nil
	}, fcruntime.Options{})
	if resp := g.invoke(t, fcfake.Request{Kind: fcruntime.Initialize}); resp.Kind != fcfake.KindResponse || len(resp.Body) != 0 {
		t.Errorf("Invoke(Initialize) = %s %q, want an empty response", resp.Kind, resp.Body)
	}
}

func TestStartDeadline(t *testing.T) {
	g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		if dl, ok := ctx.Deadline(); !ok || !dl.Equal(inv.Deadline) {
			t.Errorf("ctx.Deadline() = %v, %v, want %v, true", dl, ok, inv.Deadline)
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}, fcruntime.Options{})
	resp := g.invoke(t, fcfake.Request{Timeout: 50 * time.Millisecond})
	want := fcruntime.ErrorBody{ErrorMessage: "context deadline exceeded", ErrorType: "deadlineExceededError"}
	if diff := cmp.Diff(want, errorBody(t, resp)); diff != "" {
		t.Errorf("error body mismatch (-want +got):\n%s", diff)
	}
}

func TestStartMarkers(t *testing.T) {
	g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		switch string(event) {
		case "error":
			return nil, errors.New("failed")
		case "panic":
			panic("boom")
		}
		return nil, nil
	}, fcruntime.Options{})
	g.invoke(t, fcfake.Request{RequestID: "a", Body: []byte("ok")})
	g.invoke(t, fcfake.Request{RequestID: "b", Body: []byte("error")})
	g.invoke(t, fcfake.Request{RequestID: "c", Body: []byte("panic")})
	g.invoke(t, fcfake.Request{RequestID: "d", Kind: fcruntime.PreStop})
	want := "FC Invoke Start RequestId: a\n" +
		"FC Invoke End RequestId: a\n" +
		"FC Invoke Start RequestId: b\n" +
		"FC Invoke End RequestId: b, Error: Unhandled function error\n" +
		"FC Invoke Start RequestId: c\n" +
		"FC Invoke End RequestId: c, Error: Unhandled function error\n" +
		"FC PreStop Start RequestId: d\n" +
		"FC PreStop End RequestId: d\n"
	if got := g.stdout.String(); got != want {
		t.Errorf("stdout mismatch (-want +got):\n%s", cmp.Diff(want, got))
	}
}

func TestStartMissingRequestID(t *testing.T) {
	g := startGo1(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		t.Errorf("handler called without a request id")
		return nil, nil
	}, fcruntime.Options{})
	logged := make(chan string, 10)
	g.logs.notify = func(line string) { logged <- line }

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go g.rt.Invoke(ctx, fcfake.Request{Header: http.Header{"X-Fc-Request-Id": {""}}}) //nolint:errcheck // never answered
	select {
	case line := <-logged:
		if !strings.Contains(line, "invocation without x-fc-request-id ignored") {
			t.Errorf("logged %s, want the missing request id", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the invocation without a request id was not logged")
	}
	if got := g.stdout.String(); got != "" {
		t.Errorf("stdout = %q, want no markers", got)
	}
}

func TestStartPollFailures(t *testing.T) {
	// The polls fail from the first: set before Start, which polls at once (set after it, a first poll
	// may already be waiting, and get the invocation).
	rt := fcfake.NewTest(t)
	rt.FailPolls(3)
	g := startGo1On(t, rt, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		return []byte(`1`), nil
	}, fcruntime.Options{})
	if resp := g.invoke(t, fcfake.Request{}); resp.Kind != fcfake.KindResponse {
		t.Errorf("Invoke() = %s %s, want a response", resp.Kind, resp.Body)
	}
	// 3 failures, the poll that got the invocation, and perhaps the next one, already waiting.
	if n := g.rt.Polls(); n < 4 || n > 5 {
		t.Errorf("Polls() = %d, want 4 or 5", n)
	}
	if n := strings.Count(g.logs.String(), "cannot get the next invocation"); n < 3 {
		t.Errorf("logged %d poll failures, want 3:\n%s", n, g.logs)
	}
}

func TestStartStops(t *testing.T) {
	rt := fcfake.NewTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- fcruntime.Start(ctx, rt.Addr(), func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
			return nil, nil
		}, fcruntime.Options{Stdout: &lockedBuffer{}, Logger: slog.New(slog.DiscardHandler)})
	}()
	<-rt.FirstPoll()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start() = %v, want nil after cancel", err)
	}
}

func TestStartCancelsInFlight(t *testing.T) {
	rt := fcfake.NewTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	running := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- fcruntime.Start(ctx, rt.Addr(), func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
			close(running)
			<-ctx.Done()
			return nil, fmt.Errorf("stopped: %w", ctx.Err())
		}, fcruntime.Options{Stdout: &lockedBuffer{}, Logger: slog.New(slog.DiscardHandler)})
	}()
	answered := make(chan fcfake.Response, 1)
	go func() {
		resp, err := rt.Invoke(t.Context(), fcfake.Request{RequestID: "in-flight"})
		if err != nil {
			t.Errorf("Invoke() error: %v", err)
		}
		answered <- resp
	}()
	<-running
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Start() = %v, want nil after cancel", err)
	}
	resp := <-answered
	if e, err := resp.ErrorBody(); err != nil || e.ErrorMessage != "stopped: context canceled" {
		t.Errorf("in-flight invocation answered %s %s, want the handler's error", resp.Kind, resp.Body)
	}
}

func TestStartBadAPI(t *testing.T) {
	for _, api := range []string{"", "http://127.0.0.1:9000", "127.0.0.1:9000/path"} {
		t.Run(api, func(t *testing.T) {
			err := fcruntime.Start(t.Context(), api, func(context.Context, fcruntime.Invocation, []byte) ([]byte, error) {
				return nil, nil
			}, fcruntime.Options{})
			if err == nil {
				t.Errorf("Start(%q) = nil, want an error", api)
			}
		})
	}
}

func BenchmarkFirstPoll(b *testing.B) {
	h := func(context.Context, fcruntime.Invocation, []byte) ([]byte, error) { return nil, nil }
	opts := fcruntime.Options{Stdout: &lockedBuffer{}, Logger: slog.New(slog.DiscardHandler)}
	var total time.Duration
	for b.Loop() {
		rt := fcfake.New()
		ctx, cancel := context.WithCancel(b.Context())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- fcruntime.Start(ctx, rt.Addr(), h, opts) }()
		first := <-rt.FirstPoll()
		total += first.Sub(start)
		cancel()
		<-done
		rt.Close()
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/first-poll")
}

package fcruntime

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestBackoff(t *testing.T) {
	// The API fails 7 polls, hands out one invocation, fails 2 more, then blocks until the test ends.
	var mu sync.Mutex
	polls := 0
	answered := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/2020-11-11/runtime/invocation/next" {
			answered <- r.URL.Path
			return
		}
		mu.Lock()
		polls++
		n := polls
		mu.Unlock()
		switch {
		case n == 8:
			w.Header().Set("x-fc-request-id", "r1")
			w.Header().Set("x-fc-function-deadline", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			w.Write([]byte("{}"))
		case n <= 10:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		default:
			<-r.Context().Done()
		}
	}))
	defer srv.Close()

	c, err := newClient(strings.TrimPrefix(srv.URL, "http://"), func(context.Context, Invocation, []byte) ([]byte, error) {
		return nil, nil
	}, Options{Stdout: &bytes.Buffer{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var sleeps []time.Duration
	ctx, cancel := context.WithCancel(t.Context())
	c.sleep = func(_ context.Context, d time.Duration) error {
		sleeps = append(sleeps, d)
		if len(sleeps) == 9 {
			// The 11th poll blocks: stop there.
			go func() {
				<-answered
				cancel()
			}()
		}
		return nil
	}
	c.loop(ctx)
	ms := time.Millisecond
	want := []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 2000 * ms, 50 * ms, 100 * ms}
	if diff := cmp.Diff(want, sleeps); diff != "" {
		t.Errorf("backoff mismatch (-want +got):\n%s", diff)
	}
}

func TestLatePanicIsLogged(t *testing.T) {
	logs := &syncBuffer{}
	release := make(chan struct{})
	r := newRunner(func(ctx context.Context, inv Invocation, event []byte) ([]byte, error) {
		// Breaks the rule: returns without waiting for its goroutine.
		Go(ctx, func() {
			<-release
			panic("too late")
		})
		return []byte(`"done"`), nil
	}, Options{Stdout: &bytes.Buffer{}, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	r.grace = time.Millisecond
	out := r.call(t.Context(), Invocation{RequestID: "late", Deadline: time.Now().Add(time.Minute)}, nil)
	if out.failed || string(out.result) != `"done"` {
		t.Errorf("call() = %+v, want the handler's success", out)
	}
	logs.wait = make(chan struct{})
	close(release)
	<-logs.wait
	if got := logs.String(); !strings.Contains(got, `"msg":"goroutine panicked after its invocation was answered","requestId":"late","error":"too late"`) {
		t.Errorf("logs = %s, want the late panic with its requestId", got)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use; wait, when set, is closed at the first write.
type syncBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	wait chan struct{}
	once sync.Once
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wait != nil {
		s.once.Do(func() { close(s.wait) })
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFrameOf(t *testing.T) {
	tests := []struct {
		name string
		in   runtime.Frame
		want Frame
	}{
		{
			name: "method on a pointer",
			in:   runtime.Frame{Function: "github.com/akrecycle/ak-recycle-alert/handler.(*Handler).Run", File: "/home/me/src/handler/handler.go", Line: 42},
			want: Frame{Path: "github.com/akrecycle/ak-recycle-alert/handler/handler.go", Line: 42, Label: "Handler.Run"},
		},
		{
			name: "closure",
			in:   runtime.Frame{Function: "github.com/akrecycle/ak-recycle-alert/notify.send.func1", File: "/x/notify/send.go", Line: 7},
			want: Frame{Path: "github.com/akrecycle/ak-recycle-alert/notify/send.go", Line: 7, Label: "send.func1"},
		},
		{
			name: "main",
			in:   runtime.Frame{Function: "main.main", File: "/build/main.go", Line: 3},
			want: Frame{Path: "main/main.go", Line: 3, Label: "main"},
		},
		{
			name: "dotted domain",
			in:   runtime.Frame{Function: "gopkg.in/x.v1/sub.F", File: "/m/sub/f.go", Line: 1},
			want: Frame{Path: "gopkg.in/x.v1/sub/f.go", Line: 1, Label: "F"},
		},
		{
			name: "unknown function",
			in:   runtime.Frame{File: "/tmp/f.go", Line: 9},
			want: Frame{Path: "/tmp/f.go", Line: 9},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := frameOf(tt.in); got != tt.want {
				t.Errorf("frameOf(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestPanicStackIsCapped(t *testing.T) {
	var pe *panicError
	var deep func(n int)
	deep = func(n int) {
		if n == 0 {
			panic("deep")
		}
		deep(n - 1)
	}
	func() {
		defer func() { pe = newPanicError(recover()) }()
		deep(100)
	}()
	if len(pe.Stack) != maxFrames || pe.Stack[0].Label != "TestPanicStackIsCapped.func1" {
		t.Errorf("stack = %d frames from %+v, want %d from the panicking function", len(pe.Stack), pe.Stack[0], maxFrames)
	}
}

func TestTypeName(t *testing.T) {
	type named struct{}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{name: "nil", v: nil, want: "nil"},
		{name: "string", v: "x", want: "string"},
		{name: "pointer to named", v: &named{}, want: "named"},
		{name: "pointer to pointer", v: new(*named), want: "named"},
		{name: "unnamed", v: []int{1}, want: "[]int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := typeName(tt.v); got != tt.want {
				t.Errorf("typeName(%#v) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{{Invoke, "Invoke"}, {Initialize, "Initialize"}, {PreStop, "PreStop"}, {PreFreeze, "PreFreeze"}, {Kind(9), "Kind(9)"}}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.k), got, tt.want)
		}
	}
}

// overlapWriter fails the test if two Writes run at once, and records whole writes.
type overlapWriter struct {
	t      *testing.T
	active atomic.Int32
	lines  []string
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	if w.active.Add(1) != 1 {
		w.t.Error("two Writes at once")
	}
	defer w.active.Add(-1)
	w.lines = append(w.lines, string(p))
	runtime.Gosched()
	return len(p), nil
}

func TestSyncWriter(t *testing.T) {
	ow := &overlapWriter{t: t}
	w := NewSyncWriter(ow)
	if NewSyncWriter(w) != w {
		t.Error("NewSyncWriter(a sync writer) wrapped it again")
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				w.Write([]byte("line " + strconv.Itoa(i) + " " + strconv.Itoa(j) + "\n"))
			}
		})
	}
	wg.Wait()
	if len(ow.lines) != 400 {
		t.Errorf("got %d writes, want 400", len(ow.lines))
	}
}

func TestOneLine(t *testing.T) {
	long := strings.Repeat("é", maxErrorMessage) // 2 bytes each
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "delivery failed: webhook: timeout", want: "delivery failed: webhook: timeout"},
		{name: "joined", in: "a\nb\r\n\r\nc\n", want: "a; b; c"},
		{name: "control characters", in: "a\tb\x00c\x1b[31m", want: "a b c [31m"},
		{name: "cut at a character", in: long, want: strings.Repeat("é", (maxErrorMessage-len("…"))/2) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oneLine(tt.in)
			if got != tt.want {
				t.Errorf("oneLine(%.40q) = %.60q… (%d bytes), want %.60q… (%d bytes)", tt.in, got, len(got), tt.want, len(tt.want))
			}
			if !utf8.ValidString(got) || len(got) > maxErrorMessage {
				t.Errorf("oneLine(%.40q) is not valid UTF-8 of at most %d bytes", tt.in, maxErrorMessage)
			}
		})
	}
}

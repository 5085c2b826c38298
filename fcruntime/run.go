package fcruntime

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// Header names of the platform's invocation facts, on the go1 runtime's /next answers and the custom
// runtime's requests alike.
const (
	headerRequestID       = "x-fc-request-id"
	headerDeadline        = "x-fc-function-deadline"
	headerTimeout         = "x-fc-function-timeout"
	headerRetryCount      = "x-fc-retry-count"
	headerFunctionType    = "x-fc-function-type"
	headerAccessKeyID     = "x-fc-access-key-id"
	headerAccessKeySecret = "x-fc-access-key-secret"
	headerSecurityToken   = "x-fc-security-token"
	headerAccountID       = "x-fc-account-id"
	headerRegion          = "x-fc-region"
	headerFunctionName    = "x-fc-function-name"
)

// goGrace is how long an invocation waits, after its handler returned, for the goroutines it started with
// Go to end before it is answered.
const goGrace = time.Second

// Options configure both runtimes. The zero value works: markers go to os.Stdout and log lines to
// slog.Default().
type Options struct {
	// Stdout receives the FC Invoke Start/End markers. Give it the writer the caller's slog handler writes
	// to, wrapped once with NewSyncWriter, so that markers and log lines never interleave.
	Stdout io.Writer
	// Logger receives the runtime's own lines: failed polls and posts, panics, bad headers. Lines about
	// one invocation carry its requestId attribute; the others carry none.
	Logger *slog.Logger
	// DefaultTimeout bounds a custom-runtime invocation that carries neither x-fc-function-deadline nor
	// x-fc-function-timeout, and a lifecycle hook whose deadline header is bad. Zero means 60 s.
	DefaultTimeout time.Duration
	// HTTPClient is the go1 runtime's client of the runtime API. It must have no Timeout: /next is a long
	// poll. Nil means a client of its own that ignores proxy settings.
	HTTPClient *http.Client
	// OnHook, when set, is called for each lifecycle hook (Initialize, PreStop, PreFreeze) with a context
	// that carries the hook's deadline. Hooks always succeed: a panic in OnHook is logged, not reported.
	OnHook func(ctx context.Context, inv Invocation)
	// Paths are more paths the custom runtime's server serves, each with its own handler, between the
	// FC Invoke markers: the requests of an HTTP trigger, which FC passes through to the server unchanged
	// (the restore function's POST /slack/actions). InvocationOf reads their invocation facts.
	Paths map[string]http.Handler
	// MaxEventBytes is the largest event body an invocation may carry: a larger one fails that invocation
	// with an error naming the limit, and at most MaxEventBytes + 1 bytes of it are read. The events held
	// in memory at once are bounded by their size: 8 of the largest size, and an invocation whose event
	// does not fit waits for one to be answered. Zero means defaultMaxEventBytes.
	MaxEventBytes int64
}

// runner serves invocations for both runtimes: it writes the markers, calls the handler or the hook,
// recovers panics and reports the outcome.
type runner struct {
	h              Handler
	stdout         io.Writer
	log            *slog.Logger
	defaultTimeout time.Duration
	onHook         func(context.Context, Invocation)
	grace          time.Duration // how long to wait for goroutines started with Go
	maxEvent       int64         // the largest event body
	budget         *budget       // the bytes of event bodies held at once
}

func newRunner(h Handler, o Options) *runner {
	r := &runner{h: h, stdout: o.Stdout, log: o.Logger, defaultTimeout: o.DefaultTimeout, onHook: o.OnHook, grace: goGrace,
		maxEvent: o.MaxEventBytes}
	if r.stdout == nil {
		r.stdout = NewSyncWriter(os.Stdout)
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.defaultTimeout <= 0 {
		r.defaultTimeout = 60 * time.Second
	}
	if r.maxEvent <= 0 {
		r.maxEvent = defaultMaxEventBytes
	}
	r.budget = newBudget(heldEvents * (r.maxEvent + 1))
	return r
}

// outcome is what one invocation produced.
type outcome struct {
	// result is the handler's result; nil when it returned none (a hook's is empty, not nil).
	result []byte
	// failed says the invocation failed; err then describes why.
	failed bool
	err    ErrorBody
}

// serve runs one invocation between its Start and End markers. rejected is why the runtime cannot call
// the handler (a header it cannot read, an event over the limit): it fails an event invocation and is
// only logged for a hook, since hooks always succeed.
func (r *runner) serve(ctx context.Context, inv Invocation, event []byte, rejected *requestError) outcome {
	r.marker(inv.Kind, "Start", inv.RequestID, false)
	var out outcome
	switch {
	case inv.Kind != Invoke:
		if rejected != nil {
			r.log.LogAttrs(ctx, slog.LevelWarn, "lifecycle hook with a bad header",
				slog.String("requestId", inv.RequestID), slog.String("hook", inv.Kind.String()),
				slog.String("error", rejected.Error()))
		}
		out = r.hook(ctx, inv)
	case rejected != nil:
		// The invocation's result line, as the handler logs one for every invocation it runs: a
		// rejected one has no result, only its error.
		r.log.LogAttrs(ctx, slog.LevelError, "result",
			slog.String("requestId", inv.RequestID), slog.Any("result", nil), slog.Bool("rejected", true),
			slog.String("error", rejected.Error()), slog.String("errorType", rejected.typ))
		out = outcome{failed: true, err: errorBody(rejected)}
	default:
		out = r.call(ctx, inv, event)
	}
	r.marker(inv.Kind, "End", inv.RequestID, out.failed)
	return out
}

// marker writes one FC log marker line in a single Write.
func (r *runner) marker(k Kind, phase, requestID string, failed bool) {
	line := "FC " + k.String() + " " + phase + " RequestId: " + requestID
	if failed {
		line += ", Error: Unhandled function error"
	}
	if _, err := io.WriteString(r.stdout, line+"\n"); err != nil {
		r.log.Warn("cannot write log marker", slog.String("requestId", requestID), slog.String("error", err.Error()))
	}
}

// hook runs Options.OnHook, if any. It always succeeds with an empty result.
func (r *runner) hook(ctx context.Context, inv Invocation) outcome {
	if r.onHook != nil {
		hctx, cancel := context.WithDeadline(ctx, inv.Deadline)
		defer cancel()
		func() {
			defer func() {
				if v := recover(); v != nil {
					r.logPanic(ctx, inv.RequestID, newPanicError(v), "lifecycle hook panicked")
				}
			}()
			r.onHook(hctx, inv)
		}()
	}
	return outcome{result: []byte{}}
}

// call runs the handler for an event invocation, with the invocation's deadline on its context, and
// turns a panic in it, or in a goroutine it started with Go, into the invocation's error.
func (r *runner) call(ctx context.Context, inv Invocation, event []byte) outcome {
	st := &invState{requestID: inv.RequestID, log: r.log, logCtx: ctx}
	hctx, cancel := context.WithDeadline(context.WithValue(ctx, stateKey{}, st), inv.Deadline)
	var (
		result []byte
		err    error
		pe     *panicError
	)
	func() {
		defer func() {
			if v := recover(); v != nil {
				pe = newPanicError(v)
			}
		}()
		result, err = r.h(hctx, inv, event)
	}()
	cancel()
	st.wait(r.grace)
	if gpe := st.finish(); pe == nil && gpe != nil {
		pe = gpe
	}
	if pe != nil {
		r.logPanic(ctx, inv.RequestID, pe, "invocation panicked")
		return outcome{failed: true, err: errorBody(pe)}
	}
	if err != nil {
		return outcome{result: result, failed: true, err: errorBody(err)}
	}
	return outcome{result: result}
}

// logPanic logs a recovered panic with its stack.
func (r *runner) logPanic(ctx context.Context, requestID string, pe *panicError, msg string) {
	logPanic(ctx, r.log, requestID, pe, msg)
}

func logPanic(ctx context.Context, log *slog.Logger, requestID string, pe *panicError, msg string) {
	attrs := []slog.Attr{slog.String("error", pe.Error()), slog.String("errorType", typeName(pe.Value))}
	if requestID != "" {
		attrs = append([]slog.Attr{slog.String("requestId", requestID)}, attrs...)
	}
	stack := make([]string, len(pe.Stack))
	for i, f := range pe.Stack {
		stack[i] = f.Label + " " + f.Path + ":" + strconv.Itoa(f.Line)
	}
	attrs = append(attrs, slog.Any("stack", stack))
	log.LogAttrs(ctx, slog.LevelError, msg, attrs...)
}

// stateKey is the context key of an invocation's *invState.
type stateKey struct{}

// invState tracks the goroutines an event invocation started with Go and the first panic among them.
type invState struct {
	requestID string
	log       *slog.Logger
	logCtx    context.Context // the runtime's context, for late log lines; not the invocation's

	mu       sync.Mutex
	running  int
	idle     chan struct{} // closed when running drops to 0
	panicked *panicError
	finished bool // the invocation is being answered: later panics are only logged
}

func (s *invState) add() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == 0 {
		s.idle = make(chan struct{})
	}
	s.running++
}

// release ends one goroutine started with Go; pe is its panic, if any.
func (s *invState) release(pe *panicError) {
	s.mu.Lock()
	s.running--
	if s.running == 0 {
		close(s.idle)
	}
	late := pe != nil && s.finished
	if pe != nil && !s.finished && s.panicked == nil {
		s.panicked = pe
	}
	s.mu.Unlock()
	if late {
		logPanic(s.logCtx, s.log, s.requestID, pe, "goroutine panicked after its invocation was answered")
	}
}

// wait waits at most d for the goroutines started with Go to end.
func (s *invState) wait(d time.Duration) {
	s.mu.Lock()
	if s.running == 0 {
		s.mu.Unlock()
		return
	}
	idle := s.idle
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}

// finish marks the invocation as being answered and returns the first panic of its goroutines.
func (s *invState) finish() *panicError {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished = true
	return s.panicked
}

// Go runs fn in a new goroutine on behalf of the invocation whose context is ctx (the handler's context or
// one derived from it). If fn panics, the panic is recovered and that invocation fails with it (message,
// type and stack), even if its handler returned success; the process goes on serving.
//
// Go does not wait for fn: the handler must wait for the goroutines it starts (with a sync.WaitGroup or a
// channel) before it returns. After the handler returns, the runtime cancels the invocation's context and
// waits at most one second for goroutines started with Go to end before it answers; a panic after that
// only gets logged. If ctx carries no invocation, a panic in fn is recovered and logged with
// slog.Default().
func Go(ctx context.Context, fn func()) {
	st, _ := ctx.Value(stateKey{}).(*invState)
	if st != nil {
		st.add()
	}
	go func() {
		defer func() {
			var pe *panicError
			if v := recover(); v != nil {
				pe = newPanicError(v)
			}
			if st != nil {
				st.release(pe)
			} else if pe != nil {
				logPanic(ctx, slog.Default(), "", pe, "goroutine panicked outside an invocation")
			}
		}()
		fn()
	}()
}

// syncWriter serializes writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewSyncWriter returns a writer that passes each Write to w whole, one at a time, so that lines written by
// concurrent goroutines (slog records, the runtime's markers: one Write per line) never interleave. Give
// the same one to the slog handler and to Options.Stdout. A writer it returned is returned as is.
func NewSyncWriter(w io.Writer) io.Writer {
	if sw, ok := w.(*syncWriter); ok {
		return sw
	}
	return &syncWriter{w: w}
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

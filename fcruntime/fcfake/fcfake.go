// Package fcfake is a fake of Function Compute's go1 runtime API (version 2020-11-11) for tests: an
// httptest server on 127.0.0.1 whose /next hands out the invocations a test queues with Invoke, and which
// checks the runtime's answers the way the platform would and records every violation.
//
// A test points the runtime at Addr (the value of FC_RUNTIME_API), calls Invoke for each event and looks
// at the Response; at the end it fails on any Violations (NewTest does all of that).
package fcfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/fcruntime"
)

// The kinds of Response.
const (
	// KindResponse is a success, posted to /{id}/response.
	KindResponse = "response"
	// KindError is a failure, posted to /{id}/error.
	KindError = "error"
)

// Paths of the runtime API.
const (
	invocationPrefix = "/2020-11-11/runtime/invocation/"
	nextPath         = invocationPrefix + "next"
)

// DefaultTimeout is the function timeout of a Request that sets none.
const DefaultTimeout = 30 * time.Second

// maxAnswerBytes bounds the body of a /response or /error post.
const maxAnswerBytes = 64 << 20

// ErrClosed is returned by Invoke when the Runtime is closed before the invocation is answered.
var ErrClosed = errors.New("fcfake: runtime closed")

// Request is one invocation to hand out.
type Request struct {
	// Body is the event.
	Body []byte
	// RequestID is x-fc-request-id; a fresh one is made when it is empty.
	RequestID string
	// Timeout is the function's timeout: x-fc-function-timeout (whole seconds, rounded up) and
	// x-fc-function-deadline (now plus Timeout, in epoch milliseconds). Zero means DefaultTimeout.
	Timeout time.Duration
	// Kind sets x-fc-function-type for lifecycle hooks; Invoke sends none.
	Kind fcruntime.Kind
	// RetryCount is x-fc-retry-count.
	RetryCount int
	// Credentials are x-fc-access-key-id, x-fc-access-key-secret and x-fc-security-token, each sent when
	// not empty.
	Credentials fcruntime.Credentials
	// AccountID, Region and FunctionName are x-fc-account-id, x-fc-region and x-fc-function-name, each
	// sent when not empty.
	AccountID, Region, FunctionName string
	// Header adds or overrides headers of the /next answer; a header set to a single "" is removed (to send
	// no deadline, set x-fc-function-deadline to "").
	Header http.Header
}

// Response is the runtime's answer to one invocation.
type Response struct {
	// Kind is KindResponse or KindError.
	Kind string
	// Body is the posted body.
	Body []byte
	// Header holds the headers of the post.
	Header http.Header
	// Received is when the post arrived.
	Received time.Time
	// Deadline is the invocation's deadline as /next handed it out (x-fc-function-deadline); zero when
	// the request removed that header. A real platform has recorded a timeout for an answer received
	// after it.
	Deadline time.Time
}

// ErrorBody decodes the body of an error Response.
func (r Response) ErrorBody() (fcruntime.ErrorBody, error) {
	var e fcruntime.ErrorBody
	if r.Kind != KindError {
		return e, fmt.Errorf("fcfake: response is a %s, not an error: %s", r.Kind, r.Body)
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		return e, fmt.Errorf("fcfake: decode error body: %w", err)
	}
	return e, nil
}

// states of an invocation.
const (
	queued = iota
	delivered
	answered
)

// invocation is one Request on its way through the fake.
type invocation struct {
	id       string
	header   http.Header
	body     []byte
	state    int           // guarded by Runtime.mu
	done     chan Response // receives the answer once
	deadline time.Time     // x-fc-function-deadline as handed out; zero when removed
}

// Runtime is a fake go1 runtime API. Its methods are safe for concurrent use.
type Runtime struct {
	srv    *httptest.Server
	queue  chan *invocation
	closed chan struct{}
	once   sync.Once
	polled chan struct{} // closed at the first poll

	mu          sync.Mutex
	invocations map[string]*invocation
	violations  []string
	polls       int
	failPolls   int
	firstPoll   time.Time
	userAgent   string
}

// New starts a fake runtime API on 127.0.0.1. Close it when done.
func New() *Runtime {
	rt := &Runtime{
		queue:       make(chan *invocation, 1024),
		closed:      make(chan struct{}),
		polled:      make(chan struct{}),
		invocations: make(map[string]*invocation),
	}
	rt.srv = httptest.NewServer(http.HandlerFunc(rt.serveHTTP))
	return rt
}

// NewTest starts a fake runtime API that is closed when the test ends, and then fails the test for each
// violation it recorded.
func NewTest(t testing.TB) *Runtime {
	t.Helper()
	rt := New()
	t.Cleanup(func() {
		rt.Close()
		for _, v := range rt.Violations() {
			t.Errorf("fcfake: runtime API violation: %s", v)
		}
	})
	return rt
}

// Addr returns the fake's host:port, the value for FC_RUNTIME_API.
func (rt *Runtime) Addr() string { return strings.TrimPrefix(rt.srv.URL, "http://") }

// Close stops the fake: pending polls are answered 503 once, pending Invokes return ErrClosed, and the
// server shuts down. It is safe to call more than once.
func (rt *Runtime) Close() {
	rt.once.Do(func() {
		close(rt.closed)
		rt.srv.Close()
	})
}

// Violations returns what the runtime did that the platform would not accept, in order.
func (rt *Runtime) Violations() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.violations...)
}

// Polls returns how many /next requests arrived.
func (rt *Runtime) Polls() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.polls
}

// UserAgent returns the User-Agent of the latest /next request.
func (rt *Runtime) UserAgent() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.userAgent
}

// FirstPoll returns a channel that receives the time of the first /next request once it has arrived (at
// once if it already has), and is closed without a value if the fake closes first.
func (rt *Runtime) FirstPoll() <-chan time.Time {
	c := make(chan time.Time, 1)
	go func() {
		select {
		case <-rt.polled:
			rt.mu.Lock()
			c <- rt.firstPoll
			rt.mu.Unlock()
		case <-rt.closed:
			close(c)
		}
	}()
	return c
}

// FailPolls makes the next n /next requests fail with 500 Internal Server Error, to test the runtime's
// backoff. A real platform does not do this.
func (rt *Runtime) FailPolls(n int) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.failPolls = n
}

// Invoke queues req and waits for the runtime's answer, until ctx is done or the fake is closed. It
// returns an error only when there is no answer (or req cannot be queued): a failed invocation is a
// Response of KindError.
func (rt *Runtime) Invoke(ctx context.Context, req Request) (Response, error) {
	c, err := rt.Enqueue(req)
	if err != nil {
		return Response{}, err
	}
	return c.Wait(ctx)
}

// Call is an invocation queued with Enqueue.
type Call struct {
	// RequestID is the invocation's request id.
	RequestID string
	inv       *invocation
	rt        *Runtime
}

// Enqueue queues req for /next and returns at once; Wait for the answer. It fails when the request id is
// already in use, when the queue is full (1024 invocations not handed out yet) or when the fake is closed.
func (rt *Runtime) Enqueue(req Request) (*Call, error) {
	inv, err := rt.newInvocation(req)
	if err != nil {
		return nil, err
	}
	select {
	case <-rt.closed:
		return nil, ErrClosed
	default:
	}
	select {
	case rt.queue <- inv:
	default:
		return nil, fmt.Errorf("fcfake: queue invocation %s: queue full", inv.id)
	}
	return &Call{RequestID: inv.id, inv: inv, rt: rt}, nil
}

// Wait waits for the runtime's answer to the call, until ctx is done or the fake is closed.
func (c *Call) Wait(ctx context.Context) (Response, error) {
	select {
	case resp := <-c.inv.done:
		return resp, nil
	case <-ctx.Done():
		return Response{}, fmt.Errorf("fcfake: wait for invocation %s: %w", c.RequestID, ctx.Err())
	case <-c.rt.closed:
		return Response{}, ErrClosed
	}
}

// newInvocation registers req under its request id and builds the headers of its /next answer.
func (rt *Runtime) newInvocation(req Request) (*invocation, error) {
	id := req.RequestID
	if id == "" {
		id = newRequestID()
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	h := http.Header{}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("x-fc-request-id", id)
	h.Set("x-fc-function-deadline", strconv.FormatInt(time.Now().Add(timeout).UnixMilli(), 10))
	h.Set("x-fc-function-timeout", strconv.Itoa(int(math.Ceil(timeout.Seconds()))))
	h.Set("x-fc-retry-count", strconv.Itoa(req.RetryCount))
	switch req.Kind {
	case fcruntime.Initialize:
		h.Set("x-fc-function-type", "1")
	case fcruntime.PreStop:
		h.Set("x-fc-function-type", "2")
	case fcruntime.PreFreeze:
		h.Set("x-fc-function-type", "3")
	}
	for name, v := range map[string]string{
		"x-fc-access-key-id":     req.Credentials.AccessKeyID,
		"x-fc-access-key-secret": req.Credentials.AccessKeySecret,
		"x-fc-security-token":    req.Credentials.SecurityToken,
		"x-fc-account-id":        req.AccountID,
		"x-fc-region":            req.Region,
		"x-fc-function-name":     req.FunctionName,
	} {
		if v != "" {
			h.Set(name, v)
		}
	}
	for name, vs := range req.Header {
		if len(vs) == 0 || len(vs) == 1 && vs[0] == "" {
			h.Del(name)
		} else {
			h[http.CanonicalHeaderKey(name)] = append([]string(nil), vs...)
		}
	}

	inv := &invocation{id: id, header: h, body: req.Body, done: make(chan Response, 1)}
	if ms, err := strconv.ParseInt(h.Get("x-fc-function-deadline"), 10, 64); err == nil {
		inv.deadline = time.UnixMilli(ms)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if _, ok := rt.invocations[id]; ok {
		return nil, fmt.Errorf("fcfake: request id %q already used", id)
	}
	rt.invocations[id] = inv
	return inv, nil
}

// newRequestID returns a random request id in the platform's UUID-like shape.
func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	s := hex.EncodeToString(b)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// violate records a violation.
func (rt *Runtime) violate(format string, args ...any) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.violations = append(rt.violations, fmt.Sprintf(format, args...))
}

func (rt *Runtime) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case p == nextPath:
		rt.next(w, r)
	case strings.HasPrefix(p, invocationPrefix):
		rt.answer(w, r, strings.TrimPrefix(p, invocationPrefix))
	default:
		rt.violate("%s %s: no such runtime API path", r.Method, p)
		http.Error(w, "no such path", http.StatusNotFound)
	}
}

// next hands out the next queued invocation, blocking until there is one.
func (rt *Runtime) next(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	rt.polls++
	if rt.polls == 1 {
		rt.firstPoll = time.Now()
		close(rt.polled)
	}
	rt.userAgent = r.Header.Get("User-Agent")
	fail := rt.failPolls > 0
	if fail {
		rt.failPolls--
	}
	rt.mu.Unlock()

	if r.Method != http.MethodGet {
		rt.violate("%s %s: /next must be GET", r.Method, nextPath)
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if fail {
		http.Error(w, "failing as told by FailPolls", http.StatusInternalServerError)
		return
	}
	select {
	case inv := <-rt.queue:
		if r.Context().Err() != nil {
			// The poller went away: hand the invocation to the next one.
			select {
			case rt.queue <- inv:
			default:
				rt.violate("invocation %s lost: its poller went away and the queue is full", inv.id)
			}
			return
		}
		rt.mu.Lock()
		inv.state = delivered
		rt.mu.Unlock()
		for name, vs := range inv.header {
			w.Header()[name] = vs
		}
		w.WriteHeader(http.StatusOK)
		w.Write(inv.body) //nolint:errcheck // a lost poller shows as an unanswered Invoke
	case <-r.Context().Done():
	case <-rt.closed:
		http.Error(w, "runtime API closed", http.StatusServiceUnavailable)
	}
}

// answer takes a /{id}/response or /{id}/error post; rest is the path after the invocation prefix.
func (rt *Runtime) answer(w http.ResponseWriter, r *http.Request, rest string) {
	received := time.Now()
	where := r.Method + " " + invocationPrefix + rest
	slash := strings.LastIndex(rest, "/")
	if slash < 0 {
		rt.violate("%s: no such runtime API path", where)
		http.Error(w, "no such path", http.StatusNotFound)
		return
	}
	escapedID, kind := rest[:slash], rest[slash+1:]
	if kind != KindResponse && kind != KindError {
		rt.violate("%s: no such runtime API path (want /{requestId}/response or /{requestId}/error)", where)
		http.Error(w, "no such path", http.StatusNotFound)
		return
	}
	id, err := url.PathUnescape(escapedID)
	if err != nil || strings.Contains(escapedID, "/") || r.URL.RawQuery != "" {
		rt.violate("%s: the request id is not path-escaped", where+queryOf(r))
		http.Error(w, "bad request id", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		rt.violate("%s: answers must be POST", where)
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		rt.violate("%s: Content-Type is %q, want application/json", where, r.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAnswerBytes))
	if err != nil {
		rt.violate("%s: cannot read the body: %v", where, err)
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if kind == KindError {
		if problem := checkErrorBody(body); problem != "" {
			rt.violate("%s: %s: %s", where, problem, body)
		}
	}

	rt.mu.Lock()
	inv := rt.invocations[id]
	status, problem := http.StatusOK, ""
	switch {
	case inv == nil:
		status, problem = http.StatusNotFound, "unknown request id"
	case inv.state == queued:
		status, problem = http.StatusNotFound, "request id not handed out yet"
	case inv.state == answered:
		status, problem = http.StatusConflict, "invocation already answered"
	default:
		inv.state = answered
	}
	rt.mu.Unlock()
	if problem != "" {
		rt.violate("%s: %s", where, problem)
		http.Error(w, problem, status)
		return
	}
	inv.done <- Response{Kind: kind, Body: body, Header: r.Header.Clone(), Received: received, Deadline: inv.deadline}
	w.WriteHeader(http.StatusOK)
}

func queryOf(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return "?" + r.URL.RawQuery
}

// checkErrorBody says what is wrong with an /error body, or "" when nothing is: it must be a JSON object
// with string errorMessage and errorType, and stackTrace, if present, an array of {path, line, label}.
func checkErrorBody(body []byte) string {
	var e map[string]json.RawMessage
	if err := json.Unmarshal(body, &e); err != nil || e == nil {
		return "error body is not a JSON object"
	}
	for _, f := range []string{"errorMessage", "errorType"} {
		var s string
		if raw, ok := e[f]; !ok {
			return "error body has no " + f
		} else if err := json.Unmarshal(raw, &s); err != nil || string(raw) == "null" {
			return "error body's " + f + " is not a string"
		}
	}
	raw, ok := e["stackTrace"]
	if !ok {
		return ""
	}
	var frames []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &frames); err != nil || frames == nil {
		return "error body's stackTrace is not an array of objects"
	}
	for i, f := range frames {
		var s string
		var n int
		if json.Unmarshal(f["path"], &s) != nil || json.Unmarshal(f["label"], &s) != nil || json.Unmarshal(f["line"], &n) != nil ||
			string(f["path"]) == "null" || string(f["label"]) == "null" || string(f["line"]) == "null" {
			return fmt.Sprintf("error body's stackTrace[%d] is not {path: string, line: int, label: string}", i)
		}
	}
	return ""
}

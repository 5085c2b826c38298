package fcfake_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
)

const base = "/2020-11-11/runtime/invocation/"

// client talks to the fake by hand, as a runtime would.
type client struct {
	t  *testing.T
	rt *fcfake.Runtime
	hc *http.Client
}

func newClient(t *testing.T, rt *fcfake.Runtime) *client {
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	return &client{t: t, rt: rt, hc: hc}
}

func (c *client) do(method, path, contentType, body string) (int, http.Header, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, "http://"+c.rt.Addr()+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// start queues req and returns a channel with Invoke's outcome.
func start(t *testing.T, rt *fcfake.Runtime, req fcfake.Request) <-chan fcfake.Response {
	c := make(chan fcfake.Response, 1)
	go func() {
		resp, err := rt.Invoke(t.Context(), req)
		if err != nil {
			t.Errorf("Invoke(%s) error: %v", req.RequestID, err)
		}
		c <- resp
	}()
	return c
}

func TestNextHeaders(t *testing.T) {
	rt := fcfake.NewTest(t)
	c := newClient(t, rt)
	before := time.Now()
	answer := start(t, rt, fcfake.Request{
		RequestID:    "req-1",
		Body:         []byte(`{"a":1}`),
		Timeout:      1500 * time.Millisecond,
		Kind:         fcruntime.Initialize,
		RetryCount:   3,
		Credentials:  fcruntime.Credentials{AccessKeyID: "id", AccessKeySecret: "secret", SecurityToken: "token"},
		AccountID:    "123",
		Region:       "cn-beijing",
		FunctionName: "fn",
		Header:       http.Header{"x-fc-region": {""}, "X-Fc-Function-Memory": {"128"}},
	})
	status, h, body := c.do(http.MethodGet, base+"next", "", "")
	after := time.Now()
	if status != 200 || body != `{"a":1}` {
		t.Fatalf("GET next = %d %q, want 200 with the body", status, body)
	}
	got := map[string]string{}
	for _, k := range []string{"x-fc-request-id", "x-fc-function-timeout", "x-fc-function-type", "x-fc-retry-count",
		"x-fc-access-key-id", "x-fc-access-key-secret", "x-fc-security-token", "x-fc-account-id", "x-fc-region",
		"x-fc-function-name", "x-fc-function-memory"} {
		got[k] = h.Get(k)
	}
	want := map[string]string{
		"x-fc-request-id": "req-1", "x-fc-function-timeout": "2", "x-fc-function-type": "1", "x-fc-retry-count": "3",
		"x-fc-access-key-id": "id", "x-fc-access-key-secret": "secret", "x-fc-security-token": "token",
		"x-fc-account-id": "123", "x-fc-region": "", "x-fc-function-name": "fn", "x-fc-function-memory": "128",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/next headers mismatch (-want +got):\n%s", diff)
	}
	ms, err := strconv.ParseInt(h.Get("x-fc-function-deadline"), 10, 64)
	if dl := time.UnixMilli(ms); err != nil || dl.Before(before.Add(1499*time.Millisecond)) || dl.After(after.Add(1500*time.Millisecond)) {
		t.Errorf("x-fc-function-deadline = %q, want now + 1.5 s in epoch ms", h.Get("x-fc-function-deadline"))
	}
	posted := time.Now()
	if status, _, _ := c.do(http.MethodPost, base+"req-1/response", "application/json", ""); status != 200 {
		t.Errorf("POST response = %d, want 200", status)
	}
	resp := <-answer
	if resp.Kind != fcfake.KindResponse || len(resp.Body) != 0 {
		t.Errorf("Invoke() = %s %q, want an empty response", resp.Kind, resp.Body)
	}
	if !resp.Deadline.Equal(time.UnixMilli(ms)) || resp.Received.Before(posted) || resp.Received.After(time.Now()) {
		t.Errorf("Response deadline, received = %v, %v; want %v and the time of the post", resp.Deadline, resp.Received, time.UnixMilli(ms))
	}
}

func TestGeneratedRequestIDs(t *testing.T) {
	rt := fcfake.NewTest(t)
	c := newClient(t, rt)
	seen := map[string]bool{}
	for range 3 {
		answer := start(t, rt, fcfake.Request{})
		_, h, _ := c.do(http.MethodGet, base+"next", "", "")
		id := h.Get("x-fc-request-id")
		if id == "" || seen[id] {
			t.Errorf("request id %q: want a fresh one", id)
		}
		seen[id] = true
		c.do(http.MethodPost, base+url.PathEscape(id)+"/response", "application/json", "null")
		// Invoke's outcome, before the test ends and cancels its context under it.
		<-answer
	}
	if _, err := rt.Invoke(t.Context(), fcfake.Request{RequestID: func() string {
		for id := range seen {
			return id
		}
		return ""
	}()}); err == nil {
		t.Error("Invoke() with a used request id = nil error, want one")
	}
}

func TestViolations(t *testing.T) {
	const goodError = `{"errorMessage":"m","errorType":"t","stackTrace":[{"path":"p.go","line":1,"label":"f"}]}`
	tests := []struct {
		name        string
		method      string
		path        string // %s is the escaped request id
		contentType string
		body        string
		deliver     bool // whether /next hands the invocation out first
		wantStatus  int
		want        string // the violation, "" for none
	}{
		{name: "good response", method: "POST", path: base + "%s/response", contentType: "application/json", body: "null", deliver: true, wantStatus: 200},
		{name: "good error", method: "POST", path: base + "%s/error", contentType: "application/json; charset=utf-8", body: goodError, deliver: true, wantStatus: 200},
		{name: "next not GET", method: "POST", path: base + "next", wantStatus: 405, want: "POST /2020-11-11/runtime/invocation/next: /next must be GET"},
		{name: "wrong version", method: "GET", path: "/2018-01-01/runtime/invocation/next", wantStatus: 404, want: "GET /2018-01-01/runtime/invocation/next: no such runtime API path"},
		{name: "answer not POST", method: "PUT", path: base + "%s/response", contentType: "application/json", deliver: true, wantStatus: 405, want: "PUT " + base + "a%2Fb%20c/response: answers must be POST"},
		{name: "no content type", method: "POST", path: base + "%s/response", body: "null", deliver: true, wantStatus: 200, want: `POST ` + base + `a%2Fb%20c/response: Content-Type is "", want application/json`},
		{name: "unknown id", method: "POST", path: base + "other/response", contentType: "application/json", deliver: true, wantStatus: 404, want: "POST " + base + "other/response: unknown request id"},
		{name: "not handed out", method: "POST", path: base + "%s/response", contentType: "application/json", wantStatus: 404, want: "POST " + base + "a%2Fb%20c/response: request id not handed out yet"},
		{name: "id not escaped", method: "POST", path: base + "a/b c/response", contentType: "application/json", deliver: true, wantStatus: 404, want: "POST " + base + "a/b%20c/response: the request id is not path-escaped"},
		{name: "bad answer kind", method: "POST", path: base + "%s/result", contentType: "application/json", deliver: true, wantStatus: 404, want: "POST " + base + "a%2Fb%20c/result: no such runtime API path (want /{requestId}/response or /{requestId}/error)"},
		{name: "error not an object", method: "POST", path: base + "%s/error", contentType: "application/json", body: `"boom"`, deliver: true, wantStatus: 200, want: `POST ` + base + `a%2Fb%20c/error: error body is not a JSON object: "boom"`},
		{name: "error without type", method: "POST", path: base + "%s/error", contentType: "application/json", body: `{"errorMessage":"m"}`, deliver: true, wantStatus: 200, want: `POST ` + base + `a%2Fb%20c/error: error body has no errorType: {"errorMessage":"m"}`},
		{name: "error message not a string", method: "POST", path: base + "%s/error", contentType: "application/json", body: `{"errorMessage":1,"errorType":"t"}`, deliver: true, wantStatus: 200, want: `POST ` + base + `a%2Fb%20c/error: error body's errorMessage is not a string: {"errorMessage":1,"errorType":"t"}`},
		{name: "stack not an array", method: "POST", path: base + "%s/error", contentType: "application/json", body: `{"errorMessage":"m","errorType":"t","stackTrace":"x"}`, deliver: true, wantStatus: 200, want: `POST ` + base + `a%2Fb%20c/error: error body's stackTrace is not an array of objects: {"errorMessage":"m","errorType":"t","stackTrace":"x"}`},
		{name: "bad frame", method: "POST", path: base + "%s/error", contentType: "application/json", body: `{"errorMessage":"m","errorType":"t","stackTrace":[{"path":"p","line":"1","label":"f"}]}`, deliver: true, wantStatus: 200, want: `POST ` + base + `a%2Fb%20c/error: error body's stackTrace[0] is not {path: string, line: int, label: string}: {"errorMessage":"m","errorType":"t","stackTrace":[{"path":"p","line":"1","label":"f"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := fcfake.New()
			defer rt.Close()
			c := newClient(t, rt)
			if _, err := rt.Enqueue(fcfake.Request{RequestID: "a/b c"}); err != nil {
				t.Fatal(err)
			}
			if tt.deliver {
				if status, _, _ := c.do(http.MethodGet, base+"next", "", ""); status != 200 {
					t.Fatalf("GET next = %d, want 200", status)
				}
			}
			path := strings.ReplaceAll(tt.path, "%s", url.PathEscape("a/b c"))
			if status, _, _ := c.do(tt.method, path, tt.contentType, tt.body); status != tt.wantStatus {
				t.Errorf("%s %s = %d, want %d", tt.method, path, status, tt.wantStatus)
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, rt.Violations()); diff != "" {
				t.Errorf("Violations() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnsweredTwice(t *testing.T) {
	rt := fcfake.New()
	defer rt.Close()
	c := newClient(t, rt)
	answer := start(t, rt, fcfake.Request{RequestID: "r"})
	c.do(http.MethodGet, base+"next", "", "")
	if status, _, _ := c.do(http.MethodPost, base+"r/error", "application/json", `{"errorMessage":"m","errorType":"t"}`); status != 200 {
		t.Errorf("first answer = %d, want 200", status)
	}
	if status, _, _ := c.do(http.MethodPost, base+"r/response", "application/json", `null`); status != 409 {
		t.Errorf("second answer = %d, want 409", status)
	}
	resp := <-answer
	e, err := resp.ErrorBody()
	if diff := cmp.Diff(fcruntime.ErrorBody{ErrorMessage: "m", ErrorType: "t"}, e); err != nil || diff != "" {
		t.Errorf("ErrorBody() error %v, mismatch (-want +got):\n%s", err, diff)
	}
	want := []string{"POST " + base + "r/response: invocation already answered"}
	if diff := cmp.Diff(want, rt.Violations()); diff != "" {
		t.Errorf("Violations() mismatch (-want +got):\n%s", diff)
	}
}

func TestErrorBodyOfResponse(t *testing.T) {
	if _, err := (fcfake.Response{Kind: fcfake.KindResponse, Body: []byte("null")}).ErrorBody(); err == nil {
		t.Error("ErrorBody() of a success = nil error, want one")
	}
}

func TestFailPollsAndCounts(t *testing.T) {
	rt := fcfake.NewTest(t)
	c := newClient(t, rt)
	first := rt.FirstPoll()
	rt.FailPolls(2)
	for i := range 2 {
		if status, _, _ := c.do(http.MethodGet, base+"next", "", ""); status != 500 {
			t.Errorf("poll %d = %d, want 500", i, status)
		}
	}
	if n := rt.Polls(); n != 2 {
		t.Errorf("Polls() = %d, want 2", n)
	}
	if tm, ok := <-first; !ok || tm.IsZero() {
		t.Errorf("FirstPoll() = %v, %v, want the first poll's time", tm, ok)
	}
	if tm := <-rt.FirstPoll(); tm.IsZero() {
		t.Error("FirstPoll() after the first poll gave no time")
	}
}

func TestClose(t *testing.T) {
	never := fcfake.New()
	neverPolled := never.FirstPoll()
	never.Close()
	if tm, ok := <-neverPolled; ok {
		t.Errorf("FirstPoll() of a fake never polled = %v, want closed", tm)
	}

	rt := fcfake.New()
	c := newClient(t, rt)
	polled := make(chan int, 1)
	// A poll that blocks, and an Invoke that waits for an answer that never comes.
	invoked := make(chan error, 1)
	go func() {
		_, err := rt.Invoke(t.Context(), fcfake.Request{RequestID: "pending"})
		invoked <- err
	}()
	if status, _, _ := c.do(http.MethodGet, base+"next", "", ""); status != 200 {
		t.Fatalf("GET next = %d, want 200", status)
	}
	go func() {
		status, _, _ := c.do(http.MethodGet, base+"next", "", "")
		polled <- status
	}()
	for rt.Polls() < 2 {
		time.Sleep(time.Millisecond)
	}
	rt.Close()
	rt.Close()
	if status := <-polled; status != http.StatusServiceUnavailable {
		t.Errorf("blocked poll after Close = %d, want 503", status)
	}
	if err := <-invoked; !errors.Is(err, fcfake.ErrClosed) {
		t.Errorf("Invoke() after Close = %v, want ErrClosed", err)
	}
	if _, err := rt.Invoke(t.Context(), fcfake.Request{}); !errors.Is(err, fcfake.ErrClosed) {
		t.Errorf("Invoke() on a closed fake = %v, want ErrClosed", err)
	}
}

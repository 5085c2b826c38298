package fcruntime_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/fcruntime"
)

// custom is a custom runtime under test.
type custom struct {
	srv    *httptest.Server
	stdout *lockedBuffer
	logs   *lockedBuffer
}

func startCustom(t *testing.T, h fcruntime.Handler, opts fcruntime.Options) *custom {
	t.Helper()
	c := &custom{stdout: &lockedBuffer{}, logs: &lockedBuffer{}}
	opts.Stdout = c.stdout
	if opts.Logger == nil {
		opts.Logger = newLogger(c.logs)
	}
	c.srv = httptest.NewServer(fcruntime.NewHTTPHandler(h, opts))
	t.Cleanup(func() {
		c.srv.Close()
		for _, out := range []string{c.stdout.String(), c.logs.String()} {
			if strings.Contains(out, testSecret) || strings.Contains(out, testToken) {
				t.Errorf("output holds a secret:\n%s", out)
			}
		}
	})
	return c
}

// newLogger returns a JSON logger writing to w.
func newLogger(w *lockedBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

// answer is what the custom runtime answered.
type answer struct {
	Status      int
	FCStatus    string
	ContentType string
	Body        string
}

func (c *custom) do(t *testing.T, method, path string, header http.Header, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{Status: resp.StatusCode, FCStatus: resp.Header.Get("x-fc-status"), ContentType: resp.Header.Get("Content-Type"), Body: string(b)}
}

func TestServeInvoke(t *testing.T) {
	handler := func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		switch string(event) {
		case "fail with result":
			return []byte(`{"usersChecked":0}`), errors.New("no user could be read")
		case "fail":
			return nil, errors.New("bad event: unknown field \"x\"")
		case "nil":
			return nil, nil
		}
		return []byte(`{"echo":` + strconv.Quote(string(event)) + `}`), nil
	}
	tests := []struct {
		name  string
		event string
		want  answer
	}{
		{name: "success", event: "hello", want: answer{Status: 200, FCStatus: "200", ContentType: "application/json", Body: `{"echo":"hello"}`}},
		{name: "nil result", event: "nil", want: answer{Status: 200, FCStatus: "200", ContentType: "application/json", Body: `null`}},
		{name: "failure with a result", event: "fail with result", want: answer{Status: 404, FCStatus: "404", ContentType: "application/json", Body: `{"usersChecked":0}`}},
		{name: "failure without a result", event: "fail", want: answer{Status: 404, FCStatus: "404", ContentType: "application/json", Body: `{"errorMessage":"bad event: unknown field \"x\"","errorType":"errorString"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startCustom(t, handler, fcruntime.Options{})
			got := c.do(t, http.MethodPost, "/invoke", http.Header{"X-Fc-Request-Id": {"req-c"}}, tt.event)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("POST /invoke mismatch (-want +got):\n%s", diff)
			}
			end := "FC Invoke End RequestId: req-c"
			if tt.want.Status != 200 {
				end += ", Error: Unhandled function error"
			}
			if want := "FC Invoke Start RequestId: req-c\n" + end + "\n"; c.stdout.String() != want {
				t.Errorf("stdout = %q, want %q", c.stdout, want)
			}
		})
	}
}

func TestServePanic(t *testing.T) {
	c := startCustom(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		if string(event) == "go" {
			done := make(chan struct{})
			fcruntime.Go(ctx, func() {
				defer close(done)
				panic("in a goroutine")
			})
			<-done
			return []byte(`{"ok":true}`), nil
		}
		panic("in the handler")
	}, fcruntime.Options{})
	for _, tt := range []struct{ event, want string }{{"handler", "in the handler"}, {"go", "in a goroutine"}} {
		got := c.do(t, http.MethodPost, "/invoke", nil, tt.event)
		if got.Status != 404 || got.FCStatus != "404" {
			t.Errorf("POST /invoke panicking %s = %d, x-fc-status %q, want 404", tt.event, got.Status, got.FCStatus)
		}
		var e fcruntime.ErrorBody
		if err := json.Unmarshal([]byte(got.Body), &e); err != nil {
			t.Fatalf("body %s: %v", got.Body, err)
		}
		if e.ErrorMessage != tt.want || e.ErrorType != "string" || len(e.StackTrace) == 0 {
			t.Errorf("body = %s, want %q of type string with a stack trace", got.Body, tt.want)
		}
	}
	// Still serving.
	if got := c.do(t, http.MethodGet, "/pre-stop", nil, ""); got.Status != 200 {
		t.Errorf("GET /pre-stop after panics = %d, want 200", got.Status)
	}
}

func TestServeInvocationFacts(t *testing.T) {
	got := make(chan fcruntime.Invocation, 1)
	c := startCustom(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		if dl, ok := ctx.Deadline(); !ok || !dl.Equal(inv.Deadline) {
			t.Errorf("ctx.Deadline() = %v, %v, want %v", dl, ok, inv.Deadline)
		}
		got <- inv
		return nil, nil
	}, fcruntime.Options{DefaultTimeout: 7 * time.Minute})
	deadline := time.UnixMilli(1796029200123).UTC()
	creds := http.Header{
		"X-Fc-Access-Key-Id":     {"STS.id"},
		"X-Fc-Access-Key-Secret": {testSecret},
		"X-Fc-Security-Token":    {testToken},
		"X-Fc-Account-Id":        {"1234567890123456"},
		"X-Fc-Region":            {"cn-shanghai"},
		"X-Fc-Function-Name":     {"ak-recycle-alert"},
		"X-Fc-Retry-Count":       {"1"},
		"X-Fc-Request-Id":        {"req-facts"},
	}
	tests := []struct {
		name   string
		header http.Header
		min    time.Duration // the deadline is at least now plus min
		max    time.Duration // and at most now plus max; both zero: exactly deadline
	}{
		{name: "deadline header", header: http.Header{"X-Fc-Function-Deadline": {"1796029200123"}, "X-Fc-Function-Timeout": {"5"}}},
		{name: "timeout header", header: http.Header{"X-Fc-Function-Timeout": {"300"}}, min: 300 * time.Second, max: 301 * time.Second},
		{name: "default timeout", header: http.Header{}, min: 7 * time.Minute, max: 7*time.Minute + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := creds.Clone()
			for k, v := range tt.header {
				h[k] = v
			}
			before := time.Now()
			c.do(t, http.MethodPost, "/invoke", h, "{}")
			inv := <-got
			want := fcruntime.Invocation{
				RequestID:    "req-facts",
				Credentials:  fcruntime.Credentials{AccessKeyID: "STS.id", AccessKeySecret: testSecret, SecurityToken: testToken},
				AccountID:    "1234567890123456",
				Region:       "cn-shanghai",
				FunctionName: "ak-recycle-alert",
				RetryCount:   1,
				Deadline:     deadline,
			}
			if tt.max != 0 {
				if inv.Deadline.Before(before.Add(tt.min)) || inv.Deadline.After(time.Now().Add(tt.max)) {
					t.Errorf("Deadline = %v, want now + %v", inv.Deadline, tt.min)
				}
				want.Deadline = inv.Deadline
			}
			if diff := cmp.Diff(want, inv); diff != "" {
				t.Errorf("handler's Invocation mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServeBadHeader(t *testing.T) {
	c := startCustom(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		t.Errorf("handler called with a bad header")
		return nil, nil
	}, fcruntime.Options{})
	got := c.do(t, http.MethodPost, "/invoke", http.Header{"X-Fc-Function-Deadline": {"tomorrow"}, "X-Fc-Security-Token": {testToken}}, "{}")
	want := answer{Status: 404, FCStatus: "404", ContentType: "application/json",
		Body: `{"errorMessage":"header x-fc-function-deadline: \"tomorrow\" is not a time in epoch milliseconds","errorType":"Runtime.InvalidHeader"}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("POST /invoke mismatch (-want +got):\n%s", diff)
	}
	// Hooks succeed whatever their headers.
	if got := c.do(t, http.MethodPost, "/initialize", http.Header{"X-Fc-Function-Deadline": {"tomorrow"}}, ""); got.Status != 200 {
		t.Errorf("POST /initialize with a bad deadline = %d, want 200", got.Status)
	}
}

func TestServeHooks(t *testing.T) {
	tests := []struct {
		method, path, marker string
		kind                 fcruntime.Kind
	}{
		{method: http.MethodPost, path: "/initialize", marker: "Initialize", kind: fcruntime.Initialize},
		{method: http.MethodGet, path: "/pre-stop", marker: "PreStop", kind: fcruntime.PreStop},
		{method: http.MethodGet, path: "/pre-freeze", marker: "PreFreeze", kind: fcruntime.PreFreeze},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			hooks := make(chan fcruntime.Kind, 1)
			c := startCustom(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
				t.Errorf("handler called for %s", tt.path)
				return nil, errors.New("no")
			}, fcruntime.Options{OnHook: func(ctx context.Context, inv fcruntime.Invocation) {
				hooks <- inv.Kind
				panic("hooks always succeed")
			}})
			got := c.do(t, tt.method, tt.path, http.Header{"X-Fc-Request-Id": {"req-h"}}, "")
			if got.Status != 200 {
				t.Errorf("%s %s = %d %s, want 200", tt.method, tt.path, got.Status, got.Body)
			}
			if k := <-hooks; k != tt.kind {
				t.Errorf("OnHook got %v, want %v", k, tt.kind)
			}
			want := "FC " + tt.marker + " Start RequestId: req-h\nFC " + tt.marker + " End RequestId: req-h\n"
			if c.stdout.String() != want {
				t.Errorf("stdout = %q, want %q", c.stdout, want)
			}
		})
	}
}

func TestServeRouting(t *testing.T) {
	c := startCustom(t, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		t.Errorf("handler called")
		return nil, nil
	}, fcruntime.Options{})
	tests := []struct {
		method, path string
		status       int
		errorType    string
	}{
		{method: http.MethodGet, path: "/invoke", status: 405, errorType: "MethodNotAllowed"},
		{method: http.MethodPost, path: "/pre-stop", status: 405, errorType: "MethodNotAllowed"},
		{method: http.MethodGet, path: "/initialize", status: 405, errorType: "MethodNotAllowed"},
		{method: http.MethodPost, path: "/", status: 404, errorType: "NotFound"},
		{method: http.MethodPost, path: "/2023-03-30/functions/function/invocations", status: 404, errorType: "NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got := c.do(t, tt.method, tt.path, nil, "")
			var e fcruntime.ErrorBody
			if err := json.Unmarshal([]byte(got.Body), &e); err != nil || got.Status != tt.status || e.ErrorType != tt.errorType || e.ErrorMessage == "" {
				t.Errorf("%s %s = %d %s, want %d with errorType %s", tt.method, tt.path, got.Status, got.Body, tt.status, tt.errorType)
			}
		})
	}
}

func TestServeListenerShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- fcruntime.ServeListener(ctx, ln, func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
			return []byte(`"up"`), nil
		}, fcruntime.Options{Stdout: &lockedBuffer{}, Logger: slog.New(slog.DiscardHandler)})
	}()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+ln.Addr().String()+"/invoke", strings.NewReader("{}"))
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `"up"` {
		t.Errorf("POST /invoke = %d %s, want 200 \"up\"", resp.StatusCode, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeListener() = %v, want nil after cancel", err)
	}
}

// TestServePaths: a path of Options.Paths goes to its handler, between the FC Invoke markers, with the
// invocation's facts readable from its headers; /invoke is served as before.
func TestServePaths(t *testing.T) {
	var got fcruntime.Invocation
	paths := map[string]http.Handler{"/slack/actions": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = fcruntime.InvocationOf(r.Header)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "Unauthorized")
	})}
	c := startCustom(t, func(context.Context, fcruntime.Invocation, []byte) ([]byte, error) { return []byte(`{}`), nil },
		fcruntime.Options{Paths: paths})
	h := http.Header{"X-Fc-Request-Id": {"req-p"}, "X-Fc-Account-Id": {"1234567890123456"},
		"X-Fc-Access-Key-Id": {"STS.key"}, "X-Fc-Access-Key-Secret": {testSecret}, "X-Fc-Security-Token": {testToken}}
	if a := c.do(t, http.MethodPost, "/slack/actions", h, "payload=x"); a.Status != http.StatusUnauthorized || a.Body != "Unauthorized" || a.ContentType != "text/plain" {
		t.Errorf("POST /slack/actions = %+v, want the path's own 401", a)
	}
	want := fcruntime.Credentials{AccessKeyID: "STS.key", AccessKeySecret: testSecret, SecurityToken: testToken}
	if got.RequestID != "req-p" || got.AccountID != "1234567890123456" || got.Credentials != want {
		t.Errorf("InvocationOf() = request %q, account %q, credentials %v; want the headers'", got.RequestID, got.AccountID, got.Credentials == want)
	}
	if want := "FC Invoke Start RequestId: req-p\nFC Invoke End RequestId: req-p\n"; c.stdout.String() != want {
		t.Errorf("stdout = %q, want %q", c.stdout, want)
	}
	if a := c.do(t, http.MethodPost, "/invoke", nil, "{}"); a.Status != http.StatusOK {
		t.Errorf("POST /invoke = %+v, want 200", a)
	}
	if a := c.do(t, http.MethodPost, "/other", nil, ""); a.Status != http.StatusNotFound {
		t.Errorf("POST /other = %+v, want 404", a)
	}
}

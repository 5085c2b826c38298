package notify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// answer is one canned reply of a fakeServer.
type answer struct {
	status int
	header map[string]string
	body   string
}

// fakeServer answers with its answers in turn, repeating the last one, and records each request.
type fakeServer struct {
	*httptest.Server
	mu       sync.Mutex
	answers  []answer
	requests []recorded
}

// recorded is one request a fakeServer received.
type recorded struct {
	path   string
	query  string
	header http.Header
	body   []byte
}

// newFakeServer starts a loopback server that replies with answers (200 "ok" when none).
func newFakeServer(t *testing.T, answers ...answer) *fakeServer {
	t.Helper()
	if len(answers) == 0 {
		answers = []answer{{status: 200, body: "ok"}}
	}
	f := &fakeServer{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		i := min(len(f.requests), len(f.answers)-1)
		f.requests = append(f.requests, recorded{path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body})
		a := f.answers[i]
		f.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(f.Close)
	return f
}

// hits is how many requests the server received.
func (f *fakeServer) hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// request returns the i-th request received.
func (f *fakeServer) request(i int) recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[i]
}

// closedURL is a loopback URL with path and query where nothing listens (connection refused).
func closedURL(t *testing.T, pathAndQuery string) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL + pathAndQuery
	s.Close()
	return u
}

// noWait makes p's waits instant, recording them in *waits, with no jitter.
func noWait(p *poster, waits *[]time.Duration) {
	var mu sync.Mutex
	p.jitter = func() float64 { return 1 }
	p.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
}

func testClient() *http.Client { return &http.Client{Timeout: 5 * time.Second} }

func TestPostRetries(t *testing.T) {
	retryDate := time.Date(2026, 11, 30, 9, 0, 7, 0, time.UTC)
	serverDate := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		answers      []answer
		wantHits     int
		wantErr      string // substring; "" means success
		wantPerm     bool
		wantMinWaits []time.Duration
	}{
		{"ok", []answer{{status: 204}}, 1, "", false, nil},
		{"429 retry-after then ok", []answer{{status: 429, header: map[string]string{"Retry-After": "5"}}, {status: 200}}, 2, "", false,
			[]time.Duration{5 * time.Second}},
		{"429 retry-after date", []answer{{status: 429, header: map[string]string{
			"Retry-After": retryDate.Format(http.TimeFormat), "Date": serverDate.Format(http.TimeFormat)}}, {status: 200}}, 2, "", false,
			[]time.Duration{7 * time.Second}},
		{"503 twice then ok", []answer{{status: 503}, {status: 503}, {status: 200}}, 3, "", false,
			[]time.Duration{time.Second, 2 * time.Second}},
		{"500 three times", []answer{{status: 500, body: "<html>oops</html>"}}, 3,
			"test: gave up after 3 attempts: HTTP 500 Internal Server Error", false, nil},
		{"400 permanent", []answer{{status: 400, body: "invalid_payload"}}, 1,
			"test: HTTP 400 Bad Request: invalid_payload (permanent, 1 attempt)", true, nil},
		{"404 permanent", []answer{{status: 404, body: "no_service"}}, 1, "HTTP 404 Not Found: no_service (permanent, 1 attempt)", true, nil},
		{"302 permanent", []answer{{status: 302, header: map[string]string{"Location": "/elsewhere"}}}, 1, "HTTP 302 Found", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.answers...)
			var waits []time.Duration
			client := testClient()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			p := &poster{name: "test", client: client}
			noWait(p, &waits)
			err := p.post(t.Context(), func(ctx context.Context, _ time.Time) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hook", strings.NewReader("{}"))
			}, nil)
			if got := srv.hits(); got != tt.wantHits {
				t.Errorf("hits = %d, want %d", got, tt.wantHits)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("post() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("post() = %v, want %q", err, tt.wantErr)
			}
			if err != nil && IsPermanent(err) != tt.wantPerm {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), tt.wantPerm)
			}
			for i, w := range tt.wantMinWaits {
				if i >= len(waits) || waits[i] < w {
					t.Errorf("waits = %v, want at least %v at %d", waits, w, i)
				}
			}
		})
	}
}

func TestPostConnectionRefused(t *testing.T) {
	u := closedURL(t, "/services/T000/B000/SECRETSECRETSECRETSECRET?token=qwertyuiop")
	var waits []time.Duration
	p := &poster{name: "test", client: testClient(), secrets: urlSecrets(u)}
	noWait(p, &waits)
	err := p.post(t.Context(), func(ctx context.Context, _ time.Time) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader("{}"))
	}, nil)
	var d *DeliveryError
	if !errors.As(err, &d) || d.Attempts != 3 || !d.Retryable {
		t.Fatalf("post() = %#v, want a retryable DeliveryError after 3 attempts", err)
	}
	if len(waits) != 2 {
		t.Errorf("waits = %v, want 2", waits)
	}
	for _, bad := range []string{"SECRET", "qwertyuiop", "/services", "\n"} {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("post() = %q, contains %q", err, bad)
		}
	}
}

func TestPostDeadline(t *testing.T) {
	tests := []struct {
		name     string
		answers  []answer
		timeout  time.Duration
		wantHits int
		wantErr  string
	}{
		{"retry-after past deadline", []answer{{status: 429, header: map[string]string{"Retry-After": "60"}}}, 10 * time.Second, 1,
			"would pass the deadline"},
		{"backoff past deadline", []answer{{status: 502}}, 500 * time.Millisecond, 1, "would pass the deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.answers...)
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			var waits []time.Duration
			p := &poster{name: "test", client: testClient()}
			noWait(p, &waits)
			err := p.post(ctx, func(ctx context.Context, _ time.Time) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
			}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("post() = %v, want %q", err, tt.wantErr)
			}
			if got := srv.hits(); got != tt.wantHits {
				t.Errorf("hits = %d, want %d", got, tt.wantHits)
			}
			if len(waits) != 0 {
				t.Errorf("waits = %v, want none", waits)
			}
		})
	}
}

func TestPostRealSleepHonoursCancel(t *testing.T) {
	srv := newFakeServer(t, answer{status: 500})
	ctx, cancel := context.WithCancel(t.Context())
	p := &poster{name: "test", client: testClient(), now: time.Now}
	p.jitter = func() float64 { return 1 }
	go func() {
		for srv.hits() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := p.post(ctx, func(ctx context.Context, _ time.Time) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
	}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("post() = %v, want context.Canceled in it", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-90 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

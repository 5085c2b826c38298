package notify_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/notify"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

func TestPostRetries(t *testing.T) {
	retryDate := time.Date(2026, 11, 30, 9, 0, 7, 0, time.UTC)
	serverDate := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		answers      []nt.Answer
		wantHits     int
		wantErr      string // substring; "" means success
		wantPerm     bool
		wantMinWaits []time.Duration
	}{
		{"ok", []nt.Answer{{Status: 204}}, 1, "", false, nil},
		{"429 retry-after then ok", []nt.Answer{{Status: 429, Header: map[string]string{"Retry-After": "5"}}, {Status: 200}}, 2, "", false,
			[]time.Duration{5 * time.Second}},
		{"429 retry-after date", []nt.Answer{{Status: 429, Header: map[string]string{
			"Retry-After": retryDate.Format(http.TimeFormat), "Date": serverDate.Format(http.TimeFormat)}}, {Status: 200}}, 2, "", false,
			[]time.Duration{7 * time.Second}},
		{"503 twice then ok", []nt.Answer{{Status: 503}, {Status: 503}, {Status: 200}}, 3, "", false,
			[]time.Duration{time.Second, 2 * time.Second}},
		{"500 three times", []nt.Answer{{Status: 500, Body: "<html>oops</html>"}}, 3,
			"test: gave up after 3 attempts: HTTP 500 Internal Server Error", false, nil},
		{"400 permanent", []nt.Answer{{Status: 400, Body: "invalid_payload"}}, 1,
			"test: HTTP 400 Bad Request: invalid_payload (permanent, 1 attempt)", true, nil},
		{"404 permanent", []nt.Answer{{Status: 404, Body: "no_service"}}, 1, "HTTP 404 Not Found: no_service (permanent, 1 attempt)", true, nil},
		{"302 permanent", []nt.Answer{{Status: 302, Header: map[string]string{"Location": "/elsewhere"}}}, 1, "HTTP 302 Found", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := nt.NewServer(t, nil, tt.answers...)
			var waits []time.Duration
			client := nt.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			p := &notify.Poster{Name: "test", Client: client}
			nt.NoWait(p, &waits)
			err := p.Post(t.Context(), func(ctx context.Context, _ time.Time) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hook", strings.NewReader("{}"))
			}, nil)
			if got := srv.Hits(); got != tt.wantHits {
				t.Errorf("hits = %d, want %d", got, tt.wantHits)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Post() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Post() = %v, want %q", err, tt.wantErr)
			}
			if err != nil && nt.Permanent(err) != tt.wantPerm {
				t.Errorf("Post() = %v: permanent %v, want %v", err, nt.Permanent(err), tt.wantPerm)
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
	u := nt.ClosedURL(t, "/services/T000/B000/SECRETSECRETSECRETSECRET?token=qwertyuiop")
	var waits []time.Duration
	p := &notify.Poster{Name: "test", Client: nt.Client(), Secrets: notify.URLSecrets(u)}
	nt.NoWait(p, &waits)
	err := p.Post(t.Context(), func(ctx context.Context, _ time.Time) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader("{}"))
	}, nil)
	var d *notify.DeliveryError
	if !errors.As(err, &d) || d.Attempts != 3 || !d.Retryable {
		t.Fatalf("Post() = %#v, want a retryable DeliveryError after 3 attempts", err)
	}
	if len(waits) != 2 {
		t.Errorf("waits = %v, want 2", waits)
	}
	for _, bad := range []string{"SECRET", "qwertyuiop", "/services", "\n"} {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("Post() = %q, contains %q", err, bad)
		}
	}
}

func TestPostDeadline(t *testing.T) {
	tests := []struct {
		name     string
		answers  []nt.Answer
		timeout  time.Duration
		wantHits int
		wantErr  string
	}{
		{"retry-after past deadline", []nt.Answer{{Status: 429, Header: map[string]string{"Retry-After": "60"}}}, 10 * time.Second, 1,
			"would pass the deadline"},
		{"backoff past deadline", []nt.Answer{{Status: 502}}, 500 * time.Millisecond, 1, "would pass the deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := nt.NewServer(t, nil, tt.answers...)
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			var waits []time.Duration
			p := &notify.Poster{Name: "test", Client: nt.Client()}
			nt.NoWait(p, &waits)
			err := p.Post(ctx, func(ctx context.Context, _ time.Time) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
			}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Post() = %v, want %q", err, tt.wantErr)
			}
			if got := srv.Hits(); got != tt.wantHits {
				t.Errorf("hits = %d, want %d", got, tt.wantHits)
			}
			if len(waits) != 0 {
				t.Errorf("waits = %v, want none", waits)
			}
		})
	}
}

func TestPostRealSleepHonoursCancel(t *testing.T) {
	srv := nt.NewServer(t, nil, nt.Answer{Status: 500})
	ctx, cancel := context.WithCancel(t.Context())
	p := &notify.Poster{Name: "test", Client: nt.Client(), Now: time.Now}
	p.Jitter = func() float64 { return 1 }
	go func() {
		for srv.Hits() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := p.Post(ctx, func(ctx context.Context, _ time.Time) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
	}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Post() = %v, want context.Canceled in it", err)
	}
}

// TestRetryCanceledAfterAnAttempt: a context canceled while an attempt was answered stops the retries,
// and the error says so beside the attempt's own.
func TestRetryCanceledAfterAnAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p := &notify.Poster{Name: "test"}
	err := p.Retry(ctx, func(context.Context, time.Time) error {
		cancel()
		return notify.Retryable(errors.New("HTTP 503 Service Unavailable"), 0)
	})
	var d *notify.DeliveryError
	if !errors.As(err, &d) || d.Attempts != 1 || !errors.Is(err, context.Canceled) ||
		err.Error() != "test: gave up after 1 attempt: HTTP 503 Service Unavailable; context canceled" {
		t.Errorf("Retry() = %v, want 1 attempt, its error and context.Canceled", err)
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
		if got := notify.ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

package notifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/notify"
)

// NewChannel builds the channel under test for a server at base (scheme and host; the channel adds
// its own path), with its Poster's waits made instant and recorded in waits (see NoWait).
type NewChannel func(t testing.TB, base string, waits *[]time.Duration) notify.Channel

// CheckRetries runs the shared retry policy's table against a channel: ok is the vendor's answer for a
// delivered message. A 2xx is delivered at once; 429 (after its Retry-After) and 5xx are retried, up to
// 3 attempts, and then reported as retryable; other 4xx are permanent after 1 attempt. Every error
// names the channel.
func CheckRetries(t *testing.T, ok Answer, newCh NewChannel) {
	t.Helper()
	tests := []struct {
		name      string
		answers   []Answer
		wantHits  int
		wantErr   []string // each in the error; none: delivered
		permanent bool
		wantWait  time.Duration // the least first wait
	}{
		{name: "delivered", answers: []Answer{ok}, wantHits: 1},
		{name: "429 then delivered", answers: []Answer{{Status: 429, Header: map[string]string{"Retry-After": "3"}}, ok}, wantHits: 2,
			wantWait: 3 * time.Second},
		{name: "503 twice then delivered", answers: []Answer{{Status: 503}, {Status: 503}, ok}, wantHits: 3},
		{name: "500 thrice", answers: []Answer{{Status: 500, Body: "<html>oops</html>"}}, wantHits: 3,
			wantErr: []string{"gave up after 3 attempts: HTTP 500 Internal Server Error"}},
		{name: "404", answers: []Answer{{Status: 404, Body: "no_service"}}, wantHits: 1, permanent: true,
			wantErr: []string{"HTTP 404 Not Found", "(permanent, 1 attempt)"}},
		{name: "400", answers: []Answer{{Status: 400, Body: "invalid_payload"}}, wantHits: 1, permanent: true,
			wantErr: []string{"HTTP 400 Bad Request", "(permanent, 1 attempt)"}},
	}
	for _, tt := range tests {
		t.Run("retries/"+tt.name, func(t *testing.T) {
			srv := NewServer(t, nil, tt.answers...)
			var waits []time.Duration
			ch := newCh(t, srv.URL, &waits)
			err := Render(t, ch, Sample(t))[0].Send(t.Context())
			if got := srv.Hits(); got != tt.wantHits {
				t.Errorf("Send posted %d times, want %d", got, tt.wantHits)
			}
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Send() = %v, want nil", err)
				}
			} else {
				if err == nil || !strings.HasPrefix(err.Error(), ch.Name()+": ") {
					t.Fatalf("Send() = %v, want an error naming %q", err, ch.Name())
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Send() = %q, want %q in it", err, w)
					}
				}
				if Permanent(err) != tt.permanent {
					t.Errorf("Send() = %v: permanent %v, want %v", err, Permanent(err), tt.permanent)
				}
			}
			if tt.wantWait > 0 && (len(waits) == 0 || waits[0] < tt.wantWait) {
				t.Errorf("waits = %v, want a first one of at least %v", waits, tt.wantWait)
			}
		})
	}
}

// Echo is a careless vendor's refusal of a request that quotes it (its URL, a header, a signature in
// its body) after pad.
type Echo func(r *http.Request, body []byte, pad string) Answer

// Leaks describes what a channel must keep out of its errors.
type Leaks struct {
	// Secrets are the channel's secrets: tokens in the URL, a signing secret, a bot token.
	Secrets []string
	// Seen returns the secrets of one request (an attempt's signature); nil when there are none.
	Seen func(r *http.Request, body []byte) []string
	// Echoes are the vendor's own refusals that quote the request, besides a 403 and a 503 that quote
	// its URL.
	Echoes []Echo
}

// CheckNoSecrets proves that no error of the channel holds a piece of a secret (8 characters of it,
// as it is or URL-encoded), nor any other long token, and that each names the channel on one line: it
// sends the sample report to a closed server, and to servers whose refusals quote the request (its URL
// as it is, and JSON-escaped) after pads of 0 to 200 characters, so that wherever the error's text is
// cut, no part of a secret is left.
func CheckNoSecrets(t *testing.T, newCh NewChannel, leaks Leaks) {
	t.Helper()
	echoes := append([]Echo{
		func(r *http.Request, _ []byte, pad string) Answer {
			return Answer{Status: http.StatusForbidden, Body: "forbidden " + pad + " " + r.URL.RequestURI()}
		},
		func(r *http.Request, _ []byte, pad string) Answer {
			return Answer{Status: http.StatusServiceUnavailable, Body: pad + " " + r.URL.RequestURI()}
		},
		// A JSON answer that quotes the URL as some encoders write it: / as \/, & as \u0026.
		func(r *http.Request, _ []byte, pad string) Answer {
			quoted, _ := json.Marshal("http://" + r.Host + r.URL.RequestURI())
			return Answer{Status: http.StatusBadRequest, Body: fmt.Sprintf(`{"error":"bad request %s","url":%s}`, pad,
				strings.ReplaceAll(string(quoted), "/", `\/`))}
		},
	}, leaks.Echoes...)
	check := func(t *testing.T, err error, seen []string) {
		t.Helper()
		if err == nil {
			t.Fatal("Send = nil, want an error")
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("Send error = %q, want one line", msg)
		}
		if piece := Leaked(msg, append(seen, leaks.Secrets...)...); piece != "" {
			t.Fatalf("Send error holds %q, a piece of a secret:\n%s", piece, msg)
		}
		if tok := LongToken.FindString(msg); tok != "" {
			t.Errorf("Send error = %q, holds a token-like %q", msg, tok)
		}
	}
	t.Run("no secrets/closed server", func(t *testing.T) {
		var waits []time.Duration
		ch := newCh(t, ClosedURL(t, ""), &waits)
		err := Render(t, ch, Sample(t))[0].Send(t.Context())
		check(t, err, nil)
		if !strings.HasPrefix(err.Error(), ch.Name()+": ") {
			t.Errorf("Send error = %q, want it to name %q", err, ch.Name())
		}
	})
	for i, echo := range echoes {
		name := []string{"403 quoting the URL", "503 quoting the URL", "400 quoting the URL JSON-escaped"}[min(i, 2)]
		if i >= 3 {
			name = fmt.Sprintf("the vendor's refusal %d quoting the request", i-2)
		}
		t.Run("no secrets/"+name, func(t *testing.T) {
			for pad := 0; pad <= 200; pad += 9 {
				var seen []string
				srv := NewServer(t, func(r *http.Request, body []byte) *Answer {
					if leaks.Seen != nil {
						seen = append(seen, leaks.Seen(r, body)...)
					}
					a := echo(r, body, strings.Repeat(".", pad))
					return &a
				}, Answer{Status: 200})
				var waits []time.Duration
				ch := newCh(t, srv.URL, &waits)
				err := Render(t, ch, Sample(t))[0].Send(t.Context())
				check(t, err, seen)
				if !strings.HasPrefix(err.Error(), ch.Name()+": ") {
					t.Fatalf("pad %d: Send error = %q, want it to name %q", pad, err, ch.Name())
				}
			}
		})
	}
}

// LongToken matches a signature or token: 32 or more Base64, hex or %-escaped characters.
var LongToken = regexp.MustCompile(`[A-Za-z0-9+/%=_-]{32,}`)

// Leaked returns a piece of 8 characters of one of the secrets (as given, URL-encoded, or JSON-escaped:
// / as \/, & as \u0026) that text holds, or "".
func Leaked(text string, secrets ...string) string {
	for _, s := range secrets {
		quoted, _ := json.Marshal(s)
		inJSON := string(quoted[1 : len(quoted)-1])
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s), inJSON, strings.ReplaceAll(inJSON, "/", `\/`)} {
			for i := 0; i+8 <= len(f); i++ {
				if strings.Contains(text, f[i:i+8]) {
					return f[i : i+8]
				}
			}
		}
	}
	return ""
}

// Want is what sending a post to a Server should come to.
type Want struct {
	// Hits is how many attempts the server should see.
	Hits int
	// Err is the whole text of the error; "" for delivered.
	Err string
	// Permanent is true when the failure is one that retrying cannot fix.
	Permanent bool
}

// CheckSend sends post to srv and checks the attempts, the error and whether it is permanent; it
// returns the error for the caller's own checks.
func CheckSend(t *testing.T, srv *Server, post notify.Post, want Want) error {
	t.Helper()
	err := post.Send(t.Context())
	if srv.Hits() != want.Hits {
		t.Errorf("Send posted %d times, want %d", srv.Hits(), want.Hits)
	}
	switch {
	case want.Err == "" && err != nil:
		t.Fatalf("Send = %v, want nil", err)
	case want.Err != "" && (err == nil || err.Error() != want.Err):
		t.Fatalf("Send = %v, want %q", err, want.Err)
	case err != nil && Permanent(err) != want.Permanent:
		t.Errorf("Send = %v: permanent %v, want %v", err, !want.Permanent, want.Permanent)
	}
	return err
}

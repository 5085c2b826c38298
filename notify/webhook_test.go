package notify

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// testWebhookSecret is a valid Standard Webhooks secret (the spec's test vector key).
const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestSignWebhookVector(t *testing.T) {
	// Standard Webhooks test vector (channels.md section 3).
	key, err := decodeWebhookSecret(testWebhookSecret)
	if err != nil {
		t.Fatalf("decodeWebhookSecret: %v", err)
	}
	got := signWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signWebhook(vector) = %q, want %q", got, want)
	}
}

func TestNewWebhookRejects(t *testing.T) {
	const secretPart = "c2VjcmV0LXNlY3JldC1zZWNyZXQ"
	tests := []struct {
		name, url, secret, want string
	}{
		{"empty url", "", "", "URL is empty"},
		{"http remote", "http://example.com/hook/tok3n-tok3n-tok3n-tok3n", "", "http:// is allowed only to a loopback address"},
		{"ftp", "ftp://example.com/tok3n-tok3n-tok3n-tok3n", "", "scheme must be https"},
		{"no prefix", "https://example.com/hook", secretPart, "must start with whsec_"},
		{"not base64", "https://example.com/hook", "whsec_" + secretPart + "!!", "not valid base64"},
		{"short", "https://example.com/hook", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short-secret")), "decodes to 12 bytes"},
	}
	for _, tt := range tests {
		_, err := NewWebhook(tt.url, tt.secret, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewWebhook() = %v, want %q", tt.name, err, tt.want)
			continue
		}
		for _, bad := range []string{"tok3n", secretPart, "/hook"} {
			if strings.Contains(err.Error(), bad) {
				t.Errorf("%s: NewWebhook() = %q, echoes %q", tt.name, err, bad)
			}
		}
	}
}

func TestWebhookRenderGolden(t *testing.T) {
	w, err := NewWebhook("https://example.com/hook", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    *alert.Report
	}{
		{"webhook-sample.json.golden", sampleReport(t)},
		{"webhook-digest.json.golden", digestReport(t)},
	}
	for _, tt := range tests {
		bodies, err := w.Render(tt.r)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if len(bodies) != 1 {
			t.Fatalf("Render gave %d bodies, want 1", len(bodies))
		}
		var out bytes.Buffer
		if err := json.Indent(&out, bodies[0], "", "  "); err != nil {
			t.Fatal(err)
		}
		out.WriteByte('\n')
		golden(t, tt.name, out.Bytes())
	}
	bodies, _ := w.Render(manyReport(t, 150))
	var b WebhookBody
	if err := json.Unmarshal(bodies[0], &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Data.Alerts) != 150 {
		t.Errorf("webhook alerts = %d, want all 150", len(b.Data.Alerts))
	}
}

func TestWebhookSend(t *testing.T) {
	srv := newFakeServer(t, answer{status: 503}, answer{status: 200})
	w, err := NewWebhook(srv.URL+"/hook", testWebhookSecret, testClient())
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	noWait(&w.p, &waits)
	clock := time.Unix(1764493200, 0)
	w.p.now = func() time.Time { clock = clock.Add(2 * time.Second); return clock }
	r := sampleReport(t)
	bodies, err := w.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(t.Context(), bodies[0]); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	if srv.hits() != 2 {
		t.Fatalf("hits = %d, want 2", srv.hits())
	}
	key, _ := decodeWebhookSecret(testWebhookSecret)
	wantID := alert.MessageID(r.AccountID, r.Mode, r.Window, []string{r.Alerts[0].ID, r.Alerts[1].ID, r.Alerts[2].ID}, "")
	var stamps []string
	for i := range 2 {
		req := srv.request(i)
		if got := req.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", got)
		}
		if !bytes.Equal(req.body, bodies[0]) {
			t.Errorf("attempt %d body differs from the rendered body", i+1)
		}
		id, ts := req.header.Get("webhook-id"), req.header.Get("webhook-timestamp")
		if id != wantID {
			t.Errorf("attempt %d webhook-id = %q, want %q", i+1, id, wantID)
		}
		if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
			t.Errorf("webhook-timestamp = %q, want Unix seconds", ts)
		}
		stamps = append(stamps, ts)
		want := signWebhook(key, id, ts, req.body)
		if got := req.header.Get("webhook-signature"); !hmac.Equal([]byte(got), []byte(want)) {
			t.Errorf("attempt %d webhook-signature = %q, want %q", i+1, got, want)
		}
	}
	if stamps[0] == stamps[1] {
		t.Errorf("webhook-timestamp repeated on retry: %v", stamps)
	}
}

func TestWebhookIDManual(t *testing.T) {
	srv := newFakeServer(t)
	w, err := NewWebhook(srv.URL, "", testClient())
	if err != nil {
		t.Fatal(err)
	}
	r := sampleReport(t)
	timer, _ := w.Render(r)
	r.Manual = true
	manual, _ := w.Render(r)
	for _, b := range [][]byte{timer[0], manual[0]} {
		if err := w.Send(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	idTimer, idManual := srv.request(0).header.Get("webhook-id"), srv.request(1).header.Get("webhook-id")
	if want := alert.MessageID(r.AccountID, r.Mode, r.Window, []string{r.Alerts[2].ID, r.Alerts[0].ID, r.Alerts[1].ID}, r.RequestID); idManual != want {
		t.Errorf("manual webhook-id = %q, want %q (with the request ID)", idManual, want)
	}
	if idTimer == idManual || srv.request(1).header.Get("webhook-signature") != "" {
		t.Errorf("webhook-ids %q, %q: want different; unsigned without a secret", idTimer, idManual)
	}
}

// TestSecretsNeverInErrors proves for every channel of this file set that the URL's path and query,
// the token and the signing secret appear in no error: from a closed server and from 4xx/5xx answers.
func TestSecretsNeverInErrors(t *testing.T) {
	const pathAndQuery = "/hook/S3CRETPATHSEGMENT0123456789?key=Q7ERYT0KEN0123456789"
	secretsOf := []string{"S3CRETPATH", "Q7ERYT0KEN", "/hook", strings.TrimPrefix(testWebhookSecret, "whsec_"), testSlackToken}
	type target struct {
		name string
		ch   func(t *testing.T, url string) Channel
	}
	targets := []target{
		{WebhookName, func(t *testing.T, url string) Channel {
			w, err := NewWebhook(url, testWebhookSecret, testClient())
			if err != nil {
				t.Fatal(err)
			}
			noWait(&w.p, new([]time.Duration))
			return w
		}},
		{SlackWebhookName, func(t *testing.T, url string) Channel {
			s, err := NewSlackWebhook(url, testClient())
			if err != nil {
				t.Fatal(err)
			}
			noWait(&s.p, new([]time.Duration))
			return s
		}},
		{SlackBotName, func(t *testing.T, url string) Channel {
			// The API base is not a secret; the token is what must not leak.
			s, err := NewSlackBot(testSlackToken, "C0123", RedactURL(url)+"/api/", testClient())
			if err != nil {
				t.Fatal(err)
			}
			noWait(&s.p, new([]time.Duration))
			return s
		}},
	}
	answers := []answer{
		{status: 400, body: "invalid_payload"},
		{status: 404, body: "no_service"},
		{status: 500, body: "rollup_error"},
		{status: 200, body: `{"ok":false,"error":"invalid_auth"}`},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			var errs []error
			ch := tg.ch(t, closedURL(t, pathAndQuery))
			bodies, err := ch.Render(sampleReport(t))
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, ch.Send(t.Context(), bodies[0]))
			for _, a := range answers {
				srv := newFakeServer(t, a)
				ch := tg.ch(t, srv.URL+pathAndQuery)
				errs = append(errs, ch.Send(t.Context(), bodies[0]))
			}
			for i, err := range errs {
				if err == nil {
					if i == 4 && tg.name != SlackBotName {
						continue // a 200 is success for the webhooks
					}
					t.Errorf("case %d: Send() = nil, want an error", i)
					continue
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, tg.name+":") {
					t.Errorf("Send() = %q, want one line starting with %q", msg, tg.name+":")
				}
				for _, s := range secretsOf {
					if strings.Contains(msg, s) {
						t.Errorf("Send() = %q, contains secret %q", msg, s)
					}
				}
			}
		})
	}
}

// testSlackToken is a fake bot token; it must never appear in an error.
const testSlackToken = "xoxb-000000000-111111111-T0KENT0KENT0KENT0KEN"

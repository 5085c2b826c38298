package webhook

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

const (
	// secret is a valid Standard Webhooks secret (the specification's test vector key).
	secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	// path is the receiver's path and query, a secret like a chat webhook's: a long token, and a short
	// one in a segment and in a value, which a generic receiver may use as well.
	path = "/hook/0f1e2d3c4b5a69788796a5b4c3d2e1f0/k3y?t=Tk9&v=2"
)

func newTest(t testing.TB, base string, waits *[]time.Duration) notify.Channel {
	t.Helper()
	w, err := newChannel(base+path, secret, nt.Client())
	if err != nil {
		t.Fatal(err)
	}
	nt.NoWait(&w.poster, waits)
	return w
}

func TestRetries(t *testing.T) {
	nt.CheckRetries(t, nt.VendorOK(name), newTest)
}

func TestErrorsHoldNoSecret(t *testing.T) {
	// The webhook-signature header is no secret: it signs that one body, which the receiver has.
	nt.CheckNoSecrets(t, newTest, nt.Leaks{Secrets: []string{path, secret}})
}

func TestSignVector(t *testing.T) {
	// The Standard Webhooks specification's test vector.
	key, err := parseSecret(secret)
	if err != nil {
		t.Fatalf("parseSecret: %v", err)
	}
	got := sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("sign(vector) = %q, want %q", got, want)
	}
}

func TestNewRejects(t *testing.T) {
	const secretPart = "c2VjcmV0LXNlY3JldC1zZWNyZXQ"
	tests := []struct {
		name, url, secret, want string
	}{
		{"empty url", "", "", "webhook: URL: not an absolute URL"},
		{"http remote", "http://example.com/hook/tok3n-tok3n-tok3n-tok3n", "", "webhook: URL: http://example.com is not allowed"},
		{"ftp", "ftp://example.com/tok3n-tok3n-tok3n-tok3n", "", `webhook: URL: scheme "ftp" is not allowed`},
		{"no prefix", "https://example.com/hook", secretPart, "webhook: signing secret: must be whsec_ followed by base64"},
		{"not base64", "https://example.com/hook", "whsec_" + secretPart + "!!", "the part after whsec_ is not valid base64"},
		{"short", "https://example.com/hook", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short-secret")), "the key is 12 bytes"},
	}
	for _, tt := range tests {
		_, err := newChannel(tt.url, tt.secret, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: newChannel() = %v, want %q", tt.name, err, tt.want)
			continue
		}
		for _, bad := range []string{"tok3n", secretPart, "/hook"} {
			if strings.Contains(err.Error(), bad) {
				t.Errorf("%s: newChannel() = %q, echoes %q", tt.name, err, bad)
			}
		}
	}
}

func TestRenderGolden(t *testing.T) {
	w, err := newChannel("https://example.com/hook", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    *alert.Report
	}{
		{"webhook-sample.json.golden", nt.Sample(t)},
		{"webhook-digest.json.golden", nt.Digest(t)},
		{"webhook-users.json.golden", nt.Users(t)},
		{"webhook-accounts.json.golden", nt.Accounts(t)},
	}
	for _, tt := range tests {
		posts := nt.Render(t, w, tt.r)
		if len(posts) != 1 {
			t.Fatalf("Render gave %d posts, want 1", len(posts))
		}
		var out bytes.Buffer
		if err := json.Indent(&out, posts[0].Body, "", "  "); err != nil {
			t.Fatal(err)
		}
		out.WriteByte('\n')
		nt.Golden(t, tt.name, out.Bytes())
	}
	var b Body
	if err := json.Unmarshal(nt.Render(t, w, nt.Many(t, 150))[0].Body, &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Data.Alerts) != 150 {
		t.Errorf("webhook alerts = %d, want all 150", len(b.Data.Alerts))
	}
}

func TestSend(t *testing.T) {
	srv := nt.NewServer(t, nil, nt.Answer{Status: 503}, nt.Answer{Status: 200})
	var waits []time.Duration
	w := newTest(t, srv.URL, &waits).(*channel)
	clock := time.Unix(1764493200, 0)
	w.poster.Now = func() time.Time { clock = clock.Add(2 * time.Second); return clock }
	r := nt.Sample(t)
	post := nt.Render(t, w, r)[0]
	if err := post.Send(t.Context()); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	if srv.Hits() != 2 {
		t.Fatalf("hits = %d, want 2", srv.Hits())
	}
	key, _ := parseSecret(secret)
	wantID := alert.MessageID(r.AccountID, r.Mode, r.Window, nil, []string{r.Alerts[0].ID, r.Alerts[1].ID, r.Alerts[2].ID}, "")
	var stamps []string
	for i := range 2 {
		req := srv.Request(i)
		if got := req.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-eventType = %q, want application/json", got)
		}
		if !bytes.Equal(req.Body, post.Body) {
			t.Errorf("attempt %d body differs from the rendered body", i+1)
		}
		id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
		if id != wantID {
			t.Errorf("attempt %d webhook-id = %q, want %q", i+1, id, wantID)
		}
		if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
			t.Errorf("webhook-timestamp = %q, want Unix seconds", ts)
		}
		stamps = append(stamps, ts)
		want := sign(key, id, ts, req.Body)
		if got := req.Header.Get("webhook-signature"); !hmac.Equal([]byte(got), []byte(want)) {
			t.Errorf("attempt %d webhook-signature = %q, want %q", i+1, got, want)
		}
	}
	if stamps[0] == stamps[1] {
		t.Errorf("webhook-timestamp repeated on retry: %v", stamps)
	}
}

func TestIDManual(t *testing.T) {
	srv := nt.NewServer(t, nil)
	w, err := newChannel(srv.URL, "", nt.Client())
	if err != nil {
		t.Fatal(err)
	}
	r := nt.Sample(t)
	timer := nt.Render(t, w, r)
	r.Manual = true
	manual := nt.Render(t, w, r)
	for _, p := range []notify.Post{timer[0], manual[0]} {
		if err := p.Send(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	idTimer, idManual := srv.Request(0).Header.Get("webhook-id"), srv.Request(1).Header.Get("webhook-id")
	if want := alert.MessageID(r.AccountID, r.Mode, r.Window, nil, []string{r.Alerts[2].ID, r.Alerts[0].ID, r.Alerts[1].ID}, r.RequestID); idManual != want {
		t.Errorf("manual webhook-id = %q, want %q (with the request ID)", idManual, want)
	}
	if idTimer == idManual || srv.Request(1).Header.Get("webhook-signature") != "" {
		t.Errorf("webhook-ids %q, %q: want different; unsigned without a secret", idTimer, idManual)
	}
}

// TestHostile: the generic webhook is data for programs, so it carries every value exactly,
// JSON-encoded.
func TestHostile(t *testing.T) {
	r := nt.Hostile(t)
	w, err := newChannel("https://example.com/hook", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	posts := nt.Render(t, w, r)
	nt.GoldenBodies(t, "webhook-hostile.json.golden", posts)
	var got Body
	if err := json.Unmarshal(posts[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(newBody(r), got); diff != "" {
		t.Errorf("webhook body does not carry the values exactly (-want +got):\n%s", diff)
	}
	if strings.ContainsAny(string(posts[0].Body), "<>\n") {
		t.Errorf("webhook body holds a raw <, > or line break: %s", posts[0].Body)
	}
}

// TestNotice: a notice is its own body, posted as it is under its own webhook-id, signed like a run's.
func TestNotice(t *testing.T) {
	n := nt.Notice()
	srv := nt.NewServer(t, nil, nt.VendorOK(name))
	var waits []time.Duration
	posts, err := newTest(t, srv.URL, &waits).RenderNotice(n)
	if err != nil || len(posts) != 1 {
		t.Fatalf("RenderNotice() = %d posts, %v; want 1, nil", len(posts), err)
	}
	if err := posts[0].Send(t.Context()); err != nil {
		t.Fatal(err)
	}
	req := srv.Request(0)
	if !bytes.Equal(req.Body, n.Body) || !bytes.Equal(posts[0].Body, n.Body) {
		t.Errorf("posted %s, want the notice's body %s", req.Body, n.Body)
	}
	key, _ := parseSecret(secret)
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	if id != n.ID || req.Header.Get("webhook-signature") != sign(key, id, ts, n.Body) {
		t.Errorf("webhook-id, webhook-signature = %q, %q; want %q and the signature of the body", id, req.Header.Get("webhook-signature"), n.ID)
	}
	for _, bad := range []*notify.Notice{{Title: "x", Body: n.Body}, {Title: "x", ID: n.ID, Body: []byte("{")}} {
		if _, err := newTest(t, srv.URL, &waits).RenderNotice(bad); err == nil {
			t.Errorf("RenderNotice(id %q, body %s) = nil, want an error", bad.ID, bad.Body)
		}
	}
}

// TestBodyIDNamesTheAccountsRead: two shards of one schedule (runs of the same function over different
// accounts, through the accounts override) never share a webhook-id, even with no alert; a run of the
// function's own account alone keeps the id it always had.
func TestBodyIDNamesTheAccountsRead(t *testing.T) {
	r := nt.Sample(t)
	r.Alerts = nil
	own := []alert.AccountSummary{{AccountID: r.AccountID}}
	ids := map[string]string{}
	for name, accounts := range map[string][]alert.AccountSummary{
		"shard 1": {{AccountID: "1000000000000001"}, {AccountID: "1000000000000002"}},
		"shard 2": {{AccountID: "1000000000000003"}, {AccountID: "1000000000000004"}},
		"own":     own,
	} {
		r.Accounts = accounts
		b := newBody(r)
		id := b.id()
		if prev, ok := ids[id]; ok {
			t.Errorf("%s: webhook-id %s, the same as %s's", name, id, prev)
		}
		ids[id] = name
	}
	r.Accounts = own
	b := newBody(r)
	if want := alert.MessageID(r.AccountID, r.Mode, r.Window, nil, nil, ""); b.id() != want {
		t.Errorf("own account alone: webhook-id %s, want %s, the id without accounts", b.id(), want)
	}
}

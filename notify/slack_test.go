package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/slack-go/slack"
)

func renderSlackTest(t *testing.T, r *alert.Report) []slack.WebhookMessage {
	t.Helper()
	s, err := NewSlackWebhook("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", nil)
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := s.Render(r)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	var msgs []slack.WebhookMessage
	for _, b := range bodies {
		var m slack.WebhookMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("body does not decode as a slack.WebhookMessage: %v", err)
		}
		checkBlockKitLimits(t, m)
		msgs = append(msgs, m)
	}
	return msgs
}

// checkBlockKitLimits fails when a message breaks a Block Kit limit or lacks the word AccessKey.
func checkBlockKitLimits(t *testing.T, m slack.WebhookMessage) {
	t.Helper()
	if !strings.Contains(m.Text, "AccessKey") {
		t.Errorf("text = %q, want the word AccessKey", m.Text)
	}
	if m.Blocks == nil || len(m.Blocks.BlockSet) > slackMaxBlocks {
		t.Fatalf("message has %v blocks, want 1 to %d", m.Blocks, slackMaxBlocks)
	}
	if n := slackTextSize(m.Blocks.BlockSet); n > slackMaxTotalText {
		t.Errorf("message text is %d bytes, want <= %d", n, slackMaxTotalText)
	}
	for _, b := range m.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if len(b.Text.Text) > slackMaxHeader {
				t.Errorf("header is %d bytes, want <= %d", len(b.Text.Text), slackMaxHeader)
			}
		case *slack.SectionBlock:
			if b.Text != nil && len(b.Text.Text) > slackMaxSectionText {
				t.Errorf("section text is %d bytes, want <= %d", len(b.Text.Text), slackMaxSectionText)
			}
			if len(b.Fields) > slackMaxFields {
				t.Errorf("section has %d fields, want <= %d", len(b.Fields), slackMaxFields)
			}
			for _, f := range b.Fields {
				if len(f.Text) > slackMaxField {
					t.Errorf("field is %d bytes, want <= %d", len(f.Text), slackMaxField)
				}
			}
		}
	}
}

func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	golden(t, name, out.Bytes())
}

func TestSlackRenderGolden(t *testing.T) {
	sample := renderSlackTest(t, sampleReport(t))
	if len(sample) != 1 {
		t.Fatalf("sample renders %d messages, want 1", len(sample))
	}
	goldenJSON(t, "slack-sample.json.golden", sample[0])
	for _, ak := range []string{"LTAI5tCarolRecycled0001", "LTAI5tAliceExpiring0002", "LTAI5tDavePastDelete0003", "--UserId 20732900249392aa --UserAccessKeyId LTAI5tAliceExpiring0002", "repeat 2 of the 17:00 check", "bin full", "past DeleteDate, may already be gone", "2026-12-04 16:12 CST", "NoPermission", "SCHEDULE"} {
		if b, _ := json.Marshal(sample[0]); !bytes.Contains(b, []byte(ak)) {
			t.Errorf("sample message lacks %q", ak)
		}
	}

	digest := renderSlackTest(t, digestReport(t))
	if len(digest) != 1 {
		t.Fatalf("digest renders %d messages, want 1", len(digest))
	}
	goldenJSON(t, "slack-digest.json.golden", digest[0])

	// 150 keys: 100 listed in numbered parts, one line about the other 50.
	many := renderSlackTest(t, manyReport(t, 150))
	var outline strings.Builder
	seen := map[string]bool{}
	for i, m := range many {
		var keys []string
		for _, b := range m.Blocks.BlockSet {
			if s, ok := b.(*slack.SectionBlock); ok && len(s.Fields) > 1 {
				ak := strings.Trim(strings.TrimPrefix(s.Fields[1].Text, "*AccessKey ID*\n"), "`")
				keys = append(keys, ak)
				seen[ak] = true
			}
		}
		ctx := m.Blocks.BlockSet[1].(*slack.ContextBlock).ContextElements.Elements[0].(*slack.TextBlockObject).Text
		want := fmt.Sprintf("part %d/%d", i+1, len(many))
		if !strings.Contains(m.Text, want) || !strings.Contains(ctx, want) || !strings.Contains(ctx, "1234567890123456") {
			t.Errorf("part %d: text %q / context %q, want %q and the account", i+1, m.Text, ctx, want)
		}
		fmt.Fprintf(&outline, "%s\n  %s\n  %d blocks, %d keys: %s … %s\n", m.Text, ctx, len(m.Blocks.BlockSet), len(keys), keys[0], keys[len(keys)-1])
	}
	last := many[len(many)-1].Blocks.BlockSet
	rest := last[len(last)-1].(*slack.SectionBlock).Text.Text
	fmt.Fprintf(&outline, "last block: %s\n", rest)
	golden(t, "slack-split.golden", []byte(outline.String()))
	if len(seen) != MaxListedKeys {
		t.Errorf("keys listed across parts = %d, want %d", len(seen), MaxListedKeys)
	}
	if !strings.Contains(rest, "50 more alerted AccessKeys") {
		t.Errorf("last block = %q, want the count of the rest", rest)
	}
}

func TestSlackWebhookSend(t *testing.T) {
	tests := []struct {
		name     string
		answers  []answer
		wantHits int
		wantErr  string
		wantPerm bool
	}{
		{"ok", []answer{{status: 200, body: "ok"}}, 1, "", false},
		{"429 then ok", []answer{{status: 429, header: map[string]string{"Retry-After": "3"}}, {status: 200}}, 2, "", false},
		{"429 http date then ok", []answer{{status: 429, header: map[string]string{"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}}, {status: 200}}, 2, "", false},
		{"503 twice then ok", []answer{{status: 503}, {status: 503}, {status: 200}}, 3, "", false},
		{"500 always", []answer{{status: 500, body: "rollup_error"}}, 3, "slack-webhook: gave up after 3 attempts: HTTP 500 Internal Server Error", false},
		{"404", []answer{{status: 404, body: "no_service"}}, 1, "slack-webhook: HTTP 404 Not Found (permanent, 1 attempt)", true},
		{"400", []answer{{status: 400, body: "invalid_payload"}}, 1, "HTTP 400 Bad Request (permanent, 1 attempt)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.answers...)
			s, err := NewSlackWebhook(srv.URL+"/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", testClient())
			if err != nil {
				t.Fatal(err)
			}
			var waits []time.Duration
			noWait(&s.p, &waits)
			bodies, _ := s.Render(sampleReport(t))
			err = s.Send(t.Context(), bodies[0])
			if got := srv.hits(); got != tt.wantHits {
				t.Errorf("hits = %d, want %d", got, tt.wantHits)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Send() = %v, want nil", err)
				}
				var got slack.WebhookMessage
				if err := json.Unmarshal(srv.request(0).body, &got); err != nil || got.Blocks == nil || len(got.Blocks.BlockSet) == 0 {
					t.Errorf("posted body = %s (%v), want a Block Kit message", srv.request(0).body, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || IsPermanent(err) != tt.wantPerm {
				t.Errorf("Send() = %v (permanent %v), want %q (permanent %v)", err, IsPermanent(err), tt.wantErr, tt.wantPerm)
			}
		})
	}
}

func TestSlackBotSend(t *testing.T) {
	tests := []struct {
		name     string
		answers  []answer
		wantHits int
		wantErr  string
		wantPerm bool
	}{
		{"ok", []answer{{status: 200, body: `{"ok":true,"channel":"C0123","ts":"1.2"}`}}, 1, "", false},
		{"channel_not_found", []answer{{status: 200, body: `{"ok":false,"error":"channel_not_found"}`}}, 1, "slack: slack API error channel_not_found (permanent, 1 attempt)", true},
		{"not_in_channel", []answer{{status: 200, body: `{"ok":false,"error":"not_in_channel"}`}}, 1, "slack API error not_in_channel", true},
		{"invalid_auth", []answer{{status: 200, body: `{"ok":false,"error":"invalid_auth"}`}}, 1, "slack API error invalid_auth", true},
		{"ratelimited 429", []answer{{status: 429, header: map[string]string{"Retry-After": "2"}, body: `{"ok":false,"error":"ratelimited"}`},
			{status: 200, body: `{"ok":true}`}}, 2, "", false},
		{"5xx always", []answer{{status: 502}}, 3, "slack: gave up after 3 attempts: HTTP 502 Bad Gateway", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.answers...)
			s, err := NewSlackBot(testSlackToken, "C0123", srv.URL+"/api", testClient())
			if err != nil {
				t.Fatal(err)
			}
			var waits []time.Duration
			noWait(&s.p, &waits)
			bodies, _ := s.Render(sampleReport(t))
			err = s.Send(t.Context(), bodies[0])
			if got := srv.hits(); got != tt.wantHits {
				t.Errorf("hits = %d, want %d", got, tt.wantHits)
			}
			req := srv.request(0)
			form, _ := url.ParseQuery(string(req.body))
			if req.path != "/api/chat.postMessage" || form.Get("channel") != "C0123" || !strings.Contains(form.Get("blocks"), "LTAI5tAliceExpiring0002") {
				t.Errorf("request = %s %v, want chat.postMessage to C0123 with the blocks", req.path, form)
			}
			if tt.name == "ratelimited 429" && (len(waits) != 1 || waits[0] < 2*time.Second) {
				t.Errorf("waits = %v, want one of at least the Retry-After 2s", waits)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Send() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || IsPermanent(err) != tt.wantPerm {
				t.Errorf("Send() = %v (permanent %v), want %q (permanent %v)", err, IsPermanent(err), tt.wantErr, tt.wantPerm)
			}
			if strings.Contains(err.Error(), testSlackToken) {
				t.Errorf("Send() = %q, contains the token", err)
			}
		})
	}
}

func TestNewSlackRejects(t *testing.T) {
	tests := []struct {
		name string
		f    func() error
		want string
	}{
		{"webhook http remote", func() error {
			_, err := NewSlackWebhook("http://hooks.slack.com/services/T000/B000/SECRETSECRETSECRET", nil)
			return err
		}, "http:// is allowed only to a loopback address"},
		{"bot no token", func() error { _, err := NewSlackBot("", "C1", "", nil); return err }, "token is empty"},
		{"bot no channel", func() error { _, err := NewSlackBot(testSlackToken, "", "", nil); return err }, "channel is empty"},
		{"bot bad api", func() error {
			_, err := NewSlackBot(testSlackToken, "C1", "ftp://x/SECRETSECRETSECRET", nil)
			return err
		}, "scheme must be https"},
	}
	for _, tt := range tests {
		err := tt.f()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), testSlackToken) {
			t.Errorf("%s: err = %q, echoes a secret", tt.name, err)
		}
	}
}

func TestSlackBotDefaultAPIURL(t *testing.T) {
	for _, base := range []string{"", "https://slack.example/api", "https://slack.example/api/"} {
		if _, err := NewSlackBot(testSlackToken, "#alerts", base, nil); err != nil {
			t.Errorf("NewSlackBot(api %q) = %v", base, err)
		}
	}
}

func TestSlackText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"alice", "alice"},
		{"ops-team.prod_1 (20732900249392aa)", "ops-team.prod_1 (20732900249392aa)"},
		{"用户不存在", "用户不存在"},
		{"Prod & <!channel>", "Prod &amp; &lt;!channel&gt;"},
		{"<http://evil.example|click>", "&lt;http:\u200b//evil.example|click&gt;"},
		{"x\n**FAKE: all clear**", "x ∗∗FAKE: all clear∗∗"},
		{"_it_ a_b ~st~ `c`", "ˍitˍ a_b ∼st∼ ˋcˋ"},
		{"＊b＊ ＿i＿ ｀c｀", "∗b∗ ˍiˍ ˋcˋ"},
		{"> quote", "› quote"},
		{"  ＞ quote", "  › quote"},
		{"a > b", "a &gt; b"},
	}
	for _, tt := range tests {
		if got := slackText(tt.in); got != tt.want {
			t.Errorf("slackText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSlackText: whatever the text, slackText's result, put anywhere in mrkdwn, also at the start of
// a line, is plain text for Slack: no control sequence, no emphasis or code, no quote, no line break.
func FuzzSlackText(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSlackInert(t, s, slackText(s))
	})
}

// FuzzSlackCode: a code span holds exactly the text (after Slack decodes its entities) and nothing
// that can close it or start a control sequence; text it cannot hold is escaped text.
func FuzzSlackCode(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := slackCode(s)
		inner, ok := strings.CutPrefix(out, "`")
		if !ok {
			if out != slackText(s) {
				t.Fatalf("slackCode(%q) = %q, neither a code span nor slackText's %q", s, out, slackText(s))
			}
			return
		}
		inner, ok = strings.CutSuffix(inner, "`")
		switch {
		case !ok || strings.ContainsAny(inner, "`<>\n\r") || strings.ContainsFunc(inner, breaksLine):
			t.Fatalf("slackCode(%q) = %q: the span can be closed or broken", s, out)
		case strings.Count(inner, "&") != len(slackEntity.FindAllString(inner, -1)):
			t.Fatalf("slackCode(%q) = %q: an & is not an entity", s, out)
		case slackUnescape(inner) != oneLine(s):
			t.Fatalf("slackCode(%q) = %q: the span shows %q", s, out, slackUnescape(inner))
		}
	})
}

// checkSlackInert fails when out, slackText's result for s, could be read as mrkdwn markup.
func checkSlackInert(t *testing.T, s, out string) {
	t.Helper()
	switch {
	case !utf8.ValidString(out):
		t.Fatalf("slackText(%q) = %q, not UTF-8", s, out)
	case strings.ContainsAny(out, "<>*~`＊＿｀\n\r") || strings.Contains(out, "://"):
		t.Fatalf("slackText(%q) = %q, holds markup", s, out)
	case strings.ContainsFunc(out, breaksLine):
		t.Fatalf("slackText(%q) = %q, holds a line break or control character", s, out)
	case strings.Count(out, "&") != len(slackEntity.FindAllString(out, -1)):
		t.Fatalf("slackText(%q) = %q: an & is not an entity", s, out)
	case slackLineKind(out) != "text":
		t.Fatalf("slackText(%q) = %q, starts a %s", s, out, slackLineKind(out))
	}
	if e := emphasis("x " + out + " x"); len(e) > 0 {
		t.Fatalf("slackText(%q) = %q, holds emphasis %q", s, out, e)
	}
}

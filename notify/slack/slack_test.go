package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/escape"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

const (
	// hookPath is an incoming webhook's path, its secret.
	hookPath = "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
	// token is a fake bot token; it must never appear in an error.
	token = "xoxb-000000000-111111111-T0KENT0KENT0KENT0KEN"
)

func testWebhook(t testing.TB, base string, waits *[]time.Duration) notify.Channel {
	t.Helper()
	w, err := newWebhook(base+hookPath, nt.Client())
	if err != nil {
		t.Fatal(err)
	}
	nt.NoWait(&w.poster, waits)
	return w
}

func testBot(t testing.TB, base string, waits *[]time.Duration) notify.Channel {
	t.Helper()
	b, err := newBot(token, "C0123", base+"/api", nt.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	nt.NoWait(&b.poster, waits)
	return b
}

// decode returns the Slack messages of posts, each checked against Block Kit's limits.
func decode(t *testing.T, posts []notify.Post) []slack.WebhookMessage {
	t.Helper()
	var msgs []slack.WebhookMessage
	for _, p := range posts {
		var m slack.WebhookMessage
		if err := json.Unmarshal(p.Body, &m); err != nil {
			t.Fatalf("body does not decode as a slack.WebhookMessage: %v", err)
		}
		checkBlockKitLimits(t, m)
		msgs = append(msgs, m)
	}
	return msgs
}

// renderTest renders r for an incoming webhook and decodes its messages.
func renderTest(t *testing.T, r *alert.Report) []slack.WebhookMessage {
	t.Helper()
	var waits []time.Duration
	return decode(t, nt.Render(t, testWebhook(t, "https://hooks.slack.com", &waits), r))
}

// checkBlockKitLimits fails when a message breaks a Block Kit limit or lacks the word AccessKey.
func checkBlockKitLimits(t *testing.T, m slack.WebhookMessage) {
	t.Helper()
	if !strings.Contains(m.Text, "AccessKey") {
		t.Errorf("text = %q, want the word AccessKey", m.Text)
	}
	if m.Blocks == nil || len(m.Blocks.BlockSet) > maxBlocks {
		t.Fatalf("message has %v blocks, want 1 to %d", m.Blocks, maxBlocks)
	}
	if n := textSize(m.Blocks.BlockSet); n > maxTotalText {
		t.Errorf("message text is %d bytes, want <= %d", n, maxTotalText)
	}
	for _, b := range m.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if len(b.Text.Text) > maxHeader {
				t.Errorf("header is %d bytes, want <= %d", len(b.Text.Text), maxHeader)
			}
		case *slack.SectionBlock:
			if b.Text != nil && len(b.Text.Text) > maxSectionText {
				t.Errorf("section text is %d bytes, want <= %d", len(b.Text.Text), maxSectionText)
			}
			if len(b.Fields) > maxFields {
				t.Errorf("section has %d fields, want <= %d", len(b.Fields), maxFields)
			}
			for _, f := range b.Fields {
				if len(f.Text) > maxField {
					t.Errorf("field is %d bytes, want <= %d", len(f.Text), maxField)
				}
			}
		}
	}
}

func TestRenderGolden(t *testing.T) {
	sample := renderTest(t, nt.Sample(t))
	if len(sample) != 1 {
		t.Fatalf("sample renders %d messages, want 1", len(sample))
	}
	nt.GoldenJSON(t, "slack-sample.json.golden", sample[0])
	for _, ak := range []string{"LTAI5tCarolRecycled0001", "LTAI5tAliceExpiring0002", "LTAI5tDavePastDelete0003", "--UserId 20732900249392aa --UserAccessKeyId LTAI5tAliceExpiring0002", "repeat 2 of the 17:00 check", "bin full", "past DeleteDate, may already be gone", "2026-12-04 16:12 CST", "NoPermission", "SCHEDULE"} {
		if b, _ := json.Marshal(sample[0]); !bytes.Contains(b, []byte(ak)) {
			t.Errorf("sample message lacks %q", ak)
		}
	}

	users := renderTest(t, nt.Users(t))
	if len(users) != 1 {
		t.Fatalf("users renders %d messages, want 1", len(users))
	}
	nt.GoldenJSON(t, "slack-users.json.golden", users[0])

	digest := renderTest(t, nt.Digest(t))
	if len(digest) != 1 {
		t.Fatalf("digest renders %d messages, want 1", len(digest))
	}
	nt.GoldenJSON(t, "slack-digest.json.golden", digest[0])

	// 150 keys: 100 listed in numbered parts, one line about the other 50.
	many := renderTest(t, nt.Many(t, 150))
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
	nt.Golden(t, "slack-split.golden", []byte(outline.String()))
	if len(seen) != notify.MaxListedKeys {
		t.Errorf("keys listed across parts = %d, want %d", len(seen), notify.MaxListedKeys)
	}
	if !strings.Contains(rest, "50 more alerted AccessKeys") {
		t.Errorf("last block = %q, want the count of the rest", rest)
	}
}

// TestRenderAccounts: a run over several accounts is grouped under a heading per account, in every
// part, each part naming its accounts; its fallback text names them too.
func TestRenderAccounts(t *testing.T) {
	msgs := renderTest(t, nt.Accounts(t))
	if len(msgs) != 1 {
		t.Fatalf("accounts renders %d messages, want 1", len(msgs))
	}
	nt.GoldenJSON(t, "slack-accounts.json.golden", msgs[0])
	if want := "dev (1000000000000001), prod (1234567890123456), staging (1000000000000002)"; !strings.HasSuffix(msgs[0].Text, want) {
		t.Errorf("text = %q, want it to end with the accounts %q", msgs[0].Text, want)
	}
	many := renderTest(t, nt.ManyAccounts(t, 150, 11))
	var bodies []json.RawMessage
	for _, m := range many {
		checkBlockKitLimits(t, m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	nt.CheckAccountParts(t, bodies)
}

func TestWebhook(t *testing.T) {
	nt.CheckRetries(t, nt.VendorOK(webhookName), testWebhook)
	t.Run("429 with an HTTP date", func(t *testing.T) {
		srv := nt.NewServer(t, nil, nt.Answer{Status: 429, Header: map[string]string{"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}}, nt.Answer{Status: 200})
		var waits []time.Duration
		if err := nt.Render(t, testWebhook(t, srv.URL, &waits), nt.Sample(t))[0].Send(t.Context()); err != nil || srv.Hits() != 2 {
			t.Errorf("Send() = %v after %d posts, want nil after 2", err, srv.Hits())
		}
	})
	t.Run("posts the blocks", func(t *testing.T) {
		srv := nt.NewServer(t, nil)
		var waits []time.Duration
		if err := nt.Render(t, testWebhook(t, srv.URL, &waits), nt.Sample(t))[0].Send(t.Context()); err != nil {
			t.Fatal(err)
		}
		var got slack.WebhookMessage
		if err := json.Unmarshal(srv.Request(0).Body, &got); err != nil || got.Blocks == nil || len(got.Blocks.BlockSet) == 0 || srv.Request(0).Path != hookPath {
			t.Errorf("posted %s %s (%v), want a Block Kit message to the hook", srv.Request(0).Path, srv.Request(0).Body, err)
		}
	})
}

func TestBot(t *testing.T) {
	nt.CheckRetries(t, nt.VendorOK(botName), testBot)
	tests := []struct {
		name     string
		answers  []nt.Answer
		wantHits int
		wantErr  string
	}{
		{"channel_not_found", []nt.Answer{{Status: 200, Body: `{"ok":false,"error":"channel_not_found"}`}}, 1, "slack: slack API error channel_not_found (permanent, 1 attempt)"},
		{"not_in_channel", []nt.Answer{{Status: 200, Body: `{"ok":false,"error":"not_in_channel"}`}}, 1, "slack: slack API error not_in_channel (permanent, 1 attempt)"},
		{"invalid_auth", []nt.Answer{{Status: 200, Body: `{"ok":false,"error":"invalid_auth"}`}}, 1, "slack: slack API error invalid_auth (permanent, 1 attempt)"},
		{"ratelimited thrice", []nt.Answer{{Status: 200, Body: `{"ok":false,"error":"ratelimited"}`}}, 3, "slack: gave up after 3 attempts: slack API error ratelimited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := nt.NewServer(t, nil, tt.answers...)
			var waits []time.Duration
			err := nt.Render(t, testBot(t, srv.URL, &waits), nt.Sample(t))[0].Send(t.Context())
			if got := srv.Hits(); got != tt.wantHits {
				t.Errorf("hits = %d, want %d", got, tt.wantHits)
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Send() = %v, want %q", err, tt.wantErr)
			}
			req := srv.Request(0)
			form, _ := url.ParseQuery(string(req.Body))
			if req.Path != "/api/chat.postMessage" || form.Get("channel") != "C0123" || !strings.Contains(form.Get("blocks"), "LTAI5tAliceExpiring0002") {
				t.Errorf("request = %s %v, want chat.postMessage to C0123 with the blocks", req.Path, form)
			}
		})
	}
}

func TestErrorsHoldNoSecret(t *testing.T) {
	t.Run(webhookName, func(t *testing.T) {
		nt.CheckNoSecrets(t, testWebhook, nt.Leaks{Secrets: []string{hookPath}})
	})
	t.Run(botName, func(t *testing.T) {
		nt.CheckNoSecrets(t, testBot, nt.Leaks{Secrets: []string{token}, Echoes: []nt.Echo{
			func(r *http.Request, _ []byte, pad string) nt.Answer {
				msg, _ := json.Marshal("invalid_auth " + pad + " " + r.Header.Get("Authorization"))
				return nt.Answer{Status: 200, Body: fmt.Sprintf(`{"ok":false,"error":%s}`, msg)}
			},
		}})
	})
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		f    func() error
		want string
	}{
		{"webhook http remote", func() error {
			_, err := newWebhook("http://hooks.slack.com/services/T000/B000/SECRETSECRETSECRET", nil)
			return err
		}, "slack webhook: URL: http://hooks.slack.com is not allowed"},
		{"bot no token", func() error { _, err := newBot("", "C1", "", nil, nil); return err }, "slack bot: not a Slack token"},
		{"bot token with a space", func() error { _, err := newBot("xoxb-1 2", "C1", "", nil, nil); return err }, "slack bot: not a Slack token"},
		{"bot no channel", func() error { _, err := newBot(token, "", "", nil, nil); return err }, "slack bot: the channel is empty"},
		{"bot bad api", func() error {
			_, err := newBot(token, "C1", "ftp://x/SECRETSECRETSECRET", nil, nil)
			return err
		}, `slack bot: API URL: scheme "ftp" is not allowed`},
	}
	for _, tt := range tests {
		err := tt.f()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), token) {
			t.Errorf("%s: err = %q, echoes a secret", tt.name, err)
		}
	}
}

func TestBotDefaultAPIURL(t *testing.T) {
	for _, base := range []string{"", "https://slack.example/api", "https://slack.example/api/"} {
		if _, err := newBot(token, "#alerts", base, nil, nil); err != nil {
			t.Errorf("newBot(api %q) = %v", base, err)
		}
	}
}

func TestText(t *testing.T) {
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
		if got := escapeText(tt.in); got != tt.want {
			t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzText: whatever the text, Text's result, put anywhere in mrkdwn, also at the start of
// a line, is plain text for Slack: no control sequence, no emphasis or code, no quote, no line break.
func FuzzText(f *testing.F) {
	for _, s := range nt.HostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSlackInert(t, s, escapeText(s))
	})
}

// FuzzCode: a code span holds exactly the text (after Slack decodes its entities) and nothing
// that can close it or start a control sequence; text it cannot hold is escaped text.
func FuzzCode(f *testing.F) {
	for _, s := range nt.HostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := codeSpan(s)
		inner, ok := strings.CutPrefix(out, "`")
		if !ok {
			if out != escapeText(s) {
				t.Fatalf("codeSpan(%q) = %q, neither a code span nor Text's %q", s, out, escapeText(s))
			}
			return
		}
		inner, ok = strings.CutSuffix(inner, "`")
		switch {
		case !ok || strings.ContainsAny(inner, "`<>\n\r") || strings.ContainsFunc(inner, escape.BreaksLine):
			t.Fatalf("codeSpan(%q) = %q: the span can be closed or broken", s, out)
		case strings.Count(inner, "&") != len(slackEntity.FindAllString(inner, -1)):
			t.Fatalf("codeSpan(%q) = %q: an & is not an entity", s, out)
		case slackUnescape(inner) != escape.OneLine(s):
			t.Fatalf("codeSpan(%q) = %q: the span shows %q", s, out, slackUnescape(inner))
		}
	})
}

// checkSlackInert fails when out, Text's result for s, could be read as mrkdwn markup.
func checkSlackInert(t *testing.T, s, out string) {
	t.Helper()
	switch {
	case !utf8.ValidString(out):
		t.Fatalf("escapeText(%q) = %q, not UTF-8", s, out)
	case strings.ContainsAny(out, "<>*~`＊＿｀\n\r") || strings.Contains(out, "://"):
		t.Fatalf("escapeText(%q) = %q, holds markup", s, out)
	case strings.ContainsFunc(out, escape.BreaksLine):
		t.Fatalf("escapeText(%q) = %q, holds a line break or control character", s, out)
	case strings.Count(out, "&") != len(slackEntity.FindAllString(out, -1)):
		t.Fatalf("escapeText(%q) = %q: an & is not an entity", s, out)
	case slackLineKind(out) != "text":
		t.Fatalf("escapeText(%q) = %q, starts a %s", s, out, slackLineKind(out))
	}
	if e := nt.Emphasis("x " + out + " x"); len(e) > 0 {
		t.Fatalf("escapeText(%q) = %q, holds emphasis %q", s, out, e)
	}
}

// TestFallbackTextIsEscaped: Slack's fallback text becomes the notification, and is mrkdwn too;
// it once carried ACCOUNT_LABEL verbatim, so that "Prod & <!channel>" notified the whole channel.
func TestFallbackTextIsEscaped(t *testing.T) {
	r := nt.Sample(t)
	r.AccountLabel = "Prod & <!channel>"
	for _, m := range renderTest(t, r) {
		if strings.Contains(m.Text, "<!channel>") || !strings.Contains(m.Text, "Prod &amp; &lt;!channel&gt; (1234567890123456)") {
			t.Errorf("fallback text = %q, want the label as escaped text", m.Text)
		}
	}
}

// TestCodeSpansHoldValues: a backtick in a value once closed the code span it was put in, and
// what followed was live; the restore command was not quoted for a shell.
func TestCodeSpansHoldValues(t *testing.T) {
	r := nt.Sample(t)
	r.Alerts = r.Alerts[:1]
	r.Alerts[0].AccessKeyID = "LTAI`<!channel>`"
	r.Alerts[0].UserID = "$(rm -rf ~)"
	for _, o := range slackTexts(t, renderTest(t, r)[0]) {
		if strings.Contains(o.text, "<!channel>") {
			t.Errorf("%s holds a live <!channel>: %q", o.where, o.text)
		}
	}
	r.Alerts[0].AccessKeyID = "LTAI5tCarolRecycled0001"
	section := renderTest(t, r)[0].Blocks.BlockSet[3].(*slack.SectionBlock).Text.Text
	cmd := regexp.MustCompile("Restore: `([^`]*)`").FindStringSubmatch(section)
	if cmd == nil {
		t.Fatalf("section %q has no restore command in a code span", section)
	}
	got, err := nt.ShellWords(cmd[1])
	want := []string{"aliyun", "ims", "RestoreAccessKeyFromRecycleBin", "--UserId", "$(rm -rf ~)", "--UserAccessKeyId", "LTAI5tCarolRecycled0001"}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("restore command %q splits into %q, %v; want %q", cmd[1], got, err, want)
	}
}

// TestHostile reads the hostile report's Slack message as Slack would: no control sequence (the
// renderer sends none of its own), only the renderer's own emphasis and lines, code spans holding
// exactly an AccessKey ID or a restore command that a shell splits into the intended words, and no
// preprocessing of plain text (verbatim).
func TestHostile(t *testing.T) {
	r := nt.Hostile(t)
	for _, ch := range []struct {
		name    string
		channel string
		golden  string
	}{{webhookName, "", "slack-hostile.json.golden"}, {botName, "C0123", "slack-bot-hostile.json.golden"}} {
		t.Run(ch.name, func(t *testing.T) {
			msgs := renderSlackChannel(t, r, ch.channel)
			twins := renderSlackChannel(t, nt.BenignTwin(r), ch.channel)
			if len(msgs) != 1 || len(twins) != 1 {
				t.Fatalf("%d and %d messages, want 1 each", len(msgs), len(twins))
			}
			nt.GoldenJSON(t, ch.golden, msgs[0])
			texts, twin := slackTexts(t, msgs[0]), slackTexts(t, twins[0])
			if len(texts) != len(twin) {
				t.Fatalf("%d texts, want %d as the benign twin", len(texts), len(twin))
			}
			var restores []string
			for i, txt := range texts {
				checkSlackText(t, txt, twin[i])
				restores = append(restores, nt.RestoreLines(txt.text)...)
			}
			nt.CheckRestores(t, r, restores, nt.CodeSpanCommand(slackUnescape))
			aks := map[string]bool{}
			for _, a := range r.Alerts {
				aks[a.AccessKeyID] = true
				for _, k := range a.AccessKeys {
					aks[k.AccessKeyID] = true
				}
			}
			for _, txt := range texts {
				for _, span := range nt.CodeSpans(txt.text) {
					if s := slackUnescape(span); !aks[s] && !strings.HasPrefix(s, "aliyun ims ") {
						t.Errorf("code span %q holds neither an AccessKey ID nor a restore command", s)
					}
				}
			}
		})
	}
}

func renderSlackChannel(t *testing.T, r *alert.Report, channel string) []slack.WebhookMessage {
	t.Helper()
	var waits []time.Duration
	ch := testWebhook(t, "https://hooks.slack.com", &waits)
	if channel != "" {
		ch = testBot(t, "https://slack.example", &waits)
	}
	return decode(t, nt.Render(t, ch, r))
}

// slackTextObj is one text of a Slack message: the fallback, a header (plain text) or a mrkdwn object.
type slackTextObj struct {
	where    string
	mrkdwn   bool
	verbatim bool
	text     string
}

// slackTexts lists every text of m, the fallback first, in block order.
func slackTexts(t *testing.T, m slack.WebhookMessage) []slackTextObj {
	t.Helper()
	out := []slackTextObj{{where: "fallback text", mrkdwn: true, verbatim: true, text: m.Text}}
	add := func(where string, o *slack.TextBlockObject) {
		if o != nil {
			out = append(out, slackTextObj{where: where, mrkdwn: o.Type == slack.MarkdownType, verbatim: o.Verbatim, text: o.Text})
		}
	}
	for i, b := range m.Blocks.BlockSet {
		where := fmt.Sprintf("block %d", i)
		switch b := b.(type) {
		case *slack.HeaderBlock:
			add(where+" header", b.Text)
		case *slack.SectionBlock:
			add(where+" section", b.Text)
			for j, f := range b.Fields {
				add(fmt.Sprintf("%s field %d", where, j), f)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if o, ok := e.(*slack.TextBlockObject); ok {
					add(where+" context", o)
				}
			}
		}
	}
	return out
}

var slackEntity = regexp.MustCompile(`&(amp|lt|gt);`)

// checkSlackText checks one text of the hostile message against its benign twin.
func checkSlackText(t *testing.T, o, twin slackTextObj) {
	t.Helper()
	if o.mrkdwn && !o.verbatim {
		t.Errorf("%s: mrkdwn without verbatim: Slack would turn plain-text URLs, channel names and mentions into links", o.where)
	}
	if got, want := strings.Count(o.text, "\n"), strings.Count(twin.text, "\n"); got != want {
		t.Errorf("%s: %d line breaks, want %d as the benign twin:\n%s", o.where, got, want, o.text)
	}
	if strings.ContainsFunc(o.text, func(r rune) bool { return r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') }) {
		t.Errorf("%s: holds a control character: %q", o.where, o.text)
	}
	if !o.mrkdwn {
		return
	}
	// Slack's control sequences all start with "<": the renderer sends none, so none may be there.
	if strings.ContainsAny(o.text, "<>") {
		t.Errorf("%s: holds a raw < or >: %q", o.where, o.text)
	}
	if n, m := strings.Count(o.text, "&"), len(slackEntity.FindAllString(o.text, -1)); n != m {
		t.Errorf("%s: %d & but %d entities: %q", o.where, n, m, o.text)
	}
	for _, line := range strings.Split(o.text, "\n") {
		if k := slackLineKind(line); k != "text" {
			t.Errorf("%s: line %q is a %s", o.where, line, k)
		}
	}
	if got, want := nt.Emphasis(o.text), nt.Emphasis(twin.text); !cmp.Equal(got, want) {
		t.Errorf("%s: emphasis %q, want %q as the benign twin:\n%s", o.where, got, want, o.text)
	}
	if strings.Contains(o.text, "://") {
		t.Errorf("%s: holds a URL a client would link: %q", o.where, o.text)
	}
}

// slackLineKind is what Slack makes of a line: a quote, preformatted text, or text.
func slackLineKind(line string) string {
	l := strings.TrimLeft(line, " ")
	switch {
	case strings.HasPrefix(l, "&gt;"), strings.HasPrefix(l, ">"), strings.HasPrefix(l, "＞"):
		return "quote"
	case strings.HasPrefix(l, "```"):
		return "preformatted"
	}
	return "text"
}

// slackUnescape decodes Slack's three entities.
func slackUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// FuzzRestoreCommandInCode: a restore command, whatever the IDs, is shown exactly in a code span.
func FuzzRestoreCommandInCode(f *testing.F) {
	for i, s := range nt.HostileSeeds {
		f.Add(s, nt.HostileSeeds[(i+7)%len(nt.HostileSeeds)])
	}
	f.Fuzz(func(t *testing.T, userID, accessKeyID string) {
		r := &alert.Report{Findings: alert.Findings{Mode: alert.ModeCrossing,
			Alerts: []alert.Alert{{Event: alert.Recycled, UserName: "u", UserID: userID, AccessKeyID: accessKeyID}}}}
		cmd := notify.NewMessage(r).Keys[0].Restore
		if cmd == "" {
			return
		}
		if span := codeSpan(cmd); span != "`"+entities.Replace(cmd)+"`" {
			t.Fatalf("codeSpan(%q) = %q, want the command in a code span", cmd, span)
		}
	})
}

// BenchmarkRender renders the split run (150 keys) for an incoming webhook.
func BenchmarkRender(b *testing.B) {
	var waits []time.Duration
	nt.BenchRender(b, testWebhook(b, "https://hooks.slack.com", &waits))
}

// TestRenderUnreadAccounts: the first run over a directory whose members lack the reader role keeps
// every error group line and the warnings whole, however long the list.
func TestRenderUnreadAccounts(t *testing.T) {
	var waits []time.Duration
	bodies := nt.Bodies(nt.Render(t, testWebhook(t, "https://hooks.slack.com", &waits), nt.UnreadAccounts(t, 40)))
	nt.CheckUnreadAccounts(t, bodies, func(testing.TB, []byte) (int, int) { return 0, 1 })
	// 30 warnings of 150 characters: more than one section holds.
	r := nt.UnreadAccounts(t, 40)
	for i := range 30 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("warning %02d: %s", i, strings.Repeat("x", 138)))
	}
	var all strings.Builder
	for _, m := range renderTest(t, r) {
		for _, b := range m.Blocks.BlockSet {
			if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
				if strings.HasSuffix(s.Text.Text, "…") {
					t.Errorf("a section is cut: %q", s.Text.Text)
				}
				all.WriteString(s.Text.Text)
			}
		}
	}
	if !strings.Contains(all.String(), "warning 29: ") {
		t.Errorf("the last warning is not in the message")
	}
}

package main

// The hostile fixture through the built binary to all six channels at once: API answers and
// configuration carrying every kind of markup a chat client reads (Slack control sequences, markdown
// links and images, robot mentions, font tags, code spans, line breaks that would start a line of
// their own). Each channel's body is compared with a golden file under testdata/ (go test -run
// HostileEveryChannel -update . rewrites them) and read the way its client reads it: nothing in it
// may be live.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/internal/golden"
	"github.com/akrecycle/ak-recycle-alert/notify/webhook"
)

// e2eHostileText carries the markup of every channel, and line breaks followed by what would be a
// fake message line and a heading if a line could start there.
const e2eHostileText = "`<!channel>` [x](https://evil.example) ![i](https://evil.example/i.png) <at id=all></at> <@all> @all " +
	"<font color=red>red</font> <!here|x> &lt;b&gt;\n**FAKE: all clear**\r\n# FAKE heading"

// e2eHostileLabel is ACCOUNT_LABEL, the free text of the configuration; e2eHostileAccount is
// FC_ACCOUNT_ID, which a command-line run shows as the account ID (on FC the platform gives it).
const (
	e2eHostileLabel   = "Prod & " + e2eHostileText
	e2eHostileAccount = e2eAccount + "`<!here>`\n# FAKE account"
)

// The secrets of the four channels that e2eEnv does not configure.
const (
	e2eBotToken      = "xoxb-e2eBotTokenMustNotLeak0007"
	e2eDingTalkSign  = "SECe2eDingTalkSigningSecretMustNotLeak0008"
	e2eFeishuSign    = "e2eFeishuSigningSecretMustNotLeak0009"
	e2eHostileKeyID  = "LTAI5tE2eHostileKey00001"
	e2eHostileUserID = "20732900249392"
)

// e2eHostileUser is one user of the hostile fixture: a RAM_USERS entry, what the API answers for it,
// and the error the run must report for it.
type e2eHostileUser struct {
	entry string // the RAM_USERS entry
	user  ramfake.User
	fault func(s *ramfake.Server, userID string) // an error answer, nil for none
	code  string                                 // the error code the run reports
}

// e2eHostileUsers are the users whose API answers are hostile, in RAM_USERS order; e2eUsers are the
// others.
func e2eHostileUsers(cur time.Time) []e2eHostileUser {
	key := func(raw map[string]any) []ramfake.Key {
		k := e2eKey(e2eHostileKeyID, cur, -6*time.Hour, 30*24*time.Hour)
		k.Raw = raw
		return []ramfake.Key{k}
	}
	user := func(n int, name string, raw map[string]any, keys []ramfake.Key) ramfake.User {
		return ramfake.User{ID: fmt.Sprintf("%s%02d", e2eHostileUserID, n), Name: name, Raw: raw, Keys: keys}
	}
	errorAnswer := func(action string, status int, code, message string) func(*ramfake.Server, string) {
		return func(s *ramfake.Server, userID string) { s.SetErrorAnswer(action, userID, status, code, message) }
	}
	return []e2eHostileUser{
		// A date that is valid RFC 3339 and outside every year a date can be.
		{entry: "mallory", user: user(5, "mallory", nil, key(map[string]any{"DeleteDate": "9999-12-31T23:59:59-23:59"})), code: "InvalidResponse"},
		{entry: "eve", user: user(6, "eve", map[string]any{"UserName": "eve" + e2eHostileText}, nil), code: "InvalidResponse"},
		// Read by user ID (IMS GetUser), whose answer has another one.
		{entry: e2eHostileUserID + "07", user: user(7, "frank", map[string]any{"UserId": "$(rm -rf ~)" + e2eHostileText}, nil), code: "InvalidResponse"},
		{entry: "grace", user: user(8, "grace", nil, key(map[string]any{"AccessKeyId": "LTAI5t" + e2eHostileText})), code: "InvalidResponse"},
		// Read by principal name (IMS GetUser).
		{entry: "heidi@" + ramfake.DefaultDomain, user: user(9, "heidi", nil, key(map[string]any{"RecycleDate": e2eHostileText})), code: "InvalidResponse"},
		{entry: "ivan", user: user(10, "ivan", nil, nil), code: "NoPermission",
			fault: errorAnswer("ListAccessKeysInRecycleBin", 403, "NoPermission", "You are not authorized to do this action. "+e2eHostileText)},
		{entry: "judy", user: user(11, "judy", nil, nil), code: "InvalidParameter",
			fault: func(s *ramfake.Server, userID string) {
				s.SetFault("ListAccessKeysInRecycleBin", userID, ramfake.EchoCredentials)
			}},
		// An error code of markup, from RAM GetUser.
		{entry: "kim", user: user(12, "kim", nil, nil), code: "Forbidden.<!channel>`x`",
			fault: errorAnswer("GetUser", 400, "Forbidden.<!channel>`x`", e2eHostileText)},
	}
}

// e2eHostileDeletions are two ActionTrail events of the deletion of alice's key: a valid one whose every
// text a caller chooses is hostile (the user agent, the role session's name), and one whose address is
// not an address, of another key deleted in the window, which the function skips.
func e2eHostileDeletions(cur time.Time) (valid, invalid ramfake.Event) {
	d := ramfake.Deletion{AccountID: ramfake.DefaultAccountID, Time: cur.Add(-6*time.Hour + 20*time.Second), UserName: "alice",
		AccessKeyID: e2eAliceKey, By: ramfake.Deleter{Type: "assumed-role", Name: "ops" + e2eHostileText, Session: "s<!here>",
			SourceIP: "203.0.113.7", UserAgent: e2eHostileText}}
	valid = ramfake.DeleteAccessKeyEvent(d)
	d.Time, d.AccessKeyID, d.By.SourceIP = cur.Add(-2*time.Hour), "LTAI5tE2eInvalidEvent001", "203.0.113.7 "+e2eHostileText
	invalid = ramfake.DeleteAccessKeyEvent(d)
	// IDs of their own: the derived ones change with the date, and the golden files show them.
	valid.ID, invalid.ID = "0E2E0000-0000-4000-8000-000000000001", "0E2E0000-0000-4000-8000-000000000002"
	return valid, invalid
}

// e2eDeleterOf is the deletedBy the function makes of the event e: its texts on one line.
func e2eDeleterOf(e ramfake.Event) *alert.Deleter {
	line := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	return &alert.Deleter{PrincipalType: e.Identity.Type, PrincipalName: line(e.Identity.UserName), PrincipalID: line(e.Identity.PrincipalID),
		SourceIP: e.SourceIP, UserAgent: line(e.UserAgent), EventType: "ApiCall", EventTime: e.Time, EventID: e.ID}
}

// e2eChatChannels maps each channel's name to the chatFake path its URL starts with.
var e2eChatChannels = map[string]string{
	"slack-webhook": "slack", "slack": "slackapi", "webhook": "webhook",
	"dingtalk": "dingtalk", "feishu": "feishu", "wecom": "wecom",
}

// TestE2EHostileEveryChannel runs a timer event through the binary with all six channels configured,
// ACCOUNT_LABEL hostile and the hostile users among the fixture's: the run succeeds, the good users'
// alerts are sent, each hostile user is reported with its error, every channel gets one message with
// all of it, that message matches its golden file, nothing in it is live, and no secret is anywhere.
func TestE2EHostileEveryChannel(t *testing.T) {
	t.Parallel()
	var hostile []e2eHostileUser
	var deletion ramfake.Event
	e := newE2EEnvOptions(t, func(cur time.Time) ramfake.Options {
		hostile = e2eHostileUsers(cur)
		users := e2eUsers(cur)
		for _, h := range hostile {
			users = append(users, h.user)
		}
		deletion, invalid := e2eHostileDeletions(cur)
		return ramfake.Options{Users: users, Events: []ramfake.Event{deletion, invalid}}
	})
	deletion, _ = e2eHostileDeletions(e.cur)
	entries := []string{"alice", "bob"}
	for _, h := range hostile {
		if h.fault != nil {
			h.fault(e.ram, h.user.ID)
		}
		entries = append(entries, h.entry)
	}
	entries = append(entries, "carol", "dave")

	chat := newChatFake(t, false)
	srv := chat.Server
	for k, v := range map[string]string{
		"RAM_USERS":            strings.Join(entries, ","),
		"ACCOUNT_LABEL":        e2eHostileLabel,
		"FC_ACCOUNT_ID":        e2eHostileAccount,
		"SLACK_WEBHOOK_URL":    srv.URL + "/slack" + e2eSlackPath,
		"SLACK_BOT_TOKEN":      e2eBotToken,
		"SLACK_CHANNEL":        "C0ALERTS",
		"SLACK_API_URL":        srv.URL + "/slackapi/",
		"WEBHOOK_URL":          srv.URL + "/webhook" + e2eWebhookPath,
		"DINGTALK_WEBHOOK_URL": srv.URL + "/dingtalk/robot/send?access_token=" + e2eURLSecret,
		"DINGTALK_SECRET":      e2eDingTalkSign,
		"FEISHU_WEBHOOK_URL":   srv.URL + "/feishu/open-apis/bot/v2/hook/" + e2eURLSecret,
		"FEISHU_SECRET":        e2eFeishuSign,
		"WECOM_WEBHOOK_URL":    srv.URL + "/wecom/cgi-bin/webhook/send?key=" + e2eURLSecret,
	} {
		e.vars[k] = v
	}

	stdout, stderr, code := e.runCLI("", "-e", string(e2eTimerEvent(e.cur)))
	if code != 0 {
		t.Fatalf("exit status %d, want 0: hostile answers must not sink the run\nstdout:\n%s\nstderr:\n%s", code, stdout, e2eTail(stderr))
	}
	secrets := append(slices.Clone(e2eSecrets), e2eBotToken, e2eDingTalkSign, e2eFeishuSign)
	for name, out := range map[string][]byte{"stdout": stdout, "stderr": stderr} {
		if s := e2eFirstOf(out, secrets); s != "" {
			t.Errorf("%s holds the secret %q", name, s)
		}
	}

	r := e2eDecodeResult(t, stdout)
	wantAlerts := e2eExpectedAlerts(e.cur)
	wantAlerts[2].DeletedBy = e2eDeleterOf(deletion)
	if diff := cmp.Diff(wantAlerts, e2eWithoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	wantWarning := `ActionTrail answered 1 deletion event with invalid values, which was skipped: event `
	if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], wantWarning) || strings.ContainsAny(r.Warnings[0], "<>`\n") {
		t.Errorf("result warnings = %q, want one, about the invalid event, without its markup", r.Warnings)
	}
	if r.UsersChecked != 4 {
		t.Errorf("usersChecked = %d, want 4 (alice, bob, carol, dave)", r.UsersChecked)
	}
	var wantErrs, gotErrs []string
	for _, h := range hostile {
		wantErrs = append(wantErrs, h.entry+": "+h.code)
	}
	for _, ue := range r.Errors {
		gotErrs = append(gotErrs, ue.User+": "+ue.Code)
	}
	if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
		t.Errorf("result errors (-want +got):\n%s", diff)
	}
	for _, ue := range r.Errors {
		if ue.Code == "InvalidResponse" && strings.ContainsAny(ue.Message, "<>`[]\n") {
			t.Errorf("%s's InvalidResponse quotes the hostile value verbatim: %q", ue.User, ue.Message)
		}
	}
	if r.AccountLabel != e2eHostileLabel {
		t.Errorf("result accountLabel = %q, want ACCOUNT_LABEL exactly", r.AccountLabel)
	}
	var names []string
	for _, d := range r.Deliveries {
		names = append(names, d.Channel)
		if !d.OK || d.Messages != 1 {
			t.Errorf("delivery %+v, want ok with 1 message", d)
		}
	}
	slices.Sort(names)
	wantNames := slices.Sorted(maps.Keys(e2eChatChannels))
	if !cmp.Equal(names, wantNames) {
		t.Errorf("deliveries to %q, want one to each of %q", names, wantNames)
	}

	norm := e2eNormalizer(e.cur, r)
	for _, name := range wantNames {
		t.Run(name, func(t *testing.T) {
			posts := chat.postsTo(e2eChatChannels[name])
			if len(posts) != 1 {
				t.Fatalf("%s received %d posts, want 1", name, len(posts))
			}
			body := e2eReceivedJSON(t, name, posts[0])
			if s := e2eFirstOf(body, secrets); s != "" {
				t.Errorf("the message holds the secret %q", s)
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, body, "", "  "); err != nil {
				t.Fatalf("the body is not JSON: %v\n%s", err, body)
			}
			golden.Check(t, "e2e-hostile-"+name+".json.golden", []byte(norm(indented.String()+"\n")))

			for _, a := range r.Alerts {
				if !bytes.Contains(body, []byte(a.AccessKeyID)) {
					t.Errorf("the message lacks the alert of %s", a.AccessKeyID)
				}
			}
			for _, h := range hostile {
				if !bytes.Contains(body, []byte(h.entry)) {
					t.Errorf("the message does not report %s", h.entry)
				}
			}
			if !bytes.Contains(body, []byte("InvalidResponse")) || !bytes.Contains(body, []byte("NoPermission")) {
				t.Errorf("the message names neither InvalidResponse nor NoPermission")
			}
			if name == "webhook" {
				e2eCheckHostileWebhook(t, body, r)
				return
			}
			texts := e2eChatTexts(t, name, body)
			if len(texts) == 0 {
				t.Fatal("found no text in the message")
			}
			for _, txt := range texts {
				e2eCheckInert(t, txt)
			}
		})
	}
}

// e2eFirstOf returns the first of ss that b holds, or "".
func e2eFirstOf(b []byte, ss []string) string {
	for _, s := range ss {
		if bytes.Contains(b, []byte(s)) {
			return s
		}
	}
	return ""
}

// e2eSlackForm is the Slack bot's chat.postMessage form but its token, as JSON.
type e2eSlackForm struct {
	Channel string          `json:"channel"`
	Text    string          `json:"text"`
	Blocks  json.RawMessage `json:"blocks"`
}

// e2eReceivedJSON returns the JSON that a channel's post carries: the body itself, or for the Slack
// bot, whose client posts a form, the form's fields but its token, which must be the bot token and
// nothing else: no field that makes Slack link names (link_names, parse) is sent.
func e2eReceivedJSON(t *testing.T, channel, body string) []byte {
	t.Helper()
	if channel != "slack" {
		return []byte(body)
	}
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatalf("the chat.postMessage body is not a form: %v", err)
	}
	if got := slices.Sorted(maps.Keys(form)); !cmp.Equal(got, []string{"blocks", "channel", "text", "token"}) {
		t.Errorf("chat.postMessage fields = %q, want blocks, channel, text and token", got)
	}
	if form.Get("token") != e2eBotToken {
		t.Errorf("chat.postMessage token is not the bot token")
	}
	b, err := json.Marshal(e2eSlackForm{Channel: form.Get("channel"), Text: form.Get("text"), Blocks: json.RawMessage(form.Get("blocks"))})
	if err != nil {
		t.Fatalf("chat.postMessage blocks are not JSON: %v", err)
	}
	return b
}

var (
	// e2eDateRE matches a date and time as the messages write them: RFC 3339 in UTC, or "2006-01-02 15:04".
	e2eDateRE = regexp.MustCompile(`(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?`)
	// e2eAlertIDRE is an alert id; e2eLocalIDRE the request ID of a command-line run.
	e2eAlertIDRE = regexp.MustCompile(`alrt_[0-9a-f]{32}`)
	e2eLocalIDRE = regexp.MustCompile(`local-[0-9a-f]+`)
	// e2eSignedRE are Feishu's signing fields, a Unix time and its signature.
	e2eSignedRE = regexp.MustCompile(`"(timestamp": "[0-9]+|sign": "[^"]*)"`)
)

// e2eNormalizer returns what makes a body the same on every day and run: each date near cur becomes
// its distance from cur ({cur-6h}), each alert id names its AccessKey, the request ID and Feishu's
// timestamp and signature become placeholders. Dates far from cur (the hostile ones) stay.
func e2eNormalizer(cur time.Time, r handler.Result) func(string) string {
	keyOf := map[string]string{}
	for _, a := range r.Alerts {
		keyOf[a.ID] = a.AccessKeyID
	}
	return func(s string) string {
		s = e2eDateRE.ReplaceAllStringFunc(s, func(m string) string {
			sub := e2eDateRE.FindStringSubmatch(m)
			sec := sub[3]
			if sec == "" {
				sec = ":00"
			}
			at, err := time.Parse("2006-01-02 15:04:05", sub[1]+" "+sub[2]+sec)
			if d := at.Sub(cur); err != nil || d > 400*24*time.Hour || d < -400*24*time.Hour {
				return m
			}
			return "{cur" + e2eSignedDuration(at.Sub(cur)) + "}"
		})
		s = e2eAlertIDRE.ReplaceAllStringFunc(s, func(id string) string {
			if k := keyOf[id]; k != "" {
				return "alrt_{" + k + "}"
			}
			return id
		})
		s = e2eLocalIDRE.ReplaceAllString(s, "local-{request}")
		return e2eSignedRE.ReplaceAllStringFunc(s, func(m string) string {
			name, _, _ := strings.Cut(m, ":")
			return name + `: "{` + strings.Trim(name, `"`) + `}"`
		})
	}
}

// e2eSignedDuration writes d as +3d12h, -6h30m or "" for zero.
func e2eSignedDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	out := "+"
	if d < 0 {
		out, d = "-", -d
	}
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			out += fmt.Sprintf("%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	return out
}

// e2eChatText is one text of a chat message and how its client reads it: markup "slack" (Slack
// mrkdwn, the fallback text included), "markdown" (DingTalk and WeCom markdown, Feishu lark_md) or
// "plain".
type e2eChatText struct {
	where, markup, text string
}

// e2eChatTexts returns every text of a chat channel's body, failing the test on a mention field that
// notifies anyone.
func e2eChatTexts(t *testing.T, channel string, body []byte) []e2eChatText {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("the body is not a JSON object: %v", err)
	}
	var out []e2eChatText
	add := func(where, markup string, s any) {
		if str, ok := s.(string); ok {
			out = append(out, e2eChatText{where, markup, str})
		}
	}
	switch channel {
	case "slack-webhook", "slack":
		add("fallback text", "slack", v["text"])
		for _, f := range []string{"link_names", "parse"} {
			if v[f] != nil {
				t.Errorf("the message sets %s: %v", f, v[f])
			}
		}
		e2eWalk(v["blocks"], "blocks", func(where string, obj map[string]any) {
			switch obj["type"] {
			case "mrkdwn":
				if obj["verbatim"] != true {
					t.Errorf("%s: mrkdwn without verbatim: Slack would link URLs, channel names and mentions in it", where)
				}
				add(where, "slack", obj["text"])
			case "plain_text":
				add(where, "plain", obj["text"])
			}
		})
	case "dingtalk", "wecom":
		md, _ := v["markdown"].(map[string]any)
		add("title", "plain", md["title"])
		add("markdown", "markdown", md["text"])
		add("markdown", "markdown", md["content"])
		if at, _ := v["at"].(map[string]any); at["isAtAll"] == true || at["atMobiles"] != nil || at["atUserIds"] != nil {
			t.Errorf("the body mentions people: %v", at)
		}
		if md["mentioned_list"] != nil || md["mentioned_mobile_list"] != nil {
			t.Errorf("the body mentions people: %v", md)
		}
	case "feishu":
		e2eWalk(v["card"], "card", func(where string, obj map[string]any) {
			switch obj["tag"] {
			case "lark_md":
				add(where, "markdown", obj["content"])
			case "plain_text":
				add(where, "plain", obj["content"])
			case "at", "a", "img", "button":
				t.Errorf("%s: a %s element: %v", where, obj["tag"], obj)
			}
		})
	}
	return out
}

// e2eWalk calls f on every object inside v, with its path.
func e2eWalk(v any, where string, f func(where string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(where, v)
		for k, x := range v {
			e2eWalk(x, where+"."+k, f)
		}
	case []any:
		for i, x := range v {
			e2eWalk(x, fmt.Sprintf("%s[%d]", where, i), f)
		}
	}
}

var (
	// e2eEntityRE is an HTML entity a client would decode; e2eSlackEntityRE one of Slack's three.
	e2eEntityRE      = regexp.MustCompile(`&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)
	e2eSlackEntityRE = regexp.MustCompile(`&(amp|lt|gt);`)
	// e2eMentionRE is an @ that starts a word.
	e2eMentionRE = regexp.MustCompile(`(^|[^\p{L}\p{N}])@`)
)

// e2eCheckInert reads one text as its client would: no control sequence, link, image, mention, font
// tag or entity, no line break but the renderer's, and no line that the hostile text starts.
func e2eCheckInert(t *testing.T, o e2eChatText) {
	t.Helper()
	if strings.ContainsFunc(o.text, func(r rune) bool {
		return r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029')
	}) {
		t.Errorf("%s holds a control character: %q", o.where, o.text)
	}
	for _, line := range strings.Split(o.text, "\n") {
		// What the hostile text put after its line breaks must stay inside the line it came in.
		start := strings.TrimLeft(line, " \t*∗_ˍ#>›\u200b")
		if strings.HasPrefix(start, "FAKE") {
			t.Errorf("%s: the hostile text starts the line %q", o.where, line)
		}
	}
	switch o.markup {
	case "slack":
		// Slack's control sequences (<!channel>, <@U…>, <http://…|…>) all start with <.
		if strings.ContainsAny(o.text, "<>") {
			t.Errorf("%s holds a raw < or >: %q", o.where, o.text)
		}
		if n, m := strings.Count(o.text, "&"), len(e2eSlackEntityRE.FindAllString(o.text, -1)); n != m {
			t.Errorf("%s holds %d & but %d entities: %q", o.where, n, m, o.text)
		}
		if strings.Contains(o.text, "://") {
			t.Errorf("%s holds a URL Slack would link: %q", o.where, o.text)
		}
		for _, line := range strings.Split(o.text, "\n") {
			if l := strings.TrimLeft(line, " "); strings.HasPrefix(l, "&gt;") || strings.HasPrefix(l, "```") {
				t.Errorf("%s: line %q is a quote or preformatted", o.where, line)
			}
		}
	case "markdown":
		for _, bad := range []string{"](", "![", "<", ">", "://", "\\"} {
			if strings.Contains(o.text, bad) {
				t.Errorf("%s holds %q: %q", o.where, bad, o.text)
			}
		}
		if m := e2eEntityRE.FindString(o.text); m != "" {
			t.Errorf("%s holds the HTML entity %q: %q", o.where, m, o.text)
		}
		if e2eMentionRE.MatchString(o.text) {
			t.Errorf("%s holds an @ mention: %q", o.where, o.text)
		}
		for _, line := range strings.Split(o.text, "\n") {
			if l := strings.TrimLeft(line, " "); strings.HasPrefix(l, "#") || strings.HasPrefix(l, ">") {
				t.Errorf("%s: line %q is a heading or a quote", o.where, line)
			}
		}
	}
}

// e2eCheckHostileWebhook checks the generic webhook's body, data for programs: every value exactly as
// in the result, JSON-encoded, so that no raw <, > or line break is in the bytes.
func e2eCheckHostileWebhook(t *testing.T, body []byte, r handler.Result) {
	t.Helper()
	var got webhook.Body
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("the body is not a webhook body: %v", err)
	}
	if got.Data.AccountLabel != e2eHostileLabel || got.Data.AccountID != e2eHostileAccount {
		t.Errorf("accountLabel, accountId = %q, %q; want ACCOUNT_LABEL and FC_ACCOUNT_ID exactly", got.Data.AccountLabel, got.Data.AccountID)
	}
	if diff := cmp.Diff(r.Errors, got.Data.Errors); diff != "" {
		t.Errorf("errors (-result +webhook):\n%s", diff)
	}
	if diff := cmp.Diff(r.Alerts, got.Data.Alerts); diff != "" {
		t.Errorf("alerts (-result +webhook):\n%s", diff)
	}
	if bytes.ContainsAny(body, "<>\n\r") {
		t.Errorf("the body holds a raw <, >, or line break: %s", body)
	}
}

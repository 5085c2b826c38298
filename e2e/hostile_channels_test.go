package e2e

// The hostile fixture through the built binary to all six channels at once: API answers and
// configuration carrying every kind of markup a chat client reads (Slack control sequences, markdown
// links and images, robot mentions, font tags, code spans, line breaks that would start a line of
// their own). Each channel's body is compared with a golden file under testdata/ (go test ./e2e -run
// HostileEveryChannel -update rewrites them) and read the way its client reads it (chat_test.go):
// nothing in it may be live.

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
)

// hostileText carries the markup of every channel, and line breaks followed by what would be a
// fake message line and a heading if a line could start there.
const hostileText = "`<!channel>` [x](https://evil.example) ![i](https://evil.example/i.png) <at id=all></at> <@all> @all " +
	"<font color=red>red</font> <!here|x> &lt;b&gt;\n**FAKE: all clear**\r\n# FAKE heading"

// hostileLabel is ACCOUNT_LABEL, the free text of the configuration; hostileAccount is
// FC_ACCOUNT_ID, which a command-line run shows as the account ID (on FC the platform gives it).
const (
	hostileLabel   = "Prod & " + hostileText
	hostileAccount = accountID + "`<!here>`\n# FAKE account"
)

// The secrets of the four channels that newWorld does not configure.
const (
	botToken       = "xoxb-e2eBotTokenMustNotLeak0007"
	dingTalkSecret = "SECe2eDingTalkSigningSecretMustNotLeak0008"
	feishuSecret   = "e2eFeishuSigningSecretMustNotLeak0009"
	hostileKeyID   = "LTAI5tE2eHostileKey00001"
	hostileUserID  = "20732900249392"
)

// hostileUser is one user of the hostile fixture: a RAM_USERS entry, what the API answers for it,
// and the error the run must report for it.
type hostileUser struct {
	entry string // the RAM_USERS entry
	user  ramfake.User
	fault func(s *ramfake.Server, userID string) // an error answer, nil for none
	code  string                                 // the error code the run reports
}

// hostileUsers are the users whose API answers are hostile, in RAM_USERS order; fixtureUsers are the
// others.
func hostileUsers(cur time.Time) []hostileUser {
	key := func(raw map[string]any) []ramfake.Key {
		k := binKey(hostileKeyID, cur, -6*time.Hour, 30*24*time.Hour)
		k.Raw = raw
		return []ramfake.Key{k}
	}
	user := func(n int, name string, raw map[string]any, keys []ramfake.Key) ramfake.User {
		return ramfake.User{ID: fmt.Sprintf("%s%02d", hostileUserID, n), Name: name, Raw: raw, Keys: keys}
	}
	errorAnswer := func(action string, status int, code, message string) func(*ramfake.Server, string) {
		return func(s *ramfake.Server, userID string) { s.SetErrorAnswer(action, userID, status, code, message) }
	}
	return []hostileUser{
		// A date that is valid RFC 3339 and outside every year a date can be.
		{entry: "mallory", user: user(5, "mallory", nil, key(map[string]any{"DeleteDate": "9999-12-31T23:59:59-23:59"})), code: "InvalidResponse"},
		{entry: "eve", user: user(6, "eve", map[string]any{"UserName": "eve" + hostileText}, nil), code: "InvalidResponse"},
		// Read by user ID (IMS GetUser), whose answer has another one.
		{entry: hostileUserID + "07", user: user(7, "frank", map[string]any{"UserId": "$(rm -rf ~)" + hostileText}, nil), code: "InvalidResponse"},
		{entry: "grace", user: user(8, "grace", nil, key(map[string]any{"AccessKeyId": "LTAI5t" + hostileText})), code: "InvalidResponse"},
		// Read by principal name (IMS GetUser).
		{entry: "heidi@" + ramfake.DefaultDomain, user: user(9, "heidi", nil, key(map[string]any{"RecycleDate": hostileText})), code: "InvalidResponse"},
		{entry: "ivan", user: user(10, "ivan", nil, nil), code: "NoPermission",
			fault: errorAnswer("ListAccessKeysInRecycleBin", 403, "NoPermission", "You are not authorized to do this action. "+hostileText)},
		{entry: "judy", user: user(11, "judy", nil, nil), code: "InvalidParameter",
			fault: func(s *ramfake.Server, userID string) {
				s.SetFault("ListAccessKeysInRecycleBin", userID, ramfake.EchoCredentials)
			}},
		// An error code of markup, from RAM GetUser.
		{entry: "kim", user: user(12, "kim", nil, nil), code: "Forbidden.<!channel>`x`",
			fault: errorAnswer("GetUser", 400, "Forbidden.<!channel>`x`", hostileText)},
	}
}

// hostileChannels are the registry's names of the six channels, sorted.
var hostileChannels = []string{"dingtalk", "feishu", "slack", "slack-webhook", "webhook", "wecom"}

// hostileDeletions are two ActionTrail events of deletions in the window: alice's key's, whose every text
// a caller chooses is hostile (the user agent, the role session's name), and another key's, whose
// address is not an address, which the function skips.
func hostileDeletions(cur time.Time) (valid, invalid ramfake.Event) {
	d := ramfake.Deletion{AccountID: ramfake.DefaultAccountID, Time: cur.Add(-6*time.Hour + 20*time.Second), UserName: "alice",
		AccessKeyID: aliceKey, By: ramfake.Deleter{Type: "assumed-role", Name: "ops" + hostileText, Session: "s<!here>",
			SourceIP: "203.0.113.7", UserAgent: hostileText}}
	valid = ramfake.DeleteAccessKeyEvent(d)
	d.Time, d.AccessKeyID, d.By.SourceIP = cur.Add(-2*time.Hour), "LTAI5tE2eInvalidEvent001", "203.0.113.7 "+hostileText
	invalid = ramfake.DeleteAccessKeyEvent(d)
	// IDs of their own: the derived ones change with the date, and the golden files show them.
	valid.ID, invalid.ID = "0E2E0000-0000-4000-8000-000000000001", "0E2E0000-0000-4000-8000-000000000002"
	return valid, invalid
}

// deleterOf is the deletedBy the function makes of the event e: its texts on one line.
func deleterOf(e ramfake.Event) *alert.Deleter {
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

// TestHostileEveryChannel runs a timer event through the binary with all six channels configured,
// ACCOUNT_LABEL hostile, the hostile users among the fixture's and alice's key deleted by a hostile role
// session with a hostile user agent: the run succeeds, the good users'
// alerts are sent, each hostile user is reported with its error, every channel gets one message with
// all of it, that message matches its golden file, nothing in it is live, and no secret is anywhere.
func TestHostileEveryChannel(t *testing.T) {
	t.Parallel()
	var hostile []hostileUser
	e := newWorldOptions(t, func(cur time.Time) ramfake.Options {
		hostile = hostileUsers(cur)
		users := fixtureUsers(cur)
		for _, h := range hostile {
			users = append(users, h.user)
		}
		deletion, invalid := hostileDeletions(cur)
		return ramfake.Options{Users: users, Events: []ramfake.Event{deletion, invalid}}
	})
	deletion, _ := hostileDeletions(e.cur)
	entries := []string{"alice", "bob"}
	for _, h := range hostile {
		if h.fault != nil {
			h.fault(e.ram, h.user.ID)
		}
		entries = append(entries, h.entry)
	}
	entries = append(entries, "carol", "dave")

	v := e.vendors
	for name, value := range map[string]string{
		"RAM_USERS":            strings.Join(entries, ","),
		"ACCOUNT_LABEL":        hostileLabel,
		"FC_ACCOUNT_ID":        hostileAccount,
		"SLACK_WEBHOOK_URL":    v.ChannelURL("slack-webhook", slackPath),
		"SLACK_BOT_TOKEN":      botToken,
		"SLACK_CHANNEL":        "C0ALERTS",
		"SLACK_API_URL":        v.ChannelURL("slack", "/"),
		"WEBHOOK_URL":          v.ChannelURL("webhook", webhookPath),
		"DINGTALK_WEBHOOK_URL": v.ChannelURL("dingtalk", "/robot/send?access_token="+urlSecret),
		"DINGTALK_SECRET":      dingTalkSecret,
		"FEISHU_WEBHOOK_URL":   v.ChannelURL("feishu", "/open-apis/bot/v2/hook/"+urlSecret),
		"FEISHU_SECRET":        feishuSecret,
		"WECOM_WEBHOOK_URL":    v.ChannelURL("wecom", "/cgi-bin/webhook/send?key="+urlSecret),
	} {
		e.vars[name] = value
	}

	stdout, stderr, code := e.runCLI("", "-e", string(timerEvent(e.cur)))
	if code != 0 {
		t.Fatalf("exit status %d, want 0: hostile answers must not sink the run\nstdout:\n%s\nstderr:\n%s", code, stdout, tail(stderr))
	}
	allSecrets := append(slices.Clone(secrets), botToken, dingTalkSecret, feishuSecret)
	for name, out := range map[string][]byte{"stdout": stdout, "stderr": stderr} {
		if s := firstOf(out, allSecrets); s != "" {
			t.Errorf("%s holds the secret %q", name, s)
		}
	}

	r := decodeResult(t, stdout)
	wantAlerts := expectedAlerts(e.cur)
	wantAlerts[2].DeletedBy = deleterOf(deletion)
	for i := range wantAlerts {
		wantAlerts[i].AccountID, wantAlerts[i].AccountName = hostileAccount, hostileLabel
	}
	if diff := cmp.Diff(wantAlerts, withoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	wantWarning := "ActionTrail answered 1 deletion event with invalid values, which was skipped: event "
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
	if r.AccountLabel != hostileLabel {
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
	if !cmp.Equal(names, hostileChannels) {
		t.Errorf("deliveries to %q, want one to each of %q", names, hostileChannels)
	}

	norm := normalizer(e.cur, r)
	for _, name := range hostileChannels {
		t.Run(name, func(t *testing.T) {
			posts := e.vendors.Posts(name)
			if len(posts) != 1 {
				t.Fatalf("%s received %d posts, want 1", name, len(posts))
			}
			body := receivedJSON(t, name, string(posts[0].Body))
			if s := firstOf(body, allSecrets); s != "" {
				t.Errorf("the message holds the secret %q", s)
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, body, "", "  "); err != nil {
				t.Fatalf("the body is not JSON: %v\n%s", err, body)
			}
			golden.Check(t, "hostile-"+name+".json.golden", []byte(norm(indented.String()+"\n")))

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
				checkHostileWebhook(t, body, r)
				return
			}
			texts := chatTexts(t, name, body)
			if len(texts) == 0 {
				t.Fatal("found no text in the message")
			}
			for _, txt := range texts {
				checkInert(t, txt)
			}
		})
	}
}

// slackForm is the Slack bot's chat.postMessage form but its token, as JSON.
type slackForm struct {
	Channel string          `json:"channel"`
	Text    string          `json:"text"`
	Blocks  json.RawMessage `json:"blocks"`
}

// receivedJSON returns the JSON that a channel's post carries: the body itself, or for the Slack
// bot, whose client posts a form, the form's fields but its token, which must be the bot token and
// nothing else: no field that makes Slack link names (link_names, parse) is sent.
func receivedJSON(t *testing.T, channel, body string) []byte {
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
	if form.Get("token") != botToken {
		t.Errorf("chat.postMessage token is not the bot token")
	}
	b, err := json.Marshal(slackForm{Channel: form.Get("channel"), Text: form.Get("text"), Blocks: json.RawMessage(form.Get("blocks"))})
	if err != nil {
		t.Fatalf("chat.postMessage blocks are not JSON: %v", err)
	}
	return b
}

var (
	// dateRE matches a date and time as the messages write them: RFC 3339 in UTC, or "2006-01-02 15:04".
	dateRE = regexp.MustCompile(`(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?`)
	// alertIDRE is an alert id; localIDRE the request ID of a command-line run.
	alertIDRE = regexp.MustCompile(`alrt_[0-9a-f]{32}`)
	localIDRE = regexp.MustCompile(`local-[0-9a-f]+`)
	// signedRE are Feishu's signing fields, a Unix time and its signature.
	signedRE = regexp.MustCompile(`"(timestamp": "[0-9]+|sign": "[^"]*)"`)
)

// normalizer returns what makes a body the same on every day and run: each date near cur becomes
// its distance from cur ({cur-6h}), each alert id names its AccessKey, the request ID and Feishu's
// timestamp and signature become placeholders. Dates far from cur (the hostile ones) stay.
func normalizer(cur time.Time, r handler.Result) func(string) string {
	keyOf := map[string]string{}
	for _, a := range r.Alerts {
		keyOf[a.ID] = a.AccessKeyID
	}
	return func(s string) string {
		s = dateRE.ReplaceAllStringFunc(s, func(m string) string {
			sub := dateRE.FindStringSubmatch(m)
			sec := sub[3]
			if sec == "" {
				sec = ":00"
			}
			at, err := time.Parse("2006-01-02 15:04:05", sub[1]+" "+sub[2]+sec)
			if d := at.Sub(cur); err != nil || d > 400*24*time.Hour || d < -400*24*time.Hour {
				return m
			}
			return "{cur" + signedDuration(at.Sub(cur)) + "}"
		})
		s = alertIDRE.ReplaceAllStringFunc(s, func(id string) string {
			if k := keyOf[id]; k != "" {
				return "alrt_{" + k + "}"
			}
			return id
		})
		s = localIDRE.ReplaceAllString(s, "local-{request}")
		return signedRE.ReplaceAllStringFunc(s, func(m string) string {
			name, _, _ := strings.Cut(m, ":")
			return name + `: "{` + strings.Trim(name, `"`) + `}"`
		})
	}
}

// signedDuration writes d as +3d12h, -6h30m or "" for zero.
func signedDuration(d time.Duration) string {
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

// chatText is one text of a chat message and how its client reads it: markup "slack" (Slack

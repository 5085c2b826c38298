package e2e

// Reading a chat message as its client does: every text of a message with its markup, and the check
// that nothing in it is live.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/notify/webhook"
)

// mrkdwn, the fallback text included), "markdown" (DingTalk and WeCom markdown, Feishu lark_md) or
// "plain".
type chatText struct {
	where, markup, text string
}

// chatTexts returns every text of a chat channel's body, failing the test on a mention field that
// notifies anyone.
func chatTexts(t *testing.T, channel string, body []byte) []chatText {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("the body is not a JSON object: %v", err)
	}
	var out []chatText
	add := func(where, markup string, s any) {
		if str, ok := s.(string); ok {
			out = append(out, chatText{where, markup, str})
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
		walk(v["blocks"], "blocks", func(where string, obj map[string]any) {
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
		walk(v["card"], "card", func(where string, obj map[string]any) {
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

// walk calls f on every object inside v, with its path.
func walk(v any, where string, f func(where string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(where, v)
		for k, x := range v {
			walk(x, where+"."+k, f)
		}
	case []any:
		for i, x := range v {
			walk(x, fmt.Sprintf("%s[%d]", where, i), f)
		}
	}
}

var (
	// entityRE is an HTML entity a client would decode; slackEntityRE one of Slack's three.
	entityRE      = regexp.MustCompile(`&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)
	slackEntityRE = regexp.MustCompile(`&(amp|lt|gt);`)
	// mentionRE is an @ that starts a word.
	mentionRE = regexp.MustCompile(`(^|[^\p{L}\p{N}])@`)
)

// checkInert reads one text as its client would: no control sequence, link, image, mention, font
// tag or entity, no line break but the renderer's, and no line that the hostile text starts.
func checkInert(t *testing.T, o chatText) {
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
		if n, m := strings.Count(o.text, "&"), len(slackEntityRE.FindAllString(o.text, -1)); n != m {
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
		if m := entityRE.FindString(o.text); m != "" {
			t.Errorf("%s holds the HTML entity %q: %q", o.where, m, o.text)
		}
		if mentionRE.MatchString(o.text) {
			t.Errorf("%s holds an @ mention: %q", o.where, o.text)
		}
		for _, line := range strings.Split(o.text, "\n") {
			if l := strings.TrimLeft(line, " "); strings.HasPrefix(l, "#") || strings.HasPrefix(l, ">") {
				t.Errorf("%s: line %q is a heading or a quote", o.where, line)
			}
		}
	}
}

// checkHostileWebhook checks the generic webhook's body, data for programs: every value exactly as
// in the result, JSON-encoded, so that no raw <, > or line break is in the bytes.
func checkHostileWebhook(t *testing.T, body []byte, r handler.Result) {
	t.Helper()
	var got webhook.Body
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("the body is not a webhook body: %v", err)
	}
	if got.Data.AccountLabel != hostileLabel || got.Data.AccountID != hostileAccount {
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

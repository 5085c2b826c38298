package robot

// This file is the robots' markdown (DingTalk and WeCom markdown, and, through KeyLines, Feishu's
// lark_md), with the escaper that makes text from outside inert in it.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/escape"
)

// Format is how Markdown and KeyLines write one dialect.
type Format struct {
	// NL is the line break.
	NL string
	// Text turns text from outside into inert text of the dialect, on one line.
	Text func(string) string
	// Bold sets the renderer's own words, or escaped text, in bold.
	Bold func(string) string
	// Code shows a command to copy, exactly, or returns "" when the dialect cannot.
	Code func(string) string
}

// markdownFormat is the robots' markdown with line break nl.
func markdownFormat(nl string) Format {
	return Format{NL: nl, Text: Text, Bold: Bold, Code: code}
}

// Bold is s in bold: **s**.
func Bold(s string) string { return "**" + s + "**" }

// Markdown renders the part as the markdown every robot understands: **bold**, `code`, "- " lists;
// paragraphs are separated by a blank line and lines by lineBreak ("\n", or "  \n" where a single
// newline does not break). The first line is the title; in a run over several accounts, each account's
// keys follow its heading in bold. Text from outside is escaped (Text).
func Markdown(p notify.Part, lineBreak string) string {
	f := markdownFormat(lineBreak)
	var paras []string
	paras = append(paras, f.Bold(p.Title())+f.NL+f.Text(p.Context()))
	for _, g := range p.Groups() {
		if g.Account != "" {
			paras = append(paras, AccountHeading(g.Account, f))
		}
		for i, k := range g.Keys {
			paras = append(paras, KeyLines(k, g.Offset+i+1, f))
		}
	}
	if eg := p.Errors(); len(eg) > 0 {
		lines := []string{f.Bold("Users whose recycle bin could not be read")}
		for _, g := range eg {
			lines = append(lines, "- "+f.Text(g.Text()))
		}
		paras = append(paras, strings.Join(lines, f.NL))
	}
	if w := p.Warnings(); len(w) > 0 {
		lines := []string{f.Bold("Warnings")}
		for _, s := range w {
			lines = append(lines, "- "+f.Text(s))
		}
		paras = append(paras, strings.Join(lines, f.NL))
	}
	if r := p.RestLine(); r != "" {
		paras = append(paras, r)
	}
	return strings.Join(paras, f.NL+f.NL)
}

// AccountHeading is the heading of an account's keys in format f: "Account dev (1000000000000001)" in
// bold, the account escaped.
func AccountHeading(account string, f Format) string {
	return f.Bold("Account " + f.Text(account))
}

// KeyLines is the paragraph of key k, numbered n, in format f: the key, the user and the event; when it
// is purged; who deleted it; the bin-full warning; the restore command. A deleted user's is userLines'.
func KeyLines(k notify.KeyItem, n int, f Format) string {
	if k.DeletedUser != nil {
		return userLines(k, n, f)
	}
	l := []string{
		fmt.Sprintf("%d. %s, %s: %s", n, f.Bold(f.Text(k.Alert.AccessKeyID)), f.Text(k.User), f.Text(k.Event)),
		fmt.Sprintf("Purged %s (%s), deleted %s", k.Left, k.Purged, k.Recycled),
	}
	if k.Past {
		l[1] = fmt.Sprintf("DeleteDate %s: past DeleteDate, may already be gone (deleted %s)", k.Purged, k.Recycled)
	}
	if k.Deleter != "" {
		l = append(l, f.Text(k.Deleter))
	}
	if k.BinFull != "" {
		l = append(l, "⚠ "+f.Text(k.BinFull))
	}
	l = append(l, "Restore: "+k.RestoreText(f.Code, f.Text))
	return strings.Join(l, f.NL)
}

// userLines is the paragraph of deleted user k, numbered n, in format f: the user, its principal name
// and the event; what is purged when; who deleted the user; a line per AccessKey (or that every AccessKey goes with the user);
// the command that restores the user, then one per key.
func userLines(k notify.KeyItem, n int, f Format) string {
	u := k.DeletedUser
	l := []string{
		fmt.Sprintf("%d. %s, %s: %s", n, f.Bold(f.Text(k.User)), f.Text(u.PrincipalName), f.Text(k.Event)),
		f.Text(u.Summary),
	}
	if k.Deleter != "" {
		l = append(l, f.Text(k.Deleter))
	}
	for _, key := range u.Keys {
		l = append(l, f.Text(key.Text()))
	}
	if u.NoKeys != "" {
		l = append(l, f.Text(u.NoKeys))
	}
	l = append(l, "Restore: "+k.RestoreText(f.Code, f.Text))
	for _, key := range u.Keys {
		l = append(l, "Then: "+key.RestoreText(f.Code, f.Text))
	}
	return strings.Join(l, f.NL)
}

// Text makes text from outside (a value, or a phrase holding values) inert in the robots'
// markdown, wherever it is put, also at the start of a line or of a list item. The dialects document
// what they read but no escape, neither backslashes nor HTML entities:
//
//   - DingTalk markdown: headings, quotes, bold, italic, links, images, lists, <font>
//     (open.dingtalk.com/document/orgapp/message-type, custom robot "markdown");
//   - WeCom markdown: headings, bold, links, code, quotes, <font color>, <@userid> mentions
//     (developer.work.weixin.qq.com/document/path/91770);
//   - Feishu lark_md: bold, italic, strike, links, <at id=all></at>, <font>, <a href>
//     (open.feishu.cn/document/ukTMukTMukTM/uADOwUjLwgDM14CM4ATN).
//
// So each character that can start markup in any of them becomes a look-alike that none reads:
// ∗ ˋ ∼ for the asterisk, backtick and tilde (emphasis, code, strike); ˍ for an underscore, except
// inside a word (ops_team), where it marks nothing; ［ ］ for brackets (links, images); ‹ › for angle
// brackets (HTML, <font>, <at>, <@userid>, quotes); ＼ for the backslash (escapes); ＠ for an @ that
// starts a word (@all; alice@corp stays); ＆ for an & before a letter or # (HTML entities). "://"
// gets a zero-width space after its colon, so that no client links a bare URL; a text that starts
// like a block (a space, #, -, +, =, |, or a number and "." or ")" as in "1. ") gets one in front, so
// that it starts no heading, list, table or thematic break. Line breaks become spaces
// (escape.OneLine). Ordinary names, IDs and messages come out as they went in.
func Text(s string) string {
	out := escape.Runes(s, marks, func(before string, r rune, after string) string {
		switch r {
		case '*':
			return "∗"
		case '`':
			return "ˋ"
		case '~':
			return "∼"
		case '_':
			if !escape.WordBefore(before) || !escape.WordAfter(after) {
				return "ˍ"
			}
		case '[':
			return "［"
		case ']':
			return "］"
		case '<':
			return "‹"
		case '>':
			return "›"
		case '\\':
			return "＼"
		case '@':
			if !escape.WordBefore(before) {
				return "＠"
			}
		case '&':
			if next, _ := utf8.DecodeRuneInString(after); next == '#' || next < utf8.RuneSelf && unicode.IsLetter(next) {
				return "＆"
			}
		case ':':
			if strings.HasPrefix(after, "//") {
				return ":" + escape.ZWSP
			}
		}
		return ""
	})
	if startsBlock(out) {
		return escape.ZWSP + out
	}
	return out
}

// marks are the ASCII characters Text may change.
var marks = escape.Marks("*`~_[]<>\\@&:")

// code shows a command in a code span when it holds nothing that Text would change,
// and otherwise returns "": none of the robots documents what its code spans read (DingTalk documents
// no code span at all, and a <@userid> inside one may still mention), so a span only holds what is
// inert outside one too. Commands made of IDs of letters and digits always qualify.
func code(s string) string {
	if s == "" || Text(s) != s {
		return ""
	}
	return "`" + s + "`"
}

// startsBlock reports whether s, put at the start of a line, would start a block other than a
// paragraph in some markdown: a heading, a list item, a thematic break, a setext underline, a table
// row, or (with leading spaces) a code block or a nested block.
func startsBlock(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case ' ', '#', '-', '+', '=', '|':
		return true
	}
	i := 0
	for i < len(s) && i < 10 && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i > 0 && i < len(s) && (s[i] == '.' || s[i] == ')') && (i+1 == len(s) || s[i+1] == ' ')
}

// NoticeMarkdown is a notice in the robots' markdown: its title in bold (the function's own words), a
// blank line, its text escaped (Text), with line break lineBreak as Markdown's.
func NoticeMarkdown(n *notify.Notice, lineBreak string) string {
	icon := "ℹ"
	if n.Attention {
		icon = "⚠"
	}
	return Bold(icon+" "+n.Title) + lineBreak + lineBreak + Text(n.Text)
}

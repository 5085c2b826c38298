package notify

// This file is the text that a Part renders by itself: the markdown of the robots (DingTalk and WeCom
// markdown, and, through KeyItem.lines, Feishu's lark_md) and plain text, with the escaper that makes
// text from outside inert in that markdown.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textFormat is how Part.text and KeyItem.lines write one format.
type textFormat struct {
	// nl is the line break.
	nl string
	// text turns text from outside into inert text of the format, on one line.
	text func(string) string
	// bold sets the renderer's own words, or escaped text, in bold.
	bold func(string) string
	// code shows a command to copy, exactly, or returns "" when the format cannot.
	code func(string) string
}

// plainFormat is plain text: no markup, only line breaks to keep out of values.
var plainFormat = textFormat{nl: "\n", text: oneLine, bold: func(s string) string { return s }, code: oneLine}

// markdownFormat is the robots' markdown with line break nl.
func markdownFormat(nl string) textFormat {
	return textFormat{nl: nl, text: markdownText, bold: markdownBold, code: markdownCode}
}

func markdownBold(s string) string { return "**" + s + "**" }

// Markdown renders the part as the markdown every robot understands: **bold**, `code`, "- " lists;
// paragraphs are separated by a blank line and lines by lineBreak ("\n", or "  \n" where a single
// newline does not break). The first line is the title. Text from outside is escaped (markdownText).
func (p Part) Markdown(lineBreak string) string { return p.text(markdownFormat(lineBreak)) }

// Plain renders the part as plain text, one line per fact, for text-only messages and fallbacks.
func (p Part) Plain() string { return p.text(plainFormat) }

func (p Part) text(f textFormat) string {
	var paras []string
	paras = append(paras, f.bold(p.Title())+f.nl+f.text(p.Context()))
	for i, k := range p.Keys {
		paras = append(paras, k.lines(p.Offset+i+1, f))
	}
	if eg := p.Errors(); len(eg) > 0 {
		lines := []string{f.bold("Users whose recycle bin could not be read")}
		for _, g := range eg {
			lines = append(lines, "- "+f.text(g.Text()))
		}
		paras = append(paras, strings.Join(lines, f.nl))
	}
	if w := p.Warnings(); len(w) > 0 {
		lines := []string{f.bold("Warnings")}
		for _, s := range w {
			lines = append(lines, "- "+f.text(s))
		}
		paras = append(paras, strings.Join(lines, f.nl))
	}
	if r := p.RestLine(); r != "" {
		paras = append(paras, r)
	}
	return strings.Join(paras, f.nl+f.nl)
}

func (k KeyItem) lines(n int, f textFormat) string {
	l := []string{
		fmt.Sprintf("%d. %s, %s: %s", n, f.bold(f.text(k.Alert.AccessKeyID)), f.text(k.User), f.text(k.Event)),
		fmt.Sprintf("Purged %s (%s), deleted %s", k.Left, k.Purged, k.Recycled),
	}
	if k.Past {
		l[1] = fmt.Sprintf("DeleteDate %s: past DeleteDate, may already be gone (deleted %s)", k.Purged, k.Recycled)
	}
	if k.BinFull != "" {
		l = append(l, "⚠ "+f.text(k.BinFull))
	}
	l = append(l, "Restore: "+k.restoreText(f.code, f.text))
	return strings.Join(l, f.nl)
}

// markdownText makes text from outside (a value, or a phrase holding values) inert in the robots'
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
// that it starts no heading, list, table or thematic break. Line breaks become spaces (oneLine).
// Ordinary names, IDs and messages come out as they went in.
func markdownText(s string) string {
	out := escapeRunes(s, markdownMarks, func(before string, r rune, after string) string {
		switch r {
		case '*':
			return "∗"
		case '`':
			return "ˋ"
		case '~':
			return "∼"
		case '_':
			if !inWord(lastRune(before)) || !inWord(firstRune(after)) {
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
			if !inWord(lastRune(before)) {
				return "＠"
			}
		case '&':
			if next := firstRune(after); next == '#' || next < utf8.RuneSelf && unicode.IsLetter(next) {
				return "＆"
			}
		case ':':
			if strings.HasPrefix(after, "//") {
				return ":" + zwsp
			}
		}
		return ""
	})
	if startsBlock(out) {
		return zwsp + out
	}
	return out
}

// markdownMarks are the ASCII characters markdownText may change.
var markdownMarks = marks("*`~_[]<>\\@&:")

// markdownCode shows a command in a code span when it holds nothing that markdownText would change,
// and otherwise returns "": none of the robots documents what its code spans read (DingTalk documents
// no code span at all, and a <@userid> inside one may still mention), so a span only holds what is
// inert outside one too. Commands made of IDs of letters and digits always qualify.
func markdownCode(s string) string {
	if s == "" || markdownText(s) != s {
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

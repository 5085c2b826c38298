// Package escape holds what every chat format's escaper is made of. Texts from outside (the account
// label, user names and IDs, AccessKey IDs, error codes and messages, warnings, the request ID) are
// data, never markup: each format escapes them where they enter it, with its escaper next to it (Text
// and Code in notify/slack, Text and Code in notify/robot, OneLine here for plain text), and every
// escaper first keeps the text on one line.
package escape

import (
	"unicode"
	"unicode/utf8"
)

// OneLine returns s with every character that could break a line, or make a line read in another
// order than it is written, replaced by a space: control characters (C0, DEL and C1, among them \r,
// \n and NEL), the Unicode line and paragraph separators and the bidirectional formatting characters.
// It is the escaper of plain text; every other format's escaper does the same (Runes), so that no value
// starts a line of its own.
func OneLine(s string) string { return Runes(s, noMarks, keepRune) }

var noMarks = Marks("")

func keepRune(string, rune, string) string { return "" }

// BreaksLine reports whether r can break a line, or make it read in another order than it is written.
func BreaksLine(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control)
}

// ByteSet is the bytes Runes stops at: an escaper's marks, and every byte that is not printable ASCII
// (control characters, and the bytes of runes beyond ASCII).
type ByteSet [256]bool

// Marks returns the ByteSet of the ASCII characters in chars.
func Marks(chars string) *ByteSet {
	var set ByteSet
	for c := range set {
		set[c] = c < 0x20 || c >= 0x7f
	}
	for i := 0; i < len(chars); i++ {
		set[chars[i]] = true
	}
	return &set
}

// Runes returns s on one line: each character that could break a line (BreaksLine) becomes a space and
// each byte that is not UTF-8 becomes U+FFFD; every other rune becomes what repl returns for it, given
// the text before and after it ("" keeps it). repl is asked only about the bytes in stop (see Marks):
// the escaper's ASCII marks and every rune beyond ASCII. It allocates only when something changes.
func Runes(s string, stop *ByteSet, repl func(before string, r rune, after string) string) string {
	var b []byte // nil until the first change
	kept := 0    // s[kept:i] is unchanged and not yet in b
	for i := 0; i < len(s); {
		c := s[i]
		if !stop[c] {
			i++
			continue
		}
		r, w := rune(c), 1
		if c >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		var x string
		switch {
		case r == utf8.RuneError && w == 1:
			x = "\uFFFD"
		case BreaksLine(r):
			x = " "
		default:
			x = repl(s[:i], r, s[i+w:])
		}
		if x != "" {
			b = append(append(b, s[kept:i]...), x...)
			kept = i + w
		}
		i += w
	}
	if b == nil {
		return s
	}
	return string(append(b, s[kept:]...))
}

// WordBefore reports whether the text before ends in a letter or a digit; WordAfter whether the text
// after starts with one. Markup characters between two of them mark nothing.
func WordBefore(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	return inWord(r)
}

// WordAfter: see WordBefore.
func WordAfter(after string) bool {
	r, _ := utf8.DecodeRuneInString(after)
	return inWord(r)
}

func inWord(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// ZWSP, the zero-width space, goes where a text must not start a block or a link; it shows nothing.
const ZWSP = "\u200b"

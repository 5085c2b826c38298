package notify

// This file is what every format's escaper is made of. Texts from outside (the account label, user
// names and IDs, AccessKey IDs, error codes and messages, warnings, the request ID) are data, never
// markup: each format escapes them where they enter it, with its escaper next to it (slackText and
// slackCode in slackblocks.go, markdownText and markdownCode in markdown.go, oneLine below for plain
// text), and every escaper first keeps the text on one line.

import (
	"unicode"
	"unicode/utf8"
)

// oneLine returns s with every character that could break a line, or make a line read in another
// order than it is written, replaced by a space: control characters (C0, DEL and C1, among them \r,
// \n and NEL), the Unicode line and paragraph separators and the bidirectional formatting characters.
// It is the escaper of plain text; every other format's escaper does the same (escapeRunes), so that
// no value starts a line of its own.
func oneLine(s string) string { return escapeRunes(s, noMarks, keepRune) }

var noMarks = marks("")

func keepRune(string, rune, string) string { return "" }

// breaksLine reports whether r can break a line, or make it read in another order than it is written.
func breaksLine(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control)
}

// byteSet is the bytes escapeRunes stops at: an escaper's marks, and every byte that is not printable
// ASCII (control characters, and the bytes of runes beyond ASCII).
type byteSet [256]bool

// marks returns the byteSet of the ASCII characters in chars.
func marks(chars string) *byteSet {
	var set byteSet
	for c := range set {
		set[c] = c < 0x20 || c >= 0x7f
	}
	for i := 0; i < len(chars); i++ {
		set[chars[i]] = true
	}
	return &set
}

// escapeRunes returns s on one line: each character that could break a line (breaksLine) becomes a
// space and each byte that is not UTF-8 becomes U+FFFD; every other rune becomes what repl returns for
// it, given the text before and after it ("" keeps it). repl is asked only about the bytes in stop
// (see marks): the escaper's ASCII marks and every rune beyond ASCII. It allocates only when something
// changes.
func escapeRunes(s string, stop *byteSet, repl func(before string, r rune, after string) string) string {
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
		case breaksLine(r):
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

// lastRune is the last rune of s, utf8.RuneError when s is empty; firstRune the first.
func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// inWord reports whether r is a letter or a digit: markup characters between two of them mark
// nothing.
func inWord(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// zwsp, the zero-width space, goes where a text must not start a block or a link; it shows nothing.
const zwsp = "\u200b"

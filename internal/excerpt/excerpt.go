// Package excerpt shortens text for where room is limited. Quote shows text that comes from outside the
// function (an API answer, an event, an environment variable) in an error message: short, on one line,
// and made of characters that mean nothing in any chat format, so that a hostile value can neither flood
// a log line nor carry a control character, a mention or a link into a message. Cut fits a text into a
// vendor's size limit.
package excerpt

import (
	"strings"
	"unicode/utf8"
)

// maxBytes is how many bytes of a text an excerpt keeps.
const maxBytes = 40

// ellipsis marks a cut.
const ellipsis = "…"

// Quote returns s in double quotes, every character but ASCII letters, digits, space and . , : ; _ + - /
// @ = % shown as ?: all of it when it is at most maxBytes bytes long, else its first maxBytes bytes (cut at a
// character boundary) followed by "…" after the closing quote.
func Quote(s string) string {
	cut := len(s)
	if cut > maxBytes {
		cut = boundary(s, maxBytes)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s[:cut] {
		if !plain(r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	if cut < len(s) {
		b.WriteString(ellipsis)
	}
	return b.String()
}

// Cut returns s shortened to at most n bytes, "…" included, at a character boundary; s itself when it
// fits. A cut is marked with "…", which is all that is left when n is too small for more.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:boundary(s, n-len(ellipsis))] + ellipsis
}

// boundary is the largest i <= n (at least 0) at which s can be cut without splitting a character; n
// is less than len(s).
func boundary(s string, n int) int {
	n = max(n, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// plain reports whether r is shown as itself.
func plain(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune(" .,:;_+-/@=%", r)
}

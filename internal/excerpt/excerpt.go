// Package excerpt quotes text that comes from outside the function (an API answer, an event, an
// environment variable) in an error message: short, on one line, and made of characters that mean
// nothing in any chat format, so that a hostile value can neither flood a log line nor carry a control
// character, a mention or a link into a message.
package excerpt

import (
	"strings"
	"unicode/utf8"
)

// Max is how many bytes of a text an excerpt keeps.
const Max = 40

// Quote returns s in double quotes, every character but ASCII letters, digits, space and . , : ; _ + - /
// @ = % shown as ?: all of it when it is at most Max bytes long, else its first Max bytes (cut at a
// character boundary) followed by "…" after the closing quote.
func Quote(s string) string {
	cut := len(s)
	if cut > Max {
		cut = Max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
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
		b.WriteString("…")
	}
	return b.String()
}

// plain reports whether r is shown as itself.
func plain(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune(" .,:;_+-/@=%", r)
}

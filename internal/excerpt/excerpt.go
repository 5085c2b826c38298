// Package excerpt quotes text that comes from outside the function (an API answer, an event, an
// environment variable, a header) in an error message: short, on one line, in printable ASCII, so that a
// hostile value can neither flood a log line nor carry control characters into a message whole.
package excerpt

import (
	"strconv"
	"unicode/utf8"
)

// Max is how many bytes of a text an excerpt keeps.
const Max = 40

// Quote returns s quoted with Go's escapes for anything but printable ASCII (strconv.QuoteToASCII): all
// of it when it is at most Max bytes long, else its first Max bytes (cut at a character boundary)
// followed by "…" after the closing quote.
func Quote(s string) string {
	if len(s) <= Max {
		return strconv.QuoteToASCII(s)
	}
	cut := Max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.QuoteToASCII(s[:cut]) + "…"
}

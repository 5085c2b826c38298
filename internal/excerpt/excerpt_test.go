package excerpt

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "short", in: "cn-hangzhou", want: `"cn-hangzhou"`},
		{name: "empty", in: "", want: `""`},
		{name: "date", in: "9999-12-31T23:59:59-23:59", want: `"9999-12-31T23:59:59-23:59"`},
		{name: "principal name", in: "alice_b@corp.onaliyun.com", want: `"alice_b@corp.onaliyun.com"`},
		{name: "control characters", in: "a\nb\x1b[0m", want: `"a?b??0m"`},
		{name: "markup", in: "<!channel> *x* [a](http://b) `c` ~d~ &amp; \"e\" 'f'", want: `"??channel? ?x? ?a??http://b? ?c? ?d? ?am"…`},
		{name: "non-ASCII", in: "é中", want: `"??"`},
		{name: "exactly maxBytes", in: strings.Repeat("a", maxBytes), want: `"` + strings.Repeat("a", maxBytes) + `"`},
		{name: "long", in: strings.Repeat("a", 10000), want: `"` + strings.Repeat("a", maxBytes) + `"…`},
		{name: "cut at a character", in: strings.Repeat("a", maxBytes-1) + "ééé", want: `"` + strings.Repeat("a", maxBytes-1) + `"…`},
		{name: "cut after a character", in: strings.Repeat("a", maxBytes-2) + "ééé", want: `"` + strings.Repeat("a", maxBytes-2) + `?"…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quote(tt.in); got != tt.want {
				t.Errorf("Quote(%.50q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"fits", "abc", 3, "abc"},
		{"cut ascii", "abcdefgh", 6, "abc…"},
		{"cut inside a rune", "ab⚠⚠", 7, "ab…"},
		{"cut after a rune", "ab⚠⚠x", 8, "ab⚠…"},
		{"tiny", "abcdef", 2, "…"},
		{"only the mark", "abcdef", 3, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cut(tt.in, tt.n); got != tt.want {
				t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

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
		{name: "exactly Max", in: strings.Repeat("a", Max), want: `"` + strings.Repeat("a", Max) + `"`},
		{name: "long", in: strings.Repeat("a", 10000), want: `"` + strings.Repeat("a", Max) + `"…`},
		{name: "cut at a character", in: strings.Repeat("a", Max-1) + "ééé", want: `"` + strings.Repeat("a", Max-1) + `"…`},
		{name: "cut after a character", in: strings.Repeat("a", Max-2) + "ééé", want: `"` + strings.Repeat("a", Max-2) + `?"…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quote(tt.in); got != tt.want {
				t.Errorf("Quote(%.50q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

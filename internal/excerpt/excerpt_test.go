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
		{name: "control characters", in: "a\nb\x1b[0m", want: `"a\nb\x1b[0m"`},
		{name: "markup stays quoted", in: "<!channel>", want: `"<!channel>"`},
		{name: "non-ASCII escaped", in: "é", want: `"\u00e9"`},
		{name: "exactly Max", in: strings.Repeat("a", Max), want: `"` + strings.Repeat("a", Max) + `"`},
		{name: "long", in: strings.Repeat("a", 10000), want: `"` + strings.Repeat("a", Max) + `"…`},
		{name: "cut at a character", in: strings.Repeat("a", Max-1) + "ééé", want: `"` + strings.Repeat("a", Max-1) + `"…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quote(tt.in); got != tt.want {
				t.Errorf("Quote(%.50q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

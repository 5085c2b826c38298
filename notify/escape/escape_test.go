package escape

import (
	"strings"
	"testing"
	"unicode/utf8"

	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

func FuzzOneLine(f *testing.F) {
	for _, s := range nt.HostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := OneLine(s)
		if strings.ContainsFunc(out, BreaksLine) || !utf8.ValidString(out) {
			t.Fatalf("OneLine(%q) = %q, holds a line break or control character", s, out)
		}
		if utf8.RuneCountInString(out) != utf8.RuneCountInString(s) {
			t.Fatalf("OneLine(%q) = %q: runes were dropped or added", s, out)
		}
	})
}

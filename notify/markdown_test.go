package notify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMarkdownText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"alice", "alice"},
		{"ops-team.prod_1", "ops-team.prod_1"},
		{"alice@corp.onaliyun.com", "alice@corp.onaliyun.com"},
		{"You are not authorized to do this action.", "You are not authorized to do this action."},
		{"run 1-6759a3c2 · 2026-11-30 17:00 +08", "run 1-6759a3c2 · 2026-11-30 17:00 +08"},
		{"用户不存在", "用户不存在"},
		{"[x](https://evil.example)", "［x］(https:\u200b//evil.example)"},
		{"![i](u)", "!［i］(u)"},
		{"<at id=all></at> <@all> @all", "‹at id=all›‹/at› ‹＠all› ＠all"},
		{"<font color=red>x</font>", "‹font color=red›x‹/font›"},
		{"x\n**FAKE: all clear**", "x ∗∗FAKE: all clear∗∗"},
		{"_it_ a_b ~st~ `c` \\", "ˍitˍ a_b ∼st∼ ˋcˋ ＼"},
		{"&lt; &#60; AT&T & co", "＆lt; ＆#60; AT＆T & co"},
		{"# heading", "\u200b# heading"},
		{"- list", "\u200b- list"},
		{"12. item", "\u200b12. item"},
		{"12.5 GB", "12.5 GB"},
		{" lead", "\u200b lead"},
		{"> quote", "› quote"},
	}
	for _, tt := range tests {
		if got := markdownText(tt.in); got != tt.want {
			t.Errorf("markdownText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownCode(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"aliyun ims X --UserId 123 --UserAccessKeyId LTAI5t", "`aliyun ims X --UserId 123 --UserAccessKeyId LTAI5t`"},
		{"aliyun ims X --UserId '$(rm -rf ~)'", ""},
		{"a `b`", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := markdownCode(tt.in); got != tt.want {
			t.Errorf("markdownCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMarkdownText: whatever the text, markdownText's result, put anywhere in a line or at the start
// of one or of a list item, is one paragraph of plain text for the robots' markdown.
func FuzzMarkdownText(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := markdownText(s)
		checkMarkdownInert(t, s, out)
	})
}

// FuzzMarkdownCode: a command in a code span is exactly the command, and inert outside the span too;
// a command that cannot be shown so is not shown.
func FuzzMarkdownCode(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := markdownCode(s)
		if out == "" {
			if s != "" && markdownText(s) == s {
				t.Fatalf("markdownCode(%q) = \"\", but the text is inert as it is", s)
			}
			return
		}
		inner, ok := strings.CutPrefix(out, "`")
		if ok {
			inner, ok = strings.CutSuffix(inner, "`")
		}
		if !ok || inner != s || markdownText(inner) != inner {
			t.Fatalf("markdownCode(%q) = %q: a span must hold the text, inert as it is", s, out)
		}
	})
}

// checkMarkdownInert fails when out, markdownText's result for s, could be read as markup.
func checkMarkdownInert(t *testing.T, s, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("markdownText(%q) = %q, not UTF-8", s, out)
	}
	if strings.ContainsAny(out, "*`~[]<>\\\n\r") || strings.Contains(out, "://") {
		t.Fatalf("markdownText(%q) = %q, holds markup", s, out)
	}
	if strings.ContainsFunc(out, breaksLine) {
		t.Fatalf("markdownText(%q) = %q, holds a line break or control character", s, out)
	}
	if e := htmlEntity.FindString(out); e != "" {
		t.Fatalf("markdownText(%q) = %q, holds the entity %q", s, out, e)
	}
	if mention.MatchString(out) {
		t.Fatalf("markdownText(%q) = %q, holds an @ mention", s, out)
	}
	if e := emphasis("x " + out + " x"); len(e) > 0 {
		t.Fatalf("markdownText(%q) = %q, holds emphasis %q", s, out, e)
	}
	for _, prefix := range []string{"", "- ", "1. "} {
		k := markdownLineKind(prefix + out)
		if !strings.HasSuffix(k, "paragraph") && !strings.HasSuffix(k, "blank") {
			t.Fatalf("markdownText(%q) = %q: the line %q is a %s", s, out, prefix+out, k)
		}
	}
}

func FuzzOneLine(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := oneLine(s)
		if strings.ContainsFunc(out, breaksLine) || !utf8.ValidString(out) {
			t.Fatalf("oneLine(%q) = %q, holds a line break or control character", s, out)
		}
		if utf8.RuneCountInString(out) != utf8.RuneCountInString(s) {
			t.Fatalf("oneLine(%q) = %q: runes were dropped or added", s, out)
		}
	})
}

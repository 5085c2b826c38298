package robot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/escape"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
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
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
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
		if got := code(tt.in); got != tt.want {
			t.Errorf("code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMarkdownText: whatever the text, Text's result, put anywhere in a line or at the start
// of one or of a list item, is one paragraph of plain text for the robots' markdown.
func FuzzMarkdownText(f *testing.F) {
	for _, s := range nt.HostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		checkMarkdownInert(t, s, out)
	})
}

// FuzzMarkdownCode: a command in a code span is exactly the command, and inert outside the span too;
// a command that cannot be shown so is not shown.
func FuzzMarkdownCode(f *testing.F) {
	for _, s := range nt.HostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := code(s)
		if out == "" {
			if s != "" && Text(s) == s {
				t.Fatalf("code(%q) = \"\", but the text is inert as it is", s)
			}
			return
		}
		inner, ok := strings.CutPrefix(out, "`")
		if ok {
			inner, ok = strings.CutSuffix(inner, "`")
		}
		if !ok || inner != s || Text(inner) != inner {
			t.Fatalf("code(%q) = %q: a span must hold the text, inert as it is", s, out)
		}
	})
}

// checkMarkdownInert fails when out, Text's result for s, could be read as markup.
func checkMarkdownInert(t *testing.T, s, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Text(%q) = %q, not UTF-8", s, out)
	}
	if strings.ContainsAny(out, "*`~[]<>\\\n\r") || strings.Contains(out, "://") {
		t.Fatalf("Text(%q) = %q, holds markup", s, out)
	}
	if strings.ContainsFunc(out, escape.BreaksLine) {
		t.Fatalf("Text(%q) = %q, holds a line break or control character", s, out)
	}
	if e := nt.HTMLEntity.FindString(out); e != "" {
		t.Fatalf("Text(%q) = %q, holds the entity %q", s, out, e)
	}
	if nt.Mention.MatchString(out) {
		t.Fatalf("Text(%q) = %q, holds an @ nt.Mention", s, out)
	}
	if e := nt.Emphasis("x " + out + " x"); len(e) > 0 {
		t.Fatalf("Text(%q) = %q, holds emphasis %q", s, out, e)
	}
	for _, prefix := range []string{"", "- ", "1. "} {
		k := nt.MarkdownLineKind(prefix + out)
		if !strings.HasSuffix(k, "paragraph") && !strings.HasSuffix(k, "blank") {
			t.Fatalf("Text(%q) = %q: the line %q is a %s", s, out, prefix+out, k)
		}
	}
}

func TestMarkdownGolden(t *testing.T) {
	m := notify.NewMessage(nt.Sample(t))
	parts := m.Split(func(notify.Part) bool { return true })
	nt.Golden(t, "sample.md.golden", []byte(Markdown(parts[0], "\n")+"\n"))
}

// TestSplitMarkdown: a message split by the size of its markdown lists every listed key once, each
// part within the limit.
func TestSplitMarkdown(t *testing.T) {
	m := notify.NewMessage(nt.Many(t, 150))
	const limit = 4096
	parts := m.Split(func(p notify.Part) bool { return len(Markdown(p, "\n")) <= limit })
	n := 0
	for _, p := range parts {
		if got := len(Markdown(p, "\n")); got > limit {
			t.Errorf("part %s is %d bytes, want <= %d", p.Label(), got, limit)
		}
		n += len(p.Keys)
	}
	if n != notify.MaxListedKeys {
		t.Errorf("keys in parts = %d, want %d", n, notify.MaxListedKeys)
	}
	if last := Markdown(parts[len(parts)-1], "\n"); !strings.Contains(last, "50 more alerted AccessKeys") {
		t.Errorf("last part lacks the rest line:\n%s", last)
	}
}

func TestClassifyErrcode(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantErr   string
		retryable bool
	}{
		{name: "ok", status: 200, body: `{"errcode":0,"errmsg":"ok"}`},
		{name: "rate limit", status: 200, body: `{"errcode":45009,"errmsg":"api freq out of limit, hint: [x], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=45009"}`,
			wantErr: "errcode 45009: api freq out of limit", retryable: true},
		{name: "too long", status: 200, body: `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096. invalid Request Parameter, hint: [1]"}`,
			wantErr: "errcode 40058: markdown.content exceed max length 4096. invalid Request Parameter"},
		{name: "no errcode", status: 200, body: `{"ok":true}`, wantErr: `HTTP 200 OK without the robot's errcode: {"ok":true}`},
		{name: "429", status: 429, body: ``, wantErr: "HTTP 429 Too Many Requests", retryable: true},
	}
	classify := ClassifyErrcode(45009)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Status: fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status)), Header: http.Header{}}
			err := classify(resp, []byte(tt.body))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("classify(%s) = %v, want nil", tt.body, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("classify(%s) = %v, want %q", tt.body, err, tt.wantErr)
			}
			// A retryable answer is retried by the poster: 3 attempts instead of 1.
			p := notify.Poster{Name: "robot"}
			attempts := 0
			nt.NoWait(&p, new([]time.Duration))
			p.Retry(t.Context(), func(context.Context, time.Time) error { attempts++; return err })
			if got := attempts == 3; got != tt.retryable {
				t.Errorf("classify(%s) retried %d times, want retryable %v", tt.body, attempts, tt.retryable)
			}
		})
	}
}

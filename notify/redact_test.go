package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/akrecycle/ak-recycle-alert/notify"
)

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://hooks.slack.com/x", "http://127.0.0.1:8080/x", "http://localhost/x", "http://LOCALHOST:1/x", "http://[::1]:9/x"} {
		if err := notify.CheckURL(ok); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", ok, err)
		}
	}
	tests := []struct {
		in, want string
	}{
		{"http://10.0.0.1/x/S3CRET", "http://10.0.0.1 is not allowed: use https:// (http:// only to a loopback address)"},
		{"http://127.0.0.1.example.com/x/S3CRET", "http://127.0.0.1.example.com is not allowed"},
		{"hooks.slack.com/x/S3CRET", "not an absolute URL: it must start with https://"},
		{"https:///x/S3CRET", "not an absolute URL"},
		{"javascript:alert(1)", "not an absolute URL"},
		{"ftp://u:S3CRET@host/x", `scheme "ftp" is not allowed: use https://`},
		{"https://host/%zz?S3CRET", "not a valid URL"},
	}
	for _, tt := range tests {
		err := notify.CheckURL(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "S3CRET") {
			t.Errorf("CheckURL(%q) = %v, want %q without the path, query or user info", tt.in, err, tt.want)
		}
	}
}

func TestScrub(t *testing.T) {
	const hook = "https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0?x=tok%2Fen"
	s := notify.URLSecrets(hook)
	s = append(s, "xoxb-1234-secret-token")
	tests := []struct {
		name string
		err  error
		bad  []string
	}{
		{"url.Error text", fmt.Errorf("failed to post webhook: Post %q: dial tcp: refused", hook),
			[]string{"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "tok", "/open-apis/bot"}},
		{"token", errors.New("invalid_auth for xoxb-1234-secret-token\nsecond line"),
			[]string{"xoxb-1234-secret-token", "\n"}},
		{"path only", errors.New("404 at /open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
			[]string{"0f1e2d3c"}},
	}
	for _, tt := range tests {
		got := s.Scrub(tt.err).Error()
		for _, b := range tt.bad {
			if strings.Contains(got, b) {
				t.Errorf("%s: Scrub = %q, contains %q", tt.name, got, b)
			}
		}
		if !strings.Contains(got, "[redacted]") {
			t.Errorf("%s: Scrub = %q, want [redacted] in it", tt.name, got)
		}
	}
	if notify.Secrets([]string{"x"}).Scrub(nil) != nil {
		t.Errorf("Scrub(nil) != nil")
	}
	wrapped := notify.Secrets{"secret"}.Scrub(fmt.Errorf("post: %w", context.DeadlineExceeded))
	if !errors.Is(wrapped, context.DeadlineExceeded) {
		t.Errorf("Scrub(%v) does not unwrap to context.DeadlineExceeded", wrapped)
	}
	if got := (notify.Secrets{"/"}).Scrub(errors.New("to /")).Error(); got != "to /" {
		t.Errorf("Scrub with a short secret = %q, want it untouched", got)
	}
}

// TestScrubEveryURLPart checks that every path segment and query value of a webhook URL is scrubbed,
// the short ones included, as the URL is quoted plainly and JSON-escaped (/ as \/, & as \u0026), while
// the vendor's words stay readable in prose.
func TestScrubEveryURLPart(t *testing.T) {
	const hook = "https://hooks.example.com/in/k3y/x9Q?token=Ab1&team=z7&long=0f1e2d3c4b5a6978"
	s := notify.URLSecrets(hook)
	tests := []struct {
		name string
		text string
		bad  []string
	}{
		{"plain", "HTTP 404 at /in/k3y/x9Q?token=Ab1&team=z7", []string{"k3y", "x9Q", "Ab1", "z7"}},
		{"JSON-escaped", `{"error":"bad","url":"https:\/\/hooks.example.com\/in\/k3y\/x9Q?token=Ab1\u0026team=z7\u0026long=0f1e2d3c4b5a6978"}`,
			[]string{"k3y", "x9Q", "Ab1", "z7", "0f1e2d3c"}},
		{"a segment alone", "unknown hook /k3y", []string{"k3y"}},
		{"a value alone", "unknown team=z7", []string{"z7"}},
	}
	for _, tt := range tests {
		got := s.Scrub(errors.New(tt.text)).Error()
		for _, b := range tt.bad {
			if strings.Contains(got, b) {
				t.Errorf("%s: Scrub(%q) = %q, holds %q", tt.name, tt.text, got, b)
			}
		}
	}
	// A segment that is a word stays in prose, where it gives nothing away.
	const prose = "invalid webhook url: send too fast"
	if got := notify.URLSecrets("https://oapi.example.com/robot/send?access_token=0f1e2d3c4b5a6978").Scrub(errors.New(prose)).Error(); got != prose {
		t.Errorf("Scrub(%q) = %q, want it unchanged", prose, got)
	}
}

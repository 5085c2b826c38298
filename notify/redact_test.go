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

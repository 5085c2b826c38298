package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"slack", "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", "https://hooks.slack.com"},
		{"query", "https://oapi.dingtalk.com/robot/send?access_token=abc123", "https://oapi.dingtalk.com"},
		{"userinfo", "https://user:pass@example.com:8443/x", "https://example.com:8443"},
		{"loopback", "http://127.0.0.1:9999/hook", "http://127.0.0.1:9999"},
		{"invalid", "https://exa mple.com/%zz?token=secret", "[invalid URL]"},
		{"no scheme", "hooks.slack.com/services/T/B/secret", "[invalid URL]"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("%s: RedactURL(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestScrub(t *testing.T) {
	const hook = "https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0?x=tok%2Fen"
	s := urlSecrets(hook)
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
		got := s.scrub(tt.err).Error()
		for _, b := range tt.bad {
			if strings.Contains(got, b) {
				t.Errorf("%s: scrub = %q, contains %q", tt.name, got, b)
			}
		}
		if !strings.Contains(got, redacted) {
			t.Errorf("%s: scrub = %q, want %q in it", tt.name, got, redacted)
		}
	}
	if scrub(nil, "x") != nil {
		t.Errorf("scrub(nil) != nil")
	}
	wrapped := scrub(fmt.Errorf("post: %w", context.DeadlineExceeded), "secret")
	if !errors.Is(wrapped, context.DeadlineExceeded) {
		t.Errorf("scrub(%v) does not unwrap to context.DeadlineExceeded", wrapped)
	}
	if got := scrub(errors.New("to /"), "/").Error(); got != "to /" {
		t.Errorf("scrub with a short secret = %q, want it untouched", got)
	}
}

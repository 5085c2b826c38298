package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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

// TestErrorsRedactBeforeCutting: an answer that echoes the signed request had its text cut before the secrets were taken
// out, so that a secret cut in two left its first half in the error. For every channel, the fake
// answers with an error whose text pads the echo of the request so that the cut falls anywhere in it.
func TestErrorsRedactBeforeCutting(t *testing.T) {
	type echo struct {
		status int
		body   string
	}
	tests := []struct {
		name string
		// send renders the sample report for a channel at base and sends its first body.
		send func(t *testing.T, base string) error
		// answer is the fake's refusal of r (body is its request body), with pad before the echo.
		answer func(r *http.Request, body []byte, pad string) echo
		// secrets lists the secrets of a request (besides the channel's fixed ones below).
		secrets func(r *http.Request, body []byte) []string
		fixed   []string
	}{
		{
			name: DingTalkName, fixed: []string{dingTalkToken, dingTalkSecret},
			send: func(t *testing.T, base string) error {
				var waits []time.Duration
				d := newTestDingTalk(t, base, dingTalkSecret, newRobotClock(), &waits)
				return sendSample(t, d)
			},
			answer: func(r *http.Request, _ []byte, pad string) echo {
				return echo{200, jsonString(`{"errcode":310000,"errmsg":%s}`, "sign not match "+pad+" url: "+r.URL.RequestURI())}
			},
			secrets: func(r *http.Request, _ []byte) []string { return []string{r.URL.Query().Get("sign")} },
		},
		{
			name: FeishuName, fixed: []string{feishuHook, feishuSecret},
			send: func(t *testing.T, base string) error {
				var waits []time.Duration
				f := newTestFeishu(t, base, feishuSecret, newRobotClock(), &waits)
				return sendSample(t, f)
			},
			answer: func(r *http.Request, body []byte, pad string) echo {
				var v struct{ Timestamp, Sign string }
				json.Unmarshal(body, &v)
				msg := "sign match fail " + pad + " " + r.URL.RequestURI() + "?timestamp=" + v.Timestamp + "&sign=" + url.QueryEscape(v.Sign) + " sign=" + v.Sign
				return echo{200, jsonString(`{"code":19021,"msg":%s,"data":{}}`, msg)}
			},
			secrets: func(_ *http.Request, body []byte) []string {
				var v struct{ Sign string }
				json.Unmarshal(body, &v)
				return []string{v.Sign}
			},
		},
		{
			name: WeComName, fixed: []string{weComKey},
			send: func(t *testing.T, base string) error {
				var waits []time.Duration
				return sendSample(t, newTestWeCom(t, base, &waits))
			},
			answer: func(r *http.Request, _ []byte, pad string) echo {
				return echo{200, jsonString(`{"errcode":93000,"errmsg":%s}`, "invalid webhook url "+pad+" "+r.URL.RequestURI())}
			},
		},
		{
			name: SlackBotName, fixed: []string{testSlackToken},
			send: func(t *testing.T, base string) error {
				s, err := NewSlackBot(testSlackToken, "C0123", base+"/api", testClient())
				if err != nil {
					t.Fatal(err)
				}
				var waits []time.Duration
				noWait(&s.p, &waits)
				return sendSample(t, s)
			},
			answer: func(r *http.Request, _ []byte, pad string) echo {
				return echo{200, jsonString(`{"ok":false,"error":%s}`, "invalid_auth "+pad+" "+r.Header.Get("Authorization"))}
			},
		},
		{
			name: WebhookName, fixed: []string{"0f1e2d3c4b5a69788796a5b4c3d2e1f0", testWebhookSecret},
			send: func(t *testing.T, base string) error {
				w, err := NewWebhook(base+"/hook/0f1e2d3c4b5a69788796a5b4c3d2e1f0", testWebhookSecret, testClient())
				if err != nil {
					t.Fatal(err)
				}
				var waits []time.Duration
				noWait(&w.p, &waits)
				return sendSample(t, w)
			},
			// The webhook-signature header is no secret: it signs that one body, which the receiver has.
			answer: func(r *http.Request, _ []byte, pad string) echo {
				return echo{403, "forbidden " + pad + " " + r.URL.RequestURI()}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for pad := 0; pad <= 200; pad += 9 {
				var seen []string
				f := newRobotFake(t, func(r *http.Request, body []byte) *answer {
					if tt.secrets != nil {
						seen = append(seen, tt.secrets(r, body)...)
					}
					e := tt.answer(r, body, strings.Repeat("-", pad))
					return &answer{status: e.status, body: e.body}
				}, answer{status: 200})
				err := tt.send(t, f.URL)
				if err == nil {
					t.Fatalf("pad %d: Send = nil, want the refusal", pad)
				}
				if piece := leaked(err.Error(), append(seen, tt.fixed...)...); piece != "" {
					t.Fatalf("pad %d: Send error holds %q, a piece of a secret:\n%s", pad, piece, err)
				}
			}
		})
	}
}

// sendSample renders the sample report for ch and sends the first body.
func sendSample(t *testing.T, ch Channel) error {
	t.Helper()
	bodies, err := ch.Render(sampleReport(t))
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return ch.Send(t.Context(), bodies[0])
}

// jsonString formats format with s as a JSON string.
func jsonString(format, s string) string {
	b, _ := json.Marshal(s)
	return fmt.Sprintf(format, b)
}

// leaked returns a piece of 8 characters of one of the secrets (as given, or URL-encoded) that text
// holds, or "".
func leaked(text string, secrets ...string) string {
	for _, s := range secrets {
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			for i := 0; i+8 <= len(f); i++ {
				if strings.Contains(text, f[i:i+8]) {
					return f[i : i+8]
				}
			}
		}
	}
	return ""
}

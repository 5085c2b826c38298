package notifytest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// post sends body to url and returns the answer's status and body.
func post(t *testing.T, client *http.Client, url, body string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestVendors(t *testing.T) {
	s := NewVendors(t, nil)
	s.SetAnswers("slack-webhook", Answer{Status: 429, Header: map[string]string{"Retry-After": "3"}, Body: "slow down"}, Answer{Status: 500})
	tests := []struct {
		channel, path, body string
		wantStatus          int
		wantBody            string
	}{
		{"dingtalk", "/robot/send?access_token=x", "d1", 200, `{"errcode":0,"errmsg":"ok"}`},
		{"webhook", "/hooks/x", "w1", 204, ""},
		{"slack-webhook", "/services/T/B/x", "s1", 429, "slow down"},
		{"slack-webhook", "/services/T/B/x", "s2", 500, ""},
		{"slack-webhook", "/services/T/B/x", "s3", 500, ""},
		{"teams", "/workflows/x", "t1", 200, anyVendorOK.Body},
		{"dingtalk", "/robot/send?access_token=x", "d2", 200, `{"errcode":0,"errmsg":"ok"}`},
	}
	for _, tt := range tests {
		status, body, err := post(t, Client(), s.ChannelURL(tt.channel, tt.path), tt.body)
		if err != nil || status != tt.wantStatus || body != tt.wantBody {
			t.Errorf("POST %s %s = %d %q, %v; want %d %q", tt.channel, tt.body, status, body, err, tt.wantStatus, tt.wantBody)
		}
	}
	bodies := func(channel string) []string {
		var out []string
		for _, r := range s.Posts(channel) {
			out = append(out, string(r.Body))
		}
		return out
	}
	for channel, want := range map[string][]string{"dingtalk": {"d1", "d2"}, "slack-webhook": {"s1", "s2", "s3"}, "teams": {"t1"}, "slack": nil} {
		if diff := cmp.Diff(want, bodies(channel)); diff != "" {
			t.Errorf("Posts(%q) bodies (-want +got):\n%s", channel, diff)
		}
	}
	if got := s.Posts("dingtalk")[0]; got.Path != "/dingtalk/robot/send" || got.Query != "access_token=x" || got.Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("Posts(dingtalk)[0] = path %q, query %q, Authorization %q; want the request as sent", got.Path, got.Query, got.Header.Get("Authorization"))
	}
	if n, m := s.Hits(), len(s.Requests()); n != len(tests) || m != len(tests) {
		t.Errorf("Hits, len(Requests) = %d, %d; want %d", n, m, len(tests))
	}
}

func TestVendorsCareless(t *testing.T) {
	s := NewVendors(t, Careless)
	status, body, err := post(t, Client(), s.ChannelURL("wecom", "/cgi-bin/webhook/send?key=S3CRET"), "{}")
	if err != nil || status != http.StatusForbidden || body != "forbidden: /wecom/cgi-bin/webhook/send?key=S3CRET Bearer tok" {
		t.Errorf("POST = %d %q, %v; want 403 quoting the URL and the Authorization header", status, body, err)
	}
}

func TestVendorsSilent(t *testing.T) {
	s := NewVendors(t, nil)
	s.SetAnswers("webhook", Answer{Silent: true})
	_, _, err := post(t, &http.Client{Timeout: 200 * time.Millisecond}, s.ChannelURL("webhook", "/hooks/x"), "w")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("POST to a silent channel: %v, want the client's timeout", err)
	}
	if status, _, err := post(t, Client(), s.ChannelURL("slack", "/chat.postMessage"), "s"); err != nil || status != 200 {
		t.Errorf("POST to another channel = %d, %v; want 200", status, err)
	}
	if n := len(s.Posts("webhook")); n != 1 {
		t.Errorf("Posts(webhook) = %d, want the silent channel's post recorded", n)
	}
}

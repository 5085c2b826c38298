package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
)

// chatFake answers each channel's endpoint the way its vendor does on success and records the posts.
type chatFake struct {
	mu    sync.Mutex
	posts map[string][]string // channel path prefix -> bodies
}

func (f *chatFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	f.mu.Lock()
	f.posts[first] = append(f.posts[first], string(body))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch first {
	case "slack":
		io.WriteString(w, "ok")
	case "slackapi":
		io.WriteString(w, `{"ok":true,"channel":"C0ALERTS","ts":"1796025600.000100"}`)
	case "webhook":
		w.WriteHeader(http.StatusNoContent)
	case "dingtalk", "wecom":
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	case "feishu":
		io.WriteString(w, `{"code":0,"msg":"success","data":{}}`)
	default:
		http.NotFound(w, r)
	}
}

// TestEveryChannelPostsOnce configures all six channels at once: one run posts exactly one message to
// each, every message names the alerted AccessKey, and the result has one delivery per channel.
func TestEveryChannelPostsOnce(t *testing.T) {
	cur := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	api := ramfake.New(ramfake.Options{
		Users: []ramfake.User{{ID: "2073290024939201", Name: "alice", Keys: []ramfake.Key{{
			AccessKeyID: "LTAI5tEveryChannel000001", CreateDate: cur.AddDate(-1, 0, 0),
			RecycleDate: cur.Add(-3 * time.Hour), DeleteDate: cur.Add(30*24*time.Hour - 3*time.Hour)}}}},
		Credentials: map[string]ramfake.Credential{"LTAI5tTestCaller00000001": {Secret: "test-secret"}},
	})
	defer api.Close()
	fake := &chatFake{posts: map[string][]string{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	env := map[string]string{
		"RAM_USERS":            "alice",
		"SCHEDULE":             "CRON_TZ=Asia/Shanghai 0 0 9 * * *",
		"RAM_ENDPOINT":         api.URL(),
		"IMS_ENDPOINT":         api.URL(),
		"SLACK_WEBHOOK_URL":    srv.URL + "/slack/services/T0/B0/hooksecret",
		"SLACK_BOT_TOKEN":      "xoxb-bot-secret",
		"SLACK_CHANNEL":        "C0ALERTS",
		"SLACK_API_URL":        srv.URL + "/slackapi",
		"WEBHOOK_URL":          srv.URL + "/webhook/in",
		"WEBHOOK_SECRET":       "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"DINGTALK_WEBHOOK_URL": srv.URL + "/dingtalk/robot/send?access_token=dingsecret",
		"DINGTALK_SECRET":      "SECdingsigningsecret",
		"FEISHU_WEBHOOK_URL":   srv.URL + "/feishu/open-apis/bot/v2/hook/feishusecret",
		"FEISHU_SECRET":        "feishu-signing-secret",
		"WECOM_WEBHOOK_URL":    srv.URL + "/wecom/cgi-bin/webhook/send?key=wecomsecret",
	}
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	// The SDK's default credential chain reads the process environment itself.
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tTestCaller00000001")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "test-secret")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	var logs bytes.Buffer
	h, _ := build(func(k string) string { return env[k] }, &logs)
	if h.ConfigErr != nil {
		t.Fatalf("build: %v", h.ConfigErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	event := `{"triggerTime":"2026-11-30T01:00:00Z","triggerName":"daily-check","payload":""}`
	res, err := h.Handle(ctx, handler.Invocation{RequestID: "req-all"}, []byte(event))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	for _, ch := range []string{"slack", "slackapi", "webhook", "dingtalk", "feishu", "wecom"} {
		posts := fake.posts[ch]
		if len(posts) != 1 {
			t.Errorf("%s received %d posts, want 1", ch, len(posts))
			continue
		}
		// Chat messages carry the keyword robots filter on; the webhook is JSON for machines.
		if !strings.Contains(posts[0], "LTAI5tEveryChannel000001") || (ch != "webhook" && !strings.Contains(posts[0], "AccessKey")) {
			t.Errorf("%s message lacks the AccessKey ID: %.300s", ch, posts[0])
		}
	}
	if len(res.Deliveries) != 6 {
		t.Fatalf("deliveries = %+v, want 6", res.Deliveries)
	}
	for _, d := range res.Deliveries {
		if !d.OK || d.Messages != 1 {
			t.Errorf("delivery %+v, want ok with 1 message", d)
		}
	}
	out, _ := json.Marshal(res)
	for _, secret := range []string{"hooksecret", "xoxb-bot-secret", "dingsecret", "SECdingsigningsecret", "feishusecret",
		"feishu-signing-secret", "wecomsecret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "test-secret"} {
		if strings.Contains(string(out), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("the result or the logs hold the secret %q", secret)
		}
	}
}

// TestRedirectsAreNotFollowed: a channel answering 302 gets no second post elsewhere; the delivery fails.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/collect", http.StatusFound)
	}))
	defer redirect.Close()
	env := map[string]string{"RAM_USERS": "alice", "SLACK_WEBHOOK_URL": redirect.URL + "/services/T/B/x"}
	h, _ := build(func(k string) string { return env[k] }, io.Discard)
	if h.ConfigErr != nil {
		t.Fatal(h.ConfigErr)
	}
	posts, err := h.Channels[0].Render(&alert.Report{Findings: alert.Findings{Mode: alert.ModeDigest}})
	if err != nil {
		t.Fatal(err)
	}
	err = posts[0].Send(t.Context())
	if err == nil || elsewhere != 0 {
		t.Errorf("Send() = %v, with %d posts to the redirect target; want an error and none", err, elsewhere)
	}
}

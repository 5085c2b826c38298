package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// fakeReader returns a fixed scan and records what it was asked.
type fakeReader struct {
	scan    alibaba.Scan
	err     error
	entries []string
	creds   *alibaba.Credentials
	calls   int
}

func (f *fakeReader) Read(_ context.Context, creds *alibaba.Credentials, entries []string) (*alibaba.Scan, error) {
	f.calls++
	f.entries, f.creds = entries, creds
	if f.err != nil {
		return nil, f.err
	}
	s := f.scan
	return &s, nil
}

// fakeChannel renders one body naming the alerted keys and records what it sends.
type fakeChannel struct {
	name    string
	sendErr error
	// onSend, when set, sees the context of every send.
	onSend func(ctx context.Context)
	mu     sync.Mutex
	sent   []string
}

func (c *fakeChannel) Name() string { return c.name }
func (c *fakeChannel) Render(r *alert.Report) ([]notify.Post, error) {
	var ids []string
	for _, a := range r.Alerts {
		ids = append(ids, string(a.Event)+":"+a.AccessKeyID)
	}
	b, _ := json.Marshal(map[string]any{"keys": ids, "errors": len(r.Errors), "warnings": r.Warnings, "retry": r.RetryCount})
	return []notify.Post{notify.NewPost(b, func(ctx context.Context) error { return c.send(ctx, b) })}, nil
}
func (c *fakeChannel) RenderNotice(*notify.Notice) ([]notify.Post, error) {
	return nil, errors.New("the handler posts no notice")
}
func (c *fakeChannel) send(ctx context.Context, body []byte) error {
	if c.onSend != nil {
		c.onSend(ctx)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sendErr != nil {
		return c.sendErr
	}
	c.sent = append(c.sent, string(body))
	return nil
}
func (c *fakeChannel) Pace() time.Duration { return 0 }

var clock = time.Date(2026, 11, 30, 9, 0, 30, 0, time.UTC)

// testSettings are a run's settings as main gives them for RAM_USERS=alice,bob and SCHEDULE=0 0 9 * * *,
// changed by edits.
func testSettings(t *testing.T, edits ...func(*Settings)) Settings {
	t.Helper()
	thresholds, err := alert.ParseThresholds("7,3,1")
	if err != nil {
		t.Fatal(err)
	}
	sched, err := schedule.Parse("0 0 9 * * *")
	if err != nil {
		t.Fatal(err)
	}
	s := Settings{Users: []string{"alice", "bob"}, Thresholds: thresholds, AlertOnRecycle: true, Mode: alert.ModeCrossing,
		Schedule: sched, Location: time.UTC}
	for _, edit := range edits {
		edit(&s)
	}
	return s
}

func key(id string, recycled, deletes time.Time) alert.Key {
	return alert.Key{AccessKeyID: id, CreateDate: recycled.Add(-90 * 24 * time.Hour), RecycleDate: recycled, DeleteDate: deletes}
}

func newHandler(t *testing.T, s Settings, r *fakeReader, chans ...*fakeChannel) (*Handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h := &Handler{Settings: s, Reader: r, Logger: slog.New(NewLogHandler(slog.NewJSONHandler(&logs, nil))), Now: func() time.Time { return clock }}
	for _, c := range chans {
		h.Channels = append(h.Channels, c)
	}
	return h, &logs
}

const timerEvent = `{"triggerTime":"2026-11-30T09:00:00Z","triggerName":"daily","payload":""}`

func TestHandleCrossingTimer(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{
		{UserName: "alice", UserID: "1001", Keys: []alert.Key{
			key("LTAI5tRecycledToday00001", cur.Add(-2*time.Hour), cur.Add(30*24*time.Hour-2*time.Hour)),
			key("LTAI5tExpiresIn3Days0001", cur.Add(-27*24*time.Hour), cur.Add(3*24*time.Hour+5*time.Hour)),
			key("LTAI5tQuietOldKey0000001", cur.Add(-10*24*time.Hour), cur.Add(20*24*time.Hour)),
		}},
		{UserName: "bob", UserID: "1002"},
	}}}
	slack := &fakeChannel{name: "slack-webhook"}
	h, logs := newHandler(t, testSettings(t), r, slack)
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1", AccountID: "1234567890123456", RetryCount: 1,
		Credentials: &alibaba.Credentials{AccessKeyID: "STS.role", AccessKeySecret: "s3cret", SecurityToken: "tok3n"}}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if r.creds == nil || r.creds.AccessKeyID != "STS.role" {
		t.Errorf("Read got credentials %+v, want the invocation's", r.creds)
	}
	if diff := cmp.Diff([]string{"alice", "bob"}, r.entries); diff != "" {
		t.Errorf("Read entries (-want +got):\n%s", diff)
	}
	var got []string
	for _, a := range res.Alerts {
		got = append(got, string(a.Event)+":"+a.AccessKeyID)
	}
	want := []string{"expiring:LTAI5tExpiresIn3Days0001", "recycled:LTAI5tRecycledToday00001"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if !res.Window.To.Equal(cur) || !res.Window.From.Equal(cur.Add(-24*time.Hour)) || !res.Next.Equal(cur.Add(24*time.Hour)) || !res.Now.Equal(cur) {
		t.Errorf("times = now %v window %+v next %v", res.Now, res.Window, res.Next)
	}
	if res.AccountID != "1234567890123456" || res.UsersChecked != 2 || res.KeysInBins != 3 || res.Mode != "crossing" || res.DryRun {
		t.Errorf("result = %+v", res)
	}
	if diff := cmp.Diff([]Delivery{{Channel: "slack-webhook", OK: true, Messages: 1}}, res.Deliveries); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	if len(slack.sent) != 1 || !strings.Contains(slack.sent[0], `"retry":1`) {
		t.Errorf("sent = %v, want one message carrying the retry count", slack.sent)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !strings.Contains(line, `"requestId":"req-1"`) {
			t.Errorf("log line without the request ID: %s", line)
		}
	}
	for _, s := range []string{"s3cret", "tok3n", "/services/T/B/secret"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("logs hold the secret %q", s)
		}
	}
}

func TestHandleQuietRunPostsNothing(t *testing.T) {
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1"}}}}
	slack := &fakeChannel{name: "slack-webhook"}
	h, _ := newHandler(t, testSettings(t), r, slack)
	res, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if len(slack.sent) != 0 {
		t.Errorf("a quiet run sent %v", slack.sent)
	}
	if diff := cmp.Diff([]Delivery{{Channel: "slack-webhook", OK: true, Messages: 0}}, res.Deliveries); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}

func TestHandleDigestAlwaysPosts(t *testing.T) {
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1"}}}}
	slack := &fakeChannel{name: "slack-webhook"}
	h, _ := newHandler(t, testSettings(t), r, slack)
	res, err := h.Handle(context.Background(), Invocation{}, []byte(`{"mode":"digest"}`))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if len(slack.sent) != 1 || res.Mode != "digest" {
		t.Errorf("digest sent %d messages (mode %q), want 1", len(slack.sent), res.Mode)
	}
}

func TestHandleUnreadableUsers(t *testing.T) {
	denied := func(user string) alibaba.UserError {
		return alibaba.UserError{UserError: alert.UserError{User: user, Code: "NoPermission", Message: "not authorized"}}
	}
	t.Run("one missing user is reported, the run succeeds and posts", func(t *testing.T) {
		r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1"}},
			Errors: []alibaba.UserError{{UserError: alert.UserError{User: "bob", Code: "EntityNotExist.User", Message: "the user does not exist"}}}}}
		slack := &fakeChannel{name: "slack-webhook"}
		h, _ := newHandler(t, testSettings(t), r, slack)
		res, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent))
		if err != nil {
			t.Fatalf("Handle() = %v", err)
		}
		if len(res.Errors) != 1 || res.Errors[0].User != "bob" || len(slack.sent) != 1 {
			t.Errorf("errors = %+v, sent %d; want bob reported and posted", res.Errors, len(slack.sent))
		}
	})
	t.Run("no user readable fails with a one-line summary", func(t *testing.T) {
		var errs []alibaba.UserError
		for i := range 1000 {
			errs = append(errs, denied(fmt.Sprintf("user%d", i)))
		}
		r := &fakeReader{scan: alibaba.Scan{Errors: errs}}
		slack := &fakeChannel{name: "slack-webhook"}
		h, _ := newHandler(t, testSettings(t), r, slack)
		res, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent))
		var re *runError
		if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "NoPermission for all 1,000 users: the role lacks ram:ListAccessKeysInRecycleBin") {
			t.Fatalf("Handle() = %v, want a runError summary", err)
		}
		if res == nil || len(res.Errors) != 1000 || len(slack.sent) != 1 {
			t.Errorf("result errors %d, sent %d; want 1000 and the message still posted", len(res.Errors), len(slack.sent))
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("summary is not one line: %q", err)
		}
	})
	t.Run("transient error fails after the others were read and posted", func(t *testing.T) {
		r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1"}},
			Errors: []alibaba.UserError{{UserError: alert.UserError{User: "bob", Code: "Throttling.User", Message: "flow control"}, Transient: true}}}}
		slack := &fakeChannel{name: "slack-webhook"}
		h, _ := newHandler(t, testSettings(t), r, slack)
		_, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent))
		if err == nil || !strings.Contains(err.Error(), "1 of 2 users unreadable after retries (1 Throttling.User)") {
			t.Errorf("Handle() = %v, want the transient summary", err)
		}
		if len(slack.sent) != 1 {
			t.Errorf("sent %d messages, want 1", len(slack.sent))
		}
	})
	t.Run("a panic while reading one user fails the run after the others were posted", func(t *testing.T) {
		r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1"}},
			Errors: []alibaba.UserError{{UserError: alert.UserError{User: "bob", Code: "InvalidResponse", Message: "ListAccessKeysInRecycleBin: malformed answer (the SDK panicked: …)"}, Panicked: true}}}}
		slack := &fakeChannel{name: "slack-webhook"}
		h, _ := newHandler(t, testSettings(t), r, slack)
		res, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent))
		if err == nil || !strings.Contains(err.Error(), "reading 1 users panicked (1 InvalidResponse)") {
			t.Errorf("Handle() = %v, want the panic summary", err)
		}
		if len(slack.sent) != 1 || res.UsersChecked != 1 || len(res.Errors) != 1 {
			t.Errorf("sent %d, result %+v; want bob reported and the message posted", len(slack.sent), res)
		}
	})
	t.Run("ListUsers failing for * fails the run", func(t *testing.T) {
		r := &fakeReader{scan: alibaba.Scan{Errors: []alibaba.UserError{denied("*")}}}
		h, _ := newHandler(t, testSettings(t, func(s *Settings) { s.Users = []string{"*"} }), r, &fakeChannel{name: "slack-webhook"})
		_, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent))
		if err == nil || !strings.Contains(err.Error(), "listing the RAM users failed: NoPermission") {
			t.Errorf("Handle() = %v, want the ListUsers failure", err)
		}
	})
}

func TestHandleDeliveryFailure(t *testing.T) {
	r := &fakeReader{scan: alibaba.Scan{Errors: []alibaba.UserError{{UserError: alert.UserError{User: "bob", Code: "EntityNotExist.User"}}},
		Bins: []alert.Bin{{UserName: "alice", UserID: "1"}}}}
	bad := &fakeChannel{name: "dingtalk", sendErr: errors.New("dingtalk: errcode 310000: keywords not in content")}
	good := &fakeChannel{name: "slack-webhook"}
	h, _ := newHandler(t, testSettings(t), r, bad, good)
	res, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent))
	if err == nil || !strings.Contains(err.Error(), "delivery failed: dingtalk: ") {
		t.Fatalf("Handle() = %v, want a delivery failure", err)
	}
	if len(good.sent) != 1 {
		t.Errorf("the other channel sent %d messages, want 1", len(good.sent))
	}
	if res.Deliveries[0].OK || !res.Deliveries[1].OK {
		t.Errorf("deliveries = %+v", res.Deliveries)
	}
}

func TestHandleDryRunPreview(t *testing.T) {
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1"}}}}
	slack := &fakeChannel{name: "slack-webhook"}
	h, _ := newHandler(t, testSettings(t), r, slack)
	res, err := h.Handle(context.Background(), Invocation{}, []byte(`{"mode":"digest","dryRun":true}`))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if len(slack.sent) != 0 || res.Deliveries != nil || len(res.Preview) != 1 || len(res.Preview[0].Messages) != 1 || !res.DryRun {
		t.Errorf("dry run: sent %v, result %+v", slack.sent, res)
	}
}

func TestHandleRejected(t *testing.T) {
	ahead := clock.Add(10 * time.Minute).Format(time.RFC3339)
	tests := []struct {
		name string
		s    Settings
		body string
		want string
	}{
		{"malformed event", testSettings(t), `{"users":`, "malformed JSON"},
		{"unknown override", testSettings(t), `{"usres":["a"]}`, `unknown field "usres"`},
		{"timer without SCHEDULE", testSettings(t, func(s *Settings) { s.Schedule = nil }), timerEvent, "SCHEDULE is not set"},
		{"now ahead of the clock", testSettings(t), `{"now":"` + ahead + `"}`, "more than 5 minutes ahead"},
		{"dryRun false without channel", testSettings(t, func(s *Settings) { s.DryRun = true }), `{"dryRun":false}`, "no channel is configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeReader{}
			h, logs := newHandler(t, tt.s, r)
			res, err := h.Handle(context.Background(), Invocation{}, []byte(tt.body))
			var re *RejectedError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Handle() = %v, want a RejectedError containing %q", err, tt.want)
			}
			if res != nil || r.calls != 0 {
				t.Errorf("rejected run made %d API reads and returned %+v", r.calls, res)
			}
			if line := resultLine(t, logs); line.Level != "ERROR" || !line.Rejected || !strings.Contains(line.Error, tt.want) || string(line.Result) != "null" {
				t.Errorf("result line = %+v, want a rejected one at error level, no result, the error %q", line, tt.want)
			}
		})
	}
	t.Run("now ahead is fine in a dry run", func(t *testing.T) {
		h, _ := newHandler(t, testSettings(t), &fakeReader{})
		if _, err := h.Handle(context.Background(), Invocation{}, []byte(`{"dryRun":true,"now":"`+ahead+`"}`)); err != nil {
			t.Errorf("Handle() = %v", err)
		}
	})
	t.Run("invalid configuration fails every invocation", func(t *testing.T) {
		h := &Handler{ConfigErr: errors.New("configuration error: ALERT_MODE: unknown mode"), Logger: slog.New(slog.DiscardHandler)}
		for range 2 {
			_, err := h.Handle(context.Background(), Invocation{}, []byte(`{}`))
			if err == nil || !strings.Contains(err.Error(), "ALERT_MODE") {
				t.Errorf("Handle() = %v, want the configuration error", err)
			}
		}
	})
}

func TestResultLogValueTruncates(t *testing.T) {
	r := &Result{Findings: alert.Findings{Alerts: make([]alert.Alert, 400)}}
	v, truncated := r.logValue(maxResultLine)
	b, _ := json.Marshal(v)
	if !truncated || len(b) > maxResultLine || !strings.Contains(string(b), `"alerts":400`) {
		t.Errorf("logValue() = %d bytes, truncated %v: %.200s", len(b), truncated, b)
	}
	small := &Result{Findings: alert.Findings{Alerts: make([]alert.Alert, 1)}}
	v, truncated = small.logValue(maxResultLine)
	b, _ = json.Marshal(v)
	if truncated || !strings.Contains(string(b), `"alerts":[{`) {
		t.Errorf("small logValue() = %s, want the alerts themselves", b)
	}
}

// TestManyAlertsAllLogged: with more alerts than the result line holds, every alert is still logged, in
// lines of at most 32 KB.
func TestManyAlertsAllLogged(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var keys []alert.Key
	for i := range 300 {
		keys = append(keys, key(fmt.Sprintf("LTAI5tMany%014d", i), cur.Add(-time.Hour), cur.Add(30*24*time.Hour)))
	}
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1", Keys: keys}}}}
	h, logs := newHandler(t, testSettings(t), r, &fakeChannel{name: "slack-webhook"})
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-many"}, []byte(timerEvent))
	if err != nil || len(res.Alerts) != 300 {
		t.Fatalf("Handle() = %d alerts, %v", len(res.Alerts), err)
	}
	logged := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if len(line) > maxResultLine {
			t.Errorf("a log line has %d bytes, more than %d", len(line), maxResultLine)
		}
		var rec struct {
			Msg    string        `json:"msg"`
			Alerts []alert.Alert `json:"alerts"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "result alerts" {
			for _, a := range rec.Alerts {
				logged[a.AccessKeyID] = true
			}
		}
	}
	if len(logged) != 300 {
		t.Errorf("%d of 300 alerts logged in the result alerts lines", len(logged))
	}
}

func TestHandleEarlyTriggerWaitsForFireTime(t *testing.T) {
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1"}}}}
	h, _ := newHandler(t, testSettings(t), r, &fakeChannel{name: "slack-webhook"})
	h.Now = func() time.Time { return time.Date(2026, 11, 30, 8, 59, 50, 0, time.UTC) }
	var slept []time.Duration
	h.Sleep = func(_ context.Context, d time.Duration) error {
		if r.calls != 0 {
			t.Error("the bins were read before the fire time")
		}
		slept = append(slept, d)
		return nil
	}
	if _, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent)); err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if diff := cmp.Diff([]time.Duration{10 * time.Second}, slept); diff != "" {
		t.Errorf("slept (-want +got):\n%s", diff)
	}
	// A wait cut short (the invocation's deadline) fails the run, with a result and its result line.
	var logs *bytes.Buffer
	h, logs = newHandler(t, testSettings(t), r, &fakeChannel{name: "slack-webhook"})
	h.Now = func() time.Time { return time.Date(2026, 11, 30, 8, 59, 50, 0, time.UTC) }
	h.Sleep = func(context.Context, time.Duration) error { return context.DeadlineExceeded }
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-wait"}, []byte(timerEvent))
	if err == nil || !strings.Contains(err.Error(), "waiting for the fire time") || res == nil {
		t.Errorf("Handle() with a failed wait = %+v, %v; want a result and an error naming the wait", res, err)
	}
	if line := resultLine(t, logs); line.Level != "ERROR" || !strings.Contains(line.Error, "waiting for the fire time") {
		t.Errorf("result line = %+v, want one at error level naming the wait:\n%s", line, logs)
	}
	h, _ = newHandler(t, testSettings(t), r, &fakeChannel{name: "slack-webhook"})
	// On time or late: no wait.
	h.Now = func() time.Time { return clock }
	slept = nil
	if _, err := h.Handle(context.Background(), Invocation{}, []byte(timerEvent)); err != nil || len(slept) != 0 {
		t.Errorf("Handle() = %v, slept %v; want no wait", err, slept)
	}
}

// resultLine returns the one result log line of logs; it fails the test when there is not exactly one.
func resultLine(t *testing.T, logs *bytes.Buffer) (line struct {
	Level, Msg, Error string
	Rejected          bool
	Result            json.RawMessage
}) {
	t.Helper()
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct{ Msg string }
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "result" {
			n++
			json.Unmarshal([]byte(l), &line)
		}
	}
	if n != 1 {
		t.Errorf("%d result lines, want 1:\n%s", n, logs)
	}
	return line
}

func TestReadLeavesTimeForDelivery(t *testing.T) {
	for _, tt := range []struct{ remaining, reserve time.Duration }{
		{300 * time.Second, time.Minute},
		{60 * time.Second, 20 * time.Second},
		{3 * time.Second, time.Second},
	} {
		if got := deliveryReserve(tt.remaining); got != tt.reserve {
			t.Errorf("deliveryReserve(%v) = %v, want %v", tt.remaining, got, tt.reserve)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rctx, rcancel := readContext(ctx)
	defer rcancel()
	d, _ := rctx.Deadline()
	if left := time.Until(d); left > 61*time.Second || left < 55*time.Second {
		t.Errorf("read deadline leaves %v to read of 90s, want about 60s", left)
	}
}

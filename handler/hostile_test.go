package handler

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

func TestDecodeEventLimits(t *testing.T) {
	many := func(n int, item string) string {
		return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
	}
	tests := []struct {
		name, body, want string
	}{
		{"null mode", `{"mode":null}`, "mode is null: want \"crossing\" or \"digest\""},
		{"null users", `{"users":null}`, "users is null: want an array"},
		{"null accounts", `{"accounts":null}`, "accounts is null: want an array of account IDs"},
		{"null dryRun", `{"dryRun":null}`, "dryRun is null: want true or false"},
		{"null thresholds", `{"thresholds":null}`, "thresholds is null: want an array"},
		{"null now", `{"now":null,"dryRun":true}`, "now is null: want an RFC 3339 string"},
		{"null mode in a timer payload", `{"triggerTime":"2026-11-30T09:00:00Z","payload":"{\"mode\":null}"}`, "timer event payload: mode is null"},
		{"null threshold", `{"thresholds":[null]}`, "thresholds[0] is null"},
		{"null threshold among others", `{"thresholds":[7,null]}`, "thresholds[1] is null"},
		{"21 thresholds", `{"thresholds":[` + many(21, "1") + `]}`, "thresholds has more than 20 items"},
		{"a million thresholds", `{"thresholds":[` + many(500000, "0") + `]}`, "thresholds has more than 20 items"},
		{"threshold over a year", `{"thresholds":[366]}`, "thresholds[0]: threshold 366: at most 365 days"},
		{"threshold over a year in hours", `{"thresholds":["8761h"]}`, "at most 365 days"},
		{"null user", `{"users":["alice",null]}`, "users[1] is null"},
		{"user of the wrong type", `{"users":["alice",7]}`, "users[1] must be a string"},
		{"5001 users", `{"users":[` + many(5001, `"a"`) + `]}`, "users has more than 5000 entries"},
		{"null account", `{"accounts":["1000000000000001",null]}`, "accounts[1] must be an account ID (a string of 16 digits)"},
		{"account of the wrong type", `{"accounts":[1000000000000001]}`, "accounts[0] must be an account ID"},
		{"account with markup", `{"accounts":["<!channel>"]}`, `accounts[0] "??channel?" is not an account ID (16 digits)`},
		{"accounts not an array", `{"accounts":"1000000000000001"}`, "accounts must be an array of account IDs"},
		{"1001 accounts", `{"accounts":[` + many(1001, `"1000000000000001"`) + `]}`, "accounts has more than 1000 entries"},
		{"now in the year 0000", `{"now":"0000-01-01T00:00:00Z","dryRun":true}`, `now "0000-01-01T00:00:00Z" is outside the years 2000-2200`},
		{"now in the year 9999", `{"now":"9999-12-31T23:59:59Z","dryRun":true}`, `now "9999-12-31T23:59:59Z" is outside the years 2000-2200`},
		{"now before 2000 in UTC", `{"now":"2000-01-01T01:00:00+02:00"}`, "outside the years 2000-2200"},
		{"now after 2200 in UTC", `{"now":"2200-12-31T23:00:00-02:00","dryRun":true}`, "outside the years 2000-2200"},
		{"triggerTime in the year 9999", `{"triggerTime":"9999-01-01T09:00:00Z"}`, `triggerTime "9999-01-01T09:00:00Z" is outside the years 2000-2200`},
		{"triggerTime in the year 1970", `{"triggerTime":"1970-01-01T00:00:00Z"}`, "triggerTime"},
		{"a field twice", `{"mode":"digest","mode":"crossing"}`, `field "mode" appears twice`},
		{"long unknown field quoted short", `{"` + strings.Repeat("x", 100000) + `":1}`, `unknown field "` + strings.Repeat("x", 40) + `"…`},
		{"long mode quoted short", `{"mode":"` + strings.Repeat("y", 100000) + `"}`, `mode: unknown mode "` + strings.Repeat("y", 40) + `"…`},
		{"long now quoted short", `{"now":"` + strings.Repeat("z", 100000) + `"}`, `now "` + strings.Repeat("z", 40) + `"…`},
		{"over 1 MiB", `{"mode":"digest"}` + strings.Repeat(" ", 1<<20), "the event is larger than 1 MiB (1048576 bytes)"},
		{"timer payload with a null threshold", `{"triggerTime":"2026-11-30T09:00:00Z","payload":"{\"thresholds\":[null]}"}`, "timer event payload: thresholds[0] is null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEvent([]byte(tt.body))
			if err == nil {
				t.Fatalf("decodeEvent(%.80s) = %+v, want an error containing %.100q", tt.body, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || len(err.Error()) > 300 {
				t.Errorf("decodeEvent(%.80s) = %.300q, want a short error containing %.100q", tt.body, err, tt.want)
			}
		})
	}
}

func TestDecodeEventAtTheLimits(t *testing.T) {
	var users []string
	for range 5000 {
		users = append(users, "a")
	}
	body, _ := json.Marshal(map[string]any{"users": users, "thresholds": []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, "365d"},
		"now": "2000-01-01T00:00:00Z"})
	ev, err := decodeEvent(body)
	if err != nil {
		t.Fatalf("decodeEvent(5000 users, 20 thresholds) = %v", err)
	}
	if len(ev.Overrides.Users) != 5000 || len(ev.Overrides.Thresholds) != 20 || ev.Overrides.Thresholds[19] != 365*24*time.Hour {
		t.Errorf("decodeEvent() = %d users, thresholds %v", len(ev.Overrides.Users), ev.Overrides.Thresholds)
	}
	// Unknown fields of a timer event are ignored, however many.
	timer := `{"triggerTime":"2200-12-31T23:59:59Z"` + strings.Repeat(`,"x":[1,2,{"y":null}]`, 20000) + `}`
	if ev, err := decodeEvent([]byte(timer)); err != nil || !ev.Timer {
		t.Errorf("decodeEvent(timer with 20,000 extra fields) = %+v, %v", ev, err)
	}
}

// renderFailing renders nothing: its Render fails.
type renderFailing struct{ fakeChannel }

func (c *renderFailing) Render(*alert.Report) ([]notify.Post, error) {
	return nil, errors.New("json: error calling MarshalJSON for type time.Time: year outside of range [0,9999]")
}

// renderPanicking panics in Render.
type renderPanicking struct{ fakeChannel }

func (c *renderPanicking) Render(*alert.Report) ([]notify.Post, error) { panic("render bug") }

// TestHandleDryRunRenderPanic: a dry run renders as a real one does: a panic in one channel's Render is
// that channel's failure in the run's error, and the other channels are still previewed.
func TestHandleDryRunRenderPanic(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1",
		Keys: []alert.Key{key("LTAI5tRecycledToday00001", cur.Add(-time.Hour), cur.Add(30*24*time.Hour))}}}}}
	slack := &fakeChannel{name: "slack-webhook"}
	h, _ := newHandler(t, testSettings(t, func(s *Settings) { s.DryRun = true }), r, slack)
	h.Channels = append(h.Channels, &renderPanicking{fakeChannel{name: "webhook"}})
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-dry"}, []byte(timerEvent))
	if want := "webhook: rendering failed: panicked: render bug"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Handle() error = %v, want %q", err, want)
	}
	if res == nil || len(res.Preview) != 2 || len(res.Preview[0].Messages) != 1 || len(slack.sent) != 0 {
		t.Fatalf("Handle() result %+v, sent %d; want both channels previewed, Slack with its message, nothing sent", res, len(slack.sent))
	}
}

// TestHandleRendersEveryChannelFirst: when one channel cannot render the report (an error or a panic),
// no channel is sent anything, so that no channel is posted while another is not.
func TestHandleRendersEveryChannelFirst(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		hook notify.Channel
		want string
	}{
		{"error", &renderFailing{fakeChannel{name: "webhook"}}, "rendering failed for webhook: json: error calling MarshalJSON"},
		{"panic", &renderPanicking{fakeChannel{name: "webhook"}}, "rendering failed for webhook: panicked: render bug"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1",
				Keys: []alert.Key{key("LTAI5tRecycledToday00001", cur.Add(-time.Hour), cur.Add(30*24*time.Hour))}}}}}
			slack := &fakeChannel{name: "slack-webhook"}
			h, _ := newHandler(t, testSettings(t), r, slack)
			h.Channels = append(h.Channels, tc.hook)
			res, err := h.Handle(context.Background(), Invocation{RequestID: "req-render"}, []byte(timerEvent))
			if err == nil || !strings.Contains(err.Error(), "nothing sent: "+tc.want) {
				t.Errorf("Handle() error = %v, want %q", err, "nothing sent: "+tc.want)
			}
			if len(slack.sent) != 0 {
				t.Errorf("sent %d to Slack, want nothing while the webhook has nothing", len(slack.sent))
			}
			for _, d := range res.Deliveries {
				if d.OK || d.Messages != 0 || !strings.Contains(d.Error, "not sent: "+tc.want) {
					t.Errorf("delivery %+v, want failed, nothing sent, naming the webhook's rendering", d)
				}
			}
		})
	}
}

// TestResultLogKeepsUnencodableAlerts: an alert JSON cannot encode (a date past the year 9999, which the
// reader never lets through) is still in the result alerts log lines, and the run's error names it.
func TestResultLogKeepsUnencodableAlerts(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	beyond := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1", Keys: []alert.Key{
		key("LTAI5tRecycledToday00001", cur.Add(-time.Hour), cur.Add(30*24*time.Hour)),
		key("LTAI5tBeyondYear99990001", cur.Add(-2*time.Hour), beyond),
	}}}}}
	h, logs := newHandler(t, testSettings(t), r, &fakeChannel{name: "slack-webhook"})
	if _, err := h.Handle(context.Background(), Invocation{RequestID: "req-beyond"}, []byte(timerEvent)); err != nil {
		t.Logf("Handle() = %v", err)
	}
	logged := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct {
			Msg    string `json:"msg"`
			Alerts []struct {
				AccessKeyID string `json:"accessKeyId"`
			} `json:"alerts"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "result alerts" {
			for _, a := range rec.Alerts {
				logged[a.AccessKeyID] = true
			}
		}
	}
	if !logged["LTAI5tRecycledToday00001"] || !logged["LTAI5tBeyondYear99990001"] {
		t.Errorf("result alerts lines hold %v, want both alerts:\n%s", logged, logs)
	}
}

// deadlineChannel records the deadline of the context each send gets.
type deadlineChannel struct {
	fakeChannel
	mu        sync.Mutex
	deadlines []time.Time
}

func newDeadlineChannel(name string) *deadlineChannel {
	c := &deadlineChannel{fakeChannel: fakeChannel{name: name}}
	c.onSend = func(ctx context.Context) {
		d, _ := ctx.Deadline()
		c.mu.Lock()
		c.deadlines = append(c.deadlines, d)
		c.mu.Unlock()
	}
	return c
}

// deadlineReader records the deadline of the context Read gets.
type deadlineReader struct {
	fakeReader
	deadline time.Time
}

func (r *deadlineReader) Read(ctx context.Context, creds *alibaba.Credentials, entries []string) (*alibaba.Scan, error) {
	r.deadline, _ = ctx.Deadline()
	return r.fakeReader.Read(ctx, creds, entries)
}

// TestHandleLeavesTimeToAnswer: the reading and the delivery end a guard before the invocation's
// deadline (max(1 s, 5%)), so that the result or error still reaches the runtime in time.
func TestHandleLeavesTimeToAnswer(t *testing.T) {
	for _, tt := range []struct {
		timeout, guard time.Duration
	}{
		{10 * time.Second, time.Second},
		{20 * time.Second, time.Second},
		{300 * time.Second, 15 * time.Second},
	} {
		t.Run(tt.timeout.String(), func(t *testing.T) {
			r := &deadlineReader{fakeReader: fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1"}}}}}
			ch := newDeadlineChannel("slack-webhook")
			h, _ := newHandler(t, testSettings(t), nil)
			h.Reader, h.Channels = r, append(h.Channels, ch)
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			deadline, _ := ctx.Deadline()
			if _, err := h.Handle(ctx, Invocation{}, []byte(`{"mode":"digest"}`)); err != nil {
				t.Fatalf("Handle() = %v", err)
			}
			if len(ch.deadlines) != 1 {
				t.Fatalf("Send called %d times, want 1", len(ch.deadlines))
			}
			// The guard is taken from the time left when Handle starts, a moment after the deadline was set.
			if got := deadline.Sub(ch.deadlines[0]); got < tt.guard-100*time.Millisecond || got > tt.guard+100*time.Millisecond {
				t.Errorf("Send's deadline is %v before the invocation's, want %v", got, tt.guard)
			}
			if got := deadline.Sub(r.deadline); got < tt.guard {
				t.Errorf("Read's deadline is %v before the invocation's, want at least %v", got, tt.guard)
			}
		})
	}
}

// BenchmarkDecodeHostileEvent decodes events of about 1 MiB built to cost memory: a long thresholds array,
// a long users array, many unknown fields, a timer event with many extra fields. Target: the bytes
// allocated per event stay within a few times its size (each is rejected or decoded, never held whole
// twice over).
func BenchmarkDecodeHostileEvent(b *testing.B) {
	fill := func(prefix, item, suffix string) []byte {
		n := (MaxEventBytes - len(prefix) - len(suffix)) / (len(item) + 1)
		return []byte(prefix + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + suffix)
	}
	for _, bc := range []struct {
		name  string
		event []byte
	}{
		{"thresholds", fill(`{"thresholds":[`, "0", `]}`)},
		{"users", fill(`{"users":[`, `"a"`, `]}`)},
		{"unknown fields", fill(`{`, `"x":0`, `}`)},
		{"timer with extra fields", fill(`{"triggerTime":"2026-11-30T09:00:00Z",`, `"x":[0]`, `}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.event)))
			for b.Loop() {
				decodeEvent(bc.event) //nolint:errcheck // most are rejected
			}
		})
	}
}

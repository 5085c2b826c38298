package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// recordingChannel records what Deliver sends and fails the parts listed in fail.
type recordingChannel struct {
	pace time.Duration
	fail map[string]bool
	sent []string
}

func (c *recordingChannel) Name() string                                       { return "test" }
func (c *recordingChannel) Pace() time.Duration                                { return c.pace }
func (c *recordingChannel) Render(*alert.Report) ([]notify.Post, error)        { return nil, nil }
func (c *recordingChannel) RenderNotice(*notify.Notice) ([]notify.Post, error) { return nil, nil }

// posts are posts of c with the given bodies.
func (c *recordingChannel) posts(bodies ...string) []notify.Post {
	var out []notify.Post
	for _, b := range bodies {
		out = append(out, notify.NewPost([]byte(b), func(context.Context) error {
			c.sent = append(c.sent, b)
			if c.fail[b] {
				return &notify.DeliveryError{Channel: "test", Attempts: 3, Retryable: true, Err: errors.New("HTTP 500 Internal Server Error")}
			}
			return nil
		}))
	}
	return out
}

func TestDeliver(t *testing.T) {
	tests := []struct {
		name     string
		ch       *recordingChannel
		timeout  time.Duration
		wantSent []string
		wantN    int
		wantErr  string
	}{
		{"all", &recordingChannel{}, 0, []string{"1", "2", "3"}, 3, ""},
		{"paced", &recordingChannel{pace: time.Millisecond}, 0, []string{"1", "2", "3"}, 3, ""},
		{"stops at failure", &recordingChannel{fail: map[string]bool{"2": true}}, 0, []string{"1", "2"}, 1,
			"test: gave up after 3 attempts: HTTP 500 Internal Server Error (part 2/3, 1 sent before it)"},
		{"pace past deadline", &recordingChannel{pace: time.Hour}, time.Minute, []string{"1"}, 1,
			"test: part 2/3 not sent: waiting 1h0m0s between posts (the channel's rate limit) would pass the deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			n, err := notify.Deliver(ctx, tt.ch, tt.ch.posts("1", "2", "3"))
			if n != tt.wantN {
				t.Errorf("Deliver() sent = %d, want %d", n, tt.wantN)
			}
			if diff := cmp.Diff(tt.wantSent, tt.ch.sent); diff != "" {
				t.Errorf("posted (-want +got):\n%s", diff)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Deliver() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("Deliver() = %v, want %q", err, tt.wantErr)
			}
			if tt.name == "stops at failure" && nt.Permanent(err) {
				t.Errorf("Deliver() = %v: permanent, want retryable", err)
			}
		})
	}
}

func TestDeliverCanceledWhilePacing(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ch := &recordingChannel{pace: time.Hour}
	n, err := notify.Deliver(ctx, ch, ch.posts("1", "2"))
	if n != 1 || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "part 2/2 not sent") {
		t.Errorf("Deliver() = %d, %v, want 1, part 2/2 not sent: context canceled", n, err)
	}
}

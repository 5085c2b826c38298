package notify_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// noticeChannel renders a notice as its title, or fails to render it, and records or fails its sends.
type noticeChannel struct {
	name      string
	renderErr error
	sendErr   error
	mu        *sync.Mutex
	sent      *[]string
}

func (c *noticeChannel) Name() string                                { return c.name }
func (c *noticeChannel) Pace() time.Duration                         { return 0 }
func (c *noticeChannel) Render(*alert.Report) ([]notify.Post, error) { return nil, nil }
func (c *noticeChannel) RenderNotice(n *notify.Notice) ([]notify.Post, error) {
	if c.renderErr != nil {
		return nil, c.renderErr
	}
	return []notify.Post{notify.NewPost([]byte(n.Title), func(context.Context) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		*c.sent = append(*c.sent, c.name)
		return c.sendErr
	})}, nil
}

func TestAnnounce(t *testing.T) {
	tests := []struct {
		name     string
		render   map[string]error
		send     map[string]error
		wantSent int
		wantErr  []string
	}{
		{name: "every channel", wantSent: 3},
		{name: "one fails, the others are told", send: map[string]error{"b": errors.New("b: gave up after 3 attempts: HTTP 500")},
			wantSent: 3, wantErr: []string{"b: gave up after 3 attempts: HTTP 500"}},
		{name: "one cannot render: nothing sent", render: map[string]error{"c": errors.New("too long")},
			wantSent: 0, wantErr: []string{"nothing sent: rendering the notice failed for c: too long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var sent []string
			var chans []notify.Channel
			for _, name := range []string{"a", "b", "c"} {
				chans = append(chans, &noticeChannel{name: name, renderErr: tt.render[name], sendErr: tt.send[name], mu: &mu, sent: &sent})
			}
			err := notify.Announce(t.Context(), chans, nt.Notice())
			if len(sent) != tt.wantSent {
				t.Errorf("Announce sent to %v, want %d channels", sent, tt.wantSent)
			}
			if len(tt.wantErr) == 0 && err != nil {
				t.Errorf("Announce() = %v, want nil", err)
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Announce() = %v, want %q", err, w)
				}
			}
		})
	}
}

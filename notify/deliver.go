package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// Deliver posts bodies to ch in order, waiting ch.Pace() between two posts, and stops at the first
// part that fails. It returns how many bodies were sent. When the pace would carry the next post past
// ctx's deadline it gives up at once with an error saying so; an error names the channel and, for a
// message of several parts, which part failed.
func Deliver(ctx context.Context, ch Channel, bodies []json.RawMessage) (sent int, err error) {
	pace := ch.Pace()
	for i, body := range bodies {
		if i > 0 && pace > 0 {
			if dl, ok := ctx.Deadline(); ok && !time.Now().Add(pace).Before(dl) {
				return sent, fmt.Errorf("%s: %s not sent: waiting %s between posts (the channel's rate limit) would pass the deadline",
					ch.Name(), partOf(i, len(bodies)), pace)
			}
			if err := sleep.For(ctx, pace); err != nil {
				return sent, fmt.Errorf("%s: %s not sent: %w", ch.Name(), partOf(i, len(bodies)), err)
			}
		}
		if err := ch.Send(ctx, body); err != nil {
			if len(bodies) > 1 {
				return sent, fmt.Errorf("%w (%s, %d sent before it)", err, partOf(i, len(bodies)), sent)
			}
			return sent, err
		}
		sent++
	}
	return sent, nil
}

func partOf(i, n int) string { return fmt.Sprintf("part %d/%d", i+1, n) }

// Package sleep waits on the clock without outliving a context: the one way the function pauses, for
// a retry's backoff, a channel's pace between posts, an early timer's fire time, or the runtime's
// poll after an error.
package sleep

import (
	"context"
	"time"
)

// For waits d, or until ctx ends, and then returns ctx's error.
func For(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

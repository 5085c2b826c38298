package handler

import (
	"context"
	"time"
)

// answerGuard is how long before the invocation's deadline the run's work ends, to leave time for
// encoding and posting its result or error, however a channel or the API behaves: 5% of the time left
// when the run starts, at least a second, and at most half of it.
func answerGuard(remaining time.Duration) time.Duration {
	return min(max(time.Second, remaining/20), remaining/2)
}

// workContext bounds the run's work (reading, rendering, delivering) to end answerGuard before ctx's
// deadline.
func workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-answerGuard(time.Until(deadline))))
}

// deliveryReserve is the share of the invocation's remaining time kept for sending the messages after the
// bins were read: a third, at most a minute (DingTalk and WeCom are paced to a post every 3 s).
func deliveryReserve(remaining time.Duration) time.Duration {
	return min(remaining/3, time.Minute)
}

// readContext bounds the reading of the bins so that the reserve for delivery is left.
func readContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-deliveryReserve(time.Until(deadline))))
}

package fcruntime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// defaultMaxEventBytes is Options.MaxEventBytes when it is zero: 1 MiB. FC itself delivers events of up
// to 32 MB to a synchronous invocation (https://www.alibabacloud.com/help/doc-detail/2527064.html); a
// handler whose events are small should not have to hold that much.
const defaultMaxEventBytes = 1 << 20

// heldEvents is how many events of the largest size the runtime holds in memory at once: events are
// counted by their size against a budget of heldEvents x (MaxEventBytes + 1) bytes, and an invocation
// whose event does not fit waits for one to be answered. Small events barely count.
const heldEvents = 8

// The errorType of invocations the runtime fails without calling the handler.
const (
	errorTypeHeader = "Runtime.InvalidHeader"
	errorTypeEvent  = "Runtime.InvalidEvent"
	errorTypeBusy   = "Runtime.Busy"
)

// requestError fails an invocation without calling the handler: a header that cannot be read, an event
// over the size limit, no memory for the event before the deadline.
type requestError struct {
	typ string
	msg string
}

func (e *requestError) Error() string { return e.msg }

// eventTooLarge is the error of an event over max bytes.
func eventTooLarge(max int64) *requestError {
	return &requestError{typ: errorTypeEvent,
		msg: "the event is larger than " + sizeText(max) + ", the most this function accepts"}
}

// sizeText says n bytes for people: "1 MiB (1048576 bytes)", or "100 bytes".
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB (%d bytes)", n>>20, n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// readEvent reads an event body whose size the request declares (-1 when it does not), at most the
// runner's limit. It first takes the body's share of the budget of events held at once, waiting for it
// at most until shortly before the invocation's deadline. It returns the body and the function that
// gives its share back once the invocation is answered, or why the invocation fails.
func (r *runner) readEvent(ctx context.Context, inv Invocation, body io.Reader, size int64) ([]byte, func(), *requestError) {
	noop := func() {}
	if size > r.maxEvent {
		return nil, noop, eventTooLarge(r.maxEvent)
	}
	share := r.maxEvent + 1
	if size >= 0 {
		share = size
	}
	if !r.budget.tryAcquire(share) {
		r.log.LogAttrs(ctx, slog.LevelInfo, "waiting for memory: the events being served fill the budget",
			slog.String("requestId", inv.RequestID), slog.Int64("eventBytes", share), slog.Int64("budgetBytes", r.budget.size))
		wctx, cancel := context.WithDeadline(ctx, answerBy(inv.Deadline))
		err := r.budget.acquire(wctx, share)
		cancel()
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, noop, &requestError{typ: errorTypeBusy, msg: "the function is stopping: the event was not read"}
		case err != nil:
			return nil, noop, &requestError{typ: errorTypeBusy,
				msg: fmt.Sprintf("no memory for the event before the deadline: the events being served hold the function's %s", sizeText(r.budget.size))}
		}
	}
	event, rerr := readBody(body, size, r.maxEvent)
	if rerr != nil {
		r.budget.release(share)
		return nil, noop, rerr
	}
	if held := int64(len(event)); held < share {
		r.budget.release(share - held)
		share = held
	}
	return event, func() { r.budget.release(share) }, nil
}

// readBody reads a body of size bytes (-1: unknown) of at most max bytes.
func readBody(body io.Reader, size, max int64) ([]byte, *requestError) {
	if size >= 0 {
		event := make([]byte, size)
		if _, err := io.ReadFull(body, event); err != nil {
			return nil, &requestError{typ: errorTypeEvent, msg: "cannot read the event: " + err.Error()}
		}
		return event, nil
	}
	event, err := io.ReadAll(io.LimitReader(body, max+1))
	switch {
	case err != nil:
		return nil, &requestError{typ: errorTypeEvent, msg: "cannot read the event: " + err.Error()}
	case int64(len(event)) > max:
		return nil, eventTooLarge(max)
	}
	return event, nil
}

// answerBy is when an invocation that waits must stop waiting to be answered before its deadline: a
// second before it, or half the time left when that is less.
func answerBy(deadline time.Time) time.Time {
	return deadline.Add(-min(time.Second, time.Until(deadline)/2))
}

// budget counts the bytes of the events held in memory.
type budget struct {
	size int64
	mu   sync.Mutex
	free int64
	wake chan struct{} // closed when bytes are given back
}

func newBudget(size int64) *budget {
	return &budget{size: size, free: size, wake: make(chan struct{})}
}

// tryAcquire takes n bytes if they are free.
func (b *budget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.free < n {
		return false
	}
	b.free -= n
	return true
}

// acquire takes n bytes, waiting for them until ctx ends.
func (b *budget) acquire(ctx context.Context, n int64) error {
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release gives n bytes back.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.free += n
	close(b.wake)
	b.wake = make(chan struct{})
}

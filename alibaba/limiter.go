package alibaba

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// limiter bounds the API calls in flight with an adaptive (AIMD) limit, and pauses every caller for a
// while after throttling. The limit starts at start, grows by one per success up to max (after the
// first throttling, by one per limit successes), and halves on throttling at most once per decreaseGap.
// The shared pause lets the server's rate budget refill instead of being spent on calls bound to fail.
type limiter struct {
	mu           sync.Mutex
	limit        float64
	ssthresh     float64
	max          float64
	inflight     int
	peak         int
	wake         chan struct{}
	pauseUntil   time.Time
	lastDecrease time.Time
	streak       int // throttling answers since the last success
	decreases    int
}

const (
	minLimit      = 1
	decreaseGap   = 100 * time.Millisecond
	pauseBase     = 50 * time.Millisecond
	pauseCap      = time.Second
	startingLimit = 8
)

func newLimiter(start, max int) *limiter {
	start = min(start, max)
	return &limiter{limit: float64(start), ssthresh: float64(max), max: float64(max), wake: make(chan struct{})}
}

// acquire waits for a free slot and the end of any pause, or for ctx to end.
func (l *limiter) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if wait := time.Until(l.pauseUntil); wait > 0 {
			l.mu.Unlock()
			if err := sleep.For(ctx, wait); err != nil {
				return err
			}
			continue
		}
		if l.inflight < int(l.limit) {
			l.inflight++
			l.peak = max(l.peak, l.inflight)
			l.mu.Unlock()
			return nil
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// outcome is how a call went, as far as the limiter cares.
type outcome int

const (
	succeeded outcome = iota // the server answered (also with a permanent error)
	throttled                // Throttling*, 429 or 503: the server asks us to slow down
	failed                   // another transient failure: no signal about load
	skipped                  // the slot was given back unused
)

// release frees a slot and adapts the limit to the outcome.
func (l *limiter) release(o outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	now := time.Now()
	switch o {
	case succeeded:
		l.streak = 0
		if l.limit < l.ssthresh {
			l.limit++
		} else {
			l.limit += 1 / l.limit
		}
		l.limit = min(l.limit, l.max)
	case throttled:
		l.streak++
		if now.Sub(l.lastDecrease) >= decreaseGap {
			l.limit = max(minLimit, l.limit/2)
			l.ssthresh = l.limit
			l.lastDecrease = now
			l.decreases++
		}
		d := jitter(min(pauseCap, pauseBase<<min(l.streak-1, 10)))
		if until := now.Add(d); until.After(l.pauseUntil) {
			l.pauseUntil = until
		}
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// stats returns the current limit, the peak number of calls in flight, and how many times the limit was
// halved.
func (l *limiter) stats() (limit, peak, decreases int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit), l.peak, l.decreases
}

// jitter returns a duration in [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// pacer lets at most n calls start within any span of per: a call reserves the earliest start that keeps
// the rule, counting the calls reserved before it, and waits for it. It is safe for concurrent use.
type pacer struct {
	n     int
	per   time.Duration
	now   func() time.Time                                 // the clock; tests stop it
	sleep func(ctx context.Context, d time.Duration) error // the wait; tests record it

	mu     sync.Mutex
	starts []time.Time // the last n starts reserved, oldest first
}

func newPacer(n int, per time.Duration) *pacer {
	return &pacer{n: n, per: per, now: time.Now, sleep: sleep.For}
}

// wait reserves the next start and waits for it, or for ctx to end (the start is then lost).
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := p.now()
	at := now
	if len(p.starts) == p.n {
		if next := p.starts[0].Add(p.per); next.After(at) {
			at = next
		}
		p.starts = p.starts[1:]
	}
	p.starts = append(p.starts, at)
	p.mu.Unlock()
	return p.sleep(ctx, at.Sub(now))
}

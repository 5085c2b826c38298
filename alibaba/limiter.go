package alibaba

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// limiter paces the API calls of one account: API rate limits are per account. It bounds the calls in
// flight with an adaptive (AIMD) limit: the limit starts at start, grows by one per success up to max
// (after the first throttling, by one per limit successes), and halves on throttling at most once per
// decreaseGap.
//
// Once the server has throttled, the limiter also paces the calls' starts by rate, since a server that
// caps requests per second refuses every call beyond its rate, however few are in flight. The first
// throttling answer sets the rate to 90% of the successes of the last second (what the server took),
// each later decrease to 85% of it; each success then raises it by rateGain, about 2% a second, so that
// the rate probes up slowly towards what the server takes. Calls start at least 1/rate apart, and no
// credit builds up while none is waiting. Before the first throttling nothing is paced, and a run the
// server never throttles goes as fast as its limit allows.
//
// Until pacing starts, a throttling answer also pauses every caller for a while, so that the server's
// rate budget refills instead of being spent on calls bound to fail; once pacing, the spacing does that.
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

	rate      float64     // call starts per second; 0 until pacing starts
	nextStart time.Time   // the earliest start of the next paced call
	recent    []time.Time // the successes of the last rateWindow, oldest first, until pacing starts
	throttled int         // throttling answers in all

	now   func() time.Time                                 // the clock; tests stop it
	sleep func(ctx context.Context, d time.Duration) error // the wait; tests record it
}

const (
	minLimit      = 1
	decreaseGap   = 100 * time.Millisecond
	pauseBase     = 50 * time.Millisecond
	pauseCap      = time.Second
	startingLimit = 8

	// rateWindow is the span over which the successes before the first throttling are counted.
	rateWindow = time.Second
	// minPaceEvidence is how many successes the last rateWindow must hold for a throttling answer to
	// start pacing: fewer say nothing about the server's rate (a throttling of the first calls, by a
	// server that other clients of the account keep busy), and are met by the pause alone.
	minPaceEvidence = 20
	// firstRateShare and rateDecrease are the first rate, as a share of the successes of the last
	// rateWindow, and the factor of each later decrease.
	firstRateShare = 0.9
	rateDecrease   = 0.85
	// rateGain is what each success adds to the rate: rate successes a second add rate x rateGain a
	// second, 2%.
	rateGain = 0.02
	// minRate is the slowest pace: a call a second.
	minRate = 1.0
)

func newLimiter(start, max int) *limiter {
	start = min(start, max)
	return &limiter{limit: float64(start), ssthresh: float64(max), max: float64(max), wake: make(chan struct{}),
		now: time.Now, sleep: sleep.For}
}

// acquire waits for a free slot, the end of any pause and, when pacing, the call's start; or for ctx to
// end.
func (l *limiter) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if wait := l.pauseUntil.Sub(l.now()); wait > 0 {
			l.mu.Unlock()
			if err := l.sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		if l.inflight < int(l.limit) {
			l.inflight++
			l.peak = max(l.peak, l.inflight)
			wait := l.reserve()
			l.mu.Unlock()
			if wait > 0 {
				if err := l.sleep(ctx, wait); err != nil {
					l.release(skipped)
					return err
				}
			}
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

// reserve returns how long a call that got its slot waits for its start: when pacing, the start is the
// later of now and the previous start plus 1/rate. l.mu is held.
func (l *limiter) reserve() time.Duration {
	if l.rate == 0 {
		return 0
	}
	now := l.now()
	start := now
	if l.nextStart.After(start) {
		start = l.nextStart
	}
	l.nextStart = start.Add(time.Duration(float64(time.Second) / l.rate))
	return start.Sub(now)
}

// outcome is how a call went, as far as the limiter cares.
type outcome int

const (
	succeeded outcome = iota // the server answered (also with a permanent error)
	throttled                // Throttling*, 429 or 503: the server asks us to slow down
	failed                   // another transient failure: no signal about load
	skipped                  // the slot was given back unused
)

// release frees a slot and adapts the limit and the rate to the outcome.
func (l *limiter) release(o outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	now := l.now()
	switch o {
	case succeeded:
		l.streak = 0
		if l.limit < l.ssthresh {
			l.limit++
		} else {
			l.limit += 1 / l.limit
		}
		l.limit = min(l.limit, l.max)
		if l.rate > 0 {
			l.rate += rateGain
		} else {
			l.recent = append(trimBefore(l.recent, now.Add(-rateWindow)), now)
		}
	case throttled:
		l.streak++
		l.throttled++
		if now.Sub(l.lastDecrease) >= decreaseGap {
			l.limit = max(minLimit, l.limit/2)
			l.ssthresh = l.limit
			l.lastDecrease = now
			l.decreases++
			l.slowDown(now)
		}
		if l.rate > 0 {
			break
		}
		d := jitter(min(pauseCap, pauseBase<<min(l.streak-1, 10)))
		if until := now.Add(d); until.After(l.pauseUntil) {
			l.pauseUntil = until
		}
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// slowDown lowers the rate after a throttling answer: pacing starts at firstRateShare of the successes
// of the last rateWindow, when they are evidence enough; a rate already set is cut by rateDecrease.
func (l *limiter) slowDown(now time.Time) {
	if l.rate > 0 {
		l.rate = max(minRate, l.rate*rateDecrease)
		return
	}
	l.recent = trimBefore(l.recent, now.Add(-rateWindow))
	if len(l.recent) < minPaceEvidence {
		return
	}
	l.rate = max(minRate, float64(len(l.recent))*firstRateShare)
	l.recent = nil
	l.nextStart = now.Add(time.Duration(float64(time.Second) / l.rate))
}

// trimBefore drops the times before t from ts, oldest first; it reuses the array while most of it is
// in use.
func trimBefore(ts []time.Time, t time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(t) {
		i++
	}
	if i > len(ts)/2 && i > 64 {
		return append(make([]time.Time, 0, 2*(len(ts)-i)+1), ts[i:]...)
	}
	return ts[i:]
}

// limiterStats are what a run's limiter did, for its log line and the benchmarks.
type limiterStats struct {
	limit, peak, decreases, throttled int
	rate                              float64
}

// stats returns the current limit, the peak number of calls in flight, how many times the limit was
// halved, how many throttling answers came, and the rate (0 when never paced).
func (l *limiter) stats() limiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return limiterStats{limit: int(l.limit), peak: l.peak, decreases: l.decreases, throttled: l.throttled, rate: l.rate}
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

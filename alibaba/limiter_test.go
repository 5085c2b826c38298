package alibaba

import (
	"context"
	"math"
	"testing"
	"time"
)

// testLimiter is a limiter on a stopped clock: its waits are recorded and move the clock on.
type testLimiter struct {
	*limiter
	clock time.Time
	waits []time.Duration
}

func newTestLimiter(start, max int) *testLimiter {
	tl := &testLimiter{limiter: newLimiter(start, max), clock: now}
	tl.now = func() time.Time { return tl.clock }
	tl.sleep = func(_ context.Context, d time.Duration) error {
		tl.waits = append(tl.waits, d)
		tl.clock = tl.clock.Add(d)
		return nil
	}
	return tl
}

// call makes one call that takes d and ends with o.
func (tl *testLimiter) call(t *testing.T, d time.Duration, o outcome) {
	t.Helper()
	if err := tl.acquire(context.Background()); err != nil {
		t.Fatalf("acquire() = %v", err)
	}
	tl.clock = tl.clock.Add(d)
	tl.release(o)
}

func TestLimiterDoesNotPaceUnthrottled(t *testing.T) {
	tl := newTestLimiter(8, 32)
	for range 1000 {
		tl.call(t, time.Millisecond, succeeded)
	}
	if len(tl.waits) != 0 || tl.stats().rate != 0 {
		t.Errorf("after 1,000 successes: waits %v, rate %v; want none and 0", tl.waits, tl.stats().rate)
	}
	if got := tl.stats().limit; got != 32 {
		t.Errorf("limit = %d, want 32 (the maximum)", got)
	}
}

func TestLimiterPacesAfterThrottling(t *testing.T) {
	tl := newTestLimiter(8, 32)
	// 200 successes within 200 ms, then the server throttles: it took 200 calls in the last second.
	for range 200 {
		tl.call(t, time.Millisecond, succeeded)
	}
	tl.call(t, time.Millisecond, throttled)
	st := tl.stats()
	if want := 200 * firstRateShare; st.rate != want {
		t.Fatalf("rate after the first throttling = %v, want %v (90%% of the last second's 200 successes)", st.rate, want)
	}
	if st.throttled != 1 || st.decreases != 1 {
		t.Errorf("stats = %+v, want 1 throttling answer, 1 decrease", st)
	}
	// The next calls start 1/rate apart, whatever their duration, and with no pause besides.
	tl.waits = nil
	start := tl.clock
	for range 10 {
		tl.call(t, 0, succeeded)
	}
	rate := 200 * firstRateShare
	interval := time.Duration(float64(time.Second) / rate)
	if got, want := tl.clock.Sub(start), 10*interval; math.Abs(float64(got-want)) > float64(10*time.Millisecond) {
		t.Errorf("10 paced calls took %v, want about %v (1/rate apart)", got, want)
	}
	// Each success raised the rate by rateGain.
	if got, want := tl.stats().rate, 200*firstRateShare+10*rateGain; math.Abs(got-want) > 1e-9 {
		t.Errorf("rate after 10 successes = %v, want %v", got, want)
	}
	// A later throttling cuts the rate by rateDecrease; one within decreaseGap of it does not.
	tl.clock = tl.clock.Add(decreaseGap)
	before := tl.stats().rate
	tl.call(t, 0, throttled)
	tl.call(t, 0, throttled)
	if got, want := tl.stats().rate, before*rateDecrease; math.Abs(got-want) > 1e-9 {
		t.Errorf("rate after two throttling answers within %v = %v, want %v (one decrease)", decreaseGap, got, want)
	}
}

func TestLimiterGivesNoCreditWhileIdle(t *testing.T) {
	tl := newTestLimiter(8, 32)
	for range 100 {
		tl.call(t, time.Millisecond, succeeded)
	}
	tl.call(t, time.Millisecond, throttled)
	tl.clock = tl.clock.Add(time.Minute) // nothing to do for a minute
	tl.waits = nil
	for range 3 {
		tl.call(t, 0, succeeded)
	}
	interval := time.Duration(float64(time.Second) / tl.stats().rate)
	if len(tl.waits) != 2 || tl.waits[0] < interval*9/10 || tl.waits[1] < interval*9/10 {
		t.Errorf("waits of 3 calls after a minute idle = %v, want the 2 later ones about %v each (no burst)", tl.waits, interval)
	}
}

func TestLimiterPausesOnEarlyThrottling(t *testing.T) {
	// A throttling answer to the first calls says nothing about the server's rate: no pacing, a pause.
	tl := newTestLimiter(8, 32)
	for range minPaceEvidence - 1 {
		tl.call(t, time.Millisecond, succeeded)
	}
	tl.call(t, time.Millisecond, throttled)
	if got := tl.stats().rate; got != 0 {
		t.Errorf("rate = %v, want 0 (not paced)", got)
	}
	tl.waits = nil
	tl.call(t, 0, succeeded)
	if len(tl.waits) != 1 || tl.waits[0] < pauseBase/2 || tl.waits[0] >= pauseBase {
		t.Errorf("waits after an early throttling = %v, want one pause in [%v, %v)", tl.waits, pauseBase/2, pauseBase)
	}
	if got, want := tl.stats().limit, (8+minPaceEvidence-1)/2; got != want {
		t.Errorf("limit = %d, want %d (halved from %d)", got, want, 8+minPaceEvidence-1)
	}
}

func TestLimiterCountsOnlyTheLastSecond(t *testing.T) {
	tl := newTestLimiter(8, 32)
	for range 300 {
		tl.call(t, 10*time.Millisecond, succeeded) // 3 s at 100 calls a second
	}
	tl.call(t, 0, throttled)
	if got, want := tl.stats().rate, 100*firstRateShare; math.Abs(got-want) > 1 {
		t.Errorf("rate = %v, want about %v (90%% of the last second's 100 successes)", got, want)
	}
}

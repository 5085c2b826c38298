package handler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// Trail looks up the ActionTrail events of deletions (alibaba.Trail).
type Trail interface {
	Lookup(ctx context.Context, account string, creds *alibaba.Credentials, q alibaba.EventQuery) (*alibaba.Events, error)
}

// The margins of the look-ups.
const (
	// windowLead is how far before the window's start the look-up of a run's window begins: a key
	// recycled just after prev may have been deleted up to alert.MatchWindow before it, by ActionTrail's
	// clock.
	windowLead = 15 * time.Minute
	// notYet is how old a RecycleDate must be for ActionTrail to show its deletion: about 10 minutes,
	// and a margin.
	notYet = 15 * time.Minute
	// retentionGuard keeps the look-ups inside ActionTrail's 90 days whatever the clocks say; an alert
	// is looked up when its deletion, up to alert.MatchWindow before its RecycleDate, is inside them.
	retentionGuard = 10 * time.Minute
	// lookupBudget is the most a run's look-ups may take, from its start: who deleted a key is worth a
	// minute's wait before the alerts go out, not more (120 pages of 50 events at 2 calls a second).
	lookupBudget = time.Minute
)

// deleters finds who deleted the keys and the users a run reports, in ActionTrail. lookUpDeleters starts
// the look-ups of the run's window when the run starts, one per event name (DeleteAccessKey,
// DeleteUser), so that they go on while the bins are read: every key and user a crossing run reports as
// recycled was deleted in it. attach then looks up the spans of the older
// recycle dates a digest lists, waits for every look-up, and puts each deleter on its alert. A nil
// *deleters looks up nothing.
type deleters struct {
	h       *Handler
	ctx     context.Context
	cancel  context.CancelFunc
	account string
	creds   *alibaba.Credentials
	clock   time.Time // when the look-ups started: what ActionTrail may hold is older
	since   time.Time // alerts recycled after it are looked up: ActionTrail still holds their deletion
	names   []string  // the event names looked up

	mu    sync.Mutex
	spans []*span
}

// span is one look-up: the events of one name in one span of time.
type span struct {
	q      alibaba.EventQuery
	done   chan struct{}
	events *alibaba.Events
	err    error
}

// lookUpDeleters starts the look-ups of a run's window (prev - 15 min, now], with the invocation's
// credentials in its account, unless the run says nobody looks: LOOKUP_DELETER=false, no Trail, or a
// crossing run without recycled or userRecycled alerts (ALERT_ON_RECYCLE=false). The look-ups end when the bins' reading
// must end, leaving the reserve for delivery, and at the latest lookupBudget after they started.
func (h *Handler) lookUpDeleters(ctx context.Context, creds *alibaba.Credentials, account string, s Settings, times schedule.Times) *deleters {
	if h.Trail == nil || !s.LookupDeleter || (s.Mode == alert.ModeCrossing && !s.AlertOnRecycle) {
		return nil
	}
	d := &deleters{h: h, account: account, creds: creds, clock: h.now(), names: []string{alert.EventDeleteAccessKey, alert.EventDeleteUser}}
	rctx, rcancel := readContext(ctx)
	lctx, lcancel := context.WithTimeout(rctx, lookupBudget)
	d.ctx, d.cancel = lctx, func() { lcancel(); rcancel() }
	d.since = d.clock.Add(-alibaba.EventRetention + retentionGuard + alert.MatchWindow)
	from := maxTime(times.Prev.Add(-windowLead), d.earliest())
	to := minTime(d.clock, times.Now.Add(alert.MatchWindow))
	for _, name := range d.names {
		d.lookUp(name, from, to)
	}
	return d
}

// earliest is the earliest time a look-up may start from.
func (d *deleters) earliest() time.Time {
	return d.clock.Add(-alibaba.EventRetention + retentionGuard)
}

// lookUp starts the look-ups of the events named name from from to to, in spans of at most
// alibaba.MaxEventSpan, each in its own goroutine.
func (d *deleters) lookUp(name string, from, to time.Time) {
	from, to = alibaba.WholeSeconds(from, to)
	for start := from; start.Before(to); start = start.Add(alibaba.MaxEventSpan) {
		sp := &span{q: alibaba.EventQuery{Name: name, Start: start, End: minTime(to, start.Add(alibaba.MaxEventSpan))}, done: make(chan struct{})}
		d.mu.Lock()
		d.spans = append(d.spans, sp)
		d.mu.Unlock()
		d.h.spawn(d.ctx, func() {
			defer close(sp.done)
			sp.err = fmt.Errorf("looking up %s panicked", name)
			sp.events, sp.err = d.h.Trail.Lookup(d.ctx, d.account, d.creds, sp.q)
		})
	}
}

// attach puts on each alert that is to say who deleted what it reports (alert.DeleterEvent) its
// deleter, or why there is none when ActionTrail was searched (not yet there, not found); an alert whose
// look-up failed gets neither. It first looks up the spans of the recycle dates the window's look-up
// did not cover (a digest's older keys), and waits for every look-up. It returns the run's warnings
// about the look-ups, which it logs: denied (naming actiontrail:LookupEvents), failed, events skipped.
// When no alert is to say who deleted what it reports, it waits for nothing: it ends the look-ups,
// whose answers nobody reads, and has no warning.
func (d *deleters) attach(alerts []alert.Alert) []string {
	if d == nil {
		return nil
	}
	var want []int // the alerts to explain
	for i, a := range alerts {
		if alert.DeleterEvent(a, d.since) != "" {
			want = append(want, i)
		}
	}
	if len(want) == 0 {
		d.cancel()
		return nil
	}
	d.lookUpUncovered(alerts, want)
	d.wait()

	var events []alert.DeletionEvent
	var denied, failed []*span
	var invalid int
	var invalidReason string
	calls := 0
	for _, sp := range d.spans {
		if sp.err != nil {
			if le := (*alibaba.LookupError)(nil); errors.As(sp.err, &le) && le.Denied {
				denied = append(denied, sp)
			} else {
				failed = append(failed, sp)
			}
			continue
		}
		events = append(events, sp.events.Events...)
		calls += sp.events.Calls
		if sp.events.Invalid > 0 {
			invalid += sp.events.Invalid
			invalidReason = cmp.Or(invalidReason, sp.events.InvalidReason)
		}
	}
	explain := make([]alert.Alert, len(want))
	for j, i := range want {
		explain[j] = alerts[i]
	}
	found, notFound := 0, 0
	for j, by := range alert.MatchDeleters(explain, events) {
		a := &alerts[want[j]]
		switch {
		case by != nil:
			a.DeletedBy = by
			found++
		case d.covered(*a, alert.DeleterEvent(*a, d.since)):
			a.DeleterMissing = alert.DeleterNotFound
			if d.clock.Sub(a.RecycleDate) < notYet {
				a.DeleterMissing = alert.DeleterNotYet
			}
			notFound++
		}
	}
	ctx := d.ctx
	d.h.Logger.DebugContext(ctx, "deleters looked up", "lookups", len(d.spans), "calls", calls, "events", len(events),
		"alerts", len(want), "found", found, "notFound", notFound, "failed", len(denied)+len(failed))
	warnings := lookupWarnings(denied, failed, invalid, invalidReason)
	for _, w := range warnings {
		d.h.Logger.WarnContext(ctx, w)
	}
	return warnings
}

// lookUpUncovered starts the look-ups of the recycle dates of the alerts want (indexes into alerts)
// that no look-up covers: spans of at most alibaba.MaxEventSpan, each from the first date it holds.
func (d *deleters) lookUpUncovered(alerts []alert.Alert, want []int) {
	for _, name := range d.names {
		var dates []time.Time
		for _, i := range want {
			if a := alerts[i]; alert.DeleterEvent(a, d.since) == name && !d.spanned(a, name) {
				dates = append(dates, a.RecycleDate)
			}
		}
		slices.SortFunc(dates, time.Time.Compare)
		// Whole seconds: a span rounded out is a second longer at each end.
		budget := alibaba.MaxEventSpan - 2*time.Second
		for i := 0; i < len(dates); {
			from := maxTime(dates[i].Add(-alert.MatchWindow), d.earliest())
			j := i
			for j < len(dates) && dates[j].Add(alert.MatchWindow).Sub(from) <= budget {
				j++
			}
			d.lookUp(name, from, minTime(d.clock, dates[j-1].Add(alert.MatchWindow)))
			i = j
		}
	}
}

// spanned reports whether a look-up of name, done or not, covers the deletion of what a reports.
func (d *deleters) spanned(a alert.Alert, name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, sp := range d.spans {
		if sp.q.Name == name && covers(sp.q, a.RecycleDate, d.clock) {
			return true
		}
	}
	return false
}

// covered reports whether a look-up of name that succeeded covers the deletion of what a reports.
func (d *deleters) covered(a alert.Alert, name string) bool {
	for _, sp := range d.spans {
		if sp.err == nil && sp.q.Name == name && covers(sp.q, a.RecycleDate, d.clock) {
			return true
		}
	}
	return false
}

// covers reports whether q's span holds every time within alert.MatchWindow of recycled that could
// be in ActionTrail at clock.
func covers(q alibaba.EventQuery, recycled, clock time.Time) bool {
	return !q.Start.After(recycled.Add(-alert.MatchWindow)) && !q.End.Before(minTime(clock, recycled.Add(alert.MatchWindow)))
}

// wait waits for every look-up.
func (d *deleters) wait() {
	d.mu.Lock()
	spans := slices.Clone(d.spans)
	d.mu.Unlock()
	for _, sp := range spans {
		<-sp.done
	}
}

// stop ends the look-ups and waits for them.
func (d *deleters) stop() {
	if d == nil {
		return
	}
	d.cancel()
	d.wait()
}

// lookupWarnings are the warnings of a run's look-ups: denied (one warning naming the action the role
// lacks), failed otherwise, events skipped.
func lookupWarnings(denied, failed []*span, invalid int, invalidReason string) []string {
	var w []string
	if len(denied) > 0 {
		var le *alibaba.LookupError
		errors.As(denied[0].err, &le)
		w = append(w, fmt.Sprintf("who deleted the recycled AccessKeys and RAM users is not shown: ActionTrail refused the look-up (%s): the function's role lacks actiontrail:LookupEvents (add it, see deploy/ram-policy.json, or set LOOKUP_DELETER=false)", le.Code))
	}
	if len(failed) > 0 {
		s := "who deleted the recycled AccessKeys and RAM users could not be looked up in ActionTrail: " + failed[0].err.Error()
		switch n := len(failed) - 1; {
		case n == 1:
			s += " (and 1 more look-up failed)"
		case n > 1:
			s += fmt.Sprintf(" (and %d more look-ups failed)", n)
		}
		w = append(w, s)
	}
	switch {
	case invalid == 1:
		w = append(w, "ActionTrail answered 1 deletion event with invalid values, which was skipped: "+invalidReason)
	case invalid > 1:
		w = append(w, fmt.Sprintf("ActionTrail answered %d deletion events with invalid values, which were skipped (the first: %s)", invalid, invalidReason))
	}
	return w
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

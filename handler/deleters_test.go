package handler

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// fakeTrail answers look-ups from a fixed list of events, or with a fixed error, and records them.
type fakeTrail struct {
	events []alert.DeletionEvent
	err    error
	// called, when set, is closed by the first look-up.
	called chan struct{}

	mu      sync.Mutex
	queries []alibaba.EventQuery
	creds   []*alibaba.Credentials
	account []string
}

func (f *fakeTrail) Lookup(_ context.Context, account string, creds *alibaba.Credentials, q alibaba.EventQuery) (*alibaba.Events, error) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.creds = append(f.creds, creds)
	f.account = append(f.account, account)
	if f.called != nil && len(f.queries) == 1 {
		close(f.called)
	}
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	out := &alibaba.Events{Events: []alert.DeletionEvent{}, Calls: 1}
	for _, e := range f.events {
		if e.Name == q.Name && !e.By.EventTime.Before(q.Start) && !e.By.EventTime.After(q.End) {
			out.Events = append(out.Events, e)
		}
	}
	return out, nil
}

// spans are the queries as "name from to", in UTC, in the order of their names and starts (they run
// concurrently).
func (f *fakeTrail) spans() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, q := range f.queries {
		out = append(out, q.Name+" "+q.Start.UTC().Format(time.RFC3339)+" "+q.End.UTC().Format(time.RFC3339))
	}
	slices.Sort(out)
	return out
}

// waitingReader is a fakeReader that reads only once the trail has been asked: the look-ups must start
// while the bins are read, not after.
type waitingReader struct {
	*fakeReader
	trail   *fakeTrail
	started bool
}

func (w *waitingReader) Read(ctx context.Context, creds *alibaba.Credentials, entries []string) (*alibaba.Scan, error) {
	select {
	case <-w.trail.called:
		w.started = true
	case <-time.After(10 * time.Second):
	}
	return w.fakeReader.Read(ctx, creds, entries)
}

func byConsole(name string, at time.Time, key string) alert.DeletionEvent {
	return alert.DeletionEvent{Name: alert.EventDeleteAccessKey, AccessKeyID: key, UserPrincipalName: "alice@corp.onaliyun.com",
		By: alert.Deleter{PrincipalType: "ram-user", PrincipalName: name, PrincipalID: "2073290024939206", SourceIP: "203.0.113.7",
			UserAgent: "ram.console.aliyun.com", EventType: "ApiCall", EventTime: at, EventID: "EV-" + key}}
}

func TestHandleDeletersCrossing(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	found, missing, fresh := cur.Add(-2*time.Hour), cur.Add(-5*time.Hour), clock.Add(-5*time.Minute)
	eve := &alert.RecycledUser{PrincipalName: "eve@corp.onaliyun.com", CreateDate: cur.Add(-400 * 24 * time.Hour),
		RecycleDate: cur.Add(-3 * time.Hour), DeleteDate: cur.Add(30*24*time.Hour - 3*time.Hour)}
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001", Keys: []alert.Key{
		key("LTAI5tRecycledFound00001", found, found.Add(30*24*time.Hour)),
		key("LTAI5tRecycledMissing001", missing, missing.Add(30*24*time.Hour)),
		key("LTAI5tRecycledFresh00001", fresh, fresh.Add(30*24*time.Hour)),
		key("LTAI5tExpiresIn3Days0001", cur.Add(-27*24*time.Hour), cur.Add(3*24*time.Hour+5*time.Hour)),
	}}, {UserName: "eve", UserID: "1005", Recycled: eve, Keys: []alert.Key{key("LTAI5tEveKey000000000001", eve.RecycleDate, eve.DeleteDate)}},
	}, UserBin: &alibaba.UserBin{Listed: true, Users: 1}}}
	deletion := byConsole("ops-admin", found.Add(20*time.Second), "LTAI5tRecycledFound00001")
	// The RAM console deletes a user by its principal name; the event of the deletion of its key (which
	// went with it) says nothing of the user's.
	eveDeletion := alert.DeletionEvent{Name: alert.EventDeleteUser, UserPrincipalName: "eve@corp.onaliyun.com",
		By: alert.Deleter{PrincipalType: "root-account", PrincipalName: "root", PrincipalID: "1234567890123456", SourceIP: "198.51.100.8",
			UserAgent: "ram.console.aliyun.com", EventType: "ApiCall", EventTime: eve.RecycleDate.Add(-5 * time.Second), EventID: "EV-EVE"}}
	trail := &fakeTrail{called: make(chan struct{}), events: []alert.DeletionEvent{
		deletion, eveDeletion,
		// the expiring key's deletion: it is not a recycled alert, and says nothing of it
		byConsole("someone", cur.Add(-27*24*time.Hour), "LTAI5tExpiresIn3Days0001"),
	}}
	wr := &waitingReader{fakeReader: r, trail: trail}
	s := testSettings(t, func(s *Settings) { s.LookupDeleter = true })
	creds := &alibaba.Credentials{AccessKeyID: "STS.role", AccessKeySecret: "s3cret", SecurityToken: "tok3n"}
	h, _ := newHandler(t, s, r)
	h.Reader, h.Trail = wr, trail
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1", AccountID: "1234567890123456", Credentials: creds}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if !wr.started {
		t.Errorf("the bins were read before ActionTrail was asked: the look-ups must start while they are read")
	}
	// The window (prev - 15 min, now], now being the clock, 30 s after cur, once per event name.
	wantSpans := []string{"DeleteAccessKey 2026-11-29T08:45:00Z 2026-11-30T09:00:30Z", "DeleteUser 2026-11-29T08:45:00Z 2026-11-30T09:00:30Z"}
	if diff := cmp.Diff(wantSpans, trail.spans()); diff != "" {
		t.Errorf("look-ups (-want +got):\n%s", diff)
	}
	if trail.creds[0] != creds || trail.account[0] != "1234567890123456" {
		t.Errorf("look-up with credentials %v in account %q, want the invocation's", trail.creds[0], trail.account[0])
	}
	got := map[string]alert.Alert{}
	for _, a := range res.Alerts {
		got[a.AccessKeyID] = a
	}
	if u := got[""]; u.Event != alert.UserRecycled || u.DeletedBy == nil || *u.DeletedBy != eveDeletion.By {
		t.Errorf("eve's %s alert: deletedBy = %+v, want %+v", u.Event, u.DeletedBy, eveDeletion.By)
	}
	if d := got["LTAI5tRecycledFound00001"].DeletedBy; d == nil || *d != deletion.By {
		t.Errorf("found key's deletedBy = %+v, want %+v", d, deletion.By)
	}
	for k, want := range map[string]alert.DeleterMissing{
		"LTAI5tRecycledFound00001": "", "LTAI5tRecycledMissing001": alert.DeleterNotFound,
		"LTAI5tRecycledFresh00001": alert.DeleterNotYet, "LTAI5tExpiresIn3Days0001": "",
	} {
		if a := got[k]; a.DeleterMissing != want {
			t.Errorf("%s: DeleterMissing = %q, want %q", k, a.DeleterMissing, want)
		}
	}
	if d := got["LTAI5tExpiresIn3Days0001"].DeletedBy; d != nil {
		t.Errorf("an expiring alert got deletedBy %+v, want none", d)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", res.Warnings)
	}

	// deletedBy is not part of an alert's ID: the same run without the look-ups gives the same IDs.
	h2, _ := newHandler(t, testSettings(t), r)
	res2, err := h2.Handle(context.Background(), Invocation{RequestID: "req-2", AccountID: "1234567890123456"}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if len(res2.Alerts) != len(res.Alerts) {
		t.Fatalf("without look-ups: %d alerts, want %d", len(res2.Alerts), len(res.Alerts))
	}
	for _, a := range res2.Alerts {
		if a.DeletedBy != nil || a.DeleterMissing != "" || got[a.AccessKeyID].ID != a.ID {
			t.Errorf("%s without look-ups: id %s, deletedBy %+v; want the id %s and no deleter", a.AccessKeyID, a.ID, a.DeletedBy, got[a.AccessKeyID].ID)
		}
	}
}

// blockedTrail is a trail whose look-ups end only with their context, and records how it ended.
type blockedTrail struct {
	mu   sync.Mutex
	ends []error
}

func (b *blockedTrail) Lookup(ctx context.Context, _ string, _ *alibaba.Credentials, _ alibaba.EventQuery) (*alibaba.Events, error) {
	<-ctx.Done()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ends = append(b.ends, context.Cause(ctx))
	return nil, ctx.Err()
}

// TestHandleDeletersNoneWanted: a crossing run whose alerts are all expiring keys, deleted long before
// its window, wants no deleter: it does not wait for the window's look-ups (which here never answer)
// but ends them, and has no warning about them.
func TestHandleDeletersNoneWanted(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001", Keys: []alert.Key{
		key("LTAI5tExpiresIn3Days0001", cur.Add(-27*24*time.Hour), cur.Add(3*24*time.Hour+5*time.Hour)),
	}}}}}
	trail := &blockedTrail{}
	h, _ := newHandler(t, testSettings(t, func(s *Settings) { s.LookupDeleter = true }), r, &fakeChannel{name: "slack-webhook"})
	h.Trail = trail
	// Without the fix the look-ups would end at the reading's deadline, well inside this one.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := h.Handle(ctx, Invocation{RequestID: "req-1"}, []byte(timerEvent))
	if err != nil || len(res.Alerts) != 1 || len(res.Warnings) != 0 {
		t.Fatalf("Handle() = %v, alerts %d, warnings %q; want one alert and no warning", err, len(res.Alerts), res.Warnings)
	}
	trail.mu.Lock()
	defer trail.mu.Unlock()
	if len(trail.ends) != 2 {
		t.Fatalf("%d look-ups ended, want the window's 2", len(trail.ends))
	}
	for _, e := range trail.ends {
		if e != context.Canceled {
			t.Errorf("a look-up ended with %v, want it cancelled once no alert wanted it", e)
		}
	}
}

func TestHandleDeletersOff(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001", Keys: []alert.Key{
		key("LTAI5tRecycledToday00001", cur.Add(-2*time.Hour), cur.Add(30*24*time.Hour)),
		key("LTAI5tRecycledLongAgo001", cur.Add(-200*24*time.Hour), cur.Add(2*24*time.Hour)),
	}}}}}
	tests := []struct {
		name      string
		edit      func(*Settings)
		noTrail   bool
		event     string
		wantSpans []string
	}{
		{name: "LOOKUP_DELETER=false", edit: func(s *Settings) { s.LookupDeleter = false }, event: timerEvent},
		{name: "no trail", noTrail: true, event: timerEvent},
		{name: "crossing without recycled alerts", edit: func(s *Settings) { s.AlertOnRecycle = false }, event: timerEvent},
		{name: "a replay older than ActionTrail's 90 days", event: `{"now":"2026-06-01T09:00:00Z"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trail := &fakeTrail{}
			s := testSettings(t, func(s *Settings) { s.LookupDeleter = true })
			if tc.edit != nil {
				tc.edit(&s)
			}
			h, _ := newHandler(t, s, r)
			if !tc.noTrail {
				h.Trail = trail
			}
			res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1"}, []byte(tc.event))
			if err != nil {
				t.Fatalf("Handle() = %v", err)
			}
			if got := trail.spans(); len(got) != 0 {
				t.Errorf("look-ups = %q, want none", got)
			}
			for _, a := range res.Alerts {
				if a.DeletedBy != nil || a.DeleterMissing != "" {
					t.Errorf("%s: deletedBy %+v, missing %q; want neither", a.AccessKeyID, a.DeletedBy, a.DeleterMissing)
				}
			}
		})
	}
}

func TestHandleDeletersFailures(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001", Keys: []alert.Key{
		key("LTAI5tRecycledToday00001", cur.Add(-2*time.Hour), cur.Add(30*24*time.Hour)),
	}}}}}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "denied", err: &alibaba.LookupError{Code: "NoPermission", Message: "LookupEvents: You are not authorized", Denied: true},
			want: "who deleted the recycled AccessKeys and RAM users is not shown: ActionTrail refused the look-up (NoPermission): the function's role lacks actiontrail:LookupEvents (add it, see deploy/ram-policy.json, or set LOOKUP_DELETER=false)"},
		{name: "throttled", err: &alibaba.LookupError{Code: "Throttling.User", Message: "LookupEvents: denied due to flow control (gave up after 6 attempts)", Transient: true},
			want: "who deleted the recycled AccessKeys and RAM users could not be looked up in ActionTrail: Throttling.User: LookupEvents: denied due to flow control (gave up after 6 attempts) (and 1 more look-up failed)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			slack := &fakeChannel{name: "slack-webhook"}
			h, logs := newHandler(t, testSettings(t, func(s *Settings) { s.LookupDeleter = true }), r, slack)
			h.Trail = &fakeTrail{err: tc.err}
			res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1"}, []byte(timerEvent))
			if err != nil {
				t.Fatalf("Handle() = %v, want success", err)
			}
			if diff := cmp.Diff([]string{tc.want}, res.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if a := res.Alerts[0]; a.DeletedBy != nil || a.DeleterMissing != "" {
				t.Errorf("alert after a failed look-up: deletedBy %+v, missing %q; want neither", a.DeletedBy, a.DeleterMissing)
			}
			if !strings.Contains(logs.String(), tc.want[:40]) {
				t.Errorf("the warning is not logged:\n%s", logs)
			}
			if len(slack.sent) != 1 {
				t.Errorf("sent %d messages, want 1", len(slack.sent))
			}
		})
	}
}

func TestHandleDeletersInvalidEvents(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001", Keys: []alert.Key{
		key("LTAI5tRecycledToday00001", cur.Add(-2*time.Hour), cur.Add(30*24*time.Hour)),
	}}}}}
	h, _ := newHandler(t, testSettings(t, func(s *Settings) { s.LookupDeleter = true }), r)
	h.Trail = trailFunc(func(q alibaba.EventQuery) (*alibaba.Events, error) {
		if q.Name == alert.EventDeleteUser {
			return &alibaba.Events{Events: []alert.DeletionEvent{}}, nil
		}
		return &alibaba.Events{Events: []alert.DeletionEvent{}, Invalid: 2, InvalidReason: `event X: eventTime "yesterday" is not an RFC 3339 date`}, nil
	})
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1"}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	want := []string{`ActionTrail answered 2 deletion events with invalid values, which were skipped (the first: event X: eventTime "yesterday" is not an RFC 3339 date)`}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// trailFunc is a Trail made of a function.
type trailFunc func(q alibaba.EventQuery) (*alibaba.Events, error)

func (f trailFunc) Lookup(_ context.Context, _ string, _ *alibaba.Credentials, q alibaba.EventQuery) (*alibaba.Events, error) {
	return f(q)
}

// TestHandleDeletersDigest: a digest looks up its window while the bins are read, then the spans of the
// older recycle dates it lists, at most 30 days each, within ActionTrail's 90 days.
func TestHandleDeletersDigest(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d time.Duration) time.Time { return cur.Add(-d) }
	keys := []alert.Key{
		key("LTAI5tInTheWindow000001", at(2*time.Hour), at(2*time.Hour).Add(30*day)),
		key("LTAI5tTwoDaysAgo0000001", at(2*day), at(2*day).Add(30*day)),
		key("LTAI5tTwentyDaysAgo00001", at(20*day), at(20*day).Add(30*day)),
		key("LTAI5tFortyDaysAgo000001", at(40*day), at(40*day).Add(60*day)),
		key("LTAI5tEightyDaysAgo00001", at(80*day), at(80*day).Add(90*day)),
		key("LTAI5tTooOld00000000001", at(95*day), at(95*day).Add(100*day)),
	}
	frank := &alert.RecycledUser{PrincipalName: "frank@corp.onaliyun.com", CreateDate: at(400 * day), RecycleDate: at(50 * day), DeleteDate: at(-10 * day)}
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001", Keys: keys},
		{UserName: "frank", UserID: "1006", Recycled: frank}}, UserBin: &alibaba.UserBin{Listed: true, Users: 1}}}
	var events []alert.DeletionEvent
	for _, k := range keys {
		events = append(events, byConsole("ops-admin", k.RecycleDate.Add(-time.Minute), k.AccessKeyID))
	}
	// The RAM API deletes a user by its name.
	events = append(events, alert.DeletionEvent{Name: alert.EventDeleteUser, UserName: "frank",
		By: alert.Deleter{PrincipalType: "ram-user", PrincipalName: "ops-admin", EventTime: frank.RecycleDate.Add(30 * time.Second), EventID: "EV-FRANK"}})
	trail := &fakeTrail{events: events}
	h, _ := newHandler(t, testSettings(t, func(s *Settings) { s.LookupDeleter = true; s.Mode = alert.ModeDigest }), r)
	h.Trail = trail
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1"}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	want := []string{
		"DeleteAccessKey 2026-09-11T08:55:00Z 2026-09-11T09:05:00Z", // 80 days ago: 40 days ago is too far for one span
		"DeleteAccessKey 2026-10-21T08:55:00Z 2026-11-10T09:05:00Z", // 40 and 20 days ago
		"DeleteAccessKey 2026-11-28T08:55:00Z 2026-11-28T09:05:00Z", // 2 days ago; 95 days ago is beyond ActionTrail's 90
		"DeleteAccessKey 2026-11-29T08:45:00Z 2026-11-30T09:00:30Z", // the window, while the bins are read
		"DeleteUser 2026-10-11T08:55:00Z 2026-10-11T09:05:00Z",      // frank, deleted 50 days ago
		"DeleteUser 2026-11-29T08:45:00Z 2026-11-30T09:00:30Z",      // the window
	}
	if diff := cmp.Diff(want, trail.spans()); diff != "" {
		t.Errorf("look-ups (-want +got):\n%s", diff)
	}
	for _, a := range res.Alerts {
		switch a.AccessKeyID {
		case "LTAI5tTooOld00000000001":
			if a.DeletedBy != nil || a.DeleterMissing != "" {
				t.Errorf("%s (recycled 95 days ago): deletedBy %+v, missing %q; want neither", a.AccessKeyID, a.DeletedBy, a.DeleterMissing)
			}
		case "":
			if a.Event != alert.UserDigest || a.DeletedBy == nil || a.DeletedBy.EventID != "EV-FRANK" {
				t.Errorf("frank's %s alert: deletedBy %+v, want his deletion", a.Event, a.DeletedBy)
			}
		default:
			if a.DeletedBy == nil || a.DeletedBy.EventID != "EV-"+a.AccessKeyID {
				t.Errorf("%s: deletedBy %+v, want its deletion", a.AccessKeyID, a.DeletedBy)
			}
		}
	}
}

// TestHandleDeletersLongWindow: a window longer than 30 days is looked up in spans of at most 30 days.
func TestHandleDeletersLongWindow(t *testing.T) {
	sched, err := schedule.Parse("0 0 9 1 * *") // monthly
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001"}}}}
	trail := &fakeTrail{}
	h, _ := newHandler(t, testSettings(t, func(s *Settings) { s.LookupDeleter = true; s.Schedule = sched }), r)
	h.Trail = trail
	if _, err := h.Handle(context.Background(), Invocation{RequestID: "req-1"}, []byte(`{"now":"2026-11-01T09:00:00Z"}`)); err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	want := []string{
		"DeleteAccessKey 2026-10-01T08:45:00Z 2026-10-31T08:45:00Z",
		"DeleteAccessKey 2026-10-31T08:45:00Z 2026-11-01T09:05:00Z",
		"DeleteUser 2026-10-01T08:45:00Z 2026-10-31T08:45:00Z",
		"DeleteUser 2026-10-31T08:45:00Z 2026-11-01T09:05:00Z",
	}
	if diff := cmp.Diff(want, trail.spans()); diff != "" {
		t.Errorf("look-ups (-want +got):\n%s", diff)
	}
}

// TestHandleDeletersBudget: the look-ups end when the bins' reading must end, and at the latest a
// minute after they started: who deleted a key does not hold the alerts back longer.
func TestHandleDeletersBudget(t *testing.T) {
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001"}}}}
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		want    func(start, deadline time.Time) time.Time
	}{
		{name: "a long invocation: a minute", timeout: 10 * time.Minute,
			want: func(start, _ time.Time) time.Time { return start.Add(lookupBudget) }},
		// The reading leaves the guard (1.5 s) and a third of the rest (9.5 s) for delivery.
		{name: "a short invocation: the reading's end", timeout: 30 * time.Second,
			want: func(_, deadline time.Time) time.Time { return deadline.Add(-11 * time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var got time.Time
			var ok bool
			h, _ := newHandler(t, testSettings(t, func(s *Settings) { s.LookupDeleter = true }), r)
			h.Trail = ctxTrail(func(ctx context.Context) {
				mu.Lock()
				defer mu.Unlock()
				got, ok = ctx.Deadline()
			})
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			deadline, _ := ctx.Deadline()
			start := time.Now()
			if _, err := h.Handle(ctx, Invocation{RequestID: "req-1"}, []byte(timerEvent)); err != nil {
				t.Fatalf("Handle() = %v", err)
			}
			if want := tc.want(start, deadline); !ok || got.After(want.Add(time.Second)) {
				t.Errorf("look-up deadline = %v (set: %v), want at most %v", got, ok, want)
			}
		})
	}
}

// ctxTrail is a Trail that shows each look-up's context to f and finds nothing.
type ctxTrail func(ctx context.Context)

func (f ctxTrail) Lookup(ctx context.Context, _ string, _ *alibaba.Credentials, _ alibaba.EventQuery) (*alibaba.Events, error) {
	f(ctx)
	return &alibaba.Events{Events: []alert.DeletionEvent{}}, nil
}

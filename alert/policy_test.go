package alert

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/akrecycle/ak-recycle-alert/schedule"
)

const (
	account     = "1234567890123456"
	accountName = "prod"
)

func date(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEvaluate(t *testing.T) {
	now := date(t, "2026-11-30T09:00:05Z")
	w := Window{From: date(t, "2026-11-29T09:00:00Z"), To: date(t, "2026-11-30T09:00:00Z")}
	next := date(t, "2026-12-01T09:00:00Z")
	created := date(t, "2025-01-11T09:12:00Z")
	key := func(id, recycled, deleted string) Key {
		return Key{AccessKeyID: id, CreateDate: created, RecycleDate: date(t, recycled), DeleteDate: date(t, deleted)}
	}
	bins := []Bin{
		{UserName: "bob", UserID: "2", Keys: []Key{
			key("LTAIbobNew", "2026-11-30T08:00:00Z", "2026-12-30T08:00:00Z"),    // first run
			key("LTAIbob3d", "2026-11-01T10:00:00Z", "2026-12-04T10:00:00Z"),     // 3d passes at 12-01T10:00: after next
			key("LTAIbobPast", "2026-10-30T08:00:00Z", "2026-11-30T08:59:59.5Z"), // past DeleteDate
			key("LTAIbobFuture", "2026-11-30T09:00:01Z", "2026-12-30T09:00:01Z"), // recycled after cur
		}},
		{UserName: "alice", UserID: "1", Keys: []Key{
			key("LTAIalice1d", "2026-11-01T09:00:00Z", "2026-12-02T08:00:00Z"),    // 1d at 12-01T08:00, in (cur, next]
			key("LTAIalice7and3", "2026-11-01T09:00:00Z", "2026-12-04T08:00:00Z"), // 3d at 12-01T08:00; 7d long ago
			key("LTAIaliceOnCur", "2026-11-30T09:00:00Z", "2026-12-30T09:00:00Z"), // recycled exactly at cur
		}},
		{UserName: "carol", UserID: "3", Keys: []Key{
			key("LTAIcarol7d", "2026-11-07T09:00:00Z", "2026-12-08T09:00:00Z"),     // 7d exactly at next
			key("LTAIcarolOnPrev", "2026-11-29T09:00:00Z", "2026-12-29T09:00:00Z"), // previous run's
		}},
	}
	thresholds := []time.Duration{day, 3 * day, 7 * day}
	alertOf := func(b Bin, k Key, ev Event, th *int, remaining int64) Alert {
		return Alert{ID: alertID(account, ev, k.AccessKeyID, k.DeleteDate, th, w), Event: ev, AccountID: account, AccountName: accountName,
			UserName: b.UserName, UserID: b.UserID, AccessKeyID: k.AccessKeyID, CreateDate: k.CreateDate, RecycleDate: k.RecycleDate,
			DeleteDate: k.DeleteDate, ThresholdHours: th, RemainingSeconds: remaining, BinFull: len(b.Keys) >= binCapacity}
	}
	bob, alice, carol := bins[0], bins[1], bins[2]
	tests := []struct {
		name string
		p    Policy
		want []Alert
	}{
		{
			name: "crossing",
			p:    Policy{Mode: ModeCrossing, Thresholds: thresholds, AlertOnRecycle: true, AccountID: account, AccountName: accountName},
			want: []Alert{
				alertOf(alice, alice.Keys[0], Expiring, intPtr(24), 86400*2-3600-5),
				alertOf(alice, alice.Keys[1], Expiring, intPtr(72), 86400*4-3600-5),
				alertOf(carol, carol.Keys[0], Expiring, intPtr(168), 86400*8-5),
				alertOf(alice, alice.Keys[2], Recycled, nil, 86400*30-5),
				alertOf(bob, bob.Keys[0], Recycled, nil, 86400*30-3600-5),
			},
		},
		{
			name: "crossing without recycle alerts",
			p:    Policy{Mode: "", Thresholds: thresholds, AlertOnRecycle: false, AccountID: account, AccountName: accountName},
			want: []Alert{
				alertOf(alice, alice.Keys[0], Expiring, intPtr(24), 86400*2-3600-5),
				alertOf(alice, alice.Keys[1], Expiring, intPtr(72), 86400*4-3600-5),
				alertOf(carol, carol.Keys[0], Expiring, intPtr(168), 86400*8-5),
			},
		},
		{
			name: "crossing with 0 and 36h",
			p:    Policy{Mode: ModeCrossing, Thresholds: []time.Duration{36 * time.Hour, 0}, AlertOnRecycle: false, AccountID: account, AccountName: accountName},
			want: []Alert{
				alertOf(alice, alice.Keys[0], Expiring, intPtr(36), 86400*2-3600-5), // 36h at 11-30T20:00
			},
		},
		{
			name: "digest",
			p:    Policy{Mode: ModeDigest, Thresholds: thresholds, AlertOnRecycle: true, AccountID: account, AccountName: accountName},
			want: []Alert{
				alertOf(bob, bob.Keys[2], Digest, nil, -6), // 5.5 s past: rounded down
				alertOf(alice, alice.Keys[0], Digest, nil, 86400*2-3600-5),
				alertOf(bob, bob.Keys[1], Digest, nil, 86400*4+3600-5),
				alertOf(alice, alice.Keys[1], Digest, nil, 86400*4-3600-5),
				alertOf(carol, carol.Keys[0], Digest, nil, 86400*8-5),
				alertOf(carol, carol.Keys[1], Digest, nil, 86400*29-5),
				alertOf(alice, alice.Keys[2], Digest, nil, 86400*30-5),
				alertOf(bob, bob.Keys[0], Digest, nil, 86400*30-3600-5),
				alertOf(bob, bob.Keys[3], Digest, nil, 86400*30-4),
			},
		},
	}
	// Digest lists the recycled-after-cur key too: sort expectations most urgent first, as Evaluate does.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(bins, now, w, next, tt.p)
			want := slices.Clone(tt.want)
			slices.SortStableFunc(want, func(a, b Alert) int { return a.DeleteDate.Compare(b.DeleteDate) })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Evaluate(%s) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestEvaluateEmpty(t *testing.T) {
	got := Evaluate(nil, time.Now(), Window{}, time.Now(), Policy{Mode: ModeDigest})
	if got == nil || len(got) != 0 {
		t.Errorf("Evaluate(no bins) = %#v, want an empty, non-nil slice", got)
	}
}

func TestEvaluateSortTies(t *testing.T) {
	del := date(t, "2026-12-10T00:00:00Z")
	k := func(id string) Key {
		return Key{AccessKeyID: id, RecycleDate: date(t, "2026-11-10T00:00:00Z"), DeleteDate: del}
	}
	bins := []Bin{
		{UserName: "zed", UserID: "9", Keys: []Key{k("LTAIa")}},
		{UserName: "amy", UserID: "8", Keys: []Key{k("LTAIz"), k("LTAIb"), k("LTAIc")}},
		{UserName: "amy", UserID: "7", Keys: []Key{k("LTAIy")}},
	}
	got := Evaluate(bins, del, Window{}, del, Policy{Mode: ModeDigest})
	var order []string
	for _, a := range got {
		order = append(order, fmt.Sprintf("%s/%s/%v", a.UserName, a.AccessKeyID, a.BinFull))
	}
	want := []string{"amy/LTAIb/true", "amy/LTAIc/true", "amy/LTAIy/false", "amy/LTAIz/true", "zed/LTAIa/false"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("Evaluate order (-want +got):\n%s", diff)
	}
}

// A fixture key belongs to one of these users.
var users = []struct{ name, id string }{{"alice", "207329002493921"}, {"bob", "207329002493922"}, {"carol", "207329002493923"}}

type fixture struct {
	user int
	key  Key
}

// deletedUser is a RAM user of the simulation that is deleted at user.RecycleDate: until then it is
// live, and those of its keys recycled before then are in its live bin; from then on it is in the user
// recycle bin with every key it had (the others recycled at user.RecycleDate), until it is purged.
type deletedUser struct {
	name, id string
	user     RecycledUser
	keys     []Key
}

// world is what the simulated account's bins hold over time.
type world struct {
	keys    []fixture
	deleted []deletedUser
}

// visible reports whether key k is listed in its bin at read: recycled by then and not yet emptied from
// the bin (up to an hour after DeleteDate).
func visible(k Key, read time.Time) bool {
	return !k.RecycleDate.After(read) && read.Before(k.DeleteDate.Add(time.Hour))
}

// binsAt returns the bins as the reader shows them at read: the live users' AccessKey bins, and the
// deleted users until they are emptied from the user bin, each with its keys in the AccessKey bin.
func binsAt(w world, read time.Time) []Bin {
	bins := make([]Bin, len(users))
	for i, u := range users {
		bins[i] = Bin{UserName: u.name, UserID: u.id}
	}
	for _, f := range w.keys {
		if visible(f.key, read) {
			bins[f.user].Keys = append(bins[f.user].Keys, f.key)
		}
	}
	for _, d := range w.deleted {
		var keys []Key
		for _, k := range d.keys {
			if visible(k, read) {
				keys = append(keys, k)
			}
		}
		switch {
		case read.Before(d.user.RecycleDate):
			bins = append(bins, Bin{UserName: d.name, UserID: d.id, Keys: keys})
		case read.Before(d.user.DeleteDate.Add(time.Hour)):
			u := d.user
			bins = append(bins, Bin{UserName: d.name, UserID: d.id, Keys: keys, Recycled: &u})
		}
	}
	return bins
}

// run is one invocation of the simulated function.
type run struct {
	trigger time.Time
	times   schedule.Times
	alerts  []Alert
	msgID   string
}

// latency is how long after its triggerTime an invocation reads the recycle bins.
const latency = 2 * time.Second

func invoke(s *schedule.Schedule, trigger time.Time, wd world, p Policy) run {
	times := schedule.Resolve(s, trigger, true)
	w := Window{From: times.Prev, To: times.Cur}
	alerts := Evaluate(binsAt(wd, trigger.Add(latency)), times.Now, w, times.Next, p)
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	return run{trigger: trigger, times: times, alerts: alerts, msgID: MessageID(p.AccountID, p.Mode, w, nil, ids, "")}
}

// delivery is an alert as the oracle predicts it: which key (or user: "user:" and its ID), why, and in
// the run of which fire time.
type delivery struct {
	fire  time.Time
	key   string
	event Event
	hours int // -1 for none
}

func (d delivery) String() string {
	return fmt.Sprintf("%s %s %s %dh", d.fire.Format(time.RFC3339), d.key, d.event, d.hours)
}

// subject is what an alert is about: its AccessKey ID, or "user:" and the user ID.
func subject(a Alert) string {
	if a.Event.ForUser() {
		return "user:" + a.UserID
	}
	return a.AccessKeyID
}

func deliveryOf(cur time.Time, a Alert) delivery {
	h := -1
	if a.ThresholdHours != nil {
		h = *a.ThresholdHours
	}
	return delivery{fire: cur, key: subject(a), event: a.Event, hours: h}
}

// oracle predicts the crossing-mode alerts of the runs at fires[1:len-1] (fires[0] is the fire time before
// the first run, the last one the fire time after the last run), threshold by threshold: a key's first
// run is the one whose window holds its RecycleDate; each threshold t is passed in the run whose
// (cur, next] holds DeleteDate - t, and a run reports the smallest threshold passed in it; thresholds
// passed before the first run's next are covered by the first run's alert. A deleted user's keys are
// alerted so only in the runs that read the bins while the user was live; the user is alerted by the
// same rules, its first run the one whose window holds its RecycleDate, each threshold counted to each
// of its losses (its keys' DeleteDates and its own) in the runs that see that loss as its first: the
// earliest still ahead of the run's fire time among those listed when the run reads the bins, at
// read(r) for the run at fires[r].
func oracle(fires []time.Time, w world, p Policy, read func(r int) time.Time) map[delivery]bool {
	want := map[delivery]bool{}
	for _, f := range w.keys {
		keyDeliveries(fires, f.key, p, nil, want)
	}
	for _, d := range w.deleted {
		live := func(r int) bool { return read(r).Before(d.user.RecycleDate) }
		for _, k := range d.keys {
			keyDeliveries(fires, k, p, live, want)
		}
		userDeliveries(fires, d, p, read, want)
	}
	return want
}

// onTime is the read time of runs triggered at their fire times.
func onTime(fires []time.Time) func(r int) time.Time {
	return func(r int) time.Time { return fires[r].Add(latency) }
}

// runOf returns the index r of fires with fires[r] < at <= fires[r+1]; -1 when at is at or before
// fires[0], len(fires) when it is after the last.
func runOf(fires []time.Time, at time.Time) int {
	if !at.After(fires[0]) {
		return -1
	}
	for r := 0; r+1 < len(fires); r++ {
		if !fires[r+1].Before(at) {
			return r
		}
	}
	return len(fires)
}

// keyDeliveries adds key k's alerts to want; with live set, only those of the runs that read the bins
// while the key's user was live (once the user is deleted, the user's alert covers the key). A key
// recycled before the first run passes its thresholds in the runs all the same.
func keyDeliveries(fires []time.Time, k Key, p Policy, live func(r int) bool, want map[delivery]bool) {
	thresholds := Normalize(p.Thresholds)
	last := len(fires) - 2
	if live == nil {
		live = func(int) bool { return true }
	}
	first := runOf(fires, k.RecycleDate) + 1 // fires[first-1] < RecycleDate <= fires[first]
	if first > last {
		return
	}
	if first >= 1 && live(first) {
		if p.AlertOnRecycle {
			want[delivery{fires[first], k.AccessKeyID, Recycled, -1}] = true
		} else {
			for _, t := range thresholds {
				if !k.DeleteDate.Add(-t).After(fires[first+1]) {
					want[delivery{fires[first], k.AccessKeyID, Expiring, int(t / time.Hour)}] = true
					break
				}
			}
		}
	}
	smallest := map[int]time.Duration{}
	for _, t := range slices.Backward(thresholds) {
		if r := runOf(fires, k.DeleteDate.Add(-t)); r > first && r >= 1 && r <= last && live(r) {
			smallest[r] = t
		}
	}
	for r, t := range smallest {
		want[delivery{fires[r], k.AccessKeyID, Expiring, int(t / time.Hour)}] = true
	}
}

// firstLoss is deleted user d's first loss as a run at fire time cur sees it when it reads the bins at
// read, and whether it sees the user at all.
func firstLoss(d deletedUser, cur, read time.Time) (time.Time, bool) {
	if read.Before(d.user.RecycleDate) || !read.Before(d.user.DeleteDate.Add(time.Hour)) {
		return time.Time{}, false
	}
	losses := []time.Time{d.user.DeleteDate}
	for _, k := range d.keys {
		if visible(k, read) {
			losses = append(losses, k.DeleteDate)
		}
	}
	slices.SortFunc(losses, time.Time.Compare)
	for _, l := range losses {
		if l.After(cur) {
			return l, true
		}
	}
	return losses[0], true
}

// userDeliveries adds deleted user d's alerts to want.
func userDeliveries(fires []time.Time, d deletedUser, p Policy, read func(r int) time.Time, want map[delivery]bool) {
	thresholds := Normalize(p.Thresholds)
	last := len(fires) - 2
	id := "user:" + d.id
	first := runOf(fires, d.user.RecycleDate) + 1
	if first > last {
		return
	}
	if first >= 1 {
		if p.AlertOnRecycle {
			want[delivery{fires[first], id, UserRecycled, -1}] = true
		} else if loss, ok := firstLoss(d, fires[first], read(first)); ok {
			for _, t := range thresholds {
				if !loss.Add(-t).After(fires[first+1]) {
					want[delivery{fires[first], id, UserExpiring, int(t / time.Hour)}] = true
					break
				}
			}
		}
	}
	losses := []time.Time{d.user.DeleteDate}
	for _, k := range d.keys {
		losses = append(losses, k.DeleteDate)
	}
	smallest := map[int]time.Duration{}
	for _, loss := range losses {
		for _, t := range thresholds {
			r := runOf(fires, loss.Add(-t))
			if r <= first || r < 1 || r > last {
				continue
			}
			if seen, ok := firstLoss(d, fires[r], read(r)); ok && seen.Equal(loss) {
				if prev, ok := smallest[r]; !ok || t < prev {
					smallest[r] = t
				}
			}
		}
	}
	for r, t := range smallest {
		want[delivery{fires[r], id, UserExpiring, int(t / time.Hour)}] = true
	}
}

// userLoss is the first loss of the deleted user with the given ID as a run at fire time cur that reads
// the bins at read sees it.
func userLoss(w world, id string, cur, read time.Time) time.Time {
	for _, d := range w.deleted {
		if d.id == id {
			loss, _ := firstLoss(d, cur, read)
			return loss
		}
	}
	return time.Time{}
}

// fireTimes returns the fire time before from, those in [from, to), and the one after.
func fireTimes(s *schedule.Schedule, from, to time.Time) []time.Time {
	out := []time.Time{s.Prev(from)}
	for f := s.Next(from.Add(-time.Nanosecond)); ; f = s.Next(f) {
		out = append(out, f)
		if !f.Before(to) {
			return out
		}
	}
}

// dailyKeys returns keys recycled on every day of the fire times fires[1:], at the fire time, a second
// either side, and odd times, kept for various retentions.
func dailyKeys(fires []time.Time) []fixture {
	offsets := []time.Duration{0, time.Second, -time.Second, 3*time.Hour + 17*time.Minute + 29*time.Second, 23*time.Hour + 59*time.Minute + 59*time.Second}
	retentions := []time.Duration{30 * day, 31 * day, 30*day + 5*time.Hour + 7*time.Second, 5 * day, 2*day + 11*time.Hour}
	var keys []fixture
	for i, f := range fires[1 : len(fires)-1] {
		for j, off := range offsets {
			for k, ret := range retentions {
				r := f.Add(off)
				keys = append(keys, fixture{user: (i + j + k) % len(users), key: Key{
					AccessKeyID: fmt.Sprintf("LTAI5t%03d%d%d", i, j, k),
					CreateDate:  r.Add(-400 * day),
					RecycleDate: r,
					DeleteDate:  r.Add(ret),
				}})
			}
		}
	}
	return keys
}

// dailyDeletedUsers returns users deleted on every day of the fire times fires[1:], at the fire time, a
// second before and odd times, kept in the user bin for various retentions, each with no key, a key
// deleted with it, and older keys recycled while it was live: one purged long after its deletion, one
// days after it, which is its first loss.
func dailyDeletedUsers(fires []time.Time) []deletedUser {
	offsets := []time.Duration{0, -time.Second, 3*time.Hour + 17*time.Minute + 29*time.Second, 23*time.Hour + 59*time.Minute + 59*time.Second}
	retentions := []time.Duration{30 * day, 31 * day, 5 * day, 30*day + 5*time.Hour + 7*time.Second}
	var out []deletedUser
	for i, f := range fires[1 : len(fires)-1] {
		for j, off := range offsets {
			for k, ret := range retentions {
				r := f.Add(off)
				out = append(out, newDeletedUser(fmt.Sprintf("%03d%d%d", i, j, k), r, ret, (i+j+k)%4))
			}
		}
	}
	return out
}

// newDeletedUser returns the user n of a simulation, deleted at r and kept in the user bin for ret, with
// the keys of variant v: none; one deleted with it; that one and a key recycled 10d 2h before it; a key
// recycled 26d 3h before it, purged 3d 21h after its deletion.
func newDeletedUser(n string, r time.Time, ret time.Duration, v int) deletedUser {
	d := deletedUser{name: "gone" + n, id: "30000" + n, user: RecycledUser{PrincipalName: "gone" + n + "@corp.onaliyun.com",
		CreateDate: r.Add(-500 * day), RecycleDate: r, DeleteDate: r.Add(ret)}}
	key := func(suffix string, recycled time.Time) Key {
		return Key{AccessKeyID: "LTAI5tGone" + n + suffix, CreateDate: r.Add(-400 * day), RecycleDate: recycled, DeleteDate: recycled.Add(30 * day)}
	}
	switch v {
	case 1:
		d.keys = []Key{key("a", r)}
	case 2:
		d.keys = []Key{key("a", r), key("b", r.Add(-10*day-2*time.Hour))}
	case 3:
		d.keys = []Key{key("c", r.Add(-26*day-3*time.Hour))}
	}
	return d
}

var policies = []struct {
	name string
	p    Policy
}{
	{"7,3,1 with recycle alerts", Policy{Mode: ModeCrossing, Thresholds: []time.Duration{day, 3 * day, 7 * day}, AlertOnRecycle: true, AccountID: account, AccountName: accountName}},
	{"7,3,1 without recycle alerts", Policy{Mode: ModeCrossing, Thresholds: []time.Duration{day, 3 * day, 7 * day}, AccountID: account, AccountName: accountName}},
	{"0,36h with recycle alerts", Policy{Mode: ModeCrossing, Thresholds: []time.Duration{0, 36 * time.Hour}, AlertOnRecycle: true, AccountID: account, AccountName: accountName}},
	{"0,36h,7 without recycle alerts", Policy{Mode: ModeCrossing, Thresholds: []time.Duration{0, 36 * time.Hour, 7 * day}, AccountID: account, AccountName: accountName}},
}

// checkRuns compares the runs' alerts with the oracle's, and checks the policy's promises: at most one
// alert per key (or user) and run, and every warning after a key's (or user's) first run leaves at least
// its threshold at cur before its first loss.
func checkRuns(t *testing.T, runs []run, want map[delivery]bool) {
	t.Helper()
	got := map[delivery]int{}
	for _, r := range runs {
		perKey := map[string]bool{}
		for _, a := range r.alerts {
			if perKey[subject(a)] {
				t.Errorf("run at %s alerts %s twice", r.trigger.Format(time.RFC3339), subject(a))
			}
			perKey[subject(a)] = true
			got[deliveryOf(r.times.Cur, a)]++
			if (a.Event == Expiring || a.Event == UserExpiring) && !a.RecycleDate.After(r.times.Prev) {
				if left := a.PurgeDate().Sub(r.times.Cur); left < time.Duration(*a.ThresholdHours)*time.Hour {
					t.Errorf("run at %s warns %s at %dh with only %s left", r.trigger.Format(time.RFC3339), subject(a), *a.ThresholdHours, left)
				}
			}
		}
	}
	for d := range want {
		if got[d] != 1 {
			t.Errorf("alert %s arrived %d times, want once", d, got[d])
		}
	}
	for d, n := range got {
		if !want[d] {
			t.Errorf("alert %s arrived %d times, want never", d, n)
		}
	}
}

// TestCrossingDaily simulates 40 days of daily runs, with keys recycled and users deleted every day, and
// checks that each alert (key or user) arrives exactly once, in the right run; that late triggers change nothing but remainingSeconds; and that a retried event gives
// identical alerts and the same message id.
func TestCrossingDaily(t *testing.T) {
	for _, spec := range []string{"0 0 9 * * *", "CRON_TZ=Asia/Shanghai 0 0 9 * * *"} {
		s, err := schedule.ParseAt(spec, date(t, "2026-11-01T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		fires := fireTimes(s, date(t, "2026-11-01T00:00:00Z"), date(t, "2026-12-11T00:00:00Z"))
		if len(fires) != 42 {
			t.Fatalf("%q: %d fire times, want 40 runs and 2 more", spec, len(fires))
		}
		keys := world{keys: dailyKeys(fires), deleted: dailyDeletedUsers(fires)}
		for _, pc := range policies {
			t.Run(spec+"/"+pc.name, func(t *testing.T) {
				want := oracle(fires, keys, pc.p, onTime(fires))
				users := 0
				for d := range want {
					if strings.HasPrefix(d.key, "user:") {
						users++
					}
				}
				if len(want)-users < 300 || users < 300 {
					t.Fatalf("oracle predicts only %d key and %d user alerts: the fixture is too thin", len(want)-users, users)
				}
				var onTime []run
				for _, f := range fires[1 : len(fires)-1] {
					onTime = append(onTime, invoke(s, f, keys, pc.p))
				}
				checkRuns(t, onTime, want)
				for _, late := range []time.Duration{3 * time.Second, 40 * time.Second} {
					for i, f := range fires[1 : len(fires)-1] {
						r := invoke(s, f.Add(late), keys, pc.p)
						if diff := cmp.Diff(onTime[i].alerts, r.alerts, cmpopts.IgnoreFields(Alert{}, "RemainingSeconds")); diff != "" {
							t.Errorf("run at %s, %s late (-on time +late):\n%s", f.Format(time.RFC3339), late, diff)
						}
						if r.msgID != onTime[i].msgID {
							t.Errorf("run at %s, %s late: message id %s, want %s", f.Format(time.RFC3339), late, r.msgID, onTime[i].msgID)
						}
					}
				}
				// A retry of one event: the same triggerTime, read hours later.
				r := onTime[20]
				retry := invoke(s, r.trigger, keys, pc.p)
				if diff := cmp.Diff(r, retry, cmp.AllowUnexported(run{})); diff != "" {
					t.Errorf("retry of the run at %s (-first +retry):\n%s", r.trigger.Format(time.RFC3339), diff)
				}
			})
		}
	}
}

// TestCrossingNewYorkYear runs a year of `CRON_TZ=America/New_York 0 30 1 * * *` and of `... 0 30 2 * * *`
// against the ways FC may fire them at daylight-saving switches: the fall-back night shows 01:30 twice,
// the spring-forward night never shows 02:30. The guarantee it shows: every alert belongs to one of the
// schedule's fire times, and is delivered once for each FC trigger that resolves to that fire time (a
// replay reads the bin later, so it can only lack keys purged meanwhile). Every fire time gets at least
// one trigger in every scenario, so no alert is lost, and every threshold warning after a key's first run
// arrives with at least its threshold left at its fire time. An alert arrives twice only when FC fires
// both 01:30s of the fall-back night (the first 01:30's alerts again, an hour later) or fires the
// spring-forward night's missing 02:30 at 03:30 (the previous night's alerts again, a day later); the
// repeat carries the same alert ids (and message id, unless a key was purged meanwhile) and a warning
// that the trigger is off SCHEDULE. A deleted user's alert in a repeat can be new when the key that was
// its first loss was purged meanwhile: the repeat counts the thresholds to its next loss, a new alert
// with an id of its own.
func TestCrossingNewYorkYear(t *testing.T) {
	firstFallBack := date(t, "2026-11-01T05:30:00Z")  // 01:30 EDT
	secondFallBack := date(t, "2026-11-01T06:30:00Z") // 01:30 EST
	springShifted := date(t, "2026-03-08T07:30:00Z")  // 03:30 EDT, for the 02:30 that does not exist
	beforeSpring := date(t, "2026-03-07T07:30:00Z")   // 02:30 EST the night before

	// Keys recycled every 7h13m17s through the year, users deleted every 2d 5h 11m 3s, and both at the
	// instants around the switches.
	var keys world
	retentions := []time.Duration{30 * day, 31 * day, 30*day + 11*time.Hour, 7*day + 3*time.Hour}
	recycle := func(r time.Time, ret time.Duration) {
		n := len(keys.keys)
		keys.keys = append(keys.keys, fixture{user: n % len(users), key: Key{
			AccessKeyID: fmt.Sprintf("LTAI5tNY%05d", n), CreateDate: r.Add(-90 * day), RecycleDate: r, DeleteDate: r.Add(ret),
		}})
	}
	deleteUser := func(r time.Time, ret time.Duration) {
		n := len(keys.deleted)
		keys.deleted = append(keys.deleted, newDeletedUser(fmt.Sprintf("NY%05d", n), r, ret, n%4))
	}
	for i, r := 0, date(t, "2026-01-01T09:00:00Z"); r.Before(date(t, "2026-12-31T00:00:00Z")); i, r = i+1, r.Add(7*time.Hour+13*time.Minute+17*time.Second) {
		recycle(r, retentions[i%len(retentions)])
	}
	for i, r := 0, date(t, "2026-01-01T09:00:00Z"); r.Before(date(t, "2026-12-31T00:00:00Z")); i, r = i+1, r.Add(2*day+5*time.Hour+11*time.Minute+3*time.Second) {
		deleteUser(r, retentions[i%len(retentions)])
	}
	for _, at := range []string{
		"2026-11-01T05:29:59Z", "2026-11-01T05:30:00Z", "2026-11-01T05:45:00Z", "2026-11-01T06:30:00Z", "2026-11-01T06:31:00Z",
		"2026-10-02T05:30:00Z", "2026-10-25T06:30:00Z", // DeleteDate - 1d or - 7d falls in the repeated hour
		"2026-03-07T06:30:00Z", "2026-03-07T07:30:00Z", "2026-03-07T07:30:01Z", "2026-03-08T06:30:00Z",
		"2026-03-08T07:30:00Z", "2026-03-08T07:31:00Z", "2026-03-09T06:30:00Z",
		"2026-02-06T06:30:00Z", "2026-02-06T07:30:00Z", "2026-02-01T07:30:00Z",
	} {
		for _, ret := range retentions {
			recycle(date(t, at), ret)
			deleteUser(date(t, at), ret)
		}
	}

	scenarios := []struct {
		name, spec string
		fires      int         // the schedule's fire times in 2026
		drop, add  []time.Time // fire times FC does not trigger, triggers FC adds
		repeated   []time.Time // the fire times that get two runs
	}{
		{name: "01:30 once", spec: "0 30 1", fires: 365},
		{name: "01:30 twice", spec: "0 30 1", fires: 365, add: []time.Time{secondFallBack}, repeated: []time.Time{firstFallBack}},
		{name: "01:30 second only", spec: "0 30 1", fires: 365, drop: []time.Time{firstFallBack}, add: []time.Time{secondFallBack}},
		{name: "02:30 skipped", spec: "0 30 2", fires: 364},
		{name: "02:30 shifted", spec: "0 30 2", fires: 364, add: []time.Time{springShifted}, repeated: []time.Time{beforeSpring}},
	}
	for _, sc := range scenarios {
		s, err := schedule.ParseAt("CRON_TZ=America/New_York "+sc.spec+" * * *", date(t, "2026-01-01T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		fires := fireTimes(s, date(t, "2026-01-01T00:00:00Z"), date(t, "2027-01-01T00:00:00Z"))
		if got := len(fires) - 2; got != sc.fires {
			t.Fatalf("%s: %d fire times in 2026, want %d", sc.spec, got, sc.fires)
		}
		if slices.ContainsFunc(fires, secondFallBack.Equal) || slices.ContainsFunc(fires, springShifted.Equal) {
			t.Fatalf("%s: fire times hold the second 01:30 or 03:30 of a switch night", sc.spec)
		}
		var triggers []time.Time
		for _, f := range fires[1 : len(fires)-1] {
			if !slices.ContainsFunc(sc.drop, f.Equal) {
				triggers = append(triggers, f)
			}
		}
		triggers = append(triggers, sc.add...)
		slices.SortFunc(triggers, time.Time.Compare)

		for _, pc := range policies {
			t.Run(sc.name+"/"+pc.name, func(t *testing.T) {
				byFire := map[time.Time][]run{}
				for _, tr := range triggers {
					r := invoke(s, tr, keys, pc.p)
					byFire[r.times.Cur] = append(byFire[r.times.Cur], r)
					onSchedule := slices.ContainsFunc(fires, tr.Equal)
					if onSchedule != (len(r.times.Warnings) == 0) {
						t.Errorf("trigger %s: warnings %q, want some only off the schedule", tr.Format(time.RFC3339), r.times.Warnings)
					}
				}
				// Each fire time's first run delivers exactly the oracle's alerts; a repeat a subset of them.
				var firstRuns []run
				repeats := 0
				for _, f := range fires[1 : len(fires)-1] {
					runs := byFire[f]
					if len(runs) == 0 {
						t.Errorf("fire time %s: no run", f.Format(time.RFC3339))
						continue
					}
					if want := 1 + len(slices.DeleteFunc(slices.Clone(sc.repeated), func(r time.Time) bool { return !r.Equal(f) })); len(runs) != want {
						t.Errorf("fire time %s: %d runs, want %d", f.Format(time.RFC3339), len(runs), want)
					}
					firstRuns = append(firstRuns, runs[0])
					for _, rep := range runs[1:] {
						repeats += len(rep.alerts)
						first := map[string]Alert{}
						for _, a := range runs[0].alerts {
							first[a.ID] = a
						}
						for _, a := range rep.alerts {
							w, ok := first[a.ID]
							if !ok && a.Event.ForUser() && !a.FirstPurgeDate.Equal(userLoss(keys, a.UserID, f, runs[0].trigger.Add(latency))) {
								// A key purged meanwhile was the user's first loss: its next one is new.
								continue
							}
							if !ok || !cmp.Equal(w, a, cmpopts.IgnoreFields(Alert{}, "RemainingSeconds", "AccessKeys")) {
								t.Errorf("repeat at %s of %s: alert %s %s is new", rep.trigger.Format(time.RFC3339), f.Format(time.RFC3339), subject(a), a.Event)
							}
							// A deleted user's keys purged meanwhile are no longer listed.
							for _, k := range a.AccessKeys {
								if !slices.Contains(w.AccessKeys, k) {
									t.Errorf("repeat at %s of %s: alert %s lists the new key %s", rep.trigger.Format(time.RFC3339), f.Format(time.RFC3339), subject(a), k.AccessKeyID)
								}
							}
						}
						if len(rep.alerts) == len(runs[0].alerts) && rep.msgID != runs[0].msgID {
							t.Errorf("repeat at %s: message id %s, want %s", rep.trigger.Format(time.RFC3339), rep.msgID, runs[0].msgID)
						}
					}
				}
				if len(sc.repeated) > 0 && repeats == 0 {
					t.Errorf("the repeated run has no alerts: the fixture misses the switch night")
				}
				readOf := map[time.Time]time.Time{}
				for _, r := range firstRuns {
					readOf[r.times.Cur] = r.trigger.Add(latency)
				}
				checkRuns(t, firstRuns, oracle(fires, keys, pc.p, func(r int) time.Time {
					if at, ok := readOf[fires[r]]; ok {
						return at
					}
					return fires[r].Add(latency)
				}))
			})
		}
	}
}

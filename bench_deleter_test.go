package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// benchDeleterWorld is 1,000 synthetic users of whom 50 had a key deleted in the hour before cur (the
// run's window is the day before it) and the others' keys earlier, with the ActionTrail events of those
// 50 deletions and of 200 other deletions of the last 30 days (keys and users the run does not read).
func benchDeleterWorld(cur time.Time) ([]ramfake.User, []ramfake.Event) {
	const day = 24 * time.Hour
	users := ramfake.SyntheticUsers(1000, cur)
	var windowed []ramfake.User
	for i := range users {
		u := &users[i]
		for j := range u.Keys {
			k := &u.Keys[j]
			if len(windowed) < 50 {
				k.RecycleDate = cur.Add(-time.Hour + time.Duration(len(windowed))*time.Minute)
				windowed = append(windowed, ramfake.User{ID: u.ID, Name: u.Name, Keys: []ramfake.Key{*k}})
			} else if k.RecycleDate.After(cur.Add(-2 * day)) {
				k.RecycleDate = k.RecycleDate.Add(-2 * day)
			}
			k.DeleteDate = k.RecycleDate.Add(ramfake.DefaultRetention)
		}
	}
	events := ramfake.DeletionEventsFor(benchAccount, "", windowed, nil)
	events = append(events, ramfake.SyntheticDeletionEvents(200, benchAccount, cur.Add(-30*day), cur)...)
	return users, events
}

// BenchmarkRunDeleters1000Users10ms is the daily crossing run for RAM_USERS=* with 1,000 users, every
// API call answered in 10 ms, 50 keys recycled in its window and LookupEvents capped at 2 calls a
// second per account, as ActionTrail documents: the look-ups (DeleteAccessKey and DeleteUser) go on while
// the bins are read. Targets: at most 6 LookupEvents calls, the 50 recycled alerts each with its deleter, and the whole run under
// 2 s per op. It fails unless every user was read, every recycled alert has its deleter, the look-ups
// made at most 6 calls and every message was delivered.
func BenchmarkRunDeleters1000Users10ms(b *testing.B) {
	sched, err := schedule.Parse("0 0 9 * * *")
	if err != nil {
		b.Fatal(err)
	}
	cur := schedule.Resolve(sched, time.Now(), false).Cur
	users, events := benchDeleterWorld(cur)
	vendors := notifytest.NewVendors(b, nil)
	event := fmt.Sprintf(`{"triggerTime":%q,"triggerName":"daily","payload":""}`, cur.UTC().Format(time.RFC3339))
	lookups := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		api := ramfake.New(ramfake.Options{
			Users: users, Events: events, Latency: 10 * time.Millisecond,
			Credentials: map[string]ramfake.Credential{benchKeyID: {Secret: benchKeySecret}},
		})
		env := benchEnv(api, vendors)
		env["SCHEDULE"] = "0 0 9 * * *"
		res, err := benchHandle(b, i, env, event)
		st := api.Stats("")
		api.Close()
		if err != nil || res.UsersChecked != 1000 || len(res.Errors) != 0 || len(res.Warnings) != 0 {
			b.Fatalf("Handle(%s) = %v: usersChecked %d, errors %v, warnings %q", event, err, res.UsersChecked, first(res.Errors), res.Warnings)
		}
		recycled, found := 0, 0
		for _, a := range res.Alerts {
			if a.Event == alert.Recycled {
				recycled++
				if a.DeletedBy != nil {
					found++
				}
			}
		}
		if recycled != 50 || found != 50 {
			b.Fatalf("Handle(%s): %d recycled alerts, %d with their deleter; want 50 and 50", event, recycled, found)
		}
		if n := st.Calls["LookupEvents"]; n > 6 || st.Throttled != 0 {
			b.Fatalf("Handle(%s): %d LookupEvents calls, %d throttled; want at most 6, none throttled", event, n, st.Throttled)
		}
		for _, d := range res.Deliveries {
			if !d.OK || d.Messages == 0 {
				b.Fatalf("Handle(%s): delivery %+v, want ok with messages", event, d)
			}
		}
		lookups += st.Calls["LookupEvents"]
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(lookups)/float64(b.N), "lookups/op")
}

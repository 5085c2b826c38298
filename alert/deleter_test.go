package alert

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// deletion returns the DeleteAccessKey event of key at t, in the RAM console's form (the owner named by
// principal name) or the RAM API's (by user name), made by the RAM user by.
func deletion(name, key string, t time.Time, by string, console bool, id string) DeletionEvent {
	e := DeletionEvent{Name: name, AccessKeyID: key,
		By: Deleter{PrincipalType: "ram-user", PrincipalName: by, PrincipalID: "20000000000000" + by, SourceIP: "203.0.113.7",
			EventType: "ApiCall", EventTime: t, EventID: id}}
	if console {
		e.UserPrincipalName = "alice@corp.onaliyun.com"
		e.By.UserAgent = "ram.console.aliyun.com"
	} else {
		e.UserName = "alice"
		e.By.UserAgent = "AlibabaCloud (linux; amd64) Go/1.26 Core/1.63.107 Aliyun-CLI/3.0.277"
	}
	return e
}

func TestMatchDeleters(t *testing.T) {
	recycled := time.Date(2026, 12, 2, 9, 3, 10, 0, time.UTC)
	const key = "LTAI5tAliceKey0000000001"
	at := func(d time.Duration) time.Time { return recycled.Add(d) }
	alerts := []Alert{{Event: Recycled, UserName: "alice", UserID: "2073290024939201", AccessKeyID: key, RecycleDate: recycled}}
	by := func(e DeletionEvent) []*Deleter { d := e.By; return []*Deleter{&d} }
	console := deletion(EventDeleteAccessKey, key, at(20*time.Second), "ops-admin", true, "EV-CONSOLE")
	api := deletion(EventDeleteAccessKey, key, at(-3*time.Minute), "deployer", false, "EV-API")
	none := []*Deleter{nil}
	tests := []struct {
		name   string
		events []DeletionEvent
		want   []*Deleter
	}{
		{name: "no events", want: none},
		{name: "console form", events: []DeletionEvent{console}, want: by(console)},
		{name: "API form", events: []DeletionEvent{api}, want: by(api)},
		{name: "console and API: the nearer in time", events: []DeletionEvent{api, console}, want: by(console)},
		{name: "exactly 5 minutes before",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, key, at(-5*time.Minute), "ops-admin", true, "EV-1")},
			want:   by(deletion(EventDeleteAccessKey, key, at(-5*time.Minute), "ops-admin", true, "EV-1"))},
		{name: "exactly 5 minutes after",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, key, at(5*time.Minute), "ops-admin", false, "EV-1")},
			want:   by(deletion(EventDeleteAccessKey, key, at(5*time.Minute), "ops-admin", false, "EV-1"))},
		{name: "a second more than 5 minutes before",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, key, at(-5*time.Minute-time.Second), "ops-admin", true, "EV-1")}, want: none},
		{name: "a second more than 5 minutes after",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, key, at(5*time.Minute+time.Second), "ops-admin", true, "EV-1")}, want: none},
		{name: "an earlier deletion of the same key (restored since)",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, key, at(-48*time.Hour), "ops-admin", true, "EV-OLD"), api}, want: by(api)},
		{name: "another key deleted at the same time",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, "LTAI5tAliceKey0000000002", at(0), "ops-admin", true, "EV-1")}, want: none},
		{name: "the key in another case is another key",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, "ltai5taliceKey0000000001", at(0), "ops-admin", true, "EV-1")}, want: none},
		{name: "a user deletion is not a key deletion",
			events: []DeletionEvent{deletion(EventDeleteUser, key, at(0), "ops-admin", true, "EV-1")}, want: none},
		{name: "the same event twice counts once", events: []DeletionEvent{console, api, console}, want: by(console)},
		{name: "as near before as after: the earlier",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, key, at(time.Minute), "late", true, "EV-A"),
				deletion(EventDeleteAccessKey, key, at(-time.Minute), "early", true, "EV-B")},
			want: by(deletion(EventDeleteAccessKey, key, at(-time.Minute), "early", true, "EV-B"))},
		{name: "at the same time: the smaller event ID, in any order",
			events: []DeletionEvent{deletion(EventDeleteAccessKey, key, at(0), "second", true, "EV-B"),
				deletion(EventDeleteAccessKey, key, at(0), "first", true, "EV-A")},
			want: by(deletion(EventDeleteAccessKey, key, at(0), "first", true, "EV-A"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MatchDeleters(alerts, tc.events)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("MatchDeleters() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchDeletersManyAlerts(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	alerts := []Alert{
		{Event: Recycled, AccessKeyID: "LTAI5tKeyA", RecycleDate: t0},
		{Event: Recycled, AccessKeyID: "LTAI5tKeyB", RecycleDate: t0.Add(time.Hour)},
		{Event: Recycled, AccessKeyID: "LTAI5tKeyC", RecycleDate: t0},
	}
	events := []DeletionEvent{
		deletion(EventDeleteAccessKey, "LTAI5tKeyB", t0.Add(time.Hour+time.Second), "bob-admin", false, "EV-B"),
		deletion(EventDeleteAccessKey, "LTAI5tKeyA", t0.Add(time.Second), "ops-admin", true, "EV-A"),
	}
	got := MatchDeleters(alerts, events)
	var names []string
	for _, d := range got {
		if d == nil {
			names = append(names, "")
		} else {
			names = append(names, d.PrincipalName)
		}
	}
	if want := []string{"ops-admin", "bob-admin", ""}; !cmp.Equal(names, want) {
		t.Errorf("MatchDeleters() deleters = %q, want %q", names, want)
	}
	got[0].PrincipalName = "changed"
	if events[1].By.PrincipalName != "ops-admin" {
		t.Errorf("changing a returned deleter changed the event: %+v", events[1].By)
	}
}

func TestDeleterEvent(t *testing.T) {
	since := time.Date(2026, 9, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		a    Alert
		want string
	}{
		{name: "recycled", a: Alert{Event: Recycled, RecycleDate: since.Add(80 * 24 * time.Hour)}, want: EventDeleteAccessKey},
		{name: "expiring", a: Alert{Event: Expiring, RecycleDate: since.Add(80 * 24 * time.Hour)}, want: ""},
		{name: "digest entry within the look-up period", a: Alert{Event: Digest, RecycleDate: since.Add(time.Second)}, want: EventDeleteAccessKey},
		{name: "digest entry at its start", a: Alert{Event: Digest, RecycleDate: since}, want: ""},
		{name: "digest entry before it", a: Alert{Event: Digest, RecycleDate: since.Add(-time.Hour)}, want: ""},
		{name: "user recycled", a: Alert{Event: UserRecycled, RecycleDate: since.Add(80 * 24 * time.Hour)}, want: EventDeleteUser},
		{name: "user expiring", a: Alert{Event: UserExpiring, RecycleDate: since.Add(80 * 24 * time.Hour)}, want: ""},
		{name: "user digest entry within the look-up period", a: Alert{Event: UserDigest, RecycleDate: since.Add(time.Second)}, want: EventDeleteUser},
		{name: "user digest entry before it", a: Alert{Event: UserDigest, RecycleDate: since}, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DeleterEvent(tc.a, since); got != tc.want {
				t.Errorf("DeleterEvent(%s recycled %s) = %q, want %q", tc.a.Event, tc.a.RecycleDate, got, tc.want)
			}
		})
	}
}

// userDeletion returns the DeleteUser event at t in the form the parameters give: the RAM console's
// (UserPrincipalName), the RAM API's (UserName) or IMS's by ID (UserId).
func userDeletion(upn, name, id string, t time.Time, eventID string) DeletionEvent {
	return DeletionEvent{Name: EventDeleteUser, UserPrincipalName: upn, UserName: name, UserID: id,
		By: Deleter{PrincipalType: "root-account", PrincipalName: "root", PrincipalID: "1234567890123456", SourceIP: "198.51.100.8",
			UserAgent: "ram.console.aliyun.com", EventType: "ApiCall", EventTime: t, EventID: eventID}}
}

func TestMatchDeletersUsers(t *testing.T) {
	recycled := time.Date(2026, 12, 2, 9, 3, 10, 0, time.UTC)
	at := func(d time.Duration) time.Time { return recycled.Add(d) }
	carol := Alert{Event: UserRecycled, UserName: "carol", UserID: "2073290024939203", UserPrincipalName: "carol@corp.onaliyun.com", RecycleDate: recycled}
	noUPN := carol
	noUPN.UserPrincipalName = ""
	by := func(e DeletionEvent) *Deleter { d := e.By; return &d }
	console := userDeletion("Carol@Corp.onaliyun.com", "", "", at(10*time.Second), "EV-CONSOLE")
	api := userDeletion("", "carol", "", at(-time.Minute), "EV-API")
	byID := userDeletion("", "", "2073290024939203", at(2*time.Minute), "EV-ID")
	tests := []struct {
		name   string
		alert  Alert
		events []DeletionEvent
		want   *Deleter
	}{
		{name: "console form: principal name, without case", alert: carol, events: []DeletionEvent{console}, want: by(console)},
		{name: "API form: user name", alert: carol, events: []DeletionEvent{api}, want: by(api)},
		{name: "by user ID", alert: carol, events: []DeletionEvent{byID}, want: by(byID)},
		{name: "console and API: the nearer in time", alert: carol, events: []DeletionEvent{api, byID, console}, want: by(console)},
		{name: "the alert without a principal name: the name before the @", alert: noUPN, events: []DeletionEvent{console}, want: by(console)},
		{name: "another user of the same name in another domain",
			alert: carol, events: []DeletionEvent{userDeletion("carol@other.onaliyun.com", "", "", at(0), "EV-1")}},
		{name: "another user", alert: carol, events: []DeletionEvent{userDeletion("carl@corp.onaliyun.com", "carl", "2073290024939204", at(0), "EV-1")}},
		{name: "6 minutes before", alert: carol, events: []DeletionEvent{userDeletion("", "carol", "", at(-6*time.Minute), "EV-1")}},
		{name: "the deletion of one of the user's keys is not the user's",
			alert: carol, events: []DeletionEvent{{Name: EventDeleteAccessKey, AccessKeyID: "LTAI5tCarolKey0000000001", UserName: "carol", By: console.By}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MatchDeleters([]Alert{tc.alert}, tc.events)
			if diff := cmp.Diff([]*Deleter{tc.want}, got); diff != "" {
				t.Errorf("MatchDeleters() (-want +got):\n%s", diff)
			}
		})
	}
}

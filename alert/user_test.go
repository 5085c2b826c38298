package alert

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEvaluateUsers: a deleted user gets one user alert per run by the crossing rules counted to its
// first loss (the earliest DeleteDate, its own or its keys', still ahead at cur), in the run whose window
// holds its RecycleDate first; its keys get none of their own; key and user alerts share one order,
// soonest loss first.
func TestEvaluateUsers(t *testing.T) {
	now := date(t, "2026-11-30T09:00:05Z")
	w := Window{From: date(t, "2026-11-29T09:00:00Z"), To: date(t, "2026-11-30T09:00:00Z")}
	next := date(t, "2026-12-01T09:00:00Z")
	created := date(t, "2025-01-11T09:12:00Z")
	key := func(id, recycled, deleted string) Key {
		return Key{AccessKeyID: id, CreateDate: created, RecycleDate: date(t, recycled), DeleteDate: date(t, deleted)}
	}
	deleted := func(name, id, recycled, deletes string, keys ...Key) Bin {
		return Bin{UserName: name, UserID: id, Keys: keys, Recycled: &RecycledUser{
			PrincipalName: name + "@corp.onaliyun.com", CreateDate: created, RecycleDate: date(t, recycled), DeleteDate: date(t, deletes)}}
	}
	bins := []Bin{
		// Deleted in this window; its older key is purged first.
		deleted("eve", "5", "2026-11-30T08:00:00Z", "2026-12-30T08:00:00Z",
			key("LTAIeveWithUser", "2026-11-30T08:00:00Z", "2026-12-30T08:00:00Z"),
			key("LTAIeveOlder", "2026-11-10T00:00:00Z", "2026-12-10T00:00:00Z")),
		// Its 1d threshold passes at 12-01T08:00, in (cur, next].
		deleted("frank", "6", "2026-11-02T08:00:00Z", "2026-12-02T08:00:00Z"),
		// Its key was purged an hour ago (still listed): its first loss is its own DeleteDate, 12-05.
		deleted("grace", "7", "2026-11-05T00:00:00Z", "2026-12-05T00:00:00Z", key("LTAIgracePast", "2026-10-31T08:00:00Z", "2026-11-30T08:00:00Z")),
		// Deleted after cur: left to the next run.
		deleted("heidi", "8", "2026-11-30T09:00:01Z", "2026-12-30T09:00:01Z"),
		{UserName: "bob", UserID: "2", Keys: []Key{key("LTAIbob1d", "2026-11-01T07:00:00Z", "2026-12-02T07:00:00Z")}},
	}
	eve, frank, grace, heidi, bob := bins[0], bins[1], bins[2], bins[3], bins[4]
	userOf := func(b Bin, ev Event, th *int) Alert {
		first := b.firstPurge(w.To)
		keys := []UserKey{}
		for _, k := range b.Keys {
			keys = append(keys, UserKey{AccessKeyID: k.AccessKeyID, RecycleDate: k.RecycleDate, DeleteDate: k.DeleteDate})
		}
		if len(keys) == 2 {
			keys[0], keys[1] = keys[1], keys[0] // soonest DeleteDate first
		}
		return Alert{ID: userAlertID(account, ev, b.UserID, b.Recycled.DeleteDate, first, th, w), Event: ev,
			AccountID: account, AccountName: accountName, UserName: b.UserName, UserID: b.UserID, UserPrincipalName: b.Recycled.PrincipalName,
			CreateDate: created, RecycleDate: b.Recycled.RecycleDate, DeleteDate: b.Recycled.DeleteDate, FirstPurgeDate: first,
			ThresholdHours: th, RemainingSeconds: int64(first.Sub(now) / time.Second), AccessKeys: keys}
	}
	keyOf := func(b Bin, ev Event, th *int) Alert {
		k := b.Keys[0]
		return Alert{ID: alertID(account, ev, k.AccessKeyID, k.DeleteDate, th, w), Event: ev, AccountID: account, AccountName: accountName,
			UserName: b.UserName, UserID: b.UserID,
			AccessKeyID: k.AccessKeyID, CreateDate: k.CreateDate, RecycleDate: k.RecycleDate, DeleteDate: k.DeleteDate,
			ThresholdHours: th, RemainingSeconds: int64(k.DeleteDate.Sub(now).Seconds())}
	}
	thresholds := []time.Duration{day, 3 * day, 7 * day}
	tests := []struct {
		name string
		p    Policy
		want []Alert
	}{
		{
			name: "crossing",
			p:    Policy{Mode: ModeCrossing, Thresholds: thresholds, AlertOnRecycle: true, AccountID: account, AccountName: accountName},
			want: []Alert{keyOf(bob, Expiring, intPtr(24)), userOf(frank, UserExpiring, intPtr(24)), userOf(eve, UserRecycled, nil)},
		},
		{
			name: "crossing without recycle alerts: no threshold is due before next",
			p:    Policy{Mode: ModeCrossing, Thresholds: thresholds, AccountID: account, AccountName: accountName},
			want: []Alert{keyOf(bob, Expiring, intPtr(24)), userOf(frank, UserExpiring, intPtr(24))},
		},
		{
			name: "crossing without recycle alerts: the first run warns with the smallest threshold due",
			p:    Policy{Mode: ModeCrossing, Thresholds: []time.Duration{day, 10 * day, 20 * day}, AccountID: account, AccountName: accountName},
			want: []Alert{keyOf(bob, Expiring, intPtr(24)), userOf(frank, UserExpiring, intPtr(24)), userOf(eve, UserExpiring, intPtr(240))},
		},
		{
			name: "digest",
			p:    Policy{Mode: ModeDigest, Thresholds: thresholds, AccountID: account, AccountName: accountName},
			want: []Alert{keyOf(bob, Digest, nil), userOf(frank, UserDigest, nil), userOf(grace, UserDigest, nil),
				userOf(eve, UserDigest, nil), userOf(heidi, UserDigest, nil)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(bins, now, w, next, tt.p)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Evaluate(%s) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// TestAlertJSON: a key alert's JSON is what it has always been, byte for byte, with its account; a user
// alert has its own fields, no accessKeyId or binFull, and accessKeys is always an array. Both decode
// back.
func TestAlertJSON(t *testing.T) {
	del := date(t, "2026-12-04T08:12:00Z")
	key := Alert{ID: "alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f", Event: Expiring, AccountID: account, AccountName: accountName, UserName: "alice", UserID: "2073290024939201",
		AccessKeyID: "LTAI5tExampleKey1", CreateDate: date(t, "2026-01-11T09:12:00Z"), RecycleDate: date(t, "2026-11-04T08:12:00Z"),
		DeleteDate: del, ThresholdHours: intPtr(72), RemainingSeconds: 342720}
	user := Alert{ID: "alrt_00000000000000000000000000000005", Event: UserExpiring, AccountID: "1000000000000001", AccountName: "dev", UserName: "eve", UserID: "2073290024939205",
		UserPrincipalName: "eve@corp.onaliyun.com", CreateDate: date(t, "2025-01-11T09:12:00Z"), RecycleDate: date(t, "2026-11-24T01:00:00Z"),
		DeleteDate: date(t, "2026-12-24T01:00:00Z"), FirstPurgeDate: del, ThresholdHours: intPtr(72), RemainingSeconds: 342720,
		AccessKeys: []UserKey{{AccessKeyID: "LTAI5tEveKey1", RecycleDate: date(t, "2026-11-04T08:12:00Z"), DeleteDate: del}}}
	bare := user
	bare.Event, bare.ThresholdHours, bare.AccessKeys = UserRecycled, nil, nil
	tests := []struct {
		name string
		a    Alert
		want string
	}{
		{"key alert", key, `{"id":"alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f","event":"expiring","accountId":"1234567890123456","accountName":"prod","userName":"alice","userId":"2073290024939201",` +
			`"accessKeyId":"LTAI5tExampleKey1","createDate":"2026-01-11T09:12:00Z","recycleDate":"2026-11-04T08:12:00Z",` +
			`"deleteDate":"2026-12-04T08:12:00Z","thresholdHours":72,"remainingSeconds":342720,"binFull":false}`},
		{"user alert", user, `{"id":"alrt_00000000000000000000000000000005","event":"userExpiring","accountId":"1000000000000001","accountName":"dev","userName":"eve","userId":"2073290024939205",` +
			`"userPrincipalName":"eve@corp.onaliyun.com","createDate":"2025-01-11T09:12:00Z","recycleDate":"2026-11-24T01:00:00Z",` +
			`"deleteDate":"2026-12-24T01:00:00Z","firstPurgeDate":"2026-12-04T08:12:00Z","thresholdHours":72,"remainingSeconds":342720,` +
			`"accessKeys":[{"accessKeyId":"LTAI5tEveKey1","recycleDate":"2026-11-04T08:12:00Z","deleteDate":"2026-12-04T08:12:00Z"}]}`},
		{"user alert without keys", bare, `{"id":"alrt_00000000000000000000000000000005","event":"userRecycled","accountId":"1000000000000001","accountName":"dev","userName":"eve",` +
			`"userId":"2073290024939205","userPrincipalName":"eve@corp.onaliyun.com","createDate":"2025-01-11T09:12:00Z",` +
			`"recycleDate":"2026-11-24T01:00:00Z","deleteDate":"2026-12-24T01:00:00Z","firstPurgeDate":"2026-12-04T08:12:00Z",` +
			`"remainingSeconds":342720,"accessKeys":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.a)
			if err != nil || string(b) != tt.want {
				t.Fatalf("json.Marshal(%s) = %s, %v; want %s", tt.name, b, err, tt.want)
			}
			var back Alert
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			want := tt.a
			if want.Event.ForUser() && want.AccessKeys == nil {
				want.AccessKeys = []UserKey{}
			}
			if diff := cmp.Diff(want, back); diff != "" {
				t.Errorf("json.Unmarshal(json.Marshal(%s)) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestUserAlertIDDistinct(t *testing.T) {
	del := time.Date(2026, 12, 4, 8, 12, 0, 0, time.UTC)
	first := del.Add(-5 * day)
	w := Window{From: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	base := userAlertID("1", UserExpiring, "2073290024939205", del, first, intPtr(72), w)
	if !alertIDPattern.MatchString(base) {
		t.Fatalf("userAlertID(...) = %q, want alrt_ and 32 hex digits", base)
	}
	if again := userAlertID("1", UserExpiring, "2073290024939205", del, first, intPtr(72), Window{From: w.To, To: w.To.Add(day)}); again != base {
		t.Errorf("the same user alert in another run: ID %q, want %q", again, base)
	}
	tests := []struct {
		name string
		id   string
	}{
		{"account", userAlertID("2", UserExpiring, "2073290024939205", del, first, intPtr(72), w)},
		{"event", userAlertID("1", UserRecycled, "2073290024939205", del, first, nil, w)},
		{"user", userAlertID("1", UserExpiring, "2073290024939206", del, first, intPtr(72), w)},
		{"delete date", userAlertID("1", UserExpiring, "2073290024939205", del.Add(time.Second), first, intPtr(72), w)},
		{"a later first loss", userAlertID("1", UserExpiring, "2073290024939205", del, del, intPtr(72), w)},
		{"threshold", userAlertID("1", UserExpiring, "2073290024939205", del, first, intPtr(24), w)},
		{"digest", userAlertID("1", UserDigest, "2073290024939205", del, first, nil, w)},
		{"digest other window", userAlertID("1", UserDigest, "2073290024939205", del, first, nil, Window{From: w.To, To: w.To.Add(day)})},
		{"a key alert of the same dates", alertID("1", Expiring, "2073290024939205", del, intPtr(72), w)},
	}
	seen := map[string]string{base: "base"}
	for _, tt := range tests {
		if prev, ok := seen[tt.id]; ok {
			t.Errorf("%s: ID = %q, the same as %s", tt.name, tt.id, prev)
		}
		seen[tt.id] = tt.name
	}
}

// TestEvaluateUserEachLoss: a deleted user whose key is purged 20 days before the user is warned at each
// threshold before the key's purge and again before its own, run after daily run (as the README says).
func TestEvaluateUserEachLoss(t *testing.T) {
	start := date(t, "2026-11-30T09:00:00Z")
	b := Bin{UserName: "eve", UserID: "5", Keys: []Key{{AccessKeyID: "LTAIeveFirstGone", RecycleDate: start.Add(-20 * day), DeleteDate: start.Add(10*day + time.Hour)}},
		Recycled: &RecycledUser{RecycleDate: start.Add(-time.Hour), DeleteDate: start.Add(30*day + time.Hour)}}
	p := Policy{Mode: ModeCrossing, Thresholds: []time.Duration{day, 3 * day, 7 * day}, AlertOnRecycle: true, AccountID: account}
	var got []string
	for d := 0; d <= 31; d++ {
		cur := start.Add(time.Duration(d) * day)
		for _, a := range Evaluate([]Bin{b}, cur, Window{From: cur.Add(-day), To: cur}, cur.Add(day), p) {
			th := "-"
			if a.ThresholdHours != nil {
				th = fmt.Sprint(*a.ThresholdHours / 24)
			}
			got = append(got, fmt.Sprintf("day %d %s %sd, first loss day %d", d, a.Event, th, int(a.FirstPurgeDate.Sub(start).Round(day)/day)))
		}
	}
	want := []string{"day 0 userRecycled -d, first loss day 10",
		"day 3 userExpiring 7d, first loss day 10", "day 7 userExpiring 3d, first loss day 10", "day 9 userExpiring 1d, first loss day 10",
		"day 23 userExpiring 7d, first loss day 30", "day 27 userExpiring 3d, first loss day 30", "day 29 userExpiring 1d, first loss day 30"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("daily runs' alerts (-want +got):\n%s", diff)
	}
}

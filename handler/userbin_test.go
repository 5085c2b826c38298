package handler

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
)

// TestHandleDeletedUsers: a deleted user is counted apart from the users read (recycledUsers), its keys
// in keysInBins, its alert in the result beside the key alerts, and the run succeeds.
func TestHandleDeletedUsers(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	eve := &alert.RecycledUser{PrincipalName: "eve@corp.onaliyun.com", CreateDate: cur.Add(-400 * 24 * time.Hour),
		RecycleDate: cur.Add(-3 * time.Hour), DeleteDate: cur.Add(30*24*time.Hour - 3*time.Hour)}
	r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{
		{UserName: "alice", UserID: "1001", Keys: []alert.Key{key("LTAI5tRecycledToday00001", cur.Add(-2*time.Hour), cur.Add(30*24*time.Hour-2*time.Hour))}},
		{UserName: "eve", UserID: "1005", Recycled: eve, Keys: []alert.Key{
			key("LTAI5tEveKey000000000001", eve.RecycleDate, eve.DeleteDate),
			key("LTAI5tEveKey000000000002", cur.Add(-20*24*time.Hour), cur.Add(10*24*time.Hour)),
		}},
	}, UserBin: &alibaba.UserBin{Listed: true, Users: 1}}}
	slack := &fakeChannel{name: "slack-webhook"}
	h, logs := newHandler(t, testSettings(t, func(s *Settings) { s.Users = []string{"alice", "eve"} }), r, slack)
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1", AccountID: "1234567890123456"}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if res.UsersChecked != 1 || res.RecycledUsers != 1 || res.KeysInBins != 3 || len(res.Warnings) != 0 {
		t.Errorf("Handle() usersChecked %d, recycledUsers %d, keysInBins %d, warnings %q; want 1, 1, 3, none",
			res.UsersChecked, res.RecycledUsers, res.KeysInBins, res.Warnings)
	}
	var got []string
	for _, a := range res.Alerts {
		got = append(got, string(a.Event)+":"+a.UserName+":"+a.FirstPurgeDate.Format(time.RFC3339))
	}
	want := []string{"userRecycled:eve:2026-12-10T09:00:00Z", "recycled:alice:0001-01-01T00:00:00Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Handle() alerts (-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(res)
	for _, w := range []string{`"recycledUsers":1`, `"event":"userRecycled"`, `"accessKeys":[{"accessKeyId":"LTAI5tEveKey000000000002"`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("result %s lacks %s", b, w)
		}
	}
	if !strings.Contains(logs.String(), `"deletedUsers":1`) {
		t.Errorf("logs lack the count of deleted users:\n%s", logs)
	}
}

// TestHandleUserBinWarnings: a role that may not list the user bin, and a bin of 900 or more users, are
// warnings in the result, the log and the messages; the run succeeds.
func TestHandleUserBinWarnings(t *testing.T) {
	tests := []struct {
		name    string
		userBin *alibaba.UserBin
		want    []string
	}{
		{"no pass", nil, nil},
		{"listed", &alibaba.UserBin{Listed: true, Users: 899}, nil},
		{"denied", &alibaba.UserBin{Denied: "NoPermission"},
			[]string{"the user recycle bin could not be listed (NoPermission): the role lacks ram:ListUsersInRecycleBin (see deploy/ram-policy.json); deleted RAM users are not watched"}},
		{"900 users", &alibaba.UserBin{Listed: true, Users: 900},
			[]string{"the user recycle bin holds 900 of 1,000 users: deleting more purges the oldest at once"}},
		{"1,000 users", &alibaba.UserBin{Listed: true, Users: 1000},
			[]string{"the user recycle bin holds 1,000 of 1,000 users: deleting more purges the oldest at once"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001"}}, UserBin: tt.userBin}}
			slack := &fakeChannel{name: "slack-webhook"}
			h, logs := newHandler(t, testSettings(t, func(s *Settings) { s.Mode = alert.ModeDigest }), r, slack)
			res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1"}, []byte(`{}`))
			if err != nil {
				t.Fatalf("Handle() = %v", err)
			}
			if diff := cmp.Diff(append([]string{}, tt.want...), res.Warnings); diff != "" {
				t.Errorf("Handle() warnings (-want +got):\n%s", diff)
			}
			for _, w := range tt.want {
				if !strings.Contains(logs.String(), `"level":"WARN","msg":"`+w) {
					t.Errorf("logs lack the warning %q:\n%s", w, logs)
				}
			}
		})
	}
}

// TestHandleWarningsOnlyRunPosts: a crossing run with nothing to alert and no unreadable user but a
// warning (the role may not list the user recycle bin) tells every channel, with the warning, instead
// of leaving it in the log; a dry run previews that message.
func TestHandleWarningsOnlyRunPosts(t *testing.T) {
	const want = "the user recycle bin could not be listed (NoPermission)"
	for _, dryRun := range []bool{false, true} {
		r := &fakeReader{scan: alibaba.Scan{Bins: []alert.Bin{{UserName: "alice", UserID: "1001"}}, UserBin: &alibaba.UserBin{Denied: "NoPermission"}}}
		slack := &fakeChannel{name: "slack-webhook"}
		h, _ := newHandler(t, testSettings(t, func(s *Settings) { s.DryRun = dryRun }), r, slack)
		res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1"}, []byte(timerEvent))
		if err != nil || len(res.Alerts) != 0 || len(res.Errors) != 0 {
			t.Fatalf("dry run %v: Handle() = %v, alerts %v, errors %v; want a run with no alert and no error", dryRun, err, res.Alerts, res.Errors)
		}
		var msgs []string
		if dryRun {
			for _, p := range res.Preview {
				for _, m := range p.Messages {
					msgs = append(msgs, string(m))
				}
			}
		} else {
			msgs = slack.sent
			if diff := cmp.Diff([]Delivery{{Channel: "slack-webhook", OK: true, Messages: 1}}, res.Deliveries); diff != "" {
				t.Errorf("deliveries (-want +got):\n%s", diff)
			}
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0], want) {
			t.Errorf("dry run %v: messages %q, want one with the warning %q", dryRun, msgs, want)
		}
	}
}

package e2e

// End-to-end tests of deleted users: a timer run of the binary on the command line, against the emulator
// holding live users and users in the user recycle bin, posting to the vendors' fake.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/notify/webhook"
)

// The deleted users of the fixture: eve, deleted 5 hours before cur with two keys, one deleted 9 days
// earlier and purged first; frank, deleted long ago with no key, whose 7-day threshold passes before the
// next check.
const (
	eveID        = "2073290024939205"
	frankID      = "2073290024939206"
	eveKey       = "LTAI5tE2eEveWithUser0001"
	eveOlderKey  = "LTAI5tE2eEveOlderKey0001"
	userBinHint  = "the role lacks ram:ListUsersInRecycleBin (see deploy/ram-policy.json)"
	eveRestore   = "aliyun ims RestoreUserFromRecycleBin --UserId " + eveID
	eveKeyRevive = "aliyun ims RestoreAccessKeyFromRecycleBin --UserId " + eveID + " --UserAccessKeyId " + eveOlderKey
)

func recycledFixture(cur time.Time) []ramfake.RecycledUser {
	const day = 24 * time.Hour
	eveDeleted := cur.Add(-5 * time.Hour)
	return []ramfake.RecycledUser{
		{ID: eveID, Name: "eve", CreateDate: cur.Add(-700 * day), RecycleDate: eveDeleted, DeleteDate: eveDeleted.Add(30 * day),
			Keys: []ramfake.Key{binKey(eveKey, cur, -5*time.Hour, 30*day-5*time.Hour), binKey(eveOlderKey, cur, -9*day, 21*day)}},
		{ID: frankID, Name: "frank", CreateDate: cur.Add(-900 * day), RecycleDate: cur.Add(-22*day - 12*time.Hour), DeleteDate: cur.Add(7*day + 12*time.Hour)},
	}
}

// userAlerts are the user alerts of a crossing run at cur (eve's and, when frank is watched, frank's),
// most urgent first, without their ids.
func userAlerts(cur time.Time, frank bool) []alert.Alert {
	var out []alert.Alert
	for _, r := range recycledFixture(cur) {
		if r.ID == frankID && !frank {
			continue
		}
		a := alert.Alert{Event: alert.UserRecycled, AccountID: accountID, AccountName: "e2e", UserName: r.Name, UserID: r.ID, UserPrincipalName: r.Name + "@" + ramfake.DefaultDomain,
			CreateDate: r.CreateDate, RecycleDate: r.RecycleDate, DeleteDate: r.DeleteDate, FirstPurgeDate: r.DeleteDate, AccessKeys: []alert.UserKey{}}
		for _, k := range r.Keys {
			a.AccessKeys = append(a.AccessKeys, alert.UserKey{AccessKeyID: k.AccessKeyID, RecycleDate: k.RecycleDate, DeleteDate: k.DeleteDate})
			if k.DeleteDate.Before(a.FirstPurgeDate) {
				a.FirstPurgeDate = k.DeleteDate
			}
		}
		slices.SortFunc(a.AccessKeys, func(x, y alert.UserKey) int { return x.DeleteDate.Compare(y.DeleteDate) })
		if r.ID == frankID {
			h := 168
			a.Event, a.ThresholdHours = alert.UserExpiring, &h
		}
		a.RemainingSeconds = int64(a.FirstPurgeDate.Sub(cur) / time.Second)
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y alert.Alert) int { return x.FirstPurgeDate.Compare(y.FirstPurgeDate) })
	return out
}

// newWorldUserBin is newWorld with the deleted users in the emulator's user recycle bin, and the
// ActionTrail events of events.
func newWorldUserBin(t *testing.T, events ...func(cur time.Time) ramfake.Event) *world {
	t.Helper()
	return newWorldOptions(t, func(cur time.Time) ramfake.Options {
		o := ramfake.Options{Users: fixtureUsers(cur), RecycledUsers: recycledFixture(cur)}
		for _, ev := range events {
			o.Events = append(o.Events, ev(cur))
		}
		return o
	})
}

// TestDeletedUsers: a timer run with deleted users among live ones, with RAM_USERS=* and with a named
// entry that was deleted: the binary exits 0, and the users' alerts are in the result, the webhook's
// body and the Slack message, which says how to restore each user and then its keys.
func TestDeletedUsers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		users     string
		frank     bool
		errors    []string
		binCalls  int
		recycled  int
		slackSays []string
	}{
		{name: "every user", users: "*", frank: true, binCalls: 1, recycled: 2,
			slackSays: []string{"2 deleted RAM users and 3 RAM AccessKeys in the recycle bin need attention", "2 deleted users watched",
				"RAM user frank was deleted: frank is purged on", "No AccessKey of frank is listed"}},
		{name: "a named entry that was deleted", users: "alice,bob,eve,carol,dave,ghost", binCalls: 1, recycled: 1,
			errors:    []string{"ghost:EntityNotExist.User"},
			slackSays: []string{"1 deleted RAM user and 3 RAM AccessKeys in the recycle bin need attention", "1 deleted user watched"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newWorldUserBin(t)
			e.vars["RAM_USERS"] = tc.users
			stdout, stderr, code := e.runCLI("", "-e", string(timerEvent(e.cur)))
			if code != 0 {
				t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			r := decodeResult(t, stdout)
			if r.UsersChecked != 4 || r.RecycledUsers != tc.recycled || r.KeysInBins != 5+2 || len(r.Warnings) != 0 {
				t.Errorf("usersChecked, recycledUsers, keysInBins, warnings = %d, %d, %d, %q; want 4, %d, 7, none",
					r.UsersChecked, r.RecycledUsers, r.KeysInBins, r.Warnings, tc.recycled)
			}
			var errs []string
			for _, x := range r.Errors {
				errs = append(errs, x.User+":"+x.Code)
			}
			if diff := cmp.Diff(tc.errors, errs); diff != "" {
				t.Errorf("result errors (-want +got):\n%s", diff)
			}
			want := append(expectedAlerts(e.cur), userAlerts(e.cur, tc.frank)...)
			alert.SortByUrgency(want)
			if diff := cmp.Diff(want, withoutIDs(t, r.Alerts)); diff != "" {
				t.Errorf("result alerts (-want +got):\n%s", diff)
			}
			if n := e.ram.Calls("ListUsersInRecycleBin"); n != tc.binCalls {
				t.Errorf("ListUsersInRecycleBin calls = %d, want %d", n, tc.binCalls)
			}

			hooks := e.vendors.Posts("webhook")
			if len(hooks) != 1 {
				t.Fatalf("the webhook got %d posts, want 1", len(hooks))
			}
			var body webhook.Body
			if err := json.Unmarshal(hooks[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, withoutIDs(t, body.Data.Alerts)); diff != "" {
				t.Errorf("webhook alerts (-want +got):\n%s", diff)
			}
			for _, s := range []string{fmt.Sprintf(`"recycledUsers":%d`, tc.recycled), `"event":"userRecycled"`,
				`"firstPurgeDate":`, `"accessKeys":[{"accessKeyId":"` + eveOlderKey + `"`} {
				if !bytes.Contains(hooks[0].Body, []byte(s)) {
					t.Errorf("the webhook body lacks %s:\n%s", s, hooks[0].Body)
				}
			}

			slack := e.vendors.Posts("slack-webhook")
			if len(slack) != 1 {
				t.Fatalf("Slack got %d messages, want 1", len(slack))
			}
			for _, s := range append([]string{"RAM user eve was deleted: eve and 2 AccessKeys are purged on", eveRestore, eveKeyRevive,
				"--UserAccessKeyId " + eveKey}, tc.slackSays...) {
				if !bytes.Contains(slack[0].Body, []byte(s)) {
					t.Errorf("the Slack message lacks %q:\n%s", s, slack[0].Body)
				}
			}
		})
	}
}

// TestUserBinDenied: a role without ram:ListUsersInRecycleBin gets one warning naming the action and
// the policy file, in the result and the messages; the key bins are read and the binary exits 0.
func TestUserBinDenied(t *testing.T) {
	t.Parallel()
	e := newWorldUserBin(t)
	e.vars["RAM_USERS"] = "*"
	e.ram.SetFault("ListUsersInRecycleBin", "", ramfake.Deny)
	stdout, stderr, code := e.runCLI("", "-e", string(timerEvent(e.cur)))
	if code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout)
	want := "the user recycle bin could not be listed (NoPermission): " + userBinHint + "; deleted RAM users are not watched"
	if diff := cmp.Diff([]string{want}, r.Warnings); diff != "" {
		t.Errorf("result warnings (-want +got):\n%s", diff)
	}
	if r.UsersChecked != 4 || r.RecycledUsers != 0 || len(r.Errors) != 0 {
		t.Errorf("usersChecked, recycledUsers, errors = %d, %d, %+v; want 4, 0, none", r.UsersChecked, r.RecycledUsers, r.Errors)
	}
	if diff := cmp.Diff(expectedAlerts(e.cur), withoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	for _, channel := range []string{"slack-webhook", "webhook"} {
		for _, p := range e.vendors.Posts(channel) {
			if !bytes.Contains(p.Body, []byte("ram:ListUsersInRecycleBin")) || !bytes.Contains(p.Body, []byte("deploy/ram-policy.json")) {
				t.Errorf("the %s message lacks the warning:\n%s", channel, p.Body)
			}
		}
	}
	if !strings.Contains(string(stderr), "ram:ListUsersInRecycleBin") {
		t.Errorf("the log lacks the warning:\n%s", stderr)
	}
}

package main

// End-to-end tests of deleted users, through the binary that TestMain (e2e_test.go) builds: a timer run
// on the command line, against the RAM/IMS emulator holding live users and users in the user recycle
// bin, posting to the local Slack and webhook receivers.

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
	e2eEveID        = "2073290024939205"
	e2eFrankID      = "2073290024939206"
	e2eEveKey       = "LTAI5tE2eEveWithUser0001"
	e2eEveOlderKey  = "LTAI5tE2eEveOlderKey0001"
	e2eUserBinHint  = "the role lacks ram:ListUsersInRecycleBin (see deploy/ram-policy.json)"
	e2eEveRestore   = "aliyun ims RestoreUserFromRecycleBin --UserId " + e2eEveID
	e2eEveKeyRevive = "aliyun ims RestoreAccessKeyFromRecycleBin --UserId " + e2eEveID + " --UserAccessKeyId " + e2eEveOlderKey
)

func e2eRecycledUsers(cur time.Time) []ramfake.RecycledUser {
	const day = 24 * time.Hour
	eveDeleted := cur.Add(-5 * time.Hour)
	return []ramfake.RecycledUser{
		{ID: e2eEveID, Name: "eve", CreateDate: cur.Add(-700 * day), RecycleDate: eveDeleted, DeleteDate: eveDeleted.Add(30 * day),
			Keys: []ramfake.Key{e2eKey(e2eEveKey, cur, -5*time.Hour, 30*day-5*time.Hour), e2eKey(e2eEveOlderKey, cur, -9*day, 21*day)}},
		{ID: e2eFrankID, Name: "frank", CreateDate: cur.Add(-900 * day), RecycleDate: cur.Add(-22*day - 12*time.Hour), DeleteDate: cur.Add(7*day + 12*time.Hour)},
	}
}

// e2eUserAlerts are the user alerts of a crossing run at cur (eve's and, when frank is watched, frank's),
// most urgent first, without their ids.
func e2eUserAlerts(cur time.Time, frank bool) []alert.Alert {
	var out []alert.Alert
	for _, r := range e2eRecycledUsers(cur) {
		if r.ID == e2eFrankID && !frank {
			continue
		}
		a := alert.Alert{Event: alert.UserRecycled, UserName: r.Name, UserID: r.ID, UserPrincipalName: r.Name + "@" + ramfake.DefaultDomain,
			CreateDate: r.CreateDate, RecycleDate: r.RecycleDate, DeleteDate: r.DeleteDate, FirstPurgeDate: r.DeleteDate, AccessKeys: []alert.UserKey{}}
		for _, k := range r.Keys {
			a.AccessKeys = append(a.AccessKeys, alert.UserKey{AccessKeyID: k.AccessKeyID, RecycleDate: k.RecycleDate, DeleteDate: k.DeleteDate})
			if k.DeleteDate.Before(a.FirstPurgeDate) {
				a.FirstPurgeDate = k.DeleteDate
			}
		}
		slices.SortFunc(a.AccessKeys, func(x, y alert.UserKey) int { return x.DeleteDate.Compare(y.DeleteDate) })
		if r.ID == e2eFrankID {
			h := 168
			a.Event, a.ThresholdHours = alert.UserExpiring, &h
		}
		a.RemainingSeconds = int64(a.FirstPurgeDate.Sub(cur) / time.Second)
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y alert.Alert) int { return x.FirstPurgeDate.Compare(y.FirstPurgeDate) })
	return out
}

// newE2EEnvUserBin is newE2EEnv with the deleted users in the emulator's user recycle bin.
func newE2EEnvUserBin(t *testing.T) *e2eEnv {
	t.Helper()
	e := newE2EEnv(t)
	ram := ramfake.New(ramfake.Options{
		Users:         e2eUsers(e.cur),
		RecycledUsers: e2eRecycledUsers(e.cur),
		Credentials: map[string]ramfake.Credential{
			e2eEnvKeyID:    {Secret: e2eEnvSecret},
			e2eSTSKeyID:    {Secret: e2eSTSSecret, Token: e2eSTSToken},
			e2eEnvSTSKeyID: {Secret: e2eEnvSTSSecret, Token: e2eEnvSTSToken},
		},
	})
	t.Cleanup(ram.Close)
	e.ram = ram
	e.vars["RAM_ENDPOINT"], e.vars["IMS_ENDPOINT"] = ram.URL(), ram.URL()
	return e
}

// TestE2EDeletedUsers: a timer run with deleted users among live ones, with RAM_USERS=* and with a named
// entry that was deleted: the binary exits 0, and the users' alerts are in the result, the webhook's
// body and the Slack message, which says how to restore each user and then its keys.
func TestE2EDeletedUsers(t *testing.T) {
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
			e := newE2EEnvUserBin(t)
			e.vars["RAM_USERS"] = tc.users
			stdout, stderr, code := e.runCLI("", "-e", string(e2eTimerEvent(e.cur)))
			if code != 0 {
				t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			r := e2eDecodeResult(t, stdout)
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
			want := append(e2eExpectedAlerts(e.cur), e2eUserAlerts(e.cur, tc.frank)...)
			alert.SortByUrgency(want)
			if diff := cmp.Diff(want, e2eWithoutIDs(t, r.Alerts)); diff != "" {
				t.Errorf("result alerts (-want +got):\n%s", diff)
			}
			if n := e.ram.Calls("ListUsersInRecycleBin"); n != tc.binCalls {
				t.Errorf("ListUsersInRecycleBin calls = %d, want %d", n, tc.binCalls)
			}

			hooks := e.rx.postsTo(e2eWebhookPath)
			if len(hooks) != 1 {
				t.Fatalf("the webhook got %d posts, want 1", len(hooks))
			}
			var body webhook.Body
			if err := json.Unmarshal(hooks[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, e2eWithoutIDs(t, body.Data.Alerts)); diff != "" {
				t.Errorf("webhook alerts (-want +got):\n%s", diff)
			}
			for _, s := range []string{fmt.Sprintf(`"recycledUsers":%d`, tc.recycled), `"event":"userRecycled"`,
				`"firstPurgeDate":`, `"accessKeys":[{"accessKeyId":"` + e2eEveOlderKey + `"`} {
				if !bytes.Contains(hooks[0].Body, []byte(s)) {
					t.Errorf("the webhook body lacks %s:\n%s", s, hooks[0].Body)
				}
			}

			slack := e.rx.postsTo(e2eSlackPath)
			if len(slack) != 1 {
				t.Fatalf("Slack got %d messages, want 1", len(slack))
			}
			for _, s := range append([]string{"RAM user eve was deleted: eve and 2 AccessKeys are purged on", e2eEveRestore, e2eEveKeyRevive,
				"--UserAccessKeyId " + e2eEveKey}, tc.slackSays...) {
				if !bytes.Contains(slack[0].Body, []byte(s)) {
					t.Errorf("the Slack message lacks %q:\n%s", s, slack[0].Body)
				}
			}
		})
	}
}

// TestE2EUserBinDenied: a role without ram:ListUsersInRecycleBin gets one warning naming the action and
// the policy file, in the result and the messages; the key bins are read and the binary exits 0.
func TestE2EUserBinDenied(t *testing.T) {
	t.Parallel()
	e := newE2EEnvUserBin(t)
	e.vars["RAM_USERS"] = "*"
	e.ram.SetFault("ListUsersInRecycleBin", "", ramfake.Deny)
	stdout, stderr, code := e.runCLI("", "-e", string(e2eTimerEvent(e.cur)))
	if code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := e2eDecodeResult(t, stdout)
	want := "the user recycle bin could not be listed (NoPermission): " + e2eUserBinHint + "; deleted RAM users are not watched"
	if diff := cmp.Diff([]string{want}, r.Warnings); diff != "" {
		t.Errorf("result warnings (-want +got):\n%s", diff)
	}
	if r.UsersChecked != 4 || r.RecycledUsers != 0 || len(r.Errors) != 0 {
		t.Errorf("usersChecked, recycledUsers, errors = %d, %d, %+v; want 4, 0, none", r.UsersChecked, r.RecycledUsers, r.Errors)
	}
	if diff := cmp.Diff(e2eExpectedAlerts(e.cur), e2eWithoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	for _, p := range append(e.rx.postsTo(e2eSlackPath), e.rx.postsTo(e2eWebhookPath)...) {
		if !bytes.Contains(p.Body, []byte("ram:ListUsersInRecycleBin")) || !bytes.Contains(p.Body, []byte("deploy/ram-policy.json")) {
			t.Errorf("the %s message lacks the warning:\n%s", e2eReceiverName(p.Path), p.Body)
		}
	}
	if !strings.Contains(string(stderr), "ram:ListUsersInRecycleBin") {
		t.Errorf("the log lacks the warning:\n%s", stderr)
	}
}

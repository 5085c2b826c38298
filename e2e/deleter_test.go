package e2e

// Who deleted a recycled key or a deleted user, end to end through the built binary: the emulator serves
// the ActionTrail events of the deletions (LookupEvents, paced and checked like the real one), and the
// deleter must reach the result, the webhook and the chat message; a role without
// actiontrail:LookupEvents gets a warning and a run that succeeds; LOOKUP_DELETER=false asks ActionTrail
// nothing.

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/notify/webhook"
)

// aliceDeletion is the event of the deletion of alice's key, 20 s after its RecycleDate, in the RAM
// console by the RAM user ops-admin.
func aliceDeletion(cur time.Time) ramfake.Event {
	return ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: ramfake.DefaultAccountID, Time: cur.Add(-6*time.Hour + 20*time.Second),
		UserName: "alice", AccessKeyID: aliceKey,
		By: ramfake.Deleter{Name: "ops-admin", ID: "2073290024939299", SourceIP: "203.0.113.7", Console: true}})
}

// eveDeletion is the event of the deletion of the user eve, 10 s before its RecycleDate, by a role
// session through the RAM API (the short UserName), with the aliyun CLI.
func eveDeletion(cur time.Time) ramfake.Event {
	return ramfake.DeleteUserEvent(ramfake.Deletion{AccountID: ramfake.DefaultAccountID, Time: cur.Add(-5*time.Hour - 10*time.Second),
		UserName: "eve", UserID: eveID,
		By: ramfake.Deleter{Type: "assumed-role", Name: "offboarding", Session: "hr-4711", SourceIP: "198.51.100.61",
			UserAgent: "AlibabaCloud (linux; amd64) Golang/1.22.5 Core/1.63.0 Aliyun-CLI/3.0.277"}})
}

// deleterOfEvent is the deletedBy a well-formed event gives.
func deleterOfEvent(e ramfake.Event) *alert.Deleter {
	return &alert.Deleter{PrincipalType: e.Identity.Type, PrincipalName: e.Identity.UserName, PrincipalID: e.Identity.PrincipalID,
		SourceIP: e.SourceIP, UserAgent: e.UserAgent, EventType: "ApiCall", EventTime: e.Time, EventID: e.ID}
}

// slackText is the text of every block of a Slack message, and its fallback.
func slackText(t *testing.T, body []byte) string {
	t.Helper()
	var texts []string
	for _, txt := range chatTexts(t, "slack-webhook", body) {
		texts = append(texts, txt.text)
	}
	return strings.Join(texts, "\n")
}

// TestDeleter: a timer run on the go1 runtime, with the role's credentials, whose recycled key and
// deleted user ActionTrail saw deleted: one LookupEvents call per event name, signed with the role's
// credentials, and deletedBy in the result, the webhook and the Slack message.
func TestDeleter(t *testing.T) {
	t.Parallel()
	e := newWorldUserBin(t, aliceDeletion, eveDeletion)
	e.vars["RAM_USERS"] = "*"
	rt, _ := e.startGo1()
	creds := fcruntime.Credentials{AccessKeyID: stsKeyID, AccessKeySecret: stsSecret, SecurityToken: stsToken}
	r := resultOf(t, invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), Credentials: creds}))

	keyDeleter, userDeleter := deleterOfEvent(aliceDeletion(e.cur)), deleterOfEvent(eveDeletion(e.cur))
	want := append(expectedAlerts(e.cur), userAlerts(e.cur, true)...)
	alert.SortByUrgency(want)
	for i := range want {
		switch {
		case want[i].AccessKeyID == aliceKey:
			want[i].DeletedBy = keyDeleter
		case want[i].UserID == eveID:
			want[i].DeletedBy = userDeleter
		}
	}
	if diff := cmp.Diff(want, withoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", r.Warnings)
	}
	if st := e.ram.Stats(""); st.Calls["LookupEvents"] != 2 || st.Throttled != 0 {
		t.Errorf("LookupEvents calls = %d (%d throttled), want 2: DeleteAccessKey and DeleteUser", st.Calls["LookupEvents"], st.Throttled)
	}
	if diff := cmp.Diff([]ramfake.SeenCredential{{AccessKeyID: stsKeyID, WithToken: true}}, e.ram.SeenCredentials()); diff != "" {
		t.Errorf("credentials the emulator saw (-want +got):\n%s", diff)
	}

	hooks := e.vendors.Posts("webhook")
	if len(hooks) != 1 {
		t.Fatalf("webhook posts = %d, want 1", len(hooks))
	}
	var body webhook.Body
	if err := json.Unmarshal(hooks[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.Alerts, body.Data.Alerts); diff != "" {
		t.Errorf("webhook alerts (-result +webhook):\n%s", diff)
	}
	slack := e.vendors.Posts("slack-webhook")
	if len(slack) != 1 {
		t.Fatalf("Slack posts = %d, want 1", len(slack))
	}
	text := slackText(t, slack[0].Body)
	for _, line := range []string{
		"deleted by RAM user ops-admin from 203.0.113.7 (console), " + keyDeleter.EventTime.UTC().Format("2006-01-02 15:04") + " UTC",
		"deleted by role session offboarding/hr-4711 from 198.51.100.61 (CLI), " + userDeleter.EventTime.UTC().Format("2006-01-02 15:04") + " UTC",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("the Slack message lacks %q:\n%s", line, text)
		}
	}
}

// TestDeleterCommandLine: the same deletions, on the command line with the environment's AccessKey,
// when ActionTrail denies the look-up, with LOOKUP_DELETER=false, and for a key deleted too recently for
// ActionTrail to show it.
func TestDeleterCommandLine(t *testing.T) {
	t.Parallel()
	t.Run("denied", func(t *testing.T) {
		t.Parallel()
		e := newWorldUserBin(t, aliceDeletion, eveDeletion)
		e.ram.SetAccountFault("", "LookupEvents", ramfake.Deny)
		stdout, stderr, code := e.runCLI("", "-e", string(timerEvent(e.cur)))
		if code != 0 {
			t.Fatalf("exit status %d, want 0: a denied look-up must not fail the run\n%s", code, stderr)
		}
		r := decodeResult(t, stdout)
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "actiontrail:LookupEvents") {
			t.Errorf("warnings = %q, want one naming actiontrail:LookupEvents", r.Warnings)
		}
		if diff := cmp.Diff(expectedAlerts(e.cur), withoutIDs(t, r.Alerts)); diff != "" {
			t.Errorf("result alerts (-want +got):\n%s", diff)
		}
		if !strings.Contains(string(stderr), "actiontrail:LookupEvents") {
			t.Errorf("the warning is not logged:\n%s", stderr)
		}
		slack := e.vendors.Posts("slack-webhook")
		if len(slack) != 1 {
			t.Fatalf("Slack posts = %d, want 1", len(slack))
		}
		text := slackText(t, slack[0].Body)
		if !strings.Contains(text, "actiontrail:LookupEvents") || strings.Contains(text, "deleted by") {
			t.Errorf("the Slack message should carry the warning and no deleter line:\n%s", text)
		}
	})
	t.Run("LOOKUP_DELETER=false", func(t *testing.T) {
		t.Parallel()
		e := newWorldUserBin(t, aliceDeletion, eveDeletion)
		e.vars["LOOKUP_DELETER"] = "false"
		e.vars["RAM_USERS"] = "*"
		stdout, stderr, code := e.runCLI("", "-e", string(timerEvent(e.cur)))
		if code != 0 {
			t.Fatalf("exit status %d, want 0\n%s", code, stderr)
		}
		r := decodeResult(t, stdout)
		want := append(expectedAlerts(e.cur), userAlerts(e.cur, true)...)
		alert.SortByUrgency(want)
		if diff := cmp.Diff(want, withoutIDs(t, r.Alerts)); diff != "" {
			t.Errorf("result alerts (-want +got):\n%s", diff)
		}
		if n := e.ram.Calls("LookupEvents"); n != 0 {
			t.Errorf("LookupEvents calls = %d, want none", n)
		}
		slack := e.vendors.Posts("slack-webhook")
		if len(slack) != 1 || strings.Contains(slackText(t, slack[0].Body), "deleted by") {
			t.Errorf("want one Slack message without a deleter line, got %d posts", len(slack))
		}
	})
	t.Run("not yet in ActionTrail", func(t *testing.T) {
		t.Parallel()
		// Deleted 5 minutes ago: ActionTrail shows the event 10 minutes after the call. A manual run
		// without SCHEDULE checks the 24 hours before now.
		e := newWorldOptions(t, func(time.Time) ramfake.Options {
			at := time.Now().Add(-5 * time.Minute).UTC().Truncate(time.Second)
			ev := ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: ramfake.DefaultAccountID, Time: at, UserName: "alice",
				AccessKeyID: aliceKey, By: ramfake.Deleter{Name: "ops-admin", Console: true}})
			return ramfake.Options{Users: []ramfake.User{{ID: aliceID, Name: "alice", Keys: []ramfake.Key{{
				AccessKeyID: aliceKey, CreateDate: at.AddDate(-1, 0, 0), RecycleDate: at, DeleteDate: at.Add(30 * 24 * time.Hour)}}}},
				Events: []ramfake.Event{ev}}
		})
		delete(e.vars, "SCHEDULE")
		e.vars["RAM_USERS"] = "alice"
		stdout, stderr, code := e.runCLI("", "-e", "{}")
		if code != 0 {
			t.Fatalf("exit status %d, want 0\n%s", code, stderr)
		}
		r := decodeResult(t, stdout)
		if len(r.Alerts) != 1 || r.Alerts[0].Event != alert.Recycled || r.Alerts[0].DeletedBy != nil {
			t.Fatalf("alerts = %+v, want alice's key recycled, without deletedBy", r.Alerts)
		}
		if n := e.ram.Calls("LookupEvents"); n != 2 {
			t.Errorf("LookupEvents calls = %d, want 2: DeleteAccessKey and DeleteUser", n)
		}
		slack := e.vendors.Posts("slack-webhook")
		if len(slack) != 1 || !strings.Contains(slackText(t, slack[0].Body), "deleted by: not yet in ActionTrail") {
			t.Errorf("want one Slack message saying the deletion is not yet in ActionTrail, got %d posts", len(slack))
		}
	})
}

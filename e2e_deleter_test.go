package main

// Who deleted a recycled key, end to end through the built binary: the emulator serves the ActionTrail
// events of the deletions (LookupEvents, paced and checked like the real one), and the deleter must
// reach the result, the webhook and the chat message; a role without actiontrail:LookupEvents gets a
// warning and a run that succeeds; LOOKUP_DELETER=false asks ActionTrail nothing.

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

// e2eAliceDeletion is the event of the deletion of alice's key, 20 s after its RecycleDate, in the RAM
// console by the RAM user ops-admin.
func e2eAliceDeletion(cur time.Time) ramfake.Event {
	return ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: ramfake.DefaultAccountID, Time: cur.Add(-6*time.Hour + 20*time.Second),
		UserName: "alice", AccessKeyID: e2eAliceKey,
		By: ramfake.Deleter{Name: "ops-admin", ID: "2073290024939206", SourceIP: "203.0.113.7", Console: true}})
}

// newE2EDeleterEnv is newE2EEnv with the ActionTrail event of alice's deletion, and that event.
func newE2EDeleterEnv(t *testing.T) (*e2eEnv, ramfake.Event) {
	t.Helper()
	var ev ramfake.Event
	e := newE2EEnvOptions(t, func(cur time.Time) ramfake.Options {
		ev = e2eAliceDeletion(cur)
		return ramfake.Options{Users: e2eUsers(cur), Events: []ramfake.Event{ev}}
	})
	return e, ev
}

// e2eSlackText is the text of every block of a Slack message, and its fallback.
func e2eSlackText(t *testing.T, body []byte) string {
	t.Helper()
	var texts []string
	for _, txt := range e2eChatTexts(t, "slack-webhook", body) {
		texts = append(texts, txt.text)
	}
	return strings.Join(texts, "\n")
}

// TestE2EDeleter: a timer run on the go1 runtime, with the role's credentials, whose recycled key
// ActionTrail saw deleted: one LookupEvents call, signed with the role's credentials, and deletedBy in
// the result, the webhook and the Slack message.
func TestE2EDeleter(t *testing.T) {
	t.Parallel()
	e, ev := newE2EDeleterEnv(t)
	rt, _ := e.startGo1()
	creds := fcruntime.Credentials{AccessKeyID: e2eSTSKeyID, AccessKeySecret: e2eSTSSecret, SecurityToken: e2eSTSToken}
	r := e2eResultOf(t, e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur), Credentials: creds}))

	want := e2eExpectedAlerts(e.cur)
	by := &alert.Deleter{PrincipalType: "ram-user", PrincipalName: "ops-admin", PrincipalID: "2073290024939206", SourceIP: "203.0.113.7",
		UserAgent: "ram.console.aliyun.com", EventType: "ApiCall", EventTime: ev.Time, EventID: ev.ID}
	want[2].DeletedBy = by
	if diff := cmp.Diff(want, e2eWithoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", r.Warnings)
	}
	if st := e.ram.Stats(""); st.Calls["LookupEvents"] != 1 || st.Throttled != 0 {
		t.Errorf("LookupEvents calls = %d (%d throttled), want 1", st.Calls["LookupEvents"], st.Throttled)
	}
	if diff := cmp.Diff([]ramfake.SeenCredential{{AccessKeyID: e2eSTSKeyID, WithToken: true}}, e.ram.SeenCredentials()); diff != "" {
		t.Errorf("credentials the emulator saw (-want +got):\n%s", diff)
	}

	hooks := e.rx.postsTo(e2eWebhookPath)
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
	slack := e.rx.postsTo(e2eSlackPath)
	if len(slack) != 1 {
		t.Fatalf("Slack posts = %d, want 1", len(slack))
	}
	line := "deleted by RAM user ops-admin from 203.0.113.7 (console), " + ev.Time.UTC().Format("2006-01-02 15:04") + " UTC"
	if text := e2eSlackText(t, slack[0].Body); !strings.Contains(text, line) {
		t.Errorf("the Slack message lacks %q:\n%s", line, text)
	}
}

// TestE2EDeleterCommandLine: the same deletion, on the command line with the environment's AccessKey,
// when ActionTrail denies the look-up, with LOOKUP_DELETER=false, and for a key deleted too recently
// for ActionTrail to show it.
func TestE2EDeleterCommandLine(t *testing.T) {
	t.Parallel()
	t.Run("denied", func(t *testing.T) {
		t.Parallel()
		e, _ := newE2EDeleterEnv(t)
		e.ram.SetAccountFault("", "LookupEvents", ramfake.Deny)
		stdout, stderr, code := e.runCLI("", "-e", string(e2eTimerEvent(e.cur)))
		if code != 0 {
			t.Fatalf("exit status %d, want 0: a denied look-up must not fail the run\n%s", code, stderr)
		}
		r := e2eDecodeResult(t, stdout)
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "actiontrail:LookupEvents") {
			t.Errorf("warnings = %q, want one naming actiontrail:LookupEvents", r.Warnings)
		}
		if diff := cmp.Diff(e2eExpectedAlerts(e.cur), e2eWithoutIDs(t, r.Alerts)); diff != "" {
			t.Errorf("result alerts (-want +got):\n%s", diff)
		}
		if !strings.Contains(string(stderr), "actiontrail:LookupEvents") {
			t.Errorf("the warning is not logged:\n%s", stderr)
		}
		slack := e.rx.postsTo(e2eSlackPath)
		if len(slack) != 1 {
			t.Fatalf("Slack posts = %d, want 1", len(slack))
		}
		text := e2eSlackText(t, slack[0].Body)
		if !strings.Contains(text, "actiontrail:LookupEvents") || strings.Contains(text, "deleted by") {
			t.Errorf("the Slack message should carry the warning and no deleter line:\n%s", text)
		}
	})
	t.Run("LOOKUP_DELETER=false", func(t *testing.T) {
		t.Parallel()
		e, _ := newE2EDeleterEnv(t)
		e.vars["LOOKUP_DELETER"] = "false"
		stdout, stderr, code := e.runCLI("", "-e", string(e2eTimerEvent(e.cur)))
		if code != 0 {
			t.Fatalf("exit status %d, want 0\n%s", code, stderr)
		}
		r := e2eDecodeResult(t, stdout)
		if diff := cmp.Diff(e2eExpectedAlerts(e.cur), e2eWithoutIDs(t, r.Alerts)); diff != "" {
			t.Errorf("result alerts (-want +got):\n%s", diff)
		}
		if n := e.ram.Calls("LookupEvents"); n != 0 {
			t.Errorf("LookupEvents calls = %d, want none", n)
		}
		slack := e.rx.postsTo(e2eSlackPath)
		if len(slack) != 1 || strings.Contains(e2eSlackText(t, slack[0].Body), "deleted by") {
			t.Errorf("want one Slack message without a deleter line, got %d posts", len(slack))
		}
	})
	t.Run("not yet in ActionTrail", func(t *testing.T) {
		t.Parallel()
		// Deleted 5 minutes ago: ActionTrail shows the event 10 minutes after the call. A manual run
		// without SCHEDULE checks the 24 hours before now.
		var ev ramfake.Event
		e := newE2EEnvOptions(t, func(time.Time) ramfake.Options {
			at := time.Now().Add(-5 * time.Minute).UTC().Truncate(time.Second)
			ev = ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: ramfake.DefaultAccountID, Time: at, UserName: "alice",
				AccessKeyID: e2eAliceKey, By: ramfake.Deleter{Name: "ops-admin", Console: true}})
			return ramfake.Options{Users: []ramfake.User{{ID: e2eAliceID, Name: "alice", Keys: []ramfake.Key{{
				AccessKeyID: e2eAliceKey, CreateDate: at.AddDate(-1, 0, 0), RecycleDate: at, DeleteDate: at.Add(30 * 24 * time.Hour)}}}},
				Events: []ramfake.Event{ev}}
		})
		delete(e.vars, "SCHEDULE")
		e.vars["RAM_USERS"] = "alice"
		stdout, stderr, code := e.runCLI("", "-e", "{}")
		if code != 0 {
			t.Fatalf("exit status %d, want 0\n%s", code, stderr)
		}
		r := e2eDecodeResult(t, stdout)
		if len(r.Alerts) != 1 || r.Alerts[0].Event != alert.Recycled || r.Alerts[0].DeletedBy != nil {
			t.Fatalf("alerts = %+v, want alice's key recycled, without deletedBy", r.Alerts)
		}
		if n := e.ram.Calls("LookupEvents"); n != 1 {
			t.Errorf("LookupEvents calls = %d, want 1", n)
		}
		slack := e.rx.postsTo(e2eSlackPath)
		if len(slack) != 1 || !strings.Contains(e2eSlackText(t, slack[0].Body), "deleted by: not yet in ActionTrail") {
			t.Errorf("want one Slack message saying the deletion is not yet in ActionTrail, got %d posts", len(slack))
		}
	})
}

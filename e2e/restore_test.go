package e2e

// The one-click restore through the built binary, on both runtimes (restore_world_test.go): a click
// on a Restore button of the alert function's own Slack message restores the item, once, in the right
// account, with the invocation's role credentials, tells the person in the message, and audits it on
// every channel; every forged, stale or foreign click is refused with nothing touched; nobody but the
// allowed users can restore. No secret reaches an output, an answer, a reply or a post.

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/restore/restoretest"
)

// aliceAlert is a fixture alert id for buttons made by the test's signer.
const aliceAlert = "alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f"

// audits returns the audit events the generic webhook received, with their webhook-ids, in order.
func (e *restoreWorld) audits() (events []restore.AuditEvent, ids []string) {
	e.t.Helper()
	for _, p := range e.vendors.Posts("webhook") {
		var ev restore.AuditEvent
		if err := json.Unmarshal(p.Body, &ev); err != nil || ev.Type != restore.AuditType {
			e.t.Fatalf("the webhook got %s (%v), want an audit event", p.Body, err)
		}
		if p.Header.Get("webhook-signature") == "" {
			e.t.Errorf("the audit event %s is not signed", p.Header.Get("webhook-id"))
		}
		events = append(events, ev)
		ids = append(ids, p.Header.Get("webhook-id"))
	}
	return events, ids
}

// outcomes are the outcomes of events.
func outcomes(events []restore.AuditEvent) []restore.Outcome {
	var out []restore.Outcome
	for _, ev := range events {
		out = append(out, ev.Data.Outcome)
	}
	return out
}

// TestRestoreClick: the alert function posts its Slack message with a Restore button under each alert;
// a click by an allowed person on alice's key restores it (one restore call, signed with the
// invocation's role credentials), replaces that button, and only that one, with "restored by" in the
// message, answers Slack 200, and posts the audit event to the webhook and the Slack channel.
func TestRestoreClick(t *testing.T) {
	throughDoors(t, func(t *testing.T, d door, e *restoreWorld) {
		blocks, buttons := e.alertMessage()
		if len(buttons) != 5 || buttons[aliceKey] == "" || buttons[eveID] == "" {
			t.Fatalf("the alert message has buttons for %v, want one per alert (3 keys, eve and frank)", buttons)
		}
		click := d.start(e)
		e.ram.ResetStats()
		req, _ := e.slack.Request(restoretest.Click{Value: buttons[aliceKey], MessageBlocks: blocks})
		a := click(t, req)
		t.Logf("%s: click to answer %v", d.name, a.Took)

		if a.Status != http.StatusOK {
			t.Fatalf("the click was answered %d %q, want 200", a.Status, a.Body)
		}
		if n := e.ram.Calls("RestoreAccessKeyFromRecycleBin"); n != 1 {
			t.Errorf("%d RestoreAccessKeyFromRecycleBin calls, want 1", n)
		}
		if u, _ := e.ram.FindUser("", aliceID); len(u.AccessKeys) != 1 || u.AccessKeys[0].AccessKeyID != aliceKey {
			t.Errorf("alice's live keys = %+v, want %s restored", u.AccessKeys, aliceKey)
		}
		if seen := e.ram.Stats("").SeenCredentials; len(seen) != 1 || seen[0].AccessKeyID != stsKeyID || !seen[0].WithToken {
			t.Errorf("the calls were signed with %+v, want only the invocation's role credentials", seen)
		}
		replies := e.replies()
		if len(replies) != 1 || !replies[0].ReplaceOriginal {
			t.Fatalf("replies %+v, want one that updates the message", replies)
		}
		text := blocksText(replies[0].Blocks)
		if !strings.Contains(text, "AccessKey `"+aliceKey+"` restored by <@"+allowedUser+"> at <!date^") {
			t.Errorf("the updated message does not say who restored the key:\n%s", text)
		}
		if remaining := strings.Count(string(mustJSON(t, replies[0].Blocks)), `"action_id":"restore"`); remaining != 4 {
			t.Errorf("the updated message has %d Restore buttons, want the other 4", remaining)
		}
		events, ids := e.audits()
		if len(events) != 1 || events[0].Data.Outcome != restore.Restored || events[0].Data.AccessKeyID != aliceKey ||
			events[0].Data.UserName != "alice" || events[0].Data.RestoredBy.SlackUserID != allowedUser || ids[0] != events[0].WebhookID() {
			t.Errorf("audit events %+v (ids %v), want alice's key restored by %s under its webhook-id", events, ids, allowedUser)
		}
		if posts := e.vendors.Posts("slack-webhook"); len(posts) != 1 || !strings.Contains(string(posts[0].Body), "restored from Slack") ||
			!strings.Contains(string(posts[0].Body), aliceKey) {
			t.Errorf("the Slack channel got %d posts, want the audit notice of %s", len(posts), aliceKey)
		}
	})
}

// TestRestoreRefused: a click that fails a check of who may restore what is answered 401, on either
// runtime, and touches nothing: no API call, no reply, no audit post.
func TestRestoreRefused(t *testing.T) {
	throughDoors(t, func(t *testing.T, d door, e *restoreWorld) {
		click := d.start(e)
		key := e.aliceButton()
		forger, _ := restore.NewSigner("a-forger-restore-token-secret-0123456789")
		forged, _ := forger.Sign(restore.Target{AccountID: accountID, UserID: aliceID, AccessKeyID: aliceKey, AlertID: aliceAlert})
		tests := []struct {
			name string
			req  func() restore.Request
		}{
			{"a forged signature", func() restore.Request {
				req, _ := e.slack.Request(restoretest.Click{Value: key})
				req.Header.Set(restore.HeaderSignature, restore.SlackSignature("not-the-signing-secret-0000", req.Header.Get(restore.HeaderTimestamp), req.Body))
				return req
			}},
			{"no signature", func() restore.Request {
				req, _ := e.slack.Request(restoretest.Click{Value: key})
				req.Header.Del(restore.HeaderSignature)
				return req
			}},
			{"an old timestamp", func() restore.Request {
				req, _ := e.slack.Request(restoretest.Click{Value: key})
				req.Header = e.slack.Headers(req.Body, time.Now().Add(-6*time.Minute))
				return req
			}},
			{"another workspace", func() restore.Request {
				req, _ := e.slack.Request(restoretest.Click{Value: key, TeamID: "T0OTHER001"})
				return req
			}},
			{"another app", func() restore.Request {
				req, _ := e.slack.Request(restoretest.Click{Value: key, AppID: "A0OTHER001"})
				return req
			}},
			{"a button not signed with RESTORE_TOKEN_SECRET", func() restore.Request {
				req, _ := e.slack.Request(restoretest.Click{Value: forged})
				return req
			}},
			{"an account the function does not serve", func() restore.Request {
				req, _ := e.slack.Request(restoretest.Click{Value: e.button(restore.Target{AccountID: "9999999999999999",
					UserID: aliceID, AccessKeyID: aliceKey, AlertID: aliceAlert})})
				return req
			}},
		}
		for _, tt := range tests {
			if a := click(t, tt.req()); a.Status != http.StatusUnauthorized || a.Body != "Unauthorized" {
				t.Errorf("%s: answered %d %q, want 401 Unauthorized", tt.name, a.Status, a.Body)
			}
		}
		if n, r, p := e.ram.TotalCalls(), len(e.slack.Posts()), e.vendors.Hits(); n != 0 || r != 0 || p != 0 {
			t.Errorf("%d API calls, %d replies, %d posts; want none", n, r, p)
		}
	})
}

// TestRestoreReplay: a recorded click sent again (within Slack's five minutes) re-checks the bin and
// answers "already restored" without a second restore; both audit events carry the same webhook-id, so
// that a receiver can drop the second.
func TestRestoreReplay(t *testing.T) {
	throughDoors(t, func(t *testing.T, d door, e *restoreWorld) {
		click := d.start(e)
		req, _ := e.slack.Request(restoretest.Click{Value: e.aliceButton()})
		for i := range 2 {
			if a := click(t, req); a.Status != http.StatusOK {
				t.Fatalf("click %d answered %d, want 200", i+1, a.Status)
			}
		}
		if n := e.ram.Calls("RestoreAccessKeyFromRecycleBin"); n != 1 {
			t.Errorf("%d restore calls, want 1", n)
		}
		replies := e.replies()
		if len(replies) != 2 || !strings.Contains(blocksText(replies[1].Blocks), "is already restored: nothing was done") {
			t.Errorf("replies %+v, want the second to say already restored", replies)
		}
		events, ids := e.audits()
		if got := outcomes(events); len(got) != 2 || got[0] != restore.Restored || got[1] != restore.AlreadyRestored || ids[0] != ids[1] {
			t.Errorf("audit outcomes %v with ids %v, want restored then already-restored under one webhook-id", got, ids)
		}
	})
}

// TestRestoreDoubleClick: two clicks on one button at once (two people, or one twice) make one restore
// call; one is told "restored", the other "already restored".
func TestRestoreDoubleClick(t *testing.T) {
	throughDoors(t, func(t *testing.T, d door, e *restoreWorld) {
		click := d.start(e)
		value := e.aliceButton()
		var wg sync.WaitGroup
		for range 2 {
			req, _ := e.slack.Request(restoretest.Click{Value: value})
			wg.Go(func() {
				if a := click(t, req); a.Status != http.StatusOK {
					t.Errorf("a click answered %d, want 200", a.Status)
				}
			})
		}
		wg.Wait()
		if n := e.ram.Calls("RestoreAccessKeyFromRecycleBin"); n != 1 {
			t.Errorf("%d restore calls, want 1", n)
		}
		var restored, already int
		for _, r := range e.replies() {
			text := blocksText(r.Blocks)
			restored += strings.Count(text, "restored by <@")
			already += strings.Count(text, "is already restored")
		}
		if restored != 1 || already != 1 {
			t.Errorf("replies say restored %d times and already restored %d times, want 1 and 1: %+v", restored, already, e.replies())
		}
	})
}

// TestRestoreNotAllowed: a signed click by a Slack user not in RESTORE_ALLOWED_USERS gets an ephemeral
// "not allowed", calls no API, and is audited once a minute at most.
func TestRestoreNotAllowed(t *testing.T) {
	throughDoors(t, func(t *testing.T, d door, e *restoreWorld) {
		click := d.start(e)
		value := e.aliceButton()
		for range 2 {
			req, _ := e.slack.Request(restoretest.Click{Value: value, UserID: stranger, UserName: "mallory"})
			if a := click(t, req); a.Status != http.StatusOK {
				t.Fatalf("answered %d, want 200 (the refusal is told through response_url)", a.Status)
			}
		}
		if n := e.ram.TotalCalls(); n != 0 {
			t.Errorf("%d API calls, want none", n)
		}
		for _, r := range e.replies() {
			if r.ResponseType != "ephemeral" || r.ReplaceOriginal || !strings.Contains(r.Text, "You are not allowed to restore") || !strings.Contains(r.Text, stranger) {
				t.Errorf("reply %+v, want an ephemeral not-allowed naming %s", r, stranger)
			}
		}
		events, _ := e.audits()
		if got := outcomes(events); len(got) != 1 || got[0] != restore.NotAllowed || events[0].Data.RestoredBy.SlackUserID != stranger {
			t.Errorf("audit outcomes %v, want one not-allowed by %s (at most one a minute)", got, stranger)
		}
		if posts := e.vendors.Posts("slack-webhook"); len(posts) != 1 || !strings.Contains(string(posts[0].Body), "restore refused") {
			t.Errorf("the Slack channel got %d posts, want the refusal's notice", len(posts))
		}
	})
}

// TestRestorePurged: a key no longer in the bin, and not live either, is said to be purged; nothing is
// restored.
func TestRestorePurged(t *testing.T) {
	throughDoors(t, func(t *testing.T, d door, e *restoreWorld) {
		if !e.ram.Purge("", aliceKey) {
			t.Fatal("the emulator could not purge alice's key")
		}
		click := d.start(e)
		req, _ := e.slack.Request(restoretest.Click{Value: e.aliceButton()})
		if a := click(t, req); a.Status != http.StatusOK {
			t.Fatalf("answered %d, want 200", a.Status)
		}
		if n := e.ram.Calls("RestoreAccessKeyFromRecycleBin"); n != 0 {
			t.Errorf("%d restore calls, want none", n)
		}
		if r := e.replies(); len(r) != 1 || !strings.Contains(blocksText(r[0].Blocks), "was purged and cannot be restored") {
			t.Errorf("replies %+v, want one saying the key was purged", r)
		}
		if events, _ := e.audits(); len(events) != 1 || events[0].Data.Outcome != restore.Purged {
			t.Errorf("audit outcomes %v, want purged", outcomes(events))
		}
	})
}

// TestRestoreUser: the button of a deleted user's alert restores the user (RestoreUserFromRecycleBin),
// whose keys stay in the AccessKey bin, and the message says so.
func TestRestoreUser(t *testing.T) {
	throughDoors(t, func(t *testing.T, d door, e *restoreWorld) {
		blocks, buttons := e.alertMessage()
		click := d.start(e)
		req, _ := e.slack.Request(restoretest.Click{Value: buttons[eveID], MessageBlocks: blocks})
		if a := click(t, req); a.Status != http.StatusOK {
			t.Fatalf("answered %d, want 200", a.Status)
		}
		if n, m := e.ram.Calls("RestoreUserFromRecycleBin"), e.ram.Calls("RestoreAccessKeyFromRecycleBin"); n != 1 || m != 0 {
			t.Errorf("%d user restores, %d key restores; want 1, 0", n, m)
		}
		u, ok := e.ram.FindUser("", eveID)
		if !ok || len(u.Keys) != 2 {
			t.Errorf("eve live %v with %d keys in the bin, want live with 2", ok, len(u.Keys))
		}
		r := e.replies()
		if len(r) != 1 || !strings.Contains(blocksText(r[0].Blocks), "RAM user `eve` restored by <@"+allowedUser+">") ||
			!strings.Contains(blocksText(r[0].Blocks), "Its AccessKeys may still be in the AccessKey recycle bin") {
			t.Errorf("replies %+v, want eve restored, its keys to check", r)
		}
		if events, _ := e.audits(); len(events) != 1 || events[0].Data.AccessKeyID != "" || events[0].Data.UserID != eveID || events[0].Data.Outcome != restore.Restored {
			t.Errorf("audit events %+v, want eve restored", events)
		}
	})
}

// TestRestoreOff: without SLACK_SIGNING_SECRET the binary is the alert function only: an HTTP event or
// POST /slack/actions is answered 404, and nothing is called or posted.
func TestRestoreOff(t *testing.T) {
	throughDoors(t, func(t *testing.T, d door, e *restoreWorld) {
		for _, name := range []string{"SLACK_SIGNING_SECRET", "SLACK_TEAM_ID", "SLACK_APP_ID", "RESTORE_ALLOWED_USERS"} {
			delete(e.vars, name)
		}
		click := d.start(e)
		req, _ := e.slack.Request(restoretest.Click{Value: e.aliceButton()})
		if a := click(t, req); a.Status != http.StatusNotFound {
			t.Errorf("answered %d %q, want 404", a.Status, a.Body)
		}
		if n, r, p := e.ram.TotalCalls(), len(e.slack.Posts()), e.vendors.Hits(); n != 0 || r != 0 || p != 0 {
			t.Errorf("%d API calls, %d replies, %d posts; want none", n, r, p)
		}
	})
}

// TestRestoreFunctionChecks: the binary configured as the restore function still runs a timer event as
// before when it has RAM_USERS and channels; a restore-only configuration (no RAM_USERS, no channel)
// restores, and fails a timer event with a message that says why.
func TestRestoreFunctionChecks(t *testing.T) {
	t.Parallel()
	t.Run("restore and checks", func(t *testing.T) {
		t.Parallel()
		e := newRestoreWorld(t)
		rt, _ := e.startGo1()
		r := resultOf(t, invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), AccountID: accountID}))
		if r.UsersChecked != 4 || len(r.Alerts) != 3 || len(r.Deliveries) != 2 || !r.Deliveries[0].OK || !r.Deliveries[1].OK {
			t.Errorf("timer run: %d users, %d alerts, deliveries %+v; want 4, 3, both ok", r.UsersChecked, len(r.Alerts), r.Deliveries)
		}
	})
	t.Run("restore and checks on the custom runtime", func(t *testing.T) {
		// Its anonymous HTTP trigger passes every path through: /invoke must run no check for anyone.
		t.Parallel()
		e := newRestoreWorld(t)
		base, _ := e.startServe()
		resp, err := http.Post(base+"/invoke", "application/json", strings.NewReader(`{"mode":"digest"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("x-fc-status") != "404" || !strings.Contains(string(b), "which runs no check") {
			t.Errorf("POST /invoke = %d (x-fc-status %q) %s; want 404 saying the restore function runs no check", resp.StatusCode, resp.Header.Get("x-fc-status"), b)
		}
		if n := e.ram.TotalCalls(); n != 0 {
			t.Errorf("%d API calls, want none", n)
		}
	})
	t.Run("restore only", func(t *testing.T) {
		t.Parallel()
		e := newRestoreWorld(t)
		for _, name := range []string{"RAM_USERS", "SCHEDULE", "SLACK_WEBHOOK_URL", "WEBHOOK_URL", "WEBHOOK_SECRET"} {
			delete(e.vars, name)
		}
		rt, _ := e.startGo1()
		msg := errorOf(t, invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), AccountID: accountID})).ErrorMessage
		if !strings.Contains(msg, "this is a restore function (SLACK_SIGNING_SECRET is set), which runs no check") || !strings.Contains(msg, "RAM_USERS: required") {
			t.Errorf("timer event on a restore-only function: %q, want it to say why no check runs", msg)
		}
		req, _ := e.slack.Request(restoretest.Click{Value: e.aliceButton()})
		resp := invoke(t, rt, fcfake.Request{Body: restoretest.Event(req, true), AccountID: accountID, Credentials: roleCreds, Timeout: restoreWait})
		var h restore.HTTPResponse
		if err := json.Unmarshal(resp.Body, &h); err != nil || h.StatusCode != http.StatusOK {
			t.Errorf("a click on a restore-only function: %s (%v), want 200", resp.Body, err)
		}
		if n := e.ram.Calls("RestoreAccessKeyFromRecycleBin"); n != 1 {
			t.Errorf("%d restore calls, want 1", n)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// throughDoors runs test in parallel through each runtime (doors), each in a world of its own.
func throughDoors(t *testing.T, test func(t *testing.T, d door, e *restoreWorld)) {
	t.Parallel()
	for _, d := range doors {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			test(t, d, newRestoreWorld(t))
		})
	}
}

package e2e

// The one-click restore in member accounts of a Resource Directory, through the built binary on both
// runtimes: a click on a member's alert restores in that member with a session of its restorer role,
// and nothing in the function's own account; a member without the role is told, and nothing is
// restored; an account the function does not serve is refused 401 with nothing called in it. No
// credential AssumeRole minted reaches a log line, an answer, a reply or a post.

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/restore/restoretest"
)

// The restorer side of the fixture directory: the restore function's role in the management account,
// the role it assumes in members, and the members' users with a key in the bin.
const (
	restoreFnRole = "ak-recycle-alert-restore"
	restorerRole  = "ak-recycle-alert-restorer"

	danID   = "3073290024939201"
	stanID  = "4073290024939201"
	stanKey = "LTAI5tE2eStagingStan01" // in staging, which has no restorer role
	samID   = "5073290024939201"
	samKey  = "LTAI5tE2eSandboxSam001" // in sandbox, which has not joined
)

// newRestoreWorldAccounts is newRestoreWorld over a Resource Directory, with ACCOUNTS=accounts: the
// fixture users in the management account (the function's own); dan with a key in the bin in dev,
// whose reader role trusts the management account and whose restorer role trusts the restore
// function's role; stan likewise in staging, which has the reader role and no restorer role; sam in
// sandbox, which has not joined (both its roles trust the management account, so only the directory's
// status keeps the function out). The role credentials of the invocations (stsKeyID) are the restore
// function's role's; the alert function runs on the command line with the operator's key.
func newRestoreWorldAccounts(t *testing.T, accounts string) *restoreWorld {
	t.Helper()
	e := newRestoreWorld(t)
	cur := e.cur
	root := []string{"acs:ram::" + accountID + ":root"}
	ram := ramfake.New(ramfake.Options{
		AccountID: accountID, AccountName: "management",
		Users: fixtureUsers(cur),
		Credentials: map[string]ramfake.Credential{
			envKeyID: {Secret: envSecret, User: "e2e-operator"},
			stsKeyID: {Secret: stsSecret, Token: stsToken, Role: restoreFnRole},
		},
		Accounts: []ramfake.Account{
			{ID: devID, DisplayName: "dev", Status: "CreateSuccess",
				Users: []ramfake.User{{ID: danID, Name: "dan", Keys: []ramfake.Key{binKey(danKey, cur, -2*time.Hour, 30*24*time.Hour-2*time.Hour)}}},
				Roles: []ramfake.Role{{Name: reader, Trusted: root},
					{Name: restorerRole, Trusted: []string{"acs:ram::" + accountID + ":role/" + restoreFnRole}}}},
			{ID: stagingID, DisplayName: "staging", Status: "InviteSuccess",
				Users: []ramfake.User{{ID: stanID, Name: "stan", Keys: []ramfake.Key{binKey(stanKey, cur, -3*time.Hour, 30*24*time.Hour-3*time.Hour)}}},
				Roles: []ramfake.Role{{Name: reader, Trusted: root}}},
			{ID: sandboxID, DisplayName: "sandbox", Status: "CreateVerifying",
				Users: []ramfake.User{{ID: samID, Name: "sam", Keys: []ramfake.Key{binKey(samKey, cur, -time.Hour, 30*24*time.Hour-time.Hour)}}},
				Roles: []ramfake.Role{{Name: reader, Trusted: root}, {Name: restorerRole, Trusted: root}}},
		},
	})
	t.Cleanup(ram.Close)
	e.ram = ram
	e.vars["ACCOUNTS"] = accounts
	for _, name := range []string{"RAM_ENDPOINT", "IMS_ENDPOINT", "STS_ENDPOINT", "RESOURCEMANAGER_ENDPOINT", "ACTIONTRAIL_ENDPOINT"} {
		e.vars[name] = ram.URL()
	}
	return e
}

// checkNoMinted fails when a log line of the restore function, an answer, a reply to a response_url or
// a post to a channel holds the secret or the token of any credentials AssumeRole minted.
func (e *restoreWorld) checkNoMinted(t *testing.T, answers ...answer) {
	t.Helper()
	outputs := map[string][]byte{"the restore function's stdout": e.proc.stdout.Bytes(), "the restore function's stderr": e.proc.stderr.Bytes()}
	for i, a := range answers {
		outputs[fmt.Sprintf("answer %d", i+1)] = []byte(a.Body)
	}
	for _, p := range e.slack.Posts() {
		outputs["a reply to a response_url"] = append(outputs["a reply to a response_url"], p.Raw...)
	}
	for _, p := range e.vendors.Requests() {
		outputs["a post to "+p.Channel()] = append(outputs["a post to "+p.Channel()], p.Body...)
	}
	for _, c := range e.ram.IssuedCredentials() {
		for where, out := range outputs {
			if bytes.Contains(out, []byte(c.Secret)) || bytes.Contains(out, []byte(c.Token)) {
				t.Errorf("%s holds the secret or the token AssumeRole minted for %s in %s", where, c.Role, c.AccountID)
			}
		}
	}
}

// TestRestoreMemberClick: with ACCOUNTS=*, the alert function's message carries a button under dan's
// key in dev that names dev; a click on it restores the key in dev, once, with the credentials of a
// session of the restorer role there (assumed with the invocation's role credentials, named after the
// request), and calls nothing in the management account but ListAccounts and AssumeRole; the message
// says who restored it, the audit event names dev, and no minted credential appears anywhere.
func TestRestoreMemberClick(t *testing.T) {
	t.Parallel()
	for _, d := range doors {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			e := newRestoreWorldAccounts(t, "*")
			blocks, buttons := e.alertMessage()
			if buttons[danKey] == "" || buttons[stanKey] == "" || buttons[aliceKey] == "" || buttons[samKey] != "" {
				t.Fatalf("the alert message has buttons for %v, want dan's (dev), stan's (staging) and alice's, none for sandbox", buttons)
			}
			if tg, _ := e.signer.Verify(buttons[danKey]); tg.AccountID != devID || tg.UserID != danID {
				t.Fatalf("dan's button restores %+v, want dan in dev", tg)
			}
			click := d.start(e)
			e.ram.ResetStats()
			minted := len(e.ram.IssuedCredentials())
			req, _ := e.slack.Request(restoretest.Click{Value: buttons[danKey], MessageBlocks: blocks})
			a := click(t, req)
			if a.Status != http.StatusOK {
				t.Fatalf("the click was answered %d %q, want 200", a.Status, a.Body)
			}

			if u, _ := e.ram.FindUser(devID, danID); len(u.AccessKeys) != 1 || u.AccessKeys[0].AccessKeyID != danKey {
				t.Errorf("dan's live keys in dev = %+v, want %s restored", u.AccessKeys, danKey)
			}
			issued := e.ram.IssuedCredentials()[minted:]
			if len(issued) != 1 || issued[0].AccountID != devID || issued[0].Role != restorerRole || !strings.HasPrefix(issued[0].Session, "ak-recycle-alert-") {
				t.Fatalf("sessions minted for the click: %+v, want one of %s in dev, named after the request", issued, restorerRole)
			}
			dev := e.ram.Stats(devID)
			if len(dev.SeenCredentials) != 1 || dev.SeenCredentials[0].AccessKeyID != issued[0].AccessKeyID || !dev.SeenCredentials[0].WithToken {
				t.Errorf("dev's calls were signed with %+v, want only the session's %s with its token", dev.SeenCredentials, issued[0].AccessKeyID)
			}
			if dev.Calls["GetAccessKeyInfoInRecycleBin"] != 1 || dev.Calls["RestoreAccessKeyFromRecycleBin"] != 1 {
				t.Errorf("dev's calls = %v, want the bin's check and one restore", dev.Calls)
			}
			home := e.ram.Stats(accountID)
			if want := map[string]int{"ListAccounts": 1, "AssumeRole": 1}; !maps.Equal(home.Calls, want) {
				t.Errorf("the management account served %v, want %v: nothing of its own touched", home.Calls, want)
			}
			if len(home.SeenCredentials) != 1 || home.SeenCredentials[0].AccessKeyID != stsKeyID {
				t.Errorf("the management account's calls were signed with %+v, want the invocation's role credentials", home.SeenCredentials)
			}
			if u, _ := e.ram.FindUser("", aliceID); len(u.AccessKeys) != 0 {
				t.Errorf("alice's live keys in the management account = %+v, want none: nothing restored there", u.AccessKeys)
			}

			replies := e.replies()
			if len(replies) != 1 || !replies[0].ReplaceOriginal || !strings.Contains(blocksText(replies[0].Blocks), "AccessKey `"+danKey+"` restored by <@"+allowedUser+">") {
				t.Errorf("replies %+v, want the message updated: dan's key restored", replies)
			}
			events, _ := e.audits()
			if len(events) != 1 || events[0].Data.AccountID != devID || events[0].Data.AccountName != "dev" ||
				events[0].Data.Outcome != restore.Restored || events[0].Data.UserName != "dan" {
				t.Errorf("audit events %+v, want dan's key restored in dev (named)", events)
			}
			if logs := string(e.proc.stdout.Bytes()) + string(e.proc.stderr.Bytes()); !strings.Contains(logs, `"accountId":"`+devID+`"`) {
				t.Errorf("the restore function's log does not name dev:\n%s", logs)
			}
			e.checkNoMinted(t, a)
		})
	}
}

// TestRestoreMemberWithoutRole: a click on stan's key in staging, which has no restorer role, is
// answered 200 with a note to the clicker naming the role, the account and Alibaba Cloud's answer; the
// log line names them too; nothing is restored, nothing called in staging, nothing audited, no secret
// anywhere.
func TestRestoreMemberWithoutRole(t *testing.T) {
	t.Parallel()
	for _, d := range doors {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			e := newRestoreWorldAccounts(t, "*")
			blocks, buttons := e.alertMessage()
			click := d.start(e)
			e.ram.ResetStats()
			req, _ := e.slack.Request(restoretest.Click{Value: buttons[stanKey], MessageBlocks: blocks})
			a := click(t, req)
			if a.Status != http.StatusOK {
				t.Fatalf("the click was answered %d %q, want 200 (the person is told through response_url)", a.Status, a.Body)
			}
			replies := e.replies()
			if len(replies) != 1 || replies[0].ResponseType != "ephemeral" {
				t.Fatalf("replies %+v, want one note to the clicker", replies)
			}
			for _, want := range []string{"could not assume the role `" + restorerRole + "` in account " + stagingID, "EntityNotExist.Role", "create it there"} {
				if !strings.Contains(replies[0].Text, want) {
					t.Errorf("the note %q lacks %q", replies[0].Text, want)
				}
			}
			if u, _ := e.ram.FindUser(stagingID, stanID); len(u.AccessKeys) != 0 {
				t.Errorf("stan's live keys = %+v, want none restored", u.AccessKeys)
			}
			if n := e.ram.Stats(stagingID).Total; n != 0 {
				t.Errorf("staging served %d calls, want none", n)
			}
			if events, _ := e.audits(); len(events) != 0 {
				t.Errorf("audit events %+v, want none", events)
			}
			if logs := string(e.proc.stdout.Bytes()) + string(e.proc.stderr.Bytes()); !strings.Contains(logs, "assuming the role "+restorerRole+" in account "+stagingID) {
				t.Errorf("the restore function's log does not name the role and the account:\n%s", logs)
			}
			e.checkNoMinted(t, a)
		})
	}
}

// TestRestoreMemberRefused: a signed button naming an account the function does not serve is answered
// 401, with no call in that account, no role assumed, no reply and no post: with ACCOUNTS=*, a member
// that has not joined (whose roles would let the function in) and an account outside the directory;
// with a list, a member it does not hold (no API call at all).
func TestRestoreMemberRefused(t *testing.T) {
	t.Parallel()
	for _, d := range doors {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name, accounts, account, userID, key string
				listing                              bool
			}{
				{"* and a member that has not joined", "*", sandboxID, samID, samKey, true},
				{"* and an account outside the directory", "*", "9999999999999999", samID, samKey, true},
				{"a list without the member", accountID + "," + devID, stagingID, stanID, stanKey, false},
			} {
				e := newRestoreWorldAccounts(t, tc.accounts)
				click := d.start(e)
				value := e.button(restore.Target{AccountID: tc.account, UserID: tc.userID, AccessKeyID: tc.key, AlertID: aliceAlert})
				req, _ := e.slack.Request(restoretest.Click{Value: value})
				if a := click(t, req); a.Status != http.StatusUnauthorized || a.Body != "Unauthorized" {
					t.Errorf("%s: answered %d %q, want 401 Unauthorized", tc.name, a.Status, a.Body)
				}
				want := map[string]int{}
				if tc.listing {
					want["ListAccounts"] = 1
				}
				if got := e.ram.Stats(accountID).Calls; !maps.Equal(got, want) || e.ram.Stats(tc.account).Total != 0 {
					t.Errorf("%s: the management account served %v, %s served %d calls; want %v and none", tc.name, got, tc.account, e.ram.Stats(tc.account).Total, want)
				}
				if r, p := len(e.slack.Posts()), e.vendors.Hits(); r != 0 || p != 0 {
					t.Errorf("%s: %d replies, %d posts; want none", tc.name, r, p)
				}
				if u, _ := e.ram.FindUser(tc.account, tc.userID); len(u.AccessKeys) != 0 {
					t.Errorf("%s: %s restored", tc.name, tc.key)
				}
			}
		})
	}
}

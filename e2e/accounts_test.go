package e2e

// Many accounts through the built binary: ACCOUNTS=* over a Resource Directory of the emulator, on the
// go1 runtime with the role's credentials, and the event's accounts override on the command line.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
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

// The members of the fixture's Resource Directory: dev can be read (its reader role trusts the
// function's role); staging has joined but has no reader role; sandbox has not joined.
const (
	devID     = "1000000000000001"
	stagingID = "1000000000000002"
	sandboxID = "1000000000000003"
	fnRole    = "ak-recycle-alert"
	reader    = "ak-recycle-alert-reader"

	danKey  = "LTAI5tE2eDevDanRecycle1" // recycled 2 h before cur: a recycled alert in dev
	erinKey = "LTAI5tE2eDevErinEchoes1" // erin's bin read answers with the member's own credentials
	erinID  = "3073290024939202"
)

// newWorldAccounts is newWorld with a Resource Directory: the fixture users in the management account
// (the function's own), dan and erin in dev (dan's key deleted by dev-admin, as dev's ActionTrail
// says), nobody in staging and sandbox; ACCOUNTS=*. The role's
// credentials (stsKeyID) belong to the function's role, which dev's reader role trusts. Reading erin's
// bin answers an error that repeats the member's credentials, in full.
func newWorldAccounts(t *testing.T) *world {
	t.Helper()
	e := newWorld(t)
	cur := e.cur
	ram := ramfake.New(ramfake.Options{
		AccountID: accountID, AccountName: "management",
		Users: fixtureUsers(cur),
		Credentials: map[string]ramfake.Credential{
			envKeyID: {Secret: envSecret, User: "e2e-operator"},
			stsKeyID: {Secret: stsSecret, Token: stsToken, Role: fnRole},
		},
		Accounts: []ramfake.Account{
			{ID: devID, DisplayName: "dev", Status: "CreateSuccess",
				Users: []ramfake.User{
					{ID: "3073290024939201", Name: "dan", Keys: []ramfake.Key{binKey(danKey, cur, -2*time.Hour, 30*24*time.Hour-2*time.Hour)}},
					{ID: erinID, Name: "erin", Keys: []ramfake.Key{binKey(erinKey, cur, -10*24*time.Hour, 20*24*time.Hour)}},
				},
				Roles: []ramfake.Role{{Name: reader, Trusted: []string{"acs:ram::" + accountID + ":role/" + fnRole}}},
				Events: []ramfake.Event{ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: devID, Time: cur.Add(-2 * time.Hour),
					By: ramfake.Deleter{Name: "dev-admin", SourceIP: "203.0.113.9", Console: true}, UserName: "dan",
					UserPrincipalName: "dan@" + devID + ".onaliyun.com", UserID: "3073290024939201", AccessKeyID: danKey})}},
			{ID: stagingID, DisplayName: "staging", Status: "InviteSuccess", Type: "CloudAccount", JoinMethod: "invited"},
			{ID: sandboxID, DisplayName: "sandbox", Status: "CreateVerifying",
				Roles: []ramfake.Role{{Name: reader, Trusted: []string{"acs:ram::" + accountID + ":root"}}}},
		},
	})
	t.Cleanup(ram.Close)
	ram.SetFault("ListAccessKeysInRecycleBin", erinID, ramfake.EchoCredentials)
	e.ram = ram
	e.vars["RAM_USERS"] = "*"
	e.vars["ACCOUNTS"] = "*"
	maps.Copy(e.vars, ram.EndpointEnv())
	return e
}

// checkNoIssuedCredentials fails when any output holds the secret or the token of credentials that
// AssumeRole minted.
func checkNoIssuedCredentials(t *testing.T, e *world, outputs map[string][]byte) {
	t.Helper()
	for _, p := range e.vendors.Requests() {
		outputs["a post to "+p.Channel()] = p.Body
	}
	issued := e.ram.IssuedCredentials()
	if len(issued) == 0 {
		t.Fatal("AssumeRole minted no credentials")
	}
	for _, c := range issued {
		for where, out := range outputs {
			if bytes.Contains(out, []byte(c.Secret)) || bytes.Contains(out, []byte(c.Token)) {
				t.Errorf("%s holds the secret or the token AssumeRole minted for %s", where, c.AccountID)
			}
		}
	}
}

// TestAccountsDirectory: ACCOUNTS=* on the go1 runtime reads the function's own account with the role's
// credentials and every joined member through AssumeRole; a member without the reader role is that
// account's error and the run succeeds; every alert carries its account, the webhook's data.accounts
// lists the accounts, Slack groups the alerts under a heading per account, and no credential AssumeRole
// minted appears anywhere, also when a member's answer repeats it.
func TestAccountsDirectory(t *testing.T) {
	t.Parallel()
	e := newWorldAccounts(t)
	rt, p := e.startGo1()
	creds := fcruntime.Credentials{AccessKeyID: stsKeyID, AccessKeySecret: stsSecret, SecurityToken: stsToken}
	resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), RequestID: "e2e-accounts-1", AccountID: accountID, Credentials: creds})
	r := resultOf(t, resp)

	var got []string
	for _, a := range r.Alerts {
		got = append(got, fmt.Sprintf("%s %s %s %s", a.AccountID, a.AccountName, a.Event, a.AccessKeyID))
	}
	want := []string{
		accountID + " e2e expiring " + carolExpiring,
		accountID + " e2e expiring " + bobKey,
		accountID + " e2e recycled " + aliceKey,
		devID + " dev recycled " + danKey,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	// Who deleted dan's key is in dev's own ActionTrail, looked up with dev's session.
	if dan := r.Alerts[len(r.Alerts)-1]; dan.DeletedBy == nil || dan.DeletedBy.PrincipalName != "dev-admin" {
		t.Errorf("dan's alert: deletedBy %+v, want dev-admin, from dev's ActionTrail", dan.DeletedBy)
	}
	var errs []string
	for _, er := range r.Errors {
		errs = append(errs, er.Account+" "+er.User+" "+er.Code)
		if er.Account == stagingID && !strings.Contains(er.Message, "create it") {
			t.Errorf("staging's error %q does not say what to do", er.Message)
		}
		if er.User == "erin" && strings.Count(er.Message, "[redacted]") != 2 {
			t.Errorf("erin's error %q, want the member's secret and token it repeated redacted", er.Message)
		}
	}
	if diff := cmp.Diff([]string{devID + " erin InvalidParameter", stagingID + " * EntityNotExist.Role"}, errs); diff != "" {
		t.Errorf("result errors (-want +got):\n%s", diff)
	}
	wantAccounts := []alert.AccountSummary{{AccountID: accountID, AccountName: "e2e", UsersChecked: 4},
		{AccountID: devID, AccountName: "dev", UsersChecked: 1}, {AccountID: stagingID, AccountName: "staging"}}
	if diff := cmp.Diff(wantAccounts, r.Accounts); diff != "" {
		t.Errorf("result accounts (-want +got):\n%s", diff)
	}

	// The emulator: AssumeRole for each joined member only, made with the role's credentials; dev read
	// with its session's, security token and all; sandbox untouched.
	home := e.ram.Stats(accountID)
	if home.Calls["AssumeRole"] != 2 || home.Calls["ListAccounts"] != 1 {
		t.Errorf("management account calls = %v, want 2 AssumeRole (dev, staging) and 1 ListAccounts", home.Calls)
	}
	dev := e.ram.Stats(devID)
	if len(dev.SeenCredentials) != 1 || !dev.SeenCredentials[0].WithToken || !strings.HasPrefix(dev.SeenCredentials[0].AccessKeyID, "STS.") {
		t.Errorf("dev was read with %+v, want its session's STS credentials with their token", dev.SeenCredentials)
	}
	if dev.Calls["LookupEvents"] == 0 || home.Calls["LookupEvents"] == 0 {
		t.Errorf("LookupEvents calls: dev %d, management %d; want each account's ActionTrail asked", dev.Calls["LookupEvents"], home.Calls["LookupEvents"])
	}
	if st := e.ram.Stats(sandboxID); st.Total != 0 {
		t.Errorf("sandbox, which has not joined, got %d calls", st.Total)
	}

	posts := e.vendors.Posts("webhook")
	if len(posts) != 1 {
		t.Fatalf("the webhook got %d posts, want 1", len(posts))
	}
	var body webhook.Body
	if err := json.Unmarshal(posts[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantAccounts, body.Data.Accounts); diff != "" {
		t.Errorf("webhook data.accounts (-want +got):\n%s", diff)
	}
	for _, a := range body.Data.Alerts {
		if a.AccountID == "" || a.AccountName == "" {
			t.Errorf("webhook alert %s has account %q %q", a.ID, a.AccountID, a.AccountName)
		}
	}

	slack := e.vendors.Posts("slack-webhook")
	if len(slack) != 1 {
		t.Fatalf("Slack got %d messages, want 1", len(slack))
	}
	s := string(slack[0].Body)
	own, devHeading := strings.Index(s, "*Account e2e (1234567890123456)*"), strings.Index(s, "*Account dev (1000000000000001)*")
	switch {
	case own < 0 || devHeading < 0:
		t.Errorf("the Slack message lacks a heading per account:\n%s", s)
	case !(own < strings.Index(s, carolExpiring) && strings.Index(s, aliceKey) < devHeading && devHeading < strings.Index(s, danKey)):
		t.Errorf("the Slack message does not list each account's keys under its heading, the most urgent account first:\n%s", s)
	}
	for _, w := range []string{"in 2 of 3 accounts", "staging (1000000000000002): EntityNotExist.Role: the account could not be read"} {
		if !strings.Contains(s, w) {
			t.Errorf("the Slack message lacks %q", w)
		}
	}
	checkNoIssuedCredentials(t, e, map[string][]byte{"the answer": resp.Body, "stdout": p.stdout.Bytes(), "stderr": p.stderr.Bytes()})
}

// TestAccountsOverride: the event's accounts reads the members it names, and an account the function
// does not read rejects the event (exit status 2) before any account is read; ACCOUNTS without the
// function's own account ID is rejected too.
func TestAccountsOverride(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		event    string
		vars     map[string]string
		code     int
		accounts []string
		stderr   string
	}{
		{name: "a member", event: `{"accounts":["` + devID + `"],"mode":"digest"}`, accounts: []string{devID}},
		{name: "the own account and a member", event: `{"accounts":["` + devID + `","` + accountID + `"],"mode":"digest"}`, accounts: []string{accountID, devID}},
		{name: "an unknown account", event: `{"accounts":["` + devID + `","1000000000000009"]}`, code: 2,
			stderr: "event: accounts: 1000000000000009 is not the function's own account nor a member that has joined its Resource Directory"},
		{name: "a member that has not joined", event: `{"accounts":["` + sandboxID + `"]}`, code: 2, stderr: "event: accounts: " + sandboxID + " is not"},
		{name: "the own account unknown", event: `{}`, vars: map[string]string{"FC_ACCOUNT_ID": ""}, code: 2,
			stderr: "ACCOUNTS is set but the function's own account ID is unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newWorldAccounts(t)
			// The role's credentials in the environment, as a person who assumed it runs the command.
			e.vars["ALIBABA_CLOUD_ACCESS_KEY_ID"], e.vars["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = stsKeyID, stsSecret
			e.vars["ALIBABA_CLOUD_SECURITY_TOKEN"] = stsToken
			for k, v := range tc.vars {
				e.vars[k] = v
			}
			stdout, stderr, code := e.runCLI("", "-e", tc.event)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, tail(stderr))
			}
			if tc.code != 0 {
				if !strings.Contains(string(stderr), tc.stderr) || len(stdout) != 0 {
					t.Errorf("stderr lacks %q (stdout %q):\n%s", tc.stderr, stdout, tail(stderr))
				}
				if calls := e.ram.Stats(accountID).Calls; calls["AssumeRole"] != 0 || calls["ListUsers"] != 0 {
					t.Errorf("a rejected event made calls %v", calls)
				}
				return
			}
			r := decodeResult(t, stdout)
			var got []string
			for _, a := range r.Accounts {
				got = append(got, a.AccountID)
			}
			if diff := cmp.Diff(tc.accounts, got); diff != "" {
				t.Errorf("accounts read (-want +got):\n%s", diff)
			}
			ownRead := e.ram.Stats(accountID).Calls["ListUsers"] > 0
			if want := len(tc.accounts) == 2; ownRead != want {
				t.Errorf("the own account read: %v, want %v", ownRead, want)
			}
			checkNoIssuedCredentials(t, e, map[string][]byte{"stdout": stdout, "stderr": stderr})
		})
	}
}

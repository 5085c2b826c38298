package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
)

const (
	ownID     = "1234567890123456"
	devID     = "1000000000000001"
	stagingID = "1000000000000002"
	pendingID = "1000000000000003"
)

// memberCreds are the credentials the fake directory mints for a member.
func memberCreds(account string) *alibaba.Credentials {
	return &alibaba.Credentials{AccessKeyID: "STS." + account, AccessKeySecret: "member-secret-" + account, SecurityToken: "member-token-" + account}
}

// fakeDirectory lists accounts and mints credentials, recording what it was asked.
type fakeDirectory struct {
	dir       alibaba.Directory
	listErr   error
	assumeErr map[string]error // by account

	mu      sync.Mutex
	assumed []string // "account role session"
	lists   int
	callers []*alibaba.Credentials
}

func (d *fakeDirectory) ListAccounts(_ context.Context, creds *alibaba.Credentials) (*alibaba.Directory, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lists++
	d.callers = append(d.callers, creds)
	if d.listErr != nil {
		return nil, d.listErr
	}
	dir := d.dir
	return &dir, nil
}

func (d *fakeDirectory) AssumeRole(_ context.Context, creds *alibaba.Credentials, account, role, session string) (*alibaba.Credentials, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.assumed = append(d.assumed, account+" "+role+" "+session)
	d.callers = append(d.callers, creds)
	if err := d.assumeErr[account]; err != nil {
		return nil, err
	}
	return memberCreds(account), nil
}

// listed is how many times the directory was listed.
func (d *fakeDirectory) listed() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lists
}

// directory is the fake Resource Directory: the management account (the function's own), dev and
// staging (joined), pending (not joined).
func directory() *fakeDirectory {
	return &fakeDirectory{dir: alibaba.Directory{Accounts: []alibaba.Account{
		{ID: ownID, Name: "management", Status: "CreateSuccess"},
		{ID: devID, Name: "dev", Status: "CreateSuccess"},
		{ID: stagingID, Name: "staging", Status: "InviteSuccess"},
		{ID: pendingID, Name: "pending", Status: "CreateVerifying"},
	}}}
}

// accountsReader reads each account's scan, found by the credentials it is given: the invocation's
// for the own account, the fake directory's for a member.
type accountsReader struct {
	scans map[string]alibaba.Scan // by AccessKey ID
	err   map[string]error

	mu       sync.Mutex
	read     []string // AccessKey IDs, in the order read
	inflight int
	peak     int
	delay    time.Duration
}

func (r *accountsReader) Read(_ context.Context, creds *alibaba.Credentials, entries []string) (*alibaba.Scan, error) {
	r.mu.Lock()
	r.read = append(r.read, creds.AccessKeyID)
	r.inflight++
	r.peak = max(r.peak, r.inflight)
	r.mu.Unlock()
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight--
	if err := r.err[creds.AccessKeyID]; err != nil {
		return nil, err
	}
	s, ok := r.scans[creds.AccessKeyID]
	if !ok {
		return &alibaba.Scan{Bins: []alert.Bin{}, Errors: []alibaba.UserError{}}, nil
	}
	return &s, nil
}

var ownCreds = &alibaba.Credentials{AccessKeyID: "STS.own", AccessKeySecret: "own-secret-value", SecurityToken: "own-token-value"}

// sameKey is a key alike in the own account and in dev: each account's alert has an ID of its own.
func sameKey(cur time.Time) alert.Key {
	return key("LTAI5tSameKeyBothAccts01", cur.Add(-2*time.Hour), cur.Add(30*24*time.Hour-2*time.Hour))
}

func accountScans(cur time.Time) map[string]alibaba.Scan {
	return map[string]alibaba.Scan{
		"STS.own": {Bins: []alert.Bin{{UserName: "alice", UserID: "1001", Keys: []alert.Key{sameKey(cur)}}, {UserName: "bob", UserID: "1002"}}},
		"STS." + devID: {Bins: []alert.Bin{{UserName: "dan", UserID: "3001", Keys: []alert.Key{
			sameKey(cur), key("LTAI5tDanExpiring0000001", cur.Add(-29*24*time.Hour), cur.Add(30*time.Hour)),
		}}}},
	}
}

// newAccountsHandler is a handler reading with r and d, posting to a fake Slack; when the test ends,
// it checks that no account's secret or token is in the logs.
func newAccountsHandler(t *testing.T, s Settings, r *accountsReader, d *fakeDirectory) (*Handler, *fakeChannel) {
	t.Helper()
	h, logs := newHandler(t, s, nil)
	slack := &fakeChannel{name: "slack-webhook"}
	h.Reader, h.Directory, h.Channels = r, d, append(h.Channels, slack)
	t.Cleanup(func() {
		// No credential of any account is in the logs.
		for _, c := range []*alibaba.Credentials{ownCreds, memberCreds(devID), memberCreds(stagingID)} {
			for _, secret := range []string{c.AccessKeySecret, c.SecurityToken} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("logs hold the secret %q:\n%s", secret, logs)
				}
			}
		}
	})
	return h, slack
}

func accountSettings(t *testing.T, accounts ...string) Settings {
	return testSettings(t, func(s *Settings) {
		s.Users, s.Accounts, s.MemberRole, s.AccountLabel = []string{"*"}, accounts, "ak-recycle-alert-reader", "prod"
	})
}

// TestHandleAccountsDirectory: ACCOUNTS=* reads the own account with the invocation's credentials and
// every joined member with its own assumed credentials; a member whose role is missing is that account's
// error and the run goes on; every alert carries its account, and its ID hashes it.
func TestHandleAccountsDirectory(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := &accountsReader{scans: accountScans(cur)}
	d := directory()
	d.assumeErr = map[string]error{stagingID: &alibaba.APIError{Code: "EntityNotExist.Role", Message: "AssumeRole: The role not exists."}}
	h, _ := newAccountsHandler(t, accountSettings(t, "*"), r, d)
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1", AccountID: ownID, Credentials: ownCreds}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if diff := cmp.Diff([]string{devID + " ak-recycle-alert-reader ak-recycle-alert-req-1", stagingID + " ak-recycle-alert-reader ak-recycle-alert-req-1"}, sorted(d.assumed)); diff != "" {
		t.Errorf("AssumeRole calls (-want +got):\n%s", diff)
	}
	for _, c := range d.callers {
		if c != ownCreds {
			t.Errorf("the directory was called with %+v, want the invocation's credentials", c)
		}
	}
	if diff := cmp.Diff([]string{"STS." + devID, "STS.own"}, sorted(r.read)); diff != "" {
		t.Errorf("accounts read with (-want +got):\n%s", diff)
	}
	var got []string
	ids := map[string]bool{}
	for _, a := range res.Alerts {
		got = append(got, fmt.Sprintf("%s:%s:%s:%s", a.AccountID, a.AccountName, a.Event, a.AccessKeyID))
		ids[a.ID] = true
	}
	want := []string{
		devID + ":dev:expiring:LTAI5tDanExpiring0000001",
		ownID + ":prod:recycled:LTAI5tSameKeyBothAccts01",
		devID + ":dev:recycled:LTAI5tSameKeyBothAccts01",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if len(ids) != 3 {
		t.Errorf("alert IDs %v: want 3 distinct, the same key in two accounts having two", ids)
	}
	wantAccounts := []alert.AccountSummary{{AccountID: ownID, AccountName: "prod", UsersChecked: 2},
		{AccountID: devID, AccountName: "dev", UsersChecked: 1}, {AccountID: stagingID, AccountName: "staging"}}
	if diff := cmp.Diff(wantAccounts, res.Accounts); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	if len(res.Errors) != 1 || res.Errors[0].Account != stagingID || res.Errors[0].User != "*" || res.Errors[0].Code != "EntityNotExist.Role" ||
		!strings.Contains(res.Errors[0].Message, "create it") {
		t.Errorf("errors = %+v, want staging's EntityNotExist.Role with its hint", res.Errors)
	}
	if res.UsersChecked != 3 || res.KeysInBins != 3 {
		t.Errorf("usersChecked %d, keysInBins %d; want 3, 3", res.UsersChecked, res.KeysInBins)
	}
	b, _ := json.Marshal(res)
	for _, c := range []*alibaba.Credentials{ownCreds, memberCreds(devID)} {
		if strings.Contains(string(b), c.AccessKeySecret) || strings.Contains(string(b), c.SecurityToken) {
			t.Errorf("the result holds %s's secret or token: %s", c.AccessKeyID, b)
		}
	}
}

// TestHandleAccountsList: an explicit ACCOUNTS list is read in its order, the own account never
// through AssumeRole; the members' names come from ListAccounts when it answers, else their IDs.
func TestHandleAccountsList(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		listErr error
		devName string
	}{
		{"named", nil, "dev"},
		{"listing denied", &alibaba.APIError{Code: "NoPermission", Message: "ListAccounts: denied"}, devID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &accountsReader{scans: accountScans(cur)}
			d := directory()
			d.listErr = tt.listErr
			h, _ := newAccountsHandler(t, accountSettings(t, devID, ownID), r, d)
			res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1", AccountID: ownID, Credentials: ownCreds}, []byte(timerEvent))
			if err != nil {
				t.Fatalf("Handle() = %v", err)
			}
			want := []alert.AccountSummary{{AccountID: devID, AccountName: tt.devName, UsersChecked: 1}, {AccountID: ownID, AccountName: "prod", UsersChecked: 2}}
			if diff := cmp.Diff(want, res.Accounts); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{devID + " ak-recycle-alert-reader ak-recycle-alert-req-1"}, d.assumed); diff != "" {
				t.Errorf("AssumeRole calls (-want +got):\n%s", diff)
			}
			if len(res.Errors) != 0 || len(res.Warnings) != 0 {
				t.Errorf("errors %v, warnings %v; want none (the names are nice to have)", res.Errors, res.Warnings)
			}
		})
	}
}

// TestHandleAccountsOverride: the event's accounts picks accounts of ACCOUNTS (or of the directory);
// any other ID rejects the event, naming it.
func TestHandleAccountsOverride(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		accounts []string
		inv      Invocation
		event    string
		read     []string
		reject   string
	}{
		{name: "a member of the directory", accounts: []string{"*"}, event: `{"accounts":["` + devID + `"]}`, read: []string{"STS." + devID}},
		{name: "in a timer's payload", accounts: []string{"*"},
			event: `{"triggerTime":"2026-11-30T09:00:00Z","payload":"{\"accounts\":[\"` + ownID + `\",\"` + devID + `\"]}"}`,
			read:  []string{"STS." + devID, "STS.own"}},
		{name: "not joined", accounts: []string{"*"}, event: `{"accounts":["` + pendingID + `"]}`,
			reject: "event: accounts: " + pendingID + " is not the function's own account nor a member that has joined its Resource Directory"},
		{name: "unknown to the directory", accounts: []string{"*"}, event: `{"accounts":["` + devID + `","9999999999999999"]}`,
			reject: "event: accounts: 9999999999999999 is not"},
		{name: "in the list", accounts: []string{devID, stagingID}, event: `{"accounts":["` + devID + `"]}`, read: []string{"STS." + devID}},
		{name: "not in the list", accounts: []string{devID}, event: `{"accounts":["` + stagingID + `"]}`,
			reject: "event: accounts: " + stagingID + " is not in ACCOUNTS"},
		{name: "own account without ACCOUNTS", event: `{"accounts":["` + ownID + `"]}`, read: []string{"STS.own"}},
		{name: "another account without ACCOUNTS", event: `{"accounts":["` + devID + `"]}`,
			reject: "event: accounts: " + devID + " is not an account this function reads (ACCOUNTS is not set: only its own account " + ownID + ")"},
		{name: "malformed", accounts: []string{"*"}, event: `{"accounts":["12"]}`, reject: `accounts[0] "12" is not an account ID (16 digits)`},
		{name: "empty", accounts: []string{"*"}, event: `{"accounts":[]}`, reject: "accounts must not be empty"},
		{name: "own account unknown", accounts: []string{"*"}, inv: Invocation{Credentials: ownCreds}, event: `{}`,
			reject: "ACCOUNTS is set but the function's own account ID is unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &accountsReader{scans: accountScans(cur)}
			d := directory()
			h, _ := newAccountsHandler(t, accountSettings(t, tt.accounts...), r, d)
			if tt.accounts == nil {
				h.Settings.Accounts = nil
			}
			var spawned sync.WaitGroup // the goroutines the run started: waited for before the calls are counted
			h.Go = func(_ context.Context, fn func()) { spawned.Go(fn) }
			defer spawned.Wait()
			inv := tt.inv
			if inv.Credentials == nil {
				inv = Invocation{RequestID: "req-1", AccountID: ownID, Credentials: ownCreds}
			}
			res, err := h.Handle(context.Background(), inv, []byte(tt.event))
			if tt.reject != "" {
				var rejected *RejectedError
				if !errors.As(err, &rejected) || !strings.Contains(err.Error(), tt.reject) || res != nil {
					t.Fatalf("Handle(%s) = %v, %v; want a rejection saying %q", tt.event, res, err, tt.reject)
				}
				spawned.Wait()
				if len(r.read) != 0 || len(d.assumed) != 0 {
					t.Errorf("a rejected event read %v, assumed %v; want nothing", r.read, d.assumed)
				}
				// With *, the listing is what checks the override; with a list, nothing is called.
				if wantLists := map[bool]int{true: 1}[len(tt.accounts) == 1 && tt.accounts[0] == "*"]; d.listed() > wantLists {
					t.Errorf("a rejected event listed the directory %d times, want at most %d", d.listed(), wantLists)
				}
				return
			}
			if err != nil {
				t.Fatalf("Handle(%s) = %v", tt.event, err)
			}
			if diff := cmp.Diff(tt.read, sorted(r.read)); diff != "" {
				t.Errorf("accounts read with (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHandleAccountsFailures: the run fails when no account could be read, when a transient failure
// outlived the retries, or when the directory could not be listed; otherwise an account's failure is
// that account's error.
func TestHandleAccountsFailures(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	denied := func(users ...string) alibaba.Scan {
		s := alibaba.Scan{Bins: []alert.Bin{}}
		for _, u := range users {
			s.Errors = append(s.Errors, alibaba.UserError{UserError: alert.UserError{User: u, Code: "NoPermission", Message: "You are not authorized to do this action."}})
		}
		return s
	}
	notTrusted := &alibaba.APIError{Code: "NoPermission", Message: "AssumeRole: You are not authorized to do this action."}
	throttled := &alibaba.APIError{Code: "Throttling.User", Message: "AssumeRole: Request was denied (gave up after 6 attempts)", Transient: true}
	for _, tt := range []struct {
		name      string
		settings  func(*Settings)
		scans     func(map[string]alibaba.Scan)
		assumeErr map[string]error
		listErr   error
		errors    []string // account/user/code
		failure   string   // "" for success
	}{
		{name: "a member that denies every read", scans: func(m map[string]alibaba.Scan) { m["STS."+devID] = denied("alice", "bob") },
			settings: func(s *Settings) { s.Users = []string{"alice", "bob"} },
			errors:   []string{devID + "/*/NoPermission"}},
		{name: "no account could be read", scans: func(m map[string]alibaba.Scan) { m["STS.own"] = denied("*") },
			assumeErr: map[string]error{devID: notTrusted, stagingID: notTrusted},
			errors:    []string{ownID + "/*/NoPermission", devID + "/*/NoPermission", stagingID + "/*/NoPermission"},
			failure:   "no account could be read: account prod (" + ownID + "): listing the RAM users failed: NoPermission"},
		{name: "a transient failure", assumeErr: map[string]error{stagingID: throttled},
			errors:  []string{stagingID + "/*/Throttling.User"},
			failure: "account staging (" + stagingID + "): not read after retries: Throttling.User"},
		{name: "the directory could not be listed", listErr: &alibaba.APIError{Code: "NoPermission", Message: "ListAccounts: denied"},
			errors:  []string{ownID + "/ListAccounts/NoPermission"},
			failure: "listing the accounts of the Resource Directory failed: NoPermission: ListAccounts: denied: the function's role lacks resourcemanager:ListAccounts"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			scans := accountScans(cur)
			if tt.scans != nil {
				tt.scans(scans)
			}
			r := &accountsReader{scans: scans}
			d := directory()
			d.assumeErr, d.listErr = tt.assumeErr, tt.listErr
			if d.assumeErr == nil {
				d.assumeErr = map[string]error{}
			}
			if _, ok := d.assumeErr[stagingID]; !ok {
				r.scans["STS."+stagingID] = alibaba.Scan{Bins: []alert.Bin{{UserName: "sam", UserID: "5001"}}}
			}
			s := accountSettings(t, "*")
			if tt.settings != nil {
				tt.settings(&s)
			}
			h, _ := newAccountsHandler(t, s, r, d)
			res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1", AccountID: ownID, Credentials: ownCreds}, []byte(timerEvent))
			switch {
			case tt.failure == "" && err != nil:
				t.Fatalf("Handle() = %v, want success", err)
			case tt.failure != "" && (err == nil || !strings.Contains(err.Error(), tt.failure)):
				t.Fatalf("Handle() = %v, want a failure saying %q", err, tt.failure)
			}
			var got []string
			for _, e := range res.Errors {
				got = append(got, e.Account+"/"+e.User+"/"+e.Code)
			}
			if diff := cmp.Diff(tt.errors, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHandleAccountsAtOnce: at most maxAccountsAtOnce accounts are read at once.
func TestHandleAccountsAtOnce(t *testing.T) {
	d := &fakeDirectory{dir: alibaba.Directory{Accounts: []alibaba.Account{{ID: ownID, Name: "management", Status: "CreateSuccess"}}}}
	for i := range 40 {
		d.dir.Accounts = append(d.dir.Accounts, alibaba.Account{ID: fmt.Sprintf("10000000000%05d", i+1), Name: fmt.Sprint("m", i), Status: "CreateSuccess"})
	}
	r := &accountsReader{scans: map[string]alibaba.Scan{}, delay: 20 * time.Millisecond}
	h, _ := newAccountsHandler(t, accountSettings(t, "*"), r, d)
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1", AccountID: ownID, Credentials: ownCreds}, []byte(`{"mode":"digest"}`))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	if len(r.read) != 41 || len(res.Accounts) != 41 {
		t.Errorf("read %d accounts, result lists %d; want 41", len(r.read), len(res.Accounts))
	}
	if r.peak > maxAccountsAtOnce || r.peak < 2 {
		t.Errorf("%d accounts were read at once, want 2 to %d", r.peak, maxAccountsAtOnce)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestHandleAccountsDeleters: who deleted what is looked up in each account with that account's
// credentials (the own account's with the invocation's, a member's with its session's), and each
// deleter is put on the alert of its own account.
func TestHandleAccountsDeleters(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := &accountsReader{scans: accountScans(cur)}
	d := directory()
	d.assumeErr = map[string]error{stagingID: &alibaba.APIError{Code: "EntityNotExist.Role", Message: "AssumeRole: The role not exists."}}
	deleted := sameKey(cur).RecycleDate
	trail := &fakeTrail{events: []alert.DeletionEvent{byConsole("dev-admin", deleted.Add(10*time.Second), "LTAI5tSameKeyBothAccts01")}}
	h, _ := newAccountsHandler(t, accountSettings(t, "*"), r, d)
	h.Trail, h.Settings.LookupDeleter = trail, true
	res, err := h.Handle(context.Background(), Invocation{RequestID: "req-1", AccountID: ownID, Credentials: ownCreds}, []byte(timerEvent))
	if err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	byAccount := map[string]string{}
	for i, account := range trail.account {
		byAccount[account] = trail.creds[i].AccessKeyID
	}
	want := map[string]string{ownID: "STS.own", devID: "STS." + devID}
	if diff := cmp.Diff(want, byAccount); diff != "" {
		t.Errorf("look-ups by account, with credentials (-want +got):\n%s", diff)
	}
	// The fake trail answers every account alike: each account's alert of the key gets the deleter.
	for _, a := range res.Alerts {
		if a.AccessKeyID == "LTAI5tSameKeyBothAccts01" && (a.DeletedBy == nil || a.DeletedBy.PrincipalName != "dev-admin") {
			t.Errorf("alert %s of %s: deletedBy %+v, want dev-admin", a.AccessKeyID, a.AccountID, a.DeletedBy)
		}
	}
}

// TestHandleAccountsListingQuirks: an account the directory lists twice (a listing paged by number, the
// directory changing between pages) is read once, with a warning; an override of the own account alone
// reads it without listing the directory, so a listing that would fail cannot keep it from being read.
func TestHandleAccountsListingQuirks(t *testing.T) {
	cur := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	inv := Invocation{RequestID: "req-1", AccountID: ownID, Credentials: ownCreds}

	t.Run("listed twice", func(t *testing.T) {
		r := &accountsReader{scans: accountScans(cur)}
		d := directory()
		d.dir.Accounts = append(d.dir.Accounts, alibaba.Account{ID: devID, Name: "dev", Status: "CreateSuccess"})
		h, _ := newAccountsHandler(t, accountSettings(t, "*"), r, d)
		res, err := h.Handle(context.Background(), inv, []byte(`{"mode":"digest"}`))
		if err != nil {
			t.Fatalf("Handle = %v", err)
		}
		if diff := cmp.Diff([]string{"STS." + devID, "STS." + stagingID, "STS.own"}, sorted(r.read)); diff != "" {
			t.Errorf("accounts read with (-want +got):\n%s", diff)
		}
		if len(res.Accounts) != 3 || !slices.ContainsFunc(res.Warnings, func(w string) bool {
			return strings.Contains(w, "ListAccounts listed account "+devID+" more than once")
		}) {
			t.Errorf("result accounts %d, warnings %q; want 3 accounts and a warning of dev listed twice", len(res.Accounts), res.Warnings)
		}
	})

	t.Run("own account alone, listing failing", func(t *testing.T) {
		r := &accountsReader{scans: accountScans(cur)}
		d := directory()
		d.listErr = &alibaba.APIError{Code: "ServiceUnavailable", Message: "ListAccounts: try again later", Transient: true}
		h, _ := newAccountsHandler(t, accountSettings(t, "*"), r, d)
		res, err := h.Handle(context.Background(), inv, []byte(`{"accounts":["`+ownID+`"]}`))
		if err != nil {
			t.Fatalf("Handle = %v", err)
		}
		if diff := cmp.Diff([]string{"STS.own"}, r.read); diff != "" || d.listed() != 0 || len(res.Errors) != 0 {
			t.Errorf("read %v (diff %s), listed %d times, errors %+v; want the own account read, no listing, no error", r.read, diff, d.listed(), res.Errors)
		}
	})
}

package alibaba

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// restoreWorld is an emulator with alice's key in the key bin, bob live, and eve (with a key) in the
// user bin.
func restoreWorld(t *testing.T, edit ...func(*ramfake.Options)) (*ramfake.Server, *Reader) {
	t.Helper()
	opts := serverOptions([]ramfake.User{
		{ID: "2073290024939201", Name: "alice", Keys: []ramfake.Key{key("LTAI5tAliceKey0000000001", 6*time.Hour)}},
		{ID: "2073290024939202", Name: "bob"},
	})
	opts.RecycledUsers = []ramfake.RecycledUser{{ID: "2073290024939207", Name: "eve", CreateDate: now.Add(-400 * 24 * time.Hour),
		RecycleDate: now.Add(-time.Hour), DeleteDate: now.Add(30 * 24 * time.Hour), Keys: []ramfake.Key{key("LTAI5tEveKey000000000001", time.Hour)}}}
	for _, e := range edit {
		e(&opts)
	}
	s := startServer(t, opts)
	return s, newReader(t, s, Config{})
}

func testRestorer(t *testing.T, r *Reader, creds *Credentials) restore.Restorer {
	t.Helper()
	rs, err := r.Restorer(creds)
	if err != nil {
		t.Fatalf("Restorer() = %v", err)
	}
	return rs
}

func ctx5s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// apiError checks that err is the *restore.APIError of action with code and status.
func wantAPIError(t *testing.T, err error, action, code string, status int) {
	t.Helper()
	var ae *restore.APIError
	if !errors.As(err, &ae) || ae.Action != action || ae.Code != code || ae.Status != status {
		t.Fatalf("error = %v (%T), want the *restore.APIError of %s: %s (HTTP %d)", err, err, action, code, status)
	}
}

func TestRestorerAccessKey(t *testing.T) {
	s, r := restoreWorld(t)
	rs, ctx := testRestorer(t, r, stsCreds), ctx5s(t)
	const ak, alice = "LTAI5tAliceKey0000000001", "2073290024939201"

	bk, err := rs.AccessKeyInBin(ctx, ak)
	if err != nil || bk.UserID != alice || !strings.HasPrefix(bk.UserPrincipalName, "alice@") || bk.UserRecycled {
		t.Fatalf("AccessKeyInBin() = %+v, %v; want alice's, not recycled", bk, err)
	}
	if err := rs.RestoreAccessKey(ctx, alice, ak); err != nil {
		t.Fatalf("RestoreAccessKey() = %v", err)
	}
	_, err = rs.AccessKeyInBin(ctx, ak)
	wantAPIError(t, err, "GetAccessKeyInfoInRecycleBin", "EntityNotExist.User.AccessKey", http.StatusNotFound)
	wantAPIError(t, rs.RestoreAccessKey(ctx, alice, ak), "RestoreAccessKeyFromRecycleBin", "EntityNotExist.User.AccessKey", http.StatusNotFound)
	u, err := rs.GetUser(ctx, restore.UserQuery{AccessKeyID: ak})
	if err != nil || u.UserID != alice || !strings.HasPrefix(u.UserPrincipalName, "alice@") {
		t.Errorf("GetUser(the restored key) = %+v, %v; want alice", u, err)
	}
	if live, ok := s.FindUser("", alice); !ok || len(live.AccessKeys) != 1 || live.AccessKeys[0].AccessKeyID != ak {
		t.Errorf("alice's live keys = %+v, want the restored key", live.AccessKeys)
	}
	if got := s.Stats("").SeenCredentials; len(got) != 1 || got[0] != (ramfake.SeenCredential{AccessKeyID: stsID, WithToken: true}) {
		t.Errorf("signed with %+v, want the invocation's STS credentials", got)
	}
}

func TestRestorerUser(t *testing.T) {
	s, r := restoreWorld(t)
	rs, ctx := testRestorer(t, r, akCreds), ctx5s(t)
	const eve = "2073290024939207"

	bu, err := rs.UserInBin(ctx, eve)
	if err != nil || bu.UserID != eve || !strings.HasPrefix(bu.UserPrincipalName, "eve@") {
		t.Fatalf("UserInBin() = %+v, %v; want eve", bu, err)
	}
	// A key of a user in the user bin: the flow restores the user first.
	bk, err := rs.AccessKeyInBin(ctx, "LTAI5tEveKey000000000001")
	if err != nil || !bk.UserRecycled || bk.UserID != eve {
		t.Errorf("AccessKeyInBin(eve's key) = %+v, %v; want eve's, UserRecycled", bk, err)
	}
	_, err = rs.GetUser(ctx, restore.UserQuery{UserID: eve})
	wantAPIError(t, err, "GetUser", "EntityNotExist.User", http.StatusNotFound)
	if err := rs.RestoreUser(ctx, eve); err != nil {
		t.Fatalf("RestoreUser() = %v", err)
	}
	_, err = rs.UserInBin(ctx, eve)
	wantAPIError(t, err, "GetUserInRecycleBin", "EntityNotExist.User", http.StatusNotFound)
	if u, err := rs.GetUser(ctx, restore.UserQuery{UserID: eve}); err != nil || u.UserID != eve {
		t.Errorf("GetUser(eve) after the restore = %+v, %v; want eve", u, err)
	}
	if _, ok := s.FindUser("", eve); !ok {
		t.Errorf("eve is not live after the restore")
	}
}

// TestRestorerAnswers: every value of an answer is checked, and an error holds no credential, also when
// the server repeats them.
func TestRestorerAnswers(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(o *ramfake.Options)
		setup  func(s *ramfake.Server)
		call   func(ctx context.Context, rs restore.Restorer) error
		action string
		code   string
		status int
	}{
		{"denied", nil, func(s *ramfake.Server) {
			s.SetFault("RestoreAccessKeyFromRecycleBin", "2073290024939201", ramfake.Deny)
		},
			func(ctx context.Context, rs restore.Restorer) error {
				return rs.RestoreAccessKey(ctx, "2073290024939201", "LTAI5tAliceKey0000000001")
			}, "RestoreAccessKeyFromRecycleBin", "NoPermission", http.StatusForbidden},
		{"credentials echoed", nil, func(s *ramfake.Server) {
			s.SetFault("GetAccessKeyInfoInRecycleBin", "2073290024939201", ramfake.EchoCredentials)
		}, func(ctx context.Context, rs restore.Restorer) error {
			_, err := rs.AccessKeyInBin(ctx, "LTAI5tAliceKey0000000001")
			return err
		}, "GetAccessKeyInfoInRecycleBin", "InvalidParameter", http.StatusBadRequest},
		{"hostile principal name", func(o *ramfake.Options) {
			o.RecycledUsers[0].Raw = map[string]any{"UserPrincipalName": "<!channel>@x"}
		}, func(*ramfake.Server) {}, func(ctx context.Context, rs restore.Restorer) error {
			_, err := rs.UserInBin(ctx, "2073290024939207")
			return err
		}, "GetUserInRecycleBin", "InvalidResponse", 0},
		{"not JSON", nil, func(s *ramfake.Server) { s.SetFault("GetUserInRecycleBin", "2073290024939207", ramfake.NonJSON) },
			func(ctx context.Context, rs restore.Restorer) error {
				_, err := rs.UserInBin(ctx, "2073290024939207")
				return err
			}, "GetUserInRecycleBin", "InvalidResponse", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var edits []func(*ramfake.Options)
			if tt.edit != nil {
				edits = append(edits, tt.edit)
			}
			s, r := restoreWorld(t, edits...)
			tt.setup(s)
			err := tt.call(ctx5s(t), testRestorer(t, r, stsCreds))
			wantAPIError(t, err, tt.action, tt.code, tt.status)
			if found := secretsIn(err.Error()); len(found) > 0 {
				t.Errorf("error %q holds %q", err, found)
			}
		})
	}
}

func TestRestoreAccounts(t *testing.T) {
	s, r := restoreWorld(t)
	a := &RestoreAccounts{Reader: r, OwnID: s.AccountID(), OwnName: "prod"}
	ctx := WithCaller(ctx5s(t), Caller{Credentials: stsCreds})

	acct, err := a.Lookup(ctx, s.AccountID(), true)
	if diff := cmp.Diff(restore.Account{ID: s.AccountID(), Name: "prod"}, acct); err != nil || diff != "" {
		t.Fatalf("Lookup(own) = %v (-want +got):\n%s", err, diff)
	}
	rs, err := a.Restorer(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.AccessKeyInBin(ctx, "LTAI5tAliceKey0000000001"); err != nil {
		t.Errorf("AccessKeyInBin() = %v", err)
	}
	if got := s.Stats("").SeenCredentials; len(got) != 1 || got[0].AccessKeyID != stsID {
		t.Errorf("signed with %+v, want the caller's credentials", got)
	}

	for _, tt := range []struct {
		name string
		ctx  context.Context
		id   string
	}{
		{"another account", ctx, "9999999999999999"},
		{"the invocation's account wins over FC_ACCOUNT_ID", WithCaller(ctx, Caller{AccountID: "1111111111111111"}), s.AccountID()},
		{"no own account known", t.Context(), s.AccountID()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &RestoreAccounts{Reader: a.Reader, OwnID: a.OwnID, OwnName: a.OwnName, Accounts: a.Accounts, MemberRole: a.MemberRole}
			if tt.name == "no own account known" {
				a.OwnID = ""
			}
			if _, err := a.Lookup(tt.ctx, tt.id, true); !errors.Is(err, restore.ErrAccountNotAllowed) {
				t.Errorf("Lookup(%s) = %v, want ErrAccountNotAllowed", tt.id, err)
			}
		})
	}
	if _, err := a.Restorer(ctx, restore.Account{ID: "9999999999999999"}); err == nil {
		t.Errorf("Restorer(another account) = nil error, want a refusal")
	}
	if n := s.TotalCalls(); n != 1 {
		t.Errorf("%d API calls, want 1: looking an account up calls nothing", n)
	}
}

// TestRestoreAccountsMembers: the accounts ACCOUNTS names are served, each member through a session of
// its restorer role assumed with the caller's credentials and named after the request; a member with
// no such role, or one that does not trust the caller, is an *restore.AccessError naming the account
// and the role, with no secret; an account ACCOUNTS does not hold, and with * a member that has not
// joined, are refused before any call in them.
func TestRestoreAccountsMembers(t *testing.T) {
	const restorer, pendingID, otherID = "ak-recycle-alert-restorer", "1000000000000003", "1000000000000009"
	opts := directoryOptions()
	opts.Accounts[0].Roles = append(opts.Accounts[0].Roles, ramfake.Role{Name: restorer, Trusted: []string{"acs:ram::" + homeID + ":root"}})
	opts.Accounts[0].Users = append(opts.Accounts[0].Users, ramfake.User{ID: "3073290024939202", Name: "erin",
		Keys: []ramfake.Key{key("LTAI5tErinKey00000000001", time.Hour)}})
	opts.Accounts = append(opts.Accounts, ramfake.Account{ID: otherID, DisplayName: "other", Status: "CreateSuccess",
		Roles: []ramfake.Role{{Name: restorer, Trusted: []string{"acs:ram::" + homeID + ":role/someone-else"}}}})
	s := startServer(t, opts)
	r := newDirectoryReader(t, s)
	ctx := WithCaller(ctx5s(t), Caller{AccountID: homeID, Credentials: stsCreds, RequestID: "1-6759a3c2-4f8e2b1a9d0c"})

	all := &RestoreAccounts{Reader: r, OwnName: "prod", Accounts: []string{"*"}, MemberRole: restorer}
	acct, err := all.Lookup(ctx, devID, true)
	if diff := cmp.Diff(restore.Account{ID: devID, Name: "dev"}, acct); err != nil || diff != "" {
		t.Fatalf("Lookup(dev) = %v (-want +got):\n%s", err, diff)
	}
	rs, err := all.Restorer(ctx, acct)
	if err != nil {
		t.Fatalf("Restorer(dev) = %v", err)
	}
	if _, err := rs.AccessKeyInBin(ctx, "LTAI5tDanKey000000000001"); err != nil {
		t.Fatalf("AccessKeyInBin(dan's key) in dev = %v", err)
	}
	if err := rs.RestoreAccessKey(ctx, "3073290024939201", "LTAI5tDanKey000000000001"); err != nil {
		t.Fatalf("RestoreAccessKey(dan's key) in dev = %v", err)
	}
	issued := s.IssuedCredentials()
	if len(issued) != 1 || issued[0].AccountID != devID || issued[0].Role != restorer || issued[0].Session != "ak-recycle-alert-1-6759a3c2-4f8e" {
		t.Fatalf("issued %+v, want one session of %s in dev, named after the request", issued, restorer)
	}
	dev := s.Stats(devID)
	if want := []ramfake.SeenCredential{{AccessKeyID: issued[0].AccessKeyID, WithToken: true}}; !cmp.Equal(want, dev.SeenCredentials) {
		t.Errorf("dev's calls were signed with %+v, want the session's %+v", dev.SeenCredentials, want)
	}
	if dev.Calls["GetAccessKeyInfoInRecycleBin"] != 1 || dev.Calls["RestoreAccessKeyFromRecycleBin"] != 1 {
		t.Errorf("dev's calls = %v, want the check and the restore", dev.Calls)
	}
	home := s.Stats(homeID)
	for action := range home.Calls {
		if action != "ListAccounts" && action != "AssumeRole" {
			t.Errorf("the home account served %s: nothing but the listing and AssumeRole should touch it", action)
		}
	}
	if u, _ := s.FindUser(devID, "3073290024939201"); len(u.AccessKeys) != 1 {
		t.Errorf("dan has %d live keys in dev, want the restored one", len(u.AccessKeys))
	}

	t.Run("a member's answer that repeats the session's credentials", func(t *testing.T) {
		s.SetFault("GetAccessKeyInfoInRecycleBin", "3073290024939202", ramfake.EchoCredentials)
		defer s.SetFault("GetAccessKeyInfoInRecycleBin", "3073290024939202", ramfake.NoFault)
		rs, err := all.Restorer(ctx, restore.Account{ID: devID, Name: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = rs.AccessKeyInBin(ctx, "LTAI5tErinKey00000000001")
		if err == nil || !strings.Contains(err.Error(), "InvalidParameter") {
			t.Fatalf("AccessKeyInBin() = %v, want the echoing answer's InvalidParameter", err)
		}
		issued := s.IssuedCredentials()
		c := issued[len(issued)-1]
		if strings.Contains(err.Error(), c.Secret) || strings.Contains(err.Error(), c.Token) || len(secretsIn(err.Error())) > 0 {
			t.Errorf("AccessKeyInBin() = %q, holds a credential", err)
		}
	})

	t.Run("the own account is read with the caller's credentials", func(t *testing.T) {
		acct, err := all.Lookup(ctx, homeID, true)
		if diff := cmp.Diff(restore.Account{ID: homeID, Name: "prod"}, acct); err != nil || diff != "" {
			t.Fatalf("Lookup(own) = %v (-want +got):\n%s", err, diff)
		}
		n := s.Calls("AssumeRole")
		if _, err := all.Restorer(ctx, acct); err != nil || s.Calls("AssumeRole") != n {
			t.Errorf("Restorer(own) = %v after %d AssumeRole calls, want no error and none", err, s.Calls("AssumeRole")-n)
		}
	})

	for _, tt := range []struct {
		name, account, code string
	}{
		{"no restorer role", stagingID, "EntityNotExist.Role"},
		{"a role that does not trust the caller", otherID, "NoPermission"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			acct, err := all.Lookup(ctx, tt.account, true)
			if err != nil {
				t.Fatalf("Lookup(%s) = %v", tt.account, err)
			}
			before := s.Stats(tt.account).Total
			_, err = all.Restorer(ctx, acct)
			var ae *restore.AccessError
			if !errors.As(err, &ae) || ae.AccountID != tt.account || ae.Role != restorer {
				t.Fatalf("Restorer(%s) = %v (%T), want an *restore.AccessError of %s and %s", tt.account, err, err, tt.account, restorer)
			}
			var ce restore.CodedError
			if !errors.As(err, &ce) || ce.ErrorCode() != tt.code || ce.HTTPStatus() == 0 {
				t.Errorf("Restorer(%s) = %v, want the code %s with its HTTP status", tt.account, err, tt.code)
			}
			if ae.Hint == "" || !strings.Contains(err.Error(), restorer) || !strings.Contains(err.Error(), tt.account) {
				t.Errorf("Restorer(%s) = %q, want the account, the role and a hint", tt.account, err)
			}
			if found := secretsIn(err.Error()); len(found) > 0 {
				t.Errorf("error %q holds %q", err, found)
			}
			if after := s.Stats(tt.account).Total; after != before {
				t.Errorf("%s served %d calls, want none", tt.account, after-before)
			}
		})
	}

	for _, tt := range []struct {
		name     string
		accounts []string
		id       string
	}{
		{"* and a member that has not joined", []string{"*"}, pendingID},
		{"* and an account outside the directory", []string{"*"}, "9999999999999999"},
		{"a list without the account", []string{stagingID}, devID},
		{"a list without the own account", []string{devID}, homeID},
		{"no ACCOUNTS: the own account only", nil, devID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &RestoreAccounts{Reader: r, Accounts: tt.accounts, MemberRole: restorer}
			before, assumed := s.Stats(tt.id).Total, s.Calls("AssumeRole")
			if _, err := a.Lookup(ctx, tt.id, true); !errors.Is(err, restore.ErrAccountNotAllowed) {
				t.Errorf("Lookup(%s) = %v, want ErrAccountNotAllowed", tt.id, err)
			}
			if s.Stats(tt.id).Total != before && tt.id != homeID || s.Calls("AssumeRole") != assumed {
				t.Errorf("Lookup(%s) made calls in that account or assumed a role", tt.id)
			}
		})
	}

	t.Run("without the listing: no call, the local refusals still made", func(t *testing.T) {
		listed := s.Calls("ListAccounts")
		if acct, err := all.Lookup(ctx, devID, false); err != nil || acct != (restore.Account{ID: devID, Name: devID}) {
			t.Errorf("Lookup(dev, no listing) = %+v, %v; want dev named by its ID", acct, err)
		}
		list := &RestoreAccounts{Reader: r, Accounts: []string{stagingID}, MemberRole: restorer}
		if _, err := list.Lookup(ctx, devID, false); !errors.Is(err, restore.ErrAccountNotAllowed) {
			t.Errorf("Lookup(dev, no listing) with a list without it = %v, want ErrAccountNotAllowed", err)
		}
		if n := s.Calls("ListAccounts"); n != listed {
			t.Errorf("%d ListAccounts calls, want none", n-listed)
		}
	})

	t.Run("a list names its members from the directory, by ID when the listing fails", func(t *testing.T) {
		a := &RestoreAccounts{Reader: r, Accounts: []string{devID, stagingID}, MemberRole: restorer}
		if acct, err := a.Lookup(ctx, devID, true); err != nil || acct != (restore.Account{ID: devID, Name: "dev"}) {
			t.Errorf("Lookup(dev) = %+v, %v; want dev named", acct, err)
		}
		s.SetAccountFault(homeID, "ListAccounts", ramfake.Deny)
		defer s.SetAccountFault(homeID, "ListAccounts", ramfake.NoFault)
		// New instances, which have kept no listing.
		a = &RestoreAccounts{Reader: r, Accounts: []string{devID, stagingID}, MemberRole: restorer}
		if acct, err := a.Lookup(ctx, stagingID, true); err != nil || acct != (restore.Account{ID: stagingID, Name: stagingID}) {
			t.Errorf("Lookup(staging), the listing denied = %+v, %v; want staging named by its ID", acct, err)
		}
		fresh := &RestoreAccounts{Reader: r, OwnName: "prod", Accounts: []string{"*"}, MemberRole: restorer}
		if _, err := fresh.Lookup(ctx, devID, true); err == nil || errors.Is(err, restore.ErrAccountNotAllowed) {
			t.Errorf("Lookup(dev) with * and the listing denied = %v, want an error that is not a refusal", err)
		}
	})

	t.Run("an instance keeps the listing, and lists again for a member it does not show", func(t *testing.T) {
		a := &RestoreAccounts{Reader: r, OwnName: "prod", Accounts: []string{"*"}, MemberRole: restorer}
		listed := s.Calls("ListAccounts")
		for range 3 {
			if _, err := a.Lookup(ctx, devID, true); err != nil {
				t.Fatalf("Lookup(dev) = %v", err)
			}
		}
		if n := s.Calls("ListAccounts") - listed; n != 1 {
			t.Errorf("3 clicks in dev listed the directory %d times, want 1", n)
		}
		if _, err := a.Lookup(ctx, pendingID, true); !errors.Is(err, restore.ErrAccountNotAllowed) {
			t.Errorf("Lookup(pending) = %v, want ErrAccountNotAllowed", err)
		}
		if n := s.Calls("ListAccounts") - listed; n != 2 {
			t.Errorf("a member the kept listing does not show as joined: %d listings in all, want 2 (listed again)", n)
		}
	})
}

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

	acct, err := a.Lookup(ctx, s.AccountID())
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
			a := *a
			if tt.name == "no own account known" {
				a.OwnID = ""
			}
			if _, err := a.Lookup(tt.ctx, tt.id); !errors.Is(err, restore.ErrAccountNotAllowed) {
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

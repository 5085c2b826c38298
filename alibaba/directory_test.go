package alibaba

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
)

const (
	homeID    = ramfake.DefaultAccountID
	devID     = "1000000000000001"
	stagingID = "1000000000000002"
	reader    = "ak-recycle-alert-reader"
)

// directoryOptions are serverOptions with a Resource Directory: dev (joined, its reader role trusting
// the home account), staging (joined, no role) and pending (not joined).
func directoryOptions() ramfake.Options {
	opts := serverOptions(testUsers)
	opts.Accounts = []ramfake.Account{
		{ID: devID, DisplayName: "dev", Status: "CreateSuccess",
			Users: []ramfake.User{{ID: "3073290024939201", Name: "dan", Keys: []ramfake.Key{key("LTAI5tDanKey000000000001", time.Hour)}}},
			Roles: []ramfake.Role{{Name: reader, Trusted: []string{"acs:ram::" + homeID + ":root"}}}},
		{ID: stagingID, DisplayName: "staging", Status: "InviteSuccess", Type: "CloudAccount", JoinMethod: "invited"},
		{ID: "1000000000000003", DisplayName: "pending", Status: "CreateVerifying"},
	}
	return opts
}

func newDirectoryReader(t *testing.T, s *ramfake.Server) *Reader {
	t.Helper()
	return newReader(t, s, Config{STSEndpoint: s.URL(), ResourceManagerEndpoint: s.URL()})
}

func TestListAccounts(t *testing.T) {
	s := startServer(t, directoryOptions())
	dir, err := newDirectoryReader(t, s).ListAccounts(context.Background(), akCreds)
	if err != nil {
		t.Fatalf("ListAccounts() = %v", err)
	}
	want := []Account{
		{ID: homeID, Name: "management", Status: "CreateSuccess"},
		{ID: devID, Name: "dev", Status: "CreateSuccess"},
		{ID: stagingID, Name: "staging", Status: "InviteSuccess"},
		{ID: "1000000000000003", Name: "pending", Status: "CreateVerifying"},
	}
	if diff := cmp.Diff(want, dir.Accounts); diff != "" {
		t.Errorf("ListAccounts() accounts (-want +got):\n%s", diff)
	}
	var joined []bool
	for _, a := range dir.Accounts {
		joined = append(joined, a.Joined())
	}
	if diff := cmp.Diff([]bool{true, true, true, false}, joined); diff != "" {
		t.Errorf("Joined() (-want +got):\n%s", diff)
	}
	if dir.Calls != 1 || len(dir.Problems) != 0 {
		t.Errorf("ListAccounts() calls %d, problems %q; want 1 and none", dir.Calls, dir.Problems)
	}
}

func TestListAccountsPages(t *testing.T) {
	opts := serverOptions(nil)
	opts.Accounts = ramfake.SyntheticAccounts(250, 0, now, homeID)
	s := startServer(t, opts)
	dir, err := newDirectoryReader(t, s).ListAccounts(context.Background(), akCreds)
	if err != nil {
		t.Fatalf("ListAccounts() = %v", err)
	}
	if len(dir.Accounts) != 251 || dir.Accounts[0].ID != homeID || dir.Accounts[250].ID != "1000000000000250" {
		t.Errorf("ListAccounts() = %d accounts (first %v), want 251, the management account first", len(dir.Accounts), dir.Accounts[0])
	}
	if dir.Calls != 3 || s.Calls("ListAccounts") != 3 {
		t.Errorf("ListAccounts() made %d calls (server: %d), want 3 pages of 100", dir.Calls, s.Calls("ListAccounts"))
	}
}

// TestListAccountsShortListing: a listing whose last page is short of its TotalCount (a directory that
// shrank while it was listed, or an answer that lies) keeps what it listed and says how many are missing.
func TestListAccountsShortListing(t *testing.T) {
	opts := serverOptions(nil)
	opts.Accounts = ramfake.SyntheticAccounts(98, 0, now, homeID) // 99 with the management account
	s := startServer(t, opts)
	target, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error { // the answer claims 250 accounts
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		b = bytes.Replace(b, []byte(`"TotalCount":99`), []byte(`"TotalCount":250`), 1)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		r.Header.Del("Content-Length")
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	dir, err := newReader(t, s, Config{ResourceManagerEndpoint: front.URL}).ListAccounts(context.Background(), akCreds)
	if err != nil {
		t.Fatalf("ListAccounts() = %v", err)
	}
	want := []string{"ListAccounts listed 99 of the 250 accounts its TotalCount gives: the others are not read this run"}
	if len(dir.Accounts) != 99 || !cmp.Equal(want, dir.Problems) {
		t.Errorf("ListAccounts() = %d accounts, problems %q; want 99 and %q", len(dir.Accounts), dir.Problems, want)
	}
}

func TestListAccountsFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(s *ramfake.Server)
		opts      func(o *ramfake.Options)
		creds     *Credentials
		code      string
		transient bool
	}{
		{name: "denied", setup: func(s *ramfake.Server) { s.SetFault("ListAccounts", "", ramfake.Deny) }, code: "NoPermission"},
		{name: "no directory", opts: func(o *ramfake.Options) { o.Accounts = nil }, code: "NotExists.ResourceDirectory"},
		{name: "a member calls", creds: &Credentials{AccessKeyID: "LTAI5tDevCallerKey000001", AccessKeySecret: "dev-secret-Nm3Bv5Cx7Z"},
			opts: func(o *ramfake.Options) {
				o.Accounts[0].Credentials = map[string]ramfake.Credential{"LTAI5tDevCallerKey000001": {Secret: "dev-secret-Nm3Bv5Cx7Z"}}
			}, code: "NoPermission.ResourceDirectory.MemberAccount"},
		{name: "throttled", setup: func(s *ramfake.Server) { s.SetFault("ListAccounts", "", ramfake.Throttle) }, code: "Throttling.User", transient: true},
		{name: "not JSON", setup: func(s *ramfake.Server) { s.SetFault("ListAccounts", "", ramfake.NonJSON) }, code: "InvalidResponse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := directoryOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			s := startServer(t, opts)
			if tc.setup != nil {
				tc.setup(s)
			}
			creds := akCreds
			if tc.creds != nil {
				creds = tc.creds
			}
			_, err := newDirectoryReader(t, s).ListAccounts(context.Background(), creds)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.Transient != tc.transient {
				t.Fatalf("ListAccounts() = %v, want an *APIError %s (transient %v)", err, tc.code, tc.transient)
			}
			if !strings.HasPrefix(ae.Message, "ListAccounts: ") {
				t.Errorf("message %q, want it to name ListAccounts", ae.Message)
			}
		})
	}
}

func TestListAccountsHostileEntries(t *testing.T) {
	opts := directoryOptions()
	opts.Accounts[0].Raw = map[string]any{"DisplayName": "<!channel> dev\nhello"}
	opts.Accounts[1].Raw = map[string]any{"AccountId": "12"}
	opts.Accounts[2].Raw = map[string]any{"DisplayName": "pending " + akSecret}
	s := startServer(t, opts)
	dir, err := newDirectoryReader(t, s).ListAccounts(context.Background(), akCreds)
	if err != nil {
		t.Fatalf("ListAccounts() = %v", err)
	}
	want := []Account{
		{ID: homeID, Name: "management", Status: "CreateSuccess"},
		{ID: devID, Status: "CreateSuccess"},
		{ID: "1000000000000003", Status: "CreateVerifying"},
	}
	if diff := cmp.Diff(want, dir.Accounts); diff != "" {
		t.Errorf("ListAccounts() accounts (-want +got):\n%s", diff)
	}
	problems := strings.Join(dir.Problems, "\n")
	for _, w := range []string{
		"account " + devID + ": DisplayName \"??channel? dev?hello\" is not a display name", "shown by its ID",
		"account 3 of the listing: AccountId \"12\" is not an account ID (16 digits): left out",
		"account 1000000000000003: DisplayName holds one of the function's credentials",
	} {
		if !strings.Contains(problems, w) {
			t.Errorf("problems lack %q:\n%s", w, problems)
		}
	}
	if strings.Contains(problems, akSecret) {
		t.Errorf("problems quote the secret:\n%s", problems)
	}
}

func TestAssumeRole(t *testing.T) {
	s := startServer(t, directoryOptions())
	r := newDirectoryReader(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	creds, err := r.AssumeRole(ctx, akCreds, devID, reader, SessionName("1-6759a3c2-4f8e2b1a9d0c"))
	if err != nil {
		t.Fatalf("AssumeRole() = %v", err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "STS.") || creds.AccessKeySecret == "" || creds.SecurityToken == "" {
		t.Fatalf("AssumeRole() = ID %q, a secret %v, a token %v; want STS credentials", creds.AccessKeyID, creds.AccessKeySecret != "", creds.SecurityToken != "")
	}
	// The credentials read the member's bins, sending their security token on every call.
	scan := read(t, r, creds, "*")
	if len(scan.Bins) != 1 || scan.Bins[0].UserName != "dan" {
		t.Errorf("Read(*) with the member's credentials = %+v, want dan's bin", scan.Bins)
	}
	for _, seen := range s.Stats(devID).SeenCredentials {
		if !seen.WithToken {
			t.Errorf("a call in the member account was signed with %s without its security token", seen.AccessKeyID)
		}
	}
	if st := s.Stats(homeID); st.Calls["AssumeRole"] != 1 {
		t.Errorf("AssumeRole calls in the home account = %d, want 1", st.Calls["AssumeRole"])
	}
	// An error that repeats them never shows the member's secret or token.
	s.SetFault("ListUsers", "", ramfake.EchoCredentials)
	scan = read(t, r, creds, "*")
	msg := fmt.Sprint(scan.Errors)
	if len(scan.Errors) == 0 || strings.Contains(msg, creds.AccessKeySecret) || strings.Contains(msg, creds.SecurityToken) {
		t.Errorf("errors of a server that repeats the member's credentials = %s, want them redacted", msg)
	}
}

func TestAssumeRoleFailures(t *testing.T) {
	tests := []struct {
		name      string
		account   string
		role      string
		setup     func(s *ramfake.Server)
		code      string
		transient bool
		hint      string
	}{
		{name: "no such role", account: stagingID, role: reader, code: "EntityNotExist.Role", hint: "create it"},
		{name: "not trusted", account: devID, role: reader, setup: func(s *ramfake.Server) { s.SetAccountFault(devID, "AssumeRole", ramfake.Deny) },
			code: "NoPermission", hint: "does not trust the function's role"},
		{name: "throttled", account: devID, role: reader, setup: func(s *ramfake.Server) { s.SetAccountFault(devID, "AssumeRole", ramfake.Throttle) },
			code: "Throttling.User", transient: true},
		{name: "echoing server", account: devID, role: reader, setup: func(s *ramfake.Server) { s.SetAccountFault(devID, "AssumeRole", ramfake.EchoCredentials) },
			code: "InvalidParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, directoryOptions())
			if tc.setup != nil {
				tc.setup(s)
			}
			creds, err := newDirectoryReader(t, s).AssumeRole(context.Background(), akCreds, tc.account, tc.role, "ak-recycle-alert-test")
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tc.code || ae.Transient != tc.transient {
				t.Fatalf("AssumeRole() = %v, %v; want an *APIError %s (transient %v)", creds, err, tc.code, tc.transient)
			}
			if !strings.HasPrefix(ae.Message, "AssumeRole: ") || strings.Contains(ae.Message, akSecret) {
				t.Errorf("message %q, want it to name AssumeRole and hold no secret", ae.Message)
			}
			if got := AssumeRoleHint(ae.Code); !strings.Contains(got, tc.hint) {
				t.Errorf("AssumeRoleHint(%s) = %q, want it to say %q", ae.Code, got, tc.hint)
			}
		})
	}
}

func TestAssumeRoleRejectsBadInput(t *testing.T) {
	isolate(t)
	r, err := New(Config{STSEndpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, account, role, session string }{
		{"short account", "12345", reader, "ak-recycle-alert"},
		{"role with a slash", devID, "reader/x", "ak-recycle-alert"},
		{"role with an underscore", devID, "ak_reader", "ak-recycle-alert"},
		{"long session", devID, reader, strings.Repeat("s", 33)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.AssumeRole(context.Background(), akCreds, tc.account, tc.role, tc.session); err == nil {
				t.Errorf("AssumeRole(%q, %q, %q) = nil error, want one", tc.account, tc.role, tc.session)
			}
		})
	}
}

func TestSessionCredentials(t *testing.T) {
	sc := newScrubber(akSecret)
	for _, tc := range []struct{ name, body, err string }{
		{name: "valid", body: `{"Credentials":{"AccessKeyId":"STS.NKey1","AccessKeySecret":"s3cr3t-value","SecurityToken":"CAIS+tok/en=="}}`},
		{name: "no token", body: `{"Credentials":{"AccessKeyId":"STS.NKey1","AccessKeySecret":"s3cr3t-value"}}`,
			err: "Credentials.SecurityToken is missing or not a printable value"},
		{name: "token with a line break", body: `{"Credentials":{"AccessKeyId":"STS.NKey1","AccessKeySecret":"s3cr3t-value","SecurityToken":"CAIS\nSECRETTOKEN"}}`,
			err: "Credentials.SecurityToken is missing or not a printable value"},
		{name: "secret not a string", body: `{"Credentials":{"AccessKeyId":"STS.NKey1","AccessKeySecret":12,"SecurityToken":"CAIS"}}`,
			err: "Credentials.AccessKeySecret is missing"},
		{name: "key ID with markup", body: `{"Credentials":{"AccessKeyId":"<b>","AccessKeySecret":"s3cr3t-value","SecurityToken":"CAIS"}}`,
			err: `Credentials.AccessKeyId "?b?" is not an AccessKey ID`},
		{name: "not JSON", body: `<html>`, err: "answer is not the expected JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := sessionCredentials(sc, []byte(tc.body))
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("sessionCredentials() = %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("sessionCredentials() = %v, %v; want an error saying %q", c, err, tc.err)
			case err != nil && strings.Contains(err.Error(), "SECRETTOKEN"):
				t.Errorf("error %q quotes the token", err)
			}
		})
	}
}

func TestSessionName(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"1-6759a3c2-4f8e2b1a9d0c", "ak-recycle-alert-1-6759a3c2-4f8e"},
		{"local-6cd11d33dd879a78", "ak-recycle-alert-local-6cd11d33d"},
		{"", "ak-recycle-alert"},
		{"<!channel> é", "ak-recycle-alert-channel"},
	} {
		got := SessionName(tc.id)
		if got != tc.want || len(got) > 32 || !sessionRE.MatchString(got) {
			t.Errorf("SessionName(%q) = %q, want %q (a valid RoleSessionName)", tc.id, got, tc.want)
		}
	}
}

func TestParseAccounts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []string
		want    []string
		err     string
	}{
		{name: "ids", entries: []string{" 1000000000000001", "1000000000000002 ", "1000000000000001"}, want: []string{"1000000000000001", "1000000000000002"}},
		{name: "star", entries: []string{" * "}, want: []string{"*"}},
		{name: "star among ids", entries: []string{"*", "1000000000000001"}, err: "* (every account of the Resource Directory) must be the only entry"},
		{name: "short", entries: []string{"123456789012345"}, err: `entry "123456789012345" is not an account ID (16 digits)`},
		{name: "letters", entries: []string{"100000000000000a"}, err: "is not an account ID"},
		{name: "empty entry", entries: []string{"1000000000000001", ""}, err: "entry 2 is empty"},
		{name: "none", entries: nil, err: "no account given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAccounts(tc.entries)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("ParseAccounts(%q) = %q, %v; want an error saying %q", tc.entries, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAccounts(%q) = %v", tc.entries, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseAccounts(%q) (-want +got):\n%s", tc.entries, diff)
			}
		})
	}
}

func TestCheckRoleName(t *testing.T) {
	for name, ok := range map[string]bool{"ak-recycle-alert-reader": true, "Reader.v2": true, "": false,
		strings.Repeat("r", 65): false, "reader_x": false, "reader x": false} {
		if err := CheckRoleName(name); (err == nil) != ok {
			t.Errorf("CheckRoleName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}

package alibaba

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
)

// hostile returns the test users with raw fields set on the user with the given ID (user) or on its
// first key (key).
func hostile(id string, user, key map[string]any) []ramfake.User {
	users := make([]ramfake.User, len(testUsers))
	for i, u := range testUsers {
		u.Keys = append([]ramfake.Key(nil), u.Keys...)
		if u.ID == id {
			u.Raw = user
			if key != nil {
				u.Keys[0].Raw = key
			}
		}
		users[i] = u
	}
	return users
}

// TestReadHostileValues gives every API answer the reader parses a value no real answer has: that
// user's read is an InvalidResponse naming the answer and the field, quoting at most a short excerpt of
// the value, and the other users are read.
func TestReadHostileValues(t *testing.T) {
	alice, bob, carol, bot := testUsers[0], testUsers[1], testUsers[2], testUsers[3]
	long := strings.Repeat("9", 100000)
	tests := []struct {
		name    string
		users   []ramfake.User
		entries []string
		want    []alert.Bin
		errors  []string
		message []string // what the error message must name
	}{
		{name: "DeleteDate past the year 9999", users: hostile(bob.ID, nil, map[string]any{"DeleteDate": "9999-12-31T23:59:59-23:59"}),
			entries: []string{"alice", "bob"}, want: wantBins(alice), errors: []string{"bob:InvalidResponse"},
			message: []string{"ListAccessKeysInRecycleBin: key 1 (LTAI5tBobKey000000000001): DeleteDate", "2000-2200"}},
		{name: "RecycleDate before 2000", users: hostile(bob.ID, nil, map[string]any{"RecycleDate": "1999-12-31T23:59:59Z"}),
			entries: []string{"alice", "bob"}, want: wantBins(alice), errors: []string{"bob:InvalidResponse"}, message: []string{"RecycleDate", `"1999-12-31T23:59:59Z"`}},
		{name: "CreateDate after 2200", users: hostile(bob.ID, nil, map[string]any{"CreateDate": "2201-01-01T00:00:00Z"}),
			entries: []string{"alice", "bob"}, want: wantBins(alice), errors: []string{"bob:InvalidResponse"}, message: []string{"CreateDate"}},
		{name: "date of 100 KB", users: hostile(bob.ID, nil, map[string]any{"DeleteDate": long}),
			entries: []string{"alice", "bob"}, want: wantBins(alice), errors: []string{"bob:InvalidResponse"}, message: []string{"DeleteDate"}},
		{name: "AccessKeyId with markup", users: hostile(bob.ID, nil, map[string]any{"AccessKeyId": "<!channel>"}),
			entries: []string{"alice", "bob"}, want: wantBins(alice), errors: []string{"bob:InvalidResponse"}, message: []string{"key 1: AccessKeyId"}},
		{name: "AccessKeyId a number", users: hostile(bob.ID, nil, map[string]any{"AccessKeyId": 12}),
			entries: []string{"alice", "bob"}, want: wantBins(alice), errors: []string{"bob:InvalidResponse"}, message: []string{"ListAccessKeysInRecycleBin"}},
		{name: "RAM GetUser UserName with a newline", users: hostile(alice.ID, map[string]any{"UserName": "alice\n<!here>"}, nil),
			entries: []string{"alice", "bob"}, want: wantBins(bob), errors: []string{"alice:InvalidResponse"}, message: []string{"GetUser: User.UserName", "not a RAM user name"}},
		{name: "RAM GetUser UserId not digits", users: hostile(alice.ID, map[string]any{"UserId": "2073290024939201; rm"}, nil),
			entries: []string{"alice", "bob"}, want: wantBins(bob), errors: []string{"alice:InvalidResponse"}, message: []string{"GetUser: User.UserId"}},
		{name: "RAM GetUser UserName of 65 characters", users: hostile(alice.ID, map[string]any{"UserName": strings.Repeat("a", 65)}, nil),
			entries: []string{"alice", "bob"}, want: wantBins(bob), errors: []string{"alice:InvalidResponse"}, message: []string{"User.UserName"}},
		{name: "IMS GetUser principal name with two @", users: hostile(carol.ID, map[string]any{"UserPrincipalName": "carol@x@prod.onaliyun.com"}, nil),
			entries: []string{"carol@prod.onaliyun.com", "bob"}, want: wantBins(bob), errors: []string{"carol@prod.onaliyun.com:InvalidResponse"},
			message: []string{"GetUser: User.UserPrincipalName"}},
		{name: "IMS GetUser principal name with markup", users: hostile(carol.ID, map[string]any{"UserPrincipalName": "<b>carol</b>@prod.onaliyun.com"}, nil),
			entries: []string{"2073290024939203", "bob"}, want: wantBins(bob), errors: []string{"2073290024939203:InvalidResponse"},
			message: []string{"User.UserPrincipalName"}},
		{name: "IMS GetUser UserId a number", users: hostile(carol.ID, map[string]any{"UserId": 2073290024939203}, nil),
			entries: []string{"2073290024939203", "bob"}, want: wantBins(bob), errors: []string{"2073290024939203:InvalidResponse"}, message: []string{"GetUser"}},
		{name: "ListUsers entry with a bad name is reported under its ID", users: hostile(bob.ID, map[string]any{"UserName": "<!channel> rotate"}, nil),
			entries: []string{"*"}, want: wantBins(alice, carol, bot), errors: []string{bob.ID + ":InvalidResponse"},
			message: []string{"ListUsers: user 2 of the listing: UserName"}},
		{name: "ListUsers entry with a bad ID is reported under its name", users: hostile(bob.ID, map[string]any{"UserId": "bob's"}, nil),
			entries: []string{"*"}, want: wantBins(alice, carol, bot), errors: []string{"bob:InvalidResponse"}, message: []string{"UserId"}},
		{name: "ListUsers entry with nothing valid is reported by position", users: hostile(carol.ID, map[string]any{"UserId": 3, "UserName": []int{1}}, nil),
			entries: []string{"*"}, want: wantBins(alice, bob, bot), errors: []string{"ListUsers user 3:InvalidResponse"}, message: []string{"user 3 of the listing"}},
		{name: "ListUsers entry with an ID of 100 KB", users: hostile(carol.ID, map[string]any{"UserId": long}, nil),
			entries: []string{"*"}, want: wantBins(alice, bob, bot), errors: []string{"carol:InvalidResponse"}, message: []string{"UserId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOptions(tc.users))
			scan := read(t, newReader(t, s, Config{}), akCreds, tc.entries...)
			if diff := cmp.Diff(tc.want, scan.Bins); diff != "" {
				t.Errorf("Read(%q) bins (-want +got):\n%s", tc.entries, diff)
			}
			if diff := cmp.Diff(tc.errors, codes(scan.Errors)); diff != "" {
				t.Fatalf("Read(%q) errors (-want +got):\n%s", tc.entries, diff)
			}
			msg := scan.Errors[0].Message
			for _, w := range tc.message {
				if !strings.Contains(msg, w) {
					t.Errorf("error message %q, want it to contain %q", msg, w)
				}
			}
			if strings.ContainsAny(msg, "\n\r") || len(msg) > 300 || strings.Contains(msg, "<!") || strings.Contains(msg, strings.Repeat("9", 50)) {
				t.Errorf("error message %q: want one short line without markup or long excerpts", msg)
			}
		})
	}
}

// TestReadValueHoldingACredential: a value shaped like a valid one that holds the caller's secret is
// refused, and never quoted.
func TestReadValueHoldingACredential(t *testing.T) {
	const secret = "AlnumSecretLooksLikeAKeyId1234"
	opts := serverOptions(hostile(testUsers[1].ID, nil, map[string]any{"AccessKeyId": secret}))
	opts.Credentials["LTAI5tAlnumSecretCaller1"] = ramfake.Credential{Secret: secret}
	s := startServer(t, opts)
	scan := read(t, newReader(t, s, Config{}), &Credentials{AccessKeyID: "LTAI5tAlnumSecretCaller1", AccessKeySecret: secret}, "alice", "bob")
	if diff := cmp.Diff([]string{"bob:InvalidResponse"}, codes(scan.Errors)); diff != "" {
		t.Fatalf("Read() errors (-want +got):\n%s", diff)
	}
	if msg := scan.Errors[0].Message; strings.Contains(msg, secret) || !strings.Contains(msg, "credential") {
		t.Errorf("error message %q, want it to say a value holds a credential, without it", msg)
	}
}

// TestReadConfiguredCredentials: the credentials of Config sign the calls when Read is given none, and
// theirs and the invocation's are redacted from an error that repeats them.
func TestReadConfiguredCredentials(t *testing.T) {
	env := &Credentials{AccessKeyID: envID, AccessKeySecret: envSecret, SecurityToken: envToken}
	for _, tc := range []struct {
		name  string
		creds *Credentials
		seen  string
	}{
		{name: "configured", seen: envID},
		{name: "the invocation's win", creds: stsCreds, seen: stsID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOptions(testUsers))
			s.SetFault("ListAccessKeysInRecycleBin", testUsers[1].ID, ramfake.EchoCredentials)
			scan := read(t, newReader(t, s, Config{Credentials: env}), tc.creds, "alice", "bob")
			if diff := cmp.Diff([]ramfake.SeenCredential{{AccessKeyID: tc.seen, WithToken: true}}, s.SeenCredentials()); diff != "" {
				t.Errorf("credentials seen by the server (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"bob:InvalidParameter"}, codes(scan.Errors)); diff != "" {
				t.Fatalf("Read() errors (-want +got):\n%s", diff)
			}
			if msg := scan.Errors[0].Message; len(secretsIn(msg)) > 0 || !strings.Contains(msg, redacted) {
				t.Errorf("error message %q, want the echoed credentials redacted", msg)
			}
		})
	}
}

func TestNewRejectsIncompleteCredentials(t *testing.T) {
	if _, err := New(Config{Credentials: &Credentials{AccessKeyID: akID}}); err == nil || strings.Contains(err.Error(), akID) {
		t.Errorf("New(credentials without a secret) = %v, want an error", err)
	}
}

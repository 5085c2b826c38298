package alibaba

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/internal/offline"
)

// Fake credentials: none of them exists anywhere but in these tests.
const (
	akID      = "LTAI5tTestCallerKey00001"
	akSecret  = "test-secret-Zq9vXw3Lm7Pk"
	stsID     = "STS.NTestStsKey00000000001"
	stsSecret = "sts-secret-Hq2Wn8Rt5Yu"
	stsToken  = "CAIS+test/Token==with*odd~chars-SECRETTOKENVALUE"
	envID     = "STS.NTestEnvKey0000000002"
	envSecret = "env-secret-Bc4Df6Gh8Jk"
	envToken  = "CAIS+env/Token==ENVTOKENVALUE"
)

var (
	now      = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	akCreds  = &Credentials{AccessKeyID: akID, AccessKeySecret: akSecret}
	stsCreds = &Credentials{AccessKeyID: stsID, AccessKeySecret: stsSecret, SecurityToken: stsToken}
)

// TestMain clears the process's proxies, Alibaba Cloud credentials and profiles once for every test and
// benchmark of the package (offline.Isolate), which the SDK would otherwise read; isolate does more
// for the tests that build a Reader.
func TestMain(m *testing.M) {
	offline.Isolate(func(name, value string) { os.Setenv(name, value) })
	os.Exit(m.Run())
}

// isolate keeps the SDK from reaching beyond loopback or reading a person's credentials: no proxies, no
// ECS metadata, no CLI profile, no credential files, and no credentials in the environment.
func isolate(t testing.TB) {
	t.Helper()
	offline.Isolate(t.Setenv)
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("HOME", t.TempDir())
}

func key(id string, recycledAgo time.Duration) ramfake.Key {
	r := now.Add(-recycledAgo)
	return ramfake.Key{AccessKeyID: id, CreateDate: r.Add(-300 * 24 * time.Hour), RecycleDate: r, DeleteDate: r.Add(30 * 24 * time.Hour)}
}

var testUsers = []ramfake.User{
	{ID: "2073290024939201", Name: "alice", Keys: []ramfake.Key{key("LTAI5tAliceKey0000000001", 6*time.Hour)}},
	{ID: "2073290024939202", Name: "bob", Keys: []ramfake.Key{key("LTAI5tBobKey000000000001", 20*24*time.Hour), key("LTAI5tBobKey000000000002", 2*24*time.Hour)}},
	{ID: "2073290024939203", Name: "carol", PrincipalName: "carol@prod.onaliyun.com"},
	{ID: "2073290024939204", Name: "deploy-bot", Keys: []ramfake.Key{key("LTAI5tDeployBotKey000001", 29*24*time.Hour)}},
}

// wantBin is the alert.Bin a fixture user reads as.
func wantBin(u ramfake.User) alert.Bin {
	b := alert.Bin{UserName: u.Name, UserID: u.ID, Keys: []alert.Key{}}
	for _, k := range u.Keys {
		b.Keys = append(b.Keys, alert.Key{AccessKeyID: k.AccessKeyID, CreateDate: k.CreateDate, RecycleDate: k.RecycleDate, DeleteDate: k.DeleteDate})
	}
	return b
}

func wantBins(users ...ramfake.User) []alert.Bin {
	bins := []alert.Bin{}
	for _, u := range users {
		bins = append(bins, wantBin(u))
	}
	return bins
}

func serverOptions(users []ramfake.User) ramfake.Options {
	return ramfake.Options{
		Users: users,
		Credentials: map[string]ramfake.Credential{
			akID:  {Secret: akSecret},
			stsID: {Secret: stsSecret, Token: stsToken},
			envID: {Secret: envSecret, Token: envToken},
		},
	}
}

func startServer(t *testing.T, opts ramfake.Options) *ramfake.Server {
	t.Helper()
	isolate(t)
	s := ramfake.New(opts)
	t.Cleanup(s.Close)
	return s
}

func newReader(t *testing.T, s *ramfake.Server, cfg Config) *Reader {
	t.Helper()
	if cfg.RAMEndpoint == "" {
		cfg.RAMEndpoint = s.URL()
	}
	if cfg.IMSEndpoint == "" {
		cfg.IMSEndpoint = s.URL()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	r.retryBase, r.retryCap = 5*time.Millisecond, 50*time.Millisecond // keep retry tests fast
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func read(t *testing.T, r *Reader, creds *Credentials, entries ...string) *Scan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	scan, err := r.Read(ctx, creds, entries)
	if err != nil {
		t.Fatalf("Read(%q) error = %v", entries, err)
	}
	return scan
}

// codes summarizes errors as user:code[:transient].
func codes(errs []UserError) []string {
	out := []string{}
	for _, e := range errs {
		s := e.User + ":" + e.Code
		if e.Transient {
			s += ":transient"
		}
		out = append(out, s)
	}
	return out
}

func TestReadResolvesEntries(t *testing.T) {
	alice, bob, carol, bot := testUsers[0], testUsers[1], testUsers[2], testUsers[3]
	tests := []struct {
		name        string
		entries     []string
		want        []alert.Bin
		ramGetUser  int
		imsGetUser  int
		recycleBins int
	}{
		{name: "names", entries: []string{"bob", "alice"}, want: wantBins(bob, alice), ramGetUser: 2, recycleBins: 2},
		{name: "principal names", entries: []string{"carol@prod.onaliyun.com", "alice@corp.onaliyun.com"}, want: wantBins(carol, alice), imsGetUser: 2, recycleBins: 2},
		{name: "ids", entries: []string{"2073290024939204", "2073290024939203"}, want: wantBins(bot, carol), imsGetUser: 2, recycleBins: 2},
		{name: "mixed", entries: []string{"deploy-bot", "2073290024939202", "carol@prod.onaliyun.com"}, want: wantBins(bot, bob, carol), ramGetUser: 1, imsGetUser: 2, recycleBins: 3},
		{name: "duplicates read once, first entry wins", entries: []string{"bob", "alice", "2073290024939201", "alice@corp.onaliyun.com", "bob", "ALICE"}, want: wantBins(bob, alice), ramGetUser: 3, imsGetUser: 2, recycleBins: 2},
		{name: "duplicate before its first is resolved", entries: []string{"2073290024939202", "bob"}, want: wantBins(bob), ramGetUser: 1, imsGetUser: 1, recycleBins: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOptions(testUsers))
			scan := read(t, newReader(t, s, Config{}), akCreds, tc.entries...)
			if diff := cmp.Diff(tc.want, scan.Bins); diff != "" {
				t.Errorf("Read(%q) bins (-want +got):\n%s", tc.entries, diff)
			}
			if len(scan.Errors) != 0 {
				t.Errorf("Read(%q) errors = %v, want none", tc.entries, scan.Errors)
			}
			getUser := tc.ramGetUser + tc.imsGetUser
			if got := s.Calls("GetUser"); got != getUser {
				t.Errorf("GetUser calls = %d, want %d", got, getUser)
			}
			if got := s.Calls("ListAccessKeysInRecycleBin"); got != tc.recycleBins {
				t.Errorf("ListAccessKeysInRecycleBin calls = %d, want %d", got, tc.recycleBins)
			}
			if scan.Calls != s.TotalCalls() {
				t.Errorf("Scan.Calls = %d, want the server's %d", scan.Calls, s.TotalCalls())
			}
		})
	}
}

func TestReadAllUsersPages(t *testing.T) {
	users := ramfake.SyntheticUsers(2500, now)
	s := startServer(t, serverOptions(users))
	scan := read(t, newReader(t, s, Config{}), akCreds, "*")
	if diff := cmp.Diff(wantBins(users...), scan.Bins); diff != "" {
		t.Errorf("Read(*) bins (-want +got):\n%s", diff)
	}
	if len(scan.Errors) != 0 {
		t.Errorf("Read(*) errors = %v, want none", codes(scan.Errors))
	}
	if got := s.Calls("ListUsers"); got != 3 {
		t.Errorf("ListUsers calls = %d, want 3 pages", got)
	}
	if got := s.Calls("GetUser"); got != 0 {
		t.Errorf("GetUser calls = %d, want 0", got)
	}
	if got := s.Calls("ListUsersInRecycleBin"); got != 1 {
		t.Errorf("ListUsersInRecycleBin calls = %d, want 1 page (the user bin is empty)", got)
	}
	if got, want := scan.Calls, 2504; got != want {
		t.Errorf("Scan.Calls = %d, want %d", got, want)
	}
	if diff := cmp.Diff(&UserBin{Listed: true}, scan.UserBin); diff != "" {
		t.Errorf("Read(*) UserBin (-want +got):\n%s", diff)
	}
}

func TestReadUserErrors(t *testing.T) {
	alice, bob := testUsers[0], testUsers[1]
	tests := []struct {
		name    string
		setup   func(s *ramfake.Server)
		entries []string
		want    []alert.Bin
		errors  []string
		action  string // the action every error message names
	}{
		{name: "unknown user", entries: []string{"alice", "ghost", "bob", "ghost@corp.onaliyun.com", "9999"},
			want: wantBins(alice, bob), action: "GetUser",
			errors: []string{"ghost:EntityNotExist.User", "ghost@corp.onaliyun.com:EntityNotExist.User", "9999:EntityNotExist.User"}},
		{name: "no permission on the bin", entries: []string{"alice", "bob"},
			setup: func(s *ramfake.Server) { s.SetFault("ListAccessKeysInRecycleBin", bob.ID, ramfake.Deny) },
			want:  wantBins(alice), errors: []string{"bob:NoPermission"}, action: "ListAccessKeysInRecycleBin"},
		{name: "no permission on GetUser", entries: []string{"alice", "bob"},
			setup: func(s *ramfake.Server) { s.SetFault("GetUser", alice.ID, ramfake.Deny) },
			want:  wantBins(bob), errors: []string{"alice:NoPermission"}, action: "GetUser"},
		{name: "error reported under the first entry", entries: []string{"bob", "2073290024939202"},
			setup: func(s *ramfake.Server) { s.SetFault("ListAccessKeysInRecycleBin", bob.ID, ramfake.Deny) },
			want:  wantBins(), errors: []string{"bob:NoPermission"}, action: "ListAccessKeysInRecycleBin"},
		{name: "non-JSON answer", entries: []string{"alice", "bob"},
			setup: func(s *ramfake.Server) { s.SetFault("ListAccessKeysInRecycleBin", bob.ID, ramfake.NonJSON) },
			want:  wantBins(alice), errors: []string{"bob:InvalidResponse"}, action: "ListAccessKeysInRecycleBin"},
		{name: "numeric Code panics the SDK", entries: []string{"alice", "bob"},
			setup: func(s *ramfake.Server) { s.SetFault("ListAccessKeysInRecycleBin", bob.ID, ramfake.NumericCode) },
			want:  wantBins(alice), errors: []string{"bob:InvalidResponse"}, action: "ListAccessKeysInRecycleBin"},
		{name: "numeric Code on GetUser", entries: []string{"alice", "bob"},
			setup: func(s *ramfake.Server) { s.SetFault("GetUser", alice.ID, ramfake.NumericCode) },
			want:  wantBins(bob), errors: []string{"alice:InvalidResponse"}, action: "GetUser"},
		{name: "non-JSON GetUser", entries: []string{"2073290024939201", "bob"},
			setup: func(s *ramfake.Server) { s.SetFault("GetUser", alice.ID, ramfake.NonJSON) },
			want:  wantBins(bob), errors: []string{"2073290024939201:InvalidResponse"}, action: "GetUser"},
		{name: "missing AccessKeyId", entries: []string{"alice", "bob"},
			setup: func(s *ramfake.Server) {
				s.SetFault("ListAccessKeysInRecycleBin", alice.ID, ramfake.MissingAccessKeyID)
			},
			want: wantBins(bob), errors: []string{"alice:InvalidResponse"}, action: "ListAccessKeysInRecycleBin"},
		{name: "unparsable date", entries: []string{"alice", "bob"},
			setup: func(s *ramfake.Server) { s.SetFault("ListAccessKeysInRecycleBin", bob.ID, ramfake.BadDate) },
			want:  wantBins(alice), errors: []string{"bob:InvalidResponse"}, action: "ListAccessKeysInRecycleBin"},
		{name: "ListUsers denied", entries: []string{"*"},
			setup: func(s *ramfake.Server) { s.SetFault("ListUsers", "", ramfake.Deny) },
			want:  wantBins(), errors: []string{"*:NoPermission"}, action: "ListUsers"},
		{name: "ListUsers not JSON", entries: []string{"*"},
			setup: func(s *ramfake.Server) { s.SetFault("ListUsers", "", ramfake.NonJSON) },
			want:  wantBins(), errors: []string{"*:InvalidResponse"}, action: "ListUsers"},
		{name: "one bin denied under *", entries: []string{"*"},
			setup: func(s *ramfake.Server) { s.SetFault("ListAccessKeysInRecycleBin", alice.ID, ramfake.Deny) },
			want:  wantBins(testUsers[1:]...), errors: []string{"alice:NoPermission"}, action: "ListAccessKeysInRecycleBin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOptions(testUsers))
			if tc.setup != nil {
				tc.setup(s)
			}
			scan := read(t, newReader(t, s, Config{}), akCreds, tc.entries...)
			if diff := cmp.Diff(tc.want, scan.Bins); diff != "" {
				t.Errorf("Read(%q) bins (-want +got):\n%s", tc.entries, diff)
			}
			if diff := cmp.Diff(tc.errors, codes(scan.Errors)); diff != "" {
				t.Errorf("Read(%q) errors (-want +got):\n%s", tc.entries, diff)
			}
			for _, e := range scan.Errors {
				if !strings.HasPrefix(e.Message, tc.action+": ") || strings.Contains(e.Message, "\n") {
					t.Errorf("error message = %q, want one line starting with %q", e.Message, tc.action+": ")
				}
				if want := strings.HasPrefix(tc.name, "numeric Code"); e.Panicked != want {
					t.Errorf("error %+v: Panicked = %v, want %v", e, e.Panicked, want)
				}
			}
		})
	}
}

func TestReadRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(s *ramfake.Server)
		entries   []string
		errors    []string
		minCalls  int
		exactCall int
	}{
		{name: "throttled calls retried to success", setup: func(s *ramfake.Server) { s.ThrottleNext(5) }, entries: []string{"alice", "bob"}, errors: []string{}, minCalls: 9},
		{name: "503 retried", setup: func(s *ramfake.Server) { s.FailNext(3, 503) }, entries: []string{"alice"}, errors: []string{}, exactCall: 5},
		{name: "500 retried", setup: func(s *ramfake.Server) { s.FailNext(2, 500) }, entries: []string{"*"}, errors: []string{}, minCalls: 7},
		{name: "500 that survives", setup: func(s *ramfake.Server) { s.FailNext(1000, 500) }, entries: []string{"2073290024939201"},
			errors: []string{"2073290024939201:InternalError:transient"}, exactCall: maxAttempts},
		{name: "throttling that survives", setup: func(s *ramfake.Server) { s.ThrottleNext(1000) }, entries: []string{"*"},
			errors: []string{"*:Throttling.User:transient", "ListUsersInRecycleBin:Throttling.User:transient"}, exactCall: 2 * maxAttempts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOptions(testUsers))
			tc.setup(s)
			scan := read(t, newReader(t, s, Config{}), akCreds, tc.entries...)
			if diff := cmp.Diff(tc.errors, codes(scan.Errors)); diff != "" {
				t.Errorf("Read(%q) errors (-want +got):\n%s", tc.entries, diff)
			}
			if len(tc.errors) == 0 && len(scan.Bins) == 0 {
				t.Errorf("Read(%q) read no bins", tc.entries)
			}
			if tc.exactCall != 0 && scan.Calls != tc.exactCall {
				t.Errorf("Scan.Calls = %d, want %d", scan.Calls, tc.exactCall)
			}
			if scan.Calls < tc.minCalls {
				t.Errorf("Scan.Calls = %d, want at least %d", scan.Calls, tc.minCalls)
			}
			for _, e := range scan.Errors {
				if !strings.Contains(e.Message, "attempts") {
					t.Errorf("error message = %q, want the number of attempts", e.Message)
				}
			}
		})
	}
}

func TestReadCredentials(t *testing.T) {
	tests := []struct {
		name  string
		creds *Credentials
		env   map[string]string
		want  []ramfake.SeenCredential
	}{
		{name: "given STS credentials win over the environment", creds: stsCreds,
			env:  map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": envID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": envSecret, "ALIBABA_CLOUD_SECURITY_TOKEN": envToken},
			want: []ramfake.SeenCredential{{AccessKeyID: stsID, WithToken: true}}},
		{name: "given AccessKey", creds: akCreds, want: []ramfake.SeenCredential{{AccessKeyID: akID}}},
		{name: "default chain sends the STS token of the environment",
			env:  map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": envID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": envSecret, "ALIBABA_CLOUD_SECURITY_TOKEN": envToken},
			want: []ramfake.SeenCredential{{AccessKeyID: envID, WithToken: true}}},
		{name: "default chain with an AccessKey in the environment",
			env:  map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": akID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret},
			want: []ramfake.SeenCredential{{AccessKeyID: akID}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOptions(testUsers))
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			scan := read(t, newReader(t, s, Config{}), tc.creds, "alice", "bob@corp.onaliyun.com")
			if len(scan.Errors) != 0 || len(scan.Bins) != 2 {
				t.Fatalf("Read() = %d bins, errors %v; want 2 bins, no errors", len(scan.Bins), scan.Errors)
			}
			if diff := cmp.Diff(tc.want, s.SeenCredentials()); diff != "" {
				t.Errorf("credentials seen by the server (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadDefaultChainWithoutCredentials(t *testing.T) {
	s := startServer(t, serverOptions(testUsers))
	scan := read(t, newReader(t, s, Config{}), nil, "alice")
	if diff := cmp.Diff([]string{"alice:SDK.ClientError"}, codes(scan.Errors)); diff != "" {
		t.Errorf("Read() errors (-want +got):\n%s", diff)
	}
	if got := s.TotalCalls(); got != 0 {
		t.Errorf("server calls = %d, want 0", got)
	}
}

// secretsIn returns the secrets (in the forms a request carries them) that appear in s.
func secretsIn(s string) []string {
	var found []string
	for _, v := range []string{akSecret, stsSecret, stsToken, envSecret, envToken, "SECRETTOKENVALUE", "ENVTOKENVALUE", "wrong-env-secret-Xy12", "Signature=", "Signature%3D"} {
		for _, form := range []string{v, url.QueryEscape(v), url.QueryEscape(url.QueryEscape(v))} {
			if strings.Contains(s, form) {
				found = append(found, form)
			}
		}
	}
	return found
}

func TestReadAuthFailures(t *testing.T) {
	tests := []struct {
		name   string
		creds  *Credentials
		env    map[string]string // for the default chain (creds nil)
		opts   func(o *ramfake.Options)
		code   string
		quotes bool // the server's message quotes the string to sign
	}{
		{name: "wrong secret in the environment", code: "SignatureDoesNotMatch", quotes: true,
			env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": envID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong-env-secret-Xy12", "ALIBABA_CLOUD_SECURITY_TOKEN": envToken}},
		{name: "wrong secret", creds: &Credentials{AccessKeyID: stsID, AccessKeySecret: "wrong-secret-Aa1Bb2Cc3", SecurityToken: stsToken}, code: "SignatureDoesNotMatch", quotes: true},
		{name: "wrong token", creds: &Credentials{AccessKeyID: stsID, AccessKeySecret: stsSecret, SecurityToken: "CAIS+wrong/SECRETTOKENVALUE"}, code: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "STS key without token", creds: &Credentials{AccessKeyID: stsID, AccessKeySecret: stsSecret}, code: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "unknown AccessKey", creds: &Credentials{AccessKeyID: "LTAI5tUnknownKey00000000", AccessKeySecret: akSecret}, code: "InvalidAccessKeyId.NotFound"},
		{name: "clock skew", creds: stsCreds, opts: func(o *ramfake.Options) { o.Now = func() time.Time { return time.Now().Add(time.Hour) } }, code: "InvalidTimeStamp.Expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := serverOptions(testUsers)
			if tc.opts != nil {
				tc.opts(&opts)
			}
			s := startServer(t, opts)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			entries := []string{"alice", "bob", "carol", "deploy-bot"}
			scan := read(t, newReader(t, s, Config{MaxWorkers: 1, Logger: logger}), tc.creds, entries...)
			if found := secretsIn(logs.String()); len(found) > 0 {
				t.Errorf("logs hold secrets %q:\n%s", found, logs.String())
			}
			if len(scan.Bins) != 0 || len(scan.Errors) != len(entries) {
				t.Fatalf("Read() = %d bins, %d errors; want 0 bins, %d errors", len(scan.Bins), len(scan.Errors), len(entries))
			}
			for _, e := range scan.Errors {
				if e.Code != tc.code || e.Transient {
					t.Errorf("error %s = %s (transient %v), want %s, permanent", e.User, e.Code, e.Transient, tc.code)
				}
				if found := secretsIn(e.Message); len(found) > 0 {
					t.Errorf("error message %q holds secrets %q", e.Message, found)
				}
				if tc.quotes && !strings.Contains(e.Message, "string to sign is:"+redacted) {
					t.Errorf("error message %q, want the quoted string to sign redacted", e.Message)
				}
			}
			if got := s.TotalCalls(); got != 1 {
				t.Errorf("server calls = %d, want 1: a refused credential is not tried again", got)
			}
		})
	}
}

func TestReadTransportFailureIsScrubbed(t *testing.T) {
	isolate(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := New(Config{RAMEndpoint: "http://" + addr, IMSEndpoint: "http://" + addr, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	r.retryBase = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	scan, err := r.Read(ctx, stsCreds, []string{"alice"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"alice:ConnectionError:transient"}, codes(scan.Errors)); diff != "" {
		t.Fatalf("Read() errors (-want +got):\n%s", diff)
	}
	msg := scan.Errors[0].Message
	if found := secretsIn(msg); len(found) > 0 || strings.Contains(msg, "?") || strings.Contains(msg, "AccessKeyId") {
		t.Errorf("error message %q holds the request query or secrets %q", msg, found)
	}
	if !strings.Contains(msg, "http://"+addr) || !strings.Contains(msg, "refused") {
		t.Errorf("error message %q, want the scheme, host and cause", msg)
	}
	if scan.Calls != maxAttempts {
		t.Errorf("Scan.Calls = %d, want %d attempts", scan.Calls, maxAttempts)
	}
	if found := secretsIn(logs.String()); len(found) > 0 || !strings.Contains(logs.String(), "retrying") {
		t.Errorf("logs hold secrets %q or no retry line:\n%s", found, logs.String())
	}
}

func TestReadDeadline(t *testing.T) {
	// Neither subtest asserts how long anything took: how soon a goroutine runs again after a timer
	// depends on the machine's load. They count calls, whose length the emulator's latency bounds from
	// below, and bound Read's return by a time far beyond any scheduling delay.
	users := func(n int) []string {
		var entries []string
		for i := range n {
			entries = append(entries, fmt.Sprintf("user%04d", i+1))
		}
		return entries
	}
	t.Run("stops starting calls before the deadline", func(t *testing.T) {
		const latency, timeout, workers = 200 * time.Millisecond, 900 * time.Millisecond, 2
		opts := serverOptions(ramfake.SyntheticUsers(60, now))
		opts.Latency = latency
		s := startServer(t, opts)
		r := newReader(t, s, Config{MaxWorkers: workers})
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		entries := users(60)
		scan, err := r.Read(ctx, akCreds, entries)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(scan.Bins) + len(scan.Errors); got != len(entries) {
			t.Errorf("Read() accounted for %d users, want %d", got, len(entries))
		}
		// A call lasts at least the latency, or, cut by the deadline, minCallTime, which only calls
		// starting too late to end before the stop point get. So each worker starts at most
		// ceil(startable/latency) calls before the stop point, minCallTime+deadlineGuard before the
		// deadline; a reader starting calls until the deadline starts one more.
		startable := timeout - minCallTime - deadlineGuard
		// (Scan.Calls counts them all; the emulator does not count a request given up during its latency.)
		if most := workers * int((startable+latency-1)/latency); scan.Calls > most {
			t.Errorf("Scan.Calls = %d, want at most %d: calls started within %v of the deadline",
				scan.Calls, most, minCallTime+deadlineGuard)
		}
		// The users no call was started for are DeadlineExceeded. A call that started with less time
		// left than the latency (when, depends on the load) times out at the deadline: at most one per
		// worker.
		deadlined, timedOut := 0, 0
		for _, e := range scan.Errors {
			switch {
			case !e.Transient:
				t.Errorf("error %s = %s, not transient; want it transient", e.User, e.Code)
			case e.Code == codeDeadline:
				deadlined++
			case e.Code == codeTimeout:
				timedOut++
			default:
				t.Errorf("error %s = %s, want %s (or %s for a call cut by the deadline)", e.User, e.Code, codeDeadline, codeTimeout)
			}
		}
		if deadlined == 0 || timedOut > workers {
			t.Errorf("Read() errors: %d %s and %d %s; want users left unread and at most one timed-out call per worker",
				deadlined, codeDeadline, timedOut, codeTimeout)
		}
	})
	t.Run("cuts calls in flight at the deadline", func(t *testing.T) {
		// The emulator answers after a minute, longer than the default read timeout: only the deadline
		// can end the calls in flight.
		const timeout, workers = 1500 * time.Millisecond, 2
		opts := serverOptions(ramfake.SyntheticUsers(4, now))
		opts.Latency = time.Minute
		s := startServer(t, opts)
		r := newReader(t, s, Config{MaxWorkers: workers})
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		deadline, _ := ctx.Deadline()
		scan, err := r.Read(ctx, akCreds, users(4))
		if err != nil {
			t.Fatal(err)
		}
		if late := time.Since(deadline); late > defaultReadTimeout/2 {
			t.Errorf("Read returned %v after the deadline: the calls in flight were not cut by it", late.Round(time.Millisecond))
		}
		var got []string
		for _, e := range scan.Errors {
			got = append(got, fmt.Sprintf("%s:%v", e.Code, e.Transient))
		}
		slices.Sort(got)
		want := []string{codeDeadline + ":true", codeDeadline + ":true", codeTimeout + ":true", codeTimeout + ":true"}
		if len(scan.Bins) != 0 || !cmp.Equal(got, want) {
			t.Errorf("Read() = %d bins, errors %q; want the %d calls in flight timed out and the other users not called",
				len(scan.Bins), got, workers)
		}
	})
	t.Run("expired context makes no call", func(t *testing.T) {
		s := startServer(t, serverOptions(testUsers))
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		scan, err := newReader(t, s, Config{}).Read(ctx, akCreds, []string{"alice", "bob"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"alice:DeadlineExceeded:transient", "bob:DeadlineExceeded:transient"}, codes(scan.Errors)); diff != "" {
			t.Errorf("Read() errors (-want +got):\n%s", diff)
		}
		if s.TotalCalls() != 0 {
			t.Errorf("server calls = %d, want 0", s.TotalCalls())
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		s := startServer(t, serverOptions(testUsers))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		scan, err := newReader(t, s, Config{}).Read(ctx, akCreds, []string{"*"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"*:Canceled:transient", "ListUsersInRecycleBin:Canceled:transient"}, codes(scan.Errors)); diff != "" {
			t.Errorf("Read() errors (-want +got):\n%s", diff)
		}
	})
}

func TestReadConcurrencyIsBounded(t *testing.T) {
	opts := serverOptions(ramfake.SyntheticUsers(80, now))
	opts.Latency = 20 * time.Millisecond
	s := startServer(t, opts)
	scan := read(t, newReader(t, s, Config{MaxWorkers: 5}), akCreds, "*")
	if len(scan.Bins) != 80 || len(scan.Errors) != 0 {
		t.Fatalf("Read(*) = %d bins, errors %v; want 80 bins", len(scan.Bins), codes(scan.Errors))
	}
	if got := s.MaxConcurrency(); got > 5 || got < 2 {
		t.Errorf("server saw %d concurrent calls, want 2 to 5", got)
	}
}

// TestReadsShareTheOverallBound: the Reads of one Reader, each an account of its own with MaxWorkers
// calls at most, together make no more than MaxCalls at once.
func TestReadsShareTheOverallBound(t *testing.T) {
	opts := serverOptions(ramfake.SyntheticUsers(60, now))
	opts.Latency = 20 * time.Millisecond
	s := startServer(t, opts)
	r := newReader(t, s, Config{MaxWorkers: 8, MaxCalls: 6})
	var wg sync.WaitGroup
	scans := make([]*Scan, 3)
	for i := range scans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scans[i] = read(t, r, akCreds, "*")
		}()
	}
	wg.Wait()
	for i, scan := range scans {
		if len(scan.Bins) != 60 || len(scan.Errors) != 0 {
			t.Errorf("Read %d = %d bins, errors %v; want 60 bins", i, len(scan.Bins), codes(scan.Errors))
		}
	}
	if got := s.MaxConcurrency(); got > 6 || got < 4 {
		t.Errorf("server saw %d concurrent calls of 3 Reads, want 4 to 6 (MaxCalls)", got)
	}
}

func TestReadHTTPSByDefault(t *testing.T) {
	opts := serverOptions(testUsers)
	opts.TLS = true
	s := startServer(t, opts)
	pool := x509.NewCertPool()
	cert := s.Certificate()
	pool.AppendCertsFromPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	// A bare host means HTTPS.
	r := newReader(t, s, Config{RAMEndpoint: s.Host(), IMSEndpoint: s.Host(), RootCAs: pool})
	scan := read(t, r, stsCreds, "*")
	if diff := cmp.Diff(wantBins(testUsers...), scan.Bins); diff != "" {
		t.Errorf("Read(*) over HTTPS (-want +got):\n%s", diff)
	}
	// Without the test CA, the server's certificate is refused: a permanent TLS failure is still reported.
	r = newReader(t, s, Config{RAMEndpoint: s.Host(), IMSEndpoint: s.Host()})
	scan = read(t, r, stsCreds, "alice")
	if diff := cmp.Diff([]string{"alice:TLSCertificateError"}, codes(scan.Errors)); diff != "" {
		t.Errorf("Read() without the CA: errors (-want +got):\n%s", diff)
	}
	if scan.Calls != 1 {
		t.Errorf("Scan.Calls = %d, want 1: a refused certificate is not retried", scan.Calls)
	}
	if msg := scan.Errors[0].Message; !strings.Contains(msg, "https://"+s.Host()) {
		t.Errorf("error message %q, want the scheme and host", msg)
	}
}

func TestReadRejectsBadInput(t *testing.T) {
	isolate(t)
	r, err := New(Config{RAMEndpoint: "http://127.0.0.1:1", IMSEndpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		creds   *Credentials
		entries []string
	}{
		{name: "no entries", creds: akCreds},
		{name: "* among names", creds: akCreds, entries: []string{"alice", "*"}},
		{name: "empty entry", creds: akCreds, entries: []string{"alice", ""}},
		{name: "entry with space", creds: akCreds, entries: []string{" alice"}},
		{name: "bad principal", creds: akCreds, entries: []string{"alice@"}},
		{name: "credentials without secret", creds: &Credentials{AccessKeyID: akID}, entries: []string{"alice"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scan, err := r.Read(context.Background(), tc.creds, tc.entries)
			if err == nil {
				t.Errorf("Read(%q) = %v, want an error", tc.entries, scan)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "region", cfg: Config{Region: "cn hangzhou"}},
		{name: "workers", cfg: Config{MaxWorkers: -1}},
		{name: "calls", cfg: Config{MaxCalls: -1}},
		{name: "STS endpoint", cfg: Config{STSEndpoint: "https://u:p@sts.aliyuncs.com"}},
		{name: "Resource Manager endpoint", cfg: Config{ResourceManagerEndpoint: "http://resourcemanager.aliyuncs.com"}},
		{name: "http to a remote host", cfg: Config{RAMEndpoint: "http://ram.aliyuncs.com"}},
		{name: "path in IMS endpoint", cfg: Config{IMSEndpoint: "https://ims.aliyuncs.com/x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Errorf("New(%+v) = nil error, want one", tc.cfg)
			}
		})
	}
}

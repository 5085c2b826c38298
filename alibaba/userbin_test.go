package alibaba

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
)

// deleted returns a user deleted daysAgo days ago, kept 30 days in the user bin, with the given keys.
func deleted(id, name string, daysAgo int, keys ...ramfake.Key) ramfake.RecycledUser {
	r := now.Add(-time.Duration(daysAgo) * 24 * time.Hour)
	return ramfake.RecycledUser{ID: id, Name: name, CreateDate: r.Add(-400 * 24 * time.Hour), RecycleDate: r,
		DeleteDate: r.Add(30 * 24 * time.Hour), Keys: keys}
}

// wantRecycled is the alert.Bin a deleted fixture user reads as; its keys are listed unless none.
func wantRecycled(r ramfake.RecycledUser, none bool) alert.Bin {
	b := wantBin(ramfake.User{ID: r.ID, Name: r.Name, Keys: r.Keys})
	if none {
		b.Keys = []alert.Key{}
	}
	b.Recycled = &alert.RecycledUser{PrincipalName: r.Name + "@" + ramfake.DefaultDomain, CreateDate: r.CreateDate,
		RecycleDate: r.RecycleDate, DeleteDate: r.DeleteDate}
	return b
}

var (
	eve   = deleted("2073290024939301", "eve", 3, key("LTAI5tEveKey000000000001", 3*24*time.Hour), key("LTAI5tEveKey000000000002", 20*24*time.Hour))
	frank = deleted("2073290024939302", "frank", 1)
	// gina was deleted twice: two users of one name in the bin.
	gina1 = deleted("2073290024939303", "gina", 25, key("LTAI5tGinaKey00000000001", 25*24*time.Hour))
	gina2 = deleted("2073290024939304", "gina", 2)
)

func binOptions(recycled ...ramfake.RecycledUser) ramfake.Options {
	opts := serverOptions(testUsers)
	opts.RecycledUsers = recycled
	return opts
}

// TestReadRecycledUsers: with * every deleted user is watched, after the live users; named entries look
// in the user bin only when GetUser does not find one of them, by name, principal name or ID, and every
// deleted user an entry names is watched under that entry; an entry found nowhere stays an error.
func TestReadRecycledUsers(t *testing.T) {
	alice, bob, carol, bot := testUsers[0], testUsers[1], testUsers[2], testUsers[3]
	tests := []struct {
		name     string
		entries  []string
		want     []alert.Bin
		errors   []string
		binCalls int
		userBin  *UserBin
	}{
		{name: "every user", entries: []string{"*"},
			want:     append(wantBins(alice, bob, carol, bot), wantRecycled(eve, false), wantRecycled(frank, false), wantRecycled(gina1, false), wantRecycled(gina2, false)),
			binCalls: 1, userBin: &UserBin{Listed: true, Users: 4}},
		{name: "every entry found alive: no pass", entries: []string{"bob", "alice"}, want: wantBins(bob, alice), binCalls: 0},
		{name: "a deleted user by name", entries: []string{"eve", "alice"}, want: append([]alert.Bin{wantRecycled(eve, false)}, wantBins(alice)...),
			binCalls: 1, userBin: &UserBin{Listed: true, Users: 4}},
		{name: "by principal name, by ID, in any case", entries: []string{"alice", "FRANK@corp.onaliyun.com", eve.ID},
			want: append(wantBins(alice), wantRecycled(frank, false), wantRecycled(eve, false)), binCalls: 1, userBin: &UserBin{Listed: true, Users: 4}},
		{name: "a name deleted twice", entries: []string{"gina"}, want: []alert.Bin{wantRecycled(gina1, false), wantRecycled(gina2, false)},
			binCalls: 1, userBin: &UserBin{Listed: true, Users: 4}},
		{name: "found nowhere", entries: []string{"nobody", "eve", "nobody@corp.onaliyun.com", "2073290024939399"},
			want:     []alert.Bin{wantRecycled(eve, false)},
			errors:   []string{"nobody:EntityNotExist.User", "nobody@corp.onaliyun.com:EntityNotExist.User", "2073290024939399:EntityNotExist.User"},
			binCalls: 1, userBin: &UserBin{Listed: true, Users: 4}},
		{name: "the deleted user's entry and its ID: read once", entries: []string{"eve", eve.ID}, want: []alert.Bin{wantRecycled(eve, false)},
			binCalls: 1, userBin: &UserBin{Listed: true, Users: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, binOptions(eve, frank, gina1, gina2))
			scan := read(t, newReader(t, s, Config{}), akCreds, tc.entries...)
			if diff := cmp.Diff(tc.want, scan.Bins); diff != "" {
				t.Errorf("Read(%q) bins (-want +got):\n%s", tc.entries, diff)
			}
			if diff := cmp.Diff(append([]string{}, tc.errors...), codes(scan.Errors)); diff != "" {
				t.Errorf("Read(%q) errors (-want +got):\n%s", tc.entries, diff)
			}
			if got := s.Calls("ListUsersInRecycleBin"); got != tc.binCalls {
				t.Errorf("ListUsersInRecycleBin calls = %d, want %d", got, tc.binCalls)
			}
			if diff := cmp.Diff(tc.userBin, scan.UserBin); diff != "" {
				t.Errorf("Read(%q) UserBin (-want +got):\n%s", tc.entries, diff)
			}
			if scan.Calls != s.TotalCalls() {
				t.Errorf("Scan.Calls = %d, want the server's %d", scan.Calls, s.TotalCalls())
			}
		})
	}
}

// TestReadRecycledUsersPages: the user bin is paged 100 users at a time, and each deleted user's
// AccessKey bin is read by its ID.
func TestReadRecycledUsersPages(t *testing.T) {
	recycled := ramfake.SyntheticRecycledUsers(250, now)
	s := startServer(t, binOptions(recycled...))
	scan := read(t, newReader(t, s, Config{}), akCreds, "*")
	if len(scan.Errors) != 0 {
		t.Fatalf("Read(*) errors = %v, want none", codes(scan.Errors))
	}
	if got, want := len(scan.Bins), len(testUsers)+250; got != want {
		t.Fatalf("Read(*) = %d bins, want %d", got, want)
	}
	for i, r := range recycled {
		b := scan.Bins[len(testUsers)+i]
		if b.UserID != r.ID || b.Recycled == nil || len(b.Keys) != len(r.Keys) || !b.Recycled.DeleteDate.Equal(r.DeleteDate) {
			t.Fatalf("bin %d = %+v, want deleted user %s with %d keys", len(testUsers)+i, b, r.Name, len(r.Keys))
		}
	}
	if got := s.Calls("ListUsersInRecycleBin"); got != 3 {
		t.Errorf("ListUsersInRecycleBin calls = %d, want 3 pages of at most 100", got)
	}
	if got, want := s.Calls("ListAccessKeysInRecycleBin"), len(testUsers)+250; got != want {
		t.Errorf("ListAccessKeysInRecycleBin calls = %d, want %d", got, want)
	}
	if diff := cmp.Diff(&UserBin{Listed: true, Users: 250}, scan.UserBin); diff != "" {
		t.Errorf("Read(*) UserBin (-want +got):\n%s", diff)
	}
}

// TestReadUserBinFailures: a role that may not list the user bin is a finding (UserBin.Denied), not an
// error, and the key bins are read; a key bin of a deleted user that answers EntityNotExist.User lists
// no key; any other failure is an error, and the other users are read.
func TestReadUserBinFailures(t *testing.T) {
	alice, bob, carol, bot := testUsers[0], testUsers[1], testUsers[2], testUsers[3]
	live := wantBins(alice, bob, carol, bot)
	tests := []struct {
		name    string
		entries []string
		setup   func(s *ramfake.Server)
		want    []alert.Bin
		errors  []string
		userBin *UserBin
		message string // in the first error's message
	}{
		{name: "denied with *", entries: []string{"*"},
			setup: func(s *ramfake.Server) { s.SetFault("ListUsersInRecycleBin", "", ramfake.Deny) },
			want:  live, userBin: &UserBin{Denied: "NoPermission"}},
		{name: "denied with a missing entry", entries: []string{"alice", "eve"},
			setup: func(s *ramfake.Server) { s.SetFault("ListUsersInRecycleBin", "", ramfake.Deny) },
			want:  wantBins(alice), errors: []string{"eve:EntityNotExist.User"}, userBin: &UserBin{Denied: "NoPermission"}},
		{name: "the key bin of a deleted user has no such user", entries: []string{"*"},
			setup: func(s *ramfake.Server) { s.SetFault("ListAccessKeysInRecycleBin", eve.ID, ramfake.NotFound) },
			want:  append(live, wantRecycled(eve, true), wantRecycled(frank, false)), userBin: &UserBin{Listed: true, Users: 2}},
		{name: "the key bin of a deleted user denied", entries: []string{"eve", "alice"},
			setup: func(s *ramfake.Server) { s.SetFault("ListAccessKeysInRecycleBin", eve.ID, ramfake.Deny) },
			want:  wantBins(alice), errors: []string{"eve:NoPermission"}, userBin: &UserBin{Listed: true, Users: 2}},
		{name: "the listing is not JSON", entries: []string{"*"},
			setup: func(s *ramfake.Server) { s.SetFault("ListUsersInRecycleBin", "", ramfake.NonJSON) },
			want:  live, errors: []string{"ListUsersInRecycleBin:InvalidResponse"}, userBin: &UserBin{}, message: "ListUsersInRecycleBin: answer is not the expected JSON"},
		{name: "the listing repeats the credentials", entries: []string{"*"},
			setup: func(s *ramfake.Server) { s.SetFault("ListUsersInRecycleBin", "", ramfake.EchoCredentials) },
			want:  live, errors: []string{"ListUsersInRecycleBin:InvalidParameter"}, userBin: &UserBin{}, message: "[redacted]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, binOptions(eve, frank))
			tc.setup(s)
			scan := read(t, newReader(t, s, Config{}), akCreds, tc.entries...)
			if diff := cmp.Diff(tc.want, scan.Bins); diff != "" {
				t.Errorf("Read(%q) bins (-want +got):\n%s", tc.entries, diff)
			}
			if diff := cmp.Diff(append([]string{}, tc.errors...), codes(scan.Errors)); diff != "" {
				t.Errorf("Read(%q) errors (-want +got):\n%s", tc.entries, diff)
			}
			if diff := cmp.Diff(tc.userBin, scan.UserBin); diff != "" {
				t.Errorf("Read(%q) UserBin (-want +got):\n%s", tc.entries, diff)
			}
			if tc.message != "" && (len(scan.Errors) == 0 || !strings.Contains(scan.Errors[0].Message, tc.message)) {
				t.Errorf("Read(%q) errors = %+v, want a message with %q", tc.entries, scan.Errors, tc.message)
			}
			for _, e := range scan.Errors {
				if leaked := secretsIn(e.Message); len(leaked) > 0 {
					t.Errorf("error message %q holds %q", e.Message, leaked)
				}
			}
		})
	}
}

// TestReadUserBinHostileValues: every value of a user bin answer is checked as a live user's are: an
// invalid entry is an InvalidResponse under its name (else its ID, else its place in the listing, or the
// entry that names it), and the other users are read.
func TestReadUserBinHostileValues(t *testing.T) {
	alice := testUsers[0]
	raw := func(r ramfake.RecycledUser, v map[string]any) ramfake.RecycledUser { r.Raw = v; return r }
	tests := []struct {
		name     string
		recycled []ramfake.RecycledUser
		entries  []string
		want     []alert.Bin
		errors   []string
		message  []string
	}{
		{name: "DeleteDate past the year 9999", recycled: []ramfake.RecycledUser{raw(eve, map[string]any{"DeleteDate": "9999-12-31T23:59:59-23:59"}), frank},
			entries: []string{"*"}, want: append(wantBins(testUsers...), wantRecycled(frank, false)), errors: []string{"eve:InvalidResponse"},
			message: []string{"ListUsersInRecycleBin: user 1 (eve): DeleteDate", "2000-2200"}},
		{name: "principal name with markup", recycled: []ramfake.RecycledUser{frank, raw(eve, map[string]any{"UserPrincipalName": "<!channel>@x"})},
			entries: []string{"*"}, want: append(wantBins(testUsers...), wantRecycled(frank, false)), errors: []string{eve.ID + ":InvalidResponse"},
			message: []string{"user 2 of the listing: UserPrincipalName"}},
		{name: "nothing valid", recycled: []ramfake.RecycledUser{raw(eve, map[string]any{"UserPrincipalName": 7, "UserId": "x"})},
			entries: []string{"*"}, want: wantBins(testUsers...), errors: []string{"ListUsersInRecycleBin user 1:InvalidResponse"},
			message: []string{"UserPrincipalName is not a string"}},
		{name: "an entry naming an invalid user", recycled: []ramfake.RecycledUser{raw(eve, map[string]any{"RecycleDate": "yesterday"})},
			entries: []string{"alice", "eve"}, want: wantBins(alice), errors: []string{"eve:InvalidResponse"}, message: []string{"RecycleDate"}},
		{name: "a deleted user's key with markup", recycled: []ramfake.RecycledUser{func() ramfake.RecycledUser {
			r := deleted(eve.ID, "eve", 3, key("LTAI5tEveKey000000000001", 3*24*time.Hour))
			r.Keys[0].Raw = map[string]any{"AccessKeyId": "<!here>"}
			return r
		}(), frank},
			entries: []string{"*"}, want: append(wantBins(testUsers...), wantRecycled(frank, false)), errors: []string{"eve:InvalidResponse"},
			message: []string{"ListAccessKeysInRecycleBin: key 1: AccessKeyId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, binOptions(tc.recycled...))
			scan := read(t, newReader(t, s, Config{}), akCreds, tc.entries...)
			if diff := cmp.Diff(tc.want, scan.Bins); diff != "" {
				t.Errorf("Read(%q) bins (-want +got):\n%s", tc.entries, diff)
			}
			if diff := cmp.Diff(tc.errors, codes(scan.Errors)); diff != "" {
				t.Fatalf("Read(%q) errors (-want +got):\n%s", tc.entries, diff)
			}
			for _, m := range tc.message {
				if !strings.Contains(scan.Errors[0].Message, m) {
					t.Errorf("error message %q, want %q in it", scan.Errors[0].Message, m)
				}
			}
		})
	}
}

// gate stands between the reader and the emulator: it holds the calls of one action until a call of
// another has arrived, or fails the test after a long wait, so that a reader that made the second wait
// for the first deadlocks instead of passing.
type gate struct {
	t      *testing.T
	held   func(q url.Values) bool
	signal string
	once   sync.Once
	opened chan struct{}
}

func newGate(t *testing.T, s *ramfake.Server, held func(q url.Values) bool, signal string) string {
	t.Helper()
	target, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{t: t, held: held, signal: signal, opened: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Get("Action") == g.signal:
			g.once.Do(func() { close(g.opened) })
		case g.held(q):
			select {
			case <-g.opened:
			case <-time.After(15 * time.Second):
				g.t.Errorf("%s waited for a %s call that never came: the reader makes one wait for the other", q.Get("Action"), g.signal)
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestReadUserBinBesideLiveUsers: the pass over the user bin runs beside the live users' reads, never
// behind them: with *, the live users' key bins are held until the pass has called; with named entries,
// once one entry is not found, the others' GetUser calls are held until the pass has called.
func TestReadUserBinBesideLiveUsers(t *testing.T) {
	t.Run("every user", func(t *testing.T) {
		s := startServer(t, binOptions(eve))
		u := newGate(t, s, func(q url.Values) bool { return q.Get("Action") == "ListAccessKeysInRecycleBin" }, "ListUsersInRecycleBin")
		scan := read(t, newReader(t, s, Config{RAMEndpoint: u, IMSEndpoint: u}), akCreds, "*")
		if len(scan.Bins) != len(testUsers)+1 || len(scan.Errors) != 0 {
			t.Errorf("Read(*) = %d bins, errors %v; want %d, none", len(scan.Bins), codes(scan.Errors), len(testUsers)+1)
		}
	})
	t.Run("named entries", func(t *testing.T) {
		users := ramfake.SyntheticUsers(40, now)
		opts := serverOptions(users)
		opts.RecycledUsers = []ramfake.RecycledUser{eve}
		s := startServer(t, opts)
		// The first entry, an ID, is not found by IMS GetUser; the other 40, names, wait in RAM GetUser
		// for the pass that this starts.
		u := newGate(t, s, func(q url.Values) bool { return q.Get("Action") == "GetUser" && q.Get("UserName") != "" }, "ListUsersInRecycleBin")
		entries := []string{eve.ID}
		for _, x := range users {
			entries = append(entries, x.Name)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r := newReader(t, s, Config{RAMEndpoint: u, IMSEndpoint: u, MaxWorkers: 4})
		scan, err := r.Read(ctx, akCreds, entries)
		if err != nil {
			t.Fatal(err)
		}
		if len(scan.Bins) != 41 || len(scan.Errors) != 0 || scan.Bins[0].Recycled == nil {
			t.Errorf("Read = %d bins, errors %v; want 41 with the deleted user first, none", len(scan.Bins), codes(scan.Errors))
		}
	})
}

// TestReadUserBinMaxItems: the reader asks for the largest page the API allows.
func TestReadUserBinMaxItems(t *testing.T) {
	s := startServer(t, binOptions(eve))
	target, _ := url.Parse(s.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Get("Action") == "ListUsersInRecycleBin" {
			mu.Lock()
			seen = append(seen, fmt.Sprintf("MaxItems=%s Version=%s", q.Get("MaxItems"), q.Get("Version")))
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	read(t, newReader(t, s, Config{RAMEndpoint: srv.URL, IMSEndpoint: srv.URL}), akCreds, "*")
	if diff := cmp.Diff([]string{"MaxItems=100 Version=2019-08-15"}, seen); diff != "" {
		t.Errorf("ListUsersInRecycleBin requests (-want +got):\n%s", diff)
	}
}

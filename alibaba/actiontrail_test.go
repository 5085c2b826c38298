package alibaba

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
)

const account = "1234567890123456"

func newTrail(t *testing.T, s *ramfake.Server, cfg Config) *Trail {
	t.Helper()
	if cfg.ActionTrailEndpoint == "" {
		cfg.ActionTrailEndpoint = s.URL()
	}
	tr, err := NewTrail(cfg)
	if err != nil {
		t.Fatalf("NewTrail() = %v", err)
	}
	tr.r.retryBase, tr.r.retryCap = 5*time.Millisecond, 50*time.Millisecond
	return tr
}

// trailServer is an emulator whose events can be looked up at once and without a cap, unless opts says.
func trailServer(t *testing.T, events []ramfake.Event, opts ...func(*ramfake.Options)) *ramfake.Server {
	t.Helper()
	o := serverOptions(testUsers)
	o.Events = events
	o.EventDelay = -1
	o.LookupEventsRate = -1
	for _, f := range opts {
		f(&o)
	}
	return startServer(t, o)
}

func lookup(t *testing.T, tr *Trail, creds *Credentials, q EventQuery) (*Events, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return tr.Lookup(ctx, account, creds, q)
}

// lastDay is the query of the DeleteAccessKey events of the day before now.
func lastDay(name string) EventQuery {
	return EventQuery{Name: name, Start: time.Now().Add(-24 * time.Hour), End: time.Now()}
}

func TestLookupBothForms(t *testing.T) {
	at := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	consoleKey := ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: account, Time: at, UserName: "alice",
		UserPrincipalName: "alice@corp.onaliyun.com", AccessKeyID: "LTAI5tAliceKey0000000001",
		By: ramfake.Deleter{Name: "ops-admin", ID: "2073290024939206", Console: true}})
	apiKey := ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: account, Time: at.Add(-time.Hour), UserName: "bob",
		AccessKeyID: "LTAI5tBobKey000000000002",
		By:          ramfake.Deleter{Type: "assumed-role", Name: "deployer", Session: "ci-42", SourceIP: "2001:db8::7"}})
	rootUser := ramfake.DeleteUserEvent(ramfake.Deletion{AccountID: account, Time: at, UserName: "carol", UserID: "2073290024939203",
		By: ramfake.Deleter{Type: "root-account", Console: true}})
	s := trailServer(t, []ramfake.Event{consoleKey, apiKey, rootUser})
	tr := newTrail(t, s, Config{})

	got, err := lookup(t, tr, akCreds, lastDay(alert.EventDeleteAccessKey))
	if err != nil {
		t.Fatalf("Lookup(DeleteAccessKey) = %v", err)
	}
	want := []alert.DeletionEvent{
		{Name: alert.EventDeleteAccessKey, AccessKeyID: "LTAI5tAliceKey0000000001", UserPrincipalName: "alice@corp.onaliyun.com",
			By: alert.Deleter{PrincipalType: "ram-user", PrincipalName: "ops-admin", PrincipalID: "2073290024939206", SourceIP: "203.0.113.7",
				UserAgent: "ram.console.aliyun.com", EventType: "ApiCall", EventTime: at, EventID: consoleKey.ID}},
		{Name: alert.EventDeleteAccessKey, AccessKeyID: "LTAI5tBobKey000000000002", UserName: "bob",
			By: alert.Deleter{PrincipalType: "assumed-role", PrincipalName: "deployer:ci-42", PrincipalID: apiKey.Identity.PrincipalID,
				SourceIP: "2001:db8::7", UserAgent: "aliyun-cli/3.0.277", EventType: "ApiCall", EventTime: at.Add(-time.Hour), EventID: apiKey.ID}},
	}
	if diff := cmp.Diff(want, got.Events); diff != "" {
		t.Errorf("Lookup(DeleteAccessKey) events (-want +got):\n%s", diff)
	}
	if got.Calls != 1 || got.Invalid != 0 {
		t.Errorf("Lookup(DeleteAccessKey) calls %d, invalid %d, want 1 and 0", got.Calls, got.Invalid)
	}

	got, err = lookup(t, tr, akCreds, lastDay(alert.EventDeleteUser))
	if err != nil {
		t.Fatalf("Lookup(DeleteUser) = %v", err)
	}
	wantUser := []alert.DeletionEvent{{Name: alert.EventDeleteUser, UserPrincipalName: "carol@corp.onaliyun.com",
		By: alert.Deleter{PrincipalType: "root-account", PrincipalName: "root", PrincipalID: account, SourceIP: "203.0.113.7",
			UserAgent: "ram.console.aliyun.com", EventType: "ApiCall", EventTime: at, EventID: rootUser.ID}}}
	if diff := cmp.Diff(wantUser, got.Events); diff != "" {
		t.Errorf("Lookup(DeleteUser) events (-want +got):\n%s", diff)
	}
}

// TestLookupDeletedKeyIsNotTheCallersKey: the key an event deleted is its UserAccessKeyId; the key that
// made the call (userIdentity.accessKeyId, what EventAccessKeyId looks up) is another.
func TestLookupDeletedKeyIsNotTheCallersKey(t *testing.T) {
	ev := ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: account, Time: time.Now().Add(-time.Hour), UserName: "alice",
		AccessKeyID: "LTAI5tDeletedKey00000001", By: ramfake.Deleter{Name: "alice", AccessKeyID: "LTAI5tCallersKey00000001"}})
	s := trailServer(t, []ramfake.Event{ev})
	got, err := lookup(t, newTrail(t, s, Config{}), akCreds, lastDay(alert.EventDeleteAccessKey))
	if err != nil {
		t.Fatalf("Lookup() = %v", err)
	}
	if len(got.Events) != 1 || got.Events[0].AccessKeyID != "LTAI5tDeletedKey00000001" {
		t.Errorf("Lookup() events = %+v, want the deleted key LTAI5tDeletedKey00000001", got.Events)
	}
}

func TestLookupPages(t *testing.T) {
	base := time.Now().Add(-20 * time.Hour).UTC().Truncate(time.Second)
	var events []ramfake.Event
	for i := range 120 {
		events = append(events, ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: account, Time: base.Add(time.Duration(i) * time.Minute),
			UserName: "alice", AccessKeyID: fmt.Sprintf("LTAI5tPagedKey%010d", i), By: ramfake.Deleter{Name: "ops-admin", Console: true}}))
	}
	// Outside the span: the day before.
	events = append(events, ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: account, Time: base.Add(-48 * time.Hour),
		UserName: "alice", AccessKeyID: "LTAI5tOutsideSpan0000001", By: ramfake.Deleter{Name: "ops-admin"}}))
	s := trailServer(t, events)
	got, err := lookup(t, newTrail(t, s, Config{}), akCreds, EventQuery{Name: alert.EventDeleteAccessKey, Start: base, End: time.Now()})
	if err != nil {
		t.Fatalf("Lookup() = %v", err)
	}
	keys := map[string]bool{}
	for _, e := range got.Events {
		keys[e.AccessKeyID] = true
	}
	if len(got.Events) != 120 || len(keys) != 120 || keys["LTAI5tOutsideSpan0000001"] {
		t.Errorf("Lookup() = %d events of %d keys, want the 120 in the span", len(got.Events), len(keys))
	}
	if got.Calls != 3 || s.Calls("LookupEvents") != 3 {
		t.Errorf("Lookup() calls = %d (server: %d), want 3 pages of 50", got.Calls, s.Calls("LookupEvents"))
	}
}

// TestLookupPacesTheAccount: LookupEvents takes 2 calls a second per account. The look-ups of one
// account, concurrent or not, keep to it, so that the emulator's cap throttles none of them; another
// account has its own pace.
func TestLookupPacesTheAccount(t *testing.T) {
	base := time.Now().Add(-20 * time.Hour).UTC().Truncate(time.Second)
	var events []ramfake.Event
	for i := range 60 {
		events = append(events, ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: account, Time: base.Add(time.Duration(i) * time.Minute),
			UserName: "alice", AccessKeyID: fmt.Sprintf("LTAI5tPacedKey%010d", i), By: ramfake.Deleter{Name: "ops-admin"}}))
	}
	s := trailServer(t, events, func(o *ramfake.Options) { o.LookupEventsRate = ramfake.DefaultLookupEventsRate })
	tr := newTrail(t, s, Config{})
	// A wider margin than the function's, so that a slow machine's jitter cannot fail the test.
	tr.paceSpan = 1300 * time.Millisecond
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = lookup(t, tr, akCreds, EventQuery{Name: alert.EventDeleteAccessKey, Start: base, End: time.Now()})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Lookup() = %v", err)
	}
	if st := s.Stats(""); st.Calls["LookupEvents"] != 4 || st.Throttled != 0 {
		t.Errorf("two look-ups of 2 pages: %d calls, %d throttled; want 4 calls, none throttled", st.Calls["LookupEvents"], st.Throttled)
	}
}

func TestPacer(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clock := t0
	var starts []time.Duration
	p := newPacer(2, time.Second)
	p.now = func() time.Time { return clock }
	p.sleep = func(_ context.Context, d time.Duration) error {
		starts = append(starts, clock.Add(d).Sub(t0))
		return nil
	}
	for _, advance := range []time.Duration{0, 0, 0, 0, 100 * time.Millisecond, 5 * time.Second, 0, 0} {
		clock = clock.Add(advance)
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ms := time.Millisecond
	want := []time.Duration{0, 0, time.Second, time.Second, 2 * time.Second, 5100 * ms, 5100 * ms, 6100 * ms}
	if diff := cmp.Diff(want, starts); diff != "" {
		t.Errorf("starts (-want +got):\n%s", diff)
	}
}

func TestLookupRetriesThrottling(t *testing.T) {
	ev := ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: account, Time: time.Now().Add(-time.Hour), UserName: "alice",
		AccessKeyID: "LTAI5tAliceKey0000000001", By: ramfake.Deleter{Name: "ops-admin"}})
	s := trailServer(t, []ramfake.Event{ev})
	s.ThrottleNext(2)
	got, err := lookup(t, newTrail(t, s, Config{}), akCreds, lastDay(alert.EventDeleteAccessKey))
	if err != nil {
		t.Fatalf("Lookup() = %v", err)
	}
	if len(got.Events) != 1 || got.Calls != 3 {
		t.Errorf("Lookup() = %d events in %d calls, want 1 in 3 (2 throttled)", len(got.Events), got.Calls)
	}
}

func TestLookupFailures(t *testing.T) {
	tests := []struct {
		name          string
		setup         func(s *ramfake.Server)
		wantCode      string
		wantDenied    bool
		wantTransient bool
		wantIn        string
	}{
		{name: "denied", setup: func(s *ramfake.Server) { s.SetAccountFault("", "LookupEvents", ramfake.Deny) },
			wantCode: "NoPermission", wantDenied: true, wantIn: "actiontrail:LookupEvents"},
		{name: "throttled beyond the retries", setup: func(s *ramfake.Server) { s.SetFault("LookupEvents", "", ramfake.Throttle) },
			wantCode: "Throttling.User", wantTransient: true, wantIn: "gave up after 6 attempts"},
		{name: "server errors", setup: func(s *ramfake.Server) { s.FailNext(100, 503) },
			wantCode: "ServiceUnavailable", wantTransient: true},
		{name: "not JSON", setup: func(s *ramfake.Server) { s.SetFault("LookupEvents", "", ramfake.NonJSON) },
			wantCode: "InvalidResponse", wantIn: "LookupEvents: answer is not the expected JSON"},
		{name: "credentials echoed", setup: func(s *ramfake.Server) { s.SetFault("LookupEvents", "", ramfake.EchoCredentials) },
			wantCode: "InvalidParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := trailServer(t, nil)
			tc.setup(s)
			_, err := lookup(t, newTrail(t, s, Config{}), stsCreds, lastDay(alert.EventDeleteAccessKey))
			var le *LookupError
			if !errors.As(err, &le) {
				t.Fatalf("Lookup() = %v, want a *LookupError", err)
			}
			if le.Code != tc.wantCode || le.Denied != tc.wantDenied || le.Transient != tc.wantTransient {
				t.Errorf("Lookup() = %+v, want code %s, denied %v, transient %v", le, tc.wantCode, tc.wantDenied, tc.wantTransient)
			}
			if !strings.Contains(le.Message, tc.wantIn) {
				t.Errorf("Lookup() message = %q, want it to hold %q", le.Message, tc.wantIn)
			}
			if leaked := secretsIn(err.Error()); len(leaked) > 0 {
				t.Errorf("Lookup() error %q holds the secrets %q", err, leaked)
			}
		})
	}
}

// cannedTrail is a Trail whose every LookupEvents call is answered body.
func cannedTrail(t *testing.T, body string) (*Trail, *int) {
	t.Helper()
	isolate(t)
	calls := new(int)
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*calls++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	tr, err := NewTrail(Config{ActionTrailEndpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return tr, calls
}

func TestLookupRefusesBadPages(t *testing.T) {
	var many []string
	for range 51 {
		many = append(many, "{}")
	}
	tests := []struct {
		name, body string
		wantIn     string
		wantCalls  int
	}{
		{name: "the same token again", body: `{"NextToken":"dG9rZW4=","Events":[]}`, wantIn: "gives the NextToken it was asked for again", wantCalls: 2},
		{name: "a token that is not printable", body: `{"NextToken":"a\nb","Events":[]}`, wantIn: "NextToken", wantCalls: 1},
		{name: "a token that is no string", body: `{"NextToken":7,"Events":[]}`, wantIn: "NextToken is not a string", wantCalls: 1},
		{name: "more events than asked for", body: `{"Events":[` + strings.Join(many, ",") + `]}`, wantIn: "holds 51 events", wantCalls: 1},
		{name: "events not a list", body: `{"Events":{"a":1}}`, wantIn: "not the expected JSON", wantCalls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, calls := cannedTrail(t, tc.body)
			_, err := lookup(t, tr, akCreds, lastDay(alert.EventDeleteAccessKey))
			var le *LookupError
			if !errors.As(err, &le) || le.Code != "InvalidResponse" || !strings.Contains(le.Message, tc.wantIn) {
				t.Fatalf("Lookup() = %v, want InvalidResponse naming %q", err, tc.wantIn)
			}
			if *calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", *calls, tc.wantCalls)
			}
		})
	}
}

// TestLookupHostileEvents: every value of an event comes from outside, the user agent and the session
// name from the caller itself. Texts are kept on one line and bounded; a value outside its character set,
// or holding a credential, makes its event invalid (skipped and counted), and the others are read.
func TestLookupHostileEvents(t *testing.T) {
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	ok := func(key string, raw map[string]any) ramfake.Event {
		e := ramfake.DeleteAccessKeyEvent(ramfake.Deletion{AccountID: account, Time: at, UserName: "alice", AccessKeyID: key,
			By: ramfake.Deleter{Name: "ops-admin"}})
		e.Raw = raw
		return e
	}
	longUA := strings.Repeat("A", 300) + "<!channel>"
	events := []ramfake.Event{
		ok("LTAI5tHostileUA000000001", map[string]any{"userAgent": "curl/8\n<!channel> *bold*\u202e\u2028" + longUA}),
		ok("LTAI5tHostileName0000001", map[string]any{"userIdentity": map[string]any{"type": "assumed-role",
			"principalId": "300:<@U123>\n", "userName": "role:sess\n**FAKE**\x00", "accessKeyId": "STS.x"}}),
		ok("LTAI5tNotUTF8Agent000001", map[string]any{"userAgent": "\xff\xfeagent"}),
		ok("LTAI5tFailedCall00000001", map[string]any{"errorCode": "EntityNotExist.User.AccessKey", "errorMessage": "no such key"}),
		ok("LTAI5tDuplicateId0000001", map[string]any{"eventId": "DUPLICATE-ID"}),
		ok("LTAI5tDuplicateId0000002", map[string]any{"eventId": "DUPLICATE-ID"}),
		ok("LTAI5tNumericParams00001", map[string]any{"requestParameters": map[string]any{"UserAccessKeyId": "LTAI5tNumericParams00001", "UserId": json.Number("2073290024939201")}}),
		// Invalid, each for one value:
		ok("LTAI5tBadTime0000000001", map[string]any{"eventTime": "yesterday"}),
		ok("LTAI5tBadIP00000000001", map[string]any{"sourceIpAddress": "203.0.113.7 <!here>"}),
		ok("LTAI5tBadType0000000001", map[string]any{"userIdentity": map[string]any{"type": "ram user\n", "userName": "x"}}),
		ok("LTAI5tNoIdentity0000001", map[string]any{"userIdentity": "root"}),
		ok("LTAI5tBadEventID0000001", map[string]any{"eventId": "<!channel>"}),
		ok("LTAI5tNoKey000000000001", map[string]any{"requestParameters": map[string]any{"UserName": "alice"}}),
		ok("LTAI5tBadKey00000000001", map[string]any{"requestParameters": map[string]any{"UserAccessKeyId": "LTAI<!here>"}}),
		ok("LTAI5tBadUser0000000001", map[string]any{"requestParameters": map[string]any{"UserAccessKeyId": "LTAI5tBadUser0000000001", "UserName": "<@U1>"}}),
		ok("LTAI5tSecretAgent000001", map[string]any{"userAgent": "agent " + akSecret}),
		ok("LTAI5tOtherName00000001", map[string]any{"eventName": "DeleteUser"}),
	}
	s := trailServer(t, events)
	got, err := lookup(t, newTrail(t, s, Config{}), akCreds, lastDay(alert.EventDeleteAccessKey))
	if err != nil {
		t.Fatalf("Lookup() = %v", err)
	}
	byKey := map[string]alert.DeletionEvent{}
	for _, e := range got.Events {
		byKey[e.AccessKeyID] = e
	}
	var keys []string
	for k := range byKey {
		keys = append(keys, k)
	}
	wantKeys := []string{"LTAI5tHostileUA000000001", "LTAI5tHostileName0000001", "LTAI5tNotUTF8Agent000001", "LTAI5tNumericParams00001"}
	if len(got.Events) != len(wantKeys)+1 { // one of the two events with the same ID
		t.Errorf("Lookup() kept %d events (%q), want %d", len(got.Events), keys, len(wantKeys)+1)
	}
	for _, k := range wantKeys {
		if _, ok := byKey[k]; !ok {
			t.Errorf("Lookup() lost the event of %s", k)
		}
	}
	if got.Invalid != 10 {
		t.Errorf("Lookup() invalid = %d, want 10 (reason %q)", got.Invalid, got.InvalidReason)
	}
	if got.InvalidReason == "" || len(secretsIn(got.InvalidReason)) > 0 || strings.Contains(got.InvalidReason, "<!") {
		t.Errorf("Lookup() invalid reason = %q, want a reason without secrets or markup", got.InvalidReason)
	}
	ua := byKey["LTAI5tHostileUA000000001"].By.UserAgent
	if len(ua) > maxUserAgent || strings.ContainsAny(ua, "\n\u202e\u2028") || !strings.HasPrefix(ua, "curl/8 <!channel> *bold*") || !strings.HasSuffix(ua, "…") {
		t.Errorf("hostile user agent kept as %q, want one line of at most %d bytes, cut", ua, maxUserAgent)
	}
	by := byKey["LTAI5tHostileName0000001"].By
	if by.PrincipalName != "role:sess **FAKE** " || by.PrincipalID != "300:<@U123> " || by.PrincipalType != "assumed-role" {
		t.Errorf("hostile identity kept as %+v, want it on one line", by)
	}
	if ua := byKey["LTAI5tNotUTF8Agent000001"].By.UserAgent; ua != "\ufffd\ufffdagent" {
		t.Errorf("user agent that is not UTF-8 kept as %q", ua)
	}
	if id := byKey["LTAI5tNumericParams00001"].UserID; id != "2073290024939201" {
		t.Errorf("numeric UserId read as %q", id)
	}
}

func TestLookupRejectsBadQueries(t *testing.T) {
	s := trailServer(t, nil)
	tr := newTrail(t, s, Config{})
	now := time.Now().Truncate(time.Second)
	for _, q := range []EventQuery{
		{Name: "CreateUser", Start: now.Add(-time.Hour), End: now},
		{Name: alert.EventDeleteAccessKey, Start: now, End: now},
		{Name: alert.EventDeleteAccessKey, Start: now.Add(-MaxEventSpan - time.Second), End: now},
		{Name: alert.EventDeleteAccessKey, Start: now.Add(-MaxEventSpan), End: now.Add(time.Millisecond)}, // rounded out: a second more
	} {
		if _, err := lookup(t, tr, akCreds, q); err == nil {
			t.Errorf("Lookup(%+v) = nil error, want one", q)
		}
	}
	if n := s.TotalCalls(); n != 0 {
		t.Errorf("bad queries made %d calls, want none", n)
	}
	if got, err := lookup(t, tr, akCreds, EventQuery{Name: alert.EventDeleteAccessKey, Start: now.Add(-MaxEventSpan), End: now}); err != nil || got.Calls != 1 {
		t.Errorf("Lookup(30 days) = %v, %v; want one call", got, err)
	}
}

func TestNewTrailEndpoint(t *testing.T) {
	isolate(t)
	tr, err := NewTrail(Config{})
	if err != nil || tr.api.scheme != "https" || tr.api.host != DefaultActionTrailEndpoint {
		t.Errorf("NewTrail(default) = %+v, %v; want https://%s", tr, err, DefaultActionTrailEndpoint)
	}
	for _, bad := range []string{"http://actiontrail.example.com", "https://user:pw@actiontrail.example.com", "actiontrail.example.com/path"} {
		if _, err := NewTrail(Config{ActionTrailEndpoint: bad}); err == nil || !strings.Contains(err.Error(), "ActionTrail") || strings.Contains(err.Error(), "pw") {
			t.Errorf("NewTrail(%q) = %v, want an error naming ActionTrail and no user info", bad, err)
		}
	}
}

// TestTrailSharesTheReadersCalls: a Trail made with Reader.Trail holds one of the Reader's call slots
// for each LookupEvents call, so that the look-ups and the reads together stay within MaxCalls.
func TestTrailSharesTheReadersCalls(t *testing.T) {
	s := trailServer(t, nil, func(o *ramfake.Options) { o.Latency = 20 * time.Millisecond })
	r := newReader(t, s, Config{MaxCalls: 1})
	tr, err := r.Trail(s.URL())
	if err != nil {
		t.Fatalf("Trail() = %v", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { read(t, r, akCreds, "*") })
	for range 2 {
		wg.Go(func() {
			if _, err := lookup(t, tr, akCreds, lastDay(alert.EventDeleteAccessKey)); err != nil {
				t.Errorf("Lookup() = %v", err)
			}
		})
	}
	wg.Wait()
	if s.Calls("LookupEvents") != 2 || s.MaxConcurrency() != 1 {
		t.Errorf("LookupEvents calls %d, calls in flight at most %d; want 2 and 1 (MaxCalls)", s.Calls("LookupEvents"), s.MaxConcurrency())
	}
}

func TestWholeSeconds(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, from, to, wantFrom, wantTo string
	}{
		{"whole already", "2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z", "2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z"},
		{"rounded out", "2026-11-30T09:00:00.9Z", "2026-11-30T10:00:00.1Z", "2026-11-30T09:00:00Z", "2026-11-30T10:00:01Z"},
		{"to UTC", "2026-11-30T17:00:00.5+08:00", "2026-11-30T18:00:00+08:00", "2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z"},
	}
	for _, tt := range tests {
		from, to := WholeSeconds(at(tt.from), at(tt.to))
		if got, want := from.Format(time.RFC3339Nano)+" "+to.Format(time.RFC3339Nano), tt.wantFrom+" "+tt.wantTo; got != want {
			t.Errorf("%s: WholeSeconds(%s, %s) = %s, want %s", tt.name, tt.from, tt.to, got, want)
		}
	}
}

package restore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/restore/restoretest"
)

const (
	signingSecret = "test-signing-secret-0123456789ab"
	tokenSecret   = "test-restore-token-secret-0123456789abcdef"
	botToken      = "xoxb-test-bot-token-0000000000"
	teamID        = "T0TEAM001"
	appID         = "A0APP0001"
	alice         = "U0ALICE01" // allowed
	mallory       = "U0MALLORY"

	ownAccount    = "1234567890123456"
	memberAccount = "2234567890123456"
	aliceID       = "20732900249392001"
	bobID         = "30732900249392002"
	carolID       = "40732900249392003"
	aliceKey      = "LTAI5tExampleKey1"
	bobKey        = "LTAI5tMemberKey22"
	alertKey      = "alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f"
	alertUser     = "alrt_1c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f"
	alertMember   = "alrt_2c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f"
)

// world is a restore function with its fakes: Slack, the own account (alice with a key in the bin;
// carol in the user bin), a member account (bob with a key in the bin), an auditor and a log.
type world struct {
	slack    *restoretest.Slack
	accounts *restoretest.Accounts
	own      *restoretest.Restorer
	member   *restoretest.Restorer
	audit    *restoretest.Audit
	signer   *restore.Signer
	h        *restore.Handler
	logs     *syncBuffer
	now      time.Time
}

type option func(*restore.Options)

func newWorld(t *testing.T, opts ...option) *world {
	t.Helper()
	w := &world{
		accounts: restoretest.NewAccounts(),
		own:      restoretest.NewRestorer(),
		member:   restoretest.NewRestorer(),
		audit:    &restoretest.Audit{},
		logs:     &syncBuffer{},
		now:      time.Date(2026, 12, 3, 3, 12, 45, 0, time.UTC),
	}
	w.slack = restoretest.NewSlack(t, signingSecret, teamID, appID)
	w.slack.Now = func() time.Time { return w.now }
	w.own.AddLiveUser(aliceID, "alice@corp.onaliyun.com")
	w.own.AddLiveKey(aliceID, aliceKey)
	w.own.RecycleKey(aliceID, aliceKey)
	w.own.AddLiveUser(carolID, "carol@corp.onaliyun.com")
	w.own.RecycleUser(carolID)
	w.member.AddLiveUser(bobID, "bob@dev.onaliyun.com")
	w.member.AddLiveKey(bobID, bobKey)
	w.member.RecycleKey(bobID, bobKey)
	w.accounts.Add(restore.Account{ID: ownAccount, Name: "prod"}, w.own)
	w.accounts.Add(restore.Account{ID: memberAccount, Name: "dev"}, w.member)

	cfg, err := restore.LoadConfig(func(name string) string {
		return map[string]string{
			"SLACK_SIGNING_SECRET": signingSecret, "SLACK_TEAM_ID": teamID, "SLACK_APP_ID": appID,
			"RESTORE_ALLOWED_USERS": alice + ",U0OTHER01", "RESTORE_TOKEN_SECRET": tokenSecret,
			"SLACK_API_URL": w.slack.URL(), "SLACK_BOT_TOKEN": botToken,
		}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	o := restore.Options{
		Config:     cfg,
		Accounts:   w.accounts,
		Auditor:    w.audit,
		Logger:     slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient: restoretest.LoopbackClient(),
		Now:        func() time.Time { return w.now },
	}
	for _, opt := range opts {
		opt(&o)
	}
	if w.h, err = restore.New(o); err != nil {
		t.Fatal(err)
	}
	if w.signer, err = restore.NewSigner(tokenSecret); err != nil {
		t.Fatal(err)
	}
	return w
}

// value is the signed button value of target (one of the valid targets above).
func (w *world) value(target restore.Target) string {
	v, err := w.signer.Sign(target)
	if err != nil {
		panic(err)
	}
	return v
}

var (
	keyTarget    = restore.Target{AccountID: ownAccount, UserID: aliceID, AccessKeyID: aliceKey, AlertID: alertKey}
	userTarget   = restore.Target{AccountID: ownAccount, UserID: carolID, AlertID: alertUser}
	memberTarget = restore.Target{AccountID: memberAccount, UserID: bobID, AccessKeyID: bobKey, AlertID: alertMember}
)

// click sends a click on target's button by the Slack user c.UserID (alice when empty) and returns the
// answer and the click as sent.
func (w *world) click(t *testing.T, target restore.Target, c restoretest.Click) (restore.Response, restoretest.Click) {
	t.Helper()
	if c.Value == "" {
		c.Value = w.value(target)
	}
	req, c := w.slack.Request(c)
	return w.h.Handle(t.Context(), req), c
}

// lines returns the log lines whose msg is msg.
func (w *world) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(w.logs.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// contextLine returns the text of the context block that replaced the clicked button in a reply, or "".
func contextLine(t *testing.T, r restoretest.Reply, blockID string) string {
	t.Helper()
	for _, b := range r.Blocks {
		var blk struct {
			Type     string `json:"type"`
			BlockID  string `json:"block_id"`
			Elements []struct{ Text string }
		}
		if err := json.Unmarshal(b, &blk); err != nil {
			t.Fatal(err)
		}
		if blk.BlockID == blockID {
			if blk.Type != "context" || len(blk.Elements) != 1 {
				t.Fatalf("block %s = %s, want a context line", blockID, b)
			}
			return blk.Elements[0].Text
		}
	}
	return ""
}

func TestClickRestoresKey(t *testing.T) {
	w := newWorld(t)
	resp, c := w.click(t, keyTarget, restoretest.Click{})
	if resp.Status != http.StatusOK {
		t.Fatalf("Handle = %+v, want 200", resp)
	}
	wantCalls := []string{"AccessKeyInBin " + aliceKey, "RestoreAccessKey " + aliceID + " " + aliceKey}
	if diff := cmp.Diff(wantCalls, w.own.Calls()); diff != "" {
		t.Errorf("calls in the own account (-want +got):\n%s", diff)
	}
	if n := len(w.member.Calls()); n != 0 {
		t.Errorf("%d calls in the member account, want none", n)
	}

	posts := w.slack.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d posts to response_url, want 1", len(posts))
	}
	r := posts[0].Reply
	if !r.ReplaceOriginal || r.ResponseType != "" || len(r.Blocks) != 2 {
		t.Fatalf("reply = %+v, want the original message replaced, with its 2 blocks", r)
	}
	if string(r.Blocks[0]) != string(restoretest.DefaultBlocks(c.BlockID, restore.ActionID, c.Value)[0]) {
		t.Errorf("the alert's section changed: %s", r.Blocks[0])
	}
	wantLine := ":white_check_mark: AccessKey `LTAI5tExampleKey1` restored by <@U0ALICE01> at <!date^1796267565^{time}|03:12 UTC>. Check its status in the RAM console before relying on it."
	if got := contextLine(t, r, c.BlockID); got != wantLine {
		t.Errorf("line = %q, want %q", got, wantLine)
	}

	events := w.audit.Events()
	if len(events) != 1 {
		t.Fatalf("%d audit events, want 1", len(events))
	}
	wantEvent := restore.AuditEvent{
		Type: restore.AuditType, Timestamp: w.now,
		Data: restore.AuditData{
			AccountID: ownAccount, AccountName: "prod", UserID: aliceID, UserName: "alice", AccessKeyID: aliceKey, AlertID: alertKey,
			RestoredBy: restore.SlackUser{SlackUserID: alice, SlackUserName: "alice", SlackActionTs: c.ActionTs},
			Outcome:    restore.Restored,
		},
	}
	if diff := cmp.Diff(wantEvent, events[0]); diff != "" {
		t.Errorf("audit event (-want +got):\n%s", diff)
	}
	if id := events[0].WebhookID(); len(id) != 36 || !strings.HasPrefix(id, "msg_") {
		t.Errorf("WebhookID = %q, want msg_ and 32 hex digits", id)
	}
	if l := w.lines(t, "restore click answered"); len(l) != 1 || l[0]["outcome"] != "restored" || l[0]["requestId"] != "req-"+c.ActionTs {
		t.Errorf("log lines = %v, want one restore line with the outcome and request ID", l)
	}
}

func TestAuditEventJSON(t *testing.T) {
	e := restore.AuditEvent{
		Type: restore.AuditType, Timestamp: time.Date(2026, 12, 3, 3, 12, 45, 0, time.UTC),
		Data: restore.AuditData{AccountID: ownAccount, UserID: carolID, UserName: "carol", AlertID: alertUser,
			RestoredBy: restore.SlackUser{SlackUserID: alice, SlackUserName: "alice", SlackActionTs: "1796267565.000100"}, Outcome: restore.Restored},
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"ram.accesskey.restored","timestamp":"2026-12-03T03:12:45Z","data":{"accountId":"1234567890123456","accountName":"","userId":"40732900249392003","userName":"carol","alertId":"alrt_1c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f","restoredBy":{"slackUserId":"U0ALICE01","slackUserName":"alice","slackActionTs":"1796267565.000100"},"outcome":"restored"}}`
	if string(b) != want {
		t.Errorf("audit event JSON =\n%s\nwant\n%s", b, want)
	}
	// The webhook-id covers the account, the item and action_ts, nothing else.
	other := e
	other.Data.Outcome, other.Timestamp, other.Data.AlertID = restore.AlreadyRestored, e.Timestamp.Add(time.Hour), alertKey
	if e.WebhookID() != other.WebhookID() {
		t.Errorf("WebhookID changed with the outcome, time or alert")
	}
	for _, change := range []func(*restore.AuditEvent){
		func(e *restore.AuditEvent) { e.Data.AccountID = memberAccount },
		func(e *restore.AuditEvent) { e.Data.UserID = aliceID },
		func(e *restore.AuditEvent) { e.Data.AccessKeyID = aliceKey },
		func(e *restore.AuditEvent) { e.Data.RestoredBy.SlackActionTs = "1796267565.000101" },
	} {
		c := e
		change(&c)
		if c.WebhookID() == e.WebhookID() {
			t.Errorf("WebhookID did not change with %+v", c.Data)
		}
	}
}

// TestRefusals sends clicks that must be refused before anything is touched: no Restorer asked for,
// no call, no post, no audit event.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		target     restore.Target
		click      restoretest.Click
		mutate     func(w *world, req *restore.Request)
		foreignURL bool
	}{
		{name: "a forged signature", status: 401, mutate: func(w *world, req *restore.Request) {
			other := restoretest.NewSlack(t, "another-signing-secret-000000000", teamID, appID)
			req.Header = other.Headers(req.Body, w.now)
		}},
		{name: "no signature", status: 401, mutate: func(_ *world, req *restore.Request) { req.Header.Del(restore.HeaderSignature) }},
		{name: "an old timestamp", status: 401, mutate: func(w *world, req *restore.Request) {
			req.Header = w.slack.Headers(req.Body, w.now.Add(-restore.MaxClockSkew-time.Second))
		}},
		{name: "a timestamp from the future", status: 401, mutate: func(w *world, req *restore.Request) {
			req.Header = w.slack.Headers(req.Body, w.now.Add(restore.MaxClockSkew+time.Second))
		}},
		{name: "the body changed after signing", status: 401, mutate: func(_ *world, req *restore.Request) {
			req.Body = bytes.Replace(req.Body, []byte(alice), []byte("U0ALICE02"), 1)
		}},
		{name: "another workspace", status: 401, click: restoretest.Click{TeamID: "T0OTHER01"}},
		{name: "another app", status: 401, click: restoretest.Click{AppID: "A0OTHER01"}},
		{name: "a button not signed with RESTORE_TOKEN_SECRET", status: 401, click: restoretest.Click{Value: forgedValue(t, keyTarget)}},
		{name: "a button value changed to another account", status: 401, click: restoretest.Click{Value: strings.Replace(signed(t, keyTarget), ownAccount, memberAccount, 1)}},
		{name: "a button value made up", status: 401, click: restoretest.Click{Value: "v1." + ownAccount + "." + aliceID + "." + aliceKey + "." + alertKey + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
		{name: "an account this function does not serve", status: 401, target: restore.Target{AccountID: "9999999999999999", UserID: aliceID, AccessKeyID: aliceKey, AlertID: alertKey}},
		{name: "another action", status: 400, click: restoretest.Click{ActionID: "delete"}},
		{name: "a response_url on another host", status: 400, foreignURL: true},
		{name: "a response_url on Slack's host over http", status: 400, click: restoretest.Click{ResponseURL: "http://hooks.slack.com/actions/T0TEAM001/1/x"}},
		{name: "a response_url with a user name", status: 400, click: restoretest.Click{ResponseURL: "https://hooks.slack.com@127.0.0.1:1/actions/T0TEAM001/1/x"}},
		{name: "another path", status: 404, mutate: func(_ *world, req *restore.Request) { req.Path = "/slack/events" }},
		{name: "GET", status: 405, mutate: func(_ *world, req *restore.Request) { req.Method = http.MethodGet }},
		{name: "a body over 1 MiB", status: 413, mutate: func(w *world, req *restore.Request) {
			req.Body = append(req.Body, bytes.Repeat([]byte("&"), restore.MaxBodyBytes)...)
			req.Header = w.slack.Headers(req.Body, w.now)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			target := keyTarget
			if tt.target != (restore.Target{}) {
				target = tt.target
			}
			c := tt.click
			if c.Value == "" {
				c.Value = w.value(target)
			}
			var foreign *restoretest.Listener
			if tt.foreignURL {
				foreign = restoretest.NewListener(t)
				c.ResponseURL = foreign.URL + "actions/T0TEAM001/1/secret0token"
			}
			req, _ := w.slack.Request(c)
			if tt.mutate != nil {
				tt.mutate(w, &req)
			}
			resp := w.h.Handle(t.Context(), req)
			if resp.Status != tt.status {
				t.Errorf("Handle = %+v, want %d", resp, tt.status)
			}
			if calls := append(w.own.Calls(), w.member.Calls()...); len(calls) != 0 {
				t.Errorf("calls = %q, want none", calls)
			}
			if asked := w.accounts.Asked(); len(asked) != 0 {
				t.Errorf("Restorers asked for %q, want none", asked)
			}
			if posts := w.slack.Posts(); len(posts) != 0 {
				t.Errorf("%d posts to response_url, want none", len(posts))
			}
			if foreign != nil && foreign.Connections() != 0 {
				t.Errorf("%d connections to the foreign response_url, want none", foreign.Connections())
			}
			if ev := w.audit.Events(); len(ev) != 0 {
				t.Errorf("audit events %+v, want none", ev)
			}
			if l := w.lines(t, "restore request refused"); len(l) != 1 || l[0]["status"] != float64(tt.status) || l[0]["reason"] == "" {
				t.Errorf("log lines = %v, want one refusal with its status and reason", l)
			}
		})
	}
}

func signed(t *testing.T, target restore.Target) string {
	t.Helper()
	s, err := restore.NewSigner(tokenSecret)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Sign(target)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func forgedValue(t *testing.T, target restore.Target) string {
	t.Helper()
	s, err := restore.NewSigner("a-guess-at-the-token-secret-0000000000")
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Sign(target)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNotAllowedUser(t *testing.T) {
	w := newWorld(t)
	click := func(user string) restore.Response {
		resp, _ := w.click(t, keyTarget, restoretest.Click{UserID: user, UserName: strings.ToLower(user)})
		return resp
	}
	if resp := click(mallory); resp.Status != http.StatusOK {
		t.Fatalf("Handle = %+v, want 200 (the refusal is told through response_url)", resp)
	}
	posts := w.slack.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	want := restoretest.Reply{ResponseType: "ephemeral", Text: ":no_entry: You are not allowed to restore from Slack: nothing was done. An administrator can add your Slack user ID (U0MALLORY) to RESTORE_ALLOWED_USERS."}
	if diff := cmp.Diff(want, posts[0].Reply); diff != "" {
		t.Errorf("reply (-want +got):\n%s", diff)
	}
	if calls := w.own.Calls(); len(calls) != 0 || len(w.accounts.Asked()) != 0 || w.accounts.Listed() != 0 {
		t.Errorf("calls %q, Restorers asked %q, look-ups that may list the directory %d: want none", calls, w.accounts.Asked(), w.accounts.Listed())
	}

	// Refusals are posted at most once a minute per Slack user, and always logged.
	click(mallory)
	w.now = w.now.Add(59 * time.Second)
	click(mallory)
	click("U0EVE0001")
	w.now = w.now.Add(2 * time.Second)
	click(mallory)
	var got []string
	for _, e := range w.audit.Events() {
		if e.Data.Outcome != restore.NotAllowed || e.Data.AccessKeyID != aliceKey || e.Data.AccountName != "prod" {
			t.Errorf("audit event %+v, want a not-allowed event for the key", e.Data)
		}
		got = append(got, e.Data.RestoredBy.SlackUserID)
	}
	if diff := cmp.Diff([]string{mallory, "U0EVE0001", mallory}, got); diff != "" {
		t.Errorf("refusals audited (-want +got):\n%s", diff)
	}
	if n := len(w.lines(t, "restore refused: the Slack user is not in RESTORE_ALLOWED_USERS")); n != 5 {
		t.Errorf("%d refusal log lines, want 5", n)
	}
	if n := len(w.slack.Posts()); n != 5 {
		t.Errorf("%d ephemeral notes, want one per click (5)", n)
	}
	if len(w.own.Calls()) != 0 {
		t.Errorf("calls %q, want none", w.own.Calls())
	}
}

func TestReplayAndDoubleClick(t *testing.T) {
	tests := []struct {
		name   string
		second func(w *world, first restore.Request) restore.Request
		sameID bool
	}{
		{name: "the same request replayed", second: func(_ *world, first restore.Request) restore.Request { return first }, sameID: true},
		{name: "a second click", second: func(w *world, _ restore.Request) restore.Request {
			req, _ := w.slack.Request(restoretest.Click{Value: w.value(keyTarget), UserID: "U0OTHER01", UserName: "other"})
			return req
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			first, c := w.slack.Request(restoretest.Click{Value: w.value(keyTarget)})
			if resp := w.h.Handle(t.Context(), first); resp.Status != http.StatusOK {
				t.Fatalf("first Handle = %+v", resp)
			}
			w.now = w.now.Add(30 * time.Second)
			if resp := w.h.Handle(t.Context(), tt.second(w, first)); resp.Status != http.StatusOK {
				t.Fatalf("second Handle = %+v", resp)
			}
			if n := w.own.Count("RestoreAccessKey"); n != 1 {
				t.Errorf("%d restore calls, want 1", n)
			}
			events := w.audit.Events()
			if len(events) != 2 || events[0].Data.Outcome != restore.Restored || events[1].Data.Outcome != restore.AlreadyRestored {
				t.Fatalf("audit events %+v, want restored then already-restored", events)
			}
			if same := events[0].WebhookID() == events[1].WebhookID(); same != tt.sameID {
				t.Errorf("webhook-ids equal = %v, want %v", same, tt.sameID)
			}
			posts := w.slack.Posts()
			if len(posts) != 2 {
				t.Fatalf("%d posts, want 2", len(posts))
			}
			if line := contextLine(t, posts[1].Reply, c.BlockID); !strings.HasPrefix(line, ":information_source: AccessKey `LTAI5tExampleKey1` is already restored: nothing was done") {
				t.Errorf("second line = %q, want already restored", line)
			}
		})
	}
}

// TestConcurrentClicks: two clicks on one item at once on one instance: the second waits for the first
// and does not call restore; past the budget it says another restore is running.
func TestConcurrentClicks(t *testing.T) {
	w := newWorld(t, func(o *restore.Options) { o.Budget = 200 * time.Millisecond })
	started, release := make(chan struct{}), make(chan struct{})
	var binChecks sync.WaitGroup
	binChecks.Add(1)
	var once sync.Once
	w.own.Hook = func(ctx context.Context, call string) error {
		switch call {
		case "RestoreAccessKey":
			once.Do(func() { close(started); <-release })
		}
		return nil
	}
	firstDone := make(chan restore.Response)
	go func() {
		req, _ := w.slack.Request(restoretest.Click{Value: w.value(keyTarget)})
		firstDone <- w.h.Handle(t.Context(), req)
	}()
	<-started
	secondDone := make(chan restore.Response)
	go func() {
		req, _ := w.slack.Request(restoretest.Click{Value: w.value(keyTarget), UserID: "U0OTHER01"})
		secondDone <- w.h.Handle(t.Context(), req)
	}()
	// The second click either waits for the first (and gives up at its budget) or, without the lock,
	// checks the bin, finds the key still there and calls restore too.
	go func() {
		for w.own.Count("AccessKeyInBin") < 2 && len(w.slack.Posts()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		close(release)
	}()
	<-secondDone
	<-firstDone
	if n := w.own.Count("RestoreAccessKey"); n != 1 {
		t.Errorf("%d restore calls, want 1", n)
	}
	var notes []string
	for _, p := range w.slack.Posts() {
		if p.Reply.ResponseType == "ephemeral" {
			notes = append(notes, p.Reply.Text)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "Another restore of AccessKey `LTAI5tExampleKey1` is running") {
		t.Errorf("notes %q, want one saying another restore is running", notes)
	}
}

func TestOutcomes(t *testing.T) {
	apiErr := func(code string, status int) error {
		return &restore.APIError{Action: "X", Code: code, Status: status, Message: "m"}
	}
	tests := []struct {
		name      string
		target    restore.Target
		setup     func(w *world)
		hook      map[string]error        // a call's injected error
		onCall    map[string]func(*world) // what happens in the account as the call starts
		wantCalls []string
		wantOut   restore.Outcome // "" for a failure note
		wantText  string          // part of the context line or the note
	}{
		{
			name: "a key purged", target: keyTarget,
			setup:     func(w *world) { w.own.Purge(aliceKey) },
			wantCalls: []string{"AccessKeyInBin " + aliceKey, "GetUser UserAccessKeyId=" + aliceKey},
			wantOut:   restore.Purged, wantText: ":x: AccessKey `LTAI5tExampleKey1` was purged and cannot be restored",
		},
		{
			name: "a key restored from the console", target: keyTarget,
			setup:     func(w *world) { w.own.Purge(aliceKey); w.own.AddLiveKey(aliceID, aliceKey) },
			wantCalls: []string{"AccessKeyInBin " + aliceKey, "GetUser UserAccessKeyId=" + aliceKey},
			wantOut:   restore.AlreadyRestored, wantText: "is already restored",
		},
		{
			name: "a user restored", target: userTarget,
			wantCalls: []string{"UserInBin " + carolID, "RestoreUser " + carolID},
			wantOut:   restore.Restored, wantText: ":white_check_mark: RAM user `carol` restored by <@U0ALICE01>",
		},
		{
			name: "a user purged", target: restore.Target{AccountID: ownAccount, UserID: "99999999999999999", AlertID: alertUser},
			wantCalls: []string{"UserInBin 99999999999999999", "GetUser UserId=99999999999999999"},
			wantOut:   restore.Purged, wantText: "RAM user `99999999999999999` was purged",
		},
		{
			name: "a key whose owner is in the user bin", target: keyTarget,
			setup:     func(w *world) { w.own.RecycleUser(aliceID) },
			wantCalls: []string{"AccessKeyInBin " + aliceKey},
			wantText:  "The owner of AccessKey `LTAI5tExampleKey1`, RAM user `alice`, is itself in the user recycle bin: restore the user first",
		},
		{
			name: "a key in another user's bin", target: restore.Target{AccountID: ownAccount, UserID: carolID, AccessKeyID: aliceKey, AlertID: alertKey},
			wantCalls: []string{"AccessKeyInBin " + aliceKey},
			wantText:  "belongs to RAM user ID `20732900249392001`, not to the user of this alert",
		},
		{
			name: "the restore refused", target: keyTarget, hook: map[string]error{"RestoreAccessKey": apiErr("NoPermission", 403)},
			wantCalls: []string{"AccessKeyInBin " + aliceKey, "RestoreAccessKey " + aliceID + " " + aliceKey},
			wantText:  "Could not restore AccessKey `LTAI5tExampleKey1`: restoring, Alibaba Cloud answered NoPermission (HTTP 403). Nothing was changed",
		},
		{
			name: "an unknown answer is no outcome", target: keyTarget, hook: map[string]error{"AccessKeyInBin": apiErr("InvalidParameter.UserAccessKeyId", 400)},
			wantCalls: []string{"AccessKeyInBin " + aliceKey},
			wantText:  "checking the AccessKey recycle bin, Alibaba Cloud answered InvalidParameter.UserAccessKeyId (HTTP 400)",
		},
		{
			name: "a 404 without a code is not in the bin", target: keyTarget, hook: map[string]error{"AccessKeyInBin": apiErr("", 404)},
			setup:     func(w *world) { w.own.Purge(aliceKey) },
			wantCalls: []string{"AccessKeyInBin " + aliceKey, "GetUser UserAccessKeyId=" + aliceKey},
			wantOut:   restore.Purged, wantText: "was purged",
		},
		{
			name: "the key left the bin between the check and the restore", target: keyTarget,
			onCall:    map[string]func(*world){"RestoreAccessKey": func(w *world) { w.own.Purge(aliceKey) }},
			wantCalls: []string{"AccessKeyInBin " + aliceKey, "RestoreAccessKey " + aliceID + " " + aliceKey, "AccessKeyInBin " + aliceKey, "GetUser UserAccessKeyId=" + aliceKey},
			wantOut:   restore.Purged, wantText: "was purged",
		},
		{
			name: "a restore answered not found while the key is still in the bin is no outcome", target: keyTarget,
			hook:      map[string]error{"RestoreAccessKey": apiErr("EntityNotExist.User.AccessKey", 404)},
			wantCalls: []string{"AccessKeyInBin " + aliceKey, "RestoreAccessKey " + aliceID + " " + aliceKey, "AccessKeyInBin " + aliceKey},
			wantText:  "restoring, Alibaba Cloud answered EntityNotExist.User.AccessKey (HTTP 404)",
		},
		{
			name: "the key's owner deleted between the check and the restore", target: keyTarget,
			onCall:    map[string]func(*world){"RestoreAccessKey": func(w *world) { w.own.RecycleUser(aliceID) }},
			wantCalls: []string{"AccessKeyInBin " + aliceKey, "RestoreAccessKey " + aliceID + " " + aliceKey, "AccessKeyInBin " + aliceKey},
			wantText:  "is itself in the user recycle bin: restore the user first",
		},
		{
			name: "a 404 with another code is no outcome", target: keyTarget, hook: map[string]error{"AccessKeyInBin": apiErr("InvalidAction.NotFound", 404)},
			wantCalls: []string{"AccessKeyInBin " + aliceKey},
			wantText:  "checking the AccessKey recycle bin, Alibaba Cloud answered InvalidAction.NotFound (HTTP 404)",
		},
		{
			name: "restored or purged cannot be told", target: keyTarget, hook: map[string]error{"GetUser": apiErr("NoPermission", 403)},
			setup:     func(w *world) { w.own.Purge(aliceKey) },
			wantCalls: []string{"AccessKeyInBin " + aliceKey, "GetUser UserAccessKeyId=" + aliceKey},
			wantText:  "it is no longer in the recycle bin, and looking it up, Alibaba Cloud answered NoPermission (HTTP 403)",
		},
		{
			name: "an error without a code", target: keyTarget, hook: map[string]error{"AccessKeyInBin": context.Canceled},
			wantCalls: []string{"AccessKeyInBin " + aliceKey},
			wantText:  "the call failed (see the function's log)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.setup != nil {
				tt.setup(w)
			}
			before := len(w.own.Calls())
			w.own.Hook = func(_ context.Context, call string) error {
				if f := tt.onCall[call]; f != nil {
					f(w)
				}
				return tt.hook[call]
			}
			resp, c := w.click(t, tt.target, restoretest.Click{})
			if resp.Status != http.StatusOK {
				t.Fatalf("Handle = %+v, want 200", resp)
			}
			if diff := cmp.Diff(tt.wantCalls, w.own.Calls()[before:]); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			posts := w.slack.Posts()
			if len(posts) != 1 {
				t.Fatalf("%d posts, want 1", len(posts))
			}
			r := posts[0].Reply
			events := w.audit.Events()
			if tt.wantOut == "" {
				if r.ResponseType != "ephemeral" || !strings.Contains(r.Text, tt.wantText) {
					t.Errorf("reply = %+v, want an ephemeral note containing %q", r, tt.wantText)
				}
				if len(events) != 0 {
					t.Errorf("audit events %+v, want none for a failure", events)
				}
				if len(w.lines(t, "restore failed")) != 1 {
					t.Errorf("want one restore failed log line: %s", w.logs.String())
				}
				return
			}
			if line := contextLine(t, r, c.BlockID); !r.ReplaceOriginal || !strings.Contains(line, tt.wantText) {
				t.Errorf("reply = %+v (line %q), want the message replaced with a line containing %q", r, line, tt.wantText)
			}
			if len(events) != 1 || events[0].Data.Outcome != tt.wantOut {
				t.Fatalf("audit events %+v, want one %s", events, tt.wantOut)
			}
			if tt.target.IsUser() {
				b, _ := json.Marshal(events[0])
				if strings.Contains(string(b), "accessKeyId") {
					t.Errorf("a user's audit event has an accessKeyId: %s", b)
				}
			}
		})
	}
}

func TestMemberAccount(t *testing.T) {
	w := newWorld(t)
	resp, _ := w.click(t, memberTarget, restoretest.Click{})
	if resp.Status != http.StatusOK {
		t.Fatalf("Handle = %+v", resp)
	}
	if diff := cmp.Diff([]string{memberAccount}, w.accounts.Asked()); diff != "" {
		t.Errorf("Restorers asked (-want +got):\n%s", diff)
	}
	want := []string{"AccessKeyInBin " + bobKey, "RestoreAccessKey " + bobID + " " + bobKey}
	if diff := cmp.Diff(want, w.member.Calls()); diff != "" {
		t.Errorf("member calls (-want +got):\n%s", diff)
	}
	if calls := w.own.Calls(); len(calls) != 0 {
		t.Errorf("own account calls %q, want none", calls)
	}
	ev := w.audit.Events()
	if len(ev) != 1 || ev[0].Data.AccountID != memberAccount || ev[0].Data.AccountName != "dev" || ev[0].Data.UserName != "bob" {
		t.Errorf("audit events %+v, want one restore in the member account dev", ev)
	}
}

// TestMemberAccessError: a member whose restorer role cannot be assumed gets an ephemeral note naming
// the account, the role, Alibaba Cloud's code and what to do; nothing is restored, nothing audited, the
// button stays; the log line names the account and the role.
func TestMemberAccessError(t *testing.T) {
	w := newWorld(t)
	const role = "ak-recycle-alert-restorer"
	cause := &restore.APIError{Action: "AssumeRole", Code: "EntityNotExist.Role", Status: http.StatusNotFound,
		Message: "The role not exists: acs:ram::" + memberAccount + ":role/" + role + "."}
	w.accounts.Fail(restore.Account{ID: memberAccount, Name: "dev"}, &restore.AccessError{AccountID: memberAccount, Role: role,
		Hint: "the account has no role of that name: create it there", Err: cause})
	resp, _ := w.click(t, memberTarget, restoretest.Click{})
	if resp.Status != http.StatusOK {
		t.Fatalf("Handle = %+v, want 200 (the person is told through response_url)", resp)
	}
	posts := w.slack.Posts()
	if len(posts) != 1 || posts[0].Reply.ResponseType != "ephemeral" || posts[0].Reply.ReplaceOriginal {
		t.Fatalf("replies %v, want one ephemeral note", posts)
	}
	want := ":warning: Could not restore AccessKey `" + bobKey + "`: the restore function could not assume the role `" + role +
		"` in account " + memberAccount + ", Alibaba Cloud answered EntityNotExist.Role (HTTP 404): the account has no role of that name: create it there. " +
		"Nothing was changed; the Restore button still works."
	if got := posts[0].Reply.Text; got != want {
		t.Errorf("note = %q\nwant   %q", got, want)
	}
	if calls := append(w.member.Calls(), w.own.Calls()...); len(calls) != 0 {
		t.Errorf("calls %q, want none", calls)
	}
	if ev := w.audit.Events(); len(ev) != 0 {
		t.Errorf("audit events %+v, want none: nothing happened", ev)
	}
	logs := w.logs.String()
	if !strings.Contains(logs, `"msg":"restore failed"`) || !strings.Contains(logs, "assuming the role "+role+" in account "+memberAccount+": AssumeRole: EntityNotExist.Role") {
		t.Errorf("logs lack the failure naming the account and the role:\n%s", logs)
	}
}

// slowLookup is Accounts whose Lookup takes until its context ends.
type slowLookup struct{ *restoretest.Accounts }

func (s slowLookup) Lookup(ctx context.Context, _ string, _ bool) (restore.Account, error) {
	<-ctx.Done()
	return restore.Account{}, ctx.Err()
}

// TestLookupBudget: the account's look-up (the directory's listing, for a member) counts toward the
// budget: one that does not end within it restores nothing and tells the person to click again.
func TestLookupBudget(t *testing.T) {
	const budget = 30 * time.Millisecond
	var slow slowLookup
	w := newWorld(t, func(o *restore.Options) {
		slow = slowLookup{o.Accounts.(*restoretest.Accounts)}
		o.Accounts, o.Budget = slow, budget
	})
	done := make(chan restore.Response, 1)
	go func() {
		resp, _ := w.click(t, memberTarget, restoretest.Click{})
		done <- resp
	}()
	select {
	case resp := <-done:
		if resp.Status != http.StatusOK {
			t.Errorf("Handle = %+v, want 200", resp)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Handle did not return: the look-up is not bounded by the budget")
	}
	if posts := w.slack.Posts(); len(posts) != 1 || !strings.Contains(posts[0].Reply.Text, "Could not look up account "+memberAccount) {
		t.Errorf("replies %v, want the note that the account could not be looked up", posts)
	}
	if calls := w.member.Calls(); len(calls) != 0 || len(slow.Asked()) != 0 {
		t.Errorf("calls %q, Restorers asked %q; want none", calls, slow.Asked())
	}
}

// TestBudget: checks that do not end within the budget change nothing; a restore call, once made, is
// seen through past the budget, and its outcome is posted before Handle returns.
func TestBudget(t *testing.T) {
	const budget = 30 * time.Millisecond
	t.Run("a slow check", func(t *testing.T) {
		w := newWorld(t, func(o *restore.Options) { o.Budget = budget })
		w.own.Hook = func(ctx context.Context, call string) error {
			if call == "AccessKeyInBin" {
				<-ctx.Done() // no answer before the budget ends
				return ctx.Err()
			}
			return nil
		}
		resp, _ := w.click(t, keyTarget, restoretest.Click{})
		posts := w.slack.Posts()
		if resp.Status != http.StatusOK || len(posts) != 1 || posts[0].Reply.ResponseType != "ephemeral" ||
			posts[0].Reply.Text != ":warning: Alibaba Cloud did not answer within 30ms: nothing was restored. Click Restore again." {
			t.Fatalf("Handle = %+v, posts %+v: want 200 after an ephemeral note", resp, posts)
		}
		if n := w.own.Count("RestoreAccessKey"); n != 0 {
			t.Errorf("%d restore calls, want none", n)
		}
	})
	t.Run("a slow restore", func(t *testing.T) {
		w := newWorld(t, func(o *restore.Options) { o.Budget = budget })
		var restoreErr error
		w.own.Hook = func(ctx context.Context, call string) error {
			if call == "RestoreAccessKey" {
				time.Sleep(4 * budget) // answers long after the budget
				restoreErr = ctx.Err()
			}
			return nil
		}
		// Slack hangs up at its timeout: on the custom runtime that cancels the request's context.
		ctx, cancel := context.WithCancel(t.Context())
		w.own.Hook = wrapHook(w.own.Hook, func(call string) {
			if call == "RestoreAccessKey" {
				cancel()
			}
		})
		req, c := w.slack.Request(restoretest.Click{Value: w.value(keyTarget)})
		resp := w.h.Handle(ctx, req)
		posts := w.slack.Posts() // read as Handle returns: the outcome must be there already
		if restoreErr != nil {
			t.Errorf("the restore call's context ended with %v: the restore was abandoned", restoreErr)
		}
		if resp.Status != http.StatusOK || len(posts) != 1 || !strings.HasPrefix(contextLine(t, posts[0].Reply, c.BlockID), ":white_check_mark:") {
			t.Fatalf("Handle = %+v, posts %+v: want the outcome posted before the answer", resp, posts)
		}
		if ev := w.audit.Events(); len(ev) != 1 || ev[0].Data.Outcome != restore.Restored {
			t.Errorf("audit events %+v, want one restored", ev)
		}
		if l := w.lines(t, "restore click answered"); len(l) != 1 || l[0]["late"] != true {
			t.Errorf("log lines %v, want one marked late", l)
		}
	})
	t.Run("a restore that never answers", func(t *testing.T) {
		w := newWorld(t, func(o *restore.Options) { o.Budget = budget; o.RestoreTimeout = 2 * budget })
		w.own.Hook = func(ctx context.Context, call string) error {
			if call == "RestoreAccessKey" {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		}
		resp, _ := w.click(t, keyTarget, restoretest.Click{})
		posts := w.slack.Posts()
		if resp.Status != http.StatusOK || len(posts) != 1 || !strings.Contains(posts[0].Reply.Text, "was sent, but its answer did not come in time: it may or may not be back") {
			t.Fatalf("Handle = %+v, posts %+v: want a note that the outcome is unknown", resp, posts)
		}
		if len(w.audit.Events()) != 0 {
			t.Errorf("audit events %+v, want none for an unknown outcome", w.audit.Events())
		}
	})
}

func wrapHook(h func(context.Context, string) error, before func(string)) func(context.Context, string) error {
	return func(ctx context.Context, call string) error {
		before(call)
		return h(ctx, call)
	}
}

func TestReplyFailureIsLogged(t *testing.T) {
	w := newWorld(t)
	w.slack.SetStatus(http.StatusInternalServerError)
	resp, c := w.click(t, keyTarget, restoretest.Click{})
	if resp.Status != http.StatusOK {
		t.Fatalf("Handle = %+v", resp)
	}
	if n := len(w.slack.Posts()); n != 2 {
		t.Errorf("%d posts, want 2 (a 5xx is tried once more)", n)
	}
	l := w.lines(t, "the reply to Slack failed")
	if len(l) != 1 {
		t.Fatalf("log lines %v, want one failed reply", l)
	}
	msg, _ := l[0]["error"].(string)
	if !strings.Contains(msg, "HTTP 500") || strings.Contains(msg, c.ResponseURL) || strings.Contains(msg, "Fake0Response0Url0Token") {
		t.Errorf("error %q: want the status, never the response_url", msg)
	}
	if ev := w.audit.Events(); len(ev) != 1 {
		t.Errorf("audit events %+v, want the restore audited all the same", ev)
	}
}

func TestAuditFailureIsLogged(t *testing.T) {
	w := newWorld(t)
	w.audit.Err = &restore.APIError{Action: "webhook", Code: "Down", Status: 503}
	if resp, _ := w.click(t, keyTarget, restoretest.Click{}); resp.Status != http.StatusOK {
		t.Fatalf("Handle = %+v", resp)
	}
	if l := w.lines(t, "posting the audit event failed"); len(l) != 1 {
		t.Errorf("log lines %v, want one failed audit", l)
	}
}

// auditFunc is an Auditor of a function.
type auditFunc func(context.Context, restore.AuditEvent) error

func (f auditFunc) Audit(ctx context.Context, e restore.AuditEvent) error { return f(ctx, e) }

// TestAuditWithinBudget: the audit, which is posted before Slack is answered, has only what is left of
// the click's budget (at least a short grace), so that a slow or retrying channel cannot hold the answer
// past Slack's 3 s; a restore and a refusal alike.
func TestAuditWithinBudget(t *testing.T) {
	const budget = 2 * time.Second
	var deadlines []time.Duration // each audit's deadline, from the moment the audit began
	var mu sync.Mutex
	slow := auditFunc(func(ctx context.Context, _ restore.AuditEvent) error {
		d, ok := ctx.Deadline()
		mu.Lock()
		defer mu.Unlock()
		if !ok {
			deadlines = append(deadlines, -1)
			return nil
		}
		deadlines = append(deadlines, time.Until(d))
		return nil
	})
	w := newWorld(t, func(o *restore.Options) { o.Auditor, o.Budget = slow, budget })
	if resp, _ := w.click(t, keyTarget, restoretest.Click{}); resp.Status != http.StatusOK {
		t.Fatalf("Handle = %+v, want 200", resp)
	}
	if resp, _ := w.click(t, keyTarget, restoretest.Click{UserID: mallory, UserName: "mallory"}); resp.Status != http.StatusOK {
		t.Fatalf("Handle = %+v, want 200", resp)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(deadlines) != 2 {
		t.Fatalf("%d audits, want 2 (a restore and a refusal)", len(deadlines))
	}
	for i, d := range deadlines {
		if d < 0 || d > budget {
			t.Errorf("audit %d: its deadline is %v away, want one within the click's budget (%v)", i+1, d, budget)
		}
	}
}

package main

// End-to-end tests of the built binary: TestMain builds it once with the e2etest tag (which adds the
// "panic" and "panic-goroutine" events, see e2e_hook.go), and each test runs it as a subprocess in a clean
// environment against the RAM/IMS emulator (ramfake), the fake go1 runtime API (fcfake) and local
// receivers standing in for Slack and the generic webhook. Nothing leaves 127.0.0.1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
)

// e2eBin is the function binary that TestMain builds with the e2etest tag.
var e2eBin string

// e2eWait bounds every wait of these tests: a hang fails instead of blocking.
const e2eWait = 30 * time.Second

// Fake credentials and secrets. The emulator checks the signatures they make; none of them, nor the
// webhook URLs' secret path part, may appear in any output.
const (
	e2eAccount      = "1234567890123456"
	e2eSchedule     = "0 0 9 * * *" // daily at 09:00 UTC
	e2eEnvKeyID     = "LTAI5tE2eEnvCallerKey001"
	e2eEnvSecret    = "e2eEnvSecretMustNotLeak0001"
	e2eSTSKeyID     = "STS.NUe2eRoleKeyTemporary1"
	e2eSTSSecret    = "e2eStsSecretMustNotLeak0002"
	e2eSTSToken     = "CAISe2eSecurityTokenMustNotLeak0003"
	e2eWrongSecret  = "e2eWrongSecretMustNotLeak0004" // signs requests the emulator rejects
	e2eEnvSTSKeyID  = "STS.NUe2eEnvKeyTemporary02"
	e2eEnvSTSSecret = "e2eEnvStsSecretMustNotLeak0005"
	e2eEnvSTSToken  = "CAISe2eEnvSecurityTokenMustNotLeak0006"
	e2eURLSecret    = "XXXXSECRETXXXX"
	e2eSlackPath    = "/services/T000/B000/" + e2eURLSecret
	e2eWebhookPath  = "/hooks/" + e2eURLSecret + "/generic"
)

// e2eWebhookKey is the base64 part of e2eWebhookSecret (Standard Webhooks: whsec_ and 24 to 64 bytes).
var (
	e2eWebhookKey    = base64.StdEncoding.EncodeToString([]byte("e2e-webhook-signing-key-must-not-leak"))
	e2eWebhookSecret = "whsec_" + e2eWebhookKey
)

// e2eSecrets are the strings no stdout, stderr, response or message may contain.
var e2eSecrets = []string{e2eEnvSecret, e2eSTSSecret, e2eSTSToken, e2eWrongSecret, e2eEnvSTSSecret, e2eEnvSTSToken,
	e2eURLSecret, e2eWebhookSecret, e2eWebhookKey, "Signature="}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ak-recycle-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	e2eBin = filepath.Join(dir, "main")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	out, err := e2eGoBuild(ctx, e2eBin, nil, "-tags", "e2etest")
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building the binary: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// e2eGoTool returns the go command: the one in PATH, else the one of the toolchain that built the test.
func e2eGoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// e2eGoBuild builds this package into out, offline (GOPROXY=off: every module the binary needs is already
// in the cache, since the test binary needs them too).
func e2eGoBuild(ctx context.Context, out string, env []string, flags ...string) ([]byte, error) {
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", out, ".")
	cmd := exec.CommandContext(ctx, e2eGoTool(), args...)
	cmd.Env = append(append(os.Environ(), "GOPROXY=off"), env...)
	return cmd.CombinedOutput()
}

// ---------------------------------------------------------------------------------------------------
// The world around the binary: the emulator, the receivers, the environment.

// e2ePost is one request a receiver got.
type e2ePost struct {
	Path   string
	Header http.Header
	Body   []byte
}

// e2eReceiver stands in for Slack's incoming webhook (at e2eSlackPath) and the generic webhook (at
// e2eWebhookPath), recording every post.
type e2eReceiver struct {
	srv *httptest.Server

	mu          sync.Mutex
	posts       []e2ePost
	slackStatus int // answer to Slack posts; 0 means 200
}

func newE2EReceiver(t *testing.T) *e2eReceiver {
	t.Helper()
	rx := &e2eReceiver{}
	rx.srv = httptest.NewServer(rx)
	t.Cleanup(rx.srv.Close)
	return rx
}

func (rx *e2eReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	rx.mu.Lock()
	rx.posts = append(rx.posts, e2ePost{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	status := http.StatusOK
	if r.URL.Path == e2eSlackPath && rx.slackStatus != 0 {
		status = rx.slackStatus
	}
	rx.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, "receiver failing as told", status)
		return
	}
	io.WriteString(w, "ok")
}

// setSlackStatus makes the Slack receiver answer status.
func (rx *e2eReceiver) setSlackStatus(status int) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.slackStatus = status
}

// postsTo returns the posts to path.
func (rx *e2eReceiver) postsTo(path string) []e2ePost {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	var out []e2ePost
	for _, p := range rx.posts {
		if p.Path == path {
			out = append(out, p)
		}
	}
	return out
}

// count returns how many posts the receiver got in all.
func (rx *e2eReceiver) count() int {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	return len(rx.posts)
}

// e2eEnv is one test's world: an emulator loaded with the fixture users, a receiver, and the
// environment variables of the binary.
type e2eEnv struct {
	t    *testing.T
	cur  time.Time // the daily schedule's latest fire time; the fixture is dated relative to it
	ram  *ramfake.Server
	rx   *e2eReceiver
	vars map[string]string
}

// The fixture users (IDs and keys); e2eExpectedAlerts says what a crossing run at cur alerts.
const (
	e2eAliceID = "2073290024939201"
	e2eBobID   = "2073290024939202"
	e2eCarolID = "2073290024939203"
	e2eDaveID  = "2073290024939204"

	e2eAliceKey      = "LTAI5tE2eAliceRecycled01" // recycled 6 h before cur: a recycled alert
	e2eBobKey        = "LTAI5tE2eBobExpiring3d01" // deleted 3d12h after cur: passes the 3-day threshold
	e2eCarolQuiet1   = "LTAI5tE2eCarolQuiet00001" // no threshold before next
	e2eCarolQuiet2   = "LTAI5tE2eCarolQuiet00002" // no threshold before next
	e2eCarolExpiring = "LTAI5tE2eCarolExpiring01" // deleted 30 h after cur: passes the 1-day threshold
)

// e2eFireTime returns the latest fire time of e2eSchedule (daily 09:00 UTC) at or before now.
func e2eFireTime(now time.Time) time.Time {
	now = now.UTC()
	cur := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, time.UTC)
	if cur.After(now) {
		cur = cur.AddDate(0, 0, -1)
	}
	return cur
}

func e2eKey(id string, cur time.Time, recycled, deletes time.Duration) ramfake.Key {
	return ramfake.Key{
		AccessKeyID: id,
		CreateDate:  cur.Add(-400 * 24 * time.Hour),
		RecycleDate: cur.Add(recycled),
		DeleteDate:  cur.Add(deletes),
	}
}

// e2eUsers returns alice, bob, carol (a full bin) and dave (an empty bin), dated relative to cur.
func e2eUsers(cur time.Time) []ramfake.User {
	const day = 24 * time.Hour
	return []ramfake.User{
		{ID: e2eAliceID, Name: "alice", Keys: []ramfake.Key{e2eKey(e2eAliceKey, cur, -6*time.Hour, 30*day-6*time.Hour)}},
		{ID: e2eBobID, Name: "bob", Keys: []ramfake.Key{e2eKey(e2eBobKey, cur, -26*day-12*time.Hour, 3*day+12*time.Hour)}},
		{ID: e2eCarolID, Name: "carol", Keys: []ramfake.Key{
			e2eKey(e2eCarolQuiet1, cur, -10*day, 20*day),
			e2eKey(e2eCarolQuiet2, cur, -12*day, 18*day),
			e2eKey(e2eCarolExpiring, cur, -28*day-18*time.Hour, day+6*time.Hour),
		}},
		{ID: e2eDaveID, Name: "dave"},
	}
}

// e2eExpectedAlerts are the alerts of a crossing run at cur with the default thresholds (7,3,1), most
// urgent first, without their ids.
func e2eExpectedAlerts(cur time.Time) []alert.Alert {
	const day = 24 * time.Hour
	hours := func(n int) *int { return &n }
	a := func(user, userID string, k ramfake.Key, ev alert.Event, th *int, binFull bool) alert.Alert {
		return alert.Alert{Event: ev, UserName: user, UserID: userID, AccessKeyID: k.AccessKeyID,
			CreateDate: k.CreateDate, RecycleDate: k.RecycleDate, DeleteDate: k.DeleteDate, ThresholdHours: th,
			RemainingSeconds: int64(k.DeleteDate.Sub(cur) / time.Second), BinFull: binFull}
	}
	return []alert.Alert{
		a("carol", e2eCarolID, e2eKey(e2eCarolExpiring, cur, -28*day-18*time.Hour, day+6*time.Hour), alert.Expiring, hours(24), true),
		a("bob", e2eBobID, e2eKey(e2eBobKey, cur, -26*day-12*time.Hour, 3*day+12*time.Hour), alert.Expiring, hours(72), false),
		a("alice", e2eAliceID, e2eKey(e2eAliceKey, cur, -6*time.Hour, 30*day-6*time.Hour), alert.Recycled, nil, false),
	}
}

// newE2EEnv starts an emulator with the fixture users and a receiver, and returns the environment of a
// healthy configuration: both webhooks, the fake caller credentials, debug logging.
func newE2EEnv(t *testing.T) *e2eEnv {
	t.Helper()
	return newE2EEnvUsers(t, e2eUsers)
}

// newE2EEnvUsers is newE2EEnv with the emulator's users made by users, dated relative to the fire time.
func newE2EEnvUsers(t *testing.T, users func(cur time.Time) []ramfake.User) *e2eEnv {
	t.Helper()
	return newE2EEnvOptions(t, func(cur time.Time) ramfake.Options { return ramfake.Options{Users: users(cur)} })
}

// newE2EEnvOptions is newE2EEnv with the emulator's options (users, ActionTrail events, …) made by opts,
// dated relative to the fire time; the test's credentials are added to them.
func newE2EEnvOptions(t *testing.T, opts func(cur time.Time) ramfake.Options) *e2eEnv {
	t.Helper()
	cur := e2eFireTime(time.Now())
	o := opts(cur)
	o.Credentials = map[string]ramfake.Credential{
		e2eEnvKeyID:    {Secret: e2eEnvSecret},
		e2eSTSKeyID:    {Secret: e2eSTSSecret, Token: e2eSTSToken},
		e2eEnvSTSKeyID: {Secret: e2eEnvSTSSecret, Token: e2eEnvSTSToken},
	}
	ram := ramfake.New(o)
	t.Cleanup(ram.Close)
	rx := newE2EReceiver(t)
	return &e2eEnv{t: t, cur: cur, ram: ram, rx: rx, vars: map[string]string{
		"RAM_USERS":                           "alice,bob,carol,dave",
		"SCHEDULE":                            e2eSchedule,
		"ACCOUNT_LABEL":                       "e2e",
		"FC_ACCOUNT_ID":                       e2eAccount,
		"RAM_ENDPOINT":                        ram.URL(),
		"IMS_ENDPOINT":                        ram.URL(),
		"ACTIONTRAIL_ENDPOINT":                ram.URL(),
		"SLACK_WEBHOOK_URL":                   rx.srv.URL + e2eSlackPath,
		"WEBHOOK_URL":                         rx.srv.URL + e2eWebhookPath,
		"WEBHOOK_SECRET":                      e2eWebhookSecret,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":         e2eEnvKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET":     e2eEnvSecret,
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
		"ALIBABA_CLOUD_CLI_PROFILE_DISABLED":  "true",
		"LOG_LEVEL":                           "debug",
	}}
}

// environ returns the subprocess's whole environment: the test's variables and nothing of the
// developer's but PATH, HOME and TMPDIR.
func (e *e2eEnv) environ() []string {
	var env []string
	for _, name := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	for k, v := range e.vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

// e2eTimerEvent is the timer trigger's event for fire time at.
func e2eTimerEvent(at time.Time) []byte {
	return fmt.Appendf(nil, `{"triggerTime":%q,"triggerName":"daily","payload":""}`, at.UTC().Format(time.RFC3339))
}

// e2eCheckNoSecrets fails the test when out holds any of e2eSecrets.
func e2eCheckNoSecrets(t *testing.T, where string, out []byte) {
	t.Helper()
	if s := e2eLeakedSecret(out); s != "" {
		t.Errorf("%s holds the secret %q:\n%s", where, s, out)
	}
}

// e2eLeakedSecret returns the first of e2eSecrets that out holds, or "".
func e2eLeakedSecret(out []byte) string {
	for _, s := range e2eSecrets {
		if bytes.Contains(out, []byte(s)) {
			return s
		}
	}
	return ""
}

// checkReceivedNoSecrets checks every body the receiver got.
func (e *e2eEnv) checkReceivedNoSecrets() {
	e.t.Helper()
	e.rx.mu.Lock()
	posts := slices.Clone(e.rx.posts)
	e.rx.mu.Unlock()
	for i, p := range posts {
		e2eCheckNoSecrets(e.t, fmt.Sprintf("message %d (to the %s receiver)", i+1, e2eReceiverName(p.Path)), p.Body)
	}
}

func e2eReceiverName(path string) string {
	if path == e2eSlackPath {
		return "Slack"
	}
	return "webhook"
}

// ---------------------------------------------------------------------------------------------------
// Processes.

// e2eBuffer is a bytes.Buffer safe for the writer goroutine of exec and the test's reads.
type e2eBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *e2eBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *e2eBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// e2eProc is a running binary.
type e2eProc struct {
	cmd            *exec.Cmd
	stdout, stderr e2eBuffer
	done           chan struct{} // closed when the process has exited
}

// startProc starts the binary with args in e's environment. When the test ends it is stopped with
// SIGTERM (and must exit 0 within 5 s, else it is killed) and its output is checked for secrets.
func (e *e2eEnv) startProc(args ...string) *e2eProc {
	t := e.t
	t.Helper()
	p := &e2eProc{done: make(chan struct{})}
	p.cmd = exec.Command(e2eBin, args...)
	p.cmd.Env = e.environ()
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", e2eBin, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		e2eCheckNoSecrets(t, "stdout", p.stdout.Bytes())
		e2eCheckNoSecrets(t, "stderr", p.stderr.Bytes())
		e.checkReceivedNoSecrets()
	})
	return p
}

// stop sends SIGTERM and waits, bounded, for a clean exit.
func (p *e2eProc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		t.Errorf("the binary exited before the test stopped it (%v); stderr:\n%s", p.cmd.ProcessState, p.stderr.Bytes())
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("after SIGTERM the binary exited with status %d, want 0; stderr:\n%s", code, p.stderr.Bytes())
		}
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("the binary did not exit within 5 s of SIGTERM")
	}
}

// waitStdout waits, bounded, until the process's stdout holds s.
func (p *e2eProc) waitStdout(t *testing.T, s string) []byte {
	t.Helper()
	deadline := time.Now().Add(e2eWait)
	for {
		out := p.stdout.Bytes()
		if bytes.Contains(out, []byte(s)) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("stdout never showed %q; it holds:\n%s", s, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startGo1 starts the binary on the fake go1 runtime API.
func (e *e2eEnv) startGo1() (*fcfake.Runtime, *e2eProc) {
	e.t.Helper()
	rt := fcfake.NewTest(e.t)
	e.vars["FC_RUNTIME_API"] = rt.Addr()
	return rt, e.startProc()
}

// e2eInvoke sends req and returns the runtime's answer, bounded by e2eWait.
func e2eInvoke(t *testing.T, rt *fcfake.Runtime, req fcfake.Request) fcfake.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	resp, err := rt.Invoke(ctx, req)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", req.Body, err)
	}
	e2eCheckNoSecrets(t, "the answer to "+string(req.Body), resp.Body)
	return resp
}

// e2eResultOf decodes a successful answer's result.
func e2eResultOf(t *testing.T, resp fcfake.Response) handler.Result {
	t.Helper()
	if resp.Kind != fcfake.KindResponse {
		t.Fatalf("answer is a %s, want a response: %s", resp.Kind, resp.Body)
	}
	return e2eDecodeResult(t, resp.Body)
}

func e2eDecodeResult(t *testing.T, body []byte) handler.Result {
	t.Helper()
	var r handler.Result
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, body)
	}
	return r
}

// e2eErrorOf decodes a failed answer's error body.
func e2eErrorOf(t *testing.T, resp fcfake.Response) fcruntime.ErrorBody {
	t.Helper()
	e, err := resp.ErrorBody()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// e2eCheckSucceeds invokes a timer event and checks that it succeeds: the process is still serving.
func e2eCheckSucceeds(t *testing.T, e *e2eEnv, rt *fcfake.Runtime, what string) {
	t.Helper()
	resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur)})
	if resp.Kind != fcfake.KindResponse {
		t.Fatalf("the event after %s: answer is a %s, want a response: %s", what, resp.Kind, resp.Body)
	}
	if r := e2eDecodeResult(t, resp.Body); r.UsersChecked != 4 {
		t.Errorf("the event after %s: usersChecked = %d, want 4", what, r.UsersChecked)
	}
}

// e2eWithoutIDs returns alerts with their ids cleared, after checking their shape.
func e2eWithoutIDs(t *testing.T, alerts []alert.Alert) []alert.Alert {
	t.Helper()
	out := slices.Clone(alerts)
	for i := range out {
		if id := out[i].ID; !strings.HasPrefix(id, "alrt_") || len(id) != len("alrt_")+32 {
			t.Errorf("alert %d: id = %q, want alrt_ and 32 hex digits", i, id)
		}
		out[i].ID = ""
	}
	return out
}

// ---------------------------------------------------------------------------------------------------
// The go1 runtime.

func TestE2EGo1TimerRun(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	rt, p := e.startGo1()
	const id = "e2e-timer-0001"
	resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur), RequestID: id, AccountID: e2eAccount})
	r := e2eResultOf(t, resp)

	if r.Mode != alert.ModeCrossing || r.UsersChecked != 4 || r.RequestID != id || r.AccountID != e2eAccount || r.DryRun {
		t.Errorf("result mode, usersChecked, requestId, accountId, dryRun = %q, %d, %q, %q, %v; want crossing, 4, %q, %q, false",
			r.Mode, r.UsersChecked, r.RequestID, r.AccountID, r.DryRun, id, e2eAccount)
	}
	if want := (alert.Window{From: e.cur.Add(-24 * time.Hour), To: e.cur}); !r.Window.From.Equal(want.From) || !r.Window.To.Equal(want.To) || !r.Next.Equal(e.cur.Add(24*time.Hour)) {
		t.Errorf("result window, next = %v, %v; want %v, %v", r.Window, r.Next, want, e.cur.Add(24*time.Hour))
	}
	if diff := cmp.Diff(e2eExpectedAlerts(e.cur), e2eWithoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	if len(r.Errors) != 0 || len(r.Warnings) != 0 {
		t.Errorf("result errors, warnings = %v, %v; want none", r.Errors, r.Warnings)
	}
	wantDeliveries := []handler.Delivery{{Channel: "slack-webhook", OK: true, Messages: 1}, {Channel: "webhook", OK: true, Messages: 1}}
	if diff := cmp.Diff(wantDeliveries, r.Deliveries); diff != "" {
		t.Errorf("result deliveries (-want +got):\n%s", diff)
	}

	slack := e.rx.postsTo(e2eSlackPath)
	if len(slack) != 1 {
		t.Fatalf("Slack got %d messages, want 1", len(slack))
	}
	for _, k := range []string{e2eAliceKey, e2eBobKey, e2eCarolExpiring} {
		if !bytes.Contains(slack[0].Body, []byte(k)) {
			t.Errorf("the Slack message lacks the AccessKey ID %s:\n%s", k, slack[0].Body)
		}
	}
	if bytes.Contains(slack[0].Body, []byte(e2eCarolQuiet1)) {
		t.Errorf("the Slack message names %s, which passes no threshold before the next check", e2eCarolQuiet1)
	}
	hooks := e.rx.postsTo(e2eWebhookPath)
	if len(hooks) != 1 {
		t.Fatalf("the webhook got %d messages, want 1", len(hooks))
	}
	if h := hooks[0].Header; !strings.HasPrefix(h.Get("webhook-id"), "msg_") || h.Get("webhook-signature") == "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("webhook headers id, signature, content type = %q, %q, %q; want msg_…, v1,…, application/json",
			h.Get("webhook-id"), h.Get("webhook-signature"), h.Get("Content-Type"))
	}

	out := p.waitStdout(t, "FC Invoke End RequestId: "+id)
	e2eCheckStdoutLines(t, out, id)
	if errOut := p.stderr.Bytes(); len(errOut) != 0 {
		t.Errorf("stderr = %q, want nothing: on FC every line goes to stdout", errOut)
	}
}

// e2eCheckStdoutLines checks the go1 runtime's stdout: the Start/End markers of the invocation id, every
// other line a JSON object, those between the markers carrying requestId id, and one result line.
func e2eCheckStdoutLines(t *testing.T, out []byte, id string) {
	t.Helper()
	inside, starts, ends, results := false, 0, 0, 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch line {
		case "FC Invoke Start RequestId: " + id:
			inside = true
			starts++
			continue
		case "FC Invoke End RequestId: " + id:
			inside = false
			ends++
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stdout line is neither a marker nor a JSON object: %q", line)
			continue
		}
		if !inside {
			continue
		}
		if got, _ := rec["requestId"].(string); got != id {
			t.Errorf("stdout line within invocation %s has requestId %q: %s", id, got, line)
		}
		if rec["msg"] == "result" {
			results++
		}
	}
	if starts != 1 || ends != 1 || results != 1 {
		t.Errorf("stdout has %d Start markers, %d End markers and %d result lines for %s, want 1 each:\n%s", starts, ends, results, id, out)
	}
}

func TestE2EGo1BadEvents(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	rt, _ := e.startGo1()
	for _, tc := range []struct {
		name, event, want string
	}{
		{name: "malformed", event: `{"users":`, want: "malformed JSON"},
		{name: "unknown field", event: `{"usres":["a"]}`, want: `unknown field "usres"`},
		{name: "wrong type", event: `{"dryRun":"yes"}`, want: "dryRun"},
		{name: "empty users", event: `{"users":[]}`, want: "users"},
		{name: "bad triggerTime", event: `{"triggerTime":"9 o'clock"}`, want: "triggerTime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e2eInvoke(t, rt, fcfake.Request{Body: []byte(tc.event)})
			if resp.Kind != fcfake.KindError {
				t.Fatalf("event %s: answer is a %s, want an error: %s", tc.event, resp.Kind, resp.Body)
			}
			if msg := e2eErrorOf(t, resp).ErrorMessage; !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("event %s: errorMessage = %q, want one line containing %q", tc.event, msg, tc.want)
			}
			e2eCheckSucceeds(t, e, rt, "event "+tc.event)
		})
	}
	if n := e.ram.Calls("ListAccessKeysInRecycleBin"); n != 5*4 {
		t.Errorf("the emulator got %d ListAccessKeysInRecycleBin calls, want 20 (only the 5 good events read the 4 bins)", n)
	}
}

func TestE2EGo1MissingDeadline(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	rt, _ := e.startGo1()
	for _, tc := range []struct {
		name, value, want string
	}{
		{name: "missing", value: "", want: "x-fc-function-deadline"},
		{name: "malformed", value: "tomorrow", want: "x-fc-function-deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur), Header: http.Header{"X-Fc-Function-Deadline": {tc.value}}})
			if resp.Kind != fcfake.KindError {
				t.Fatalf("answer is a %s, want an error: %s", resp.Kind, resp.Body)
			}
			if msg := e2eErrorOf(t, resp).ErrorMessage; !strings.Contains(msg, tc.want) {
				t.Errorf("errorMessage = %q, want it to name %s", msg, tc.want)
			}
		})
	}
	if n := e.ram.TotalCalls(); n != 0 {
		t.Errorf("the emulator got %d calls, want 0: an invocation without a deadline must not run", n)
	}
	e2eCheckSucceeds(t, e, rt, "the bad deadlines")
}

func TestE2EGo1Concurrent(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	rt, p := e.startGo1()
	const n = 8
	calls := make([]*fcfake.Call, n)
	for i := range calls {
		c, err := rt.Enqueue(fcfake.Request{Body: e2eTimerEvent(e.cur), RequestID: fmt.Sprintf("e2e-concurrent-%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		calls[i] = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	for _, c := range calls {
		resp, err := c.Wait(ctx)
		if err != nil {
			t.Fatalf("Wait(%s): %v", c.RequestID, err)
		}
		e2eCheckNoSecrets(t, "the answer to "+c.RequestID, resp.Body)
		r := e2eResultOf(t, resp)
		if r.RequestID != c.RequestID || len(r.Alerts) != 3 || r.UsersChecked != 4 {
			t.Errorf("%s: result requestId, alerts, usersChecked = %q, %d, %d; want %q, 3, 4", c.RequestID, r.RequestID, len(r.Alerts), r.UsersChecked, c.RequestID)
		}
	}
	if got := len(e.rx.postsTo(e2eSlackPath)); got != n {
		t.Errorf("Slack got %d messages, want %d (one per invocation)", got, n)
	}

	// Interleaved on one stdout, each invocation still has its markers and its one result line, and no
	// line is torn.
	var out []byte
	for _, c := range calls {
		out = p.waitStdout(t, "FC Invoke End RequestId: "+c.RequestID)
	}
	count := map[string]int{}
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, "FC Invoke ") {
			count[line]++
			continue
		}
		var rec struct {
			Msg       string `json:"msg"`
			RequestID string `json:"requestId"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stdout line is neither a marker nor a JSON object: %q", line)
			continue
		}
		if rec.Msg == "result" {
			count["result "+rec.RequestID]++
		}
	}
	for _, c := range calls {
		for _, k := range []string{"FC Invoke Start RequestId: " + c.RequestID, "FC Invoke End RequestId: " + c.RequestID, "result " + c.RequestID} {
			if count[k] != 1 {
				t.Errorf("stdout has %d lines %q, want 1", count[k], k)
			}
		}
	}
}

func TestE2EGo1Hooks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		mode  string // ALERT_MODE
		valid bool
	}{
		{name: "valid configuration", mode: "digest", valid: true},
		{name: "invalid configuration", mode: "loud"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newE2EEnv(t)
			e.vars["ALERT_MODE"] = tc.mode
			rt, p := e.startGo1()
			for _, kind := range []fcruntime.Kind{fcruntime.Initialize, fcruntime.PreStop} {
				for _, h := range []http.Header{nil, {"X-Fc-Function-Deadline": {""}}} {
					resp := e2eInvoke(t, rt, fcfake.Request{Kind: kind, Body: []byte(`{"ignored":true}`), Header: h})
					if resp.Kind != fcfake.KindResponse || len(resp.Body) != 0 {
						t.Errorf("%v hook (header %v): answer is a %s with body %q, want an empty response", kind, h, resp.Kind, resp.Body)
					}
				}
			}
			for i := range 2 {
				resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur)})
				if tc.valid {
					if r := e2eResultOf(t, resp); r.Mode != alert.ModeDigest {
						t.Errorf("event %d: mode = %q, want digest", i+1, r.Mode)
					}
					continue
				}
				if resp.Kind != fcfake.KindError {
					t.Fatalf("event %d: answer is a %s, want an error: %s", i+1, resp.Kind, resp.Body)
				}
				if msg := e2eErrorOf(t, resp).ErrorMessage; !strings.Contains(msg, "ALERT_MODE") || !strings.Contains(msg, "loud") {
					t.Errorf("event %d: errorMessage = %q, want it to name ALERT_MODE and its value", i+1, msg)
				}
			}
			if !tc.valid {
				if n := e.ram.TotalCalls(); n != 0 {
					t.Errorf("the emulator got %d calls, want 0 with an invalid configuration", n)
				}
				if n := e.rx.count(); n != 0 {
					t.Errorf("the receivers got %d posts, want 0 with an invalid configuration", n)
				}
				out := p.waitStdout(t, "FC PreStop End")
				if !bytes.Contains(out, []byte("ALERT_MODE")) {
					t.Errorf("stdout does not log the configuration error:\n%s", out)
				}
			}
		})
	}
}

func TestE2EGo1Panics(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	rt, _ := e.startGo1()
	for _, tc := range []struct {
		name, event, want string
		stack             bool
	}{
		{name: "handler", event: `"panic"`, want: "deliberate panic", stack: true},
		{name: "goroutine", event: `"panic-goroutine"`, want: "assignment to entry in nil map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e2eInvoke(t, rt, fcfake.Request{Body: []byte(tc.event)})
			if resp.Kind != fcfake.KindError {
				t.Fatalf("event %s: answer is a %s, want an error: %s", tc.event, resp.Kind, resp.Body)
			}
			eb := e2eErrorOf(t, resp)
			if !strings.Contains(eb.ErrorMessage, tc.want) {
				t.Errorf("event %s: errorMessage = %q, want it to contain %q", tc.event, eb.ErrorMessage, tc.want)
			}
			if tc.stack && len(eb.StackTrace) == 0 {
				t.Errorf("event %s: the error has no stackTrace: %s", tc.event, resp.Body)
			}
			e2eCheckSucceeds(t, e, rt, "the panic")
		})
	}
}

func TestE2EGo1RoleCredentials(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	rt, _ := e.startGo1()
	creds := fcruntime.Credentials{AccessKeyID: e2eSTSKeyID, AccessKeySecret: e2eSTSSecret, SecurityToken: e2eSTSToken}
	for i := range 2 {
		resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur), Credentials: creds})
		if r := e2eResultOf(t, resp); r.UsersChecked != 4 {
			t.Errorf("invocation %d: usersChecked = %d, want 4", i+1, r.UsersChecked)
		}
	}
	want := []ramfake.SeenCredential{{AccessKeyID: e2eSTSKeyID, WithToken: true}}
	if diff := cmp.Diff(want, e.ram.SeenCredentials()); diff != "" {
		t.Errorf("credentials the emulator saw (-want +got):\n%s", diff)
	}
}

// TestE2EGo1BadSignature runs with role credentials whose secret is wrong: the emulator answers
// SignatureDoesNotMatch with the string to sign, which holds the security token, and none of it may leak.
func TestE2EGo1BadSignature(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	rt, _ := e.startGo1()
	creds := fcruntime.Credentials{AccessKeyID: e2eSTSKeyID, AccessKeySecret: e2eWrongSecret, SecurityToken: e2eSTSToken}
	resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur), Credentials: creds})
	if resp.Kind != fcfake.KindError {
		t.Fatalf("answer is a %s, want an error: %s", resp.Kind, resp.Body)
	}
	if msg := e2eErrorOf(t, resp).ErrorMessage; !strings.Contains(msg, "SignatureDoesNotMatch") || strings.Contains(msg, "\n") {
		t.Errorf("errorMessage = %q, want one line naming SignatureDoesNotMatch", msg)
	}
	slack := e.rx.postsTo(e2eSlackPath)
	if len(slack) != 1 || !bytes.Contains(slack[0].Body, []byte("SignatureDoesNotMatch")) {
		t.Errorf("Slack got %d messages, want 1 naming SignatureDoesNotMatch", len(slack))
	}
}

func TestE2EGo1RetryCount(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	rt, _ := e.startGo1()
	e.ram.ThrottleNext(1) // a transient failure the reader retries, with its debug log line
	resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur), RetryCount: 1})
	if r := e2eResultOf(t, resp); len(r.Alerts) != 3 {
		t.Errorf("result has %d alerts, want 3", len(r.Alerts))
	}
	slack := e.rx.postsTo(e2eSlackPath)
	if len(slack) != 1 {
		t.Fatalf("Slack got %d messages, want 1", len(slack))
	}
	if !bytes.Contains(slack[0].Body, []byte("repeat 2")) {
		t.Errorf("the Slack message of a retried invocation does not say \"repeat 2\":\n%s", slack[0].Body)
	}
}

func TestE2EGo1Failures(t *testing.T) {
	t.Parallel()
	t.Run("NoPermission for all", func(t *testing.T) {
		t.Parallel()
		e := newE2EEnv(t)
		for _, id := range []string{e2eAliceID, e2eBobID, e2eCarolID, e2eDaveID} {
			e.ram.SetFault("ListAccessKeysInRecycleBin", id, ramfake.Deny)
		}
		rt, _ := e.startGo1()
		resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur)})
		if resp.Kind != fcfake.KindError {
			t.Fatalf("answer is a %s, want an error: %s", resp.Kind, resp.Body)
		}
		if msg := e2eErrorOf(t, resp).ErrorMessage; !strings.HasPrefix(msg, "NoPermission for all") || strings.Contains(msg, "\n") {
			t.Errorf("errorMessage = %q, want one line starting \"NoPermission for all\"", msg)
		}
		slack := e.rx.postsTo(e2eSlackPath)
		if len(slack) != 1 || !bytes.Contains(slack[0].Body, []byte("NoPermission")) {
			t.Errorf("Slack got %d messages, want 1 naming NoPermission (unreadable users are reported)", len(slack))
		}
	})
	t.Run("Slack answers 500", func(t *testing.T) {
		t.Parallel()
		e := newE2EEnv(t)
		e.rx.setSlackStatus(http.StatusInternalServerError)
		rt, _ := e.startGo1()
		resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur)})
		if resp.Kind != fcfake.KindError {
			t.Fatalf("answer is a %s, want an error: %s", resp.Kind, resp.Body)
		}
		msg := e2eErrorOf(t, resp).ErrorMessage
		if !strings.Contains(msg, "delivery failed") || !strings.Contains(msg, "slack-webhook") || strings.Contains(msg, "\n") {
			t.Errorf("errorMessage = %q, want one line with \"delivery failed\" naming slack-webhook", msg)
		}
		if n := len(e.rx.postsTo(e2eWebhookPath)); n != 1 {
			t.Errorf("the webhook got %d messages, want 1: the other channel is still tried", n)
		}
		if n := len(e.rx.postsTo(e2eSlackPath)); n != 3 {
			t.Errorf("Slack got %d attempts, want 3 (5xx is retried)", n)
		}
	})
}

// ---------------------------------------------------------------------------------------------------
// The custom runtime.

// e2eFreePort returns a loopback port that was free a moment ago.
func e2eFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// startServe starts `main serve` on a free port and waits, bounded, until it listens; it returns the
// server's base URL.
func (e *e2eEnv) startServe() (string, *e2eProc) {
	t := e.t
	t.Helper()
	port := e2eFreePort(t)
	e.vars["FC_CUSTOM_LISTEN_PORT"] = port
	p := e.startProc("serve")
	deadline := time.Now().Add(e2eWait)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
			return "http://127.0.0.1:" + port, p
		}
		select {
		case <-p.done:
			t.Fatalf("main serve exited: %v\nstderr:\n%s\nstdout:\n%s", p.cmd.ProcessState, p.stderr.Bytes(), p.stdout.Bytes())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("main serve did not listen on %s: %v", port, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestE2ECustomRuntime(t *testing.T) {
	t.Parallel()
	e := newE2EEnv(t)
	base, p := e.startServe()
	client := &http.Client{Timeout: e2eWait}

	do := func(method, path, requestID string, body []byte) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-fc-request-id", requestID)
		req.Header.Set("x-fc-account-id", e2eAccount)
		if body != nil {
			req.Header.Set("Content-Type", "application/octet-stream")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: reading the answer: %v", method, path, err)
		}
		e2eCheckNoSecrets(t, method+" "+path, b)
		return resp, b
	}

	resp, body := do(http.MethodPost, "/initialize", "e2e-init", nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST /initialize: status %d, want 200: %s", resp.StatusCode, body)
	}

	resp, body = do(http.MethodPost, "/invoke", "e2e-custom-ok", e2eTimerEvent(e.cur))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("x-fc-status") != "200" {
		t.Errorf("POST /invoke: status %d, x-fc-status %q, want 200, 200: %s", resp.StatusCode, resp.Header.Get("x-fc-status"), body)
	}
	r := e2eDecodeResult(t, body)
	if diff := cmp.Diff(e2eExpectedAlerts(e.cur), e2eWithoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	if r.RequestID != "e2e-custom-ok" || r.AccountID != e2eAccount || r.UsersChecked != 4 {
		t.Errorf("result requestId, accountId, usersChecked = %q, %q, %d; want e2e-custom-ok, %s, 4", r.RequestID, r.AccountID, r.UsersChecked, e2eAccount)
	}
	if n := len(e.rx.postsTo(e2eSlackPath)); n != 1 {
		t.Errorf("Slack got %d messages, want 1", n)
	}

	resp, body = do(http.MethodPost, "/invoke", "e2e-custom-bad", []byte(`{"bad":1}`))
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("x-fc-status") != "404" {
		t.Errorf("POST /invoke {\"bad\":1}: status %d, x-fc-status %q, want 404, 404: %s", resp.StatusCode, resp.Header.Get("x-fc-status"), body)
	}
	var eb fcruntime.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || !strings.Contains(eb.ErrorMessage, `"bad"`) {
		t.Errorf("POST /invoke {\"bad\":1}: body %s, want an errorMessage naming the field \"bad\"", body)
	}

	// A run that fails after reading: 404, and the body is the result.
	for _, id := range []string{e2eAliceID, e2eBobID, e2eCarolID, e2eDaveID} {
		e.ram.SetFault("ListAccessKeysInRecycleBin", id, ramfake.Deny)
	}
	resp, body = do(http.MethodPost, "/invoke", "e2e-custom-denied", e2eTimerEvent(e.cur))
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("x-fc-status") != "404" {
		t.Errorf("POST /invoke (every user denied): status %d, x-fc-status %q, want 404, 404: %s", resp.StatusCode, resp.Header.Get("x-fc-status"), body)
	}
	if r := e2eDecodeResult(t, body); r.RequestID != "e2e-custom-denied" || len(r.Errors) != 4 {
		t.Errorf("POST /invoke (every user denied): result requestId, errors = %q, %d; want e2e-custom-denied, 4", r.RequestID, len(r.Errors))
	}

	resp, body = do(http.MethodGet, "/pre-stop", "e2e-prestop", nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /pre-stop: status %d, want 200: %s", resp.StatusCode, body)
	}

	out := p.waitStdout(t, "FC Invoke End RequestId: e2e-custom-bad")
	for _, marker := range []string{"FC Invoke Start RequestId: e2e-custom-ok", "FC Invoke End RequestId: e2e-custom-ok", "FC Initialize Start RequestId: e2e-init"} {
		if !bytes.Contains(out, []byte(marker)) {
			t.Errorf("stdout lacks %q:\n%s", marker, out)
		}
	}
}

func TestE2ECustomRuntimePortBusy(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	e := newE2EEnv(t)
	e.vars["FC_CUSTOM_LISTEN_PORT"] = port
	stdout, stderr, code := e.runCLI("", "serve")
	if code != 1 {
		t.Errorf("main serve on a busy port: exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !bytes.Contains(stdout, []byte("cannot listen")) || bytes.Contains(stdout, []byte("listening")) {
		t.Errorf("main serve on a busy port logged %q, want \"cannot listen\" and no \"listening\"", stdout)
	}
}

// ---------------------------------------------------------------------------------------------------
// The command line.

// runCLI runs the binary once, bounded by e2eWait, and returns its output and exit status.
func (e *e2eEnv) runCLI(stdin string, args ...string) (stdout, stderr []byte, code int) {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2eBin, args...)
	cmd.Env = e.environ()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		code = exit.ExitCode()
	default:
		t.Fatalf("main %s: %v (stderr:\n%s)", strings.Join(args, " "), err, errOut.Bytes())
	}
	e2eCheckNoSecrets(t, "stdout", out.Bytes())
	e2eCheckNoSecrets(t, "stderr", errOut.Bytes())
	e.checkReceivedNoSecrets()
	return out.Bytes(), errOut.Bytes(), code
}

// e2eCheckJSONLines fails unless every line of out is a JSON object.
func e2eCheckJSONLines(t *testing.T, name string, out []byte) {
	t.Helper()
	for line := range strings.Lines(string(out)) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("%s line is not a JSON object: %q", name, line)
		}
	}
}

// e2eTimerArg in a command line stands for the timer event of the test's fire time.
const e2eTimerArg = "<timer event>"

func TestE2ECommandLine(t *testing.T) {
	t.Parallel()
	eventFile := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(eventFile, []byte(`{"mode":"digest","dryRun":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string // "" removes a variable
		setup func(e *e2eEnv)
		stdin string
		args  []string
		code  int
		check func(t *testing.T, e *e2eEnv, stdout, stderr []byte)
	}{
		{
			name: "dry-run digest", args: []string{"-e", `{"mode":"digest","dryRun":true}`},
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				r := e2eDecodeResult(t, stdout)
				if !r.DryRun || r.Mode != alert.ModeDigest || len(r.Deliveries) != 0 || len(r.Alerts) != 5 {
					t.Errorf("result dryRun, mode, deliveries, alerts = %v, %q, %d, %d; want true, digest, 0, 5", r.DryRun, r.Mode, len(r.Deliveries), len(r.Alerts))
				}
				var channels []string
				for _, p := range r.Preview {
					channels = append(channels, p.Channel)
					if len(p.Messages) == 0 {
						t.Errorf("preview of %s has no message", p.Channel)
					}
				}
				if diff := cmp.Diff([]string{"slack-webhook", "webhook"}, channels); diff != "" {
					t.Errorf("preview channels (-want +got):\n%s", diff)
				}
				if n := e.rx.count(); n != 0 {
					t.Errorf("a dry run posted %d messages, want 0", n)
				}
				if len(stderr) == 0 {
					t.Errorf("stderr is empty, want the log")
				}
				e2eCheckJSONLines(t, "stderr", stderr)
			},
		},
		{
			name: "run subcommand with the event from stdin", stdin: `{"mode":"digest","dryRun":true}`, args: []string{"run", "-f", "-"},
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if r := e2eDecodeResult(t, stdout); r.Mode != alert.ModeDigest || !r.DryRun {
					t.Errorf("result mode, dryRun = %q, %v; want digest, true (the event from stdin)", r.Mode, r.DryRun)
				}
			},
		},
		{
			name: "event from a file", args: []string{"-f", eventFile},
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if r := e2eDecodeResult(t, stdout); r.Mode != alert.ModeDigest || !r.DryRun {
					t.Errorf("result mode, dryRun = %q, %v; want digest, true (the event from the file)", r.Mode, r.DryRun)
				}
			},
		},
		{
			name: "timer run delivers", args: []string{"-e", e2eTimerArg},
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				r := e2eDecodeResult(t, stdout)
				if diff := cmp.Diff(e2eExpectedAlerts(e.cur), e2eWithoutIDs(t, r.Alerts)); diff != "" {
					t.Errorf("result alerts (-want +got):\n%s", diff)
				}
				if n := len(e.rx.postsTo(e2eSlackPath)); n != 1 {
					t.Errorf("Slack got %d messages, want 1", n)
				}
				e2eCheckJSONLines(t, "stderr", stderr)
			},
		},
		{
			name: "malformed event", args: []string{"-e", `{"users":`}, code: 2,
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("malformed JSON")) || len(stdout) != 0 {
					t.Errorf("stdout %q, stderr %q; want nothing on stdout and the problem on stderr", stdout, stderr)
				}
				if n := e.ram.TotalCalls(); n != 0 {
					t.Errorf("the emulator got %d calls, want 0 for a rejected event", n)
				}
			},
		},
		{
			name: "invalid configuration", env: map[string]string{"ALERT_MODE": "loud"}, args: []string{"-e", `{}`}, code: 2,
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("ALERT_MODE")) {
					t.Errorf("stderr does not name ALERT_MODE:\n%s", stderr)
				}
			},
		},
		{
			name: "timer event without SCHEDULE", env: map[string]string{"SCHEDULE": ""}, args: []string{"-e", e2eTimerArg}, code: 2,
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("SCHEDULE")) {
					t.Errorf("stderr does not name SCHEDULE:\n%s", stderr)
				}
			},
		},
		{
			name: "NoPermission for every user", args: []string{"-e", `{}`}, code: 1,
			setup: func(e *e2eEnv) {
				for _, id := range []string{e2eAliceID, e2eBobID, e2eCarolID, e2eDaveID} {
					e.ram.SetFault("ListAccessKeysInRecycleBin", id, ramfake.Deny)
				}
			},
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				r := e2eDecodeResult(t, stdout)
				if r.UsersChecked != 0 || len(r.Errors) != 4 {
					t.Errorf("result usersChecked, errors = %d, %d; want 0, 4", r.UsersChecked, len(r.Errors))
				}
				if !bytes.Contains(stderr, []byte("NoPermission for all")) {
					t.Errorf("stderr does not say \"NoPermission for all\":\n%s", stderr)
				}
			},
		},
		{
			name: "one missing user", env: map[string]string{"RAM_USERS": "alice,ghost,bob"}, args: []string{"-e", `{"mode":"digest"}`},
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				r := e2eDecodeResult(t, stdout)
				want := []alert.UserError{{User: "ghost", Code: "EntityNotExist.User"}}
				got := slices.Clone(r.Errors)
				for i := range got {
					got[i].Message = ""
				}
				if r.UsersChecked != 2 || !cmp.Equal(want, got) {
					t.Errorf("result usersChecked, errors = %d, %+v; want 2, %+v", r.UsersChecked, r.Errors, want)
				}
				if n := len(e.rx.postsTo(e2eSlackPath)); n != 1 {
					t.Errorf("Slack got %d messages, want 1", n)
				}
			},
		},
		{
			name: "ListUsers denied for *", env: map[string]string{"RAM_USERS": "*"}, args: []string{"-e", `{"mode":"digest"}`}, code: 1,
			setup: func(e *e2eEnv) { e.ram.SetFault("ListUsers", "", ramfake.Deny) },
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if r := e2eDecodeResult(t, stdout); len(r.Errors) != 1 || r.Errors[0].User != "*" || r.Errors[0].Code != "NoPermission" {
					t.Errorf("result errors = %+v, want one NoPermission for \"*\"", r.Errors)
				}
			},
		},
		{
			name: "http webhook to a remote host", env: map[string]string{"SLACK_WEBHOOK_URL": "http://hooks.example.com" + e2eSlackPath}, args: []string{"-e", `{}`}, code: 2,
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("SLACK_WEBHOOK_URL")) {
					t.Errorf("stderr does not name SLACK_WEBHOOK_URL:\n%s", stderr)
				}
			},
		},
		{
			name: "DEBUG=sdk", env: map[string]string{"DEBUG": "sdk"}, args: []string{"-e", `{}`}, code: 2,
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("DEBUG")) {
					t.Errorf("stderr does not name DEBUG:\n%s", stderr)
				}
			},
		},
		{
			name: "now ahead of the clock", args: []string{"-e", fmt.Sprintf(`{"now":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))}, code: 2,
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("now")) || e.ram.TotalCalls() != 0 {
					t.Errorf("stderr %q, %d API calls; want the problem with now and no call", stderr, e.ram.TotalCalls())
				}
			},
		},
		{name: "now in the year 0000", args: []string{"-e", `{"now":"0000-01-01T00:00:00Z","dryRun":true}`}, code: 2, check: e2eRejectedNaming("now")},
		{name: "now in the year 9999", args: []string{"-e", `{"now":"9999-12-31T00:00:00Z","dryRun":true}`}, code: 2, check: e2eRejectedNaming("now")},
		{name: "now far in the past", args: []string{"-e", `{"now":"1900-01-01T00:00:00Z"}`}, code: 2, check: e2eRejectedNaming("now")},
		{name: "triggerTime in the year 9999", args: []string{"-e", `{"triggerTime":"9999-01-01T09:00:00Z"}`}, code: 2, check: e2eRejectedNaming("triggerTime")},
		{name: "null threshold", args: []string{"-e", `{"thresholds":[null],"dryRun":true}`}, code: 2, check: e2eRejectedNaming("thresholds[0]")},
		{name: "21 thresholds", args: []string{"-e", `{"thresholds":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21],"dryRun":true}`}, code: 2,
			check: e2eRejectedNaming("thresholds")},
		{name: "threshold over 365 days", args: []string{"-e", `{"thresholds":[366],"dryRun":true}`}, code: 2, check: e2eRejectedNaming("365")},
		{name: "ALERT_THRESHOLDS over 365 days", env: map[string]string{"ALERT_THRESHOLDS": "7,400"}, args: []string{"-e", `{}`}, code: 2,
			check: e2eRejectedNaming("ALERT_THRESHOLDS")},
		{name: "FC_REGION with a space", env: map[string]string{"FC_REGION": "cn hangzhou"}, args: []string{"-e", `{}`}, code: 2, check: e2eRejectedNaming("FC_REGION")},
		{name: "timeout 0", args: []string{"-timeout", "0", "-e", `{}`}, code: 2, check: e2eRejectedNaming("-timeout")},
		{name: "negative timeout", args: []string{"-timeout", "-1s", "-e", `{}`}, code: 2, check: e2eRejectedNaming("-timeout")},
		{
			name: "no such event file", args: []string{"-f", filepath.Join(t.TempDir(), "missing.json")}, code: 2,
		},
		{
			name: "both -f and -e", args: []string{"-f", eventFile, "-e", `{}`}, code: 2,
		},
		{
			name: "help", args: []string{"-h"},
			check: func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
				if all := string(stdout) + string(stderr); !strings.Contains(all, "Usage:") || !strings.Contains(all, "main serve") {
					t.Errorf("-h printed %q, want the usage text", all)
				}
			},
		},
		{
			name: "unknown flag", args: []string{"-x"}, code: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newE2EEnv(t)
			for k, v := range tc.env {
				if v == "" {
					delete(e.vars, k)
				} else {
					e.vars[k] = v
				}
			}
			if tc.setup != nil {
				tc.setup(e)
			}
			args := slices.Clone(tc.args)
			for i, a := range args {
				if a == e2eTimerArg {
					args[i] = string(e2eTimerEvent(e.cur))
				}
			}
			stdout, stderr, code := e.runCLI(tc.stdin, args...)
			if code != tc.code {
				t.Errorf("main %s: exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.code, stdout, stderr)
			}
			if tc.check != nil {
				tc.check(t, e, stdout, stderr)
			}
		})
	}
}

// e2eRejectedNaming checks a run rejected before any API call or post, with an error naming what.
func e2eRejectedNaming(what string) func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
	return func(t *testing.T, e *e2eEnv, stdout, stderr []byte) {
		t.Helper()
		if !bytes.Contains(stderr, []byte(what)) {
			t.Errorf("stderr does not name %s:\n%s", what, stderr)
		}
		if n, m := e.ram.TotalCalls(), e.rx.count(); n != 0 || m != 0 {
			t.Errorf("the emulator got %d calls and the receivers %d posts, want none", n, m)
		}
	}
}

// TestE2ESecretCheck makes sure the secret check of every test above would catch a leak.
func TestE2ESecretCheck(t *testing.T) {
	for _, s := range e2eSecrets {
		if got := e2eLeakedSecret([]byte("before " + s + " after")); got != s {
			t.Errorf("e2eLeakedSecret(… %s …) = %q, want %q", s, got, s)
		}
	}
	if got := e2eLeakedSecret([]byte(`{"accessKeyId":"` + e2eEnvKeyID + `","url":"http://127.0.0.1/services/T000/B000/"}`)); got != "" {
		t.Errorf("e2eLeakedSecret(harmless text) = %q, want \"\"", got)
	}
}

// ---------------------------------------------------------------------------------------------------
// Benchmarks.

// BenchmarkColdStart measures the go1 runtime's start: from starting the process to its first /next
// poll (target: under 50 ms).
func BenchmarkColdStart(b *testing.B) {
	env := []string{"RAM_USERS=alice", "SLACK_WEBHOOK_URL=http://127.0.0.1:1" + e2eSlackPath,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + e2eEnvKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + e2eEnvSecret,
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true"}
	if v, ok := os.LookupEnv("PATH"); ok {
		env = append(env, "PATH="+v)
	}
	var total time.Duration
	for range b.N {
		rt := fcfake.New()
		cmd := exec.Command(e2eBin)
		cmd.Env = append(slices.Clone(env), "FC_RUNTIME_API="+rt.Addr())
		start := time.Now()
		if err := cmd.Start(); err != nil {
			rt.Close()
			b.Fatal(err)
		}
		var first time.Time
		select {
		case first = <-rt.FirstPoll():
		case <-time.After(e2eWait):
		}
		cmd.Process.Kill()
		cmd.Wait()
		rt.Close()
		if first.IsZero() {
			b.Fatal("no /next poll within 30 s of starting the binary")
		}
		total += first.Sub(start)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/op")
}

// BenchmarkBinarySize builds the deployed binary (make build's recipe) and reports its size (target:
// under 15 MB).
func BenchmarkBinarySize(b *testing.B) {
	out := filepath.Join(b.TempDir(), "main")
	var size int64
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		msg, err := e2eGoBuild(ctx, out, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}, "-trimpath", "-ldflags=-s -w")
		cancel()
		if err != nil {
			b.Fatalf("go build: %v\n%s", err, msg)
		}
		fi, err := os.Stat(out)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	}
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(float64(size)/1e6, "MB")
}

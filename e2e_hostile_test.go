package main

// End-to-end tests of hostile data through the built binary (see e2e_test.go for the world around it):
// API answers with values no real answer has, events over the size limit in every mode, a channel that
// accepts a connection and never answers, and API errors that repeat the caller's credentials.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/notify/webhook"
)

// A fifth user whose API answers are hostile.
const (
	e2eMalloryID  = "2073290024939205"
	e2eMalloryKey = "LTAI5tE2eMalloryKey00001"
)

// e2eWithMallory returns the fixture users and mallory, whose recycled key's DeleteDate is a valid RFC
// 3339 text whose offset carries it into the year 10000, where no JSON encoder goes.
func e2eWithMallory(cur time.Time) []ramfake.User {
	k := e2eKey(e2eMalloryKey, cur, -6*time.Hour, 30*24*time.Hour)
	k.Raw = map[string]any{"DeleteDate": "9999-12-31T23:59:59-23:59"}
	return append(e2eUsers(cur), ramfake.User{ID: e2eMalloryID, Name: "mallory", Keys: []ramfake.Key{k}})
}

// e2eWebhookBodies decodes the webhook bodies the receiver got.
func (e *e2eEnv) webhookBodies() []webhook.Body {
	e.t.Helper()
	var out []webhook.Body
	for _, p := range e.rx.postsTo(e2eWebhookPath) {
		var b webhook.Body
		if err := json.Unmarshal(p.Body, &b); err != nil {
			e.t.Fatalf("webhook body is not JSON: %v\n%s", err, p.Body)
		}
		out = append(out, b)
	}
	return out
}

// e2eResultLines returns the `result` log lines of a log stream, decoded.
func e2eResultLines(t *testing.T, logs []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(logs))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "result" {
			out = append(out, rec)
		}
	}
	return out
}

func TestE2EHostileDeleteDate(t *testing.T) {
	t.Parallel()
	e := newE2EEnvUsers(t, e2eWithMallory)
	e.vars["RAM_USERS"] = "alice,bob,mallory,carol,dave"
	stdout, stderr, code := e.runCLI("", "-e", string(e2eTimerEvent(e.cur)))
	if code != 0 {
		t.Fatalf("exit status %d, want 0: one hostile answer must not sink the run\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := e2eDecodeResult(t, stdout)
	if diff := cmp.Diff(e2eExpectedAlerts(e.cur), e2eWithoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	if len(r.Errors) != 1 || r.Errors[0].User != "mallory" || r.Errors[0].Code != "InvalidResponse" {
		t.Fatalf("result errors = %+v, want mallory's InvalidResponse", r.Errors)
	}
	if msg := r.Errors[0].Message; !strings.Contains(msg, "ListAccessKeysInRecycleBin") || !strings.Contains(msg, "DeleteDate") ||
		!strings.Contains(msg, e2eMalloryKey) || len(msg) > 300 {
		t.Errorf("mallory's error message = %q, want a short one naming ListAccessKeysInRecycleBin, the key and DeleteDate", msg)
	}
	if r.UsersChecked != 4 {
		t.Errorf("usersChecked = %d, want 4", r.UsersChecked)
	}
	want := []handler.Delivery{{Channel: "slack-webhook", OK: true, Messages: 1}, {Channel: "webhook", OK: true, Messages: 1}}
	if diff := cmp.Diff(want, e2eWithoutErrors(r.Deliveries)); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}

	// Every channel got one post with the same alerts and the same error.
	slack, hooks := e.rx.postsTo(e2eSlackPath), e.webhookBodies()
	if len(slack) != 1 || len(hooks) != 1 {
		t.Fatalf("Slack got %d posts and the webhook %d, want 1 each", len(slack), len(hooks))
	}
	var ids []string
	for _, a := range r.Alerts {
		ids = append(ids, a.AccessKeyID)
	}
	var hookIDs []string
	for _, a := range hooks[0].Data.Alerts {
		hookIDs = append(hookIDs, a.AccessKeyID)
	}
	if diff := cmp.Diff(ids, hookIDs); diff != "" {
		t.Errorf("webhook alerts (-result +webhook):\n%s", diff)
	}
	if diff := cmp.Diff(r.Errors, hooks[0].Data.Errors); diff != "" {
		t.Errorf("webhook errors (-result +webhook):\n%s", diff)
	}
	for _, id := range ids {
		if !bytes.Contains(slack[0].Body, []byte(id)) {
			t.Errorf("the Slack message lacks %s", id)
		}
	}
	for _, s := range []string{"mallory", "InvalidResponse"} {
		if !bytes.Contains(slack[0].Body, []byte(s)) {
			t.Errorf("the Slack message does not report %s", s)
		}
	}

	// The result line on stderr holds every alert.
	lines := e2eResultLines(t, stderr)
	if len(lines) != 1 {
		t.Fatalf("stderr has %d result lines, want 1:\n%s", len(lines), stderr)
	}
	res, _ := lines[0]["result"].(map[string]any)
	if alerts, _ := res["alerts"].([]any); len(alerts) != 3 {
		t.Errorf("the result line has alerts %v, want the 3 alerts", res["alerts"])
	}
}

// e2eWithoutErrors returns deliveries with their error text cleared, for comparisons.
func e2eWithoutErrors(ds []handler.Delivery) []handler.Delivery {
	out := slices.Clone(ds)
	for i := range out {
		out[i].Error = ""
	}
	return out
}

func TestE2EHostileListUsersEntry(t *testing.T) {
	t.Parallel()
	const eveID = "2073290024939206"
	e := newE2EEnvUsers(t, func(cur time.Time) []ramfake.User {
		users := e2eUsers(cur)
		eve := ramfake.User{ID: eveID, Name: "eve", Keys: []ramfake.Key{e2eKey("LTAI5tE2eEveKey000000001", cur, -2*time.Hour, 20*24*time.Hour)},
			Raw: map[string]any{"UserName": "<!channel> *urgent*\nrotate now"}}
		return append(users[:2], append([]ramfake.User{eve}, users[2:]...)...)
	})
	e.vars["RAM_USERS"] = "*"
	stdout, stderr, code := e.runCLI("", "-e", `{"mode":"digest"}`)
	if code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := e2eDecodeResult(t, stdout)
	if r.UsersChecked != 4 || len(r.Alerts) != 5 {
		t.Errorf("usersChecked, alerts = %d, %d; want 4, 5 (every user but eve)", r.UsersChecked, len(r.Alerts))
	}
	if len(r.Errors) != 1 || r.Errors[0].User != eveID || r.Errors[0].Code != "InvalidResponse" || !strings.Contains(r.Errors[0].Message, "UserName") {
		t.Errorf("result errors = %+v, want one InvalidResponse for user %s naming UserName", r.Errors, eveID)
	}
	for _, p := range e.rx.postsTo(e2eSlackPath) {
		if bytes.Contains(p.Body, []byte("<!channel>")) {
			t.Errorf("the Slack message carries the hostile name:\n%s", p.Body)
		}
	}
	if n, m := len(e.rx.postsTo(e2eSlackPath)), len(e.rx.postsTo(e2eWebhookPath)); n != 1 || m != 1 {
		t.Errorf("Slack got %d posts and the webhook %d, want 1 each", n, m)
	}
}

// ---------------------------------------------------------------------------------------------------
// Events over the size limit.

const e2eMaxEvent = 1 << 20

// e2eSizedEvent returns a dry-run digest event of exactly n bytes (padded with spaces, which JSON
// allows), n >= 64.
func e2eSizedEvent(n int) []byte {
	ev := []byte(`{"mode":"digest","dryRun":true}`)
	return append(ev, bytes.Repeat([]byte(" "), n-len(ev))...)
}

// e2eCheckTooLarge checks that msg says the event passed the 1 MiB limit.
func e2eCheckTooLarge(t *testing.T, where, msg string) {
	t.Helper()
	if !strings.Contains(msg, "1 MiB") || !strings.Contains(msg, "event") {
		t.Errorf("%s: %q, want it to say the event is over 1 MiB", where, msg)
	}
}

func TestE2EEventSizeLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	over, exact := e2eSizedEvent(e2eMaxEvent+1), e2eSizedEvent(e2eMaxEvent)
	overFile, exactFile := filepath.Join(dir, "over.json"), filepath.Join(dir, "exact.json")
	for f, b := range map[string][]byte{overFile: over, exactFile: exact} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name  string
		stdin []byte
		args  []string
		code  int
	}{
		{name: "stdin over", stdin: over, code: 2},
		{name: "stdin exactly 1 MiB", stdin: exact},
		{name: "file over", args: []string{"-f", overFile}, code: 2},
		{name: "file exactly 1 MiB", args: []string{"-f", exactFile}},
		{name: "endless file", args: []string{"-f", "/dev/zero"}, code: 2},
	} {
		t.Run("command line "+tc.name, func(t *testing.T) {
			t.Parallel()
			e := newE2EEnv(t)
			stdout, stderr, code := e.runCLI(string(tc.stdin), tc.args...)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d\nstderr:\n%s", code, tc.code, e2eTail(stderr))
			}
			if tc.code == 0 {
				if r := e2eDecodeResult(t, stdout); r.Mode != alert.ModeDigest || !r.DryRun {
					t.Errorf("result mode, dryRun = %q, %v; want digest, true", r.Mode, r.DryRun)
				}
				return
			}
			e2eCheckTooLarge(t, "stderr", string(stderr))
			if n := e.ram.TotalCalls(); n != 0 {
				t.Errorf("the emulator got %d calls, want 0", n)
			}
		})
	}

	t.Run("command line -e over", func(t *testing.T) {
		// An argument of 1 MiB is more than Linux lets exec pass (128 KiB), so this one runs in process.
		t.Parallel()
		e := newE2EEnv(t)
		var stdout, stderr bytes.Buffer
		code := run([]string{"-e", string(over)}, strings.NewReader(""), &stdout, &stderr, func(k string) string { return e.vars[k] })
		if code != 2 {
			t.Fatalf("exit status %d, want 2\nstderr:\n%s", code, e2eTail(stderr.Bytes()))
		}
		e2eCheckTooLarge(t, "stderr", stderr.String())
	})

	t.Run("go1 runtime", func(t *testing.T) {
		t.Parallel()
		e := newE2EEnv(t)
		rt, _ := e.startGo1()
		resp := e2eInvoke(t, rt, fcfake.Request{Body: over})
		if resp.Kind != fcfake.KindError {
			t.Fatalf("answer to an event of 1 MiB + 1 byte is a %s, want an error: %s", resp.Kind, e2eTail(resp.Body))
		}
		e2eCheckTooLarge(t, "errorMessage", e2eErrorOf(t, resp).ErrorMessage)
		if r := e2eResultOf(t, e2eInvoke(t, rt, fcfake.Request{Body: exact})); r.Mode != alert.ModeDigest {
			t.Errorf("event of exactly 1 MiB: mode = %q, want digest", r.Mode)
		}
		e2eCheckSucceeds(t, e, rt, "an event over the limit")
	})

	t.Run("custom runtime", func(t *testing.T) {
		t.Parallel()
		e := newE2EEnv(t)
		base, _ := e.startServe()
		post := func(body []byte) (*http.Response, []byte) {
			t.Helper()
			resp, err := (&http.Client{Timeout: e2eWait}).Post(base+"/invoke", "application/octet-stream", bytes.NewReader(body))
			if err != nil {
				t.Fatalf("POST /invoke: %v", err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, b
		}
		resp, body := post(over)
		var eb fcruntime.ErrorBody
		if resp.Header.Get("x-fc-status") != "404" || json.Unmarshal(body, &eb) != nil {
			t.Fatalf("POST /invoke over the limit: status %d, x-fc-status %q, body %s; want a failure with an error body",
				resp.StatusCode, resp.Header.Get("x-fc-status"), e2eTail(body))
		}
		e2eCheckTooLarge(t, "errorMessage", eb.ErrorMessage)
		if resp, body := post(exact); resp.StatusCode != http.StatusOK {
			t.Errorf("POST /invoke of exactly 1 MiB: status %d, want 200: %s", resp.StatusCode, e2eTail(body))
		}
		if resp, body := post(e2eTimerEvent(e.cur)); resp.StatusCode != http.StatusOK {
			t.Errorf("POST /invoke after the big one: status %d, want 200: %s", resp.StatusCode, e2eTail(body))
		}
	})
}

func e2eTail(b []byte) string {
	if len(b) > 2000 {
		return "…" + string(b[len(b)-2000:])
	}
	return string(b)
}

// ---------------------------------------------------------------------------------------------------
// A channel that never answers.

// e2eSilentReceiver accepts connections and reads what comes, but never answers.
type e2eSilentReceiver struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newE2ESilentReceiver(t *testing.T) *e2eSilentReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &e2eSilentReceiver{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			c.Close()
		}
	})
	return s
}

func (s *e2eSilentReceiver) url() string { return "http://" + s.ln.Addr().String() }

// TestE2ESilentChannelDeadline runs the function with a webhook that accepts the connection and never
// answers, on both runtimes with function timeouts of 10 s and 20 s: the failure, naming the webhook,
// must reach the runtime before the invocation's deadline, or FC records a timeout and loses it.
func TestE2ESilentChannelDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		runtime string
		timeout time.Duration
	}{
		{"go1", 10 * time.Second}, {"go1", 20 * time.Second}, {"custom", 10 * time.Second}, {"custom", 20 * time.Second},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.runtime, tc.timeout), func(t *testing.T) {
			t.Parallel()
			e := newE2EEnv(t)
			e.vars["WEBHOOK_URL"] = newE2ESilentReceiver(t).url() + e2eWebhookPath
			var msg string
			var margin time.Duration
			if tc.runtime == "go1" {
				rt, _ := e.startGo1()
				resp := e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur), Timeout: tc.timeout})
				if resp.Kind != fcfake.KindError {
					t.Fatalf("answer is a %s, want an error: %s", resp.Kind, resp.Body)
				}
				msg = e2eErrorOf(t, resp).ErrorMessage
				margin = resp.Deadline.Sub(resp.Received)
			} else {
				base, _ := e.startServe()
				req, err := http.NewRequest(http.MethodPost, base+"/invoke", bytes.NewReader(e2eTimerEvent(e.cur)))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("x-fc-request-id", "e2e-silent")
				req.Header.Set("x-fc-function-timeout", strconv.Itoa(int(tc.timeout/time.Second)))
				sent := time.Now()
				resp, err := (&http.Client{Timeout: e2eWait}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				margin = sent.Add(tc.timeout).Sub(time.Now())
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("status %d, want 404 (a failed run): %s", resp.StatusCode, body)
				}
				r := e2eDecodeResult(t, body)
				for _, d := range r.Deliveries {
					if !d.OK {
						msg += d.Channel + ": " + d.Error + "; "
					}
				}
			}
			t.Logf("the answer arrived %s before the deadline: %s", margin.Round(time.Millisecond), msg)
			if margin <= 0 {
				t.Errorf("the answer arrived %s after the invocation's deadline: FC would record a timeout", -margin)
			}
			if !strings.Contains(msg, "webhook") || strings.Contains(msg, "slack-webhook:") {
				t.Errorf("the failure %q does not name the webhook alone", msg)
			}
			if n := len(e.rx.postsTo(e2eSlackPath)); n != 1 {
				t.Errorf("Slack got %d posts, want 1", n)
			}
		})
	}
}

// ---------------------------------------------------------------------------------------------------
// API errors that repeat the caller's credentials.

func TestE2ECredentialsEchoedByTheAPI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string // the credentials in the environment
		role fcruntime.Credentials
	}{
		{name: "environment AccessKey"},
		{name: "environment STS", env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": e2eEnvSTSKeyID,
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET": e2eEnvSTSSecret, "ALIBABA_CLOUD_SECURITY_TOKEN": e2eEnvSTSToken}},
		{name: "role credentials", role: fcruntime.Credentials{AccessKeyID: e2eSTSKeyID, AccessKeySecret: e2eSTSSecret, SecurityToken: e2eSTSToken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newE2EEnv(t)
			for k, v := range tc.env {
				e.vars[k] = v
			}
			e.ram.SetFault("ListAccessKeysInRecycleBin", e2eBobID, ramfake.EchoCredentials)
			var r resultErrors
			if tc.role.AccessKeyID == "" {
				stdout, stderr, code := e.runCLI("", "-e", string(e2eTimerEvent(e.cur)))
				if code != 0 {
					t.Fatalf("exit status %d, want 0\nstderr:\n%s", code, e2eTail(stderr))
				}
				r = e2eResultErrors(t, stdout)
			} else {
				rt, _ := e.startGo1()
				r = e2eResultErrors(t, e2eInvoke(t, rt, fcfake.Request{Body: e2eTimerEvent(e.cur), Credentials: tc.role}).Body)
			}
			// The secrets are checked in every output by runCLI and startProc; here, that the echo happened.
			if len(r.Errors) != 1 || r.Errors[0].User != "bob" || !strings.Contains(r.Errors[0].Message, "[redacted]") {
				t.Errorf("result errors = %+v, want bob's, with the echoed credentials redacted", r.Errors)
			}
			slack := e.rx.postsTo(e2eSlackPath)
			if len(slack) != 1 || !bytes.Contains(slack[0].Body, []byte("redacted")) {
				t.Errorf("Slack got %d posts, want 1 reporting bob's error, redacted", len(slack))
			}
		})
	}
}

type resultErrors struct {
	Errors []alert.UserError `json:"errors"`
}

func e2eResultErrors(t *testing.T, body []byte) resultErrors {
	t.Helper()
	var r resultErrors
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, e2eTail(body))
	}
	return r
}

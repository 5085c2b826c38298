package e2e

// The go1 runtime: the binary with FC_RUNTIME_API set, on the fake runtime API (fcfake).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

func TestGo1TimerRun(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
	rt, p := e.startGo1()
	const id = "e2e-timer-0001"
	resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), RequestID: id, AccountID: accountID})
	r := resultOf(t, resp)

	if r.Mode != alert.ModeCrossing || r.UsersChecked != 4 || r.RequestID != id || r.AccountID != accountID || r.DryRun {
		t.Errorf("result mode, usersChecked, requestId, accountId, dryRun = %q, %d, %q, %q, %v; want crossing, 4, %q, %q, false",
			r.Mode, r.UsersChecked, r.RequestID, r.AccountID, r.DryRun, id, accountID)
	}
	if want := (alert.Window{From: e.cur.Add(-24 * time.Hour), To: e.cur}); !r.Window.From.Equal(want.From) || !r.Window.To.Equal(want.To) || !r.Next.Equal(e.cur.Add(24*time.Hour)) {
		t.Errorf("result window, next = %v, %v; want %v, %v", r.Window, r.Next, want, e.cur.Add(24*time.Hour))
	}
	if diff := cmp.Diff(expectedAlerts(e.cur), withoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	if len(r.Errors) != 0 || len(r.Warnings) != 0 {
		t.Errorf("result errors, warnings = %v, %v; want none", r.Errors, r.Warnings)
	}
	wantDeliveries := []handler.Delivery{{Channel: "slack-webhook", OK: true, Messages: 1}, {Channel: "webhook", OK: true, Messages: 1}}
	if diff := cmp.Diff(wantDeliveries, r.Deliveries); diff != "" {
		t.Errorf("result deliveries (-want +got):\n%s", diff)
	}

	slack := e.vendors.Posts("slack-webhook")
	if len(slack) != 1 {
		t.Fatalf("Slack got %d messages, want 1", len(slack))
	}
	for _, k := range []string{aliceKey, bobKey, carolExpiring} {
		if !bytes.Contains(slack[0].Body, []byte(k)) {
			t.Errorf("the Slack message lacks the AccessKey ID %s:\n%s", k, slack[0].Body)
		}
	}
	if bytes.Contains(slack[0].Body, []byte(carolQuiet1)) {
		t.Errorf("the Slack message names %s, which passes no threshold before the next check", carolQuiet1)
	}
	hooks := e.vendors.Posts("webhook")
	if len(hooks) != 1 {
		t.Fatalf("the webhook got %d messages, want 1", len(hooks))
	}
	if h := hooks[0].Header; !strings.HasPrefix(h.Get("webhook-id"), "msg_") || h.Get("webhook-signature") == "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("webhook headers id, signature, content type = %q, %q, %q; want msg_…, v1,…, application/json",
			h.Get("webhook-id"), h.Get("webhook-signature"), h.Get("Content-Type"))
	}

	out := p.waitStdout(t, "FC Invoke End RequestId: "+id)
	checkStdoutLines(t, out, id)
	if errOut := p.stderr.Bytes(); len(errOut) != 0 {
		t.Errorf("stderr = %q, want nothing: on FC every line goes to stdout", errOut)
	}
}

// checkStdoutLines checks the go1 runtime's stdout: the Start/End markers of the invocation id, every
// other line a JSON object, those between the markers carrying requestId id, and one result line.
func checkStdoutLines(t *testing.T, out []byte, id string) {
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

func TestGo1BadEvents(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
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
			resp := invoke(t, rt, fcfake.Request{Body: []byte(tc.event)})
			if msg := errorOf(t, resp).ErrorMessage; !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("event %s: errorMessage = %q, want one line containing %q", tc.event, msg, tc.want)
			}
			checkStillServing(t, e, rt, "event "+tc.event)
		})
	}
	if n := e.ram.Calls("ListAccessKeysInRecycleBin"); n != 5*4 {
		t.Errorf("the emulator got %d ListAccessKeysInRecycleBin calls, want 20 (only the 5 good events read the 4 bins)", n)
	}
}

func TestGo1MissingDeadline(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
	rt, _ := e.startGo1()
	for _, tc := range []struct {
		name, value, want string
	}{
		{name: "missing", value: "", want: "x-fc-function-deadline"},
		{name: "malformed", value: "tomorrow", want: "x-fc-function-deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), Header: http.Header{"X-Fc-Function-Deadline": {tc.value}}})
			if msg := errorOf(t, resp).ErrorMessage; !strings.Contains(msg, tc.want) {
				t.Errorf("errorMessage = %q, want it to name %s", msg, tc.want)
			}
		})
	}
	if n := e.ram.TotalCalls(); n != 0 {
		t.Errorf("the emulator got %d calls, want 0: an invocation without a deadline must not run", n)
	}
	checkStillServing(t, e, rt, "the bad deadlines")
}

func TestGo1Concurrent(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
	rt, p := e.startGo1()
	const n = 8
	calls := make([]*fcfake.Call, n)
	for i := range calls {
		c, err := rt.Enqueue(fcfake.Request{Body: timerEvent(e.cur), RequestID: fmt.Sprintf("e2e-concurrent-%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		calls[i] = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), maxWait)
	defer cancel()
	for _, c := range calls {
		resp, err := c.Wait(ctx)
		if err != nil {
			t.Fatalf("Wait(%s): %v", c.RequestID, err)
		}
		checkNoSecrets(t, "the answer to "+c.RequestID, resp.Body)
		r := resultOf(t, resp)
		if r.RequestID != c.RequestID || len(r.Alerts) != 3 || r.UsersChecked != 4 {
			t.Errorf("%s: result requestId, alerts, usersChecked = %q, %d, %d; want %q, 3, 4", c.RequestID, r.RequestID, len(r.Alerts), r.UsersChecked, c.RequestID)
		}
	}
	if got := len(e.vendors.Posts("slack-webhook")); got != n {
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

func TestGo1Hooks(t *testing.T) {
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
			e := newWorld(t)
			e.vars["ALERT_MODE"] = tc.mode
			rt, p := e.startGo1()
			for _, kind := range []fcruntime.Kind{fcruntime.Initialize, fcruntime.PreStop} {
				for _, h := range []http.Header{nil, {"X-Fc-Function-Deadline": {""}}} {
					resp := invoke(t, rt, fcfake.Request{Kind: kind, Body: []byte(`{"ignored":true}`), Header: h})
					if resp.Kind != fcfake.KindResponse || len(resp.Body) != 0 {
						t.Errorf("%v hook (header %v): answer is a %s with body %q, want an empty response", kind, h, resp.Kind, resp.Body)
					}
				}
			}
			for i := range 2 {
				resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur)})
				if tc.valid {
					if r := resultOf(t, resp); r.Mode != alert.ModeDigest {
						t.Errorf("event %d: mode = %q, want digest", i+1, r.Mode)
					}
					continue
				}
				if resp.Kind != fcfake.KindError {
					t.Fatalf("event %d: answer is a %s, want an error: %s", i+1, resp.Kind, resp.Body)
				}
				if msg := errorOf(t, resp).ErrorMessage; !strings.Contains(msg, "ALERT_MODE") || !strings.Contains(msg, "loud") {
					t.Errorf("event %d: errorMessage = %q, want it to name ALERT_MODE and its value", i+1, msg)
				}
			}
			if !tc.valid {
				if n := e.ram.TotalCalls(); n != 0 {
					t.Errorf("the emulator got %d calls, want 0 with an invalid configuration", n)
				}
				if n := e.vendors.Hits(); n != 0 {
					t.Errorf("the vendors got %d posts, want 0 with an invalid configuration", n)
				}
				out := p.waitStdout(t, "FC PreStop End")
				if !bytes.Contains(out, []byte("ALERT_MODE")) {
					t.Errorf("stdout does not log the configuration error:\n%s", out)
				}
			}
		})
	}
}

func TestGo1Panics(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
	rt, _ := e.startGo1()
	for _, tc := range []struct {
		name, event, want string
		stack             bool
	}{
		{name: "handler", event: `"panic"`, want: "deliberate panic", stack: true},
		{name: "goroutine", event: `"panic-goroutine"`, want: "assignment to entry in nil map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := invoke(t, rt, fcfake.Request{Body: []byte(tc.event)})
			eb := errorOf(t, resp)
			if !strings.Contains(eb.ErrorMessage, tc.want) {
				t.Errorf("event %s: errorMessage = %q, want it to contain %q", tc.event, eb.ErrorMessage, tc.want)
			}
			if tc.stack && len(eb.StackTrace) == 0 {
				t.Errorf("event %s: the error has no stackTrace: %s", tc.event, resp.Body)
			}
			checkStillServing(t, e, rt, "the panic")
		})
	}
}

func TestGo1RoleCredentials(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
	rt, _ := e.startGo1()
	creds := fcruntime.Credentials{AccessKeyID: stsKeyID, AccessKeySecret: stsSecret, SecurityToken: stsToken}
	for i := range 2 {
		resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), Credentials: creds})
		if r := resultOf(t, resp); r.UsersChecked != 4 {
			t.Errorf("invocation %d: usersChecked = %d, want 4", i+1, r.UsersChecked)
		}
	}
	want := []ramfake.SeenCredential{{AccessKeyID: stsKeyID, WithToken: true}}
	if diff := cmp.Diff(want, e.ram.SeenCredentials()); diff != "" {
		t.Errorf("credentials the emulator saw (-want +got):\n%s", diff)
	}
}

// TestGo1BadSignature runs with role credentials whose secret is wrong: the emulator answers
// SignatureDoesNotMatch with the string to sign, which holds the security token, and none of it may leak.
func TestGo1BadSignature(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
	rt, _ := e.startGo1()
	creds := fcruntime.Credentials{AccessKeyID: stsKeyID, AccessKeySecret: wrongSecret, SecurityToken: stsToken}
	resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), Credentials: creds})
	if msg := errorOf(t, resp).ErrorMessage; !strings.Contains(msg, "SignatureDoesNotMatch") || strings.Contains(msg, "\n") {
		t.Errorf("errorMessage = %q, want one line naming SignatureDoesNotMatch", msg)
	}
	slack := e.vendors.Posts("slack-webhook")
	if len(slack) != 1 || !bytes.Contains(slack[0].Body, []byte("SignatureDoesNotMatch")) {
		t.Errorf("Slack got %d messages, want 1 naming SignatureDoesNotMatch", len(slack))
	}
}

func TestGo1RetryCount(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
	rt, _ := e.startGo1()
	e.ram.ThrottleNext(1) // a transient failure the reader retries, with its debug log line
	resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), RetryCount: 1})
	if r := resultOf(t, resp); len(r.Alerts) != 3 {
		t.Errorf("result has %d alerts, want 3", len(r.Alerts))
	}
	slack := e.vendors.Posts("slack-webhook")
	if len(slack) != 1 {
		t.Fatalf("Slack got %d messages, want 1", len(slack))
	}
	if !bytes.Contains(slack[0].Body, []byte("repeat 2")) {
		t.Errorf("the Slack message of a retried invocation does not say \"repeat 2\":\n%s", slack[0].Body)
	}
}

func TestGo1Failures(t *testing.T) {
	t.Parallel()
	t.Run("NoPermission for all", func(t *testing.T) {
		t.Parallel()
		e := newWorld(t)
		for _, id := range []string{aliceID, bobID, carolID, daveID} {
			e.ram.SetFault("ListAccessKeysInRecycleBin", id, ramfake.Deny)
		}
		rt, _ := e.startGo1()
		resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur)})
		if msg := errorOf(t, resp).ErrorMessage; !strings.HasPrefix(msg, "NoPermission for all") || strings.Contains(msg, "\n") {
			t.Errorf("errorMessage = %q, want one line starting \"NoPermission for all\"", msg)
		}
		slack := e.vendors.Posts("slack-webhook")
		if len(slack) != 1 || !bytes.Contains(slack[0].Body, []byte("NoPermission")) {
			t.Errorf("Slack got %d messages, want 1 naming NoPermission (unreadable users are reported)", len(slack))
		}
	})
	t.Run("Slack answers 500", func(t *testing.T) {
		t.Parallel()
		e := newWorld(t)
		e.vendors.SetAnswers("slack-webhook", notifytest.Answer{Status: http.StatusInternalServerError})
		rt, _ := e.startGo1()
		resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur)})
		msg := errorOf(t, resp).ErrorMessage
		if !strings.Contains(msg, "delivery failed") || !strings.Contains(msg, "slack-webhook") || strings.Contains(msg, "\n") {
			t.Errorf("errorMessage = %q, want one line with \"delivery failed\" naming slack-webhook", msg)
		}
		if n := len(e.vendors.Posts("webhook")); n != 1 {
			t.Errorf("the webhook got %d messages, want 1: the other channel is still tried", n)
		}
		if n := len(e.vendors.Posts("slack-webhook")); n != 3 {
			t.Errorf("Slack got %d attempts, want 3 (5xx is retried)", n)
		}
	})
}

package e2e

// Hostile answers of the RAM/IMS API through the built binary: values no real answer has, and errors
// that repeat the caller's credentials. One user's hostile answer never sinks the others.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
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
	malloryID  = "2073290024939205"
	malloryKey = "LTAI5tE2eMalloryKey00001"
)

// withMallory returns the fixture users and mallory, whose recycled key's DeleteDate is a valid RFC
// 3339 text whose offset carries it into the year 10000, where no JSON encoder goes.
func withMallory(cur time.Time) []ramfake.User {
	k := binKey(malloryKey, cur, -6*time.Hour, 30*24*time.Hour)
	k.Raw = map[string]any{"DeleteDate": "9999-12-31T23:59:59-23:59"}
	return append(fixtureUsers(cur), ramfake.User{ID: malloryID, Name: "mallory", Keys: []ramfake.Key{k}})
}

// webhookBodies decodes the bodies the generic webhook got.
func (e *world) webhookBodies() []webhook.Body {
	e.t.Helper()
	var out []webhook.Body
	for _, p := range e.vendors.Posts("webhook") {
		var b webhook.Body
		if err := json.Unmarshal(p.Body, &b); err != nil {
			e.t.Fatalf("webhook body is not JSON: %v\n%s", err, p.Body)
		}
		out = append(out, b)
	}
	return out
}

// resultLines returns the `result` log lines of a log stream, decoded.
func resultLines(t *testing.T, logs []byte) []map[string]any {
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

func TestHostileDeleteDate(t *testing.T) {
	t.Parallel()
	e := newWorldUsers(t, withMallory)
	e.vars["RAM_USERS"] = "alice,bob,mallory,carol,dave"
	stdout, stderr, code := e.runCLI("", "-e", string(timerEvent(e.cur)))
	if code != 0 {
		t.Fatalf("exit status %d, want 0: one hostile answer must not sink the run\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout)
	if diff := cmp.Diff(expectedAlerts(e.cur), withoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	if len(r.Errors) != 1 || r.Errors[0].User != "mallory" || r.Errors[0].Code != "InvalidResponse" {
		t.Fatalf("result errors = %+v, want mallory's InvalidResponse", r.Errors)
	}
	if msg := r.Errors[0].Message; !strings.Contains(msg, "ListAccessKeysInRecycleBin") || !strings.Contains(msg, "DeleteDate") ||
		!strings.Contains(msg, malloryKey) || len(msg) > 300 {
		t.Errorf("mallory's error message = %q, want a short one naming ListAccessKeysInRecycleBin, the key and DeleteDate", msg)
	}
	if r.UsersChecked != 4 {
		t.Errorf("usersChecked = %d, want 4", r.UsersChecked)
	}
	want := []handler.Delivery{{Channel: "slack-webhook", OK: true, Messages: 1}, {Channel: "webhook", OK: true, Messages: 1}}
	if diff := cmp.Diff(want, withoutErrors(r.Deliveries)); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}

	// Every channel got one post with the same alerts and the same error.
	slack, hooks := e.vendors.Posts("slack-webhook"), e.webhookBodies()
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
	lines := resultLines(t, stderr)
	if len(lines) != 1 {
		t.Fatalf("stderr has %d result lines, want 1:\n%s", len(lines), stderr)
	}
	res, _ := lines[0]["result"].(map[string]any)
	if alerts, _ := res["alerts"].([]any); len(alerts) != 3 {
		t.Errorf("the result line has alerts %v, want the 3 alerts", res["alerts"])
	}
}

// withoutErrors returns deliveries with their error text cleared, for comparisons.
func withoutErrors(ds []handler.Delivery) []handler.Delivery {
	out := slices.Clone(ds)
	for i := range out {
		out[i].Error = ""
	}
	return out
}

func TestHostileListUsersEntry(t *testing.T) {
	t.Parallel()
	const eveID = "2073290024939206"
	e := newWorldUsers(t, func(cur time.Time) []ramfake.User {
		users := fixtureUsers(cur)
		eve := ramfake.User{ID: eveID, Name: "eve", Keys: []ramfake.Key{binKey("LTAI5tE2eEveKey000000001", cur, -2*time.Hour, 20*24*time.Hour)},
			Raw: map[string]any{"UserName": "<!channel> *urgent*\nrotate now"}}
		return append(users[:2], append([]ramfake.User{eve}, users[2:]...)...)
	})
	e.vars["RAM_USERS"] = "*"
	stdout, stderr, code := e.runCLI("", "-e", `{"mode":"digest"}`)
	if code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout)
	if r.UsersChecked != 4 || len(r.Alerts) != 5 {
		t.Errorf("usersChecked, alerts = %d, %d; want 4, 5 (every user but eve)", r.UsersChecked, len(r.Alerts))
	}
	if len(r.Errors) != 1 || r.Errors[0].User != eveID || r.Errors[0].Code != "InvalidResponse" || !strings.Contains(r.Errors[0].Message, "UserName") {
		t.Errorf("result errors = %+v, want one InvalidResponse for user %s naming UserName", r.Errors, eveID)
	}
	for _, p := range e.vendors.Posts("slack-webhook") {
		if bytes.Contains(p.Body, []byte("<!channel>")) {
			t.Errorf("the Slack message carries the hostile name:\n%s", p.Body)
		}
	}
	if n, m := len(e.vendors.Posts("slack-webhook")), len(e.vendors.Posts("webhook")); n != 1 || m != 1 {
		t.Errorf("Slack got %d posts and the webhook %d, want 1 each", n, m)
	}
}

func TestCredentialsEchoedByTheAPI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string // the credentials in the environment
		role fcruntime.Credentials
	}{
		{name: "environment AccessKey"},
		{name: "environment STS", env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": envSTSKeyID,
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET": envSTSSecret, "ALIBABA_CLOUD_SECURITY_TOKEN": envSTSToken}},
		{name: "role credentials", role: fcruntime.Credentials{AccessKeyID: stsKeyID, AccessKeySecret: stsSecret, SecurityToken: stsToken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newWorld(t)
			for k, v := range tc.env {
				e.vars[k] = v
			}
			e.ram.SetFault("ListAccessKeysInRecycleBin", bobID, ramfake.EchoCredentials)
			var r resultErrors
			if tc.role.AccessKeyID == "" {
				stdout, stderr, code := e.runCLI("", "-e", string(timerEvent(e.cur)))
				if code != 0 {
					t.Fatalf("exit status %d, want 0\nstderr:\n%s", code, tail(stderr))
				}
				r = decodeResultErrors(t, stdout)
			} else {
				rt, _ := e.startGo1()
				r = decodeResultErrors(t, invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), Credentials: tc.role}).Body)
			}
			// The secrets are checked in every output by runCLI and startProc; here, that the echo happened.
			if len(r.Errors) != 1 || r.Errors[0].User != "bob" || !strings.Contains(r.Errors[0].Message, "[redacted]") {
				t.Errorf("result errors = %+v, want bob's, with the echoed credentials redacted", r.Errors)
			}
			slack := e.vendors.Posts("slack-webhook")
			if len(slack) != 1 || !bytes.Contains(slack[0].Body, []byte("redacted")) {
				t.Errorf("Slack got %d posts, want 1 reporting bob's error, redacted", len(slack))
			}
		})
	}
}

// resultErrors is the part of a result these tests read, when the rest may not decode.
type resultErrors struct {
	Errors []alert.UserError `json:"errors"`
}

func decodeResultErrors(t *testing.T, body []byte) resultErrors {
	t.Helper()
	var r resultErrors
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, tail(body))
	}
	return r
}

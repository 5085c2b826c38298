package e2e

// The world of the one-click restore's tests (restore_test.go): the binary configured as the restore
// function beside the emulator (with deleted users), Slack's side of a click (restoretest.Slack: signed
// block_actions requests, and the receiver of what the function posts to a click's response_url), and
// the two doors a click comes in by: the go1 runtime's FC HTTP trigger event and the custom runtime's
// POST /slack/actions.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/restore/restoretest"
)

// The Slack app's fake settings and secrets. responseToken is in every response_url restoretest makes:
// a response_url is a secret, like a webhook URL.
const (
	signingSecret = "e2eSlackSigningSecretMustNotLeak0007"
	tokenSecret   = "e2eRestoreTokenSecretMustNotLeak0008"
	responseToken = "Fake0Response0Url0Token"
	teamID        = "T0E2ETEAM1"
	appID         = "A0E2EAPP01"
	allowedUser   = "U0ALICE01" // restoretest's clicker
	stranger      = "U0MALLORY1"
	restoreWait   = 15 * time.Second // the restore function's timeout in s.restore.yaml
)

// roleCreds are the restore function's role credentials, handed to each invocation.
var roleCreds = fcruntime.Credentials{AccessKeyID: stsKeyID, AccessKeySecret: stsSecret, SecurityToken: stsToken}

// restoreWorld is a world (with eve and frank in the user recycle bin) whose binary is the restore
// function: SLACK_SIGNING_SECRET and the rest of the Slack app's settings, RESTORE_TOKEN_SECRET, and
// SLACK_API_URL on Slack's fake, which receives the replies. Its channels (the Slack webhook and the
// generic webhook) receive the audit events. Every reply is checked for secrets when the test ends.
type restoreWorld struct {
	*world
	slack  *restoretest.Slack
	signer *restore.Signer
	// proc is the restore function's process, once a door started it.
	proc *proc
}

func newRestoreWorld(t *testing.T) *restoreWorld {
	t.Helper()
	e := &restoreWorld{world: newWorldUserBin(t), slack: restoretest.NewSlack(t, signingSecret, teamID, appID)}
	var err error
	if e.signer, err = restore.NewSigner(tokenSecret); err != nil {
		t.Fatal(err)
	}
	maps.Copy(e.vars, map[string]string{
		"SLACK_SIGNING_SECRET":  signingSecret,
		"SLACK_TEAM_ID":         teamID,
		"SLACK_APP_ID":          appID,
		"RESTORE_ALLOWED_USERS": allowedUser + ",U0BOB0001",
		"RESTORE_TOKEN_SECRET":  tokenSecret,
		"SLACK_API_URL":         e.slack.URL(),
	})
	t.Cleanup(func() {
		for i, p := range e.slack.Posts() {
			checkNoSecrets(t, fmt.Sprintf("reply %d to a response_url", i+1), p.Raw)
			checkNoBotToken(t, fmt.Sprintf("reply %d to a response_url", i+1), p.Raw)
		}
		for _, p := range e.vendors.Requests() {
			if p.Channel() != "slack" { // chat.postMessage carries the token to Slack, as it must
				checkNoBotToken(t, "a post to "+p.Channel(), p.Body)
			}
		}
	})
	return e
}

// aliceButton is the signed value of the Restore button of alice's key.
func (e *restoreWorld) aliceButton() string {
	return e.button(restore.Target{UserID: aliceID, AccessKeyID: aliceKey, AlertID: aliceAlert})
}

// button returns the signed value of the Restore button of t (the function's own account).
func (e *restoreWorld) button(tg restore.Target) string {
	e.t.Helper()
	if tg.AccountID == "" {
		tg.AccountID = accountID
	}
	v, err := e.signer.Sign(tg)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// alertMessage runs the alert function (the same binary, on the command line, as the timer trigger
// would: RAM_USERS=*, the bot token posting to the vendors' fake, RESTORE_TOKEN_SECRET) and returns
// the blocks of the Slack message it posted with chat.postMessage, and the value of the Restore button
// of each alert, by AccessKey ID (by user ID for a user alert).
func (e *restoreWorld) alertMessage() (blocks []json.RawMessage, buttons map[string]string) {
	t := e.t
	t.Helper()
	saved := e.vars
	e.vars = maps.Clone(saved)
	for _, name := range []string{"SLACK_SIGNING_SECRET", "SLACK_TEAM_ID", "SLACK_APP_ID", "RESTORE_ALLOWED_USERS", "SLACK_WEBHOOK_URL", "WEBHOOK_URL", "WEBHOOK_SECRET"} {
		delete(e.vars, name)
	}
	maps.Copy(e.vars, map[string]string{"RAM_USERS": "*", "SLACK_BOT_TOKEN": botToken, "SLACK_CHANNEL": "C0ALERTS1",
		"SLACK_API_URL": e.vendors.ChannelURL("slack", "/api/")})
	stdout, stderr, code := e.runCLI("", "-e", string(timerEvent(e.cur)))
	e.vars = saved
	checkNoBotToken(t, "the alert function's stdout", stdout)
	checkNoBotToken(t, "the alert function's stderr", stderr)
	posts := e.vendors.Posts("slack")
	if code != 0 || len(posts) != 1 {
		t.Fatalf("the alert function: exit %d, %d Slack posts; want 0, 1\n%s", code, len(posts), stderr)
	}
	form, err := url.ParseQuery(string(posts[0].Body))
	if err != nil || json.Unmarshal([]byte(form.Get("blocks")), &blocks) != nil {
		t.Fatalf("chat.postMessage body %q: %v, want blocks", posts[0].Body, err)
	}
	buttons = map[string]string{}
	for _, b := range blocks {
		var ab struct {
			Type     string `json:"type"`
			Elements []struct {
				Value string `json:"value"`
			} `json:"elements"`
		}
		if json.Unmarshal(b, &ab) != nil || ab.Type != "actions" || len(ab.Elements) != 1 {
			continue
		}
		tg, err := e.signer.Verify(ab.Elements[0].Value)
		if err != nil {
			t.Fatalf("a Restore button of the alert message does not verify: %v", err)
		}
		item := tg.AccessKeyID
		if item == "" {
			item = tg.UserID
		}
		buttons[item] = ab.Elements[0].Value
	}
	return blocks, buttons
}

// checkNoBotToken fails the test when out holds the bot token, which only the alert function's
// requests to the Slack API may carry.
func checkNoBotToken(t *testing.T, where string, out []byte) {
	t.Helper()
	if bytes.Contains(out, []byte(botToken)) {
		t.Errorf("%s holds the bot token:\n%s", where, out)
	}
}

// answer is the restore function's answer to a click, and how long it took from the request's send.
type answer struct {
	Status int
	Body   string
	Took   time.Duration
}

// clickFunc sends a click's request to a running restore function and returns its answer.
type clickFunc func(t *testing.T, req restore.Request) answer

// door is a way in to the restore function: a runtime.
type door struct {
	name  string
	start func(e *restoreWorld) clickFunc
}

// doors are the two runtimes: every restore test runs through both.
var doors = []door{{"go1", startGo1Door}, {"custom", startCustomDoor}}

// startGo1Door starts the binary on the go1 runtime: a click is an FC HTTP trigger event, with the
// invocation's account and role credentials; the answer is the event's HTTP response.
func startGo1Door(e *restoreWorld) clickFunc {
	rt, p := e.startGo1()
	e.proc = p
	return func(t *testing.T, req restore.Request) answer {
		t.Helper()
		start := time.Now()
		resp := invoke(t, rt, fcfake.Request{Body: restoretest.Event(req, false), AccountID: accountID,
			Credentials: roleCreds, Timeout: restoreWait})
		took := time.Since(start)
		if resp.Kind != fcfake.KindResponse {
			t.Fatalf("the click's invocation failed: %s", resp.Body)
		}
		var r restore.HTTPResponse
		if err := json.Unmarshal(resp.Body, &r); err != nil || r.StatusCode == 0 {
			t.Fatalf("the answer %s is not an FC HTTP response: %v", resp.Body, err)
		}
		return answer{Status: r.StatusCode, Body: r.Body, Took: took}
	}
}

// startCustomDoor starts `main serve`: a click is Slack's POST /slack/actions, passed through with the
// headers FC adds (request ID, account, role credentials).
func startCustomDoor(e *restoreWorld) clickFunc {
	base, p := e.startServe()
	e.proc = p
	client := &http.Client{Timeout: maxWait}
	return func(t *testing.T, req restore.Request) answer {
		t.Helper()
		hr, err := http.NewRequest(req.Method, base+req.Path, bytes.NewReader(req.Body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header = req.Header.Clone()
		for k, v := range map[string]string{"x-fc-request-id": req.RequestID, "x-fc-account-id": accountID,
			"x-fc-access-key-id": roleCreds.AccessKeyID, "x-fc-access-key-secret": roleCreds.AccessKeySecret,
			"x-fc-security-token": roleCreds.SecurityToken} {
			hr.Header.Set(k, v)
		}
		start := time.Now()
		resp, err := client.Do(hr)
		if err != nil {
			t.Fatalf("POST %s: %v", req.Path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		checkNoSecrets(t, "the answer to a click", b)
		return answer{Status: resp.StatusCode, Body: string(b), Took: time.Since(start)}
	}
}

// replies are the replies posted to response_urls so far, as the person sees them: each reply's text
// and the texts of its blocks.
func (e *restoreWorld) replies() []restoretest.Reply {
	var out []restoretest.Reply
	for _, p := range e.slack.Posts() {
		out = append(out, p.Reply)
	}
	return out
}

// blocksText is the text a person reads in blocks: every "text" string, in order.
func blocksText(blocks []json.RawMessage) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				b.WriteString(s + "\n")
			}
			for k, x := range v {
				if k != "text" {
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, raw := range blocks {
		var v any
		json.Unmarshal(raw, &v)
		walk(v)
	}
	return b.String()
}

package restore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/restore/restoretest"
)

func serveEvent(t *testing.T, h *restore.Handler, event []byte) restore.HTTPResponse {
	t.Helper()
	var r restore.HTTPResponse
	if err := json.Unmarshal(h.ServeEvent(t.Context(), "inv-1", event), &r); err != nil {
		t.Fatalf("ServeEvent answered something that is not an HTTPResponse: %v", err)
	}
	return r
}

func TestServeEvent(t *testing.T) {
	for _, base64Body := range []bool{false, true} {
		w := newWorld(t)
		req, _ := w.slack.Request(restoretest.Click{Value: w.value(keyTarget)})
		event := restoretest.Event(req, base64Body)
		if !restore.IsHTTPEvent(event) {
			t.Fatalf("IsHTTPEvent(an FC HTTP event) = false")
		}
		if r := serveEvent(t, w.h, event); r.StatusCode != http.StatusOK {
			t.Errorf("base64 %v: ServeEvent = %+v, want 200", base64Body, r)
		}
		if n := w.own.Count("RestoreAccessKey"); n != 1 {
			t.Errorf("base64 %v: %d restore calls, want 1", base64Body, n)
		}
		if l := w.lines(t, "restore click answered"); len(l) != 1 || l[0]["requestId"] != req.RequestID {
			t.Errorf("log lines %v, want the event's request ID", l)
		}
	}

	w := newWorld(t)
	req, _ := w.slack.Request(restoretest.Click{Value: w.value(keyTarget)})
	req.Header.Set(restore.HeaderSignature, "v0=00")
	if r := serveEvent(t, w.h, restoretest.Event(req, false)); r.StatusCode != http.StatusUnauthorized || r.Body != "Unauthorized" {
		t.Errorf("ServeEvent(unsigned) = %+v, want 401", r)
	}
	if r := serveEvent(t, w.h, []byte(`{"triggerTime":"2026-11-30T09:00:00Z"}`)); r.StatusCode != http.StatusBadRequest {
		t.Errorf("ServeEvent(a timer event) = %+v, want 400", r)
	}
	big := req
	big.Body = bytes.Repeat([]byte("a"), restore.MaxBodyBytes+10)
	if r := serveEvent(t, w.h, restoretest.Event(big, true)); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("ServeEvent(a body over 1 MiB) = %+v, want 413", r)
	}
	if len(w.own.Calls()) != 0 || len(w.slack.Posts()) != 0 {
		t.Errorf("calls %q, %d posts: want none", w.own.Calls(), len(w.slack.Posts()))
	}

	// Restore switched off: the wiring's nil Handler answers 404 and does nothing.
	var off *restore.Handler
	req, _ = w.slack.Request(restoretest.Click{Value: w.value(keyTarget)})
	if r := serveEvent(t, off, restoretest.Event(req, false)); r.StatusCode != http.StatusNotFound {
		t.Errorf("nil Handler ServeEvent = %+v, want 404", r)
	}
	if len(w.own.Calls()) != 0 || len(w.slack.Posts()) != 0 {
		t.Errorf("restore off: calls %q, %d posts: want none", w.own.Calls(), len(w.slack.Posts()))
	}
}

func TestServeHTTP(t *testing.T) {
	w := newWorld(t)
	srv := httptest.NewServer(w.h)
	defer srv.Close()
	off := httptest.NewServer((*restore.Handler)(nil))
	defer off.Close()
	client := restoretest.LoopbackClient()
	send := func(base, method string, req restore.Request) (int, string) {
		t.Helper()
		hr, err := http.NewRequestWithContext(t.Context(), method, base+req.Path, bytes.NewReader(req.Body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header = req.Header.Clone()
		hr.Header.Set("X-Fc-Request-Id", "custom-1")
		resp, err := client.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	req, _ := w.slack.Request(restoretest.Click{Value: w.value(keyTarget)})
	if status, _ := send(off.URL, http.MethodPost, req); status != http.StatusNotFound {
		t.Errorf("restore off: POST = %d, want 404", status)
	}
	if len(w.own.Calls()) != 0 {
		t.Errorf("restore off: calls %q, want none", w.own.Calls())
	}
	if status, body := send(srv.URL, http.MethodPost, req); status != http.StatusOK || body != "OK" {
		t.Errorf("POST = %d %q, want 200", status, body)
	}
	if n := w.own.Count("RestoreAccessKey"); n != 1 {
		t.Errorf("%d restore calls, want 1", n)
	}
	if l := w.lines(t, "restore click answered"); len(l) != 1 || l[0]["requestId"] != "custom-1" {
		t.Errorf("log lines %v, want the x-fc-request-id", l)
	}
	if status, _ := send(srv.URL, http.MethodGet, req); status != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d, want 405", status)
	}
	big := req
	big.Body = bytes.Repeat([]byte("a"), restore.MaxBodyBytes+1)
	if status, _ := send(srv.URL, http.MethodPost, big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of a body over 1 MiB = %d, want 413", status)
	}
	wrong := req
	wrong.Path = "/invoke"
	if status, _ := send(srv.URL, http.MethodPost, wrong); status != http.StatusNotFound {
		t.Errorf("POST /invoke = %d, want 404", status)
	}
	if n := w.own.Count("RestoreAccessKey"); n != 1 {
		t.Errorf("%d restore calls after the refused requests, want still 1", n)
	}
}

// TestNoSecretLeaks runs clicks of every kind and proves that no secret (the signing secret,
// RESTORE_TOKEN_SECRET, the bot token, a response_url) is in a log line, an answer, an audit event, a
// reply or an error.
func TestNoSecretLeaks(t *testing.T) {
	w := newWorld(t, func(o *restore.Options) {
		// A transport whose errors quote the URL, as net/http's do.
		o.HTTPClient = &http.Client{Transport: echoURLTransport{next: restoretest.LoopbackClient().Transport}}
	})
	var outputs []string
	var responseURLs []string
	record := func(resp restore.Response, c restoretest.Click) {
		outputs = append(outputs, resp.Body)
		responseURLs = append(responseURLs, c.ResponseURL)
	}
	clicks := []struct {
		target restore.Target
		click  restoretest.Click
		mutate func(*restore.Request)
	}{
		{target: keyTarget},
		{target: userTarget},
		{target: memberTarget},
		{target: keyTarget, click: restoretest.Click{UserID: mallory}},
		{target: keyTarget, mutate: func(r *restore.Request) { r.Header.Set(restore.HeaderSignature, "v0=00") }},
		{target: keyTarget, click: restoretest.Click{Value: forgedValue(t, keyTarget)}},
		{target: keyTarget, click: restoretest.Click{ResponseURL: restoretest.NewListener(t).URL + "actions/T0TEAM001/9/Foreign0Secret0Token"}},
	}
	for _, k := range clicks {
		c := k.click
		if c.Value == "" {
			c.Value = w.value(k.target)
		}
		req, c := w.slack.Request(c)
		if k.mutate != nil {
			k.mutate(&req)
		}
		record(w.h.Handle(t.Context(), req), c)
		outputs = append(outputs, string(w.h.ServeEvent(t.Context(), "inv", restoretest.Event(req, true))))
	}
	// A restore refused by the API, then a reply Slack's side refuses.
	w.own.RecycleKey(aliceID, aliceKey)
	w.own.Hook = func(_ context.Context, call string) error {
		if call == "RestoreAccessKey" {
			return &restore.APIError{Action: "RestoreAccessKeyFromRecycleBin", Code: "NoPermission", Status: 403, Message: "denied"}
		}
		return nil
	}
	resp, c := w.click(t, keyTarget, restoretest.Click{})
	record(resp, c)
	w.slack.SetStatus(http.StatusNotFound)
	resp, c = w.click(t, memberTarget, restoretest.Click{})
	record(resp, c)

	for _, e := range w.audit.Events() {
		b, _ := json.Marshal(e)
		outputs = append(outputs, string(b), e.Summary())
	}
	for _, p := range w.slack.Posts() {
		outputs = append(outputs, string(p.Raw))
	}
	if _, err := restore.LoadConfig(func(n string) string {
		return map[string]string{"SLACK_SIGNING_SECRET": signingSecret + " x", "RESTORE_TOKEN_SECRET": tokenSecret[:20], "SLACK_BOT_TOKEN": botToken}[n]
	}); err != nil {
		outputs = append(outputs, err.Error())
	}
	if _, err := restore.NewSigner(tokenSecret[:20]); err != nil {
		outputs = append(outputs, err.Error())
	}
	outputs = append(outputs, w.logs.String())
	if !strings.Contains(w.logs.String(), "the reply to Slack failed") || !strings.Contains(w.logs.String(), "echo") {
		t.Fatalf("the scenario did not reach a failed reply whose transport error quotes the URL:\n%s", w.logs.String())
	}

	secrets := []string{signingSecret, tokenSecret, tokenSecret[:20], botToken, "Foreign0Secret0Token"}
	for _, u := range responseURLs {
		secrets = append(secrets, u, u[strings.LastIndex(u, "/")+1:])
	}
	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("an output holds the secret %q:\n%s", s, out)
			}
		}
	}
}

// echoURLTransport fails requests that Slack's receiver answers 404 with an error that quotes the
// URL, the way net/http's errors do.
type echoURLTransport struct{ next http.RoundTripper }

func (e echoURLTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := e.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		return nil, &echoError{url: r.URL.String()}
	}
	return resp, err
}

type echoError struct{ url string }

func (e *echoError) Error() string { return "echo: cannot reach " + e.url }

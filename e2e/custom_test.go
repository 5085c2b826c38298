package e2e

// The custom runtime: `main serve`, an HTTP server on FC_CUSTOM_LISTEN_PORT.

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
)

func TestCustomRuntime(t *testing.T) {
	t.Parallel()
	e := newWorld(t)
	base, p := e.startServe()
	client := &http.Client{Timeout: maxWait}

	do := func(method, path, requestID string, body []byte) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-fc-request-id", requestID)
		req.Header.Set("x-fc-account-id", accountID)
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
		checkNoSecrets(t, method+" "+path, b)
		return resp, b
	}

	resp, body := do(http.MethodPost, "/initialize", "e2e-init", nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST /initialize: status %d, want 200: %s", resp.StatusCode, body)
	}

	resp, body = do(http.MethodPost, "/invoke", "e2e-custom-ok", timerEvent(e.cur))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("x-fc-status") != "200" {
		t.Errorf("POST /invoke: status %d, x-fc-status %q, want 200, 200: %s", resp.StatusCode, resp.Header.Get("x-fc-status"), body)
	}
	r := decodeResult(t, body)
	if diff := cmp.Diff(expectedAlerts(e.cur), withoutIDs(t, r.Alerts)); diff != "" {
		t.Errorf("result alerts (-want +got):\n%s", diff)
	}
	if r.RequestID != "e2e-custom-ok" || r.AccountID != accountID || r.UsersChecked != 4 {
		t.Errorf("result requestId, accountId, usersChecked = %q, %q, %d; want e2e-custom-ok, %s, 4", r.RequestID, r.AccountID, r.UsersChecked, accountID)
	}
	if n := len(e.vendors.Posts("slack-webhook")); n != 1 {
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
	for _, id := range []string{aliceID, bobID, carolID, daveID} {
		e.ram.SetFault("ListAccessKeysInRecycleBin", id, ramfake.Deny)
	}
	resp, body = do(http.MethodPost, "/invoke", "e2e-custom-denied", timerEvent(e.cur))
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("x-fc-status") != "404" {
		t.Errorf("POST /invoke (every user denied): status %d, x-fc-status %q, want 404, 404: %s", resp.StatusCode, resp.Header.Get("x-fc-status"), body)
	}
	if r := decodeResult(t, body); r.RequestID != "e2e-custom-denied" || len(r.Errors) != 4 {
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

func TestCustomRuntimePortBusy(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	e := newWorld(t)
	e.vars["FC_CUSTOM_LISTEN_PORT"] = port
	stdout, stderr, code := e.runCLI("", "serve")
	if code != 1 {
		t.Errorf("main serve on a busy port: exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !bytes.Contains(stdout, []byte("cannot listen")) || bytes.Contains(stdout, []byte("listening")) {
		t.Errorf("main serve on a busy port logged %q, want \"cannot listen\" and no \"listening\"", stdout)
	}
}

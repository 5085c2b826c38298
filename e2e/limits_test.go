package e2e

// The limits every run keeps whatever arrives: events over the size limit in every mode, and a channel
// that accepts a post and never answers, against the invocation's deadline.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// maxEvent is the size limit of an event, 1 MiB.
const maxEvent = 1 << 20

// sizedEvent returns a dry-run digest event of exactly n bytes (padded with spaces, which JSON
// allows), n >= 64.
func sizedEvent(n int) []byte {
	ev := []byte(`{"mode":"digest","dryRun":true}`)
	return append(ev, bytes.Repeat([]byte(" "), n-len(ev))...)
}

// checkTooLarge checks that msg says the event passed the 1 MiB limit.
func checkTooLarge(t *testing.T, where, msg string) {
	t.Helper()
	if !strings.Contains(msg, "1 MiB") || !strings.Contains(msg, "event") {
		t.Errorf("%s: %q, want it to say the event is over 1 MiB", where, msg)
	}
}

// TestEventSizeLimit sends an event of exactly 1 MiB and one of a byte more in every mode that reads
// one (stdin, a file, an endless file, the go1 runtime, the custom runtime): the first runs, the second
// is refused before any API call with an error naming the limit, and the runtimes go on serving.
func TestEventSizeLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	over, exact := sizedEvent(maxEvent+1), sizedEvent(maxEvent)
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
			e := newWorld(t)
			stdout, stderr, code := e.runCLI(string(tc.stdin), tc.args...)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d\nstderr:\n%s", code, tc.code, tail(stderr))
			}
			if tc.code == 0 {
				if r := decodeResult(t, stdout); r.Mode != alert.ModeDigest || !r.DryRun {
					t.Errorf("result mode, dryRun = %q, %v; want digest, true", r.Mode, r.DryRun)
				}
				return
			}
			checkTooLarge(t, "stderr", string(stderr))
			if n := e.ram.TotalCalls(); n != 0 {
				t.Errorf("the emulator got %d calls, want 0", n)
			}
		})
	}

	// An -e argument of 1 MiB is more than Linux lets exec pass (128 KiB): the root package's
	// TestCommandLineInlineEventOverLimit runs that one in process.

	t.Run("go1 runtime", func(t *testing.T) {
		t.Parallel()
		e := newWorld(t)
		rt, _ := e.startGo1()
		resp := invoke(t, rt, fcfake.Request{Body: over})
		checkTooLarge(t, "errorMessage", errorOf(t, resp).ErrorMessage)
		if r := resultOf(t, invoke(t, rt, fcfake.Request{Body: exact})); r.Mode != alert.ModeDigest {
			t.Errorf("event of exactly 1 MiB: mode = %q, want digest", r.Mode)
		}
		checkStillServing(t, e, rt, "an event over the limit")
	})

	t.Run("custom runtime", func(t *testing.T) {
		t.Parallel()
		e := newWorld(t)
		base, _ := e.startServe()
		post := func(body []byte) (*http.Response, []byte) {
			t.Helper()
			resp, err := (&http.Client{Timeout: maxWait}).Post(base+"/invoke", "application/octet-stream", bytes.NewReader(body))
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
				resp.StatusCode, resp.Header.Get("x-fc-status"), tail(body))
		}
		checkTooLarge(t, "errorMessage", eb.ErrorMessage)
		if resp, body := post(exact); resp.StatusCode != http.StatusOK {
			t.Errorf("POST /invoke of exactly 1 MiB: status %d, want 200: %s", resp.StatusCode, tail(body))
		}
		if resp, body := post(timerEvent(e.cur)); resp.StatusCode != http.StatusOK {
			t.Errorf("POST /invoke after the big one: status %d, want 200: %s", resp.StatusCode, tail(body))
		}
	})
}

// TestSilentChannelDeadline runs the function with a webhook that accepts the connection and never
// answers, on both runtimes with function timeouts of 10 s and 20 s: the failure, naming the webhook,
// must reach the runtime before the invocation's deadline, or FC records a timeout and loses it.
func TestSilentChannelDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		runtime string
		timeout time.Duration
	}{
		{"go1", 10 * time.Second}, {"go1", 20 * time.Second}, {"custom", 10 * time.Second}, {"custom", 20 * time.Second},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.runtime, tc.timeout), func(t *testing.T) {
			t.Parallel()
			e := newWorld(t)
			e.vendors.SetAnswers("webhook", notifytest.Answer{Silent: true})
			var msg string
			var margin time.Duration
			if tc.runtime == "go1" {
				rt, _ := e.startGo1()
				resp := invoke(t, rt, fcfake.Request{Body: timerEvent(e.cur), Timeout: tc.timeout})
				msg = errorOf(t, resp).ErrorMessage
				margin = resp.Deadline.Sub(resp.Received)
			} else {
				base, _ := e.startServe()
				req, err := http.NewRequest(http.MethodPost, base+"/invoke", bytes.NewReader(timerEvent(e.cur)))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("x-fc-request-id", "e2e-silent")
				req.Header.Set("x-fc-function-timeout", strconv.Itoa(int(tc.timeout/time.Second)))
				sent := time.Now()
				resp, err := (&http.Client{Timeout: maxWait}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				margin = time.Until(sent.Add(tc.timeout))
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("status %d, want 404 (a failed run): %s", resp.StatusCode, body)
				}
				r := decodeResult(t, body)
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
			if n := len(e.vendors.Posts("slack-webhook")); n != 1 {
				t.Errorf("Slack got %d posts, want 1", n)
			}
			if n := len(e.vendors.Posts("webhook")); n == 0 {
				t.Errorf("the silent webhook got no post: the failure is not its silence")
			}
		})
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// TestCommandLineInlineEventOverLimit is the command line's -e with an event of 1 MiB + 1 byte, in a
// healthy configuration: rejected with exit status 2, the limit named, and no API call. It runs in
// process, as the only event mode the end-to-end tests (e2e/) cannot reach: an argument of 1 MiB is
// more than Linux lets exec pass (128 KiB).
func TestCommandLineInlineEventOverLimit(t *testing.T) {
	api := ramfake.New(ramfake.Options{Users: []ramfake.User{{ID: "2073290024939201", Name: "alice"}}})
	t.Cleanup(api.Close)
	vendors := notifytest.NewVendors(t, nil)
	env := map[string]string{
		"RAM_USERS":                       "alice",
		"RAM_ENDPOINT":                    api.URL(),
		"IMS_ENDPOINT":                    api.URL(),
		"ACTIONTRAIL_ENDPOINT":            api.URL(),
		"SLACK_WEBHOOK_URL":               vendors.ChannelURL("slack-webhook", "/services/T000/B000/XXXX"),
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     "LTAI5tTestCaller00000001",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "test-secret",
	}
	ev := []byte(`{"mode":"digest","dryRun":true}`)
	over := append(ev, bytes.Repeat([]byte(" "), 1<<20+1-len(ev))...)
	var stdout, stderr bytes.Buffer
	code := run([]string{"-e", string(over)}, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	if code != exitRejected {
		t.Fatalf("main -e <1 MiB + 1 byte>: exit status %d, want %d\nstderr:\n%s", code, exitRejected, stderr.Bytes())
	}
	if msg := stderr.String(); !strings.Contains(msg, "1 MiB") || !strings.Contains(msg, "event") {
		t.Errorf("stderr: %q, want it to say the event is over 1 MiB", msg)
	}
	if n, m := api.TotalCalls(), vendors.Hits(); n != 0 || m != 0 || stdout.Len() != 0 {
		t.Errorf("the emulator got %d calls, the vendors %d posts, stdout %d bytes; want none", n, m, stdout.Len())
	}
}

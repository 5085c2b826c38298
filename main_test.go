package main

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/internal/offline"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
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
	env := api.EndpointEnv()
	maps.Copy(env, map[string]string{
		"RAM_USERS":                       "alice",
		"SLACK_WEBHOOK_URL":               vendors.ChannelURL("slack-webhook", "/services/T000/B000/XXXX"),
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     "LTAI5tTestCaller00000001",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "test-secret",
	})
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

// TestMain runs every test and benchmark of the package in an environment cleared of what the
// developer's shell could hold (offline.Isolate): proxies, Alibaba Cloud credentials and profiles, and
// the function's configuration variables, which the SDK or the code under test would otherwise read.
func TestMain(m *testing.M) {
	var names []string
	for _, v := range config.Vars(channels.All) {
		names = append(names, v.Name)
	}
	offline.Isolate(func(name, value string) { os.Setenv(name, value) }, names...)
	os.Exit(m.Run())
}

// TestEndpointEnvCoversEveryEndpoint checks that the emulator's EndpointEnv, from which every test,
// benchmark and the demo take their endpoints, sets every *_ENDPOINT variable of the configuration: an
// endpoint added to the configuration but not there would leave a run's calls at the public default.
func TestEndpointEnvCoversEveryEndpoint(t *testing.T) {
	api := ramfake.New(ramfake.Options{})
	t.Cleanup(api.Close)
	got := api.EndpointEnv()
	n := 0
	for _, v := range config.Vars(channels.All) {
		if !strings.HasSuffix(v.Name, "_ENDPOINT") {
			continue
		}
		n++
		if got[v.Name] != api.URL() {
			t.Errorf("EndpointEnv()[%s] = %q, want the emulator's URL %q", v.Name, got[v.Name], api.URL())
		}
	}
	if n == 0 {
		t.Fatal("config.Vars names no *_ENDPOINT variable")
	}
}

// TestMakefileExportsSwitches checks that every target of the Makefile runs with the Alibaba Cloud SDK
// kept off the ECS metadata service and the CLI's profile, whatever the shell holds.
func TestMakefileExportsSwitches(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make: %v", err)
	}
	cmd := exec.Command(mk, "-s", "--no-print-directory", "--eval",
		"print-switches: ; @echo $$ALIBABA_CLOUD_ECS_METADATA_DISABLED $$ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "print-switches")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ALIBABA_CLOUD_ECS_METADATA_DISABLED=false"}
	out, err := cmd.CombinedOutput()
	if got := strings.TrimSpace(string(out)); err != nil || got != "true true" {
		t.Errorf("a Makefile recipe sees ALIBABA_CLOUD_ECS_METADATA_DISABLED and ALIBABA_CLOUD_CLI_PROFILE_DISABLED = %q (%v), want \"true true\"", got, err)
	}
}

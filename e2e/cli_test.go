package e2e

// The command line: `main [run] [-f FILE | -e JSON]`, the result on stdout and the logs on stderr.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
)

// timerArg in a command line stands for the timer event of the test's fire time.
const timerArg = "<timer event>"

func TestCommandLine(t *testing.T) {
	t.Parallel()
	eventFile := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(eventFile, []byte(`{"mode":"digest","dryRun":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string // "" removes a variable
		setup func(e *world)
		stdin string
		args  []string
		code  int
		check func(t *testing.T, e *world, stdout, stderr []byte)
	}{
		{
			name: "dry-run digest", args: []string{"-e", `{"mode":"digest","dryRun":true}`},
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				r := decodeResult(t, stdout)
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
				if n := e.vendors.Hits(); n != 0 {
					t.Errorf("a dry run posted %d messages, want 0", n)
				}
				if len(stderr) == 0 {
					t.Errorf("stderr is empty, want the log")
				}
				checkJSONLines(t, "stderr", stderr)
			},
		},
		{
			name: "run subcommand with the event from stdin", stdin: `{"mode":"digest","dryRun":true}`, args: []string{"run", "-f", "-"},
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				if r := decodeResult(t, stdout); r.Mode != alert.ModeDigest || !r.DryRun {
					t.Errorf("result mode, dryRun = %q, %v; want digest, true (the event from stdin)", r.Mode, r.DryRun)
				}
			},
		},
		{
			name: "event from a file", args: []string{"-f", eventFile},
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				if r := decodeResult(t, stdout); r.Mode != alert.ModeDigest || !r.DryRun {
					t.Errorf("result mode, dryRun = %q, %v; want digest, true (the event from the file)", r.Mode, r.DryRun)
				}
			},
		},
		{
			name: "timer run delivers", args: []string{"-e", timerArg},
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				r := decodeResult(t, stdout)
				if diff := cmp.Diff(expectedAlerts(e.cur), withoutIDs(t, r.Alerts)); diff != "" {
					t.Errorf("result alerts (-want +got):\n%s", diff)
				}
				if n := len(e.vendors.Posts("slack-webhook")); n != 1 {
					t.Errorf("Slack got %d messages, want 1", n)
				}
				checkJSONLines(t, "stderr", stderr)
			},
		},
		{
			name: "malformed event", args: []string{"-e", `{"users":`}, code: 2,
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
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
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("ALERT_MODE")) {
					t.Errorf("stderr does not name ALERT_MODE:\n%s", stderr)
				}
			},
		},
		{
			name: "timer event without SCHEDULE", env: map[string]string{"SCHEDULE": ""}, args: []string{"-e", timerArg}, code: 2,
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("SCHEDULE")) {
					t.Errorf("stderr does not name SCHEDULE:\n%s", stderr)
				}
			},
		},
		{
			name: "NoPermission for every user", args: []string{"-e", `{}`}, code: 1,
			setup: func(e *world) {
				for _, id := range []string{aliceID, bobID, carolID, daveID} {
					e.ram.SetFault("ListAccessKeysInRecycleBin", id, ramfake.Deny)
				}
			},
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				r := decodeResult(t, stdout)
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
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				r := decodeResult(t, stdout)
				want := []alert.UserError{{Account: accountID, User: "ghost", Code: "EntityNotExist.User"}}
				got := slices.Clone(r.Errors)
				for i := range got {
					got[i].Message = ""
				}
				if r.UsersChecked != 2 || !cmp.Equal(want, got) {
					t.Errorf("result usersChecked, errors = %d, %+v; want 2, %+v", r.UsersChecked, r.Errors, want)
				}
				if n := len(e.vendors.Posts("slack-webhook")); n != 1 {
					t.Errorf("Slack got %d messages, want 1", n)
				}
			},
		},
		{
			name: "ListUsers denied for *", env: map[string]string{"RAM_USERS": "*"}, args: []string{"-e", `{"mode":"digest"}`}, code: 1,
			setup: func(e *world) { e.ram.SetFault("ListUsers", "", ramfake.Deny) },
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				if r := decodeResult(t, stdout); len(r.Errors) != 1 || r.Errors[0].User != "*" || r.Errors[0].Code != "NoPermission" {
					t.Errorf("result errors = %+v, want one NoPermission for \"*\"", r.Errors)
				}
			},
		},
		{
			name: "http webhook to a remote host", env: map[string]string{"SLACK_WEBHOOK_URL": "http://hooks.example.com" + slackPath}, args: []string{"-e", `{}`}, code: 2,
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("SLACK_WEBHOOK_URL")) {
					t.Errorf("stderr does not name SLACK_WEBHOOK_URL:\n%s", stderr)
				}
			},
		},
		{
			name: "DEBUG=sdk", env: map[string]string{"DEBUG": "sdk"}, args: []string{"-e", `{}`}, code: 2,
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("DEBUG")) {
					t.Errorf("stderr does not name DEBUG:\n%s", stderr)
				}
			},
		},
		{
			name: "now ahead of the clock", args: []string{"-e", fmt.Sprintf(`{"now":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))}, code: 2,
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
				if !bytes.Contains(stderr, []byte("now")) || e.ram.TotalCalls() != 0 {
					t.Errorf("stderr %q, %d API calls; want the problem with now and no call", stderr, e.ram.TotalCalls())
				}
			},
		},
		{name: "now in the year 0000", args: []string{"-e", `{"now":"0000-01-01T00:00:00Z","dryRun":true}`}, code: 2, check: rejectedNaming("now")},
		{name: "now in the year 9999", args: []string{"-e", `{"now":"9999-12-31T00:00:00Z","dryRun":true}`}, code: 2, check: rejectedNaming("now")},
		{name: "now far in the past", args: []string{"-e", `{"now":"1900-01-01T00:00:00Z"}`}, code: 2, check: rejectedNaming("now")},
		{name: "triggerTime in the year 9999", args: []string{"-e", `{"triggerTime":"9999-01-01T09:00:00Z"}`}, code: 2, check: rejectedNaming("triggerTime")},
		{name: "null threshold", args: []string{"-e", `{"thresholds":[null],"dryRun":true}`}, code: 2, check: rejectedNaming("thresholds[0]")},
		{name: "21 thresholds", args: []string{"-e", `{"thresholds":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21],"dryRun":true}`}, code: 2,
			check: rejectedNaming("thresholds")},
		{name: "threshold over 365 days", args: []string{"-e", `{"thresholds":[366],"dryRun":true}`}, code: 2, check: rejectedNaming("365")},
		{name: "ALERT_THRESHOLDS over 365 days", env: map[string]string{"ALERT_THRESHOLDS": "7,400"}, args: []string{"-e", `{}`}, code: 2,
			check: rejectedNaming("ALERT_THRESHOLDS")},
		{name: "FC_REGION with a space", env: map[string]string{"FC_REGION": "cn hangzhou"}, args: []string{"-e", `{}`}, code: 2, check: rejectedNaming("FC_REGION")},
		{name: "timeout 0", args: []string{"-timeout", "0", "-e", `{}`}, code: 2, check: rejectedNaming("-timeout")},
		{name: "negative timeout", args: []string{"-timeout", "-1s", "-e", `{}`}, code: 2, check: rejectedNaming("-timeout")},
		{
			name: "no such event file", args: []string{"-f", filepath.Join(t.TempDir(), "missing.json")}, code: 2,
		},
		{
			name: "both -f and -e", args: []string{"-f", eventFile, "-e", `{}`}, code: 2,
		},
		{
			name: "help", args: []string{"-h"},
			check: func(t *testing.T, e *world, stdout, stderr []byte) {
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
			e := newWorld(t)
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
				if a == timerArg {
					args[i] = string(timerEvent(e.cur))
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

// rejectedNaming checks a run rejected before any API call or post, with an error naming what.
func rejectedNaming(what string) func(t *testing.T, e *world, stdout, stderr []byte) {
	return func(t *testing.T, e *world, stdout, stderr []byte) {
		t.Helper()
		if !bytes.Contains(stderr, []byte(what)) {
			t.Errorf("stderr does not name %s:\n%s", what, stderr)
		}
		if n, m := e.ram.TotalCalls(), e.vendors.Hits(); n != 0 || m != 0 {
			t.Errorf("the emulator got %d calls and the vendors %d posts, want none", n, m)
		}
	}
}

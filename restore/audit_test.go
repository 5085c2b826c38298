package restore

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRefusalLimit(t *testing.T) {
	var l refusalLimit
	t0 := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	steps := []struct {
		user string
		at   time.Duration
		want bool
	}{
		{"U1", 0, true},
		{"U1", 59 * time.Second, false},
		{"U2", 59 * time.Second, true},
		{"U1", 60 * time.Second, true},
		{"U1", 61 * time.Second, false},
		{"U1", 10 * time.Second, false}, // the clock went back: still within a minute of the last one
		{"U1", -5 * time.Minute, true},
	}
	for i, s := range steps {
		if got := l.allow(s.user, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d: allow(%s, +%s) = %v, want %v", i, s.user, s.at, got, s.want)
		}
	}

	// A flood of users keeps the memory bounded and still lets a new user through.
	var f refusalLimit
	for i := range 3 * maxTracked {
		if !f.allow(fmt.Sprintf("U%07d", i), t0) {
			t.Fatalf("user %d refused, want each new user let through", i)
		}
	}
	if n := len(f.last); n > maxTracked {
		t.Errorf("%d users tracked, want at most %d", n, maxTracked)
	}
}

func TestSummary(t *testing.T) {
	by := SlackUser{SlackUserID: "U0ALICE01", SlackUserName: "alice", SlackActionTs: "1.2"}
	key := AuditData{AccountID: "1234567890123456", AccountName: "prod", UserID: "20732900249392001", UserName: "alice", AccessKeyID: "LTAI5tExampleKey1", RestoredBy: by}
	user := AuditData{AccountID: "1234567890123456", UserID: "20732900249392001", RestoredBy: by}
	hostile := key
	hostile.AccountName, hostile.RestoredBy.SlackUserName = "prod\n<!channel>", "al\u2028ice"
	tests := []struct {
		data AuditData
		o    Outcome
		want string
	}{
		{key, Restored, "AccessKey LTAI5tExampleKey1 of RAM user alice (20732900249392001) in account prod (1234567890123456) was restored from Slack by alice (U0ALICE01)"},
		{user, Restored, "RAM user 20732900249392001 in account 1234567890123456 was restored from Slack by alice (U0ALICE01)"},
		{key, AlreadyRestored, "AccessKey LTAI5tExampleKey1 of RAM user alice (20732900249392001) in account prod (1234567890123456): alice (U0ALICE01) clicked Restore, but it was already restored"},
		{user, Purged, "RAM user 20732900249392001 in account 1234567890123456: alice (U0ALICE01) clicked Restore, but it was already purged and cannot be restored"},
		{key, NotAllowed, "Slack user alice (U0ALICE01) clicked Restore on AccessKey LTAI5tExampleKey1 of RAM user alice (20732900249392001) in account prod (1234567890123456) but is not in RESTORE_ALLOWED_USERS: nothing was done"},
		{hostile, Restored, "AccessKey LTAI5tExampleKey1 of RAM user alice (20732900249392001) in account prod <!channel> (1234567890123456) was restored from Slack by al ice (U0ALICE01)"},
	}
	for _, tt := range tests {
		tt.data.Outcome = tt.o
		if got := (AuditEvent{Type: AuditType, Data: tt.data}).Summary(); got != tt.want {
			t.Errorf("Summary(%s) =\n%q\nwant\n%q", tt.o, got, tt.want)
		}
	}
}

func TestResponderCheck(t *testing.T) {
	api, err := parseAPIURL("http://127.0.0.1:8080/api/")
	if err != nil {
		t.Fatal(err)
	}
	withAPI, slackOnly := newResponder(nil, api), newResponder(nil, nil)
	tests := []struct {
		url                string
		slackOnly, withAPI bool
	}{
		{"https://hooks.slack.com/actions/T0/1/abc", true, true},
		{"https://hooks.slack.com/commands/T0/1/abc", true, true},
		{"http://127.0.0.1:8080/actions/T0/1/abc", false, true},
		{"https://127.0.0.1:8080/actions/T0/1/abc", false, false},
		{"http://127.0.0.1:8081/actions/T0/1/abc", false, false},
		{"http://hooks.slack.com/actions/T0/1/abc", false, false},
		{"https://hooks.slack.com:8443/actions/T0/1/abc", false, false},
		{"https://hooks.slack.com.evil.example/actions", false, false},
		{"https://evil.example/hooks.slack.com/actions", false, false},
		{"https://hooks.slack.com@evil.example/actions", false, false},
		{"https://user@hooks.slack.com/actions", false, false},
		{"hooks.slack.com/actions", false, false},
		{"", false, false},
		{"https://hooks.slack.com\x00/a", false, false},
	}
	for _, tt := range tests {
		if got := slackOnly.check(tt.url) == nil; got != tt.slackOnly {
			t.Errorf("without SLACK_API_URL, check(%q) allows = %v, want %v", tt.url, got, tt.slackOnly)
		}
		if got := withAPI.check(tt.url) == nil; got != tt.withAPI {
			t.Errorf("with SLACK_API_URL, check(%q) allows = %v, want %v", tt.url, got, tt.withAPI)
		}
		if err := withAPI.check(tt.url); err != nil && len(tt.url) > 10 && containsAny(err.Error(), tt.url, "/actions", "abc") {
			t.Errorf("check(%q) = %v: the error quotes the URL", tt.url, err)
		}
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

package restore

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testTokenSecret   = "test-restore-token-secret-0123456789abcdef"
	testSigningSecret = "test-signing-secret-0123456789ab"
	testBotToken      = "xoxb-test-bot-token-0000000000"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func restoreEnv(extra map[string]string) map[string]string {
	vars := map[string]string{
		"SLACK_SIGNING_SECRET":  testSigningSecret,
		"SLACK_TEAM_ID":         "T0TEAM001",
		"SLACK_APP_ID":          "A0APP0001",
		"RESTORE_ALLOWED_USERS": "U0ALICE01, W0BOB0002,U0ALICE01",
		"RESTORE_TOKEN_SECRET":  testTokenSecret,
		"SLACK_BOT_TOKEN":       testBotToken,
	}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want *Config
	}{
		{
			name: "restore off",
			env:  map[string]string{},
			want: &Config{MemberRoleName: DefaultMemberRoleName},
		},
		{
			name: "buttons only (the alert function)",
			env:  map[string]string{"RESTORE_TOKEN_SECRET": " " + testTokenSecret + " ", "SLACK_TEAM_ID": "ignored"},
			want: &Config{TokenSecret: testTokenSecret, MemberRoleName: DefaultMemberRoleName},
		},
		{
			name: "the restore function",
			env:  restoreEnv(map[string]string{"MEMBER_RESTORE_ROLE_NAME": "restorer.v2", "SLACK_API_URL": "http://127.0.0.1:8080/api/"}),
			want: &Config{
				SigningSecret: testSigningSecret, TeamID: "T0TEAM001", AppID: "A0APP0001",
				AllowedUsers: []string{"U0ALICE01", "W0BOB0002"}, TokenSecret: testTokenSecret,
				MemberRoleName: "restorer.v2", SlackAPIURL: "http://127.0.0.1:8080/api/",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadConfig(env(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadConfig (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // each problem's start, in order
	}{
		{
			name: "restore on with nothing else",
			env:  map[string]string{"SLACK_SIGNING_SECRET": testSigningSecret},
			want: []string{"SLACK_TEAM_ID: required", "SLACK_APP_ID: required", "RESTORE_TOKEN_SECRET: required", "RESTORE_ALLOWED_USERS: required"},
		},
		{
			name: "malformed values",
			env: restoreEnv(map[string]string{
				"SLACK_TEAM_ID": "workspace", "SLACK_APP_ID": "A", "RESTORE_ALLOWED_USERS": "U0ALICE01,,U0BOB",
				"MEMBER_RESTORE_ROLE_NAME": "bad_role", "SLACK_API_URL": "http://slack.example.com/api/",
			}),
			want: []string{
				"MEMBER_RESTORE_ROLE_NAME: not a RAM role name",
				"SLACK_API_URL: http:// is allowed only to a loopback address",
				"SLACK_TEAM_ID: not a Slack workspace ID",
				"SLACK_APP_ID: not a Slack app ID",
				"RESTORE_ALLOWED_USERS: entry 2 is empty",
			},
		},
		{
			name: "a user name for a user ID",
			env:  restoreEnv(map[string]string{"RESTORE_ALLOWED_USERS": "alice"}),
			want: []string{"RESTORE_ALLOWED_USERS: entry 1 is not a Slack user ID"},
		},
		{
			name: "the buttons' secret is the signing secret",
			env:  restoreEnv(map[string]string{"SLACK_SIGNING_SECRET": strings.Repeat("s", 40), "RESTORE_TOKEN_SECRET": strings.Repeat("s", 40)}),
			want: []string{"RESTORE_TOKEN_SECRET: must not be SLACK_SIGNING_SECRET"},
		},
		{
			name: "weak secrets",
			env:  restoreEnv(map[string]string{"RESTORE_TOKEN_SECRET": "short-secret", "SLACK_SIGNING_SECRET": "has a space in it!"}),
			want: []string{"RESTORE_TOKEN_SECRET: 12 characters long, want at least 32", "SLACK_SIGNING_SECRET: holds a space"},
		},
		{
			name: "a bad token secret without restore",
			env:  map[string]string{"RESTORE_TOKEN_SECRET": "tiny"},
			want: []string{"RESTORE_TOKEN_SECRET: 4 characters long"},
		},
		{
			name: "an API URL with a password",
			env:  map[string]string{"SLACK_API_URL": "https://user:hunter2hunter2@slack.example.com/api/"},
			want: []string{"SLACK_API_URL: must not hold a user name or password"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(env(tt.env))
			ce, ok := err.(*ConfigError)
			if !ok {
				t.Fatalf("LoadConfig = %+v, %v; want a *ConfigError", c, err)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Fatalf("LoadConfig problems = %q, want %d: %q", ce.Problems, len(tt.want), tt.want)
			}
			for i, p := range ce.Problems {
				if !strings.HasPrefix(p, tt.want[i]) {
					t.Errorf("problem %d = %q, want it to start with %q", i, p, tt.want[i])
				}
			}
			for _, v := range tt.env {
				if len(v) >= 8 && (strings.Contains(v, "secret") || strings.Contains(v, "hunter2")) && strings.Contains(err.Error(), v) {
					t.Errorf("the error %q holds a secret", err)
				}
			}
		})
	}
}

func TestConfigHidesSecrets(t *testing.T) {
	c, err := LoadConfig(env(restoreEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{testSigningSecret, testTokenSecret}, c.Secrets()); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("configured", "restore", c)
	for _, s := range c.Secrets() {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the logged configuration holds a secret: %s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"teamId":"T0TEAM001"`) {
		t.Errorf("the logged configuration lacks its team: %s", logs.String())
	}
}

func TestVarsFlagSecrets(t *testing.T) {
	secret := map[string]bool{}
	for _, v := range Vars {
		secret[v.Name] = v.Secret
	}
	want := map[string]bool{
		"RESTORE_TOKEN_SECRET": true, "SLACK_SIGNING_SECRET": true, "SLACK_TEAM_ID": false,
		"SLACK_APP_ID": false, "RESTORE_ALLOWED_USERS": false, "MEMBER_RESTORE_ROLE_NAME": false,
	}
	if diff := cmp.Diff(want, secret); diff != "" {
		t.Errorf("Vars (-want +got):\n%s", diff)
	}
}

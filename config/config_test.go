package config

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
)

// environ is a fake environment with one working channel and the required users.
func environ(kv ...string) func(string) string {
	m := map[string]string{"RAM_USERS": "alice", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/secretpath"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(environ(), channels.All)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	want := []time.Duration{24 * time.Hour, 72 * time.Hour, 168 * time.Hour}
	if diff := cmp.Diff(want, c.Handler.Thresholds); diff != "" {
		t.Errorf("Thresholds (-want +got):\n%s", diff)
	}
	h := c.Handler
	if h.Mode != "crossing" || !h.AlertOnRecycle || h.DryRun || h.Location != time.UTC || c.Reader.Region != alibaba.DefaultRegion || h.Schedule != nil {
		t.Errorf("Load() defaults = mode %q, onRecycle %v, dry %v, loc %v, region %q, schedule %v", h.Mode, h.AlertOnRecycle, h.DryRun, h.Location, c.Reader.Region, h.Schedule)
	}
	if !h.LookupDeleter || c.Reader.ActionTrailEndpoint != "" {
		t.Errorf("Load() defaults = lookUpDeleter %v, ActionTrail endpoint %q; want true and the default", h.LookupDeleter, c.Reader.ActionTrailEndpoint)
	}
	if len(c.channels) != 1 || c.channels[0].spec.Name != "slack-webhook" {
		t.Errorf("Load() channels = %+v, want the Slack webhook", c.channels)
	}
	if h.Accounts != nil || h.MemberRole != "ak-recycle-alert-reader" || c.Reader.STSEndpoint != "" || c.Reader.ResourceManagerEndpoint != "" {
		t.Errorf("Load() accounts %q, member role %q, STS %q, Resource Manager %q; want the own account, ak-recycle-alert-reader and the default endpoints",
			h.Accounts, h.MemberRole, c.Reader.STSEndpoint, c.Reader.ResourceManagerEndpoint)
	}
	if c.LogLevel.String() != "INFO" {
		t.Errorf("LogLevel = %v, want INFO", c.LogLevel)
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(environ(
		"RAM_USERS", " alice, 2073290024939201 ,bob@corp.onaliyun.com",
		"ALERT_THRESHOLDS", "36h,7d,1,1",
		"ALERT_ON_RECYCLE", "false",
		"ALERT_MODE", "Digest",
		"SCHEDULE", "CRON_TZ=Asia/Shanghai 0 0 9 * * *",
		"TIMEZONE", "Asia/Shanghai",
		"ACCOUNT_LABEL", "prod",
		"FC_ACCOUNT_ID", "1234567890123456",
		"FC_REGION", "cn-shanghai",
		"SLACK_BOT_TOKEN", "xoxb-1-2-3", "SLACK_CHANNEL", "C0123",
		"SLACK_API_URL", "http://127.0.0.1:9/api",
		"WEBHOOK_URL", "https://example.com/hook", "WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"DINGTALK_WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send?access_token=tok", "DINGTALK_SECRET", "SECabc",
		"RAM_ENDPOINT", "ram.vpc-proxy.aliyuncs.com", "IMS_ENDPOINT", "http://127.0.0.1:8080",
		"STS_ENDPOINT", "sts-vpc.cn-shanghai.aliyuncs.com", "RESOURCEMANAGER_ENDPOINT", "http://127.0.0.1:8081",
		"ACCOUNTS", " 1000000000000001, 1234567890123456,1000000000000001", "MEMBER_ROLE_NAME", "rd-reader.v2",
		"ACTIONTRAIL_ENDPOINT", "actiontrail.cn-hangzhou.aliyuncs.com", "LOOKUP_DELETER", "false",
		"LOG_LEVEL", "debug",
	), channels.All)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	h := c.Handler
	if diff := cmp.Diff([]string{"alice", "2073290024939201", "bob@corp.onaliyun.com"}, h.Users); diff != "" {
		t.Errorf("Users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{24 * time.Hour, 36 * time.Hour, 168 * time.Hour}, h.Thresholds); diff != "" {
		t.Errorf("Thresholds (-want +got):\n%s", diff)
	}
	if h.Mode != "digest" || h.AlertOnRecycle || h.Location.String() != "Asia/Shanghai" || h.AccountLabel != "prod" ||
		h.AccountID != "1234567890123456" || c.Reader.Region != "cn-shanghai" || h.Schedule == nil || c.Reader.RAMEndpoint == "" || c.Reader.IMSEndpoint == "" {
		t.Errorf("Load() = %+v", c)
	}
	if h.LookupDeleter || c.Reader.ActionTrailEndpoint != "actiontrail.cn-hangzhou.aliyuncs.com" {
		t.Errorf("Load() lookUpDeleter %v, ActionTrail endpoint %q; want false and actiontrail.cn-hangzhou.aliyuncs.com", h.LookupDeleter, c.Reader.ActionTrailEndpoint)
	}
	if c.LogLevel.String() != "DEBUG" {
		t.Errorf("LogLevel = %v, want DEBUG", c.LogLevel)
	}
	if diff := cmp.Diff([]string{"1000000000000001", "1234567890123456"}, h.Accounts); diff != "" {
		t.Errorf("Accounts (-want +got):\n%s", diff)
	}
	if h.MemberRole != "rd-reader.v2" || c.Reader.STSEndpoint != "sts-vpc.cn-shanghai.aliyuncs.com" || c.Reader.ResourceManagerEndpoint != "http://127.0.0.1:8081" {
		t.Errorf("Load() member role %q, STS %q, Resource Manager %q", h.MemberRole, c.Reader.STSEndpoint, c.Reader.ResourceManagerEndpoint)
	}
	var names []string
	for _, ch := range c.channels {
		names = append(names, ch.spec.Name)
	}
	if diff := cmp.Diff([]string{"slack-webhook", "slack", "webhook", "dingtalk"}, names); diff != "" {
		t.Errorf("Channels (-want +got):\n%s", diff)
	}
	if got := c.channels[1].values; got["SLACK_CHANNEL"] != "C0123" || got["SLACK_API_URL"] != "http://127.0.0.1:9/api" {
		t.Errorf("the bot's values = %v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	secret := "https://hooks.slack.com/services/T0/B0/XOXSECRET"
	tests := []struct {
		name string
		env  func(string) string
		want []string // each must appear in the error
	}{
		{"no users", environ("RAM_USERS", " "), []string{"RAM_USERS: required"}},
		{"empty entry", environ("RAM_USERS", "alice,,bob"), []string{"RAM_USERS: entry 2 is empty"}},
		{"star not alone", environ("RAM_USERS", "alice,*"), []string{"RAM_USERS: * (every RAM user) must be the only entry"}},
		{"bad user", environ("RAM_USERS", "al ice"), []string{`RAM_USERS: entry "al ice"`}},
		{"bad threshold", environ("ALERT_THRESHOLDS", "7,x"), []string{"ALERT_THRESHOLDS:"}},
		{"short account", environ("ACCOUNTS", "1000000000000001,12345"), []string{`ACCOUNTS: entry "12345" is not an account ID (16 digits)`}},
		{"star among accounts", environ("ACCOUNTS", "*,1000000000000001"), []string{"ACCOUNTS: * (every account of the Resource Directory) must be the only entry"}},
		{"empty account", environ("ACCOUNTS", "1000000000000001,"), []string{"ACCOUNTS: entry 2 is empty"}},
		{"own account ID malformed", environ("ACCOUNTS", "*", "FC_ACCOUNT_ID", "12x"), []string{`FC_ACCOUNT_ID: "12x" is not an account ID (16 digits), which ACCOUNTS needs to tell the function's own account from the members`}},
		{"bad role name", environ("MEMBER_ROLE_NAME", "reader/admin"), []string{`MEMBER_ROLE_NAME: "reader/admin" is not a RAM role name`}},
		{"bad STS endpoint", environ("STS_ENDPOINT", "https://u:XOXSECRET@sts.aliyuncs.com"), []string{"STS_ENDPOINT: endpoint must not contain user info"}},
		{"bad Resource Manager endpoint", environ("RESOURCEMANAGER_ENDPOINT", "http://resourcemanager.aliyuncs.com"), []string{"RESOURCEMANAGER_ENDPOINT:"}},
		{"bad bool", environ("ALERT_ON_RECYCLE", "yes please"), []string{"ALERT_ON_RECYCLE:", "not a boolean"}},
		{"bad mode", environ("ALERT_MODE", "loud"), []string{`ALERT_MODE: unknown mode "loud"`}},
		{"bad schedule", environ("SCHEDULE", "0 0 9 * * 1"), []string{"SCHEDULE:"}},
		{"bad zone", environ("TIMEZONE", "Mars/Base"), []string{`TIMEZONE: unknown time zone "Mars/Base"`}},
		{"http to remote", environ("SLACK_WEBHOOK_URL", "http://hooks.slack.com/services/T0/B0/XOXSECRET"), []string{"SLACK_WEBHOOK_URL: http://hooks.slack.com is not allowed"}},
		{"relative url", environ("WEBHOOK_URL", "example.com/hook?token=XOXSECRET"), []string{"WEBHOOK_URL: not an absolute URL"}},
		{"ftp url", environ("WECOM_WEBHOOK_URL", "ftp://u:XOXSECRET@host/x"), []string{`WECOM_WEBHOOK_URL: scheme "ftp" is not allowed`}},
		{"token without channel", environ("SLACK_BOT_TOKEN", "xoxb-XOXSECRET"), []string{"SLACK_CHANNEL: required with SLACK_BOT_TOKEN"}},
		{"channel without token", environ("SLACK_CHANNEL", "C1"), []string{"SLACK_BOT_TOKEN: required with SLACK_CHANNEL"}},
		{"not a token", environ("SLACK_BOT_TOKEN", "XOXSECRET", "SLACK_CHANNEL", "C1"), []string{"SLACK_BOT_TOKEN: not a Slack token"}},
		{"bad whsec", environ("WEBHOOK_URL", "https://e.com/h", "WEBHOOK_SECRET", "XOXSECRET"), []string{"WEBHOOK_SECRET: must be whsec_"}},
		{"whsec too short", environ("WEBHOOK_URL", "https://e.com/h", "WEBHOOK_SECRET", "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="), []string{"WEBHOOK_SECRET: the key is 16 bytes"}},
		{"whsec not base64", environ("WEBHOOK_URL", "https://e.com/h", "WEBHOOK_SECRET", "whsec_XOXSECRET!!"), []string{"WEBHOOK_SECRET: the part after whsec_ is not valid base64"}},
		{"secret without url", environ("DINGTALK_SECRET", "SECXOXSECRET"), []string{"DINGTALK_SECRET: set without DINGTALK_WEBHOOK_URL"}},
		{"dingtalk secret", environ("DINGTALK_WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send?access_token=XOXSECRET", "DINGTALK_SECRET", "XOXSECRET"), []string{"DINGTALK_SECRET: not a DingTalk signing secret"}},
		{"bad endpoint", environ("RAM_ENDPOINT", "http://ram.aliyuncs.com"), []string{"RAM_ENDPOINT:"}},
		{"bad ActionTrail endpoint", environ("ACTIONTRAIL_ENDPOINT", "https://u:XOXSECRET@actiontrail.example.com"), []string{"ACTIONTRAIL_ENDPOINT: endpoint must not contain user info"}},
		{"bad LOOKUP_DELETER", environ("LOOKUP_DELETER", "maybe"), []string{`LOOKUP_DELETER: "maybe" is not a boolean`}},
		{"bad log level", environ("LOG_LEVEL", "chatty"), []string{`LOG_LEVEL: unknown level "chatty"`}},
		{"debug sdk", environ("DEBUG", "sdk,signer"), []string{"DEBUG: contains \"sdk\""}},
		{"region with a space", environ("FC_REGION", "cn hangzhou"), []string{`FC_REGION: "cn hangzhou" is not a region ID such as cn-hangzhou`}},
		{"region with markup", environ("FC_REGION", "<!channel>"), []string{`FC_REGION: "??channel?" is not a region ID`}},
		{"21 thresholds", environ("ALERT_THRESHOLDS", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21"), []string{"ALERT_THRESHOLDS: 21 thresholds: at most 20"}},
		{"threshold over a year", environ("ALERT_THRESHOLDS", "7,400"), []string{`ALERT_THRESHOLDS: threshold "400": at most 365 days`}},
		{"long mode quoted short", environ("ALERT_MODE", strings.Repeat("x", 100000)), []string{`ALERT_MODE: unknown mode "` + strings.Repeat("x", 40) + `"…`}},
		{"AccessKey ID without secret", environ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tConfigTestKey00001"), []string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET: required with ALIBABA_CLOUD_ACCESS_KEY_ID"}},
		{"AccessKey secret without ID", environ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "XOXSECRET"), []string{"ALIBABA_CLOUD_ACCESS_KEY_ID: required with ALIBABA_CLOUD_ACCESS_KEY_SECRET"}},
		{"security token alone", environ("ALIBABA_CLOUD_SECURITY_TOKEN", "XOXSECRET"), []string{"ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: required with ALIBABA_CLOUD_SECURITY_TOKEN"}},
		{"no channel", environ("SLACK_WEBHOOK_URL", ""), []string{"no channel configured"}},
		{"several at once", environ("ALERT_MODE", "x", "TIMEZONE", "Nowhere/City", "SLACK_WEBHOOK_URL", secret, "LOG_LEVEL", "x"), []string{"ALERT_MODE:", "TIMEZONE:", "LOG_LEVEL:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env, channels.All)
			if err == nil {
				t.Fatalf("Load() = %+v, want an error", c)
			}
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("Load() error %T, want *configError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "configuration error: ") {
				t.Errorf("Load() error = %q, want the prefix \"configuration error: \"", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Load() error = %q, want it to contain %q", msg, w)
				}
			}
			for _, s := range []string{"XOXSECRET", "secretpath", "/services/"} {
				if strings.Contains(msg, s) {
					t.Errorf("Load() error = %q holds a secret (%q)", msg, s)
				}
			}
		})
	}
}

func TestLoadCredentials(t *testing.T) {
	tests := []struct {
		name string
		env  func(string) string
		want *alibaba.Credentials
	}{
		{name: "none", env: environ()},
		{name: "AccessKey", env: environ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tConfigTestKey00001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ak-secret-1"),
			want: &alibaba.Credentials{AccessKeyID: "LTAI5tConfigTestKey00001", AccessKeySecret: "ak-secret-1"}},
		{name: "STS", env: environ("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.NConfigTestKey0000001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sts-secret-1",
			"ALIBABA_CLOUD_SECURITY_TOKEN", "CAIS-token-1"),
			want: &alibaba.Credentials{AccessKeyID: "STS.NConfigTestKey0000001", AccessKeySecret: "sts-secret-1", SecurityToken: "CAIS-token-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env, channels.All)
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			if diff := cmp.Diff(tt.want, c.Reader.Credentials); diff != "" {
				t.Errorf("Credentials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlackAPIURLWithoutBotToken(t *testing.T) {
	// s.yaml always sets SLACK_API_URL to its default; with a webhook only, that must not be an error.
	if _, err := Load(environ("SLACK_API_URL", "https://slack.com/api/"), channels.All); err != nil {
		t.Errorf("Load(SLACK_API_URL without bot token) = %v, want nil", err)
	}
}

func TestDryRunNeedsNoChannel(t *testing.T) {
	if _, err := Load(environ("SLACK_WEBHOOK_URL", "", "DRY_RUN", "true"), channels.All); err != nil {
		t.Errorf("Load(DRY_RUN=true, no channel) = %v, want nil", err)
	}
}

// TestVarsCoverEverythingRead proves that every variable Load reads is documented in Vars (and so wired
// in s.yaml and the README) or is a platform variable, and that Load reads every variable of Vars, as
// an alert function or a restore function.
func TestVarsCoverEverythingRead(t *testing.T) {
	read := map[string]bool{}
	for _, base := range []func(string) string{environ(), environ(restoreEnv...)} {
		Load(func(k string) string { read[k] = true; return base(k) }, channels.All)
	}
	vars := Vars(channels.All)
	for name := range read {
		known := slices.Contains(platform, name)
		for _, v := range vars {
			known = known || v.Name == name
		}
		if !known {
			t.Errorf("Load reads %s, which is neither in Vars nor in platform", name)
		}
	}
	for _, v := range vars {
		if !read[v.Name] {
			t.Errorf("Vars lists %s, which Load never reads", v.Name)
		}
	}
}

// TestNoChannelMessage: the message names what turns on each channel of the registry.
func TestNoChannelMessage(t *testing.T) {
	_, err := Load(environ("SLACK_WEBHOOK_URL", ""), channels.All)
	want := "no channel configured: set SLACK_WEBHOOK_URL, SLACK_BOT_TOKEN with SLACK_CHANNEL, WEBHOOK_URL, DINGTALK_WEBHOOK_URL, FEISHU_WEBHOOK_URL or WECOM_WEBHOOK_URL, or DRY_RUN=true"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load(no channel) = %v, want %q", err, want)
	}
}

func TestNewChannels(t *testing.T) {
	c, err := Load(environ("WEBHOOK_URL", "https://example.com/hook", "DINGTALK_WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send?access_token=tok"), channels.All)
	if err != nil {
		t.Fatal(err)
	}
	chans, err := c.NewChannels(http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range chans {
		names = append(names, ch.Name())
	}
	if diff := cmp.Diff([]string{"slack-webhook", "webhook", "dingtalk"}, names); diff != "" {
		t.Errorf("NewChannels() (-want +got):\n%s", diff)
	}
	// A channel that cannot be built is a configuration error naming its variables.
	bad := &Config{channels: []channel{{spec: channels.All[2], values: map[string]string{"WEBHOOK_URL": "ftp://x/S3CRET"}}}}
	if _, err := bad.NewChannels(http.DefaultClient); err == nil || !strings.HasPrefix(err.Error(), "configuration error: WEBHOOK_URL, WEBHOOK_SECRET: webhook: URL:") ||
		strings.Contains(err.Error(), "S3CRET") {
		t.Errorf("NewChannels(ftp) = %v, want a configuration error naming the variables, not the URL's path", err)
	}
}

// restoreEnv is a restore function's configuration.
var restoreEnv = []string{
	"SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5",
	"SLACK_TEAM_ID", "T0TEAM0001",
	"SLACK_APP_ID", "A0APP00001",
	"RESTORE_ALLOWED_USERS", "U0ALICE01,U0BOB0001",
	"RESTORE_TOKEN_SECRET", "restore-token-secret-0123456789abcdef",
}

// TestRestoreFunction: a restore function needs neither RAM_USERS nor a channel, which only checks need
// (CheckErr says so), and its problems are the configuration's, each naming its variable and none
// quoting a secret.
func TestRestoreFunction(t *testing.T) {
	t.Run("no RAM_USERS, no channel", func(t *testing.T) {
		c, err := Load(environ(append([]string{"RAM_USERS", "", "SLACK_WEBHOOK_URL", ""}, restoreEnv...)...), channels.All)
		if err != nil {
			t.Fatalf("Load(restore function) = %v, want nil", err)
		}
		if !c.Restore.Enabled() || c.Restore.TeamID != "T0TEAM0001" {
			t.Errorf("Restore = %v, want enabled for T0TEAM0001", c.Restore)
		}
		want := "configuration error: this is a restore function (SLACK_SIGNING_SECRET is set), which runs no check; RAM_USERS: required"
		if c.CheckErr == nil || !strings.HasPrefix(c.CheckErr.Error(), want) || !strings.Contains(c.CheckErr.Error(), "no channel configured") {
			t.Errorf("CheckErr = %v, want %q… and no channel configured", c.CheckErr, want)
		}
	})
	t.Run("with RAM_USERS and a channel", func(t *testing.T) {
		c, err := Load(environ(restoreEnv...), channels.All)
		if err != nil {
			t.Fatalf("Load(restore function that also checks) = %v, want nil", err)
		}
		if c.CheckErr != nil || !c.Restore.Enabled() {
			t.Errorf("CheckErr, Enabled = %v, %v; want nil, true", c.CheckErr, c.Restore.Enabled())
		}
	})
	t.Run("an alert function still needs RAM_USERS", func(t *testing.T) {
		_, err := Load(environ("RAM_USERS", ""), channels.All)
		if err == nil || !strings.Contains(err.Error(), "RAM_USERS: required") {
			t.Errorf("Load(no RAM_USERS) = %v, want RAM_USERS: required", err)
		}
	})
	t.Run("restore problems are configuration errors", func(t *testing.T) {
		_, err := Load(environ("SLACK_SIGNING_SECRET", "short S3CRET", "RESTORE_TOKEN_SECRET", "tiny-S3CRET"), channels.All)
		for _, want := range []string{"SLACK_SIGNING_SECRET: ", "SLACK_TEAM_ID: required", "SLACK_APP_ID: required", "RESTORE_ALLOWED_USERS: required", "RESTORE_TOKEN_SECRET: "} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Load(bad restore settings) = %v, want it to say %q", err, want)
			}
		}
		if err != nil && strings.Contains(err.Error(), "S3CRET") {
			t.Errorf("Load(bad restore settings) = %v, quotes a secret", err)
		}
	})
	t.Run("buttons on the alert function's channels", func(t *testing.T) {
		c, err := Load(environ("RESTORE_TOKEN_SECRET", "restore-token-secret-0123456789abcdef"), channels.All)
		if err != nil {
			t.Fatalf("Load(RESTORE_TOKEN_SECRET) = %v, want nil", err)
		}
		if !c.Restore.Buttons() || c.Restore.Enabled() {
			t.Errorf("Buttons, Enabled = %v, %v; want true, false", c.Restore.Buttons(), c.Restore.Enabled())
		}
		if _, err := c.NewChannels(http.DefaultClient); err != nil {
			t.Errorf("NewChannels() = %v", err)
		}
	})
}

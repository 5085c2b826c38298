package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alibaba"
)

// env is a fake environment with one working channel and the required users.
func env(kv ...string) func(string) string {
	m := map[string]string{"RAM_USERS": "alice", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/secretpath"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env())
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	want := []time.Duration{24 * time.Hour, 72 * time.Hour, 168 * time.Hour}
	if diff := cmp.Diff(want, c.Thresholds); diff != "" {
		t.Errorf("Thresholds (-want +got):\n%s", diff)
	}
	if c.Mode != "crossing" || !c.AlertOnRecycle || c.DryRun || c.Location != time.UTC || c.Region != alibaba.DefaultRegion || c.Schedule != nil {
		t.Errorf("Load() defaults = mode %q, onRecycle %v, dry %v, loc %v, region %q, schedule %v", c.Mode, c.AlertOnRecycle, c.DryRun, c.Location, c.Region, c.Schedule)
	}
	if c.LogLevel.String() != "INFO" {
		t.Errorf("LogLevel = %v, want INFO", c.LogLevel)
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(env(
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
		"LOG_LEVEL", "debug",
	))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if diff := cmp.Diff([]string{"alice", "2073290024939201", "bob@corp.onaliyun.com"}, c.Users); diff != "" {
		t.Errorf("Users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{24 * time.Hour, 36 * time.Hour, 168 * time.Hour}, c.Thresholds); diff != "" {
		t.Errorf("Thresholds (-want +got):\n%s", diff)
	}
	if c.Mode != "digest" || c.AlertOnRecycle || c.Location.String() != "Asia/Shanghai" || c.AccountLabel != "prod" ||
		c.AccountID != "1234567890123456" || c.Region != "cn-shanghai" || c.Schedule == nil || c.RAMEndpoint == "" || c.IMSEndpoint == "" {
		t.Errorf("Load() = %+v", c)
	}
	if len(c.Secrets()) != 6 {
		t.Errorf("Secrets() has %d values, want 6", len(c.Secrets()))
	}
}

func TestLoadErrors(t *testing.T) {
	secret := "https://hooks.slack.com/services/T0/B0/XOXSECRET"
	tests := []struct {
		name string
		env  func(string) string
		want []string // each must appear in the error
	}{
		{"no users", env("RAM_USERS", " "), []string{"RAM_USERS: required"}},
		{"empty entry", env("RAM_USERS", "alice,,bob"), []string{"RAM_USERS: entry 2 is empty"}},
		{"star not alone", env("RAM_USERS", "alice,*"), []string{"RAM_USERS: * (every RAM user) must be the only entry"}},
		{"bad user", env("RAM_USERS", "al ice"), []string{`RAM_USERS: entry "al ice"`}},
		{"bad threshold", env("ALERT_THRESHOLDS", "7,x"), []string{"ALERT_THRESHOLDS:"}},
		{"bad bool", env("ALERT_ON_RECYCLE", "yes please"), []string{"ALERT_ON_RECYCLE:", "not a boolean"}},
		{"bad mode", env("ALERT_MODE", "loud"), []string{`ALERT_MODE: unknown mode "loud"`}},
		{"bad schedule", env("SCHEDULE", "0 0 9 * * 1"), []string{"SCHEDULE:"}},
		{"bad zone", env("TIMEZONE", "Mars/Base"), []string{`TIMEZONE: unknown time zone "Mars/Base"`}},
		{"http to remote", env("SLACK_WEBHOOK_URL", "http://hooks.slack.com/services/T0/B0/XOXSECRET"), []string{"SLACK_WEBHOOK_URL: http://hooks.slack.com is not allowed"}},
		{"relative url", env("WEBHOOK_URL", "example.com/hook?token=XOXSECRET"), []string{"WEBHOOK_URL: not an absolute URL"}},
		{"ftp url", env("WECOM_WEBHOOK_URL", "ftp://u:XOXSECRET@host/x"), []string{`WECOM_WEBHOOK_URL: scheme "ftp" is not allowed`}},
		{"token without channel", env("SLACK_BOT_TOKEN", "xoxb-XOXSECRET"), []string{"SLACK_CHANNEL: required with SLACK_BOT_TOKEN"}},
		{"channel without token", env("SLACK_CHANNEL", "C1"), []string{"SLACK_BOT_TOKEN: required with SLACK_CHANNEL"}},
		{"not a token", env("SLACK_BOT_TOKEN", "XOXSECRET", "SLACK_CHANNEL", "C1"), []string{"SLACK_BOT_TOKEN: not a Slack token"}},
		{"bad whsec", env("WEBHOOK_URL", "https://e.com/h", "WEBHOOK_SECRET", "XOXSECRET"), []string{"WEBHOOK_SECRET: must be whsec_"}},
		{"whsec too short", env("WEBHOOK_URL", "https://e.com/h", "WEBHOOK_SECRET", "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="), []string{"WEBHOOK_SECRET: the key is 16 bytes"}},
		{"whsec not base64", env("WEBHOOK_URL", "https://e.com/h", "WEBHOOK_SECRET", "whsec_XOXSECRET!!"), []string{"WEBHOOK_SECRET: the part after whsec_ is not valid base64"}},
		{"secret without url", env("DINGTALK_SECRET", "SECXOXSECRET"), []string{"DINGTALK_SECRET: set without DINGTALK_WEBHOOK_URL"}},
		{"dingtalk secret", env("DINGTALK_WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send?access_token=XOXSECRET", "DINGTALK_SECRET", "XOXSECRET"), []string{"DINGTALK_SECRET: not a DingTalk signing secret"}},
		{"bad endpoint", env("RAM_ENDPOINT", "http://ram.aliyuncs.com"), []string{"RAM_ENDPOINT:"}},
		{"bad log level", env("LOG_LEVEL", "chatty"), []string{`LOG_LEVEL: unknown level "chatty"`}},
		{"debug sdk", env("DEBUG", "sdk,signer"), []string{"DEBUG: contains \"sdk\""}},
		{"region with a space", env("FC_REGION", "cn hangzhou"), []string{`FC_REGION: "cn hangzhou" is not a region ID such as cn-hangzhou`}},
		{"region with markup", env("FC_REGION", "<!channel>"), []string{`FC_REGION: "??channel?" is not a region ID`}},
		{"21 thresholds", env("ALERT_THRESHOLDS", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21"), []string{"ALERT_THRESHOLDS: 21 thresholds: at most 20"}},
		{"threshold over a year", env("ALERT_THRESHOLDS", "7,400"), []string{`ALERT_THRESHOLDS: threshold "400": at most 365 days`}},
		{"long mode quoted short", env("ALERT_MODE", strings.Repeat("x", 100000)), []string{`ALERT_MODE: unknown mode "` + strings.Repeat("x", 40) + `"…`}},
		{"AccessKey ID without secret", env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tConfigTestKey00001"), []string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET: required with ALIBABA_CLOUD_ACCESS_KEY_ID"}},
		{"AccessKey secret without ID", env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "XOXSECRET"), []string{"ALIBABA_CLOUD_ACCESS_KEY_ID: required with ALIBABA_CLOUD_ACCESS_KEY_SECRET"}},
		{"security token alone", env("ALIBABA_CLOUD_SECURITY_TOKEN", "XOXSECRET"), []string{"ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: required with ALIBABA_CLOUD_SECURITY_TOKEN"}},
		{"no channel", env("SLACK_WEBHOOK_URL", ""), []string{"no channel configured"}},
		{"several at once", env("ALERT_MODE", "x", "TIMEZONE", "Nowhere/City", "SLACK_WEBHOOK_URL", secret, "LOG_LEVEL", "x"), []string{"ALERT_MODE:", "TIMEZONE:", "LOG_LEVEL:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env)
			if err == nil {
				t.Fatalf("Load() = %+v, want an error", c)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load() error %T, want *Error", err)
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
		{name: "none", env: env()},
		{name: "AccessKey", env: env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tConfigTestKey00001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ak-secret-1"),
			want: &alibaba.Credentials{AccessKeyID: "LTAI5tConfigTestKey00001", AccessKeySecret: "ak-secret-1"}},
		{name: "STS", env: env("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.NConfigTestKey0000001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sts-secret-1",
			"ALIBABA_CLOUD_SECURITY_TOKEN", "CAIS-token-1"),
			want: &alibaba.Credentials{AccessKeyID: "STS.NConfigTestKey0000001", AccessKeySecret: "sts-secret-1", SecurityToken: "CAIS-token-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.env)
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			if diff := cmp.Diff(tt.want, c.Credentials); diff != "" {
				t.Errorf("Credentials (-want +got):\n%s", diff)
			}
			if tt.want == nil {
				return
			}
			for _, s := range []string{tt.want.AccessKeySecret, tt.want.SecurityToken} {
				if s != "" && !slices.Contains(c.Secrets(), s) {
					t.Errorf("Secrets() lacks %q", s)
				}
			}
		})
	}
}

func TestSlackAPIURLWithoutBotToken(t *testing.T) {
	// s.yaml always sets SLACK_API_URL to its default; with a webhook only, that must not be an error.
	if _, err := Load(env("SLACK_API_URL", "https://slack.com/api/")); err != nil {
		t.Errorf("Load(SLACK_API_URL without bot token) = %v, want nil", err)
	}
}

func TestDryRunNeedsNoChannel(t *testing.T) {
	if _, err := Load(env("SLACK_WEBHOOK_URL", "", "DRY_RUN", "true")); err != nil {
		t.Errorf("Load(DRY_RUN=true, no channel) = %v, want nil", err)
	}
}

// TestVarsCoverEverythingRead proves that every variable Load reads is documented in Vars (and so wired
// in s.yaml and the README) or is a platform variable.
func TestVarsCoverEverythingRead(t *testing.T) {
	read := map[string]bool{}
	base := env()
	Load(func(k string) string { read[k] = true; return base(k) })
	for name := range read {
		known := slices.Contains(Platform, name)
		for _, v := range Vars {
			known = known || v.Name == name
		}
		if !known {
			t.Errorf("Load reads %s, which is neither in Vars nor in Platform", name)
		}
	}
	for _, v := range Vars {
		if !read[v.Name] && !v.Credential {
			t.Errorf("Vars lists %s, which Load never reads", v.Name)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://hooks.slack.com/x", "http://127.0.0.1:8080/x", "http://localhost/x", "http://LOCALHOST:1/x", "http://[::1]:9/x"} {
		if err := CheckURL(ok); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1/x", "hooks.slack.com/x", "https:///x", "javascript:alert(1)", "http://127.0.0.1.example.com/x"} {
		if err := CheckURL(bad); err == nil {
			t.Errorf("CheckURL(%q) = nil, want an error", bad)
		}
	}
}

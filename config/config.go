// Package config turns the function's environment variables (listed in Vars) into one validated
// Config. Every problem is found before any API call, and each is reported with the variable's name and
// what is wrong with its value, never with a secret.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// DefaultThresholds is ALERT_THRESHOLDS when unset.
const DefaultThresholds = "7,3,1"

// Platform lists the variables the function reads that the platform or the operator's shell sets, not
// s.yaml: FC's own variables and DEBUG, which is checked so the Alibaba SDK cannot print signed requests.
var Platform = []string{"FC_REGION", "FC_ACCOUNT_ID", "FC_RUNTIME_API", "FC_CUSTOM_LISTEN_PORT", "DEBUG"}

// Config is the validated configuration.
type Config struct {
	// Users are the RAM_USERS entries, or exactly ["*"].
	Users []string
	// Thresholds are the lead times before DeleteDate, ascending, without duplicates.
	Thresholds []time.Duration
	// AlertOnRecycle is ALERT_ON_RECYCLE.
	AlertOnRecycle bool
	// Mode is alert.ModeCrossing or alert.ModeDigest.
	Mode string
	// Schedule is SCHEDULE, nil when unset.
	Schedule *schedule.Schedule
	// Location is TIMEZONE.
	Location *time.Location
	// AccountLabel is ACCOUNT_LABEL.
	AccountLabel string
	// AccountID is FC_ACCOUNT_ID, the fallback when an invocation does not carry the account.
	AccountID string
	// Region is the API region: FC_REGION, else alibaba.DefaultRegion.
	Region string
	// DryRun is DRY_RUN.
	DryRun bool

	SlackWebhookURL string
	SlackBotToken   string
	SlackChannel    string
	SlackAPIURL     string
	WebhookURL      string
	WebhookSecret   string
	DingTalkURL     string
	DingTalkSecret  string
	FeishuURL       string
	FeishuSecret    string
	WeComURL        string

	// RAMEndpoint and IMSEndpoint are the API hosts or URLs; empty for the public HTTPS defaults.
	RAMEndpoint string
	IMSEndpoint string

	// Credentials are ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
	// ALIBABA_CLOUD_SECURITY_TOKEN; nil when unset (the SDK's default credential chain applies). On FC
	// the role's per-invocation credentials win over them.
	Credentials *alibaba.Credentials

	// LogLevel is LOG_LEVEL.
	LogLevel slog.Level
}

// Channels reports whether at least one channel is configured.
func (c *Config) Channels() bool {
	return c.SlackWebhookURL != "" || c.SlackBotToken != "" || c.WebhookURL != "" ||
		c.DingTalkURL != "" || c.FeishuURL != "" || c.WeComURL != ""
}

// Secrets returns every secret value of the configuration, for scrubbing and for tests that prove no
// output holds one.
func (c *Config) Secrets() []string {
	var s []string
	vals := []string{c.SlackWebhookURL, c.SlackBotToken, c.WebhookURL, c.WebhookSecret,
		c.DingTalkURL, c.DingTalkSecret, c.FeishuURL, c.FeishuSecret, c.WeComURL}
	if c.Credentials != nil {
		vals = append(vals, c.Credentials.AccessKeySecret, c.Credentials.SecurityToken)
	}
	for _, v := range vals {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// Error is an invalid configuration: every problem found, each naming its variable.
type Error struct {
	// Problems are "NAME: what is wrong" sentences.
	Problems []string
}

func (e *Error) Error() string {
	return "configuration error: " + strings.Join(e.Problems, "; ")
}

// Load reads the configuration through getenv (os.Getenv in main). An empty variable counts as unset.
// The error, if any, is an *Error listing every problem.
func Load(getenv func(string) string) (*Config, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}
	c := &Config{Region: alibaba.DefaultRegion}

	if v := get("RAM_USERS"); v == "" {
		bad("RAM_USERS", "required: comma-separated RAM user names, principal names or IDs, or *")
	} else if users, err := alibaba.ParseUsers(strings.Split(v, ",")); err != nil {
		bad("RAM_USERS", "%v", err)
	} else {
		c.Users = users
	}

	thresholds := get("ALERT_THRESHOLDS")
	if thresholds == "" {
		thresholds = DefaultThresholds
	}
	if t, err := alert.ParseThresholds(thresholds); err != nil {
		bad("ALERT_THRESHOLDS", "%v", err)
	} else {
		c.Thresholds = t
	}

	c.AlertOnRecycle = true
	if v := get("ALERT_ON_RECYCLE"); v != "" {
		b, err := parseBool(v)
		if err != nil {
			bad("ALERT_ON_RECYCLE", "%v", err)
		}
		c.AlertOnRecycle = b
	}

	c.Mode = alert.ModeCrossing
	if v := get("ALERT_MODE"); v != "" {
		m, err := alert.ParseMode(v)
		if err != nil {
			bad("ALERT_MODE", "%v", err)
		}
		c.Mode = m
	}

	if v := get("SCHEDULE"); v != "" {
		s, err := schedule.Parse(v)
		if err != nil {
			bad("SCHEDULE", "%v", err)
		}
		c.Schedule = s
	}

	c.Location = time.UTC
	if v := get("TIMEZONE"); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil || v == "Local" {
			bad("TIMEZONE", "unknown time zone %s: use an IANA name such as Asia/Shanghai", excerpt.Quote(v))
		} else {
			c.Location = loc
		}
	}

	c.AccountLabel = get("ACCOUNT_LABEL")
	c.AccountID = get("FC_ACCOUNT_ID")
	if v := get("FC_REGION"); v != "" {
		if err := alibaba.CheckRegion(v); err != nil {
			bad("FC_REGION", "%v", err)
		}
		c.Region = v
	}

	if v := get("DRY_RUN"); v != "" {
		b, err := parseBool(v)
		if err != nil {
			bad("DRY_RUN", "%v", err)
		}
		c.DryRun = b
	}

	urlVar := func(name string) string {
		v := get(name)
		if v == "" {
			return ""
		}
		if err := CheckURL(v); err != nil {
			bad(name, "%v", err)
		}
		return v
	}
	c.SlackWebhookURL = urlVar("SLACK_WEBHOOK_URL")
	c.WebhookURL = urlVar("WEBHOOK_URL")
	c.DingTalkURL = urlVar("DINGTALK_WEBHOOK_URL")
	c.FeishuURL = urlVar("FEISHU_WEBHOOK_URL")
	c.WeComURL = urlVar("WECOM_WEBHOOK_URL")
	c.SlackAPIURL = urlVar("SLACK_API_URL")

	c.SlackBotToken = get("SLACK_BOT_TOKEN")
	c.SlackChannel = get("SLACK_CHANNEL")
	switch {
	case c.SlackBotToken != "" && c.SlackChannel == "":
		bad("SLACK_CHANNEL", "required with SLACK_BOT_TOKEN: the channel ID (C…) or name to post to")
	case c.SlackBotToken == "" && c.SlackChannel != "":
		bad("SLACK_BOT_TOKEN", "required with SLACK_CHANNEL: a bot token (xoxb-…) with chat:write")
	}
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xox") {
		bad("SLACK_BOT_TOKEN", "not a Slack token: it should start with xoxb-")
	}

	c.WebhookSecret = get("WEBHOOK_SECRET")
	if c.WebhookSecret != "" {
		if c.WebhookURL == "" {
			bad("WEBHOOK_SECRET", "set without WEBHOOK_URL")
		}
		if err := checkWebhookSecret(c.WebhookSecret); err != nil {
			bad("WEBHOOK_SECRET", "%v", err)
		}
	}
	c.DingTalkSecret = get("DINGTALK_SECRET")
	if c.DingTalkSecret != "" {
		if c.DingTalkURL == "" {
			bad("DINGTALK_SECRET", "set without DINGTALK_WEBHOOK_URL")
		}
		if !strings.HasPrefix(c.DingTalkSecret, "SEC") {
			bad("DINGTALK_SECRET", "not a DingTalk signing secret: it should start with SEC")
		}
	}
	c.FeishuSecret = get("FEISHU_SECRET")
	if c.FeishuSecret != "" && c.FeishuURL == "" {
		bad("FEISHU_SECRET", "set without FEISHU_WEBHOOK_URL")
	}

	for _, name := range []string{"RAM_ENDPOINT", "IMS_ENDPOINT"} {
		v := get(name)
		if v == "" {
			continue
		}
		if _, _, err := alibaba.ParseEndpoint(v); err != nil {
			bad(name, "%v", err)
		}
		if name == "RAM_ENDPOINT" {
			c.RAMEndpoint = v
		} else {
			c.IMSEndpoint = v
		}
	}

	c.Credentials = credentials(get, bad)

	c.LogLevel = slog.LevelInfo
	if v := get("LOG_LEVEL"); v != "" {
		l, err := parseLogLevel(v)
		if err != nil {
			bad("LOG_LEVEL", "%v", err)
		}
		c.LogLevel = l
	}

	if v := getenv("DEBUG"); strings.Contains(strings.ToLower(v), "sdk") {
		bad("DEBUG", "contains \"sdk\", which makes the Alibaba Cloud SDK print signed requests and security tokens: unset it")
	}

	if !c.DryRun && !c.Channels() && len(problems) == 0 {
		problems = append(problems, "no channel configured: set SLACK_WEBHOOK_URL, SLACK_BOT_TOKEN with SLACK_CHANNEL, WEBHOOK_URL, DINGTALK_WEBHOOK_URL, FEISHU_WEBHOOK_URL or WECOM_WEBHOOK_URL, or DRY_RUN=true")
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// credentials reads the AccessKey of the environment: nil when none is set, an error for an incomplete
// one.
func credentials(get func(string) string, bad func(name, format string, args ...any)) *alibaba.Credentials {
	const id, secret, token = "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"
	c := &alibaba.Credentials{AccessKeyID: get(id), AccessKeySecret: get(secret), SecurityToken: get(token)}
	switch {
	case c.AccessKeyID == "" && c.AccessKeySecret == "" && c.SecurityToken == "":
		return nil
	case c.AccessKeyID == "" && c.AccessKeySecret == "":
		bad(id+", "+secret, "required with %s", token)
	case c.AccessKeyID == "":
		bad(id, "required with %s", secret)
	case c.AccessKeySecret == "":
		bad(secret, "required with %s", id)
	default:
		return c
	}
	return nil
}

// parseLogLevel validates a LOG_LEVEL value.
func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %s: use debug, info, warn or error", excerpt.Quote(s))
}

func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s is not a boolean: use true or false", excerpt.Quote(s))
	}
	return b, nil
}

// CheckURL validates a channel URL: https://, or http:// to a loopback address only. Its error names the
// scheme and host at most, never the path, query or user info, which carry tokens.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch {
	case u.Scheme == "" || u.Host == "":
		return errors.New("not an absolute URL: it must start with https://")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("http://%s is not allowed: use https:// (http:// only to a loopback address)", u.Hostname())
	}
	return fmt.Errorf("scheme %q is not allowed: use https://", u.Scheme)
}

// IsLoopback reports whether host is localhost or a loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkWebhookSecret(s string) error {
	const prefix = "whsec_"
	if !strings.HasPrefix(s, prefix) {
		return errors.New("must be whsec_ followed by base64 (Standard Webhooks)")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, prefix))
	if err != nil {
		return errors.New("the part after whsec_ is not valid base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return fmt.Errorf("the key is %d bytes: use 24 to 64 random bytes (Standard Webhooks)", len(key))
	}
	return nil
}

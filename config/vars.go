package config

// Var describes one environment variable the function reads.
type Var struct {
	// Name is the variable's name.
	Name string
	// Default is the value used when the variable is unset or empty, as shown to people.
	Default string
	// Secret is true when the value must never appear in a log, an error or a result.
	Secret bool
	// Credential is true for the Alibaba Cloud credentials, which a deployment takes from the function's
	// role rather than from s.yaml.
	Credential bool
	// Help is one line for the README's configuration reference.
	Help string
}

// Vars lists every environment variable the function reads but FC's own, in the README's order. It is the single
// source for the README's reference table and the s.yaml wiring test.
var Vars = []Var{
	{Name: "RAM_USERS", Default: "(required)", Help: "comma-separated RAM users: names (`alice`), principal names (`alice@corp.onaliyun.com`), user IDs (digits), or `*` for every RAM user"},
	{Name: "ALERT_THRESHOLDS", Default: DefaultThresholds, Help: "lead times before DeleteDate: whole days (`7`, `7d`) or hours (`36h`); `0` = purged before the next check"},
	{Name: "ALERT_ON_RECYCLE", Default: "true", Help: "also alert when a key enters the recycle bin"},
	{Name: "ALERT_MODE", Default: "crossing", Help: "`crossing` (alert once per threshold) or `digest` (list every key every run)"},
	{Name: "SCHEDULE", Default: "(required for timer events)", Help: "the timer trigger's own cron expression (6 fields, optional `CRON_TZ=Zone ` prefix, day-of-week by name) or `@every <duration>`"},
	{Name: "TIMEZONE", Default: "UTC", Help: "IANA zone for dates shown to people"},
	{Name: "ACCOUNT_LABEL", Help: "a name for the account, shown beside the account ID"},
	{Name: "DRY_RUN", Default: "false", Help: "`true`: do everything but send; the result shows what would have been sent"},
	{Name: "SLACK_WEBHOOK_URL", Secret: true, Help: "Slack incoming webhook URL"},
	{Name: "SLACK_BOT_TOKEN", Secret: true, Help: "Slack bot token (`xoxb-…`) for `chat.postMessage`; needs `SLACK_CHANNEL`"},
	{Name: "SLACK_CHANNEL", Help: "Slack channel ID or name for the bot token"},
	{Name: "SLACK_API_URL", Default: "https://slack.com/api/", Help: "base URL of the Slack Web API (tests, proxies)"},
	{Name: "WEBHOOK_URL", Secret: true, Help: "generic JSON webhook (Standard Webhooks)"},
	{Name: "WEBHOOK_SECRET", Secret: true, Help: "`whsec_<base64>` secret that signs the generic webhook"},
	{Name: "DINGTALK_WEBHOOK_URL", Secret: true, Help: "DingTalk custom robot webhook URL"},
	{Name: "DINGTALK_SECRET", Secret: true, Help: "DingTalk robot signing secret (`SEC…`)"},
	{Name: "FEISHU_WEBHOOK_URL", Secret: true, Help: "Feishu / Lark custom bot webhook URL"},
	{Name: "FEISHU_SECRET", Secret: true, Help: "Feishu / Lark bot signing secret"},
	{Name: "WECOM_WEBHOOK_URL", Secret: true, Help: "WeCom group robot webhook URL"},
	{Name: "RAM_ENDPOINT", Default: "ram.aliyuncs.com", Help: "RAM API host (`ram.vpc-proxy.aliyuncs.com`) or URL; HTTPS"},
	{Name: "IMS_ENDPOINT", Default: "ims.aliyuncs.com", Help: "IMS API host (`ims.vpc-proxy.aliyuncs.com`) or URL; HTTPS"},
	{Name: "ALIBABA_CLOUD_ACCESS_KEY_ID", Credential: true, Help: "credentials when not running with a function role (on FC the role's per-invocation credentials win)"},
	{Name: "ALIBABA_CLOUD_ACCESS_KEY_SECRET", Secret: true, Credential: true, Help: "see above"},
	{Name: "ALIBABA_CLOUD_SECURITY_TOKEN", Secret: true, Credential: true, Help: "see above (STS credentials)"},
	{Name: "LOG_LEVEL", Default: "info", Help: "`debug`, `info`, `warn` or `error`"},
}

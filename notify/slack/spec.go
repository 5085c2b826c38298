package slack

import (
	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// WebhookSpec is the incoming webhook's entry in the registry.
var WebhookSpec = notify.Spec{
	Name: webhookName,
	Vars: []env.Var{
		{Name: "SLACK_WEBHOOK_URL", Secret: true, Check: notify.CheckURL, Help: "Slack incoming webhook URL",
			Example: "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"},
	},
	New: func(get func(string) string, o notify.Options) (notify.Channel, error) {
		return newWebhook(get("SLACK_WEBHOOK_URL"), o.Client)
	},
}

// BotSpec is the bot token's entry in the registry.
var BotSpec = notify.Spec{
	Name: botName,
	Vars: []env.Var{
		{Name: "SLACK_BOT_TOKEN", Secret: true, Check: checkToken, Help: "Slack bot token (`xoxb-…`) for `chat.postMessage`; needs `SLACK_CHANNEL`",
			Example: "xoxb-0000000000-0000000000000-XXXXXXXXXXXXXXXXXXXXXXXX"},
		{Name: "SLACK_CHANNEL", Required: true, Help: "Slack channel ID or name for the bot token", Example: "C0123456789"},
		{Name: "SLACK_API_URL", Default: defaultAPIURL, Check: notify.CheckURL, Help: "base URL of the Slack Web API (tests, proxies)",
			Example: defaultAPIURL},
	},
	New: func(get func(string) string, o notify.Options) (notify.Channel, error) {
		return newBot(get("SLACK_BOT_TOKEN"), get("SLACK_CHANNEL"), get("SLACK_API_URL"), o.Client, o.Buttons)
	},
}

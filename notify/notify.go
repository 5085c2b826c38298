// Package notify renders a run's alert.Report for each channel (Slack, the generic webhook, DingTalk,
// Feishu/Lark, WeCom) and delivers it with one shared retry policy: 429 (honouring Retry-After), 5xx and
// connection errors are retried, up to 3 attempts within the context's deadline; other answers are
// permanent. Webhook URLs, tokens and signing secrets never appear in an error. Text from outside the
// function (names, IDs, error messages, warnings, the account label) is data, never markup: each
// channel's format escapes it, and a restore command is safe to paste into a shell (escape.go).
package notify

import (
	"context"
	"encoding/json"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// Channel names, as they appear in the result's deliveries and preview.
const (
	SlackWebhookName = "slack-webhook"
	SlackBotName     = "slack"
	WebhookName      = "webhook"
	DingTalkName     = "dingtalk"
	FeishuName       = "feishu"
	WeComName        = "wecom"
)

// Channel is one configured destination.
type Channel interface {
	// Name is the channel's name in the result (SlackWebhookName, …).
	Name() string
	// Render turns a report into the bodies to post, in order; each is a JSON value. A report with
	// nothing to say still renders (the caller decides whether to post).
	Render(r *alert.Report) ([]json.RawMessage, error)
	// Send posts one rendered body, retrying as the package comment says. Its error names the channel
	// and never holds a secret.
	Send(ctx context.Context, body json.RawMessage) error
	// Pace is the least time between two posts of one run (DingTalk and WeCom: 3 s), or 0.
	Pace() time.Duration
}

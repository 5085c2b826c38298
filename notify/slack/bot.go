package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// defaultAPIURL is the base of the Slack Web API when SLACK_API_URL is unset.
const defaultAPIURL = "https://slack.com/api/"

// bot posts with a bot token through the Slack Web API's chat.postMessage. The token is a secret.
// With buttons, its messages carry a Restore button under each key and user alert: a click reaches the
// app of the token, whose Interactivity Request URL is the restore function (package restore).
type bot struct {
	api     *slack.Client
	channel string
	buttons *restore.Signer
	poster  notify.Poster
}

// newBot returns the bot channel posting to channel (an ID or a name) with token. apiURL is the Web
// API base (empty: defaultAPIURL), with or without a trailing "/". client should have a timeout; nil means a
// client with a 10 s one. buttons, when set, signs a Restore button under each alert. Retries are the
// notify package's, not slack-go's. Errors never echo the token.
func newBot(token, channel, apiURL string, client *http.Client, buttons *restore.Signer) (*bot, error) {
	if err := checkToken(token); err != nil {
		return nil, fmt.Errorf("slack bot: %w", err)
	}
	if channel == "" {
		return nil, errors.New("slack bot: the channel is empty")
	}
	if apiURL == "" {
		apiURL = defaultAPIURL
	}
	if err := notify.CheckURL(apiURL); err != nil {
		return nil, fmt.Errorf("slack bot: API URL: %w", err)
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	return &bot{
		api:     slack.New(token, slack.OptionHTTPClient(client), slack.OptionAPIURL(apiURL)),
		channel: channel,
		buttons: buttons,
		poster:  notify.Poster{Name: botName, Client: client, Secrets: notify.Secrets{token}},
	}, nil
}

// checkToken is the rule of a bot token: xoxb-…, without white space.
func checkToken(token string) error {
	if !strings.HasPrefix(token, "xox") || strings.ContainsAny(token, " \t\r\n") {
		return errors.New("not a Slack token: it should start with xoxb-")
	}
	return nil
}

// Name is the channel's name.
func (b *bot) Name() string { return botName }

// Pace is 0: chat.postMessage allows about one message a second per channel, with bursts; a 429 is
// retried after its Retry-After.
func (b *bot) Pace() time.Duration { return 0 }

// Render returns the Block Kit messages, one post per part: the blocks of the incoming webhook, with
// the channel set, and the Restore buttons when the bot has a signer.
func (b *bot) Render(r *alert.Report) ([]notify.Post, error) {
	return render(messages(r, b.channel, b.buttons), b.send)
}

// RenderNotice returns the notice as one message to the channel.
func (b *bot) RenderNotice(n *notify.Notice) ([]notify.Post, error) {
	return render([]*slack.WebhookMessage{noticeMessage(n, b.channel)}, b.send)
}

// send posts one message with chat.postMessage. Slack API errors (channel_not_found, not_in_channel,
// invalid_auth, …) are named and permanent; ratelimited, 429, 5xx and connection errors are retried.
func (b *bot) send(ctx context.Context, msg *slack.WebhookMessage) error {
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if msg.Blocks != nil {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
	}
	return b.poster.Retry(ctx, func(ctx context.Context, _ time.Time) error {
		_, _, err := b.api.PostMessageContext(ctx, msg.Channel, opts...)
		return classify(err)
	})
}

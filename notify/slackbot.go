package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/slack-go/slack"
)

// SlackAPIURL is the default base of the Slack Web API.
const SlackAPIURL = "https://slack.com/api/"

// SlackBot posts with a bot token through the Slack Web API's chat.postMessage (SLACK_BOT_TOKEN,
// SLACK_CHANNEL, SLACK_API_URL). The token is a secret.
type SlackBot struct {
	api     *slack.Client
	channel string
	p       poster
}

// NewSlackBot returns the bot channel posting to channel (an ID or a name) with token. apiURL is the
// Web API base (empty: SlackAPIURL), with or without a trailing "/". client should have a timeout; nil
// means a client with a 10 s one. Retries are the package's, not slack-go's. Errors never echo the
// token.
func NewSlackBot(token, channel, apiURL string, client *http.Client) (*SlackBot, error) {
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return nil, errors.New("slack bot: the token is empty or contains spaces")
	}
	if channel == "" {
		return nil, errors.New("slack bot: the channel is empty")
	}
	if apiURL == "" {
		apiURL = SlackAPIURL
	}
	if err := checkURL(apiURL); err != nil {
		return nil, fmt.Errorf("slack bot: API %w", err)
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	if client == nil {
		client = &http.Client{Timeout: slackTimeout}
	}
	s := secrets{token}
	return &SlackBot{
		api:     slack.New(token, slack.OptionHTTPClient(client), slack.OptionAPIURL(apiURL)),
		channel: channel,
		p:       poster{name: SlackBotName, client: client, secrets: s},
	}, nil
}

// Name is SlackBotName.
func (s *SlackBot) Name() string { return SlackBotName }

// Pace is 0: chat.postMessage allows about one message a second per channel, with bursts; a 429 is
// retried after its Retry-After.
func (s *SlackBot) Pace() time.Duration { return 0 }

// Render returns the Block Kit messages, one per part: the JSON of slack.WebhookMessage with the
// channel set, the same blocks as the incoming webhook.
func (s *SlackBot) Render(r *alert.Report) ([]json.RawMessage, error) {
	return renderSlack(r, s.channel)
}

// Send posts one rendered message with chat.postMessage. Slack API errors (channel_not_found,
// not_in_channel, invalid_auth, …) are named and permanent; ratelimited, 429, 5xx and connection
// errors are retried.
func (s *SlackBot) Send(ctx context.Context, body json.RawMessage) error {
	var msg slack.WebhookMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return &DeliveryError{Channel: SlackBotName, Err: fmt.Errorf("body is not a Slack message: %w", err)}
	}
	channel := msg.Channel
	if channel == "" {
		channel = s.channel
	}
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if msg.Blocks != nil {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
	}
	return s.p.retry(ctx, func(ctx context.Context, _ time.Time) error {
		_, _, err := s.api.PostMessageContext(ctx, channel, opts...)
		return classifySlack(err)
	})
}

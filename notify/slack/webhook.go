// Package slack posts a run's message to Slack, as Block Kit messages: through an incoming webhook
// (webhook, SLACK_WEBHOOK_URL) or the Web API's chat.postMessage with a bot token (bot, SLACK_BOT_TOKEN
// and SLACK_CHANNEL). Both send the same blocks, with slack-go, under the shared retry policy.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// The channels' names, as they appear in the result.
const (
	// webhookName is the incoming webhook's.
	webhookName = "slack-webhook"
	// botName is the bot token's.
	botName = "slack"
)

// timeout is the request timeout of the client the constructors make when given none.
const timeout = 10 * time.Second

// webhook is a Slack incoming webhook. Its URL is a secret.
type webhook struct {
	url    string
	poster notify.Poster
}

// newWebhook returns the Slack incoming webhook posting to url. client should have a timeout; nil
// means a client with a 10 s one. Errors never echo the URL's path or query.
func newWebhook(url string, client *http.Client) (*webhook, error) {
	if err := notify.CheckURL(url); err != nil {
		return nil, fmt.Errorf("slack webhook: URL: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	return &webhook{url: url, poster: notify.Poster{Name: webhookName, Client: client, Secrets: notify.URLSecrets(url)}}, nil
}

// Name is the channel's name.
func (w *webhook) Name() string { return webhookName }

// Pace is 0: Slack allows about one message a second per channel and a run's parts are few; a 429
// is retried after its Retry-After.
func (w *webhook) Pace() time.Duration { return 0 }

// Render returns the Block Kit messages, one post per part. An incoming webhook carries no Restore
// button: only messages posted with the bot token do.
func (w *webhook) Render(r *alert.Report) ([]notify.Post, error) {
	return render(messages(r, "", nil), w.send)
}

// RenderNotice returns the notice as one message.
func (w *webhook) RenderNotice(n *notify.Notice) ([]notify.Post, error) {
	return render([]*slack.WebhookMessage{noticeMessage(n, "")}, w.send)
}

// send posts one message with slack-go, retrying as the notify package says.
func (w *webhook) send(ctx context.Context, msg *slack.WebhookMessage) error {
	return w.poster.Retry(ctx, func(ctx context.Context, _ time.Time) error {
		return classify(slack.PostWebhookCustomHTTPContext(ctx, w.url, w.poster.Client, msg))
	})
}

// render returns the posts of msgs, each sent with send.
func render(msgs []*slack.WebhookMessage, send func(context.Context, *slack.WebhookMessage) error) ([]notify.Post, error) {
	posts := make([]notify.Post, len(msgs))
	for i, m := range msgs {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("rendering a Slack message: %w", err)
		}
		posts[i] = notify.NewPost(b, func(ctx context.Context) error { return send(ctx, m) })
	}
	return posts, nil
}

// classify maps slack-go's errors onto the retry policy: rate limits (with their Retry-After), 5xx and
// connection errors are retryable; other HTTP answers and Slack API errors are permanent, except
// "ratelimited". The request URL is stripped from transport errors.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	var ue *url.Error
	var ne *strconv.NumError
	switch {
	case errors.As(err, &rl):
		return notify.Retryable(fmt.Errorf("HTTP 429 rate limited, retry after %s", rl.RetryAfter), rl.RetryAfter)
	case errors.As(err, &sc):
		e := fmt.Errorf("HTTP %s", sc.Status)
		if sc.Status == "" {
			e = fmt.Errorf("HTTP %d %s", sc.Code, http.StatusText(sc.Code))
		}
		if sc.Code == http.StatusTooManyRequests || sc.Code >= 500 {
			return notify.Retryable(e, 0)
		}
		return e
	case errors.As(err, &se):
		e := fmt.Errorf("slack API error %s", se.Err)
		if se.Err == "ratelimited" {
			return notify.Retryable(e, 0)
		}
		return e
	case errors.As(err, &ue):
		return notify.Retryable(notify.TransportError(ue), 0)
	case errors.As(err, &ne):
		// slack-go could not parse a Retry-After (an HTTP date): a 429 all the same.
		return notify.Retryable(errors.New("HTTP 429 rate limited"), 0)
	}
	return err
}

package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/slack-go/slack"
)

// slackTimeout is the request timeout of the client the Slack constructors make when given none.
const slackTimeout = 10 * time.Second

// SlackWebhook is a Slack incoming webhook (SLACK_WEBHOOK_URL). Its URL is a secret.
type SlackWebhook struct {
	url string
	p   poster
}

// NewSlackWebhook returns the Slack incoming webhook posting to url. client should have a timeout;
// nil means a client with a 10 s one. Errors never echo the URL's path or query.
func NewSlackWebhook(url string, client *http.Client) (*SlackWebhook, error) {
	if err := checkURL(url); err != nil {
		return nil, fmt.Errorf("slack webhook: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: slackTimeout}
	}
	return &SlackWebhook{url: url, p: poster{name: SlackWebhookName, client: client, secrets: urlSecrets(url)}}, nil
}

// Name is SlackWebhookName.
func (s *SlackWebhook) Name() string { return SlackWebhookName }

// Pace is 0: Slack allows about one message a second per channel and a run's parts are few; a 429
// is retried after its Retry-After.
func (s *SlackWebhook) Pace() time.Duration { return 0 }

// Render returns the Block Kit messages (JSON of slack.WebhookMessage), one per part.
func (s *SlackWebhook) Render(r *alert.Report) ([]json.RawMessage, error) {
	return renderSlack(r, "")
}

// Send posts one rendered message with slack-go, retrying as the package comment says.
func (s *SlackWebhook) Send(ctx context.Context, body json.RawMessage) error {
	var msg slack.WebhookMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return &DeliveryError{Channel: SlackWebhookName, Err: fmt.Errorf("body is not a Slack message: %w", err)}
	}
	return s.p.retry(ctx, func(ctx context.Context, _ time.Time) error {
		return classifySlack(slack.PostWebhookCustomHTTPContext(ctx, s.url, s.p.client, &msg))
	})
}

// classifySlack maps slack-go's errors onto the retry policy: rate limits (with their Retry-After),
// 5xx and connection errors are retryable; other HTTP answers and Slack API errors are permanent,
// except "ratelimited". The request URL is stripped from transport errors.
func classifySlack(err error) error {
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
		return retryable(fmt.Errorf("HTTP 429 rate limited, retry after %s", rl.RetryAfter), rl.RetryAfter)
	case errors.As(err, &sc):
		e := fmt.Errorf("HTTP %s", sc.Status)
		if sc.Status == "" {
			e = fmt.Errorf("HTTP %d %s", sc.Code, http.StatusText(sc.Code))
		}
		if sc.Code == http.StatusTooManyRequests || sc.Code >= 500 {
			return retryable(e, 0)
		}
		return e
	case errors.As(err, &se):
		e := fmt.Errorf("slack API error %s", se.Err)
		if se.Err == "ratelimited" {
			return retryable(e, 0)
		}
		return e
	case errors.As(err, &ue):
		return retryable(transportError(ue), 0)
	case errors.As(err, &ne):
		// slack-go could not parse a Retry-After (an HTTP date): a 429 all the same.
		return retryable(errors.New("HTTP 429 rate limited"), 0)
	}
	return err
}

package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// SlackHooksHost is the host of Slack's response_urls (https://hooks.slack.com/actions/…).
const SlackHooksHost = "hooks.slack.com"

// replyTimeout bounds one POST to a response_url.
const replyTimeout = 3 * time.Second

// reply is a message posted to a response_url: an update of the original message (ReplaceOriginal) or
// a note only the person who clicked sees (ResponseType ephemeral) (Slack, "Handling user interaction",
// https://docs.slack.dev/interactivity/handling-user-interaction).
type reply struct {
	ResponseType    string            `json:"response_type,omitempty"`
	ReplaceOriginal bool              `json:"replace_original"`
	Text            string            `json:"text"`
	Blocks          []json.RawMessage `json:"blocks,omitempty"`
}

// responder posts replies to response_urls, and to no other URL: the URL must be Slack's
// (https://hooks.slack.com/…) or on the scheme and host of SLACK_API_URL when that is set. Redirects are
// not followed. A response_url is a secret: no error holds it.
type responder struct {
	client *http.Client
	api    *url.URL // SLACK_API_URL; nil when unset
}

func newResponder(client *http.Client, api *url.URL) *responder {
	c := &http.Client{Timeout: replyTimeout}
	if client != nil {
		cc := *client
		c = &cc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &responder{client: c, api: api}
}

// check says why raw may not receive a reply, or nil when it may. The error holds no part of raw.
func (r *responder) check(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "" || u.Host == "":
		return errors.New("response_url is not an absolute URL")
	case u.User != nil:
		return errors.New("response_url holds a user name")
	case u.Scheme == "https" && u.Host == SlackHooksHost:
		return nil
	case r.api != nil && u.Scheme == r.api.Scheme && strings.EqualFold(u.Host, r.api.Host):
		return nil
	}
	return fmt.Errorf("response_url is not on %s or the host of SLACK_API_URL: refused, nothing sent there", SlackHooksHost)
}

// post sends m to raw (checked again here: nothing is sent to a URL check refuses), at most twice: a
// connection error, 429 or 5xx is tried once more while ctx allows. The error names the URL's scheme
// and host only.
func (r *responder) post(ctx context.Context, raw string, m reply) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding the reply: %w", err)
	}
	where := "response_url"
	if u, err := url.Parse(raw); err == nil {
		where += " (" + u.Scheme + "://" + u.Host + ")"
	}
	var last error
	for attempt := 1; attempt <= 2; attempt++ {
		retry, err := r.once(ctx, raw, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("posting to %s: %s", where, scrubURL(last.Error(), raw))
}

// once makes one POST; retry says whether another attempt may succeed.
func (r *responder) once(ctx context.Context, raw string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, raw, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("building the request failed")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "ak-recycle-alert")
	resp, err := r.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %d %s", resp.StatusCode, excerpt.Quote(string(answer)))
	}
	return false, fmt.Errorf("HTTP %d %s", resp.StatusCode, excerpt.Quote(string(answer)))
}

// scrubURL removes a response_url and its path and query from text.
func scrubURL(text, raw string) string {
	secrets := []string{raw}
	if u, err := url.Parse(raw); err == nil {
		secrets = append(secrets, u.String(), u.EscapedPath(), u.Path, u.RawQuery)
	}
	for _, s := range secrets {
		if len(s) > 1 {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	return text
}

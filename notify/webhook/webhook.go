// Package webhook posts a run's findings as JSON to any HTTP receiver (WEBHOOK_URL), signed per
// Standard Webhooks (https://www.standardwebhooks.com) when WEBHOOK_SECRET is set. Unlike the chat
// channels it is never split and carries every alert: it is data for programs.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// name is the channel's name, as it appears in the result.
const name = "webhook"

// eventType is the type of the body (a Standard Webhooks event type).
const eventType = "ram.accesskey.recyclebin"

// Body is the JSON body the generic webhook receives. It is a public wire format: fields are added,
// never renamed or removed.
type Body struct {
	// Type is "ram.accesskey.recyclebin".
	Type string `json:"type"`
	// Timestamp is the run's fire time cur (the window's end), in UTC.
	Timestamp time.Time `json:"timestamp"`
	// Data is the run's content.
	Data Data `json:"data"`
}

// Data is the data of a Body: the run's findings, and for a manual run its request ID.
type Data struct {
	// Findings are what the run found, every time in UTC and every alert, most urgent first.
	alert.Findings
	// RequestID is, for a manual invocation only, its request ID: the webhook-id covers it, so that two
	// manual runs of one window are two messages while a retried timer run repeats its webhook-id.
	// Omitted for timer runs.
	RequestID string `json:"requestId,omitempty"`
}

// newBody builds the body for r, with every time in UTC.
func newBody(r *alert.Report) Body {
	d := Data{Findings: r.Findings.Canonical()}
	if r.Manual {
		d.RequestID = r.RequestID
	}
	return Body{Type: eventType, Timestamp: r.Window.To.UTC(), Data: d}
}

// id is the body's webhook-id (alert.MessageID): the same on every retry of the same run.
func (b *Body) id() string {
	ids := make([]string, 0, len(b.Data.Alerts))
	for _, a := range b.Data.Alerts {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	accounts := make([]string, 0, len(b.Data.Accounts))
	for _, a := range b.Data.Accounts {
		accounts = append(accounts, a.AccountID)
	}
	return alert.MessageID(b.Data.AccountID, b.Data.Mode, b.Data.Window, accounts, ids, b.Data.RequestID)
}

// channel is the generic JSON webhook.
type channel struct {
	url    string
	key    []byte // the decoded signing secret; nil: unsigned
	poster notify.Poster
}

// timeout is the request timeout of the client New makes when given none; Standard Webhooks suggests
// 15-30 s.
const timeout = 15 * time.Second

// New returns the generic webhook posting to url, signing with secret (see parseSecret) unless it is
// empty. client should have a timeout; nil means a client with a 15 s one. Redirects are not followed:
// a 3xx answer is a failure. Errors never echo the URL's path or query, nor the secret.
func newChannel(url, secret string, client *http.Client) (*channel, error) {
	if err := notify.CheckURL(url); err != nil {
		return nil, fmt.Errorf("webhook: URL: %w", err)
	}
	w := &channel{url: url}
	s := notify.URLSecrets(url)
	if secret != "" {
		key, err := parseSecret(secret)
		if err != nil {
			return nil, fmt.Errorf("webhook: signing secret: %w", err)
		}
		w.key = key
		s = append(s, secret, strings.TrimPrefix(secret, "whsec_"))
	}
	c := &http.Client{Timeout: timeout}
	if client != nil {
		cc := *client
		c = &cc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w.poster = notify.Poster{Name: name, Client: c, Secrets: s}
	return w, nil
}

// parseSecret decodes a Standard Webhooks signing secret: "whsec_" and the base64 of 24 to 64 random
// bytes (Standard Webhooks specification, "Signature scheme").
func parseSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New("must be whsec_ followed by base64 (Standard Webhooks)")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("the part after whsec_ is not valid base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("the key is %d bytes: use 24 to 64 random bytes (Standard Webhooks)", len(key))
	}
	return key, nil
}

// Name is the channel's name.
func (w *channel) Name() string { return name }

// Pace is 0: the webhook sends one body per run.
func (w *channel) Pace() time.Duration { return 0 }

// Render returns exactly one post, a Body with every alert: the webhook is never split.
func (w *channel) Render(r *alert.Report) ([]notify.Post, error) {
	body := newBody(r)
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("webhook: rendering: %w", err)
	}
	id := body.id()
	return []notify.Post{notify.NewPost(b, func(ctx context.Context) error { return w.send(ctx, id, b) })}, nil
}

// RenderNotice returns exactly one post: the notice's own body, under its own webhook-id, signed and
// sent as a run's body is.
func (w *channel) RenderNotice(n *notify.Notice) ([]notify.Post, error) {
	if n.ID == "" || !json.Valid(n.Body) {
		return nil, errors.New("webhook: the notice has no webhook-id or no JSON body")
	}
	body := []byte(n.Body)
	return []notify.Post{notify.NewPost(body, func(ctx context.Context) error { return w.send(ctx, n.ID, body) })}, nil
}

// send posts body with the Standard Webhooks headers: webhook-id (the same on every retry),
// webhook-timestamp (the time of each attempt) and, with a secret, webhook-signature over that attempt.
func (w *channel) send(ctx context.Context, id string, body []byte) error {
	return w.poster.Post(ctx, func(ctx context.Context, at time.Time) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		ts := strconv.FormatInt(at.Unix(), 10)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "ak-recycle-alert")
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", ts)
		if w.key != nil {
			req.Header.Set("webhook-signature", sign(w.key, id, ts, body))
		}
		return req, nil
	}, nil)
}

// sign is the Standard Webhooks v1 signature: "v1," and the base64 HMAC-SHA256, keyed with the
// decoded secret, of id "." timestamp "." body.
func sign(key []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

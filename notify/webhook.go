package notify

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
)

// WebhookType is the type of the generic webhook's body (Standard Webhooks event type).
const WebhookType = "ram.accesskey.recyclebin"

// WebhookBody is the JSON body the generic webhook receives (contract section 6). It is a public
// contract: fields are added, never renamed or removed.
type WebhookBody struct {
	// Type is WebhookType.
	Type string `json:"type"`
	// Timestamp is the run's fire time cur (the window's end), in UTC.
	Timestamp time.Time `json:"timestamp"`
	// Data is the run's content.
	Data WebhookData `json:"data"`
}

// WebhookData is the data of a WebhookBody: the run's findings, and for a manual run its request ID.
type WebhookData struct {
	// Findings are what the run found, every time in UTC and every alert, most urgent first.
	alert.Findings
	// RequestID is, for a manual invocation only, its request ID (an addition to the contract's example):
	// the webhook-id covers it, so that two manual runs of one window are two messages while a retried
	// timer run repeats its webhook-id. Omitted for timer runs.
	RequestID string `json:"requestId,omitempty"`
}

// NewWebhookBody builds the generic webhook's body for r, with every time in UTC.
func NewWebhookBody(r *alert.Report) WebhookBody {
	d := WebhookData{Findings: r.Findings.Canonical()}
	if r.Manual {
		d.RequestID = r.RequestID
	}
	return WebhookBody{Type: WebhookType, Timestamp: r.Window.To.UTC(), Data: d}
}

// Webhook is the generic JSON webhook (WEBHOOK_URL, WEBHOOK_SECRET), signed per Standard Webhooks.
type Webhook struct {
	url string
	key []byte // the decoded signing secret; nil: unsigned
	p   poster
}

// webhookTimeout is the request timeout of the client NewWebhook makes when given none; Standard
// Webhooks suggests 15-30 s.
const webhookTimeout = 15 * time.Second

// NewWebhook returns the generic webhook posting to url, signing with secret (whsec_ and base64 of 24
// to 64 bytes, as Standard Webhooks says) unless it is empty. client should have a timeout; nil means a
// client with a 15 s one. Redirects are not followed: a 3xx answer is a failure. Errors never echo the
// URL's path or query, nor the secret.
func NewWebhook(url, secret string, client *http.Client) (*Webhook, error) {
	if err := checkURL(url); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	w := &Webhook{url: url}
	s := urlSecrets(url)
	if secret != "" {
		key, err := decodeWebhookSecret(secret)
		if err != nil {
			return nil, fmt.Errorf("webhook: signing secret: %w", err)
		}
		w.key = key
		s = append(s, secret, strings.TrimPrefix(secret, "whsec_"))
	}
	c := &http.Client{Timeout: webhookTimeout}
	if client != nil {
		cc := *client
		c = &cc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w.p = poster{name: WebhookName, client: c, secrets: s}
	return w, nil
}

// decodeWebhookSecret decodes a Standard Webhooks secret: "whsec_" and the base64 of 24 to 64 random
// bytes (spec: standard-webhooks.md, "Signature scheme").
func decodeWebhookSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New("must start with whsec_ followed by base64")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("the part after whsec_ is not valid base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("decodes to %d bytes, want 24 to 64", len(key))
	}
	return key, nil
}

// Name is WebhookName.
func (w *Webhook) Name() string { return WebhookName }

// Pace is 0: the webhook sends one body per run.
func (w *Webhook) Pace() time.Duration { return 0 }

// Render returns exactly one body, a WebhookBody with every alert: the webhook is never split.
func (w *Webhook) Render(r *alert.Report) ([]json.RawMessage, error) {
	body, err := json.Marshal(NewWebhookBody(r))
	if err != nil {
		return nil, fmt.Errorf("webhook: rendering: %w", err)
	}
	return []json.RawMessage{body}, nil
}

// webhookID derives a rendered body's webhook-id (alert.MessageID) from the body itself, so that the
// id travels with the body and a retry of the same body repeats it.
func webhookID(body []byte) (string, error) {
	var b WebhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return "", fmt.Errorf("body is not a webhook body: %w", err)
	}
	ids := make([]string, 0, len(b.Data.Alerts))
	for _, a := range b.Data.Alerts {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	return alert.MessageID(b.Data.AccountID, b.Data.Mode, b.Data.Window, ids, b.Data.RequestID), nil
}

// Send posts body with the Standard Webhooks headers: webhook-id (the same on every retry),
// webhook-timestamp (the time of each attempt) and, with a secret, webhook-signature over that attempt.
func (w *Webhook) Send(ctx context.Context, body json.RawMessage) error {
	id, err := webhookID(body)
	if err != nil {
		return &DeliveryError{Channel: WebhookName, Err: err}
	}
	return w.p.post(ctx, func(ctx context.Context, at time.Time) (*http.Request, error) {
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
			req.Header.Set("webhook-signature", signWebhook(w.key, id, ts, body))
		}
		return req, nil
	}, nil)
}

// signWebhook is the Standard Webhooks v1 signature: "v1," and the base64 HMAC-SHA256, keyed with the
// decoded secret, of id "." timestamp "." body.
func signWebhook(key []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

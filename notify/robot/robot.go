// Package robot is what the chat robots (DingTalk, Feishu/Lark, WeCom) share: their markdown and its
// escaper, the JSON they are sent, the request, the fitting of a part into a size limit, the reading of
// an errcode answer, and the scrubbing of an attempt's signature from its error.
package robot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// timeout bounds one post when the caller passes no client.
const timeout = 10 * time.Second

// NewPoster returns the Poster of the robot name at webhookURL, which must pass notify.CheckURL: its
// secrets are the URL's parts and, when not empty, the signing secret. client nil means a client with
// a 10 s timeout. The error names the robot, never the URL's path or query.
func NewPoster(name, webhookURL, secret string, client *http.Client) (notify.Poster, error) {
	if err := notify.CheckURL(webhookURL); err != nil {
		return notify.Poster{}, fmt.Errorf("%s: webhook URL: %w", name, err)
	}
	s := notify.URLSecrets(webhookURL)
	if secret != "" {
		s = append(s, secret)
	}
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	return notify.Poster{Name: name, Client: client, Secrets: s}, nil
}

// JSON encodes a body without HTML escaping, so that "<", ">" and "&" stay readable in the preview and
// count as one byte each.
func JSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Request is the POST of a JSON body to u.
func Request(ctx context.Context, u string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return req, nil
}

// ShrinkToFit cuts the end of *text until encode's result is at most limit bytes, and returns that
// result: for a part that does not fit even with one key (long errors and warnings).
func ShrinkToFit(text *string, limit int, encode func() ([]byte, error)) ([]byte, error) {
	for {
		b, err := encode()
		if err != nil {
			return nil, err
		}
		over := len(b) - limit
		if over <= 0 {
			return b, nil
		}
		if len(*text) <= len("…") {
			return nil, fmt.Errorf("a message of %d bytes does not fit in %d", len(b), limit)
		}
		*text = excerpt.Cut(*text, len(*text)-over)
	}
}

// ScrubSign removes *sign, an attempt's signature, from what classify says of that attempt's answer
// (a server may echo the request), in its plain and URL-encoded forms.
func ScrubSign(classify notify.Classify, sign *string) notify.Classify {
	return func(resp *http.Response, body []byte) error {
		err := classify(resp, body)
		if err == nil || *sign == "" {
			return err
		}
		return notify.Secrets{*sign, url.QueryEscape(*sign), url.PathEscape(*sign)}.Scrub(err)
	}
}

// errcodeAnswer is the answer of the DingTalk and WeCom robots: HTTP 200 with errcode 0 when the
// message was taken.
type errcodeAnswer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// ClassifyErrcode judges a robot's errcode answer: a non-2xx status follows the HTTP policy; on 2xx,
// errcode 0 is delivered, rateLimit is retried, any other code (or an answer that is not the robot's
// JSON) is permanent and reported as "errcode N: errmsg".
func ClassifyErrcode(rateLimit int) notify.Classify {
	return func(resp *http.Response, body []byte) error {
		if resp.StatusCode/100 != 2 {
			return notify.ClassifyHTTP(resp, body)
		}
		var a errcodeAnswer
		if err := json.Unmarshal(body, &a); err != nil || a.ErrCode == nil {
			return fmt.Errorf("HTTP %s without the robot's errcode%s", notify.StatusText(resp), notify.BodyHint(body))
		}
		switch *a.ErrCode {
		case 0:
			return nil
		case rateLimit:
			return notify.Retryable(errcodeError(*a.ErrCode, a.ErrMsg), 0)
		}
		return errcodeError(*a.ErrCode, a.ErrMsg)
	}
}

// errcodeError reports a robot's errcode; WeCom's trailing ", hint: […], from ip: …, more info at …"
// is left out. The message is kept whole: the poster removes secrets from it before shortening it.
func errcodeError(code int, msg string) error {
	if i := strings.Index(msg, ", hint:"); i > 0 {
		msg = msg[:i]
	}
	return fmt.Errorf("errcode %d: %s", code, msg)
}

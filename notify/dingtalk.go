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
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// DingTalk custom robot limits and codes. Sources: the custom robot guide
// (open.dingtalk.com/document/robots/custom-robot-access: 20 messages a minute per robot, throttled for 10
// minutes beyond, errcode 130101 "send too fast, exceed 20 times per minute"); the body limit is the
// robot's own answer errcode 460101 "message too long, exceed 20000 bytes", reported in
// github.com/timonwong/prometheus-webhook-dingtalk/issues/30 and github.com/Le0nsec/SecCrawler/issues/12.
const (
	// dingTalkMaxBody is the largest body the robot accepts, in bytes.
	dingTalkMaxBody = 20000
	// dingTalkPace spaces posts to the robot's 20 a minute.
	dingTalkPace = 3 * time.Second
	// dingTalkTooFast is the errcode of the robot's rate limit; it is retried.
	dingTalkTooFast = 130101
)

// DingTalk posts to a DingTalk custom robot (DINGTALK_WEBHOOK_URL, optional DINGTALK_SECRET). Each
// part of a message is a markdown message; with a secret every attempt is signed anew.
type DingTalk struct {
	url    string
	secret string
	poster poster
}

// NewDingTalk returns the DingTalk channel for the robot's webhook URL
// (https://oapi.dingtalk.com/robot/send?access_token=…). secret is the robot's signing secret (SEC…),
// or empty when the robot does not use signing. client must have a timeout; nil means a client with
// a 10 s timeout. The error never holds the URL's path or query, nor the secret.
func NewDingTalk(webhookURL, secret string, client *http.Client) (*DingTalk, error) {
	if err := checkRobotURL(DingTalkName, webhookURL); err != nil {
		return nil, err
	}
	if secret != "" && !strings.HasPrefix(secret, "SEC") {
		return nil, errors.New("dingtalk: the signing secret does not start with SEC")
	}
	s := urlSecrets(webhookURL)
	if secret != "" {
		s = append(s, secret)
	}
	return &DingTalk{url: webhookURL, secret: secret,
		poster: poster{name: DingTalkName, client: robotClient(client), secrets: s}}, nil
}

// Name is DingTalkName.
func (d *DingTalk) Name() string { return DingTalkName }

// Pace is 3 s: the robot takes 20 posts a minute.
func (d *DingTalk) Pace() time.Duration { return dingTalkPace }

// dingTalkBody is the robot's markdown message.
type dingTalkBody struct {
	MsgType  string           `json:"msgtype"`
	Markdown dingTalkMarkdown `json:"markdown"`
}

type dingTalkMarkdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Render returns one markdown message per part; a part holds as many keys as fit in the robot's
// 20,000 bytes. The title (shown in notifications) is the part's first line; in the text a line ends
// with two spaces, which DingTalk's markdown needs for a line break.
func (d *DingTalk) Render(r *alert.Report) ([]json.RawMessage, error) {
	body := func(p Part) dingTalkBody {
		return dingTalkBody{MsgType: "markdown", Markdown: dingTalkMarkdown{
			Title: p.Title(), Text: p.Markdown("  \n")}}
	}
	parts := NewMessage(r).Split(func(p Part) bool {
		b, err := robotJSON(body(p))
		return err == nil && len(b) <= dingTalkMaxBody
	})
	out := make([]json.RawMessage, 0, len(parts))
	for _, p := range parts {
		v := body(p)
		// A part that still does not fit (one key with long errors and warnings) loses the end of its text.
		b, err := shrinkToFit(&v.Markdown.Text, dingTalkMaxBody, func() ([]byte, error) { return robotJSON(v) })
		if err != nil {
			return nil, fmt.Errorf("dingtalk: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Send posts one rendered body. With a secret, each attempt appends that attempt's timestamp and
// signature to the URL. Errcode 130101 (sent too fast) is retried like a 429; any other errcode is
// permanent and reported as "errcode N: errmsg".
func (d *DingTalk) Send(ctx context.Context, body json.RawMessage) error {
	var sign string // this attempt's, scrubbed from its error (attempts run one after another)
	return d.poster.post(ctx, func(ctx context.Context, at time.Time) (*http.Request, error) {
		u := d.url
		if d.secret != "" {
			sign = dingTalkSign(d.secret, at.UnixMilli())
			u = dingTalkSignedURL(u, d.secret, at)
		}
		return robotRequest(ctx, u, body)
	}, scrubSign(classifyErrcode(dingTalkTooFast), &sign))
}

// dingTalkSign is the robot's signature for a timestamp in milliseconds: Base64 of HMAC-SHA256 keyed
// with the secret over timestamp + "\n" + secret. The caller URL-encodes it.
func dingTalkSign(secret string, ms int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// dingTalkSignedURL appends &timestamp=…&sign=… for time at to the webhook URL, keeping its query as
// given.
func dingTalkSignedURL(webhookURL, secret string, at time.Time) string {
	ms := at.UnixMilli()
	sep := "&"
	if !strings.Contains(webhookURL, "?") {
		sep = "?"
	}
	return webhookURL + sep + "timestamp=" + strconv.FormatInt(ms, 10) + "&sign=" + url.QueryEscape(dingTalkSign(secret, ms))
}

// The helpers below are shared by the three robots (DingTalk, Feishu, WeCom).

// robotTimeout bounds one post when the caller passes no client.
const robotTimeout = 10 * time.Second

func robotClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: robotTimeout}
}

// checkRobotURL accepts an absolute http(s) URL with a host. Whether http:// is allowed (loopback
// only) is the configuration's rule. The error names the channel, never the URL.
func checkRobotURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s: the webhook URL is not an http(s) URL with a host", name)
	}
	return nil
}

// robotJSON encodes a body without HTML escaping, so that "<", ">" and "&" stay readable in the
// preview and count as one byte each.
func robotJSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func robotRequest(ctx context.Context, u string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return req, nil
}

// scrubSign removes *sign, an attempt's signature, from what classify says of that attempt's answer
// (a server may echo the request), in its plain and URL-encoded forms.
func scrubSign(classify classifyFunc, sign *string) classifyFunc {
	return func(resp *http.Response, body []byte) error {
		err := classify(resp, body)
		if err == nil || *sign == "" {
			return err
		}
		return scrub(err, *sign, url.QueryEscape(*sign), url.PathEscape(*sign))
	}
}

// shrinkToFit cuts *text until encode's result is at most limit bytes, and returns that result.
func shrinkToFit(text *string, limit int, encode func() ([]byte, error)) ([]byte, error) {
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

// errcodeAnswer is the answer of the DingTalk and WeCom robots: HTTP 200 with errcode 0 when the
// message was taken.
type errcodeAnswer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// classifyErrcode judges a robot's errcode answer: a non-2xx status follows the HTTP policy; on 2xx,
// errcode 0 is delivered, rateLimit is retried, any other code (or an answer that is not the robot's
// JSON) is permanent.
func classifyErrcode(rateLimit int) classifyFunc {
	return func(resp *http.Response, body []byte) error {
		if resp.StatusCode/100 != 2 {
			return classifyHTTP(resp, body)
		}
		var a errcodeAnswer
		if err := json.Unmarshal(body, &a); err != nil || a.ErrCode == nil {
			return fmt.Errorf("HTTP %s without the robot's errcode%s", statusText(resp), bodyHint(body))
		}
		switch *a.ErrCode {
		case 0:
			return nil
		case rateLimit:
			return retryable(errcodeError(*a.ErrCode, a.ErrMsg), 0)
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

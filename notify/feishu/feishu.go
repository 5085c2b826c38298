// Package feishu posts a run's message to a Feishu or Lark custom bot (FEISHU_WEBHOOK_URL, optional
// FEISHU_SECRET) as interactive cards.
package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/escape"
	"github.com/akrecycle/ak-recycle-alert/notify/robot"
)

// name is the channel's name, as it appears in the result.
const name = "feishu"

// Feishu / Lark custom bot limits and codes. Source: "自定义机器人使用指南"
// (open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN, English version
// open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): 100 requests a minute and 5 a second
// per bot, error 11232 when throttled, a request body of at most 20 KB, and code 19021 "sign match
// fail or timestamp is not within one hour from current time". Code 9499 is retried as an over-limit
// answer as in github.com/kubesphere/notification-manager/pull/126; 99991400 is the platform's
// "request trigger frequency limit" (open.feishu.cn/document/server-docs/api-call-guide/frequency-control).
const (
	// maxBody is the largest body the bot accepts (20 KB, read as 20,000 bytes to be safe).
	maxBody = 20000
	// signOverhead is room for the "timestamp" and "sign" fields that signing adds to a body.
	signOverhead = 96
	// pace spaces posts to the bot's 5 a second.
	pace = 200 * time.Millisecond
)

// rateLimited are the codes that mean "too many requests": they are retried.
var rateLimited = map[int]bool{11232: true, 9499: true, 99991400: true}

// channel posts to a Feishu or Lark custom bot; hosts open.feishu.cn and open.larksuite.com work
// alike. Each part of a message is an interactive card; with a secret every attempt carries its own
// timestamp and signature in the body.
type channel struct {
	url    string
	secret string
	poster notify.Poster
}

// New returns the Feishu channel for the bot's webhook URL
// (https://open.feishu.cn/open-apis/bot/v2/hook/…). secret is the bot's signing secret, or empty.
// client must have a timeout; nil means a client with a 10 s timeout. The error never holds the URL's
// path or query, nor the secret.
func newChannel(webhookURL, secret string, client *http.Client) (*channel, error) {
	p, err := robot.NewPoster(name, webhookURL, secret, client)
	if err != nil {
		return nil, err
	}
	return &channel{url: webhookURL, secret: secret, poster: p}, nil
}

// Name is the channel's name.
func (f *channel) Name() string { return name }

// Pace is 200 ms: the bot takes 5 posts a second.
func (f *channel) Pace() time.Duration { return pace }

// card is an interactive message: a colored header and lark_md blocks. A signed attempt sets
// Timestamp and Sign, which go first; the rendered card has neither.
type card struct {
	Timestamp string    `json:"timestamp,omitempty"`
	Sign      string    `json:"sign,omitempty"`
	MsgType   string    `json:"msg_type"`
	Card      cardInner `json:"card"`
}

type cardInner struct {
	Config   config    `json:"config"`
	Header   header    `json:"header"`
	Elements []element `json:"elements"`
}

type config struct {
	WideScreenMode bool `json:"wide_screen_mode"`
}

type header struct {
	Template string `json:"template"`
	Title    text   `json:"title"`
}

type text struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// element is a "div" with plain_text or lark_md text, or an "hr" (Text nil).
type element struct {
	Tag  string `json:"tag"`
	Text *text  `json:"text,omitempty"`
}

// Render returns one card per part; a part holds as many keys as fit in the bot's 20 KB, leaving room
// for the signature. The header is the part's title, red when a key is purged within a day, orange for
// other news, blue for a quiet digest. The bodies carry no signature: each attempt adds its own.
func (f *channel) Render(r *alert.Report) ([]notify.Post, error) {
	m := notify.NewMessage(r)
	limit := maxBody - signOverhead
	parts := m.Split(func(p notify.Part) bool {
		b, err := robot.JSON(cardOf(p))
		return err == nil && len(b) <= limit
	})
	out := make([]notify.Post, 0, len(parts))
	for _, p := range parts {
		c := cardOf(p)
		// A part that still does not fit (one key with long errors and warnings) loses the end of its
		// last block.
		last := c.Card.Elements[len(c.Card.Elements)-1].Text
		b, err := robot.ShrinkToFit(&last.Content, limit, func() ([]byte, error) { return robot.JSON(c) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, notify.NewPost(b, func(ctx context.Context) error { return f.send(ctx, c) }))
	}
	return out, nil
}

// larkMD is lark_md as robot.KeyLines writes it. lark_md reads the markup of the robots' markdown
// (robot.Text) and has no inline code: the restore command is text, easy to copy.
var larkMD = robot.Format{NL: "\n", Text: robot.Text, Bold: robot.Bold, Code: command}

// command shows a command as lark_md text when it is inert as it is, and otherwise returns "".
func command(s string) string {
	if robot.Text(s) != s {
		return ""
	}
	return s
}

// cardOf lays one part out. The context line, made of data, is a plain_text element, which
// Feishu shows as it is (open.feishu.cn/document/ukTMukTMukTM/uUzNwUjL1cDM14SN3ATN: plain_text is
// plain text, lark_md reads markdown); the keys and the notes need bold and are lark_md, with text
// from outside escaped by robot.Text.
func cardOf(p notify.Part) card {
	md := func(s string) element {
		return element{Tag: "div", Text: &text{Tag: "lark_md", Content: s}}
	}
	els := []element{{Tag: "div", Text: &text{Tag: "plain_text", Content: escape.OneLine(p.Context())}}}
	for _, g := range p.Groups() {
		els = append(els, element{Tag: "hr"})
		if g.Account != "" {
			els = append(els, md(robot.AccountHeading(g.Account, larkMD)))
		}
		for i, k := range g.Keys {
			els = append(els, md(robot.KeyLines(k, g.Offset+i+1, larkMD)))
		}
	}
	var notes []string
	if eg := p.Errors(); len(eg) > 0 {
		lines := []string{robot.Bold("Users whose recycle bin could not be read")}
		for _, g := range eg {
			lines = append(lines, "- "+robot.Text(g.Text()))
		}
		notes = append(notes, strings.Join(lines, "\n"))
	}
	if w := p.Warnings(); len(w) > 0 {
		lines := []string{robot.Bold("Warnings")}
		for _, s := range w {
			lines = append(lines, "- "+robot.Text(s))
		}
		notes = append(notes, strings.Join(lines, "\n"))
	}
	if rl := p.RestLine(); rl != "" {
		notes = append(notes, rl)
	}
	if len(notes) > 0 {
		els = append(els, element{Tag: "hr"}, md(strings.Join(notes, "\n\n")))
	}
	return card{MsgType: "interactive", Card: cardInner{
		Config:   config{WideScreenMode: true},
		Header:   header{Template: color(p.Message), Title: text{Tag: "plain_text", Content: p.Title()}},
		Elements: els,
	}}
}

// RenderNotice returns the notice as one card: its title in the header (orange when it asks for
// attention, else green) and its text as plain_text, which Feishu shows as it is.
func (f *channel) RenderNotice(n *notify.Notice) ([]notify.Post, error) {
	template := "green"
	if n.Attention {
		template = "orange"
	}
	c := card{MsgType: "interactive", Card: cardInner{
		Config:   config{WideScreenMode: true},
		Header:   header{Template: template, Title: text{Tag: "plain_text", Content: n.Title}},
		Elements: []element{{Tag: "div", Text: &text{Tag: "plain_text", Content: escape.OneLine(n.Text)}}},
	}}
	b, err := robot.JSON(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []notify.Post{notify.NewPost(b, func(ctx context.Context) error { return f.send(ctx, c) })}, nil
}

func color(m *notify.Message) string {
	for _, k := range m.Keys {
		if k.Urgent {
			return "red"
		}
	}
	if len(m.Keys) > 0 || len(m.ErrorGroups) > 0 || len(m.Warnings) > 0 {
		return "orange"
	}
	return "blue"
}

// send posts one card. With a secret, each attempt adds that attempt's "timestamp" and "sign" to it.
// Codes 11232, 9499 and 99991400 (throttled) are retried like a 429; any other non-zero code, 19021
// (bad signature) among them, is permanent and reported as "code N: msg".
func (f *channel) send(ctx context.Context, c card) error {
	var sign string // this attempt's, scrubbed from its error (attempts run one after another)
	return f.poster.Post(ctx, func(ctx context.Context, at time.Time) (*http.Request, error) {
		if f.secret != "" {
			c.Timestamp, c.Sign = strconv.FormatInt(at.Unix(), 10), signature(f.secret, at.Unix())
			sign = c.Sign
		}
		b, err := robot.JSON(c)
		if err != nil {
			return nil, err
		}
		return robot.Request(ctx, f.url, b)
	}, robot.ScrubSign(classify, &sign))
}

// signature is the bot's signature for a timestamp in seconds: Base64 of HMAC-SHA256 keyed with
// timestamp + "\n" + secret over an empty message (unlike DingTalk, the string is the key).
func signature(secret string, sec int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(sec, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// answer is the bot's answer: {"code":0,"msg":"success"}, or from older bots
// {"StatusCode":0,"StatusMessage":"success"}.
type answer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// classify judges the bot's answer, whose code may come with HTTP 200 or 400: a throttling
// code is retried, another non-zero code is permanent, code 0 on 2xx is delivered; without a code the
// HTTP policy applies (and a 2xx without one is an error: the card may not have been taken).
func classify(resp *http.Response, body []byte) error {
	var a answer
	if json.Unmarshal(body, &a) == nil {
		code, msg := a.Code, a.Msg
		if code == nil {
			code, msg = a.StatusCode, a.StatusMessage
		}
		if code != nil {
			// The message is kept whole: the poster removes secrets from it before shortening it.
			err := fmt.Errorf("code %d: %s", *code, msg)
			switch {
			case rateLimited[*code]:
				return notify.Retryable(err, retryAfter(resp))
			case *code != 0:
				if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
					return notify.Retryable(err, retryAfter(resp))
				}
				return err
			case resp.StatusCode/100 == 2:
				return nil
			}
		}
	}
	if resp.StatusCode/100 != 2 {
		return notify.ClassifyHTTP(resp, body)
	}
	return fmt.Errorf("HTTP %s without the bot's code%s", notify.StatusText(resp), notify.BodyHint(body))
}

// retryAfter is the wait a throttled answer asks for: Retry-After, else the platform's
// x-ogw-ratelimit-reset (seconds), else 0 (the usual backoff).
func retryAfter(resp *http.Response) time.Duration {
	if d := notify.RetryAfter(resp); d > 0 {
		return d
	}
	return notify.ParseRetryAfter(resp.Header.Get("x-ogw-ratelimit-reset"), time.Now())
}

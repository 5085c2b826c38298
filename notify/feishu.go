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
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// Feishu / Lark custom bot limits and codes. Source: "自定义机器人使用指南"
// (open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN, English version
// open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): 100 requests a minute and 5 a second
// per bot, error 11232 when throttled, a request body of at most 20 KB, and code 19021 "sign match
// fail or timestamp is not within one hour from current time". Code 9499 is retried as an over-limit
// answer as in github.com/kubesphere/notification-manager/pull/126; 99991400 is the platform's
// "request trigger frequency limit" (open.feishu.cn/document/server-docs/api-call-guide/frequency-control).
const (
	// feishuMaxBody is the largest body the bot accepts (20 KB, read as 20,000 bytes to be safe).
	feishuMaxBody = 20000
	// feishuSignOverhead is room for the "timestamp" and "sign" fields Send adds to a signed body.
	feishuSignOverhead = 96
	// feishuPace spaces posts to the bot's 5 a second.
	feishuPace = 200 * time.Millisecond
)

// feishuRateLimited are the codes that mean "too many requests": they are retried.
var feishuRateLimited = map[int]bool{11232: true, 9499: true, 99991400: true}

// Feishu posts to a Feishu or Lark custom bot (FEISHU_WEBHOOK_URL, optional FEISHU_SECRET); hosts
// open.feishu.cn and open.larksuite.com work alike. Each part of a message is an interactive card;
// with a secret every attempt carries its own timestamp and signature in the body.
type Feishu struct {
	url    string
	secret string
	poster poster
}

// NewFeishu returns the Feishu channel for the bot's webhook URL
// (https://open.feishu.cn/open-apis/bot/v2/hook/…). secret is the bot's signing secret, or empty.
// client must have a timeout; nil means a client with a 10 s timeout. The error never holds the URL's
// path or query, nor the secret.
func NewFeishu(webhookURL, secret string, client *http.Client) (*Feishu, error) {
	if err := checkRobotURL(FeishuName, webhookURL); err != nil {
		return nil, err
	}
	s := urlSecrets(webhookURL)
	if secret != "" {
		s = append(s, secret)
	}
	return &Feishu{url: webhookURL, secret: secret,
		poster: poster{name: FeishuName, client: robotClient(client), secrets: s}}, nil
}

// Name is FeishuName.
func (f *Feishu) Name() string { return FeishuName }

// Pace is 200 ms: the bot takes 5 posts a second.
func (f *Feishu) Pace() time.Duration { return feishuPace }

// feishuCard is an interactive message: a colored header and lark_md blocks.
type feishuCard struct {
	MsgType string          `json:"msg_type"`
	Card    feishuCardInner `json:"card"`
}

type feishuCardInner struct {
	Config   feishuConfig    `json:"config"`
	Header   feishuHeader    `json:"header"`
	Elements []feishuElement `json:"elements"`
}

type feishuConfig struct {
	WideScreenMode bool `json:"wide_screen_mode"`
}

type feishuHeader struct {
	Template string     `json:"template"`
	Title    feishuText `json:"title"`
}

type feishuText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// feishuElement is a "div" with plain_text or lark_md text, or an "hr" (Text nil).
type feishuElement struct {
	Tag  string      `json:"tag"`
	Text *feishuText `json:"text,omitempty"`
}

// Render returns one card per part; a part holds as many keys as fit in the bot's 20 KB, leaving
// room for the signature. The header is the part's title, red when a key is purged within a day,
// orange for other news, blue for a quiet digest. The bodies carry no signature: Send adds it.
func (f *Feishu) Render(r *alert.Report) ([]json.RawMessage, error) {
	m := NewMessage(r)
	limit := feishuMaxBody - feishuSignOverhead
	parts := m.Split(func(p Part) bool {
		b, err := robotJSON(feishuCardOf(p))
		return err == nil && len(b) <= limit
	})
	out := make([]json.RawMessage, 0, len(parts))
	for _, p := range parts {
		c := feishuCardOf(p)
		// A part that still does not fit (one key with long errors and warnings) loses the end of its
		// last block.
		last := c.Card.Elements[len(c.Card.Elements)-1].Text
		b, err := shrinkToFit(&last.Content, limit, func() ([]byte, error) { return robotJSON(c) })
		if err != nil {
			return nil, fmt.Errorf("feishu: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// feishuFormat is lark_md as KeyItem.lines writes it. lark_md reads the markup of the robots'
// markdown (markdownText) and has no inline code: the restore command is text, easy to copy.
var feishuFormat = textFormat{nl: "\n", text: markdownText, bold: markdownBold, code: feishuCommand}

// feishuCommand shows a command as lark_md text when it is inert as it is, and otherwise returns "".
func feishuCommand(s string) string {
	if markdownText(s) != s {
		return ""
	}
	return s
}

// feishuCardOf lays one part out. The context line, made of data, is a plain_text element, which
// Feishu shows as it is (open.feishu.cn/document/ukTMukTMukTM/uUzNwUjL1cDM14SN3ATN: plain_text is
// plain text, lark_md reads markdown); the keys and the notes need bold and are lark_md, with text
// from outside escaped by markdownText.
func feishuCardOf(p Part) feishuCard {
	md := func(s string) feishuElement {
		return feishuElement{Tag: "div", Text: &feishuText{Tag: "lark_md", Content: s}}
	}
	els := []feishuElement{{Tag: "div", Text: &feishuText{Tag: "plain_text", Content: oneLine(p.Context())}}}
	for i, k := range p.Keys {
		if i == 0 {
			els = append(els, feishuElement{Tag: "hr"})
		}
		els = append(els, md(k.lines(p.Offset+i+1, feishuFormat)))
	}
	var notes []string
	if eg := p.Errors(); len(eg) > 0 {
		lines := []string{markdownBold("Users whose recycle bin could not be read")}
		for _, g := range eg {
			lines = append(lines, "- "+markdownText(g.Text()))
		}
		notes = append(notes, strings.Join(lines, "\n"))
	}
	if w := p.Warnings(); len(w) > 0 {
		lines := []string{markdownBold("Warnings")}
		for _, s := range w {
			lines = append(lines, "- "+markdownText(s))
		}
		notes = append(notes, strings.Join(lines, "\n"))
	}
	if rl := p.RestLine(); rl != "" {
		notes = append(notes, rl)
	}
	if len(notes) > 0 {
		els = append(els, feishuElement{Tag: "hr"}, md(strings.Join(notes, "\n\n")))
	}
	return feishuCard{MsgType: "interactive", Card: feishuCardInner{
		Config:   feishuConfig{WideScreenMode: true},
		Header:   feishuHeader{Template: feishuColor(p.Message), Title: feishuText{Tag: "plain_text", Content: p.Title()}},
		Elements: els,
	}}
}

func feishuColor(m *Message) string {
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

// Send posts one rendered body. With a secret, each attempt adds that attempt's "timestamp" and
// "sign" to the body. Codes 11232, 9499 and 99991400 (throttled) are retried like a 429; any other
// non-zero code, 19021 (bad signature) among them, is permanent and reported as "code N: msg".
func (f *Feishu) Send(ctx context.Context, body json.RawMessage) error {
	var sign string // this attempt's, scrubbed from its error (attempts run one after another)
	return f.poster.post(ctx, func(ctx context.Context, at time.Time) (*http.Request, error) {
		b := []byte(body)
		if f.secret != "" {
			var err error
			if b, err = feishuSigned(body, f.secret, at); err != nil {
				return nil, err
			}
			sign = feishuSign(f.secret, at.Unix())
		}
		return robotRequest(ctx, f.url, b)
	}, scrubSign(classifyFeishu, &sign))
}

// feishuSign is the bot's signature for a timestamp in seconds: Base64 of HMAC-SHA256 keyed with
// timestamp + "\n" + secret over an empty message (unlike DingTalk, the string is the key).
func feishuSign(secret string, sec int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(sec, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// feishuSigned returns body, a JSON object, with "timestamp" and "sign" for time at put first.
func feishuSigned(body json.RawMessage, secret string, at time.Time) ([]byte, error) {
	b := bytes.TrimSpace(body)
	if len(b) < 2 || b[0] != '{' || !json.Valid(b) {
		return nil, errors.New("the body is not a JSON object")
	}
	sec := at.Unix()
	head, err := robotJSON(struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
	}{strconv.FormatInt(sec, 10), feishuSign(secret, sec)})
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), head[:len(head)-1]...) // without its "}"
	if rest := bytes.TrimSpace(b[1:]); rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// feishuAnswer is the bot's answer: {"code":0,"msg":"success"}, or from older bots
// {"StatusCode":0,"StatusMessage":"success"}.
type feishuAnswer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// classifyFeishu judges the bot's answer, whose code may come with HTTP 200 or 400: a throttling
// code is retried, another non-zero code is permanent, code 0 on 2xx is delivered; without a code the
// HTTP policy applies (and a 2xx without one is an error: the card may not have been taken).
func classifyFeishu(resp *http.Response, body []byte) error {
	var a feishuAnswer
	if json.Unmarshal(body, &a) == nil {
		code, msg := a.Code, a.Msg
		if code == nil {
			code, msg = a.StatusCode, a.StatusMessage
		}
		if code != nil {
			// The message is kept whole: the poster removes secrets from it before shortening it.
			err := fmt.Errorf("code %d: %s", *code, msg)
			switch {
			case feishuRateLimited[*code]:
				return retryable(err, feishuRetryAfter(resp))
			case *code != 0:
				if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
					return retryable(err, feishuRetryAfter(resp))
				}
				return err
			case resp.StatusCode/100 == 2:
				return nil
			}
		}
	}
	if resp.StatusCode/100 != 2 {
		return classifyHTTP(resp, body)
	}
	return fmt.Errorf("HTTP %s without the bot's code%s", statusText(resp), bodyHint(body))
}

// feishuRetryAfter is the wait a throttled answer asks for: Retry-After, else the platform's
// x-ogw-ratelimit-reset (seconds), else 0 (the usual backoff).
func feishuRetryAfter(resp *http.Response) time.Duration {
	if d := retryAfterOf(resp); d > 0 {
		return d
	}
	return retryAfter(resp.Header.Get("x-ogw-ratelimit-reset"), time.Now())
}

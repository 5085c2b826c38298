package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// WeCom group robot limits and codes. Sources: developer.work.weixin.qq.com/document/path/91770
// ("markdown content, at most 4096 bytes, UTF-8"; 20 messages a minute per robot), the robot's answer
// errcode 40058 "markdown.content exceed max length 4096" (github.com/dromara/domain-admin/issues/82),
// and the global code 45009 "api freq out of limit"
// (open.work.weixin.qq.com/devtool/query?e=45009, quoted on developers.weixin.qq.com).
const (
	// weComMaxContent is the largest markdown content the robot accepts, in UTF-8 bytes.
	weComMaxContent = 4096
	// weComPace spaces posts to the robot's 20 a minute.
	weComPace = 3 * time.Second
	// weComTooFast is the errcode of the rate limit; it is retried.
	weComTooFast = 45009
)

// WeCom posts to a WeCom (企业微信) group robot (WECOM_WEBHOOK_URL). The robot has no signing: the
// key in the URL is the secret. Each part of a message is a markdown message.
type WeCom struct {
	url    string
	poster poster
}

// NewWeCom returns the WeCom channel for the robot's webhook URL
// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…). client must have a timeout; nil means a
// client with a 10 s timeout. The error never holds the URL's path or query.
func NewWeCom(webhookURL string, client *http.Client) (*WeCom, error) {
	if err := checkRobotURL(WeComName, webhookURL); err != nil {
		return nil, err
	}
	return &WeCom{url: webhookURL,
		poster: poster{name: WeComName, client: robotClient(client), secrets: urlSecrets(webhookURL)}}, nil
}

// Name is WeComName.
func (w *WeCom) Name() string { return WeComName }

// Pace is 3 s: the robot takes 20 posts a minute.
func (w *WeCom) Pace() time.Duration { return weComPace }

type weComBody struct {
	MsgType  string        `json:"msgtype"`
	Markdown weComMarkdown `json:"markdown"`
}

type weComMarkdown struct {
	Content string `json:"content"`
}

// Render returns one markdown message per part; a part holds as many keys as fit in the robot's 4096
// bytes of content.
func (w *WeCom) Render(r *alert.Report) ([]json.RawMessage, error) {
	parts := NewMessage(r).Split(func(p Part) bool {
		return len(p.Markdown("\n")) <= weComMaxContent
	})
	out := make([]json.RawMessage, 0, len(parts))
	for _, p := range parts {
		text := p.Markdown("\n")
		// A part that still does not fit (one key with long errors and warnings) loses its end.
		if _, err := shrinkToFit(&text, weComMaxContent, func() ([]byte, error) { return []byte(text), nil }); err != nil {
			return nil, fmt.Errorf("wecom: %w", err)
		}
		b, err := robotJSON(weComBody{MsgType: "markdown", Markdown: weComMarkdown{Content: text}})
		if err != nil {
			return nil, fmt.Errorf("wecom: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Send posts one rendered body. Errcode 45009 (api freq out of limit) is retried like a 429; any
// other errcode is permanent and reported as "errcode N: errmsg".
func (w *WeCom) Send(ctx context.Context, body json.RawMessage) error {
	return w.poster.post(ctx, func(ctx context.Context, _ time.Time) (*http.Request, error) {
		return robotRequest(ctx, w.url, body)
	}, classifyErrcode(weComTooFast))
}

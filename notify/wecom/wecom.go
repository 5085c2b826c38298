// Package wecom posts a run's message to a WeCom (企业微信) group robot (WECOM_WEBHOOK_URL) as markdown
// messages, paced to the robot's 20 a minute.
package wecom

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/robot"
)

// name is the channel's name, as it appears in the result.
const name = "wecom"

// WeCom group robot limits and codes. Sources: developer.work.weixin.qq.com/document/path/91770
// ("markdown content, at most 4096 bytes, UTF-8"; 20 messages a minute per robot), the robot's answer
// errcode 40058 "markdown.content exceed max length 4096" (github.com/dromara/domain-admin/issues/82),
// and the global code 45009 "api freq out of limit"
// (open.work.weixin.qq.com/devtool/query?e=45009, quoted on developers.weixin.qq.com).
const (
	// maxContent is the largest markdown content the robot accepts, in UTF-8 bytes.
	maxContent = 4096
	// pace spaces posts to the robot's 20 a minute.
	pace = 3 * time.Second
	// tooFast is the errcode of the rate limit; it is retried.
	tooFast = 45009
)

// channel posts to a WeCom group robot. The robot has no signing: the key in the URL is the secret.
// Each part of a message is a markdown message.
type channel struct {
	url    string
	poster notify.Poster
}

// New returns the WeCom channel for the robot's webhook URL
// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…). client must have a timeout; nil means a
// client with a 10 s timeout. The error never holds the URL's path or query.
func newChannel(webhookURL string, client *http.Client) (*channel, error) {
	p, err := robot.NewPoster(name, webhookURL, "", client)
	if err != nil {
		return nil, err
	}
	return &channel{url: webhookURL, poster: p}, nil
}

// Name is the channel's name.
func (w *channel) Name() string { return name }

// Pace is 3 s: the robot takes 20 posts a minute.
func (w *channel) Pace() time.Duration { return pace }

type body struct {
	MsgType  string   `json:"msgtype"`
	Markdown markdown `json:"markdown"`
}

type markdown struct {
	Content string `json:"content"`
}

// Render returns one markdown message per part; a part holds as many keys as fit in the robot's 4096
// bytes of content.
func (w *channel) Render(r *alert.Report) ([]notify.Post, error) {
	parts := notify.NewMessage(r).Split(func(p notify.Part) bool {
		return len(robot.Markdown(p, "\n")) <= maxContent
	})
	out := make([]notify.Post, 0, len(parts))
	for _, p := range parts {
		text := robot.Markdown(p, "\n")
		// A part that still does not fit (one key with long errors and warnings) loses its end.
		if _, err := robot.ShrinkToFit(&text, maxContent, func() ([]byte, error) { return []byte(text), nil }); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b, err := robot.JSON(body{MsgType: "markdown", Markdown: markdown{Content: text}})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, notify.NewPost(b, func(ctx context.Context) error { return w.send(ctx, b) }))
	}
	return out, nil
}

// RenderNotice returns the notice as one markdown message.
func (w *channel) RenderNotice(n *notify.Notice) ([]notify.Post, error) {
	b, err := robot.JSON(body{MsgType: "markdown", Markdown: markdown{Content: robot.NoticeMarkdown(n, "\n")}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []notify.Post{notify.NewPost(b, func(ctx context.Context) error { return w.send(ctx, b) })}, nil
}

// send posts one rendered body. Errcode 45009 (api freq out of limit) is retried like a 429; any
// other errcode is permanent and reported as "errcode N: errmsg".
func (w *channel) send(ctx context.Context, body []byte) error {
	return w.poster.Post(ctx, func(ctx context.Context, _ time.Time) (*http.Request, error) {
		return robot.Request(ctx, w.url, body)
	}, robot.ClassifyErrcode(tooFast))
}

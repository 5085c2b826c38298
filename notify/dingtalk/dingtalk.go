// Package dingtalk posts a run's message to a DingTalk custom robot (DINGTALK_WEBHOOK_URL, optional
// DINGTALK_SECRET) as markdown messages, paced to the robot's 20 a minute.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/robot"
)

// name is the channel's name, as it appears in the result.
const name = "dingtalk"

// DingTalk custom robot limits and codes. Sources: the custom robot guide
// (open.dingtalk.com/document/robots/custom-robot-access: 20 messages a minute per robot, throttled for 10
// minutes beyond, errcode 130101 "send too fast, exceed 20 times per minute"); the body limit is the
// robot's own answer errcode 460101 "message too long, exceed 20000 bytes", reported in
// github.com/timonwong/prometheus-webhook-dingtalk/issues/30 and github.com/Le0nsec/SecCrawler/issues/12.
const (
	// maxBody is the largest body the robot accepts, in bytes.
	maxBody = 20000
	// pace spaces posts to the robot's 20 a minute.
	pace = 3 * time.Second
	// tooFast is the errcode of the robot's rate limit; it is retried.
	tooFast = 130101
)

// channel posts to a DingTalk custom robot. Each part of a message is a markdown message; with a
// secret every attempt is signed anew.
type channel struct {
	url    string
	secret string
	poster notify.Poster
}

// New returns the DingTalk channel for the robot's webhook URL
// (https://oapi.dingtalk.com/robot/send?access_token=…). secret is the robot's signing secret (SEC…),
// or empty when the robot does not use signing. client must have a timeout; nil means a client with
// a 10 s timeout. The error never holds the URL's path or query, nor the secret.
func newChannel(webhookURL, secret string, client *http.Client) (*channel, error) {
	if secret != "" {
		if err := checkSecret(secret); err != nil {
			return nil, fmt.Errorf("%s: signing secret: %w", name, err)
		}
	}
	p, err := robot.NewPoster(name, webhookURL, secret, client)
	if err != nil {
		return nil, err
	}
	return &channel{url: webhookURL, secret: secret, poster: p}, nil
}

// checkSecret is the rule of a robot's signing secret: it starts with SEC.
func checkSecret(secret string) error {
	if !strings.HasPrefix(secret, "SEC") {
		return errors.New("not a DingTalk signing secret: it should start with SEC")
	}
	return nil
}

// Name is the channel's name.
func (d *channel) Name() string { return name }

// Pace is 3 s: the robot takes 20 posts a minute.
func (d *channel) Pace() time.Duration { return pace }

// body is the robot's markdown message.
type body struct {
	MsgType  string   `json:"msgtype"`
	Markdown markdown `json:"markdown"`
}

type markdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Render returns one markdown message per part; a part holds as many keys as fit in the robot's
// 20,000 bytes. The title (shown in notifications) is the part's first line; in the text a line ends
// with two spaces, which DingTalk's markdown needs for a line break.
func (d *channel) Render(r *alert.Report) ([]notify.Post, error) {
	bodyOf := func(p notify.Part) body {
		return body{MsgType: "markdown", Markdown: markdown{Title: p.Title(), Text: robot.Markdown(p, "  \n")}}
	}
	parts := notify.NewMessage(r).Split(func(p notify.Part) bool {
		b, err := robot.JSON(bodyOf(p))
		return err == nil && len(b) <= maxBody
	})
	out := make([]notify.Post, 0, len(parts))
	for _, p := range parts {
		v := bodyOf(p)
		// A part that still does not fit (one key with long errors and warnings) loses the end of its text.
		b, err := robot.ShrinkToFit(&v.Markdown.Text, maxBody, func() ([]byte, error) { return robot.JSON(v) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, notify.NewPost(b, func(ctx context.Context) error { return d.send(ctx, b) }))
	}
	return out, nil
}

// RenderNotice returns the notice as one markdown message, its title also the notification's.
func (d *channel) RenderNotice(n *notify.Notice) ([]notify.Post, error) {
	b, err := robot.JSON(body{MsgType: "markdown", Markdown: markdown{Title: n.Title, Text: robot.NoticeMarkdown(n, "  \n")}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []notify.Post{notify.NewPost(b, func(ctx context.Context) error { return d.send(ctx, b) })}, nil
}

// send posts one rendered body. With a secret, each attempt appends that attempt's timestamp and
// signature to the URL. Errcode 130101 (sent too fast) is retried like a 429; any other errcode is
// permanent and reported as "errcode N: errmsg".
func (d *channel) send(ctx context.Context, body []byte) error {
	var sign string // this attempt's, scrubbed from its error (attempts run one after another)
	return d.poster.Post(ctx, func(ctx context.Context, at time.Time) (*http.Request, error) {
		u := d.url
		if d.secret != "" {
			sign = signature(d.secret, at.UnixMilli())
			u = signedURL(u, d.secret, at)
		}
		return robot.Request(ctx, u, body)
	}, robot.ScrubSign(robot.ClassifyErrcode(tooFast), &sign))
}

// signature is the robot's signature for a timestamp in milliseconds: Base64 of HMAC-SHA256 keyed
// with the secret over timestamp + "\n" + secret. The caller URL-encodes it.
func signature(secret string, ms int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signedURL appends &timestamp=…&sign=… for time at to the webhook URL, keeping its query as
// given.
func signedURL(webhookURL, secret string, at time.Time) string {
	ms := at.UnixMilli()
	sep := "&"
	if !strings.Contains(webhookURL, "?") {
		sep = "?"
	}
	return webhookURL + sep + "timestamp=" + strconv.FormatInt(ms, 10) + "&sign=" + url.QueryEscape(signature(secret, ms))
}

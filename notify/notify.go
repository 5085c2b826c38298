// Package notify tells people what a run found, on every configured channel: it turns a run's
// alert.Report into the channel-neutral Message that every chat channel lays out, delivers each
// channel's posts in order at the channel's pace, and holds what every channel shares: the retry
// policy of HTTP posts (Poster), the redaction of secrets from errors, the URL rule, and Spec, the
// description of a kind of channel from which the configuration, the "no channel" check and the wiring
// of main are derived.
//
// # Channels
//
// Each channel lives in a folder of its own below this one (slack, webhook, dingtalk, feishu, wecom),
// the robots' shared code in robot, and package channels lists them all: the registry. Render turns
// a report into the channel's posts (all of them before any is sent, so that a channel that cannot
// render fails the run before any channel was posted to); each Post carries its typed body and sends
// it itself; Deliver sends a channel's posts in order, Pace apart.
//
// # Delivery
//
// Delivery is at least once. A Poster retries 429 (honouring Retry-After), 5xx, 408 and connection
// errors, up to 3 attempts within the context's deadline; other answers are permanent. A channel's
// classify function reads a vendor's answer (a robot's errcode in an HTTP 200) into the same policy.
// Every error is a *DeliveryError that names the channel and the attempts, on one line, with every
// secret (webhook URLs and their parts, tokens, signing secrets, signatures) removed before it is
// shortened.
//
// # Notices
//
// Besides a run's report, every channel tells its people of events that are not a run: a Notice (a key
// restored from Slack, a refused click). Announce renders a notice for every channel and posts it to
// all of them at once; each channel's RenderNotice lays it out as a short message of its own format (the
// generic webhook posts the notice's own JSON body under its own webhook-id).
//
// # Hostile data
//
// Text from outside the function (names, IDs, error messages, warnings, the account label) is data,
// never markup: the Message carries it as it came, and each format escapes it where it enters it
// (package escape holds the pieces every escaper is made of); a restore command is shown exactly or
// not at all, and is safe to paste into a shell (KeyItem.Restore).
//
// # Adding a channel
//
// A channel, say Microsoft Teams, is one folder and one line:
//
//  1. notify/teams: a type with Name, Render, RenderNotice and Pace (the Channel interface). Render
//     builds the message with NewMessage and Message.Split (as few numbered parts as the vendor's
//     limits allow) and returns one Post per part, made with NewPost from the exact JSON body and a
//     function that sends it with a Poster (Poster{Name: "teams", Client: client, Secrets:
//     URLSecrets(url)}) and a classify function for the vendor's answers (start from ClassifyHTTP;
//     mark a rate-limit answer with Retryable). RenderNotice lays a Notice out as one short post the
//     same way. Constructors check URLs with CheckURL, and name no secret in their errors.
//  2. In that folder, a Spec: the channel's name, its environment variables (the first turns the
//     channel on; Secret for every value that must never be shown; Check for a value's rule; an
//     Example of a valid value) and New, which builds the channel from their values and the Options
//     every channel is built with (the HTTP client, and the signer of the Restore buttons for a
//     channel that can carry buttons).
//  3. One line in notify/channels: the Spec in All. The folder exports only its Spec: the registry
//     is how the rest of the function meets a channel.
//  4. Tests with notify/notifytest: the shared report fixtures and golden files, the fake vendor
//     server, the retry-status table (CheckRetries), the no-secret check (CheckNoSecrets) and the
//     notice's (CheckNotice).
//  5. s.yaml's environmentVariables and the README's configuration table get the new variables
//     (go test -run ReadmeConfigTable -update . rewrites the table).
//
// The repository's tests then check the rest from the registry: every variable is read by config,
// validated, documented in the README and wired in s.yaml, secrets are never shown, the "no channel
// configured" message names the channel, and main builds and delivers to it.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// Channel is one configured destination.
type Channel interface {
	// Name is the channel's name in the result (slack-webhook, slack, webhook, dingtalk, …).
	Name() string
	// Render turns a report into the posts to make, in order. A report with nothing to say still
	// renders (the caller decides whether to post).
	Render(r *alert.Report) ([]Post, error)
	// RenderNotice turns a notice (an event that is not a run's report: a restore from Slack) into the
	// posts to make, in order.
	RenderNotice(n *Notice) ([]Post, error)
	// Pace is the least time between two posts of one run (DingTalk and WeCom: 3 s), or 0.
	Pace() time.Duration
}

// Post is one rendered message of a channel, ready to send.
type Post struct {
	// Body is the JSON the vendor receives (before any signature of an attempt): what a dry run shows.
	Body json.RawMessage
	// send posts the message the body was made from.
	send func(ctx context.Context) error
}

// NewPost returns the post of body, which send posts. send holds the channel's own typed message,
// so that nothing is parsed back from the JSON.
func NewPost(body json.RawMessage, send func(ctx context.Context) error) Post {
	return Post{Body: body, send: send}
}

// Send posts the message, retrying as the package comment says. Its error names the channel and
// never holds a secret.
func (p Post) Send(ctx context.Context) error { return p.send(ctx) }

// Deliver sends posts in order, waiting ch.Pace() between two of them, and stops at the first that
// fails. It returns how many were sent. When the pace would carry the next post past ctx's deadline
// it gives up at once with an error saying so; an error names the channel and, for a message of
// several parts, which part failed.
func Deliver(ctx context.Context, ch Channel, posts []Post) (sent int, err error) {
	pace := ch.Pace()
	for i, p := range posts {
		if i > 0 && pace > 0 {
			if dl, ok := ctx.Deadline(); ok && !time.Now().Add(pace).Before(dl) {
				return sent, fmt.Errorf("%s: %s not sent: waiting %s between posts (the channel's rate limit) would pass the deadline",
					ch.Name(), partOf(i, len(posts)), pace)
			}
			if err := sleep.For(ctx, pace); err != nil {
				return sent, fmt.Errorf("%s: %s not sent: %w", ch.Name(), partOf(i, len(posts)), err)
			}
		}
		if err := p.Send(ctx); err != nil {
			if len(posts) > 1 {
				return sent, fmt.Errorf("%w (%s, %d sent before it)", err, partOf(i, len(posts)), sent)
			}
			return sent, err
		}
		sent++
	}
	return sent, nil
}

func partOf(i, n int) string { return fmt.Sprintf("part %d/%d", i+1, n) }

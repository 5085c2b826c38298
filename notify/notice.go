package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Notice is a message that is not a run's report: an event the function tells every channel of, such as
// an AccessKey restored from Slack, or a click on a Restore button that was refused.
type Notice struct {
	// Title is the headline, in the function's own words: it holds no text from outside, so formats show
	// it as it is. It contains "AccessKey", so that DingTalk and Feishu keyword filters match it.
	Title string
	// Text is one sentence of plain text that holds values from outside (names, IDs) as they came: each
	// format escapes it where it enters it.
	Text string
	// Attention is true for a notice someone should look at (a refusal): a channel that colours its
	// messages uses its warning colour.
	Attention bool
	// ID is the generic webhook's webhook-id for the notice: the same for a replay of the same event.
	ID string
	// Body is the generic webhook's JSON body for the notice (a wire format of its own, with its own
	// "type").
	Body json.RawMessage
}

// Announce renders n for every channel first and, when every channel rendered it, posts it to all of them
// at once, each at its own pace, and waits for them. The error joins the failures, each naming its
// channel and holding no secret; when a channel cannot render n, nothing is sent anywhere.
func Announce(ctx context.Context, channels []Channel, n *Notice) error {
	rendered := make([][]Post, len(channels))
	var problems []string
	for i, ch := range channels {
		posts, err := renderNotice(ch, n)
		if err != nil {
			problems = append(problems, ch.Name()+": "+err.Error())
		}
		rendered[i] = posts
	}
	if len(problems) > 0 {
		return errors.New("nothing sent: rendering the notice failed for " + strings.Join(problems, "; "))
	}
	errs := make([]error, len(channels))
	var wg sync.WaitGroup
	for i, ch := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("%s: panicked", ch.Name())
				}
			}()
			if _, err := Deliver(ctx, ch, rendered[i]); err != nil {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// renderNotice renders n for ch; a panic in it is an error.
func renderNotice(ch Channel, n *Notice) (posts []Post, err error) {
	defer func() {
		if v := recover(); v != nil {
			posts, err = nil, fmt.Errorf("panicked: %v", v)
		}
	}()
	return ch.RenderNotice(n)
}

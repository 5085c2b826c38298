package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// The shared retry policy of every channel: 429, 5xx and connection errors are retried, up to 3
// attempts within the deadline; other answers are permanent.
const (
	// maxAttempts is how many times one body is posted at most.
	maxAttempts = 3
	// baseBackoff is the wait before the second attempt; it doubles for the third (1 s, 2 s), each
	// jittered by up to a quarter either way.
	baseBackoff = time.Second
	// maxResponseBody is how much of an answer is read for classification.
	maxResponseBody = 64 << 10
	// maxErrorText is how many runes of an attempt's error are kept: a vendor's message can be long.
	maxErrorText = 200
)

// DeliveryError is the error every Post's Send returns: it names the channel and the number of
// attempts made, and its text is one line free of secrets.
type DeliveryError struct {
	// Channel is the channel's name (slack-webhook, …).
	Channel string
	// Attempts is how many times the body was posted (or tried to be).
	Attempts int
	// Retryable is true when the last failure was one a later try might fix (429, 5xx, a connection
	// error, or the deadline): attempts or time ran out. False means the answer was permanent.
	Retryable bool
	// Err is the last failure, already scrubbed of secrets.
	Err error
}

// Error says what failed, e.g. "webhook: gave up after 3 attempts: HTTP 500 Internal Server Error".
func (e *DeliveryError) Error() string {
	if e.Retryable {
		return fmt.Sprintf("%s: gave up after %s: %v", e.Channel, attempts(e.Attempts), e.Err)
	}
	return fmt.Sprintf("%s: %v (permanent, %s)", e.Channel, e.Err, attempts(e.Attempts))
}

// Unwrap returns the last failure.
func (e *DeliveryError) Unwrap() error { return e.Err }

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

// retryError marks a failed attempt as worth retrying, after at least After when After > 0
// (Retry-After). An attempt error not marked so is permanent.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// Retryable marks err, a failed attempt, as one that a later attempt may fix, after at least after (0:
// the usual backoff). An attempt's error not marked so is permanent.
func Retryable(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryError{err: err, after: after}
}

// Poster makes a channel's HTTP posts with the shared retry policy. Every channel holds one.
type Poster struct {
	// Name is the channel's name, used in errors.
	Name string
	// Client does the HTTP; it must have a timeout.
	Client *http.Client
	// Secrets are scrubbed from every error (URL parts, tokens, signing secrets).
	Secrets Secrets
	// Now, Sleep and Jitter stand in for the clock, the wait between attempts and the backoff's random
	// factor in [0.75, 1.25), so that tests run without waiting; nil means time.Now, sleep.For and a
	// random factor.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64
}

func (p *Poster) clock() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Poster) wait(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return sleep.For(ctx, d)
}

func (p *Poster) backoff(attempt int) time.Duration {
	f := 0.75 + rand.Float64()/2
	if p.Jitter != nil {
		f = p.Jitter()
	}
	return time.Duration(float64(baseBackoff<<(attempt-1)) * f)
}

// Retry runs attempt up to 3 times while it returns an error marked Retryable, waiting the jittered
// backoff or the Retry-After it carries, never past ctx's deadline: when the next wait would end after
// the deadline it gives up at once and says so. attempt gets the real time of that attempt. Each
// attempt's error is scrubbed of p.Secrets and only then shortened; attempt must return the whole text
// of what it quotes (a vendor's message may echo the request), scrubbed of any secret of its own (a
// signature), so that a cut never leaves part of a secret behind. The returned error is a
// *DeliveryError.
func (p *Poster) Retry(ctx context.Context, attempt func(ctx context.Context, at time.Time) error) error {
	var last error
	n := 0
	for n < maxAttempts {
		n++
		err := p.Secrets.clean(attempt(ctx, p.clock()))
		if err == nil {
			return nil
		}
		last = err
		var re *retryError
		if !errors.As(err, &re) {
			return p.fail(n, false, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return p.fail(n, true, fmt.Errorf("%w; %w", err, cerr))
		}
		if n == maxAttempts {
			break
		}
		wait := p.backoff(n)
		if re.after > wait {
			wait = re.after
		}
		if dl, ok := ctx.Deadline(); ok && !p.clock().Add(wait).Before(dl) {
			return p.fail(n, true, fmt.Errorf("%w; the next try (in %s) would pass the deadline", err, wait.Round(time.Second)))
		}
		if werr := p.wait(ctx, wait); werr != nil {
			return p.fail(n, true, fmt.Errorf("%w; %w while waiting to retry", err, werr))
		}
	}
	return p.fail(n, true, last)
}

func (p *Poster) fail(n int, retry bool, err error) error {
	return &DeliveryError{Channel: p.Name, Attempts: n, Retryable: retry, Err: p.Secrets.Scrub(err)}
}

// Classify decides what an HTTP answer means: nil for delivered, an error marked Retryable for one
// worth retrying, any other error for a permanent failure. body is at most the first 64 KiB.
type Classify func(resp *http.Response, body []byte) error

// Post sends the request newReq builds (once per attempt, so that a signature can cover that
// attempt's time) with Retry's policy. classify judges each answer; nil means ClassifyHTTP. A
// connection error or timeout of one attempt is retried.
func (p *Poster) Post(ctx context.Context, newReq func(ctx context.Context, at time.Time) (*http.Request, error), classify Classify) error {
	if classify == nil {
		classify = ClassifyHTTP
	}
	return p.Retry(ctx, func(ctx context.Context, at time.Time) error {
		req, err := newReq(ctx, at)
		if err != nil {
			return fmt.Errorf("building the request: %w", err)
		}
		resp, err := p.Client.Do(req)
		if err != nil {
			return Retryable(TransportError(err), 0)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
		if err != nil && resp.StatusCode/100 != 2 {
			return Retryable(fmt.Errorf("HTTP %s, reading the answer: %w", resp.Status, TransportError(err)), 0)
		}
		return classify(resp, body)
	})
}

// TransportError strips the request URL from a client error: *url.Error prints it, and a webhook URL
// is a secret. What is left names the operation and the cause ("Post: dial tcp 127.0.0.1:9: connect:
// connection refused").
func TransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// ClassifyHTTP is the HTTP half of the policy: 2xx is delivered; 429 is retried after its Retry-After;
// 5xx (and 408) are retried; anything else (3xx, other 4xx) is permanent. Slack's or a robot's short
// error text in the body is quoted.
func ClassifyHTTP(resp *http.Response, body []byte) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err := fmt.Errorf("HTTP %s%s", StatusText(resp), BodyHint(body))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return Retryable(err, RetryAfter(resp))
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusRequestTimeout:
		return Retryable(err, 0)
	}
	return err
}

// StatusText is the answer's status line without the protocol: "404 Not Found".
func StatusText(resp *http.Response) string {
	if resp.Status != "" {
		return resp.Status
	}
	return strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
}

// BodyHint quotes a short, printable answer body (Slack's "invalid_payload", a robot's JSON) after ": ",
// since it often says what is wrong; long or binary bodies (HTML error pages) give "".
func BodyHint(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" || len(s) > 200 || strings.HasPrefix(s, "<") {
		return ""
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return ""
		}
	}
	return ": " + strings.Join(strings.Fields(s), " ")
}

// RetryAfter reads resp's Retry-After; an HTTP date is taken relative to the answer's own Date header
// (so a skewed local clock does not matter), else to the local clock. It is 0 when absent.
func RetryAfter(resp *http.Response) time.Duration {
	ref := time.Now()
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		ref = d
	}
	return ParseRetryAfter(resp.Header.Get("Retry-After"), ref)
}

// ParseRetryAfter parses a Retry-After value: delay seconds (at most a day) or an HTTP date, relative
// to now. It returns 0 when v is empty or unparsable (the usual backoff applies). Retry gives up rather
// than wait past the deadline.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		if s > 86400 {
			s = 86400
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

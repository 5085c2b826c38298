package fcruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// apiVersion is the runtime API version of the go1 runtime, as the official Go runtime SDK
// (github.com/aliyun/fc-runtime-go-sdk) calls it.
const apiVersion = "2020-11-11"

// Limits of the go1 loop.
const (
	// postTimeout bounds one /response or /error post.
	postTimeout = 30 * time.Second
	// firstBackoff and maxBackoff bound the wait after a failed /next; it doubles from one to the other
	// and starts again after a success.
	firstBackoff = 50 * time.Millisecond
	maxBackoff   = 2 * time.Second
)

// Start serves invocations from the go1 runtime API at api, the value of FC_RUNTIME_API (host:port, no
// scheme). It long-polls /next, runs each invocation in a goroutine of its own and polls again at once;
// an event invocation calls h and posts its result to /response or its error to /error, a lifecycle
// hook always gets an empty /response.
//
// The handler's context is derived from ctx and carries the invocation's deadline. Cancelling ctx stops
// the loop and cancels the invocations in flight; Start then waits for them to be answered and returns
// nil. Otherwise Start only returns an error for an unusable api.
func Start(ctx context.Context, api string, h Handler, opts Options) error {
	c, err := newClient(api, h, opts)
	if err != nil {
		return err
	}
	c.loop(ctx)
	return nil
}

// client is the go1 runtime's client of the runtime API.
type client struct {
	base  string // http://host:port/2020-11-11/runtime/invocation/
	hc    *http.Client
	ua    string
	r     *runner
	sleep func(context.Context, time.Duration) error // sleep.For; tests record the backoffs
}

func newClient(api string, h Handler, opts Options) (*client, error) {
	if api == "" {
		return nil, errors.New("fcruntime: runtime API address is empty")
	}
	u, err := url.Parse("http://" + api)
	if err != nil || u.Host != api {
		return nil, fmt.Errorf("fcruntime: runtime API address %q is not host:port", api)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:               nil, // the runtime API is local to the instance
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        64,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}}
	}
	return &client{
		base:  "http://" + api + "/" + apiVersion + "/runtime/invocation/",
		hc:    hc,
		ua:    "aliyun-fc-go/" + runtime.Version(),
		r:     newRunner(h, opts),
		sleep: sleep.For,
	}, nil
}

// loop polls /next until ctx is cancelled, then waits for the invocations in flight. It reads each
// event itself, after taking the event's share of the memory budget: while the events being served
// fill it, the loop polls no more.
func (c *client) loop(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	var backoff time.Duration
	for ctx.Err() == nil {
		resp, err := c.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, firstBackoff), maxBackoff)
			c.r.log.LogAttrs(ctx, slog.LevelWarn, "cannot get the next invocation",
				slog.String("error", err.Error()), slog.Duration("retryIn", backoff))
			if c.sleep(ctx, backoff) != nil {
				return
			}
			continue
		}
		backoff = 0
		inv, rejected := parseInvocation(resp.Header, kindOf(resp.Header), time.Now(), true, c.r.defaultTimeout)
		var event []byte
		release := func() {}
		if inv.Kind == Invoke && rejected == nil && inv.RequestID != "" {
			event, release, rejected = c.r.readEvent(ctx, inv, resp.Body, resp.ContentLength)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // a short drain lets the connection be reused
		resp.Body.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer release()
			c.handle(ctx, inv, event, rejected)
		}()
	}
}

// next long-polls for the next invocation and returns the answer, its body unread.
func (c *client) next(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"next", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("/next answered %s: %s", resp.Status, quote(string(msg)))
	}
	return resp, nil
}

// handle serves one invocation and posts its outcome. rejected fails it without calling the handler.
func (c *client) handle(ctx context.Context, inv Invocation, event []byte, rejected *requestError) {
	if inv.RequestID == "" {
		c.r.log.LogAttrs(ctx, slog.LevelError, "invocation without "+headerRequestID+" ignored: there is nothing to answer",
			slog.String("kind", inv.Kind.String()))
		return
	}
	out := c.r.serve(ctx, inv, event, rejected)
	if out.failed {
		b, err := json.Marshal(out.err)
		if err != nil { // cannot happen: ErrorBody is strings and ints
			b = []byte(`{"errorMessage":"cannot encode the error","errorType":"Runtime.SerializationError"}`)
		}
		c.post(ctx, inv.RequestID, "error", b)
		return
	}
	result := out.result
	if result == nil {
		result = []byte("null")
	}
	c.post(ctx, inv.RequestID, "response", result)
}

// post answers invocation id at /{id}/{what}. It runs even after ctx is cancelled, so that an invocation
// in flight at shutdown is still answered, within postTimeout.
func (c *client) post(ctx context.Context, id, what string, body []byte) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	defer cancel()
	fail := func(msg string, attrs ...slog.Attr) {
		attrs = append([]slog.Attr{slog.String("requestId", id)}, attrs...)
		c.r.log.LogAttrs(ctx, slog.LevelError, msg, attrs...)
	}
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, c.base+url.PathEscape(id)+"/"+what, bytes.NewReader(body))
	if err != nil {
		fail("cannot post the invocation's "+what, slog.String("error", err.Error()))
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.hc.Do(req)
	if err != nil {
		fail("cannot post the invocation's "+what, slog.String("error", err.Error()))
		return
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		fail("runtime API refused the invocation's "+what,
			slog.String("status", strconv.Itoa(resp.StatusCode)), slog.String("answer", string(msg)))
	}
}

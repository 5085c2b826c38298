package fcruntime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
)

// checkOneLine fails unless msg is one line of at most 4 KiB that starts with prefix.
func checkOneLine(t *testing.T, where, msg, prefix string) {
	t.Helper()
	if strings.ContainsAny(msg, "\r\n") || len(msg) > 4<<10 || !strings.HasPrefix(msg, prefix) {
		t.Errorf("%s errorMessage = %.200q (%d bytes), want one line of at most 4 KiB starting %q", where, msg, len(msg), prefix)
	}
}

// longError is an error of several lines and 100 KB, as errors.Join and chatty libraries make them.
var longError = errors.Join(errors.New("first failure"), errors.New("second\r\nfailure "+strings.Repeat("x", 100<<10)))

func TestErrorMessageIsOneBoundedLine(t *testing.T) {
	h := func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		if string(event) == `"panic"` {
			panic(longError.Error())
		}
		return nil, longError
	}
	t.Run("go1", func(t *testing.T) {
		g := startGo1(t, h, fcruntime.Options{})
		checkOneLine(t, "error", errorBody(t, g.invoke(t, fcfake.Request{Body: []byte(`{}`)})).ErrorMessage, "first failure; second; failure xxx")
		checkOneLine(t, "panic", errorBody(t, g.invoke(t, fcfake.Request{Body: []byte(`"panic"`)})).ErrorMessage, "first failure; second; failure xxx")
	})
	t.Run("custom", func(t *testing.T) {
		c := startCustom(t, h, fcruntime.Options{})
		for _, event := range []string{`{}`, `"panic"`} {
			got := c.do(t, http.MethodPost, "/invoke", nil, event)
			var e fcruntime.ErrorBody
			if got.Status != 404 || json.Unmarshal([]byte(got.Body), &e) != nil {
				t.Fatalf("POST /invoke %s = %d %.200s, want 404 with an error body", event, got.Status, got.Body)
			}
			checkOneLine(t, event, e.ErrorMessage, "first failure; second; failure xxx")
		}
	})
}

// bigEvent is an event of n bytes.
func bigEvent(n int) []byte {
	return []byte(`"` + strings.Repeat("e", n-2) + `"`)
}

func TestEventSizeLimit(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	h := func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		mu.Lock()
		sizes = append(sizes, len(event))
		mu.Unlock()
		return []byte(fmt.Sprint(len(event))), nil
	}
	const wantMsg = "the event is larger than 1 MiB (1048576 bytes)"
	t.Run("go1", func(t *testing.T) {
		g := startGo1(t, h, fcruntime.Options{})
		resp := g.invoke(t, fcfake.Request{RequestID: "req-big", Body: bigEvent(1<<20 + 1)})
		e := errorBody(t, resp)
		if !strings.HasPrefix(e.ErrorMessage, wantMsg) || e.ErrorType != "Runtime.InvalidEvent" {
			t.Errorf("event of 1 MiB + 1 byte: error %+v, want %q (Runtime.InvalidEvent)", e, wantMsg)
		}
		if resp := g.invoke(t, fcfake.Request{Body: bigEvent(1 << 20)}); resp.Kind != fcfake.KindResponse || string(resp.Body) != "1048576" {
			t.Errorf("event of exactly 1 MiB: answer %s %.100s, want the handler's response", resp.Kind, resp.Body)
		}
		if want := "FC Invoke End RequestId: req-big, Error: Unhandled function error"; !strings.Contains(g.stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, g.stdout)
		}
	})
	t.Run("go1 option", func(t *testing.T) {
		g := startGo1(t, h, fcruntime.Options{MaxEventBytes: 100})
		e := errorBody(t, g.invoke(t, fcfake.Request{Body: bigEvent(101)}))
		if !strings.HasPrefix(e.ErrorMessage, "the event is larger than 100 bytes") {
			t.Errorf("event of 101 bytes: errorMessage %q, want it to name the 100-byte limit", e.ErrorMessage)
		}
	})
	t.Run("custom", func(t *testing.T) {
		c := startCustom(t, h, fcruntime.Options{})
		got := c.do(t, http.MethodPost, "/invoke", http.Header{"X-Fc-Request-Id": {"req-big"}}, string(bigEvent(1<<20+1)))
		var e fcruntime.ErrorBody
		if got.Status != http.StatusNotFound || got.FCStatus != "404" || json.Unmarshal([]byte(got.Body), &e) != nil ||
			!strings.HasPrefix(e.ErrorMessage, wantMsg) || e.ErrorType != "Runtime.InvalidEvent" {
			t.Errorf("POST /invoke of 1 MiB + 1 byte = %d (x-fc-status %s) %.300s, want 404, 404 and %q", got.Status, got.FCStatus, got.Body, wantMsg)
		}
		// The rejected invocation's result line, at error level.
		var line struct {
			Level, Msg, RequestID, Error string
			Rejected                     bool
		}
		for _, l := range strings.Split(c.logs.String(), "\n") {
			if strings.Contains(l, `"requestId":"req-big"`) {
				json.Unmarshal([]byte(l), &line)
			}
		}
		if line.Msg != "result" || line.Level != "ERROR" || !line.Rejected || !strings.HasPrefix(line.Error, wantMsg) {
			t.Errorf("log line of req-big = %+v, want a rejected result line at error level naming the limit:\n%s", line, c.logs)
		}
		if got := c.do(t, http.MethodPost, "/invoke", nil, string(bigEvent(1<<20))); got.Status != 200 || got.Body != "1048576" {
			t.Errorf("POST /invoke of exactly 1 MiB = %d %.100s, want 200", got.Status, got.Body)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	for _, n := range sizes {
		if n > 1<<20 {
			t.Errorf("the handler got an event of %d bytes", n)
		}
	}
}

// TestEventBudget checks that the events held in memory at once are bounded: with 100-byte events at
// most 8 of the largest size are held, and a ninth waits for one to end.
func TestEventBudget(t *testing.T) {
	for _, rt := range []string{"go1", "custom"} {
		t.Run(rt, func(t *testing.T) {
			const n = 9
			var mu sync.Mutex
			running, peak := 0, 0
			release := make(chan struct{})
			waiting := make(chan struct{})
			var once sync.Once
			h := func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
				mu.Lock()
				running++
				peak = max(peak, running)
				mu.Unlock()
				select {
				case <-release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				mu.Lock()
				running--
				mu.Unlock()
				return []byte(`"ok"`), nil
			}
			logs := &lockedBuffer{notify: func(line string) {
				if strings.Contains(line, "waiting for memory") {
					once.Do(func() { close(waiting) })
				}
			}}
			opts := fcruntime.Options{MaxEventBytes: 100, Logger: newLogger(logs)}
			var invoke func(i int) error
			if rt == "go1" {
				g := startGo1(t, h, opts)
				invoke = func(i int) error {
					resp := g.invoke(t, fcfake.Request{Body: bigEvent(100)})
					if resp.Kind != fcfake.KindResponse {
						return fmt.Errorf("answer %s %s", resp.Kind, resp.Body)
					}
					return nil
				}
			} else {
				c := startCustom(t, h, opts)
				invoke = func(i int) error {
					if got := c.do(t, http.MethodPost, "/invoke", nil, string(bigEvent(100))); got.Status != 200 {
						return fmt.Errorf("answer %d %s", got.Status, got.Body)
					}
					return nil
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() { errs[i] = invoke(i) })
			}
			select {
			case <-waiting:
			case <-time.After(10 * time.Second):
				t.Error("no invocation waited for memory within 10 s")
			}
			close(release)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("invocation %d: %v", i, err)
				}
			}
			if peak > 8 {
				t.Errorf("%d handlers ran at once, want at most 8 with 100-byte events of a 100-byte limit", peak)
			}
		})
	}
}

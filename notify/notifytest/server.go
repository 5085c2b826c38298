package notifytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/internal/golden"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// Answer is one canned reply of a Server.
type Answer struct {
	// Status is the HTTP status code.
	Status int
	// Header are headers to set (Retry-After, Date).
	Header map[string]string
	// Body is the answer's body.
	Body string
	// Silent holds the request unanswered, as a server that accepts a post and never answers, until
	// the client gives up or the test ends.
	Silent bool
}

// Request is one request a Server received.
type Request struct {
	// Path and Query are the request URL's path and raw query.
	Path, Query string
	// Header are the request's headers.
	Header http.Header
	// Body is the request's body.
	Body []byte
}

// Channel is the first segment of the request's path: on a server made by NewVendors, the name of
// the channel the post was sent to.
func (r Request) Channel() string {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
	return first
}

// Check looks at a request as the vendor does and returns the vendor's refusal, or nil to answer it.
type Check func(r *http.Request, body []byte) *Answer

// Server is a fake vendor endpoint on loopback: it records every request and answers with its
// answers in turn, repeating the last, unless its check refuses the request. A Server made by
// NewVendors stands in for every vendor at once (see there).
type Server struct {
	*httptest.Server
	check   Check
	vendors bool          // made by NewVendors: each channel's posts get its vendor's success
	quit    chan struct{} // closed when the test ends: silent answers return
	mu      sync.Mutex
	answers []Answer
	// byChannel are the answers that SetAnswers gave the posts to one channel.
	byChannel map[string][]Answer
	requests  []Request
}

// NewServer starts a Server that checks each request with check (nil: none) and replies with answers
// (200 "ok" when none). It is closed when the test ends.
func NewServer(t testing.TB, check Check, answers ...Answer) *Server {
	t.Helper()
	if len(answers) == 0 {
		answers = []Answer{{Status: 200, Body: "ok"}}
	}
	return start(t, &Server{check: check, answers: answers})
}

func start(t testing.TB, s *Server) *Server {
	s.quit = make(chan struct{})
	s.byChannel = map[string][]Answer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.quit)
		s.Close()
	})
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	a := s.next(req.Channel())
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if s.check != nil {
		if refusal := s.check(r, body); refusal != nil {
			a = *refusal
		}
	}
	if a.Silent {
		select {
		case <-r.Context().Done():
		case <-s.quit:
		}
		return
	}
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.Status)
	io.WriteString(w, a.Body)
}

// next is the answer to the request about to be recorded, a post to channel; s.mu is held.
func (s *Server) next(channel string) Answer {
	if answers, ok := s.byChannel[channel]; ok {
		n := 0
		for _, r := range s.requests {
			if r.Channel() == channel {
				n++
			}
		}
		return answers[min(n, len(answers)-1)]
	}
	if s.vendors {
		return VendorOK(channel)
	}
	return s.answers[min(len(s.requests), len(s.answers)-1)]
}

// Hits is how many requests the server received.
func (s *Server) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Request returns the i-th request received.
func (s *Server) Request(i int) Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[i]
}

// Requests returns every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// JSONPost refuses what is not a POST of a JSON body, as every robot does, and passes the rest to next
// (nil: accepted).
func JSONPost(next Check) Check {
	return func(r *http.Request, body []byte) *Answer {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !json.Valid(body) {
			return &Answer{Status: 400, Body: "not a JSON POST"}
		}
		if next == nil {
			return nil
		}
		return next(r, body)
	}
}

// ClosedURL is a loopback URL with path and query where nothing listens (connection refused).
func ClosedURL(t testing.TB, pathAndQuery string) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL + pathAndQuery
	s.Close()
	return u
}

// Client is an HTTP client with a timeout, as main gives every channel.
func Client() *http.Client { return &http.Client{Timeout: 5 * time.Second} }

// NoWait makes p's waits instant, recording them in *waits, with no jitter.
func NoWait(p *notify.Poster, waits *[]time.Duration) {
	var mu sync.Mutex
	p.Jitter = func() float64 { return 1 }
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
}

// Clock is the injected clock of a signed channel's test: each reading is one second after the
// previous, so that two attempts carry different timestamps. A fake vendor checks timestamps against
// Current.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at SampleTime.
func NewClock() *Clock { return &Clock{t: SampleTime} }

// Now advances the clock by a second and returns it.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// Current returns the clock's time without advancing it.
func (c *Clock) Current() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// WithinHour is the robots' timestamp rule: ts at most one hour from the server's time now.
func WithinHour(ts, now time.Time) bool {
	d := ts.Sub(now)
	return d <= time.Hour && d >= -time.Hour
}

// Permanent reports whether err is a failed delivery that retrying the same post cannot fix.
func Permanent(err error) bool {
	var d *notify.DeliveryError
	return errors.As(err, &d) && !d.Retryable
}

// Render renders r for ch and fails the test when it cannot.
func Render(t testing.TB, ch notify.Channel, r *alert.Report) []notify.Post {
	t.Helper()
	posts, err := ch.Render(r)
	if err != nil {
		t.Fatalf("%s: Render: %v", ch.Name(), err)
	}
	if len(posts) == 0 {
		t.Fatalf("%s: Render gave no post", ch.Name())
	}
	return posts
}

// Bodies are the posts' bodies.
func Bodies(posts []notify.Post) []json.RawMessage {
	out := make([]json.RawMessage, len(posts))
	for i, p := range posts {
		out[i] = p.Body
	}
	return out
}

// Golden compares got with testdata/name, rewriting it with -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	golden.Check(t, name, got)
}

// GoldenBodies pins the posts' bodies as one indented JSON array, "<" and "&" as they are.
func GoldenBodies(t testing.TB, name string, posts []notify.Post) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Bodies(posts)); err != nil {
		t.Fatalf("encoding %s: %v", name, err)
	}
	golden.Check(t, name, b.Bytes())
}

// GoldenJSON pins v as indented JSON.
func GoldenJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	golden.Check(t, name, out.Bytes())
}

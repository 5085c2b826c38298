// Package restoretest holds local fakes for the restore flow, for tests and the demo: Slack's side of a
// click (signed block_actions requests, and a response_url receiver on 127.0.0.1), an in-memory
// Restorer with recycle bins, an Accounts resolver and an Auditor that records. Nothing here talks to
// anything beyond 127.0.0.1.
package restoretest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/restore"
)

// Slack plays Slack's side of a click: it builds the signed block_actions request Slack sends when a
// person clicks a button (Request), and receives what the function posts to the click's response_url
// (Posts). Its receiver listens on 127.0.0.1; its URL is what SLACK_API_URL should be, so that the
// restore function accepts response_urls on it.
type Slack struct {
	// SigningSecret, TeamID and AppID are the Slack app's: what the requests are signed with and carry.
	SigningSecret string
	TeamID        string
	AppID         string
	// Now is the clock of the request timestamps; nil means time.Now.
	Now func() time.Time

	srv    *httptest.Server
	status atomic.Int32
	seq    atomic.Int64
	mu     sync.Mutex
	posts  []Post
}

// Post is one POST the receiver got on a response_url.
type Post struct {
	// Path is the response_url's path.
	Path string
	// Reply is the body, decoded.
	Reply Reply
	// Raw is the body as received.
	Raw []byte
}

// Reply is a message posted to a response_url.
type Reply struct {
	ResponseType    string            `json:"response_type"`
	ReplaceOriginal bool              `json:"replace_original"`
	Text            string            `json:"text"`
	Blocks          []json.RawMessage `json:"blocks"`
}

// NewSlack starts a Slack fake whose receiver is closed when the test ends.
func NewSlack(t testing.TB, signingSecret, teamID, appID string) *Slack {
	t.Helper()
	s := StartSlack(signingSecret, teamID, appID)
	t.Cleanup(s.Close)
	return s
}

// StartSlack starts a Slack fake outside a test (the demo); Close stops its receiver.
func StartSlack(signingSecret, teamID, appID string) *Slack {
	s := &Slack{SigningSecret: signingSecret, TeamID: teamID, AppID: appID}
	s.status.Store(http.StatusOK)
	s.srv = httptest.NewServer(http.HandlerFunc(s.receive))
	return s
}

// Close stops the receiver.
func (s *Slack) Close() { s.srv.Close() }

// URL is the receiver's base URL (http://127.0.0.1:port/).
func (s *Slack) URL() string { return s.srv.URL + "/" }

// SetStatus makes the receiver answer status from now on (200 until set).
func (s *Slack) SetStatus(status int) { s.status.Store(int32(status)) }

// Posts returns what the receiver got so far, in order.
func (s *Slack) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// NewResponseURL returns a fresh response_url on the receiver, shaped like Slack's
// (/actions/<team>/<number>/<token>).
func (s *Slack) NewResponseURL() string {
	n := s.seq.Add(1)
	return fmt.Sprintf("%sactions/%s/%d/%s", s.URL(), s.TeamID, 1000000000+n, "Fake0Response0Url0Token"+strconv.FormatInt(n, 10))
}

func (s *Slack) receive(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	p := Post{Path: r.URL.Path, Raw: raw}
	status := int(s.status.Load())
	if r.Method != http.MethodPost || json.Unmarshal(raw, &p.Reply) != nil {
		status = http.StatusBadRequest
	}
	s.mu.Lock()
	s.posts = append(s.posts, p)
	s.mu.Unlock()
	w.WriteHeader(status)
	if status == http.StatusOK {
		io.WriteString(w, "ok")
	} else {
		io.WriteString(w, "invalid_payload")
	}
}

// Click describes a click on a button; zero fields take realistic defaults.
type Click struct {
	// Value is the button's value.
	Value string
	// UserID and UserName are the Slack user who clicks (U0ALICE01, alice).
	UserID   string
	UserName string
	// ActionTs is the click's action_ts (a fresh one when empty).
	ActionTs string
	// ResponseURL is the click's response_url (a fresh one on the receiver when empty).
	ResponseURL string
	// ActionID is the button's action_id (restore.ActionID when empty).
	ActionID string
	// BlockID is the button's block_id ("restore:" and the value's alert id when empty).
	BlockID string
	// MessageBlocks are the message's blocks (one section and the button's actions block when nil).
	MessageBlocks []json.RawMessage
	// TeamID and AppID override the fake's.
	TeamID, AppID string
}

// Payload returns the block_actions payload of c, as Slack sends it (its shape follows
// https://docs.slack.dev/reference/interaction-payloads/block_actions-payload), and the click with its
// defaults filled in.
func (s *Slack) Payload(c Click) ([]byte, Click) {
	if c.UserID == "" {
		c.UserID, c.UserName = "U0ALICE01", "alice"
	}
	if c.ActionTs == "" {
		c.ActionTs = fmt.Sprintf("%d.%06d", s.now().Unix(), s.seq.Add(1)%1000000)
	}
	if c.ResponseURL == "" {
		c.ResponseURL = s.NewResponseURL()
	}
	if c.ActionID == "" {
		c.ActionID = restore.ActionID
	}
	if c.BlockID == "" {
		c.BlockID = "restore:" + alertIDOf(c.Value)
	}
	if c.TeamID == "" {
		c.TeamID = s.TeamID
	}
	if c.AppID == "" {
		c.AppID = s.AppID
	}
	if c.MessageBlocks == nil {
		c.MessageBlocks = DefaultBlocks(c.BlockID, c.ActionID, c.Value)
	}
	button := map[string]any{
		"type": "button", "action_id": c.ActionID, "block_id": c.BlockID,
		"text":  map[string]any{"type": "plain_text", "text": "Restore", "emoji": true},
		"value": c.Value, "style": "primary", "action_ts": c.ActionTs,
	}
	p := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": c.UserID, "username": c.UserName, "name": c.UserName, "team_id": c.TeamID},
		"api_app_id": c.AppID,
		"token":      "9s8d9as89d8as9d8as989",
		"container": map[string]any{
			"type": "message", "message_ts": "1548261231.000200", "channel_id": "C0ALERTS1", "is_ephemeral": false,
		},
		"trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
		"team":       map[string]any{"id": c.TeamID, "domain": "example"},
		"enterprise": nil, "is_enterprise_install": false,
		"channel": map[string]any{"id": "C0ALERTS1", "name": "alerts"},
		"message": map[string]any{
			"type": "message", "subtype": "bot_message", "text": "AccessKey recycle bin: 1 alert", "ts": "1548261231.000200",
			"bot_id": "B0BOT0001", "blocks": c.MessageBlocks,
		},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": c.ResponseURL,
		"actions":      []any{button},
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // maps of strings always encode
	}
	return b, c
}

// DefaultBlocks is a message of one alert: a section, then the actions block of its Restore button.
func DefaultBlocks(blockID, actionID, value string) []json.RawMessage {
	section := `{"type":"section","block_id":"alert-1","text":{"type":"mrkdwn","text":"*expiring* AccessKey ` + "`LTAI5tExampleKey1`" + ` of alice: 3 days left","verbatim":false}}`
	actions, _ := json.Marshal(map[string]any{
		"type": "actions", "block_id": blockID,
		"elements": []any{map[string]any{
			"type": "button", "action_id": actionID, "value": value, "style": "primary",
			"text": map[string]any{"type": "plain_text", "text": "Restore", "emoji": false},
		}},
	})
	return []json.RawMessage{json.RawMessage(section), actions}
}

// Request returns the request Slack sends for c: the form-encoded payload, signed at the fake's clock,
// to restore.ActionsPath; and the click with its defaults filled in.
func (s *Slack) Request(c Click) (restore.Request, Click) {
	payload, c := s.Payload(c)
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	return restore.Request{
		Method:    http.MethodPost,
		Path:      restore.ActionsPath,
		Header:    s.Headers(body, s.now()),
		Body:      body,
		RequestID: "req-" + c.ActionTs,
	}, c
}

// Headers are the headers Slack sends with body at the time at, signed with the fake's secret.
func (s *Slack) Headers(body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	h.Set(restore.HeaderTimestamp, ts)
	h.Set(restore.HeaderSignature, restore.SlackSignature(s.SigningSecret, ts, body))
	return h
}

func (s *Slack) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// alertIDOf is the alert id in a v1 button value, or "unknown".
func alertIDOf(value string) string {
	if parts := strings.Split(value, "."); len(parts) == 6 && parts[4] != "" {
		return parts[4]
	}
	return "unknown"
}

// LoopbackClient is an HTTP client that connects to loopback addresses only, so that a test that
// goes wrong cannot send a packet beyond 127.0.0.1.
func LoopbackClient() *http.Client {
	d := &net.Dialer{Timeout: 2 * time.Second}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
					return nil, errors.New("restoretest: refusing to connect beyond loopback")
				}
				return d.DialContext(ctx, network, addr)
			},
		},
	}
}

// Listener is a server on 127.0.0.1 that counts the connections made to it: a test proves with it that
// nothing was sent somewhere.
type Listener struct {
	// URL is the server's base URL.
	URL   string
	count atomic.Int64
}

// NewListener starts a counting server, closed when the test ends.
func NewListener(t testing.TB) *Listener {
	t.Helper()
	l := &Listener{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			l.count.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	l.URL = srv.URL + "/"
	return l
}

// Connections is how many connections the server accepted.
func (l *Listener) Connections() int64 { return l.count.Load() }

// String shows a post as its path and body, for test failures.
func (p Post) String() string { return p.Path + " " + string(p.Raw) }

// Event wraps req in the FC 3.0 HTTP trigger event the go1 runtime hands the function, with the header
// names in lower case (they are looked up without regard to case) and, when base64Body, the body in
// base64 as FC sends a binary body.
func Event(req restore.Request, base64Body bool) []byte {
	headers := map[string]string{}
	for k, vs := range req.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	body := string(req.Body)
	if base64Body {
		body = base64.StdEncoding.EncodeToString(req.Body)
	}
	e := map[string]any{
		"version": "v1", "rawPath": req.Path, "body": body, "isBase64Encoded": base64Body,
		"headers": headers, "queryParameters": map[string]string{},
		"requestContext": map[string]any{
			"accountId": "1234567890123456", "domainName": "restore-abcdefgh.cn-hangzhou.fcapp.run", "domainPrefix": "restore-abcdefgh",
			"http": map[string]any{
				"method": req.Method, "path": req.Path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
				"userAgent": "Slackbot 1.0 (+https://api.slack.com/robots)",
			},
			"requestId": req.RequestID, "time": "2026-12-03T03:12:45Z", "timeEpoch": "1796267565000",
		},
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // strings and maps always encode
	}
	return b
}

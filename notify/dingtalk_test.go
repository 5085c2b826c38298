package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// This file also holds the helpers of the three robots' tests (DingTalk, Feishu, WeCom).

// robotClock is the injected clock of a robot test: each reading is one second after the previous,
// so that two attempts carry different timestamps. The fake vendor checks timestamps against it.
type robotClock struct {
	mu sync.Mutex
	t  time.Time
}

func newRobotClock() *robotClock {
	return &robotClock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
}

func (c *robotClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func (c *robotClock) current() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// robotFake is a vendor's robot endpoint on loopback: it checks each request as the vendor does
// (check returns the vendor's refusal, or nil) and otherwise replies with its answers in turn,
// repeating the last.
type robotFake struct {
	*httptest.Server
	mu       sync.Mutex
	answers  []answer
	requests []recorded
}

func newRobotFake(t *testing.T, check func(r *http.Request, body []byte) *answer, answers ...answer) *robotFake {
	t.Helper()
	f := &robotFake{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		i := min(len(f.requests), len(f.answers)-1)
		f.requests = append(f.requests, recorded{path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body})
		a := f.answers[i]
		f.mu.Unlock()
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !json.Valid(body) {
			a = answer{status: 400, body: "not a JSON POST"}
		} else if refusal := check(r, body); refusal != nil {
			a = *refusal
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *robotFake) hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *robotFake) request(i int) recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[i]
}

// goldenBodies pins rendered bodies as one indented JSON array.
func goldenBodies(t *testing.T, name string, bodies []json.RawMessage) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bodies); err != nil {
		t.Fatalf("encoding %s: %v", name, err)
	}
	golden(t, name, b.Bytes())
}

// withinHour is the robots' timestamp rule: at most one hour from the server's time.
func withinHour(ts, now time.Time) bool {
	d := ts.Sub(now)
	return d <= time.Hour && d >= -time.Hour
}

const (
	dingTalkToken  = "4f6c7d8e9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
	dingTalkSecret = "SEC0123456789abcdef"
)

// dingTalkCheck verifies a request as the robot does: the access token, and with a secret a
// millisecond timestamp within an hour of clock and its HMAC-SHA256 signature (errcode 310000).
func dingTalkCheck(secret string, clock *robotClock) func(r *http.Request, body []byte) *answer {
	return func(r *http.Request, body []byte) *answer {
		q := r.URL.Query()
		if q.Get("access_token") != dingTalkToken {
			return &answer{status: 200, body: `{"errcode":300001,"errmsg":"token is not exist"}`}
		}
		if secret == "" {
			if q.Has("sign") || q.Has("timestamp") {
				return &answer{status: 200, body: `{"errcode":310000,"errmsg":"unexpected sign"}`}
			}
			return nil
		}
		ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || !withinHour(time.UnixMilli(ms), clock.current()) {
			return &answer{status: 200, body: `{"errcode":310000,"errmsg":"invalid timestamp"}`}
		}
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "%d\n%s", ms, secret)
		got, err := base64.StdEncoding.DecodeString(q.Get("sign"))
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			return &answer{status: 200, body: `{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`}
		}
		return nil
	}
}

// newTestDingTalk returns a DingTalk channel for the fake, with the clock and instant waits.
func newTestDingTalk(t *testing.T, base, secret string, clock *robotClock, waits *[]time.Duration) *DingTalk {
	t.Helper()
	d, err := NewDingTalk(base+"/robot/send?access_token="+dingTalkToken, secret, testClient())
	if err != nil {
		t.Fatalf("NewDingTalk: %v", err)
	}
	d.poster.now = clock.now
	noWait(&d.poster, waits)
	return d
}

// TestDingTalkSign checks the signature against a worked example. DingTalk's documentation gives the
// algorithm with sample code but no expected output, so the expected values were computed
// independently with Python's standard library:
//
//	python3 -c 'import hmac,hashlib,base64,urllib.parse as u; ts="1700000000000"; s="SEC0123456789abcdef";
//	  b=base64.b64encode(hmac.new(s.encode(),(ts+"\n"+s).encode(),hashlib.sha256).digest()); print(b, u.quote_plus(b))'
func TestDingTalkSign(t *testing.T) {
	const ms = 1700000000000
	if got, want := dingTalkSign(dingTalkSecret, ms), "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="; got != want {
		t.Errorf("dingTalkSign(%q, %d) = %q, want %q", dingTalkSecret, ms, got, want)
	}
	got := dingTalkSignedURL("https://oapi.dingtalk.com/robot/send?access_token=abc", dingTalkSecret, time.UnixMilli(ms))
	want := "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000&sign=TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D"
	if got != want {
		t.Errorf("dingTalkSignedURL = %q, want %q", got, want)
	}
}

func TestNewDingTalk(t *testing.T) {
	tests := []struct {
		name, url, secret string
		wantErr           string
	}{
		{name: "plain", url: "https://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken},
		{name: "signed", url: "https://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken, secret: dingTalkSecret},
		{name: "not SEC", url: "https://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken, secret: "s3cr3t-no-prefix",
			wantErr: "dingtalk: the signing secret does not start with SEC"},
		{name: "no scheme", url: "oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken,
			wantErr: "dingtalk: the webhook URL is not an http(s) URL with a host"},
		{name: "unparsable", url: "https://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken + "%zz\x7f",
			wantErr: "dingtalk: the webhook URL is not an http(s) URL with a host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDingTalk(tt.url, tt.secret, nil)
			if tt.wantErr == "" {
				if err != nil || d == nil || d.Name() != DingTalkName || d.Pace() != 3*time.Second {
					t.Fatalf("NewDingTalk = %v, %v; want a channel named %q paced 3s", d, err, DingTalkName)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("NewDingTalk error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestDingTalkRenderGolden(t *testing.T) {
	d, err := NewDingTalk("https://oapi.dingtalk.com/robot/send?access_token="+dingTalkToken, dingTalkSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		n    int // keys of manyReport, 0 for sampleReport
	}{{"sample", 0}, {"split", 150}} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleReport(t)
			if tc.n > 0 {
				r = manyReport(t, tc.n)
			}
			bodies, err := d.Render(r)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			goldenBodies(t, "dingtalk_"+tc.name+".json.golden", bodies)
		})
	}
}

func TestDingTalkSend(t *testing.T) {
	ok := answer{status: 200, body: `{"errcode":0,"errmsg":"ok"}`}
	tooFast := answer{status: 200, body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`}
	keyword := answer{status: 200, body: `{"errcode":310000,"errmsg":"keywords not in content"}`}
	down := answer{status: 502, body: "<html>bad gateway</html>"}
	tests := []struct {
		name      string
		secret    string // the channel's
		robot     string // the robot's, when it differs
		answers   []answer
		wantHits  int
		wantErr   string // "" for delivered
		permanent bool
	}{
		{name: "delivered", secret: dingTalkSecret, answers: []answer{ok}, wantHits: 1},
		{name: "delivered unsigned", answers: []answer{ok}, wantHits: 1},
		{name: "too fast then delivered", secret: dingTalkSecret, answers: []answer{tooFast, ok}, wantHits: 2},
		{name: "5xx then delivered", secret: dingTalkSecret, answers: []answer{down, ok}, wantHits: 2},
		{name: "too fast thrice", secret: dingTalkSecret, answers: []answer{tooFast}, wantHits: 3,
			wantErr: "dingtalk: gave up after 3 attempts: errcode 130101: send too fast, exceed 20 times per minute"},
		{name: "keyword missing", secret: dingTalkSecret, answers: []answer{keyword}, wantHits: 1, permanent: true,
			wantErr: "dingtalk: errcode 310000: keywords not in content (permanent, 1 attempt)"},
		{name: "wrong secret", secret: dingTalkSecret, robot: "SECanother", answers: []answer{ok}, wantHits: 1, permanent: true,
			wantErr: "dingtalk: errcode 310000: sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq] (permanent, 1 attempt)"},
		{name: "not the robot's answer", answers: []answer{{status: 200, body: "ok"}}, wantHits: 1, permanent: true,
			wantErr: "dingtalk: HTTP 200 OK without the robot's errcode: ok (permanent, 1 attempt)"},
		{name: "4xx", answers: []answer{{status: 404, body: "404 page not found"}}, wantHits: 1, permanent: true,
			wantErr: "dingtalk: HTTP 404 Not Found: 404 page not found (permanent, 1 attempt)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newRobotClock()
			robot := tt.secret
			if tt.robot != "" {
				robot = tt.robot
			}
			f := newRobotFake(t, dingTalkCheck(robot, clock), tt.answers...)
			var waits []time.Duration
			d := newTestDingTalk(t, f.URL, tt.secret, clock, &waits)
			bodies, err := d.Render(sampleReport(t))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			err = d.Send(t.Context(), bodies[0])
			if f.hits() != tt.wantHits {
				t.Errorf("Send posted %d times, want %d", f.hits(), tt.wantHits)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Send = %v, want nil", err)
				}
			} else if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Send = %v, want %q", err, tt.wantErr)
			}
			if err != nil && IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.permanent, tt.permanent)
			}
			for i := range f.hits() {
				if got := f.request(i).body; !bytes.Equal(got, bodies[0]) {
					t.Errorf("attempt %d posted %s, want the rendered body", i+1, got)
				}
			}
			if tt.secret != "" && f.hits() > 1 {
				// Each attempt is signed anew, with its own time.
				q0, _ := url.ParseQuery(f.request(0).query)
				q1, _ := url.ParseQuery(f.request(1).query)
				if q0.Get("timestamp") == q1.Get("timestamp") || q0.Get("sign") == q1.Get("sign") {
					t.Errorf("attempts 1 and 2 share timestamp/sign %q/%q: not re-signed", q0.Get("timestamp"), q0.Get("sign"))
				}
			}
		})
	}
}

// robotUnderTest builds one robot channel for url, with the clock and instant waits.
type robotUnderTest struct {
	name  string
	new   func(t testing.TB, url string, waits *[]time.Duration) Channel
	path  string // the webhook URL's path and query, which hold its token
	token string // the token itself
	// secret is the signing secret, or empty.
	secret string
	// refusal is an answer whose message echoes the URL: a permanent error code.
	refusal func(url string) answer
}

func robotsUnderTest() []robotUnderTest {
	return []robotUnderTest{
		{
			name: DingTalkName, path: "/robot/send?access_token=" + dingTalkToken, token: dingTalkToken, secret: dingTalkSecret,
			new: func(t testing.TB, u string, waits *[]time.Duration) Channel {
				d, err := NewDingTalk(u, dingTalkSecret, testClient())
				if err != nil {
					t.Fatal(err)
				}
				noWait(&d.poster, waits)
				return d
			},
			refusal: func(u string) answer {
				return answer{status: 200, body: `{"errcode":300001,"errmsg":"token is not exist: ` + u + `"}`}
			},
		},
		{
			name: FeishuName, path: "/open-apis/bot/v2/hook/" + feishuHook, token: feishuHook, secret: feishuSecret,
			new: func(t testing.TB, u string, waits *[]time.Duration) Channel {
				f, err := NewFeishu(u, feishuSecret, testClient())
				if err != nil {
					t.Fatal(err)
				}
				noWait(&f.poster, waits)
				return f
			},
			refusal: func(u string) answer {
				return answer{status: 200, body: `{"code":19001,"msg":"param invalid: incoming webhook access token invalid ` + u + `","data":{}}`}
			},
		},
		{
			name: WeComName, path: "/cgi-bin/webhook/send?key=" + weComKey, token: weComKey,
			new: func(t testing.TB, u string, waits *[]time.Duration) Channel {
				w, err := NewWeCom(u, testClient())
				if err != nil {
					t.Fatal(err)
				}
				noWait(&w.poster, waits)
				return w
			},
			refusal: func(u string) answer {
				return answer{status: 200, body: `{"errcode":93000,"errmsg":"invalid webhook url ` + u + `, hint: [1], from ip: 1.2.3.4"}`}
			},
		},
	}
}

// longToken matches a signature or token: 32 or more Base64, hex or %-escaped characters.
var longToken = regexp.MustCompile(`[A-Za-z0-9+/%=_-]{32,}`)

// TestRobotErrorsHoldNoSecret proves for each robot that neither the webhook URL's token nor the
// signing secret (nor a signature) reaches an error: a closed server, a 4xx and an error code whose
// message echoes the URL.
func TestRobotErrorsHoldNoSecret(t *testing.T) {
	for _, rb := range robotsUnderTest() {
		t.Run(rb.name, func(t *testing.T) {
			cases := []struct {
				name string
				url  func(t *testing.T) string
			}{
				{"closed server", func(t *testing.T) string { return closedURL(t, rb.path) }},
				{"4xx echoing the URL", func(t *testing.T) string {
					var srv *httptest.Server
					srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						w.WriteHeader(http.StatusForbidden)
						io.WriteString(w, "forbidden: "+srv.URL+r.URL.RequestURI())
					}))
					t.Cleanup(srv.Close)
					return srv.URL + rb.path
				}},
				{"error code echoing the URL", func(t *testing.T) string {
					var srv *httptest.Server
					srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						a := rb.refusal(srv.URL + r.URL.RequestURI())
						w.WriteHeader(a.status)
						io.WriteString(w, a.body)
					}))
					t.Cleanup(srv.Close)
					return srv.URL + rb.path
				}},
				{"5xx echoing the URL", func(t *testing.T) string {
					var srv *httptest.Server
					srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						w.WriteHeader(http.StatusServiceUnavailable)
						io.WriteString(w, r.URL.RequestURI())
					}))
					t.Cleanup(srv.Close)
					return srv.URL + rb.path
				}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					var waits []time.Duration
					u := c.url(t)
					ch := rb.new(t, u, &waits)
					bodies, err := ch.Render(sampleReport(t))
					if err != nil {
						t.Fatalf("Render: %v", err)
					}
					err = ch.Send(t.Context(), bodies[0])
					if err == nil {
						t.Fatalf("Send to %s = nil, want an error", c.name)
					}
					msg := err.Error()
					if !strings.HasPrefix(msg, rb.name+": ") {
						t.Errorf("Send error = %q, want it to name %q", msg, rb.name)
					}
					for _, s := range []string{rb.token, url.QueryEscape(rb.token), rb.secret} {
						if s != "" && strings.Contains(msg, s) {
							t.Errorf("Send error = %q, holds secret %q", msg, s)
						}
					}
					// No signature either (44 Base64 characters, maybe URL-encoded), nor any other long token.
					if tok := longToken.FindString(msg); tok != "" {
						t.Errorf("Send error = %q, holds a token-like %q", msg, tok)
					}
					if strings.Contains(msg, "\n") {
						t.Errorf("Send error = %q, want one line", msg)
					}
				})
			}
		})
	}
}

// TestRobotParts checks the split run of every robot: each body within the vendor's limit, the 100
// most urgent keys each in exactly one part and in order, the other 50 counted in the last part, and
// each part naming the account, "AccessKey" and its number.
func TestRobotParts(t *testing.T) {
	for _, rb := range robotsUnderTest() {
		t.Run(rb.name, func(t *testing.T) {
			var waits []time.Duration
			ch := rb.new(t, "https://robot.example.com"+rb.path, &waits)
			bodies, err := ch.Render(manyReport(t, 150))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if len(bodies) < 2 {
				t.Fatalf("Render(150 keys) = %d parts, want several", len(bodies))
			}
			for i, b := range bodies {
				if n, limit := robotSize(t, rb.name, b); n > limit {
					t.Errorf("part %d: %d bytes, want at most %d", i+1, n, limit)
				}
				s := string(b)
				for _, want := range []string{"AccessKey", "1234567890123456", fmt.Sprintf("part %d/%d", i+1, len(bodies))} {
					if !strings.Contains(s, want) {
						t.Errorf("part %d does not contain %q", i+1, want)
					}
				}
				if last := i == len(bodies)-1; last != strings.Contains(s, "50 more alerted AccessKeys are not listed here") {
					t.Errorf("part %d/%d: rest line present = %v, want %v", i+1, len(bodies), !last, last)
				}
			}
			prev := 0
			for k := 1; k <= 150; k++ {
				id := fmt.Sprintf("LTAI5tManyKeys%08d", k)
				var in []int
				for i, b := range bodies {
					if bytes.Contains(b, []byte(id)) {
						in = append(in, i)
					}
				}
				switch {
				case k > MaxListedKeys && len(in) != 0:
					t.Errorf("key %d (beyond %d) is listed in parts %v", k, MaxListedKeys, in)
				case k <= MaxListedKeys && len(in) != 1:
					t.Errorf("key %d is in parts %v, want exactly one", k, in)
				case k <= MaxListedKeys && in[0] < prev:
					t.Errorf("key %d is in part %d, before key %d's part %d", k, in[0]+1, k-1, prev+1)
				case k <= MaxListedKeys:
					prev = in[0]
				}
			}
		})
	}
}

// robotSize is what the vendor measures of a body, and its limit.
func robotSize(t *testing.T, name string, body []byte) (n, limit int) {
	t.Helper()
	switch name {
	case WeComName:
		var v weComBody
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return len(v.Markdown.Content), weComMaxContent
	case FeishuName:
		signed, err := feishuSigned(body, feishuSecret, time.Unix(1799999999, 0))
		if err != nil {
			t.Fatal(err)
		}
		return len(signed), feishuMaxBody
	}
	return len(body), dingTalkMaxBody
}

// TestRobotPace checks each robot's pace, and that Deliver honours it: with less time left than the
// pace, it posts the first part only and says why, without waiting.
func TestRobotPace(t *testing.T) {
	want := map[string]time.Duration{DingTalkName: 3 * time.Second, FeishuName: 200 * time.Millisecond, WeComName: 3 * time.Second}
	for _, rb := range robotsUnderTest() {
		t.Run(rb.name, func(t *testing.T) {
			f := newRobotFake(t, func(*http.Request, []byte) *answer { return nil },
				answer{status: 200, body: `{"errcode":0,"errmsg":"ok","code":0,"msg":"success"}`})
			var waits []time.Duration
			ch := rb.new(t, f.URL+rb.path, &waits)
			if got := ch.Pace(); got != want[rb.name] {
				t.Errorf("Pace() = %v, want %v", got, want[rb.name])
			}
			bodies, err := ch.Render(manyReport(t, 150))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), ch.Pace()/2)
			defer cancel()
			sent, err := Deliver(ctx, ch, bodies)
			if sent != 1 || f.hits() != 1 {
				t.Errorf("Deliver with %v left = %d sent, %d posts; want 1, 1", ch.Pace()/2, sent, f.hits())
			}
			if err == nil || !strings.Contains(err.Error(), "would pass the deadline") {
				t.Errorf("Deliver error = %v, want one about the pace passing the deadline", err)
			}
		})
	}
}

func TestClassifyErrcode(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantErr   string
		retryable bool
	}{
		{name: "ok", status: 200, body: `{"errcode":0,"errmsg":"ok"}`},
		{name: "rate limit", status: 200, body: `{"errcode":45009,"errmsg":"api freq out of limit, hint: [x], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=45009"}`,
			wantErr: "errcode 45009: api freq out of limit", retryable: true},
		{name: "too long", status: 200, body: `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096. invalid Request Parameter, hint: [1]"}`,
			wantErr: "errcode 40058: markdown.content exceed max length 4096. invalid Request Parameter"},
		{name: "no errcode", status: 200, body: `{"ok":true}`, wantErr: `HTTP 200 OK without the robot's errcode: {"ok":true}`},
		{name: "429", status: 429, body: ``, wantErr: "HTTP 429 Too Many Requests", retryable: true},
	}
	classify := classifyErrcode(weComTooFast)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Status: fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status)), Header: http.Header{}}
			err := classify(resp, []byte(tt.body))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("classify(%s) = %v, want nil", tt.body, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("classify(%s) = %v, want %q", tt.body, err, tt.wantErr)
			}
			var re *retryError
			if got := errors.As(err, &re); got != tt.retryable {
				t.Errorf("classify(%s) retryable = %v, want %v", tt.body, got, tt.retryable)
			}
		})
	}
}

// TestRobotShrinksAnOversizedPart: a part that cannot fit even with one key (here, a warning of 30 KB)
// is cut to the vendor's limit rather than refused.
func TestRobotShrinksAnOversizedPart(t *testing.T) {
	for _, rb := range robotsUnderTest() {
		t.Run(rb.name, func(t *testing.T) {
			var waits []time.Duration
			ch := rb.new(t, "https://robot.example.com"+rb.path, &waits)
			r := sampleReport(t)
			r.Warnings = append(r.Warnings, strings.Repeat("très long ", 3000))
			bodies, err := ch.Render(r)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for i, b := range bodies {
				if n, limit := robotSize(t, rb.name, b); n > limit {
					t.Errorf("part %d: %d bytes, want at most %d", i+1, n, limit)
				}
				if !json.Valid(b) {
					t.Errorf("part %d is not valid JSON", i+1)
				}
			}
			var all []byte
			for _, b := range bodies {
				all = append(all, b...)
			}
			var found []string
			for _, id := range []string{"LTAI5tDavePastDelete0003", "LTAI5tAliceExpiring0002", "LTAI5tCarolRecycled0001"} {
				if bytes.Contains(all, []byte(id)) {
					found = append(found, id)
				}
			}
			if diff := cmp.Diff([]string{"LTAI5tDavePastDelete0003", "LTAI5tAliceExpiring0002", "LTAI5tCarolRecycled0001"}, found); diff != "" {
				t.Errorf("keys lost by the cut (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkRobotRender renders the split run (150 keys) for each robot.
func BenchmarkRobotRender(b *testing.B) {
	r := manyReport(b, 150)
	for _, rb := range robotsUnderTest() {
		b.Run(rb.name, func(b *testing.B) {
			var waits []time.Duration
			ch := rb.new(b, "https://robot.example.com"+rb.path, &waits)
			for b.Loop() {
				if _, err := ch.Render(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

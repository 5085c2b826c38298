package feishu

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/escape"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
	"github.com/akrecycle/ak-recycle-alert/notify/robot"
)

const (
	hook   = "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
	secret = "fs-0123456789abcdefSECRET"
	path   = "/open-apis/bot/v2/hook/" + hook
)

var ok = nt.VendorOK(name)

// botCheck verifies a request as the bot does: a JSON POST to the hook, and with a secret a timestamp
// in seconds within an hour of clock and sign = Base64(HMAC-SHA256 keyed with timestamp+"\n"+secret
// over nothing), both in the JSON body (code 19021 otherwise).
func botCheck(secret string, clock *nt.Clock) nt.Check {
	return nt.JSONPost(func(r *http.Request, body []byte) *nt.Answer {
		if r.URL.Path != path {
			return &nt.Answer{Status: 200, Body: `{"code":19001,"msg":"param invalid: incoming webhook access token invalid","data":{}}`}
		}
		var v struct {
			Timestamp *string `json:"timestamp"`
			Sign      *string `json:"sign"`
			MsgType   string  `json:"msg_type"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.MsgType == "" {
			return &nt.Answer{Status: 400, Body: `{"code":9499,"msg":"Bad Request","data":{}}`}
		}
		if secret == "" {
			return nil
		}
		fail := &nt.Answer{Status: 200, Body: `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time","data":{}}`}
		if v.Timestamp == nil || v.Sign == nil {
			return fail
		}
		sec, err := strconv.ParseInt(*v.Timestamp, 10, 64)
		if err != nil || !nt.WithinHour(time.Unix(sec, 0), clock.Current()) {
			return fail
		}
		mac := hmac.New(sha256.New, []byte(*v.Timestamp+"\n"+secret))
		got, err := base64.StdEncoding.DecodeString(*v.Sign)
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			return fail
		}
		return nil
	})
}

func newTest(t testing.TB, base, secret string, waits *[]time.Duration) *channel {
	t.Helper()
	f, err := newChannel(base+path, secret, nt.Client())
	if err != nil {
		t.Fatalf("newChannel: %v", err)
	}
	nt.NoWait(&f.poster, waits)
	return f
}

func newSigned(t testing.TB, base string, waits *[]time.Duration) notify.Channel {
	return newTest(t, base, secret, waits)
}

// signed is a rendered card as a signed attempt posts it.
func signed(t testing.TB, b []byte) []byte {
	var c card
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	c.Timestamp, c.Sign = "1799999999", signature(secret, 1799999999)
	out, err := robot.JSON(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRobot(t *testing.T) {
	nt.CheckRobot(t, nt.Robot{
		New:  newSigned,
		Pace: 200 * time.Millisecond,
		OK:   ok,
		// The vendor measures the signed body.
		Size: func(t testing.TB, b []byte) (int, int) { return len(signed(t, b)), maxBody },
		Texts: func(t testing.TB, b []byte) []nt.Text {
			var v card
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			out := []nt.Text{{Kind: "plain", Text: v.Card.Header.Title.Content}}
			for _, e := range v.Card.Elements {
				if e.Text == nil {
					continue
				}
				kind := "markdown"
				if e.Text.Tag == "plain_text" {
					kind = "plain"
				}
				out = append(out, nt.Text{Kind: kind, Text: e.Text.Content})
			}
			return out
		},
		// lark_md has no code span: the command is the line.
		Command: func(s string) (string, bool) { return s, strings.HasPrefix(s, "aliyun ") },
	})
}

func TestErrorsHoldNoSecret(t *testing.T) {
	signOf := func(body []byte) (ts, sign string) {
		var v struct{ Timestamp, Sign string }
		json.Unmarshal(body, &v)
		return v.Timestamp, v.Sign
	}
	nt.CheckNoSecrets(t, newSigned, nt.Leaks{
		Secrets: []string{hook, secret},
		Seen: func(_ *http.Request, body []byte) []string {
			_, sign := signOf(body)
			return []string{sign}
		},
		Echoes: []nt.Echo{func(r *http.Request, body []byte, pad string) nt.Answer {
			ts, sign := signOf(body)
			msg, _ := json.Marshal("sign match fail " + pad + " " + r.URL.RequestURI() + "?timestamp=" + ts + "&sign=" + url.QueryEscape(sign) + " sign=" + sign)
			return nt.Answer{Status: 200, Body: fmt.Sprintf(`{"code":19021,"msg":%s,"data":{}}`, msg)}
		}},
	})
}

// TestSignature checks the signature against a worked example. The bot's guide gives the algorithm
// and sample code (its example timestamp is 1599360473) but no expected signature, so the expected
// value was computed independently with Python's standard library:
//
//	python3 -c 'import hmac,hashlib,base64; k=("1599360473"+"\n"+"demo-secret").encode();
//	  print(base64.b64encode(hmac.new(k,b"",hashlib.sha256).digest()))'
func TestSignature(t *testing.T) {
	if got, want := signature("demo-secret", 1599360473), "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s="; got != want {
		t.Errorf("signature(%q, %d) = %q, want %q", "demo-secret", 1599360473, got, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, url, wantErr string
	}{
		{name: "feishu", url: "https://open.feishu.cn" + path},
		{name: "lark", url: "https://open.larksuite.com" + path},
		{name: "no host", url: "https://" + path, wantErr: "feishu: webhook URL: not an absolute URL: it must start with https://"},
		{name: "ftp", url: "ftp://open.feishu.cn" + path, wantErr: `feishu: webhook URL: scheme "ftp" is not allowed: use https://`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := newChannel(tt.url, secret, nil)
			if tt.wantErr == "" {
				if err != nil || f.Name() != name {
					t.Fatalf("newChannel = %v, %v; want a channel named %q", f, err, name)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("newChannel error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestRenderUnsigned: a rendered card carries no signature (each attempt adds its own), and a digest
// is pinned too.
func TestRenderUnsigned(t *testing.T) {
	f, err := newChannel("https://open.feishu.cn"+path, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		posts []notify.Post
	}{
		{"sample", nt.Render(t, f, nt.Sample(t))},
		{"split", nt.Render(t, f, nt.Many(t, 150))},
		{"digest", nt.Render(t, f, nt.Digest(t))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, p := range tt.posts {
				if bytes.Contains(p.Body, []byte(`"sign"`)) || bytes.Contains(p.Body, []byte(secret)) {
					t.Errorf("rendered part %d carries a signature or the secret: Render must stay unsigned", i+1)
				}
			}
			if tt.name == "digest" {
				nt.GoldenBodies(t, "feishu_digest.json.golden", tt.posts)
			}
		})
	}
}

func TestSend(t *testing.T) {
	okOld := nt.Answer{Status: 200, Body: `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`}
	throttled := nt.Answer{Status: 200, Body: `{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]","data":{}}`}
	badRequest := nt.Answer{Status: 400, Body: `{"code":9499,"msg":"Bad Request","data":{}}`}
	keyword := nt.Answer{Status: 200, Body: `{"code":19024,"msg":"Key Words Not Found","data":{}}`}
	down := nt.Answer{Status: 503, Body: "upstream unavailable"}
	tests := []struct {
		name    string
		secret  string
		robot   string
		answers []nt.Answer
		want    nt.Want
	}{
		{name: "delivered", secret: secret, answers: []nt.Answer{ok}, want: nt.Want{Hits: 1}},
		{name: "delivered unsigned", answers: []nt.Answer{ok}, want: nt.Want{Hits: 1}},
		{name: "older answer", secret: secret, answers: []nt.Answer{okOld}, want: nt.Want{Hits: 1}},
		{name: "throttled then delivered", secret: secret, answers: []nt.Answer{throttled, ok}, want: nt.Want{Hits: 2}},
		{name: "9499 then delivered", secret: secret, answers: []nt.Answer{badRequest, ok}, want: nt.Want{Hits: 2}},
		{name: "5xx then delivered", secret: secret, answers: []nt.Answer{down, ok}, want: nt.Want{Hits: 2}},
		{name: "5xx thrice", secret: secret, answers: []nt.Answer{down}, want: nt.Want{Hits: 3, Err: "feishu: gave up after 3 attempts: HTTP 503 Service Unavailable: upstream unavailable"}},
		{name: "keyword missing", secret: secret, answers: []nt.Answer{keyword}, want: nt.Want{Hits: 1, Err: "feishu: code 19024: Key Words Not Found (permanent, 1 attempt)", Permanent: true}},
		{name: "wrong secret", secret: secret, robot: "another-secret", answers: []nt.Answer{ok}, want: nt.Want{Hits: 1, Err: "feishu: code 19021: sign match fail or timestamp is not within one hour from current time (permanent, 1 attempt)", Permanent: true}},
		{name: "robot wants a signature", robot: secret, answers: []nt.Answer{ok}, want: nt.Want{Hits: 1, Err: "feishu: code 19021: sign match fail or timestamp is not within one hour from current time (permanent, 1 attempt)", Permanent: true}},
		{name: "not the bot's answer", answers: []nt.Answer{{Status: 200, Body: "fine"}}, want: nt.Want{Hits: 1, Err: "feishu: HTTP 200 OK without the bot's code: fine (permanent, 1 attempt)", Permanent: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := nt.NewClock()
			robot := tt.secret
			if tt.robot != "" {
				robot = tt.robot
			}
			srv := nt.NewServer(t, botCheck(robot, clock), tt.answers...)
			var waits []time.Duration
			f := newTest(t, srv.URL, tt.secret, &waits)
			f.poster.Now = clock.Now
			post := nt.Render(t, f, nt.Sample(t))[0]
			nt.CheckSend(t, srv, post, tt.want)
			var signs []string
			for i := range srv.Hits() {
				// The posted body is the rendered card, with "timestamp" and "sign" first when signed.
				got := srv.Request(i).Body
				if tt.secret != "" {
					var v struct{ Timestamp, Sign string }
					json.Unmarshal(got, &v)
					signs = append(signs, v.Timestamp+" "+v.Sign)
					head := fmt.Sprintf(`{"timestamp":%q,"sign":%q,`, v.Timestamp, v.Sign)
					if !bytes.HasPrefix(got, []byte(head)) {
						t.Fatalf("attempt %d body %.80s…, want it to start with %s", i+1, got, head)
					}
					got = append([]byte("{"), got[len(head):]...)
				}
				if diff := cmp.Diff(string(post.Body), string(got)); diff != "" {
					t.Errorf("attempt %d body (-want +got):\n%s", i+1, diff)
				}
			}
			if len(signs) > 1 && signs[0] == signs[1] {
				t.Errorf("attempts 1 and 2 share timestamp and sign %q: not re-signed", signs[0])
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"retry-after", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"ogw reset", http.Header{"X-Ogw-Ratelimit-Reset": {"52"}}, 52 * time.Second},
		{"none", http.Header{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(&http.Response{Header: tt.header}); got != tt.want {
				t.Errorf("retryAfter(%v) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	var waits []time.Duration
	nt.BenchRender(b, newTest(b, "https://robot.example.com", secret, &waits))
}

// TestNotice: a notice is one card, its title in the header (orange for a refusal) over its text as
// plain_text, on one line.
func TestNotice(t *testing.T) {
	var cards []card
	for _, n := range []*notify.Notice{nt.Notice(), nt.HostileNotice()} {
		var c card
		if err := json.Unmarshal(nt.CheckNotice(t, nt.VendorOK(name), newSigned, n).Body, &c); err != nil {
			t.Fatal(err)
		}
		want := "green"
		if n.Attention {
			want = "orange"
		}
		els := c.Card.Elements
		if c.Card.Header.Title.Content != n.Title || c.Card.Header.Template != want || len(els) != 1 ||
			els[0].Text.Tag != "plain_text" || els[0].Text.Content != escape.OneLine(n.Text) {
			t.Errorf("notice card = %+v, want the title in a %s header over the text as plain_text", c.Card, want)
		}
		cards = append(cards, c)
	}
	nt.GoldenJSON(t, "feishu-notice.json.golden", cards)
}

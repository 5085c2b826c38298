package dingtalk

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

	"github.com/akrecycle/ak-recycle-alert/notify"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
	"github.com/akrecycle/ak-recycle-alert/notify/robot"
)

const (
	token  = "4f6c7d8e9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
	secret = "SEC0123456789abcdef"
	path   = "/robot/send?access_token=" + token
)

var ok = nt.VendorOK(name)

// robotCheck verifies a request as the robot does: a JSON POST, the access token, and with a secret a
// millisecond timestamp within an hour of clock and its HMAC-SHA256 signature (errcode 310000).
func robotCheck(secret string, clock *nt.Clock) nt.Check {
	return nt.JSONPost(func(r *http.Request, body []byte) *nt.Answer {
		q := r.URL.Query()
		if q.Get("access_token") != token {
			return &nt.Answer{Status: 200, Body: `{"errcode":300001,"errmsg":"token is not exist"}`}
		}
		if secret == "" {
			if q.Has("sign") || q.Has("timestamp") {
				return &nt.Answer{Status: 200, Body: `{"errcode":310000,"errmsg":"unexpected sign"}`}
			}
			return nil
		}
		ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || !nt.WithinHour(time.UnixMilli(ms), clock.Current()) {
			return &nt.Answer{Status: 200, Body: `{"errcode":310000,"errmsg":"invalid timestamp"}`}
		}
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "%d\n%s", ms, secret)
		got, err := base64.StdEncoding.DecodeString(q.Get("sign"))
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			return &nt.Answer{Status: 200, Body: `{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`}
		}
		return nil
	})
}

// newTest returns the channel for a server at base, signing with secret, with instant waits.
func newTest(t testing.TB, base, secret string, waits *[]time.Duration) *channel {
	t.Helper()
	d, err := newChannel(base+path, secret, nt.Client())
	if err != nil {
		t.Fatalf("newChannel: %v", err)
	}
	nt.NoWait(&d.poster, waits)
	return d
}

func newSigned(t testing.TB, base string, waits *[]time.Duration) notify.Channel {
	return newTest(t, base, secret, waits)
}

func TestRobot(t *testing.T) {
	nt.CheckRobot(t, nt.Robot{
		New:  newSigned,
		Pace: 3 * time.Second,
		OK:   ok,
		Size: func(_ testing.TB, body []byte) (int, int) { return len(body), maxBody },
		Texts: func(t testing.TB, b []byte) []nt.Text {
			var v body
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			return []nt.Text{{Kind: "plain", Text: v.Markdown.Title}, {Kind: "markdown", Text: v.Markdown.Text}}
		},
		Command: nt.CodeSpanCommand(func(s string) string { return s }),
	})
}

func TestErrorsHoldNoSecret(t *testing.T) {
	nt.CheckNoSecrets(t, newSigned, nt.Leaks{
		Secrets: []string{token, secret},
		Seen:    func(r *http.Request, _ []byte) []string { return []string{r.URL.Query().Get("sign")} },
		Echoes: []nt.Echo{func(r *http.Request, _ []byte, pad string) nt.Answer {
			return nt.Answer{Status: 200, Body: jsonString(`{"errcode":310000,"errmsg":%s}`, "sign not match "+pad+" url: "+r.URL.RequestURI())}
		}},
	})
}

// jsonString formats format with s as a JSON string.
func jsonString(format, s string) string {
	b, _ := json.Marshal(s)
	return fmt.Sprintf(format, b)
}

// TestSignature checks the signature against a worked example. DingTalk's documentation gives the
// algorithm with sample code but no expected output, so the expected values were computed
// independently with Python's standard library:
//
//	python3 -c 'import hmac,hashlib,base64,urllib.parse as u; ts="1700000000000"; s="SEC0123456789abcdef";
//	  b=base64.b64encode(hmac.new(s.encode(),(ts+"\n"+s).encode(),hashlib.sha256).digest()); print(b, u.quote_plus(b))'
func TestSignature(t *testing.T) {
	const ms = 1700000000000
	if got, want := signature(secret, ms), "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="; got != want {
		t.Errorf("signature(%q, %d) = %q, want %q", secret, ms, got, want)
	}
	got := signedURL("https://oapi.dingtalk.com/robot/send?access_token=abc", secret, time.UnixMilli(ms))
	want := "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000&sign=TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D"
	if got != want {
		t.Errorf("signedURL = %q, want %q", got, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, url, secret string
		wantErr           string
	}{
		{name: "plain", url: "https://oapi.dingtalk.com" + path},
		{name: "signed", url: "https://oapi.dingtalk.com" + path, secret: secret},
		{name: "not SEC", url: "https://oapi.dingtalk.com" + path, secret: "s3cr3t-no-prefix",
			wantErr: "dingtalk: signing secret: not a DingTalk signing secret: it should start with SEC"},
		{name: "no scheme", url: "oapi.dingtalk.com" + path,
			wantErr: "dingtalk: webhook URL: not an absolute URL: it must start with https://"},
		{name: "http to a remote host", url: "http://oapi.dingtalk.com" + path,
			wantErr: "dingtalk: webhook URL: http://oapi.dingtalk.com is not allowed: use https:// (http:// only to a loopback address)"},
		{name: "unparsable", url: "https://oapi.dingtalk.com" + path + "%zz\x7f",
			wantErr: "dingtalk: webhook URL: not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := newChannel(tt.url, tt.secret, nil)
			if tt.wantErr == "" {
				if err != nil || d == nil || d.Name() != name || d.Pace() != 3*time.Second {
					t.Fatalf("newChannel = %v, %v; want a channel named %q paced 3s", d, err, name)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("newChannel error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestSend(t *testing.T) {
	tooFast := nt.Answer{Status: 200, Body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`}
	keyword := nt.Answer{Status: 200, Body: `{"errcode":310000,"errmsg":"keywords not in content"}`}
	down := nt.Answer{Status: 502, Body: "<html>bad gateway</html>"}
	tests := []struct {
		name    string
		secret  string // the channel's
		robot   string // the robot's, when it differs
		answers []nt.Answer
		want    nt.Want
	}{
		{name: "delivered", secret: secret, answers: []nt.Answer{ok}, want: nt.Want{Hits: 1}},
		{name: "delivered unsigned", answers: []nt.Answer{ok}, want: nt.Want{Hits: 1}},
		{name: "too fast then delivered", secret: secret, answers: []nt.Answer{tooFast, ok}, want: nt.Want{Hits: 2}},
		{name: "5xx then delivered", secret: secret, answers: []nt.Answer{down, ok}, want: nt.Want{Hits: 2}},
		{name: "too fast thrice", secret: secret, answers: []nt.Answer{tooFast}, want: nt.Want{Hits: 3, Err: "dingtalk: gave up after 3 attempts: errcode 130101: send too fast, exceed 20 times per minute"}},
		{name: "keyword missing", secret: secret, answers: []nt.Answer{keyword}, want: nt.Want{Hits: 1, Err: "dingtalk: errcode 310000: keywords not in content (permanent, 1 attempt)", Permanent: true}},
		{name: "wrong secret", secret: secret, robot: "SECanother", answers: []nt.Answer{ok}, want: nt.Want{Hits: 1, Err: "dingtalk: errcode 310000: sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq] (permanent, 1 attempt)", Permanent: true}},
		{name: "not the robot's answer", answers: []nt.Answer{{Status: 200, Body: "ok"}}, want: nt.Want{Hits: 1, Err: "dingtalk: HTTP 200 OK without the robot's errcode: ok (permanent, 1 attempt)", Permanent: true}},
		{name: "4xx", answers: []nt.Answer{{Status: 404, Body: "404 page not found"}}, want: nt.Want{Hits: 1, Err: "dingtalk: HTTP 404 Not Found: 404 page not found (permanent, 1 attempt)", Permanent: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := nt.NewClock()
			robot := tt.secret
			if tt.robot != "" {
				robot = tt.robot
			}
			srv := nt.NewServer(t, robotCheck(robot, clock), tt.answers...)
			var waits []time.Duration
			d := newTest(t, srv.URL, tt.secret, &waits)
			d.poster.Now = clock.Now
			post := nt.Render(t, d, nt.Sample(t))[0]
			nt.CheckSend(t, srv, post, tt.want)
			for i := range srv.Hits() {
				if got := srv.Request(i).Body; !bytes.Equal(got, post.Body) {
					t.Errorf("attempt %d posted %s, want the rendered body", i+1, got)
				}
			}
			if tt.secret != "" && srv.Hits() > 1 {
				// Each attempt is signed anew, with its own time.
				q0, _ := url.ParseQuery(srv.Request(0).Query)
				q1, _ := url.ParseQuery(srv.Request(1).Query)
				if q0.Get("timestamp") == q1.Get("timestamp") || q0.Get("sign") == q1.Get("sign") {
					t.Errorf("attempts 1 and 2 share timestamp/sign %q/%q: not re-signed", q0.Get("timestamp"), q0.Get("sign"))
				}
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	var waits []time.Duration
	nt.BenchRender(b, newTest(b, "https://robot.example.com", secret, &waits))
}

// TestNotice: a notice is one markdown message, its title in bold over its text, escaped.
func TestNotice(t *testing.T) {
	var bodies []body
	for _, n := range []*notify.Notice{nt.Notice(), nt.HostileNotice()} {
		var b body
		if err := json.Unmarshal(nt.CheckNotice(t, ok, newSigned, n).Body, &b); err != nil {
			t.Fatal(err)
		}
		if want := robot.NoticeMarkdown(n, "  \n"); b.Markdown.Title != n.Title || b.Markdown.Text != want || !strings.HasSuffix(want, robot.Text(n.Text)) {
			t.Errorf("notice = %+v, want title %q and text %q", b.Markdown, n.Title, want)
		}
		bodies = append(bodies, b)
	}
	nt.GoldenJSON(t, "dingtalk-notice.json.golden", bodies)
}

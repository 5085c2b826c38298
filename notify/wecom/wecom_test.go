package wecom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/notify"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
	"github.com/akrecycle/ak-recycle-alert/notify/robot"
)

const (
	key  = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
	path = "/cgi-bin/webhook/send?key=" + key
)

var ok = nt.VendorOK(name)

// robotCheck verifies a request as the robot does: a JSON POST, the key, and a markdown content of at
// most 4096 bytes (errcode 93000 and 40058 otherwise).
var robotCheck = nt.JSONPost(func(r *http.Request, b []byte) *nt.Answer {
	if r.URL.Query().Get("key") != key {
		return &nt.Answer{Status: 200, Body: `{"errcode":93000,"errmsg":"invalid webhook url, hint: [1], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=93000"}`}
	}
	var v body
	if err := json.Unmarshal(b, &v); err != nil || v.MsgType != "markdown" || len(v.Markdown.Content) > maxContent {
		return &nt.Answer{Status: 200, Body: `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096. invalid Request Parameter, hint: [2]"}`}
	}
	return nil
})

func newTest(t testing.TB, base string, waits *[]time.Duration) notify.Channel {
	t.Helper()
	w, err := newChannel(base+path, nt.Client())
	if err != nil {
		t.Fatalf("newChannel: %v", err)
	}
	nt.NoWait(&w.poster, waits)
	return w
}

func TestRobot(t *testing.T) {
	nt.CheckRobot(t, nt.Robot{
		New:  newTest,
		Pace: 3 * time.Second,
		OK:   ok,
		Size: func(t testing.TB, b []byte) (int, int) {
			var v body
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			return len(v.Markdown.Content), maxContent
		},
		Texts: func(t testing.TB, b []byte) []nt.Text {
			var v body
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			return []nt.Text{{Kind: "markdown", Text: v.Markdown.Content}}
		},
		Command: nt.CodeSpanCommand(func(s string) string { return s }),
	})
}

func TestErrorsHoldNoSecret(t *testing.T) {
	nt.CheckNoSecrets(t, newTest, nt.Leaks{
		Secrets: []string{key},
		Echoes: []nt.Echo{func(r *http.Request, _ []byte, pad string) nt.Answer {
			msg, _ := json.Marshal("invalid webhook url " + pad + " " + r.URL.RequestURI() + ", hint: [1], from ip: 1.2.3.4")
			return nt.Answer{Status: 200, Body: fmt.Sprintf(`{"errcode":93000,"errmsg":%s}`, msg)}
		}},
	})
}

func TestNew(t *testing.T) {
	w, err := newChannel("https://qyapi.weixin.qq.com"+path, nil)
	if err != nil || w.Name() != name || w.Pace() != 3*time.Second {
		t.Fatalf("newChannel = %v, %v; want a channel named %q paced 3s", w, err, name)
	}
	_, err = newChannel("qyapi.weixin.qq.com"+path, nil)
	if want := "wecom: webhook URL: not an absolute URL: it must start with https://"; err == nil || err.Error() != want {
		t.Fatalf("newChannel(no scheme) error = %v, want %q", err, want)
	}
}

func TestSend(t *testing.T) {
	tooFast := nt.Answer{Status: 200, Body: `{"errcode":45009,"errmsg":"api freq out of limit, hint: [3], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=45009"}`}
	tooLong := nt.Answer{Status: 200, Body: `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096. invalid Request Parameter, hint: [1]"}`}
	down := nt.Answer{Status: 500, Body: "oops"}
	tests := []struct {
		name    string
		key     string
		answers []nt.Answer
		want    nt.Want
	}{
		{name: "delivered", answers: []nt.Answer{ok}, want: nt.Want{Hits: 1}},
		{name: "rate limit then delivered", answers: []nt.Answer{tooFast, ok}, want: nt.Want{Hits: 2}},
		{name: "5xx then delivered", answers: []nt.Answer{down, ok}, want: nt.Want{Hits: 2}},
		{name: "rate limit thrice", answers: []nt.Answer{tooFast}, want: nt.Want{Hits: 3, Err: "wecom: gave up after 3 attempts: errcode 45009: api freq out of limit"}},
		{name: "too long", answers: []nt.Answer{tooLong}, want: nt.Want{Hits: 1, Err: "wecom: errcode 40058: markdown.content exceed max length 4096. invalid Request Parameter (permanent, 1 attempt)", Permanent: true}},
		{name: "no errcode", answers: []nt.Answer{{Status: 200, Body: `{"ok":true}`}}, want: nt.Want{Hits: 1, Err: `wecom: HTTP 200 OK without the robot's errcode: {"ok":true} (permanent, 1 attempt)`, Permanent: true}},
		{name: "wrong key", key: "0000-wrong-key-0000", answers: []nt.Answer{ok}, want: nt.Want{Hits: 1, Err: "wecom: errcode 93000: invalid webhook url (permanent, 1 attempt)", Permanent: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := nt.NewServer(t, robotCheck, tt.answers...)
			var waits []time.Duration
			w := newTest(t, srv.URL, &waits).(*channel)
			if tt.key != "" {
				w.url = srv.URL + "/cgi-bin/webhook/send?key=" + tt.key
			}
			post := nt.Render(t, w, nt.Sample(t))[0]
			nt.CheckSend(t, srv, post, tt.want)
			for i := range srv.Hits() {
				if got := srv.Request(i).Body; !bytes.Equal(got, post.Body) {
					t.Errorf("attempt %d posted %s, want the rendered body", i+1, got)
				}
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	var waits []time.Duration
	nt.BenchRender(b, newTest(b, "https://robot.example.com", &waits))
}

// TestNotice: a notice is one markdown message, its title in bold over its text, escaped.
func TestNotice(t *testing.T) {
	var bodies []body
	for _, n := range []*notify.Notice{nt.Notice(), nt.HostileNotice()} {
		var b body
		if err := json.Unmarshal(nt.CheckNotice(t, nt.VendorOK(name), newTest, n).Body, &b); err != nil {
			t.Fatal(err)
		}
		if want := robot.NoticeMarkdown(n, "\n"); b.Markdown.Content != want || !strings.HasSuffix(want, robot.Text(n.Text)) {
			t.Errorf("notice = %q, want %q", b.Markdown.Content, want)
		}
		bodies = append(bodies, b)
	}
	nt.GoldenJSON(t, "wecom-notice.json.golden", bodies)
}

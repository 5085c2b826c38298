package notify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

const weComKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

// weComCheck verifies a request as the robot does: the key, and a markdown content of at most 4096
// bytes (errcode 93000 and 40058 otherwise).
func weComCheck(r *http.Request, body []byte) *answer {
	if r.URL.Query().Get("key") != weComKey {
		return &answer{status: 200, body: `{"errcode":93000,"errmsg":"invalid webhook url, hint: [1], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=93000"}`}
	}
	var v weComBody
	if err := json.Unmarshal(body, &v); err != nil || v.MsgType != "markdown" || len(v.Markdown.Content) > weComMaxContent {
		return &answer{status: 200, body: `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096. invalid Request Parameter, hint: [2]"}`}
	}
	return nil
}

func newTestWeCom(t *testing.T, base string, waits *[]time.Duration) *WeCom {
	t.Helper()
	w, err := NewWeCom(base+"/cgi-bin/webhook/send?key="+weComKey, testClient())
	if err != nil {
		t.Fatalf("NewWeCom: %v", err)
	}
	noWait(&w.poster, waits)
	return w
}

func TestNewWeCom(t *testing.T) {
	w, err := NewWeCom("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="+weComKey, nil)
	if err != nil || w.Name() != WeComName || w.Pace() != 3*time.Second {
		t.Fatalf("NewWeCom = %v, %v; want a channel named %q paced 3s", w, err, WeComName)
	}
	_, err = NewWeCom("qyapi.weixin.qq.com/cgi-bin/webhook/send?key="+weComKey, nil)
	if want := "wecom: the webhook URL is not an http(s) URL with a host"; err == nil || err.Error() != want {
		t.Fatalf("NewWeCom(no scheme) error = %v, want %q", err, want)
	}
}

func TestWeComRenderGolden(t *testing.T) {
	w, err := NewWeCom("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="+weComKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		n    int
	}{{"sample", 0}, {"split", 150}} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleReport(t)
			if tc.n > 0 {
				r = manyReport(t, tc.n)
			}
			bodies, err := w.Render(r)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			goldenBodies(t, "wecom_"+tc.name+".json.golden", bodies)
		})
	}
}

func TestWeComSend(t *testing.T) {
	ok := answer{status: 200, body: `{"errcode":0,"errmsg":"ok"}`}
	tooFast := answer{status: 200, body: `{"errcode":45009,"errmsg":"api freq out of limit, hint: [3], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=45009"}`}
	down := answer{status: 500, body: "oops"}
	tests := []struct {
		name      string
		key       string
		answers   []answer
		wantHits  int
		wantErr   string
		permanent bool
	}{
		{name: "delivered", answers: []answer{ok}, wantHits: 1},
		{name: "rate limit then delivered", answers: []answer{tooFast, ok}, wantHits: 2},
		{name: "5xx then delivered", answers: []answer{down, ok}, wantHits: 2},
		{name: "rate limit thrice", answers: []answer{tooFast}, wantHits: 3,
			wantErr: "wecom: gave up after 3 attempts: errcode 45009: api freq out of limit"},
		{name: "wrong key", key: "0000-wrong-key-0000", answers: []answer{ok}, wantHits: 1, permanent: true,
			wantErr: "wecom: errcode 93000: invalid webhook url (permanent, 1 attempt)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRobotFake(t, weComCheck, tt.answers...)
			var waits []time.Duration
			w := newTestWeCom(t, srv.URL, &waits)
			if tt.key != "" {
				w.url = srv.URL + "/cgi-bin/webhook/send?key=" + tt.key
			}
			bodies, err := w.Render(sampleReport(t))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			err = w.Send(t.Context(), bodies[0])
			if srv.hits() != tt.wantHits {
				t.Errorf("Send posted %d times, want %d", srv.hits(), tt.wantHits)
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
			for i := range srv.hits() {
				if got := srv.request(i).body; !bytes.Equal(got, bodies[0]) {
					t.Errorf("attempt %d posted %s, want the rendered body", i+1, got)
				}
			}
		})
	}
}

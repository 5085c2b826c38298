package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	feishuHook   = "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
	feishuSecret = "fs-0123456789abcdefSECRET"
)

// feishuCheck verifies a request as the bot does: with a secret, a timestamp in seconds within an
// hour of clock and sign = Base64(HMAC-SHA256 keyed with timestamp+"\n"+secret over nothing), both in
// the JSON body (code 19021 otherwise).
func feishuCheck(secret string, clock *robotClock) func(r *http.Request, body []byte) *answer {
	return func(r *http.Request, body []byte) *answer {
		if r.URL.Path != "/open-apis/bot/v2/hook/"+feishuHook {
			return &answer{status: 200, body: `{"code":19001,"msg":"param invalid: incoming webhook access token invalid","data":{}}`}
		}
		var v struct {
			Timestamp *string `json:"timestamp"`
			Sign      *string `json:"sign"`
			MsgType   string  `json:"msg_type"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.MsgType == "" {
			return &answer{status: 400, body: `{"code":9499,"msg":"Bad Request","data":{}}`}
		}
		if secret == "" {
			return nil
		}
		fail := &answer{status: 200, body: `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time","data":{}}`}
		if v.Timestamp == nil || v.Sign == nil {
			return fail
		}
		sec, err := strconv.ParseInt(*v.Timestamp, 10, 64)
		if err != nil || !withinHour(time.Unix(sec, 0), clock.current()) {
			return fail
		}
		mac := hmac.New(sha256.New, []byte(*v.Timestamp+"\n"+secret))
		got, err := base64.StdEncoding.DecodeString(*v.Sign)
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			return fail
		}
		return nil
	}
}

func newTestFeishu(t *testing.T, base, secret string, clock *robotClock, waits *[]time.Duration) *Feishu {
	t.Helper()
	f, err := NewFeishu(base+"/open-apis/bot/v2/hook/"+feishuHook, secret, testClient())
	if err != nil {
		t.Fatalf("NewFeishu: %v", err)
	}
	f.poster.now = clock.now
	noWait(&f.poster, waits)
	return f
}

// TestFeishuSign checks the signature against a worked example. The bot's guide gives the algorithm
// and sample code (its example timestamp is 1599360473) but no expected signature, so the expected
// value was computed independently with Python's standard library:
//
//	python3 -c 'import hmac,hashlib,base64; k=("1599360473"+"\n"+"demo-secret").encode();
//	  print(base64.b64encode(hmac.new(k,b"",hashlib.sha256).digest()))'
func TestFeishuSign(t *testing.T) {
	if got, want := feishuSign("demo-secret", 1599360473), "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s="; got != want {
		t.Errorf("feishuSign(%q, %d) = %q, want %q", "demo-secret", 1599360473, got, want)
	}
}

func TestFeishuSigned(t *testing.T) {
	at := time.Unix(1599360473, 0)
	const head = `{"timestamp":"1599360473","sign":"3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s="`
	tests := []struct {
		name, body, want, wantErr string
	}{
		{name: "card", body: `{"msg_type":"interactive","card":{"a":1}}`, want: head + `,"msg_type":"interactive","card":{"a":1}}`},
		{name: "spaces", body: " {\n \"msg_type\" : \"text\" } ", want: head + `,` + "\n \"msg_type\" : \"text\" }"},
		{name: "empty object", body: `{ }`, want: head + ` }`},
		{name: "array", body: `[1]`, wantErr: "the body is not a JSON object"},
		{name: "broken", body: `{"a":`, wantErr: "the body is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := feishuSigned(json.RawMessage(tt.body), "demo-secret", at)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("feishuSigned(%s) = %s, %v; want error %q", tt.body, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("feishuSigned(%s) = %s, %v; want %s", tt.body, got, err, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("feishuSigned(%s) = %s, not valid JSON", tt.body, got)
			}
		})
	}
}

func TestNewFeishu(t *testing.T) {
	tests := []struct {
		name, url, wantErr string
	}{
		{name: "feishu", url: "https://open.feishu.cn/open-apis/bot/v2/hook/" + feishuHook},
		{name: "lark", url: "https://open.larksuite.com/open-apis/bot/v2/hook/" + feishuHook},
		{name: "no host", url: "https:///open-apis/bot/v2/hook/" + feishuHook, wantErr: "feishu: the webhook URL is not an http(s) URL with a host"},
		{name: "ftp", url: "ftp://open.feishu.cn/open-apis/bot/v2/hook/" + feishuHook, wantErr: "feishu: the webhook URL is not an http(s) URL with a host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFeishu(tt.url, feishuSecret, nil)
			if tt.wantErr == "" {
				if err != nil || f.Name() != FeishuName {
					t.Fatalf("NewFeishu = %v, %v; want a channel named %q", f, err, FeishuName)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("NewFeishu error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestFeishuRenderGolden(t *testing.T) {
	f, err := NewFeishu("https://open.feishu.cn/open-apis/bot/v2/hook/"+feishuHook, feishuSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		n    int
	}{{"sample", 0}, {"split", 150}, {"digest", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleReport(t)
			switch {
			case tc.n > 0:
				r = manyReport(t, tc.n)
			case tc.n < 0:
				r = digestReport(t)
			}
			bodies, err := f.Render(r)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for i, b := range bodies {
				if bytes.Contains(b, []byte(`"sign"`)) || bytes.Contains(b, []byte(feishuSecret)) {
					t.Errorf("rendered part %d carries a signature or the secret: Render must stay unsigned", i+1)
				}
			}
			goldenBodies(t, "feishu_"+tc.name+".json.golden", bodies)
		})
	}
}

func TestFeishuSend(t *testing.T) {
	ok := answer{status: 200, body: `{"code":0,"data":{},"msg":"success"}`}
	okOld := answer{status: 200, body: `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`}
	throttled := answer{status: 200, body: `{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]","data":{}}`}
	badRequest := answer{status: 400, body: `{"code":9499,"msg":"Bad Request","data":{}}`}
	keyword := answer{status: 200, body: `{"code":19024,"msg":"Key Words Not Found","data":{}}`}
	down := answer{status: 503, body: "upstream unavailable"}
	tests := []struct {
		name      string
		secret    string
		robot     string
		answers   []answer
		wantHits  int
		wantErr   string
		permanent bool
	}{
		{name: "delivered", secret: feishuSecret, answers: []answer{ok}, wantHits: 1},
		{name: "delivered unsigned", answers: []answer{ok}, wantHits: 1},
		{name: "older answer", secret: feishuSecret, answers: []answer{okOld}, wantHits: 1},
		{name: "throttled then delivered", secret: feishuSecret, answers: []answer{throttled, ok}, wantHits: 2},
		{name: "9499 then delivered", secret: feishuSecret, answers: []answer{badRequest, ok}, wantHits: 2},
		{name: "5xx then delivered", secret: feishuSecret, answers: []answer{down, ok}, wantHits: 2},
		{name: "5xx thrice", secret: feishuSecret, answers: []answer{down}, wantHits: 3,
			wantErr: "feishu: gave up after 3 attempts: HTTP 503 Service Unavailable: upstream unavailable"},
		{name: "keyword missing", secret: feishuSecret, answers: []answer{keyword}, wantHits: 1, permanent: true,
			wantErr: "feishu: code 19024: Key Words Not Found (permanent, 1 attempt)"},
		{name: "wrong secret", secret: feishuSecret, robot: "another-secret", answers: []answer{ok}, wantHits: 1, permanent: true,
			wantErr: "feishu: code 19021: sign match fail or timestamp is not within one hour from current time (permanent, 1 attempt)"},
		{name: "robot wants a signature", robot: feishuSecret, answers: []answer{ok}, wantHits: 1, permanent: true,
			wantErr: "feishu: code 19021: sign match fail or timestamp is not within one hour from current time (permanent, 1 attempt)"},
		{name: "not the bot's answer", answers: []answer{{status: 200, body: "fine"}}, wantHits: 1, permanent: true,
			wantErr: "feishu: HTTP 200 OK without the bot's code: fine (permanent, 1 attempt)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newRobotClock()
			robot := tt.secret
			if tt.robot != "" {
				robot = tt.robot
			}
			srv := newRobotFake(t, feishuCheck(robot, clock), tt.answers...)
			var waits []time.Duration
			f := newTestFeishu(t, srv.URL, tt.secret, clock, &waits)
			bodies, err := f.Render(sampleReport(t))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			err = f.Send(t.Context(), bodies[0])
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
			var signs []string
			for i := range srv.hits() {
				// The posted body is the rendered card plus, when signed, the two fields.
				var got, want map[string]any
				if err := json.Unmarshal(srv.request(i).body, &got); err != nil {
					t.Fatalf("attempt %d: %v", i+1, err)
				}
				json.Unmarshal(bodies[0], &want)
				if tt.secret != "" {
					signs = append(signs, got["timestamp"].(string)+" "+got["sign"].(string))
					delete(got, "timestamp")
					delete(got, "sign")
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("attempt %d body (-want +got):\n%s", i+1, diff)
				}
			}
			if len(signs) > 1 && signs[0] == signs[1] {
				t.Errorf("attempts 1 and 2 share timestamp and sign %q: not re-signed", signs[0])
			}
		})
	}
}

func TestFeishuRetryAfter(t *testing.T) {
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
			if got := feishuRetryAfter(&http.Response{Header: tt.header}); got != tt.want {
				t.Errorf("feishuRetryAfter(%v) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

package ramfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/akrecycle/ak-recycle-alert/internal/golden"
	"github.com/akrecycle/ak-recycle-alert/internal/offline"
)

var requestIDPattern = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

// TestMain keeps the SDK's credential chain and proxies away from anything but the emulator.
func TestMain(m *testing.M) {
	offline.Isolate(func(name, value string) { os.Setenv(name, value) })
	os.Exit(m.Run())
}

// clock is a server clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts a clock at the wall clock's second, so that requests the SDK signs with the wall
// clock pass the Timestamp check.
func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cred is an AccessKey a test signs with.
type cred struct{ id, secret, token string }

// answer is a decoded answer: its status, its body, and an error's Code.
type answer struct {
	status int
	body   map[string]any
	code   string
}

func (a answer) String() string { return fmt.Sprintf("%d %s %v", a.status, a.code, a.body) }

// sdkCall sends one request through the real SDK's CommonRequest, signed as the SDK signs it.
func sdkCall(t testing.TB, s *Server, c cred, version, action string, params map[string]string) answer {
	t.Helper()
	var credential auth.Credential = credentials.NewAccessKeyCredential(c.id, c.secret)
	if c.token != "" {
		credential = credentials.NewStsTokenCredential(c.id, c.secret, c.token)
	}
	client, err := sdk.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme("HTTP").WithAutoRetry(false), credential)
	if err != nil {
		t.Fatal(err)
	}
	req := requests.NewCommonRequest()
	req.Scheme, req.Domain = "http", s.Host()
	req.Product, req.Version, req.ApiName = products[version].name, version, action
	for k, v := range params {
		req.QueryParams[k] = v
	}
	resp, err := client.ProcessCommonRequest(req)
	if err != nil {
		var se *sdkerrors.ServerError
		if !errors.As(err, &se) {
			t.Fatalf("%s: %v", action, err)
		}
		return answer{status: se.HttpStatus(), code: se.ErrorCode(), body: map[string]any{"Message": se.Message()}}
	}
	var body map[string]any
	if err := json.Unmarshal(resp.GetHttpContentBytes(), &body); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", action, err)
	}
	return answer{status: resp.GetHttpStatus(), body: body}
}

// rawCall sends one request signed by hand at the given time (the server's clock in the golden tests),
// all parameters in the query.
func rawCall(t *testing.T, s *Server, c cred, at time.Time, version, action string, params map[string]string) answer {
	t.Helper()
	p := url.Values{}
	for k, v := range map[string]string{
		"AccessKeyId": c.id, "Format": "JSON", "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": fmt.Sprintf("nonce-%d-%d", time.Now().UnixNano(), nonce.Add(1)), "SignatureType": "",
		"SignatureVersion": "1.0", "Timestamp": at.UTC().Format("2006-01-02T15:04:05Z"), "Action": action, "Version": version,
	} {
		p.Set(k, v)
	}
	if c.token != "" {
		p.Set("SecurityToken", c.token)
	}
	for k, v := range params {
		p.Set(k, v)
	}
	p.Set("Signature", Sign(http.MethodGet, p, c.secret))
	resp, err := s.Client().Get(s.URL() + "/?" + p.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("%s: answer is not JSON: %s", action, b)
	}
	code, _ := body["Code"].(string)
	return answer{status: resp.StatusCode, body: body, code: code}
}

// mustOK fails the test unless a is a 200.
func mustOK(t *testing.T, what string, a answer) map[string]any {
	t.Helper()
	if a.status != 200 {
		t.Fatalf("%s = %v, want 200", what, a)
	}
	return a.body
}

// wantError fails the test unless a is the given status and Code.
func wantError(t *testing.T, what string, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.code != code {
		t.Errorf("%s = %v, want %d %s", what, a, status, code)
	}
}

// golden compares a 200 answer, its RequestIds and the values named by scrub replaced, with
// testdata/golden/<name>.json (internal/golden: -update rewrites the file).
func checkGolden(t *testing.T, name string, body map[string]any, scrub ...string) {
	t.Helper()
	if id, _ := body["RequestId"].(string); !requestIDPattern.MatchString(id) {
		t.Errorf("%s: RequestId = %q, want 8-4-4-4-12 upper-case hex", name, id)
	}
	scrubbed := scrubValues(body, append(scrub, "RequestId")).(map[string]any)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(scrubbed); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("golden", name+".json"), buf.Bytes())
}

// scrubValues replaces the values of the named keys, at any depth, by "<key>".
func scrubValues(v any, keys []string) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, val := range x {
			if _, isObj := val.(map[string]any); !isObj && containsString(keys, k) {
				m[k] = "<" + k + ">"
				continue
			}
			m[k] = scrubValues(val, keys)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = scrubValues(x[i], keys)
		}
		return out
	}
	return v
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// list returns the objects at path (dotted) of a decoded answer.
func list(body map[string]any, path string) []map[string]any {
	items, _ := lookup(body, path).([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

// field returns one string field of each object.
func field(items []map[string]any, name string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, _ := it[name].(string)
		out = append(out, s)
	}
	return out
}

// hasSecret fails the test when text holds one of the secrets.
func hasSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(text, sec) {
			t.Errorf("%s holds a secret: %q", what, text)
		}
	}
}

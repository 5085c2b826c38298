package ramfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	akID      = "LTAI5tTestCallerKey00001"
	akSecret  = "test-secret-Zq9vXw3Lm7Pk"
	stsID     = "STS.NTestStsKey00000000001"
	stsSecret = "sts-secret-Hq2Wn8Rt5Yu"
	stsToken  = "CAIS+test/Token=="
)

var fixedNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func testOptions() Options {
	return Options{
		Users: []User{
			{ID: "2073290024939201", Name: "alice", Keys: []Key{{AccessKeyID: "LTAI5tAliceKey0000000001",
				CreateDate: fixedNow.Add(-400 * time.Hour), RecycleDate: fixedNow.Add(-time.Hour), DeleteDate: fixedNow.Add(719 * time.Hour)}}},
			{ID: "2073290024939202", Name: "bob", PrincipalName: "bob@prod.onaliyun.com"},
		},
		Credentials: map[string]Credential{akID: {Secret: akSecret}, stsID: {Secret: stsSecret, Token: stsToken}},
	}
}

var nonce atomic.Int64

// call sends one signed RPC request the way the SDK does (all parameters in the query, or in the form
// body with form true), after edit may change the parameters, and returns the status and decoded body.
func call(t *testing.T, s *Server, form bool, params map[string]string, edit func(p url.Values)) (int, map[string]any) {
	t.Helper()
	p := url.Values{}
	for k, v := range map[string]string{
		"AccessKeyId": akID, "Format": "JSON", "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": fmt.Sprintf("nonce-%d-%d", time.Now().UnixNano(), nonce.Add(1)), "SignatureType": "",
		"SignatureVersion": "1.0", "Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	} {
		p.Set(k, v)
	}
	for k, v := range params {
		p.Set(k, v)
	}
	secret := akSecret
	if p.Get("AccessKeyId") == stsID {
		secret = stsSecret
	}
	p.Set("Signature", Sign(http.MethodPost, p, secret))
	if edit != nil {
		edit(p)
	}
	var resp *http.Response
	var err error
	if form {
		resp, err = s.Client().PostForm(s.URL()+"/", p)
	} else {
		resp, err = s.Client().Post(s.URL()+"/?"+p.Encode(), "application/x-www-form-urlencoded", nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		return resp.StatusCode, map[string]any{"raw": string(b)}
	}
	if resp.StatusCode != http.StatusOK {
		for _, f := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
			if _, ok := body[f].(string); !ok && body["Code"] != float64(400) {
				t.Errorf("error body field %s = %v, want a string", f, body[f])
			}
		}
	}
	return resp.StatusCode, body
}

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

func TestServerChecksRequests(t *testing.T) {
	ram := func(action string, kv ...string) map[string]string {
		m := map[string]string{"Action": action, "Version": RAMVersion}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	ims := func(action string, kv ...string) map[string]string {
		m := ram(action, kv...)
		m["Version"] = IMSVersion
		return m
	}
	tests := []struct {
		name       string
		form       bool
		params     map[string]string
		edit       func(p url.Values)
		now        func() time.Time
		wantStatus int
		wantCode   string
		wantField  string // a field path that must be present in a 200 answer
	}{
		{name: "RAM GetUser", params: ram("GetUser", "UserName", "alice"), wantStatus: 200, wantField: "User.UserName=alice"},
		{name: "RAM GetUser, form body", form: true, params: ram("GetUser", "UserName", "ALICE"), wantStatus: 200, wantField: "User.UserId=2073290024939201"},
		{name: "IMS GetUser by principal", params: ims("GetUser", "UserPrincipalName", "bob@prod.onaliyun.com"), wantStatus: 200, wantField: "User.UserId=2073290024939202"},
		{name: "IMS GetUser by ID", params: ims("GetUser", "UserId", "2073290024939201"), wantStatus: 200, wantField: "User.UserPrincipalName=alice@corp.onaliyun.com"},
		{name: "IMS GetUser with two selectors", params: ims("GetUser", "UserId", "2073290024939201", "UserPrincipalName", "x@y"), wantStatus: 400, wantCode: "InvalidParameter.UserPrincipalName"},
		{name: "recycle bin", params: ims("ListAccessKeysInRecycleBin", "UserId", "2073290024939201"), wantStatus: 200, wantField: "AccessKeys.AccessKey.0.DeleteDate=2026-12-30T08:00:00Z"},
		{name: "STS with token", params: ims("ListAccessKeysInRecycleBin", "UserId", "2073290024939201", "AccessKeyId", stsID, "SecurityToken", stsToken), wantStatus: 200},
		{name: "recycle bin without UserId", params: ims("ListAccessKeysInRecycleBin"), wantStatus: 400, wantCode: "MissingParameter.UserId"},
		{name: "RAM GetUser without UserName", params: ram("GetUser"), wantStatus: 400, wantCode: "MissingParameter.UserName"},
		{name: "unknown user", params: ims("ListAccessKeysInRecycleBin", "UserId", "1"), wantStatus: 404, wantCode: "EntityNotExist.User"},
		{name: "unknown user name", params: ram("GetUser", "UserName", "ghost"), wantStatus: 404, wantCode: "EntityNotExist.User"},
		{name: "action not in this version", params: ram("ListAccessKeysInRecycleBin", "UserId", "2073290024939201"), wantStatus: 404, wantCode: "InvalidAction.NotFound"},
		{name: "unknown version", params: map[string]string{"Action": "GetUser", "Version": "2020-01-01", "UserName": "alice"}, wantStatus: 400, wantCode: "InvalidVersion"},
		{name: "bad signature", params: ram("GetUser", "UserName", "alice"), edit: func(p url.Values) { p.Set("Signature", "AAAA") }, wantStatus: 400, wantCode: "SignatureDoesNotMatch"},
		{name: "parameter changed after signing", params: ram("GetUser", "UserName", "alice"), edit: func(p url.Values) { p.Set("UserName", "bob") }, wantStatus: 400, wantCode: "SignatureDoesNotMatch"},
		{name: "expired timestamp", params: ram("GetUser", "UserName", "alice"), now: func() time.Time { return time.Now().Add(16 * time.Minute) }, wantStatus: 400, wantCode: "InvalidTimeStamp.Expired"},
		{name: "future timestamp", params: ram("GetUser", "UserName", "alice"), now: func() time.Time { return time.Now().Add(-16 * time.Minute) }, wantStatus: 400, wantCode: "InvalidTimeStamp.Expired"},
		{name: "malformed timestamp", params: ram("GetUser", "UserName", "alice", "Timestamp", "yesterday"), wantStatus: 400, wantCode: "InvalidTimeStamp.Format"},
		{name: "unknown AccessKey", params: ram("GetUser", "UserName", "alice", "AccessKeyId", "LTAI5tNobody"), wantStatus: 404, wantCode: "InvalidAccessKeyId.NotFound"},
		{name: "STS without token", params: ram("GetUser", "UserName", "alice", "AccessKeyId", stsID), wantStatus: 400, wantCode: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "STS with wrong token", params: ram("GetUser", "UserName", "alice", "AccessKeyId", stsID, "SecurityToken", "other"), wantStatus: 400, wantCode: "InvalidSecurityToken.MismatchWithAccessKey"},
		{name: "XML format", params: ram("GetUser", "UserName", "alice", "Format", "XML"), wantStatus: 400, wantCode: "InvalidParameter.Format"},
		{name: "other signature method", params: ram("GetUser", "UserName", "alice", "SignatureMethod", "HMAC-SHA256"), wantStatus: 400, wantCode: "InvalidSignatureMethod"},
		{name: "other signature version", params: ram("GetUser", "UserName", "alice", "SignatureVersion", "2.0"), wantStatus: 400, wantCode: "InvalidSignatureVersion"},
		{name: "no nonce", params: ram("GetUser", "UserName", "alice", "SignatureNonce", ""), wantStatus: 400, wantCode: "MissingParameter.SignatureNonce"},
		{name: "MaxItems 0", params: ram("ListUsers", "MaxItems", "0"), wantStatus: 400, wantCode: "InvalidParameter.MaxItems"},
		{name: "MaxItems 1001", params: ram("ListUsers", "MaxItems", "1001"), wantStatus: 400, wantCode: "InvalidParameter.MaxItems"},
		{name: "bad marker", params: ram("ListUsers", "Marker", "abc"), wantStatus: 400, wantCode: "InvalidParameter.Marker"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.Now = tc.now
			s := start(t, opts)
			status, body := call(t, s, tc.form, tc.params, tc.edit)
			if status != tc.wantStatus || (tc.wantCode != "" && body["Code"] != tc.wantCode) {
				t.Fatalf("%v = %d %v, want %d %s", tc.params, status, body, tc.wantStatus, tc.wantCode)
			}
			if tc.wantField != "" {
				path, want, _ := strings.Cut(tc.wantField, "=")
				if got := lookup(body, path); got != want {
					t.Errorf("%v: %s = %v, want %s", tc.params, path, got, want)
				}
			}
		})
	}
}

// lookup follows a dotted path (numbers index arrays) through decoded JSON.
func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			var i int
			fmt.Sscan(part, &i)
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func TestSignatureMismatchQuotesStringToSign(t *testing.T) {
	s := start(t, testOptions())
	params := map[string]string{"Action": "GetUser", "Version": RAMVersion, "UserName": "alice", "AccessKeyId": stsID, "SecurityToken": stsToken}
	_, body := call(t, s, false, params, func(p url.Values) { p.Set("Signature", "AAAA") })
	msg, _ := body["Message"].(string)
	if !strings.Contains(msg, "server string to sign is:POST&%2F&AccessKeyId%3DSTS.") || !strings.Contains(msg, "SecurityToken%3DCAIS%252Btest") {
		t.Errorf("Message = %q, want the string to sign, security token included, as the real gateway quotes it", msg)
	}
}

func TestServerRejectsReusedNonce(t *testing.T) {
	s := start(t, testOptions())
	var first url.Values
	status, _ := call(t, s, false, map[string]string{"Action": "GetUser", "Version": RAMVersion, "UserName": "alice"}, func(p url.Values) { first = p })
	if status != 200 {
		t.Fatalf("first call = %d, want 200", status)
	}
	resp, err := s.Client().Post(s.URL()+"/?"+first.Encode(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body["Code"] != "SignatureNonceUsed" {
		t.Errorf("replayed call = %d %v, want 400 SignatureNonceUsed", resp.StatusCode, body["Code"])
	}
}

func TestListUsersPages(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string
		field   string
	}{
		{name: "RAM", version: RAMVersion, field: "UserName"},
		{name: "IMS", version: IMSVersion, field: "UserPrincipalName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.Users = SyntheticUsers(25, fixedNow)
			s := start(t, opts)
			var got []string
			marker := ""
			pages := 0
			for {
				params := map[string]string{"Action": "ListUsers", "Version": tc.version, "MaxItems": "10"}
				if marker != "" {
					params["Marker"] = marker
				}
				status, body := call(t, s, false, params, nil)
				if status != 200 {
					t.Fatalf("ListUsers = %d %v", status, body)
				}
				pages++
				users, _ := lookup(body, "Users.User").([]any)
				for _, u := range users {
					got = append(got, u.(map[string]any)[tc.field].(string))
				}
				if body["IsTruncated"] != true {
					if _, ok := body["Marker"]; ok {
						t.Errorf("last page has a Marker")
					}
					break
				}
				marker = body["Marker"].(string)
			}
			var want []string
			for _, u := range opts.Users {
				if tc.field == "UserName" {
					want = append(want, u.Name)
				} else {
					want = append(want, u.Name+"@"+DefaultDomain)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("paged users (-want +got):\n%s", diff)
			}
			if pages != 3 || s.Calls("ListUsers") != 3 {
				t.Errorf("pages = %d, calls = %d; want 3", pages, s.Calls("ListUsers"))
			}
		})
	}
}

func TestServerFaults(t *testing.T) {
	bin := map[string]string{"Action": "ListAccessKeysInRecycleBin", "Version": IMSVersion, "UserId": "2073290024939201"}
	tests := []struct {
		name   string
		setup  func(s *Server)
		want   []string // status and code (or "ok") of consecutive calls
		option func(o *Options)
	}{
		{name: "throttle next", setup: func(s *Server) { s.ThrottleNext(2) }, want: []string{"400 Throttling.User", "400 Throttling.User", "200 ok"}},
		{name: "500 next", setup: func(s *Server) { s.FailNext(1, 500) }, want: []string{"500 InternalError", "200 ok"}},
		{name: "503 next", setup: func(s *Server) { s.FailNext(2, 503) }, want: []string{"503 ServiceUnavailable", "503 ServiceUnavailable", "200 ok"}},
		{name: "deny", setup: func(s *Server) { s.SetFault("ListAccessKeysInRecycleBin", "2073290024939201", Deny) }, want: []string{"403 NoPermission", "403 NoPermission"}},
		{name: "deny cleared", setup: func(s *Server) {
			s.SetFault("ListAccessKeysInRecycleBin", "2073290024939201", Deny)
			s.SetFault("ListAccessKeysInRecycleBin", "2073290024939201", NoFault)
		}, want: []string{"200 ok"}},
		{name: "deny another user", setup: func(s *Server) { s.SetFault("ListAccessKeysInRecycleBin", "2073290024939202", Deny) }, want: []string{"200 ok"}},
		{name: "non-JSON", setup: func(s *Server) { s.SetFault("ListAccessKeysInRecycleBin", "2073290024939201", NonJSON) }, want: []string{"200 non-JSON"}},
		{name: "numeric code", setup: func(s *Server) { s.SetFault("ListAccessKeysInRecycleBin", "2073290024939201", NumericCode) }, want: []string{"400 numeric"}},
		{name: "rate limit", option: func(o *Options) { o.RateLimit, o.Now = 3, newClock().Now }, want: []string{"200 ok", "200 ok", "200 ok", "400 Throttling.User"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			if tc.option != nil {
				tc.option(&opts)
			}
			s := start(t, opts)
			if tc.setup != nil {
				tc.setup(s)
			}
			var got []string
			for range tc.want {
				status, body := call(t, s, false, bin, nil)
				switch {
				case body["raw"] != nil:
					got = append(got, fmt.Sprintf("%d non-JSON", status))
				case body["Code"] == float64(400):
					got = append(got, fmt.Sprintf("%d numeric", status))
				case status == 200:
					got = append(got, "200 ok")
				default:
					got = append(got, fmt.Sprintf("%d %v", status, body["Code"]))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServerStats(t *testing.T) {
	s := start(t, testOptions())
	call(t, s, false, map[string]string{"Action": "GetUser", "Version": RAMVersion, "UserName": "alice"}, nil)
	call(t, s, false, map[string]string{"Action": "GetUser", "Version": IMSVersion, "UserId": "2073290024939202", "AccessKeyId": stsID, "SecurityToken": stsToken}, nil)
	call(t, s, false, map[string]string{"Action": "ListAccessKeysInRecycleBin", "Version": IMSVersion, "UserId": "2073290024939202", "AccessKeyId": stsID, "SecurityToken": stsToken}, nil)
	if got := s.Calls("GetUser"); got != 2 {
		t.Errorf("Calls(GetUser) = %d, want 2", got)
	}
	if got := s.TotalCalls(); got != 3 {
		t.Errorf("TotalCalls() = %d, want 3", got)
	}
	want := []SeenCredential{{AccessKeyID: akID}, {AccessKeyID: stsID, WithToken: true}}
	if diff := cmp.Diff(want, s.SeenCredentials()); diff != "" {
		t.Errorf("SeenCredentials() (-want +got):\n%s", diff)
	}
	if got := s.MaxConcurrency(); got != 1 {
		t.Errorf("MaxConcurrency() = %d, want 1", got)
	}
	s.ResetStats()
	if s.TotalCalls() != 0 || s.SeenCredentials() != nil || s.MaxConcurrency() != 0 {
		t.Errorf("ResetStats left %d calls, %v", s.TotalCalls(), s.SeenCredentials())
	}
}

func TestEchoCredentials(t *testing.T) {
	s := start(t, testOptions())
	s.SetFault("ListAccessKeysInRecycleBin", "2073290024939201", EchoCredentials)
	bin := map[string]string{"Action": "ListAccessKeysInRecycleBin", "Version": IMSVersion, "UserId": "2073290024939201"}
	for _, tc := range []struct {
		name, keyID string
		want        []string
	}{
		{name: "AccessKey", keyID: akID, want: []string{akSecret}},
		{name: "STS", keyID: stsID, want: []string{stsSecret, stsToken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, s, false, bin, func(p url.Values) {
				if tc.keyID == stsID {
					p.Set("AccessKeyId", stsID)
					p.Set("SecurityToken", stsToken)
					p.Del("Signature")
					p.Set("Signature", Sign(http.MethodPost, p, stsSecret))
				}
			})
			msg, _ := body["Message"].(string)
			if status != 400 || body["Code"] != "InvalidParameter" {
				t.Fatalf("answer %d %v, want 400 InvalidParameter", status, body["Code"])
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Message = %q, want it to repeat %q", msg, w)
				}
			}
		})
	}
}

func TestSetErrorAnswer(t *testing.T) {
	const hostile = "<!channel> [x](https://evil.example)\n**FAKE: all clear** <at id=all></at> & `x`"
	s := start(t, testOptions())
	s.SetErrorAnswer("ListAccessKeysInRecycleBin", "2073290024939201", 403, "NoPermission.<@all>", hostile)
	s.SetErrorAnswer("ListUsers", "", 400, "InvalidParameter", "listing refused")
	bin := func(userID string) map[string]string {
		return map[string]string{"Action": "ListAccessKeysInRecycleBin", "Version": IMSVersion, "UserId": userID}
	}
	tests := []struct {
		name        string
		params      map[string]string
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{name: "the user's recycle bin", params: bin("2073290024939201"), wantStatus: 403, wantCode: "NoPermission.<@all>", wantMessage: hostile},
		{name: "another user", params: bin("2073290024939202"), wantStatus: 200},
		{name: "another action", params: map[string]string{"Action": "GetUser", "Version": IMSVersion, "UserId": "2073290024939201"}, wantStatus: 200},
		{name: "ListUsers", params: map[string]string{"Action": "ListUsers", "Version": RAMVersion}, wantStatus: 400, wantCode: "InvalidParameter", wantMessage: "listing refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, s, false, tc.params, nil)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %v", status, tc.wantStatus, body)
			}
			if status != 200 && (body["Code"] != tc.wantCode || body["Message"] != tc.wantMessage) {
				t.Errorf("Code, Message = %q, %q; want %q, %q", body["Code"], body["Message"], tc.wantCode, tc.wantMessage)
			}
		})
	}
	s.SetFault("ListAccessKeysInRecycleBin", "2073290024939201", NoFault)
	if status, body := call(t, s, false, bin("2073290024939201"), nil); status != 200 {
		t.Errorf("after SetFault(NoFault): status %d, want 200: %v", status, body)
	}
	s.SetFault("ListUsers", "", Deny)
	if status, body := call(t, s, false, map[string]string{"Action": "ListUsers", "Version": RAMVersion}, nil); status != 403 || body["Code"] != "NoPermission" {
		t.Errorf("after SetFault(Deny): %d %v, want the Deny answer, not the earlier error answer", status, body["Code"])
	}
}

func TestRawFields(t *testing.T) {
	opts := testOptions()
	opts.Users[0].Raw = map[string]any{"UserName": 12, "Extra": "x"}
	opts.Users[0].Keys[0].Raw = map[string]any{"DeleteDate": "9999-12-31T23:59:59-23:59"}
	s := start(t, opts)
	_, body := call(t, s, false, map[string]string{"Action": "ListAccessKeysInRecycleBin", "Version": IMSVersion, "UserId": "2073290024939201"}, nil)
	if got := lookup(body, "AccessKeys.AccessKey.0.DeleteDate"); got != "9999-12-31T23:59:59-23:59" {
		t.Errorf("DeleteDate = %v, want the raw value", got)
	}
	_, body = call(t, s, false, map[string]string{"Action": "ListUsers", "Version": RAMVersion}, nil)
	if got := lookup(body, "Users.User.0.UserName"); got != float64(12) {
		t.Errorf("ListUsers UserName = %v, want the raw value 12", got)
	}
	_, body = call(t, s, false, map[string]string{"Action": "GetUser", "Version": RAMVersion, "UserName": "alice"}, nil)
	if got := lookup(body, "User.Extra"); got != "x" {
		t.Errorf("GetUser Extra = %v, want the raw value", got)
	}
}

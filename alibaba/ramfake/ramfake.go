// Package ramfake is a local emulator of the Alibaba Cloud RAM (2015-05-01) and IMS (2019-08-15) RPC APIs
// that the recycle-bin reader calls: GetUser, ListUsers and ListAccessKeysInRecycleBin. It listens on
// 127.0.0.1 only and checks what the real gateway checks (RPC signature v1, timestamp, nonce, STS token,
// version, required parameters), answers errors with the real codes and bodies, and lets tests inject
// throttling, server errors, malformed bodies, denials, hostile values (User.Raw, Key.Raw) and error
// messages that repeat the caller's credentials. Tests, benchmarks and the demo use it.
package ramfake

import (
	"crypto/hmac"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// The API versions the emulator serves.
const (
	// RAMVersion is the RAM API version (GetUser, ListUsers).
	RAMVersion = "2015-05-01"
	// IMSVersion is the IMS API version (GetUser, ListUsers, ListAccessKeysInRecycleBin).
	IMSVersion = "2019-08-15"
)

// DefaultDomain is the principal-name domain of users whose PrincipalName is empty.
const DefaultDomain = "corp.onaliyun.com"

// TimestampSkew is how far a request's Timestamp may be from the server's clock: the gateway answers
// InvalidTimeStamp.Expired beyond 15 minutes.
const TimestampSkew = 15 * time.Minute

// Credential is an AccessKey the emulator accepts.
type Credential struct {
	// Secret is the AccessKey secret.
	Secret string
	// Token is the security token an STS AccessKey (ID starting with "STS.") must send.
	Token string
}

// Options configure a Server.
type Options struct {
	// Users are the account's RAM users, in ListUsers order.
	Users []User
	// Credentials maps AccessKey IDs to the credentials the emulator accepts; any other ID is unknown.
	Credentials map[string]Credential
	// Latency delays every answer.
	Latency time.Duration
	// RateLimit caps requests per second across the server (a token bucket holding one second's worth);
	// beyond it requests are answered 400 Throttling.User. Zero means no limit.
	RateLimit int
	// Now is the server's clock for Timestamp checks; nil means time.Now.
	Now func() time.Time
	// TLS serves HTTPS with httptest's self-signed certificate (see Server.Certificate).
	TLS bool
}

// Fault is a misbehaviour injected for one action and user.
type Fault int

// The injectable faults.
const (
	// NoFault clears a fault.
	NoFault Fault = iota
	// Deny answers 403 NoPermission.
	Deny
	// NonJSON answers 200 with a body that is not JSON.
	NonJSON
	// NumericCode answers 400 with an error body whose Code is a number (the v1 SDK panics on it).
	NumericCode
	// MissingAccessKeyID answers a recycle bin whose first key has no AccessKeyId.
	MissingAccessKeyID
	// BadDate answers a recycle bin whose first key has an unparsable DeleteDate.
	BadDate
	// EchoCredentials answers 400 InvalidParameter with a Message that repeats, in free text, the
	// AccessKey secret the request was signed with and the security token it carried, as a careless or
	// hostile server might.
	EchoCredentials
)

// SeenCredential is an AccessKey ID a request was signed with.
type SeenCredential struct {
	// AccessKeyID is the AccessKeyId parameter.
	AccessKeyID string
	// WithToken is true when the request carried a SecurityToken.
	WithToken bool
}

type faultKey struct{ action, userID string }

// Server is a running emulator.
type Server struct {
	srv  *httptest.Server
	opts Options

	users    []User
	byID     map[string]int
	byName   map[string]int
	byPrinc  map[string]int
	inflight atomic.Int64
	maxConc  atomic.Int64

	mu         sync.Mutex
	calls      map[string]int
	total      int
	seen       []SeenCredential
	nonces     map[string]time.Time
	faults     map[faultKey]Fault
	throttleN  int
	failN      int
	failStatus int
	tokens     float64
	lastFill   time.Time
}

// New starts an emulator on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		opts:    opts,
		byID:    map[string]int{},
		byName:  map[string]int{},
		byPrinc: map[string]int{},
		calls:   map[string]int{},
		nonces:  map[string]time.Time{},
		faults:  map[faultKey]Fault{},
		tokens:  float64(opts.RateLimit),
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	for i, u := range opts.Users {
		if u.PrincipalName == "" {
			u.PrincipalName = u.Name + "@" + DefaultDomain
		}
		u.Keys = append([]Key(nil), u.Keys...)
		s.users = append(s.users, u)
		s.byID[u.ID] = i
		s.byName[strings.ToLower(u.Name)] = i
		s.byPrinc[strings.ToLower(u.PrincipalName)] = i
	}
	if opts.TLS {
		s.srv = httptest.NewTLSServer(s)
	} else {
		s.srv = httptest.NewServer(s)
	}
	return s
}

// URL returns the server's base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.srv.URL }

// Host returns the server's host:port.
func (s *Server) Host() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.srv.URL, "http://"), "https://")
}

// Client returns an HTTP client that trusts the server's certificate (for TLS servers).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Certificate returns the certificate of a TLS server, nil otherwise.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// SetFault injects f for action (GetUser, ListUsers, ListAccessKeysInRecycleBin) on the user with the given
// ID; userID "" means calls that name no user (ListUsers). NoFault clears it.
func (s *Server) SetFault(action, userID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == NoFault {
		delete(s.faults, faultKey{action, userID})
		return
	}
	s.faults[faultKey{action, userID}] = f
}

// ThrottleNext answers the next n requests 400 Throttling.User.
func (s *Server) ThrottleNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleN = n
}

// FailNext answers the next n requests with the given 5xx status (500 InternalError, else
// ServiceUnavailable).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus = n, status
}

// Calls returns how many requests named action, in any version, whatever their answer.
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// TotalCalls returns how many requests the server received.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// SeenCredentials returns the distinct AccessKey IDs (and whether a token came with them) that requests
// were signed with, in the order first seen.
func (s *Server) SeenCredentials() []SeenCredential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SeenCredential(nil), s.seen...)
}

// MaxConcurrency returns the largest number of requests the server handled at once.
func (s *Server) MaxConcurrency() int { return int(s.maxConc.Load()) }

// ResetStats zeroes the call counts, the seen credentials and the maximum concurrency.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls, s.total, s.seen = map[string]int{}, 0, nil
	s.maxConc.Store(0)
}

// apiError is an error answer.
type apiError struct {
	status        int
	code, message string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status, code, fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one RPC request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for {
		m := s.maxConc.Load()
		if n <= m || s.maxConc.CompareAndSwap(m, n) {
			break
		}
	}
	if s.opts.Latency > 0 && sleep.For(r.Context(), s.opts.Latency) != nil {
		return
	}
	host := "ram.aliyuncs.com"
	if err := r.ParseForm(); err != nil {
		s.writeError(w, host, errorf(400, "InvalidParameter", "The request parameters could not be parsed."))
		return
	}
	p := map[string]string{}
	for k, v := range r.Form {
		p[k] = v[0]
	}
	if p["Version"] == IMSVersion {
		host = "ims.aliyuncs.com"
	}
	body, aerr := s.handle(r.Method, r.Form, p)
	if aerr != nil {
		s.writeError(w, host, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) writeError(w http.ResponseWriter, host string, e *apiError) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(e.status)
	if e.code == numericCode {
		fmt.Fprintf(w, `{"RequestId":%q,"HostId":%q,"Code":400,"Message":"malformed"}`, requestID(), host)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{
		"RequestId": requestID(),
		"HostId":    host,
		"Code":      e.code,
		"Message":   e.message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code) + "&product=Ram",
	})
}

// numericCode marks an injected error body whose Code is a number.
const numericCode = "\x00numeric"

// nonJSONBody is the injected 200 answer that is not JSON.
var nonJSONBody = []byte("<html><body>upstream gateway says hello</body></html>")

// handle checks the request and answers it: the body of a 200, or an error.
func (s *Server) handle(method string, form url.Values, p map[string]string) ([]byte, *apiError) {
	action, version := p["Action"], p["Version"]
	now := s.opts.Now()

	s.mu.Lock()
	s.calls[action]++
	s.total++
	if ak := p["AccessKeyId"]; ak != "" {
		sc := SeenCredential{AccessKeyID: ak, WithToken: p["SecurityToken"] != ""}
		found := false
		for _, x := range s.seen {
			if x == sc {
				found = true
				break
			}
		}
		if !found {
			s.seen = append(s.seen, sc)
		}
	}
	if s.throttleN > 0 {
		s.throttleN--
		s.mu.Unlock()
		return nil, errorf(400, "Throttling.User", "Request was denied due to user flow control.")
	}
	if s.failN > 0 {
		s.failN--
		st := s.failStatus
		s.mu.Unlock()
		if st == http.StatusInternalServerError {
			return nil, errorf(st, "InternalError", "The request processing has failed due to some unknown error, exception or failure.")
		}
		return nil, errorf(st, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	}
	if lim := s.opts.RateLimit; lim > 0 {
		t := time.Now()
		if !s.lastFill.IsZero() {
			s.tokens += t.Sub(s.lastFill).Seconds() * float64(lim)
		}
		s.tokens = min(s.tokens, float64(lim))
		s.lastFill = t
		if s.tokens < 1 {
			s.mu.Unlock()
			return nil, errorf(400, "Throttling.User", "Request was denied due to user flow control.")
		}
		s.tokens--
	}
	s.mu.Unlock()

	for _, name := range []string{"Action", "Version", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Format"} {
		if p[name] == "" {
			return nil, errorf(400, "MissingParameter."+name, "The input parameter %q that is mandatory for processing this request is not supplied.", name)
		}
	}
	if !strings.EqualFold(p["Format"], "JSON") {
		return nil, errorf(400, "InvalidParameter.Format", "The specified parameter Format is not valid: this emulator speaks JSON only.")
	}
	if p["SignatureMethod"] != "HMAC-SHA1" {
		return nil, errorf(400, "InvalidSignatureMethod", "Specified signature method is not supported.")
	}
	if p["SignatureVersion"] != "1.0" {
		return nil, errorf(400, "InvalidSignatureVersion", "Specified signature version is not supported.")
	}
	if version != RAMVersion && version != IMSVersion {
		return nil, errorf(400, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	route := action + "@" + version
	switch route {
	case "GetUser@" + RAMVersion, "ListUsers@" + RAMVersion,
		"GetUser@" + IMSVersion, "ListUsers@" + IMSVersion, "ListAccessKeysInRecycleBin@" + IMSVersion:
	default:
		return nil, errorf(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p["Timestamp"])
	if err != nil {
		return nil, errorf(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := ts.Sub(now); d > TimestampSkew || d < -TimestampSkew {
		return nil, errorf(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	cred, ok := s.opts.Credentials[p["AccessKeyId"]]
	if !ok {
		return nil, errorf(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	if strings.HasPrefix(p["AccessKeyId"], "STS.") {
		if p["SecurityToken"] == "" {
			return nil, errorf(400, "InvalidSecurityToken.MismatchWithAccessKey", "The security token you provided is missing; an STS AccessKey requires one.")
		}
		if !hmac.Equal([]byte(p["SecurityToken"]), []byte(cred.Token)) {
			return nil, errorf(400, "InvalidSecurityToken.MismatchWithAccessKey", "The security token you provided does not match the AccessKey.")
		}
	}
	sts := StringToSign(method, form)
	if !hmac.Equal([]byte(Sign(method, form, cred.Secret)), []byte(p["Signature"])) {
		return nil, errorf(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", sts)
	}
	s.mu.Lock()
	if _, used := s.nonces[p["SignatureNonce"]]; used {
		s.mu.Unlock()
		return nil, errorf(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	s.nonces[p["SignatureNonce"]] = now
	if len(s.nonces) > 100000 {
		for k, t := range s.nonces {
			if now.Sub(t) > 2*TimestampSkew {
				delete(s.nonces, k)
			}
		}
	}
	s.mu.Unlock()

	c := signedCall{p: p, secret: cred.Secret}
	switch route {
	case "GetUser@" + RAMVersion:
		return s.ramGetUser(c)
	case "ListUsers@" + RAMVersion:
		return s.listUsers(c, 100, false)
	case "GetUser@" + IMSVersion:
		return s.imsGetUser(c)
	case "ListUsers@" + IMSVersion:
		return s.listUsers(c, 1000, true)
	default:
		return s.listRecycleBin(c)
	}
}

// signedCall is an authenticated request: its parameters and the secret of the AccessKey that signed it.
type signedCall struct {
	p      map[string]string
	secret string
}

func (s *Server) fault(action, userID string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults[faultKey{action, userID}]
}

// injected turns a Deny, NonJSON, NumericCode or EchoCredentials fault into its answer; ok is false for no
// such fault.
func (s *Server) injected(c signedCall, action string, u *User, f Fault) ([]byte, *apiError, bool) {
	switch f {
	case EchoCredentials:
		return nil, errorf(400, "InvalidParameter", "The request of %s was signed with %s and carried %s, which this server repeats.",
			c.p["AccessKeyId"], c.secret, c.p["SecurityToken"]), true
	case Deny:
		res := "acs:ram:*:1234567890123456:user/*"
		if u != nil {
			res = "acs:ram:*:1234567890123456:user/" + u.Name
		}
		return nil, errorf(403, "NoPermission", "You are not authorized to do this action. Resource: %s Action: ram:%s", res, action), true
	case NonJSON:
		return nonJSONBody, nil, true
	case NumericCode:
		return nil, &apiError{400, numericCode, ""}, true
	}
	return nil, nil, false
}

func (s *Server) ramGetUser(c signedCall) ([]byte, *apiError) {
	p := c.p
	name := p["UserName"]
	if name == "" {
		return nil, errorf(400, "MissingParameter.UserName", "The input parameter \"UserName\" that is mandatory for processing this request is not supplied.")
	}
	i, ok := s.byName[strings.ToLower(name)]
	if !ok {
		return nil, errorf(404, "EntityNotExist.User", "The user does not exist.")
	}
	u := &s.users[i]
	if body, aerr, ok := s.injected(c, "GetUser", u, s.fault("GetUser", u.ID)); ok {
		return body, aerr
	}
	return reply(map[string]any{"RequestId": requestID(), "User": ramUser(u)})
}

func (s *Server) imsGetUser(c signedCall) ([]byte, *apiError) {
	p := c.p
	given := 0
	for _, k := range []string{"UserPrincipalName", "UserId", "UserAccessKeyId"} {
		if p[k] != "" {
			given++
		}
	}
	if given == 0 {
		return nil, errorf(400, "MissingParameter.UserPrincipalName", "One of UserPrincipalName, UserId or UserAccessKeyId is required.")
	}
	if given > 1 {
		return nil, errorf(400, "InvalidParameter.UserPrincipalName", "Give exactly one of UserPrincipalName, UserId or UserAccessKeyId.")
	}
	i, ok := -1, false
	switch {
	case p["UserPrincipalName"] != "":
		i, ok = s.byPrinc[strings.ToLower(p["UserPrincipalName"])]
	case p["UserId"] != "":
		i, ok = s.byID[p["UserId"]]
	default:
		return nil, errorf(404, "EntityNotExist.User.AccessKey", "The AccessKey does not exist.")
	}
	if !ok {
		return nil, errorf(404, "EntityNotExist.User", "The user does not exist.")
	}
	u := &s.users[i]
	if body, aerr, ok := s.injected(c, "GetUser", u, s.fault("GetUser", u.ID)); ok {
		return body, aerr
	}
	return reply(map[string]any{"RequestId": requestID(), "User": imsUser(u)})
}

func (s *Server) listUsers(c signedCall, defMax int, ims bool) ([]byte, *apiError) {
	p := c.p
	max := defMax
	if v := p["MaxItems"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, errorf(400, "InvalidParameter.MaxItems", "The parameter MaxItems must be between 1 and 1000.")
		}
		max = n
	}
	start := 0
	if m := p["Marker"]; m != "" {
		raw, err := base64.RawURLEncoding.DecodeString(m)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "next:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(raw), "next:") || n < 0 || n > len(s.users) {
			return nil, errorf(400, "InvalidParameter.Marker", "The parameter Marker is not valid.")
		}
		start = n
	}
	if body, aerr, ok := s.injected(c, "ListUsers", nil, s.fault("ListUsers", "")); ok {
		return body, aerr
	}
	end := min(start+max, len(s.users))
	list := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		if ims {
			list = append(list, imsUser(&s.users[i]))
		} else {
			list = append(list, ramUser(&s.users[i]))
		}
	}
	out := map[string]any{"RequestId": requestID(), "IsTruncated": end < len(s.users), "Users": map[string]any{"User": list}}
	if end < len(s.users) {
		out["Marker"] = base64.RawURLEncoding.EncodeToString([]byte("next:" + strconv.Itoa(end)))
	}
	return reply(out)
}

func (s *Server) listRecycleBin(c signedCall) ([]byte, *apiError) {
	p := c.p
	id := p["UserId"]
	if id == "" {
		return nil, errorf(400, "MissingParameter.UserId", "The input parameter \"UserId\" that is mandatory for processing this request is not supplied.")
	}
	i, ok := s.byID[id]
	if !ok {
		return nil, errorf(404, "EntityNotExist.User", "The user does not exist.")
	}
	u := &s.users[i]
	f := s.fault("ListAccessKeysInRecycleBin", id)
	if body, aerr, ok := s.injected(c, "ListAccessKeysInRecycleBin", u, f); ok {
		return body, aerr
	}
	keys := make([]map[string]any, 0, len(u.Keys))
	for _, k := range u.Keys {
		keys = append(keys, withRaw(map[string]any{
			"AccessKeyId": k.AccessKeyID,
			"CreateDate":  apiTime(k.CreateDate),
			"RecycleDate": apiTime(k.RecycleDate),
			"DeleteDate":  apiTime(k.DeleteDate),
		}, k.Raw))
	}
	if len(keys) == 0 && (f == MissingAccessKeyID || f == BadDate) {
		keys = append(keys, map[string]any{"AccessKeyId": "LTAI5tInjectedFault00000", "CreateDate": apiTime(s.opts.Now()),
			"RecycleDate": apiTime(s.opts.Now()), "DeleteDate": apiTime(s.opts.Now())})
	}
	switch f {
	case MissingAccessKeyID:
		delete(keys[0], "AccessKeyId")
	case BadDate:
		keys[0]["DeleteDate"] = "next Tuesday"
	}
	return reply(map[string]any{"RequestId": requestID(), "AccessKeys": map[string]any{"AccessKey": keys}})
}

func ramUser(u *User) map[string]any {
	return withRaw(map[string]any{
		"UserId": u.ID, "UserName": u.Name, "DisplayName": u.Name, "Comments": "",
		"CreateDate": "2024-01-02T03:04:05Z", "UpdateDate": "2024-01-02T03:04:05Z",
	}, u.Raw)
}

func imsUser(u *User) map[string]any {
	return withRaw(map[string]any{
		"UserId": u.ID, "UserPrincipalName": u.PrincipalName, "DisplayName": u.Name, "Status": "active",
		"ProvisionType": "Manual", "CreateDate": "2024-01-02T03:04:05Z", "UpdateDate": "2024-01-02T03:04:05Z",
	}, u.Raw)
}

// withRaw replaces fields of an answer's object by the values of raw, verbatim.
func withRaw(m map[string]any, raw map[string]any) map[string]any {
	for k, v := range raw {
		m[k] = v
	}
	return m
}

func apiTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func reply(v any) ([]byte, *apiError) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errorf(500, "InternalError", "The emulator could not encode its answer.")
	}
	return b, nil
}

// requestID returns a RequestId shaped like the real ones (8-4-4-4-12 upper-case hex).
func requestID() string {
	a, b := rand.Uint64(), rand.Uint64()
	return strings.ToUpper(fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff))
}

package ramfake

import (
	"crypto/hmac"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
)

// The API versions the emulator serves.
const (
	// RAMVersion is the RAM API version (GetUser, ListUsers, ListAccessKeys).
	RAMVersion = "2015-05-01"
	// IMSVersion is the IMS API version (GetUser, ListUsers, ListAccessKeys and the recycle-bin actions).
	IMSVersion = "2019-08-15"
	// STSVersion is the STS API version (AssumeRole).
	STSVersion = "2015-04-01"
	// ResourceManagerVersion is the Resource Manager API version (ListAccounts).
	ResourceManagerVersion = "2020-03-31"
	// ActionTrailVersion is the ActionTrail API version (LookupEvents).
	ActionTrailVersion = "2020-07-06"
)

// DefaultDomain is the principal-name domain of the home account's users whose PrincipalName is empty.
// A member account's default is <AccountID>.onaliyun.com.
const DefaultDomain = "corp.onaliyun.com"

// DefaultAccountID is the home account's ID when Options.AccountID is empty.
const DefaultAccountID = "1234567890123456"

// TimestampSkew is how far a request's Timestamp may be from the server's clock: the gateway answers
// InvalidTimeStamp.Expired beyond 15 minutes.
const TimestampSkew = 15 * time.Minute

// Credential is an AccessKey the emulator accepts.
type Credential struct {
	// Secret is the AccessKey secret.
	Secret string
	// Token is the security token an STS AccessKey (ID starting with "STS.") must send.
	Token string
	// User is the name of the RAM user the key belongs to, as a role's trust policy names it
	// (acs:ram::<account>:user/<User>); empty for a key of no named user.
	User string
	// Role is the name of the RAM role an STS key is a session of (acs:ram::<account>:role/<Role>);
	// the function's own role, for instance.
	Role string
	// Root marks a key of the Alibaba Cloud account itself, which may not assume roles.
	Root bool
}

// Options configure a Server. The fields that name no account describe the home account: the one the
// function runs in, the management account of the Resource Directory when there is one.
type Options struct {
	// AccountID is the home account's ID (digits); empty means DefaultAccountID.
	AccountID string
	// AccountName is the home account's display name in ListAccounts; empty means "management".
	AccountName string
	// Users are the home account's RAM users, in ListUsers order.
	Users []User
	// RecycledUsers are the home account's users in the user recycle bin, in ListUsersInRecycleBin order.
	RecycledUsers []RecycledUser
	// Events are the home account's ActionTrail events, in any order.
	Events []Event
	// Roles are the home account's RAM roles that AssumeRole may assume.
	Roles []Role
	// Credentials maps AccessKey IDs to the credentials the emulator accepts in the home account. A
	// request is served in the account its AccessKey belongs to: these, an Account's Credentials, or
	// STS credentials minted by AssumeRole (which belong to the role's account).
	Credentials map[string]Credential
	// Accounts are the member accounts of the Resource Directory. With none and no
	// ResourceDirectoryID, the home account has no Resource Directory.
	Accounts []Account
	// ResourceDirectoryID is the directory's ID (rd-…); empty means a fixed one when Accounts is not
	// empty.
	ResourceDirectoryID string
	// Latency delays every answer.
	Latency time.Duration
	// RateLimit caps the home account's requests per second (a token bucket holding one second's worth,
	// refilled on the server clock Now); beyond it requests are answered 400 Throttling.User. Zero means
	// no limit. Requests signed with an unknown AccessKey count against the home account.
	RateLimit int
	// LookupEventsRate caps LookupEvents calls per second in each account (a token bucket holding one
	// second's worth, refilled on the server clock Now); zero means DefaultLookupEventsRate, a negative
	// value no cap.
	LookupEventsRate int
	// EventDelay is how long after its eventTime an event becomes visible to LookupEvents; zero means
	// DefaultEventDelay, a negative value at once.
	EventDelay time.Duration
	// Now is the server's clock for Timestamp checks, STS expiry, ActionTrail visibility and the rate
	// caps; nil means time.Now. A clock that stands still refills no tokens.
	Now func() time.Time
	// TLS serves HTTPS with httptest's self-signed certificate (see Server.Certificate).
	TLS bool
}

// Fault is a misbehaviour injected for one action (see SetFault and SetAccountFault).
type Fault int

// The injectable faults.
const (
	// NoFault clears a fault.
	NoFault Fault = iota
	// Deny answers 403 NoPermission naming the action (ram:ListUsersInRecycleBin, sts:AssumeRole,
	// actiontrail:LookupEvents, resourcemanager:ListAccounts, …), as a RAM policy that lacks it does.
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
	// NotFound answers the action's not-found error as if its subject did not exist: EntityNotExist.User
	// for user actions (ListAccessKeysInRecycleBin of a recycled user, for one), EntityNotExist.Role for
	// AssumeRole, NotExists.ResourceDirectory for ListAccounts.
	NotFound
	// Throttle answers 400 Throttling.User.
	Throttle
)

// SeenCredential is an AccessKey ID a request was signed with.
type SeenCredential struct {
	// AccessKeyID is the AccessKeyId parameter.
	AccessKeyID string
	// WithToken is true when the request carried a SecurityToken.
	WithToken bool
}

// Stats are the requests one account served (see Server.Stats).
type Stats struct {
	// Calls counts requests by action, whatever their answer.
	Calls map[string]int
	// Total counts every request.
	Total int
	// Throttled counts requests answered Throttling.User: by ThrottleNext, a Throttle fault, the
	// account's RateLimit or the LookupEvents cap.
	Throttled int
	// SeenCredentials are the distinct AccessKey IDs the requests were signed with, in the order first
	// seen.
	SeenCredentials []SeenCredential
}

type faultKey struct{ action, subject string }

// key is an AccessKey the emulator accepts: its account, and when it expires (minted STS keys).
type key struct {
	Credential
	acct    *account
	expires time.Time
}

// Server is a running emulator.
type Server struct {
	srv  *httptest.Server
	opts Options

	home     *account
	accounts []*account // the home account first, then the members in Options order
	byAcct   map[string]*account
	rdID     string

	inflight atomic.Int64
	maxConc  atomic.Int64

	mu         sync.Mutex
	keys       map[string]*key
	calls      map[string]int
	total      int
	seen       []SeenCredential
	nonces     map[string]time.Time
	faults     map[faultKey]Fault
	acctFaults map[faultKey]Fault
	answers    []apiError // the errors of SetErrorAnswer, indexed by Fault - errorAnswer
	issued     []IssuedCredential
	throttleN  int
	failN      int
	failStatus int
}

// New starts an emulator on 127.0.0.1. Close it when done. New panics on an invalid configuration
// (an account ID that is not digits or is used twice, an unknown Resource Directory status, a
// credential claimed by two accounts): that is a mistake in the test, not a condition to handle.
func New(opts Options) *Server {
	s := &Server{
		opts:       opts,
		byAcct:     map[string]*account{},
		keys:       map[string]*key{},
		calls:      map[string]int{},
		nonces:     map[string]time.Time{},
		faults:     map[faultKey]Fault{},
		acctFaults: map[faultKey]Fault{},
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.LookupEventsRate == 0 {
		s.opts.LookupEventsRate = DefaultLookupEventsRate
	}
	if s.opts.EventDelay == 0 {
		s.opts.EventDelay = DefaultEventDelay
	}
	home := Account{
		ID: cmpOr(opts.AccountID, DefaultAccountID), DisplayName: cmpOr(opts.AccountName, "management"),
		Status: "CreateSuccess", Type: "CloudAccount", JoinMethod: "created", Domain: DefaultDomain,
		Users: opts.Users, RecycledUsers: opts.RecycledUsers, Events: opts.Events, Roles: opts.Roles,
		Credentials: opts.Credentials, RateLimit: opts.RateLimit,
	}
	s.home = s.addAccount(home, true)
	for _, a := range opts.Accounts {
		s.addAccount(a, false)
	}
	s.rdID = opts.ResourceDirectoryID
	if s.rdID == "" && len(opts.Accounts) > 0 {
		s.rdID = "rd-3GkZ7x"
	}
	if opts.TLS {
		s.srv = httptest.NewTLSServer(s)
	} else {
		s.srv = httptest.NewServer(s)
	}
	return s
}

func (s *Server) addAccount(a Account, home bool) *account {
	if a.ID == "" || strings.Trim(a.ID, "0123456789") != "" {
		panic(fmt.Sprintf("ramfake: account ID %q is not digits", a.ID))
	}
	if s.byAcct[a.ID] != nil {
		panic(fmt.Sprintf("ramfake: account %s given twice", a.ID))
	}
	a.Status = cmpOr(a.Status, "CreateSuccess")
	if !rdStatuses[a.Status] {
		panic(fmt.Sprintf("ramfake: account %s: unknown Resource Directory status %q", a.ID, a.Status))
	}
	ac := newAccount(a, home)
	s.accounts = append(s.accounts, ac)
	s.byAcct[a.ID] = ac
	for id, c := range a.Credentials {
		if s.keys[id] != nil {
			panic(fmt.Sprintf("ramfake: AccessKey %s belongs to two accounts", id))
		}
		s.keys[id] = &key{Credential: c, acct: ac}
	}
	return ac
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// URL returns the server's base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.srv.URL }

// EndpointEnv returns every endpoint variable of the function's configuration (RAM_ENDPOINT,
// IMS_ENDPOINT, STS_ENDPOINT, RESOURCEMANAGER_ENDPOINT, ACTIONTRAIL_ENDPOINT) set to the server's URL,
// the server answering every API the function calls. A test, a benchmark or the demo builds its
// environment from it, so that no API the function calls is left at its public default; the root
// package's tests check that it names every *_ENDPOINT variable of the configuration.
func (s *Server) EndpointEnv() map[string]string {
	return map[string]string{
		"RAM_ENDPOINT":             s.URL(),
		"IMS_ENDPOINT":             s.URL(),
		"STS_ENDPOINT":             s.URL(),
		"RESOURCEMANAGER_ENDPOINT": s.URL(),
		"ACTIONTRAIL_ENDPOINT":     s.URL(),
	}
}

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

// AccountID returns the home account's ID.
func (s *Server) AccountID() string { return s.home.id }

// SetFault injects f for action on the user with the given ID, in whichever account it is, live or
// recycled; userID "" means calls of action that name no user (ListUsers, ListUsersInRecycleBin,
// LookupEvents, ListAccounts, AssumeRole), in every account. NoFault clears it.
func (s *Server) SetFault(action, userID string, f Fault) {
	s.setFault(s.faults, faultKey{action, userID}, f)
}

// SetAccountFault injects f for every call of action served in the account with the given ID ("" is the
// home account), checked right after authentication, as a RAM policy is: before any parameter is
// looked at. For AssumeRole the account is the role's, so that assuming a role in one member fails
// (Deny: not trusted, NotFound: no such role, Throttle: throttled). NoFault clears it.
func (s *Server) SetAccountFault(accountID, action string, f Fault) {
	s.setFault(s.acctFaults, faultKey{action, cmpOr(accountID, s.home.id)}, f)
}

// SetErrorAnswer makes calls of action on the user with the given ID (as SetFault) answer an error of
// the given HTTP status, Code and Message, sent verbatim: an API error whose text no real server sends,
// such as markup, mentions or line breaks. SetFault(action, userID, NoFault) clears it.
func (s *Server) SetErrorAnswer(action, userID string, status int, code, message string) {
	s.mu.Lock()
	s.answers = append(s.answers, apiError{status, code, message})
	f := errorAnswer + Fault(len(s.answers)-1)
	s.mu.Unlock()
	s.setFault(s.faults, faultKey{action, userID}, f)
}

// errorAnswer is the first Fault value that stands for an answer of SetErrorAnswer.
const errorAnswer Fault = 1 << 16

func (s *Server) setFault(m map[faultKey]Fault, k faultKey, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == NoFault {
		delete(m, k)
		return
	}
	m[k] = f
}

// ThrottleNext answers the next n requests 400 Throttling.User, whatever their account.
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

// Calls returns how many requests named action, in any version and account, whatever their answer.
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
// were signed with, in the order first seen, in every account.
func (s *Server) SeenCredentials() []SeenCredential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SeenCredential(nil), s.seen...)
}

// Stats returns what the account with the given ID ("" is the home account) served; the zero Stats
// for an unknown account.
func (s *Server) Stats(accountID string) Stats {
	a := s.byAcct[cmpOr(accountID, s.home.id)]
	if a == nil {
		return Stats{Calls: map[string]int{}}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.stats
	st.Calls = make(map[string]int, len(a.stats.Calls))
	for k, v := range a.stats.Calls {
		st.Calls[k] = v
	}
	st.SeenCredentials = append([]SeenCredential(nil), a.stats.SeenCredentials...)
	return st
}

// MaxConcurrency returns the largest number of requests the server handled at once.
func (s *Server) MaxConcurrency() int { return int(s.maxConc.Load()) }

// ResetStats zeroes the call counts, the seen credentials and the maximum concurrency, of the server
// and of every account.
func (s *Server) ResetStats() {
	s.mu.Lock()
	s.calls, s.total, s.seen = map[string]int{}, 0, nil
	s.maxConc.Store(0)
	s.mu.Unlock()
	for _, a := range s.accounts {
		a.mu.Lock()
		a.stats = Stats{Calls: map[string]int{}}
		a.mu.Unlock()
	}
}

// apiError is an error answer.
type apiError struct {
	status        int
	code, message string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status, code, fmt.Sprintf(format, args...)}
}

func missing(name string) *apiError {
	return errorf(400, "MissingParameter."+name, "The input parameter %q that is mandatory for processing this request is not supplied.", name)
}

var errThrottled = &apiError{400, "Throttling.User", "Request was denied due to user flow control."}

// product is an API product: its host (the HostId of its errors), its name in Recommend links and
// its RAM policy prefix.
type product struct{ host, name, policy string }

var (
	prodRAM = product{"ram.aliyuncs.com", "Ram", "ram"}
	prodIMS = product{"ims.aliyuncs.com", "Ims", "ram"}
	prodSTS = product{"sts.aliyuncs.com", "Sts", "sts"}
	prodRM  = product{"resourcemanager.aliyuncs.com", "ResourceManager", "resourcemanager"}
	prodAT  = product{"actiontrail.cn-hangzhou.aliyuncs.com", "Actiontrail", "actiontrail"}
)

var products = map[string]product{
	RAMVersion: prodRAM, IMSVersion: prodIMS, STSVersion: prodSTS, ResourceManagerVersion: prodRM, ActionTrailVersion: prodAT,
}

// handler answers one authenticated call.
type handler func(s *Server, c *rpc) ([]byte, *apiError)

// routes are the actions served, by Action@Version.
var routes = map[string]handler{
	"GetUser@" + RAMVersion:                        (*Server).ramGetUser,
	"ListUsers@" + RAMVersion:                      (*Server).ramListUsers,
	"ListAccessKeys@" + RAMVersion:                 (*Server).ramListAccessKeys,
	"GetUser@" + IMSVersion:                        (*Server).imsGetUser,
	"ListUsers@" + IMSVersion:                      (*Server).imsListUsers,
	"ListAccessKeys@" + IMSVersion:                 (*Server).imsListAccessKeys,
	"ListAccessKeysInRecycleBin@" + IMSVersion:     (*Server).listKeyBin,
	"GetAccessKeyInfoInRecycleBin@" + IMSVersion:   (*Server).getKeyInfoInBin,
	"RestoreAccessKeyFromRecycleBin@" + IMSVersion: (*Server).restoreKey,
	"ListUsersInRecycleBin@" + IMSVersion:          (*Server).listUserBin,
	"GetUserInRecycleBin@" + IMSVersion:            (*Server).getUserInBin,
	"RestoreUserFromRecycleBin@" + IMSVersion:      (*Server).restoreUser,
	"AssumeRole@" + STSVersion:                     (*Server).assumeRole,
	"ListAccounts@" + ResourceManagerVersion:       (*Server).listAccounts,
	"LookupEvents@" + ActionTrailVersion:           (*Server).lookupEvents,
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
	prod := prodRAM
	if err := r.ParseForm(); err != nil {
		s.writeError(w, prod, errorf(400, "InvalidParameter", "The request parameters could not be parsed."))
		return
	}
	p := map[string]string{}
	for k, v := range r.Form {
		p[k] = v[0]
	}
	if pr, ok := products[p["Version"]]; ok {
		prod = pr
	}
	body, aerr := s.handle(r.Method, r.Form, p)
	if aerr != nil {
		s.writeError(w, prod, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) writeError(w http.ResponseWriter, prod product, e *apiError) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(e.status)
	if e.code == numericCode {
		fmt.Fprintf(w, `{"RequestId":%q,"HostId":%q,"Code":400,"Message":"malformed"}`, requestID(), prod.host)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{
		"RequestId": requestID(),
		"HostId":    prod.host,
		"Code":      e.code,
		"Message":   e.message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code) + "&product=" + prod.name,
	})
}

// numericCode marks an injected error body whose Code is a number.
const numericCode = "\x00numeric"

// nonJSONBody is the injected 200 answer that is not JSON.
var nonJSONBody = []byte("<html><body>upstream gateway says hello</body></html>")

// rpc is an authenticated request.
type rpc struct {
	p      map[string]string
	action string
	prod   product
	secret string   // of the AccessKey that signed it
	key    *key     // that AccessKey
	acct   *account // the account it is served in
	now    time.Time
}

// handle checks the request and answers it: the body of a 200, or an error.
func (s *Server) handle(method string, form url.Values, p map[string]string) ([]byte, *apiError) {
	action, version := p["Action"], p["Version"]
	now := s.opts.Now()

	s.mu.Lock()
	k := s.keys[p["AccessKeyId"]]
	acct := s.home
	if k != nil {
		acct = k.acct
	}
	s.calls[action]++
	s.total++
	var sc SeenCredential
	if ak := p["AccessKeyId"]; ak != "" {
		sc = SeenCredential{AccessKeyID: ak, WithToken: p["SecurityToken"] != ""}
		s.seen = addSeen(s.seen, sc)
	}
	var early *apiError
	switch {
	case s.throttleN > 0:
		s.throttleN--
		early = errThrottled
	case s.failN > 0:
		s.failN--
		early = errorf(s.failStatus, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
		if s.failStatus == http.StatusInternalServerError {
			early = errorf(s.failStatus, "InternalError", "The request processing has failed due to some unknown error, exception or failure.")
		}
	}
	s.mu.Unlock()

	acct.count(action, sc)
	if early == nil && !acct.takeToken(now) {
		early = errThrottled
	}
	if early != nil {
		if early == errThrottled {
			acct.throttled()
		}
		return nil, early
	}

	for _, name := range []string{"Action", "Version", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Format"} {
		if p[name] == "" {
			return nil, missing(name)
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
	prod, ok := products[version]
	if !ok {
		return nil, errorf(400, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	serve, ok := routes[action+"@"+version]
	if !ok {
		return nil, errorf(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p["Timestamp"])
	if err != nil {
		return nil, errorf(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := ts.Sub(now); d > TimestampSkew || d < -TimestampSkew {
		return nil, errorf(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	if k == nil {
		return nil, errorf(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	if strings.HasPrefix(p["AccessKeyId"], "STS.") {
		if p["SecurityToken"] == "" {
			return nil, errorf(400, "InvalidSecurityToken.MismatchWithAccessKey", "The security token you provided is missing; an STS AccessKey requires one.")
		}
		if !hmac.Equal([]byte(p["SecurityToken"]), []byte(k.Token)) {
			return nil, errorf(400, "InvalidSecurityToken.MismatchWithAccessKey", "The security token you provided does not match the AccessKey.")
		}
		if !k.expires.IsZero() && !now.Before(k.expires) {
			return nil, errorf(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
		}
	}
	if !hmac.Equal([]byte(Sign(method, form, k.Secret)), []byte(p["Signature"])) {
		return nil, errorf(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", StringToSign(method, form))
	}
	s.mu.Lock()
	if _, used := s.nonces[p["SignatureNonce"]]; used {
		s.mu.Unlock()
		return nil, errorf(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	s.nonces[p["SignatureNonce"]] = now
	if len(s.nonces) > 100000 {
		for n, t := range s.nonces {
			if now.Sub(t) > 2*TimestampSkew {
				delete(s.nonces, n)
			}
		}
	}
	s.mu.Unlock()

	c := &rpc{p: p, action: action, prod: prod, secret: k.Secret, key: k, acct: acct, now: now}
	// An account-wide fault is checked like a RAM policy, before the parameters. AssumeRole's is the
	// role's account's, checked once the ARN is read.
	if action != "AssumeRole" {
		if body, aerr, ok := s.injected(c, nil, s.accountFault(action, acct)); ok {
			return body, aerr
		}
	}
	return serve(s, c)
}

func addSeen(seen []SeenCredential, sc SeenCredential) []SeenCredential {
	for _, x := range seen {
		if x == sc {
			return seen
		}
	}
	return append(seen, sc)
}

// fault returns the fault set with SetFault for action and subject (a user ID, or "").
func (s *Server) fault(action, subject string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults[faultKey{action, subject}]
}

// accountFault returns the fault set with SetAccountFault for action in a.
func (s *Server) accountFault(action string, a *account) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acctFaults[faultKey{action, a.id}]
}

// subject names what a Deny fault's message names as the resource.
type subject struct {
	acct     *account
	resource string // e.g. "user/alice", "role/reader"; "" means the action's default
}

// injected turns a fault other than MissingAccessKeyID and BadDate into its answer; ok is false for no
// such fault. sub is the call's subject (nil: the account the call is served in).
func (s *Server) injected(c *rpc, sub *subject, f Fault) ([]byte, *apiError, bool) {
	if f >= errorAnswer {
		s.mu.Lock()
		e := s.answers[f-errorAnswer]
		s.mu.Unlock()
		return nil, &e, true
	}
	switch f {
	case EchoCredentials:
		return nil, errorf(400, "InvalidParameter", "The request of %s was signed with %s and carried %s, which this server repeats.",
			c.p["AccessKeyId"], c.secret, c.p["SecurityToken"]), true
	case Deny:
		if sub == nil {
			sub = &subject{acct: c.acct}
		}
		return nil, denied(c, sub), true
	case NonJSON:
		return nonJSONBody, nil, true
	case NumericCode:
		return nil, &apiError{400, numericCode, ""}, true
	case NotFound:
		return nil, notFound(c.action, c.p), true
	case Throttle:
		c.acct.throttled()
		return nil, errThrottled, true
	}
	return nil, nil, false
}

// denied is the 403 NoPermission of a RAM policy that lacks the call's action.
func denied(c *rpc, sub *subject) *apiError {
	res := sub.resource
	switch {
	case res == "" && c.prod == prodSTS:
		res = "role/*"
	case res == "" && c.prod == prodRM:
		res = "account/*"
	case res == "" && (c.action == "GetUser" || c.action == "ListUsers"):
		res = "user/*"
	case res == "":
		res = "*"
	}
	return errorf(403, "NoPermission", "You are not authorized to do this action. Resource: acs:%s:*:%s:%s Action: %s:%s",
		c.prod.policy, sub.acct.id, res, c.prod.policy, c.action)
}

// notFound is the action's answer when its subject does not exist.
func notFound(action string, p map[string]string) *apiError {
	switch action {
	case "AssumeRole":
		return errorf(404, "EntityNotExist.Role", "The role not exists: %s.", p["RoleArn"])
	case "ListAccounts":
		return errNoDirectory
	case "GetAccessKeyInfoInRecycleBin", "RestoreAccessKeyFromRecycleBin":
		return errNoKey
	}
	return errNoUser
}

var (
	errNoUser      = &apiError{404, "EntityNotExist.User", "The user does not exist."}
	errNoKey       = &apiError{404, "EntityNotExist.User.AccessKey", "The user access key does not exist."}
	errNoDirectory = &apiError{404, "NotExists.ResourceDirectory", "The resource directory for the account is not enabled."}
)

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

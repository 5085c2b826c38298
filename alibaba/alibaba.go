// Package alibaba reads the AccessKey recycle bin of RAM users through the Alibaba Cloud API
// (alibaba-cloud-sdk-go v1): it resolves the configured users with RAM GetUser/ListUsers and IMS GetUser,
// then calls IMS ListAccessKeysInRecycleBin for each, concurrently, with adaptive concurrency, retries
// with backoff on throttling and server errors, per-call timeouts bounded by the context's deadline, and
// error messages scrubbed of every secret. Every value of an answer is checked before use (IDs and names
// by their character sets, dates within the years 2000-2200): an answer that fails a check makes that
// user's read an InvalidResponse, and the other users are read.
//
// Deleted users are watched too: a run pages IMS ListUsersInRecycleBin once, beside the live users'
// reads (for every user with *, else only when a configured entry is not found), and reads the
// AccessKey bin of each deleted user it watches (userbin.go).
//
// Many accounts (directory.go): ListAccounts lists the members of a Resource Directory (Resource Manager)
// and AssumeRole (STS) gives the credentials that read a member. Each Read is one account's, with its
// own SDK clients and its own adaptive limit (limiter.go: API rate limits are per account); the Reads of
// a Reader share one overall bound on the calls in flight (Config.MaxCalls), whatever their account.
//
// Its Trail looks up who deleted a key or a user in ActionTrail (LookupEvents), with the same retries,
// deadlines and redaction, paced to ActionTrail's rate per account.
package alibaba

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// Defaults of Config.
const (
	// DefaultRegion is the API region when Config.Region is empty (RAM and IMS are global services).
	DefaultRegion = "cn-hangzhou"
	// DefaultRAMEndpoint is the RAM API host.
	DefaultRAMEndpoint = "ram.aliyuncs.com"
	// DefaultIMSEndpoint is the IMS API host; always set explicitly, as the SDK would derive a regional
	// host that does not serve ListAccessKeysInRecycleBin.
	DefaultIMSEndpoint = "ims.aliyuncs.com"
	// DefaultMaxWorkers is the default upper bound of the concurrent API calls of one Read, that is of
	// one account.
	DefaultMaxWorkers = 32
	// DefaultMaxCalls is the default upper bound of the concurrent API calls of all the Reader's Reads
	// and other calls together, whatever their account.
	DefaultMaxCalls = 128
)

// Credentials are an AccessKey pair, with the security token of STS credentials.
type Credentials struct {
	// AccessKeyID is the AccessKey ID (STS.… for STS credentials).
	AccessKeyID string
	// AccessKeySecret is the AccessKey secret.
	AccessKeySecret string
	// SecurityToken is the STS security token; empty for a long-term AccessKey.
	SecurityToken string
}

// Config configures a Reader.
type Config struct {
	// Region is the API region; empty means DefaultRegion.
	Region string
	// RAMEndpoint is the RAM API host or URL (see ParseEndpoint); empty means https://ram.aliyuncs.com.
	RAMEndpoint string
	// IMSEndpoint is the IMS API host or URL (see ParseEndpoint); empty means https://ims.aliyuncs.com.
	IMSEndpoint string
	// STSEndpoint is the STS API host or URL (see ParseEndpoint) that AssumeRole calls; empty means the
	// region's (DefaultSTSEndpoint).
	STSEndpoint string
	// ResourceManagerEndpoint is the Resource Manager API host or URL (see ParseEndpoint) that
	// ListAccounts calls; empty means https://resourcemanager.aliyuncs.com.
	ResourceManagerEndpoint string
	// ActionTrailEndpoint is the ActionTrail API host or URL (see ParseEndpoint) that NewTrail's
	// look-ups call; empty means https://actiontrail.ap-southeast-1.aliyuncs.com
	// (DefaultActionTrailEndpoint).
	ActionTrailEndpoint string
	// MaxWorkers bounds the concurrent API calls of one Read, that is of one account; zero means
	// DefaultMaxWorkers.
	MaxWorkers int
	// MaxCalls bounds the concurrent API calls of every Read and call of the Reader together; zero means
	// DefaultMaxCalls.
	MaxCalls int
	// Logger receives debug lines about retries and a summary of each Read; nil means no logs.
	Logger *slog.Logger
	// RootCAs are the certificate authorities trusted for HTTPS; nil means the system's.
	RootCAs *x509.CertPool
	// Credentials sign the calls of a Read given none (the environment's AccessKey, read by main); nil
	// means the SDK's default credential chain. Their secret and token are redacted from every error,
	// whichever credentials signed the call.
	Credentials *Credentials
}

// Reader reads recycle bins. It is safe for concurrent use; each Read uses its own SDK clients and
// reuses idle connections of earlier Reads.
type Reader struct {
	region       string
	ram, ims     api
	sts, rm      api
	maxWorkers   int
	log          *slog.Logger
	rootCAs      *x509.CertPool
	creds        *Credentials // Config.Credentials
	slots        chan *http.Transport
	retryBase    time.Duration // first retry delay; tests shorten it
	retryCap     time.Duration // longest retry delay
	sessionLimit time.Duration // the longest AssumeRole session asked for
}

// api is one of the two RPC products the reader calls.
type api struct {
	scheme, host     string
	product, version string
}

// Scan is the outcome of a Read.
type Scan struct {
	// Bins holds one recycle bin per distinct user read successfully, in the configured order (the
	// ListUsers order for *, then the deleted users in the user recycle bin's order). The bin of a
	// deleted user has Recycled set.
	Bins []alert.Bin
	// Errors are the entries that could not be read, in the configured order.
	Errors []UserError
	// UserBin is what the pass over the user recycle bin found; nil when the run made none.
	UserBin *UserBin
	// Calls counts the API requests made, retries included.
	Calls int
}

// UserBin is what a run's pass over the user recycle bin (ListUsersInRecycleBin) found.
type UserBin struct {
	// Listed is true when every page was read.
	Listed bool
	// Users counts the users in the bin, when Listed.
	Users int
	// Denied is the error code (NoPermission, Forbidden…) when the role may not list the bin: deleted
	// users are then not watched, which is a warning (see UserBinHint), not an error of the run.
	Denied string
}

// UserError is a configured user whose recycle bin could not be read.
type UserError struct {
	alert.UserError
	// Transient is true for failures that may pass on their own (throttling, 5xx, timeouts, the
	// deadline); false for permanent ones (EntityNotExist.User, NoPermission, other 4xx).
	Transient bool
	// Panicked is true when reading the user panicked (in the SDK or in the reader): the user is reported
	// like the others, and the invocation fails so that the platform's monitoring sees it.
	Panicked bool
}

// The limits of retries and timeouts.
const (
	maxAttempts           = 6
	retryBase             = 100 * time.Millisecond
	retryCap              = 2 * time.Second
	defaultReadTimeout    = 10 * time.Second
	defaultConnectTimeout = 5 * time.Second
	// minCallTime is the least time a call is given; with less left before the deadline, no call starts.
	minCallTime = 150 * time.Millisecond
	// deadlineGuard is kept free between a call's timeout and the deadline.
	deadlineGuard = 50 * time.Millisecond
	// listUsersPageSize is ListUsers' MaxItems, the largest RAM allows
	// (https://help.aliyun.com/document_detail/28684.html).
	listUsersPageSize = 1000
	// maxListUsersPages stops a pager whose server never stops saying IsTruncated.
	maxListUsersPages = 1000
)

// New checks cfg and returns a Reader.
func New(cfg Config) (*Reader, error) {
	r := &Reader{region: cfg.Region, maxWorkers: cfg.MaxWorkers, log: cfg.Logger, rootCAs: cfg.RootCAs,
		creds: cfg.Credentials, retryBase: retryBase, retryCap: retryCap, sessionLimit: maxSession}
	if c := r.creds; c != nil && (c.AccessKeyID == "" || c.AccessKeySecret == "") {
		return nil, errors.New("alibaba: credentials need an AccessKey ID and secret")
	}
	if r.region == "" {
		r.region = DefaultRegion
	}
	if err := CheckRegion(r.region); err != nil {
		return nil, fmt.Errorf("alibaba: %w", err)
	}
	if r.maxWorkers == 0 {
		r.maxWorkers = DefaultMaxWorkers
	}
	if r.maxWorkers < 1 || r.maxWorkers > 1024 {
		return nil, errors.New("alibaba: MaxWorkers must be from 1 to 1024")
	}
	maxCalls := cmp.Or(cfg.MaxCalls, DefaultMaxCalls)
	if maxCalls < 1 || maxCalls > 4096 {
		return nil, errors.New("alibaba: MaxCalls must be from 1 to 4096")
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	r.ram = api{product: "Ram", version: "2015-05-01"}
	if r.ram.scheme, r.ram.host, err = endpointOr(cfg.RAMEndpoint, DefaultRAMEndpoint); err != nil {
		return nil, fmt.Errorf("alibaba: RAM %w", err)
	}
	r.ims = api{product: "Ims", version: "2019-08-15"}
	if r.ims.scheme, r.ims.host, err = endpointOr(cfg.IMSEndpoint, DefaultIMSEndpoint); err != nil {
		return nil, fmt.Errorf("alibaba: IMS %w", err)
	}
	r.sts = api{product: "Sts", version: "2015-04-01"}
	if r.sts.scheme, r.sts.host, err = endpointOr(cfg.STSEndpoint, DefaultSTSEndpoint(r.region)); err != nil {
		return nil, fmt.Errorf("alibaba: STS %w", err)
	}
	r.rm = api{product: "ResourceManager", version: "2020-03-31"}
	if r.rm.scheme, r.rm.host, err = endpointOr(cfg.ResourceManagerEndpoint, DefaultResourceManagerEndpoint); err != nil {
		return nil, fmt.Errorf("alibaba: Resource Manager %w", err)
	}
	r.slots = make(chan *http.Transport, maxCalls)
	for range maxCalls {
		r.slots <- nil
	}
	return r, nil
}

func endpointOr(s, def string) (string, string, error) {
	if s == "" {
		return "https", def, nil
	}
	return ParseEndpoint(s)
}

// takeSlot waits for one of the Reader's MaxCalls call slots, or for ctx to end, and returns the slot's
// transport, made on its first use. A call holds its slot, and so its transport, from its start to its
// answer: the slots are the overall bound on the calls in flight, and the transports (with their idle
// connections) are never more than the slots. A transport serves one call at a time: the SDK writes its
// dialer and TLS settings on every call.
func (r *Reader) takeSlot(ctx context.Context) (*http.Transport, error) {
	var t *http.Transport
	select {
	case t = <-r.slots:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if t == nil {
		t = &http.Transport{
			TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: r.rootCAs},
			TLSHandshakeTimeout: defaultConnectTimeout,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
		}
	}
	return t, nil
}

// putSlot gives a call slot back with its transport.
func (r *Reader) putSlot(t *http.Transport) { r.slots <- t }

// Read reads the recycle bin of every user that entries name: RAM user names (alice), user principal
// names (alice@corp.onaliyun.com), user IDs (digits only), or exactly ["*"] for every user of the account.
// Entries that resolve to the same user are read once, the first entry winning. creds nil means
// Config.Credentials, else the SDK's default credential chain; creds win over both. Users that cannot be
// read are reported in Scan.Errors; Read fails only for invalid entries or credentials. Read stops
// starting calls shortly before ctx's deadline and reports the users it did not reach as transient
// DeadlineExceeded errors.
func (r *Reader) Read(ctx context.Context, creds *Credentials, entries []string) (*Scan, error) {
	all, err := checkUsers(entries)
	if err != nil {
		return nil, fmt.Errorf("alibaba: %w", err)
	}
	cred, sc, err := r.credential(creds)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	ru := newRun(ctx, r, cred, sc)
	defer ru.cancel()
	if all {
		ru.readAll()
	} else {
		ru.readEntries(entries)
	}
	scan := ru.result()
	st := ru.lim.stats()
	r.log.DebugContext(ctx, "recycle bins read", "users", len(scan.Bins), "errors", len(scan.Errors),
		"calls", scan.Calls, "throttled", st.throttled, "peakConcurrency", st.peak, "finalLimit", st.limit,
		"throttleDecreases", st.decreases, "pacedRate", int(st.rate), "duration", time.Since(start).Round(time.Millisecond).String())
	return scan, nil
}

// credential returns what signs a call made with creds (nil: Config.Credentials, else the SDK's default
// credential chain, which a nil auth.Credential stands for), and the scrubber of every secret the calls
// could carry: those of creds and of Config.Credentials.
func (r *Reader) credential(creds *Credentials) (auth.Credential, *scrubber, error) {
	var secrets []string
	for _, c := range []*Credentials{creds, r.creds} {
		if c != nil {
			secrets = append(secrets, c.AccessKeySecret, c.SecurityToken)
		}
	}
	sc := newScrubber(secrets...)
	if creds == nil {
		creds = r.creds
	}
	if creds == nil {
		return nil, sc, nil
	}
	if creds.AccessKeyID == "" || creds.AccessKeySecret == "" {
		return nil, nil, errors.New("alibaba: credentials need an AccessKey ID and secret")
	}
	if creds.SecurityToken != "" {
		return credentials.NewStsTokenCredential(creds.AccessKeyID, creds.AccessKeySecret, creds.SecurityToken), sc, nil
	}
	return credentials.NewAccessKeyCredential(creds.AccessKeyID, creds.AccessKeySecret), sc, nil
}

// run is the state of one Read.
type run struct {
	r        *Reader
	ctx      context.Context
	stop     context.Context // ends when no call may start any more
	cancel   context.CancelFunc
	deadline time.Time // zero when ctx has none
	cred     auth.Credential
	sc       *scrubber
	lim      *limiter
	calls    atomic.Int64
	fatal    atomic.Pointer[callError] // an answer that every later call would get as well
	pace     *pacer                    // spaces the attempts of calls whose API caps their rate; nil: none

	bin     binPass // the pass over the user recycle bin
	entries sync.WaitGroup
	mu      sync.Mutex
	claims  map[string]*claim // by user ID
	errs    []posError
	missing []missingEntry // configured entries GetUser did not find
}

// at is where a result goes in the scan: the position of its entry (of its user in the listing), and
// among the deleted users one entry matched, the user's place in the user bin.
type at struct{ pos, sub int }

func (a at) before(b at) bool { return a.pos < b.pos || a.pos == b.pos && a.sub < b.sub }

// claim is a user being read, held by the first position that resolved to it.
type claim struct {
	at
	label string // the entry as configured at pos
	bin   *alert.Bin
	err   *callError
}

type posError struct {
	at
	label string
	err   *callError
}

func newRun(ctx context.Context, r *Reader, cred auth.Credential, sc *scrubber) *run {
	ru := &run{r: r, ctx: ctx, cred: cred, sc: sc, lim: newLimiter(startingLimit, r.maxWorkers), claims: map[string]*claim{}}
	if d, ok := ctx.Deadline(); ok {
		ru.deadline = d
		ru.stop, ru.cancel = context.WithDeadline(ctx, d.Add(-minCallTime-deadlineGuard))
	} else {
		ru.stop, ru.cancel = context.WithCancel(ctx)
	}
	return ru
}

// task is one user to read: an entry to resolve, or a user ListUsers already resolved, or a deleted
// user of the user recycle bin (recycled set).
type task struct {
	at
	label    string
	resolved bool
	userID   string
	userName string
	recycled *alert.RecycledUser
}

// work runs up to n workers, each with its own SDK client, over the tasks that produce sends.
func (ru *run) work(n int, produce func(tasks chan<- task)) {
	tasks := make(chan task)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{run: ru}
			for t := range tasks {
				w.handle(t)
			}
		}()
	}
	produce(tasks)
	close(tasks)
	wg.Wait()
}

// readEntries reads the users entries name. An entry GetUser does not find starts the pass over the
// user recycle bin, beside the other entries' reads; once every entry was tried, the entries not found
// are looked for in it, and the deleted users they name are read.
func (ru *run) readEntries(entries []string) {
	seen := map[string]bool{}
	var todo []task
	for i, e := range entries {
		if !seen[e] {
			seen[e] = true
			todo = append(todo, task{at: at{pos: i}, label: e})
		}
	}
	ru.entries.Add(len(todo))
	ru.work(min(ru.r.maxWorkers, len(todo)), func(tasks chan<- task) {
		for _, t := range todo {
			tasks <- t
		}
		ru.entries.Wait()
		ru.readMissing(tasks)
	})
}

// readAll reads every user: the pages of ListUsers and, beside them, the pass over the user recycle
// bin, each feeding the workers as its pages come.
func (ru *run) readAll() {
	ru.work(ru.r.maxWorkers, func(tasks chan<- task) {
		ru.bin.start(ru, func(users []binUser, first int) {
			for i, u := range users {
				a := at{pos: recycledPos, sub: first + i}
				if u.err != nil {
					ru.addError(a, u.label, u.invalid(ru.sc))
					continue
				}
				tasks <- u.task(a, u.name)
			}
		})
		defer ru.bin.wait()
		w := &worker{run: ru}
		pos := 0
		marker := ""
		for page := 1; ; page++ {
			users, next, err := w.listUsers(marker, pos)
			if err == nil && next != "" && page == maxListUsersPages {
				err = &callError{code: codeInvalidResponse, msg: fmt.Sprintf("ListUsers: still truncated after %d pages", page)}
			}
			if err != nil {
				ru.addError(at{pos: -1}, "*", err)
				return
			}
			for _, u := range users {
				if u.err != nil {
					ru.addError(at{pos: pos}, u.label, &callError{code: codeInvalidResponse, msg: "ListUsers: " + ru.sc.scrub(u.err.Error())})
				} else {
					tasks <- task{at: at{pos: pos}, label: u.name, resolved: true, userID: u.id, userName: u.name}
				}
				pos++
			}
			if next == "" {
				return
			}
			marker = next
		}
	})
}

func (ru *run) addError(a at, label string, err *callError) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	ru.errs = append(ru.errs, posError{a, label, err})
}

// claimUser reports whether the task at a is the first to read userID; a later duplicate only moves the
// claim to the earlier position.
func (ru *run) claimUser(userID string, a at, label string) (*claim, bool) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	if c, ok := ru.claims[userID]; ok {
		if a.before(c.at) {
			c.at, c.label = a, label
		}
		return nil, false
	}
	c := &claim{at: a, label: label}
	ru.claims[userID] = c
	return c, true
}

func (ru *run) settle(c *claim, bin *alert.Bin, err *callError) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	c.bin, c.err = bin, err
}

func (ru *run) result() *Scan {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	type item struct {
		at
		bin *alert.Bin
		err *UserError
	}
	var items []item
	toUser := func(label string, e *callError) *UserError {
		return &UserError{UserError: alert.UserError{User: label, Code: e.code, Message: e.msg}, Transient: e.transient, Panicked: e.panicked}
	}
	for _, c := range ru.claims {
		switch {
		case c.bin != nil:
			items = append(items, item{at: c.at, bin: c.bin})
		case c.err != nil:
			items = append(items, item{at: c.at, err: toUser(c.label, c.err)})
		default:
			items = append(items, item{at: c.at, err: toUser(c.label, &callError{code: "InternalError", msg: "the user was never read"})})
		}
	}
	for _, e := range ru.errs {
		items = append(items, item{at: e.at, err: toUser(e.label, e.err)})
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Or(cmp.Compare(a.pos, b.pos), cmp.Compare(a.sub, b.sub)) })
	scan := &Scan{Calls: int(ru.calls.Load()), Bins: []alert.Bin{}, Errors: []UserError{}, UserBin: ru.bin.result()}
	for _, it := range items {
		if it.bin != nil {
			scan.Bins = append(scan.Bins, *it.bin)
		} else {
			scan.Errors = append(scan.Errors, *it.err)
		}
	}
	return scan
}

// worker makes API calls one at a time with its own SDK client: an sdk.Client is not safe for
// concurrent calls: each call writes the shared client's timeout and transport settings. Each call
// takes the transport of its call slot (Reader.takeSlot).
type worker struct {
	run    *run
	client *sdk.Client
}

// handle reads one task's user; a panic becomes that user's error. An entry GetUser does not find is
// left to the user recycle bin (readMissing).
func (w *worker) handle(t task) {
	var c *claim
	if !t.resolved && t.recycled == nil {
		defer w.run.entries.Done()
	}
	defer func() {
		if p := recover(); p != nil {
			err := &callError{code: "InternalError", msg: w.run.sc.scrub(fmt.Sprintf("reading the user failed: %v", p)), panicked: true}
			if c != nil {
				w.run.settle(c, nil, err)
			} else {
				w.run.addError(t.at, t.label, err)
			}
		}
	}()
	id, name := t.userID, t.userName
	if !t.resolved {
		var err *callError
		if id, name, err = w.resolve(t.label); err != nil {
			if err.code == codeNoUser {
				w.run.notFound(t, err)
				return
			}
			w.run.addError(t.at, t.label, err)
			return
		}
	}
	c, first := w.run.claimUser(id, t.at, t.label)
	if !first {
		return
	}
	keys, err := w.recycleBin(id)
	if t.recycled != nil && err != nil && err.code == codeNoUser {
		// The key bin of a deleted user may answer that it has no such user: no key is listed.
		keys, err = []alert.Key{}, nil
	}
	if err != nil {
		w.run.settle(c, nil, err)
		return
	}
	w.run.settle(c, &alert.Bin{UserName: name, UserID: id, Keys: keys, Recycled: t.recycled}, nil)
}

// resolve turns an entry into a user ID and RAM user name.
func (w *worker) resolve(entry string) (id, name string, err *callError) {
	switch {
	case strings.Trim(entry, "0123456789") == "":
		return w.imsGetUser("UserId", entry)
	case strings.Contains(entry, "@"):
		return w.imsGetUser("UserPrincipalName", entry)
	default:
		return w.ramGetUser(entry)
	}
}

package restore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// ActionsPath is the path of Slack's interactivity requests: the Slack app's Request URL is the
// function's HTTP trigger URL followed by it.
const ActionsPath = "/slack/actions"

// MaxBodyBytes is the largest request body read: a block_actions payload carries the whole message
// (at most 50 blocks), far less than this.
const MaxBodyBytes = 1 << 20

// DefaultBudget is Options.Budget when zero: Slack shows the person an error when its request is not
// answered within 3 seconds (https://docs.slack.dev/tools/bolt-python/concepts/acknowledge); the
// function aims at 2.5 so as to leave room for the network.
const DefaultBudget = 2500 * time.Millisecond

// DefaultRestoreTimeout is Options.RestoreTimeout when zero.
const DefaultRestoreTimeout = 10 * time.Second

// auditGrace is how long the audit of a click may still take when the click's budget is spent: Slack
// waits 3 s for the answer, 0.5 s more than the budget, and the audit is posted before the answer.
const auditGrace = 250 * time.Millisecond

// Options configure a Handler.
type Options struct {
	// Config is the restore configuration; it must be Enabled.
	Config *Config
	// Accounts resolves a button's account.
	Accounts Accounts
	// Auditor posts the audit events.
	Auditor Auditor
	// Logger receives the log lines; each carries the request ID.
	Logger *slog.Logger
	// HTTPClient posts to response_urls; nil means a client with a 3 s timeout. Redirects are never
	// followed.
	HTTPClient *http.Client
	// Now is the clock of the signature check and of the times shown; nil means time.Now.
	Now func() time.Time
	// Budget is the time from a request's arrival within which the checks before a restore must be done
	// (DefaultBudget when zero).
	Budget time.Duration
	// RestoreTimeout bounds a restore call and what follows it (DefaultRestoreTimeout when zero).
	RestoreTimeout time.Duration
}

// Handler answers Slack's clicks on Restore buttons. A nil *Handler is restore switched off: it answers
// every request 404 and does nothing.
type Handler struct {
	cfg            *Config
	signer         *Signer
	allowed        map[string]bool
	accounts       Accounts
	auditor        Auditor
	log            *slog.Logger
	responder      *responder
	now            func() time.Time
	budget         time.Duration
	restoreTimeout time.Duration
	locks          itemLocks
	refusals       refusalLimit
}

// New returns the Handler of o, or an error when o is incomplete.
func New(o Options) (*Handler, error) {
	switch {
	case !o.Config.Enabled():
		return nil, errors.New("restore: the configuration has no SLACK_SIGNING_SECRET")
	case o.Accounts == nil || o.Auditor == nil || o.Logger == nil:
		return nil, errors.New("restore: Accounts, Auditor and Logger are required")
	}
	signer, err := NewSigner(o.Config.TokenSecret)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	var api *url.URL
	if o.Config.SlackAPIURL != "" {
		if api, err = parseAPIURL(o.Config.SlackAPIURL); err != nil {
			return nil, fmt.Errorf("restore: SLACK_API_URL: %w", err)
		}
	}
	h := &Handler{
		cfg:            o.Config,
		signer:         signer,
		allowed:        map[string]bool{},
		accounts:       o.Accounts,
		auditor:        o.Auditor,
		log:            o.Logger,
		responder:      newResponder(o.HTTPClient, api),
		now:            o.Now,
		budget:         o.Budget,
		restoreTimeout: o.RestoreTimeout,
	}
	for _, u := range o.Config.AllowedUsers {
		h.allowed[u] = true
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.budget <= 0 {
		h.budget = DefaultBudget
	}
	if h.restoreTimeout <= 0 {
		h.restoreTimeout = DefaultRestoreTimeout
	}
	return h, nil
}

// Request is an HTTP request as the adapters (the FC HTTP event, net/http) hand it over.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the decoded request path.
	Path string
	// Header holds the request's headers.
	Header http.Header
	// Body is the raw body, exactly as received.
	Body []byte
	// RequestID is the platform's request ID, for the log.
	RequestID string
}

// Response is the answer to a Request: a status and a short plain-text body that holds no secret.
type Response struct {
	Status int
	Body   string
}

func answer(status int) Response { return Response{Status: status, Body: http.StatusText(status)} }

// Handle answers one request: it verifies and decodes a click, checks who may do what, restores, updates
// the message through the click's response_url, and only then returns (see the package doc). Every
// answer is a Response: a refusal is 4xx; a click that was acted on, whatever came of it, is 200, the
// person having been told through response_url.
func (h *Handler) Handle(ctx context.Context, req Request) Response {
	if h == nil {
		return answer(http.StatusNotFound)
	}
	start := time.Now()
	log := h.log.With("requestId", req.RequestID)
	switch {
	case req.Path != ActionsPath:
		return h.refuse(log, http.StatusNotFound, errors.New("the path is not "+ActionsPath))
	case req.Method != http.MethodPost:
		return h.refuse(log, http.StatusMethodNotAllowed, errors.New("the method is not POST"))
	case len(req.Body) > MaxBodyBytes:
		return h.refuse(log, http.StatusRequestEntityTooLarge, fmt.Errorf("the body is larger than %d bytes", MaxBodyBytes))
	}
	if err := VerifySlackRequest(h.cfg.SigningSecret, req.Header, req.Body, h.now()); err != nil {
		return h.refuse(log, http.StatusUnauthorized, err)
	}
	c, err := ParseClick(req.Body)
	if err != nil {
		return h.refuse(log, http.StatusBadRequest, err)
	}
	switch {
	case c.TeamID != h.cfg.TeamID:
		return h.refuse(log, http.StatusUnauthorized, errors.New("team.id is not SLACK_TEAM_ID"))
	case c.AppID != h.cfg.AppID:
		return h.refuse(log, http.StatusUnauthorized, errors.New("api_app_id is not SLACK_APP_ID"))
	case c.ActionID != ActionID:
		return h.refuse(log, http.StatusBadRequest, errors.New("the action is not a Restore button"))
	}
	t, err := h.signer.Verify(c.Value)
	if err != nil {
		return h.refuse(log, http.StatusUnauthorized, err)
	}
	log = log.With("click", c, "accountId", t.AccountID, "userId", t.UserID, "accessKeyId", t.AccessKeyID, "alertId", t.AlertID)
	// A click by someone who may not restore calls nothing: its account is checked without listing the
	// directory (the button is signed: a member it names was read by the alert function).
	allowed := h.allowed[c.UserID]
	lctx, cancel := context.WithDeadline(ctx, start.Add(h.budget))
	acct, err := h.accounts.Lookup(lctx, t.AccountID, allowed)
	cancel()
	if errors.Is(err, ErrAccountNotAllowed) {
		return h.refuse(log, http.StatusUnauthorized, err)
	}
	if rerr := h.responder.check(c.ResponseURL); rerr != nil {
		return h.refuse(log, http.StatusBadRequest, rerr)
	}
	switch {
	case err != nil:
		log.ErrorContext(ctx, "restore failed: the account could not be looked up", "error", err.Error())
		h.tell(ctx, log, c, ephemeral(":warning: Could not look up account "+t.AccountID+": nothing was restored. Click Restore again."))
	case !allowed:
		h.refuseUser(ctx, log, start, c, t, acct)
	default:
		h.act(ctx, log, start, c, t, acct)
	}
	return answer(http.StatusOK)
}

// refuse logs why a request is refused and answers status.
func (h *Handler) refuse(log *slog.Logger, status int, why error) Response {
	log.Warn("restore request refused", "status", status, "reason", why.Error())
	return answer(status)
}

// refuseUser answers a signed click by a Slack user who may not restore: a note to that user, a log
// line, and an audit event at most once a minute per user. Nothing else is called.
func (h *Handler) refuseUser(ctx context.Context, log *slog.Logger, start time.Time, c *Click, t Target, acct Account) {
	log.Warn("restore refused: the Slack user is not in RESTORE_ALLOWED_USERS", "outcome", NotAllowed)
	h.tell(ctx, log, c, ephemeral(notAllowedLine(c.UserID)))
	if h.refusals.allow(c.UserID, h.now()) {
		h.audit(ctx, log, start, h.event(c, t, acct, "", NotAllowed))
	}
}

// result is what came of a click that was acted on: an outcome, or a note for the clicker.
type result struct {
	outcome  Outcome // empty for a failure
	userName string  // the RAM user's name, when an answer showed it
	note     string  // a failure's note to the clicker
	err      error   // a failure's cause, for the log
}

// act checks the bin, restores and reports. The checks must be done within the budget, counted from
// the request's arrival: past it, nothing has changed yet and the person is told to click again. A
// restore call, once made, is seen through (up to RestoreTimeout), however late, and its outcome is
// posted to response_url before act returns: abandoning it would leave the person not knowing whether
// the item is back.
func (h *Handler) act(ctx context.Context, log *slog.Logger, start time.Time, c *Click, t Target, acct Account) {
	check, cancel := context.WithDeadline(ctx, start.Add(h.budget))
	defer cancel()
	var res result
	if release, err := h.locks.acquire(check, acct.ID+"/"+t.item()); err != nil {
		res = result{note: busyLine(t), err: errors.New("another restore of the item is running")}
	} else {
		res = h.restore(ctx, check, t, acct)
		release()
	}
	elapsed := time.Since(start)
	attrs := []any{"elapsedMs", elapsed.Milliseconds(), "late", elapsed > h.budget}
	if res.outcome == "" {
		log.ErrorContext(ctx, "restore failed", append(attrs, "error", res.err.Error())...)
		h.tell(ctx, log, c, ephemeral(res.note))
		return
	}
	ev := h.event(c, t, acct, res.userName, res.outcome)
	log.InfoContext(ctx, "restore click answered", append(attrs, "outcome", res.outcome, "userName", res.userName)...)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.audit(ctx, log, start, ev)
	}()
	h.tell(ctx, log, c, replacement(c, outcomeLine(res.outcome, t, res.userName, c.UserID, ev.Timestamp)))
	wg.Wait()
}

// restore decides and does what the click asks, in the click's account.
func (h *Handler) restore(ctx, check context.Context, t Target, acct Account) result {
	r, err := h.accounts.Restorer(check, acct)
	var ae *AccessError
	switch {
	case err != nil && check.Err() == nil && errors.As(err, &ae):
		return result{note: accessLine(t, ae), err: err}
	case err != nil:
		return h.failure(check, t, "", "getting access to account "+acct.ID, err)
	}
	if t.IsUser() {
		return h.restoreUser(ctx, check, r, t)
	}
	return h.restoreKey(ctx, check, r, t)
}

func (h *Handler) restoreKey(ctx, check context.Context, r Restorer, t Target) result {
	bk, err := r.AccessKeyInBin(check, t.AccessKeyID)
	switch {
	case notInBin(err):
		return h.left(check, r, t, "")
	case err != nil:
		return h.failure(check, t, "", "checking the AccessKey recycle bin", err)
	}
	name := userName(bk.UserPrincipalName)
	switch {
	case bk.UserID != t.UserID:
		owner := bk.UserID
		if !digits(owner, 32) {
			owner = "?"
		}
		return result{note: mismatchLine(t, owner), err: errors.New("the key in the bin belongs to another user")}
	case bk.UserRecycled:
		return result{note: ownerRecycledLine(t, name), err: errors.New("the key's owner is in the user recycle bin")}
	}
	rctx, cancel := h.restoreContext(ctx)
	defer cancel()
	err = r.RestoreAccessKey(rctx, t.UserID, t.AccessKeyID)
	return h.restored(rctx, r, t, name, err)
}

func (h *Handler) restoreUser(ctx, check context.Context, r Restorer, t Target) result {
	bu, err := r.UserInBin(check, t.UserID)
	switch {
	case notInBin(err):
		return h.left(check, r, t, "")
	case err != nil:
		return h.failure(check, t, "", "checking the user recycle bin", err)
	case bu.UserID != t.UserID:
		return result{note: failedLine(t, "", "checking the user recycle bin", "the answer named another user"),
			err: errors.New("GetUserInRecycleBin answered another user")}
	}
	name := userName(bu.UserPrincipalName)
	rctx, cancel := h.restoreContext(ctx)
	defer cancel()
	err = r.RestoreUser(rctx, t.UserID)
	return h.restored(rctx, r, t, name, err)
}

// restored classifies the answer of a restore call. "Not in the bin" may mean the item left the bin
// between the check and the call (another click, maybe on another instance, the console, the purge),
// or that something it needs is gone (the key's owner deleted meanwhile): the bin is checked again,
// and only an item no longer there goes to left, which finds out which way it went.
func (h *Handler) restored(rctx context.Context, r Restorer, t Target, name string, err error) result {
	switch {
	case err == nil:
		return result{outcome: Restored, userName: name}
	case notInBin(err) && rctx.Err() == nil:
		return h.recheck(rctx, r, t, name, err)
	case rctx.Err() != nil:
		return result{userName: name, note: unknownLine(t, name), err: fmt.Errorf("the restore call got no answer in time: %w", err)}
	}
	return h.failure(rctx, t, name, "restoring", err)
}

// recheck looks in the bin again after a restore call answered "not found" (restoreErr): an item
// still there was not restored, and the person is told why (the key's owner now in the user bin, or
// the answer itself); an item gone is for left.
func (h *Handler) recheck(ctx context.Context, r Restorer, t Target, name string, restoreErr error) result {
	var err error
	var ownerRecycled bool
	if t.IsUser() {
		_, err = r.UserInBin(ctx, t.UserID)
	} else {
		var bk BinKey
		bk, err = r.AccessKeyInBin(ctx, t.AccessKeyID)
		ownerRecycled = err == nil && bk.UserRecycled
	}
	switch {
	case notInBin(err):
		return h.left(ctx, r, t, name)
	case ownerRecycled:
		return result{userName: name, note: ownerRecycledLine(t, name), err: fmt.Errorf("restoring: %w: the key's owner is now in the user recycle bin", restoreErr)}
	}
	return h.failure(ctx, t, name, "restoring", restoreErr)
}

// left tells an item that is no longer in its bin: restored (the live user, or the live key's owner,
// is the alert's user) or purged (IMS GetUser finds nothing).
func (h *Handler) left(ctx context.Context, r Restorer, t Target, name string) result {
	q := UserQuery{UserID: t.UserID}
	if !t.IsUser() {
		q = UserQuery{AccessKeyID: t.AccessKeyID}
	}
	u, err := r.GetUser(ctx, q)
	switch {
	case notInBin(err):
		return result{outcome: Purged, userName: name}
	case err != nil:
		return h.failure(ctx, t, name, "it is no longer in the recycle bin, and looking it up", err)
	case u.UserID != t.UserID:
		return result{note: failedLine(t, name, "it is no longer in the recycle bin", "and it now belongs to another user"),
			err: errors.New("GetUser answered another user")}
	}
	if n := userName(u.UserPrincipalName); n != "" {
		name = n
	}
	return result{outcome: AlreadyRestored, userName: name}
}

// failure is a failed call: out of time (nothing was changed: say so), or an error answer.
func (h *Handler) failure(ctx context.Context, t Target, name, doing string, err error) result {
	if ctx.Err() != nil {
		return result{userName: name, note: tooSlowLine(h.budget), err: fmt.Errorf("%s: no answer in time: %w", doing, err)}
	}
	return result{userName: name, note: failedLine(t, name, doing, reason(err)), err: fmt.Errorf("%s: %w", doing, err)}
}

// restoreContext bounds a restore call and what follows it: RestoreTimeout, and the invocation's
// deadline less the time a reply needs. It is not cancelled with ctx: on the custom runtime, Slack
// hanging up after 3 seconds cancels the request's context, and the restore must still be seen through.
func (h *Handler) restoreContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(h.restoreTimeout)
	if d, ok := ctx.Deadline(); ok {
		if reserved := d.Add(-replyTimeout); reserved.Before(deadline) {
			deadline = reserved
		}
		if deadline.Before(time.Now()) {
			deadline = d
		}
	}
	return context.WithDeadline(context.WithoutCancel(ctx), deadline)
}

// bounded returns a context for a step after the decision (a reply, the audit): not cancelled with ctx,
// ending after d or at ctx's deadline.
func bounded(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(d)
	if pd, ok := ctx.Deadline(); ok && pd.Before(deadline) {
		deadline = pd
	}
	return context.WithDeadline(context.WithoutCancel(ctx), deadline)
}

// tell posts m to the click's response_url; a failure is logged (never with the URL).
func (h *Handler) tell(ctx context.Context, log *slog.Logger, c *Click, m reply) {
	pctx, cancel := bounded(ctx, replyTimeout)
	defer cancel()
	if err := h.responder.post(pctx, c.ResponseURL, m); err != nil {
		log.ErrorContext(ctx, "the reply to Slack failed", "error", err.Error())
	}
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// audit posts e; a failure or a panic of the Auditor is logged.
func (h *Handler) audit(ctx context.Context, log *slog.Logger, start time.Time, e AuditEvent) {
	// The audit never holds the answer past Slack's wait: it has what is left of the click's budget
	// (at least auditGrace); a channel slower than that, or retrying, loses the post, and says so here
	// (the click's own log line has the outcome whatever happens to the audit).
	actx, cancel := context.WithDeadline(context.WithoutCancel(ctx), later(start.Add(h.budget), time.Now().Add(auditGrace)))
	defer cancel()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("the auditor panicked: %v", p)
			}
		}()
		return h.auditor.Audit(actx, e)
	}()
	if err != nil {
		log.ErrorContext(ctx, "posting the audit event failed", "outcome", e.Data.Outcome, "error", err.Error())
	}
}

// event builds the audit event of a click.
func (h *Handler) event(c *Click, t Target, acct Account, name string, o Outcome) AuditEvent {
	return AuditEvent{
		Type:      AuditType,
		Timestamp: h.now().UTC(),
		Data: AuditData{
			AccountID:   t.AccountID,
			AccountName: acct.Name,
			UserID:      t.UserID,
			UserName:    name,
			AccessKeyID: t.AccessKeyID,
			AlertID:     t.AlertID,
			RestoredBy:  SlackUser{SlackUserID: c.UserID, SlackUserName: c.UserName, SlackActionTs: c.ActionTs},
			Outcome:     o,
		},
	}
}

// itemLocks lets one click at a time act on an item in this process, so that two clicks on one
// instance do not both call restore: the second waits, re-checks the bin and answers "already
// restored". (Clicks served by two instances can both call; the second call then finds the item gone
// and is answered the same way.)
type itemLocks struct {
	mu sync.Mutex
	m  map[string]*itemLock
}

type itemLock struct {
	sem   chan struct{}
	users int
}

// acquire waits for key's lock until ctx ends, and returns its release.
func (l *itemLocks) acquire(ctx context.Context, key string) (release func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*itemLock{}
	}
	il := l.m[key]
	if il == nil {
		il = &itemLock{sem: make(chan struct{}, 1)}
		l.m[key] = il
	}
	il.users++
	l.mu.Unlock()
	leave := func() {
		l.mu.Lock()
		if il.users--; il.users == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
	select {
	case il.sem <- struct{}{}:
		return func() { <-il.sem; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

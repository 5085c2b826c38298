package alibaba

// This file looks up who deleted a key or a user: the ActionTrail events of the deletions, through
// LookupEvents 2020-07-06 (https://alibabacloud.com/help/en/actiontrail/developer-reference/api-actiontrail-2020-07-06-lookupevents),
// with the retries, deadlines and redaction of every other call. ActionTrail's documented limits
// (https://help.aliyun.com/document_detail/28830.htm): an event can be looked up about 10 minutes after
// the call, for 90 days; LookupEvents takes at most 2 calls a second per account, 50 events a page
// (MaxResults 1-50). Spans of at most 30 days are documented for the 2017-12-04 API only; the Trail
// keeps to them. The event structure: https://www.alibabacloud.com/help/doc-detail/28819.html.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// DefaultActionTrailEndpoint is the ActionTrail API host when Config.ActionTrailEndpoint is empty.
// RAM's events are global events, and the newest documentation says that global events are stored in
// one region, Singapore (ap-southeast-1) unless the account asked for China (Hangzhou)
// (https://www.alibabacloud.com/help/en/actiontrail/developer-reference/api-actiontrail-2020-07-06-getglobaleventsstorageregion);
// older pages say that every region shows them (https://www.alibabacloud.com/help/doc-detail/163264.htm).
// Singapore answers under both readings for an account that changed nothing; an account whose global
// events are stored in cn-hangzhou sets ACTIONTRAIL_ENDPOINT=actiontrail.cn-hangzhou.aliyuncs.com.
const DefaultActionTrailEndpoint = "actiontrail.ap-southeast-1.aliyuncs.com"

// ActionTrail's limits that the look-ups keep to.
const (
	// EventRetention is how far back LookupEvents finds events: 90 days.
	EventRetention = 90 * 24 * time.Hour
	// MaxEventSpan is the longest span of one look-up: 30 days.
	MaxEventSpan = 30 * 24 * time.Hour
	// eventsPageSize is MaxResults: 50, the most a page holds.
	eventsPageSize = 50
	// maxEventPages stops a pager whose server never stops giving a NextToken (10,000 events).
	maxEventPages = 200
	// lookupsPerSecond is LookupEvents' cap per account; lookupSpan is the second it counts in, with a
	// margin for the jitter between the function's clock and the server's arrivals.
	lookupsPerSecond = 2
	lookupSpan       = time.Second + 50*time.Millisecond
)

// Bounds of the texts an event may bring: whatever the caller sent, a message shows at most this.
const (
	maxUserAgent = 256
	maxPrincipal = 256
)

// eventTimeFormat is the one time format LookupEvents documents for StartTime and EndTime.
const eventTimeFormat = "2006-01-02T15:04:05Z"

var (
	// eventIDRE is an eventId: a UUID, in either case.
	eventIDRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	// wordRE is a value of a closed set that ActionTrail may extend: an eventType (ApiCall,
	// ConsoleOperation) or a userIdentity.type (ram-user, assumed-role, root-account).
	wordRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	// hostRE is a sourceIpAddress that is no IP address: the host name of a service.
	hostRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,253}$`)
)

// EventQuery is one look-up: the events of one name whose eventTime lies from Start to End.
type EventQuery struct {
	// Name is alert.EventDeleteAccessKey or alert.EventDeleteUser.
	Name string
	// Start and End bound the events' time; rounded out to whole seconds, as they are sent, they are
	// at most MaxEventSpan apart.
	Start, End time.Time
}

// Events is what a look-up found.
type Events struct {
	// Events are the deletions, each event once, in the order ActionTrail gave them. Events of calls
	// that failed (a non-empty errorCode) deleted nothing and are left out.
	Events []alert.DeletionEvent
	// Invalid counts the events skipped because a value failed its check; InvalidReason says why the
	// first was (scrubbed).
	Invalid       int
	InvalidReason string
	// Calls counts the API requests made, retries included.
	Calls int
}

// LookupError is a look-up that failed.
type LookupError struct {
	// Code is the API's error code (NoPermission, Throttling.User, …) or the reader's
	// (DeadlineExceeded, InvalidResponse, ConnectionError, …).
	Code string
	// Message says what failed, scrubbed of every secret.
	Message string
	// Denied is true when the function's role may not call LookupEvents.
	Denied bool
	// Transient is true for a failure that may pass on its own: throttling, server errors, timeouts,
	// the deadline.
	Transient bool
}

func (e *LookupError) Error() string { return e.Code + ": " + e.Message }

// Trail looks up the ActionTrail events of deletions. It is safe for concurrent use: the look-ups of an
// account share that account's pace, whatever run makes them.
type Trail struct {
	r        *Reader
	api      api
	paceSpan time.Duration // the span in which lookupsPerSecond calls may start; tests widen it

	mu     sync.Mutex
	pacers map[string]*pacer // by account ID
}

// NewTrail checks cfg as New does, and its ActionTrailEndpoint, and returns a Trail with a Reader of its
// own. A function that reads the bins too makes its Trail with Reader.Trail, to share the bound on calls.
func NewTrail(cfg Config) (*Trail, error) {
	r, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return r.Trail(cfg.ActionTrailEndpoint)
}

// Trail returns a Trail of the ActionTrail endpoint (empty: DefaultActionTrailEndpoint) whose look-ups
// are calls of r: they share its MaxCalls with its Reads, its retries and its redaction.
func (r *Reader) Trail(endpoint string) (*Trail, error) {
	t := &Trail{r: r, api: api{product: "Actiontrail", version: "2020-07-06"}, paceSpan: lookupSpan, pacers: map[string]*pacer{}}
	var err error
	if t.api.scheme, t.api.host, err = endpointOr(endpoint, DefaultActionTrailEndpoint); err != nil {
		return nil, fmt.Errorf("alibaba: ActionTrail %w", err)
	}
	return t, nil
}

// pacer returns the pace of the account's LookupEvents calls.
func (t *Trail) pacer(account string) *pacer {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pacers[account]
	if p == nil {
		p = newPacer(lookupsPerSecond, t.paceSpan)
		t.pacers[account] = p
	}
	return p
}

// Lookup returns the events named q.Name whose eventTime lies in q's span, from ActionTrail
// LookupEvents in the account with the given ID ("" for the function's own), signed with creds as Read
// signs its calls (nil: Config.Credentials, else the SDK's default credential chain). It pages 50 events
// at a time; every call, retries included, waits for the account's pace (at most 2 calls start in any
// second), and throttling, server errors and timeouts are retried like every call. An event with a
// value that fails its check is skipped and counted, never quoted beyond a short excerpt. A failed
// look-up is a *LookupError; an invalid query or credentials are other errors.
func (t *Trail) Lookup(ctx context.Context, account string, creds *Credentials, q EventQuery) (*Events, error) {
	if q.Name != alert.EventDeleteAccessKey && q.Name != alert.EventDeleteUser {
		return nil, fmt.Errorf("alibaba: LookupEvents of %s: only the events of deletions are looked up", excerpt.Quote(q.Name))
	}
	from, to := WholeSeconds(q.Start, q.End)
	if !q.Start.Before(q.End) || to.Sub(from) > MaxEventSpan {
		return nil, fmt.Errorf("alibaba: LookupEvents from %s to %s: the span must be positive and, in whole seconds, at most 30 days",
			from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	cred, sc, err := t.r.credential(creds)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	ru := newRun(ctx, t.r, cred, sc)
	defer ru.cancel()
	ru.lim = newLimiter(1, 1) // the pages of a look-up follow each other
	ru.pace = t.pacer(account)
	w := &worker{run: ru}

	params := map[string]string{
		"StartTime":               from.Format(eventTimeFormat),
		"EndTime":                 to.Format(eventTimeFormat),
		"MaxResults":              fmt.Sprint(eventsPageSize),
		"LookupAttribute.1.Key":   "EventName",
		"LookupAttribute.1.Value": q.Name,
	}
	p := &eventPages{w: w, api: t.api, name: q.Name, out: &Events{Events: []alert.DeletionEvent{}}, seen: map[string]bool{}}
	token := ""
	for page := 1; ; page++ {
		if token != "" {
			params["NextToken"] = token
		}
		next, cerr := p.page(params, token)
		if cerr == nil && next != "" && page == maxEventPages {
			cerr = &callError{code: codeInvalidResponse, msg: fmt.Sprintf("LookupEvents: still paging after %d pages", page)}
		}
		if cerr != nil {
			return nil, lookupError(cerr)
		}
		if next == "" {
			break
		}
		token = next
	}
	p.out.Calls = int(ru.calls.Load())
	t.r.log.DebugContext(ctx, "ActionTrail events looked up", "event", q.Name, "from", params["StartTime"], "to", params["EndTime"],
		"events", len(p.out.Events), "invalid", p.out.Invalid, "calls", p.out.Calls, "duration", time.Since(start).Round(time.Millisecond).String())
	return p.out, nil
}

// WholeSeconds returns the span from from to to as LookupEvents asks for it: from rounded down and to
// rounded up to whole seconds (its StartTime and EndTime have no fraction), in UTC.
func WholeSeconds(from, to time.Time) (time.Time, time.Time) {
	from, to = from.UTC().Truncate(time.Second), to.UTC()
	if c := to.Truncate(time.Second); !c.Equal(to) {
		to = c.Add(time.Second)
	}
	return from, to
}

// lookupError is the LookupError of a failed call.
func lookupError(e *callError) *LookupError {
	return &LookupError{Code: e.code, Message: e.msg, Transient: e.transient,
		Denied: e.code == "NoPermission" || strings.HasPrefix(e.code, "Forbidden")}
}

// eventPages reads the pages of one look-up into out.
type eventPages struct {
	w    *worker
	api  api
	name string
	out  *Events
	seen map[string]bool // event IDs
}

// page reads one page; next is the NextToken of the next page, empty on the last.
func (p *eventPages) page(params map[string]string, token string) (next string, err *callError) {
	sc := p.w.run.sc
	err = p.w.do(p.api, "LookupEvents", params, func(b []byte) error {
		var page struct {
			NextToken json.RawMessage
			Events    []json.RawMessage
		}
		if e := json.Unmarshal(b, &page); e != nil {
			return fmt.Errorf("answer is not the expected JSON: %w", e)
		}
		if len(page.Events) > eventsPageSize {
			return fmt.Errorf("answer holds %d events, more than the %d asked for", len(page.Events), eventsPageSize)
		}
		tf := stringField("NextToken", page.NextToken)
		if tf.err != nil {
			return tf.err
		}
		if tf.value != "" {
			if e := sc.check(tf, validMarker, "a token (printable, at most 4096 characters)"); e != nil {
				return e
			}
			if tf.value == token {
				return errors.New("answer gives the NextToken it was asked for again")
			}
			next = tf.value
		}
		for _, raw := range page.Events {
			ev, ok, e := parseEvent(sc, raw, p.name)
			switch {
			case e != nil:
				p.out.Invalid++
				if p.out.InvalidReason == "" {
					p.out.InvalidReason = sc.scrub(e.Error())
				}
			case ok && !p.seen[ev.By.EventID]:
				p.seen[ev.By.EventID] = true
				p.out.Events = append(p.out.Events, ev)
			}
		}
		return nil
	})
	return next, err
}

// rawEvent is the part of an event the look-up reads.
type rawEvent struct {
	EventID           json.RawMessage `json:"eventId"`
	EventName         json.RawMessage `json:"eventName"`
	EventTime         json.RawMessage `json:"eventTime"`
	EventType         json.RawMessage `json:"eventType"`
	SourceIPAddress   json.RawMessage `json:"sourceIpAddress"`
	UserAgent         json.RawMessage `json:"userAgent"`
	ErrorCode         json.RawMessage `json:"errorCode"`
	UserIdentity      json.RawMessage `json:"userIdentity"`
	RequestParameters json.RawMessage `json:"requestParameters"`
}

// parseEvent checks one event of a page that looked up events named name. ok is false for an event of a
// call that failed (it deleted nothing); err says why an event is not valid. Every text is checked:
// IDs, names and addresses by their character sets, the user agent and the principal's name and ID, which
// the caller chooses, kept as one line of bounded length.
func parseEvent(sc *scrubber, raw json.RawMessage, name string) (ev alert.DeletionEvent, ok bool, err error) {
	var e rawEvent
	if json.Unmarshal(raw, &e) != nil {
		return ev, false, errors.New("an event is not a JSON object")
	}
	idf := stringField("eventId", e.EventID)
	if err := sc.check(idf, eventIDRE.MatchString, "an event ID (letters, digits and -)"); err != nil {
		return ev, false, err
	}
	fail := func(err error) (alert.DeletionEvent, bool, error) {
		return alert.DeletionEvent{}, false, fmt.Errorf("event %s: %w", idf.value, err)
	}
	if len(e.ErrorCode) > 0 && string(e.ErrorCode) != "null" && string(e.ErrorCode) != `""` {
		return ev, false, nil // the call failed: nothing was deleted
	}
	if nf := stringField("eventName", e.EventName); nf.err != nil || nf.value != name {
		return fail(fmt.Errorf("eventName %s is not the %s looked up", excerpt.Quote(nf.value), name))
	}
	ev.Name = name
	ev.By.EventID = idf.value
	if ev.By.EventTime, err = sc.date(stringField("eventTime", e.EventTime), true); err != nil {
		return fail(err)
	}
	if ev.By.EventType, err = sc.optional(stringField("eventType", e.EventType), wordRE.MatchString, "an event type (letters, digits, . _ -)"); err != nil {
		return fail(err)
	}
	if ev.By.SourceIP, err = sc.optional(stringField("sourceIpAddress", e.SourceIPAddress), validSourceIP, "an IP address or a host name"); err != nil {
		return fail(err)
	}
	if ev.By.UserAgent, err = sc.text(stringField("userAgent", e.UserAgent), maxUserAgent); err != nil {
		return fail(err)
	}
	var id struct{ Type, PrincipalID, UserName json.RawMessage }
	if len(e.UserIdentity) == 0 || json.Unmarshal(e.UserIdentity, &id) != nil {
		return fail(errors.New("userIdentity is not a JSON object"))
	}
	tf := stringField("userIdentity.type", id.Type)
	if err := sc.check(tf, wordRE.MatchString, "an identity type (letters, digits, . _ -)"); err != nil {
		return fail(err)
	}
	ev.By.PrincipalType = tf.value
	if ev.By.PrincipalID, err = sc.text(stringField("userIdentity.principalId", id.PrincipalID), maxPrincipal); err != nil {
		return fail(err)
	}
	if ev.By.PrincipalName, err = sc.text(stringField("userIdentity.userName", id.UserName), maxPrincipal); err != nil {
		return fail(err)
	}
	if err := requestParameters(sc, e.RequestParameters, &ev); err != nil {
		return fail(err)
	}
	return ev, true, nil
}

// requestParameters reads what the deletion's parameters name: the AccessKey deleted
// (UserAccessKeyId, required for DeleteAccessKey), and the user (UserName, UserPrincipalName, UserId:
// at least one for DeleteUser). The gateway adds parameters of its own, and values may be numbers.
func requestParameters(sc *scrubber, raw json.RawMessage, ev *alert.DeletionEvent) error {
	var params map[string]json.RawMessage
	if len(raw) > 0 && json.Unmarshal(raw, &params) != nil {
		return errors.New("requestParameters is not a JSON object")
	}
	param := func(k string) field {
		f := stringField("requestParameters."+k, params[k])
		var n json.Number
		if f.err != nil && json.Unmarshal(params[k], &n) == nil {
			f.value, f.err = n.String(), nil
		}
		return f
	}
	var err error
	if ev.Name == alert.EventDeleteAccessKey {
		kf := param("UserAccessKeyId")
		if err := sc.check(kf, accessKeyIDRE.MatchString, wantAccessKeyID); err != nil {
			return err
		}
		ev.AccessKeyID = kf.value
	}
	if ev.UserName, err = sc.optional(param("UserName"), validUserName, wantUserName); err != nil {
		return err
	}
	if ev.UserPrincipalName, err = sc.optional(param("UserPrincipalName"), validPrincipalName, wantPrincipalName); err != nil {
		return err
	}
	if ev.UserID, err = sc.optional(param("UserId"), validUserID, wantUserID); err != nil {
		return err
	}
	if ev.Name == alert.EventDeleteUser && ev.UserName == "" && ev.UserPrincipalName == "" && ev.UserID == "" {
		return errors.New("requestParameters name no user (UserName, UserPrincipalName or UserId)")
	}
	return nil
}

func validSourceIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil || hostRE.MatchString(s)
}

// optional returns the field's value when it is absent ("") or valid, else why not.
func (sc *scrubber) optional(f field, valid func(string) bool, want string) (string, error) {
	if f.err == nil && f.value == "" {
		return "", nil
	}
	if err := sc.check(f, valid, want); err != nil {
		return "", err
	}
	return f.value, nil
}

// text returns a free-text field (absent is "") as one line of at most max bytes: every character that
// could break a line or reorder it (control characters, line and paragraph separators, bidirectional
// formatting) becomes a space and every byte that is not UTF-8 U+FFFD, and a cut is marked with "…". A
// text holding one of the function's credentials is refused.
func (sc *scrubber) text(f field, max int) (string, error) {
	switch {
	case f.err != nil:
		return "", f.err
	case sc.holds(f.value):
		return "", fmt.Errorf("%s holds one of the function's credentials", f.name)
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(f.value, string(utf8.RuneError)))
	return excerpt.Cut(s, max), nil
}

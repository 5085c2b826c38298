package ramfake

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ActionTrail 2020-07-06 LookupEvents
// (https://alibabacloud.com/help/en/actiontrail/developer-reference/api-actiontrail-2020-07-06-lookupevents;
// limits: https://help.aliyun.com/document_detail/28830.htm; lookup attributes:
// https://help.aliyun.com/zh/actiontrail/support/how-to-set-the-lookupattribute-parameter).

// The ActionTrail limits the emulator applies.
const (
	// DefaultEventDelay is how long after it happened an event can be looked up: "10 minutes".
	DefaultEventDelay = 10 * time.Minute
	// DefaultLookupEventsRate is LookupEvents' cap per account: "at most twice per second".
	DefaultLookupEventsRate = 2
	// EventRetention is how far back LookupEvents looks: 90 days. A StartTime further back is refused.
	EventRetention = 90 * 24 * time.Hour
	// MaxEventSpan is the longest StartTime..EndTime span the emulator accepts: 30 days, documented for
	// the 2017-12-04 API only.
	MaxEventSpan = 30 * 24 * time.Hour
	// DefaultEventSpan is the span looked up when StartTime and EndTime are left out: the last 7 days.
	DefaultEventSpan = 7 * 24 * time.Hour
	// MaxEventsPage is MaxResults' upper bound; DefaultEventsPage its value when left out.
	MaxEventsPage     = 50
	DefaultEventsPage = 20
)

// Event is one ActionTrail event of an account, as LookupEvents returns it (the management event
// structure, https://www.alibabacloud.com/help/doc-detail/28819.html).
type Event struct {
	// ID is the eventId; empty means one derived from the event.
	ID string
	// Name is the eventName: the API called (DeleteAccessKey).
	Name string
	// Time is the eventTime.
	Time time.Time
	// Type is the eventType; empty means ApiCall (what RAM console actions are recorded as).
	Type string
	// ServiceName is the serviceName: Ims, Ram, Sts, …
	ServiceName string
	// Source is the eventSource, the endpoint called (ims-share.aliyuncs.com).
	Source string
	// RW is the eventRW, Read or Write; empty means Write.
	RW string
	// APIVersion is the apiVersion (2019-08-15).
	APIVersion string
	// Region is the acsRegion; empty means cn-hangzhou.
	Region string
	// SourceIP is the sourceIpAddress (IPv4 or IPv6).
	SourceIP string
	// UserAgent is the userAgent.
	UserAgent string
	// Identity is the userIdentity: who made the call.
	Identity Identity
	// RequestParameters are the call's parameters and the gateway's extras; any JSON values.
	RequestParameters map[string]any
	// ReferencedResources maps resource types to names ({"ACS::RAM::User": ["alice@corp.onaliyun.com"]}).
	ReferencedResources map[string][]string
	// ErrorCode and ErrorMessage are set when the call failed.
	ErrorCode, ErrorMessage string
	// Raw replaces fields of the event's object by its values, sent verbatim (any JSON value).
	Raw map[string]any
}

// Identity is an event's userIdentity.
type Identity struct {
	// Type is root-account, ram-user, assumed-role, … (kept raw).
	Type string
	// PrincipalID is the account ID, the RAM user ID, or RoleId:RoleSessionName.
	PrincipalID string
	// UserName is root, the RAM user name, or RoleName:RoleSessionName.
	UserName string
	// AccountID is the account that owns the identity.
	AccountID string
	// AccessKeyID is the AccessKey that made the call (STS.… for a role session); empty for a console
	// session.
	AccessKeyID string
}

// lookupKeys are the LookupAttribute keys the emulator matches (SensitiveAction is not emulated).
var lookupKeys = map[string]func(e *Event, v string) bool{
	"EventName":        func(e *Event, v string) bool { return e.Name == v },
	"ServiceName":      func(e *Event, v string) bool { return e.ServiceName == v },
	"User":             func(e *Event, v string) bool { return e.Identity.UserName == v },
	"EventId":          func(e *Event, v string) bool { return e.ID == v },
	"EventRW":          func(e *Event, v string) bool { return cmpOr(e.RW, "Write") == v },
	"EventType":        func(e *Event, v string) bool { return cmpOr(e.Type, "ApiCall") == v },
	"EventAccessKeyId": func(e *Event, v string) bool { return e.Identity.AccessKeyID == v },
	"SourceIpAddress":  func(e *Event, v string) bool { return e.SourceIP == v },
	"PrincipalId":      func(e *Event, v string) bool { return e.Identity.PrincipalID == v },
	"RoleName": func(e *Event, v string) bool {
		role, _, _ := strings.Cut(e.Identity.UserName, ":")
		return e.Identity.Type == "assumed-role" && role == v
	},
	"ResourceType": func(e *Event, v string) bool { _, ok := e.ReferencedResources[v]; return ok },
	"ResourceName": func(e *Event, v string) bool {
		for _, names := range e.ReferencedResources {
			if slices.Contains(names, v) {
				return true
			}
		}
		return false
	},
}

// lookupPairs are the two-attribute combinations the documentation allows.
var lookupPairs = map[[2]string]bool{}

func init() {
	allow := func(a string, bs ...string) {
		for _, b := range bs {
			lookupPairs[[2]string{a, b}], lookupPairs[[2]string{b, a}] = true, true
		}
	}
	allow("ServiceName", "EventName", "User", "PrincipalId", "RoleName", "ResourceName", "EventRW", "SensitiveAction", "EventType")
	allow("ResourceName", "ResourceType", "EventName", "User", "RoleName")
	allow("EventType", "EventName")
}

type lookupAttr struct{ key, value string }

// eventCursor is what a NextToken holds: the query it continues (a hash of its parameters), the window
// it looked at, and the last event it returned.
type eventCursor struct {
	Hash  string    `json:"h"`
	Start time.Time `json:"s"`
	End   time.Time `json:"e"`
	Time  time.Time `json:"t"`
	ID    string    `json:"i"`
}

const eventTimeFormat = "2006-01-02T15:04:05Z"

func (s *Server) lookupEvents(c *rpc) ([]byte, *apiError) {
	a := c.acct
	if !a.takeLookupToken(s.opts.LookupEventsRate, c.now) {
		a.throttled()
		return nil, errThrottled
	}
	p := c.p
	now := c.now.UTC()
	if (p["StartTime"] == "") != (p["EndTime"] == "") {
		return nil, errorf(400, "InvalidParameter.TimeRange", "StartTime and EndTime must be given together.")
	}
	start, end := now.Add(-DefaultEventSpan), now
	if p["StartTime"] != "" {
		var err error
		if start, err = parseEventTime(p["StartTime"]); err != nil {
			return nil, errorf(400, "InvalidParameter.StartTime", "The parameter StartTime is not a UTC time like 2020-10-08T11:00:00Z.")
		}
		if end, err = parseEventTime(p["EndTime"]); err != nil {
			return nil, errorf(400, "InvalidParameter.EndTime", "The parameter EndTime is not a UTC time like 2020-10-15T11:00:00Z.")
		}
	}
	switch {
	case start.After(end):
		return nil, errorf(400, "InvalidParameter.TimeRange", "StartTime is later than EndTime.")
	case end.Sub(start) > MaxEventSpan:
		return nil, errorf(400, "InvalidParameter.TimeRange", "The time range is longer than 30 days.")
	case start.Before(now.Add(-EventRetention)):
		return nil, errorf(400, "InvalidParameter.StartTime", "StartTime is more than 90 days ago; older events need a trail.")
	}
	max := DefaultEventsPage
	if v := p["MaxResults"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxEventsPage {
			return nil, errorf(400, "InvalidParameter.MaxResults", "The parameter MaxResults must be between 1 and 50.")
		}
		max = n
	}
	forward := false
	switch p["Direction"] {
	case "", "BACKWARD":
	case "FORWARD":
		forward = true
	default:
		return nil, errorf(400, "InvalidParameter.Direction", "The parameter Direction must be FORWARD or BACKWARD.")
	}
	attrs, aerr := lookupAttributes(p)
	if aerr != nil {
		return nil, aerr
	}
	hash := queryHash(p)
	var cur *eventCursor
	if t := p["NextToken"]; t != "" {
		cur = decodeCursor(t)
		if cur == nil || cur.Hash != hash {
			return nil, errorf(400, "InvalidParameter.NextToken", "The parameter NextToken is not valid for this query.")
		}
		start, end = cur.Start, cur.End
	}
	if body, aerr, ok := s.injected(c, nil, s.fault("LookupEvents", "")); ok {
		return body, aerr
	}

	visible := now.Add(-max0(s.opts.EventDelay))
	a.mu.Lock()
	evs := a.events // sorted newest first; never changed after New
	a.mu.Unlock()
	// Walk the events in the asked order (evs is newest first), from the cursor on.
	i, step := 0, 1
	if forward {
		i, step = len(evs)-1, -1
	}
	if cur != nil && forward {
		i = sort.Search(len(evs), func(i int) bool { return !eventBefore(&evs[i], cur.Time, cur.ID) }) - 1
	} else if cur != nil {
		i = sort.Search(len(evs), func(i int) bool { return eventAfter(&evs[i], cur.Time, cur.ID) })
	}
	list := []any{}
	var last *Event
	next := false
	for ; i >= 0 && i < len(evs); i += step {
		e := &evs[i]
		if e.Time.Before(start) || e.Time.After(end) || e.Time.After(visible) || !matches(e, attrs) {
			continue
		}
		if len(list) == max {
			next = true
			break
		}
		list = append(list, eventJSON(e))
		last = e
	}
	out := map[string]any{
		"RequestId": requestID(), "StartTime": start.Format(eventTimeFormat), "EndTime": end.Format(eventTimeFormat), "Events": list,
	}
	if next {
		out["NextToken"] = encodeCursor(eventCursor{Hash: hash, Start: start, End: end, Time: last.Time, ID: last.ID})
	}
	return reply(out)
}

// parseEventTime reads the one documented format, YYYY-MM-DDThh:mm:ssZ; time.Parse alone would also take
// fractional seconds.
func parseEventTime(v string) (time.Time, error) {
	t, err := time.Parse(eventTimeFormat, v)
	if err == nil && t.Format(eventTimeFormat) != v {
		err = errors.New("not in the documented format")
	}
	return t, err
}

func max0(d time.Duration) time.Duration { return max(d, 0) }

// eventAfter reports whether e comes after the event (t, id) in newest-first order.
func eventAfter(e *Event, t time.Time, id string) bool {
	if c := e.Time.Compare(t); c != 0 {
		return c < 0
	}
	return e.ID > id
}

// eventBefore reports whether e comes before the event (t, id) in newest-first order.
func eventBefore(e *Event, t time.Time, id string) bool {
	if c := e.Time.Compare(t); c != 0 {
		return c > 0
	}
	return e.ID < id
}

// lookupAttributes reads LookupAttribute.N.Key/Value with the documented rules: of two with the same
// key only the second counts, of more than two only the first two, and two must be an allowed pair.
func lookupAttributes(p map[string]string) ([]lookupAttr, *apiError) {
	bad := func(format string, args ...any) *apiError {
		return errorf(400, "InvalidParameter.LookupAttribute", format, args...)
	}
	var ns []int
	for k := range p {
		rest, ok := strings.CutPrefix(k, "LookupAttribute.")
		if !ok {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || (field != "Key" && field != "Value") {
			return nil, bad("The parameter %s is not valid.", k)
		}
		if !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	var attrs []lookupAttr
	for _, n := range ns {
		k, v := p[fmt.Sprintf("LookupAttribute.%d.Key", n)], p[fmt.Sprintf("LookupAttribute.%d.Value", n)]
		if k == "" || v == "" {
			return nil, bad("LookupAttribute.%d needs both a Key and a Value.", n)
		}
		if lookupKeys[k] == nil {
			return nil, bad("The LookupAttribute key %q is not supported.", k)
		}
		attrs = append(attrs, lookupAttr{k, v})
	}
	if len(attrs) > 2 {
		attrs = attrs[:2]
	}
	if len(attrs) == 2 {
		if attrs[0].key == attrs[1].key {
			attrs = attrs[1:]
		} else if !lookupPairs[[2]string{attrs[0].key, attrs[1].key}] {
			return nil, bad("The LookupAttribute keys %s and %s cannot be combined.", attrs[0].key, attrs[1].key)
		}
	}
	return attrs, nil
}

func matches(e *Event, attrs []lookupAttr) bool {
	for _, at := range attrs {
		if !lookupKeys[at.key](e, at.value) {
			return false
		}
	}
	return true
}

// queryHash identifies a query by every parameter but the NextToken and the signing ones.
func queryHash(p map[string]string) string {
	var keys []string
	for k := range p {
		switch k {
		case "StartTime", "EndTime", "MaxResults", "Direction":
			keys = append(keys, k)
		default:
			if strings.HasPrefix(k, "LookupAttribute.") {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, p[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func encodeCursor(c eventCursor) string {
	b, _ := json.Marshal(c)
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(t string) *eventCursor {
	b, err := base64.StdEncoding.DecodeString(t)
	if err != nil {
		return nil
	}
	var c eventCursor
	if json.Unmarshal(b, &c) != nil || c.Hash == "" {
		return nil
	}
	return &c
}

// eventJSON is an event's object in a LookupEvents answer.
func eventJSON(e *Event) map[string]any {
	id := map[string]any{
		"type": e.Identity.Type, "principalId": e.Identity.PrincipalID, "userName": e.Identity.UserName,
		"accountId": e.Identity.AccountID,
	}
	if e.Identity.AccessKeyID != "" {
		id["accessKeyId"] = e.Identity.AccessKeyID
	}
	params := e.RequestParameters
	if params == nil {
		params = map[string]any{}
	}
	m := map[string]any{
		"eventId": e.ID, "eventName": e.Name, "eventTime": apiTime(e.Time), "eventType": cmpOr(e.Type, "ApiCall"),
		"eventSource": e.Source, "serviceName": e.ServiceName, "eventRW": cmpOr(e.RW, "Write"), "eventVersion": "1",
		"apiVersion": e.APIVersion, "acsRegion": cmpOr(e.Region, "cn-hangzhou"), "isGlobal": e.ServiceName == "Ims" || e.ServiceName == "Ram",
		"requestId": uuidOf("request", e.ID), "sourceIpAddress": e.SourceIP, "userAgent": e.UserAgent,
		"userIdentity": id, "requestParameters": params,
	}
	if len(e.ReferencedResources) > 0 {
		m["referencedResources"] = e.ReferencedResources
	}
	if e.ErrorCode != "" {
		m["errorCode"], m["errorMessage"] = e.ErrorCode, e.ErrorMessage
	}
	return withRaw(m, e.Raw)
}

// uuidOf returns a stable upper-case UUID-shaped ID for the given parts.
func uuidOf(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	x := strings.ToUpper(hex.EncodeToString(h[:16]))
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// sortEvents orders events newest first (eventTime descending, then eventId), giving each event
// without an ID a derived one.
func sortEvents(evs []Event) {
	for i := range evs {
		if evs[i].ID == "" {
			evs[i].ID = uuidOf("event", evs[i].Name, evs[i].Time.UTC().Format(time.RFC3339Nano), fmt.Sprint(evs[i].RequestParameters), strconv.Itoa(i))
		}
	}
	slices.SortStableFunc(evs, func(x, y Event) int {
		if c := y.Time.Compare(x.Time); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
}

// Deleter is who deleted a user or an AccessKey, as ActionTrail records the caller.
type Deleter struct {
	// Type is the userIdentity.type: ram-user (the default), root-account or assumed-role.
	Type string
	// Name is the RAM user's name, or the role's for assumed-role.
	Name string
	// Session is an assumed role's session name; empty means "session".
	Session string
	// ID is the RAM user's or the role's ID; empty means one derived from the name.
	ID string
	// AccessKeyID is the AccessKey that made the call; empty means none for a console deletion and a
	// derived one (LTAI…, or STS.… for a role) for an API call.
	AccessKeyID string
	// SourceIP is the caller's address; empty means 203.0.113.7.
	SourceIP string
	// UserAgent is the caller's user agent; empty means ram.console.aliyun.com in the console and
	// aliyun-cli/3.0.277 for an API call.
	UserAgent string
	// Console is a deletion in the RAM console, which calls IMS 2019-08-15 and records the user by
	// UserPrincipalName; otherwise it is a RAM 2015-05-01 API call naming the short UserName.
	Console bool
}

// Deletion is one deletion of a user or an AccessKey.
type Deletion struct {
	// AccountID is the account it happened in.
	AccountID string
	// Time is when.
	Time time.Time
	// By is who deleted it.
	By Deleter
	// UserName, UserPrincipalName and UserID name the user deleted, or the owner of the key deleted;
	// an empty UserPrincipalName means UserName@DefaultDomain.
	UserName, UserPrincipalName, UserID string
	// AccessKeyID is the AccessKey deleted (DeleteAccessKey only).
	AccessKeyID string
}

// DeleteAccessKeyEvent returns the event of the deletion of d.AccessKeyID, in the console form (service
// Ims, UserPrincipalName) or the RAM API form (service Ram, UserName) as d.By.Console says. Its
// requestParameters carry the deleted key as UserAccessKeyId; its identity's accessKeyId is the
// caller's key, never the deleted one.
func DeleteAccessKeyEvent(d Deletion) Event {
	e := deletionEvent("DeleteAccessKey", d)
	e.RequestParameters["UserAccessKeyId"] = d.AccessKeyID
	e.ReferencedResources["ACS::RAM::AccessKey"] = []string{d.AccessKeyID}
	return e
}

// DeleteUserEvent returns the event of the deletion of the user d names, in the console or the RAM API
// form as DeleteAccessKeyEvent.
func DeleteUserEvent(d Deletion) Event {
	return deletionEvent("DeleteUser", d)
}

func deletionEvent(name string, d Deletion) Event {
	upn := cmpOr(d.UserPrincipalName, d.UserName+"@"+DefaultDomain)
	by := d.By
	e := Event{
		Name: name, Time: d.Time.UTC().Truncate(time.Second), Type: "ApiCall", RW: "Write",
		SourceIP: cmpOr(by.SourceIP, "203.0.113.7"), Region: "cn-hangzhou",
		RequestParameters:   map[string]any{},
		ReferencedResources: map[string][]string{},
	}
	if by.Console {
		e.ServiceName, e.Source, e.APIVersion = "Ims", "ims-share.aliyuncs.com", IMSVersion
		e.UserAgent = cmpOr(by.UserAgent, "ram.console.aliyun.com")
		e.RequestParameters["UserPrincipalName"] = upn
		e.RequestParameters["AkProxySuffix"] = "ram"
		e.ReferencedResources["ACS::RAM::User"] = []string{upn}
	} else {
		e.ServiceName, e.Source, e.APIVersion = "Ram", "ram.aliyuncs.com", RAMVersion
		e.UserAgent = cmpOr(by.UserAgent, "aliyun-cli/3.0.277")
		e.RequestParameters["UserName"] = d.UserName
		e.RequestParameters["RegionId"] = "cn-hangzhou"
		e.ReferencedResources["ACS::RAM::User"] = []string{d.UserName}
	}
	e.RequestParameters["AcsHost"] = e.Source
	e.RequestParameters["AcsProduct"] = e.ServiceName
	e.Identity = identityOf(d.AccountID, by)
	if by.Type == "assumed-role" {
		// A role session's parameters carry the account as an unquoted number, as real events do.
		e.RequestParameters["stsTokenPlayerUid"] = json.Number(d.AccountID)
	}
	e.ID = uuidOf("event", d.AccountID, name, apiTime(e.Time), d.UserID, d.UserName, d.AccessKeyID)
	e.RequestParameters["RequestId"] = uuidOf("request", e.ID)
	return e
}

func identityOf(account string, by Deleter) Identity {
	id := Identity{Type: cmpOr(by.Type, "ram-user"), AccountID: account, AccessKeyID: by.AccessKeyID}
	switch id.Type {
	case "root-account":
		id.PrincipalID, id.UserName = account, "root"
	case "assumed-role":
		session := cmpOr(by.Session, "session")
		id.PrincipalID = cmpOr(by.ID, derivedID("role", account, strings.ToLower(by.Name))) + ":" + session
		id.UserName = by.Name + ":" + session
		if id.AccessKeyID == "" {
			id.AccessKeyID = "STS.N" + derivedKey(account, by.Name, session)[:23]
		}
	default:
		id.PrincipalID = cmpOr(by.ID, derivedID("user", account, strings.ToLower(by.Name)))
		id.UserName = by.Name
	}
	if id.AccessKeyID == "" && !by.Console {
		id.AccessKeyID = "LTAI5t" + derivedKey(account, by.Name)[:18]
	}
	return id
}

// derivedKey returns stable letters and digits for a made-up AccessKey ID.
func derivedKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	b := make([]byte, 32)
	for i := range b {
		b[i] = alnum[int(h[i])%len(alnum)]
	}
	return string(b)
}

package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// Limits of an event. Decoding reads the event once and holds at most a copy of it besides: arrays are
// counted item by item and refused as soon as they pass their limit.
const (
	// MaxEventBytes is the largest event an invocation may carry, in every mode: 1 MiB, far more than
	// any real event (a timer event is about 100 bytes).
	MaxEventBytes = 1 << 20
	// MaxUsers bounds the users override: an account has at most 5,000 RAM users
	// (https://www.alibabacloud.com/help/en/ram/product-overview/limits).
	MaxUsers = 5000
	// MaxAccounts bounds the accounts override: far more than one invocation reads (see the README's
	// "How far one invocation goes").
	MaxAccounts = 1000
)

// ErrEventTooLarge is the error of an event over MaxEventBytes.
var ErrEventTooLarge = fmt.Errorf("the event is larger than 1 MiB (%d bytes), the most this function accepts", MaxEventBytes)

// event is a decoded invocation event.
type event struct {
	// Timer is true for a timer trigger's event.
	Timer bool
	// TriggerTime is the timer event's triggerTime.
	TriggerTime time.Time
	// TriggerName is the timer event's triggerName.
	TriggerName string
	// Overrides apply to this run only.
	Overrides overrides
}

// overrides are the fields of a manual event, or of a timer event's payload. A nil or empty field is not
// overridden.
type overrides struct {
	// Users replaces RAM_USERS.
	Users []string
	// Thresholds replaces ALERT_THRESHOLDS.
	Thresholds []time.Duration
	// Mode replaces ALERT_MODE.
	Mode string
	// DryRun replaces DRY_RUN.
	DryRun *bool
	// Now is the run's time for a manual invocation.
	Now *time.Time
	// Accounts picks the accounts of ACCOUNTS (or of the directory, with *) that this run reads.
	Accounts []string
}

// overrideFields are the fields of an object of overrides, matched exactly (JSON decoding into a struct
// would also take "DRYRUN" or "Users").
var overrideFields = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range overrideTable {
		m[f.name] = true
	}
	return m
}()

// timerFields are the fields of a timer event that are read; the others are ignored.
var timerFields = map[string]bool{"triggerTime": true, "triggerName": true, "payload": true}

// decodeEvent decodes an invocation body: a timer event (a JSON object with triggerTime) or a manual
// invocation's overrides. Its errors name the field that is wrong and quote at most a short excerpt of
// a value. An event over MaxEventBytes is refused unread.
func decodeEvent(body []byte) (event, error) {
	if len(body) > MaxEventBytes {
		return event{}, fmt.Errorf("event: %w", ErrEventTooLarge)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return event{}, nil
	}
	if err := checkObject(body, "the event"); err != nil {
		return event{}, fmt.Errorf("event: %w", err)
	}
	m, err := readMembers(body)
	if err != nil {
		return event{}, fmt.Errorf("event: %w", err)
	}
	if _, ok := m.values["triggerTime"]; ok {
		return decodeTimer(m)
	}
	o, err := overridesFrom(m, true)
	if err != nil {
		return event{}, fmt.Errorf("event: %w", err)
	}
	return event{Overrides: o}, nil
}

// checkObject returns nil when body is valid JSON and an object; what names it in errors.
func checkObject(body []byte, what string) error {
	if !json.Valid(body) {
		// Unmarshal reports where the syntax breaks before it decodes anything.
		return errors.New(jsonProblem(json.Unmarshal(body, &struct{}{}), what))
	}
	if body[0] != '{' {
		return fmt.Errorf("%s must be a JSON object", what)
	}
	return nil
}

// members are the members of a JSON object: the values of the fields this package reads (subslices of
// the object, not copies) and the names of the others (the first few of them).
type members struct {
	values  map[string]json.RawMessage
	unknown []string // at most maxUnknown names, quoted
	others  int      // how many other fields there are in all
}

// maxUnknown is how many unknown field names an error lists.
const maxUnknown = 5

// readMembers reads the members of body, a valid JSON object. A field read twice is an error.
func readMembers(body []byte) (members, error) {
	m := members{values: map[string]json.RawMessage{}}
	err := eachMember(body, func(rawName, value []byte) error {
		name := memberName(rawName)
		if !overrideFields[string(name)] && !timerFields[string(name)] {
			m.others++
			if len(m.unknown) < maxUnknown {
				m.unknown = append(m.unknown, excerpt.Quote(string(name)))
			}
			return nil
		}
		if _, ok := m.values[string(name)]; ok {
			return fmt.Errorf("field %q appears twice", name)
		}
		m.values[string(name)] = value
		return nil
	})
	return m, err
}

func decodeTimer(m members) (event, error) {
	ev := event{Timer: true}
	var tt string
	if err := json.Unmarshal(m.values["triggerTime"], &tt); err != nil {
		return ev, errors.New("timer event: triggerTime must be an RFC 3339 string")
	}
	t, err := parseTime("triggerTime", tt)
	if err != nil {
		return ev, fmt.Errorf("timer event: %w", err)
	}
	ev.TriggerTime = t
	if raw, ok := m.values["triggerName"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &ev.TriggerName); err != nil {
			return ev, errors.New("timer event: triggerName must be a string")
		}
	}
	raw, ok := m.values["payload"]
	if !ok || string(raw) == "null" {
		return ev, nil
	}
	var payload string
	if err := json.Unmarshal(raw, &payload); err != nil {
		return ev, errors.New("timer event: payload must be a string (the trigger's payload, verbatim)")
	}
	if strings.TrimSpace(payload) == "" {
		return ev, nil
	}
	o, err := decodeOverrides([]byte(payload), false)
	if err != nil {
		return ev, fmt.Errorf("timer event payload: %w", err)
	}
	ev.Overrides = o
	return ev, nil
}

// parseTime parses the RFC 3339 time of field, within the years alert.FirstYear to alert.LastYear.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%s %s is not an RFC 3339 time (2026-11-30T09:00:00Z)", field, excerpt.Quote(s))
	}
	if !alert.InYears(t) {
		return t, fmt.Errorf("%s %s is outside the years %d-%d", field, excerpt.Quote(s), alert.FirstYear, alert.LastYear)
	}
	return t, nil
}

// decodeOverrides decodes an object of overrides (a timer event's payload); now is allowed only in a
// manual event.
func decodeOverrides(body []byte, allowNow bool) (overrides, error) {
	body = bytes.TrimSpace(body)
	if err := checkObject(body, "overrides"); err != nil {
		if json.Valid(body) {
			return overrides{}, errors.New("must be a JSON object of overrides (users, thresholds, mode, dryRun, now, accounts)")
		}
		return overrides{}, err
	}
	m, err := readMembers(body)
	if err != nil {
		return overrides{}, err
	}
	return overridesFrom(m, allowNow)
}

// overridesFrom decodes the overrides of an object's members; any field but the overrides is an error.
func overridesFrom(m members, allowNow bool) (overrides, error) {
	var o overrides
	unknown := m.unknown
	for name := range m.values {
		if !overrideFields[name] {
			unknown = append(unknown, excerpt.Quote(name))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		more := ""
		if n := m.others - len(m.unknown); n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		return o, fmt.Errorf("unknown field %s%s (allowed: users, thresholds, mode, dryRun, now, accounts)", strings.Join(unknown, ", "), more)
	}
	// A field set to null is a mistake, not a way to ask for the configured value: leaving the field
	// out is. Each is named, in the table's order.
	for _, f := range overrideTable {
		if raw, ok := m.values[f.name]; ok && string(raw) == "null" {
			return o, fmt.Errorf("%s is null: want %s, or leave the field out for the configured value", f.name, f.want)
		}
	}
	for _, f := range overrideTable {
		if raw := m.values[f.name]; present(raw) {
			if err := f.decode(&o, raw, allowNow); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}

// overrideField is one field of an object of overrides: what it wants, and how it is decoded into o.
type overrideField struct {
	name, want string
	decode     func(o *overrides, raw json.RawMessage, allowNow bool) error
}

// overrideTable are the fields of an object of overrides, in the order they are checked.
var overrideTable = []overrideField{
	{"users", "an array of RAM user names, principal names or IDs", func(o *overrides, raw json.RawMessage, _ bool) (err error) {
		o.Users, err = decodeUsers(raw)
		return err
	}},
	{"accounts", "an array of account IDs", func(o *overrides, raw json.RawMessage, _ bool) (err error) {
		o.Accounts, err = decodeAccounts(raw)
		return err
	}},
	{"thresholds", "an array of numbers (days) or strings like \"36h\"", func(o *overrides, raw json.RawMessage, _ bool) (err error) {
		o.Thresholds, err = decodeThresholds(raw)
		return err
	}},
	{"mode", "\"crossing\" or \"digest\"", func(o *overrides, raw json.RawMessage, _ bool) error {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return errors.New("mode must be a string: crossing or digest")
		}
		mode, err := alert.ParseMode(s)
		if err != nil {
			return fmt.Errorf("mode: %w", err)
		}
		o.Mode = mode
		return nil
	}},
	{"dryRun", "true or false", func(o *overrides, raw json.RawMessage, _ bool) error {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return errors.New("dryRun must be true or false")
		}
		o.DryRun = &b
		return nil
	}},
	{"now", "an RFC 3339 string", func(o *overrides, raw json.RawMessage, allowNow bool) error {
		if !allowNow {
			return errors.New("now is not allowed in a timer trigger's payload: the trigger time is the run's time")
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return errors.New("now must be an RFC 3339 string")
		}
		t, err := parseTime("now", s)
		if err != nil {
			return err
		}
		o.Now = &t
		return nil
	}},
}

// decodeThresholds decodes the thresholds override: a non-empty array of at most alert.MaxThresholds
// numbers of days or duration strings, normalized.
func decodeThresholds(raw json.RawMessage) ([]time.Duration, error) {
	var thresholds []time.Duration
	n, err := eachItem(raw, alert.MaxThresholds, func(i int, item json.RawMessage) error {
		if string(item) == "null" {
			return fmt.Errorf("thresholds[%d] is null: want a number of days or a string like \"36h\"", i)
		}
		d, err := decodeThreshold(item)
		if err != nil {
			return fmt.Errorf("thresholds[%d]: %w", i, err)
		}
		thresholds = append(thresholds, d)
		return nil
	})
	switch {
	case errors.Is(err, errNotArray):
		return nil, errors.New("thresholds must be an array of numbers (days) or strings like \"36h\"")
	case errors.Is(err, errTooMany):
		return nil, fmt.Errorf("thresholds has more than %d items (at most %d)", alert.MaxThresholds, alert.MaxThresholds)
	case err != nil:
		return nil, err
	case n == 0:
		return nil, errors.New("thresholds must not be empty")
	}
	return alert.Normalize(thresholds), nil
}

// decodeUsers decodes the users override: a non-empty array of at most MaxUsers strings.
func decodeUsers(raw json.RawMessage) ([]string, error) {
	var users []string
	n, err := eachItem(raw, MaxUsers, func(i int, item json.RawMessage) error {
		if string(item) == "null" {
			return fmt.Errorf("users[%d] is null", i)
		}
		var u string
		if err := json.Unmarshal(item, &u); err != nil {
			return fmt.Errorf("users[%d] must be a string", i)
		}
		users = append(users, u)
		return nil
	})
	switch {
	case errors.Is(err, errNotArray):
		return nil, errors.New("users must be an array of strings")
	case errors.Is(err, errTooMany):
		return nil, fmt.Errorf("users has more than %d entries (an account has at most %d RAM users)", MaxUsers, MaxUsers)
	case err != nil:
		return nil, err
	case n == 0:
		return nil, errors.New("users must not be empty")
	}
	u, err := alibaba.ParseUsers(users)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return u, nil
}

// decodeAccounts decodes the accounts override: a non-empty array of at most MaxAccounts account IDs
// (16 digits); a repeated ID counts once.
func decodeAccounts(raw json.RawMessage) ([]string, error) {
	var ids []string
	n, err := eachItem(raw, MaxAccounts, func(i int, item json.RawMessage) error {
		var id string
		if string(item) == "null" || json.Unmarshal(item, &id) != nil {
			return fmt.Errorf("accounts[%d] must be an account ID (a string of 16 digits)", i)
		}
		if !alibaba.ValidAccountID(id) {
			return fmt.Errorf("accounts[%d] %s is not an account ID (16 digits)", i, excerpt.Quote(id))
		}
		ids = append(ids, id)
		return nil
	})
	switch {
	case errors.Is(err, errNotArray):
		return nil, errors.New("accounts must be an array of account IDs")
	case errors.Is(err, errTooMany):
		return nil, fmt.Errorf("accounts has more than %d entries", MaxAccounts)
	case err != nil:
		return nil, err
	case n == 0:
		return nil, errors.New("accounts must not be empty")
	}
	return alibaba.ParseAccounts(ids)
}

var (
	errNotArray = errors.New("not an array")
	errTooMany  = errors.New("too many items")
)

// eachItem calls item for each element of the JSON array raw, in order, and returns how many there
// are. It stops at the first error of item, and with errTooMany before it decodes a (max+1)th element,
// so that a long array is never held whole; errNotArray when raw is not an array.
func eachItem(raw json.RawMessage, max int, item func(i int, v json.RawMessage) error) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return 0, errNotArray
	}
	n := 0
	for ; dec.More(); n++ {
		if n == max {
			return n, errTooMany
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return n, errNotArray
		}
		if err := item(n, v); err != nil {
			return n, err
		}
	}
	return n, nil
}

func decodeThreshold(raw json.RawMessage) (time.Duration, error) {
	var n float64
	if err := json.Unmarshal(raw, &n); err == nil {
		return alert.ThresholdFromDays(n)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, errors.New("must be a number of days or a string like \"7d\" or \"36h\"")
	}
	return alert.ParseThreshold(s)
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// jsonProblem describes a decoding error in words that name the field or position.
func jsonProblem(err error, what string) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %s: wrong type %s", typ.Field, typ.Value)
		}
		return fmt.Sprintf("%s must be a JSON object, not %s", what, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "malformed JSON: unexpected end of input"
	}
	return "malformed JSON: " + err.Error()
}

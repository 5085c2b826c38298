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
	"github.com/akrecycle/ak-recycle-alert/config"
)

// Event is a decoded invocation event (contract section 5).
type Event struct {
	// Timer is true for a timer trigger's event.
	Timer bool
	// TriggerTime is the timer event's triggerTime.
	TriggerTime time.Time
	// TriggerName is the timer event's triggerName.
	TriggerName string
	// Overrides apply to this run only.
	Overrides Overrides
}

// Overrides are the fields of a manual event, or of a timer event's payload. A nil or empty field is not
// overridden.
type Overrides struct {
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
}

// overrideFields are the fields of an object of overrides, matched exactly (JSON decoding into a struct
// would also take "DRYRUN" or "Users").
var overrideFields = map[string]bool{"users": true, "thresholds": true, "mode": true, "dryRun": true, "now": true}

// DecodeEvent decodes an invocation body: a timer event (a JSON object with triggerTime) or a manual
// invocation's overrides. Its errors name the field that is wrong.
func DecodeEvent(body []byte) (Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return Event{}, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return Event{}, fmt.Errorf("event: %s", jsonProblem(err, "the event"))
	}
	if top == nil {
		return Event{}, nil
	}
	if _, ok := top["triggerTime"]; ok {
		return decodeTimer(top)
	}
	o, err := decodeOverrides(body, true)
	if err != nil {
		return Event{}, fmt.Errorf("event: %w", err)
	}
	return Event{Overrides: o}, nil
}

func decodeTimer(top map[string]json.RawMessage) (Event, error) {
	var ev Event
	ev.Timer = true
	var tt string
	if err := json.Unmarshal(top["triggerTime"], &tt); err != nil {
		return ev, errors.New("timer event: triggerTime must be an RFC 3339 string")
	}
	t, err := time.Parse(time.RFC3339, tt)
	if err != nil {
		return ev, fmt.Errorf("timer event: triggerTime %q is not an RFC 3339 time", tt)
	}
	ev.TriggerTime = t
	if raw, ok := top["triggerName"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &ev.TriggerName); err != nil {
			return ev, errors.New("timer event: triggerName must be a string")
		}
	}
	raw, ok := top["payload"]
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

// decodeOverrides decodes an object of overrides; now is allowed only in a manual event.
func decodeOverrides(body []byte, allowNow bool) (Overrides, error) {
	var o Overrides
	if s := bytes.TrimSpace(body); len(s) == 0 || s[0] != '{' {
		if json.Valid(s) {
			return o, errors.New("must be a JSON object of overrides (users, thresholds, mode, dryRun, now)")
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return o, errors.New(jsonProblem(err, "overrides"))
	}
	var unknown []string
	for name := range fields {
		if !overrideFields[name] {
			unknown = append(unknown, fmt.Sprintf("%q", name))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return o, fmt.Errorf("unknown field %s (allowed: users, thresholds, mode, dryRun, now)", strings.Join(unknown, ", "))
	}
	if raw := fields["users"]; present(raw) {
		var users []string
		if err := json.Unmarshal(raw, &users); err != nil {
			return o, errors.New("users must be an array of strings")
		}
		if len(users) == 0 {
			return o, errors.New("users must not be empty")
		}
		u, err := config.ParseUsers(users)
		if err != nil {
			return o, fmt.Errorf("users: %w", err)
		}
		o.Users = u
	}
	if raw := fields["thresholds"]; present(raw) {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return o, errors.New("thresholds must be an array of numbers (days) or strings like \"36h\"")
		}
		if len(items) == 0 {
			return o, errors.New("thresholds must not be empty")
		}
		var thresholds []time.Duration
		for i, item := range items {
			d, err := decodeThreshold(item)
			if err != nil {
				return o, fmt.Errorf("thresholds[%d]: %w", i, err)
			}
			thresholds = append(thresholds, d)
		}
		o.Thresholds = alert.Normalize(thresholds)
	}
	if raw := fields["mode"]; present(raw) {
		var m string
		if err := json.Unmarshal(raw, &m); err != nil {
			return o, errors.New("mode must be a string: crossing or digest")
		}
		mode, err := config.ParseMode(m)
		if err != nil {
			return o, fmt.Errorf("mode: %w", err)
		}
		o.Mode = mode
	}
	if raw := fields["dryRun"]; present(raw) {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return o, errors.New("dryRun must be true or false")
		}
		o.DryRun = &b
	}
	if raw := fields["now"]; present(raw) {
		if !allowNow {
			return o, errors.New("now is not allowed in a timer trigger's payload: the trigger time is the run's time")
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return o, errors.New("now must be an RFC 3339 string")
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return o, fmt.Errorf("now %q is not an RFC 3339 time (2026-11-30T09:00:00Z)", s)
		}
		o.Now = &t
	}
	return o, nil
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
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") +
			" (allowed: users, thresholds, mode, dryRun, now)"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "malformed JSON: unexpected end of input"
	}
	return "malformed JSON: " + err.Error()
}

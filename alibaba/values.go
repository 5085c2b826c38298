package alibaba

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// Every value of an API answer is checked before it is used: an answer with a value no real answer has
// (markup in a user name, a date past the year 9999) makes that user's read an InvalidResponse, so that
// what reaches a message, a log line or a result is only what the API can really say.
var (
	// accessKeyIDRE is an AccessKey ID: letters and digits (LTAI…).
	accessKeyIDRE = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)
	// markerRE is a ListUsers Marker, which goes back to the API as a parameter: opaque, printable.
	markerRE = regexp.MustCompile(`^[\x21-\x7e]+$`)
)

// maxMarker is the longest ListUsers Marker taken.
const maxMarker = 4096

func validMarker(s string) bool { return len(s) <= maxMarker && markerRE.MatchString(s) }

// field is one value of an answer, as decoded: a string, or why it is not one.
type field struct {
	name  string // its path in the answer: User.UserName
	value string
	err   error
}

// stringField decodes raw, a value of the answer at path name, as a string; null or absent is "".
func stringField(name string, raw json.RawMessage) field {
	f := field{name: name}
	if len(raw) == 0 || string(raw) == "null" {
		return f
	}
	if err := json.Unmarshal(raw, &f.value); err != nil {
		f.err = fmt.Errorf("%s is not a string", name)
	}
	return f
}

// check returns why the field is not a valid value (valid says; want says what one looks like), or nil.
// A value that holds one of the caller's credentials is refused, and never quoted.
func (sc *scrubber) check(f field, valid func(string) bool, want string) error {
	switch {
	case f.err != nil:
		return f.err
	case f.value == "":
		return fmt.Errorf("%s is missing", f.name)
	case sc.holds(f.value):
		return fmt.Errorf("%s holds one of the function's credentials", f.name)
	case !valid(f.value):
		return fmt.Errorf("%s %s is not %s", f.name, excerpt.Quote(f.value), want)
	}
	return nil
}

// What valid values look like, for error messages.
const (
	wantAccessKeyID   = "an AccessKey ID (letters and digits)"
	wantUserID        = "a RAM user ID (digits)"
	wantUserName      = "a RAM user name (1-64 letters, digits, . _ -)"
	wantPrincipalName = "a user principal name (name@domain, at most 128 characters)"
)

// date parses a date of an answer: RFC 3339 within the years alert.FirstYear to alert.LastYear, in
// UTC. An empty one is the zero time, an error when required.
func (sc *scrubber) date(f field, required bool) (time.Time, error) {
	if f.err == nil && f.value == "" && !required {
		return time.Time{}, nil
	}
	if err := sc.check(f, func(string) bool { return true }, ""); err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, f.value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %s is not an RFC 3339 date", f.name, excerpt.Quote(f.value))
	}
	if !alert.InYears(t) {
		return time.Time{}, fmt.Errorf("%s %s is outside the years %d-%d", f.name, excerpt.Quote(f.value), alert.FirstYear, alert.LastYear)
	}
	return t.UTC(), nil
}

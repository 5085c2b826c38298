package restore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// Target is what a Restore button restores: an AccessKey of a RAM user or, when AccessKeyID is empty,
// the RAM user itself, in one account, named by the alert that showed it.
type Target struct {
	// AccountID is the Alibaba Cloud account: 1 to 32 digits.
	AccountID string
	// UserID is the RAM user's ID: 1 to 32 digits.
	UserID string
	// AccessKeyID is the AccessKey (1 to 128 letters and digits); empty for a user alert's button.
	AccessKeyID string
	// AlertID is the alert's id: alrt_ and 32 lower-case hex digits.
	AlertID string
}

// IsUser reports whether t restores a RAM user rather than an AccessKey.
func (t Target) IsUser() bool { return t.AccessKeyID == "" }

// item names what t restores within its account: the AccessKey ID, or "user:" and the user ID.
func (t Target) item() string {
	if t.IsUser() {
		return "user:" + t.UserID
	}
	return t.AccessKeyID
}

// Check says which of t's fields is not what its kind of ID looks like.
func (t Target) Check() error {
	switch {
	case !digits(t.AccountID, 32):
		return errors.New("the account ID is not 1 to 32 digits")
	case !digits(t.UserID, 32):
		return errors.New("the user ID is not 1 to 32 digits")
	case t.AccessKeyID != "" && !validAccessKeyID(t.AccessKeyID):
		return errors.New("the AccessKey ID is not 1 to 128 letters and digits")
	case !validAlertID(t.AlertID):
		return errors.New("the alert id is not alrt_ followed by 32 lower-case hex digits")
	}
	return nil
}

// The button value's format, version 1:
//
//	v1.<account ID>.<user ID>.<AccessKey ID or nothing>.<alert id>.<MAC>
//
// where MAC is the unpadded base64url of an HMAC-SHA256, keyed with RESTORE_TOKEN_SECRET, over the
// version and the four fields, each prefixed with its length. No field can hold a ".", so the value
// splits one way only; it is at most about 290 bytes, far below Slack's 2,000 characters for a button
// value (button element, https://docs.slack.dev/reference/block-kit/block-elements/button-element).
const (
	valueVersion = "v1"
	macDomain    = "ak-recycle-alert/restore-button/v1"
	macLen       = 43 // base64url characters of 32 bytes, unpadded
	// MaxValueLen is the longest button value Verify reads: Slack's limit for a button value.
	MaxValueLen = 2000
)

// Signer signs and verifies Restore button values with RESTORE_TOKEN_SECRET. It never shows its key:
// printed or logged it is "[redacted]".
type Signer struct {
	key []byte
}

// NewSigner returns the Signer keyed with secret, RESTORE_TOKEN_SECRET (at least 32 printable ASCII
// characters). The error never holds the secret.
func NewSigner(secret string) (*Signer, error) {
	if err := checkSecret(secret, minSecretLen); err != nil {
		return nil, fmt.Errorf("restore token secret: %w", err)
	}
	return &Signer{key: []byte(secret)}, nil
}

// String hides the key.
func (s *Signer) String() string { return "[redacted]" }

// GoString hides the key from %#v.
func (s *Signer) GoString() string { return "[redacted]" }

// LogValue hides the key from slog.
func (s *Signer) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Sign returns the button value for t.
func (s *Signer) Sign(t Target) (string, error) {
	if err := t.Check(); err != nil {
		return "", fmt.Errorf("signing a restore button: %w", err)
	}
	return strings.Join([]string{valueVersion, t.AccountID, t.UserID, t.AccessKeyID, t.AlertID,
		base64.RawURLEncoding.EncodeToString(s.mac(t))}, "."), nil
}

// Verify parses a button value strictly (the version, each field by its character set, the MAC's
// length and encoding) and checks its MAC in constant time. It returns the Target only when every
// check passes; the error says which failed, without quoting the value.
func (s *Signer) Verify(value string) (Target, error) {
	if len(value) > MaxValueLen {
		return Target{}, fmt.Errorf("the button value is longer than %d bytes", MaxValueLen)
	}
	parts := strings.Split(value, ".")
	if len(parts) != 6 {
		return Target{}, errors.New("the button value does not have the six parts of a v1 value")
	}
	if parts[0] != valueVersion {
		return Target{}, errors.New("the button value is not version v1")
	}
	t := Target{AccountID: parts[1], UserID: parts[2], AccessKeyID: parts[3], AlertID: parts[4]}
	if err := t.Check(); err != nil {
		return Target{}, fmt.Errorf("the button value is malformed: %w", err)
	}
	if len(parts[5]) != macLen {
		return Target{}, errors.New("the button value's MAC has the wrong length")
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(parts[5])
	if err != nil {
		return Target{}, errors.New("the button value's MAC is not base64url")
	}
	if !hmac.Equal(mac, s.mac(t)) {
		return Target{}, errors.New("the button value's MAC does not match: not signed with RESTORE_TOKEN_SECRET")
	}
	return t, nil
}

// mac is the HMAC-SHA256 of t's fields, each prefixed with its length so that no two targets share
// an input.
func (s *Signer) mac(t Target) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, f := range []string{macDomain, t.AccountID, t.UserID, t.AccessKeyID, t.AlertID} {
		m.Write([]byte(strconv.Itoa(len(f)) + ":" + f + ";"))
	}
	return m.Sum(nil)
}

// digits reports whether s is 1 to max decimal digits.
func digits(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// validAccessKeyID reports whether s is 1 to 128 ASCII letters and digits (LTAI…).
func validAccessKeyID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// validAlertID reports whether s is an alert id: alrt_ and 32 lower-case hex digits.
func validAlertID(s string) bool {
	hex, ok := strings.CutPrefix(s, "alrt_")
	if !ok || len(hex) != 32 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if !isDigit(hex[i]) && !(hex[i] >= 'a' && hex[i] <= 'f') {
			return false
		}
	}
	return true
}

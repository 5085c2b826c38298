package restore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Slack signs each request it sends with the app's signing secret ("Verifying requests from Slack",
// https://api.slack.com/docs/verifying-requests-from-slack): X-Slack-Signature is "v0=" and the
// lower-case hex HMAC-SHA256, keyed with the secret, of "v0:" + X-Slack-Request-Timestamp + ":" + the raw
// body, and a request whose timestamp is more than five minutes away from the clock is refused, so that
// a recorded request cannot be replayed later.
const (
	// HeaderSignature is the header that carries Slack's signature.
	HeaderSignature = "X-Slack-Signature"
	// HeaderTimestamp is the header that carries the Unix time Slack signed the request at.
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	// MaxClockSkew is how far a request's timestamp may be from the clock, in either direction.
	MaxClockSkew = 5 * time.Minute
)

// Why VerifySlackRequest refuses a request; each is an answer 401.
var (
	errNoSignature  = errors.New("no X-Slack-Signature or X-Slack-Request-Timestamp header")
	errTimestamp    = errors.New("X-Slack-Request-Timestamp is not a Unix time in seconds")
	errBadSignature = errors.New("X-Slack-Signature does not match the body")
)

// SlackSignature returns the X-Slack-Signature of body sent at timestamp (Unix seconds, as sent in
// X-Slack-Request-Timestamp), signed with secret.
func SlackSignature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySlackRequest checks that body, the raw bytes as received, was signed by Slack with secret: each
// header present exactly once, the timestamp within MaxClockSkew of now, the signature equal (compared in
// constant time). The error says which check failed and never holds the secret or the signature.
func VerifySlackRequest(secret string, h http.Header, body []byte, now time.Time) error {
	sigs, stamps := h.Values(HeaderSignature), h.Values(HeaderTimestamp)
	if len(sigs) != 1 || len(stamps) != 1 || sigs[0] == "" || stamps[0] == "" {
		return errNoSignature
	}
	ts := stamps[0]
	sec, err := parseUnix(ts)
	if err != nil {
		return err
	}
	skew := now.Sub(time.Unix(sec, 0))
	if skew > MaxClockSkew || skew < -MaxClockSkew {
		return fmt.Errorf("X-Slack-Request-Timestamp is %s away from the clock, more than %s: an old or replayed request, or a wrong clock",
			skew.Abs().Round(time.Second), MaxClockSkew)
	}
	want := SlackSignature(secret, ts, body)
	if !hmac.Equal([]byte(sigs[0]), []byte(want)) {
		return errBadSignature
	}
	return nil
}

// parseUnix parses a Unix time in seconds: 1 to 12 decimal digits, nothing else.
func parseUnix(s string) (int64, error) {
	if len(s) == 0 || len(s) > 12 {
		return 0, errTimestamp
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, errTimestamp
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errTimestamp
	}
	return n, nil
}

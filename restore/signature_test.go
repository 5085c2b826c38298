package restore

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Slack's published example ("Verifying requests from Slack",
// https://api.slack.com/docs/verifying-requests-from-slack): a slash-command body, signed the same way
// as an interaction.
const (
	exampleSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	exampleTimestamp = "1531420618"
	exampleBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	exampleSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSlackSignatureExample(t *testing.T) {
	if got := SlackSignature(exampleSecret, exampleTimestamp, []byte(exampleBody)); got != exampleSignature {
		t.Errorf("SlackSignature(example) = %s, want %s", got, exampleSignature)
	}
}

func TestVerifySlackRequest(t *testing.T) {
	signedAt := time.Unix(1531420618, 0)
	header := func(sig, ts string) http.Header {
		h := http.Header{}
		if sig != "" {
			h.Set(HeaderSignature, sig)
		}
		if ts != "" {
			h.Set(HeaderTimestamp, ts)
		}
		return h
	}
	tests := []struct {
		name    string
		secret  string
		header  http.Header
		body    string
		now     time.Time
		wantErr string // "" for a valid request
	}{
		{name: "the example", header: header(exampleSignature, exampleTimestamp), now: signedAt},
		{name: "5 minutes later", header: header(exampleSignature, exampleTimestamp), now: signedAt.Add(5 * time.Minute)},
		{name: "5 minutes earlier", header: header(exampleSignature, exampleTimestamp), now: signedAt.Add(-5 * time.Minute)},
		{name: "lowercase header names", header: http.Header{"X-Slack-Signature": {exampleSignature}, "X-Slack-Request-Timestamp": {exampleTimestamp}}, now: signedAt},
		{name: "5 minutes and 1 second later", header: header(exampleSignature, exampleTimestamp), now: signedAt.Add(5*time.Minute + time.Second), wantErr: "away from the clock"},
		{name: "an hour earlier", header: header(exampleSignature, exampleTimestamp), now: signedAt.Add(-time.Hour), wantErr: "away from the clock"},
		{name: "the secret copied without its last character", secret: exampleSecret[:len(exampleSecret)-1], header: header(exampleSignature, exampleTimestamp), now: signedAt, wantErr: "does not match"},
		{name: "one byte of the body changed", header: header(exampleSignature, exampleTimestamp), body: strings.Replace(exampleBody, "roadrunner", "roadrunneR", 1), now: signedAt, wantErr: "does not match"},
		{name: "a byte added to the body", header: header(exampleSignature, exampleTimestamp), body: exampleBody + "&", now: signedAt, wantErr: "does not match"},
		{name: "another timestamp", header: header(exampleSignature, "1531420619"), now: signedAt, wantErr: "does not match"},
		{name: "upper-case hex", header: header("v0="+strings.ToUpper(exampleSignature[3:]), exampleTimestamp), now: signedAt, wantErr: "does not match"},
		{name: "another version", header: header("v1="+exampleSignature[3:], exampleTimestamp), now: signedAt, wantErr: "does not match"},
		{name: "a truncated signature", header: header(exampleSignature[:20], exampleTimestamp), now: signedAt, wantErr: "does not match"},
		{name: "no signature", header: header("", exampleTimestamp), now: signedAt, wantErr: "no X-Slack-Signature"},
		{name: "no timestamp", header: header(exampleSignature, ""), now: signedAt, wantErr: "no X-Slack-Signature"},
		{name: "two signatures", header: http.Header{HeaderSignature: {exampleSignature, exampleSignature}, HeaderTimestamp: {exampleTimestamp}}, now: signedAt, wantErr: "no X-Slack-Signature"},
		{name: "a signed timestamp", header: header(exampleSignature, "+1531420618"), now: signedAt, wantErr: "not a Unix time"},
		{name: "a fractional timestamp", header: header(exampleSignature, "1531420618.0"), now: signedAt, wantErr: "not a Unix time"},
		{name: "a huge timestamp", header: header(exampleSignature, "99999999999999999999"), now: signedAt, wantErr: "not a Unix time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, body := tt.secret, tt.body
			if secret == "" {
				secret = exampleSecret
			}
			if body == "" {
				body = exampleBody
			}
			err := VerifySlackRequest(secret, tt.header, []byte(body), tt.now)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("VerifySlackRequest = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("VerifySlackRequest = %v, want an error containing %q", err, tt.wantErr)
			case err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), exampleSignature[3:])):
				t.Fatalf("VerifySlackRequest = %v: holds the secret or the signature", err)
			}
		})
	}
}

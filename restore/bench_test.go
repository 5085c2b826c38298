package restore

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// BenchmarkVerifyParseClick is the CPU a click costs before the first API call: the signature over the
// raw body, the payload's decoding and the button value's MAC (the fixture: a message of 6 blocks).
func BenchmarkVerifyParseClick(b *testing.B) {
	_, body := fixtureBody(b)
	at := time.Unix(1764493932, 0)
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, SlackSignature(testSigningSecret, ts, body))
	s, err := NewSigner(testTokenSecret)
	if err != nil {
		b.Fatal(err)
	}
	value, _ := s.Sign(keyTarget)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifySlackRequest(testSigningSecret, h, body, at); err != nil {
			b.Fatal(err)
		}
		if _, err := ParseClick(body); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Verify(value); err != nil {
			b.Fatal(err)
		}
	}
}

package restore

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	keyTarget  = Target{AccountID: "1234567890123456", UserID: "20732900249392001", AccessKeyID: "LTAI5tExampleKey1", AlertID: "alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f"}
	userTarget = Target{AccountID: "1234567890123456", UserID: "20732900249392001", AlertID: "alrt_1c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f"}
)

func testSigner(t testing.TB) *Signer {
	t.Helper()
	s, err := NewSigner(testTokenSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s := testSigner(t)
	longest := Target{AccountID: strings.Repeat("9", 32), UserID: strings.Repeat("8", 32), AccessKeyID: strings.Repeat("Z", 128), AlertID: "alrt_" + strings.Repeat("f", 32)}
	for _, target := range []Target{keyTarget, userTarget, longest} {
		v, err := s.Sign(target)
		if err != nil {
			t.Fatalf("Sign(%+v) = %v", target, err)
		}
		if !strings.HasPrefix(v, "v1.") || len(v) > MaxValueLen {
			t.Errorf("Sign(%+v) = %q: want a v1 value of at most %d bytes", target, v, MaxValueLen)
		}
		got, err := s.Verify(v)
		if err != nil {
			t.Fatalf("Verify(Sign(%+v)) = %v", target, err)
		}
		if diff := cmp.Diff(target, got); diff != "" {
			t.Errorf("Verify(Sign(t)) differs from t (-want +got):\n%s", diff)
		}
	}
	if v, _ := s.Sign(longest); len(v) > 300 {
		t.Errorf("the longest value is %d bytes, want at most 300", len(v))
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := testSigner(t)
	other, err := NewSigner(strings.Repeat("x", 40))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := s.Sign(keyTarget)
	user, _ := s.Sign(userTarget)
	foreign, _ := other.Sign(keyTarget)
	parts := strings.Split(key, ".")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, ".")
	}
	flipped := []byte(parts[5])
	flipped[0] ^= 1
	// The last of the 43 base64url characters of 32 bytes carries 4 bits of data and 2 of padding: with
	// its lowest bit flipped it decodes to the same bytes, unless the decoder is strict.
	last := parts[5][len(parts[5])-1]
	loose := parts[5][:len(parts[5])-1] + string(looseTwin(last))

	tests := []struct {
		name, value, wantErr string
	}{
		{"signed with another secret", foreign, "does not match"},
		{"another account", with(1, "1234567890123457"), "does not match"},
		{"another user", with(2, "20732900249392002"), "does not match"},
		{"another AccessKey", with(3, "LTAI5tExampleKey2"), "does not match"},
		{"the AccessKey removed: a key's button made a user's", with(3, ""), "does not match"},
		{"an AccessKey added to a user's button", strings.Replace(user, "20732900249392001..", "20732900249392001.LTAI5tExampleKey1.", 1), "does not match"},
		{"another alert", with(4, "alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e80"), "does not match"},
		{"a MAC bit flipped", with(5, string(flipped)), "does not match"},
		{"a non-canonical MAC", with(5, loose), "not base64url"},
		{"a MAC too short", with(5, parts[5][:42]), "wrong length"},
		{"a MAC padded", with(5, parts[5]+"="), "wrong length"},
		{"a standard-base64 MAC", with(5, strings.Repeat("+", 43)), "not base64url"},
		{"version v2", with(0, "v2"), "not version v1"},
		{"no version", strings.TrimPrefix(key, "v1."), "six parts"},
		{"a seventh part", key + ".x", "six parts"},
		{"empty", "", "six parts"},
		{"a letter in the account", with(1, "12345678901234a6"), "account ID"},
		{"an empty account", with(1, ""), "account ID"},
		{"a 33-digit account", with(1, strings.Repeat("1", 33)), "account ID"},
		{"a user name for a user ID", with(2, "alice"), "user ID"},
		{"markup in the AccessKey", with(3, "LTAI<!channel>"), "AccessKey ID"},
		{"a hyphen in the AccessKey", with(3, "LTAI-5t"), "AccessKey ID"},
		{"an upper-case alert id", with(4, "alrt_0C5D9C6A1F0E4B7E8A2D3F4B5C6D7E8F"), "alert id"},
		{"a short alert id", with(4, "alrt_0c5d"), "alert id"},
		{"a space", " " + key, "not version v1"},
		{"over 2000 bytes", key + strings.Repeat(".", 2000), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Verify(tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Verify = %+v, %v; want an error containing %q", got, err, tt.wantErr)
			}
			if got != (Target{}) {
				t.Errorf("Verify returned %+v with its error, want the zero Target", got)
			}
		})
	}
}

// looseTwin returns the base64url character that differs from c in its lowest bit only.
func looseTwin(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return alphabet[i^1]
}

func TestSignRefusesInvalidTargets(t *testing.T) {
	s := testSigner(t)
	for _, target := range []Target{
		{AccountID: "", UserID: "1", AlertID: keyTarget.AlertID},
		{AccountID: "1", UserID: "u1", AlertID: keyTarget.AlertID},
		{AccountID: "1", UserID: "1", AccessKeyID: "LTAI.x", AlertID: keyTarget.AlertID},
		{AccountID: "1", UserID: "1", AlertID: "alrt_x"},
	} {
		if v, err := s.Sign(target); err == nil {
			t.Errorf("Sign(%+v) = %q, want an error", target, v)
		}
	}
}

func TestNewSignerChecksTheSecret(t *testing.T) {
	for _, secret := range []string{"", "short", strings.Repeat("a", 31), strings.Repeat("a", 31) + " ", strings.Repeat("é", 20)} {
		if _, err := NewSigner(secret); err == nil {
			t.Errorf("NewSigner(%q) = nil error, want one", secret)
		} else if secret != "" && strings.Contains(err.Error(), secret) {
			t.Errorf("NewSigner error %q holds the secret", err)
		}
	}
}

func TestSignerHidesItsKey(t *testing.T) {
	s := testSigner(t)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "signer", s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), logs.String()} {
		if strings.Contains(out, testTokenSecret) {
			t.Errorf("printing the Signer shows its key: %s", out)
		}
	}
}

func FuzzVerify(f *testing.F) {
	s := testSigner(f)
	key, _ := s.Sign(keyTarget)
	user, _ := s.Sign(userTarget)
	for _, seed := range []string{key, user, "", "v1.....", "v1.1.1..alrt_00000000000000000000000000000000.AAAA", key[:len(key)-1] + "A"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		target, err := s.Verify(value)
		if err != nil {
			return
		}
		// Only a value this Signer produced verifies, and it is the canonical value of its target.
		again, err := s.Sign(target)
		if err != nil || again != value {
			t.Fatalf("Verify(%q) = %+v, but Sign of it = %q, %v", value, target, again, err)
		}
	})
}

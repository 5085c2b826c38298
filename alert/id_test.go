package alert

import (
	"regexp"
	"testing"
	"time"
)

var (
	alertIDPattern   = regexp.MustCompile(`^alrt_[0-9a-f]{32}$`)
	messageIDPattern = regexp.MustCompile(`^msg_[0-9a-f]{32}$`)
)

func intPtr(n int) *int { return &n }

func TestIDStable(t *testing.T) {
	del := time.Date(2026, 12, 4, 8, 12, 0, 0, time.UTC)
	w := Window{From: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	got := alertID("1234567890123456", Expiring, "LTAI5tExampleKey1", del, intPtr(72), w)
	if !alertIDPattern.MatchString(got) {
		t.Fatalf("alertID(...) = %q, want alrt_ and 32 hex digits", got)
	}
	// The same alert in another run (another window), at another zone's rendering of the same instant.
	other := Window{From: w.To, To: w.To.Add(24 * time.Hour)}
	shanghai := time.FixedZone("CST", 8*3600)
	if again := alertID("1234567890123456", Expiring, "LTAI5tExampleKey1", del.In(shanghai), intPtr(72), other); again != got {
		t.Errorf("ID of the same expiring alert in another run = %q, want %q", again, got)
	}
	// A pinned value: changing the hash input breaks receivers' de-duplication across a deploy.
	if want := "alrt_a8caeb14fa374540f5b697d2321422ec"; got != want {
		t.Errorf("alertID(...) = %q, want %q (pinned)", got, want)
	}
}

func TestIDDistinct(t *testing.T) {
	del := time.Date(2026, 12, 4, 8, 12, 0, 0, time.UTC)
	w := Window{From: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	w2 := Window{From: w.To, To: w.To.Add(24 * time.Hour)}
	tests := []struct {
		name string
		id   string
	}{
		{"base", alertID("1", Expiring, "LTAI1", del, intPtr(72), w)},
		{"account", alertID("2", Expiring, "LTAI1", del, intPtr(72), w)},
		{"event", alertID("1", Recycled, "LTAI1", del, nil, w)},
		{"key", alertID("1", Expiring, "LTAI2", del, intPtr(72), w)},
		{"delete date", alertID("1", Expiring, "LTAI1", del.Add(time.Second), intPtr(72), w)},
		{"threshold", alertID("1", Expiring, "LTAI1", del, intPtr(24), w)},
		{"threshold zero", alertID("1", Expiring, "LTAI1", del, intPtr(0), w)},
		{"no threshold", alertID("1", Expiring, "LTAI1", del, nil, w)},
		{"digest", alertID("1", Digest, "LTAI1", del, nil, w)},
		{"digest other window", alertID("1", Digest, "LTAI1", del, nil, w2)},
		{"field boundary a", alertID("1L", Expiring, "TAI1", del, intPtr(72), w)},
		{"field boundary b", alertID("", Expiring, "1LTAI1", del, intPtr(72), w)},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		if !alertIDPattern.MatchString(tt.id) {
			t.Errorf("%s: ID = %q, want alrt_ and 32 hex digits", tt.name, tt.id)
		}
		if prev, ok := seen[tt.id]; ok {
			t.Errorf("%s: ID = %q, the same as %s", tt.name, tt.id, prev)
		}
		seen[tt.id] = tt.name
	}
}

func TestMessageID(t *testing.T) {
	w := Window{From: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	ids := []string{"alrt_b", "alrt_a", "alrt_c"}
	base := MessageID("1", ModeCrossing, w, nil, ids, "")
	if !messageIDPattern.MatchString(base) {
		t.Fatalf("MessageID(...) = %q, want msg_ and 32 hex digits", base)
	}
	if got := MessageID("1", ModeCrossing, w, nil, []string{"alrt_c", "alrt_a", "alrt_b"}, ""); got != base {
		t.Errorf("MessageID with the ids in another order = %q, want %q", got, base)
	}
	// A run of its own account alone keeps the id it had before runs read several accounts; the
	// accounts read are one set, in any order.
	if got := MessageID("1", ModeCrossing, w, []string{"1"}, ids, ""); got != base {
		t.Errorf("MessageID of the own account alone = %q, want %q", got, base)
	}
	if a, b := MessageID("1", ModeCrossing, w, []string{"2", "1"}, ids, ""), MessageID("1", ModeCrossing, w, []string{"1", "2"}, ids, ""); a != b {
		t.Errorf("MessageID with the accounts in another order = %q, want %q", a, b)
	}
	if ids[0] != "alrt_b" {
		t.Errorf("MessageID sorted its argument: ids = %q", ids)
	}
	tests := []struct {
		name string
		id   string
	}{
		{"account", MessageID("2", ModeCrossing, w, nil, ids, "")},
		{"mode", MessageID("1", ModeDigest, w, nil, ids, "")},
		{"window", MessageID("1", ModeCrossing, Window{From: w.From, To: w.To.Add(time.Second)}, nil, ids, "")},
		{"fewer ids", MessageID("1", ModeCrossing, w, nil, ids[:2], "")},
		{"no ids", MessageID("1", ModeCrossing, w, nil, nil, "")},
		{"request id", MessageID("1", ModeCrossing, w, nil, ids, "req-1")},
		{"request id as an alert id", MessageID("1", ModeCrossing, w, nil, append(ids[:3:3], "req-1"), "")},
		{"accounts read", MessageID("1", ModeCrossing, w, []string{"1", "2"}, ids, "")},
		{"other accounts read", MessageID("1", ModeCrossing, w, []string{"1", "3"}, ids, "")},
		{"another account alone", MessageID("1", ModeCrossing, w, []string{"2"}, ids, "")},
	}
	seen := map[string]string{base: "base"}
	for _, tt := range tests {
		if prev, ok := seen[tt.id]; ok {
			t.Errorf("%s: MessageID = %q, the same as %s", tt.name, tt.id, prev)
		}
		seen[tt.id] = tt.name
	}
}

package handler

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestDecodeEvent(t *testing.T) {
	day := 24 * time.Hour
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		body string
		want event
	}{
		{"empty body", "", event{}},
		{"null", "null", event{}},
		{"empty object", " {} ", event{}},
		{"timer", `{"triggerTime":"2026-11-30T09:00:00Z","triggerName":"daily","payload":""}`,
			event{Timer: true, TriggerTime: now, TriggerName: "daily"}},
		{"timer without payload, extra fields ignored", `{"triggerTime":"2026-11-30T09:00:00Z","triggerName":"daily","region":"cn-hangzhou"}`,
			event{Timer: true, TriggerTime: now, TriggerName: "daily"}},
		{"timer null payload", `{"triggerTime":"2026-11-30T09:00:00Z","payload":null}`, event{Timer: true, TriggerTime: now}},
		{"timer digest payload", `{"triggerTime":"2026-11-30T09:00:00Z","triggerName":"weekly","payload":"{\"mode\":\"digest\"}"}`,
			event{Timer: true, TriggerTime: now, TriggerName: "weekly", Overrides: overrides{Mode: "digest"}}},
		{"manual overrides", `{"users":["alice","2073290024939201"],"thresholds":[7,"36h","1d",7],"mode":"digest","dryRun":true,"now":"2026-11-30T09:00:00Z"}`,
			event{Overrides: overrides{Users: []string{"alice", "2073290024939201"}, Thresholds: []time.Duration{day, 36 * time.Hour, 7 * day},
				Mode: "digest", DryRun: ptr(true), Now: &now}}},
		{"manual star", `{"users":["*"]}`, event{Overrides: overrides{Users: []string{"*"}}}},
		{"manual threshold zero", `{"thresholds":[0]}`, event{Overrides: overrides{Thresholds: []time.Duration{0}}}},
		{"manual accounts, one repeated", `{"accounts":["1000000000000002","1000000000000001","1000000000000002"]}`,
			event{Overrides: overrides{Accounts: []string{"1000000000000002", "1000000000000001"}}}},
		{"timer accounts payload", `{"triggerTime":"2026-11-30T09:00:00Z","triggerName":"shard-2","payload":"{\"accounts\":[\"1000000000000001\"]}"}`,
			event{Timer: true, TriggerTime: now, TriggerName: "shard-2", Overrides: overrides{Accounts: []string{"1000000000000001"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEvent([]byte(tt.body))
			if err != nil {
				t.Fatalf("decodeEvent(%s) = %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decodeEvent(%s) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestDecodeEventErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"malformed", `{"users":["alice"]`, "malformed JSON"},
		{"garbage", `users=alice`, "malformed JSON"},
		{"array", `[1,2]`, "must be a JSON object"},
		{"string", `"hello"`, "must be a JSON object"},
		{"unknown field", `{"user":["alice"]}`, `unknown field "user" (allowed: users, thresholds, mode, dryRun, now, accounts)`},
		{"fields match exactly", `{"DRYRUN":true,"Users":["bob"]}`, `unknown field "DRYRUN", "Users"`},
		{"users wrong type", `{"users":"alice"}`, "users must be an array of strings"},
		{"users empty", `{"users":[]}`, "users must not be empty"},
		{"users bad entry", `{"users":["a b"]}`, `users: entry "a b"`},
		{"thresholds empty", `{"thresholds":[]}`, "thresholds must not be empty"},
		{"thresholds wrong type", `{"thresholds":"7"}`, "thresholds must be an array"},
		{"threshold fraction", `{"thresholds":[1.5]}`, "thresholds[0]"},
		{"threshold negative", `{"thresholds":[7,-1]}`, "thresholds[1]"},
		{"threshold bad string", `{"thresholds":["soon"]}`, "thresholds[0]"},
		{"mode wrong", `{"mode":"loud"}`, `mode: unknown mode "loud"`},
		{"mode type", `{"mode":1}`, "mode must be a string"},
		{"dryRun type", `{"dryRun":"yes"}`, "dryRun must be true or false"},
		{"now type", `{"now":1700000000}`, "now must be an RFC 3339 string"},
		{"now format", `{"now":"yesterday"}`, `now "yesterday" is not an RFC 3339 time`},
		{"trailing data", `{} {}`, "malformed JSON at byte 4"},
		{"timer bad time", `{"triggerTime":"tomorrow"}`, `triggerTime "tomorrow" is not an RFC 3339 time`},
		{"timer time type", `{"triggerTime":12}`, "triggerTime must be an RFC 3339 string"},
		{"timer payload type", `{"triggerTime":"2026-11-30T09:00:00Z","payload":{"mode":"digest"}}`, "payload must be a string"},
		{"timer payload malformed", `{"triggerTime":"2026-11-30T09:00:00Z","payload":"{mode:digest}"}`, "timer event payload: malformed JSON"},
		{"timer payload not object", `{"triggerTime":"2026-11-30T09:00:00Z","payload":"awesome-fc"}`, "timer event payload: malformed JSON"},
		{"timer payload unknown", `{"triggerTime":"2026-11-30T09:00:00Z","payload":"{\"mood\":\"digest\"}"}`, `unknown field "mood"`},
		{"timer payload now", `{"triggerTime":"2026-11-30T09:00:00Z","payload":"{\"now\":\"2026-11-30T09:00:00Z\"}"}`, "now is not allowed in a timer trigger's payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEvent([]byte(tt.body))
			if err == nil {
				t.Fatalf("decodeEvent(%s) = %+v, want an error containing %q", tt.body, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decodeEvent(%s) = %q, want it to contain %q", tt.body, err, tt.want)
			}
		})
	}
}

// TestDecodeTestdataEvents round-trips the sample events shipped in testdata/.
func TestDecodeTestdataEvents(t *testing.T) {
	for _, f := range []string{"timer-event.json", "digest-event.json", "manual-event.json"} {
		b, err := os.ReadFile("../testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeEvent(b); err != nil {
			t.Errorf("decodeEvent(testdata/%s) = %v", f, err)
		}
	}
}

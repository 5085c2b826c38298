package schedule

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/robfig/cron/v3"
)

// parseTime is a test helper: RFC 3339 or fail.
func parseTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mustParse parses spec as of 2026-06-01.
func mustParse(t testing.TB, spec string) *Schedule {
	t.Helper()
	s, err := ParseAt(spec, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("ParseAt(%q) error: %v", spec, err)
	}
	return s
}

func TestParseErrors(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, spec, want string // want: a substring of the error
	}{
		{"empty", "", "empty"},
		{"blank", "   ", "empty"},
		{"digit day-of-week", "0 0 9 * * 1", "names MON-SUN"},
		{"digit range day-of-week", "0 0 9 * * 1-5", "names MON-SUN"},
		{"digit step day-of-week", "0 0 9 * * */2", "names MON-SUN"},
		{"TZ prefix", "TZ=Asia/Shanghai 0 0 9 * * *", "CRON_TZ="},
		{"unknown zone", "CRON_TZ=Mars/Olympus 0 0 9 * * *", `unknown time zone "Mars/Olympus"`},
		{"empty zone", "CRON_TZ= 0 0 9 * * *", "IANA zone"},
		{"Local zone", "CRON_TZ=Local 0 0 9 * * *", "IANA zone"},
		{"zone without expression", "CRON_TZ=Asia/Shanghai", "followed by"},
		{"February 30", "0 0 0 30 2 *", "no fire time in the next 366 days"},
		{"29 February far away", "0 0 0 29 2 *", "no fire time in the next 366 days"},
		{"5 fields", "0 9 * * *", "want 6 fields"},
		{"7 fields", "0 0 9 * * * 2026", "want 6 fields"},
		{"every zero", "@every 0s", "at least 1s"},
		{"every negative", "@every -4h", "at least 1s"},
		{"every fraction", "@every 1.5s", "whole seconds"},
		{"every garbage", "@every soon", "duration"},
		{"every missing", "@every", "needs a duration"},
		{"other descriptor", "@daily", "only descriptor is @every"},
		{"garbage", "every morning please", "want 6 fields"},
		{"bad hour", "0 0 25 * * *", "above maximum"},
		{"bad name", "0 0 9 * * FUNDAY", "FUNDAY"},
		{"bad month", "0 0 9 * 13 *", "above maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseAt(tt.spec, now)
			if err == nil {
				t.Fatalf("ParseAt(%q) = %v, want an error containing %q", tt.spec, s, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseAt(%q) error = %q, want it to contain %q", tt.spec, err, tt.want)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, spec string
	}{
		{"daily", "0 0 9 * * *"},
		{"question mark", "0 0 9 ? * ?"},
		{"weekdays", "0 0 9 * * MON-FRI"},
		{"weekday list lower case", "0 0 9 * * mon,wed,fri"},
		{"month names", "0 0 9 1 JAN,JUL *"},
		{"zone", "CRON_TZ=Asia/Shanghai 0 0 9 * * *"},
		{"zone with extra spaces", "  CRON_TZ=Europe/Berlin   0 0 9 * * *  "},
		{"every", "@every 4h"},
		{"every minutes", "@every 90m"},
		{"every with zone", "CRON_TZ=Asia/Shanghai @every 4h"},
		{"29 February soon", "0 0 0 29 2 *"}, // parsed as of 2027-06-01 below: 2028-02-29 is near
	}
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseAt(tt.spec, now)
			if err != nil {
				t.Fatalf("ParseAt(%q) error: %v", tt.spec, err)
			}
			if s.String() != tt.spec {
				t.Errorf("ParseAt(%q).String() = %q, want the spec", tt.spec, s.String())
			}
		})
	}
}

func TestNextPrev(t *testing.T) {
	tests := []struct {
		name, spec, at, next, prev string
	}{
		{"daily", "0 0 9 * * *", "2026-11-30T10:00:00Z", "2026-12-01T09:00:00Z", "2026-11-30T09:00:00Z"},
		{"daily on the fire time", "0 0 9 * * *", "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", "2026-11-29T09:00:00Z"},
		{"daily just before", "0 0 9 * * *", "2026-11-30T08:59:59.999Z", "2026-11-30T09:00:00Z", "2026-11-29T09:00:00Z"},
		{"daily just after", "0 0 9 * * *", "2026-11-30T09:00:00.001Z", "2026-12-01T09:00:00Z", "2026-11-30T09:00:00Z"},
		{"year end", "0 0 9 * * *", "2026-12-31T23:00:00Z", "2027-01-01T09:00:00Z", "2026-12-31T09:00:00Z"},
		{"hourly", "0 0 * * * *", "2026-11-30T10:20:00Z", "2026-11-30T11:00:00Z", "2026-11-30T10:00:00Z"},
		{"Shanghai", "CRON_TZ=Asia/Shanghai 0 0 9 * * *", "2026-11-30T00:00:00Z", "2026-11-30T01:00:00Z", "2026-11-29T01:00:00Z"},
		{"Shanghai after", "CRON_TZ=Asia/Shanghai 0 0 9 * * *", "2026-11-30T01:00:00Z", "2026-12-01T01:00:00Z", "2026-11-29T01:00:00Z"},
		{"weekdays", "0 0 9 * * MON-FRI", "2026-11-28T12:00:00Z", "2026-11-30T09:00:00Z", "2026-11-27T09:00:00Z"},
		{"monthly", "0 0 9 1 * *", "2026-11-15T00:00:00Z", "2026-12-01T09:00:00Z", "2026-11-01T09:00:00Z"},
		{"yearly", "0 0 9 1 JAN *", "2026-11-15T00:00:00Z", "2027-01-01T09:00:00Z", "2026-01-01T09:00:00Z"},
		{"leap day", "0 0 0 29 2 *", "2027-06-01T00:00:00Z", "2028-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"day of month or day of week", "0 0 9 13 * FRI", "2026-11-10T00:00:00Z", "2026-11-13T09:00:00Z", "2026-11-06T09:00:00Z"},
		{"every 4h", "@every 4h", "2026-11-30T10:20:00Z", "2026-11-30T12:00:00Z", "2026-11-30T08:00:00Z"},
		{"every 4h on a multiple", "@every 4h", "2026-11-30T08:00:00Z", "2026-11-30T12:00:00Z", "2026-11-30T04:00:00Z"},
		{"every 90m", "@every 90m", "2026-11-30T10:20:00Z", "2026-11-30T10:30:00Z", "2026-11-30T09:00:00Z"},
		{"every 90m before the epoch", "@every 90m", "1969-12-31T23:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T22:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			at := parseTime(t, tt.at)
			if got, want := s.Next(at), parseTime(t, tt.next); !got.Equal(want) {
				t.Errorf("Next(%s) = %s, want %s", tt.at, got, want)
			}
			if got, want := s.Prev(at), parseTime(t, tt.prev); !got.Equal(want) {
				t.Errorf("Prev(%s) = %s, want %s", tt.at, got, want)
			}
		})
	}
}

// TestNextMatchesRobfig checks Next against robfig/cron's own Next in zones without daylight saving,
// where robfig's rules and ours agree.
func TestNextMatchesRobfig(t *testing.T) {
	specs := []string{
		"0 0 9 * * *", "*/7 */13 */5 * * *", "30 15 3 1,15 * *", "0 0 0 * * SUN", "0 45 23 31 * *", "0 0 9 13 * FRI", "5-10 * 22 * DEC MON-WED", "0 0 6 ? FEB,AUG SAT",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, zone := range []string{"", "CRON_TZ=Asia/Shanghai ", "CRON_TZ=Asia/Kathmandu "} {
		for _, spec := range specs {
			spec = zone + spec
			ours, err := parse(spec)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow).Parse(spec)
			if err != nil {
				t.Fatalf("robfig Parse(%q): %v", spec, err)
			}
			for range 200 {
				at := time.Unix(1_700_000_000+rng.Int64N(400_000_000), rng.Int64N(1e9)).UTC()
				if got, want := ours.Next(at), theirs.Next(at).UTC(); !got.Equal(want) {
					t.Errorf("%q: Next(%s) = %s, want %s (robfig)", spec, at, got, want)
				}
			}
		}
	}
}

// TestPrevNextRoundTrip checks that Prev and Next bracket t with nothing between them.
func TestPrevNextRoundTrip(t *testing.T) {
	specs := []string{
		"0 0 9 * * *", "0 0 * * * *", "CRON_TZ=Asia/Shanghai 0 0 9 * * *", "@every 4h", "@every 90m",
		"CRON_TZ=America/New_York 0 30 1 * * *", "CRON_TZ=America/New_York 0 30 2 * * *",
		"CRON_TZ=Europe/London 0 */20 0-3 * * *", "CRON_TZ=Australia/Lord_Howe 0 15 1,2 * * *",
		"0 0 9 1 JAN *", "CRON_TZ=Pacific/Apia 0 0 12 * * *", "*/10 * * * * *",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, spec := range specs {
		s, err := parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		for range 300 {
			at := time.Unix(1_290_000_000+rng.Int64N(500_000_000), rng.Int64N(2)*rng.Int64N(1e9))
			next := s.Next(at)
			prev := s.Prev(next)
			if !next.After(at) || prev.After(at) {
				t.Errorf("%q: Next(%s) = %s, Prev(that) = %s: want Prev <= t < Next", spec, at, next, prev)
				continue
			}
			if got := s.Next(prev); !got.Equal(next) {
				t.Errorf("%q: Next(Prev(Next(%s))) = %s, want %s", spec, at, got, next)
			}
			want := prev
			if prev.Equal(at) {
				want = s.Prev(prev)
			}
			if got := s.Prev(at); !got.Equal(want) || !got.Before(at) {
				t.Errorf("%q: Prev(%s) = %s, want %s", spec, at, got, want)
			}
		}
	}
}

// TestDaylightSaving checks the fire-time rule at switches against a brute-force oracle: minute by
// minute, an instant fires when the zone shows a matching wall-clock time it has not shown before.
func TestDaylightSaving(t *testing.T) {
	tests := []struct {
		name, spec, from, to string
	}{
		{"New York fall back", "CRON_TZ=America/New_York 0 30 1 * * *", "2026-10-30T00:00:00Z", "2026-11-04T00:00:00Z"},
		{"New York spring forward", "CRON_TZ=America/New_York 0 30 2 * * *", "2026-03-06T00:00:00Z", "2026-03-11T00:00:00Z"},
		{"New York every 20 minutes", "CRON_TZ=America/New_York 0 */20 * * * *", "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z"},
		{"London midnight hour", "CRON_TZ=Europe/London 0 */15 0-2 * * *", "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"},
		{"London fall back", "CRON_TZ=Europe/London 0 */15 0-2 * * *", "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"},
		{"Lord Howe half hour back", "CRON_TZ=Australia/Lord_Howe 0 */10 1 * * *", "2026-04-03T00:00:00Z", "2026-04-07T00:00:00Z"},
		{"Lord Howe half hour forward", "CRON_TZ=Australia/Lord_Howe 0 */10 2 * * *", "2026-10-02T00:00:00Z", "2026-10-06T00:00:00Z"},
		{"Sao Paulo missing midnight", "CRON_TZ=America/Sao_Paulo 0 0 0 * * *", "2018-11-02T00:00:00Z", "2018-11-06T00:00:00Z"},
		{"Sao Paulo repeated hour", "CRON_TZ=America/Sao_Paulo 0 30 23 * * *", "2019-02-14T00:00:00Z", "2019-02-19T00:00:00Z"},
		{"Apia skipped day", "CRON_TZ=Pacific/Apia 0 0 12 * * *", "2011-12-27T00:00:00Z", "2012-01-02T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			from, to := parseTime(t, tt.from), parseTime(t, tt.to)
			want := bruteFireTimes(s, from, to)
			if len(want) == 0 {
				t.Fatalf("the oracle finds no fire time in [%s, %s)", tt.from, tt.to)
			}
			var got []time.Time
			for at := s.Next(from.Add(-time.Nanosecond)); at.Before(to); at = s.Next(at) {
				got = append(got, at)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Next from %s: fire times differ from the oracle (-want +got):\n%s", tt.from, diff)
			}
			var back []time.Time
			for at := s.Prev(to); !at.Before(from); at = s.Prev(at) {
				back = append([]time.Time{at}, back...)
			}
			if diff := cmp.Diff(want, back); diff != "" {
				t.Errorf("Prev from %s: fire times differ from the oracle (-want +got):\n%s", tt.to, diff)
			}
		})
	}
}

// bruteFireTimes lists the fire times in [from, to) of a schedule whose second field is 0 and whose zone
// switches at whole minutes.
func bruteFireTimes(s *Schedule, from, to time.Time) []time.Time {
	seen := map[int64]bool{}
	var out []time.Time
	for u := from.Unix() - 3*86400; u < to.Unix(); u += 60 {
		w := time.Unix(u, 0).In(s.loc)
		key := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, time.UTC).Unix()
		if seen[key] {
			continue
		}
		seen[key] = true
		match := s.dayMatches(w.Year(), w.Month(), w.Day()) && s.hour&(1<<uint(w.Hour())) != 0 &&
			s.minute&(1<<uint(w.Minute())) != 0 && s.second&1 != 0
		if match && u >= from.Unix() {
			out = append(out, time.Unix(u, 0).UTC())
		}
	}
	return out
}

func TestDaylightSavingExamples(t *testing.T) {
	// Fall back: 2026-11-01 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST); it fires once.
	fall := mustParse(t, "CRON_TZ=America/New_York 0 30 1 * * *")
	got := fall.Next(parseTime(t, "2026-11-01T00:00:00Z"))
	if want := parseTime(t, "2026-11-01T05:30:00Z"); !got.Equal(want) {
		t.Errorf("fall back: Next = %s, want %s (the first 01:30)", got, want)
	}
	if got, want := fall.Next(got), parseTime(t, "2026-11-02T06:30:00Z"); !got.Equal(want) {
		t.Errorf("fall back: Next after the first 01:30 = %s, want %s (the next day)", got, want)
	}
	if got, want := fall.Prev(parseTime(t, "2026-11-01T06:45:00Z")), parseTime(t, "2026-11-01T05:30:00Z"); !got.Equal(want) {
		t.Errorf("fall back: Prev(after the second 01:30) = %s, want %s", got, want)
	}
	// Spring forward: 2026-03-08 02:30 does not exist in New York; that day does not fire.
	spring := mustParse(t, "CRON_TZ=America/New_York 0 30 2 * * *")
	if got, want := spring.Next(parseTime(t, "2026-03-07T08:00:00Z")), parseTime(t, "2026-03-09T06:30:00Z"); !got.Equal(want) {
		t.Errorf("spring forward: Next = %s, want %s (skipping 03-08)", got, want)
	}
	if got, want := spring.Prev(parseTime(t, "2026-03-09T06:30:00Z")), parseTime(t, "2026-03-07T07:30:00Z"); !got.Equal(want) {
		t.Errorf("spring forward: Prev = %s, want %s (skipping 03-08)", got, want)
	}
}

func TestResolve(t *testing.T) {
	daily := "0 0 9 * * *"
	tests := []struct {
		name, spec, now string
		timer           bool
		prev, cur, next string
		warnings        []string // substrings, one per warning
	}{
		{"on time", daily, "2026-11-30T09:00:00Z", true, "2026-11-29T09:00:00Z", "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", nil},
		{"3 s early", daily, "2026-11-30T08:59:57Z", true, "2026-11-29T09:00:00Z", "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", nil},
		{"40 s late", daily, "2026-11-30T09:00:40Z", true, "2026-11-29T09:00:00Z", "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", nil},
		{"4 min late", daily, "2026-11-30T09:04:00Z", true, "2026-11-29T09:00:00Z", "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", nil},
		{"90 s early is the run before", daily, "2026-11-30T08:58:30Z", false, "2026-11-28T09:00:00Z", "2026-11-29T09:00:00Z", "2026-11-30T09:00:00Z", nil},
		{"6 min late warns", daily, "2026-11-30T09:06:00Z", true, "2026-11-29T09:00:00Z", "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z",
			[]string{`SCHEDULE "0 0 9 * * *" does not describe the timer trigger: it fired at 2026-11-30T09:06:00Z, 6m0s after`}},
		{"manual hours later does not warn", daily, "2026-11-30T15:00:00Z", false, "2026-11-29T09:00:00Z", "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", nil},
		{"hourly nearest", "0 0 * * * *", "2026-11-30T09:59:30Z", true, "2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z", nil},
		{"every 90m", "@every 90m", "2026-11-30T10:30:05Z", true, "2026-11-30T09:00:00Z", "2026-11-30T10:30:00Z", "2026-11-30T12:00:00Z", nil},
		{"monthly warns about the gap", "0 0 9 1 * *", "2026-12-01T09:00:00Z", true, "2026-11-01T09:00:00Z", "2026-12-01T09:00:00Z", "2027-01-01T09:00:00Z",
			[]string{`leaves 30 days between the checks of 2026-11-01T09:00:00Z and 2026-12-01T09:00:00Z: a key can be recycled and purged`}},
		{"monthly in February warns about the next gap", "0 0 9 1 * *", "2027-02-01T09:00:00Z", true, "2027-01-01T09:00:00Z", "2027-02-01T09:00:00Z", "2027-03-01T09:00:00Z",
			[]string{`leaves 31 days`}},
		{"27 days does not warn", "0 0 9 1,28 * *", "2027-02-28T09:00:00Z", true, "2027-02-01T09:00:00Z", "2027-02-28T09:00:00Z", "2027-03-01T09:00:00Z", nil},
		{"fall back repeat", "CRON_TZ=America/New_York 0 30 1 * * *", "2026-11-01T06:30:00Z", true, "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z",
			[]string{`showed 01:30 for the second time (daylight-saving switch)`}},
		{"spring forward shifted", "CRON_TZ=America/New_York 0 30 2 * * *", "2026-03-08T07:30:00Z", true, "2026-03-06T07:30:00Z", "2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z",
			[]string{`after the clocks of America/New_York changed at 2026-03-08T07:00:00Z (daylight-saving switch): this run repeats the alerts of the 2026-03-07T07:30:00Z run.`}},
		{"late in a zone without a recent switch", "CRON_TZ=America/New_York 0 30 2 * * *", "2026-03-10T07:00:00Z", true, "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z", "2026-03-11T06:30:00Z",
			[]string{`does not describe the timer trigger: it fired at 2026-03-10T07:00:00Z, 30m0s after`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.spec)
			now := parseTime(t, tt.now)
			got := Resolve(s, now, tt.timer)
			want := Times{Now: now, Prev: parseTime(t, tt.prev), Cur: parseTime(t, tt.cur), Next: parseTime(t, tt.next)}
			if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Warnings" }, cmp.Ignore())); diff != "" {
				t.Errorf("Resolve(%q, %s, %v) (-want +got):\n%s", tt.spec, tt.now, tt.timer, diff)
			}
			if len(got.Warnings) != len(tt.warnings) {
				t.Fatalf("Resolve(%q, %s).Warnings = %q, want %d", tt.spec, tt.now, got.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(got.Warnings[i], w) {
					t.Errorf("Resolve(%q, %s).Warnings[%d] = %q, want it to contain %q", tt.spec, tt.now, i, got.Warnings[i], w)
				}
			}
		})
	}
}

// TestResolveRetry checks that a retry of the same event resolves like the first attempt.
func TestResolveRetry(t *testing.T) {
	s := mustParse(t, "CRON_TZ=Asia/Shanghai 0 0 9 * * *")
	trigger := parseTime(t, "2026-11-30T01:00:02Z")
	first := Resolve(s, trigger, true)
	// A retry hours later carries the same triggerTime: Resolve reads no clock.
	if got := Resolve(s, trigger, true); !cmp.Equal(first, got) {
		t.Errorf("Resolve of a retry = %+v, want %+v", got, first)
	}
	if !first.Cur.Equal(parseTime(t, "2026-11-30T01:00:00Z")) {
		t.Errorf("Resolve(%s).Cur = %s, want 2026-11-30T01:00:00Z", trigger, first.Cur)
	}
}

func TestManual(t *testing.T) {
	now := parseTime(t, "2026-11-30T12:34:56Z")
	want := Times{Now: now, Prev: parseTime(t, "2026-11-29T12:34:56Z"), Cur: now, Next: parseTime(t, "2026-12-01T12:34:56Z")}
	if got := Manual(now); !cmp.Equal(got, want) {
		t.Errorf("Manual(%s) = %+v, want %+v", now, got, want)
	}
}

func BenchmarkPrevYearly(b *testing.B) {
	s := mustParse(b, "CRON_TZ=America/New_York 0 0 9 1 JAN *")
	at := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		s.Prev(at)
	}
}

func BenchmarkNextDaily(b *testing.B) {
	s := mustParse(b, "CRON_TZ=Asia/Shanghai 0 0 9 * * *")
	at := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		s.Next(at)
	}
}

func BenchmarkResolveLeapDay(b *testing.B) {
	s2, err := parse("0 0 0 29 2 *")
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		Resolve(s2, at, true)
	}
}

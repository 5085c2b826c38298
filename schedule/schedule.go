// Package schedule turns SCHEDULE, the timer trigger's own cron expression, into fire times, and a run's
// time into the window it checks (Resolve).
//
// Fire times are the instants at which the schedule's zone shows a matching wall-clock time, each counted
// once: a local time that occurs twice (a daylight-saving switch back) fires at its first occurrence
// only, and a local time that does not exist (a switch forward) does not fire. So the fire times are a
// subset of the trigger's, whatever Function Compute does at a switch: a switch can repeat a run's
// alerts, never lose them. `@every D` fires at whole multiples of D since the Unix epoch.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // CRON_TZ zones must load on a runtime image without /usr/share/zoneinfo.

	"github.com/robfig/cron/v3"
)

// searchLimit bounds how far Next and Prev look for a fire time. The sparsest schedule that Parse can
// accept fires on 29 February only, with gaps of up to 8 years (2096 to 2104).
const searchLimit = 10 * 366 * 24 * time.Hour

// horizon is how soon a schedule must fire after it is parsed: a schedule that does not fire within a
// year is a mistake.
const horizon = 366 * 24 * time.Hour

// parser reads the FC timer trigger's 6 fields, seconds first.
var parser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a parsed SCHEDULE: a cron expression in a zone, or a fixed interval.
type Schedule struct {
	spec  string
	every time.Duration // > 0 for @every
	loc   *time.Location
	// Bit sets of the matching values, as robfig/cron computes them (bit i set: value i matches).
	second, minute, hour, dom, month, dow uint64
	// domStar and dowStar are true when the field was * or ?: a day then has to match both fields,
	// else (both restricted) either one, as in Vixie cron and robfig/cron.
	domStar, dowStar bool
}

// Parse parses SCHEDULE as of now: see ParseAt.
func Parse(spec string) (*Schedule, error) {
	return ParseAt(spec, time.Now())
}

// ParseAt parses a 6-field cron expression (seconds first, optional `CRON_TZ=Zone ` prefix, day-of-week
// by name only) or `@every <duration>` (whole seconds, at least 1s). A schedule with no fire time in the
// 366 days after now is an error. Errors say what is wrong with the value; the caller names the variable.
func ParseAt(spec string, now time.Time) (*Schedule, error) {
	s, err := parse(spec)
	if err != nil {
		return nil, err
	}
	if n := s.Next(now); n.IsZero() || n.Sub(now) > horizon {
		return nil, fmt.Errorf("%q has no fire time in the next 366 days", spec)
	}
	return s, nil
}

func parse(spec string) (*Schedule, error) {
	rest := strings.TrimSpace(spec)
	if rest == "" {
		return nil, errors.New("empty schedule")
	}
	s := &Schedule{spec: spec, loc: time.UTC}
	if strings.HasPrefix(rest, "TZ=") {
		return nil, fmt.Errorf("%q: the zone prefix is CRON_TZ=, not TZ=", spec)
	}
	if zone, ok := strings.CutPrefix(rest, "CRON_TZ="); ok {
		name, after, found := strings.Cut(zone, " ")
		if !found || strings.TrimSpace(after) == "" {
			return nil, fmt.Errorf("%q: CRON_TZ=Zone must be followed by a space and the cron expression", spec)
		}
		if name == "" || name == "Local" {
			return nil, fmt.Errorf("%q: CRON_TZ needs an IANA zone name such as Asia/Shanghai", spec)
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("%q: unknown time zone %q", spec, name)
		}
		s.loc = loc
		rest = strings.TrimSpace(after)
	}
	if strings.HasPrefix(rest, "@") {
		return parseEvery(s, rest)
	}
	fields := strings.Fields(rest)
	if len(fields) != 6 {
		return nil, fmt.Errorf("%q: want 6 fields (second minute hour day-of-month month day-of-week), found %d", spec, len(fields))
	}
	if strings.ContainsAny(fields[5], "0123456789") {
		return nil, fmt.Errorf("%q: write day-of-week %q with names MON-SUN, not digits (their numbering differs between cron dialects)", spec, fields[5])
	}
	parsed, err := parser.Parse(strings.Join(fields, " "))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", spec, err)
	}
	cs, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%q: not a cron expression", spec)
	}
	const star = 1 << 63
	s.second, s.minute, s.hour = cs.Second&^star, cs.Minute&^star, cs.Hour&^star
	s.dom, s.month, s.dow = cs.Dom&^star, cs.Month&^star, cs.Dow&^star
	s.domStar, s.dowStar = cs.Dom&star != 0, cs.Dow&star != 0
	return s, nil
}

func parseEvery(s *Schedule, rest string) (*Schedule, error) {
	arg, ok := strings.CutPrefix(rest, "@every")
	if !ok || (arg != "" && arg[0] != ' ' && arg[0] != '\t') {
		return nil, fmt.Errorf("%q: the only descriptor is @every <duration>; write other schedules as 6 cron fields", s.spec)
	}
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return nil, fmt.Errorf("%q: @every needs a duration such as 4h or 90m", s.spec)
	}
	d, err := time.ParseDuration(arg)
	if err != nil {
		return nil, fmt.Errorf("%q: @every needs a duration such as 4h or 90m, not %q", s.spec, arg)
	}
	if d < time.Second {
		return nil, fmt.Errorf("%q: @every needs a duration of at least 1s", s.spec)
	}
	if d%time.Second != 0 {
		return nil, fmt.Errorf("%q: @every needs whole seconds", s.spec)
	}
	s.every = d
	return s, nil
}

// String returns the schedule as it was written.
func (s *Schedule) String() string { return s.spec }

// Next returns the first fire time strictly after t, in UTC, or the zero time when there is none within
// about 10 years.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		d := int64(s.every / time.Second)
		k := floorDiv(t.Unix(), d) // k*d <= t < (k+1)*d
		return time.Unix((k+1)*d, 0).UTC()
	}
	// Fire times are whole seconds: the first candidate is the second after t's.
	from := t.Unix() + 1
	var found int64
	ok := s.forwardWalls(minWallFrom(s.loc, from), func(w int64) bool {
		u, exists := firstOccurrence(s.loc, w)
		if !exists || u < from {
			return true // a skipped local time, or the repeat of one that first showed before from
		}
		found = u
		return false
	})
	if !ok {
		return time.Time{}
	}
	return time.Unix(found, 0).UTC()
}

// Prev returns the last fire time strictly before t, in UTC, or the zero time when there is none within
// about 10 years.
func (s *Schedule) Prev(t time.Time) time.Time {
	last := t.Unix() // the last whole second strictly before t
	if t.Nanosecond() == 0 {
		last--
	}
	if s.every > 0 {
		d := int64(s.every / time.Second)
		return time.Unix(floorDiv(last, d)*d, 0).UTC()
	}
	var found int64
	ok := s.backwardWalls(maxWallUntil(s.loc, last), func(w int64) bool {
		u, exists := firstOccurrence(s.loc, w)
		if !exists || u > last {
			return true
		}
		found = u
		return false
	})
	if !ok {
		return time.Time{}
	}
	return time.Unix(found, 0).UTC()
}

// dayMatches reports whether the civil date matches day-of-month, month and day-of-week.
func (s *Schedule) dayMatches(y int, m time.Month, d int) bool {
	if s.month&(1<<uint(m)) == 0 {
		return false
	}
	domOK := s.dom&(1<<uint(d)) != 0
	dowOK := s.dow&(1<<uint(weekday(y, m, d))) != 0
	if s.domStar || s.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

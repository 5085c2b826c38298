package schedule

import (
	"fmt"
	"time"
)

const (
	// snap is how far a run's now may be from a fire time and still count as that fire time.
	snap = 60 * time.Second
	// lateAfter is how late a timer event may be after its fire time before SCHEDULE is suspect.
	lateAfter = 5 * time.Minute
	// wideGap is the gap between checks from which a key can be recycled and purged unseen: recycle bins
	// keep keys for about 30 days (the IMS documentation's example shows 31).
	wideGap = 28 * 24 * time.Hour
)

// Times are a run's times: the run checks the window (Prev, Cur] and looks ahead to Next.
type Times struct {
	// Now is the run's time: the timer event's triggerTime, or a manual run's now.
	Now time.Time
	// Prev is the fire time before Cur.
	Prev time.Time
	// Cur is the fire time the run stands for.
	Cur time.Time
	// Next is the fire time after Cur: the time of the next check.
	Next time.Time
	// Warnings are sentences for the people reading the run's messages.
	Warnings []string
}

// Manual returns the times of a manual run without SCHEDULE: the day before now and the day after.
func Manual(now time.Time) Times {
	return Times{Now: now, Prev: now.Add(-24 * time.Hour), Cur: now, Next: now.Add(24 * time.Hour)}
}

// Resolve returns the times of a run at now. Cur is the fire time nearest now when one lies within 60
// seconds either side, else the latest fire time before now; so a trigger a few seconds early or late,
// and a retry of the same event hours later, resolve alike. timer says now is a timer event's
// triggerTime: more than 5 minutes after Cur, SCHEDULE does not describe the trigger, and Resolve warns.
func Resolve(s *Schedule, now time.Time, timer bool) Times {
	atOrBefore := s.Prev(now.Add(time.Nanosecond))
	after := s.Next(now)
	cur := atOrBefore
	switch {
	case atOrBefore.IsZero() && after.IsZero():
		t := Manual(now)
		t.Warnings = []string{fmt.Sprintf("SCHEDULE %q has no fire time within 10 years of %s: this run checks the day before it.", s, stamp(now))}
		return t
	case atOrBefore.IsZero():
		cur = after
	case !after.IsZero() && after.Sub(now) < now.Sub(atOrBefore) && after.Sub(now) <= snap:
		cur = after
	}
	t := Times{Now: now, Prev: s.Prev(cur), Cur: cur, Next: s.Next(cur)}
	if timer && now.Sub(cur) > lateAfter {
		t.Warnings = append(t.Warnings, s.lateWarning(now, cur))
	}
	if gap := t.Cur.Sub(t.Prev); !t.Prev.IsZero() && gap >= wideGap {
		t.Warnings = append(t.Warnings, gapWarning(s, t.Prev, t.Cur))
	} else if gap := t.Next.Sub(t.Cur); !t.Next.IsZero() && gap >= wideGap {
		t.Warnings = append(t.Warnings, gapWarning(s, t.Cur, t.Next))
	}
	return t
}

// lateWarning says that a timer fired at now, well after the fire time cur.
func (s *Schedule) lateWarning(now, cur time.Time) string {
	if s.every == 0 && s.repeatsWall(now) {
		return fmt.Sprintf("The timer fired at %s, when the clocks of %s showed %s for the second time "+
			"(daylight-saving switch): SCHEDULE %q counts only the first, so this run repeats the alerts of the %s run.",
			stamp(now), s.loc, now.In(s.loc).Format("15:04"), s, stamp(cur))
	}
	if start, _ := now.In(s.loc).ZoneBounds(); s.every == 0 && !start.IsZero() && start.After(cur) && now.Sub(cur) <= 25*time.Hour {
		return fmt.Sprintf("The timer fired at %s, %s after SCHEDULE %q's fire time %s, after the clocks of %s "+
			"changed at %s (daylight-saving switch): this run repeats the alerts of the %s run.",
			stamp(now), now.Sub(cur).Round(time.Second), s, stamp(cur), s.loc, stamp(start), stamp(cur))
	}
	return fmt.Sprintf("SCHEDULE %q does not describe the timer trigger: it fired at %s, %s after the schedule's "+
		"fire time %s, so this run checks the window ending then. Make SCHEDULE match the trigger's cronExpression.",
		s, stamp(now), now.Sub(cur).Round(time.Second), stamp(cur))
}

// repeatsWall reports whether the schedule's zone shows at now a matching wall-clock time that it showed
// before: the repeat of a fire time at a daylight-saving switch.
func (s *Schedule) repeatsWall(now time.Time) bool {
	w := wallAt(s.loc, now.Unix())
	u, ok := firstOccurrence(s.loc, w)
	if !ok || u >= now.Unix() {
		return false
	}
	t := time.Unix(w, 0).UTC()
	y, m, d := t.Date()
	h, mi, sc := t.Clock()
	return s.dayMatches(y, m, d) && s.hour&(1<<uint(h)) != 0 && s.minute&(1<<uint(mi)) != 0 && s.second&(1<<uint(sc)) != 0
}

func gapWarning(s *Schedule, from, to time.Time) string {
	days := int(to.Sub(from) / (24 * time.Hour))
	return fmt.Sprintf("SCHEDULE %q leaves %d days between the checks of %s and %s: a key can be recycled and "+
		"purged between two runs without any alert. Check at least every 27 days.", s, days, stamp(from), stamp(to))
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

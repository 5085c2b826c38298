package alert

import (
	"cmp"
	"slices"
	"time"
)

// Policy is what decides which keys a run alerts: the settings Evaluate applies.
type Policy struct {
	// Mode is ModeCrossing (also when empty) or ModeDigest.
	Mode string
	// Thresholds are the lead times before DeleteDate (ALERT_THRESHOLDS), ascending.
	Thresholds []time.Duration
	// AlertOnRecycle alerts keys in their first run as recycled (ALERT_ON_RECYCLE).
	AlertOnRecycle bool
	// AccountID goes into every alert's ID.
	AccountID string
}

// Evaluate returns the alerts of a run at now that checks the window w = (prev, cur] and whose next check
// is at next, sorted most urgent first: DeleteDate ascending, then user name, then AccessKey ID. It never
// returns nil.
//
// In crossing mode a key is alerted at most once per run. In its first run, the one whose window holds
// its RecycleDate, it is recycled (with AlertOnRecycle), else expiring with the smallest threshold t for
// which DeleteDate - t <= next, if any. In later runs it is expiring when DeleteDate - t falls in
// (cur, next] for a threshold t, reported as the smallest such t: each such warning leaves at least t
// before DeleteDate at cur. A key recycled after cur (a replayed past run, a clock ahead of the trigger)
// is left to the run whose window holds its RecycleDate. In digest mode every key is alerted.
func Evaluate(bins []Bin, now time.Time, w Window, next time.Time, p Policy) []Alert {
	thresholds := Normalize(p.Thresholds)
	alerts := []Alert{}
	for _, b := range bins {
		full := len(b.Keys) >= binCapacity
		for _, k := range b.Keys {
			ev, threshold, ok := decide(k, w, next, p, thresholds)
			if !ok {
				continue
			}
			var hours *int
			if threshold != nil {
				h := int(*threshold / time.Hour)
				hours = &h
			}
			alerts = append(alerts, Alert{
				ID:               alertID(p.AccountID, ev, k.AccessKeyID, k.DeleteDate, hours, w),
				Event:            ev,
				UserName:         b.UserName,
				UserID:           b.UserID,
				AccessKeyID:      k.AccessKeyID,
				CreateDate:       k.CreateDate,
				RecycleDate:      k.RecycleDate,
				DeleteDate:       k.DeleteDate,
				ThresholdHours:   hours,
				RemainingSeconds: remainingSeconds(now, k.DeleteDate),
				BinFull:          full,
			})
		}
	}
	SortByUrgency(alerts)
	return alerts
}

// decide returns why key k is alerted in a run, and the threshold for expiring alerts.
func decide(k Key, w Window, next time.Time, p Policy, thresholds []time.Duration) (Event, *time.Duration, bool) {
	if p.Mode == ModeDigest {
		return Digest, nil, true
	}
	switch {
	case k.RecycleDate.After(w.To):
		return "", nil, false
	case k.RecycleDate.After(w.From):
		if p.AlertOnRecycle {
			return Recycled, nil, true
		}
		for _, t := range thresholds {
			if !k.DeleteDate.Add(-t).After(next) {
				return Expiring, &t, true
			}
		}
		return "", nil, false
	}
	for _, t := range thresholds {
		if at := k.DeleteDate.Add(-t); at.After(w.To) && !at.After(next) {
			return Expiring, &t, true
		}
	}
	return "", nil, false
}

// remainingSeconds returns deleteDate - now in whole seconds, rounded down, so that any time past
// DeleteDate is negative.
func remainingSeconds(now, deleteDate time.Time) int64 {
	d := deleteDate.Sub(now)
	s := int64(d / time.Second)
	if d < 0 && d%time.Second != 0 {
		s--
	}
	return s
}

// SortByUrgency sorts alerts most urgent first: DeleteDate ascending, then user name, AccessKey ID and
// user ID, so that every channel lists them in the same order.
func SortByUrgency(alerts []Alert) {
	slices.SortFunc(alerts, func(a, b Alert) int {
		return cmp.Or(a.DeleteDate.Compare(b.DeleteDate), cmp.Compare(a.UserName, b.UserName),
			cmp.Compare(a.AccessKeyID, b.AccessKeyID), cmp.Compare(a.UserID, b.UserID))
	})
}

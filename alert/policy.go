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
	// AccountID is the account the bins belong to: every alert carries it, and its ID hashes it.
	AccountID string
	// AccountName names the account on every alert.
	AccountName string
}

// Evaluate returns the alerts of a run at now that checks the window w = (prev, cur] and whose next check
// is at next, sorted most urgent first (SortByUrgency). It never returns nil.
//
// In crossing mode a key is alerted at most once per run. In its first run, the one whose window holds
// its RecycleDate, it is recycled (with AlertOnRecycle), else expiring with the smallest threshold t for
// which DeleteDate - t <= next, if any. In later runs it is expiring when DeleteDate - t falls in
// (cur, next] for a threshold t, reported as the smallest such t: each such warning leaves at least t
// before DeleteDate at cur. A key recycled after cur (a replayed past run, a clock ahead of the trigger)
// is left to the run whose window holds its RecycleDate. In digest mode every key is alerted.
//
// A deleted user (a bin with Recycled set) gets user alerts by the same rules, counted to its first
// loss (FirstPurgeDate: the earliest DeleteDate of the user and its keys still ahead at cur), its
// first run being the one whose window holds the user's RecycleDate: userRecycled, userExpiring,
// userDigest. Its keys are listed in its alert and get no alerts of their own.
func Evaluate(bins []Bin, now time.Time, w Window, next time.Time, p Policy) []Alert {
	thresholds := Normalize(p.Thresholds)
	alerts := []Alert{}
	for _, b := range bins {
		if b.Recycled != nil {
			if a, ok := userAlert(b, now, w, next, p, thresholds); ok {
				alerts = append(alerts, a)
			}
			continue
		}
		full := len(b.Keys) >= binCapacity
		for _, k := range b.Keys {
			ev, threshold, ok := decide(k.RecycleDate, k.DeleteDate, w, next, p, thresholds)
			if !ok {
				continue
			}
			hours := thresholdHours(threshold)
			alerts = append(alerts, Alert{
				ID:               alertID(p.AccountID, ev, k.AccessKeyID, k.DeleteDate, hours, w),
				Event:            ev,
				AccountID:        p.AccountID,
				AccountName:      p.AccountName,
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

// userEvents are the user alerts' events for the keys' ones.
var userEvents = map[Event]Event{Recycled: UserRecycled, Expiring: UserExpiring, Digest: UserDigest}

// userAlert returns the alert of the deleted user of bin b in a run, if it has one: decide's rules with
// the user's RecycleDate and its first loss.
func userAlert(b Bin, now time.Time, w Window, next time.Time, p Policy, thresholds []time.Duration) (Alert, bool) {
	u := b.Recycled
	first := b.firstPurge(w.To)
	ev, threshold, ok := decide(u.RecycleDate, first, w, next, p, thresholds)
	if !ok {
		return Alert{}, false
	}
	ev = userEvents[ev]
	hours := thresholdHours(threshold)
	keys := make([]UserKey, len(b.Keys))
	for i, k := range b.Keys {
		keys[i] = UserKey{AccessKeyID: k.AccessKeyID, RecycleDate: k.RecycleDate, DeleteDate: k.DeleteDate}
	}
	slices.SortFunc(keys, func(x, y UserKey) int {
		return cmp.Or(x.DeleteDate.Compare(y.DeleteDate), cmp.Compare(x.AccessKeyID, y.AccessKeyID))
	})
	return Alert{
		ID:                userAlertID(p.AccountID, ev, b.UserID, u.DeleteDate, first, hours, w),
		Event:             ev,
		AccountID:         p.AccountID,
		AccountName:       p.AccountName,
		UserName:          b.UserName,
		UserID:            b.UserID,
		UserPrincipalName: u.PrincipalName,
		CreateDate:        u.CreateDate,
		RecycleDate:       u.RecycleDate,
		DeleteDate:        u.DeleteDate,
		FirstPurgeDate:    first,
		ThresholdHours:    hours,
		RemainingSeconds:  remainingSeconds(now, first),
		AccessKeys:        keys,
	}, true
}

func thresholdHours(t *time.Duration) *int {
	if t == nil {
		return nil
	}
	h := int(*t / time.Hour)
	return &h
}

// decide returns why something that entered a recycle bin at recycled and is lost at purged is alerted
// in a run (Recycled, Expiring or Digest), and the threshold for Expiring.
func decide(recycled, purged time.Time, w Window, next time.Time, p Policy, thresholds []time.Duration) (Event, *time.Duration, bool) {
	if p.Mode == ModeDigest {
		return Digest, nil, true
	}
	switch {
	case recycled.After(w.To):
		return "", nil, false
	case recycled.After(w.From):
		if p.AlertOnRecycle {
			return Recycled, nil, true
		}
		for _, t := range thresholds {
			if !purged.Add(-t).After(next) {
				return Expiring, &t, true
			}
		}
		return "", nil, false
	}
	for _, t := range thresholds {
		if at := purged.Add(-t); at.After(w.To) && !at.After(next) {
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

// SortByUrgency sorts alerts most urgent first, key and user alerts in one order: PurgeDate (a key's
// DeleteDate, a user's first loss) ascending, then user name, AccessKey ID, user ID and account ID, so
// that every channel lists them in the same order.
func SortByUrgency(alerts []Alert) {
	slices.SortFunc(alerts, func(a, b Alert) int {
		return cmp.Or(a.PurgeDate().Compare(b.PurgeDate()), cmp.Compare(a.UserName, b.UserName),
			cmp.Compare(a.AccessKeyID, b.AccessKeyID), cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.AccountID, b.AccountID))
	})
}

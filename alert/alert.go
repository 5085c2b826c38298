// Package alert holds the product's model of a run: the recycled AccessKeys that were found, the alerts
// the policy raised for them, the users that could not be read, and the Report that every channel
// renders. Its types are the wire format of the generic webhook body and of the result: fields are added,
// never renamed or removed.
package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// Event names why a key is alerted.
type Event string

// The events an alert can have.
const (
	// Recycled means the key entered the recycle bin in this run's window.
	Recycled Event = "recycled"
	// Expiring means the key passes one of the thresholds before the next check.
	Expiring Event = "expiring"
	// Digest means the key is listed because the run is a digest.
	Digest Event = "digest"
)

// Modes of ALERT_MODE.
const (
	// ModeCrossing alerts a key in its first run and whenever it passes a threshold.
	ModeCrossing = "crossing"
	// ModeDigest lists every key in every run and always posts.
	ModeDigest = "digest"
)

// ParseMode validates an alert mode, ALERT_MODE or an event's mode: crossing or digest, in any case.
func ParseMode(s string) (string, error) {
	switch m := strings.ToLower(strings.TrimSpace(s)); m {
	case ModeCrossing, ModeDigest:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %s: use crossing or digest", excerpt.Quote(s))
}

// binCapacity is how many AccessKeys a user's recycle bin holds; deleting one more purges the oldest.
const binCapacity = 3

// The years every date of a run falls in: a date the API answers outside them is an invalid answer, and
// a run's now outside them is rejected. Two such dates are less than 292 years apart, so the difference
// of any two never overflows a time.Duration.
const (
	FirstYear = 2000
	LastYear  = 2200
)

// InYears reports whether t, in UTC, falls in the years FirstYear to LastYear.
func InYears(t time.Time) bool {
	y := t.UTC().Year()
	return y >= FirstYear && y <= LastYear
}

// Key is one AccessKey in a user's recycle bin, as ListAccessKeysInRecycleBin returns it.
type Key struct {
	// AccessKeyID is the full AccessKey ID (LTAI…).
	AccessKeyID string
	// CreateDate is when the key was created.
	CreateDate time.Time
	// RecycleDate is when the key was deleted, that is, moved into the recycle bin.
	RecycleDate time.Time
	// DeleteDate is when the key is purged from the recycle bin for good.
	DeleteDate time.Time
}

// Bin is the recycle bin of one RAM user.
type Bin struct {
	// UserName is the RAM user name (alice, never alice@corp.onaliyun.com).
	UserName string
	// UserID is the RAM user ID.
	UserID string
	// Keys are the AccessKeys in the bin, in any order.
	Keys []Key
}

// Alert is one AccessKey the run tells people about.
type Alert struct {
	// ID is alrt_ and 32 hex digits of a SHA-256 over the account ID, event, AccessKey ID, DeleteDate
	// and threshold (and the window, for digest): the same across runs and retries, so that a receiver
	// can de-duplicate alert by alert.
	ID string `json:"id"`
	// Event says why the key is alerted.
	Event Event `json:"event"`
	// UserName is the RAM user name.
	UserName string `json:"userName"`
	// UserID is the RAM user ID.
	UserID string `json:"userId"`
	// AccessKeyID is the full AccessKey ID.
	AccessKeyID string `json:"accessKeyId"`
	// CreateDate is when the key was created.
	CreateDate time.Time `json:"createDate"`
	// RecycleDate is when the key entered the recycle bin.
	RecycleDate time.Time `json:"recycleDate"`
	// DeleteDate is when the key is purged for good.
	DeleteDate time.Time `json:"deleteDate"`
	// ThresholdHours is, for expiring alerts only, the smallest threshold passed before the next check.
	ThresholdHours *int `json:"thresholdHours,omitempty"`
	// RemainingSeconds counts from the run's now to DeleteDate; negative when past it.
	RemainingSeconds int64 `json:"remainingSeconds"`
	// BinFull is true when the user's bin holds binCapacity keys or more.
	BinFull bool `json:"binFull"`
	// DeletedBy is who deleted the key, from ActionTrail: on recycled alerts, and on digest entries
	// recycled within ActionTrail's look-up period (90 days), when the deletion was found; omitted
	// otherwise. It is not part of ID: the run that finds the deleter and the one that did not (yet)
	// give the alert the same ID.
	DeletedBy *Deleter `json:"deletedBy,omitempty"`
	// DeleterMissing says why an alert whose deletion ActionTrail was searched for has no DeletedBy;
	// empty when it has one or nobody looked. Chat says it; the wire formats do not carry it (no
	// deletedBy says it there).
	DeleterMissing DeleterMissing `json:"-"`
}

// UserError is a configured user whose recycle bin could not be read.
type UserError struct {
	// User is the entry as configured (for users found through *, the user name; a failing ListUsers is "*").
	User string `json:"user"`
	// Code is the API error code (EntityNotExist.User, NoPermission, …).
	Code string `json:"code"`
	// Message is the scrubbed error message.
	Message string `json:"message"`
}

// Window is a run's (From, To] interval: (prev, cur].
type Window struct {
	// From is the previous fire time (exclusive).
	From time.Time `json:"from"`
	// To is this run's fire time (inclusive).
	To time.Time `json:"to"`
}

// Findings are what a run found, with the account, mode and times they belong to: the part of a run's
// report that the result and the generic webhook's data both carry (each embeds it), in the webhook's
// order. Its JSON is part of both wire formats: fields are added, never renamed or removed.
type Findings struct {
	// Mode is ModeCrossing or ModeDigest.
	Mode string `json:"mode"`
	// AccountID is the Alibaba Cloud account ID, empty when unknown.
	AccountID string `json:"accountId"`
	// AccountLabel is ACCOUNT_LABEL, omitted when unset.
	AccountLabel string `json:"accountLabel,omitempty"`
	// Window is the run's (prev, cur] window.
	Window Window `json:"window"`
	// Next is the next fire time: the time of the next check.
	Next time.Time `json:"next"`
	// Alerts are every alert of the run, most urgent first (soonest DeleteDate first); never cut.
	Alerts []Alert `json:"alerts"`
	// Errors are the users whose bin could not be read.
	Errors []UserError `json:"errors"`
	// Warnings are said in the log, the result and every message.
	Warnings []string `json:"warnings"`
	// UsersChecked counts the users whose bin was read, so that an empty digest says how many bins
	// were empty.
	UsersChecked int `json:"usersChecked"`
}

// Canonical returns f as the generic webhook carries it: every time in UTC, the alerts most urgent
// first, and empty lists (never null) where there is nothing. f itself is left as it is.
func (f Findings) Canonical() Findings {
	f.Window = Window{From: f.Window.From.UTC(), To: f.Window.To.UTC()}
	f.Next = f.Next.UTC()
	alerts := make([]Alert, len(f.Alerts))
	for i, a := range f.Alerts {
		a.CreateDate, a.RecycleDate, a.DeleteDate = a.CreateDate.UTC(), a.RecycleDate.UTC(), a.DeleteDate.UTC()
		if a.DeletedBy != nil {
			d := *a.DeletedBy
			d.EventTime = d.EventTime.UTC()
			a.DeletedBy = &d
		}
		alerts[i] = a
	}
	SortByUrgency(alerts)
	f.Alerts = alerts
	f.Errors = append(make([]UserError, 0, len(f.Errors)), f.Errors...)
	f.Warnings = append(make([]string, 0, len(f.Warnings)), f.Warnings...)
	return f
}

// Report is everything a run has to say; every channel renders it.
type Report struct {
	// Findings are what the run found.
	Findings
	// Now is the run's time.
	Now time.Time
	// RetryCount is the FC retry number of this invocation (0 for the first attempt).
	RetryCount int
	// RequestID is the invocation's request ID.
	RequestID string
	// Manual is true for a manual invocation (not a timer event).
	Manual bool
	// DryRun is true when nothing is sent.
	DryRun bool
	// Location is the zone in which dates are shown to people (TIMEZONE).
	Location *time.Location
}

// Package alert holds the product's model of a run: the recycled AccessKeys and the deleted RAM users
// that were found, the alerts the policy raised for them, the users that could not be read, and the
// Report that every channel renders. Its types are the wire format of the generic webhook body and of
// the result: fields are added, never renamed or removed.
package alert

import (
	"encoding/json"
	"fmt"
	"slices"
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

	// UserRecycled means the RAM user was deleted, that is moved into the user recycle bin, in this
	// run's window, with every AccessKey it had.
	UserRecycled Event = "userRecycled"
	// UserExpiring means the deleted user's first loss (FirstPurgeDate) passes one of the thresholds
	// before the next check.
	UserExpiring Event = "userExpiring"
	// UserDigest means the deleted user is listed because the run is a digest.
	UserDigest Event = "userDigest"
)

// ForUser reports whether e is the event of a user alert: a deleted RAM user with its AccessKeys.
func (e Event) ForUser() bool {
	return e == UserRecycled || e == UserExpiring || e == UserDigest
}

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

// Bin is the AccessKey recycle bin of one RAM user, live or itself deleted (Recycled).
type Bin struct {
	// UserName is the RAM user name (alice, never alice@corp.onaliyun.com).
	UserName string
	// UserID is the RAM user ID.
	UserID string
	// Keys are the AccessKeys in the bin, in any order.
	Keys []Key
	// Recycled is set when the user itself is in the user recycle bin: its keys are then alerted as
	// part of the user's alert, never on their own.
	Recycled *RecycledUser
}

// RecycledUser is a deleted RAM user, as ListUsersInRecycleBin returns it. Deleting a user moves it
// into the user recycle bin and its AccessKeys into the AccessKey recycle bin; purging the user (at its
// DeleteDate, or at once when the bin is full) purges every AccessKey it had.
type RecycledUser struct {
	// PrincipalName is the user's principal name (alice@corp.onaliyun.com).
	PrincipalName string
	// CreateDate is when the user was created.
	CreateDate time.Time
	// RecycleDate is when the user was deleted, that is moved into the user recycle bin.
	RecycleDate time.Time
	// DeleteDate is when the user is purged for good, with every AccessKey it had.
	DeleteDate time.Time
}

// UserBinCapacity is how many users the user recycle bin holds: deleting one more purges the user that
// entered it first, at once ("Deactivate and delete a RAM user", limits:
// https://www.alibabacloud.com/help/tc/ram/user-guide/delete-a-ram-user).
const UserBinCapacity = 1000

// firstPurge is a deleted user's first loss at a check whose fire time is cur: the earliest DeleteDate
// of the user and its keys that is still ahead of cur; when none is, the earliest of them all. A key
// whose DeleteDate passed before cur is lost already (the bin is emptied a while after it): counting it
// would hide the user's next loss from every threshold.
func (b Bin) firstPurge(cur time.Time) time.Time {
	earliest, ahead := b.Recycled.DeleteDate, time.Time{}
	consider := func(d time.Time) {
		if d.Before(earliest) {
			earliest = d
		}
		if d.After(cur) && (ahead.IsZero() || d.Before(ahead)) {
			ahead = d
		}
	}
	consider(b.Recycled.DeleteDate)
	for _, k := range b.Keys {
		consider(k.DeleteDate)
	}
	if ahead.IsZero() {
		return earliest
	}
	return ahead
}

// Alert is one thing the run tells people about: an AccessKey in the recycle bin (a key alert), or a
// deleted RAM user with its AccessKeys (a user alert, Event.ForUser). The two have their own JSON
// shapes, which MarshalJSON writes (keyAlertJSON, userAlertJSON hold the names; Alert has no tags): the
// fields below marked "user alerts only" are in a user alert's, AccessKeyID and BinFull in a key
// alert's only, and DeleterMissing in neither.
type Alert struct {
	// ID is alrt_ and 32 hex digits of a SHA-256 over the account ID, event, AccessKey ID (for a user
	// alert "user:" and the user ID), DeleteDate and threshold (and the window, for digests; and
	// FirstPurgeDate, for user alerts): the same across runs and retries, so that a receiver can
	// de-duplicate alert by alert.
	ID string
	// Event says why the key or user is alerted.
	Event Event
	// AccountID is the Alibaba Cloud account the key or user belongs to.
	AccountID string
	// AccountName names that account: its display name in the Resource Directory, ACCOUNT_LABEL for the
	// function's own account, else its ID.
	AccountName string
	// UserName is the RAM user name.
	UserName string
	// UserID is the RAM user ID.
	UserID string
	// UserPrincipalName is the user's principal name (user alerts only).
	UserPrincipalName string
	// AccessKeyID is the full AccessKey ID (key alerts only).
	AccessKeyID string
	// CreateDate is when the key (or the user) was created.
	CreateDate time.Time
	// RecycleDate is when the key (or the user) entered the recycle bin.
	RecycleDate time.Time
	// DeleteDate is when the key (or the user, with every AccessKey it had) is purged for good.
	DeleteDate time.Time
	// FirstPurgeDate is the user's first loss: the earliest DeleteDate of the user and of its keys in
	// the AccessKey recycle bin that is still ahead at the check's fire time (when none is, the earliest
	// of them all) (user alerts only). Its thresholds and RemainingSeconds count to it.
	FirstPurgeDate time.Time
	// ThresholdHours is, for expiring alerts only, the smallest threshold passed before the next check.
	ThresholdHours *int
	// RemainingSeconds counts from the run's now to DeleteDate (FirstPurgeDate for a user alert);
	// negative when past it.
	RemainingSeconds int64
	// BinFull is true when the user's bin holds binCapacity keys or more (key alerts only).
	BinFull bool
	// DeletedBy is who deleted the key (or the user), from ActionTrail: on recycled and userRecycled
	// alerts, and on digest and userDigest entries recycled within ActionTrail's look-up period (90
	// days), when the deletion was found; omitted otherwise. It is not part of ID: the run that finds the deleter and the one that did not (yet)
	// give the alert the same ID.
	DeletedBy *Deleter
	// DeleterMissing says why an alert whose deletion ActionTrail was searched for has no DeletedBy;
	// empty when it has one or nobody looked. Chat says it; the wire formats do not carry it (no
	// deletedBy says it there).
	DeleterMissing DeleterMissing
	// AccessKeys are the user's AccessKeys in the AccessKey recycle bin, soonest DeleteDate first
	// (user alerts only; never nil in one): each is purged at its own DeleteDate, or with the user.
	AccessKeys []UserKey
}

// UserKey is an AccessKey of a deleted user, as its user alert lists it.
type UserKey struct {
	// AccessKeyID is the full AccessKey ID.
	AccessKeyID string `json:"accessKeyId"`
	// RecycleDate is when the key entered the AccessKey recycle bin.
	RecycleDate time.Time `json:"recycleDate"`
	// DeleteDate is when the key is purged, unless its user is purged first.
	DeleteDate time.Time `json:"deleteDate"`
}

// PurgeDate is when the alert's first loss happens: a key alert's DeleteDate, a user alert's
// FirstPurgeDate. Alerts are ordered by it.
func (a Alert) PurgeDate() time.Time {
	if a.Event.ForUser() {
		return a.FirstPurgeDate
	}
	return a.DeleteDate
}

// keyAlertJSON is the JSON of a key alert: the fields it always had, and its account.
type keyAlertJSON struct {
	ID               string    `json:"id"`
	Event            Event     `json:"event"`
	AccountID        string    `json:"accountId"`
	AccountName      string    `json:"accountName"`
	UserName         string    `json:"userName"`
	UserID           string    `json:"userId"`
	AccessKeyID      string    `json:"accessKeyId"`
	CreateDate       time.Time `json:"createDate"`
	RecycleDate      time.Time `json:"recycleDate"`
	DeleteDate       time.Time `json:"deleteDate"`
	ThresholdHours   *int      `json:"thresholdHours,omitempty"`
	RemainingSeconds int64     `json:"remainingSeconds"`
	BinFull          bool      `json:"binFull"`
	DeletedBy        *Deleter  `json:"deletedBy,omitempty"`
}

// userAlertJSON is the JSON of a user alert.
type userAlertJSON struct {
	ID                string    `json:"id"`
	Event             Event     `json:"event"`
	AccountID         string    `json:"accountId"`
	AccountName       string    `json:"accountName"`
	UserName          string    `json:"userName"`
	UserID            string    `json:"userId"`
	UserPrincipalName string    `json:"userPrincipalName"`
	CreateDate        time.Time `json:"createDate"`
	RecycleDate       time.Time `json:"recycleDate"`
	DeleteDate        time.Time `json:"deleteDate"`
	FirstPurgeDate    time.Time `json:"firstPurgeDate"`
	ThresholdHours    *int      `json:"thresholdHours,omitempty"`
	RemainingSeconds  int64     `json:"remainingSeconds"`
	AccessKeys        []UserKey `json:"accessKeys"`
	DeletedBy         *Deleter  `json:"deletedBy,omitempty"`
}

// MarshalJSON writes a key alert or a user alert in its own shape: a key alert's fields are those it
// always had, its account, and deletedBy when it has one; a user alert has no accessKeyId or binFull,
// and its accessKeys is always an array.
func (a Alert) MarshalJSON() ([]byte, error) {
	if a.Event.ForUser() {
		keys := a.AccessKeys
		if keys == nil {
			keys = []UserKey{}
		}
		return json.Marshal(userAlertJSON{
			ID: a.ID, Event: a.Event, AccountID: a.AccountID, AccountName: a.AccountName, UserName: a.UserName, UserID: a.UserID, UserPrincipalName: a.UserPrincipalName,
			CreateDate: a.CreateDate, RecycleDate: a.RecycleDate, DeleteDate: a.DeleteDate, FirstPurgeDate: a.FirstPurgeDate,
			ThresholdHours: a.ThresholdHours, RemainingSeconds: a.RemainingSeconds, AccessKeys: keys, DeletedBy: a.DeletedBy,
		})
	}
	return json.Marshal(keyAlertJSON{
		ID: a.ID, Event: a.Event, AccountID: a.AccountID, AccountName: a.AccountName, UserName: a.UserName, UserID: a.UserID, AccessKeyID: a.AccessKeyID,
		CreateDate: a.CreateDate, RecycleDate: a.RecycleDate, DeleteDate: a.DeleteDate,
		ThresholdHours: a.ThresholdHours, RemainingSeconds: a.RemainingSeconds, BinFull: a.BinFull, DeletedBy: a.DeletedBy,
	})
}

// UserError is a configured user whose recycle bin could not be read, or an account that could not be
// read at all (User "*").
type UserError struct {
	// Account is the account ID the user belongs to; omitted when unknown.
	Account string `json:"account,omitempty"`
	// User is the entry as configured (for users found through *, the user name); "*" for a failing
	// ListUsers, and for an account that could not be read at all (AssumeRole failed, or no read
	// succeeded); "ListUsersInRecycleBin" and "ListAccounts" for those listings.
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
	// Alerts are every alert of the run, key and user alerts, most urgent first (soonest PurgeDate
	// first); never cut.
	Alerts []Alert `json:"alerts"`
	// Errors are the users whose bin could not be read.
	Errors []UserError `json:"errors"`
	// Warnings are said in the log, the result and every message.
	Warnings []string `json:"warnings"`
	// UsersChecked counts the users whose bin was read, so that an empty digest says how many bins
	// were empty.
	UsersChecked int `json:"usersChecked"`
	// RecycledUsers counts the deleted RAM users watched in the user recycle bin (their own AccessKey
	// bins read); omitted when there are none.
	RecycledUsers int `json:"recycledUsers,omitempty"`
	// Accounts are the accounts the run read, or tried to, in the order it took them: the function's
	// own first, then the others in the order of ACCOUNTS or of the Resource Directory.
	Accounts []AccountSummary `json:"accounts"`
}

// AccountSummary is one account a run read, or tried to.
type AccountSummary struct {
	// AccountID is the account ID.
	AccountID string `json:"accountId"`
	// AccountName names the account, as its alerts do.
	AccountName string `json:"accountName"`
	// UsersChecked counts the users of the account whose bin was read.
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
		if a.Event.ForUser() {
			a.FirstPurgeDate = a.FirstPurgeDate.UTC()
			a.AccessKeys = slices.Clone(a.AccessKeys)
			for j, k := range a.AccessKeys {
				a.AccessKeys[j] = UserKey{AccessKeyID: k.AccessKeyID, RecycleDate: k.RecycleDate.UTC(), DeleteDate: k.DeleteDate.UTC()}
			}
		}
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
	f.Accounts = append(make([]AccountSummary, 0, len(f.Accounts)), f.Accounts...)
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

// Package handler is the job: it decodes an invocation's event, reads the configured users' recycle bins
// in every configured account while it asks ActionTrail who deleted the keys, applies the alert policy,
// puts each deleter on its alert, and delivers (or, in a dry run, previews) one message per channel. It
// does not know it runs on Function Compute: the runtime passes the invocation's facts in as values.
//
// Hostile input cannot hurt a run: an event is at most 1 MiB and its arrays are counted before they are
// held; every channel's messages are rendered before any is sent; and the run's work ends a guard before
// the invocation's deadline, so that its result or error is always answered in time.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// Reader reads the recycle bins of RAM users in one account, with that account's credentials.
type Reader interface {
	Read(ctx context.Context, creds *alibaba.Credentials, entries []string) (*alibaba.Scan, error)
}

// Invocation holds the facts of one invocation.
type Invocation struct {
	// RequestID identifies the invocation in logs and, for manual runs, in the webhook-id.
	RequestID string
	// AccountID is the account the function runs in; empty when unknown.
	AccountID string
	// RetryCount is FC's retry number: 0 on the first attempt.
	RetryCount int
	// Credentials are the role's per-invocation credentials; nil for the default credential chain.
	Credentials *alibaba.Credentials
}

// Settings are what a run does when its event overrides nothing.
type Settings struct {
	// Users are the RAM user entries to read (RAM_USERS), or exactly ["*"].
	Users []string
	// Thresholds are the lead times before DeleteDate, ascending, without duplicates (ALERT_THRESHOLDS).
	Thresholds []time.Duration
	// AlertOnRecycle alerts a key in its first run as recycled (ALERT_ON_RECYCLE).
	AlertOnRecycle bool
	// Mode is alert.ModeCrossing or alert.ModeDigest (ALERT_MODE).
	Mode string
	// Schedule is the timer trigger's schedule (SCHEDULE); nil when unset.
	Schedule *schedule.Schedule
	// Location is the zone of the dates shown to people (TIMEZONE).
	Location *time.Location
	// AccountLabel names the account beside its ID (ACCOUNT_LABEL).
	AccountLabel string
	// AccountID is the account when an invocation does not carry it (FC_ACCOUNT_ID).
	AccountID string
	// DryRun renders every message and sends none (DRY_RUN).
	DryRun bool
	// Accounts are the accounts to read (ACCOUNTS): nil for the function's own account, ["*"] for it and
	// every member of its Resource Directory that has joined it, or account IDs.
	Accounts []string
	// MemberRole is the role assumed in every account but the function's own (MEMBER_ROLE_NAME).
	MemberRole string
	// LookupDeleter looks up who deleted each recycled key in ActionTrail (LOOKUP_DELETER).
	LookupDeleter bool
}

// Handler runs the job. Its fields are set once by main.
type Handler struct {
	// Settings are the run's settings; unused when ConfigErr is set.
	Settings Settings
	// ConfigErr fails every invocation when the configuration is invalid.
	ConfigErr error
	// Reader reads the bins.
	Reader Reader
	// Directory lists the Resource Directory's members and assumes the member role in them; needed with
	// ACCOUNTS only.
	Directory Directory
	// Trail looks up who deleted the recycled keys; nil: nobody looks.
	Trail Trail
	// Channels are the configured channels.
	Channels []notify.Channel
	// PreviewChannels are rendered in a dry run when no channel is configured.
	PreviewChannels []notify.Channel
	// Logger writes the run's log lines; the handler adds the request ID.
	Logger *slog.Logger
	// Now is the clock.
	Now func() time.Time
	// Go starts a goroutine of the invocation; a panic in it must fail the invocation (fcruntime.Go).
	Go func(ctx context.Context, fn func())
	// Sleep waits for d or until ctx is done; nil means sleep.For.
	Sleep func(ctx context.Context, d time.Duration) error
}

// RejectedError is a failure found before the first API call: a bad configuration or event.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string { return e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// runError is a run that started and failed; the result still says everything that was done.
type runError struct {
	// Summary is one line: what failed.
	Summary string
}

func (e *runError) Error() string { return e.Summary }

// manualLead is how far ahead of the clock a manual now may be, unless the run is dry.
const manualLead = 5 * time.Minute

// Handle runs one invocation. The result is nil only for a rejected invocation; with a runError it holds
// what the run did before failing. It logs the run and its result.
func (h *Handler) Handle(ctx context.Context, inv Invocation, body []byte) (*Result, error) {
	start := h.now()
	ctx = withRequestID(ctx, inv.RequestID)
	wctx, cancel := workContext(ctx)
	defer cancel()
	r, err := h.handle(wctx, inv, body, start)
	if r == nil {
		// The result line of a rejected run: no result, the error that says why.
		h.Logger.ErrorContext(ctx, "result", "result", nil, "rejected", true, "error", err.Error())
		return nil, err
	}
	r.DurationMS = h.now().Sub(start).Milliseconds()
	h.logResult(ctx, r, err)
	return r, err
}

// handle is the run: decode the event, settle the run's settings, resolve its window, settle its
// accounts, read the bins of each (while ActionTrail is asked who deleted keys there), decide the alerts
// and say who deleted them, and tell every channel (or preview what it would be told).
func (h *Handler) handle(ctx context.Context, inv Invocation, body []byte, clock time.Time) (*Result, error) {
	if h.ConfigErr != nil {
		return nil, &RejectedError{h.ConfigErr}
	}
	ev, err := decodeEvent(body)
	if err != nil {
		return nil, &RejectedError{err}
	}
	s, err := h.settle(ev, clock)
	if err != nil {
		return nil, &RejectedError{err}
	}
	times, err := s.times(ev, clock)
	if err != nil {
		return nil, &RejectedError{err}
	}
	if err := h.waitForFireTime(ctx, times.Cur, clock); err != nil {
		return newResult(inv, s, times), &runError{Summary: "waiting for the fire time: " + err.Error()}
	}
	accounts, err := h.planAccounts(ctx, inv, s, ev.Overrides.Accounts)
	var rejected *RejectedError
	if errors.As(err, &rejected) {
		return nil, err
	}
	res := newResult(inv, s, times)
	for _, w := range res.Warnings {
		h.Logger.WarnContext(ctx, w)
	}
	if err != nil {
		return res, err
	}

	reads := h.readAccounts(ctx, inv, s, accounts, times)
	failures := res.record(ctx, h.Logger, accounts, reads, s.Users)
	res.Alerts = alertsOf(reads)

	report := &alert.Report{Findings: res.Findings, Now: times.Now, RetryCount: inv.RetryCount, RequestID: inv.RequestID,
		Manual: !ev.Timer, DryRun: s.DryRun, Location: s.Location}
	failures = append(failures, h.tell(ctx, res, report)...)
	if len(failures) > 0 {
		return res, &runError{Summary: strings.Join(failures, "; ")}
	}
	return res, nil
}

// settle returns the run's settings: h's, with the event's overrides applied. An event that asks to
// send with no channel configured, or a manual now more than 5 minutes ahead of the clock (unless
// dry), is an error.
func (h *Handler) settle(ev event, clock time.Time) (Settings, error) {
	s, o := h.Settings, ev.Overrides
	if o.Users != nil {
		s.Users = o.Users
	}
	if o.Thresholds != nil {
		s.Thresholds = o.Thresholds
	}
	if o.Mode != "" {
		s.Mode = o.Mode
	}
	if o.DryRun != nil {
		s.DryRun = *o.DryRun
		if !s.DryRun && len(h.Channels) == 0 {
			return s, errors.New("event: dryRun is false but no channel is configured")
		}
	}
	if o.Now != nil && o.Now.After(clock.Add(manualLead)) && !s.DryRun {
		return s, fmt.Errorf("event: now %s is more than 5 minutes ahead of the clock (%s): use a past time to replay a run, or dryRun:true",
			o.Now.Format(time.RFC3339), clock.UTC().Format(time.RFC3339))
	}
	return s, nil
}

// times are the run's times: a timer event's from its trigger time and SCHEDULE; a manual run's from
// its now (the event's, else the clock) and SCHEDULE, or without one the day before and after now.
func (s Settings) times(ev event, clock time.Time) (schedule.Times, error) {
	switch {
	case ev.Timer && s.Schedule == nil:
		return schedule.Times{}, errors.New("SCHEDULE is not set: a timer event needs the trigger's schedule to compute its window (set SCHEDULE to the trigger's cronExpression)")
	case ev.Timer:
		return schedule.Resolve(s.Schedule, ev.TriggerTime, true), nil
	}
	now := clock
	if ev.Overrides.Now != nil {
		now = *ev.Overrides.Now
	}
	if s.Schedule == nil {
		return schedule.Manual(now), nil
	}
	return schedule.Resolve(s.Schedule, now, false), nil
}

// waitForFireTime waits for cur when the run starts at most a minute before it (an early trigger): a
// key recycled between the read and cur would otherwise belong to no run's window.
func (h *Handler) waitForFireTime(ctx context.Context, cur, clock time.Time) error {
	early := cur.Sub(clock)
	if early <= 0 || early > time.Minute {
		return nil
	}
	h.Logger.InfoContext(ctx, "waiting for the fire time", "cur", cur, "waitMs", early.Milliseconds())
	if h.Sleep != nil {
		return h.Sleep(ctx, early)
	}
	return sleep.For(ctx, early)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

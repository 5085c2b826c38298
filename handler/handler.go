// Package handler is the job: it decodes an invocation's event, reads the configured users' recycle bins,
// applies the alert policy, and delivers (or, in a dry run, previews) one message per channel. It does not
// know it runs on Function Compute: the runtime passes the invocation's facts in as values.
//
// Hostile input cannot hurt a run: an event is at most 1 MiB and its arrays are counted before they are
// held; every channel's messages are rendered before any is sent; and the run's work ends a guard before
// the invocation's deadline, so that its result or error is always answered in time.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/internal/sleep"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// Reader reads the recycle bins of RAM users.
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

// Handler runs the job. Its fields are set once by main.
type Handler struct {
	// Config is the validated configuration; nil when ConfigErr is set.
	Config *config.Config
	// ConfigErr fails every invocation when the configuration is invalid.
	ConfigErr error
	// Reader reads the bins.
	Reader Reader
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
	// Sleep waits for d or until ctx is done; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// RejectedError is a failure found before the first API call: a bad configuration or event.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string { return e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// RunError is a run that started and failed; the result still says everything that was done.
type RunError struct {
	// Summary is one line: what failed.
	Summary string
}

func (e *RunError) Error() string { return e.Summary }

// manualLead is how far ahead of the clock a manual now may be, unless the run is dry.
const manualLead = 5 * time.Minute

// Handle runs one invocation. The result is nil only for a rejected invocation; with a RunError it holds
// what the run did before failing.
func (h *Handler) Handle(ctx context.Context, inv Invocation, body []byte) (*Result, error) {
	start := h.now()
	log := h.Logger
	ctx = withRequestID(ctx, inv.RequestID)
	wctx, cancel := workContext(ctx)
	defer cancel()
	r, err := h.handle(wctx, log, inv, body, start)
	if r != nil {
		r.DurationMS = h.now().Sub(start).Milliseconds()
		log.InfoContext(ctx, "run", "mode", r.Mode, "users", r.UsersChecked, "unreadable", len(r.Errors), "keys", r.KeysInBins,
			"alerts", len(r.Alerts), "dryRun", r.DryRun, "durationMs", r.DurationMS)
		level := slog.LevelInfo
		if err != nil {
			level = slog.LevelError
		}
		// The line's other fields (time, level, message, error, requestId) share its 32 KB.
		budget := maxResultLine - len(errString(err)) - 512
		v, truncated := r.logValue(budget)
		log.Log(ctx, level, "result", "result", v, "error", errString(err))
		if truncated {
			// Every alert stays on record: the chat messages list 100 and point here for the rest.
			chunks := alertChunks(r.Alerts, maxResultLine-512)
			for i, c := range chunks {
				log.Log(ctx, level, "result alerts", "part", fmt.Sprintf("%d/%d", i+1, len(chunks)), "alerts", c)
			}
		}
	} else if err != nil {
		log.ErrorContext(ctx, "rejected", "error", err.Error())
	}
	return r, err
}

func (h *Handler) handle(ctx context.Context, log *slog.Logger, inv Invocation, body []byte, clock time.Time) (*Result, error) {
	if h.ConfigErr != nil {
		return nil, &RejectedError{h.ConfigErr}
	}
	cfg := h.Config
	ev, err := DecodeEvent(body)
	if err != nil {
		return nil, &RejectedError{err}
	}
	o := ev.Overrides
	users, thresholds, mode, dryRun := cfg.Users, cfg.Thresholds, cfg.Mode, cfg.DryRun
	if o.Users != nil {
		users = o.Users
	}
	if o.Thresholds != nil {
		thresholds = o.Thresholds
	}
	if o.Mode != "" {
		mode = o.Mode
	}
	if o.DryRun != nil {
		dryRun = *o.DryRun
		if !dryRun && !cfg.Channels() {
			return nil, &RejectedError{errors.New("event: dryRun is false but no channel is configured")}
		}
	}

	var times schedule.Times
	switch {
	case ev.Timer && cfg.Schedule == nil:
		return nil, &RejectedError{errors.New("SCHEDULE is not set: a timer event needs the trigger's schedule to compute its window (set SCHEDULE to the trigger's cronExpression)")}
	case ev.Timer:
		times = schedule.Resolve(cfg.Schedule, ev.TriggerTime, true)
	default:
		now := clock
		if o.Now != nil {
			now = *o.Now
			if now.After(clock.Add(manualLead)) && !dryRun {
				return nil, &RejectedError{fmt.Errorf("event: now %s is more than 5 minutes ahead of the clock (%s): use a past time to replay a run, or dryRun:true", now.Format(time.RFC3339), clock.UTC().Format(time.RFC3339))}
			}
		}
		if cfg.Schedule != nil {
			times = schedule.Resolve(cfg.Schedule, now, false)
		} else {
			times = schedule.Manual(now)
		}
	}
	// A run that starts before its fire time (an early trigger) waits for it: a key recycled between the
	// read and cur would otherwise belong to no run's window.
	if early := times.Cur.Sub(clock); early > 0 && early <= time.Minute {
		log.InfoContext(ctx, "waiting for the fire time", "cur", times.Cur, "waitMs", early.Milliseconds())
		if err := h.sleep(ctx, early); err != nil {
			return nil, &RunError{Summary: "waiting for the fire time: " + err.Error()}
		}
	}
	window := alert.Window{From: times.Prev, To: times.Cur}
	accountID := inv.AccountID
	if accountID == "" {
		accountID = cfg.AccountID
	}
	res := &Result{
		RequestID: inv.RequestID,
		Now:       times.Now,
		Findings: alert.Findings{
			Mode:         mode,
			AccountID:    accountID,
			AccountLabel: cfg.AccountLabel,
			Window:       window,
			Next:         times.Next,
			Alerts:       []alert.Alert{},
			Errors:       []alert.UserError{},
			Warnings:     append([]string{}, times.Warnings...),
		},
		DryRun: dryRun,
	}
	for _, w := range res.Warnings {
		log.WarnContext(ctx, w)
	}

	rctx, cancel := readContext(ctx)
	scan, err := h.Reader.Read(rctx, inv.Credentials, users)
	cancel()
	if err != nil {
		return res, &RunError{Summary: "reading the recycle bins failed: " + err.Error()}
	}
	var failures []string
	var transient, panicked []alibaba.UserError
	for _, e := range scan.Errors {
		res.Errors = append(res.Errors, e.UserError)
		if e.Transient {
			transient = append(transient, e)
		}
		if e.Panicked {
			panicked = append(panicked, e)
		}
		log.WarnContext(ctx, "user unreadable", "user", e.User, "code", e.Code, "message", e.Message, "transient", e.Transient)
	}
	res.UsersChecked = len(scan.Bins)
	for _, b := range scan.Bins {
		res.KeysInBins += len(b.Keys)
	}
	if s := unreadableSummary(scan, users); s != "" {
		failures = append(failures, s)
	} else if len(transient) > 0 {
		failures = append(failures, fmt.Sprintf("%d of %d users unreadable after retries (%s)", len(transient), len(transient)+len(scan.Bins), codeCounts(toUserErrors(transient))))
	}
	if len(panicked) > 0 {
		failures = append(failures, fmt.Sprintf("reading %d users panicked (%s): see their errors", len(panicked), codeCounts(toUserErrors(panicked))))
	}

	res.Alerts = alert.Evaluate(scan.Bins, times.Now, window, times.Next, alert.Policy{
		Mode: mode, Thresholds: thresholds, AlertOnRecycle: cfg.AlertOnRecycle, AccountID: accountID,
	})
	if res.Alerts == nil {
		res.Alerts = []alert.Alert{}
	}

	report := &alert.Report{Findings: res.Findings, Now: times.Now, RetryCount: inv.RetryCount, RequestID: inv.RequestID,
		Manual: !ev.Timer, DryRun: dryRun, Location: cfg.Location}
	post := mode == alert.ModeDigest || len(res.Alerts) > 0 || len(res.Errors) > 0

	if dryRun {
		channels := h.Channels
		if len(channels) == 0 {
			channels = h.PreviewChannels
		}
		for _, ch := range channels {
			p := Preview{Channel: ch.Name(), Messages: []json.RawMessage{}}
			if post {
				posts, err := ch.Render(report)
				if err != nil {
					failures = append(failures, fmt.Sprintf("%s: rendering failed: %v", ch.Name(), err))
				}
				for _, post := range posts {
					p.Messages = append(p.Messages, post.Body)
				}
			}
			res.Preview = append(res.Preview, p)
		}
	} else {
		var renderErr error
		res.Deliveries, renderErr = h.deliver(ctx, log, report, post)
		var failed []string
		for _, d := range res.Deliveries {
			if !d.OK {
				failed = append(failed, d.Channel+": "+d.Error)
			}
		}
		switch {
		case renderErr != nil:
			failures = append(failures, "nothing sent: "+renderErr.Error())
		case len(failed) > 0:
			failures = append(failures, "delivery failed: "+strings.Join(failed, "; "))
		}
	}
	if len(failures) > 0 {
		return res, &RunError{Summary: strings.Join(failures, "; ")}
	}
	return res, nil
}

// deliver renders the report for every channel first, then posts it to all of them at once and waits
// for them. When a channel cannot render the report, no channel is sent anything, so that no channel is
// posted while another is not: every delivery then fails with the error, which is returned.
func (h *Handler) deliver(ctx context.Context, log *slog.Logger, report *alert.Report, post bool) ([]Delivery, error) {
	out := make([]Delivery, len(h.Channels))
	for i, ch := range h.Channels {
		out[i] = Delivery{Channel: ch.Name(), OK: true}
	}
	if !post {
		return out, nil
	}
	rendered := make([][]notify.Post, len(h.Channels))
	var problems []string
	for i, ch := range h.Channels {
		posts, err := render(ch, report)
		if err != nil {
			problems = append(problems, ch.Name()+": "+err.Error())
		}
		rendered[i] = posts
	}
	if len(problems) > 0 {
		err := errors.New("rendering failed for " + strings.Join(problems, "; "))
		log.ErrorContext(ctx, "nothing sent", "error", err.Error())
		for i := range out {
			out[i].OK, out[i].Error = false, "not sent: "+err.Error()
		}
		return out, err
	}
	var wg sync.WaitGroup
	for i, ch := range h.Channels {
		posts := rendered[i]
		wg.Add(1)
		h.spawn(ctx, func() {
			defer wg.Done()
			d := &out[i]
			d.OK = false
			d.Error = "panicked"
			sent, err := notify.Deliver(ctx, ch, posts)
			d.Messages = sent
			if err != nil {
				d.Error = err.Error()
				log.ErrorContext(ctx, "delivery failed", "channel", ch.Name(), "sent", sent, "of", len(posts), "error", d.Error)
				return
			}
			d.OK, d.Error = true, ""
			log.InfoContext(ctx, "delivered", "channel", ch.Name(), "messages", sent)
		})
	}
	wg.Wait()
	return out, nil
}

// render renders the report for ch; a panic in it is an error.
func render(ch notify.Channel, report *alert.Report) (posts []notify.Post, err error) {
	defer func() {
		if v := recover(); v != nil {
			posts, err = nil, fmt.Errorf("panicked: %v", v)
		}
	}()
	return ch.Render(report)
}

func (h *Handler) spawn(ctx context.Context, fn func()) {
	if h.Go != nil {
		h.Go(ctx, fn)
		return
	}
	go fn()
}

// answerGuard is how long before the invocation's deadline the run's work ends, to leave time for
// encoding and posting its result or error, however a channel or the API behaves: 5% of the time left
// when the run starts, at least a second, and at most half of it.
func answerGuard(remaining time.Duration) time.Duration {
	return min(max(time.Second, remaining/20), remaining/2)
}

// workContext bounds the run's work (reading, rendering, delivering) to end answerGuard before ctx's
// deadline.
func workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-answerGuard(time.Until(deadline))))
}

// deliveryReserve is the share of the invocation's remaining time kept for sending the messages after the
// bins were read: a third, at most a minute (DingTalk and WeCom are paced to a post every 3 s).
func deliveryReserve(remaining time.Duration) time.Duration {
	return min(remaining/3, time.Minute)
}

// readContext bounds the reading of the bins so that the reserve for delivery is left.
func readContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-deliveryReserve(time.Until(deadline))))
}

func (h *Handler) sleep(ctx context.Context, d time.Duration) error {
	if h.Sleep != nil {
		return h.Sleep(ctx, d)
	}
	return sleep.For(ctx, d)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// unreadableSummary is the failure when no user's bin could be read at all, or ListUsers failed for *.
func unreadableSummary(scan *alibaba.Scan, users []string) string {
	for _, e := range scan.Errors {
		if e.User == "*" && len(users) == 1 && users[0] == "*" {
			return fmt.Sprintf("listing the RAM users failed: %s: %s", e.Code, e.Message)
		}
	}
	if len(scan.Bins) > 0 || len(scan.Errors) == 0 {
		return ""
	}
	errs := toUserErrors(scan.Errors)
	codes := map[string]bool{}
	for _, e := range errs {
		codes[e.Code] = true
	}
	if len(codes) == 1 {
		code := errs[0].Code
		s := fmt.Sprintf("%s for all %s users", code, thousands(len(errs)))
		if hint := alibaba.Hint(code); hint != "" {
			s += ": " + hint
		}
		return s
	}
	return fmt.Sprintf("no user's recycle bin could be read (%s)", codeCounts(errs))
}

func toUserErrors(in []alibaba.UserError) []alert.UserError {
	out := make([]alert.UserError, len(in))
	for i, e := range in {
		out[i] = e.UserError
	}
	return out
}

// codeCounts is "3 NoPermission, 1 EntityNotExist.User", most frequent first.
func codeCounts(errs []alert.UserError) string {
	n := map[string]int{}
	for _, e := range errs {
		n[e.Code]++
	}
	codes := make([]string, 0, len(n))
	for c := range n {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if n[codes[i]] != n[codes[j]] {
			return n[codes[i]] > n[codes[j]]
		}
		return codes[i] < codes[j]
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d %s", n[c], c)
	}
	return strings.Join(parts, ", ")
}

// thousands formats n with comma separators (1,000).
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

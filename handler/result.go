package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// Result is what an invocation returns; `s invoke` prints it.
type Result struct {
	// RequestID is the invocation's request ID.
	RequestID string `json:"requestId,omitempty"`
	// Now is the run's time.
	Now time.Time `json:"now"`
	// Findings are what the run found, as the generic webhook's data carries them: the mode, the
	// account (ID from the invocation, else FC_ACCOUNT_ID, else empty), the window and the next check,
	// the alerts most urgent first, the unreadable users, the warnings, how many users were read and how
	// many deleted users are watched.
	alert.Findings
	// KeysInBins counts the AccessKeys found in the bins read, deleted users' included.
	KeysInBins int `json:"keysInBins"`
	// DryRun is true when nothing was sent.
	DryRun bool `json:"dryRun"`
	// Deliveries has one entry per configured channel (not in a dry run).
	Deliveries []Delivery `json:"deliveries,omitempty"`
	// Preview has, in a dry run, every body that would have been sent.
	Preview []Preview `json:"preview,omitempty"`
	// DurationMS is how long the run took, in milliseconds.
	DurationMS int64 `json:"durationMs"`
}

// newResult is the result of a run with settings s at times, before anything is read: the account is
// the invocation's, else s's.
func newResult(inv Invocation, s Settings, times schedule.Times) *Result {
	accountID := inv.AccountID
	if accountID == "" {
		accountID = s.AccountID
	}
	return &Result{
		RequestID: inv.RequestID,
		Now:       times.Now,
		Findings: alert.Findings{
			Mode:         s.Mode,
			AccountID:    accountID,
			AccountLabel: s.AccountLabel,
			Window:       alert.Window{From: times.Prev, To: times.Cur},
			Next:         times.Next,
			Alerts:       []alert.Alert{},
			Errors:       []alert.UserError{},
			Warnings:     append([]string{}, times.Warnings...),
			Accounts:     []alert.AccountSummary{},
		},
		DryRun: s.DryRun,
	}
}

// Delivery is the outcome of one channel.
type Delivery struct {
	// Channel is the channel's name (slack-webhook, slack, webhook, dingtalk, feishu, wecom).
	Channel string `json:"channel"`
	// OK is true when every message was delivered (also when there was nothing to send).
	OK bool `json:"ok"`
	// Messages counts the messages delivered.
	Messages int `json:"messages"`
	// Error says why the delivery failed, without secrets.
	Error string `json:"error,omitempty"`
}

// Preview is what a channel would have been sent in a dry run.
type Preview struct {
	// Channel is the channel's name.
	Channel string `json:"channel"`
	// Messages are the bodies, each a JSON value.
	Messages []json.RawMessage `json:"messages"`
}

// logResult logs the run's summary and its result line: level error when the run failed, with alerts
// and preview replaced by counts when the line would pass 32 KB, and then every alert in "result
// alerts" lines of at most 32 KB each (the chat messages list 100 and point here for the rest).
func (h *Handler) logResult(ctx context.Context, r *Result, err error) {
	log := h.Logger
	log.InfoContext(ctx, "run", "mode", r.Mode, "users", r.UsersChecked, "deletedUsers", r.RecycledUsers, "unreadable", len(r.Errors), "keys", r.KeysInBins,
		"alerts", len(r.Alerts), "dryRun", r.DryRun, "durationMs", r.DurationMS)
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelError
	}
	// The line's other fields (time, level, message, error, requestId) share its 32 KB.
	budget := maxResultLine - len(errString(err)) - 512
	v, truncated := r.logValue(budget)
	log.Log(ctx, level, "result", "result", v, "error", errString(err))
	if !truncated {
		return
	}
	chunks := alertChunks(r.Alerts, maxResultLine-512)
	for i, c := range chunks {
		log.Log(ctx, level, "result alerts", "part", fmt.Sprintf("%d/%d", i+1, len(chunks)), "alerts", c)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// maxResultLine is the size above which the logged result replaces alerts and preview by counts.
const maxResultLine = 32 << 10

// logValue returns the result as logged: itself, or with alerts and preview replaced by counts when its
// JSON would pass budget bytes (the line's other fields take the rest of maxResultLine).
func (r *Result) logValue(budget int) (v any, truncated bool) {
	b, err := json.Marshal(r)
	if err == nil && len(b) <= budget {
		return json.RawMessage(b), false
	}
	type short Result
	s := struct {
		*short
		Alerts    int  `json:"alerts"`
		Preview   int  `json:"preview,omitempty"`
		Truncated bool `json:"truncated"`
	}{short: (*short)(r), Alerts: len(r.Alerts), Truncated: true}
	for _, p := range r.Preview {
		s.Preview += len(p.Messages)
	}
	return s, true
}

// alertChunks splits the alerts into JSON arrays of at most budget bytes each, for the log lines that
// carry them when the result line could not. An alert always encodes (its dates come from the reader,
// which checks they lie within alert.FirstYear to alert.LastYear); were one not to, it is still named,
// with the error, rather than left out.
func alertChunks(alerts []alert.Alert, budget int) []json.RawMessage {
	var chunks []json.RawMessage
	cur := []byte{'['}
	for _, a := range alerts {
		b, err := json.Marshal(a)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"id": a.ID, "accessKeyId": a.AccessKeyID, "userId": a.UserID, "error": err.Error()})
		}
		if len(cur) > 1 && len(cur)+len(b)+2 > budget {
			chunks = append(chunks, append(cur, ']'))
			cur = []byte{'['}
		}
		if len(cur) > 1 {
			cur = append(cur, ',')
		}
		cur = append(cur, b...)
	}
	if len(cur) > 1 {
		chunks = append(chunks, append(cur, ']'))
	}
	return chunks
}

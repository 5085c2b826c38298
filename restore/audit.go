package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
)

// AuditType is the type of the audit event (Standard Webhooks event type).
const AuditType = "ram.accesskey.restored"

// Outcome is what a click came to, as the audit event says it.
type Outcome string

// The outcomes of a click. A failed restore (an API error, no answer in time) is no outcome: it is
// logged and told to the person who clicked, and posts no audit event.
const (
	// Restored: the restore call succeeded.
	Restored Outcome = "restored"
	// AlreadyRestored: the item had left the bin and is live: nothing was called.
	AlreadyRestored Outcome = "already-restored"
	// Purged: the item had left the bin and is gone for good: nothing was called.
	Purged Outcome = "purged"
	// NotAllowed: the Slack user is not in RESTORE_ALLOWED_USERS: nothing was called.
	NotAllowed Outcome = "not-allowed"
)

// Auditor posts audit events to the configured channels and the generic webhook. The restore flow
// calls it once per restore, already-restored or purged answer, and at most once a minute per Slack
// user for refusals; its error is logged.
type Auditor interface {
	Audit(ctx context.Context, e AuditEvent) error
}

// AuditEvent is the body of the audit event the generic webhook receives, and what the chat channels
// render. It is a public contract: fields are added, never renamed or removed.
type AuditEvent struct {
	// Type is AuditType.
	Type string `json:"type"`
	// Timestamp is when the click was answered, in UTC.
	Timestamp time.Time `json:"timestamp"`
	// Data is what was clicked and what came of it.
	Data AuditData `json:"data"`
}

// AuditData is the data of an AuditEvent. Its texts are data, never markup: a channel escapes them.
type AuditData struct {
	// AccountID is the account of the item.
	AccountID string `json:"accountId"`
	// AccountName is its display name; empty when it has none.
	AccountName string `json:"accountName"`
	// UserID is the RAM user's ID.
	UserID string `json:"userId"`
	// UserName is the RAM user's name, as the bin or GetUser showed it; empty when not known (a purged
	// or refused item).
	UserName string `json:"userName"`
	// AccessKeyID is the AccessKey; absent for a user.
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// AlertID is the id of the alert whose button was clicked.
	AlertID string `json:"alertId"`
	// RestoredBy is who clicked.
	RestoredBy SlackUser `json:"restoredBy"`
	// Outcome is what came of the click.
	Outcome Outcome `json:"outcome"`
}

// SlackUser is the Slack user who clicked.
type SlackUser struct {
	// SlackUserID is the user's ID (U…).
	SlackUserID string `json:"slackUserId"`
	// SlackUserName is the user's handle.
	SlackUserName string `json:"slackUserName"`
	// SlackActionTs is the click's action_ts (an addition to the documented body): the webhook-id covers
	// it, and it is here so that the id can be recomputed from the body alone.
	SlackActionTs string `json:"slackActionTs"`
}

// WebhookID returns the event's webhook-id: msg_ and the first 32 hex digits of a SHA-256 over the
// account, the item (the AccessKey ID, or "user:" and the user ID) and Slack's action_ts. A replay of a
// click repeats it, so that receivers can de-duplicate; a second click is a new event.
func (e AuditEvent) WebhookID() string {
	h := sha256.New()
	item := e.Data.AccessKeyID
	if item == "" {
		item = "user:" + e.Data.UserID
	}
	for _, f := range []string{"ak-recycle-alert/restored/v1", e.Data.AccountID, item, e.Data.RestoredBy.SlackActionTs} {
		h.Write([]byte(strconv.Itoa(len(f)) + ":" + f + ";"))
	}
	return "msg_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Summary says the event in one sentence of plain text for a chat message ("AccessKey LTAI… of RAM
// user alice in account prod (1234…) was restored from Slack by alice (U0123)"). Its values are data:
// each channel escapes the sentence for its format.
func (e AuditEvent) Summary() string {
	d := e.Data
	what := "RAM user " + named(d.UserName, 64, d.UserID)
	if d.AccessKeyID != "" {
		what = "AccessKey " + d.AccessKeyID + " of RAM user " + named(d.UserName, 64, d.UserID)
	}
	where := " in account " + named(d.AccountName, 64, d.AccountID)
	by := named(d.RestoredBy.SlackUserName, 80, d.RestoredBy.SlackUserID)
	switch d.Outcome {
	case Restored:
		return what + where + " was restored from Slack by " + by
	case AlreadyRestored:
		return what + where + ": " + by + " clicked Restore, but it was already restored"
	case Purged:
		return what + where + ": " + by + " clicked Restore, but it was already purged and cannot be restored"
	case NotAllowed:
		return "Slack user " + by + " clicked Restore on " + what + where + " but is not in RESTORE_ALLOWED_USERS: nothing was done"
	}
	return what + where + ": " + string(d.Outcome)
}

// refusalLimit lets through at most one refusal audit a minute per Slack user, so that a user who
// clicks again and again cannot flood the channels; every refusal is still logged. It remembers at most
// maxTracked users (per process: each FC instance has its own).
type refusalLimit struct {
	mu   sync.Mutex
	last map[string]time.Time
}

const (
	refusalEvery = time.Minute
	maxTracked   = 1000
)

// allow reports whether a refusal of user at now may be posted, and if so records it.
func (l *refusalLimit) allow(user string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[user]; ok && now.Sub(t) < refusalEvery && now.Sub(t) > -refusalEvery {
		return false
	}
	if l.last == nil {
		l.last = map[string]time.Time{}
	}
	if len(l.last) >= maxTracked {
		for u, t := range l.last {
			if now.Sub(t) >= refusalEvery || now.Sub(t) <= -refusalEvery {
				delete(l.last, u)
			}
		}
		if len(l.last) >= maxTracked {
			// Every tracked user refused within the minute: the flood is the news; drop the oldest.
			var oldest string
			for u, t := range l.last {
				if oldest == "" || t.Before(l.last[oldest]) {
					oldest = u
				}
			}
			delete(l.last, oldest)
		}
	}
	l.last[user] = now
	return true
}

package main

// The restore function's wiring: the restore handler (package restore) with its accounts, its auditor
// and its HTTP client, and its two doors, the go1 runtime's FC HTTP trigger events and the custom
// runtime's POST /slack/actions.

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// replyTimeout bounds one POST to a click's response_url.
const replyTimeout = 3 * time.Second

// newRestore returns the restore handler of cfg: restores in the accounts the alert function reads
// (ACCOUNTS), through reader's calls, a member's through MEMBER_RESTORE_ROLE_NAME; audit events to
// channels; replies through a client with a timeout.
func newRestore(cfg *config.Config, reader *alibaba.Reader, channels []notify.Channel, logger *slog.Logger) (*restore.Handler, error) {
	return restore.New(restore.Options{
		Config: cfg.Restore,
		Accounts: &alibaba.RestoreAccounts{Reader: reader, OwnID: cfg.Handler.AccountID, OwnName: cfg.Handler.AccountLabel,
			Accounts: cfg.Handler.Accounts, MemberRole: cfg.Restore.MemberRoleName},
		Auditor:    auditor{channels: channels},
		Logger:     logger,
		HTTPClient: &http.Client{Timeout: replyTimeout},
	})
}

// restoreEvent answers an FC HTTP trigger event on the go1 runtime: with the restore handler, which
// turns every outcome into an HTTP answer (404 when restore is off), the invocation's account and
// credentials in ctx for its calls. An invalid configuration fails the invocation.
func (f *function) restoreEvent(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
	if f.configErr != nil {
		return nil, f.configErr
	}
	return f.restore.ServeEvent(withCaller(ctx, inv), inv.RequestID, event), nil
}

// serveActions is the custom runtime's POST /slack/actions: the restore handler, the invocation's
// facts read from the headers FC adds to the request. An invalid configuration answers 500.
func (f *function) serveActions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.configErr != nil {
			f.logger.Error("restore request refused: invalid configuration", "requestId", r.Header.Get("X-Fc-Request-Id"))
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		f.restore.ServeHTTP(w, r.WithContext(withCaller(r.Context(), fcruntime.InvocationOf(r.Header))))
	})
}

// withCaller puts the invocation's account, role credentials and request ID in ctx, for
// alibaba.RestoreAccounts.
func withCaller(ctx context.Context, inv fcruntime.Invocation) context.Context {
	return alibaba.WithCaller(ctx, alibaba.Caller{AccountID: inv.AccountID, Credentials: credentials(inv), RequestID: inv.RequestID})
}

// auditor posts the restore handler's audit events to every configured channel as notices: the event's
// JSON to the generic webhook under its own webhook-id, its one-sentence summary to the chat channels.
type auditor struct {
	channels []notify.Channel
}

// Audit announces e on every channel.
func (a auditor) Audit(ctx context.Context, e restore.AuditEvent) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return notify.Announce(ctx, a.channels, &notify.Notice{
		Title:     cmp.Or(auditTitles[e.Data.Outcome], "AccessKey recycle bin: a Restore button was clicked"),
		Text:      e.Summary(),
		Attention: e.Data.Outcome == restore.NotAllowed,
		ID:        e.WebhookID(),
		Body:      body,
	})
}

// auditTitles are the notices' titles by outcome: each names the AccessKey recycle bin, so that the
// robots' keyword filters let it through.
var auditTitles = map[restore.Outcome]string{
	restore.Restored:        "AccessKey recycle bin: restored from Slack",
	restore.AlreadyRestored: "AccessKey recycle bin: already restored",
	restore.Purged:          "AccessKey recycle bin: already purged",
	restore.NotAllowed:      "AccessKey recycle bin: restore refused",
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// restoreEnv is the restore function's part of a configuration.
var restoreEnv = map[string]string{
	"SLACK_SIGNING_SECRET":  "registry-signing-secret-0123456789",
	"SLACK_TEAM_ID":         "T0TEAM0001",
	"SLACK_APP_ID":          "A0APP00001",
	"RESTORE_ALLOWED_USERS": "U0ALICE01",
	"RESTORE_TOKEN_SECRET":  "registry-restore-token-secret-0123456789",
}

// auditEvent is a restore's audit event.
var auditEvent = restore.AuditEvent{Type: restore.AuditType, Timestamp: time.Date(2026, 12, 3, 3, 12, 0, 0, time.UTC),
	Data: restore.AuditData{AccountID: "1234567890123456", AccountName: "prod", UserID: "2073290024939201", UserName: "alice",
		AccessKeyID: "LTAI5tEveryChannel000001", AlertID: "alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f",
		RestoredBy: restore.SlackUser{SlackUserID: "U0ALICE01", SlackUserName: "alice", SlackActionTs: "1796267565.000100"},
		Outcome:    restore.Restored}}

// TestRegistryAudit: the restore function audits on every channel of the registry, and on a channel
// added to it with nothing else: each channel gets one post naming the AccessKey, the generic webhook
// the event's own JSON under its webhook-id; when every vendor refuses quoting the request, the error
// names the channels and holds no secret.
func TestRegistryAudit(t *testing.T) {
	specs := append(slices.Clone(channels.All), teamsSpec)
	for _, refuse := range []bool{false, true} {
		var check notifytest.Check
		if refuse {
			check = notifytest.Careless
		}
		vendors := notifytest.NewVendors(t, check)
		e := map[string]string{}
		var secrets []string
		for _, spec := range specs {
			se := specEnv(t, spec, vendors)
			for k, v := range se {
				e[k] = v
			}
			secrets = append(secrets, secretValues(spec, se)...)
		}
		for k, v := range restoreEnv {
			e[k] = v
			secrets = append(secrets, v)
		}
		var logs bytes.Buffer
		f := build(func(k string) string { return e[k] }, &logs, specs)
		if f.configErr != nil || f.restore == nil || len(f.check.Channels) != len(specs) {
			t.Fatalf("build = %v, restore %v, %d channels; want a restore function with every channel", f.configErr, f.restore, len(f.check.Channels))
		}
		err := auditor{channels: f.check.Channels}.Audit(t.Context(), auditEvent)
		if refuse {
			for _, spec := range specs {
				if err == nil || !strings.Contains(err.Error(), spec.Name+": ") {
					t.Errorf("Audit() = %v, want the refusal of %s", err, spec.Name)
				}
			}
			if piece := notifytest.Leaked(err.Error(), secrets...); piece != "" {
				t.Errorf("Audit() = %v, holds %q", err, piece)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Audit() = %v", err)
		}
		for _, spec := range specs {
			posts := vendors.Posts(spec.Name)
			if len(posts) != 1 || !bytes.Contains(posts[0].Body, []byte(auditEvent.Data.AccessKeyID)) {
				t.Errorf("%s received %d posts, want one naming the AccessKey", spec.Name, len(posts))
			}
		}
		hook := vendors.Posts("webhook")[0]
		want, _ := json.Marshal(auditEvent)
		if !bytes.Equal(hook.Body, want) || hook.Header.Get("webhook-id") != auditEvent.WebhookID() {
			t.Errorf("the webhook got %s under %q, want the event %s under %q", hook.Body, hook.Header.Get("webhook-id"), want, auditEvent.WebhookID())
		}
	}
}

// TestBuildRestore: SLACK_SIGNING_SECRET makes the binary a restore function too; without it HTTP events
// are answered 404; an invalid configuration fails them (go1) or answers 500 (custom runtime), and
// every other invocation fails with it as before.
func TestBuildRestore(t *testing.T) {
	base := map[string]string{"RAM_USERS": "alice", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x"}
	env := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	slack := restoreEnv
	if f := build(env(slack), io.Discard, channels.All); f.restore == nil || f.configErr != nil || f.check.ConfigErr != nil {
		t.Errorf("with SLACK_SIGNING_SECRET: restore %v, errors %v, %v; want a restore handler and no error", f.restore, f.configErr, f.check.ConfigErr)
	}
	onlyRestore := map[string]string{"RAM_USERS": "", "SLACK_WEBHOOK_URL": ""}
	for k, v := range slack {
		onlyRestore[k] = v
	}
	if f := build(env(onlyRestore), io.Discard, channels.All); f.restore == nil || f.configErr != nil || f.check.ConfigErr == nil {
		t.Errorf("restore only: restore %v, errors %v, %v; want a restore handler and checks refused", f.restore, f.configErr, f.check.ConfigErr)
	}

	event := []byte(`{"version":"v1","rawPath":"/slack/actions","body":"payload=x","headers":{},"requestContext":{"requestId":"r","http":{"method":"POST","path":"/slack/actions"}}}`)
	off := build(env(nil), io.Discard, channels.All)
	if off.restore != nil {
		t.Fatalf("without SLACK_SIGNING_SECRET: a restore handler")
	}
	out, err := adapt(off)(t.Context(), fcruntime.Invocation{RequestID: "r"}, event)
	var r restore.HTTPResponse
	if err != nil || json.Unmarshal(out, &r) != nil || r.StatusCode != http.StatusNotFound {
		t.Errorf("an HTTP event without restore = %s, %v; want a 404 answer", out, err)
	}

	bad := build(env(map[string]string{"SLACK_SIGNING_SECRET": "too-short S3CRET"}), io.Discard, channels.All)
	if _, err := adapt(bad)(t.Context(), fcruntime.Invocation{RequestID: "r"}, event); err == nil || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET: ") ||
		strings.Contains(err.Error(), "S3CRET") {
		t.Errorf("an HTTP event with a bad configuration = %v, want the configuration error without the secret", err)
	}
	w := httptest.NewRecorder()
	bad.serveActions().ServeHTTP(w, httptest.NewRequest(http.MethodPost, restore.ActionsPath, strings.NewReader("payload=x")))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("POST /slack/actions with a bad configuration = %d, want 500", w.Code)
	}
}

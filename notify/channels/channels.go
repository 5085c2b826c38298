// Package channels is the registry of channels: All lists every kind of channel the function can post
// to. The configuration's variables and checks, the "no channel configured" message, main's wiring and
// the tests that keep s.yaml and the README in step are all derived from it, so that adding a channel
// is one folder below notify and one line here (see the notify package).
package channels

import (
	"net/http"

	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/dingtalk"
	"github.com/akrecycle/ak-recycle-alert/notify/feishu"
	"github.com/akrecycle/ak-recycle-alert/notify/slack"
	"github.com/akrecycle/ak-recycle-alert/notify/webhook"
	"github.com/akrecycle/ak-recycle-alert/notify/wecom"
)

// All are the kinds of channel, in the order of the README's configuration table and of a run's
// deliveries.
var All = []notify.Spec{
	slack.WebhookSpec,
	slack.BotSpec,
	webhook.Spec,
	dingtalk.Spec,
	feishu.Spec,
	wecom.Spec,
}

// Preview returns the channels a dry run renders when none is configured: the Slack message and the
// webhook body, built from their specs with URLs that are never posted to.
func Preview(client *http.Client) ([]notify.Channel, error) {
	urls := map[string]string{
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/preview",
		"WEBHOOK_URL":       "https://webhook.invalid/preview",
	}
	get := func(name string) string { return urls[name] }
	var out []notify.Channel
	for _, spec := range []notify.Spec{slack.WebhookSpec, webhook.Spec} {
		ch, err := spec.New(get, notify.Options{Client: client})
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

package webhook

import (
	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// Spec is the generic webhook's entry in the registry.
var Spec = notify.Spec{
	Name: name,
	Vars: []env.Var{
		{Name: "WEBHOOK_URL", Secret: true, Check: notify.CheckURL, Help: "generic JSON webhook (Standard Webhooks)",
			Example: "https://alerts.example.com/hooks/ak-recycle-alert/0f1e2d3c4b5a6978"},
		{Name: "WEBHOOK_SECRET", Secret: true, Check: checkSecret, Help: "`whsec_<base64>` secret that signs the generic webhook",
			Example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
	},
	New: func(get func(string) string, o notify.Options) (notify.Channel, error) {
		return newChannel(get("WEBHOOK_URL"), get("WEBHOOK_SECRET"), o.Client)
	},
}

func checkSecret(s string) error {
	_, err := parseSecret(s)
	return err
}

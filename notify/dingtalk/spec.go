package dingtalk

import (
	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// Spec is DingTalk's entry in the registry.
var Spec = notify.Spec{
	Name: name,
	Vars: []env.Var{
		{Name: "DINGTALK_WEBHOOK_URL", Secret: true, Check: notify.CheckURL, Help: "DingTalk custom robot webhook URL",
			Example: "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef"},
		{Name: "DINGTALK_SECRET", Secret: true, Check: checkSecret, Help: "DingTalk robot signing secret (`SEC…`)",
			Example: "SEC0123456789abcdef0123456789abcdef"},
	},
	New: func(get func(string) string, o notify.Options) (notify.Channel, error) {
		return newChannel(get("DINGTALK_WEBHOOK_URL"), get("DINGTALK_SECRET"), o.Client)
	},
}

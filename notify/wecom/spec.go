package wecom

import (
	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// Spec is WeCom's entry in the registry.
var Spec = notify.Spec{
	Name: name,
	Vars: []env.Var{
		{Name: "WECOM_WEBHOOK_URL", Secret: true, Check: notify.CheckURL, Help: "WeCom group robot webhook URL",
			Example: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-0000-4bc4-97a0-0ec2a1fa5aaa"},
	},
	New: func(get func(string) string, o notify.Options) (notify.Channel, error) {
		return newChannel(get("WECOM_WEBHOOK_URL"), o.Client)
	},
}

package feishu

import (
	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// Spec is Feishu's entry in the registry.
var Spec = notify.Spec{
	Name: name,
	Vars: []env.Var{
		{Name: "FEISHU_WEBHOOK_URL", Secret: true, Check: notify.CheckURL, Help: "Feishu / Lark custom bot webhook URL",
			Example: "https://open.feishu.cn/open-apis/bot/v2/hook/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"},
		{Name: "FEISHU_SECRET", Secret: true, Help: "Feishu / Lark bot signing secret", Example: "fs0123456789abcdefSECRET"},
	},
	New: func(get func(string) string, o notify.Options) (notify.Channel, error) {
		return newChannel(get("FEISHU_WEBHOOK_URL"), get("FEISHU_SECRET"), o.Client)
	},
}

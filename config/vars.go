package config

import (
	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/internal/env"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// defaultThresholds is ALERT_THRESHOLDS when unset.
const defaultThresholds = "7,3,1"

// defaultMemberRole is MEMBER_ROLE_NAME when unset: the role deploy/member-role.ros.yaml creates.
const defaultMemberRole = "ak-recycle-alert-reader"

// Vars lists every environment variable the function reads but the platform's, in the README's order:
// the configuration's own, the channels' (those of specs) among them, and the one-click restore's
// (restore.Vars). It is the single source of the README's configuration table and of the variables
// s.yaml and s.restore.yaml wire.
func Vars(specs []notify.Spec) []env.Var {
	vars := append([]env.Var(nil), head...)
	for _, s := range specs {
		vars = append(vars, s.Vars...)
	}
	vars = append(vars, tail...)
	for _, v := range restore.Vars {
		vars = append(vars, env.Var{Name: v.Name, Default: v.Default, Help: v.Help, Secret: v.Secret, RestoreOnly: v.RestoreOnly, RestoreRequired: v.Required})
	}
	return vars
}

// head are the variables before the channels'.
var head = []env.Var{
	{Name: "RAM_USERS", AlertOnly: true, Default: "(required)", Help: "comma-separated RAM users: names (`alice`), principal names (`alice@corp.onaliyun.com`), user IDs (digits), or `*` for every RAM user; deleted users in the user recycle bin are watched too (all with `*`, else those the entries name)"},
	{Name: "ALERT_THRESHOLDS", AlertOnly: true, Default: defaultThresholds, Help: "lead times before DeleteDate: whole days (`7`, `7d`) or hours (`36h`); `0` = purged before the next check"},
	{Name: "ALERT_ON_RECYCLE", AlertOnly: true, Default: "true", Help: "also alert when a key enters the recycle bin, or a user the user recycle bin"},
	{Name: "ALERT_MODE", AlertOnly: true, Default: "crossing", Help: "`crossing` (alert once per threshold) or `digest` (list every key every run)"},
	{Name: "SCHEDULE", AlertOnly: true, Default: "(required for timer events)", Help: "the timer trigger's own cron expression (6 fields, optional `CRON_TZ=Zone ` prefix, day-of-week by name) or `@every <duration>`"},
	{Name: "TIMEZONE", AlertOnly: true, Default: "UTC", Help: "IANA zone for dates shown to people"},
	{Name: "ACCOUNT_LABEL", Help: "a name for the account, shown beside the account ID"},
	{Name: "ACCOUNTS", Default: "(the function's own account)", Help: "comma-separated account IDs (16 digits) to read, or `*` for the function's own account and every member that has joined its Resource Directory; each account but the function's own is read through `MEMBER_ROLE_NAME` (restored in through `MEMBER_RESTORE_ROLE_NAME`)"},
	{Name: "MEMBER_ROLE_NAME", AlertOnly: true, Default: defaultMemberRole, Help: "the RAM role the function assumes (STS `AssumeRole`) in every account of `ACCOUNTS` but its own"},
	{Name: "DRY_RUN", AlertOnly: true, Default: "false", Help: "`true`: do everything but send; the result shows what would have been sent"},
	{Name: "LOOKUP_DELETER", AlertOnly: true, Default: "true", Help: "look up who deleted each recycled key in ActionTrail (`actiontrail:LookupEvents`) and say it in every message"},
}

// tail are the variables after the channels'.
var tail = []env.Var{
	{Name: "RAM_ENDPOINT", Default: alibaba.DefaultRAMEndpoint, Help: "RAM API host (`ram.vpc-proxy.aliyuncs.com`) or URL; HTTPS"},
	{Name: "IMS_ENDPOINT", Default: alibaba.DefaultIMSEndpoint, Help: "IMS API host (`ims.vpc-proxy.aliyuncs.com`) or URL; HTTPS"},
	{Name: "STS_ENDPOINT", Default: "(`sts.<region>.aliyuncs.com`)", Help: "STS API host (`sts-vpc.cn-hangzhou.aliyuncs.com`) or URL, for `ACCOUNTS`; HTTPS"},
	{Name: "RESOURCEMANAGER_ENDPOINT", Default: alibaba.DefaultResourceManagerEndpoint, Help: "Resource Manager API host or URL, for `ACCOUNTS` (the members of `*`, the names of the others); HTTPS"},
	{Name: "ACTIONTRAIL_ENDPOINT", AlertOnly: true, Default: alibaba.DefaultActionTrailEndpoint, Help: "ActionTrail API host or URL, for `LOOKUP_DELETER`: the region that stores your account's global events (`actiontrail.cn-hangzhou.aliyuncs.com` if you moved them there); HTTPS"},
	{Name: "ALIBABA_CLOUD_ACCESS_KEY_ID", Credential: true, Help: "credentials when not running with a function role (on FC the role's per-invocation credentials win)"},
	{Name: "ALIBABA_CLOUD_ACCESS_KEY_SECRET", Secret: true, Credential: true, Help: "see above"},
	{Name: "ALIBABA_CLOUD_SECURITY_TOKEN", Secret: true, Credential: true, Help: "see above (STS credentials)"},
	{Name: "LOG_LEVEL", Default: "info", Help: "`debug`, `info`, `warn` or `error`"},
}

// platform are the variables the function reads that the platform or the operator's shell sets, not
// s.yaml: FC's own, and DEBUG, which is checked so that the Alibaba Cloud SDK cannot print signed
// requests.
var platform = []string{"FC_REGION", "FC_ACCOUNT_ID", "FC_RUNTIME_API", "FC_CUSTOM_LISTEN_PORT", "DEBUG"}

package main

// The deploy test runs the real Serverless Devs CLI, the version package-lock.json pins (npm ci installs
// it into node_modules/; make test does), on this repository's s.yaml and Makefile. What `s` would send
// to Alibaba Cloud is caught by testdata/serverless-devs/fc3, a stand-in for the fc3 component that the
// test places where `s` keeps its downloaded components, in a temporary HOME: it records what fc3 would
// receive (credentials, props, arguments) and deploys nothing. Nothing leaves 127.0.0.1: `s` runs with
// NODE_ENV=test, which stops its background update checks, usage reports and component updates, and
// testdata/serverless-devs/offline.js, preloaded into every Node.js process, refuses any connection
// beyond this machine and records it, which fails the test.

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // CRON_TZ zones whatever the test machine holds

	"github.com/google/go-cmp/cmp"
	"github.com/robfig/cron/v3"

	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
)

// sPinned is the Serverless Devs CLI that npm ci installs from package-lock.json.
const sPinned = "node_modules/.bin/s"

// The deploy defaults of s.yaml that are not function variables, and the daily and weekly schedules.
const (
	defaultRegion         = "cn-hangzhou"
	defaultFunctionName   = "ak-recycle-alert"
	defaultSchedule       = "CRON_TZ=Asia/Shanghai 0 0 9 * * *"
	defaultDigestSchedule = "CRON_TZ=Asia/Shanghai 0 0 9 * * MON"
	digestPayload         = `{"mode":"digest"}`
)

// sAlias is an access alias that the test adds with `s config add`.
type sAlias struct {
	name, keyID, secret, account string
}

var (
	aliasDefault = sAlias{"default", "LTAI5tDeployTestDefault01", "deployTestDefaultSecretMustNotLeak1", "1111111111111111"}
	aliasProd    = sAlias{"prod", "LTAI5tDeployTestProd00002", "deployTestProdSecretMustNotLeak2", "2222222222222222"}
)

// deployedProps returns the props that a deploy from an environment holding exported must give fc3:
// each variable as exported, else its default.
func deployedProps(exported map[string]string) fc3Props {
	get := func(name, def string) string {
		if v, ok := exported[name]; ok {
			return v
		}
		return def
	}
	schedule := get("SCHEDULE", defaultSchedule)
	vars := map[string]string{}
	for _, v := range config.Vars(channels.All) {
		if v.Credential || v.RestoreOnly {
			continue // the function's role provides them; the restore function reads the others
		}
		def := v.Default
		if strings.HasPrefix(def, "(") { // "(required)" ones have none (s stops without them), the others deploy empty (= unset)
			def = ""
		}
		vars[v.Name] = get(v.Name, def)
	}
	vars["SCHEDULE"] = schedule
	trigger := func(name, cron, payload string) fc3Trigger {
		tr := fc3Trigger{TriggerName: name, TriggerType: "timer", Qualifier: "LATEST"}
		tr.TriggerConfig.CronExpression = cron
		tr.TriggerConfig.Enable = true
		tr.TriggerConfig.Payload = payload
		return tr
	}
	return fc3Props{
		Region:               get("REGION", defaultRegion),
		FunctionName:         get("FUNCTION_NAME", defaultFunctionName),
		Runtime:              "go1",
		Handler:              "main",
		Code:                 "./target",
		Role:                 exported["ROLE_ARN"],
		Timeout:              300,
		EnvironmentVariables: vars,
		Triggers: []fc3Trigger{
			trigger("daily-check", schedule, ""),
			trigger("weekly-digest", get("DIGEST_SCHEDULE", defaultDigestSchedule), digestPayload),
		},
	}
}

// The restore function's deploy defaults (s.restore.yaml).
const (
	defaultRestoreFunctionName = "ak-recycle-alert-restore"
	restoreTimeout             = 30
)

// deployedRestoreProps returns the props of the restore function that a deploy of s.restore.yaml from
// an environment holding exported must give fc3: the variables both functions read and the restore
// function's own, each as exported, else its default; an HTTP trigger for Slack's POSTs; its own role.
func deployedRestoreProps(exported map[string]string) fc3Props {
	get := func(name, def string) string {
		if v, ok := exported[name]; ok {
			return v
		}
		return def
	}
	vars := map[string]string{}
	for _, v := range config.Vars(channels.All) {
		if v.Credential || v.AlertOnly {
			continue
		}
		def := v.Default
		if strings.HasPrefix(def, "(") {
			def = ""
		}
		vars[v.Name] = get(v.Name, def)
	}
	tr := fc3Trigger{TriggerName: "slack-actions", TriggerType: "http", Qualifier: "LATEST"}
	tr.TriggerConfig.AuthType = "anonymous"
	tr.TriggerConfig.Methods = []string{"POST"}
	return fc3Props{
		Region:               get("REGION", defaultRegion),
		FunctionName:         get("RESTORE_FUNCTION_NAME", defaultRestoreFunctionName),
		Runtime:              "go1",
		Handler:              "main",
		Code:                 "./target",
		Role:                 exported["RESTORE_ROLE_ARN"],
		Timeout:              restoreTimeout,
		EnvironmentVariables: vars,
		Triggers:             []fc3Trigger{tr},
	}
}

// checkNoAliasSecret fails the test if out holds the AccessKey secret of an alias.
func checkNoAliasSecret(t *testing.T, where string, out []byte) {
	t.Helper()
	for _, a := range []sAlias{aliasDefault, aliasProd} {
		if strings.Contains(string(out), a.secret) {
			t.Errorf("%s holds the AccessKey secret of alias %s", where, a.name)
		}
	}
}

// checkAlias checks that fc3 got the credentials of alias a.
func checkAlias(t *testing.T, rec *fc3Record, a sAlias) {
	t.Helper()
	if rec.Access != a.name || rec.AccessKeyID != a.keyID || rec.AccountID != a.account {
		t.Errorf("fc3 got alias %q with AccessKey ID %q, account %q; want %q with %q, %q",
			rec.Access, rec.AccessKeyID, rec.AccountID, a.name, a.keyID, a.account)
	}
}

// staleTime is the modification time staleTarget gives target/main.
var staleTime = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// staleTarget dates an existing target/main back, so a deploy that does not build it again is seen.
func staleTarget(t *testing.T) {
	t.Helper()
	if err := os.Chtimes("target/main", staleTime, staleTime); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

// checkFreshBuild checks that fc3 found target/main alone in the code folder, built since staleTarget.
func checkFreshBuild(t *testing.T, rec *fc3Record) {
	t.Helper()
	want, err := filepath.Abs("target")
	if err != nil {
		t.Fatal(err)
	}
	if rec.CodeDir != want {
		t.Errorf("fc3 code folder = %s, want %s", rec.CodeDir, want)
	}
	if len(rec.CodeFiles) != 1 || rec.CodeFiles[0].Name != "main" {
		t.Fatalf("fc3 code folder holds %+v, want only main", rec.CodeFiles)
	}
	if f := rec.CodeFiles[0]; f.Size == 0 || !f.ModTime.After(staleTime) {
		t.Errorf("fc3 got target/main of %d bytes written at %v, want one that the deploy built: "+
			"s.yaml's pre-deploy action runs make build", f.Size, f.ModTime)
	}
}

// eventArg returns the event of an invoke's arguments (-e).
func eventArg(t *testing.T, args []string) map[string]any {
	t.Helper()
	i := slices.Index(args, "-e")
	if i < 0 || i+1 == len(args) {
		t.Fatalf("invoke arguments %q have no -e event", args)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(args[i+1]), &ev); err != nil {
		t.Fatalf("invoke event %q: %v", args[i+1], err)
	}
	return ev
}

// envList returns kv as NAME=value lines.
func envList(kv map[string]string) []string {
	var out []string
	for k, v := range kv {
		out = append(out, k+"="+v)
	}
	return out
}

// TestDeployServerlessDevs follows the README's Deploy and "Invoking it by hand" steps with the real `s`.
func TestDeployServerlessDevs(t *testing.T) {
	// Not t.Parallel: run beside other tests, its build and Node.js processes starved the deadline
	// tests of the package tested at the same time (alibaba) on 2 CPUs.
	w := newSWorld(t)

	// Every deploy variable exported, as a deployer who changes them all would.
	everything := map[string]string{
		"ROLE_ARN":             "acs:ram::1111111111111111:role/ak-recycle-alert",
		"REGION":               "cn-shanghai",
		"FUNCTION_NAME":        "ak-recycle-alert-test",
		"SCHEDULE":             "CRON_TZ=Europe/Paris 0 30 8 * * MON-FRI",
		"DIGEST_SCHEDULE":      "CRON_TZ=Europe/Paris 0 30 8 * * MON",
		"RAM_USERS":            "alice,bob@corp.onaliyun.com,2073290024939202",
		"ALERT_THRESHOLDS":     "14,36h,1",
		"ALERT_ON_RECYCLE":     "false",
		"ALERT_MODE":           "digest",
		"TIMEZONE":             "Europe/Paris",
		"ACCOUNT_LABEL":        "prod",
		"DRY_RUN":              "true",
		"SLACK_WEBHOOK_URL":    "https://hooks.slack.com/services/T0/B0/deploytest",
		"SLACK_BOT_TOKEN":      "xoxb-deploy-test",
		"SLACK_CHANNEL":        "C0DEPLOY",
		"SLACK_API_URL":        "https://slack.example.com/api/",
		"WEBHOOK_URL":          "https://hooks.example.com/ak-recycle",
		"WEBHOOK_SECRET":       "whsec_ZGVwbG95LXRlc3Qtc2lnbmluZy1rZXktMzItYnl0ZXM=",
		"DINGTALK_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=deploytest",
		"DINGTALK_SECRET":      "SECdeploytest",
		"FEISHU_WEBHOOK_URL":   "https://open.feishu.cn/open-apis/bot/v2/hook/deploytest",
		"FEISHU_SECRET":        "feishu-deploy-test",
		"WECOM_WEBHOOK_URL":    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=deploytest",
		"RAM_ENDPOINT":         "ram.vpc-proxy.aliyuncs.com",
		"IMS_ENDPOINT":         "ims.vpc-proxy.aliyuncs.com",
		"ACTIONTRAIL_ENDPOINT": "actiontrail.cn-hangzhou.aliyuncs.com",
		"LOOKUP_DELETER":       "false",
		"LOG_LEVEL":            "debug",
		// The one-click restore: the alert function gets the buttons' secret only.
		"RESTORE_TOKEN_SECRET":     "deploy-test-restore-token-secret-0123456789",
		"SLACK_SIGNING_SECRET":     "deploy-test-signing-secret-0123456789",
		"SLACK_TEAM_ID":            "T0DEPLOY01",
		"SLACK_APP_ID":             "A0DEPLOY01",
		"RESTORE_ALLOWED_USERS":    "U0ALICE01,U0BOB0001",
		"MEMBER_RESTORE_ROLE_NAME": "restorer",
		"RESTORE_ROLE_ARN":         "acs:ram::1111111111111111:role/ak-recycle-alert-restore",
		"RESTORE_FUNCTION_NAME":    "ak-recycle-alert-restore-test",
	}
	// README step 4's minimum: the role, the users and one channel; everything else deploys as its default.
	minimum := map[string]string{
		"ROLE_ARN":          "acs:ram::2222222222222222:role/ak-recycle-alert",
		"RAM_USERS":         "alice,bob",
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
	}

	t.Run("s deploy, default alias, every variable", func(t *testing.T) {
		staleTarget(t)
		rec, out, err := w.run(t, envList(everything), "s", "deploy", "-y")
		if err != nil || rec == nil {
			t.Fatalf("s deploy -y = %v, fc3 called: %t; want success\n%s", err, rec != nil, out)
		}
		if rec.Command != "deploy" {
			t.Errorf("fc3 command = %q, want deploy", rec.Command)
		}
		checkAlias(t, rec, aliasDefault)
		checkFreshBuild(t, rec)
		if diff := cmp.Diff(deployedProps(everything), rec.Props); diff != "" {
			t.Errorf("fc3 props (-want +got):\n%s", diff)
		}
	})

	t.Run("make deploy, ACCESS=prod, README minimum", func(t *testing.T) {
		staleTarget(t)
		rec, out, err := w.run(t, append(envList(minimum), "ACCESS=prod"), "make", "deploy", "S="+w.bin)
		if err != nil || rec == nil {
			t.Fatalf("make deploy = %v, fc3 called: %t; want success\n%s", err, rec != nil, out)
		}
		checkAlias(t, rec, aliasProd)
		checkFreshBuild(t, rec)
		if diff := cmp.Diff(deployedProps(minimum), rec.Props); diff != "" {
			t.Errorf("fc3 props (-want +got):\n%s", diff)
		}
		checkDeployedSchedules(t, rec.Props)
		// The function accepts what the README's minimal deploy gives it: a default that the code
		// rejected would fail every invocation.
		vars := rec.Props.EnvironmentVariables
		if _, err := config.Load(func(k string) string { return vars[k] }, channels.All); err != nil {
			t.Errorf("the deployed configuration is rejected: %v", err)
		}
	})

	// README, "One-click restore from Slack": make deploy RESTORE_ENABLED=true deploys s.restore.yaml,
	// the alert function and beside it the restore function, each freshly built, each with its own role
	// and variables.
	t.Run("make deploy RESTORE_ENABLED=true, every variable", func(t *testing.T) {
		staleTarget(t)
		recs, out, err := w.runAll(t, envList(everything), "make", "deploy", "RESTORE_ENABLED=true", "S="+w.bin)
		if err != nil || len(recs) != 2 {
			t.Fatalf("make deploy RESTORE_ENABLED=true = %v, %d fc3 calls; want success, 2\n%s", err, len(recs), out)
		}
		byName := map[string]*fc3Record{}
		for i := range recs {
			byName[recs[i].Resource] = &recs[i]
			checkAlias(t, &recs[i], aliasDefault)
			checkFreshBuild(t, &recs[i])
		}
		alert, rest := byName["akRecycleAlert"], byName["akRecycleRestore"]
		if alert == nil || rest == nil {
			t.Fatalf("fc3 deployed %s and %s, want akRecycleAlert and akRecycleRestore", recs[0].Resource, recs[1].Resource)
		}
		if diff := cmp.Diff(deployedProps(everything), alert.Props); diff != "" {
			t.Errorf("the alert function's props (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(deployedRestoreProps(everything), rest.Props); diff != "" {
			t.Errorf("the restore function's props (-want +got):\n%s", diff)
		}
		// The restore function accepts what it is given: restore on, checks off (no RAM_USERS there).
		vars := rest.Props.EnvironmentVariables
		c, err := config.Load(func(k string) string { return vars[k] }, channels.All)
		if err != nil || !c.Restore.Enabled() || c.CheckErr == nil {
			t.Errorf("the restore function's configuration: %v, restore on %v, checks refused %v; want restore on, checks refused", err, err == nil && c.Restore.Enabled(), err == nil && c.CheckErr != nil)
		}
	})

	t.Run("make deploy without RESTORE_ENABLED: the alert function only", func(t *testing.T) {
		recs, out, err := w.runAll(t, envList(everything), "make", "deploy", "S="+w.bin)
		if err != nil || len(recs) != 1 || recs[0].Resource != "akRecycleAlert" {
			t.Fatalf("make deploy = %v, %d fc3 calls; want success, the alert function alone\n%s", err, len(recs), out)
		}
		if _, ok := recs[0].Props.EnvironmentVariables["SLACK_SIGNING_SECRET"]; ok {
			t.Errorf("the alert function got SLACK_SIGNING_SECRET, which only the restore function reads")
		}
	})

	invokes := []struct {
		name     string
		env      []string
		cmd      []string
		alias    sAlias
		function string // the function that s.yaml names
		event    map[string]any
	}{
		{"make invoke, default alias", envList(minimum), []string{"make", "invoke", "S=" + w.bin}, aliasDefault,
			defaultFunctionName, map[string]any{"mode": "digest"}},
		{"make preview, ACCESS=prod", append(envList(minimum), "ACCESS=prod"), []string{"make", "preview", "S=" + w.bin}, aliasProd,
			defaultFunctionName, map[string]any{"mode": "digest", "dryRun": true}},
		{"s invoke by hand, default alias", append(envList(minimum), "FUNCTION_NAME=ak-recycle-alert-test"),
			[]string{"s", "invoke", "-e", `{"mode":"digest","users":["alice"],"dryRun":true}`}, aliasDefault,
			"ak-recycle-alert-test", map[string]any{"mode": "digest", "users": []any{"alice"}, "dryRun": true}},
	}
	for _, tt := range invokes {
		t.Run(tt.name, func(t *testing.T) {
			rec, out, err := w.run(t, tt.env, tt.cmd[0], tt.cmd[1:]...)
			if err != nil || rec == nil {
				t.Fatalf("%s = %v, fc3 called: %t; want success\n%s", strings.Join(tt.cmd, " "), err, rec != nil, out)
			}
			if rec.Command != "invoke" {
				t.Errorf("fc3 command = %q, want invoke", rec.Command)
			}
			checkAlias(t, rec, tt.alias)
			if diff := cmp.Diff(tt.event, eventArg(t, rec.Args)); diff != "" {
				t.Errorf("invoke event (-want +got):\n%s", diff)
			}
			if rec.Props.FunctionName != tt.function || rec.Props.Region != defaultRegion {
				t.Errorf("invoke of function %s in %s, want %s in %s", rec.Props.FunctionName, rec.Props.Region, tt.function, defaultRegion)
			}
		})
	}

	failures := []struct {
		name string
		env  []string
		cmd  []string
		want string
	}{
		// A deploy without the role would give the function no credentials: s stops before anything.
		{"make deploy without ROLE_ARN", envList(map[string]string{"RAM_USERS": "alice"}), []string{"make", "deploy", "S=" + w.bin},
			"env('ROLE_ARN') not found"},
		// Nor without the users to watch: every run of such a function would fail its configuration.
		{"make deploy without RAM_USERS", envList(map[string]string{"ROLE_ARN": minimum["ROLE_ARN"], "SLACK_WEBHOOK_URL": minimum["SLACK_WEBHOOK_URL"]}),
			[]string{"make", "deploy", "S=" + w.bin}, "env('RAM_USERS') not found"},
		{"make preview without RAM_USERS", envList(map[string]string{"ROLE_ARN": minimum["ROLE_ARN"]}),
			[]string{"make", "preview", "S=" + w.bin}, "env('RAM_USERS') not found"},
		{"make invoke, ACCESS of no alias", append(envList(minimum), "ACCESS=staging"), []string{"make", "invoke", "S=" + w.bin},
			"Not found access: staging"},
		// Nor does the restore function deploy without its own role, or without the Slack app's values.
		{"make deploy RESTORE_ENABLED=true without RESTORE_ROLE_ARN", envList(minimum), []string{"make", "deploy", "RESTORE_ENABLED=true", "S=" + w.bin},
			"env('RESTORE_ROLE_ARN') not found"},
		{"make deploy RESTORE_ENABLED=true without SLACK_SIGNING_SECRET", append(envList(minimum), "RESTORE_ROLE_ARN="+everything["RESTORE_ROLE_ARN"],
			"RESTORE_TOKEN_SECRET="+everything["RESTORE_TOKEN_SECRET"], "SLACK_TEAM_ID=T0DEPLOY01", "SLACK_APP_ID=A0DEPLOY01", "RESTORE_ALLOWED_USERS=U0ALICE01"),
			[]string{"make", "deploy", "RESTORE_ENABLED=true", "S=" + w.bin}, "env('SLACK_SIGNING_SECRET') not found"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			recs, out, err := w.runAll(t, tt.env, tt.cmd[0], tt.cmd[1:]...)
			if err == nil || !strings.Contains(out, tt.want) {
				t.Errorf("%s = %v, want an error saying %q\n%s", strings.Join(tt.cmd, " "), err, tt.want, out)
			}
			if len(recs) != 0 {
				t.Errorf("fc3 recorded a %s, want s to stop first", recs[0].Command)
			}
		})
	}

	if refused := w.refused(t); len(refused) > 0 {
		t.Errorf("s tried to reach beyond this machine:\n%s", strings.Join(refused, "\n"))
	}
}

// checkDeployedSchedules checks the default schedules as deployed: FC's 6-field cron (seconds first,
// day of the week by name), the digest at one of the daily check's fire times (or its runs warn that
// SCHEDULE does not describe the trigger), once a week.
func checkDeployedSchedules(t *testing.T, p fc3Props) {
	t.Helper()
	if len(p.Triggers) != 2 {
		t.Fatalf("fc3 got %d triggers, want 2", len(p.Triggers))
	}
	daily := checkCron(t, "daily schedule", p.Triggers[0].TriggerConfig.CronExpression)
	digest := checkCron(t, "digest schedule", p.Triggers[1].TriggerConfig.CronExpression)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 60 {
		at = digest.Next(at)
		if got := daily.Next(at.Add(-time.Second)); !got.Equal(at) {
			t.Fatalf("digest fires at %v, not a fire time of the daily schedule (next is %v)", at, got)
		}
	}
	if d := digest.Next(at).Sub(at); d != 7*24*time.Hour {
		t.Errorf("digest schedule fires every %v, want weekly", d)
	}
}

// cronParser parses FC's 6-field cron expressions (seconds first, optional CRON_TZ= prefix).
var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// checkCron fails unless expr is a cron expression as FC's timer trigger takes it: 6 fields, seconds
// first, an optional CRON_TZ= prefix, and the day of the week by name.
func checkCron(t *testing.T, what, expr string) cron.Schedule {
	t.Helper()
	fields := strings.Fields(expr)
	if len(fields) > 0 && strings.HasPrefix(fields[0], "CRON_TZ=") {
		fields = fields[1:]
	}
	if len(fields) != 6 {
		t.Fatalf("%s = %q has %d fields, want 6 (seconds first)", what, expr, len(fields))
	}
	if strings.ContainsAny(fields[5], "0123456789") {
		t.Errorf("%s = %q names a day of the week by number, want MON-SUN", what, expr)
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		t.Fatalf("cron.Parse(%s = %q) = %v, want nil", what, expr, err)
	}
	return s
}

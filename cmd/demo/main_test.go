package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the demo as `make demo` does, on a freshly built function binary, and checks that a
// person sees the crossing run's Slack message over three accounts (the management account and two
// members of its Resource Directory, each under its heading), with the deleted user's alert, the webhook
// body with its accounts, and the digest.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function binary")
	}
	bin := filepath.Join(t.TempDir(), "main")
	build := exec.Command("go", "build", "-o", bin, "../..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The shell's credentials, proxies and configuration must not reach the function: a proxy at a
	// closed port would fail every call that went through it.
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "a-real-looking-secret-that-must-not-be-used")
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"} {
		t.Setenv(v, "http://127.0.0.1:1")
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("ALERT_THRESHOLDS", "not-a-threshold")
	var out bytes.Buffer
	if err := run(bin, "../../testdata/sample-users.json", "CRON_TZ=Asia/Shanghai 0 0 9 * * *", "Asia/Shanghai", &out); err != nil {
		t.Fatalf("run() = %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"1 DELETED RAM USER AND 7 RAM ACCESSKEYS IN THE RECYCLE BIN NEED ATTENTION IN 3 OF 3 ACCOUNTS", // the crossing run's Slack header
		"Accounts demo (1234567890123456), dev (1000000000000001), staging (1000000000000002)",
		"*Account dev (1000000000000001)*", "*Account staging (1000000000000002)*",
		"LTAI5tDevDanKey7Hq2Wn8Rt", "LTAI5tStgSamKeyNm3Bv5Cx7", // the members' keys
		"deleted by RAM user dev-admin from 203.0.113.9 (console)", // looked up in dev's ActionTrail, with dev's session
		`"accountName": "staging"`,
		"LTAI5tOhbVrpoiVgRV5IfLBc",                                 // alice's key, recycled in the window
		"deleted by RAM user ops-admin from 203.0.113.7 (console)", // and who deleted it, from ActionTrail
		`"principalName": "ops-admin"`,                             // in the webhook too
		"RAM user eve was deleted: eve and 2 AccessKeys are purged on",
		"aliyun ims RestoreUserFromRecycleBin --UserId 2073290024939207",
		"aliyun ims RestoreAccessKeyFromRecycleBin --UserId 2073290024939207 --UserAccessKeyId LTAI5tEvLm3Bc8YtGhJs5Kq1",
		`"event": "userRecycled"`,
		`"recycledUsers": 1`,
		"IN THE RECYCLE BIN OF 10 USERS AND 1 DELETED RAM USER IN 3 ACCOUNTS",      // the digest's Slack header
		"deleted by role session deployer/ci-pipeline-42 from 198.51.100.23 (CLI)", // the digest's older keys
		"deleted by: the deletion was not found in ActionTrail",                    // a key whose event is missing
		"aliyun ims RestoreAccessKeyFromRecycleBin --UserId 2073290024939202 --UserAccessKeyId LTAI5tbfnoGMbJmTPSIAoCLr",
		"webhook-signature: v1,",
		`"mode": "digest"`,
		// The restore click: the button and its dialog, the updated message, the audit, a replay.
		"[ Restore ]",
		`after a click, a dialog: "Restore this AccessKey?"`,
		"The function answered Slack 200 OK",
		"AccessKey `LTAI5tOhbVrpoiVgRV5IfLBc` restored by <@U0ONCALL1>",
		"AccessKey recycle bin: restored from Slack",
		`"type": "ram.accesskey.restored"`,
		"is live again, Inactive",
		// The member's click: restored in dev through the restorer role assumed there.
		"4. One click in a member account",
		"in account dev (1000000000000001)?",
		"in account dev (1000000000000001) was restored from Slack by oncall (U0ONCALL1)",
		`"accountName": "dev"`,
		"STS AssumeRole of ak-recycle-alert-restorer in account 1000000000000001, session ak-recycle-alert-",
		"is live again in dev, Inactive",
		"for this click the management account served only AssumeRole 1, ListAccounts 1; dev served 2 calls",
		"AccessKey `LTAI5tOhbVrpoiVgRV5IfLBc` is already restored: nothing was done",
		"RestoreAccessKeyFromRecycleBin was called 1 time in all",
		"nothing left 127.0.0.1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(got, "1000000000000003") || strings.Contains(got, "sandbox") {
		t.Errorf("demo output names sandbox, a member that has not joined the Resource Directory")
	}
	for _, secret := range []string{demoKeySecret, "a-real-looking-secret", "demo-webhook-token", demoBotToken, demoSigningSecret, demoTokenSecret, demoRestoreKeySecret, "Fake0Response0Url0Token"} {
		if strings.Contains(got, secret) {
			t.Errorf("demo output holds the secret %q", secret)
		}
	}
}

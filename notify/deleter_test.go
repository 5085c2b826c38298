package notify

import (
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

func TestDeleterText(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 12, 2, 9, 3, 40, 0, time.UTC)
	by := func(typ, name, id, ip, ua string) *alert.Deleter {
		return &alert.Deleter{PrincipalType: typ, PrincipalName: name, PrincipalID: id, SourceIP: ip, UserAgent: ua, EventType: "ApiCall", EventTime: at}
	}
	tests := []struct {
		name string
		a    alert.Alert
		want string
	}{
		{name: "RAM user in the console", a: alert.Alert{DeletedBy: by("ram-user", "ops-admin", "2073290024939206", "203.0.113.7", "ram.console.aliyun.com")},
			want: "deleted by RAM user ops-admin from 203.0.113.7 (console), 2026-12-02 17:03 CST"},
		{name: "role session with the CLI", a: alert.Alert{DeletedBy: by("assumed-role", "deployer:ci-42", "30000:ci-42", "2001:db8::7",
			"AlibabaCloud (linux; amd64) Golang/1.22 Core/1.62.0 Aliyun-CLI/3.0.277")},
			want: "deleted by role session deployer/ci-42 from 2001:db8::7 (CLI), 2026-12-02 17:03 CST"},
		{name: "root account", a: alert.Alert{DeletedBy: by("root-account", "root", "1234567890123456", "198.51.100.2", "ram.console.alibabacloud.com")},
			want: "deleted by the root account from 198.51.100.2 (console), 2026-12-02 17:03 CST"},
		{name: "another identity, its name unknown, no address", a: alert.Alert{DeletedBy: by("cloudsso-user", "", "u-123", "", "curl/8.5")},
			want: "deleted by cloudsso-user u-123 (API), 2026-12-02 17:03 CST"},
		{name: "a RAM user's name missing", a: alert.Alert{DeletedBy: by("ram-user", "", "2073290024939206", "203.0.113.7", "")},
			want: "deleted by RAM user 2073290024939206 from 203.0.113.7 (API), 2026-12-02 17:03 CST"},
		{name: "not yet", a: alert.Alert{DeleterMissing: alert.DeleterNotYet},
			want: "deleted by: not yet in ActionTrail (it shows a deletion about 10 minutes after it)"},
		{name: "not found", a: alert.Alert{DeleterMissing: alert.DeleterNotFound}, want: "deleted by: the deletion was not found in ActionTrail"},
		{name: "nobody looked", a: alert.Alert{}, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := deleterText(tc.a, cst); got != tc.want {
				t.Errorf("deleterText() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHow(t *testing.T) {
	tests := []struct {
		eventType, userAgent, want string
	}{
		{"ApiCall", "ram.console.aliyun.com", "console"},
		{"ApiCall", "ram.console.alibabacloud.com", "console"},
		{"ApiCall", "RAM.Console.Aliyun.com", "console"},
		{"ApiCall", "AliyunConsole", "console"},
		{"ConsoleOperation", "Mozilla/5.0", "console"},
		{"ConsoleSignin", "", "console"},
		{"ApiCall", "AlibabaCloud (linux; amd64) Golang/1.22 Core/1.62.0 Aliyun-CLI/3.0.277", "CLI"},
		{"ApiCall", "aliyuncli/2.0.6", "CLI"},
		{"ApiCall", "AlibabaCloud (linux; amd64) Golang/1.21 Core/1.62.0 HashiCorp-terraform-v1.7.0 Terraform/1.7.0 Provider/1.214.0", "Terraform"},
		{"ApiCall", "AlibabaCloud (Mac OS X; x86_64) Java/1.8.0_252-b09 Core/4.4.6", "SDK"},
		{"ApiCall", "AlibabaCloud (linux; amd64) Go/go1.22 Core/1.0.0 TeaDSL/1", "SDK"},
		{"ApiCall", "curl/8.5.0", "API"},
		{"ApiCall", "", "API"},
		// A caller can claim anything: a host that merely ends like a console's is not one.
		{"ApiCall", "evil-console.aliyun.com.example", "API"},
		{"ApiCall", "notconsole.aliyun.com", "API"},
	}
	for _, tc := range tests {
		d := &alert.Deleter{EventType: tc.eventType, UserAgent: tc.userAgent}
		if got := how(d); got != tc.want {
			t.Errorf("how(%s, %q) = %q, want %q", tc.eventType, tc.userAgent, got, tc.want)
		}
	}
}

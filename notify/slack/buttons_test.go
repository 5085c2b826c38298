package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/notify"
	nt "github.com/akrecycle/ak-recycle-alert/notify/notifytest"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// tokenSecret is a fake RESTORE_TOKEN_SECRET.
const tokenSecret = "slack-test-restore-token-secret-0123456789"

func testSigner(t testing.TB) *restore.Signer {
	t.Helper()
	s, err := restore.NewSigner(tokenSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// renderBot renders r as the bot token does, with buttons signed by signer (nil: none), and decodes
// its messages.
func renderBot(t *testing.T, r *alert.Report, signer *restore.Signer) []slack.WebhookMessage {
	t.Helper()
	b, err := newBot(token, "C0123", "https://slack.com/api/", nt.Client(), signer)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, nt.Render(t, b, r))
}

// withDigitIDs gives every alert of r a RAM user ID of digits, as real ones are (the fixtures' end in
// letters, which no button signs).
func withDigitIDs(r *alert.Report) *alert.Report {
	for i := range r.Alerts {
		r.Alerts[i].UserID = fmt.Sprintf("207329002493920%d", i)
	}
	return r
}

// button is a Restore button found in a message: the alert block it follows and its verified target.
type button struct {
	after  string // the AccessKey ID field of the key block before it, or the user's name
	target restore.Target
}

// buttonsOf returns the Restore buttons of m, each checked: its actions block follows a key or user
// block, holds one primary button with a confirmation dialog, and its value verifies with the test's
// secret.
func buttonsOf(t *testing.T, m slack.WebhookMessage) []button {
	t.Helper()
	var out []button
	blocks := m.Blocks.BlockSet
	for i, b := range blocks {
		ab, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		prev, ok := blocks[i-1].(*slack.SectionBlock)
		if !ok || len(prev.Fields) == 0 {
			t.Fatalf("block %d: the Restore button follows a %T, want an alert's section", i, blocks[i-1])
		}
		if len(ab.Elements.ElementSet) != 1 {
			t.Fatalf("block %d holds %d elements, want 1 button", i, len(ab.Elements.ElementSet))
		}
		btn := ab.Elements.ElementSet[0].(*slack.ButtonBlockElement)
		if btn.ActionID != restore.ActionID || btn.Confirm == nil || btn.Text.Text != "Restore" {
			t.Errorf("block %d: button %+v, want action %q with a confirmation dialog", i, btn, restore.ActionID)
		}
		target, err := testSigner(t).Verify(btn.Value)
		if err != nil {
			t.Fatalf("block %d: the button's value does not verify: %v", i, err)
		}
		if ab.BlockID != "restore:"+target.AlertID {
			t.Errorf("block %d: block_id %q, want restore:%s", i, ab.BlockID, target.AlertID)
		}
		out = append(out, button{after: strings.TrimPrefix(prev.Fields[1].Text, "*AccessKey ID*\n"), target: target})
	}
	return out
}

func TestBotButtons(t *testing.T) {
	r := withDigitIDs(nt.Users(t))
	msgs := renderBot(t, r, testSigner(t))
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	nt.GoldenJSON(t, "slack-bot-buttons.json.golden", msgs[0])

	var got []restore.Target
	for _, b := range buttonsOf(t, msgs[0]) {
		got = append(got, b.target)
	}
	// One button per alert, most urgent first: a key's names the key, a user's none.
	var want []restore.Target
	alerts := append([]alert.Alert(nil), r.Alerts...)
	alert.SortByUrgency(alerts)
	for _, a := range alerts {
		tg := restore.Target{AccountID: a.AccountID, UserID: a.UserID, AlertID: a.ID}
		if !a.Event.ForUser() {
			tg.AccessKeyID = a.AccessKeyID
		}
		want = append(want, tg)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the buttons' targets (-want +got):\n%s", diff)
	}

	t.Run("none without a signer", func(t *testing.T) {
		for _, m := range renderBot(t, withDigitIDs(nt.Users(t)), nil) {
			if n := len(buttonsOf(t, m)); n != 0 {
				t.Errorf("the bot without RESTORE_TOKEN_SECRET put %d buttons", n)
			}
		}
	})
	t.Run("none on the incoming webhook", func(t *testing.T) {
		for _, m := range renderTest(t, withDigitIDs(nt.Users(t))) {
			if n := len(buttonsOf(t, m)); n != 0 {
				t.Errorf("the incoming webhook put %d buttons", n)
			}
		}
	})
	t.Run("an unknown account: no button, and why", func(t *testing.T) {
		r := withDigitIDs(nt.Users(t))
		r.AccountID = ""
		for i := range r.Alerts {
			r.Alerts[i].AccountID = ""
		}
		m := renderBot(t, r, testSigner(t))[0]
		if n := len(buttonsOf(t, m)); n != 0 {
			t.Errorf("got %d buttons for an unknown account, want none", n)
		}
		b, _ := json.Marshal(m)
		if got := strings.Count(string(b), "No Restore button: signing a restore button: the account ID is not 1 to 32 digits; use the command above"); got != len(r.Alerts) {
			t.Errorf("%d alerts say why they have no button, want %d:\n%s", got, len(r.Alerts), b)
		}
	})
	t.Run("an alert without its account: the report's", func(t *testing.T) {
		r := withDigitIDs(nt.Users(t))
		for i := range r.Alerts {
			r.Alerts[i].AccountID, r.Alerts[i].AccountName = "", ""
		}
		for _, b := range buttonsOf(t, renderBot(t, r, testSigner(t))[0]) {
			if b.target.AccountID != r.AccountID {
				t.Errorf("the button of alert %s restores in account %q, want the report's %s", b.target.AlertID, b.target.AccountID, r.AccountID)
			}
		}
	})
	t.Run("hostile IDs: no button, the others keep theirs", func(t *testing.T) {
		r := nt.Hostile(t)
		for _, m := range renderBot(t, r, testSigner(t)) {
			for _, b := range buttonsOf(t, m) {
				if tg := b.target; !strings.HasPrefix(tg.AccessKeyID, "LTAI5tPlain") && tg.AccessKeyID != "" {
					t.Errorf("a hostile alert got a button: %+v", tg)
				}
			}
		}
	})
}

// TestBotButtonsAccounts: in a run over several accounts, each button restores in its alert's account
// (the value signs it), and its dialog names that account; the buttons follow their alerts under each
// account's heading.
func TestBotButtonsAccounts(t *testing.T) {
	r := nt.Accounts(t)
	for i := range r.Alerts {
		r.Alerts[i].UserID = fmt.Sprintf("%d07329002493920%d", 2+i/2, i)
	}
	msgs := renderBot(t, r, testSigner(t))
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	nt.GoldenJSON(t, "slack-bot-buttons-accounts.json.golden", msgs[0])
	byAlert := map[string]alert.Alert{}
	for _, a := range r.Alerts {
		byAlert[a.ID] = a
	}
	got := map[string]string{}
	for _, b := range buttonsOf(t, msgs[0]) {
		got[b.target.AlertID] = b.target.AccountID
	}
	want := map[string]string{}
	for _, a := range r.Alerts {
		want[a.ID] = a.AccountID
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the buttons' accounts by alert (-want +got):\n%s", diff)
	}
	for _, blk := range msgs[0].Blocks.BlockSet {
		ab, ok := blk.(*slack.ActionBlock)
		if !ok {
			continue
		}
		btn := ab.Elements.ElementSet[0].(*slack.ButtonBlockElement)
		a := byAlert[strings.TrimPrefix(ab.BlockID, "restore:")]
		if want := "in account " + a.AccountName + " (" + a.AccountID + ")"; !strings.Contains(btn.Confirm.Text.Text, want) {
			t.Errorf("the dialog of %s says %q, want it to name %q", a.ID, btn.Confirm.Text.Text, want)
		}
	}
}

// TestBotButtonsSplit: each button is one more block toward Slack's 50, and the splitter counts it:
// 100 alerts with buttons are listed in parts of at most 50 blocks, each alert followed by its button.
func TestBotButtonsSplit(t *testing.T) {
	msgs := renderBot(t, nt.Many(t, 150), testSigner(t))
	var outline strings.Builder
	seen := map[string]bool{}
	for i, m := range msgs {
		if n := len(m.Blocks.BlockSet); n > maxBlocks {
			t.Errorf("part %d has %d blocks, want at most %d", i+1, n, maxBlocks)
		}
		bs := buttonsOf(t, m)
		for _, b := range bs {
			if "`"+b.target.AccessKeyID+"`" != b.after {
				t.Errorf("part %d: the button of %s follows the block of %s", i+1, b.target.AccessKeyID, b.after)
			}
			seen[b.target.AccessKeyID] = true
		}
		fmt.Fprintf(&outline, "%s\n  %d blocks, %d buttons: %s … %s\n", m.Text, len(m.Blocks.BlockSet), len(bs),
			bs[0].target.AccessKeyID, bs[len(bs)-1].target.AccessKeyID)
	}
	nt.Golden(t, "slack-bot-buttons-split.golden", []byte(outline.String()))
	if len(seen) != notify.MaxListedKeys {
		t.Errorf("buttons across parts = %d, want %d", len(seen), notify.MaxListedKeys)
	}
}

func TestNotice(t *testing.T) {
	for _, tt := range []struct {
		name   string
		newCh  nt.NewChannel
		golden string
	}{{webhookName, testWebhook, "slack-notice.json.golden"}, {botName, testBot, "slack-bot-notice.json.golden"}} {
		t.Run(tt.name, func(t *testing.T) {
			var msgs []slack.WebhookMessage
			for _, n := range []*notify.Notice{nt.Notice(), nt.HostileNotice()} {
				msgs = append(msgs, decodeNotice(t, nt.CheckNotice(t, nt.VendorOK(tt.name), tt.newCh, n).Body))
				section := msgs[len(msgs)-1].Blocks.BlockSet[0].(*slack.SectionBlock).Text.Text
				title, text, _ := strings.Cut(section, "\n")
				if !strings.Contains(title, "*"+n.Title+"*") || text != escapeText(n.Text) {
					t.Errorf("section = %q, want the title in bold over the escaped text %q", section, escapeText(n.Text))
				}
				checkSlackInert(t, n.Text, text)
			}
			nt.GoldenJSON(t, tt.golden, msgs)
		})
	}
}

// decodeNotice decodes a notice's Slack message.
func decodeNotice(t *testing.T, body []byte) slack.WebhookMessage {
	t.Helper()
	var m slack.WebhookMessage
	if err := json.Unmarshal(body, &m); err != nil || m.Blocks == nil || len(m.Blocks.BlockSet) != 1 {
		t.Fatalf("notice %s: %v, want one block", body, err)
	}
	if !strings.Contains(m.Text, "AccessKey") {
		t.Errorf("notice text %q lacks the word AccessKey", m.Text)
	}
	return m
}

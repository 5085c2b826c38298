package restore

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/slack-go/slack"
)

func TestBlock(t *testing.T) {
	s := testSigner(t)
	tests := []struct {
		name      string
		target    Target
		label     Label
		wantTitle string
		wantText  []string // parts the dialog's text must hold
	}{
		{
			name: "a key", target: keyTarget, label: Label{UserName: "alice", AccountName: "prod"},
			wantTitle: "Restore this AccessKey?",
			wantText:  []string{"Restore AccessKey LTAI5tExampleKey1 of RAM user alice (20732900249392001) in account prod (1234567890123456)?", "a leaked key works again"},
		},
		{
			name: "a user", target: userTarget, label: Label{UserName: "alice", AccountName: "prod"},
			wantTitle: "Restore this RAM user?",
			wantText:  []string{"Restore RAM user alice (20732900249392001) in account prod (1234567890123456) from the user recycle bin?", "Its AccessKeys may stay"},
		},
		{
			name: "no names", target: keyTarget,
			wantTitle: "Restore this AccessKey?",
			wantText:  []string{"of RAM user 20732900249392001 in account 1234567890123456?"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := s.Block(tt.target, tt.label)
			if err != nil {
				t.Fatalf("Block = %v", err)
			}
			if b.BlockID != "restore:"+tt.target.AlertID || len(b.Elements.ElementSet) != 1 {
				t.Fatalf("Block = %+v: want one element in block restore:<alert id>", b)
			}
			btn, ok := b.Elements.ElementSet[0].(*slack.ButtonBlockElement)
			if !ok {
				t.Fatalf("Block element = %T, want a button", b.Elements.ElementSet[0])
			}
			if btn.ActionID != ActionID || btn.Style != slack.StylePrimary || btn.Text.Text != "Restore" {
				t.Errorf("button = %+v, want action_id restore, style primary, text Restore", btn)
			}
			got, err := s.Verify(btn.Value)
			if err != nil || got != tt.target {
				t.Errorf("Verify(button value) = %+v, %v; want %+v", got, err, tt.target)
			}
			c := btn.Confirm
			if c.Title.Text != tt.wantTitle || c.Confirm.Text != "Restore" || c.Deny.Text != "Cancel" || c.Style != slack.StyleDanger {
				t.Errorf("confirm = title %q, confirm %q, deny %q, style %q", c.Title.Text, c.Confirm.Text, c.Deny.Text, c.Style)
			}
			for _, part := range tt.wantText {
				if !strings.Contains(c.Text.Text, part) {
					t.Errorf("confirm text %q lacks %q", c.Text.Text, part)
				}
			}
			for _, o := range []*slack.TextBlockObject{btn.Text, c.Title, c.Text, c.Confirm, c.Deny} {
				if o.Type != slack.PlainTextType {
					t.Errorf("text %q is %s, want plain_text: no value may become markup", o.Text, o.Type)
				}
			}
		})
	}
}

// TestBlockLimits builds the dialogs of the longest and most hostile labels: every text stays within
// Slack's limits and on the lines the function wrote.
func TestBlockLimits(t *testing.T) {
	s := testSigner(t)
	long := Target{AccountID: strings.Repeat("9", 32), UserID: strings.Repeat("8", 32), AccessKeyID: strings.Repeat("Z", 128), AlertID: keyTarget.AlertID}
	hostile := Label{
		UserName:    "alice\n*bold* <!channel>\u2028\u202e" + strings.Repeat("😀", 100),
		AccountName: "prod\r\n# heading <https://evil.example|click> " + strings.Repeat("账", 300),
	}
	for _, target := range []Target{long, {AccountID: long.AccountID, UserID: long.UserID, AlertID: long.AlertID}} {
		b, err := s.Block(target, hostile)
		if err != nil {
			t.Fatal(err)
		}
		btn := b.Elements.ElementSet[0].(*slack.ButtonBlockElement)
		limits := []struct {
			what string
			text string
			max  int
		}{
			{"button text", btn.Text.Text, maxButtonText},
			{"accessibility label", btn.AccessibilityLabel, maxButtonText},
			{"dialog title", btn.Confirm.Title.Text, maxDialogTitle},
			{"dialog text", btn.Confirm.Text.Text, maxDialogText},
			{"confirm", btn.Confirm.Confirm.Text, maxDialogButton},
			{"deny", btn.Confirm.Deny.Text, maxDialogButton},
		}
		for _, l := range limits {
			if n := len(utf16.Encode([]rune(l.text))); n > l.max {
				t.Errorf("%s is %d characters, over Slack's %d: %q", l.what, n, l.max, l.text)
			}
			if strings.ContainsAny(l.text, "\r\u2028\u202e") {
				t.Errorf("%s holds a line break or a bidi control from a value: %q", l.what, l.text)
			}
		}
		if n := strings.Count(btn.Confirm.Text.Text, "\n"); n != 1 {
			t.Errorf("dialog text has %d line breaks, want only the function's own: %q", n, btn.Confirm.Text.Text)
		}
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(btn.Value) > MaxValueLen || !json.Valid(raw) {
			t.Errorf("block JSON invalid or value too long: %s", raw)
		}
	}
}

func TestCutChars(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"😀😀", 4, "😀😀"},
		{"😀😀", 3, "😀…"},
		{"a😀", 2, "a…"},
		{"\xff\xfe", 5, "\uFFFD"},
	}
	for _, tt := range tests {
		if got := cutChars(tt.in, tt.n); got != tt.want {
			t.Errorf("cutChars(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

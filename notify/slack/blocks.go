package slack

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/escape"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// Block Kit limits (docs.slack.dev/reference/block-kit/blocks). Slack counts characters; these limits
// are applied to bytes, which is stricter.
const (
	maxBlocks      = 50
	maxHeader      = 150
	maxSectionText = 3000
	maxFields      = 10
	maxField       = 2000
	// maxTotalText keeps a message under the ~13,000 characters at which Slack answers
	// msg_blocks_too_long although every block is within its limits (slackapi/bolt-js #2509).
	maxTotalText = 11000
	// maxKeysPerPart bounds a part to a screenful a person can act on.
	maxKeysPerPart = 20
)

// messages lays r out as Slack messages: one per part, each a slack.WebhookMessage with Block Kit
// blocks and a text fallback; channel is set for chat.postMessage, empty for an incoming webhook. With
// buttons (the bot token with RESTORE_TOKEN_SECRET), each key and user alert is followed by the actions
// block of its Restore button, one more block toward the 50 a message may hold.
func messages(r *alert.Report, channel string, buttons *restore.Signer) []*slack.WebhookMessage {
	m := notify.NewMessage(r)
	button := restoreButton(r, buttons)
	parts := m.Split(func(p notify.Part) bool {
		if len(p.Keys) > maxKeysPerPart {
			return false
		}
		blocks := partBlocks(p, button)
		return len(blocks) <= maxBlocks && textSize(blocks) <= maxTotalText
	})
	out := make([]*slack.WebhookMessage, len(parts))
	for i, p := range parts {
		out[i] = &slack.WebhookMessage{
			Channel: channel,
			// The fallback is the notification; Slack reads it as mrkdwn too.
			Text:   p.Title() + " · " + escapeText(p.Where()),
			Blocks: &slack.Blocks{BlockSet: partBlocks(p, button)},
		}
	}
	return out
}

// restoreButton returns the block under an alert of r that holds its Restore button, signed by
// buttons; nil when buttons is nil. The button restores in the alert's own account (a member's alert in
// that member), the report's when the alert names none. An alert whose IDs cannot be signed (an account
// ID that is not known, an ID outside its character set) gets a context line that says why it has no
// button instead.
func restoreButton(r *alert.Report, buttons *restore.Signer) func(k notify.KeyItem) slack.Block {
	if buttons == nil {
		return nil
	}
	return func(k notify.KeyItem) slack.Block {
		a := k.Alert
		t := restore.Target{AccountID: cmp.Or(a.AccountID, r.AccountID), UserID: a.UserID, AlertID: a.ID}
		if !a.Event.ForUser() {
			t.AccessKeyID = a.AccessKeyID
		}
		name := a.AccountName
		if a.AccountID == "" {
			name = r.AccountLabel
		}
		b, err := buttons.Block(t, restore.Label{UserName: a.UserName, AccountName: name})
		if err != nil {
			return slack.NewContextBlock("", mrkdwn(escapeText("No Restore button: "+err.Error()+"; use the command above")))
		}
		return b
	}
}

// partBlocks lays one part out: a header, a context line (account, checked, next check, run, part),
// in a run over several accounts a heading per account (a section in bold), per key a section (a line
// with the event and time left, who deleted the key, the bin-full warning and the restore command;
// fields with user, AccessKey ID, RecycleDate and DeleteDate) and per deleted user one of its own
// (userBlock) between dividers, then the unreadable users, the warnings and the line about unlisted
// keys. Text from outside goes through Text or Code; the header holds the title only, which holds none.
// button, when set, gives the block that follows each alert (its Restore button).
func partBlocks(p notify.Part, button func(notify.KeyItem) slack.Block) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, excerpt.Cut(p.Title(), maxHeader), true, false)),
		slack.NewContextBlock("", mrkdwn(excerpt.Cut(escapeText(p.Context()), maxSectionText))),
	}
	for _, g := range p.Groups() {
		if g.Account != "" {
			blocks = append(blocks, slack.NewDividerBlock(), section("*Account "+escapeText(g.Account)+"*"))
		}
		for i, k := range g.Keys {
			blocks = append(blocks, slack.NewDividerBlock(), keyBlock(g.Offset+i+1, k))
			if button != nil {
				blocks = append(blocks, button(k))
			}
		}
	}
	if eg := p.Errors(); len(eg) > 0 {
		lines := []string{"*:no_entry: Users whose recycle bin could not be read*"}
		for _, g := range eg {
			lines = append(lines, "• "+escapeText(g.Text()))
		}
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, sections(lines)...)
	}
	if w := p.Warnings(); len(w) > 0 {
		lines := []string{"*:warning: Warnings*"}
		for _, s := range w {
			lines = append(lines, "• "+escapeText(s))
		}
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, sections(lines)...)
	}
	if r := p.RestLine(); r != "" {
		blocks = append(blocks, slack.NewDividerBlock(), section(escapeText(r)))
	}
	return blocks
}

func keyBlock(n int, k notify.KeyItem) slack.Block {
	if k.DeletedUser != nil {
		return userBlock(n, k)
	}
	icon := ":hourglass_flowing_sand:"
	if k.Urgent {
		icon = ":rotating_light:"
	}
	when := "purged " + k.Left
	if k.Past {
		when = k.Left
	}
	text := fmt.Sprintf("%s *%d. %s*: %s", icon, n, escapeText(k.Event), when)
	if k.Deleter != "" {
		text += "\n:bust_in_silhouette: " + escapeText(k.Deleter)
	}
	if k.BinFull != "" {
		text += "\n:warning: " + escapeText(k.BinFull)
	}
	text += "\nRestore: " + k.RestoreText(codeSpan, escapeText)
	fields := []*slack.TextBlockObject{
		field("User", escapeText(k.User)),
		field("AccessKey ID", codeSpan(k.Alert.AccessKeyID)),
		field("Deleted (RecycleDate)", k.Recycled),
		field("Purged (DeleteDate)", k.Purged+"\n"+k.Left),
	}
	return slack.NewSectionBlock(mrkdwn(excerpt.Cut(text, maxSectionText)),
		fields[:min(len(fields), maxFields)], nil)
}

// userBlock lays a deleted user out: a line with the event and what is purged when, who deleted the
// user, a line per AccessKey (or that every AccessKey goes with the user), the command that restores the user and then
// one per key; fields with user, principal name, RecycleDate and the user's DeleteDate.
func userBlock(n int, k notify.KeyItem) slack.Block {
	u := k.DeletedUser
	icon := ":wastebasket:"
	if k.Urgent {
		icon = ":rotating_light:"
	}
	lines := []string{fmt.Sprintf("%s *%d. %s*: %s", icon, n, escapeText(k.Event), escapeText(u.Summary))}
	if k.Deleter != "" {
		lines = append(lines, ":bust_in_silhouette: "+escapeText(k.Deleter))
	}
	for _, key := range u.Keys {
		lines = append(lines, fmt.Sprintf("• AccessKey %s: deleted %s, purged %s", codeSpan(key.AccessKeyID), key.Recycled, key.Purged))
	}
	if u.NoKeys != "" {
		lines = append(lines, escapeText(u.NoKeys))
	}
	lines = append(lines, "Restore: "+k.RestoreText(codeSpan, escapeText))
	for _, key := range u.Keys {
		lines = append(lines, "Then: "+key.RestoreText(codeSpan, escapeText))
	}
	fields := []*slack.TextBlockObject{
		field("User", escapeText(k.User)),
		field("Principal name", escapeText(u.PrincipalName)),
		field("Deleted (RecycleDate)", k.Recycled),
		field("Purged with its AccessKeys (DeleteDate)", u.Deleted),
	}
	return slack.NewSectionBlock(mrkdwn(excerpt.Cut(strings.Join(lines, "\n"), maxSectionText)), fields, nil)
}

func field(label, value string) *slack.TextBlockObject {
	return mrkdwn(excerpt.Cut("*"+label+"*\n"+value, maxField))
}

// sections puts lines in as few sections as hold them within a section's limit, a line too long for
// one section being cut: a long list of errors or warnings is never cut short as a whole.
func sections(lines []string) []slack.Block {
	var blocks []slack.Block
	var cur []string
	size := 0
	for _, l := range lines {
		if len(cur) > 0 && size+1+len(l) > maxSectionText {
			blocks = append(blocks, section(strings.Join(cur, "\n")))
			cur, size = nil, 0
		}
		cur = append(cur, l)
		size += 1 + len(l)
	}
	return append(blocks, section(strings.Join(cur, "\n")))
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(mrkdwn(excerpt.Cut(text, maxSectionText)), nil, nil)
}

// mrkdwn is a mrkdwn text object with verbatim set, so that Slack leaves plain text alone: no
// links made of bare URLs or channel names, no mentions parsed from it. The markup the renderer writes
// still works (docs.slack.dev/reference/block-kit/composition-objects/text-object, "verbatim").
func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

// entities escapes the three characters Slack's mrkdwn reads as control characters, its only
// escapes (docs.slack.dev/messaging/formatting-message-text, "Escaping text"). It is built once: a
// Replacer of single bytes allocates a 256-entry table, which per call was most of what a Slack
// render allocated.
var entities = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeText makes text from outside (a value, or a phrase holding values) inert in Slack's mrkdwn,
// in blocks and in the fallback text, wherever it is put, also at the start of a line:
//
//   - &, < and > become &amp;, &lt; and &gt;, so that no control sequence (<!channel>, <!here>,
//     <@U…>, <#C…>, <!date…>, <url|text>) can be made;
//   - mrkdwn has no escape for its marks (bold, italic, strike, code), so they become look-alikes:
//     ∗ for the asterisk, ˍ for the underscore, ∼ for the tilde, ˋ for the backtick; so do the
//     full-width ＊ ＿ ｀, which Slack reads as marks too (reported in github.com/yhatt/jsx-slack,
//     docs/about-escape-and-exact-mode.md). An underscore inside a word (ops_team) marks nothing and
//     stays;
//   - a > or ＞ that starts the text becomes ›: at the start of a line it would open a quote;
//   - "://" gets a zero-width space after its colon, so that no client links a bare URL (the
//     fallback text has no verbatim switch);
//   - line breaks become spaces (escape.OneLine).
//
// Ordinary names, IDs and messages come out as they went in.
func escapeText(s string) string {
	out := escape.Runes(s, marks, func(before string, r rune, after string) string {
		switch r {
		case '&':
			return "&amp;"
		case '<':
			return "&lt;"
		case '>':
			return "&gt;"
		case '*', '＊':
			return "∗"
		case '_', '＿':
			if r == '＿' || !escape.WordBefore(before) || !escape.WordAfter(after) {
				return "ˍ"
			}
		case '~':
			return "∼"
		case '`', '｀':
			return "ˋ"
		case ':':
			if strings.HasPrefix(after, "//") {
				return ":" + escape.ZWSP
			}
		}
		return ""
	})
	rest := strings.TrimLeft(out, " ")
	for _, quote := range []string{"&gt;", "＞"} {
		if q, ok := strings.CutPrefix(rest, quote); ok {
			return out[:len(out)-len(rest)] + "›" + q
		}
	}
	return out
}

// marks are the ASCII characters Text may change.
var marks = escape.Marks("&<>*_~`:")

// codeSpan shows s (a command, an AccessKey ID) in a code span, where mrkdwn marks nothing but still
// reads &, < and >, which are escaped. mrkdwn cannot escape a backtick, which would close the span, so
// s with one (or empty) is shown as escaped text instead; a restore command (notify.KeyItem.Restore)
// never holds a backtick, so it is always shown exactly.
func codeSpan(s string) string {
	s = escape.OneLine(s)
	if s == "" || strings.ContainsRune(s, '`') {
		return escapeText(s)
	}
	return "`" + entities.Replace(s) + "`"
}

// textSize sums the text of the blocks, which is what Slack's overall message limit counts.
func textSize(blocks []slack.Block) int {
	n := 0
	add := func(t *slack.TextBlockObject) {
		if t != nil {
			n += len(t.Text)
		}
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			add(b.Text)
		case *slack.SectionBlock:
			add(b.Text)
			for _, f := range b.Fields {
				add(f)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					add(t)
				}
			}
		case *slack.ActionBlock:
			// Slack does not say whether a button's texts count; they are counted, to be safe.
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					add(btn.Text)
					if c := btn.Confirm; c != nil {
						add(c.Title)
						add(c.Text)
						add(c.Confirm)
						add(c.Deny)
					}
				}
			}
		}
	}
	return n
}

// noticeMessage lays a notice out: one section, its title in bold (the function's own words) over its
// text (escaped), with a text fallback of both; channel as for messages.
func noticeMessage(n *notify.Notice, channel string) *slack.WebhookMessage {
	icon := ":information_source:"
	if n.Attention {
		icon = ":warning:"
	}
	text := escapeText(n.Text)
	return &slack.WebhookMessage{
		Channel: channel,
		Text:    n.Title + " · " + text,
		Blocks:  &slack.Blocks{BlockSet: []slack.Block{section(icon + " *" + n.Title + "*\n" + text)}},
	}
}

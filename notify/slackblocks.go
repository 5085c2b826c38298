package notify

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
	"github.com/slack-go/slack"
)

// Block Kit limits (docs.slack.dev/reference/block-kit/blocks). Slack counts characters; these limits
// are applied to bytes, which is stricter.
const (
	slackMaxBlocks      = 50
	slackMaxHeader      = 150
	slackMaxSectionText = 3000
	slackMaxFields      = 10
	slackMaxField       = 2000
	// slackMaxTotalText keeps a message under the ~13,000 characters at which Slack answers
	// msg_blocks_too_long although every block is within its limits (slackapi/bolt-js #2509).
	slackMaxTotalText = 11000
	// slackKeysPerPart bounds a part to a screenful a person can act on.
	slackKeysPerPart = 20
)

// renderSlack renders r as Slack messages: one per part, each a slack.WebhookMessage with Block Kit
// blocks and a text fallback; channel is set for chat.postMessage, empty for an incoming webhook.
func renderSlack(r *alert.Report, channel string) ([]json.RawMessage, error) {
	m := NewMessage(r)
	parts := m.Split(func(p Part) bool {
		if len(p.Keys) > slackKeysPerPart {
			return false
		}
		blocks := slackBlocks(p)
		return len(blocks) <= slackMaxBlocks && slackTextSize(blocks) <= slackMaxTotalText
	})
	out := make([]json.RawMessage, 0, len(parts))
	for _, p := range parts {
		msg := slack.WebhookMessage{
			Channel: channel,
			// The fallback is the notification; Slack reads it as mrkdwn too.
			Text:   p.Title() + " · " + slackText(p.Message.Account),
			Blocks: &slack.Blocks{BlockSet: slackBlocks(p)},
		}
		b, err := json.Marshal(msg)
		if err != nil {
			return nil, fmt.Errorf("rendering a Slack message: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// slackBlocks lays one part out: a header, a context line (account, checked, next check, run, part),
// per key a section (a line with the event and time left, the bin-full warning and the restore
// command; fields with user, AccessKey ID, RecycleDate and DeleteDate) between dividers, then the
// unreadable users, the warnings and the line about unlisted keys. Text from outside goes through
// slackText or slackCode; the header holds the title only, which holds none.
func slackBlocks(p Part) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, excerpt.Cut(p.Title(), slackMaxHeader), true, false)),
		slack.NewContextBlock("", slackMrkdwn(excerpt.Cut(slackText(p.Context()), slackMaxSectionText))),
	}
	for i, k := range p.Keys {
		blocks = append(blocks, slack.NewDividerBlock(), slackKeyBlock(p.Offset+i+1, k))
	}
	if eg := p.Errors(); len(eg) > 0 {
		lines := []string{"*:no_entry: Users whose recycle bin could not be read*"}
		for _, g := range eg {
			lines = append(lines, "• "+slackText(g.Text()))
		}
		blocks = append(blocks, slack.NewDividerBlock(), slackSection(strings.Join(lines, "\n")))
	}
	if w := p.Warnings(); len(w) > 0 {
		lines := []string{"*:warning: Warnings*"}
		for _, s := range w {
			lines = append(lines, "• "+slackText(s))
		}
		blocks = append(blocks, slack.NewDividerBlock(), slackSection(strings.Join(lines, "\n")))
	}
	if r := p.RestLine(); r != "" {
		blocks = append(blocks, slack.NewDividerBlock(), slackSection(slackText(r)))
	}
	return blocks
}

func slackKeyBlock(n int, k KeyItem) slack.Block {
	icon := ":hourglass_flowing_sand:"
	if k.Urgent {
		icon = ":rotating_light:"
	}
	when := "purged " + k.Left
	if k.Past {
		when = k.Left
	}
	text := fmt.Sprintf("%s *%d. %s*: %s", icon, n, slackText(k.Event), when)
	if k.BinFull != "" {
		text += "\n:warning: " + slackText(k.BinFull)
	}
	text += "\nRestore: " + k.restoreText(slackCode, slackText)
	fields := []*slack.TextBlockObject{
		slackField("User", slackText(k.User)),
		slackField("AccessKey ID", slackCode(k.Alert.AccessKeyID)),
		slackField("Deleted (RecycleDate)", k.Recycled),
		slackField("Purged (DeleteDate)", k.Purged+"\n"+k.Left),
	}
	return slack.NewSectionBlock(slackMrkdwn(excerpt.Cut(text, slackMaxSectionText)),
		fields[:min(len(fields), slackMaxFields)], nil)
}

func slackField(label, value string) *slack.TextBlockObject {
	return slackMrkdwn(excerpt.Cut("*"+label+"*\n"+value, slackMaxField))
}

func slackSection(text string) slack.Block {
	return slack.NewSectionBlock(slackMrkdwn(excerpt.Cut(text, slackMaxSectionText)), nil, nil)
}

// slackMrkdwn is a mrkdwn text object with verbatim set, so that Slack leaves plain text alone: no
// links made of bare URLs or channel names, no mentions parsed from it. The markup the renderer writes
// still works (docs.slack.dev/reference/block-kit/composition-objects/text-object, "verbatim").
func slackMrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

// slackEntities escapes the three characters Slack's mrkdwn reads as control characters, its only
// escapes (docs.slack.dev/messaging/formatting-message-text, "Escaping text"). It is built once: a
// Replacer of single bytes allocates a 256-entry table, which per call was most of what a Slack
// render allocated.
var slackEntities = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackText makes text from outside (a value, or a phrase holding values) inert in Slack's mrkdwn,
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
//   - line breaks become spaces (oneLine).
//
// Ordinary names, IDs and messages come out as they went in.
func slackText(s string) string {
	out := escapeRunes(s, slackMarks, func(before string, r rune, after string) string {
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
			if r == '＿' || !inWord(lastRune(before)) || !inWord(firstRune(after)) {
				return "ˍ"
			}
		case '~':
			return "∼"
		case '`', '｀':
			return "ˋ"
		case ':':
			if strings.HasPrefix(after, "//") {
				return ":" + zwsp
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

// slackMarks are the ASCII characters slackText may change.
var slackMarks = marks("&<>*_~`:")

// slackCode shows s (a command, an AccessKey ID) in a code span, where mrkdwn marks nothing but still
// reads &, < and >, which are escaped. mrkdwn cannot escape a backtick, which would close the span, so
// s with one (or empty) is shown as escaped text instead; RestoreCommand never makes one with a
// backtick, so a restore command is always shown exactly.
func slackCode(s string) string {
	s = oneLine(s)
	if s == "" || strings.ContainsRune(s, '`') {
		return slackText(s)
	}
	return "`" + slackEntities.Replace(s) + "`"
}

// slackTextSize sums the text of the blocks, which is what Slack's overall message limit counts.
func slackTextSize(blocks []slack.Block) int {
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
		}
	}
	return n
}

package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/akrecycle/ak-recycle-alert/alert"
	"github.com/slack-go/slack"
)

// Block Kit limits (docs.slack.dev/reference/block-kit/blocks, channels.md section 1). Slack counts
// characters; these limits are applied to bytes, which is stricter.
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
			Text:    p.Title() + " · " + p.Message.Account,
			Blocks:  &slack.Blocks{BlockSet: slackBlocks(p)},
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
// unreadable users, the warnings and the line about unlisted keys.
func slackBlocks(p Part) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, cut(p.Title(), slackMaxHeader), true, false)),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, cut(slackEscape(p.Context()), slackMaxSectionText), false, false)),
	}
	for i, k := range p.Keys {
		blocks = append(blocks, slack.NewDividerBlock(), slackKeyBlock(p.Offset+i+1, k))
	}
	if eg := p.Errors(); len(eg) > 0 {
		lines := []string{"*:no_entry: Users whose recycle bin could not be read*"}
		for _, g := range eg {
			lines = append(lines, "• "+slackEscape(g.Text()))
		}
		blocks = append(blocks, slack.NewDividerBlock(), slackSection(strings.Join(lines, "\n")))
	}
	if w := p.Warnings(); len(w) > 0 {
		lines := []string{"*:warning: Warnings*"}
		for _, s := range w {
			lines = append(lines, "• "+slackEscape(s))
		}
		blocks = append(blocks, slack.NewDividerBlock(), slackSection(strings.Join(lines, "\n")))
	}
	if r := p.RestLine(); r != "" {
		blocks = append(blocks, slack.NewDividerBlock(), slackSection(slackEscape(r)))
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
	lines := []string{fmt.Sprintf("%s *%d. %s*: %s", icon, n, slackEscape(k.Event), when)}
	if k.BinFull != "" {
		lines = append(lines, ":warning: "+slackEscape(k.BinFull))
	}
	lines = append(lines, "Restore: `"+k.Restore+"`")
	fields := []*slack.TextBlockObject{
		slackField("User", slackEscape(k.User)),
		slackField("AccessKey ID", "`"+k.Alert.AccessKeyID+"`"),
		slackField("Deleted (RecycleDate)", k.Recycled),
		slackField("Purged (DeleteDate)", k.Purged+"\n"+k.Left),
	}
	return slack.NewSectionBlock(
		slack.NewTextBlockObject(slack.MarkdownType, cut(strings.Join(lines, "\n"), slackMaxSectionText), false, false),
		fields[:min(len(fields), slackMaxFields)], nil)
}

func slackField(label, value string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, cut("*"+label+"*\n"+value, slackMaxField), false, false)
}

func slackSection(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, cut(text, slackMaxSectionText), false, false), nil, nil)
}

// slackEscaper escapes the three characters Slack's mrkdwn treats as control sequences. It is built
// once: a Replacer of single bytes allocates a 256-entry table, which per call was most of what a
// Slack render allocated.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackEscape escapes the three characters Slack's mrkdwn treats as control sequences.
func slackEscape(s string) string { return slackEscaper.Replace(s) }

// cut shortens s to at most n bytes on a rune boundary, marking a cut with "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-len("…")]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
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

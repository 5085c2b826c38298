package restore

import (
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/slack-go/slack"
)

// ActionID is the action_id of every Restore button; a click on any other action is refused.
const ActionID = "restore"

// blockIDPrefix starts the block_id of a Restore button's actions block; the alert id follows, so that
// the block is unique in its message (Slack allows 255 characters).
const blockIDPrefix = "restore:"

// Limits of Block Kit texts, in characters (counted here in UTF-16 code units, the larger count):
// a button's text and accessibility label 75 (button element,
// https://docs.slack.dev/reference/block-kit/block-elements/button-element); a confirmation dialog's
// title 100, text 300, confirm and deny 30 (confirmation dialog object,
// https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object).
const (
	maxButtonText   = 75
	maxDialogTitle  = 100
	maxDialogText   = 300
	maxDialogButton = 30
)

// Label names a button's target for people, in its confirmation dialog. Both fields are data: they are
// shown as plain text, never as markup, and may be empty.
type Label struct {
	// UserName is the RAM user's name (alice).
	UserName string
	// AccountName is the account's display name (ACCOUNT_LABEL, or its name in the Resource Directory).
	AccountName string
}

// Block returns the Block Kit actions block that holds t's Restore button: a primary button whose value
// is signed (Sign), with a confirmation dialog that names the AccessKey or the user and the account
// and warns that a deleted credential works again once restored. Every text of the dialog is
// plain_text, so that no value can become markup, and stays within Slack's limits. The Slack channel puts
// the block under each key and user alert of a bot-token message when RESTORE_TOKEN_SECRET is set.
func (s *Signer) Block(t Target, l Label) (*slack.ActionBlock, error) {
	value, err := s.Sign(t)
	if err != nil {
		return nil, err
	}
	account := named(l.AccountName, 40, t.AccountID)
	var title, text, label string
	if t.IsUser() {
		title = "Restore this RAM user?"
		text = "Restore RAM user " + named(l.UserName, 50, t.UserID) + " in account " + account +
			" from the user recycle bin?\nOnly restore a user deleted by mistake: it can sign in again. Its AccessKeys may stay in the AccessKey recycle bin."
		label = "Restore RAM user " + oneLine(l.UserName)
	} else {
		title = "Restore this AccessKey?"
		text = "Restore AccessKey " + cutChars(t.AccessKeyID, 60) + " of RAM user " + named(l.UserName, 40, t.UserID) +
			" in account " + account + "?\nOnly restore a key deleted by mistake: a leaked key works again once restored."
		label = "Restore AccessKey " + t.AccessKeyID
	}
	confirm := slack.NewConfirmationBlockObject(
		plainText(cutChars(title, maxDialogTitle)),
		plainText(cutChars(text, maxDialogText)),
		plainText("Restore"),
		plainText("Cancel"),
	).WithStyle(slack.StyleDanger)
	button := slack.NewButtonBlockElement(ActionID, value, plainText("Restore")).
		WithStyle(slack.StylePrimary).
		WithConfirm(confirm)
	button.AccessibilityLabel = cutChars(strings.TrimSpace(label), maxButtonText)
	return slack.NewActionBlock(blockIDPrefix+t.AlertID, button), nil
}

// named shows a name with its ID, "prod (1234567890123456)", the name on one line and cut to max
// characters; the ID alone when there is no name.
func named(name string, max int, id string) string {
	name = strings.TrimSpace(oneLine(name))
	if name == "" {
		return id
	}
	return cutChars(name, max) + " (" + id + ")"
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// oneLine returns s with each character that could break a line or reorder it (control characters, the
// Unicode line and paragraph separators, bidirectional formatting characters) replaced by a space, and
// each run of bytes that are not UTF-8 by U+FFFD.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// cutChars shortens s to at most n characters, counted as UTF-16 code units (an emoji beyond the Basic
// Multilingual Plane counts two), marking a cut with "…". Each run of bytes that are not UTF-8 becomes U+FFFD.
func cutChars(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	units, fit := 0, 0 // fit: the length of the longest prefix that leaves room for "…"
	for i, r := range s {
		if units <= n-1 {
			fit = i
		}
		units += utf16.RuneLen(r)
		if units > n {
			return s[:fit] + "…"
		}
	}
	return s
}

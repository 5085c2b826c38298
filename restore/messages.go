package restore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// What a person reads after a click. A definitive answer (restored, already restored, purged) replaces
// the clicked button, in the original message, with one context line under the alert it belongs to:
// the rest of the message, and the other alerts' buttons, stay as they were, so that whoever opens the
// channel at 3 a.m. sees at a glance which items are back and who brought them back. Everything else (a
// refusal, a failure, no answer in time) is an ephemeral note to the person who clicked, and the button
// stays, so that it can be clicked again.
//
// The lines are Slack mrkdwn built only from values checked by their character set (AccessKey IDs,
// user IDs, RAM user names, Slack user IDs, error codes), so that nothing in them needs escaping; the
// time is Slack's date token, which each reader sees in their own time zone, with a UTC fallback
// (https://api.slack.com/reference/surfaces/formatting, "Date formatting").

// subject names what t restores, for a line: AccessKey `LTAI…`, or RAM user `alice` (its ID when its name
// is not known).
func subject(t Target, name string) string {
	if !t.IsUser() {
		return "AccessKey `" + t.AccessKeyID + "`"
	}
	if name == "" {
		return "RAM user `" + t.UserID + "`"
	}
	return "RAM user `" + name + "`"
}

// slackTime shows at in each reader's own time zone ("3:12 AM"), falling back to "03:12 UTC".
func slackTime(at time.Time) string {
	return "<!date^" + strconv.FormatInt(at.Unix(), 10) + "^{time}|" + at.UTC().Format("15:04") + " UTC>"
}

// outcomeLine is the line that replaces the button after a definitive answer.
func outcomeLine(o Outcome, t Target, name, slackUserID string, at time.Time) string {
	by, when := "<@"+slackUserID+">", slackTime(at)
	s := subject(t, name)
	switch o {
	case Restored:
		if t.IsUser() {
			return ":white_check_mark: " + s + " restored by " + by + " at " + when +
				". Its AccessKeys may still be in the AccessKey recycle bin: check them before relying on them."
		}
		return ":white_check_mark: " + s + " restored by " + by + " at " + when +
			". Check its status in the RAM console before relying on it."
	case AlreadyRestored:
		return ":information_source: " + s + " is already restored: nothing was done (checked by " + by + " at " + when + ")."
	case Purged:
		return ":x: " + s + " was purged and cannot be restored: nothing was done (checked by " + by + " at " + when + ")."
	}
	return s + ": " + string(o)
}

// contextBlock is a Block Kit context block of one mrkdwn line.
func contextBlock(blockID, line string) json.RawMessage {
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	b, _ := json.Marshal(struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id,omitempty"`
		Elements []text `json:"elements"`
	}{"context", blockID, []text{{"mrkdwn", line}}})
	return b
}

// replacement is the reply that puts line in place of the clicked button: the original message's
// blocks with the clicked actions block (found by its block_id) replaced by a context block. When the
// message has no blocks, the line is posted as a new message in the channel; when the button is no
// longer in it (an earlier answer replaced it), the line goes to the clicker only.
func replacement(c *Click, line string) reply {
	if len(c.MessageBlocks) == 0 {
		return reply{ResponseType: "in_channel", Text: line}
	}
	blocks := make([]json.RawMessage, 0, len(c.MessageBlocks))
	found := false
	for _, b := range c.MessageBlocks {
		var head struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
		}
		if !found && c.BlockID != "" && json.Unmarshal(b, &head) == nil && head.Type == "actions" && head.BlockID == c.BlockID {
			blocks = append(blocks, contextBlock(c.BlockID, line))
			found = true
			continue
		}
		blocks = append(blocks, b)
	}
	if !found {
		return ephemeral(line)
	}
	text := c.MessageText
	if text == "" {
		text = line
	}
	return reply{ReplaceOriginal: true, Text: text, Blocks: blocks}
}

// ephemeral is a note only the person who clicked sees; the original message stays as it is.
func ephemeral(line string) reply { return reply{ResponseType: "ephemeral", Text: line} }

// The notes of refusals and failures.

func notAllowedLine(slackUserID string) string {
	return ":no_entry: You are not allowed to restore from Slack: nothing was done. An administrator can add your Slack user ID (" +
		slackUserID + ") to RESTORE_ALLOWED_USERS."
}

func tooSlowLine(budget time.Duration) string {
	return fmt.Sprintf(":warning: Alibaba Cloud did not answer within %s: nothing was restored. Click Restore again.", budget)
}

func unknownLine(t Target, name string) string {
	return ":warning: The restore of " + subject(t, name) + " was sent, but its answer did not come in time: it may or may not be back. " +
		"Click Restore again: a second click checks the recycle bin first and restores only what is still there."
}

func failedLine(t Target, name, doing, reason string) string {
	return ":warning: Could not restore " + subject(t, name) + ": " + doing + ", " + reason +
		". Nothing was changed; the Restore button still works."
}

// accessLine is the note of a member account whose restorer role could not be assumed. The account ID
// and the role name are checked by their character sets; the hint is the alibaba package's own text.
func accessLine(t Target, e *AccessError) string {
	line := ":warning: Could not restore " + subject(t, "") + ": the restore function could not assume the role `" + e.Role +
		"` in account " + e.AccountID + ", " + reason(e)
	if e.Hint != "" {
		line += ": " + e.Hint
	}
	return line + ". Nothing was changed; the Restore button still works."
}

func busyLine(t Target) string {
	return ":hourglass_flowing_sand: Another restore of " + subject(t, "") + " is running: its result will appear in the message."
}

func mismatchLine(t Target, owner string) string {
	return ":warning: AccessKey `" + t.AccessKeyID + "` belongs to RAM user ID `" + owner + "`, not to the user of this alert (`" +
		t.UserID + "`): nothing was restored."
}

func ownerRecycledLine(t Target, name string) string {
	return ":warning: The owner of AccessKey `" + t.AccessKeyID + "`, " + subject(Target{UserID: t.UserID}, name) +
		", is itself in the user recycle bin: restore the user first (its alert has a Restore button, or run `aliyun ims RestoreUserFromRecycleBin --UserId " +
		t.UserID + "`), then this key. Nothing was restored."
}

// reason says an API failure for people: the code and HTTP status when the answer had them.
func reason(err error) string {
	code, status := errorCode(err)
	switch {
	case code != "" && status != 0:
		return fmt.Sprintf("Alibaba Cloud answered %s (HTTP %d)", code, status)
	case code != "":
		return "Alibaba Cloud answered " + code
	case status != 0:
		return fmt.Sprintf("Alibaba Cloud answered HTTP %d", status)
	}
	return "the call failed (see the function's log)"
}

package restore

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
)

// Click is a click on a button, decoded from Slack's block_actions payload (the form field "payload" of
// the request, a JSON document; https://docs.slack.dev/reference/interaction-payloads/block_actions-payload).
// Only the fields the restore flow reads are decoded; the original message's blocks are kept as raw
// JSON so that the message can be sent back unchanged but for the clicked button.
//
// Its ResponseURL is a secret: a Click logs without it (LogValue).
type Click struct {
	// TeamID is team.id, the Slack workspace.
	TeamID string
	// AppID is api_app_id, the Slack app.
	AppID string
	// UserID is user.id, the Slack user who clicked (U… or W…).
	UserID string
	// UserName is user.username (else user.name): a handle, for people and the audit only.
	UserName string
	// ResponseURL is response_url, where replies to this click go: a secret.
	ResponseURL string
	// ActionID, BlockID, Value and ActionTs are the clicked action's (actions[0]).
	ActionID string
	BlockID  string
	Value    string
	ActionTs string
	// ChannelID and MessageTs locate the message (container.channel_id and container.message_ts).
	ChannelID string
	MessageTs string
	// MessageText is message.text, the message's fallback text.
	MessageText string
	// MessageBlocks are message.blocks, undecoded; nil when the payload has no message.
	MessageBlocks []json.RawMessage
}

// LogValue shows the click in a log line without its response_url.
func (c *Click) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("slackUserId", c.UserID),
		slog.String("slackUserName", c.UserName),
		slog.String("actionTs", c.ActionTs),
		slog.String("channelId", c.ChannelID),
		slog.String("messageTs", c.MessageTs),
	)
}

// payload is the part of a block_actions payload ParseClick decodes.
type payload struct {
	Type string `json:"type"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
	} `json:"user"`
	APIAppID    string `json:"api_app_id"`
	ResponseURL string `json:"response_url"`
	Container   struct {
		Type      string `json:"type"`
		MessageTs string `json:"message_ts"`
		ChannelID string `json:"channel_id"`
	} `json:"container"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Message *struct {
		Ts     string            `json:"ts"`
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	} `json:"message"`
	Actions []struct {
		Type     string `json:"type"`
		ActionID string `json:"action_id"`
		BlockID  string `json:"block_id"`
		Value    string `json:"value"`
		ActionTs string `json:"action_ts"`
	} `json:"actions"`
}

// ParseClick decodes a block_actions request body (application/x-www-form-urlencoded, one field
// "payload"): a click on exactly one button of a message, by a user whose ID looks like a Slack user
// ID. Call it only on a body whose signature was verified. The error says what is wrong, without
// quoting the body.
func ParseClick(body []byte) (*Click, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("the body is not form-encoded")
	}
	ps := form["payload"]
	if len(ps) != 1 || len(form) != 1 {
		return nil, errors.New("the body is not one form field named payload")
	}
	var p payload
	if err := json.Unmarshal([]byte(ps[0]), &p); err != nil {
		return nil, fmt.Errorf("the payload is not the JSON of an interaction: %w", jsonError(err))
	}
	if p.Type != "block_actions" {
		return nil, fmt.Errorf("the payload's type is not block_actions")
	}
	if len(p.Actions) != 1 {
		return nil, fmt.Errorf("the payload holds %d actions, want 1", len(p.Actions))
	}
	a := p.Actions[0]
	c := &Click{
		TeamID:      p.Team.ID,
		AppID:       p.APIAppID,
		UserID:      p.User.ID,
		UserName:    p.User.Username,
		ResponseURL: p.ResponseURL,
		ActionID:    a.ActionID,
		BlockID:     a.BlockID,
		Value:       a.Value,
		ActionTs:    a.ActionTs,
		ChannelID:   p.Container.ChannelID,
		MessageTs:   p.Container.MessageTs,
	}
	if c.UserName == "" {
		c.UserName = p.User.Name
	}
	c.UserName = cutChars(oneLine(c.UserName), 80)
	if c.ChannelID == "" {
		c.ChannelID = p.Channel.ID
	}
	if p.Message != nil {
		c.MessageText = p.Message.Text
		c.MessageBlocks = p.Message.Blocks
		if c.MessageTs == "" {
			c.MessageTs = p.Message.Ts
		}
	}
	switch {
	case !validSlackUserID(c.UserID):
		return nil, errors.New("user.id is not a Slack user ID")
	case !validActionTs(c.ActionTs):
		return nil, errors.New("actions[0].action_ts is not a Slack timestamp")
	case c.ResponseURL == "":
		return nil, errors.New("the payload has no response_url: not a click on a message")
	}
	return c, nil
}

// validActionTs reports whether s looks like a Slack timestamp: digits, a period, digits (at most 32
// characters), as action_ts is ("1548426417.840180").
func validActionTs(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
		case s[i] == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return dot
}

// jsonError keeps a JSON decoding error short and free of the input: its kind and offset.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("%s is a JSON %s", te.Field, te.Value)
	}
	return errors.New("invalid JSON")
}

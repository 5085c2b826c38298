package restore

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slack-go/slack"
)

// fixtureBody is testdata/block_actions.json as Slack posts it: form-encoded in the field payload.
func fixtureBody(t testing.TB) (payload []byte, body []byte) {
	t.Helper()
	payload, err := os.ReadFile("testdata/block_actions.json")
	if err != nil {
		t.Fatal(err)
	}
	return payload, []byte(url.Values{"payload": {string(payload)}}.Encode())
}

func TestParseClick(t *testing.T) {
	payload, body := fixtureBody(t)
	got, err := ParseClick(body)
	if err != nil {
		t.Fatalf("ParseClick(fixture) = %v", err)
	}
	want := &Click{
		TeamID:      "T0TEAM001",
		AppID:       "A0APP0001",
		UserID:      "U0ALICE01",
		UserName:    "alice",
		ResponseURL: "https://hooks.slack.com/actions/T0TEAM001/1764493212345/Xy9ZpQrStUvWxYz0AbCdEfGh",
		ActionID:    "restore",
		BlockID:     "restore:alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f",
		Value:       "v1.1234567890123456.20732900249392001.LTAI5tExampleKey1.alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		ActionTs:    "1764493932.840180",
		ChannelID:   "C0ALERTS1",
		MessageTs:   "1764493200.000100",
		MessageText: "AccessKey recycle bin of account prod (1234567890123456): 2 alerts",
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Click{}, "MessageBlocks")); diff != "" {
		t.Errorf("ParseClick(fixture) (-want +got):\n%s", diff)
	}
	if len(got.MessageBlocks) != 6 {
		t.Fatalf("ParseClick(fixture) kept %d blocks, want 6", len(got.MessageBlocks))
	}
	// The blocks are kept as they came, a block type nobody decodes included.
	var orig struct {
		Message struct{ Blocks []json.RawMessage }
	}
	if err := json.Unmarshal(payload, &orig); err != nil {
		t.Fatal(err)
	}
	for i := range orig.Message.Blocks {
		if !bytes.Equal(orig.Message.Blocks[i], got.MessageBlocks[i]) {
			t.Errorf("block %d = %s, want it unchanged: %s", i, got.MessageBlocks[i], orig.Message.Blocks[i])
		}
	}

	// slack-go, the project's Slack library, reads the same fixture the same way.
	var ic slack.InteractionCallback
	if err := json.Unmarshal(payload, &ic); err != nil {
		t.Fatalf("slack-go cannot decode the fixture: %v", err)
	}
	a := ic.ActionCallback.BlockActions[0]
	fromSlackGo := []string{ic.Team.ID, ic.APIAppID, ic.User.ID, ic.ResponseURL, a.ActionID, a.BlockID, a.Value, a.ActionTs, ic.Container.ChannelID, ic.Container.MessageTs}
	ours := []string{got.TeamID, got.AppID, got.UserID, got.ResponseURL, got.ActionID, got.BlockID, got.Value, got.ActionTs, got.ChannelID, got.MessageTs}
	if diff := cmp.Diff(fromSlackGo, ours); diff != "" {
		t.Errorf("ParseClick and slack-go disagree (-slack-go +ours):\n%s", diff)
	}
}

func TestParseClickRefuses(t *testing.T) {
	payload, _ := fixtureBody(t)
	edit := func(f func(p map[string]any)) string {
		var p map[string]any
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		f(p)
		b, _ := json.Marshal(p)
		return url.Values{"payload": {string(b)}}.Encode()
	}
	action := func(p map[string]any) map[string]any { return p["actions"].([]any)[0].(map[string]any) }
	tests := []struct {
		name, body, wantErr string
	}{
		{"not a form", "%zz", "not form-encoded"},
		{"no payload", "token=x", "one form field named payload"},
		{"two fields", edit(func(map[string]any) {}) + "&x=1", "one form field named payload"},
		{"two payloads", edit(func(map[string]any) {}) + "&" + edit(func(map[string]any) {}), "one form field named payload"},
		{"not JSON", "payload=%7Bnope", "not the JSON of an interaction"},
		{"a number for the user", edit(func(p map[string]any) { p["user"] = 7 }), "not the JSON of an interaction"},
		{"a view submission", edit(func(p map[string]any) { p["type"] = "view_submission" }), "not block_actions"},
		{"no action", edit(func(p map[string]any) { p["actions"] = []any{} }), "holds 0 actions"},
		{"two actions", edit(func(p map[string]any) { p["actions"] = []any{action(p), action(p)} }), "holds 2 actions"},
		{"a user ID with markup", edit(func(p map[string]any) { p["user"].(map[string]any)["id"] = "U<!channel>" }), "user.id"},
		{"no user", edit(func(p map[string]any) { delete(p, "user") }), "user.id"},
		{"a bad action_ts", edit(func(p map[string]any) { action(p)["action_ts"] = "now" }), "action_ts"},
		{"no response_url", edit(func(p map[string]any) { delete(p, "response_url") }), "no response_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseClick([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseClick = %+v, %v; want an error containing %q", c, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hooks.slack.com") {
				t.Errorf("ParseClick error %q quotes the body", err)
			}
		})
	}
}

func TestClickLogsWithoutResponseURL(t *testing.T) {
	_, body := fixtureBody(t)
	c, err := ParseClick(body)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("click", "click", c)
	if strings.Contains(logs.String(), "hooks.slack.com") || strings.Contains(logs.String(), "Xy9ZpQrStUvWxYz0AbCdEfGh") {
		t.Errorf("a logged Click shows its response_url: %s", logs.String())
	}
	if !strings.Contains(logs.String(), `"slackUserId":"U0ALICE01"`) {
		t.Errorf("a logged Click lacks its user: %s", logs.String())
	}
}

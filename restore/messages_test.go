package restore

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReplacement(t *testing.T) {
	_, body := fixtureBody(t)
	c, err := ParseClick(body)
	if err != nil {
		t.Fatal(err)
	}
	line := "LINE"
	got := replacement(c, line)
	if !got.ReplaceOriginal || got.ResponseType != "" || got.Text != c.MessageText || len(got.Blocks) != len(c.MessageBlocks) {
		t.Fatalf("replacement = %+v, want the original message, replaced, with as many blocks", got)
	}
	for i, b := range got.Blocks {
		if i == 2 {
			want := `{"type":"context","block_id":"restore:alrt_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f","elements":[{"type":"mrkdwn","text":"LINE"}]}`
			if string(b) != want {
				t.Errorf("block 2 = %s, want %s", b, want)
			}
			continue
		}
		if string(b) != string(c.MessageBlocks[i]) {
			t.Errorf("block %d = %s, want it unchanged", i, b)
		}
	}

	gone := *c
	gone.BlockID = "restore:alrt_ffffffffffffffffffffffffffffffff"
	if diff := cmp.Diff(reply{ResponseType: "ephemeral", Text: line}, replacement(&gone, line)); diff != "" {
		t.Errorf("replacement without the button (-want +got):\n%s", diff)
	}
	bare := *c
	bare.MessageBlocks = nil
	if diff := cmp.Diff(reply{ResponseType: "in_channel", Text: line}, replacement(&bare, line)); diff != "" {
		t.Errorf("replacement of a message without blocks (-want +got):\n%s", diff)
	}
}

func TestOutcomeLines(t *testing.T) {
	at := mustTime(t, "2026-12-03T03:12:45Z")
	tests := []struct {
		o      Outcome
		target Target
		name   string
		want   string
	}{
		{Restored, keyTarget, "alice", ":white_check_mark: AccessKey `LTAI5tExampleKey1` restored by <@U0ALICE01> at <!date^1796267565^{time}|03:12 UTC>. Check its status in the RAM console before relying on it."},
		{Restored, userTarget, "alice", ":white_check_mark: RAM user `alice` restored by <@U0ALICE01> at <!date^1796267565^{time}|03:12 UTC>. Its AccessKeys may still be in the AccessKey recycle bin: check them before relying on them."},
		{AlreadyRestored, userTarget, "", ":information_source: RAM user `20732900249392001` is already restored: nothing was done (checked by <@U0ALICE01> at <!date^1796267565^{time}|03:12 UTC>)."},
		{Purged, keyTarget, "", ":x: AccessKey `LTAI5tExampleKey1` was purged and cannot be restored: nothing was done (checked by <@U0ALICE01> at <!date^1796267565^{time}|03:12 UTC>)."},
	}
	for _, tt := range tests {
		if got := outcomeLine(tt.o, tt.target, tt.name, "U0ALICE01", at); got != tt.want {
			t.Errorf("outcomeLine(%s, %+v) =\n%s\nwant\n%s", tt.o, tt.target, got, tt.want)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

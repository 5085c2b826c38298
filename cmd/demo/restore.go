package main

// The demo's last part: the one-click restore. The alert function posts its Slack message with the bot
// token and a Restore button under each alert; a person clicks alice's and confirms; Slack's signed
// request reaches the restore function (the same binary, on the go1 runtime's fake, as the FC HTTP
// trigger event FC makes of it), which restores the key in the emulator, updates the message and
// audits the restore on every channel. Then a key of the member dev, which the restore function
// restores there through the restorer role it assumes in dev.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/fcruntime/fcfake"
	"github.com/akrecycle/ak-recycle-alert/restore"
	"github.com/akrecycle/ak-recycle-alert/restore/restoretest"
)

// The demo Slack app's fake settings: nothing here is real.
const (
	demoBotToken      = "xoxb-demo-bot-token-not-real"
	demoSigningSecret = "demo-slack-signing-secret-not-real"
	demoTokenSecret   = "demo-restore-token-secret-not-real-0123"
	demoTeam          = "T0DEMO0001"
	demoApp           = "A0DEMO0001"
	demoClicker       = "U0ONCALL1" // the on-call person who clicks
	demoClickerName   = "oncall"
)

// restoreClick shows a restore from Slack: the alert with its button, the click, the answer, the
// updated message, the audit posts, the emulator's state and the restore function's log.
func restoreClick(bin string, env []string, api *ramfake.Server, world ramfake.World, rx *receiver, base, trigger string, out io.Writer) error {
	var alice ramfake.User
	for _, u := range world.Users {
		if u.Name == "alice" {
			alice = u
		}
	}
	if len(alice.Keys) == 0 {
		return fmt.Errorf("the sample data has no user alice with a key in the bin")
	}
	key := alice.Keys[0].AccessKeyID
	fmt.Fprintf(out, "\n%s\n3. One click: restoring alice's key from Slack (the restore function of `make deploy RESTORE_ENABLED=true`)\n%s\n",
		strings.Repeat("=", 100), strings.Repeat("=", 100))

	// The alert function, posting with the bot token: its messages carry the Restore buttons.
	rx.reset()
	alertEnv := with(env, map[string]string{"SLACK_WEBHOOK_URL": "", "WEBHOOK_URL": "", "WEBHOOK_SECRET": "",
		"SLACK_BOT_TOKEN": demoBotToken, "SLACK_CHANNEL": "C0DEMOALERTS", "SLACK_API_URL": base + "/slackapi/", "RESTORE_TOKEN_SECRET": demoTokenSecret})
	cmd := exec.Command(bin, "-e", fmt.Sprintf(`{"triggerTime":%q,"triggerName":"daily-check","payload":""}`, trigger))
	cmd.Env = alertEnv
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the alert function with the bot token: %v\n%s", err, b)
	}
	blocks := rx.botBlocks()
	at := actionsAfter(blocks, key)
	if at < 0 {
		return fmt.Errorf("the bot's message has no Restore button under %s", key)
	}
	fmt.Fprintf(out, "\n--- Slack (bot token): alice's alert in the daily check's message, as the channel shows it ---\n%s",
		slackText(mustJSON(map[string]any{"blocks": blocks[at-1 : at+1]})))
	var button struct {
		Elements []struct {
			Value string `json:"value"`
		} `json:"elements"`
	}
	json.Unmarshal(blocks[at], &button)

	// The restore function, on the go1 runtime (its fake), with the Slack app's settings.
	slack := restoretest.StartSlack(demoSigningSecret, demoTeam, demoApp)
	defer slack.Close()
	rt := fcfake.New()
	defer rt.Close()
	restoreEnv := with(env, map[string]string{"FC_RUNTIME_API": rt.Addr(), "SLACK_SIGNING_SECRET": demoSigningSecret, "SLACK_TEAM_ID": demoTeam,
		"SLACK_APP_ID": demoApp, "RESTORE_ALLOWED_USERS": demoClicker, "RESTORE_TOKEN_SECRET": demoTokenSecret, "SLACK_API_URL": slack.URL(),
		"RAM_USERS": "", "SCHEDULE": "", "LOG_LEVEL": "info"})
	fn := exec.Command(bin)
	fn.Env = restoreEnv
	var log syncBuffer
	fn.Stdout, fn.Stderr = &log, &log
	if err := fn.Start(); err != nil {
		return err
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			fn.Process.Signal(syscall.SIGTERM)
			fn.Wait()
		}
	}
	defer stop()

	click := func(title string, c restoretest.Click) (restore.HTTPResponse, time.Duration, error) {
		rx.reset()
		req, _ := slack.Request(c)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		resp, err := rt.Invoke(ctx, fcfake.Request{Body: restoretest.Event(req, false), AccountID: demoAccount, Timeout: 30 * time.Second,
			Credentials: fcruntime.Credentials{AccessKeyID: demoRestoreKeyID, AccessKeySecret: demoRestoreKeySecret}})
		took := time.Since(start)
		var r restore.HTTPResponse
		if err == nil {
			err = json.Unmarshal(resp.Body, &r)
		}
		fmt.Fprintf(out, "\n--- %s ---\nSlack POSTs the signed block_actions request to the HTTP trigger; FC hands it to the function as an HTTP event.\nThe function answered Slack %d %s in %d ms.\n",
			title, r.StatusCode, r.Body, took.Milliseconds())
		return r, took, err
	}

	v := button.Elements[0].Value
	if _, _, err := click("oncall ("+demoClicker+", in RESTORE_ALLOWED_USERS) clicks Restore and confirms",
		restoretest.Click{Value: v, MessageBlocks: blocks, UserID: demoClicker, UserName: demoClickerName}); err != nil {
		return err
	}
	posts := slack.Posts()
	if len(posts) != 1 {
		return fmt.Errorf("the restore function posted %d replies to the response_url, want 1", len(posts))
	}
	if i := contextFor(posts[0].Reply.Blocks, key); i > 0 {
		fmt.Fprintf(out, "\n--- what the channel shows now: the message updated through response_url, the button replaced (the other alerts keep theirs) ---\n%s",
			slackText(mustJSON(map[string]any{"blocks": posts[0].Reply.Blocks[i-1 : i+1]})))
	}
	fmt.Fprint(out, "\n--- the audit: posted to every channel of the restore function ---")
	rx.print()
	if u, ok := api.FindUser("", alice.ID); ok {
		for _, k := range u.AccessKeys {
			fmt.Fprintf(out, "\n--- the emulator: alice's AccessKey %s is live again, %s (a restored key may come back disabled: check it) ---\n", k.AccessKeyID, k.Status)
		}
	}

	if _, _, err := click("the same click again (a replay, or a second person): the bin is checked first",
		restoretest.Click{Value: v, MessageBlocks: posts[0].Reply.Blocks, UserID: demoClicker, UserName: demoClickerName}); err != nil {
		return err
	}
	if p := slack.Posts(); len(p) == 2 {
		fmt.Fprintf(out, "%s", slackText(mustJSON(map[string]any{"text": p[1].Reply.Text, "blocks": p[1].Reply.Blocks})))
	}
	fmt.Fprintf(out, "(RestoreAccessKeyFromRecycleBin was called %d time in all.)\n", api.Calls("RestoreAccessKeyFromRecycleBin"))

	// A member's key: the button names dev, and the restore function restores there through the
	// restorer role it assumes in dev.
	at = memberActions(blocks, memberAccount)
	if at < 0 {
		return fmt.Errorf("the bot's message has no Restore button of an AccessKey in %s", memberAccount)
	}
	json.Unmarshal(blocks[at], &button)
	mv := button.Elements[0].Value
	fields := strings.Split(mv, ".")
	memberUser, memberKey := fields[2], fields[3]
	fmt.Fprintf(out, "\n%s\n4. One click in a member account: a key of dev (%s), restored there through the role ak-recycle-alert-restorer\n%s\n",
		strings.Repeat("=", 100), memberAccount, strings.Repeat("=", 100))
	fmt.Fprintf(out, "\n--- Slack (bot token): the alert under dev's heading, as the channel shows it ---\n%s",
		slackText(mustJSON(map[string]any{"blocks": blocks[at-1 : at+1]})))
	minted := len(api.IssuedCredentials())
	homeBefore, devBefore := api.Stats(demoAccount), api.Stats(memberAccount).Total
	if _, _, err := click("oncall clicks Restore under dev's key and confirms",
		restoretest.Click{Value: mv, MessageBlocks: posts[0].Reply.Blocks, UserID: demoClicker, UserName: demoClickerName}); err != nil {
		return err
	}
	if p := slack.Posts(); len(p) == 3 {
		if i := contextFor(p[2].Reply.Blocks, memberKey); i > 0 {
			fmt.Fprintf(out, "\n--- what the channel shows now ---\n%s", slackText(mustJSON(map[string]any{"blocks": p[2].Reply.Blocks[i-1 : i+1]})))
		}
	}
	fmt.Fprint(out, "\n--- the audit: posted to every channel of the restore function ---")
	rx.print()
	for _, c := range api.IssuedCredentials()[minted:] {
		fmt.Fprintf(out, "\n--- the emulator: STS AssumeRole of %s in account %s, session %s (its credentials are never shown or logged) ---\n", c.Role, c.AccountID, c.Session)
	}
	if u, ok := api.FindUser(memberAccount, memberUser); ok {
		for _, k := range u.AccessKeys {
			fmt.Fprintf(out, "--- the emulator: %s's AccessKey %s is live again in dev, %s ---\n", u.Name, k.AccessKeyID, k.Status)
		}
	}
	var home []string
	for action, n := range api.Stats(demoAccount).Calls {
		if d := n - homeBefore.Calls[action]; d > 0 {
			home = append(home, fmt.Sprintf("%s %d", action, d))
		}
	}
	sort.Strings(home)
	fmt.Fprintf(out, "--- the emulator: for this click the management account served only %s; dev served %d calls, signed with the session ---\n",
		strings.Join(home, ", "), api.Stats(memberAccount).Total-devBefore)
	stop()
	fmt.Fprintf(out, "\n--- the restore function's log (stdout on FC) ---\n%s", log.String())
	// No credential AssumeRole minted may show: not in the log, not in a reply to Slack.
	shown := log.String()
	for _, p := range slack.Posts() {
		shown += string(p.Raw)
	}
	for _, c := range api.IssuedCredentials() {
		if strings.Contains(shown, c.Secret) || strings.Contains(shown, c.Token) {
			return fmt.Errorf("the restore function's log or a reply holds the secret or the token of the %s session in %s", c.Role, c.AccountID)
		}
	}
	return nil
}

// with returns env with each variable of set replaced by its value, or removed when that is "".
func with(env []string, set map[string]string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := set[name]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// actionsAfter is the index of the actions block that follows the section naming key, or -1.
func actionsAfter(blocks []json.RawMessage, key string) int {
	for i := 1; i < len(blocks); i++ {
		if strings.Contains(string(blocks[i]), `"type":"actions"`) && strings.Contains(string(blocks[i-1]), key) {
			return i
		}
	}
	return -1
}

// memberAccount is the member of the demo's directory whose key the demo restores.
const memberAccount = "1000000000000001"

// memberActions is the index of the first actions block whose Restore button restores an AccessKey in
// account, or -1. A button's value is v1.<account>.<user>.<AccessKey>.<alert>.<MAC>.
func memberActions(blocks []json.RawMessage, account string) int {
	for i := 1; i < len(blocks); i++ {
		var ab struct {
			Type     string `json:"type"`
			Elements []struct {
				Value string `json:"value"`
			} `json:"elements"`
		}
		if json.Unmarshal(blocks[i], &ab) != nil || ab.Type != "actions" || len(ab.Elements) != 1 {
			continue
		}
		if f := strings.Split(ab.Elements[0].Value, "."); len(f) == 6 && f[1] == account && f[3] != "" {
			return i
		}
	}
	return -1
}

// contextFor is the index of the context block that replaced the button under key's section, or -1.
func contextFor(blocks []json.RawMessage, key string) int {
	for i := 1; i < len(blocks); i++ {
		if strings.Contains(string(blocks[i]), `"type":"context"`) && strings.Contains(string(blocks[i]), "restore:") && strings.Contains(string(blocks[i-1]), key) {
			return i
		}
	}
	return -1
}

// botBlocks are the blocks of the last message posted with chat.postMessage.
func (rx *receiver) botBlocks() []json.RawMessage {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	var blocks []json.RawMessage
	if form, err := url.ParseQuery(rx.bot); err == nil {
		json.Unmarshal([]byte(form.Get("blocks")), &blocks)
	}
	return blocks
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// Command demo runs the function end to end on this machine, with no cloud account and no network
// beyond loopback: the project's emulator serves the sample users of testdata/ (dated relative to
// today), live ones and a deleted one in the user recycle bin, and the ActionTrail events of their
// deletions, in the management account of a Resource Directory and in two of its members (a third has
// not joined yet); local receivers stand in for Slack and the generic webhook, and the built function
// binary runs its real code path against them with ACCOUNTS=*: it lists the directory, assumes its
// reader role in each member, and reads every account. It prints each message as a person would see
// it, then the result; last, clicks on Restore buttons of the bot token's message, answered by the
// same binary as the restore function (restore.go): alice's key in the management account, then dan's
// in the member dev, through the restorer role there.
//
// Usage: go run ./cmd/demo -bin bin/main -fixtures testdata/sample-users.json (make demo builds
// the function for this machine at bin/main; target/main is the linux/amd64 one FC runs)
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/internal/offline"
	"github.com/akrecycle/ak-recycle-alert/schedule"
)

// Fake credentials: the emulator checks the signature they make; nothing leaves 127.0.0.1.
const (
	demoKeyID     = "LTAI5tDemoCallerKey00001"
	demoKeySecret = "demo-secret-not-real"
	demoAccount   = "1234567890123456"
	// The restore function's role credentials: its own role, which the members' restorer roles trust.
	demoRestoreKeyID     = "LTAI5tDemoRestoreKey0001"
	demoRestoreKeySecret = "demo-restore-secret-not-real"
)

func main() {
	bin := flag.String("bin", "bin/main", "the function binary, built for this machine (make demo builds it)")
	fixtures := flag.String("fixtures", "testdata/sample-users.json", "the sample users and their recycle bins")
	sched := flag.String("schedule", "CRON_TZ=Asia/Shanghai 0 0 9 * * *", "SCHEDULE of the demo's daily trigger")
	zone := flag.String("timezone", "Asia/Shanghai", "TIMEZONE for dates shown to people")
	flag.Parse()
	if err := run(*bin, *fixtures, *sched, *zone, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(bin, fixtures, sched, zone string, out io.Writer) error {
	// The sample data is dated relative to the daily trigger's latest fire time, so its crossing run
	// always has something to show.
	sch, err := schedule.Parse(sched)
	if err != nil {
		return fmt.Errorf("-schedule: %w", err)
	}
	now := schedule.Resolve(sch, time.Now(), false).Cur.UTC()
	trigger := now.Format(time.RFC3339)
	f, err := os.Open(fixtures)
	if err != nil {
		return err
	}
	world, err := ramfake.LoadWorld(f, now)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", fixtures, err)
	}
	// The world's users, deleted users, and the ActionTrail events of the deletions the fixture records.
	opts := world.Options()
	// The function's key is its role's, which the members' reader roles trust; the restore function's
	// its own role's, which dev's restorer role trusts.
	opts.Credentials = map[string]ramfake.Credential{demoKeyID: {Secret: demoKeySecret, Role: "ak-recycle-alert"},
		demoRestoreKeyID: {Secret: demoRestoreKeySecret, Role: "ak-recycle-alert-restore"}}
	api := ramfake.New(opts)
	defer api.Close()

	rx := &receiver{out: out}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rx, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	var endpoints []string
	for k, v := range api.EndpointEnv() {
		endpoints = append(endpoints, k+"="+v)
	}
	sort.Strings(endpoints)
	// Nothing of the shell's environment but PATH, HOME and TMPDIR: no proxy, no configuration.
	env := offline.Environ(append(endpoints,
		"RAM_USERS=*",
		"SCHEDULE="+sched,
		"TIMEZONE="+zone,
		"ACCOUNT_LABEL=demo",
		"FC_ACCOUNT_ID="+demoAccount,
		"ACCOUNTS=*",
		"SLACK_WEBHOOK_URL="+base+"/slack/services/T0DEMO/B0DEMO/demo-webhook-token",
		"WEBHOOK_URL="+base+"/webhook",
		"WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+demoKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+demoKeySecret,
		"LOG_LEVEL=warn",
	)...)
	users, joined, events := len(world.Users), 0, len(world.Events)
	for _, a := range world.Accounts {
		users += len(a.Users)
		events += len(a.Events)
		if strings.HasSuffix(a.Status, "Success") {
			joined++
		}
	}
	fmt.Fprintf(out, "Demo: %d sample RAM users (and %d deleted, in the user recycle bin) and the ActionTrail events of %d deletions, in the management account %s and %d members of its Resource Directory (and %d that has not joined yet), served by the local emulator at %s (dates relative to the latest fire time, %s); ACCOUNTS=*.\n",
		users, len(world.RecycledUsers), events, demoAccount, joined, len(world.Accounts)-joined, api.URL(), now.Format(time.RFC3339))

	// The daily check, as the timer trigger would start it at its latest fire time.
	runs := []struct{ title, event string }{
		{"1. The daily check (crossing mode): the timer event of " + trigger,
			fmt.Sprintf(`{"triggerTime":%q,"triggerName":"daily-check","payload":""}`, trigger)},
		{"2. A digest run (what `make invoke` does after a deploy): every key in every bin, every deleted user, in every account",
			`{"mode":"digest"}`},
	}
	for _, r := range runs {
		fmt.Fprintf(out, "\n%s\n%s\n", strings.Repeat("=", 100), r.title)
		fmt.Fprintf(out, "   $ %s -e '%s'\n%s\n", bin, r.event, strings.Repeat("=", 100))
		rx.reset()
		cmd := exec.Command(bin, "-e", r.event)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		rx.print()
		fmt.Fprintf(out, "\n--- result (stdout of the function) ---\n%s", stdout.String())
		if stderr.Len() > 0 {
			fmt.Fprintf(out, "--- log (stderr) ---\n%s", stderr.String())
		}
		if err != nil {
			return fmt.Errorf("%s: %w", r.title, err)
		}
	}
	if err := restoreClick(bin, env, api, world, rx, base, trigger, out); err != nil {
		return fmt.Errorf("the restore click: %w", err)
	}
	fmt.Fprintf(out, "\nThe emulator answered %d API calls; nothing left 127.0.0.1.\n", api.TotalCalls())
	return nil
}

// receiver stands in for Slack's incoming webhook, the Slack Web API's chat.postMessage and the generic
// webhook receiver.
type receiver struct {
	out  io.Writer
	mu   sync.Mutex
	msgs []string
	bot  string // the form of the last chat.postMessage
}

func (rx *receiver) reset() {
	rx.mu.Lock()
	rx.msgs = nil
	rx.mu.Unlock()
}

func (rx *receiver) print() {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	if len(rx.msgs) == 0 {
		fmt.Fprintln(rx.out, "\n(nothing posted: nothing to say in this run)")
	}
	// The channels post concurrently: show Slack first, then the webhook, whatever arrived first.
	sort.SliceStable(rx.msgs, func(i, j int) bool {
		return strings.Contains(rx.msgs[i], "--- Slack") && !strings.Contains(rx.msgs[j], "--- Slack")
	})
	for _, m := range rx.msgs {
		fmt.Fprint(rx.out, m)
	}
}

func (rx *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var text string
	switch {
	case r.URL.Path == "/slackapi/chat.postMessage":
		rx.mu.Lock()
		rx.bot = string(body)
		rx.mu.Unlock()
		w.Write([]byte(`{"ok":true,"channel":"C0DEMOALERTS","ts":"1796267565.000100"}`))
		return
	case strings.HasPrefix(r.URL.Path, "/slack/"):
		text = "\n--- Slack (incoming webhook), as the channel shows it ---\n" + slackText(body)
	default:
		var pretty bytes.Buffer
		json.Indent(&pretty, body, "", "  ")
		text = fmt.Sprintf("\n--- generic webhook: POST %s ---\nwebhook-id: %s\nwebhook-timestamp: %s\nwebhook-signature: %s\n%s\n",
			r.URL.Path, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), pretty.String())
	}
	rx.mu.Lock()
	rx.msgs = append(rx.msgs, text)
	rx.mu.Unlock()
	w.Write([]byte("ok"))
}

// slackText renders a Block Kit message as plain text: roughly what a person sees in the channel.
func slackText(body []byte) string {
	var msg struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return string(body) + "\n"
	}
	if len(msg.Blocks) == 0 {
		return msg.Text + "\n"
	}
	var b strings.Builder
	for _, bl := range msg.Blocks {
		switch bl["type"] {
		case "header":
			t := textOf(bl["text"])
			fmt.Fprintf(&b, "%s\n%s\n", strings.ToUpper(t), strings.Repeat("~", min(len([]rune(t)), 100)))
		case "section":
			if t := textOf(bl["text"]); t != "" {
				fmt.Fprintln(&b, indent(t))
			}
			if fields, ok := bl["fields"].([]any); ok {
				for _, f := range fields {
					fmt.Fprintln(&b, indent(strings.ReplaceAll(textOf(f), "\n", " ")))
				}
			}
		case "context":
			if els, ok := bl["elements"].([]any); ok {
				var parts []string
				for _, e := range els {
					parts = append(parts, textOf(e))
				}
				fmt.Fprintf(&b, "  (%s)\n", strings.Join(parts, " · "))
			}
		case "divider":
			fmt.Fprintln(&b, "  "+strings.Repeat("─", 60))
		case "actions":
			if els, ok := bl["elements"].([]any); ok {
				for _, e := range els {
					el, _ := e.(map[string]any)
					fmt.Fprintf(&b, "  [ %s ]\n", textOf(el["text"]))
					if c, ok := el["confirm"].(map[string]any); ok {
						fmt.Fprintf(&b, "    after a click, a dialog: %q  %q  [ %s ] [ %s ]\n", textOf(c["title"]), textOf(c["text"]), textOf(c["confirm"]), textOf(c["deny"]))
					}
				}
			}
		case "rich_text", "markdown":
			fmt.Fprintln(&b, indent(textOf(bl["text"])))
		}
	}
	return b.String()
}

func textOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	s, _ := m["text"].(string)
	return s
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// syncBuffer is a bytes.Buffer safe for a process's writers and the demo's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

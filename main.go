// Command main is the ak-recycle-alert function: it watches the RAM AccessKey recycle bin of the
// configured users and warns the team before a recycled key is purged for good.
//
// It decides its mode when it starts: with FC_RUNTIME_API set it serves the Function Compute go1 runtime
// API; "main serve" is a custom-runtime HTTP server; otherwise it is a command-line tool that runs once on
// an event. With SLACK_SIGNING_SECRET set it is also the restore function, which answers the clicks on
// the Restore buttons of its Slack messages (restorefn.go). main.go is the composition root: the only
// code that reads the environment.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "golang.org/x/crypto/x509roots/fallback" // root certificates when the runtime image has none
	_ "time/tzdata"                            // TIMEZONE and CRON_TZ whatever the image holds

	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/config"
	"github.com/akrecycle/ak-recycle-alert/fcruntime"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/notify"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
	"github.com/akrecycle/ak-recycle-alert/restore"
)

// Exit statuses of the command line.
const (
	exitOK       = 0
	exitFailed   = 1
	exitRejected = 2
)

// postTimeout bounds one HTTP attempt to a channel; the invocation's deadline bounds them all.
const postTimeout = 15 * time.Second

const usage = `ak-recycle-alert: warns before a recycled RAM AccessKey is purged for good.

Usage:
  main [run] [-f FILE | -e JSON]   run once on an event and print the result JSON on stdout
                                   (the event is read from FILE, JSON or stdin; {} when stdin is a terminal)
  main serve                       FC custom runtime HTTP server on FC_CUSTOM_LISTEN_PORT (default 9000)
  main -h                          this help

With FC_RUNTIME_API set, main serves the Function Compute go1 runtime API instead. With
SLACK_SIGNING_SECRET set it also answers Slack's clicks on its Restore buttons: FC HTTP trigger events on
the go1 runtime, POST /slack/actions on the custom runtime.

Events: a timer event {"triggerTime":"2026-11-30T01:00:00Z","triggerName":"daily-check","payload":""}, or
manual overrides {"users":["alice"],"thresholds":[7,"36h"],"mode":"digest","dryRun":true,
"now":"2026-11-30T09:00:00Z","accounts":["1000000000000001"]}, at most 1 MiB. Configuration comes from environment variables (see
README.md).

Exit status: 0 ok (also when some users were unreadable), 1 the run failed, 2 rejected before the
first API call (flags, configuration, event).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if api := getenv("FC_RUNTIME_API"); api != "" {
		out := fcruntime.NewSyncWriter(stdout)
		f := build(getenv, out, channels.All)
		err := fcruntime.Start(ctx, api, adapt(f), runtimeOptions(out, f.logger))
		if err != nil && !errors.Is(err, context.Canceled) {
			f.logger.Error("runtime stopped", "error", err.Error())
			return exitFailed
		}
		return exitOK
	}

	if len(args) > 0 && args[0] == "serve" {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(stderr)
		if err := fs.Parse(args[1:]); err != nil {
			return exitRejected
		}
		port := getenv("FC_CUSTOM_LISTEN_PORT")
		if port == "" {
			port = "9000"
		}
		out := fcruntime.NewSyncWriter(stdout)
		f := build(getenv, out, channels.All)
		if f.restore != nil && f.check.ConfigErr == nil {
			// The restore function's HTTP trigger is anonymous, and on the custom runtime it passes
			// every path through, /invoke too: a check there would run for anyone who asks.
			f.check.ConfigErr = errServeRestoreChecks
		}
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", ":"+port)
		if err != nil {
			f.logger.Error("cannot listen", "port", port, "error", err.Error())
			return exitFailed
		}
		_, actual, _ := net.SplitHostPort(ln.Addr().String()) // port 0 picks a free one
		f.logger.Info("custom runtime listening", "port", actual)
		opts := runtimeOptions(out, f.logger)
		opts.Paths = map[string]http.Handler{restore.ActionsPath: f.serveActions()}
		if err := fcruntime.ServeListener(ctx, ln, adapt(f), opts); err != nil && !errors.Is(err, context.Canceled) {
			f.logger.Error("server stopped", "error", err.Error())
			return exitFailed
		}
		return exitOK
	}
	return runOnce(ctx, args, stdin, stdout, stderr, getenv)
}

// errServeRestoreChecks fails the check events of a restore function on the custom runtime.
var errServeRestoreChecks = errors.New("this is a restore function on the custom runtime (SLACK_SIGNING_SECRET is set), which runs no check: " +
	"its anonymous HTTP trigger would let anyone reach /invoke. Run the checks in the alert function, or this one on the go1 runtime")

// runtimeOptions are the options of both FC runtimes: markers and logs on out, events of at most
// handler.MaxEventBytes.
func runtimeOptions(out io.Writer, logger *slog.Logger) fcruntime.Options {
	return fcruntime.Options{Stdout: out, Logger: logger, MaxEventBytes: handler.MaxEventBytes}
}

// runOnce is the command line: one invocation, the result on stdout, logs on stderr.
func runOnce(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 && args[0] == "run" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("main", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	file := fs.String("f", "", "read the event from `FILE` (- for stdin)")
	inline := fs.String("e", "", "the event as inline `JSON`")
	timeout := fs.Duration("timeout", 5*time.Minute, "give the run this long, like the function's timeout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitRejected
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "main: unexpected argument %q (see main -h)\n", fs.Arg(0))
		return exitRejected
	}
	if *file != "" && *inline != "" {
		fmt.Fprintln(stderr, "main: use -f or -e, not both")
		return exitRejected
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "main: -timeout %s: want a positive duration, such as 5m\n", *timeout)
		return exitRejected
	}
	var event []byte
	var err error
	switch {
	case *inline != "":
		event = []byte(*inline)
	case *file != "" && *file != "-":
		event, err = readEventFile(*file)
	case *file == "-" || !isTerminal(stdin):
		event, err = readEvent(stdin)
	default:
		event = []byte("{}")
	}
	if err == nil && len(event) > handler.MaxEventBytes {
		err = handler.ErrEventTooLarge
	}
	if err != nil {
		fmt.Fprintf(stderr, "main: reading the event: %v\n", err)
		return exitRejected
	}

	h := build(getenv, stderr, channels.All).check
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	inv := handler.Invocation{RequestID: "local-" + randomHex(8), AccountID: ""}
	res, err := h.Handle(ctx, inv, event)
	if res != nil {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(res); encErr != nil {
			fmt.Fprintf(stderr, "main: writing the result: %v\n", encErr)
			return exitFailed
		}
	}
	var rejected *handler.RejectedError
	switch {
	case errors.As(err, &rejected):
		fmt.Fprintf(stderr, "main: %v\n", err)
		return exitRejected
	case err != nil:
		fmt.Fprintf(stderr, "main: run failed: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// function is what the environment makes of the binary: the check (the alert function's job), and the
// restore handler when SLACK_SIGNING_SECRET is set.
type function struct {
	// check runs check events; its ConfigErr fails each of them when the configuration is invalid, or
	// when it is a restore function's without RAM_USERS or a channel.
	check *handler.Handler
	// restore answers Slack's clicks; nil when restore is off (it then answers 404 and does nothing).
	restore *restore.Handler
	// configErr is the configuration's error: every event invocation, HTTP events too, fails with it.
	configErr error
	logger    *slog.Logger
}

// build turns the environment into the function, with the channels of specs (the registry,
// channels.All), and the logger it writes to. An invalid configuration does not stop the process:
// every invocation fails with it.
func build(getenv func(string) string, logOut io.Writer, specs []notify.Spec) *function {
	cfg, err := config.Load(getenv, specs)
	level := slog.LevelInfo
	if cfg != nil {
		level = cfg.LogLevel
	}
	logger := slog.New(handler.NewLogHandler(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level})))
	f := &function{check: &handler.Handler{Logger: logger, Now: time.Now, Go: fcruntime.Go}, logger: logger}
	if err == nil {
		err = f.wire(cfg)
	}
	switch {
	case err != nil:
		f.configErr, f.check.ConfigErr = err, err
		logger.Error("invalid configuration: every invocation will fail until it is fixed", "error", err.Error())
	case cfg.CheckErr != nil:
		f.check.ConfigErr = cfg.CheckErr
	}
	return f
}

// wire gives the function its settings, the API reader (which also lists the Resource Directory and
// assumes the member roles), the ActionTrail look-ups, the channels of cfg and, when restore is on, the
// restore handler.
func (f *function) wire(cfg *config.Config) error {
	// Redirects are not followed: a 30x is the channel's answer, and a redirect could take a body with
	// its alerts to a host the https-only rule never saw.
	client := &http.Client{Timeout: postTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	rc := cfg.Reader
	rc.Logger = f.logger
	reader, err := alibaba.New(rc)
	if err != nil {
		return err
	}
	h := f.check
	h.Reader, h.Directory = reader, reader
	if h.Trail, err = reader.Trail(rc.ActionTrailEndpoint); err != nil {
		return err
	}
	if h.Channels, err = cfg.NewChannels(client); err != nil {
		return err
	}
	if h.PreviewChannels, err = channels.Preview(client); err != nil {
		return err
	}
	h.Settings = cfg.Handler
	if cfg.Restore.Enabled() {
		f.restore, err = newRestore(cfg, reader, h.Channels, f.logger)
	}
	return err
}

// adapt turns the function into the runtime's handler: an FC HTTP trigger event goes to the restore
// handler (restoreEvent), any other event to the check, with the invocation's facts in and the result
// JSON out.
func adapt(f *function) fcruntime.Handler {
	h := f.check
	return testHook(func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
		if restore.IsHTTPEvent(event) {
			return f.restoreEvent(ctx, inv, event)
		}
		hi := handler.Invocation{RequestID: inv.RequestID, AccountID: inv.AccountID, RetryCount: inv.RetryCount, Credentials: credentials(inv)}
		res, err := h.Handle(ctx, hi, event)
		if res == nil {
			return nil, err
		}
		body, mErr := json.Marshal(res)
		return body, cmp.Or(err, mErr)
	})
}

// credentials are the invocation's role credentials, nil when the function has no role.
func credentials(inv fcruntime.Invocation) *alibaba.Credentials {
	c := inv.Credentials
	if c.AccessKeyID == "" {
		return nil
	}
	return &alibaba.Credentials{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
}

// readEvent reads an event of at most handler.MaxEventBytes, and never more than one byte past it.
func readEvent(r io.Reader) ([]byte, error) {
	event, err := io.ReadAll(io.LimitReader(r, handler.MaxEventBytes+1))
	if err != nil {
		return nil, err
	}
	if len(event) > handler.MaxEventBytes {
		return nil, handler.ErrEventTooLarge
	}
	return event, nil
}

// readEventFile reads the event of the file at path (a regular file, a pipe, /dev/stdin) with readEvent.
func readEventFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readEvent(f)
}

// testHook wraps the runtime handler; only the end-to-end tests' build (tag e2etest) changes it, to
// make an invocation panic on purpose.
var testHook = func(h fcruntime.Handler) fcruntime.Handler { return h }

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package main

// Benchmarks of the whole run in process, through main's build, against the project's RAM/IMS emulator
// (ramfake) and the vendors' fake (notifytest.NewVendors) as Slack and the generic webhook, all on
// 127.0.0.1; the benchmarks of the built binary are in e2e/. They run with `make bench`, never with
// `make test` (go test skips Benchmark* without -bench).

import (
	"context"
	"fmt"
	"io"
	"maps"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba"
	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/handler"
	"github.com/akrecycle/ak-recycle-alert/notify/channels"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// Fake credentials: the emulator checks the signatures they make; nothing leaves 127.0.0.1.
const (
	benchKeyID         = "LTAI5tBenchCallerKey0001"
	benchKeySecret     = "bench-secret-not-real"
	benchAccount       = "1234567890123456"
	benchWebhookSecret = "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtbm90LXJlYWwh"
	// benchEvent is a manual digest run: every key of every bin is rendered for Slack (the 100 most
	// urgent, in parts) and the webhook (all of them), and posted.
	benchEvent = `{"mode":"digest"}`
)

// benchEnv is the function's environment for RAM_USERS=* against api, posting to the vendors' fake as
// the Slack webhook and the generic webhook.
func benchEnv(api *ramfake.Server, vendors *notifytest.Server) map[string]string {
	env := api.EndpointEnv()
	maps.Copy(env, map[string]string{
		"RAM_USERS":         "*",
		"FC_ACCOUNT_ID":     benchAccount,
		"ACCOUNT_LABEL":     "bench",
		"SLACK_WEBHOOK_URL": vendors.ChannelURL("slack-webhook", "/services/T0BENCH/B0BENCH/bench-webhook-token"),
		"WEBHOOK_URL":       vendors.ChannelURL("webhook", ""),
		"WEBHOOK_SECRET":    benchWebhookSecret,
	})
	return env
}

func benchServer(users []ramfake.User, recycled []ramfake.RecycledUser, latency time.Duration, rateLimit int) *ramfake.Server {
	return ramfake.New(ramfake.Options{
		Users:         users,
		RecycledUsers: recycled,
		Credentials:   map[string]ramfake.Credential{benchKeyID: {Secret: benchKeySecret}},
		Latency:       latency,
		RateLimit:     rateLimit,
	})
}

// wantAlerts is how many alerts a digest of SyntheticUsers(n) and SyntheticRecycledUsers(deleted) has:
// one per third user (their keys), one per deleted user.
func wantAlerts(n, deleted int) int { return (n+2)/3 + deleted }

// benchHandle times one invocation i of the function as main builds it from env, with the event, in
// process: the timer runs from the build of the handler to its result. It is called with the timer
// stopped, and leaves it stopped.
func benchHandle(b *testing.B, i int, env map[string]string, event string) (*handler.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	inv := handler.Invocation{RequestID: fmt.Sprintf("bench-%d", i), AccountID: benchAccount,
		Credentials: &alibaba.Credentials{AccessKeyID: benchKeyID, AccessKeySecret: benchKeySecret}}
	b.StartTimer()
	defer b.StopTimer()
	h := build(func(k string) string { return env[k] }, io.Discard, channels.All).check
	return h.Handle(ctx, inv, []byte(event))
}

// benchmarkRun runs whole invocations in process, as the function does on FC: main's build() turns the
// environment into the handler (the real alibaba.Reader and notify channels), and Handle lists every
// user, reads every bin, renders the digest and posts it to the local receivers. Each iteration gets a
// fresh emulator (a daily run finds the server's rate budget full) and a fresh handler (a cold
// instance). It fails the benchmark unless every user was read and every message delivered.
func benchmarkRun(b *testing.B, n int, latency time.Duration, rateLimit int) {
	benchmarkRunDeleted(b, n, 0, latency, rateLimit, nil)
}

// benchmarkRunDeleted is benchmarkRun with deleted users (SyntheticRecycledUsers) in the user recycle
// bin as well, each with one or two keys, and the environment changed by edit (nil: none).
func benchmarkRunDeleted(b *testing.B, n, deleted int, latency time.Duration, rateLimit int, edit func(env map[string]string)) {
	users := ramfake.SyntheticUsers(n, time.Now())
	recycled := ramfake.SyntheticRecycledUsers(deleted, time.Now())
	vendors := notifytest.NewVendors(b, nil)
	calls, throttled := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		api := benchServer(users, recycled, latency, rateLimit)
		env := benchEnv(api, vendors)
		if edit != nil {
			edit(env)
		}
		res, err := benchHandle(b, i, env, benchEvent)
		calls += api.TotalCalls()
		throttled += api.Stats("").Throttled
		api.Close()
		checkRun(b, res, err, n, deleted, wantAlerts(n, deleted))
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(throttled)/float64(b.N), "throttled/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n+deleted), "ns/user")
	webhookBytes := 0
	for _, p := range vendors.Posts("webhook") {
		webhookBytes += len(p.Body)
	}
	b.ReportMetric(float64(len(vendors.Posts("slack-webhook")))/float64(b.N), "slack-msgs/op")
	b.ReportMetric(float64(webhookBytes)/float64(b.N)/1e3, "webhook-KB/op")
}

// checkRun fails the benchmark unless the run read all n users and the deleted ones, alerted alerts, and
// delivered everything.
func checkRun(b *testing.B, res *handler.Result, err error, n, deleted, alerts int) {
	b.Helper()
	if err != nil {
		b.Fatalf("Handle(%s) error: %v", benchEvent, err)
	}
	if res.UsersChecked != n || len(res.Errors) != 0 {
		b.Fatalf("Handle(%s): usersChecked = %d, %d errors (first %+v); want %d, 0", benchEvent, res.UsersChecked, len(res.Errors), first(res.Errors), n)
	}
	if res.RecycledUsers != deleted {
		b.Fatalf("Handle(%s): recycledUsers = %d, want %d", benchEvent, res.RecycledUsers, deleted)
	}
	if len(res.Alerts) != alerts {
		b.Fatalf("Handle(%s): %d alerts, want %d", benchEvent, len(res.Alerts), alerts)
	}
	if len(res.Deliveries) != 2 {
		b.Fatalf("Handle(%s): %d deliveries, want 2 (slack-webhook, webhook)", benchEvent, len(res.Deliveries))
	}
	for _, d := range res.Deliveries {
		if !d.OK || d.Messages == 0 {
			b.Fatalf("Handle(%s): delivery %+v, want ok with messages", benchEvent, d)
		}
	}
}

func first[T any](s []T) any {
	if len(s) == 0 {
		return nil
	}
	return s[0]
}

// BenchmarkRun1000Users10ms is the whole digest run for RAM_USERS=* with 1,000 users, every API call
// answered in 10 ms. Target: under 1.25 s per op (8x faster than 1,000 sequential calls).
func BenchmarkRun1000Users10ms(b *testing.B) { benchmarkRun(b, 1000, 10*time.Millisecond, 0) }

// BenchmarkRun1000Users1000Deleted10ms is the same run with 1,000 deleted users in the user recycle bin
// as well (1 or 2 keys each): 1 ListUsers page, 10 ListUsersInRecycleBin pages, 2,000 key bins, 2,011
// calls of 10 ms (over 20 s one by one). Target: under 1.25 s per op.
func BenchmarkRun1000Users1000Deleted10ms(b *testing.B) {
	benchmarkRunDeleted(b, 1000, 1000, 10*time.Millisecond, 0, nil)
}

// BenchmarkRun1000UsersCapped200 is the same run behind a cap of 200 requests a second (answered
// Throttling.User beyond it), every call still answered in 10 ms. Target: every user read, in no more
// than 1.05 x 1,010 calls / 200 per second = 5.3 s per op, fewer than 5% of the calls throttled
// (throttled/op under 50).
func BenchmarkRun1000UsersCapped200(b *testing.B) { benchmarkRun(b, 1000, 10*time.Millisecond, 200) }

// BenchmarkRunPerUser is the whole digest run for 100, 1,000 and 5,000 users with every API call answered
// in 1 ms, so that the time is mostly our code (and the emulator's, which shares the CPUs). Target:
// ns/user flat as the count grows. It asks ActionTrail nothing (LOOKUP_DELETER=false): a digest's third
// look-up waits for ActionTrail's next second, a constant that would hide the cost per user (the
// runs above include it).
func BenchmarkRunPerUser(b *testing.B) {
	noLookups := func(env map[string]string) { env["LOOKUP_DELETER"] = "false" }
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) { benchmarkRunDeleted(b, n, 0, time.Millisecond, 0, noLookups) })
	}
}

package main

// Benchmarks of a run over many accounts of a Resource Directory, in process, against the emulator
// holding the accounts (SyntheticAccounts), each with its own users and rate cap.

import (
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
	"github.com/akrecycle/ak-recycle-alert/notify/notifytest"
)

// benchDirectory is an emulator whose home account (benchAccount) has n synthetic users and whose
// Resource Directory has members other accounts of n users each, their reader roles trusting the home
// account; every account answers in latency and takes at most rateLimit calls a second (0: no cap).
func benchDirectory(members, n int, latency time.Duration, rateLimit int) *ramfake.Server {
	accounts := ramfake.SyntheticAccounts(members, n, time.Now(), benchAccount, "ak-recycle-alert-reader")
	for i := range accounts {
		accounts[i].RateLimit = rateLimit
	}
	return ramfake.New(ramfake.Options{
		AccountID:   benchAccount,
		Users:       ramfake.SyntheticUsers(n, time.Now()),
		Credentials: map[string]ramfake.Credential{benchKeyID: {Secret: benchKeySecret, Role: "ak-recycle-alert"}},
		Accounts:    accounts,
		Latency:     latency,
		RateLimit:   rateLimit,
	})
}

// benchmarkAccounts runs whole invocations over ACCOUNTS=* (the home account and members others, n
// users each), as benchmarkRun does for one account, and fails unless every account and every user was
// read and every message delivered. It reports the calls and the throttled calls. The run is a digest
// without look-ups in ActionTrail (LOOKUP_DELETER=false), the heaviest rendering and the reading alone:
// a digest's look-ups in each account take at least a second, its third call waiting for ActionTrail's
// 2 calls a second; daily is instead a crossing run ({}) with them, the run a daily trigger makes, which
// looks up its window only (2 calls an account).
func benchmarkAccounts(b *testing.B, members, n int, latency time.Duration, rateLimit int, daily bool) {
	vendors := notifytest.NewVendors(b, nil)
	calls, throttled := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		api := benchDirectory(members, n, latency, rateLimit)
		env := benchEnv(api, vendors)
		env["ACCOUNTS"] = "*"
		event := benchEvent
		if daily {
			event = "{}"
		} else {
			env["LOOKUP_DELETER"] = "false"
		}
		res, err := benchHandle(b, i, env, event)
		calls += api.TotalCalls()
		throttled += api.Stats("").Throttled
		for _, a := range res.Accounts {
			if a.AccountID != benchAccount {
				throttled += api.Stats(a.AccountID).Throttled
			}
		}
		api.Close()
		if len(res.Accounts) != members+1 {
			b.Fatalf("Handle(%s): %d accounts, want %d", benchEvent, len(res.Accounts), members+1)
		}
		for _, a := range res.Accounts {
			if a.UsersChecked != n {
				b.Fatalf("Handle(%s): account %s: usersChecked = %d, want %d", benchEvent, a.AccountID, a.UsersChecked, n)
			}
		}
		alerts := (members + 1) * wantAlerts(n, 0)
		if daily {
			alerts = len(res.Alerts) // a crossing run alerts the keys whose thresholds pass: any number
		}
		checkRun(b, res, err, (members+1)*n, 0, alerts)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(throttled)/float64(b.N), "throttled/op")
}

// BenchmarkRunAccounts10x300Capped200 reads 10 accounts (the home account and 9 members) of 300 users
// each, every account capped at 200 requests a second, every call answered in 10 ms. Target: under 3 s
// per op (one account after another: about 15 s).
func BenchmarkRunAccounts10x300Capped200(b *testing.B) {
	benchmarkAccounts(b, 9, 300, 10*time.Millisecond, 200, false)
}

// BenchmarkRunAccounts100x100 reads 100 accounts (the home account and 99 members) of 100 users each,
// every call answered in 10 ms: about 10,300 calls. Target: under 2 s per op.
func BenchmarkRunAccounts100x100(b *testing.B) {
	benchmarkAccounts(b, 99, 100, 10*time.Millisecond, 0, false)
}

// BenchmarkRunAccounts100x100Daily is the same 100 accounts in the daily crossing run, which also looks
// up who deleted what in each account's ActionTrail (2 calls an account): about 10,500 calls.
func BenchmarkRunAccounts100x100Daily(b *testing.B) {
	benchmarkAccounts(b, 99, 100, 10*time.Millisecond, 0, true)
}

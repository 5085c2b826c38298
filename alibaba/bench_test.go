package alibaba

import (
	"context"
	"testing"
	"time"

	"github.com/akrecycle/ak-recycle-alert/alibaba/ramfake"
)

// benchmarkReadAll reads RAM_USERS=* for 1,000 users from a fresh emulator per iteration (a daily run
// finds the server's rate budget full) and reports the API calls made per run.
func benchmarkReadAll(b *testing.B, latency time.Duration, rateLimit int) {
	benchmarkReadDeleted(b, 0, latency, rateLimit)
}

// benchmarkReadDeleted is benchmarkReadAll with deleted users in the user recycle bin as well.
func benchmarkReadDeleted(b *testing.B, deleted int, latency time.Duration, rateLimit int) {
	isolate(b)
	users := ramfake.SyntheticUsers(1000, time.Now())
	recycled := ramfake.SyntheticRecycledUsers(deleted, time.Now())
	calls, maxConc := 0, 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		opts := serverOptions(users)
		opts.RecycledUsers = recycled
		opts.Latency, opts.RateLimit = latency, rateLimit
		s := ramfake.New(opts)
		r, err := New(Config{RAMEndpoint: s.URL(), IMSEndpoint: s.URL()})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		b.StartTimer()
		scan, err := r.Read(ctx, akCreds, []string{"*"})
		b.StopTimer()
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if len(scan.Bins) != len(users)+deleted || len(scan.Errors) != 0 {
			b.Fatalf("Read(*) = %d bins, %d errors %v; want %d bins", len(scan.Bins), len(scan.Errors), codes(scan.Errors), len(users)+deleted)
		}
		calls += scan.Calls
		maxConc = max(maxConc, s.MaxConcurrency())
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	b.ReportMetric(float64(maxConc), "max-concurrency")
}

// BenchmarkRead1000Users10ms reads 1,000 users (RAM_USERS=*) from a server answering in 10 ms.
// Target: under 1.25 s per op.
func BenchmarkRead1000Users10ms(b *testing.B) { benchmarkReadAll(b, 10*time.Millisecond, 0) }

// BenchmarkRead1000Users1000Deleted10ms reads 1,000 users and 1,000 deleted users (RAM_USERS=*) from a
// server answering in 10 ms: 2,011 calls. Target: the whole run's 1.25 s.
func BenchmarkRead1000Users1000Deleted10ms(b *testing.B) {
	benchmarkReadDeleted(b, 1000, 10*time.Millisecond, 0)
}

// BenchmarkRead1000UsersCapped200 reads 1,000 users from a server that throttles beyond 200 requests a
// second. Target: under 6.3 s per op.
func BenchmarkRead1000UsersCapped200(b *testing.B) { benchmarkReadAll(b, 0, 200) }

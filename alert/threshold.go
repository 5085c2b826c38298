package alert

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/akrecycle/ak-recycle-alert/internal/excerpt"
)

// Limits of the thresholds of a run.
const (
	// maxThresholdDays bounds one threshold: a year, far beyond a recycle bin's retention (about 30
	// days) and far from overflowing a time.Duration.
	maxThresholdDays = 365
	// MaxThresholds bounds how many thresholds a run may be given (before duplicates are dropped).
	MaxThresholds = 20
)

const day = 24 * time.Hour

// ParseThreshold parses one lead time before DeleteDate: whole days (`7`, `7d`) or whole hours (`36h`);
// `0` means "purged before the next check".
func ParseThreshold(s string) (time.Duration, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return 0, errors.New("empty threshold: want whole days (7 or 7d) or whole hours (36h)")
	}
	unit, digits := day, v
	switch last := v[len(v)-1]; last {
	case 'd', 'D':
		digits = v[:len(v)-1]
	case 'h', 'H':
		unit, digits = time.Hour, v[:len(v)-1]
	}
	if strings.HasPrefix(v, "-") {
		return 0, fmt.Errorf("threshold %s is negative: want 0 or more", excerpt.Quote(s))
	}
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, fmt.Errorf("threshold %s: want whole days (7 or 7d) or whole hours (36h)", excerpt.Quote(s))
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(maxThresholdDays*day/unit) {
		return 0, fmt.Errorf("threshold %s: at most %d days", excerpt.Quote(s), maxThresholdDays)
	}
	return time.Duration(n) * unit, nil
}

// ParseThresholds parses ALERT_THRESHOLDS: comma-separated thresholds as ParseThreshold takes them,
// spaces trimmed, duplicates ignored, at least one and at most MaxThresholds. The result is ascending.
func ParseThresholds(csv string) ([]time.Duration, error) {
	if strings.TrimSpace(csv) == "" {
		return nil, errors.New("no threshold: want comma-separated whole days or hours, such as 7,3,1 or 36h")
	}
	if n := strings.Count(csv, ",") + 1; n > MaxThresholds {
		return nil, fmt.Errorf("%d thresholds: at most %d", n, MaxThresholds)
	}
	var out []time.Duration
	for _, item := range strings.Split(csv, ",") {
		t, err := ParseThreshold(item)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return Normalize(out), nil
}

// ThresholdFromDays converts a threshold given as a JSON number of days (the `thresholds` override); n
// must be a whole number, 0 or more.
func ThresholdFromDays(n float64) (time.Duration, error) {
	switch {
	case math.IsNaN(n) || math.IsInf(n, 0) || n != math.Trunc(n):
		return 0, fmt.Errorf("threshold %v: want whole days", n)
	case n < 0:
		return 0, fmt.Errorf("threshold %v: want 0 or more days", n)
	case n > maxThresholdDays:
		return 0, fmt.Errorf("threshold %v: at most %d days", n, maxThresholdDays)
	}
	return time.Duration(n) * day, nil
}

// Normalize returns thresholds sorted ascending without duplicates, as Policy wants them.
func Normalize(thresholds []time.Duration) []time.Duration {
	out := slices.Clone(thresholds)
	slices.Sort(out)
	return slices.Compact(out)
}

package alert

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr string // a substring of the error, empty for none
	}{
		{name: "bare days", in: "7", want: 7 * day},
		{name: "days", in: "7d", want: 7 * day},
		{name: "upper case days", in: "7D", want: 7 * day},
		{name: "hours", in: "36h", want: 36 * time.Hour},
		{name: "zero", in: "0", want: 0},
		{name: "zero hours", in: "0h", want: 0},
		{name: "spaces", in: " 3 ", want: 3 * day},
		{name: "leading zero", in: "07", want: 7 * day},
		{name: "largest", in: "365d", want: 365 * day},
		{name: "largest in hours", in: "8760h", want: 365 * day},
		{name: "empty", in: "", wantErr: "empty threshold"},
		{name: "blank", in: "  ", wantErr: "empty threshold"},
		{name: "negative", in: "-1", wantErr: `threshold "-1" is negative`},
		{name: "negative hours", in: "-36h", wantErr: "negative"},
		{name: "fraction", in: "1.5", wantErr: `threshold "1.5": want whole days (7 or 7d) or whole hours (36h)`},
		{name: "minutes", in: "90m", wantErr: "whole hours"},
		{name: "unit only", in: "d", wantErr: "whole days"},
		{name: "plus sign", in: "+7", wantErr: "whole days"},
		{name: "word", in: "week", wantErr: "whole days"},
		{name: "inner space", in: "7 d", wantErr: "whole days"},
		{name: "too many days", in: "366", wantErr: `threshold "366": at most 365 days`},
		{name: "too many hours", in: "8761h", wantErr: "at most 365 days"},
		{name: "overflow", in: "99999999999999999999", wantErr: "at most 365 days"},
		{name: "long value quoted short", in: strings.Repeat("7", 5000) + "x", wantErr: `threshold "` + strings.Repeat("7", 40) + `"…: want whole days`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseThreshold(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseThreshold(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseThreshold(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseThresholds(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []time.Duration
		wantErr string
	}{
		{name: "default", in: "7,3,1", want: []time.Duration{day, 3 * day, 7 * day}},
		{name: "spaces and units", in: " 36h , 7d,0 ", want: []time.Duration{0, 36 * time.Hour, 7 * day}},
		{name: "duplicates", in: "7,7d,168h,1", want: []time.Duration{day, 7 * day}},
		{name: "one", in: "0", want: []time.Duration{0}},
		{name: "empty", in: "", wantErr: "no threshold"},
		{name: "empty entry", in: "7,,1", wantErr: "empty threshold"},
		{name: "trailing comma", in: "7,3,", wantErr: "empty threshold"},
		{name: "bad entry", in: "7,x", wantErr: `threshold "x"`},
		{name: "negative entry", in: "7,-3", wantErr: "negative"},
		{name: "twenty", in: "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", want: days(20)},
		{name: "twenty-one", in: "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21", wantErr: "21 thresholds: at most 20"},
		{name: "twenty-one with duplicates", in: "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1", wantErr: "21 thresholds: at most 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseThresholds(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseThresholds(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseThresholds(%q) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseThresholds(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestThresholdFromDays(t *testing.T) {
	tests := []struct {
		name    string
		in      float64
		want    time.Duration
		wantErr string
	}{
		{name: "seven", in: 7, want: 7 * day},
		{name: "zero", in: 0, want: 0},
		{name: "fraction", in: 1.5, wantErr: "whole days"},
		{name: "negative", in: -1, wantErr: "0 or more"},
		{name: "NaN", in: math.NaN(), wantErr: "whole days"},
		{name: "infinite", in: math.Inf(1), wantErr: "whole days"},
		{name: "huge", in: 1e300, wantErr: "at most 365 days"},
		{name: "largest", in: 365, want: 365 * day},
		{name: "too many days", in: 366, wantErr: "threshold 366: at most 365 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ThresholdFromDays(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ThresholdFromDays(%v) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ThresholdFromDays(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// days returns the thresholds 1 to n days.
func days(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * day
	}
	return out
}

func TestInYears(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(2200, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2200, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)), false}, // 2201 in UTC
		{time.Date(2000, 1, 1, 1, 0, 0, 0, time.FixedZone("", 2*3600)), false},     // 1999 in UTC
	} {
		if got := InYears(tc.t); got != tc.want {
			t.Errorf("InYears(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

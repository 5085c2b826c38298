package notify

import "testing"

func TestTimeLeft(t *testing.T) {
	tests := []struct {
		sec  int64
		want string
	}{
		{-5, "past DeleteDate, may already be gone"},
		{0, "past DeleteDate, may already be gone"},
		{30, "in under a minute"},
		{42 * 60, "in 42m"},
		{5*3600 + 12*60, "in 5h 12m"},
		{2*86400 + 4*3600 + 59*60, "in 2d 4h"},
	}
	for _, tt := range tests {
		if got := timeLeft(tt.sec); got != tt.want {
			t.Errorf("timeLeft(%d) = %q, want %q", tt.sec, got, tt.want)
		}
	}
}

package schedule

import (
	"math/bits"
	"time"
)

// A wall-clock time is written here as the Unix seconds it would be if the zone were UTC: it orders and
// adds like a number, and time.Unix(w, 0).UTC() gives back its date and clock.

const (
	// maxOffset bounds the distance between a wall-clock time and an instant showing it: real zones stay
	// within 16 hours of UTC (the widest are local mean times before 1900).
	maxOffset = 18 * 3600
	// maxJump bounds how far back a zone's clock can jump at one switch (Samoa and Alaska: a whole day).
	maxJump = 48 * 3600
	// searchSecs is searchLimit in seconds.
	searchSecs = int64(searchLimit / time.Second)
)

// wallAt returns the wall-clock time that loc shows at instant u.
func wallAt(loc *time.Location, u int64) int64 {
	_, off := time.Unix(u, 0).In(loc).Zone()
	return u + int64(off)
}

// firstOccurrence returns the first instant at which loc shows wall-clock time w, and false when loc never
// shows it (it falls in a switch forward).
func firstOccurrence(loc *time.Location, w int64) (int64, bool) {
	if loc == time.UTC {
		return w, true
	}
	// Walk the zone periods (offset, start, end) that cover [w-maxOffset, w+maxOffset], in time order:
	// the first one whose offset maps w into itself holds the first occurrence.
	for i := w - maxOffset; ; {
		z := time.Unix(i, 0).In(loc)
		_, off := z.Zone()
		start, end := z.ZoneBounds()
		c := w - int64(off)
		if (start.IsZero() || c >= start.Unix()) && (end.IsZero() || c < end.Unix()) {
			return c, true
		}
		if end.IsZero() || end.Unix() > w+maxOffset {
			return 0, false
		}
		i = end.Unix()
	}
}

// minWallFrom returns the earliest wall-clock time loc shows at instant from or later: the wall time at
// from, or lower after a switch back within the next maxJump.
func minWallFrom(loc *time.Location, from int64) int64 {
	low := wallAt(loc, from)
	for i := from; ; {
		_, end := time.Unix(i, 0).In(loc).ZoneBounds()
		if end.IsZero() || end.Unix() > from+maxJump {
			return low
		}
		i = end.Unix()
		low = min(low, wallAt(loc, i))
	}
}

// maxWallUntil returns the latest wall-clock time loc shows at instant last or earlier: the wall time at
// last, or higher before a switch back within the previous maxJump.
func maxWallUntil(loc *time.Location, last int64) int64 {
	high := wallAt(loc, last)
	for i := last; ; {
		start, _ := time.Unix(i, 0).In(loc).ZoneBounds()
		if start.IsZero() || start.Unix() <= last-maxJump {
			return high
		}
		i = start.Unix() - 1
		high = max(high, wallAt(loc, i))
	}
}

// forwardWalls calls yield with the matching wall-clock times from start on, in increasing order, until
// yield returns false (then it returns true) or searchLimit is passed (then false).
func (s *Schedule) forwardWalls(start int64, yield func(w int64) bool) bool {
	t := time.Unix(start, 0).UTC()
	y, m, d := t.Date()
	h0, m0, s0 := t.Clock()
	end := start + searchSecs
	for first := true; ; first = false {
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if day.Unix() > end {
			return false
		}
		if s.month&(1<<uint(m)) == 0 {
			y, m, d = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).Date()
			continue
		}
		if s.dayMatches(y, m, d) {
			base := day.Unix()
			hs := 0
			if first {
				hs = h0
			}
			for hh := nextBit(s.hour, hs); hh >= 0; hh = nextBit(s.hour, hh+1) {
				ms := 0
				if first && hh == h0 {
					ms = m0
				}
				for mm := nextBit(s.minute, ms); mm >= 0; mm = nextBit(s.minute, mm+1) {
					ss := 0
					if first && hh == h0 && mm == m0 {
						ss = s0
					}
					for sc := nextBit(s.second, ss); sc >= 0; sc = nextBit(s.second, sc+1) {
						if !yield(base + int64(hh*3600+mm*60+sc)) {
							return true
						}
					}
				}
			}
		}
		y, m, d = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Date()
	}
}

// backwardWalls calls yield with the matching wall-clock times from start back, in decreasing order,
// until yield returns false (then it returns true) or searchLimit is passed (then false).
func (s *Schedule) backwardWalls(start int64, yield func(w int64) bool) bool {
	t := time.Unix(start, 0).UTC()
	y, m, d := t.Date()
	h0, m0, s0 := t.Clock()
	end := start - searchSecs
	for first := true; ; first = false {
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if day.Unix()+86400 < end {
			return false
		}
		if s.month&(1<<uint(m)) == 0 {
			// The last day of the month before.
			y, m, d = time.Date(y, m, 0, 0, 0, 0, 0, time.UTC).Date()
			continue
		}
		if s.dayMatches(y, m, d) {
			base := day.Unix()
			hs := 23
			if first {
				hs = h0
			}
			for hh := prevBit(s.hour, hs); hh >= 0; hh = prevBit(s.hour, hh-1) {
				ms := 59
				if first && hh == h0 {
					ms = m0
				}
				for mm := prevBit(s.minute, ms); mm >= 0; mm = prevBit(s.minute, mm-1) {
					ss := 59
					if first && hh == h0 && mm == m0 {
						ss = s0
					}
					for sc := prevBit(s.second, ss); sc >= 0; sc = prevBit(s.second, sc-1) {
						if !yield(base + int64(hh*3600+mm*60+sc)) {
							return true
						}
					}
				}
			}
		}
		y, m, d = time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC).Date()
	}
}

// nextBit returns the lowest set bit of mask at from or above, or -1.
func nextBit(mask uint64, from int) int {
	if from > 63 {
		return -1
	}
	mask &^= (1 << uint(from)) - 1
	if mask == 0 {
		return -1
	}
	return bits.TrailingZeros64(mask)
}

// prevBit returns the highest set bit of mask at from or below, or -1.
func prevBit(mask uint64, from int) int {
	if from < 0 {
		return -1
	}
	mask &= (2 << uint(from)) - 1
	if mask == 0 {
		return -1
	}
	return 63 - bits.LeadingZeros64(mask)
}

// weekday returns the day of the week of a civil date.
func weekday(y int, m time.Month, d int) time.Weekday {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()
}

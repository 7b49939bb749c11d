package fsm

import (
	"math"
	"time"
)

// Time is a capture time: nanoseconds since the Unix epoch, in UTC. A
// time is carried in this one form from the decoder that reads it off
// the capture to the renderers that print it, which alone make a
// time.Time of it, for a date or a clock: one word where a time.Time is
// three, and no conversion at each layer between.
//
// The zero Time is 1970-01-01 00:00:00 UTC, a real time in hand-made and
// damaged captures, not "no time": where a time may be missing, an ok
// bool says so.
type Time int64

// MinTime and MaxTime are the earliest and the latest Time. A time
// before 1678 or after 2262, which int64 nanoseconds cannot hold, is
// taken as the nearer of the two (TimeOf), and arithmetic stops at them
// rather than wrap round (Add, Sub). They also start a search for the
// latest or the earliest of some times, and MinTime stands for "before
// any time" where something has not happened yet (a clock that has read
// no time, a file not flushed yet): no time is before it, whereas the
// zero Time is a real one.
const (
	MinTime Time = math.MinInt64
	MaxTime Time = math.MaxInt64
)

// TimeOf returns t as a Time, or the nearer of MinTime and MaxTime for a
// time beyond them, where time.Time.UnixNano is undefined.
func TimeOf(t time.Time) Time {
	s := t.Unix()
	switch {
	case s >= math.MaxInt64/int64(time.Second):
		return MaxTime
	case s <= math.MinInt64/int64(time.Second):
		return MinTime
	}
	return Time(t.UnixNano())
}

// Time returns t as a time.Time in UTC, for formatting.
func (t Time) Time() time.Time { return time.Unix(0, int64(t)).UTC() }

// String formats t as time.Time does, so that a Time prints as a date
// in messages and test failures, not as a count of nanoseconds.
func (t Time) String() string { return t.Time().String() }

// Add returns t+d, or MinTime or MaxTime where that lies beyond them:
// no duration added to a time can wrap it round.
func (t Time) Add(d time.Duration) Time {
	s := t + Time(d)
	switch {
	case d > 0 && s < t:
		return MaxTime
	case d < 0 && s > t:
		return MinTime
	}
	return s
}

// Sub returns the duration t-u, or the nearest duration when that lies
// beyond what a time.Duration holds (about 292 years), as
// time.Time.Sub does.
func (t Time) Sub(u Time) time.Duration {
	d := time.Duration(t - u)
	switch {
	case u < 0 && d < time.Duration(t):
		return math.MaxInt64
	case u > 0 && d > time.Duration(t):
		return math.MinInt64
	}
	return d
}

// Before reports whether t is earlier than u.
func (t Time) Before(u Time) bool { return t < u }

// After reports whether t is later than u.
func (t Time) After(u Time) bool { return t > u }

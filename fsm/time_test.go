package fsm

import (
	"math"
	"testing"
	"time"
)

// TestTimeOf: a time within int64 nanoseconds comes back as it went in;
// one beyond them (the zero time.Time, year 1; a year past 2262) is the
// nearer end, never a wrapped value.
func TestTimeOf(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want Time
	}{
		{time.Unix(0, 0), 0},
		{time.Unix(-1, 999_999_999), -1},
		{time.Unix(1700000000, 123456789), 1700000000_123456789},
		{time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), Time(time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())},
		{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), Time(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())},
		{time.Time{}, MinTime},
		{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), MinTime},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), MaxTime},
		{time.Unix(math.MaxInt64, 0), MaxTime},
	} {
		got := TimeOf(tc.in)
		if got != tc.want {
			t.Errorf("TimeOf(%v) = %d, want %d", tc.in, int64(got), int64(tc.want))
		}
		if got != MinTime && got != MaxTime && !got.Time().Equal(tc.in) {
			t.Errorf("TimeOf(%v).Time() = %v", tc.in, got.Time())
		}
	}
	if loc := TimeOf(time.Unix(5, 0).In(time.FixedZone("x", 3600))).Time().Location(); loc != time.UTC {
		t.Errorf("Time() is in %v, want UTC", loc)
	}
}

// TestTimeArithmetic: Add and Sub agree with time.Time's within the
// range, and stop at its ends rather than wrap.
func TestTimeArithmetic(t *testing.T) {
	t1700 := TimeOf(time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC))
	t2200 := TimeOf(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct{ a, b Time }{
		{0, 0}, {0, -1}, {-1, 0}, {1700000000_000000001, 1700000000_000000000},
		{t1700, t2200}, {t2200, t1700}, {MinTime, MaxTime}, {MaxTime, MinTime}, {MinTime, 0}, {0, MinTime},
	} {
		if got, want := tc.a.Sub(tc.b), tc.a.Time().Sub(tc.b.Time()); got != want {
			t.Errorf("%d.Sub(%d) = %v, want %v as time.Time has it", int64(tc.a), int64(tc.b), got, want)
		}
		if got, want := tc.a.Before(tc.b), tc.a.Time().Before(tc.b.Time()); got != want {
			t.Errorf("%d.Before(%d) = %v", int64(tc.a), int64(tc.b), got)
		}
		if got, want := tc.a.After(tc.b), tc.a.Time().After(tc.b.Time()); got != want {
			t.Errorf("%d.After(%d) = %v", int64(tc.a), int64(tc.b), got)
		}
	}
	for _, tc := range []struct {
		t    Time
		d    time.Duration
		want Time
	}{
		{0, time.Second, Time(time.Second)},
		{0, -time.Second, -Time(time.Second)},
		{MaxTime - 1, 2, MaxTime},
		{MinTime + 1, -2, MinTime},
		{t2200, math.MaxInt64, MaxTime},
		{t1700, math.MinInt64, MinTime},
		{MaxTime, math.MinInt64, -1},
		{MinTime, math.MaxInt64, -1},
	} {
		if got := tc.t.Add(tc.d); got != tc.want {
			t.Errorf("%d.Add(%d) = %d, want %d", int64(tc.t), int64(tc.d), int64(got), int64(tc.want))
		}
	}
}

package report

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"tcpflow-fsm/fsm"
)

// TestStampsAsLayouts: the arithmetic writes what time.Time's layouts
// write, over the decoder's range of years (1700-2200) and fsm.Time's
// ends, leap days, the edges of days and the epoch.
func TestStampsAsLayouts(t *testing.T) {
	lo := time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	times := []int64{math.MinInt64, math.MaxInt64, lo, hi, 0, -1, 1, 1e9 - 1, nsPerDay - 1, nsPerDay, -nsPerDay,
		time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC).UnixNano(),
		time.Date(1900, 2, 28, 12, 0, 0, 0, time.UTC).UnixNano(),
		time.Date(2100, 3, 1, 0, 0, 0, 1000, time.UTC).UnixNano(),
		time.Date(2024, 12, 31, 23, 59, 59, 123456789, time.UTC).UnixNano(),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		times = append(times, lo+int64(r.Uint64N(uint64(hi)-uint64(lo))))
	}
	for _, ns := range times {
		tt := fsm.Time(ns).Time()
		if got, want := string(appendStamp(nil, fsm.Time(ns))), tt.Format("2006-01-02T15:04:05.000000000Z07:00"); got != want {
			t.Fatalf("appendStamp(%d) = %s, want %s", ns, got, want)
		}
		if got, want := string(appendClockMicros(nil, fsm.Time(ns))), tt.Format("15:04:05.000000"); got != want {
			t.Fatalf("appendClockMicros(%d) = %s, want %s", ns, got, want)
		}
	}
}

func BenchmarkStamp(b *testing.B) {
	buf := make([]byte, 0, 64)
	t := fsm.TimeOf(time.Date(2026, 12, 7, 18, 0, 0, 123456789, time.UTC))
	b.Run("arithmetic", func(b *testing.B) {
		for i := range b.N {
			buf = appendStamp(buf[:0], t+fsm.Time(i))
		}
	})
	b.Run("layout", func(b *testing.B) {
		for i := range b.N {
			buf = (t + fsm.Time(i)).Time().AppendFormat(buf[:0], "2006-01-02T15:04:05.000000000Z07:00")
		}
	})
}

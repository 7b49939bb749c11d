package report

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
	"unicode/utf8"

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

// TestAppendStringRuns: appendString, which appends runs of plain octets at
// once, writes what escaping octet by octet writes: quotes, backslashes,
// control characters and DEL escaped, valid UTF-8 as it is, each invalid
// octet as U+FFFD.
func TestAppendStringRuns(t *testing.T) {
	const hex = "0123456789abcdef"
	oneByOne := func(s string) string {
		b := []byte{'"'}
		for i := 0; i < len(s); {
			c := s[i]
			if c < utf8.RuneSelf {
				switch {
				case c == '"' || c == '\\':
					b = append(b, '\\', c)
				case c < 0x20 || c == 0x7f:
					b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				default:
					b = append(b, c)
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
		return string(append(b, '"'))
	}
	cases := []string{"", "plain", `a"b\c`, "tab\there\n", "\x00\x1f\x7f", "é ü 中", "\xff\xfe", "a\xe2\x82", "\xe2\x82\xac€\"", "end\\"}
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab\"\\\x00\x1f\x7f\x80\xc3\xa9\xe2\x82\xac\xff ")
	for range 20000 {
		s := make([]byte, r.IntN(12))
		for i := range s {
			s[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(s))
	}
	for _, s := range cases {
		if got, want := string(appendString(nil, s)), oneByOne(s); got != want {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

package report

import "tcpflow-fsm/fsm"

// Times are written for every event of the JSON output and every row of the
// summary, so they are written here by arithmetic instead of through
// time.Time's layouts, which parse the layout string at each call. An
// fsm.Time lies between the years 1677 and 2262, so a year always has
// four digits.

// appendStamp appends t in UTC as RFC 3339 with nanoseconds: 2006-01-02T15:04:05.000000000Z, the
// form of every time in the JSON output.
func appendStamp(b []byte, t fsm.Time) []byte {
	days, nsOfDay := floorDiv(int64(t), nsPerDay)
	y, m, d := civil(days)
	b = appendDigits(b, y, 4)
	b = append(b, '-')
	b = appendDigits(b, m, 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendTimeOfDay(b, nsOfDay)
	b = append(b, '.')
	b = appendDigits(b, nsOfDay%1e9, 9)
	return append(b, 'Z')
}

// appendClockMicros appends the time of day of t in UTC to the
// microsecond: 15:04:05.000000.
func appendClockMicros(b []byte, t fsm.Time) []byte {
	_, nsOfDay := floorDiv(int64(t), nsPerDay)
	b = appendTimeOfDay(b, nsOfDay)
	b = append(b, '.')
	return appendDigits(b, nsOfDay%1e9/1e3, 6)
}

const nsPerDay = 86400 * 1e9

// appendTimeOfDay appends 15:04:05 of the nanoseconds into a day.
func appendTimeOfDay(b []byte, ns int64) []byte {
	s := ns / 1e9
	b = appendDigits(b, s/3600, 2)
	b = append(b, ':')
	b = appendDigits(b, s/60%60, 2)
	b = append(b, ':')
	return appendDigits(b, s%60, 2)
}

// floorDiv divides rounding toward minus infinity, so that a time before
// 1970 falls in the day it is in.
func floorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}

// civil returns the proleptic Gregorian date of days since 1970-01-01,
// counting in 400-year eras that start on March 1 so that the leap day
// ends a year.
func civil(days int64) (y, m, d int64) {
	days += 719468 // days from 0000-03-01 to 1970-01-01
	era, doe := floorDiv(days, 146097)
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of the era, 0-399
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // day of the year from March 1
	mp := (5*doy + 2) / 153                                // month from March, 0-11
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// appendDigits appends v, which is not negative, in exactly n decimal
// digits (at most 9), two at a time.
func appendDigits(b []byte, v int64, n int) []byte {
	var buf [10]byte
	i := len(buf)
	u := uint32(v)
	for i > len(buf)-n {
		q := u / 100
		r := (u - q*100) * 2
		buf[i-1], buf[i-2] = pairs[r+1], pairs[r]
		i -= 2
		u = q
	}
	return append(b, buf[len(buf)-n:]...)
}

// pairs holds "00" to "99".
const pairs = "0001020304050607080910111213141516171819" +
	"2021222324252627282930313233343536373839" +
	"4041424344454647484950515253545556575859" +
	"6061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

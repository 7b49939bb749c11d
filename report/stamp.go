package report

import "tcpflow-fsm/fsm"

// Times are written for every event of the JSON output and every row of the
// summary, so they are written here by arithmetic instead of through
// time.Time's layouts, which parse the layout string at each call. An
// fsm.Time lies between the years 1677 and 2262, so a year always has
// four digits.

// appendStamp appends t in UTC as RFC 3339 with nanoseconds:
// 2006-01-02T15:04:05.000000000Z, the form of every time in the JSON
// output.
func appendStamp(b []byte, t fsm.Time) []byte {
	days, ns := floorDiv(int64(t), nsPerDay)
	y, m, d := civil(days)
	var s [30]byte
	put2(s[0:], y/100)
	put2(s[2:], y%100)
	s[4] = '-'
	put2(s[5:], m)
	s[7] = '-'
	put2(s[8:], d)
	s[10] = 'T'
	putTimeOfDay(s[11:], ns)
	s[19] = '.'
	putNanos(s[20:], ns%1e9)
	s[29] = 'Z'
	return append(b, s[:]...)
}

// appendClockMicros appends the time of day of t in UTC to the
// microsecond: 15:04:05.000000.
func appendClockMicros(b []byte, t fsm.Time) []byte {
	_, ns := floorDiv(int64(t), nsPerDay)
	var s [15]byte
	putTimeOfDay(s[:], ns)
	s[8] = '.'
	us := ns % 1e9 / 1e3
	put2(s[9:], us/1e4)
	put2(s[11:], us/100%100)
	put2(s[13:], us%100)
	return append(b, s[:]...)
}

const nsPerDay = 86400 * 1e9

// putTimeOfDay writes 15:04:05 of the nanoseconds ns into a day at the
// start of s.
func putTimeOfDay(s []byte, ns int64) {
	sec := ns / 1e9
	put2(s[0:], sec/3600)
	s[2] = ':'
	put2(s[3:], sec/60%60)
	s[5] = ':'
	put2(s[6:], sec%60)
}

// putNanos writes the nanoseconds n (below a second) in nine digits at
// the start of s.
func putNanos(s []byte, n int64) {
	s[0] = byte('0' + n/1e8)
	n %= 1e8
	put2(s[1:], n/1e6)
	put2(s[3:], n/1e4%100)
	put2(s[5:], n/100%100)
	put2(s[7:], n%100)
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

// put2 writes v, from 0 to 99, in two digits at the start of s.
func put2(s []byte, v int64) {
	s[0], s[1] = pairs[2*v], pairs[2*v+1]
}

// pairs holds "00" to "99".
const pairs = "0001020304050607080910111213141516171819" +
	"2021222324252627282930313233343536373839" +
	"4041424344454647484950515253545556575859" +
	"6061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

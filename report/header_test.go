package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/fsm"
)

// The header names the date in the zone the times are shown in, and the
// zone: its abbreviation and offset, or the offset alone.
func TestHeader(t *testing.T) {
	at := time.Unix(1700000000, 0) // 2023-11-14 22:13:20 UTC
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "capture from 2023-11-14, times in UTC\n"},
		{time.FixedZone("GMT", 0), "capture from 2023-11-14, times in UTC\n"},
		{time.FixedZone("CET", 3600), "capture from 2023-11-14, times in CET (UTC+01:00)\n"},
		{time.FixedZone("EET", 2*3600), "capture from 2023-11-15, times in EET (UTC+02:00)\n"},
		{time.FixedZone("-03", -3*3600), "capture from 2023-11-14, times in UTC-03:00\n"},
		{time.FixedZone("", 5*3600+1800), "capture from 2023-11-15, times in UTC+05:30\n"},
	} {
		if got := string(appendHeader(nil, at.In(tc.loc))); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.loc, got, tc.want)
		}
	}
}

// The text renderers write the header once, first: the offline text in
// UTC followed by a blank line, the live stream in its zone. Without a
// connection there is no time to place, and no header.
func TestTextHeader(t *testing.T) {
	var out bytes.Buffer
	for _, timelines := range []bool{true, false} {
		out.Reset()
		txt := NewText(&out, timelines)
		lossy(txt, timelines)
		lossy(txt, timelines) // a second connection, the same day
		txt.Close(&Totals{})
		if s := out.String(); !strings.HasPrefix(s, "capture from 2023-11-14, times in UTC\n\n") || strings.Count(s, "capture from") != 1 {
			t.Errorf("timelines %v: header not first, or not once:\n%s", timelines, s)
		}
	}
	out.Reset()
	st := NewStream(&out, time.FixedZone("EET", 2*3600))
	lossy(st, false)
	st.Counts(&StateCounts{Time: fsm.TimeOf(time.Unix(1700000001, 0))})
	st.Close(&Totals{})
	if s := out.String(); !strings.HasPrefix(s, "capture from 2023-11-15, times in EET (UTC+02:00)\n00:13:20.000000 conn 1 ") ||
		strings.Count(s, "capture from") != 1 {
		t.Errorf("stream: header not first, or not once:\n%s", s)
	}
	for _, r := range []interface{ Close(*Totals) error }{NewText(&out, true), NewText(&out, false), NewStream(&out, time.UTC)} {
		out.Reset()
		r.Close(&Totals{})
		if !strings.HasPrefix(out.String(), "capture: 0 packets read") {
			t.Errorf("%T without connections: %q", r, out.String())
		}
	}
}

// A live stream left running past midnight says the new date before the
// first line of the new day, once.
func TestStreamDateChange(t *testing.T) {
	var out bytes.Buffer
	st := NewStream(&out, time.UTC)
	at := fsm.TimeOf(time.Unix(1700006399, 0)) // 2023-11-14 23:59:59 UTC
	for _, d := range []time.Duration{0, time.Second / 2, time.Second, 2 * time.Second} {
		st.Counts(&StateCounts{Time: at.Add(d)})
	}
	st.Close(&Totals{})
	want := "capture from 2023-11-14, times in UTC\n" +
		"23:59:59.000000 states:"
	if s := out.String(); !strings.HasPrefix(s, want) || strings.Count(s, "date now 2023-11-15, times in UTC\n00:00:00.000000 states:") != 1 ||
		strings.Count(s, "date now") != 1 {
		t.Errorf("no date line, or not once, at midnight:\n%s", s)
	}
}

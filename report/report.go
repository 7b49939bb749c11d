// Package report renders the event stream of package flow: timelines,
// summary lines and capture counters as text, and the same as NDJSON.
// Renderers read events and connection counters; they never recompute
// state.
package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// Totals are the capture-wide counters printed last.
type Totals struct {
	Packets     uint64 // packets read from the capture
	TCP         uint64 // TCP segments decoded
	Filtered    uint64 // packets the BPF filter rejected
	Connections int
	// Counters are the decoder's non-zero counters: what was not TCP, and
	// what could not be decoded, by reason.
	Counters []Counter
	// ReadError is set when the capture could not be read to its end.
	ReadError string
	// Evicted counts connections released by the idle timeout.
	Evicted int
	// Early counts connections reported ahead of an earlier one still
	// open, so that no more than --max-conns wait to be reported in order.
	Early int
	// Duplicates counts copies of packets already seen (the same packet
	// captured on two interfaces), dropped before the state machine.
	Duplicates int
	// Live holds libpcap's counters of a live capture.
	Live *LiveCounters
}

// LiveCounters are libpcap's counters, as tcpdump prints them, and ours.
type LiveCounters struct {
	Captured, ReceivedByFilter, DroppedByKernel, DroppedByIface uint64
	// DroppedByTool counts packets read from libpcap that the queue to the
	// analysis had no room for: the analysis or the output fell behind.
	DroppedByTool uint64
}

// WriteLiveCounters writes the counters the way tcpdump does at exit: one
// per line, the interface drops only when there were some; then ours.
func WriteLiveCounters(w io.Writer, c *LiveCounters) {
	fmt.Fprintf(w, "%d packets captured\n", c.Captured)
	fmt.Fprintf(w, "%d packets received by filter\n", c.ReceivedByFilter)
	fmt.Fprintf(w, "%d packets dropped by kernel\n", c.DroppedByKernel)
	if c.DroppedByIface > 0 {
		fmt.Fprintf(w, "%d packets dropped by interface\n", c.DroppedByIface)
	}
	fmt.Fprintf(w, "%d packets dropped by tcpflow-fsm (queue full)\n", c.DroppedByTool)
}

// Counter is one named counter.
type Counter struct {
	Group string // "not_tcp", "dropped", "note", "unsupported_link_type"
	Name  string
	Count uint64
}

// Undecoded returns the sum of the dropped counters: the packets the
// decoder could not make a segment of. The "unsupported_link_type" group
// is not added: it breaks down by link type the packets already counted
// as dropped/unsupported_link_type.
func (t *Totals) Undecoded() uint64 {
	var n uint64
	for _, c := range t.Counters {
		if c.Group == "dropped" {
			n += c.Count
		}
	}
	return n
}

// appendHeader appends the first line of the text renderers' output: the
// date of t, the first time the output shows, and the zone its times of day
// are in: "capture from 2023-11-14, times in UTC", or with the offset
// "..., times in CET (UTC+01:00)". The date lets a time of day be placed,
// and says which day the relative times start on.
func appendHeader(b []byte, t time.Time) []byte { return appendDate(b, "capture from ", t) }

// appendDate appends a line of prefix, t's date and its zone.
func appendDate(b []byte, prefix string, t time.Time) []byte {
	b = append(b, prefix...)
	b = t.AppendFormat(b, "2006-01-02")
	b = append(b, ", times in "...)
	name, offset := t.Zone()
	switch {
	case offset == 0 && (name == "UTC" || name == "GMT" || name == ""):
		b = append(b, "UTC"...)
	case name == "" || name[0] == '+' || name[0] == '-':
		// A zone without an abbreviation ("+03"): the offset says it all.
		b = append(b, "UTC"...)
		b = t.AppendFormat(b, "-07:00")
	default:
		b = append(b, name...)
		b = append(b, " (UTC"...)
		b = t.AppendFormat(b, "-07:00")
		b = append(b, ')')
	}
	return append(b, '\n')
}

// roles maps a connection's sides to client and server.
type roles struct {
	client, server fsm.Side
	guessed        bool
}

func rolesOf(c *flow.Conn) roles {
	cl, guessed := c.Client()
	return roles{client: cl, server: cl.Other(), guessed: guessed}
}

func (r roles) name(s fsm.Side) string {
	if s == r.client {
		return "client"
	}
	return "server"
}

// initialStates returns each side's state before the first segment, from
// events in timeline order: the From of its first transition (a listener
// shows as LISTEN), else CLOSED.
func initialStates(evs []flow.Event) [2]fsm.State {
	var st [2]fsm.State
	for s := fsm.A; s <= fsm.B; s++ {
		st[s] = fsm.Closed
		for _, e := range evs {
			if e.Kind == fsm.Transition && e.Side == s {
				st[s] = e.From
				break
			}
		}
	}
	return st
}

// ordered returns the connection's events in timeline order: by the
// segment they follow, then in the order they were made.
func ordered(c *flow.Conn) []flow.Event {
	byAt := func(a, b flow.Event) int { return a.At - b.At }
	if slices.IsSortedFunc(c.Events(), byAt) {
		return c.Events() // the common case: nothing held and delivered late
	}
	evs := slices.Clone(c.Events())
	slices.SortStableFunc(evs, byAt)
	return evs
}

// segCounts lists a connection's non-zero segment-event counts in their
// short form, in SegEvent order: "retrans 3, dup acks 5, zero win 1"; ""
// when there are none.
func segCounts(c *flow.Conn) string { return string(appendSegCounts(nil, c, "")) }

// appendSegCounts appends segCounts' list, lead before it when it is not
// empty.
func appendSegCounts(b []byte, c *flow.Conn, lead string) []byte {
	sep := lead
	for e := flow.SegEvent(1); e < flow.NumSegEvents; e++ {
		if n := c.SegCount(e); n > 0 {
			b = append(b, sep...)
			b = append(b, e.Info().Short...)
			b = append(b, ' ')
			b = strconv.AppendUint(b, uint64(n), 10)
			sep = ", "
		}
	}
	return b
}

// segLabel names one segment event for a person: "retransmission",
// "dup ack #2".
func segLabel(e flow.SegEvent, dupAck uint32) string {
	if e == flow.DuplicateAck {
		return fmt.Sprintf("%s #%d", e.Info().Label, dupAck)
	}
	return e.Info().Label
}

// base is the number sequence numbers of side s are shown relative to:
// its ISS when known, else the first sequence number it sent.
func base(c *flow.Conn, s fsm.Side) fsm.Seq {
	e := c.FSM.Endpoint(s)
	if e.HasISS {
		return e.ISS
	}
	return e.Base
}

// stamp formats a time as RFC 3339 in UTC with nanoseconds.
func stamp(t fsm.Time) string { return string(appendStamp(nil, t)) }

// printable returns s as a terminal may show it: control characters
// (newline, tab, escape, C1), Unicode format characters (bidirectional
// overrides), other non-printing runes and bytes that are not UTF-8 are
// escaped as in a Go string literal ("\x1b", "\u202e", "\xff"). Counter
// names and read errors can carry bytes read from a capture file.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, '\\', 'x', hex[s[i]>>4], hex[s[i]&0xf])
		case strconv.IsPrint(r):
			b = append(b, s[i:i+n]...)
		default:
			q := strconv.QuoteRuneToASCII(r) // '\t', '\x1b', '\u202e'
			b = append(b, q[1:len(q)-1]...)
		}
		i += n
	}
	return string(b)
}

package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/flow/findings"
	"tcpflow-fsm/fsm"
)

// Stream writes, as it happens, one line per state transition and
// violation, like bcc's tcpstates: wall-clock time, connection, endpoint,
// old and new state, time spent in the old state, the segment that caused
// it. When a connection ends it writes its summary line. Its first line
// is a header with the date and the zone of the times of day. This is the live
// renderer: lines gather in a buffer until Flush, which the live capture
// calls once it has analysed the packets it was handed (a line waits for
// no later packet), so that a flood costs a write per batch of packets,
// not one per line.
type Stream struct {
	// Explain adds to each transition and violation a sentence on why.
	Explain bool
	// Color paints states and violations for a terminal.
	Color bool
	// Problems prints only what is not normal: violations, alerts,
	// resets, notable segment events, and the summary lines of
	// connections that show a problem (see problem). The rest is counted.
	Problems bool

	w        *bufio.Writer
	loc      *time.Location
	buf      []byte // the line being made
	headed   bool   // the header is written
	day      int    // the date of the last line's time, as year*1000+day of year
	findings *findings.Collector
	final    StateCounts
	// hiddenTransitions and hiddenConns count the transitions and the
	// summary lines Problems left out.
	hiddenTransitions, hiddenConns int
	// end is when the capture stopped, once SetEnd said (ended); latest
	// the latest time seen (fsm.MinTime before any): what a connection's
	// quiet time at exit is counted to.
	end, latest fsm.Time
	ended       bool
	// addrWidth is the width of the widest address printed so far: the
	// address column.
	addrWidth int
}

// SetEnd says when the capture stopped, for the quiet time of the
// connections still tracked; without it, the latest packet's time.
func (s *Stream) SetEnd(t fsm.Time) {
	s.end, s.ended = t, true
	s.findings.SetEnd(t)
}

// NewStream returns a streaming text renderer printing times in loc.
func NewStream(w io.Writer, loc *time.Location) *Stream {
	return &Stream{w: bufio.NewWriterSize(w, 64<<10), loc: loc, findings: findings.New(), latest: fsm.MinTime}
}

// SetThresholds sets the counts from which findings fire.
func (s *Stream) SetThresholds(th findings.Thresholds) { s.findings.Thresholds = th }

// Flush writes out the lines made so far.
func (s *Stream) Flush() error { return s.w.Flush() }

// clockLayout is how the stream shows wall-clock times.
const clockLayout = "15:04:05.000000"

// local is t in the zone the stream prints times in.
func (s *Stream) local(t fsm.Time) time.Time { return t.Time().In(s.loc) }

// header writes the header before the first line, whose time is t (in
// the stream's zone), and a line with the new date before the first line
// of another day (a live capture left running past midnight).
func (s *Stream) header(t time.Time) {
	day := t.Year()*1000 + t.YearDay()
	switch {
	case !s.headed:
		s.headed = true
		s.w.Write(appendHeader(nil, t))
	case day != s.day:
		s.w.Write(appendDate(nil, "date now ", t))
	}
	s.day = day
}

// line starts a line with the wall-clock time and the connection.
func (s *Stream) line(at fsm.Time, c *flow.Conn) []byte {
	t := s.local(at)
	s.header(t)
	b := t.AppendFormat(s.buf[:0], clockLayout)
	b = append(b, " conn "...)
	return strconv.AppendInt(b, int64(c.ID), 10)
}

// Segment writes a notable segment event (see notable): with --problems,
// the first of its kind on a connection and every tenfold after.
func (s *Stream) Segment(c *flow.Conn, e *flow.SegmentEvent) {
	if e.Time.After(s.latest) {
		s.latest = e.Time
	}
	n := c.SegCount(e.SegEvent)
	if !notable[e.SegEvent] || s.Problems && !tenfold(n) {
		return
	}
	b := s.endpoint(e.Time, c, e.Side)
	b = append(b, "~ "...)
	b = append(b, segLabel(e.SegEvent, e.Count)...)
	if s.Problems && n > 1 {
		b = append(b, " #"...)
		b = strconv.AppendUint(b, uint64(n), 10)
	}
	b = appendBrief(b, c, c.Cur, false)
	s.buf = append(b, '\n')
	s.w.Write(s.buf)
}

// endpoint starts a line with the time, the connection and the endpoint:
// its role and address, in columns as wide as the widest address so far
// (IPv4 ones are at most 21).
func (s *Stream) endpoint(t fsm.Time, c *flow.Conn, side fsm.Side) []byte {
	b := s.line(t, c)
	var addr [64]byte
	a := c.Addr(side).AppendTo(addr[:0])
	s.addrWidth = max(s.addrWidth, len(a))
	b = append(b, ' ')
	b = append(b, rolesOf(c).name(side)...)
	b = append(b, ' ')
	b = padRight(b, a, s.addrWidth)
	return append(b, ' ')
}

// Event writes one transition, violation or note.
func (s *Stream) Event(c *flow.Conn, e *flow.Event) {
	if e.Time.After(s.latest) {
		s.latest = e.Time
	}
	if e.Kind == fsm.Transition && e.Cause.RST() {
		// What the RST settles is alerted on now, not when the
		// connection is released seconds later.
		defer func() {
			s.findings.Early(c)
			for _, f := range s.findings.Fired() {
				s.alert(e.Time, &f)
			}
		}()
	}
	if s.Problems && e.Kind == fsm.Note {
		return
	}
	if s.Problems && e.Kind == fsm.Transition && !e.Cause.RST() {
		s.hiddenTransitions++
		return
	}
	b := s.endpoint(e.Time, c, e.Side)
	paint := painter(s.Color)
	switch {
	case e.Kind == fsm.Transition:
		// The cause names the segment; its numbers are in the ladder
		// and the timeline.
		b = append(b, paint.state(e.From)...)
		b = append(b, " -> "...)
		b = append(b, paint.state(e.To)...)
		b = append(b, "  "...)
		if e.InState >= 0 {
			b = appendDur(b, e.InState)
		} else {
			b = append(b, '-')
		}
		cause := e.Cause.String()
		if e.Inferred {
			cause += " (inferred)" // as the timeline marks it
		}
		if columns(b)+2+len(cause) > streamWidth {
			// A long cause under the line.
			b = append(b, '\n')
			b = append(b, underIndent...)
		} else {
			b = append(b, "  "...)
		}
		b = append(b, cause...)
		b = append(b, '\n')
	default:
		// The code and the segment on the line; the rule and what it
		// says under it.
		info := e.Code.Info()
		rule := info.RFC + ": " + info.Summary
		if e.Kind == fsm.Note {
			b = append(b, "- note "...)
			b = append(b, info.Name...)
			rule = "note, " + rule
		} else {
			b = append(b, "! "...)
			b = append(b, paint.severity(info.Severity, info.Name)...)
			rule = info.Severity.String() + ", " + rule
		}
		if e.Detail != fsm.NoDetail {
			rule += " (" + e.Detail.String() + ")"
		}
		// The segment that caused it, when that is the connection's
		// latest one (a receipt held for the receiver's answer is
		// reported later than its segment).
		if e.Seg != 0 && e.Seg == c.FSM.Segments() && c.Cur != nil {
			b = appendBrief(b, c, c.Cur, true)
		}
		b = append(b, '\n')
		b = appendIndented(b, underIndent, rule)
	}
	if s.Explain {
		b = appendIndented(b, underIndent, "why: "+Explanation(e))
	}
	s.buf = b
	s.w.Write(b)
}

// streamWidth is the width the stream keeps its lines to: with IPv4
// addresses, every line fits; an IPv6 address may push one past it.
const streamWidth = 100

// appendIndented appends text wrapped at streamWidth, each line after
// indent.
func appendIndented(b []byte, indent, text string) []byte {
	for _, line := range wrap(text, streamWidth-len(indent)) {
		b = append(b, indent...)
		b = append(b, line...)
		b = append(b, '\n')
	}
	return b
}

// columns returns how many columns the line in b takes on a terminal:
// its characters, less the colour escapes.
func columns(b []byte) int {
	n := 0
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == 0x1b:
			for i < len(b) && b[i] != 'm' {
				i++
			}
		case b[i]&0xc0 != 0x80: // not a UTF-8 continuation byte
			n++
		}
	}
	return n
}

// appendDur appends a time in a state in at most 7 columns: "0.037ms",
// "100.5ms", "1028ms", "12.3s", "3600s".
func appendDur(b []byte, d time.Duration) []byte {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return append(strconv.AppendFloat(b, ms, 'f', 3, 64), "ms"...)
	case ms < 1000:
		return append(strconv.AppendFloat(b, ms, 'f', 1, 64), "ms"...)
	case ms < 10000:
		return append(strconv.AppendFloat(b, ms, 'f', 0, 64), "ms"...)
	case ms < 1000000:
		return append(strconv.AppendFloat(b, ms/1000, 'f', 1, 64), 's')
	}
	return append(strconv.AppendFloat(b, ms/1000, 'f', 0, 64), 's')
}

// underIndent starts the lines under an event's: its rule, why.
const underIndent = "                 "

// notable are the segment events the live text stream prints: signs of
// loss, of a stalled receiver and of a reused 4-tuple. Duplicate ACKs,
// window updates and keep-alives are routine and many; the counts in the
// summary line and the JSON stream have them all.
var notable = [flow.NumSegEvents]bool{
	flow.Retransmission:         true,
	flow.FastRetransmission:     true,
	flow.SpuriousRetransmission: true,
	flow.LostSegment:            true,
	flow.AckLostSegment:         true,
	flow.ZeroWindow:             true,
	flow.ReusedPorts:            true,
}

// appendBrief appends a segment as the stream shows it: " [P.] seq 1 ack
// 1 len 6", the ack only when withAck is set, the length only when not 0.
func appendBrief(b []byte, c *flow.Conn, p *flow.Packet, withAck bool) []byte {
	b = append(b, " ["...)
	b = append(b, p.Flags.Letters()...)
	b = append(b, "] seq "...)
	b = strconv.AppendUint(b, uint64(p.Seq.Sub(base(c, p.From))), 10)
	if withAck && p.Flags&fsm.ACK != 0 {
		b = append(b, " ack "...)
		b = strconv.AppendUint(b, uint64(p.Ack.Sub(base(c, p.From.Other()))), 10)
	}
	if p.Len != 0 {
		b = append(b, " len "...)
		b = strconv.AppendInt(b, int64(p.Len), 10)
	}
	return b
}

// Done writes the connection's summary line as it ends.
func (s *Stream) Done(c *flow.Conn) {
	if c.Last().After(s.latest) {
		s.latest = c.Last()
	}
	s.final.Count(c)
	s.findings.Observe(c)
	if s.Problems && !problem(c) {
		s.hiddenConns++
	} else {
		s.summary(c)
	}
	if c.End == flow.EndCapture {
		return // the capture's end: the findings section follows
	}
	for _, f := range s.findings.Fired() {
		s.alert(c.Last(), &f)
	}
}

// Watch alerts, at time now, on what the connections still tracked show
// as it lasts (see findings.Collector.Watch).
func (s *Stream) Watch(now fsm.Time, each func(func(*flow.Conn))) {
	s.findings.Watch(now, each)
	for _, f := range s.findings.Fired() {
		s.alert(now, &f)
	}
}

// tenfold reports whether n is 1, 10, 100, ...
func tenfold(n uint32) bool {
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1
}

// problem reports whether a connection shows something not normal: a
// violation, a refused or unanswered connect, a reset, a notable segment
// event (retransmissions, loss, a zero window, a reused 4-tuple), or an
// endpoint left in a state it should pass through (SYN-SENT,
// SYN-RECEIVED, CLOSE-WAIT, FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK).
func problem(c *flow.Conn) bool {
	if c.Violations > 0 || c.Aborted || c.Refused[fsm.A] || c.Refused[fsm.B] {
		return true
	}
	for e := flow.SegEvent(1); e < flow.NumSegEvents; e++ {
		if notable[e] && c.SegCount(e) > 0 {
			return true
		}
	}
	for s := fsm.A; s <= fsm.B; s++ {
		switch c.FSM.Endpoint(s).State {
		case fsm.Closed, fsm.Listen, fsm.Established, fsm.TimeWait:
		default:
			return true
		}
	}
	return false
}

// summary writes the connection's summary: a line with when it ended (or
// the capture stopped) and its endpoints, then how each ended and for how
// long it had been in that state, and its counts.
func (s *Stream) summary(c *flow.Conn) {
	r := rolesOf(c)
	at := c.Released()
	if c.End == flow.EndCapture {
		at = s.latest
		if s.ended {
			at = s.end
		}
	}
	b := s.line(at, c)
	if c.End == flow.EndCapture {
		b = append(b, " at exit"...)
		if quiet := at.Sub(c.Last()); quiet >= time.Second {
			b = append(b, ", quiet for "...)
			b = strconv.AppendFloat(b, quiet.Seconds(), 'f', 0, 64)
			b = append(b, " s"...)
		}
	} else {
		b = append(b, " ended ("...)
		b = append(b, c.End.String()...)
		b = append(b, ')')
	}
	b = append(b, ": "...)
	b = c.Addr(r.client).AppendTo(b)
	b = append(b, " > "...)
	b = c.Addr(r.server).AppendTo(b)
	b = append(b, zoneSuffix(c)...)
	b = append(b, '\n')
	b = appendIndented(b, "    ", string(appendEnds(nil, c, r, at)))
	s.buf = appendList(b, "    ", counts(c, r))
	s.w.Write(s.buf)
}

// alert writes a finding as it fires, or grows tenfold: its name and
// severity (painted), how many connections show it, the latest of them
// (on a line of its own when the line would pass streamWidth), and what
// to check.
func (s *Stream) alert(at fsm.Time, f *findings.Finding) {
	t := s.local(at)
	s.header(t)
	b := t.AppendFormat(s.buf[:0], clockLayout)
	head := "ALERT " + f.Code + " (" + f.Severity + ")"
	b = append(b, ' ')
	b = append(b, painter(s.Color).finding(f.Severity, head)...)
	count := fmt.Sprintf(": %d connection", len(f.Conns))
	latest := ", conn "
	if len(f.Conns) > 1 {
		count += "s"
		latest = ", the latest conn "
	}
	latest += strconv.Itoa(f.Latest.ID) + " " + f.Latest.Client.String() + " > " + f.Latest.Server.String()
	b = append(b, count...)
	if len(clockLayout)+1+len(head)+len(count)+len(latest) > streamWidth {
		b = append(b, "\n    "...)
		latest = latest[2:]
	}
	b = append(b, latest...)
	b = append(b, '\n')
	s.buf = appendCheck(b, "    ", f.Check)
	s.w.Write(s.buf)
}

// appendEnds appends how each endpoint of c ended: "client TIME-WAIT for
// 0.5s, server CLOSED", how long it has been in its state counted to at,
// "over" that when it was in it before the capture saw it.
func appendEnds(b []byte, c *flow.Conn, r roles, at fsm.Time) []byte {
	for i, side := range [2]fsm.Side{r.client, r.server} {
		if i > 0 {
			b = append(b, ", "...)
		}
		e := c.FSM.Endpoint(side)
		b = append(b, r.name(side)...)
		b = append(b, ' ')
		b = append(b, e.State.String()...)
		if since, seen, ok := e.Since(); ok && e.State != fsm.Closed && !at.Before(since) {
			b = append(b, " for "...)
			if !seen {
				b = append(b, "over "...)
			}
			b = appendDur(b, at.Sub(since))
		}
	}
	return b
}

// counts returns a connection's counts: "client 6 pkts 6 B", "server 5
// pkts 6 B", "0.201025s first to last", "violations 0", then its segment
// events, duplicates and whether the roles are guessed, when any.
func counts(c *flow.Conn, r roles) []string {
	var items []string
	for _, side := range [2]fsm.Side{r.client, r.server} {
		items = append(items, fmt.Sprintf("%s %d pkts %d B", r.name(side), c.Packets[side], c.Bytes[side]))
	}
	items = append(items, string(appendRel(nil, c.Last().Sub(c.First())))+"s first to last",
		fmt.Sprintf("violations %d", c.Violations))
	for e := flow.SegEvent(1); e < flow.NumSegEvents; e++ {
		if n := c.SegCount(e); n > 0 {
			items = append(items, fmt.Sprintf("%s %d", e.Info().Short, n))
		}
	}
	if c.Duplicates > 0 {
		items = append(items, fmt.Sprintf("duplicates %d", c.Duplicates))
	}
	if r.guessed {
		items = append(items, "roles guessed")
	}
	return items
}

// appendList appends items joined by ", ", each line after indent and at
// most streamWidth wide, breaking between items.
func appendList(b []byte, indent string, items []string) []byte {
	b = append(b, indent...)
	width := len(indent)
	for i, item := range items {
		switch {
		case i == 0:
		case width+2+len(item)+1 > streamWidth: // ", item," must fit
			b = append(b, ",\n"...)
			b = append(b, indent...)
			width = len(indent)
		default:
			b = append(b, ", "...)
			width += 2
		}
		b = append(b, item...)
		width += len(item)
	}
	return append(b, '\n')
}

// Counts writes the periodic state counts: each role's states, then
// what happened in the interval, under one another after the time.
func (s *Stream) Counts(sc *StateCounts) {
	t := s.local(sc.Time)
	s.header(t)
	head := t.Format(clockLayout) + " states: "
	indent := strings.Repeat(" ", len(head))
	b := appendIndented(nil, indent, "client "+sc.Client.String())
	copy(b, head) // the first line's indent, as wide
	b = appendIndented(b, indent, "server "+sc.Server.String())
	b = appendIndented(b, indent, fmt.Sprintf("last %s: opened %d (%d mid-stream), closed %d, reset %d, refused %d",
		sc.Interval, sc.Opened, sc.Midstream, sc.Closed, sc.Reset, sc.Refused))
	s.w.Write(b)
	s.w.Flush()
}

// Close writes what offline reports end with: the final states of each
// role, the findings, and the capture counters.
func (s *Stream) Close(t *Totals) error {
	hidden := ""
	if s.Problems {
		hidden = fmt.Sprintf("  not printed (--problems): %s, the summaries of %s\n",
			plural(s.hiddenTransitions, "state transition"), plural(s.hiddenConns, "healthy connection"))
	}
	writeEnd(s.w, &s.final, s.findings, t, painter(s.Color), hidden)
	return s.w.Flush()
}

// writeEnd writes what a live text view ends with: the final states of
// each role, the findings, the capture line, then more (when not "") and
// the counters.
func writeEnd(w io.Writer, final *StateCounts, col *findings.Collector, t *Totals, p painter, more string) {
	if t.Connections > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "final states:")
		fmt.Fprintf(w, "  client  %s\n  server  %s\n\n", final.Client.String(), final.Server.String())
	}
	if fs := col.List(); len(fs) > 0 {
		fmt.Fprintln(w, "findings:")
		for _, f := range fs {
			writeFinding(w, &f, p)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "capture: %d packets read, %d TCP segments, %d not decoded; connections: %d",
		t.Packets, t.TCP, t.Undecoded(), t.Connections)
	if t.Duplicates > 0 {
		fmt.Fprintf(w, ", %d duplicates dropped", t.Duplicates)
	}
	if t.Evicted > 0 {
		fmt.Fprintf(w, ", %d released early (idle, evicted or abandoned)", t.Evicted)
	}
	fmt.Fprintln(w)
	io.WriteString(w, more)
	for _, c := range t.Counters {
		fmt.Fprintf(w, "  %-22s %-28s %d\n", printable(c.Group), printable(c.Name), c.Count)
	}
}

// StateCount counts connections per state of one role.
type StateCount [fsm.NumStates]int

// String lists the non-zero counts in state order: "ESTABLISHED 3, TIME-WAIT 1".
func (sc *StateCount) String() string {
	var parts []string
	for st, n := range sc {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", fsm.State(st), n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// StateCounts is a periodic snapshot: how many tracked connections are in
// each state, for each role, and what happened since the previous one.
type StateCounts struct {
	Time     fsm.Time
	Interval time.Duration
	Client   StateCount
	Server   StateCount
	Tally
}

// Count adds a tracked connection's endpoints to the snapshot.
func (sc *StateCounts) Count(c *flow.Conn) {
	r := rolesOf(c)
	sc.Client[c.FSM.Endpoint(r.client).State]++
	sc.Server[c.FSM.Endpoint(r.server).State]++
}

// Closed reports whether neither endpoint of c is synchronized or
// opening any more: each is CLOSED, LISTEN or in TIME-WAIT.
func Closed(c *flow.Conn) bool {
	for s := fsm.A; s <= fsm.B; s++ {
		switch c.FSM.Endpoint(s).State {
		case fsm.Closed, fsm.Listen, fsm.TimeWait:
		default:
			return false
		}
	}
	return true
}

// Tally counts what happened to connections over an interval.
type Tally struct {
	Opened int // connections first seen
	// Midstream counts the connections first seen mid-stream, without
	// their handshake: open before the capture started (or before the
	// tool last saw them).
	Midstream int
	Closed    int // connections that closed: no endpoint synchronized any more (see Closed)
	Reset     int // synchronized or half-open endpoints reset by a RST they received
	Refused   int // SYNs answered by a RST
}

// Observe counts one event.
func (t *Tally) Observe(e *flow.Event) {
	if e.Kind == fsm.Transition && e.From == fsm.Closed && e.Cause == fsm.CauseMidSend {
		t.Midstream++ // once a connection: its first sender's transition
	}
	if e.Kind != fsm.Transition || e.Cause != fsm.CauseRcvdRST {
		return
	}
	if e.From == fsm.SynSent {
		t.Refused++
	} else {
		t.Reset++
	}
}

package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// Stream writes, the moment it happens, one line per state transition and
// violation, like bcc's tcpstates: wall-clock time, connection, endpoint,
// old and new state, time spent in the old state, the segment that caused
// it. When a connection ends it writes its summary line. Every line is
// flushed: this is the live renderer.
type Stream struct {
	// Explain adds to each transition and violation a sentence on why.
	Explain bool
	// Color paints states and violations for a terminal.
	Color bool

	w   *bufio.Writer
	loc *time.Location
}

// NewStream returns a streaming text renderer printing times in loc.
func NewStream(w io.Writer, loc *time.Location) *Stream {
	return &Stream{w: bufio.NewWriter(w), loc: loc}
}

func (s *Stream) clock(t time.Time) string { return t.In(s.loc).Format("15:04:05.000000") }

// Event writes one transition or violation, or a notable segment event
// (see notable).
func (s *Stream) Event(c *flow.Conn, e *flow.Event) {
	r := rolesOf(c)
	who := r.name(e.Side)
	addr := c.Addr(e.Side)
	if e.IsSegEvent() {
		if notable[e.SegEvent] {
			p := c.Cur
			fmt.Fprintf(s.w, "%s conn %d %-6s %-21s ~ %s%s\n",
				s.clock(e.Time), c.ID, who, addr, segLabel(e.SegEvent, e.Count), describe(c, p))
			s.w.Flush()
		}
		return
	}
	switch e.Kind {
	case fsm.Transition:
		inState := "-"
		if e.InState >= 0 {
			inState = fmt.Sprintf("%.3fms", float64(e.InState)/float64(time.Millisecond))
		}
		fmt.Fprintf(s.w, "%s conn %d %-6s %-21s %s -> %s  %s  %s%s\n",
			s.clock(e.Time), c.ID, who, addr, painter(s.Color).state(e.From), painter(s.Color).state(e.To), inState, e.Cause, segment(c, e))
	case fsm.Violation:
		info := e.Code.Info()
		fmt.Fprintf(s.w, "%s conn %d %-6s %-21s ! %s [%s, %s]: %s%s%s\n",
			s.clock(e.Time), c.ID, who, addr, painter(s.Color).severity(info.Severity, info.Name), info.Severity, info.RFC, info.Summary, detail(e.Detail), segment(c, e))
	}
	if s.Explain {
		fmt.Fprintf(s.w, "%15s  why: %s\n", "", Explanation(e))
	}
	s.w.Flush()
}

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

// segment describes the segment an event was caused by, when that is the
// connection's latest one (a receipt held for the receiver's answer is
// reported later than its segment).
func segment(c *flow.Conn, e *flow.Event) string {
	if e.Seg == 0 || e.Seg != c.FSM.Segments() || c.Cur == nil {
		return ""
	}
	return describe(c, c.Cur)
}

// describe writes a segment as the stream shows it: " [P.] seq 1 ack 1 len 6".
func describe(c *flow.Conn, p *flow.Packet) string {
	b := fmt.Sprintf(" [%s] seq %d", p.Flags.Letters(), p.Seq.Sub(base(c, p.From)))
	if p.Flags&fsm.ACK != 0 {
		b += fmt.Sprintf(" ack %d", p.Ack.Sub(base(c, p.From.Other())))
	}
	return b + fmt.Sprintf(" len %d", p.Len)
}

// Done writes the connection's summary line as it ends.
func (s *Stream) Done(c *flow.Conn) {
	r := rolesOf(c)
	how := "ended (" + c.End.String() + ")"
	if c.End == flow.EndCapture {
		how = "at exit"
	}
	fmt.Fprintf(s.w, "%s conn %d %s: %s\n", s.clock(c.Last()), c.ID, how, summaryFields(c, r))
	s.w.Flush()
}

func summaryFields(c *flow.Conn, r roles) string {
	guessed := ""
	if r.guessed {
		guessed = " (roles guessed)"
	}
	dups := ""
	if c.Duplicates > 0 {
		dups = fmt.Sprintf(", duplicates %d", c.Duplicates)
	}
	events := ""
	if s := segCounts(c); s != "" {
		events = ", " + s
	}
	return fmt.Sprintf("client %s %s, server %s %s, %ss, client %d pkts %d B, server %d pkts %d B, violations %d%s%s%s",
		c.Addr(r.client), c.FSM.Endpoint(r.client).State, c.Addr(r.server), c.FSM.Endpoint(r.server).State,
		rel(c.Last().Sub(c.First())), c.Packets[r.client], c.Bytes[r.client], c.Packets[r.server], c.Bytes[r.server],
		c.Violations, events, dups, guessed)
}

// Counts writes the periodic state counts.
func (s *Stream) Counts(sc *StateCounts) {
	fmt.Fprintf(s.w, "%s states: client %s | server %s | last %s: opened %d, closed %d, reset %d, refused %d\n",
		s.clock(sc.Time), sc.Client.String(), sc.Server.String(), sc.Interval, sc.Opened, sc.Closed, sc.Reset, sc.Refused)
	s.w.Flush()
}

// Close writes the capture counters.
func (s *Stream) Close(t *Totals) error {
	fmt.Fprintf(s.w, "capture: %d packets read, %d TCP segments, %d not decoded; connections: %d",
		t.Packets, t.TCP, t.Undecoded(), t.Connections)
	if t.Duplicates > 0 {
		fmt.Fprintf(s.w, ", %d duplicates dropped", t.Duplicates)
	}
	if t.Evicted > 0 {
		fmt.Fprintf(s.w, ", %d idle connections released", t.Evicted)
	}
	fmt.Fprintln(s.w)
	for _, c := range t.Counters {
		fmt.Fprintf(s.w, "  %-22s %-28s %d\n", printable(c.Group), printable(c.Name), c.Count)
	}
	return s.w.Flush()
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
	Time     time.Time
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

// Tally counts what happened to connections over an interval.
type Tally struct {
	Opened  int // connections first seen
	Closed  int // connections that ended
	Reset   int // synchronized or half-open endpoints reset by a RST they received
	Refused int // SYNs answered by a RST
}

// Observe counts one event.
func (t *Tally) Observe(e *flow.Event) {
	if e.Kind != fsm.Transition || e.Cause != "rcvd RST" {
		return
	}
	if e.From == fsm.SynSent {
		t.Refused++
	} else {
		t.Reset++
	}
}

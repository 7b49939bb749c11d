package report

import (
	"bufio"
	"cmp"
	"io"
	"net/netip"
	"slices"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/flow/findings"
	"tcpflow-fsm/fsm"
)

// Top is the model of the --top view: it takes the live event stream as
// the other live renderers do, keeps for each server endpoint what
// happened since the last refresh, and makes a TopFrame on each Tick,
// which TopFrame.Lines draws. It writes nothing while the capture runs;
// Close writes the end of the live text view (final states, findings,
// counters), once the terminal is back to normal.
//
// Memory is bounded whatever the traffic: at most maxTopServers server
// endpoints are tracked (the connections of any more are counted in one
// row, "(other servers)"), and each keeps its latest topHandshakes
// handshake times.
type Top struct {
	// Color paints the findings' severities, on the screen and in the
	// summary.
	Color bool
	// Source names what is captured, for the header: the interface and
	// the filter.
	Source string

	w        *bufio.Writer
	findings *findings.Collector
	final    StateCounts
	servers  map[netip.AddrPort]*topServer
	other    *topServer
	// seen is the highest connection number counted as opened, at the
	// last tick; highest the highest since. Connections are numbered as
	// they open (flow.Config.Unordered), so those above seen opened
	// since the last tick.
	seen, highest int
	last          fsm.Time // the last tick, when ticked
	ticked        bool
}

// The bounds of Top's memory, and how long a server endpoint with no
// connection left and nothing happening stays listed.
const (
	maxTopServers = 4096
	topHandshakes = 512
	topForget     = time.Minute
)

// topServer is what Top keeps of one server endpoint.
type topServer struct {
	addr netip.AddrPort
	// Counted as events come, since the last tick.
	opened, retrans int
	rst             Tally // its Reset and Refused, counted as --stats counts them
	// closedDone counts the connections that had closed when they ended;
	// closedLast is, at the last tick, that count plus the closed ones
	// still tracked: a connection counts as closed once, when it closes
	// (not when it is released a TIME-WAIT and a linger later), with no
	// per-connection mark.
	closedDone, closedLast int
	// hs holds the latest handshake times in µs, a ring from next once
	// full; p50 and p99 are their percentiles as of the last tick, made
	// again only when new ones came.
	hs       []uint32
	next     int
	hsNew    bool
	p50, p99 time.Duration
	active   fsm.Time // the last tick it had connections or events; fsm.MinTime before any

	// Counted again at each tick from the table: states counts the
	// connections with an endpoint in each state.
	conns, closedIn int
	states          [fsm.NumStates]int
	finWait         int // connections with an endpoint in FIN-WAIT-1 or FIN-WAIT-2
	oldest          [numAged]time.Duration
}

// The states whose oldest connection a row shows: those a connection
// should pass through, where a leak or a half-open handshake shows as
// connections that stay.
const (
	agedSynReceived = iota
	agedCloseWait
	agedFinWait
	numAged
)

// NewTop returns the model of a --top view, whose summary goes to w.
func NewTop(w io.Writer) *Top {
	return &Top{w: bufio.NewWriterSize(w, 64<<10), findings: findings.New(),
		servers: map[netip.AddrPort]*topServer{}}
}

// SetThresholds sets the counts from which findings fire.
func (t *Top) SetThresholds(th findings.Thresholds) { t.findings.Thresholds = th }

// server returns the entry of a server endpoint, made when new, or the
// row of the other servers once maxTopServers are tracked.
func (t *Top) server(addr netip.AddrPort) *topServer {
	if s := t.servers[addr]; s != nil {
		return s
	}
	if len(t.servers) >= maxTopServers {
		if t.other == nil {
			t.other = &topServer{active: fsm.MinTime}
		}
		return t.other
	}
	s := &topServer{addr: addr, active: fsm.MinTime}
	t.servers[addr] = s
	return s
}

func (t *Top) serverOf(c *flow.Conn) *topServer { return t.server(c.Addr(rolesOf(c).server)) }

// Segment counts retransmissions.
func (t *Top) Segment(c *flow.Conn, e *flow.SegmentEvent) {
	switch e.SegEvent {
	case flow.Retransmission, flow.FastRetransmission, flow.SpuriousRetransmission:
		t.serverOf(c).retrans++
	}
}

// Event counts resets, refused connects and handshake times.
func (t *Top) Event(c *flow.Conn, e *flow.Event) {
	if e.Kind != fsm.Transition {
		return
	}
	switch {
	case e.Cause == fsm.CauseRcvdRST:
		t.serverOf(c).rst.Observe(e)
	case e.From == fsm.SynSent && e.To == fsm.Established && !e.Inferred && e.InState >= 0:
		// The client's time in SYN-SENT, from its first SYN to the
		// SYN,ACK, as the capture point saw them: what connect() waits,
		// less the path between the client and the capture point.
		t.serverOf(c).handshake(e.InState)
	}
	if e.Cause.RST() {
		t.findings.Early(c)
	}
}

// handshake adds a handshake time.
func (s *topServer) handshake(d time.Duration) {
	us := uint32(min(d.Microseconds(), 1<<32-1))
	if len(s.hs) < topHandshakes {
		s.hs = append(s.hs, us)
	} else {
		s.hs[s.next] = us
		s.next = (s.next + 1) % topHandshakes
	}
	s.hsNew = true
}

// Done takes in a connection as it ends.
func (t *Top) Done(c *flow.Conn) {
	t.final.Count(c)
	t.findings.Observe(c)
	s := t.serverOf(c)
	if Closed(c) {
		s.closedDone++
	}
	if c.ID > t.seen {
		s.opened++ // opened and ended since the last tick
	}
	t.highest = max(t.highest, c.ID)
}

// Watch looks at the connections still tracked for the findings that
// show as they last (findings.Collector.Watch): the screen lists them.
func (t *Top) Watch(now fsm.Time, each func(func(*flow.Conn))) { t.findings.Watch(now, each) }

// SetEnd says when the capture stopped (findings.Collector.SetEnd).
func (t *Top) SetEnd(end fsm.Time) { t.findings.SetEnd(end) }

// Counts does nothing: the view counts states at each Tick.
func (t *Top) Counts(*StateCounts) {}

// Flush does nothing: the view writes only at Close.
func (t *Top) Flush() error { return nil }

// Close writes what the live text view ends with: the final states, the
// findings and the capture counters.
func (t *Top) Close(tot *Totals) error {
	writeEnd(t.w, &t.final, t.findings, tot, painter(t.Color), "")
	return t.w.Flush()
}

// TopStatus is what the capture counts, for the header.
type TopStatus struct {
	Packets uint64 // read
	Dropped uint64 // read but dropped by the tool (its queue full)
}

// Tick makes the frame of the view at now: each is the flow table's Each,
// which lists the connections tracked, st the capture's counters. The
// rates are over the time since the previous Tick.
func (t *Top) Tick(now fsm.Time, each func(func(*flow.Conn)), st TopStatus) *TopFrame {
	for _, s := range t.servers {
		s.recount()
	}
	if t.other != nil {
		t.other.recount()
	}
	f := &TopFrame{Time: now, Source: t.Source, Packets: st.Packets, Dropped: st.Dropped}
	if t.ticked {
		f.Interval = now.Sub(t.last)
	}
	each(func(c *flow.Conn) {
		f.Tracked++
		r := rolesOf(c)
		s := t.server(c.Addr(r.server))
		if c.ID > t.seen {
			s.opened++
		}
		t.highest = max(t.highest, c.ID)
		s.conns++
		if Closed(c) {
			s.closedIn++
		}
		// A connection counts once in the state of each of its
		// endpoints: a leak shows in CLOSE-WAIT and, for the peer, in
		// FIN-WAIT-2, as ss on each host would show it.
		for side := fsm.A; side <= fsm.B; side++ {
			e := c.FSM.Endpoint(side)
			if side == fsm.B && e.State == c.FSM.Endpoint(fsm.A).State {
				break
			}
			s.states[e.State]++
		}
		if st := [2]fsm.State{c.FSM.Endpoint(fsm.A).State, c.FSM.Endpoint(fsm.B).State}; slices.ContainsFunc(st[:], finWait) {
			s.finWait++
		}
		for side := fsm.A; side <= fsm.B; side++ {
			e := c.FSM.Endpoint(side)
			aged := -1
			switch e.State {
			case fsm.SynReceived:
				aged = agedSynReceived
			case fsm.CloseWait:
				aged = agedCloseWait
			case fsm.FinWait1, fsm.FinWait2:
				aged = agedFinWait
			}
			if aged >= 0 {
				since, _, ok := e.Since()
				if !ok {
					since = c.Last()
				}
				s.oldest[aged] = max(s.oldest[aged], now.Sub(since))
			}
		}
	})
	t.seen = t.highest
	f.Servers = len(t.servers)
	f.Rows = make([]TopRow, 0, len(t.servers)+1)
	for addr, s := range t.servers {
		if s.busy() {
			s.active = now
		} else if now.Sub(s.active) >= topForget {
			delete(t.servers, addr)
			continue
		}
		f.Rows = append(f.Rows, s.row(addr.String()))
	}
	if t.other != nil {
		f.Rows = append(f.Rows, t.other.row("(other servers)"))
	}
	f.Findings = t.screenFindings()
	t.last, t.ticked = now, true
	return f
}

// recount clears what each tick counts again.
func (s *topServer) recount() {
	s.conns, s.closedIn, s.states, s.finWait, s.oldest = 0, 0, [fsm.NumStates]int{}, 0, [numAged]time.Duration{}
}

func finWait(s fsm.State) bool { return s == fsm.FinWait1 || s == fsm.FinWait2 }

// busy reports whether the server has connections tracked, or anything
// happened to it since the last tick.
func (s *topServer) busy() bool {
	return s.conns > 0 || s.opened+s.rst.Reset+s.rst.Refused+s.retrans > 0 || s.closedDone+s.closedIn != s.closedLast || s.hsNew
}

// row makes the server's row of the frame and starts its counts of the
// next interval.
func (s *topServer) row(name string) TopRow {
	closed := s.closedDone + s.closedIn
	r := TopRow{Server: name, Conns: s.conns, States: s.states, FinWait: s.finWait, Oldest: s.oldest,
		Opened: s.opened, Closed: max(closed-s.closedLast, 0), Reset: s.rst.Reset, Refused: s.rst.Refused, Retrans: s.retrans}
	s.closedLast = closed
	s.opened, s.rst, s.retrans = 0, Tally{}, 0
	if s.hsNew {
		sorted := slices.Clone(s.hs)
		slices.Sort(sorted)
		s.p50, s.p99 = percentile(sorted, 50), percentile(sorted, 99)
		s.hsNew = false
	}
	r.Handshakes, r.P50, r.P99 = len(s.hs), s.p50, s.p99
	return r
}

// percentile is the p-th percentile of sorted µs values by nearest rank.
func percentile(sorted []uint32, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return time.Duration(sorted[max(i, 1)-1]) * time.Microsecond
}

// screenFindings lists the findings for the screen: those that show now
// (findings.Collector.Current), and those about traffic in bulk so far; the most
// severe first, then the most frequent.
func (t *Top) screenFindings() []TopFinding {
	var out []TopFinding
	for _, f := range t.findings.Current() {
		tf := TopFinding{Severity: f.Severity, Code: f.Code, Count: f.N(), Target: f.Target}
		if tf.Target == "" && f.Latest.Server.IsValid() {
			tf.Target, tf.Latest = f.Latest.Server.String(), true
		}
		out = append(out, tf)
	}
	for _, f := range t.findings.List() {
		if f.Conns == nil { // about traffic in bulk
			out = append(out, TopFinding{Severity: f.Severity, Code: f.Code, Count: f.N(), Target: f.Target})
		}
	}
	slices.SortStableFunc(out, func(a, b TopFinding) int {
		if d := severityRank(a.Severity) - severityRank(b.Severity); d != 0 {
			return d
		}
		return cmp.Compare(b.Count, a.Count)
	})
	return out
}

// severityRank orders severities, the most urgent first.
func severityRank(s string) int {
	switch s {
	case findings.Critical:
		return 0
	case findings.Warning:
		return 1
	}
	return 2
}

package flow

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"tcpflow-fsm/fsm"
)

// wire is a segment as a test script writes it: time since t0, sender,
// flags, numbers, payload length and the Ident the decoder would give it.
// Segments carry timestamps (TSval follows the Ident) unless noTS is set.
// They were captured at tap 0 (one interface), unless tap is set, and have
// IPv4 identification 0 unless ipid is set.
type wire struct {
	at       time.Duration
	src, dst string
	flags    fsm.Flags
	seq, ack uint32
	n        int
	ident    uint64
	noTS     bool
	tap      uint32
	ipid     uint16
}

func (w wire) seg() *fsm.Segment {
	s := &fsm.Segment{
		Time: t0.Add(w.at),
		Src:  netip.MustParseAddrPort(w.src), Dst: netip.MustParseAddrPort(w.dst),
		Seq: fsm.Seq(w.seq), Ack: fsm.Seq(w.ack), Flags: w.flags, Window: 1000,
		PayloadLen: w.n, Captured: w.n, Ident: w.ident, Tap: w.tap, IPID: w.ipid,
	}
	if !w.noTS {
		s.Opts = fsm.Options{HasTimestamps: true, TSVal: uint32(w.ident), TSEcr: 1}
	}
	return s
}

// copyAt is a copy of w captured at another time, on another interface.
func (w wire) copyAt(at time.Duration) wire { w.at = at; w.tap++; return w }

// againAt is w sent again at another time, captured where w was.
func (w wire) againAt(at time.Duration) wire { w.at = at; return w }

// run feeds the segments to a new table and returns the connections it
// finished, in order.
func run(t *testing.T, ws []wire) (*Table, []*Conn) {
	t.Helper()
	var done []*Conn
	tb := NewTable(Config{Timeline: true}, sinkFunc(func(c *Conn) { done = append(done, c) }))
	for _, w := range ws {
		tb.Add(w.seg())
	}
	tb.Close()
	return tb, done
}

// ISNs near 2^32, so the script crosses the wrap.
var (
	isnC uint32 = 0xffffff9c // client: 100 octets before the wrap
	isnS uint32 = 0xfffffff0
)

// wholeConnection is a connection from SYN to the last ACK with data both
// ways, 1 ms between segments, each with an Ident of its own.
func wholeConnection() []wire {
	ms := time.Millisecond
	return []wire{
		{0, cli, srv, fsm.SYN, isnC, 0, 0, 101, false, 0, 0},
		{1 * ms, srv, cli, fsm.SYN | fsm.ACK, isnS, isnC + 1, 0, 102, false, 0, 0},
		{2 * ms, cli, srv, fsm.ACK, isnC + 1, isnS + 1, 0, 103, false, 0, 0},
		{3 * ms, cli, srv, fsm.PSH | fsm.ACK, isnC + 1, isnS + 1, 100, 104, false, 0, 0},
		{4 * ms, cli, srv, fsm.PSH | fsm.ACK, isnC + 101, isnS + 1, 100, 105, false, 0, 0},
		{5 * ms, srv, cli, fsm.ACK, isnS + 1, isnC + 201, 0, 106, false, 0, 0},
		{6 * ms, srv, cli, fsm.PSH | fsm.ACK, isnS + 1, isnC + 201, 50, 107, false, 0, 0},
		{7 * ms, cli, srv, fsm.ACK, isnC + 201, isnS + 51, 0, 108, false, 0, 0},
		{8 * ms, cli, srv, fsm.FIN | fsm.ACK, isnC + 201, isnS + 51, 0, 109, false, 0, 0},
		{9 * ms, srv, cli, fsm.FIN | fsm.ACK, isnS + 51, isnC + 202, 0, 110, false, 0, 0},
		{10 * ms, cli, srv, fsm.ACK, isnC + 202, isnS + 52, 0, 111, false, 0, 0},
	}
}

// TestEveryPacketCapturedTwice: a connection whose every segment was
// captured on two interfaces, as "any" does, reads exactly as the
// connection captured once, and every copy is counted.
func TestEveryPacketCapturedTwice(t *testing.T) {
	once := wholeConnection()
	var twice []wire
	for i, w := range once {
		switch i {
		case 3:
			// The two data segments go out in a burst, both before either
			// copy is forwarded: a, b, a', b'.
		case 4:
			twice = append(twice, once[3], w, once[3].copyAt(w.at+3*time.Microsecond), w.copyAt(w.at+4*time.Microsecond))
		case 6: // the copy's timestamp comes first: per-CPU buffers swap them
			twice = append(twice, w, w.copyAt(w.at-2*time.Microsecond))
		default:
			twice = append(twice, w, w.copyAt(w.at+3*time.Microsecond))
		}
	}
	if len(twice) != 2*len(once) {
		t.Fatalf("script has %d segments", len(twice))
	}
	tb1, want := run(t, once)
	tb2, got := run(t, twice)
	if len(want) != 1 || len(got) != 1 {
		t.Fatalf("%d and %d connections, want 1 and 1", len(want), len(got))
	}
	w, g := want[0], got[0]
	for _, s := range []fsm.Side{fsm.A, fsm.B} {
		if ws, gs := w.FSM.Endpoint(s).State, g.FSM.Endpoint(s).State; ws != gs {
			t.Errorf("side %v ends %v with copies, %v without", s, gs, ws)
		}
	}
	if g.FSM.Endpoint(fsm.A).State != fsm.TimeWait || g.FSM.Endpoint(fsm.B).State != fsm.Closed {
		t.Errorf("ends %v/%v, want TIME-WAIT/CLOSED", g.FSM.Endpoint(fsm.A).State, g.FSM.Endpoint(fsm.B).State)
	}
	if g.Packets != w.Packets || g.Bytes != w.Bytes || g.Packets != [2]int{7, 4} {
		t.Errorf("packets %v bytes %v with copies, %v %v without", g.Packets, g.Bytes, w.Packets, w.Bytes)
	}
	if !slices.Equal(g.Events(), w.Events()) || !slices.Equal(g.Timeline(), w.Timeline()) || g.Violations != w.Violations {
		t.Errorf("events or timeline differ:\n got  %v\n want %v", g.Events(), w.Events())
	}
	if int(g.Duplicates) != len(once) || tb2.Stats.Duplicates != len(once) || w.Duplicates != 0 || tb1.Stats.Duplicates != 0 {
		t.Errorf("duplicates %d (table %d), want %d", g.Duplicates, tb2.Stats.Duplicates, len(once))
	}
	if tb2.Stats.Segments != len(twice) {
		t.Errorf("segments %d, want %d: copies are segments processed", tb2.Stats.Segments, len(twice))
	}
}

func dataSegment(at time.Duration, ident uint64, noTS bool) wire {
	return wire{at, cli, srv, fsm.PSH | fsm.ACK, 1001, 5001, 100, ident, noTS, 0, 0}
}

// established is a connection in ESTABLISHED, caught mid-stream.
func established() []wire {
	return []wire{{0, srv, cli, fsm.ACK, 5001, 1001, 0, 1, false, 0, 0}}
}

// TestCopiesAndSendings feeds scripts of one connection, caught
// mid-stream, and counts the segments taken for copies: only those the
// capture proves copies (DuplicateWindow's rules 1 and 2; rule 3:
// TestDataCopyAtOnePoint).
func TestCopiesAndSendings(t *testing.T) {
	ms, us := time.Millisecond, time.Microsecond
	// ack is a pure ACK of the server with the given Ident.
	ack := func(at time.Duration, ackNo uint32, ident uint64) wire {
		return wire{at, srv, cli, fsm.ACK, 5001, ackNo, 0, ident, false, 0, 0}
	}
	numbered := func(w wire, id uint16) wire { w.ipid = id; return w }
	for _, tc := range []struct {
		name string
		ws   []wire
		dups int
	}{
		// The sender's repeat 200 ms later (an RTO) with a new TSval, and
		// so a new Ident.
		{"RTO with a new TSval", []wire{dataSegment(10*ms, 7, false), dataSegment(210*ms, 8, false)}, 0},
		// Rule 1: the same packet on another interface, within the window
		// (times are compared to the microsecond), in either order.
		{"copy elsewhere after the window", []wire{dataSegment(10*ms, 7, true), dataSegment(10*ms, 7, true).copyAt(10*ms + DuplicateWindow + us)}, 0},
		{"copy elsewhere at the window", []wire{dataSegment(10*ms, 7, true), dataSegment(10*ms, 7, true).copyAt(10*ms + DuplicateWindow)}, 1},
		{"copy elsewhere, earlier by the window", []wire{dataSegment(10*ms, 7, true), dataSegment(10*ms, 7, true).copyAt(10*ms - DuplicateWindow)}, 1},
		{"copy elsewhere, earlier by more", []wire{dataSegment(10*ms, 7, true), dataSegment(10*ms, 7, true).copyAt(10*ms - DuplicateWindow - us)}, 0},
		// Whatever the peer sent in between.
		{"copy elsewhere after duplicate ACKs", []wire{
			dataSegment(10*ms, 7, false),
			ack(10*ms+100*us, 1001, 20), ack(10*ms+150*us, 1001, 21),
			dataSegment(10*ms, 7, false).copyAt(10*ms + 200*us),
		}, 1},
		// At one point, a segment identical to one before is sent again:
		// a fast retransmission whose TSval has not moved on...
		{"fast retransmit at one point", []wire{
			dataSegment(10*ms, 7, false),
			ack(10*ms+100*us, 1001, 20), ack(10*ms+150*us, 1001, 21), ack(10*ms+200*us, 1001, 22),
			dataSegment(10*ms, 7, false).againAt(10*ms + 300*us),
		}, 0},
		// ... three identical duplicate ACKs back to back, from a sender
		// with identification 0 (or over IPv6) and no SACK ...
		{"identical duplicate ACKs at one point", []wire{
			ack(10*ms, 1001, 20), ack(10*ms+20*us, 1001, 20), ack(10*ms+40*us, 1001, 20), ack(10*ms+60*us, 1001, 20),
		}, 0},
		// ... a RST for each of two segments ...
		{"identical RSTs answering two segments", []wire{
			{10 * ms, srv, cli, fsm.PSH | fsm.ACK, 5001, 1001, 10, 30, true, 0, 0},
			{10*ms + 50*us, cli, srv, fsm.RST, 1001, 0, 0, 40, true, 0, 0},
			{10*ms + 110*us, cli, srv, fsm.RST, 1001, 0, 0, 40, true, 0, 0},
		}, 0},
		{"a RST and its copy elsewhere", []wire{
			{10 * ms, srv, cli, fsm.PSH | fsm.ACK, 5001, 1001, 10, 30, true, 0, 0},
			{10*ms + 50*us, cli, srv, fsm.RST, 1001, 0, 0, 40, true, 0, 0},
			{10*ms + 51*us, cli, srv, fsm.RST, 1001, 0, 0, 40, true, 1, 0},
		}, 1},
		// Rule 2: a sender that numbers its packets (1000, then 1001) does
		// not send 1001 twice.
		{"numbered sender, one identification twice at one point", []wire{
			numbered(ack(10*ms, 1001, 19), 1000), numbered(ack(10*ms+10*us, 1001, 20), 1001), numbered(ack(10*ms+10*us, 1001, 20), 1001),
		}, 1},
		// A sender seen with one identification only might write it into
		// every packet (scapy writes 1).
		{"one identification, sender not seen numbering", []wire{
			numbered(ack(10*ms, 1001, 20), 1), numbered(ack(10*ms+10*us, 1001, 20), 1),
		}, 0},
		{"numbered sender, identification 0", []wire{
			numbered(ack(10*ms, 1001, 19), 1000), ack(10*ms+10*us, 1001, 20), ack(10*ms+20*us, 1001, 20),
		}, 0},
		// A duplicate ACK sent twice, and each sending copied at another
		// point (a router's two interfaces): the sendings count, the
		// copies do not.
		{"sent twice, each copied elsewhere", []wire{
			ack(10*ms, 1001, 20), ack(10*ms, 1001, 20).copyAt(10*ms + 20*us),
			ack(10*ms+76*us, 1001, 20), ack(10*ms, 1001, 20).copyAt(10*ms + 96*us),
		}, 2},
		// Segments the decoder did not make have no Ident.
		{"no Ident", []wire{dataSegment(10*ms, 0, false), dataSegment(10*ms, 0, false).copyAt(10 * ms)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, conns := run(t, append(established(), tc.ws...))
			if len(conns) != 1 {
				t.Fatalf("%d connections", len(conns))
			}
			c := conns[0]
			if int(c.Duplicates) != tc.dups || tb.Stats.Duplicates != tc.dups {
				t.Errorf("%d duplicates (table %d), want %d", c.Duplicates, tb.Stats.Duplicates, tc.dups)
			}
			if sum := c.Packets[0] + c.Packets[1] + int(c.Duplicates); sum != len(tc.ws)+1 {
				t.Errorf("%d packets and %d duplicates for %d segments", c.Packets[0]+c.Packets[1], c.Duplicates, len(tc.ws)+1)
			}
		})
	}
}

// Segments without an Ident are never copies, not even of the empty
// slots of a new connection's memory at the Unix epoch.
func TestNoIdentNoDuplicate(t *testing.T) {
	tb := NewTable(Config{}, sinkFunc(func(*Conn) {}))
	for range 2 {
		s := dataSegment(0, 0, true).seg()
		s.Time = 0
		tb.Add(s)
	}
	if tb.Stats.Duplicates != 0 {
		t.Errorf("%d duplicates", tb.Stats.Duplicates)
	}
}

// Copies are looked for among the sender's last recentPerSide segments:
// a burst longer than that hides the first copy.
func TestDuplicateOnlyAmongRecentSegments(t *testing.T) {
	ws := established()
	for i := range recentPerSide + 1 {
		ws = append(ws, wire{time.Duration(i) * time.Microsecond, cli, srv, fsm.PSH | fsm.ACK, uint32(1001 + 10*i), 5001, 10, uint64(100 + i), false, 0, 0})
	}
	ws = append(ws, ws[2].copyAt(10*time.Microsecond), ws[1].copyAt(11*time.Microsecond))
	tb, _ := run(t, ws)
	if tb.Stats.Duplicates != 1 {
		t.Errorf("%d duplicates, want 1: the copy of the first of %d segments is too late", tb.Stats.Duplicates, recentPerSide+1)
	}
}

// Recognising a copy allocates nothing.
func TestDuplicateDoesNotAllocate(t *testing.T) {
	tb := NewTable(Config{}, sinkFunc(func(*Conn) {}))
	for _, w := range established() {
		tb.Add(w.seg())
	}
	orig := dataSegment(time.Millisecond, 7, false).seg()
	tb.Add(orig)
	cp := *orig
	cp.Tap++ // captured on another interface
	if allocs := testing.AllocsPerRun(100, func() { tb.Add(&cp) }); allocs != 0 {
		t.Errorf("a copy costs %v allocations", allocs)
	}
	if tb.Stats.Duplicates != 101 {
		t.Errorf("%d duplicates, want 101", tb.Stats.Duplicates)
	}
}

// TestDataCopyAtOnePoint: rule 3. Data repeated at the same point within
// dataCopyWindow, with nothing from the peer in between, cannot have been
// sent again: no loss signal came back, and no timer fires so soon. Later,
// or after a segment of the peer, it can; pure ACKs and SYNs are never
// taken by this rule.
func TestDataCopyAtOnePoint(t *testing.T) {
	us := time.Microsecond
	data := wholeConnection()[3]
	peer := wire{data.at + 100*us, srv, cli, fsm.ACK, isnS + 1, isnC + 1, 0, 50, false, 0, 0}
	pureACK := wholeConnection()[7]
	syn := wholeConnection()[0]
	for _, tc := range []struct {
		name string
		ws   []wire
		dups int
	}{
		{"data at the window", []wire{data, data.againAt(data.at + dataCopyWindow)}, 1},
		{"data earlier by the window", []wire{data, data.againAt(data.at - dataCopyWindow)}, 1},
		{"data after the window", []wire{data, data.againAt(data.at + dataCopyWindow + us)}, 0},
		{"data after a segment of the peer", []wire{data, peer, data.againAt(data.at + 200*us)}, 0},
		{"a pure ACK", []wire{pureACK, pureACK.againAt(pureACK.at + 10*us)}, 0},
		{"a SYN", []wire{syn, syn.againAt(10 * us)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, _ := run(t, tc.ws)
			if tb.Stats.Duplicates != tc.dups {
				t.Errorf("%d duplicates, want %d", tb.Stats.Duplicates, tc.dups)
			}
		})
	}
}

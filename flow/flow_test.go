package flow

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"tcpflow-fsm/fsm"
)

type recorder struct {
	done   []int
	events int
}

func (r *recorder) Event(*Conn, *Event)        { r.events++ }
func (*recorder) Segment(*Conn, *SegmentEvent) {}
func (r *recorder) Done(c *Conn)               { r.done = append(r.done, c.ID) }

var t0 = fsm.TimeOf(time.Unix(1700000000, 0))

func seg(ms int, src, dst string, flags fsm.Flags, seq, ack uint32) *fsm.Segment {
	return &fsm.Segment{
		Time: t0.Add(time.Duration(ms) * time.Millisecond),
		Src:  netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		Seq: fsm.Seq(seq), Ack: fsm.Seq(ack), Flags: flags, Window: 1000,
	}
}

const (
	cli   = "10.0.0.1:40000"
	srv   = "10.0.0.2:80"
	other = "10.0.0.3:50000"
)

// openOn drives a handshake on cli<->srv from ISN isn (the server's is
// 5000), 1 ms a segment from ms.
func openOn(tb *Table, ms int, isn uint32) {
	tb.Add(seg(ms, cli, srv, fsm.SYN, isn, 0))
	tb.Add(seg(ms+1, srv, cli, fsm.SYN|fsm.ACK, 5000, isn+1))
	tb.Add(seg(ms+2, cli, srv, fsm.ACK, isn+1, 5001))
}

// closeOn drives a whole connection on cli<->srv from ISN isn, the client
// closing first, so that the client ends in TIME-WAIT.
func closeOn(tb *Table, ms int, isn uint32) {
	openOn(tb, ms, isn)
	tb.Add(seg(ms+3, cli, srv, fsm.FIN|fsm.ACK, isn+1, 5001))
	tb.Add(seg(ms+4, srv, cli, fsm.FIN|fsm.ACK, 5001, isn+2))
	tb.Add(seg(ms+5, cli, srv, fsm.ACK, isn+2, 5002))
}

func TestIncarnationsAndOrderedDelivery(t *testing.T) {
	r := &recorder{}
	tb := NewTable(Config{}, r)
	// Connection 1, on another 4-tuple, stays open throughout.
	tb.Add(seg(0, other, srv, fsm.SYN, 1, 0))
	closeOn(tb, 10, 100)  // connection 2
	closeOn(tb, 100, 900) // connection 3: a newer SYN reopens the 4-tuple
	if len(r.done) != 0 {
		t.Fatalf("delivered %v before connection 1 was done", r.done)
	}
	tb.Close()
	if !slices.Equal(r.done, []int{1, 2, 3}) {
		t.Errorf("delivered %v, want 1 2 3", r.done)
	}
	if tb.Stats.Connections != 3 || r.events == 0 {
		t.Errorf("stats %+v, events %d", tb.Stats, r.events)
	}
}

func TestRetransmittedSYNStaysInItsConnection(t *testing.T) {
	r := &recorder{}
	tb := NewTable(Config{}, r)
	tb.Add(seg(0, cli, srv, fsm.SYN, 100, 0))
	tb.Add(seg(1000, cli, srv, fsm.SYN, 100, 0))
	tb.Close()
	if tb.Stats.Connections != 1 {
		t.Errorf("%d connections for one SYN sent twice", tb.Stats.Connections)
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		first   *fsm.Segment
		client  string
		guessed bool
	}{
		{"bare SYN", seg(0, cli, srv, fsm.SYN, 1, 0), cli, false},
		{"SYN,ACK first: its sender serves", seg(0, srv, cli, fsm.SYN|fsm.ACK, 1, 2), cli, true},
		{"mid-stream: the lower port serves", seg(0, srv, cli, fsm.ACK, 1, 2), cli, true},
		{"mid-stream the other way", seg(0, cli, srv, fsm.ACK, 1, 2), cli, true},
	} {
		var got *Conn
		tb := NewTable(Config{}, sinkFunc(func(c *Conn) { got = c }))
		tb.Add(tc.first)
		tb.Close()
		side, guessed := got.Client()
		if got.Addr(side).String() != tc.client || guessed != tc.guessed {
			t.Errorf("%s: client %s guessed %v, want %s %v", tc.name, got.Addr(side), guessed, tc.client, tc.guessed)
		}
	}
}

type sinkFunc func(*Conn)

func (f sinkFunc) Event(*Conn, *Event)        {}
func (sinkFunc) Segment(*Conn, *SegmentEvent) {}
func (f sinkFunc) Done(c *Conn)               { f(c) }

func TestTimelineOnlyWhenAsked(t *testing.T) {
	for _, keep := range []bool{false, true} {
		var got *Conn
		tb := NewTable(Config{Timeline: keep}, sinkFunc(func(c *Conn) { got = c }))
		closeOn(tb, 0, 7)
		tb.Close()
		if (len(got.Timeline()) == 6) != keep || got.Packets != [2]int{4, 2} {
			t.Errorf("timeline %v: %d packets kept, counts %v", keep, len(got.Timeline()), got.Packets)
		}
	}
}

// Timers run on the clock given to Advance, with no packet arriving: the
// 2MSL timer closes TIME-WAIT, and the connection is released a linger
// later; an idle connection is evicted and counted.
func TestTimersWithoutPackets(t *testing.T) {
	var done []*Conn
	tb := NewTable(Config{Unordered: true, Linger: time.Second, IdleTimeout: time.Minute,
		FSM: fsm.Config{TimeWait: 10 * time.Second}}, sinkFunc(func(c *Conn) { done = append(done, c) }))
	closeOn(tb, 0, 7)                                 // connection 1: client in TIME-WAIT at 4 ms
	tb.Add(seg(0, other, srv, fsm.ACK|fsm.PSH, 1, 1)) // connection 2: mid-stream, then silent
	tb.Advance(t0.Add(10 * time.Second))
	if len(done) != 0 || tb.Open() != 2 {
		t.Fatalf("released too early: %d done, %d open", len(done), tb.Open())
	}
	tb.Advance(t0.Add(10*time.Second + 5*time.Millisecond))
	c, _ := tb.conns.get(endOf(netip.MustParseAddrPort(cli)), endOf(netip.MustParseAddrPort(srv)), fsm.Zone{})
	if c == nil || c.FSM.Endpoint(fsm.A).State != fsm.Closed {
		t.Fatal("TIME-WAIT did not expire on the clock")
	}
	tb.Advance(t0.Add(11*time.Second + 5*time.Millisecond))
	if len(done) != 1 || done[0].ID != 1 || done[0].End != EndClosed {
		t.Fatalf("closed connection not released after the linger: %v", done)
	}
	tb.Advance(t0.Add(time.Minute))
	if len(done) != 2 || done[1].ID != 2 || done[1].End != EndIdle || tb.Stats.Evicted != 1 || tb.Open() != 0 {
		t.Fatalf("idle connection not evicted: %d done, evicted %d", len(done), tb.Stats.Evicted)
	}
}

// A late segment within the linger still belongs to the closed connection.
func TestLateSegmentWithinLinger(t *testing.T) {
	tb := NewTable(Config{}, sinkFunc(func(*Conn) {}))
	tb.Add(seg(0, cli, srv, fsm.SYN, 1, 0))
	tb.Add(seg(1, srv, cli, fsm.RST|fsm.ACK, 0, 2))
	tb.Add(seg(2000, cli, srv, fsm.ACK, 2, 0))
	tb.Close()
	if tb.Stats.Connections != 1 {
		t.Errorf("%d connections: the late ACK must join the refused one", tb.Stats.Connections)
	}
}

// With MaxConns, a new connection evicts the longest idle one, which is
// handed to the sink and counted; activity keeps a connection from being
// the longest idle.
func TestMaxConnsEvictsLongestIdle(t *testing.T) {
	var done []*Conn
	tb := NewTable(Config{MaxConns: 2, Unordered: true}, sinkFunc(func(c *Conn) { done = append(done, c) }))
	tb.Add(seg(0, "10.0.0.1:1000", srv, fsm.SYN, 1, 0)) // conn 1
	tb.Add(seg(1, "10.0.0.1:1001", srv, fsm.SYN, 1, 0)) // conn 2
	tb.Add(seg(2, "10.0.0.1:1000", srv, fsm.SYN, 1, 0)) // conn 1 active again
	tb.Add(seg(3, "10.0.0.1:1002", srv, fsm.SYN, 1, 0)) // conn 3: evicts conn 2
	if len(done) != 1 || done[0].ID != 2 || done[0].End != EndEvicted || tb.Stats.Evicted != 1 || tb.Open() != 2 {
		t.Fatalf("done %v, evicted %d, open %d", done, tb.Stats.Evicted, tb.Open())
	}
	tb.Add(seg(4, "10.0.0.1:1003", srv, fsm.SYN, 1, 0)) // conn 4: evicts conn 1
	if len(done) != 2 || done[1].ID != 1 {
		t.Fatalf("second eviction took %v", done)
	}
	tb.Close()
	if len(done) != 4 || tb.Open() != 0 {
		t.Errorf("after Close: %d done, %d open", len(done), tb.Open())
	}
}

// The timeline keeps at most TimelineMax segments and counts the rest.
func TestTimelineCap(t *testing.T) {
	var got *Conn
	tb := NewTable(Config{Timeline: true, TimelineMax: 4}, sinkFunc(func(c *Conn) { got = c }))
	closeOn(tb, 0, 7) // six segments
	tb.Close()
	if len(got.Timeline()) != 4 || got.TimelineDropped() != 2 || got.Packets != [2]int{4, 2} {
		t.Errorf("timeline %d, dropped %d, packets %v", len(got.Timeline()), got.TimelineDropped(), got.Packets)
	}
}

// With MaxConns, no more than MaxConns/4 finished connections wait behind
// one still open at a checkpoint: past that they are handed over ahead of
// it, in order, and the open one comes when it ends.
func TestMaxConnsBoundsWaiting(t *testing.T) {
	r := &orderRecorder{}
	// A quarter of MaxConns, 3, may wait; a checkpoint every 3 segments.
	tb := NewTable(Config{MaxConns: 12, CheckpointEvery: 3}, r)
	tb.Add(seg(0, other, srv, fsm.SYN, 1, 0)) // connection 1 stays open
	tb.Add(seg(1, other, srv, fsm.ACK, 2, 0))
	for i := range 6 { // connections 2 to 7: refused, released after the linger
		c := netip.AddrPortFrom(netip.MustParseAddr("10.0.1.1"), uint16(1000+i)).String()
		tb.Add(seg(10+i, c, srv, fsm.SYN, 1, 0))
		tb.Add(seg(11+i, srv, c, fsm.RST|fsm.ACK, 0, 2))
		tb.Add(seg(2, other, srv, fsm.ACK, 2, 0)) // keeps connection 1 the most recent
	}
	// All six are released here, between checkpoints: they wait.
	tb.Advance(t0.Add(DefaultLinger + time.Second))
	if len(r.orders) != 0 || tb.Stats.Early != 0 {
		t.Fatalf("delivered %v (%d early) between checkpoints", r.orders, tb.Stats.Early)
	}
	// Segment 21 is the checkpoint after them: six wait, past the bound,
	// and all six go.
	tb.Add(seg(30, other, srv, fsm.ACK, 2, 0))
	refused := []int64{3, 6, 9, 12, 15, 18} // the Orders of connections 2 to 7
	if tb.Stats.Segments != 21 || !slices.Equal(r.orders, refused) || tb.Stats.Early != 6 {
		t.Fatalf("after segment %d: delivered %v (%d early), want the refused ones %v ahead of 1",
			tb.Stats.Segments, r.orders, tb.Stats.Early, refused)
	}
	// Connection 8 ends behind 1, within the bound, and follows it.
	c := "10.0.1.2:2000"
	tb.Add(seg(31, c, srv, fsm.SYN, 1, 0))
	tb.Add(seg(32, srv, c, fsm.RST|fsm.ACK, 0, 2))
	tb.Advance(t0.Add(DefaultLinger + 40*time.Second))
	for range 4 {
		tb.Add(seg(45, other, srv, fsm.ACK, 2, 0))
	}
	tb.Close()
	if !slices.Equal(r.orders, append(refused, 1, 22)) || tb.Stats.Early != 6 {
		t.Errorf("delivered %v (%d early), want 1 and 22 last", r.orders, tb.Stats.Early)
	}
	// Numbered in the order handed over.
	if !slices.Equal(r.ids, []int{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("numbered %v", r.ids)
	}
}

// orderRecorder records the Order and the number of each connection
// handed to Done.
type orderRecorder struct {
	orders []int64
	ids    []int
}

func (r *orderRecorder) Event(*Conn, *Event)        {}
func (*orderRecorder) Segment(*Conn, *SegmentEvent) {}
func (r *orderRecorder) Done(c *Conn) {
	r.orders, r.ids = append(r.orders, c.Order), append(r.ids, c.ID)
}

// A shared table hands each connection over as soon as it ends, and
// pending tells the Order of the oldest one still open.
func TestSharedTablePending(t *testing.T) {
	r := &recorder{}
	tb := NewTable(Config{shared: true}, r)
	tb.addNumbered(seg(0, other, srv, fsm.SYN, 1, 0), 5) // Order 5 stays open
	for i := range 3000 {
		c := netip.AddrPortFrom(netip.MustParseAddr("10.0.1.1"), uint16(1000+i)).String()
		tb.addNumbered(seg(1, c, srv, fsm.SYN, 1, 0), int64(10+2*i))
		tb.addNumbered(seg(1, srv, c, fsm.RST|fsm.ACK, 0, 2), int64(11+2*i))
	}
	tb.Advance(t0.Add(DefaultLinger + 2*time.Second))
	if len(r.done) != 3000 {
		t.Fatalf("%d handed over, want the 3000 that ended", len(r.done))
	}
	if o, ok := tb.pending(); !ok || o != 5 {
		t.Fatalf("pending = %d, %v; want 5", o, ok)
	}
	if n := len(tb.opened.o) - tb.opened.head; n > 1025 {
		t.Errorf("%d Orders kept for 1 open connection", n)
	}
	tb.Close()
	if _, ok := tb.pending(); ok || len(r.done) != 3001 {
		t.Errorf("after Close: %d handed over, pending %v", len(r.done), ok)
	}
}

// A segment resent three times with nothing back is a silent run as the
// connection stands; an answer, however late, ends it. Keep-alive probes
// count the same way, and a RST after them is the prober giving up.
func TestSilentRuns(t *testing.T) {
	var got *Conn
	tb := NewTable(Config{}, sinkFunc(func(c *Conn) { got = c }))
	openOn(tb, 0, 100)
	data := func(ms int) *fsm.Segment {
		s := seg(ms, cli, srv, fsm.PSH|fsm.ACK, 101, 5001)
		s.PayloadLen = 10
		return s
	}
	tb.Add(data(10))
	for i, ms := range []int{300, 900, 2100} {
		tb.Add(data(ms))
		c, _ := tb.conns.get(endOf(netip.MustParseAddrPort(cli)), endOf(netip.MustParseAddrPort(srv)), fsm.Zone{})
		if n := c.SilentRetrans(fsm.A); n != i+1 {
			t.Fatalf("after resend %d: silent run %d", i+1, n)
		}
	}
	tb.Add(seg(2200, srv, cli, fsm.ACK, 5001, 111)) // the peer answers: loss recovered
	// Idle, then keep-alive probes (one below the next sequence number)
	// that nobody answers, and the prober's RST.
	for _, ms := range []int{60000, 61000, 62000} {
		tb.Add(seg(ms, cli, srv, fsm.ACK, 110, 5001))
	}
	tb.Add(seg(63000, cli, srv, fsm.RST, 111, 0))
	tb.Close()
	if got == nil {
		t.Fatal("no connection")
	}
	if n := got.SilentRetrans(fsm.A); n != 0 {
		t.Errorf("silent retransmissions %d after the peer answered, want 0", n)
	}
	if n, gaveUp := got.SilentProbes(fsm.A); n != 3 || !gaveUp {
		t.Errorf("silent probes %d, gave up %v; want 3, true", n, gaveUp)
	}
}

// A zero window's stall runs from the first segment that closes it to the
// first that opens it; one still closed runs to the last segment.
func TestZeroWindowStall(t *testing.T) {
	var got *Conn
	tb := NewTable(Config{}, sinkFunc(func(c *Conn) { got = c }))
	openOn(tb, 0, 100)
	win := func(ms int, from, to string, seq, ack uint32, w uint16) {
		s := seg(ms, from, to, fsm.ACK, seq, ack)
		s.Window = w
		tb.Add(s)
	}
	win(100, srv, cli, 5001, 101, 0)  // closes
	win(400, srv, cli, 5001, 101, 0)  // still closed
	win(700, srv, cli, 5001, 101, 10) // opens: a stall of 600 ms
	win(800, cli, srv, 101, 5001, 0)  // the client closes its own
	win(900, cli, srv, 101, 5001, 0)
	tb.Close()
	if stall, open := got.ZeroWindowStall(); stall != 600*time.Millisecond || !open {
		t.Errorf("stall %v, still zero %v; want 600ms, true", stall, open)
	}
}

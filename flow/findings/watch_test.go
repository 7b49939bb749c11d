package findings

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// watchRig feeds segments, as a live capture does, through a table whose
// connections end into a Findings, and lets a test call Watch at chosen
// times.
type watchRig struct {
	t     *testing.T
	f     *Collector
	table *flow.Table
	t0    fsm.Time
}

func newWatchRig(t *testing.T) *watchRig {
	return newWatchRigAt(t, fsm.TimeOf(time.Unix(1700000000, 0)))
}

// newWatchRigAt is newWatchRig with the test's times from t0.
func newWatchRigAt(t *testing.T, t0 fsm.Time) *watchRig {
	f := New()
	return &watchRig{t: t, f: f, t0: t0,
		table: flow.NewTable(flow.Config{Unordered: true, DropEvents: true}, observeSink{f})}
}

// at is the time ms milliseconds into the test.
func (w *watchRig) at(ms int) fsm.Time { return w.t0.Add(time.Duration(ms) * time.Millisecond) }

// seg adds a segment at ms from src to dst.
func (w *watchRig) seg(ms int, src, dst netip.AddrPort, fl fsm.Flags, seq, ack uint32, n int, win uint16) {
	w.table.Add(&fsm.Segment{Time: w.at(ms), Src: src, Dst: dst, Flags: fl, Seq: fsm.Seq(seq), Ack: fsm.Seq(ack), PayloadLen: n, Window: win})
}

// open adds a handshake at ms, 1 ms a segment: client ISN 1000, server 5000.
func (w *watchRig) open(ms int, cli, srv netip.AddrPort) {
	w.seg(ms, cli, srv, fsm.SYN, 1000, 0, 0, 1000)
	w.seg(ms+1, srv, cli, fsm.SYN|fsm.ACK, 5000, 1001, 0, 1000)
	w.seg(ms+2, cli, srv, fsm.ACK, 1001, 5001, 0, 1000)
}

// watch calls Watch at ms and returns the codes that fire.
func (w *watchRig) watch(ms int) []string {
	w.f.Watch(w.at(ms), w.table.Each)
	var codes []string
	for _, fd := range w.f.Fired() {
		codes = append(codes, fd.Code)
	}
	return codes
}

// final closes the table and returns the codes of List.
func (w *watchRig) final() []string {
	w.table.Close()
	var codes []string
	for _, fd := range w.f.List() {
		codes = append(codes, fd.Code)
	}
	return codes
}

func (w *watchRig) want(ms int, want ...string) {
	w.t.Helper()
	if got := w.watch(ms); !slices.Equal(got, want) {
		w.t.Errorf("Watch at %d ms fired %q, want %q", ms, got, want)
	}
}

var (
	wCli  = netip.MustParseAddrPort("10.0.0.1:40000")
	wCli2 = netip.MustParseAddrPort("10.0.0.1:40001")
	wSrv  = netip.MustParseAddrPort("10.0.0.2:80")
)

// TestWatchFiresWhatLasts: live, what a connection shows as it lasts
// fires once it has lasted --stuck (or --stall), not before, once, and
// the connection's end judges it again. Also across 1970-01-01 00:00:00
// UTC, a real time in hand-made and damaged captures: there the window
// of zero_window closes at time 0 exactly.
func TestWatchFiresWhatLasts(t *testing.T) {
	for _, epoch := range []struct {
		name string
		t0   fsm.Time
	}{
		{"2023", fsm.TimeOf(time.Unix(1700000000, 0))},
		{"across 1970", -fsm.Time(11 * time.Millisecond)},
		{"before 1970", -fsm.Time(time.Hour)},
	} {
		t0 := epoch.t0
		t.Run(epoch.name, func(t *testing.T) {
			t.Run("close_wait and fin_wait_2", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.open(0, wCli, wSrv)
				w.seg(10, wCli, wSrv, fsm.FIN|fsm.ACK, 1001, 5001, 0, 1000)
				w.seg(11, wSrv, wCli, fsm.ACK, 5001, 1002, 0, 1000)
				w.want(5011)
				w.want(10011, "close_wait", "fin_wait_2")
				w.want(20000) // fired once
			})
			t.Run("close_wait not while the peer is dead", func(t *testing.T) {
				// The client closes, the server never acknowledges the FIN: its
				// CLOSE-WAIT is only inferred, and the client resends its FIN.
				w := newWatchRigAt(t, t0)
				w.open(0, wCli, wSrv)
				for _, ms := range []int{10, 210, 610, 1410, 3010} {
					w.seg(ms, wCli, wSrv, fsm.FIN|fsm.ACK, 1001, 5001, 0, 1000)
				}
				w.want(9000)
				w.want(11000, "dead_peer")
			})
			t.Run("dead_peer once the peer has been silent for --stuck", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.open(0, wCli, wSrv)
				for _, ms := range []int{10, 210, 610, 1410} {
					w.seg(ms, wCli, wSrv, fsm.PSH|fsm.ACK, 1001, 5001, 100, 1000)
				}
				w.want(2000)
				w.want(10209)
				w.want(10210, "dead_peer")
				// The peer answers after all: the end does not call it dead.
				w.seg(10300, wSrv, wCli, fsm.ACK, 5001, 1101, 0, 1000)
				if got := w.final(); slices.Contains(got, "dead_peer") {
					t.Errorf("final findings %q: the peer answered", got)
				}
			})
			t.Run("loss that recovers", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.open(0, wCli, wSrv)
				w.seg(10, wCli, wSrv, fsm.PSH|fsm.ACK, 1001, 5001, 100, 1000)
				w.seg(210, wCli, wSrv, fsm.PSH|fsm.ACK, 1001, 5001, 100, 1000)
				w.seg(211, wSrv, wCli, fsm.ACK, 5001, 1101, 0, 1000)
				w.want(30000)
				if got := w.final(); len(got) != 0 {
					t.Errorf("final findings %q", got)
				}
			})
			t.Run("unanswered_syn", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				for _, ms := range []int{0, 1000, 3000, 7000} {
					w.seg(ms, wCli, wSrv, fsm.SYN, 1000, 0, 0, 1000)
				}
				w.want(9999)
				w.want(10000, "unanswered_syn")
			})
			t.Run("a handshake in flight, with --stuck 0s", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.f.Stuck = 0
				w.seg(0, wCli, wSrv, fsm.SYN, 1000, 0, 0, 1000)
				w.want(1) // one SYN: not unanswered yet
				w.seg(1000, wCli, wSrv, fsm.SYN, 1000, 0, 0, 1000)
				w.want(1001, "unanswered_syn")
				w.seg(1002, wCli2, wSrv, fsm.SYN, 7000, 0, 0, 1000)
				w.seg(1003, wSrv, wCli2, fsm.SYN|fsm.ACK, 5000, 7001, 0, 1000)
				w.want(1004) // SYN, SYN,ACK: not half-open yet
				w.seg(2003, wSrv, wCli2, fsm.SYN|fsm.ACK, 5000, 7001, 0, 1000)
				w.want(2004, "half_open")
			})
			t.Run("no half_open once the client went on", func(t *testing.T) {
				// Its ACK, then the server's SYN,ACK again (the ACK lost on the
				// way, as the tool infers) and the client's ACK again.
				w := newWatchRigAt(t, t0)
				w.open(0, wCli, wSrv)
				w.seg(31000, wSrv, wCli, fsm.SYN|fsm.ACK, 5000, 1001, 0, 1000)
				w.seg(31400, wCli, wSrv, fsm.ACK, 1001, 5001, 0, 1000)
				w.want(45000)
			})
			t.Run("half_open", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.seg(0, wCli, wSrv, fsm.SYN, 1000, 0, 0, 1000)
				for _, ms := range []int{1, 1001, 3001, 7001} {
					w.seg(ms, wSrv, wCli, fsm.SYN|fsm.ACK, 5000, 1001, 0, 1000)
				}
				w.want(9000)
				w.want(10000, "half_open")
			})
			t.Run("listen_overflow, not unanswered_syn", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.open(0, wCli, wSrv) // answered, left in the accept queue
				for _, ms := range []int{100, 1100, 3100} {
					w.seg(ms, wCli2, wSrv, fsm.SYN, 7000, 0, 0, 1000)
				}
				// The server's host goes on answering other traffic.
				other := netip.MustParseAddrPort("10.0.0.2:22")
				w.open(2000, netip.MustParseAddrPort("10.0.0.3:50000"), other)
				w.want(10099)
				w.want(10100, "listen_overflow")
			})
			t.Run("unanswered_syn, not listen_overflow, with the server's host silent", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.open(0, wCli, wSrv) // answered, then nothing more from the host
				for _, ms := range []int{100, 1100, 3100} {
					w.seg(ms, wCli2, wSrv, fsm.SYN, 7000, 0, 0, 1000)
				}
				w.want(10099)
				w.want(10100, "unanswered_syn")
			})
			t.Run("time_wait pile-up", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.f.PileUp = 3
				for i := range 3 {
					cli := netip.AddrPortFrom(wCli.Addr(), uint16(41000+i))
					ms := i * 100
					w.open(ms, cli, wSrv)
					w.seg(ms+10, cli, wSrv, fsm.FIN|fsm.ACK, 1001, 5001, 0, 1000)
					w.seg(ms+11, wSrv, cli, fsm.FIN|fsm.ACK, 5001, 1002, 0, 1000)
					w.seg(ms+12, cli, wSrv, fsm.ACK, 1002, 5002, 0, 1000)
					if i == 1 {
						w.want(ms + 20) // two, under the pile-up
					}
				}
				w.want(300, "time_wait")
			})
			t.Run("zero_window after --stall", func(t *testing.T) {
				w := newWatchRigAt(t, t0)
				w.open(0, wCli, wSrv)
				w.seg(10, wCli, wSrv, fsm.PSH|fsm.ACK, 1001, 5001, 1000, 1000)
				w.seg(11, wSrv, wCli, fsm.ACK, 5001, 2001, 0, 0)
				w.want(1010)
				w.want(1011, "zero_window")
			})

		})
	}
}

// TestWatchAlertsGrowTenfold: a finding Watch counts alerts at 1, then at
// 10 connections, not at each one between.
func TestWatchAlertsGrowTenfold(t *testing.T) {
	w := newWatchRig(t)
	var fired []int
	for i := range 12 {
		cli := netip.AddrPortFrom(wCli.Addr(), uint16(42000+i))
		w.seg(i, cli, wSrv, fsm.SYN, 1000, 0, 0, 1000)
		w.seg(1000+i, cli, wSrv, fsm.SYN, 1000, 0, 0, 1000)
	}
	for ms := 10000; ms < 10012; ms++ {
		w.f.Watch(w.at(ms), w.table.Each)
		for _, fd := range w.f.Fired() {
			fired = append(fired, len(fd.Conns))
			if fd.Latest.ID != fd.Conns[len(fd.Conns)-1] {
				t.Errorf("the alert names conn %d, the latest is %d", fd.Latest.ID, fd.Conns[len(fd.Conns)-1])
			}
		}
	}
	if !slices.Equal(fired, []int{1, 10}) {
		t.Errorf("alerts at %v connections, want [1 10]", fired)
	}
}

// BenchmarkWatch: one look at 100,000 tracked connections, established
// and quiet, as a live capture takes once a second (ns/op is the cost of
// one look; docs/PERFORMANCE.md, "The live path").
func BenchmarkWatch(b *testing.B) {
	w := newWatchRig(&testing.T{})
	for i := range 100000 {
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		w.open(i, cli, wSrv)
	}
	b.ResetTimer()
	for i := range b.N {
		w.f.Watch(w.at(200000+i), w.table.Each)
		w.f.Fired()
	}
}

// BenchmarkFiredUnderFlood: a live view calls Fired as each connection
// ends; with 100,000 unanswered connections to a server that answered
// before (listen_overflow's), a call must cost a look at each finding, not
// at each connection (ns/op stays flat as the count grows).
func BenchmarkFiredUnderFlood(b *testing.B) {
	f := New()
	var conns []*flow.Conn
	table := flow.NewTable(flow.Config{Unordered: true, DropEvents: true}, doneFunc(func(c *flow.Conn) { conns = append(conns, c) }))
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	add := func(ms int, src, dst netip.AddrPort, fl fsm.Flags) {
		table.Add(&fsm.Segment{Time: t0.Add(time.Duration(ms) * time.Millisecond), Src: src, Dst: dst, Flags: fl, Seq: 1000, Ack: 5001, Window: 1000})
	}
	add(0, wCli, wSrv, fsm.SYN)
	add(1, wSrv, wCli, fsm.SYN|fsm.ACK)
	n := 100000 + b.N
	for i := range n {
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		add(10+i, cli, wSrv, fsm.SYN)
		add(1010+i, cli, wSrv, fsm.SYN)
	}
	add(2000+n, wSrv, wCli, fsm.ACK) // the server's host answers on
	table.Close()
	for _, c := range conns[:100001] {
		f.Observe(c)
		f.Fired()
	}
	if cur := f.Current(); cur[0].Code != "listen_overflow" || cur[0].Count != 100000 {
		b.Fatalf("not a listen_overflow of 100,000 connections: %+v", cur[0])
	}
	b.ResetTimer()
	for _, c := range conns[100001:] {
		f.Observe(c)
		f.Fired()
	}
}

// doneFunc hands each connection that ends to a function.
type doneFunc func(*flow.Conn)

func (f doneFunc) Event(*flow.Conn, *flow.Event)        {}
func (doneFunc) Segment(*flow.Conn, *flow.SegmentEvent) {}
func (f doneFunc) Done(c *flow.Conn)                    { f(c) }

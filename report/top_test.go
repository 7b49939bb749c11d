package report

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// topT0 is when the synthetic traffic of the --top tests starts.
var topT0 = fsm.TimeOf(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))

// topTraffic feeds a live table (Unordered, as live capture makes it)
// whose sink is a Top, with segments at times from topT0.
type topTraffic struct {
	top   *Top
	table *flow.Table
}

func newTopTraffic() *topTraffic {
	top := NewTop(&bytes.Buffer{})
	top.Source = "eth0: tcp"
	return &topTraffic{top: top, table: flow.NewTable(flow.Config{Unordered: true, DropEvents: true}, top)}
}

// tconn is one synthetic connection: its endpoints and each side's next
// sequence number, the initial ones near 2^32 so that every connection
// crosses the wrap.
type tconn struct {
	tr       *topTraffic
	cli, srv netip.AddrPort
	nxt      [2]uint32 // the client's, the server's
}

func (tr *topTraffic) seg(at time.Duration, src, dst netip.AddrPort, fl fsm.Flags, seq, ack uint32, n int) {
	tr.table.Add(&fsm.Segment{Time: topT0.Add(at), Src: src, Dst: dst, Flags: fl,
		Seq: fsm.Seq(seq), Ack: fsm.Seq(ack), Window: 64000, PayloadLen: n})
}

// syn sends the client's SYN at at.
func (tr *topTraffic) syn(at time.Duration, cli, srv string) *tconn {
	c := &tconn{tr: tr, cli: netip.MustParseAddrPort(cli), srv: netip.MustParseAddrPort(srv), nxt: [2]uint32{0xfffffff0, 0xffffff00}}
	tr.seg(at, c.cli, c.srv, fsm.SYN, c.nxt[0], 0, 0)
	c.nxt[0]++
	return c
}

// synAck sends the server's SYN,ACK at at (again, for a retransmission).
func (c *tconn) synAck(at time.Duration) *tconn {
	c.tr.seg(at, c.srv, c.cli, fsm.SYN|fsm.ACK, c.nxt[1], c.nxt[0], 0)
	return c
}

// open makes a handshake: the SYN at at, the SYN,ACK hs later, the ACK at
// once.
func (tr *topTraffic) open(at, hs time.Duration, cli, srv string) *tconn {
	c := tr.syn(at, cli, srv).synAck(at + hs)
	c.nxt[1]++
	c.ack(at+hs, 0)
	return c
}

// ack sends a pure ACK from side (0 the client, 1 the server).
func (c *tconn) ack(at time.Duration, side int) {
	src, dst := c.ends(side)
	c.tr.seg(at, src, dst, fsm.ACK, c.nxt[side], c.nxt[1-side], 0)
}

func (c *tconn) ends(side int) (src, dst netip.AddrPort) {
	if side == 0 {
		return c.cli, c.srv
	}
	return c.srv, c.cli
}

// data sends n octets from side, acknowledged 1 ms later; resent once
// first when again.
func (c *tconn) data(at time.Duration, side, n int, again bool) {
	src, dst := c.ends(side)
	c.tr.seg(at, src, dst, fsm.PSH|fsm.ACK, c.nxt[side], c.nxt[1-side], n)
	if again {
		at += 200 * time.Millisecond
		c.tr.seg(at, src, dst, fsm.PSH|fsm.ACK, c.nxt[side], c.nxt[1-side], n)
	}
	c.nxt[side] += uint32(n)
	c.ack(at+time.Millisecond, 1-side)
}

// fin sends side's FIN, acknowledged 1 ms later.
func (c *tconn) fin(at time.Duration, side int) {
	src, dst := c.ends(side)
	c.tr.seg(at, src, dst, fsm.FIN|fsm.ACK, c.nxt[side], c.nxt[1-side], 0)
	c.nxt[side]++
	c.ack(at+time.Millisecond, 1-side)
}

// rst sends side's RST.
func (c *tconn) rst(at time.Duration, side int) {
	src, dst := c.ends(side)
	c.tr.seg(at, src, dst, fsm.RST|fsm.ACK, c.nxt[side], c.nxt[1-side], 0)
}

// refused is a SYN answered by RST,ACK.
func (tr *topTraffic) refused(at time.Duration, cli, srv string) {
	c := tr.syn(at, cli, srv)
	tr.seg(at+100*time.Microsecond, c.srv, c.cli, fsm.RST|fsm.ACK, 0, c.nxt[0], 0)
}

// tick advances the table to at and makes the frame, as live does once
// a second.
func (tr *topTraffic) tick(at time.Duration) *TopFrame {
	now := topT0.Add(at)
	tr.table.Advance(now)
	return tr.top.Tick(now, tr.table.Each, TopStatus{Packets: uint64(tr.table.Stats.Segments), Dropped: 3})
}

const ms = time.Millisecond

// topIncident is three seconds of traffic to six servers: a web server
// with handshakes of 1 to 7 ms, connections closed, one resending data,
// two left in CLOSE-WAIT by an application that does not close; a
// database whose handshakes are never completed (SYN-RECEIVED, the
// SYN,ACK resent); a server that closed first and waits in FIN-WAIT-2;
// a port that refuses; an SSH connection aborted by a RST; an IPv6
// server whose endpoint is too long for its column. Frames are made at
// 0, 1, 2 and 3 s; the last is returned.
func topIncident() (*topTraffic, *TopFrame) {
	tr := newTopTraffic()
	tr.tick(0)
	web := "10.0.0.2:80"
	var leak []*tconn
	for i := range 4 {
		leak = append(leak, tr.open(100*ms+time.Duration(i)*10*ms, time.Duration(i+1)*ms, fmt.Sprintf("10.0.1.1:4000%d", i), web))
	}
	leak[0].fin(500*ms, 0) // the application never closes these two
	leak[1].fin(520*ms, 0)
	ssh := tr.open(600*ms, 300*time.Microsecond, "10.0.1.9:50000", "10.0.0.2:22")
	tr.tick(1000 * ms)
	var db []*tconn
	for i := range 2 {
		at := 1200*ms + time.Duration(i)*ms
		db = append(db, tr.syn(at, fmt.Sprintf("10.0.1.2:4100%d", i), "10.0.0.3:5432").synAck(at+ms))
	}
	first := tr.open(1300*ms, 40*ms, "10.0.1.3:42000", "10.0.0.4:443")
	first.fin(1500*ms, 1) // the client never closes its side
	v6 := tr.open(1700*ms, 12*ms, "[2001:db8::1]:43000", "[2001:db8:aaaa:bbbb::1234]:8443")
	v6.data(1800*ms, 0, 100, false)
	tr.tick(2000 * ms)
	for i := range 3 {
		tr.refused(2100*ms+time.Duration(i)*10*ms, fmt.Sprintf("10.0.1.4:4200%d", i), "10.0.0.9:9")
	}
	for i, c := range db {
		c.synAck(2150*ms + time.Duration(i)*ms) // resent, unanswered
	}
	// Two web connections closed by the client; a third resends data.
	var closing []*tconn
	for i, d := range []time.Duration{5 * ms, 7 * ms} {
		closing = append(closing, tr.open(2200*ms+time.Duration(i)*10*ms, d, fmt.Sprintf("10.0.1.5:4300%d", i), web))
	}
	resends := tr.open(2250*ms, 6*ms, "10.0.1.6:44000", web)
	for i, c := range closing {
		c.data(2300*ms+time.Duration(i)*10*ms, 1, 1000, false)
	}
	for i, c := range closing {
		c.fin(2400*ms+time.Duration(i)*10*ms, 0)
		c.fin(2405*ms+time.Duration(i)*10*ms, 1)
	}
	ssh.rst(2450*ms, 1)
	resends.data(2500*ms, 1, 1400, true)
	return tr, tr.tick(3000 * ms)
}

// checkFits fails unless the lines fit the view: at most Height lines of
// at most Width columns, colour codes aside.
func checkFits(t *testing.T, lines []string, v *TopView) {
	t.Helper()
	if len(lines) > v.Height {
		t.Errorf("%dx%d: %d lines", v.Width, v.Height, len(lines))
	}
	for i, l := range lines {
		if w := len(ansi.ReplaceAllString(l, "")); w > v.Width {
			t.Errorf("%dx%d: line %d is %d columns: %q", v.Width, v.Height, i+1, w, l)
		}
	}
}

// The screens of the incident, compared with testdata/top/*.golden: on
// 80×24 (a row on two lines), wide (a row on one), paused and sorted by
// the handshake's p99, small (rows left out, counted), narrow (lines cut),
// and the help. After a deliberate change: go test ./report -run
// TestTopScreens -update, and read the diff.
func TestTopScreens(t *testing.T) {
	_, f := topIncident()
	for _, tc := range []struct {
		name string
		view TopView
	}{
		{"80x24", TopView{Width: 80, Height: 24}},
		{"140x30", TopView{Width: 140, Height: 30}},
		{"80x24-paused-hs", TopView{Width: 80, Height: 24, Paused: true, Sort: SortHandshake}},
		{"80x24-oldest", TopView{Width: 80, Height: 24, Sort: SortOldest}},
		{"80x14", TopView{Width: 80, Height: 14, Sort: SortErrors}},
		{"60x24", TopView{Width: 60, Height: 24}},
		{"80x24-help", TopView{Width: 80, Height: 24, Help: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.view.Loc = time.UTC
			lines := f.Lines(&tc.view)
			checkFits(t, lines, &tc.view)
			checkTopGolden(t, filepath.Join("testdata", "top", tc.name+".golden"), lines)
		})
	}
}

func checkTopGolden(t *testing.T, golden string, lines []string) {
	t.Helper()
	got := []byte(strings.Join(lines, "\n") + "\n")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("screen differs from %s; run with -update and read the diff\ngot:\n%s", golden, got)
	}
}

// The incident's rows, counted: what the goldens show, checked against
// what the traffic did, so that a golden regenerated from a wrong count
// cannot pass unread.
func TestTopCounts(t *testing.T) {
	_, f := topIncident()
	rows := map[string]TopRow{}
	for _, r := range f.Rows {
		rows[r.Server] = r
	}
	if f.Interval != time.Second || f.Tracked != 15 || f.Dropped != 3 {
		t.Errorf("interval %v, tracked %d, dropped %d; want 1s, 15, 3", f.Interval, f.Tracked, f.Dropped)
	}
	web := rows["10.0.0.2:80"]
	// Three established; two left by the application in CLOSE-WAIT, their
	// clients in FIN-WAIT-2; two closed, their clients in TIME-WAIT.
	if web.Conns != 7 || web.States[fsm.Established] != 3 || web.States[fsm.CloseWait] != 2 || web.States[fsm.FinWait2] != 2 ||
		web.States[fsm.TimeWait] != 2 || web.States[fsm.Closed] != 2 {
		t.Errorf("web: %d conns, states %v", web.Conns, web.States)
	}
	// Opened in the last second: three; closed: the two the client
	// closed (its TIME-WAIT and the server's CLOSED), not yet released.
	if web.Opened != 3 || web.Closed != 2 || web.Retrans != 1 || web.Reset+web.Refused != 0 {
		t.Errorf("web: opened %d, closed %d, retrans %d, reset %d, refused %d; want 3, 2, 1, 0, 0",
			web.Opened, web.Closed, web.Retrans, web.Reset, web.Refused)
	}
	// Handshakes of 1, 2, 3, 4, 5, 6, 7 ms: median 4 ms, p99 7 ms.
	if web.Handshakes != 7 || web.P50 != 4*ms || web.P99 != 7*ms {
		t.Errorf("web: %d handshakes, p50 %v, p99 %v; want 7, 4ms, 7ms", web.Handshakes, web.P50, web.P99)
	}
	// CLOSE-WAIT since 0.5 s: the first FIN it received.
	if got, want := web.Oldest[agedCloseWait], 2500*ms; got != want {
		t.Errorf("web: oldest CLOSE-WAIT %v, want %v", got, want)
	}
	db := rows["10.0.0.3:5432"]
	// SYN-RECEIVED since the SYN, at 1.2 s; the clients, which got the
	// SYN,ACK 1 ms after their SYN, ESTABLISHED as the capture point saw
	// them.
	if db.States[fsm.SynReceived] != 2 || db.States[fsm.Established] != 2 || db.Oldest[agedSynReceived] != 1800*ms || db.Retrans != 2 || db.Handshakes != 2 || db.P99 != ms {
		t.Errorf("db: SYN-RECEIVED %d, oldest %v, retrans %d, handshakes %d, p99 %v; want 2, 1.8s, 2, 2, 1ms",
			db.States[fsm.SynReceived], db.Oldest[agedSynReceived], db.Retrans, db.Handshakes, db.P99)
	}
	// The server in FIN-WAIT-2 since the ACK of its FIN, at 1.501 s; the
	// client in CLOSE-WAIT since the FIN, at 1.5 s.
	if r := rows["10.0.0.4:443"]; r.States[fsm.FinWait2] != 1 || r.Oldest[agedFinWait] != 1499*ms ||
		r.States[fsm.CloseWait] != 1 || r.Oldest[agedCloseWait] != 1500*ms {
		t.Errorf("443: FIN-WAIT-2 %d, oldest %v, CLOSE-WAIT %d, oldest %v; want 1, 1.499s, 1, 1.5s",
			r.States[fsm.FinWait2], r.Oldest[agedFinWait], r.States[fsm.CloseWait], r.Oldest[agedCloseWait])
	}
	if r := rows["10.0.0.9:9"]; r.Refused != 3 || r.Opened != 3 || r.Closed != 3 {
		t.Errorf("9: refused %d, opened %d, closed %d; want 3, 3, 3", r.Refused, r.Opened, r.Closed)
	}
	if r := rows["10.0.0.2:22"]; r.Reset != 1 || r.Opened != 0 || r.Handshakes != 1 || r.P99 != 300*time.Microsecond {
		t.Errorf("ssh: reset %d, opened %d, %d handshakes, p99 %v; want 1, 0, 1, 300µs", r.Reset, r.Opened, r.Handshakes, r.P99)
	}
	var codes []string
	for _, fd := range f.Findings {
		codes = append(codes, fmt.Sprintf("%s %d %s", fd.Code, fd.Count, fd.Target))
	}
	if got, want := strings.Join(codes, "; "), "refused 3 10.0.0.9:9; aborted 1 10.0.0.2:22"; got != want {
		t.Errorf("findings %q, want %q", got, want)
	}
}

// Whatever the size of the terminal, the screen fits it, in colour too,
// and colour changes nothing but colour.
func TestTopFitsAnySize(t *testing.T) {
	_, f := topIncident()
	for w := 0; w <= 200; w += 7 {
		for h := 0; h <= 40; h += 3 {
			for _, help := range []bool{false, true} {
				plain := TopView{Width: w, Height: h, Help: help, Loc: time.UTC}
				color := plain
				color.Color = true
				pl, cl := f.Lines(&plain), f.Lines(&color)
				checkFits(t, pl, &plain)
				checkFits(t, cl, &color)
				if a, b := strings.Join(pl, "\n"), ansi.ReplaceAllString(strings.Join(cl, "\n"), ""); a != b {
					t.Fatalf("%dx%d: colour changes more than colour:\n%s\n\n%s", w, h, a, b)
				}
			}
		}
	}
}

// The severity is painted on a terminal, and said in words too.
func TestTopColor(t *testing.T) {
	_, f := topIncident()
	lines := f.Lines(&TopView{Width: 80, Height: 24, Color: true, Loc: time.UTC})
	want := ansiYellow + "WARNING " + ansiReset + " refused"
	if !strings.Contains(strings.Join(lines, "\n"), want) {
		t.Errorf("no %q in:\n%s", want, strings.Join(lines, "\n"))
	}
}

// Memory is bounded: past maxTopServers server endpoints, the rest are
// counted in one row; endpoints with nothing left are forgotten after
// topForget.
func TestTopBoundedServers(t *testing.T) {
	tr := newTopTraffic()
	n := maxTopServers + 500
	for i := range n {
		tr.refused(time.Duration(i)*time.Microsecond, "10.1.0.1:40000", fmt.Sprintf("10.2.%d.%d:80", i/256, i%256))
	}
	f := tr.tick(time.Second)
	if len(tr.top.servers) != maxTopServers || len(f.Rows) != maxTopServers+1 {
		t.Fatalf("%d servers tracked, %d rows; want %d and %d", len(tr.top.servers), len(f.Rows), maxTopServers, maxTopServers+1)
	}
	other := f.Rows[len(f.Rows)-1]
	if other.Server != "(other servers)" || other.Refused != 500 {
		t.Errorf("last row %q refused %d, want (other servers) 500", other.Server, other.Refused)
	}
	lines := f.Lines(&TopView{Width: 80, Height: 24, Sort: SortErrors})
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, fmt.Sprintf("%d more servers", maxTopServers+1-8)) {
		t.Errorf("the keys' line does not count the servers left out: %q", last)
	}
	// The refused connections linger, then are released: nothing left.
	tr.tick(10 * time.Second)
	tr.tick(10*time.Second + topForget)
	if len(tr.top.servers) != 0 {
		t.Errorf("%d servers still tracked with nothing left for %v", len(tr.top.servers), topForget)
	}
}

// A server keeps its latest topHandshakes handshake times.
func TestTopHandshakeWindow(t *testing.T) {
	var s topServer
	for i := range topHandshakes + 100 {
		s.handshake(time.Duration(i+1) * time.Millisecond)
	}
	r := s.row("x")
	// The latest 512 are 101..612 ms: median 356 ms, p99 607 ms.
	if len(s.hs) != topHandshakes || r.P50 != 356*ms || r.P99 != 607*ms {
		t.Errorf("%d kept, p50 %v, p99 %v; want %d, 356ms, 607ms", len(s.hs), r.P50, r.P99, topHandshakes)
	}
}

func TestTopFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{count(9999), "9999"}, {count(300_000), "300k"}, {count(12_345_678), "12M"},
		{age(300 * ms), "0.3s"}, {age(45 * time.Second), "45s"}, {age(125 * time.Second), "2m05"},
		{age(12 * time.Minute), "12m"}, {age(200 * time.Minute), "3h20"}, {age(40 * time.Hour), "40h"}, {age(120 * time.Hour), "5d"},
		{rate(0, time.Second), "0"}, {rate(3, 2*time.Second), "1.5"}, {rate(5, 0), "-"}, {rate(12345, time.Second), "12.3k"},
		{handshakeTime(21 * time.Microsecond), "21us"}, {handshakeTime(1234 * time.Microsecond), "1.23ms"},
		{handshakeTime(45 * ms), "45.0ms"}, {handshakeTime(3 * time.Second), "3.00s"},
		{elide("[2001:db8:aaaa:bbbb::1234]:8443", 21), "[2001:db8:~1234]:8443"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// BenchmarkTopMemory measures the most the view itself holds, whatever
// the traffic: maxTopServers server endpoints, each with its ring of
// topHandshakes handshake times full.
//
//	go test -run '^$' -bench TopMemory -benchtime 1x ./report
func BenchmarkTopMemory(b *testing.B) {
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		top := NewTop(io.Discard)
		for i := range maxTopServers + 100 {
			s := top.server(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), 80))
			for j := range topHandshakes {
				s.handshake(time.Duration(j) * time.Microsecond)
			}
		}
		f := top.Tick(topT0, func(func(*flow.Conn)) {}, TopStatus{})
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(f.Rows) != maxTopServers+1 {
			b.Fatalf("%d rows", len(f.Rows))
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB")
		runtime.KeepAlive(top)
		runtime.KeepAlive(f)
	}
}

package report

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// doneConns is a sink keeping the connections handed over.
type doneConns struct{ conns []*flow.Conn }

func (*doneConns) Event(*flow.Conn, *flow.Event)          {}
func (*doneConns) Segment(*flow.Conn, *flow.SegmentEvent) {}
func (d *doneConns) Done(c *flow.Conn)                    { d.conns = append(d.conns, c) }

// TestOneWayDelays: the SYN and the SYN,ACK seen at the capture point are
// a round trip to the server, the SYN,ACK and the ACK a round trip to the
// client; a retransmitted SYN counts from the last one; a simultaneous
// open and a capture without a handshake know nothing.
func TestOneWayDelays(t *testing.T) {
	cli, srv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	type seg struct {
		us         int
		fromClient bool
		flags      fsm.Flags
	}
	for _, c := range []struct {
		name            string
		segs            []seg
		toClient, toSrv time.Duration
		ok              bool
	}{
		{"handshake", []seg{{0, true, fsm.SYN}, {10000, false, fsm.SYN | fsm.ACK}, {12000, true, fsm.ACK}}, time.Millisecond, 5 * time.Millisecond, true},
		{"SYN resent", []seg{{0, true, fsm.SYN}, {1000000, true, fsm.SYN}, {1000400, false, fsm.SYN | fsm.ACK}, {1000500, true, fsm.ACK}}, 50 * time.Microsecond, 200 * time.Microsecond, true},
		{"simultaneous open", []seg{{0, true, fsm.SYN}, {5, false, fsm.SYN}, {20, false, fsm.SYN | fsm.ACK}, {30, true, fsm.SYN | fsm.ACK}, {40, true, fsm.ACK}}, 0, 0, false},
		{"mid-stream", []seg{{0, true, fsm.ACK}, {10, false, fsm.ACK}}, 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d doneConns
			tb := flow.NewTable(flow.Config{Timeline: true}, &d)
			for _, s := range c.segs {
				g := &fsm.Segment{Time: t0.Add(time.Duration(s.us) * time.Microsecond), Src: srv, Dst: cli, Seq: 5000, Ack: 1001, Flags: s.flags, Window: 1000}
				if s.fromClient {
					g.Src, g.Dst, g.Seq, g.Ack = cli, srv, 1000, 5001
				}
				if s.flags&fsm.ACK == 0 {
					g.Ack = 0
				}
				tb.Add(g)
			}
			tb.Close()
			if len(d.conns) != 1 {
				t.Fatalf("%d connections", len(d.conns))
			}
			toClient, toSrv, ok := OneWayDelays(d.conns[0])
			if toClient != c.toClient || toSrv != c.toSrv || ok != c.ok {
				t.Errorf("got %v, %v, %v; want %v, %v, %v", toClient, toSrv, ok, c.toClient, c.toSrv, c.ok)
			}
		})
	}
}

// TestLadderSVGFitsMarks: a violation's codes, written right of the
// server's lifeline, fit in the figure's width.
func TestLadderSVGFitsMarks(t *testing.T) {
	var out strings.Builder
	l := NewLadderSVG(&out, 1)
	tb := flow.NewTable(flow.Config{Timeline: true}, l)
	cli, srv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	// No control bits, and a SYN option without SYN: two codes on one mark.
	tb.Add(&fsm.Segment{Time: t0, Src: cli, Dst: srv, Seq: 1000, Window: 1000, Opts: fsm.Options{HasMSS: true, MSS: 1460}})
	tb.Close()
	if err := l.Close(&Totals{Connections: 1}); err != nil {
		t.Fatal(err)
	}
	svg := out.String()
	m := regexp.MustCompile(`class="fig ladder" width="([0-9.]+)"`).FindStringSubmatch(svg)
	v := regexp.MustCompile(`<g class="violation">.*?<text x="([0-9.]+)" y="[0-9.]+" text-anchor="start">([^<]+)</text>`).FindStringSubmatch(svg)
	if m == nil || v == nil {
		t.Fatalf("no width or no violation mark in:\n%s", svg)
	}
	width, _ := strconv.ParseFloat(m[1], 64)
	x, _ := strconv.ParseFloat(v[1], 64)
	if !strings.Contains(v[2], ",") {
		t.Errorf("the mark holds one code, %q; the test wants two", v[2])
	}
	if end := x + float64(len(v[2]))*sansChar; end > width {
		t.Errorf("the mark %q ends at about %.0f, past the figure's width %.0f", v[2], end, width)
	}
}

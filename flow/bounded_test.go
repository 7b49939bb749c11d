package flow

import (
	"math/rand/v2"
	"testing"

	"tcpflow-fsm/fsm"
)

// TestStormOnOneConnectionIsBounded: forged segments against one open
// connection (RSTs with new sequence numbers, which Zeek writes again each
// time; duplicate ACKs, each a segment event) leave what the connection
// keeps bounded in every mode, with the counts whole and what was left out
// counted.
func TestStormOnOneConnectionIsBounded(t *testing.T) {
	const n, max = 50000, 1000
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"json", Config{KeepSegEvents: true, EventsMax: max}},
		{"text", Config{Timeline: true, TimelineMax: max, EventsMax: max}},
		{"summary", Config{DropEvents: true}},
		{"live", Config{Unordered: true, EventsMax: max}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c collector
			tb := NewTable(tc.cfg, &c)
			tb.Add(seg(0, cli, srv, fsm.SYN, 100, 0))
			tb.Add(seg(1, srv, cli, fsm.SYN|fsm.ACK, 5000, 101))
			tb.Add(seg(2, cli, srv, fsm.ACK, 101, 5001))
			r := rand.New(rand.NewPCG(1, 2))
			for i := range n {
				// Duplicate ACKs from the server, and RSTs far outside the
				// window from forged peers in between.
				tb.Add(seg(3+i/100, srv, cli, fsm.ACK, 5001, 101))
				tb.Add(seg(3+i/100, cli, srv, fsm.RST, 100+(1<<20)+r.Uint32N(1<<30), 0))
			}
			tb.Close()
			if len(c.conns) != 1 {
				t.Fatalf("%d connections, want 1", len(c.conns))
			}
			conn := c.conns[0]
			if h := len(conn.Zeek.History(fsm.A)); h > MaxZeekHistory {
				t.Errorf("history of %d letters, over %d", h, MaxZeekHistory)
			}
			kept := len(conn.Events()) + len(conn.SegEvents()) + len(conn.Timeline())
			if kept > 3*max {
				t.Errorf("kept %d events and segments, bound %d", kept, 3*max)
			}
			if got := conn.SegCount(DuplicateAck); got < n-1 {
				t.Errorf("%d duplicate ACKs counted, want %d", got, n-1)
			}
			if tc.cfg.KeepSegEvents && conn.EventsDropped() == 0 {
				t.Error("events left out, but none counted as dropped")
			}
		})
	}
}

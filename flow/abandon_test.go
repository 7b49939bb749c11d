package flow

import (
	"testing"
	"time"

	"tcpflow-fsm/fsm"
)

// endRecorder records how each connection ended and its endpoints' states.
type endRecorder struct{ ends []string }

func (r *endRecorder) Event(*Conn, *Event)        {}
func (*endRecorder) Segment(*Conn, *SegmentEvent) {}
func (r *endRecorder) Done(c *Conn) {
	r.ends = append(r.ends, c.End.String()+" "+c.FSM.Endpoint(fsm.A).State.String()+" "+c.FSM.Endpoint(fsm.B).State.String())
}

// TestAbandon: with Config.Abandon, a connection quiet that long with an
// endpoint in SYN-RECEIVED or FIN-WAIT-2 is released as abandoned, and
// what comes after is a new connection; one in ESTABLISHED stays.
func TestAbandon(t *testing.T) {
	const minute = 60 * 1000 // ms
	for _, tc := range []struct {
		name string
		play func(tb *Table)
		want []string // how the connections ended, before Close
	}{
		{"SYN-RECEIVED", func(tb *Table) {
			tb.Add(seg(0, cli, srv, fsm.SYN, 100, 0))
			tb.Add(seg(1, srv, cli, fsm.SYN|fsm.ACK, 5000, 101))
			tb.Add(seg(31001, srv, cli, fsm.SYN|fsm.ACK, 5000, 101)) // resent: the quiet runs from here
		}, nil},
		{"FIN-WAIT-2", func(tb *Table) {
			openOn(tb, 0, 100)
			tb.Add(seg(10, cli, srv, fsm.FIN|fsm.ACK, 101, 5001))
			tb.Add(seg(11, srv, cli, fsm.ACK, 5001, 102))
		}, nil},
		{"ESTABLISHED", func(tb *Table) { openOn(tb, 0, 100) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &endRecorder{}
			tb := NewTable(Config{Unordered: true, Abandon: 2 * time.Minute}, r)
			tc.play(tb)
			// As live does, the clock read at least once a second.
			last := tb.Now()
			for d := time.Second; d < 2*time.Minute; d += time.Second {
				tb.Advance(last.Add(d))
			}
			tb.Advance(last.Add(2*time.Minute - time.Millisecond))
			if len(r.ends) != 0 {
				t.Fatalf("released before 2 minutes of quiet: %q", r.ends)
			}
			tb.Advance(last.Add(2 * time.Minute))
			switch {
			case tc.name == "ESTABLISHED" && len(r.ends) != 0:
				t.Fatalf("an established connection released: %q", r.ends)
			case tc.name != "ESTABLISHED" && (len(r.ends) != 1 || r.ends[0][:10] != "abandoned "):
				t.Fatalf("after 2 minutes of quiet in %s: %q, want abandoned", tc.name, r.ends)
			}
			if tc.name != "ESTABLISHED" && tb.Stats.Evicted != 1 {
				t.Errorf("Stats.Evicted %d, want 1", tb.Stats.Evicted)
			}
			// A later segment starts a new connection.
			tb.Add(seg(5*minute, srv, cli, fsm.ACK, 5001, 102))
			if tc.name != "ESTABLISHED" && tb.Stats.Connections != 2 {
				t.Errorf("the segment after the release: %d connections, want 2", tb.Stats.Connections)
			}
		})
	}
}

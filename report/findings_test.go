package report

import (
	"net/netip"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// tallySink feeds a Tally the table's events.
type tallySink struct{ t Tally }

func (s *tallySink) Event(_ *flow.Conn, e *flow.Event)    { s.t.Observe(e) }
func (*tallySink) Segment(*flow.Conn, *flow.SegmentEvent) {}
func (s *tallySink) Done(*flow.Conn)                      {}

// A connection first seen without its handshake counts once as mid-stream;
// one seen from its SYN does not.
func TestTallyMidstream(t *testing.T) {
	sink := &tallySink{}
	table := flow.NewTable(flow.Config{Unordered: true}, sink)
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	add := func(ms int, src, dst string, fl fsm.Flags, seq, ack uint32) {
		table.Add(&fsm.Segment{Time: t0.Add(time.Duration(ms) * time.Millisecond), Src: netip.MustParseAddrPort(src),
			Dst: netip.MustParseAddrPort(dst), Flags: fl, Seq: fsm.Seq(seq), Ack: fsm.Seq(ack), Window: 1000, PayloadLen: 10})
	}
	add(0, "10.0.0.1:40000", "10.0.0.2:80", fsm.ACK|fsm.PSH, 100, 900) // mid-stream
	add(1, "10.0.0.2:80", "10.0.0.1:40000", fsm.ACK, 900, 110)
	add(2, "10.0.0.1:40001", "10.0.0.2:80", fsm.SYN, 5, 0) // from its SYN
	if sink.t.Midstream != 1 {
		t.Errorf("mid-stream %d, want 1", sink.t.Midstream)
	}
}

package flow

import (
	"testing"

	"tcpflow-fsm/fsm"
)

// inVLAN tags s with VLAN ID v (0: untagged) and returns it.
func inVLAN(s *fsm.Segment, v uint16) *fsm.Segment {
	s.Zone = fsm.Zone{VLAN: [2]uint16{v}}
	return s
}

// The same 4-tuple talking both ways in two VLANs is two connections; a
// mirror that tags one direction only shows one connection in two VLANs,
// which the table joins while the connection has seen nothing from the
// reply's sender.
func TestVLANsOfAConnection(t *testing.T) {
	t.Run("two VLANs, two connections", func(t *testing.T) {
		var c collector
		tb := NewTable(Config{}, &c)
		tb.Add(inVLAN(seg(0, cli, srv, fsm.SYN, 100, 0), 0))
		tb.Add(inVLAN(seg(1, cli, srv, fsm.SYN, 100, 0), 42))
		tb.Add(inVLAN(seg(2, srv, cli, fsm.SYN|fsm.ACK, 500, 101), 0))
		tb.Add(inVLAN(seg(3, srv, cli, fsm.SYN|fsm.ACK, 500, 101), 42))
		tb.Close()
		if len(c.conns) != 2 {
			t.Fatalf("%d connections, want 2", len(c.conns))
		}
		for _, conn := range c.conns {
			if _, split := conn.ReplyVLAN(); split {
				t.Errorf("conn %d (%v) joined across VLANs", conn.ID, conn.Zone())
			}
			if conn.Packets[fsm.A] != 1 || conn.Packets[fsm.B] != 1 {
				t.Errorf("conn %d in %v has packets %v, want one each way", conn.ID, conn.Zone(), conn.Packets)
			}
		}
	})
	t.Run("one direction tagged", func(t *testing.T) {
		var c collector
		tb := NewTable(Config{}, &c)
		tb.Add(inVLAN(seg(0, cli, srv, fsm.SYN, 100, 0), 3136))
		tb.Add(inVLAN(seg(1, srv, cli, fsm.SYN|fsm.ACK, 500, 101), 0))
		tb.Add(inVLAN(seg(2, cli, srv, fsm.ACK, 101, 501), 3136))
		tb.Add(inVLAN(seg(3, srv, cli, fsm.ACK, 501, 101), 0))
		tb.Close()
		if len(c.conns) != 1 {
			t.Fatalf("%d connections, want 1", len(c.conns))
		}
		conn := c.conns[0]
		v, split := conn.ReplyVLAN()
		if !split || v != [2]uint16{} || conn.Zone().VLAN != [2]uint16{3136} {
			t.Errorf("zone %v, reply VLAN %v %v; want vlan 3136, replies untagged", conn.Zone(), v, split)
		}
		if got := conn.FSM.Endpoint(fsm.B).State; got != fsm.Established {
			t.Errorf("server %v, want ESTABLISHED", got)
		}
	})
	t.Run("a third VLAN is another connection", func(t *testing.T) {
		var c collector
		tb := NewTable(Config{}, &c)
		tb.Add(inVLAN(seg(0, cli, srv, fsm.SYN, 100, 0), 10))
		tb.Add(inVLAN(seg(1, srv, cli, fsm.SYN|fsm.ACK, 500, 101), 20))
		tb.Add(inVLAN(seg(2, srv, cli, fsm.SYN|fsm.ACK, 500, 101), 30))
		tb.Close()
		if len(c.conns) != 2 {
			t.Fatalf("%d connections, want 2", len(c.conns))
		}
	})
}

type collector struct{ conns []*Conn }

func (c *collector) Event(*Conn, *Event)        {}
func (*collector) Segment(*Conn, *SegmentEvent) {}
func (c *collector) Done(conn *Conn)            { c.conns = append(c.conns, conn) }

package main

import (
	"encoding/binary"
	"io"
	"testing"
	"time"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

// The per-packet path, the packet step offline and live share (packets):
// decode → flow lookup → state machine → events → renderer, must not
// allocate once a connection is established: issue 6 asks for 0 allocs/op. The steady state here is a connection in
// ESTABLISHED with 1448-octet segments one way and ACKs the other, fed as
// Ethernet frames, with the renderers of summary mode and JSON mode.

// steadyConn builds the frames of one connection and rewrites their
// sequence numbers as the transfer goes on.
type steadyConn struct {
	frame [14 + 20 + 32 + 1448]byte
	ack   [14 + 20 + 32]byte
	seq   uint32
	t     fsm.Time
	pkt   capture.Packet
}

// tcpFrame writes an Ethernet, IPv4 and TCP header (with a timestamps
// option) into b, for payload octets after them.
func tcpFrame(b []byte, src, dst [4]byte, sport, dport uint16, flags byte, payload int) {
	copy(b[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:34]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], uint16(20+32+payload))
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	tcp := b[34:66]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	tcp[12], tcp[13] = 8<<4, flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	copy(tcp[20:], []byte{1, 1, 8, 10}) // NOP NOP TS
}

func newSteadyConn() *steadyConn {
	s := &steadyConn{t: fsm.TimeOf(time.Unix(1700000000, 0))}
	client, server := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	tcpFrame(s.frame[:], server, client, 80, 40000, 0x18, 1448)
	tcpFrame(s.ack[:], client, server, 40000, 80, 0x10, 0)
	return s
}

// handshake feeds the three segments of the handshake.
func (s *steadyConn) handshake(ps *packets) {
	var b [14 + 20 + 32]byte
	for _, h := range []struct {
		src, dst     [4]byte
		sport, dport uint16
		flags        byte
		seq, ack     uint32
	}{
		{[4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, 40000, 80, 0x02, 999, 0},
		{[4]byte{10, 0, 0, 2}, [4]byte{10, 0, 0, 1}, 80, 40000, 0x12, 0xfffff000, 1000},
		{[4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, 40000, 80, 0x10, 1000, 0xfffff001},
	} {
		tcpFrame(b[:], h.src, h.dst, h.sport, h.dport, h.flags, 0)
		binary.BigEndian.PutUint32(b[38:], h.seq)
		binary.BigEndian.PutUint32(b[42:], h.ack)
		s.feed(ps, b[:])
	}
	s.seq = 0xfffff001
}

// feed hands one frame to the packet step offline and live share.
func (s *steadyConn) feed(ps *packets, b []byte) {
	s.t = s.t.Add(10 * time.Microsecond)
	s.pkt = capture.Packet{Time: s.t, LinkType: capture.LinkTypeEthernet, Data: b, OrigLen: len(b)}
	binary.BigEndian.PutUint32(b[58:], uint32(s.t.Time().UnixMicro())) // TSval
	ps.packet(&s.pkt)
}

// step sends one data segment from the server and the client's ACK of it.
func (s *steadyConn) step(ps *packets) {
	binary.BigEndian.PutUint32(s.frame[38:], s.seq)
	binary.BigEndian.PutUint32(s.frame[42:], 1000)
	s.feed(ps, s.frame[:])
	s.seq += 1448
	binary.BigEndian.PutUint32(s.ack[38:], 1000)
	binary.BigEndian.PutUint32(s.ack[42:], s.seq)
	s.feed(ps, s.ack[:])
}

// pipelineModes are the configurations of summary mode and JSON mode, as
// analyse sets them, with their renderers.
var pipelineModes = []struct {
	name string
	cfg  flow.Config
	sink func() flow.Sink
}{
	{"summary", flow.Config{DropEvents: true, MaxConns: defaultMaxConns},
		func() flow.Sink { return report.NewText(io.Discard, false) }},
	{"json", flow.Config{MaxConns: defaultMaxConns},
		func() flow.Sink { return report.NewJSON(io.Discard) }},
}

func BenchmarkPipeline(b *testing.B) {
	for _, m := range pipelineModes {
		b.Run(m.name, func(b *testing.B) {
			ps := newPackets(&options{}, flow.NewTable(m.cfg, m.sink()))
			s := newSteadyConn()
			s.handshake(&ps)
			b.ReportAllocs()
			b.SetBytes(int64(len(s.frame) + len(s.ack)))
			b.ResetTimer()
			for b.Loop() {
				s.step(&ps)
			}
		})
	}
}

func TestPipelineDoesNotAllocate(t *testing.T) {
	if raceEnabled() {
		t.Skip("the race detector allocates")
	}
	for _, m := range pipelineModes {
		table := flow.NewTable(m.cfg, m.sink())
		ps := newPackets(&options{}, table)
		s := newSteadyConn()
		s.handshake(&ps)
		for range 100 { // past the first segments' one-time growth
			s.step(&ps)
		}
		if n := testing.AllocsPerRun(1000, func() { s.step(&ps) }); n != 0 {
			t.Errorf("%s: %v allocations per data segment and its ACK, want 0", m.name, n)
		}
		var st fsm.State
		violations := -1
		table.Each(func(c *flow.Conn) { st, violations = c.FSM.Endpoint(fsm.A).State, int(c.Violations) })
		if st != fsm.Established || table.Stats.Segments < 2000 || violations != 0 {
			t.Errorf("%s: the connection is %v with %d violations after %d segments, want ESTABLISHED and none",
				m.name, st, violations, table.Stats.Segments)
		}
	}
}

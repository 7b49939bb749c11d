package flow

import (
	"net/netip"
	"testing"

	"tcpflow-fsm/fsm"
)

// zseg is one segment of a Zeek scenario: sender, flags, seq and ack as
// offsets from the sender's and receiver's ISN, payload length, window.
type zseg struct {
	from     fsm.Side
	flags    fsm.Flags
	seq, ack uint32
	n        int
	zeroWin  bool
	bad      fsm.Malformed
}

// zeekOf feeds the segments to a Zeek model: A is 10.0.0.1:40000, B is
// 10.0.0.2:80, a likely server port.
func zeekOf(segs []zseg) *Zeek {
	return zeekPorts(40000, 80, segs)
}

// zeekPorts is zeekOf with A and B on the given ports. ISNs near 2^32
// make every scenario cross the wrap.
func zeekPorts(portA, portB uint16, segs []zseg) *Zeek {
	isn := [2]uint32{0xFFFFFFF0, 0x10000}
	addr := [2]netip.AddrPort{
		netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), portA),
		netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), portB),
	}
	var z Zeek
	for _, s := range segs {
		win := uint16(1000)
		if s.zeroWin || s.flags&fsm.RST != 0 {
			win = 0
		}
		seg := fsm.Segment{Src: addr[s.from], Dst: addr[s.from^1], Flags: s.flags,
			Seq: fsm.Seq(isn[s.from] + s.seq), Ack: fsm.Seq(isn[s.from^1] + s.ack),
			PayloadLen: s.n, Captured: s.n, Window: win, Malformed: s.bad}
		z.update(s.from, &seg)
	}
	return &z
}

const (
	a = fsm.A
	b = fsm.B
)

var (
	syn    = zseg{from: a, flags: fsm.SYN}
	synack = zseg{from: b, flags: fsm.SYN | fsm.ACK, ack: 1}
	ack3   = zseg{from: a, flags: fsm.ACK, seq: 1, ack: 1}
	dataA  = zseg{from: a, flags: fsm.ACK | fsm.PSH, seq: 1, ack: 1, n: 6}
	ackA   = zseg{from: b, flags: fsm.ACK, seq: 1, ack: 7}
	dataB  = zseg{from: b, flags: fsm.ACK | fsm.PSH, seq: 1, ack: 7, n: 6}
	ackB   = zseg{from: a, flags: fsm.ACK, seq: 7, ack: 7}
)

// Expected values derived by hand from Zeek's rules (REFERENCE §3; Zeek's
// TCPSessionAdapter.cc update_history and UpdateStateMachine, and
// conn/main.zeek conn_state), the reasoning beside each case.
func TestZeekConnStateAndHistory(t *testing.T) {
	exchange := []zseg{syn, synack, ack3, dataA, ackA, dataB, ackB}
	for _, tc := range []struct {
		name, state, history string
		segs                 []zseg
	}{
		// Client SYN: S. Server SYN,ACK: h. Client's pure ACK: A (once).
		// Data each way: D, d; the server's pure ACK: a. Client FIN: F,
		// server FIN: f; later pure ACKs add nothing (A, a shown once).
		// Both endpoints CLOSED: SF. Zeek documents normal HTTP as
		// ShADadFf, SF (zeek issue #4954).
		{"normal close, client first", "SF", "ShADadFf", append(exchange[:7:7],
			zseg{from: a, flags: fsm.FIN | fsm.ACK, seq: 7, ack: 7},
			zseg{from: b, flags: fsm.ACK, seq: 7, ack: 8},
			zseg{from: b, flags: fsm.FIN | fsm.ACK, seq: 7, ack: 8},
			zseg{from: a, flags: fsm.ACK, seq: 8, ack: 8})},
		// SYN answered by RST,ACK: S, r. The responder goes RESET while the
		// originator is still SYN_SENT: REJ.
		{"refused", "REJ", "Sr", []zseg{syn, {from: b, flags: fsm.RST | fsm.ACK, seq: 0, ack: 1}}},
		// SYNs never answered, retransmitted with the same ISN: a repeated
		// SYN adds S only when its sequence number changes, so one S.
		// Originator SYN_SENT, responder INACTIVE: S0.
		{"unanswered SYNs", "S0", "S", []zseg{syn, syn, syn}},
		// The client's FIN, the server's ACK and more data, no FIN back:
		// originator CLOSED, responder ESTABLISHED: S2.
		{"half-close", "S2", "ShADadF", append(exchange[:7:7],
			zseg{from: a, flags: fsm.FIN | fsm.ACK, seq: 7, ack: 7},
			zseg{from: b, flags: fsm.ACK | fsm.PSH, seq: 7, ack: 8, n: 5},
			zseg{from: a, flags: fsm.ACK, seq: 8, ack: 12})},
		// The client aborts with RST: R. Originator RESET, responder
		// established: RSTO.
		{"client abort", "RSTO", "ShADadR", append(exchange[:7:7], zseg{from: a, flags: fsm.RST | fsm.ACK, seq: 7, ack: 7})},
		// The server aborts: r. Responder RESET, originator established:
		// RSTR.
		{"server abort", "RSTR", "ShADadr", append(exchange[:7:7], zseg{from: b, flags: fsm.RST | fsm.ACK, seq: 7, ack: 7})},
		// Simultaneous open: S, then the responder's bare SYN: s (Zeek's
		// simultaneous_open weird; both ESTABLISHED). The SYN,ACKs repeat
		// each side's SYN sequence number, and S/H share one history bit,
		// so no H or h. Then the ACKs: A, a. Both ESTABLISHED: S1.
		{"simultaneous open", "S1", "SsAa", []zseg{syn, {from: b, flags: fsm.SYN},
			{from: a, flags: fsm.SYN | fsm.ACK, ack: 1}, {from: b, flags: fsm.SYN | fsm.ACK, ack: 1},
			{from: a, flags: fsm.ACK, seq: 1, ack: 1}, {from: b, flags: fsm.ACK, seq: 1, ack: 1}}},
		// Crossing FINs, the server's captured first: f, F. Both closed: SF.
		{"simultaneous close", "SF", "ShADadfF", append(exchange[:7:7],
			zseg{from: b, flags: fsm.FIN | fsm.ACK, seq: 7, ack: 7},
			zseg{from: a, flags: fsm.FIN | fsm.ACK, seq: 7, ack: 7},
			zseg{from: b, flags: fsm.ACK, seq: 8, ack: 8},
			zseg{from: a, flags: fsm.ACK, seq: 8, ack: 8})},
		// The client's retransmitted data: T at the 1st occurrence only
		// (log-scaled: the next at the 10th). A zero window from the
		// server: w.
		{"retransmission and zero window", "S1", "ShADTaw", []zseg{syn, synack, ack3, dataA, dataA,
			{from: b, flags: fsm.ACK, seq: 1, ack: 7}, {from: b, flags: fsm.ACK, seq: 1, ack: 7, zeroWin: true}}},
		// Mid-stream: data both ways, no SYN: both PARTIAL, so neither is
		// ESTABLISHED nor closed: OTH.
		{"mid-stream", "OTH", "Dd", []zseg{dataA, dataB}},
		// Originator SYN then RST with no answer: RSTOS0.
		{"SYN then RST", "RSTOS0", "SR", []zseg{syn, {from: a, flags: fsm.RST, seq: 1}}},
		// A SYN,ACK from port 80 first: Zeek takes its sender for the
		// responder (^), then its RST, and no SYN from the originator:
		// RSTRH.
		{"SYN,ACK then RST", "RSTRH", "^hr", []zseg{{from: b, flags: fsm.SYN | fsm.ACK, ack: 1}, {from: b, flags: fsm.RST, seq: 1}}},
		// Originator SYN then FIN, no SYN,ACK: SH.
		{"SYN then FIN", "SH", "SF", []zseg{syn, {from: a, flags: fsm.FIN | fsm.ACK, seq: 1, ack: 1}}},
		// A SYN with FIN: q (multi-flag), once.
		{"SYN and FIN together", "SH", "Q", []zseg{{from: a, flags: fsm.SYN | fsm.FIN}}},
	} {
		z := zeekOf(tc.segs)
		if got := z.History(a); got != tc.history {
			t.Errorf("%s: history %q, want %q", tc.name, got, tc.history)
		}
		if got := z.ConnState(a); got != tc.state {
			t.Errorf("%s: conn_state %s, want %s", tc.name, got, tc.state)
		}
	}
}

func TestZeekScaledLetters(t *testing.T) {
	segs := []zseg{syn, synack, ack3, dataA}
	for range 12 {
		segs = append(segs, dataA)
	}
	// 12 retransmissions: t at the 1st and at the 10th.
	if got := zeekOf(segs).History(a); got != "ShADTT" {
		t.Errorf("history %q, want ShADTT", got)
	}
}

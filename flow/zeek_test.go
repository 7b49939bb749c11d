package flow

import (
	"net/netip"
	"strings"
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

// Zeek's originator is the first packet's sender unless that packet is no
// bare SYN and its source port is a likely server port (WantConnection),
// and the roles swap later on a SYN answering a first SYN,ACK and on an
// ACK or data after one. Each case below says which rule applies.
func TestZeekOriginator(t *testing.T) {
	for _, tc := range []struct {
		name         string
		portA, portB uint16
		state, hist  string
		orig         fsm.Side
		segs         []zseg
	}{
		// A client on port 1001, below its server's 5999: the SYN's
		// sender is the originator whatever the ports.
		{"low-port client, unanswered", 1001, 5999, "S0", "S", a, []zseg{syn, syn}},
		{"low-port client, refused", 1001, 5999, "REJ", "Sr", a,
			[]zseg{syn, {from: b, flags: fsm.RST | fsm.ACK, ack: 1}}},
		{"low-port client, SYN then its RST", 1001, 5999, "RSTOS0", "SR", a,
			[]zseg{syn, {from: a, flags: fsm.RST, seq: 1}}},
		// Data first from port 80 to 40000: the sender is taken for the
		// responder, '^' first.
		{"mid-stream from the server port", 40000, 80, "OTH", "^dD", a, []zseg{dataB, dataA}},
		// Both ports likely (443 and 80): flipped only when the first
		// packet is no SYN and its source port is the lower.
		{"both likely, lower port first", 443, 80, "OTH", "^dD", a, []zseg{dataB, dataA}},
		{"both likely, higher port first", 443, 80, "OTH", "Dd", a, []zseg{dataA, dataB}},
		// A SYN,ACK first, both ports likely: not flipped at once, but at
		// the ACK after it, and written as if flipped from the start.
		{"SYN,ACK then ACK, both likely", 443, 80, "S1", "^hA", a,
			[]zseg{{from: b, flags: fsm.SYN | fsm.ACK, ack: 1}, ack3}},
		// A SYN,ACK first on ports no script names: its sender stays the
		// originator, alone it is OTH.
		{"lone SYN,ACK, unknown ports", 40000, 5999, "OTH", "H", b,
			[]zseg{{from: b, flags: fsm.SYN | fsm.ACK, ack: 1}}},
		// Then the SYN it answers: the two were captured reversed, so the
		// roles swap at the SYN, whose letter is already written as the
		// responder's.
		{"SYN after its SYN,ACK, unknown ports", 40000, 5999, "S1", "Hs^A", a,
			[]zseg{{from: b, flags: fsm.SYN | fsm.ACK, ack: 1}, syn, ack3}},
	} {
		z := zeekPorts(tc.portA, tc.portB, tc.segs)
		if o, _ := z.Originator(); o != tc.orig {
			t.Errorf("%s: originator %v, want %v", tc.name, o, tc.orig)
		}
		if got := z.History(a); got != tc.hist {
			t.Errorf("%s: history %q, want %q", tc.name, got, tc.hist)
		}
		if got := z.ConnState(a); got != tc.state {
			t.Errorf("%s: conn_state %s, want %s", tc.name, got, tc.state)
		}
	}
}

// Content gaps, bad checksums, zero windows and retransmissions, by
// Zeek's rules (TCPSessionAdapter.cc Process; TCP_Reassembler.cc
// AckReceived, Undelivered, Gap).
func TestZeekGapsChecksumsWindows(t *testing.T) {
	est := []zseg{syn, synack, ack3, dataA, ackA}
	for _, tc := range []struct {
		name, state, hist string
		segs              []zseg
	}{
		// A's octets 7-12 never captured, 13-18 captured, B acknowledges
		// 19: one hole below the ACK, one G.
		{"hole below an ACK", "S1", "ShADaG", append(est[:5:5],
			zseg{from: a, flags: fsm.ACK, seq: 13, ack: 1, n: 6},
			zseg{from: b, flags: fsm.ACK, seq: 1, ack: 19})},
		// The hole filled before the ACK: no gap, but the filling data
		// does not reach past the highest sent, so Zeek counts it a
		// retransmission: T.
		{"hole filled", "S1", "ShADaT", append(est[:5:5],
			zseg{from: a, flags: fsm.ACK, seq: 13, ack: 1, n: 6},
			zseg{from: a, flags: fsm.ACK, seq: 7, ack: 1, n: 6},
			zseg{from: b, flags: fsm.ACK, seq: 1, ack: 19})},
		// The missing octets acknowledged by a RST: its sender is no
		// longer cleanly established, so no gap.
		{"hole acknowledged by a RST", "RSTR", "ShADar", append(est[:5:5],
			zseg{from: b, flags: fsm.RST | fsm.ACK, seq: 1, ack: 19})},
		// Mid-stream: neither endpoint is established, gaps are not
		// counted.
		{"mid-stream hole", "OTH", "Dd", []zseg{dataA, {from: b, flags: fsm.ACK | fsm.PSH, seq: 1, ack: 50, n: 6}}},
		// A bad checksum: C for the originator, the segment otherwise
		// ignored, so nothing else happens: OTH.
		{"bad checksum SYN", "OTH", "C", []zseg{{from: a, flags: fsm.SYN, bad: fsm.BadSum}}},
		{"bad checksum SYN,ACK", "S0", "Sc", []zseg{syn, {from: b, flags: fsm.SYN | fsm.ACK, ack: 1, bad: fsm.BadSum}}},
		// A zero window counts on a SYN too.
		{"zero window SYN", "S0", "SW", []zseg{{from: a, flags: fsm.SYN, zeroWin: true}}},
		// Zeek sets a SYN's sender's sequence space to end past the SYN's
		// own data, so data on a SYN is taken for a retransmission: T.
		{"data on the SYN", "S0", "ST", []zseg{{from: a, flags: fsm.SYN, n: 10}}},
	} {
		z := zeekOf(tc.segs)
		if got := z.History(a); got != tc.hist {
			t.Errorf("%s: history %q, want %q", tc.name, got, tc.hist)
		}
		if got := z.ConnState(a); got != tc.state {
			t.Errorf("%s: conn_state %s, want %s", tc.name, got, tc.state)
		}
	}
}

// Gaps are log-scaled like retransmissions: G at the 1st and 10th.
func TestZeekScaledGaps(t *testing.T) {
	segs := []zseg{syn, synack, ack3}
	for i := range uint32(12) {
		// 6 octets sent, 6 skipped, each time acknowledged past both.
		seq := 1 + 12*i
		segs = append(segs,
			zseg{from: a, flags: fsm.ACK, seq: seq + 6, ack: 1, n: 6},
			zseg{from: b, flags: fsm.ACK, seq: 1, ack: seq + 12})
	}
	if got := zeekOf(segs).History(a); got != "ShADaGG" {
		t.Errorf("history %q, want ShADaGG", got)
	}
}

// A history longer than the 14 letters kept in place goes on in the part
// allocated when needed, and reads whole.
func TestZeekLongHistory(t *testing.T) {
	// The originator's SYN, then 15 RSTs, each at a new sequence number:
	// an R each (a RST repeats its letter when its sequence number
	// changes). Still RSTOS0: no H A F G I Q between S and R.
	segs := []zseg{syn}
	for i := range uint32(15) {
		segs = append(segs, zseg{from: a, flags: fsm.RST, seq: 1 + i})
	}
	z := zeekOf(segs)
	want := "S" + strings.Repeat("R", 15)
	if got := z.History(a); got != want {
		t.Errorf("history %q, want %q", got, want)
	}
	if got := string(z.AppendHistory([]byte("x"), a)); got != "x"+want {
		t.Errorf("AppendHistory %q, want %q", got, "x"+want)
	}
	if got := z.ConnState(a); got != "RSTOS0" {
		t.Errorf("conn_state %s, want RSTOS0", got)
	}
	if z.OnlyResets() {
		t.Error("OnlyResets with a SYN in the history")
	}
	// A lone RST from port 80: flipped, "^r", and only resets.
	z = zeekOf([]zseg{{from: b, flags: fsm.RST, seq: 1}})
	if got := z.History(a); got != "^r" || !z.OnlyResets() {
		t.Errorf("history %q, OnlyResets %v; want ^r, true", got, z.OnlyResets())
	}
}

// FuzzZeek feeds the model arbitrary segments: it must not panic, write
// only Zeek's history letters, and name only Zeek's conn_state values.
func FuzzZeek(f *testing.F) {
	f.Add([]byte{0, 0x02, 0, 0, 1, 0x12, 0, 1, 0, 0x10, 1, 1, 0, 0x18, 13, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		var segs []zseg
		for ; len(data) >= 4; data = data[4:] {
			segs = append(segs, zseg{from: fsm.Side(data[0] & 1), flags: fsm.Flags(data[1]),
				seq: uint32(data[2]) * 7, ack: uint32(data[3]) * 7, n: int(data[2]>>4) * 3,
				zeroWin: data[0]&2 != 0, bad: fsm.Malformed(data[0]>>2&1) * fsm.BadSum})
		}
		z := zeekPorts(uint16(len(segs))*997, 80, segs)
		for _, c := range z.History(a) {
			if !strings.ContainsRune("^SHADFRIQTWGCshadfriqtwgc", c) {
				t.Fatalf("history %q has %q", z.History(a), c)
			}
		}
		switch s := z.ConnState(a); s {
		case "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH":
		default:
			t.Fatalf("conn_state %q", s)
		}
	})
}

package fsm

import (
	"fmt"
	"testing"
	"time"
)

// ISNs near 2^32 so that every scenario crosses the wrap.
const (
	isnA = 0xFFFFFFF0
	isnB = 0xFFFFFF00

	zeroFromB = 1<<32 - isnB // the offset that makes B's SEQ zero
)

// step is one segment of a scenario and the states both endpoints must be
// in after it.
type step struct {
	from     Side
	flags    Flags
	seq, ack uint32 // offsets from the sender's and receiver's ISN
	len      int
	wantA    State
	wantB    State
	codes    []Code
	win      int // advertised window; 0 means 1000, -1 means zero
	opts     Options
	mal      Malformed
}

func (st step) segment(t0 Time, i int) Segment {
	seqBase, ackBase := uint32(isnA), uint32(isnB)
	if st.from == B {
		seqBase, ackBase = isnB, isnA
	}
	win := uint16(1000)
	switch {
	case st.win < 0:
		win = 0
	case st.win > 0:
		win = uint16(st.win)
	}
	return Segment{
		Time:       t0.Add(time.Duration(i) * time.Millisecond),
		Seq:        Seq(seqBase + st.seq),
		Ack:        Seq(ackBase + st.ack),
		Flags:      st.flags,
		Window:     win,
		PayloadLen: st.len,
		Opts:       st.opts,
		Malformed:  st.mal,
	}
}

// run drives a scenario through a fresh connection and checks every step.
// It returns the connection and all events.
func run(t *testing.T, steps []step) (*Conn, []Event) {
	t.Helper()
	c := NewConn(Config{}, false)
	t0 := TimeOf(time.Unix(1700000000, 0))
	var all []Event
	for i, st := range steps {
		seg := st.segment(t0, i)
		evs := c.Step(st.from, &seg)
		all = append(all, evs...)
		// codes lists violations and notes alike; each must be of the
		// kind its catalog entry says, about the endpoint it blames.
		var codes []Code
		for _, e := range evs {
			if e.Kind != Violation && e.Kind != Note {
				continue
			}
			codes = append(codes, e.Code)
			info := e.Code.Info()
			wantKind, wantSide := Violation, st.from
			if info.Fault == FaultNone {
				wantKind = Note
				if !info.NoteOfSender {
					wantSide = st.from.Other()
				}
			}
			if e.Kind != wantKind || e.Side != wantSide && e.Seg == i+1 {
				t.Fatalf("step %d: %v is kind %v about %v, want kind %v about %v", i+1, e.Code, e.Kind, e.Side, wantKind, wantSide)
			}
		}
		a, b := c.Endpoint(A).State, c.Endpoint(B).State
		if a != st.wantA || b != st.wantB {
			t.Fatalf("step %d (%v from %c, seq+%d ack+%d len %d): states A=%v B=%v, want A=%v B=%v\nevents: %v",
				i+1, st.flags, 'A'+st.from, st.seq, st.ack, st.len, a, b, st.wantA, st.wantB, evs)
		}
		if fmt.Sprint(codes) != fmt.Sprint(st.codes) {
			t.Fatalf("step %d: violations %v, want %v", i+1, codes, st.codes)
		}
	}
	return c, all
}

func transitions(evs []Event, side Side) string {
	s := ""
	for _, e := range evs {
		if e.Kind == Transition && e.Side == side {
			s += e.From.String() + ">" + e.To.String() + " "
		}
	}
	return s
}

// TestRFC9293_Figure6_ThreeWayHandshake:
//
//	    TCP Peer A                                           TCP Peer B
//	1.  CLOSED                                               LISTEN
//	2.  SYN-SENT    --> <SEQ=100><CTL=SYN>               --> SYN-RECEIVED
//	3.  ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>  <-- SYN-RECEIVED
//	4.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK>       --> ESTABLISHED
//	5.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK><DATA> --> ESTABLISHED
func TestRFC9293_Figure6_ThreeWayHandshake(t *testing.T) {
	c, evs := run(t, []step{
		// B answers only later: until then it is unknown whether a
		// listener or a closed port got the SYN.
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 1, ack: 1, wantA: Established, wantB: Established},
		{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 10, wantA: Established, wantB: Established},
	})
	if got := transitions(evs, B); got != "LISTEN>SYN-RECEIVED SYN-RECEIVED>ESTABLISHED " {
		t.Errorf("B's transitions: %s", got)
	}
	// The listener's transition is dated at the SYN that caused it.
	for _, e := range evs {
		if e.Side == B && e.To == SynReceived && e.Seg != 1 {
			t.Errorf("LISTEN > SYN-RECEIVED attributed to segment %d, want 1", e.Seg)
		}
	}
	if cl, ok := c.Client(); !ok || cl != A {
		t.Errorf("client = %v %v, want A", cl, ok)
	}
	if !c.Endpoint(B).Passive {
		t.Error("B entered SYN-RECEIVED from LISTEN: must be marked passive")
	}
}

// TestRFC9293_Figure7_SimultaneousOpen:
//
//	    TCP Peer A                                       TCP Peer B
//	1.  CLOSED                                           CLOSED
//	2.  SYN-SENT     --> <SEQ=100><CTL=SYN>              ...
//	3.  SYN-RECEIVED <-- <SEQ=300><CTL=SYN>              <-- SYN-SENT
//	4.               ... <SEQ=100><CTL=SYN>              --> SYN-RECEIVED
//	5.  SYN-RECEIVED --> <SEQ=100><ACK=301><CTL=SYN,ACK> ...
//	6.  ESTABLISHED  <-- <SEQ=300><ACK=101><CTL=SYN,ACK> <-- SYN-RECEIVED
//	7.               ... <SEQ=100><ACK=301><CTL=SYN,ACK> --> ESTABLISHED
func TestRFC9293_Figure7_SimultaneousOpen(t *testing.T) {
	c, evs := run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN, wantA: SynReceived, wantB: SynReceived},
		{from: A, flags: SYN | ACK, ack: 1, wantA: SynReceived, wantB: Established},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: Established},
	})
	if got := transitions(evs, B); got != "CLOSED>SYN-SENT SYN-SENT>SYN-RECEIVED SYN-RECEIVED>ESTABLISHED " {
		t.Errorf("B's transitions: %s", got)
	}
	if c.Endpoint(A).Passive || c.Endpoint(B).Passive {
		t.Error("both opened actively")
	}
}

// TestRFC9293_Figure12_NormalClose:
//
//	    TCP Peer A                                           TCP Peer B
//	1.  ESTABLISHED                                          ESTABLISHED
//	2.  (Close)
//	    FIN-WAIT-1  --> <SEQ=100><ACK=300><CTL=FIN,ACK>  --> CLOSE-WAIT
//	3.  FIN-WAIT-2  <-- <SEQ=300><ACK=101><CTL=ACK>      <-- CLOSE-WAIT
//	4.                                                       (Close)
//	    TIME-WAIT   <-- <SEQ=300><ACK=101><CTL=FIN,ACK>  <-- LAST-ACK
//	5.  TIME-WAIT   --> <SEQ=101><ACK=301><CTL=ACK>      --> CLOSED
func TestRFC9293_Figure12_NormalClose(t *testing.T) {
	c, evs := run(t, append(handshake(), []step{
		// B's CLOSE-WAIT is confirmed by its ACK of the FIN.
		{from: A, flags: FIN | ACK, seq: 1, ack: 1, wantA: FinWait1, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 2, wantA: FinWait2, wantB: CloseWait},
		{from: B, flags: FIN | ACK, seq: 1, ack: 2, wantA: TimeWait, wantB: LastAck},
		{from: A, flags: ACK, seq: 2, ack: 2, wantA: TimeWait, wantB: Closed},
	}...))
	if got := transitions(evs, B); got != "LISTEN>SYN-RECEIVED SYN-RECEIVED>ESTABLISHED ESTABLISHED>CLOSE-WAIT CLOSE-WAIT>LAST-ACK LAST-ACK>CLOSED " {
		t.Errorf("B's transitions: %s", got)
	}
	// 2MSL: still TIME-WAIT just before, CLOSED at 60 s.
	end, _ := c.TimeWaitEnds(A)
	c.Advance(end.Add(-time.Nanosecond))
	if c.Endpoint(A).State != TimeWait {
		t.Fatal("TIME-WAIT ended early")
	}
	evs = c.Advance(end)
	if c.Endpoint(A).State != Closed || len(evs) != 1 || evs[0].Time != end || evs[0].Cause != CauseTimeout {
		t.Fatalf("TIME-WAIT expiry: state %v events %v", c.Endpoint(A).State, evs)
	}
}

// TestRFC9293_Figure13_SimultaneousClose:
//
//	    TCP Peer A                                           TCP Peer B
//	1.  ESTABLISHED                                          ESTABLISHED
//	2.  (Close)                                              (Close)
//	    FIN-WAIT-1  --> <SEQ=100><ACK=300><CTL=FIN,ACK>  ... FIN-WAIT-1
//	                <-- <SEQ=300><ACK=100><CTL=FIN,ACK>  <--
//	                ... <SEQ=100><ACK=300><CTL=FIN,ACK>  -->
//	3.  CLOSING     --> <SEQ=101><ACK=301><CTL=ACK>      ... CLOSING
//	                <-- <SEQ=301><ACK=101><CTL=ACK>      <--
//	                ... <SEQ=101><ACK=301><CTL=ACK>      -->
//	4.  TIME-WAIT                                            TIME-WAIT
func TestRFC9293_Figure13_SimultaneousClose(t *testing.T) {
	_, evs := run(t, append(handshake(), []step{
		{from: A, flags: FIN | ACK, seq: 1, ack: 1, wantA: FinWait1, wantB: Established},
		{from: B, flags: FIN | ACK, seq: 1, ack: 1, wantA: Closing, wantB: Closing},
		{from: A, flags: ACK, seq: 2, ack: 2, wantA: Closing, wantB: TimeWait},
		{from: B, flags: ACK, seq: 2, ack: 2, wantA: TimeWait, wantB: TimeWait},
	}...))
	if got := transitions(evs, B); got != "LISTEN>SYN-RECEIVED SYN-RECEIVED>ESTABLISHED ESTABLISHED>FIN-WAIT-1 FIN-WAIT-1>CLOSING CLOSING>TIME-WAIT " {
		t.Errorf("B's transitions: %s", got)
	}
}

// handshake is Figure 6 lines 1-4 with A as the client.
func handshake() []step {
	return []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 1, ack: 1, wantA: Established, wantB: Established},
	}
}

func TestRefused(t *testing.T) {
	// RFC 9293 §3.10.7.1: a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
	_, evs := run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: RST | ACK, seq: zeroFromB, ack: 1, wantA: Closed, wantB: Closed},
	})
	if got := transitions(evs, B); got != "" {
		t.Errorf("a closed port never listened: B's transitions %q", got)
	}
}

func TestSynSent_RSTBadAck(t *testing.T) {
	run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: RST | ACK, seq: zeroFromB, ack: 5, wantA: SynSent, wantB: Closed, codes: []Code{RstBadAckInSynSent}},
	})
}

func TestSynSent_SynAckBadAck(t *testing.T) {
	// Figure 8: an old duplicate SYN's SYN,ACK; A answers RST <SEQ=SEG.ACK>
	// and stays in SYN-SENT; the passive B returns to LISTEN.
	run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 90, wantA: SynSent, wantB: SynReceived, codes: []Code{SynAckBadAck}},
		{from: A, flags: RST, seq: 90, wantA: SynSent, wantB: Listen},
	})
}

func TestSynReceived_RSTPassiveReturnsToListen(t *testing.T) {
	run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: A, flags: RST, seq: 1, wantA: Closed, wantB: Listen},
	})
}

func TestEstablished_RST(t *testing.T) {
	base := append(handshake(), step{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 100, wantA: Established, wantB: Established})
	t.Run("exact", func(t *testing.T) {
		run(t, append(base, step{from: B, flags: RST | ACK, seq: 1, ack: 101, wantA: Closed, wantB: Closed}))
	})
	t.Run("in window, not exact: challenge ACK due, no change", func(t *testing.T) {
		run(t, append(base, step{from: B, flags: RST, seq: 500, wantA: Established, wantB: Closed}))
	})
	t.Run("outside the window", func(t *testing.T) {
		// Ignored by A; and no endpoint sends such a RST but a forger or
		// a stale copy, so B's state does not change either. B goes on.
		run(t, append(base,
			step{from: B, flags: RST, seq: 1 << 31, wantA: Established, wantB: Established, codes: []Code{RstOutOfWindow}},
			step{from: B, flags: ACK | PSH, seq: 1, ack: 1, len: 10, wantA: Established, wantB: Established}))
	})
}

func TestHalfClose(t *testing.T) {
	// RFC 9293 §3.6.1: data keeps flowing toward the side that sent FIN.
	run(t, append(handshake(), []step{
		{from: A, flags: FIN | ACK, seq: 1, ack: 1, wantA: FinWait1, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 2, wantA: FinWait2, wantB: CloseWait},
		{from: B, flags: ACK | PSH, seq: 1, ack: 2, len: 1000, wantA: FinWait2, wantB: CloseWait},
		{from: A, flags: ACK, seq: 2, ack: 1001, wantA: FinWait2, wantB: CloseWait},
		{from: B, flags: FIN | ACK, seq: 1001, ack: 2, wantA: TimeWait, wantB: LastAck},
		{from: A, flags: ACK, seq: 2, ack: 1002, wantA: TimeWait, wantB: Closed},
	}...))
}

func TestFinAckInOneSegment(t *testing.T) {
	// Figure 5 note 2: FIN-WAIT-1 receiving a FIN that also ACKs our FIN
	// ends in TIME-WAIT (through FIN-WAIT-2, as RFC 9293's fifth and eighth
	// checks and Linux both do).
	_, evs := run(t, append(handshake(), []step{
		{from: A, flags: FIN | ACK, seq: 1, ack: 1, wantA: FinWait1, wantB: Established},
		{from: B, flags: FIN | ACK, seq: 1, ack: 2, wantA: TimeWait, wantB: LastAck},
		{from: A, flags: ACK, seq: 2, ack: 2, wantA: TimeWait, wantB: Closed},
	}...))
	if got := transitions(evs, A); got != "CLOSED>SYN-SENT SYN-SENT>ESTABLISHED ESTABLISHED>FIN-WAIT-1 FIN-WAIT-1>FIN-WAIT-2 FIN-WAIT-2>TIME-WAIT " {
		t.Errorf("A's transitions: %s", got)
	}
}

func TestMidStreamPickup(t *testing.T) {
	c, evs := run(t, []step{
		{from: A, flags: ACK | PSH, seq: 50, ack: 70, len: 10, wantA: Established, wantB: Established},
		// A's CLOSE-WAIT waits for its answer: did the FINs cross?
		{from: B, flags: FIN | ACK, seq: 70, ack: 60, wantA: Established, wantB: FinWait1},
	})
	evs = append(evs, c.Finish()...)
	if c.Endpoint(A).State != CloseWait {
		t.Fatalf("at the end of the capture the held FIN is delivered: A is %v, want CLOSE-WAIT", c.Endpoint(A).State)
	}
	for _, e := range evs {
		if e.Kind == Transition && e.From == Closed && !e.Inferred {
			t.Errorf("mid-stream transition %v not marked inferred", e)
		}
	}
}

func TestSelfConnect(t *testing.T) {
	c := NewConn(Config{}, true)
	t0 := TimeOf(time.Unix(1, 0))
	segs := []Segment{
		{Time: t0, Seq: isnA, Flags: SYN},
		{Time: t0, Seq: isnA, Ack: isnA + 1, Flags: SYN | ACK},
		{Time: t0, Seq: isnA + 1, Ack: isnA + 1, Flags: ACK},
	}
	want := []State{SynReceived, Established, Established}
	for i := range segs {
		for _, e := range c.Step(A, &segs[i]) {
			if e.Side != A {
				t.Errorf("segment %d: event on side %v; a self-connect is one endpoint, side A", i+1, e.Side)
			}
		}
		if got := c.Endpoint(B).State; got != want[i] {
			t.Fatalf("segment %d: %v, want %v", i+1, got, want[i])
		}
	}
}

func TestReopenFromTimeWait(t *testing.T) {
	c, _ := run(t, append(handshake(), []step{
		{from: B, flags: FIN | ACK, seq: 1, ack: 1, wantA: Established, wantB: FinWait1},
		{from: A, flags: FIN | ACK, seq: 1, ack: 2, wantA: LastAck, wantB: TimeWait},
		{from: B, flags: ACK, seq: 2, ack: 2, wantA: Closed, wantB: TimeWait},
	}...))
	newer := Segment{Seq: Seq(isnA).Add(100000), Flags: SYN}
	old := Segment{Seq: Seq(isnA) - 100000, Flags: SYN}
	if !c.Reopens(A, &newer) {
		t.Error("a SYN beyond the old connection's sequence space must reopen the 4-tuple")
	}
	if c.Reopens(A, &old) {
		t.Error("an old duplicate SYN must not reopen a 4-tuple in TIME-WAIT")
	}
	evs := c.Reopen(A, &newer)
	if len(evs) != 1 || evs[0].Side != B || evs[0].From != TimeWait || evs[0].To != Closed {
		t.Errorf("reopening must end B's TIME-WAIT: %v", evs)
	}
}

// TestRSTInEveryState: a RST at exactly RCV.NXT resets the receiver in
// every state (RFC 9293 §3.10.7.4 second check, RFC 5961 §3.2); a passive
// SYN-RECEIVED endpoint returns to LISTEN; LISTEN and CLOSED ignore it.
func TestRSTInEveryState(t *testing.T) {
	hs := handshake()
	finA := step{from: A, flags: FIN | ACK, seq: 1, ack: 1, wantA: FinWait1, wantB: Established}
	ackFinA := step{from: B, flags: ACK, seq: 1, ack: 2, wantA: FinWait2, wantB: CloseWait}
	cases := []struct {
		name  string
		setup []step
		rst   step
	}{
		{"SYN-SENT (refused)", hs[:1], step{from: B, flags: RST | ACK, seq: zeroFromB, ack: 1, wantA: Closed, wantB: Closed}},
		{"SYN-RECEIVED passive", hs[:2], step{from: A, flags: RST, seq: 1, wantA: Closed, wantB: Listen}},
		{"SYN-RECEIVED active (simultaneous open)", []step{
			{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
			{from: B, flags: SYN, wantA: SynReceived, wantB: SynReceived}},
			step{from: B, flags: RST, seq: 1, wantA: Closed, wantB: Closed}},
		{"LISTEN ignores it", []step{
			{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
			{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
			{from: A, flags: RST, seq: 1, wantA: Closed, wantB: Listen}},
			step{from: A, flags: RST, seq: 1, wantA: Closed, wantB: Listen}},
		{"ESTABLISHED", hs, step{from: B, flags: RST, seq: 1, wantA: Closed, wantB: Closed}},
		{"FIN-WAIT-1", append(hs[:3:3], finA), step{from: B, flags: RST, seq: 1, wantA: Closed, wantB: Closed}},
		{"FIN-WAIT-2 and CLOSE-WAIT", append(hs[:3:3], finA, ackFinA), step{from: B, flags: RST, seq: 1, wantA: Closed, wantB: Closed}},
		{"CLOSE-WAIT receiving", append(hs[:3:3], finA, ackFinA), step{from: A, flags: RST, seq: 2, wantA: Closed, wantB: Closed}},
		{"LAST-ACK", append(hs[:3:3], finA, ackFinA,
			step{from: B, flags: FIN | ACK, seq: 1, ack: 2, wantA: TimeWait, wantB: LastAck}),
			// The TIME-WAIT end aborting (Linux answers some segments in
			// TIME-WAIT with a RST) closes both.
			step{from: A, flags: RST, seq: 2, wantA: Closed, wantB: Closed}},
		{"TIME-WAIT", append(hs[:3:3], finA, ackFinA,
			step{from: B, flags: FIN | ACK, seq: 1, ack: 2, wantA: TimeWait, wantB: LastAck},
			step{from: A, flags: ACK, seq: 2, ack: 2, wantA: TimeWait, wantB: Closed}),
			// RFC 9293 closes TIME-WAIT on a valid RST (RFC 1337 would not).
			step{from: B, flags: RST, seq: 2, wantA: Closed, wantB: Closed, codes: []Code{RstKillsTimeWait}}},
		{"CLOSING", append(hs[:3:3], finA,
			step{from: B, flags: FIN | ACK, seq: 1, ack: 1, wantA: Closing, wantB: Closing}),
			step{from: B, flags: RST, seq: 2, wantA: Closed, wantB: Closed}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run(t, append(tc.setup[:len(tc.setup):len(tc.setup)], tc.rst))
		})
	}
}

// A server that resends its SYN,ACK after the ACK we saw never got that ACK
// (a full accept queue drops it): it is back in SYN-RECEIVED, and a later
// ACK is believed only once the server answers as synchronized.
func TestSynAckResentAfterACK(t *testing.T) {
	_, evs := run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 1, ack: 1, wantA: Established, wantB: Established},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 1, ack: 1, wantA: Established, wantB: SynReceived},
		{from: B, flags: ACK | PSH, seq: 1, ack: 1, len: 10, wantA: Established, wantB: Established},
	})
	if got := transitions(evs, B); got != "LISTEN>SYN-RECEIVED SYN-RECEIVED>ESTABLISHED ESTABLISHED>SYN-RECEIVED SYN-RECEIVED>ESTABLISHED " {
		t.Errorf("B's transitions: %s", got)
	}
}

// TestRetryAfterRefusal: a SYN that repeats the initial sequence number of
// an attempt a RST refused is that attempt again (Windows retries a
// refused connect so), not a new incarnation; a SYN with another ISN is.
func TestRetryAfterRefusal(t *testing.T) {
	c, _ := run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: RST | ACK, seq: zeroFromB, ack: 1, wantA: Closed, wantB: Closed},
	})
	retry := Segment{Seq: Seq(isnA), Flags: SYN}
	fresh := Segment{Seq: Seq(isnA).Add(7777), Flags: SYN}
	if c.Reopens(A, &retry) {
		t.Error("a SYN with the refused attempt's ISN must stay in its connection")
	}
	if !c.Reopens(A, &fresh) {
		t.Error("a SYN with a new ISN after a refusal must start a new connection")
	}
	evs := c.Step(A, &retry)
	if got := c.Endpoint(A).State; got != SynSent {
		t.Errorf("after the retried SYN the client is %v, want SYN-SENT (events %v)", got, evs)
	}
}

// TestSynResentAfterSynAck: a client that sends its SYN again after the
// capture showed the server's SYN,ACK never got that SYN,ACK: it is
// SYN-SENT (the kernel says so: see testdata/kernel), and the next
// SYN,ACK establishes it.
func TestSynResentAfterSynAck(t *testing.T) {
	_, evs := run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: A, flags: SYN, wantA: SynSent, wantB: SynReceived},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 1, ack: 1, wantA: Established, wantB: Established},
	})
	var inferred bool
	for _, e := range evs {
		if e.Side == A && e.From == Established && e.To == SynSent {
			inferred = e.Inferred
		}
	}
	if !inferred {
		t.Errorf("the return to SYN-SENT must be marked inferred: %v", evs)
	}
}

// TestNewAttemptFromSynSent: a SYN with a new initial sequence number from
// an endpoint still in SYN-SENT, whose peer sent no SYN,ACK, is a new
// attempt from the same port (suricata-verify/bug-3844.pcap: after a RST
// without ACK, which SYN-SENT ignores); once the peer answered with a
// SYN,ACK it is not, and stays a note of the sender.
func TestNewAttemptFromSynSent(t *testing.T) {
	c, _ := run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: RST, seq: zeroFromB, wantA: SynSent, wantB: Closed, codes: []Code{RstBadAckInSynSent}},
	})
	fresh := Segment{Seq: Seq(isnA).Add(7777), Flags: SYN}
	same := Segment{Seq: Seq(isnA), Flags: SYN}
	if !c.Reopens(A, &fresh) {
		t.Error("a SYN with a new ISN from SYN-SENT, unanswered, must start a new connection")
	}
	if c.Reopens(A, &same) {
		t.Error("the same SYN again is a retransmission in its connection")
	}
	answered, _ := run(t, []step{
		{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 7, wantA: SynSent, wantB: SynReceived, codes: []Code{SynAckBadAck}},
	})
	if answered.Reopens(A, &fresh) {
		t.Error("after the peer's SYN,ACK a new ISN stays in the connection")
	}
}

package fsm

import (
	"slices"
	"testing"
)

// Each violation code, triggered by the smallest scenario that shows it.
// The clean counter-test is TestCleanConnectionHasNoViolations below, and the
// kernel-made captures (cmd/tcpflow-fsm kernel tests), which must show none.
func TestViolationsTriggered(t *testing.T) {
	hs := handshake()
	data := step{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 100, wantA: Established, wantB: Established}
	cases := []struct {
		code  Code
		steps []step
	}{
		{DataAfterFIN, append(hs[:3:3],
			step{from: A, flags: FIN | ACK, seq: 1, ack: 1, wantA: FinWait1, wantB: Established},
			step{from: A, flags: ACK | PSH, seq: 2, ack: 1, len: 10, wantA: FinWait1, wantB: CloseWait, codes: []Code{DataAfterFIN}})},
		// The verdict waits for B's next segment: it continues from where
		// B was, so B really had not sent what A acknowledged.
		{AckOfUnsentData, append(hs[:3:3],
			step{from: A, flags: ACK, seq: 1, ack: 5000, wantA: Established, wantB: Established},
			step{from: B, flags: ACK, seq: 1, ack: 1, wantA: Established, wantB: Established, codes: []Code{AckOfUnsentData}})},
		{SynFin, []step{{from: A, flags: SYN | FIN, wantA: Closed, wantB: Closed, codes: []Code{SynFin}}}},
		// A scanner's SYN+FIN probe carries a SYN's options: they are on a
		// SYN, so syn_fin is all it breaks.
		{SynFin, []step{{from: A, flags: SYN | FIN, opts: Options{HasMSS: true, MSS: 1460, HasWScale: true, WScale: 7, SACKPermitted: true},
			wantA: Closed, wantB: Closed, codes: []Code{SynFin}}}},
		{SynRst, []step{{from: A, flags: SYN | RST, wantA: Closed, wantB: Closed, codes: []Code{SynRst}}}},
		{NoFlags, append(hs[:3:3],
			step{from: A, flags: PSH, seq: 1, len: 5, wantA: Established, wantB: Established, codes: []Code{NoFlags}})},
		{FinWithoutAck, append(hs[:3:3],
			step{from: A, flags: FIN, seq: 1, wantA: Established, wantB: Established, codes: []Code{FinWithoutAck}})},
		{RstOutOfWindow, append(hs[:3:3], data,
			step{from: B, flags: RST, seq: 1 << 30, wantA: Established, wantB: Established, codes: []Code{RstOutOfWindow}})},
		{RstBadAckInSynSent, []step{
			{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
			{from: B, flags: RST | ACK, seq: zeroFromB, ack: 7, wantA: SynSent, wantB: Closed, codes: []Code{RstBadAckInSynSent}}}},
		{SynAckBadAck, []step{
			{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
			{from: B, flags: SYN | ACK, ack: 0, wantA: SynSent, wantB: SynReceived, codes: []Code{SynAckBadAck}}}},
		{DataBeforeHandshake, []step{
			{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
			{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
			{from: B, flags: ACK | PSH, seq: 1, ack: 1, len: 20, wantA: Established, wantB: SynReceived, codes: []Code{DataBeforeHandshake}}}},
		// Reported when B's next segment shows whether it sent the
		// challenge ACK RFC 5961 §4 asks for.
		{SynInSynchronized, append(hs[:3:3],
			step{from: A, flags: SYN, seq: 777, wantA: Established, wantB: Established},
			step{from: B, flags: ACK, seq: 1, ack: 1, wantA: Established, wantB: Established, codes: []Code{SynInSynchronized}})},
		{RstInWindow, append(hs[:3:3], data,
			step{from: B, flags: RST, seq: 500, wantA: Established, wantB: Closed},
			step{from: A, flags: ACK, seq: 101, ack: 1, wantA: Established, wantB: Closed, codes: []Code{RstInWindow}})},
		{AckTooOld, append(hs[:3:3], data,
			step{from: B, flags: ACK, seq: 1, ack: 101, wantA: Established, wantB: Established},
			step{from: B, flags: ACK, seq: 1, ack: 1<<32 - 5000, wantA: Established, wantB: Established, codes: []Code{AckTooOld}})},
		{TimeWaitOldSyn, append(hs[:3:3],
			step{from: B, flags: FIN | ACK, seq: 1, ack: 1, wantA: Established, wantB: FinWait1},
			step{from: A, flags: FIN | ACK, seq: 1, ack: 2, wantA: LastAck, wantB: TimeWait},
			step{from: B, flags: ACK, seq: 2, ack: 2, wantA: Closed, wantB: TimeWait},
			// An old duplicate of A's first SYN; B answers with an ACK.
			step{from: A, flags: SYN, wantA: SynSent, wantB: TimeWait},
			step{from: B, flags: ACK, seq: 2, ack: 2, wantA: SynSent, wantB: TimeWait, codes: []Code{TimeWaitOldSyn}})},
		{RstKillsTimeWait, append(hs[:3:3],
			step{from: B, flags: FIN | ACK, seq: 1, ack: 1, wantA: Established, wantB: FinWait1},
			step{from: A, flags: FIN | ACK, seq: 1, ack: 2, wantA: LastAck, wantB: TimeWait},
			step{from: A, flags: RST, seq: 2, wantA: Closed, wantB: Closed, codes: []Code{RstKillsTimeWait}})},
		{SynISNChanged, []step{
			{from: A, flags: SYN, wantA: SynSent, wantB: Closed},
			{from: A, flags: SYN, seq: 5000, wantA: SynSent, wantB: Closed, codes: []Code{SynISNChanged}}}},
		// The ACK moved on, so the offer is a later one: the edge went
		// from 1001 to 601.
		{WindowShrunk, append(hs[:3:3],
			step{from: B, flags: ACK, seq: 1, ack: 1, win: 1000, wantA: Established, wantB: Established}, data,
			step{from: B, flags: ACK, seq: 1, ack: 101, win: 500, wantA: Established, wantB: Established, codes: []Code{WindowShrunk}})},
		{DataBeyondWindow, append(hs[:3:3],
			step{from: B, flags: ACK, seq: 1, ack: 1, win: 1000, wantA: Established, wantB: Established},
			step{from: A, flags: ACK, seq: 1, ack: 1, len: 1500, wantA: Established, wantB: Established, codes: []Code{DataBeyondWindow}})},
		{SynOptionOutsideSyn, append(hs[:3:3],
			step{from: A, flags: ACK, seq: 1, ack: 1, opts: Options{HasMSS: true, MSS: 1460}, wantA: Established, wantB: Established, codes: []Code{SynOptionOutsideSyn}})},
		{TimestampsDropped, []step{
			{from: A, flags: SYN, opts: Options{HasTimestamps: true, TSVal: 1}, wantA: SynSent, wantB: Closed},
			{from: B, flags: SYN | ACK, ack: 1, opts: Options{HasTimestamps: true, TSVal: 7, TSEcr: 1}, wantA: Established, wantB: SynReceived},
			{from: A, flags: ACK, seq: 1, ack: 1, wantA: Established, wantB: Established, codes: []Code{TimestampsDropped}}}},
		{BadDataOffset, append(hs[:3:3],
			step{from: A, flags: FIN | ACK, seq: 1, ack: 1, mal: BadOffset, wantA: Established, wantB: Established, codes: []Code{BadDataOffset}})},
		{OptionsOverrun, append(hs[:3:3],
			step{from: A, flags: ACK, seq: 1, ack: 1, mal: OptionsOverrunning, wantA: Established, wantB: Established, codes: []Code{OptionsOverrun}})},
		{BadChecksum, append(hs[:3:3],
			step{from: A, flags: RST, seq: 1, mal: BadSum, wantA: Established, wantB: Established, codes: []Code{BadChecksum}})},
		{SegmentToClosed, append(hs[:3:3],
			step{from: A, flags: RST | ACK, seq: 1, ack: 1, wantA: Closed, wantB: Closed},
			step{from: B, flags: ACK | PSH, seq: 1, ack: 1, len: 10, wantA: Closed, wantB: Closed, codes: []Code{SegmentToClosed}})},
	}
	covered := map[Code]bool{}
	for _, tc := range cases {
		t.Run(tc.code.String(), func(t *testing.T) {
			run(t, tc.steps)
		})
		covered[tc.code] = true
	}
	for _, c := range Codes() {
		if !covered[c] {
			t.Errorf("violation %s has no triggering test", c)
		}
	}
}

// An ACK beyond what was captured from the peer is the capture's gap, not
// the peer's fault, when the peer's next segment jumps past what we saw
// (Wireshark: "ACKed segment that wasn't captured").
func TestAckOfUncapturedDataIsNotAViolation(t *testing.T) {
	_, evs := run(t, append(handshake(), []step{
		{from: B, flags: ACK | PSH, seq: 1, ack: 1, len: 100, wantA: Established, wantB: Established},
		// B's bytes 101-200 were not captured; A acknowledges them.
		{from: A, flags: ACK, seq: 1, ack: 201, wantA: Established, wantB: Established},
		{from: B, flags: ACK | PSH, seq: 201, ack: 1, len: 100, wantA: Established, wantB: Established},
	}...))
	for _, e := range evs {
		if e.Kind == Violation {
			t.Errorf("violation %v for data the capture missed", e.Code)
		}
	}
}

// Only the server's direction captured: its data proves the handshake
// completed, so it is not data before the handshake.
func TestOneSidedCaptureInfersHandshake(t *testing.T) {
	_, evs := run(t, []step{
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: B, flags: ACK | PSH, seq: 1, ack: 1, len: 100, wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 101, ack: 50, wantA: Established, wantB: Established},
	})
	for _, e := range evs {
		if e.Kind == Violation {
			t.Errorf("violation %v in a one-sided capture", e.Code)
		}
	}
}

// The challenge ACK's absence is said too.
func TestChallengeACKNotSeen(t *testing.T) {
	_, evs := run(t, append(handshake(),
		step{from: B, flags: RST, seq: 500, wantA: Established, wantB: Closed},
		step{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 10, wantA: Established, wantB: Closed, codes: []Code{RstInWindow, SegmentToClosed}}))
	for _, e := range evs {
		if e.Code == RstInWindow && e.Detail != NoChallengeSeen {
			t.Errorf("detail %q", e.Detail)
		}
	}
}

// A connection with timestamps, window scaling and SACK negotiated, data
// filling the window exactly, a zero window and its probe: no violation.
func TestCleanNegotiatedConnection(t *testing.T) {
	ts := Options{HasTimestamps: true, TSVal: 1}
	syn := Options{HasTimestamps: true, HasMSS: true, MSS: 1460, HasWScale: true, WScale: 0, SACKPermitted: true}
	run(t, []step{
		{from: A, flags: SYN, opts: syn, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, opts: syn, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 1, ack: 1, opts: ts, wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 1, win: 1000, opts: ts, wantA: Established, wantB: Established},
		{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 1000, opts: ts, wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 1001, win: -1, opts: ts, wantA: Established, wantB: Established},
		{from: A, flags: ACK, seq: 1001, ack: 1, len: 1, opts: ts, wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 1001, win: -1, opts: ts, wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 1001, win: 2000, opts: ts, wantA: Established, wantB: Established},
		{from: A, flags: RST, seq: 1002, wantA: Closed, wantB: Closed},
	})
}

// An ACK reordered on the way (same ACK number, a smaller window from
// before, a shorter SACK reach) is not the receiver shrinking its window.
func TestReorderedACKIsNotWindowShrink(t *testing.T) {
	sack := func(right uint32) Options {
		o := Options{NSACK: 1}
		o.SACK[0] = SACKBlock{Left: Seq(isnA).Add(2001), Right: Seq(isnA).Add(right)}
		return o
	}
	run(t, append(handshake(),
		step{from: A, flags: ACK, seq: 1, ack: 1, len: 1000, wantA: Established, wantB: Established},
		step{from: A, flags: ACK, seq: 2001, ack: 1, len: 1000, wantA: Established, wantB: Established},
		step{from: B, flags: ACK, seq: 1, ack: 1001, win: 3000, opts: sack(3001), wantA: Established, wantB: Established},
		step{from: B, flags: ACK, seq: 1, ack: 1001, win: 2000, wantA: Established, wantB: Established},
		step{from: B, flags: ACK, seq: 1, ack: 1001, win: 2000, opts: sack(2501), wantA: Established, wantB: Established},
	))
}

func TestFastOpenDataIsNotAViolation(t *testing.T) {
	c := NewConn(Config{}, false)
	syn := Segment{Seq: isnA, Flags: SYN, PayloadLen: 20, Opts: Options{HasFastOpen: true}}
	for _, e := range c.Step(A, &syn) {
		if e.Kind == Violation {
			t.Fatalf("TFO SYN with data reported %v", e.Code)
		}
	}
}

func TestCleanConnectionHasNoViolations(t *testing.T) {
	// Handshake, data both ways, retransmitted data, half-close, normal
	// close, a retransmitted FIN, TIME-WAIT: nothing here breaks the RFC.
	run(t, append(handshake(), []step{
		{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 100, wantA: Established, wantB: Established},
		{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 100, wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 101, wantA: Established, wantB: Established},
		{from: B, flags: ACK | PSH, seq: 1, ack: 101, len: 50, wantA: Established, wantB: Established},
		{from: A, flags: FIN | ACK, seq: 101, ack: 51, wantA: FinWait1, wantB: Established},
		{from: B, flags: ACK | PSH, seq: 51, ack: 102, len: 10, wantA: FinWait2, wantB: CloseWait},
		{from: A, flags: ACK, seq: 102, ack: 61, wantA: FinWait2, wantB: CloseWait},
		{from: B, flags: FIN | ACK, seq: 61, ack: 102, wantA: TimeWait, wantB: LastAck},
		{from: B, flags: FIN | ACK, seq: 61, ack: 102, wantA: TimeWait, wantB: LastAck},
		{from: A, flags: ACK, seq: 102, ack: 62, wantA: TimeWait, wantB: Closed},
	}...))
}

func TestCatalogComplete(t *testing.T) {
	names := map[string]bool{}
	for _, c := range Codes() {
		info := c.Info()
		if info.Name == "" || info.RFC == "" || info.Summary == "" || info.Explain == "" {
			t.Errorf("code %d: incomplete catalog entry %+v", c, info)
		}
		if names[info.Name] {
			t.Errorf("duplicate code name %s", info.Name)
		}
		names[info.Name] = true
	}
}

func TestTableIsTotal(t *testing.T) {
	for d := Send; d < NumDirs; d++ {
		for k := Kind(0); int(k) < NumKinds; k++ {
			for s := State(0); int(s) < NumStates; s++ {
				r := Rules(d, k, s)
				if r.Note == "" {
					t.Errorf("%v %v in %v: empty cell", d, k, s)
				}
				for _, to := range []State{r.Next, r.Alt} {
					if to != Keep && !to.Valid() {
						t.Errorf("%v %v in %v: bad target %d", d, k, s, to)
					}
				}
				if r.Next == Keep && r.Alt == Keep && (r.When != "" || r.AltWhen != "") {
					t.Errorf("%v %v in %v: a condition without an outcome", d, k, s)
				}
			}
		}
	}
}

// Every transition a scenario makes is one its table cell allows.
func TestTransitionsObeyTable(t *testing.T) {
	_, evs := run(t, append(handshake(), []step{
		{from: A, flags: FIN | ACK, seq: 1, ack: 1, wantA: FinWait1, wantB: Established},
		{from: B, flags: FIN | ACK, seq: 1, ack: 1, wantA: Closing, wantB: Closing},
		{from: A, flags: ACK, seq: 2, ack: 2, wantA: Closing, wantB: TimeWait},
		{from: B, flags: ACK, seq: 2, ack: 2, wantA: TimeWait, wantB: TimeWait},
	}...))
	for _, e := range evs {
		if e.Kind != Transition {
			continue
		}
		if !allowedSomewhere(e.From, e.To) {
			t.Errorf("transition %v -> %v (%s) is in no table cell", e.From, e.To, e.Cause)
		}
	}
}

func allowedSomewhere(from, to State) bool {
	for d := Send; d < NumDirs; d++ {
		for k := Kind(0); int(k) < NumKinds; k++ {
			if Rules(d, k, from).Allows(to) {
				return true
			}
		}
	}
	return false
}

// An ACK captured out of order shows it by an older TSval: its smaller
// window is not a shrink. The same window from a newer TSval is one.
func TestOlderTSvalIsNotWindowShrink(t *testing.T) {
	ts := func(v uint32) Options { return Options{HasTimestamps: true, TSVal: v} }
	syn := Options{HasTimestamps: true, HasMSS: true, MSS: 1460, HasWScale: true, WScale: 0, SACKPermitted: true}
	run(t, []step{
		{from: A, flags: SYN, opts: syn, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, opts: syn, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 1, ack: 1, opts: ts(1), wantA: Established, wantB: Established},
		{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 1000, opts: ts(2), wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 1001, win: 3000, opts: ts(20), wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 1001, win: 2000, opts: ts(10), wantA: Established, wantB: Established},
		{from: B, flags: ACK, seq: 1, ack: 1001, win: 1000, opts: ts(30), wantA: Established, wantB: Established,
			codes: []Code{WindowShrunk}},
	})
}

// Two offers for the same ACK with the same TSval cannot be ordered by a
// passive observer: the kernel's ACK of new data and its window update
// after a read, sent from two CPUs, were captured in the other order on a
// veth (the live tests under load). The smaller window captured second is
// no proof of a shrink, and it does not pull in the edge the peer's data is
// judged by. The same offer proved later, by a newer TSval or by a larger
// ACK, is a shrink.
func TestUnorderedOfferIsNotWindowShrink(t *testing.T) {
	ts := func(v uint32) Options { return Options{HasTimestamps: true, TSVal: v} }
	syn := Options{HasTimestamps: true, HasMSS: true, MSS: 1460, HasWScale: true, WScale: 0, SACKPermitted: true}
	hs := []step{
		{from: A, flags: SYN, opts: syn, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, opts: syn, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 1, ack: 1, opts: ts(1), wantA: Established, wantB: Established},
		{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 1000, opts: ts(2), wantA: Established, wantB: Established},
	}
	t.Run("same TSval", func(t *testing.T) {
		run(t, append(slices.Clone(hs),
			// The window update (sent second) captured first, edge 4001.
			step{from: B, flags: ACK, seq: 1, ack: 1001, win: 3000, opts: ts(20), wantA: Established, wantB: Established},
			step{from: B, flags: ACK, seq: 1, ack: 1001, win: 1000, opts: ts(20), wantA: Established, wantB: Established},
			// Within the window B offered: not beyond it.
			step{from: A, flags: ACK | PSH, seq: 1001, ack: 1, len: 2500, opts: ts(3), wantA: Established, wantB: Established},
		))
	})
	t.Run("no timestamps", func(t *testing.T) {
		plain := Options{HasMSS: true, MSS: 1460, HasWScale: true, WScale: 0}
		run(t, []step{
			{from: A, flags: SYN, opts: plain, wantA: SynSent, wantB: Closed},
			{from: B, flags: SYN | ACK, ack: 1, opts: plain, wantA: Established, wantB: SynReceived},
			{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 1000, wantA: Established, wantB: Established},
			{from: B, flags: ACK, seq: 1, ack: 1001, win: 3000, wantA: Established, wantB: Established},
			{from: B, flags: ACK, seq: 1, ack: 1001, win: 1000, wantA: Established, wantB: Established},
		})
	})
	t.Run("newer TSval", func(t *testing.T) {
		run(t, append(slices.Clone(hs),
			step{from: B, flags: ACK, seq: 1, ack: 1001, win: 3000, opts: ts(20), wantA: Established, wantB: Established},
			step{from: B, flags: ACK, seq: 1, ack: 1001, win: 1000, opts: ts(21), wantA: Established, wantB: Established,
				codes: []Code{WindowShrunk}},
		))
	})
	t.Run("larger ACK", func(t *testing.T) {
		run(t, append(slices.Clone(hs),
			step{from: B, flags: ACK, seq: 1, ack: 501, win: 3000, opts: ts(20), wantA: Established, wantB: Established},
			step{from: B, flags: ACK, seq: 1, ack: 1001, win: 1000, opts: ts(20), wantA: Established, wantB: Established,
				codes: []Code{WindowShrunk}},
		))
	})
}

// Data on a SYN is legal (RFC 9293 §3.10.7.2 queues it), Fast Open or not,
// whether the SYN,ACK takes it or acknowledges only the SYN; so is data on
// the SYN,ACK.
func TestDataOnSYNIsNoViolation(t *testing.T) {
	run(t, []step{
		{from: A, flags: SYN, len: 20, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 21, len: 10, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK, seq: 21, ack: 11, wantA: Established, wantB: Established},
	})
	run(t, []step{
		{from: A, flags: SYN, len: 20, wantA: SynSent, wantB: Closed},
		{from: B, flags: SYN | ACK, ack: 1, wantA: Established, wantB: SynReceived},
		{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 20, wantA: Established, wantB: Established},
	})
}

// An ACK is no proof of unsent data when the capture holds the data after
// it (reordered before the capture point, within a fraction of a
// millisecond on a busy host), nor, mid-stream, when it is one past a
// keep-alive (SEG.SEQ = SND.NXT - 1, no data): the first thing a capture
// started on an idle connection sees, again at every keep-alive.
func TestAckOfUnsentDataNeedsProof(t *testing.T) {
	t.Run("data captured after its ACK", func(t *testing.T) {
		hs := handshake()
		run(t, append(hs[:3:3],
			step{from: B, flags: ACK, seq: 1, ack: 101, wantA: Established, wantB: Established},
			step{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 100, wantA: Established, wantB: Established},
			step{from: A, flags: ACK | PSH, seq: 101, ack: 1, len: 100, wantA: Established, wantB: Established},
		))
	})
	t.Run("keep-alives mid-stream", func(t *testing.T) {
		var steps []step
		for i := 0; i < 3; i++ {
			steps = append(steps,
				step{from: A, flags: ACK, seq: 999, ack: 500, wantA: Established, wantB: Established},
				step{from: B, flags: ACK, seq: 500, ack: 1000, wantA: Established, wantB: Established})
		}
		run(t, steps)
	})
	t.Run("an ACK beyond, and no data after it", func(t *testing.T) {
		hs := handshake()
		run(t, append(hs[:3:3],
			step{from: B, flags: ACK, seq: 1, ack: 101, wantA: Established, wantB: Established},
			step{from: A, flags: ACK | PSH, seq: 1, ack: 1, len: 50, wantA: Established, wantB: Established,
				codes: []Code{AckOfUnsentData}},
		))
	})
}

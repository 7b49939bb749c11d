package fsm

// RFC 9293 §3.10.7.4, eighth check: "check the FIN bit". A FIN is not
// processed in CLOSED, LISTEN or SYN-SENT; otherwise ESTABLISHED enters
// CLOSE-WAIT, FIN-WAIT-1 CLOSING, FIN-WAIT-2 TIME-WAIT (a FIN,ACK that
// acknowledges FIN-WAIT-1's own FIN takes it there through FIN-WAIT-2, the
// ACK part first), and TIME-WAIT restarts its 2MSL timer. A FIN received
// in ESTABLISHED is held until the receiver's next segment shows whether
// the two FINs crossed (Figure 13).

// heldFIN decides a FIN that s, which now sends seg (of kind k), received
// in ESTABLISHED and holds: a FIN of its own that does not acknowledge it
// says the two crossed (Figure 13: crossed is true, and Step moves s to
// CLOSING after the send); a segment that acknowledges it, a RST, or a SYN
// delivers it (s was in CLOSE-WAIT when it arrived).
func (c *Conn) heldFIN(from Side, s *Endpoint, seg *Segment, k Kind) (crossed bool) {
	p := c.held(s, pendingFIN)
	if !p.ok {
		return false
	}
	covers := seg.Flags&ACK != 0 && seg.Ack.GreaterThan(p.seq)
	switch {
	case k == KindFIN && !covers:
		return true
	case covers || k == KindRST || k == KindSYN || k == KindSYNACK:
		c.applyFIN(from, s)
	}
	return false
}

// applyFIN delivers a held FIN, dated when it was captured.
func (c *Conn) applyFIN(side Side, e *Endpoint) {
	p := c.release(e, pendingFIN)
	c.take(side, e, e.State, Rcvd, KindFIN, toNext, p.time, int(p.seg), NoCause, false)
}

// rcvdFIN applies the FIN part of seg to its receiver e, after the ACK part
// (rcvdACK).
func (c *Conn) rcvdFIN(side Side, e *Endpoint, seg *Segment) {
	if e.State == Established && !c.self {
		c.hold(e, pendingFIN, record{seq: seg.Seq.Add(uint32(seg.PayloadLen)), time: seg.Time, seg: int32(c.nseg)})
		return
	}
	c.move(side, e, Rcvd, KindFIN, seg, NoCause, false)
	if e.State == TimeWait {
		e.twStart = seg.Time // a retransmitted FIN restarts 2MSL
	}
}

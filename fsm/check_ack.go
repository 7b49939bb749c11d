package fsm

// RFC 9293 §3.10.7.4, fifth check: "check the ACK field". An acceptable
// ACK (SND.UNA < SEG.ACK =< SND.NXT) completes the handshake in
// SYN-RECEIVED; one that covers the endpoint's FIN moves FIN-WAIT-1,
// CLOSING and LAST-ACK on; an ACK of something not yet sent, or older than
// RFC 5961 §5 allows, is reported.

// heldUnsentAck decides an ACK of data its peer had not been seen to send,
// which s sent earlier and is held, by s's next segment seg (of kind k).
// RFC 9293 §3.10.7.4 fifth: "If the ACK acks something not yet sent
// (SEG.ACK > SND.NXT), then send an ACK, drop the segment". Its next
// segment from SND.NXT on tells whether the capture merely missed data;
// one that ends before SND.NXT (a retransmission, a keep-alive) tells
// nothing, and it waits.
func (c *Conn) heldUnsentAck(s *Endpoint, seg *Segment, k Kind) {
	fresh := seg.Seq == s.SndNxt || seg.End().GreaterThan(s.SndNxt)
	if !c.held(s, unsentAck).ok || k == KindRST || k == KindNone || !fresh {
		return
	}
	u := c.release(s, unsentAck)
	// A segment that reaches the ACK is the data it acknowledged, captured
	// after the ACK (reordered before the capture point, or a
	// retransmission of data the capture missed): it was sent.
	if !seg.Seq.GreaterThan(s.SndNxt) && seg.End().LessThan(u.seq) {
		c.violationAt(u.from, AckOfUnsentData, u.time, int(u.seg))
	}
}

// acceptableAck is RFC 9293 §3.4's SND.UNA < SEG.ACK =< SND.NXT for e.
// What e has not been seen to send cannot be judged and is accepted.
func (c *Conn) acceptableAck(e *Endpoint, ack Seq) bool {
	if !e.Sent {
		return true
	}
	una := e.ISS
	if e.HasUna {
		una = e.SndUna
	}
	return ack.GreaterThan(una) && ack.LessThanEq(e.SndNxt)
}

// acksFIN reports whether ack covers e's FIN.
func acksFIN(e *Endpoint, ack Seq) bool {
	return e.FinSent && ack.GreaterThan(e.FinSeq)
}

func (c *Conn) rcvdACK(side Side, e, p *Endpoint, seg *Segment) {
	if c.held(e, pendingSYN).ok {
		// The capture missed its SYN,ACK, but the peer's ACK proves a
		// listener answered.
		c.resolvePassive(side, e)
	}
	switch e.State {
	case Closed:
		if e.unseen() {
			c.move(side, e, Rcvd, KindACK, seg, CauseMidRcvd, true)
		} else if seg.LEN() > 0 {
			// Pure ACKs to a closed endpoint are left alone: late and
			// duplicated ACKs are common and carry nothing.
			c.violation(side.Other(), SegmentToClosed, seg)
		}
		return
	case SynReceived:
		if c.completesHandshake(e, seg) {
			c.move(side, e, Rcvd, KindACK, seg, NoCause, false)
		}
	case FinWait1, Closing, LastAck:
		if acksFIN(e, seg.Ack) {
			c.move(side, e, Rcvd, KindACK, seg, NoCause, false)
		}
	}
	// RFC 9293 §3.10.7.4 fifth: "If the ACK acks something not yet sent
	// (SEG.ACK > SND.NXT), then send an ACK, drop the segment".
	// RFC 5961 §5.2: SND.UNA - MAX.SND.WND =< SEG.ACK, or discard.
	if e.State.Synchronized() && e.HasUna && e.maxWnd > 0 && seg.Ack.LessThan(e.SndUna-Seq(e.maxWnd)) {
		c.violation(side.Other(), AckTooOld, seg)
	}
	if e.Segs > 0 && !c.held(e, unsentAck).ok && e.State != SynSent && e.State != Listen && seg.Ack.GreaterThan(e.SndNxt) {
		if !e.HasISS && seg.Ack == e.SndNxt.Add(1) {
			// Picked up mid-stream, where all the capture has of e may be
			// keep-alives: SEG.SEQ = SND.NXT - 1, no data (RFC 9293
			// §3.8.4), which the peer acknowledges with SND.NXT. An ACK one
			// past what e was seen to send proves nothing: it is where e
			// had got to.
			e.SndNxt = seg.Ack
		} else {
			c.hold(e, unsentAck, record{seq: seg.Ack, time: seg.Time, seg: int32(c.nseg), from: side.Other()})
		}
	}
}

// noteRcvd records the ACK its receiver r got.
func (c *Conn) noteRcvd(r *Endpoint, seg *Segment) {
	if seg.Flags&ACK == 0 || seg.kind() == KindRST {
		return
	}
	if r.State == SynSent {
		// Still SYN-SENT after it: a segment without SYN, which it drops
		// (RFC 9293 §3.10.7.3 fifth), so its ACK acknowledged nothing (a
		// split handshake starts with such an ACK).
		return
	}
	if r.Sent && seg.Ack.GreaterThan(r.SndNxt) {
		return // acknowledges nothing it sent
	}
	if !r.HasUna || seg.Ack.GreaterThan(r.SndUna) {
		r.SndUna, r.HasUna = seg.Ack, true
	}
}

// completesHandshake decides the cell of an ACK received in SYN-RECEIVED,
// RFC 9293 §3.10.7.4 fifth: "If SND.UNA < SEG.ACK =< SND.NXT, then enter
// ESTABLISHED state". After the endpoint proved one handshake ACK lost (it
// resent its SYN,ACK), an ACK is believed only when it answers as
// synchronized (sendsSynchronized).
func (c *Conn) completesHandshake(e *Endpoint, seg *Segment) bool {
	return c.acceptableAck(e, seg.Ack) && !e.ackLost
}

// acksOurSYN decides the cells of a SYN,ACK and of a RST received in
// SYN-SENT (RFC 9293 §3.10.7.3 first check): the ACK is acceptable when
// ISS < SEG.ACK =< SND.NXT. "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a
// reset"; a RST without an acceptable ACK is dropped.
func acksOurSYN(e *Endpoint, seg *Segment) bool {
	return seg.Flags&ACK != 0 && seg.Ack.GreaterThan(e.ISS) && seg.Ack.LessThanEq(e.SndNxt)
}

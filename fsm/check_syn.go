package fsm

// RFC 9293 §3.10.7.4, fourth check: "check the SYN bit"; and a SYN or
// SYN,ACK arriving before synchronization, where it opens the connection
// (§3.10.7.1 CLOSED, §3.10.7.2 LISTEN, §3.10.7.3 SYN-SENT), or in TIME-WAIT,
// where a newer SYN starts the next incarnation (§3.6.1 MAY-2, RFC 6191).
// The challenge ACK a SYN in a synchronized state is owed (RFC 5961 §4) is
// expected in checkSent (send.go), with the sender's other rules.

// Reopens reports whether a segment from side from starts a new incarnation
// of this connection's 4-tuple rather than belonging to it: a bare SYN
// after both endpoints have ended, but for a SYN that repeats a refused
// attempt's initial sequence number; or a SYN with a new initial sequence
// number from an endpoint in SYN-SENT whose peer sent no SYN,ACK. When the receiver lingers in TIME-WAIT
// the SYN must be newer than anything its sender sent before, by timestamp
// or by sequence number (RFC 9293 §3.6.1 MAY-2, RFC 6191 §2); an old
// duplicate SYN belongs to the old connection.
func (c *Conn) Reopens(from Side, seg *Segment) bool {
	if seg.kind() != KindSYN || c.nseg == 0 {
		return false
	}
	s, r := c.Endpoint(from), c.Endpoint(from.Other())
	if s.State == SynSent && s.HasISS && seg.Seq != s.ISS && !r.HasISS && !c.self {
		// A new initial sequence number while the peer never answered
		// with a SYN,ACK: the sender gave up its attempt and made a new
		// one from the same port (§3.4.1), as tshark counts it.
		return true
	}
	if !s.State.Ended() || !r.State.Ended() {
		return false
	}
	if s.HasISS && seg.Seq == s.ISS && !r.HasISS && !c.self {
		// The same initial sequence number, and the peer never answered
		// with a SYN,ACK: a retry of the attempt a RST ended (Windows
		// resends a refused connect so), which tshark and Zeek count as
		// one connection too. A new attempt picks a new ISN (§3.4.1).
		return false
	}
	if r.State != TimeWait || c.self {
		return true
	}
	// RFC 6191 §2: with timestamps on both incarnations the TSval decides;
	// otherwise the sequence number must be beyond the old connection's.
	if s.HasTS && seg.Opts.HasTimestamps {
		if seg.Opts.TSVal != s.TSVal {
			return int32(seg.Opts.TSVal-s.TSVal) > 0
		}
	}
	return !s.Sent || seg.Seq.GreaterThan(s.SndNxt)
}

// Reopen ends this incarnation because seg, for which Reopens was true,
// starts the next one on the same 4-tuple: an endpoint lingering in
// TIME-WAIT leaves it for CLOSED (RFC 9293 §3.6.1 MAY-2). The segment
// itself belongs to the new connection and is not counted here.
func (c *Conn) Reopen(from Side, seg *Segment) []Event {
	c.begin()
	for side := A; side <= B; side++ {
		e := c.Endpoint(side)
		if e.State != TimeWait {
			continue
		}
		d, cause := Rcvd, CauseReopenRcvd
		if side == from {
			d, cause = Send, CauseReopenSent
		}
		c.take(side, e, e.State, d, KindSYN, toNext, seg.Time, 0, cause, false)
		if c.self {
			break
		}
	}
	return *c.events
}

func (c *Conn) rcvdSYN(side Side, e *Endpoint, seg *Segment) {
	switch e.State {
	case Closed:
		if e.unseen() {
			// Wait for its answer: SYN,ACK (listener), RST (closed port)
			// or its own SYN (crossed).
			c.hold(e, pendingSYN, record{seq: seg.Seq, time: seg.Time, seg: int32(c.nseg)})
		}
	case Listen:
		e.Passive = true
		e.IRS, e.HasIRS = seg.Seq, true
		c.move(side, e, Rcvd, KindSYN, seg, NoCause, false)
	case SynSent:
		e.Passive = false
		e.IRS, e.HasIRS = seg.Seq, true
		c.move(side, e, Rcvd, KindSYN, seg, NoCause, false)
	case SynReceived:
		if returnsToListen(e, seg) {
			c.take(side, e, e.State, Rcvd, KindSYN, toAlt, seg.Time, c.nseg, NoCause, false)
		}
	}
}

func (c *Conn) rcvdSYNACK(side Side, e *Endpoint, seg *Segment) {
	switch e.State {
	case Closed:
		if e.unseen() {
			// Its SYN was not captured: it was SYN-SENT.
			e.ISS, e.HasISS = seg.Ack-1, true
			e.SndNxt, e.Sent = seg.Ack, true
			e.IRS, e.HasIRS = seg.Seq, true
			c.move(side, e, Rcvd, KindSYNACK, seg, CauseOwnSYNNotSeen, true)
		}
	case SynSent:
		// RFC 9293 §3.10.7.3: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send
		// a reset"; otherwise the handshake completes.
		if !acksOurSYN(e, seg) {
			c.violation(side.Other(), SynAckBadAck, seg)
			e.badAck, e.hasBad = seg.Ack, true
			return
		}
		e.IRS, e.HasIRS = seg.Seq, true
		c.move(side, e, Rcvd, KindSYNACK, seg, NoCause, false)
	case SynReceived:
		if c.acceptableAck(e, seg.Ack) {
			c.move(side, e, Rcvd, KindSYNACK, seg, NoCause, false)
		}
	}
}

// returnsToListen decides the cell of a SYN received in SYN-RECEIVED. A
// retransmission of the SYN it holds (seq = IRS) is below the window and
// changes nothing; a new SYN, RFC 9293 §3.10.7.4 fourth: "If the
// connection was initiated with a passive OPEN, then return this
// connection to the LISTEN state". An active endpoint keeps its state: the
// challenge ACK it owes as synchronized is expected in checkSent.
func returnsToListen(e *Endpoint, seg *Segment) bool {
	if e.HasIRS && seg.Seq == e.IRS {
		return false // retransmitted SYN
	}
	return e.Passive
}

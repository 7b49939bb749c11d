package fsm

// What an endpoint's own segments say about it. RFC 9293's event
// processing (§3.10.7) is the receiver's; an observer also learns from the
// sender: a SYN proves an OPEN (§3.10.1), a FIN a CLOSE (§3.10.4), a RST an
// ABORT (§3.10.5), as Figure 5 draws them (send). A segment also breaks
// rules by itself (checkSent) and occupies sequence space (noteSent).

// resolvePassive settles a pending SYN as received by a listener: the
// endpoint was LISTEN and entered SYN-RECEIVED when the SYN arrived, so the
// transition is dated at that SYN.
func (c *Conn) resolvePassive(side Side, e *Endpoint) {
	p := c.release(e, pendingSYN)
	e.Passive = true
	e.IRS, e.HasIRS = p.seq, true
	// It was LISTEN when the SYN arrived, which the capture could not show:
	// the cell is LISTEN's, and the event says it was left.
	c.take(side, e, Listen, Rcvd, KindSYN, toNext, p.time, int(p.seg), NoCause, false)
}

// send applies what sending seg proves about its sender e, whose peer is p.
func (c *Conn) send(side Side, e, p *Endpoint, seg *Segment, k Kind) {
	if c.held(e, pendingSYN).ok {
		switch k {
		case KindRST:
			// RFC 9293 §3.10.7.1: no listener; the SYN was refused.
			c.release(e, pendingSYN)
		case KindSYNACK, KindACK, KindFIN:
			c.resolvePassive(side, e)
		}
	}
	switch k {
	case KindSYN:
		switch e.State {
		case Closed, Listen:
			c.move(side, e, Send, k, seg, NoCause, false)
			e.ISS, e.HasISS = seg.Seq, true
		case SynSent:
			// A different ISN is a new attempt on the same 4-tuple.
			if e.HasISS && seg.Seq != e.ISS {
				c.violation(side, SynISNChanged, seg)
			}
			e.ISS, e.HasISS = seg.Seq, true
		case Established:
			// A bare SYN is resent only from SYN-SENT: the SYN,ACK the
			// capture showed never reached it (lost after the capture
			// point, or dropped by its host).
			if resendsSYN(e, seg) {
				c.move(side, e, Send, k, seg, CauseSYNACKLost, true)
			}
		case SynReceived:
			if e.Passive && (!e.HasISS || e.ISS != seg.Seq) {
				// Its own SYN crossed the peer's: this is an active open
				// after all (RFC 9293 §3.5 Figure 7, MUST-11).
				e.Passive = false
				e.ISS, e.HasISS = seg.Seq, true
			}
		}
		if syn := c.release(e, pendingSYN); syn.ok {
			// The peer's SYN, captured before ours, reaches us after we
			// sent: the SYNs crossed (simultaneous open).
			e.IRS, e.HasIRS = syn.seq, true
			c.move(side, e, Rcvd, KindSYN, seg, CauseSYNCrossed, false)
		}
	case KindSYNACK:
		switch e.State {
		case Closed, Listen:
			e.Passive = true
			c.move(side, e, Send, k, seg, CauseSYNNotSeen, true)
		case SynSent:
			c.move(side, e, Send, k, seg, CauseSYNNotSeen, true)
		case Established:
			// A SYN,ACK is retransmitted only from SYN-RECEIVED: the ACK
			// that seemed to complete the handshake never arrived.
			if resendsSYNACK(e, seg) {
				c.move(side, e, Send, k, seg, CauseACKLost, true)
				e.ackLost = true
			}
		}
		if !e.HasISS {
			e.ISS, e.HasISS = seg.Seq, true
		}
		if !e.HasIRS && seg.Flags&ACK != 0 {
			// Its SYN,ACK acknowledges the SYN it received, captured or
			// not: a copy of that SYN captured later (reordered) is the
			// same SYN, not a new one (§3.10.7.4).
			e.IRS, e.HasIRS = seg.Ack-1, true
		}
	case KindACK, KindFIN:
		switch e.State {
		case Closed:
			if e.unseen() {
				c.move(side, e, Send, KindACK, seg, CauseMidSend, true)
			}
		case SynSent:
			if acksPeerSYN(seg) {
				c.move(side, e, Send, KindACK, seg, CauseSYNACKNotSeen, true)
			}
		case SynReceived:
			if cause, ok := c.sendsSynchronized(e, p); ok {
				c.move(side, e, Send, KindACK, seg, cause, true)
			}
		}
		if k == KindFIN {
			c.move(side, e, Send, KindFIN, seg, NoCause, false)
		}
	case KindRST:
		if e.State == SynSent && answersBadAck(e, seg) {
			e.hasBad = false
			break
		}
		c.move(side, e, Send, k, seg, NoCause, false)
	}
}

// checkSent reports the violations a segment shows by itself and against
// its sender's and receiver's states before it is applied.
func (c *Conn) checkSent(from Side, s, r *Endpoint, seg *Segment, k Kind) {
	f := seg.Flags
	switch {
	case f&SYN != 0 && f&FIN != 0:
		c.violation(from, SynFin, seg)
	case f&SYN != 0 && f&RST != 0:
		c.violation(from, SynRst, seg)
	case f&(SYN|FIN|RST|ACK) == 0:
		c.violation(from, NoFlags, seg)
	case f&FIN != 0 && f&ACK == 0 && s.State != SynSent:
		// In SYN-SENT the sender has no ACK number to send yet.
		c.violation(from, FinWithoutAck, seg)
	}
	if seg.PayloadLen > 0 {
		// RFC 9293 §3.10.2: SEND after CLOSE is refused, so no new data
		// may follow the sender's own FIN.
		if s.FinSent && seg.Seq.Add(uint32(seg.PayloadLen)).GreaterThan(s.FinSeq) && k != KindRST {
			c.violation(from, DataAfterFIN, seg)
		}
		// Data on a SYN or SYN,ACK breaks no rule, Fast Open or not: RFC
		// 9293 §3.10.7.2 and §3.10.7.3 queue the "other control or text"
		// that arrives with it until the connection is established, and a
		// receiver that will not take it acknowledges only the SYN. Data on a
		// later segment of an endpoint whose SYN nobody has acknowledged is
		// sent where §3.10.2 SEND queues it.
		// An ACK of the peer's data beyond its SYN proves the sender got
		// that data, which the peer sends on a segment acknowledging the
		// sender's SYN: the capture missed (or mangled) that ACK.
		acksPeerData := seg.Flags&ACK != 0 && r.HasISS && seg.Ack.GreaterThan(r.ISS.Add(1))
		if (k == KindACK || k == KindFIN) && s.State == SynReceived && !c.tfo && r.Segs > 0 && !s.ackLost && !acksPeerData {
			c.violation(from, DataBeforeHandshake, seg)
		}
	}
	if k == KindSYN || k == KindSYNACK {
		retrans := s.HasISS && seg.Seq == s.ISS
		switch {
		case k == KindSYN && r.State == TimeWait && !c.self:
			// Reopens found it no newer than the old connection.
			c.expectChallenge(r, TimeWaitOldSyn, from, seg)
		case retrans:
		case r.State.Synchronized() && !c.self:
			// RFC 5961 §4: a challenge ACK "irrespective of the sequence number".
			c.expectChallenge(r, SynInSynchronized, from, seg)
		case s.State.Synchronized():
			c.violation(from, SynInSynchronized, seg)
		}
	} else if seg.Flags&SYN == 0 && (seg.Opts.HasMSS || seg.Opts.HasWScale || seg.Opts.SACKPermitted) {
		// A SYN that also carries FIN or RST (Classify: KindNone) is still
		// a SYN for the options: it is reported as syn_fin or syn_rst alone.
		c.violation(from, SynOptionOutsideSyn, seg)
	}
	if seg.Malformed&OptionsOverrunning != 0 {
		c.violation(from, OptionsOverrun, seg)
	}
	if c.tsOn && k != KindRST && k != KindSYN && k != KindSYNACK && !seg.Opts.HasTimestamps && !s.tsDropped && seg.Malformed&OptionsOverrunning == 0 {
		// A SYN or SYN,ACK sent again is an offer, not a segment of a
		// negotiated connection (a SYN resent without options gets past
		// middleboxes that drop them); options that overrun the header
		// may have held the option.
		// RFC 7323 §3.2: reported once for each sender.
		s.tsDropped = true
		c.violation(from, TimestampsDropped, seg)
	}
	c.checkWindow(from, s, r, seg, k)
}

// noteSent records what seg tells about its sender s's sequence space.
func (c *Conn) noteSent(s, r *Endpoint, seg *Segment, k Kind) {
	s.synAckOnly = k == KindSYNACK && (s.synAckOnly || s.Segs == 0)
	s.synOnly = k == KindSYN && (s.synOnly || s.Segs == 0)
	s.touched = true
	s.Segs++
	if k == KindSYN || k == KindSYNACK {
		// A SYN after the sender's own FIN starts a sequence space, or
		// shows that FIN was not the sender's (injected): either way
		// data after it is not data after that FIN.
		s.FinSent = false
		s.Base = s.ISS
		s.OffWS, s.WScale = seg.Opts.HasWScale, min(seg.Opts.WScale, 14)
	}
	// A RST occupies no sequence space, and a segment receivers drop
	// advances nothing: Sent and SndNxt describe real sequence space only.
	if k != KindRST && k != KindNone {
		if !s.Sent {
			s.Base = seg.Seq
			if s.HasISS {
				s.Base = s.ISS
			}
		}
		if end := seg.End(); !s.Sent || end.GreaterThan(s.SndNxt) {
			s.SndNxt = end
		}
		s.Sent = true
	}
	if seg.Flags&FIN != 0 && k != KindNone && k != KindRST {
		s.FinSent = true
		s.FinSeq = seg.Seq.Add(uint32(seg.PayloadLen))
		if seg.Flags&SYN != 0 {
			s.FinSeq++
		}
	}
	newAck := seg.Flags&ACK != 0 && k != KindRST && (!s.HasAck || seg.Ack.GreaterThanEq(s.AckSnt))
	if newAck {
		s.AckSnt, s.HasAck = seg.Ack, true
	}
	// TSVal is its newest TSval: an older one is a segment captured late.
	if seg.Opts.HasTimestamps && (!s.HasTS || int32(seg.Opts.TSVal-s.TSVal) > 0) {
		s.HasTS, s.TSVal = true, seg.Opts.TSVal
	}
	// RFC 7323 §2.2: scaling is in effect only if both SYNs carried the
	// option, and never applies to the window of a SYN itself.
	if k == KindSYNACK && r.HasISS {
		on := s.OffWS && r.OffWS
		s.scaleSet, r.scaleSet = true, true
		if !on {
			s.WScale, r.WScale = 0, 0
		}
	}
	if k == KindSYN || k == KindSYNACK {
		s.Window = uint32(seg.Window)
		s.offTS = seg.Opts.HasTimestamps
		if k == KindSYNACK && r.HasISS {
			c.tsOn = s.offTS && r.offTS
		}
	} else {
		s.Window = uint32(seg.Window) << s.WScale
	}
	if s.scaleSet && newAck && k != KindSYNACK && !c.foreign {
		// The edge moves only to the right. An offer for the same ACK
		// whose order the capture cannot prove may be an older one
		// captured late (see provesLater): it must neither hide a later
		// shrink nor make the peer's data look beyond the window. And a
		// sender may use an offer the receiver later shrank (RFC 9293
		// §3.8.6 asks it to be robust against shrinking, not to know of
		// it before it arrives): a shrink is judged against every earlier
		// offer, data against the largest.
		edge := seg.Ack.Add(s.Window)
		if s.hasEdge {
			edge = edge.Max(s.rightEdge)
		}
		s.rightEdge, s.hasEdge = edge, true
		if s.Window > r.maxWnd {
			r.maxWnd = s.Window
		}
	}
}

// resendsSYN decides the cell of a SYN sent in ESTABLISHED: a bare SYN is
// resent only from SYN-SENT, so an endpoint that has sent nothing but its
// SYN and sends it again (seq = ISS) never got the SYN,ACK the capture
// showed (lost after the capture point, or dropped by its host).
func resendsSYN(e *Endpoint, seg *Segment) bool {
	return e.synOnly && e.HasISS && seg.Seq == e.ISS
}

// resendsSYNACK decides the cell of a SYN,ACK sent in ESTABLISHED: a
// SYN,ACK is retransmitted only from SYN-RECEIVED, so an endpoint that has
// sent nothing but its SYN,ACK and sends it again (seq = ISS) never got the
// ACK that seemed to complete the handshake.
func resendsSYNACK(e *Endpoint, seg *Segment) bool {
	return e.synAckOnly && e.HasISS && seg.Seq == e.ISS
}

// acksPeerSYN decides the cell of an ACK sent in SYN-SENT: its ACK can only
// acknowledge the peer's SYN, so the endpoint got the SYN,ACK the capture
// missed. Every segment of KindACK or KindFIN carries ACK (Classify).
func acksPeerSYN(seg *Segment) bool { return seg.Flags&ACK != 0 }

// sendsSynchronized decides the cell of an ACK sent in SYN-RECEIVED, and
// returns the cause to give: the endpoint sends data or ACKs only once
// synchronized, which proves the handshake's ACK reached it when the
// capture holds nothing of its peer (only its direction was captured), or
// when it had shown a handshake ACK lost (it resent its SYN,ACK): one did
// arrive after all. Otherwise the handshake's ACK decides (rcvdACK).
func (c *Conn) sendsSynchronized(e, p *Endpoint) (cause Cause, ok bool) {
	switch {
	case p.Segs == 0 && !c.self:
		return CauseACKNotSeen, true
	case e.ackLost:
		return CauseACKArrived, true
	}
	return NoCause, false
}

// answersBadAck decides the cell of a RST sent in SYN-SENT: a RST
// <SEQ=SEG.ACK> answering the unacceptable ACK of a SYN,ACK it received
// keeps the endpoint in SYN-SENT (RFC 9293 §3.10.7.3, Figure 8); any other
// RST is an ABORT.
func answersBadAck(e *Endpoint, seg *Segment) bool {
	return e.hasBad && seg.Seq == e.badAck
}

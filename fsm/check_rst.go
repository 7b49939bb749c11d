package fsm

// RFC 9293 §3.10.7.4, second check: "check the RST bit", as RFC 5961 §3.2
// has it: a RST outside the receive window is dropped, one at exactly
// RCV.NXT resets the connection, one elsewhere in the window calls for a
// challenge ACK. A reset returns a passive SYN-RECEIVED endpoint to LISTEN
// and closes every other. Before synchronization: SYN-SENT takes a RST only
// if it acknowledges its SYN (§3.10.7.3), LISTEN ignores one (§3.10.7.2),
// CLOSED drops it (§3.10.7.1).

// rcvdRST applies RFC 9293 §3.10.7 with the RFC 5961 §3.2 checks: only a
// RST at exactly RCV.NXT resets; one elsewhere in the window calls for a
// challenge ACK; one outside it is ignored.
func (c *Conn) rcvdRST(side Side, e, p *Endpoint, seg *Segment) {
	switch e.State {
	case Closed, Listen:
		return
	case SynSent:
		// RFC 9293 §3.10.7.3: "If the ACK bit is set ... [and] acceptable
		// then signal to the user 'error: connection reset'".
		if acksOurSYN(e, seg) {
			c.move(side, e, Rcvd, KindRST, seg, NoCause, false)
		} else {
			c.violation(side.Other(), RstBadAckInSynSent, seg)
		}
		return
	}
	v, out := c.resetOutcome(e, p, seg)
	switch v {
	case rstExact:
		if e.State == TimeWait {
			// RFC 9293 closes; RFC 1337 §3 would ignore it.
			c.violation(side.Other(), RstKillsTimeWait, seg)
		}
		c.take(side, e, e.State, Rcvd, KindRST, out, seg.Time, c.nseg, NoCause, false)
	case rstInWindow:
		c.expectChallenge(e, RstInWindow, side.Other(), seg)
	case rstOutside:
		c.violation(side.Other(), RstOutOfWindow, seg)
	}
}

// resetOutcome decides the cells of a RST received in SYN-RECEIVED and in
// the synchronized states, RFC 9293 §3.10.7.4 second check. It returns
// where the RST falls (rstVerdict, RFC 5961 §3.2): only one at exactly
// RCV.NXT resets the connection. And it returns the outcome a reset takes:
// "If this connection was initiated with a passive OPEN (i.e., came from
// the LISTEN state), then return this connection to LISTEN state" (the
// cell's Alt, RFC 9293 §3.5 MUST-11); an endpoint that came from SYN-SENT
// is refused, and every synchronized one reset: CLOSED (Next).
func (c *Conn) resetOutcome(e, p *Endpoint, seg *Segment) (rstClass, outcome) {
	out := toNext
	if e.State == SynReceived && e.Passive {
		out = toAlt
	}
	return c.rstVerdict(e, p, seg.Seq), out
}

// rstIgnored reports whether RST seg, received by e from p, falls outside
// e's window, so that e ignores it.
func (c *Conn) rstIgnored(e, p *Endpoint, seg *Segment) bool {
	switch e.State {
	case Closed, Listen, SynSent:
		return false
	}
	return c.rstVerdict(e, p, seg.Seq) == rstOutside
}

type rstClass uint8

const (
	rstExact rstClass = iota
	rstInWindow
	rstOutside
)

// rstVerdict places a RST's sequence number against the receiver e's
// RCV.NXT. The observer's estimate of RCV.NXT is the end of what the sender
// p was seen to send, assuming it all arrived; without that, the highest
// ACK e sent. (e's own ACKs lag: a RST at an ACK e sent before it received
// the sender's FIN is in the window but not exact, and the challenge ACK
// RFC 5961 asks for can be seen to follow.)
func (c *Conn) rstVerdict(e, p *Endpoint, seq Seq) rstClass {
	var rcvNxt Seq
	switch {
	case e.State == SynReceived && e.HasAck:
		// Its SYN,ACK acknowledged exactly the SYN it holds, which may be
		// an old duplicate the capture never saw (Figure 8).
		rcvNxt = e.AckSnt
	case p.Sent:
		rcvNxt = p.SndNxt
	case e.HasAck:
		rcvNxt = e.AckSnt
	default:
		return rstExact // nothing to judge by: take the RST at its word
	}
	if seq == rcvNxt {
		return rstExact
	}
	low := rcvNxt
	if e.HasAck && e.AckSnt.LessThan(low) {
		low = e.AckSnt
	}
	if seq.InRange(low, rcvNxt) || seq.InWindow(rcvNxt, e.rcvWindow()) {
		return rstInWindow
	}
	return rstOutside
}

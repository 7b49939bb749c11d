package fsm

// RFC 9293 §3.10.7.4, first check: "check sequence number". A segment is
// acceptable when it falls in the receive window (Table 6); one that is not
// is answered with an ACK and dropped.
//
// An observer does not see a receiver drop a segment, only the window it
// offered: rcvWindow is that window, against which check_rst.go places a
// RST; checkWindow reports a sender going beyond it and a receiver
// shrinking it (§3.8.6).

// rcvWindow is the receive window e last advertised, in octets. Unknown
// scaling (the handshake was not seen) makes it as large as scaling allows,
// so an observer never calls a segment outside a window it cannot know.
func (e *Endpoint) rcvWindow() uint32 {
	if !e.scaleSet {
		return 1 << 30
	}
	if e.Window == 0 {
		return 1
	}
	return e.Window
}

// checkWindow reports a receiver shrinking the window it offered
// (RFC 9293 §3.8.6 SHLD-14) and a sender going beyond it. Both need the
// window scaling settled by a captured handshake.
func (c *Conn) checkWindow(from Side, s, r *Endpoint, seg *Segment, k Kind) {
	if !s.scaleSet || k == KindRST || k == KindSYN || k == KindSYNACK || k == KindNone {
		return
	}
	// Only an offer the capture proves was sent after the last one can
	// prove a shrink (provesLater): an older one captured late is no new
	// offer.
	if s.hasEdge && seg.Flags&ACK != 0 && s.provesLater(seg) {
		edge := seg.Ack.Add(uint32(seg.Window) << s.WScale)
		// A shift of n loses up to 2^n octets to rounding (Zeek's
		// window_recision allows the same).
		if edge.Add(1 << s.WScale).LessThanEq(s.rightEdge) {
			c.violation(from, WindowShrunk, seg)
		}
	}
	if r.hasEdge && seg.PayloadLen > 0 {
		end := seg.Seq.Add(uint32(seg.PayloadLen))
		probe := seg.PayloadLen == 1 && seg.Seq == r.rightEdge
		if end.GreaterThan(r.rightEdge) && !probe {
			c.violation(from, DataBeyondWindow, seg)
		}
	}
}

// provesLater reports whether the capture proves that seg, an ACK from s,
// was sent after the last ACK s sent: it acknowledges more (an endpoint's
// cumulative ACK never goes back), or the same with a newer TSval (RFC 7323
// §5.3: TSvals do not go backwards) and no older one.
//
// A passive observer cannot order two ACKs of the same octet with the same
// TSval (or none): the capture may hold them in another order than they
// were sent. Linux sends the ACK of arriving data from the receive path and
// the window update after a read from the reading process, often on
// another CPU, and on a veth or lo each is queued to the capture on the
// CPU that sent it: the later ACK, with the larger window, can be captured
// first, and the earlier one then looks like a shrink. Seen on kernel
// traffic in this project's live tests under load (IPv4 IDs, which Linux
// counts per socket, out of order in the capture). Such an offer moves the
// edge only to the right (noteSent), so a shrink it hid is reported at the
// sender's next offer the capture does order.
func (s *Endpoint) provesLater(seg *Segment) bool {
	if seg.Flags&ACK == 0 || !s.HasAck {
		return false
	}
	if seg.Opts.HasTimestamps && s.HasTS && int32(seg.Opts.TSVal-s.TSVal) < 0 {
		return false // an older TSval: captured out of order
	}
	if seg.Ack.GreaterThan(s.AckSnt) {
		return true
	}
	return seg.Ack == s.AckSnt && seg.Opts.HasTimestamps && s.HasTS && seg.Opts.TSVal != s.TSVal
}

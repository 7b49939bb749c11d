package flow

import (
	"time"

	"tcpflow-fsm/fsm"
)

// The sequence-space analysis follows what an observer at the capture
// point can track of each direction of a connection (its next expected
// sequence number, its last ACK and window) and names what each segment
// shows against it, with the definitions and precedence of Wireshark's TCP
// analysis (its user's guide, "TCP Analysis"; the segment events are its
// tcp.analysis flags). It is our own implementation of those definitions.
// Where a definition leaves a choice open, the choice that makes the
// counts agree with tshark's on real captures is taken, and said beside
// the code. Unlike Wireshark, copies of a packet captured twice never get
// here (see DuplicateWindow): a copy is no retransmission.
//
// All state is fixed fields: nothing is allocated per segment.

// fastRetransWindow is how recent the peer's last ACK must be for a
// retransmission to be a fast retransmission: the sender answers duplicate
// ACKs at once.
const fastRetransWindow = 20 * time.Millisecond

// defaultOOOThreshold is the out-of-order threshold when the initial RTT
// is unknown.
const defaultOOOThreshold = 3 * time.Millisecond

// seqDir is what the observer tracks of one direction: of the segments one
// side sends.
type seqDir struct {
	nextSeq fsm.Seq   // next expected sequence number: end of the sequence space seen sent
	ackable fsm.Seq   // the highest sequence number the peer may acknowledge
	lastAck fsm.Seq   // the side's last ACK
	isn     fsm.Seq   // the sequence number of its SYN, or of its first segment seen
	win     uint32    // the window it last advertised, scaled when scaling is known
	dupAcks uint32    // duplicate ACKs of lastAck it sent
	last    SegEvents // the events of its latest segment
	raw     uint16    // the same as sent, unscaled
	hasNext bool      // nextSeq and ackable hold: it has sent a segment
	ackOn   bool      // ACKs of its data beyond ackable are looked for
	hasAck  bool      // lastAck holds
	hasWin  bool      // win holds
	winSure bool      // win is in octets: the window scale was known (or it was a SYN's)
	hasISN  bool      // isn holds
	ackAt   fsm.Time  // when it sent lastAck
	nextAt  fsm.Time  // when nextSeq was last moved
}

// seqTrack is the sequence-space analysis of one connection.
type seqTrack struct {
	dir [2]seqDir
	// The initial RTT: from the SYN to the ACK of the SYN,ACK. synRTT is
	// when the SYN was sent (synAt), until hasIRTT: then the initial RTT
	// (irtt). The two share a word, as a million connections may be
	// tracked.
	synRTT  int64
	synFrom fsm.Side
	synSeen bool // a bare SYN was seen: synAt and synFrom hold
	synAck  bool // then a SYN,ACK from the peer
	hasIRTT bool
}

// analyze decides the events of seg, sent by side from, and updates the
// tracking. shift and known are the sender's window scale from the
// handshake (fsm.Endpoint.Scale). dup is the count of a duplicate ACK.
func (t *seqTrack) analyze(from fsm.Side, seg *fsm.Segment, shift uint8, known bool) (ev SegEvents, dup uint32) {
	if seg.Malformed&fsm.BadOffset != 0 {
		// Its receiver discards it, and where its header ends is
		// unknown: it shows nothing (tshark does not analyse it either).
		return 0, 0
	}
	end, now, win := seg.End(), seg.Time, uint32(seg.Window)
	if known && seg.Flags&fsm.SYN == 0 {
		win <<= shift
	}
	f, r := &t.dir[from], &t.dir[from.Other()]
	// Each event's test, in the order of Wireshark's precedence: where
	// two exclude each other, the first that holds wins (a test is given
	// what was found before it). Called in turn, not from a table, so
	// that the compiler inlines them.
	ev = t.begin(from, f, seg, now)
	if zeroWindowProbe(f, r, seg) {
		ev.add(ZeroWindowProbe)
	}
	if zeroWindow(seg) {
		ev.add(ZeroWindow)
	}
	if lostSegment(f, seg) {
		ev.add(LostSegment)
	}
	if keepAlive(f, seg) {
		ev.add(KeepAlive)
	}
	// A pure ACK repeating its sender's last ACK: four events tell it
	// apart, the first that holds.
	if sameAck(f, seg) {
		if keepAliveAck(f, r, seg) {
			ev.add(KeepAliveAck)
		}
		if zeroWindowProbeAck(r, win, ev) {
			ev.add(ZeroWindowProbeAck)
		}
		if windowUpdate(f, seg, ev) {
			ev.add(WindowUpdate)
		}
		if duplicateAck(seg, ev) {
			ev.add(DuplicateAck)
		}
	}
	if ackLostSegment(r, seg) {
		ev.add(AckLostSegment)
	}
	if spuriousRetransmission(r, seg, end, ev) {
		ev.add(SpuriousRetransmission)
	}
	// Sequence space seen before, sent again: three events tell it
	// apart, the first that holds.
	if resent(f, seg, ev) {
		if fastRetransmission(f, r, seg, now, ev) {
			ev.add(FastRetransmission)
		}
		if outOfOrder(t, f, end, now, ev) {
			ev.add(OutOfOrder)
		}
		if retransmission(ev) {
			ev.add(Retransmission)
		}
	}
	if windowFull(r, seg) {
		ev.add(WindowFull)
	}
	return ev, f.update(r, seg, end, now, win, known || seg.Flags&fsm.SYN != 0, ev)
}

// control reports whether seg is a SYN, FIN or RST.
func control(seg *fsm.Segment) bool { return seg.Flags&(fsm.SYN|fsm.FIN|fsm.RST) != 0 }

// begin finds what a SYN says of the sequence space (a new one on a
// 4-tuple seen before, or the SYN sent again), times the handshake, and
// sets where the sender's sequence space starts.
func (t *seqTrack) begin(from fsm.Side, f *seqDir, seg *fsm.Segment, now fsm.Time) (ev SegEvents) {
	// A bare SYN with a new ISN on a 4-tuple already seen: tshark starts
	// a new conversation with it, and the analysis starts afresh too, as
	// the new sequence space is no gap in the old one. With the ISN of the
	// connection it reopens (the SYN sent again after a RST), it is the
	// same SYN sent again. A SYN,ACK with a new ISN starts its sender's
	// sequence space afresh; tshark calls that ports reused too, which
	// the ports are not (the peer's SYN may be the same).
	flags := seg.Flags
	if flags&fsm.SYN != 0 && f.hasISN && seg.Seq != f.isn {
		if flags&fsm.ACK == 0 {
			ev.add(ReusedPorts)
			*t = seqTrack{}
		} else {
			*f = seqDir{}
		}
	} else if flags&(fsm.SYN|fsm.ACK) == fsm.SYN && f.hasISN && !f.hasNext {
		ev.add(Retransmission)
	}
	t.handshake(from, flags, now)
	if flags&fsm.SYN != 0 || !f.hasISN {
		// The sequence space starts at the SYN, or else at the first
		// segment seen (tshark's base sequence number).
		f.isn, f.hasISN = seg.Seq, true
	}
	return ev
}

// One octet at the next expected sequence number into a zero window.
func zeroWindowProbe(f, r *seqDir, seg *fsm.Segment) bool {
	return f.hasNext && seg.Seq == f.nextSeq && seg.PayloadLen == 1 && r.hasWin && r.win == 0
}

// A window of zero, but on a SYN, FIN or RST.
func zeroWindow(seg *fsm.Segment) bool { return seg.Window == 0 && !control(seg) }

// Beyond the next expected sequence number: the capture missed what was
// sent before (a RST's sequence number says nothing of it).
func lostSegment(f *seqDir, seg *fsm.Segment) bool {
	return f.hasNext && seg.Seq.GreaterThan(f.nextSeq) && seg.Flags&fsm.RST == 0
}

// Zero or one octet one below the next expected sequence number.
func keepAlive(f *seqDir, seg *fsm.Segment) bool {
	return f.hasNext && seg.PayloadLen <= 1 && !control(seg) && seg.Seq == f.nextSeq-1
}

// sameAck reports whether seg is a pure ACK at the next expected sequence
// number repeating its sender's last ACK: what the four tests after it
// tell apart, each given that it is. Windows are compared as sent, as
// tshark compares them: the first ACK after a SYN with the SYN's window
// field is the same window again, although that one was not scaled.
func sameAck(f *seqDir, seg *fsm.Segment) bool {
	return seg.PayloadLen == 0 && !control(seg) && f.hasNext && seg.Seq == f.nextSeq &&
		seg.Flags&fsm.ACK != 0 && f.hasAck && seg.Ack == f.lastAck
}

// The same ACK and window, answering the peer's keep-alive.
func keepAliveAck(f, r *seqDir, seg *fsm.Segment) bool {
	return r.last.Has(KeepAlive) && seg.Window != 0 && seg.Window == f.raw
}

// The same ACK and a zero window (win, scaled), answering the peer's zero
// window probe.
func zeroWindowProbeAck(r *seqDir, win uint32, found SegEvents) bool {
	return !found.Has(KeepAliveAck) && r.last.Has(ZeroWindowProbe) && win == 0
}

// The same ACK with another window. The user's guide also counts an ACK
// with SACK blocks as a duplicate whatever its window, and a new window as
// an update only without them; tshark 4.0 looks at the window alone.
func windowUpdate(f *seqDir, seg *fsm.Segment, found SegEvents) bool {
	return !found.Has(KeepAliveAck) && !found.Has(ZeroWindowProbeAck) && seg.Window != 0 && seg.Window != f.raw
}

// The same ACK and the same window.
func duplicateAck(seg *fsm.Segment, found SegEvents) bool {
	return !found.Has(KeepAliveAck) && !found.Has(ZeroWindowProbeAck) && !found.Has(WindowUpdate) && seg.Window != 0
}

// An ACK beyond what the peer was seen to send, while it is looked for:
// tshark does not look while the peer's own ACK is a duplicate (until its
// ACK moves on).
func ackLostSegment(r *seqDir, seg *fsm.Segment) bool {
	return seg.Flags&fsm.ACK != 0 && r.hasNext && r.ackOn && r.dupAcks == 0 && seg.Ack.GreaterThan(r.ackable)
}

// Data the peer has acknowledged (up to end), sent again: spuriously,
// even when the capture missed its first sending (tshark does not require
// it to start below the next expected sequence number).
func spuriousRetransmission(r *seqDir, seg *fsm.Segment, end fsm.Seq, found SegEvents) bool {
	return !found.Has(KeepAlive) && seg.PayloadLen > 0 && seg.Flags&(fsm.SYN|fsm.FIN) == 0 && r.hasAck && end.LessThanEq(r.lastAck)
}

// resent reports whether seg carries sequence space already seen, and is
// neither a keep-alive nor a spurious retransmission: what the three
// tests after it tell apart, each given that it is. Data from one octet
// below the next expected sequence number is new data after a zero window
// probe (or a SYN) the receiver dropped, as the user's guide has it;
// tshark applies that to any such segment.
func resent(f *seqDir, seg *fsm.Segment, found SegEvents) bool {
	switch {
	case found.Has(KeepAlive), found.Has(SpuriousRetransmission):
		return false
	case seg.PayloadLen > 1 && f.hasNext && seg.Seq == f.nextSeq-1:
		return false
	}
	return (seg.PayloadLen > 0 || seg.Flags&(fsm.SYN|fsm.FIN) != 0) && f.hasNext && seg.Seq.LessThan(f.nextSeq)
}

// Sent again at once, at now, at the peer's duplicate ACKs: at their ACK,
// within fastRetransWindow of the last. tshark 4.0 takes an ACK of
// segments it did not see, in this segment or the sender's previous one,
// for the sign that duplicate ACKs are otherwise.
func fastRetransmission(f, r *seqDir, seg *fsm.Segment, now fsm.Time, found SegEvents) bool {
	return (r.dupAcks >= 2 || found.Has(AckLostSegment) || f.last.Has(AckLostSegment)) &&
		seg.Seq == r.lastAck && now.Sub(r.ackAt) < fastRetransWindow
}

// Below the next expected sequence number soon after it moved (the
// initial RTT, else 3 ms). Wireshark's "last segment" is the one that
// moved the next expected sequence number, not the sender's latest
// segment: a retransmission right after another is not reordered.
func outOfOrder(t *seqTrack, f *seqDir, end fsm.Seq, now fsm.Time, found SegEvents) bool {
	return !found.Has(FastRetransmission) && now.Sub(f.nextAt) < t.oooThreshold() && end != f.nextSeq
}

// Sequence space seen before, sent again: what is neither of the two
// above.
func retransmission(found SegEvents) bool {
	return !found.Has(FastRetransmission) && !found.Has(OutOfOrder)
}

// Data that reaches the right edge of the peer's window exactly, as
// tshark has it (data beyond the edge is not flagged). tshark takes the
// peer's window for unknown while the scale is: a capture without the
// handshake has no window full.
func windowFull(r *seqDir, seg *fsm.Segment) bool {
	return seg.PayloadLen > 0 && r.winSure && r.hasAck && seg.Seq.Add(uint32(seg.PayloadLen)) == r.lastAck.Add(r.win)
}

// update moves the tracking of this direction, f, and of its peer's, r,
// past seg (ending at end, sent at now, its window win, in octets when
// winSure), whose events are ev, and returns the count of a duplicate
// ACK.
func (f *seqDir) update(r *seqDir, seg *fsm.Segment, end fsm.Seq, now fsm.Time, win uint32, winSure bool, ev SegEvents) (dup uint32) {
	if ev.Has(AckLostSegment) {
		// Reported once: acknowledged space up to what the peer was seen
		// to send is accounted for. Beyond it, tshark stops looking until
		// the peer's next gap, and so do we.
		if seg.Ack.LessThanEq(r.nextSeq) {
			r.ackable = r.nextSeq
		} else {
			r.ackOn = false
		}
	}
	if seg.Flags&fsm.ACK != 0 {
		if !f.hasAck || seg.Ack != f.lastAck {
			f.dupAcks = 0
		}
		f.lastAck, f.hasAck, f.ackAt = seg.Ack, true, now
	}
	if ev.Has(DuplicateAck) {
		f.dupAcks++
		dup = f.dupAcks
	}
	// The next expected sequence number is the end of the highest
	// sequence space seen, also when a segment sent again reaches beyond
	// it; but not the octet of a zero window probe, which the receiver
	// drops as a rule (tshark does not advance past it either, so the
	// next probe of the same octet is a probe again).
	prev, had := f.nextSeq, f.hasNext
	if !ev.Has(ZeroWindowProbe) && (!f.hasNext || end.GreaterThan(f.nextSeq)) {
		f.nextSeq, f.hasNext = end, true
		f.nextAt = now
	}
	// What the peer may acknowledge follows the next expected sequence
	// number while the two are in step: a segment that starts where it
	// ends moves it (a segment filling a gap too). After a gap it stays at
	// the gap's start, so an ACK of anything beyond shows the gap was
	// not lost on the way, only to the capture.
	switch {
	case !had:
		f.ackable, f.ackOn = f.nextSeq, true
	case ev.Has(LostSegment) && !f.ackOn:
		f.ackable, f.ackOn = prev, true
	case ev.Has(LostSegment):
	case f.ackOn && seg.Seq == f.ackable:
		f.ackable = f.nextSeq
	}
	f.win, f.raw, f.hasWin, f.winSure = win, seg.Window, true, winSure
	f.last = ev
	return dup
}

// handshake times the initial RTT: from the last bare SYN before the
// peer's SYN,ACK to the first ACK the SYN's sender sends after it.
func (t *seqTrack) handshake(from fsm.Side, fl fsm.Flags, now fsm.Time) {
	switch {
	case t.hasIRTT:
	case fl&(fsm.SYN|fsm.ACK) == fsm.SYN:
		// From the latest SYN sent before the SYN,ACK, as tshark times
		// it: the SYN,ACK answers that one, as a rule. A SYN sent again
		// after a SYN,ACK says that SYN,ACK never arrived: time from it,
		// and wait for the next.
		if !t.synSeen || from == t.synFrom {
			t.synRTT, t.synFrom, t.synSeen, t.synAck = int64(now), from, true, false
		}
	case !t.synSeen:
	case fl&(fsm.SYN|fsm.ACK) == fsm.SYN|fsm.ACK:
		if from != t.synFrom {
			t.synAck = true
		}
	case t.synAck && from == t.synFrom && fl&fsm.ACK != 0:
		t.synRTT, t.hasIRTT = int64(now.Sub(t.synAt())), true
	}
}

// oooThreshold is how soon after the next expected sequence number moved
// a segment below it counts as out of order: the initial RTT, else 3 ms.
func (t *seqTrack) oooThreshold() time.Duration {
	if t.hasIRTT {
		return t.irtt()
	}
	return defaultOOOThreshold
}

// synAt is when the SYN was sent, while the initial RTT is not known.
func (t *seqTrack) synAt() fsm.Time { return fsm.Time(t.synRTT) }

// irtt is the initial RTT, once hasIRTT.
func (t *seqTrack) irtt() time.Duration { return time.Duration(t.synRTT) }

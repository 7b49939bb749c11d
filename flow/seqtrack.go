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
	ackAt   int64     // when it sent lastAck (ns since the epoch)
	nextAt  int64     // when nextSeq was last moved
}

// seqTrack is the sequence-space analysis of one connection.
type seqTrack struct {
	dir [2]seqDir
	// The initial RTT: from the SYN to the ACK of the SYN,ACK. synAt is
	// when the SYN was sent, until hasIRTT: then it holds the initial RTT.
	synAt   int64
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
	f, r := &t.dir[from], &t.dir[from.Other()]
	now := NanosOf(seg.Time)
	flags := seg.Flags
	ctl := flags&(fsm.SYN|fsm.FIN|fsm.RST) != 0
	n := uint32(seg.PayloadLen)
	seq := seg.Seq
	end := seg.End()
	raw := seg.Window
	win := uint32(raw)
	if known && flags&fsm.SYN == 0 {
		win <<= shift
	}
	hasACK := flags&fsm.ACK != 0

	// A bare SYN with a new ISN on a 4-tuple already seen: tshark starts
	// a new conversation with it, and the analysis starts afresh too, as
	// the new sequence space is no gap in the old one. With the ISN of the
	// connection it reopens (the SYN sent again after a RST), it is the
	// same SYN sent again. A SYN,ACK with a new ISN starts its sender's
	// sequence space afresh; tshark calls that ports reused too, which
	// the ports are not (the peer's SYN may be the same).
	if flags&fsm.SYN != 0 && f.hasISN && seq != f.isn {
		if flags&fsm.ACK == 0 {
			ev.add(ReusedPorts)
			*t = seqTrack{}
		} else {
			*f = seqDir{}
		}
	} else if flags&(fsm.SYN|fsm.ACK) == fsm.SYN && f.hasISN && !f.hasNext {
		ev.add(Retransmission)
	}
	t.handshake(from, seg, now)
	if flags&fsm.SYN != 0 || !f.hasISN {
		// The sequence space starts at the SYN, or else at the first
		// segment seen (tshark's base sequence number).
		f.isn, f.hasISN = seq, true
	}

	// One octet at the next expected sequence number into a zero window.
	if f.hasNext && seq == f.nextSeq && n == 1 && r.hasWin && r.win == 0 {
		ev.add(ZeroWindowProbe)
	}
	if seg.Window == 0 && !ctl {
		ev.add(ZeroWindow)
	}
	if f.hasNext && seq.GreaterThan(f.nextSeq) && flags&fsm.RST == 0 {
		ev.add(LostSegment)
	}
	if f.hasNext && n <= 1 && !ctl && seq == f.nextSeq-1 {
		ev.add(KeepAlive)
	}

	// Pure ACKs: the same ACK again, or a new window. Windows are
	// compared as sent, as tshark compares them: the first ACK after a
	// SYN with the SYN's window field is the same window again, although
	// that one was not scaled.
	if n == 0 && !ctl && f.hasNext && seq == f.nextSeq && hasACK && f.hasAck && seg.Ack == f.lastAck {
		switch {
		case r.last.Has(KeepAlive) && raw != 0 && raw == f.raw:
			ev.add(KeepAliveAck)
		case r.last.Has(ZeroWindowProbe) && win == 0:
			ev.add(ZeroWindowProbeAck)
		// The user's guide also counts an ACK with SACK blocks as a
		// duplicate whatever its window, and a new window as an update
		// only without them; tshark 4.0 looks at the window alone.
		case raw != 0 && raw != f.raw:
			ev.add(WindowUpdate)
		case raw != 0:
			ev.add(DuplicateAck)
		}
	}

	// tshark does not look while the peer's own ACK is a duplicate
	// (until its ACK moves on).
	if hasACK && r.hasNext && r.ackOn && r.dupAcks == 0 && seg.Ack.GreaterThan(r.ackable) {
		ev.add(AckLostSegment)
		// Reported once: acknowledged space up to what the peer was
		// seen to send is accounted for. Beyond it, tshark stops
		// looking until the peer's next gap, and so do we.
		if seg.Ack.LessThanEq(r.nextSeq) {
			r.ackable = r.nextSeq
		} else {
			r.ackOn = false
		}
	}

	// Sequence space already seen: sent again, or reordered. Data the
	// peer has acknowledged is sent again spuriously, even when the
	// capture missed its first sending (tshark does not require it to
	// start below the next expected sequence number).
	switch {
	case ev.Has(KeepAlive):
	case n > 0 && flags&(fsm.SYN|fsm.FIN) == 0 && r.hasAck && end.LessThanEq(r.lastAck):
		ev.add(SpuriousRetransmission)
	// Data from one octet below the next expected sequence number is new
	// data after a zero window probe (or a SYN) the receiver dropped, as
	// the user's guide has it; tshark applies that to any such segment.
	case n > 1 && f.hasNext && seq == f.nextSeq-1:
	case (n > 0 || flags&(fsm.SYN|fsm.FIN) != 0) && f.hasNext && seq.LessThan(f.nextSeq):
		switch {
		// tshark 4.0 takes an ACK of segments it did not see, in this
		// segment or the sender's previous one, for the sign of a fast
		// retransmission that duplicate ACKs are otherwise.
		case (r.dupAcks >= 2 || ev.Has(AckLostSegment) || f.last.Has(AckLostSegment)) &&
			seq == r.lastAck && now-r.ackAt < int64(fastRetransWindow):
			ev.add(FastRetransmission)
		// Wireshark's "last segment" is the one that moved the next
		// expected sequence number, not the sender's latest segment:
		// a retransmission right after another is not reordered.
		case now-f.nextAt < t.oooThreshold() && end != f.nextSeq:
			ev.add(OutOfOrder)
		default:
			ev.add(Retransmission)
		}
	}

	// Data that reaches the right edge of the peer's window exactly, as
	// tshark has it (data beyond the edge is not flagged). tshark takes
	// the peer's window for unknown while the scale is: a capture without
	// the handshake has no window full.
	if n > 0 && r.winSure && r.hasAck && seq.Add(n) == r.lastAck.Add(r.win) {
		ev.add(WindowFull)
	}

	// Update the direction.
	if hasACK {
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
	case f.ackOn && seq == f.ackable:
		f.ackable = f.nextSeq
	}
	f.win, f.raw, f.hasWin, f.winSure = win, seg.Window, true, known || flags&fsm.SYN != 0
	f.last = ev
	return ev, dup
}

// handshake times the initial RTT: from the last bare SYN before the
// peer's SYN,ACK to the first ACK the SYN's sender sends after it.
func (t *seqTrack) handshake(from fsm.Side, seg *fsm.Segment, now int64) {
	switch fl := seg.Flags; {
	case t.hasIRTT:
	case fl&(fsm.SYN|fsm.ACK) == fsm.SYN:
		// From the latest SYN sent before the SYN,ACK, as tshark times
		// it: the SYN,ACK answers that one, as a rule. A SYN sent again
		// after a SYN,ACK says that SYN,ACK never arrived: time from it,
		// and wait for the next.
		if !t.synSeen || from == t.synFrom {
			t.synAt, t.synFrom, t.synSeen, t.synAck = now, from, true, false
		}
	case !t.synSeen:
	case fl&(fsm.SYN|fsm.ACK) == fsm.SYN|fsm.ACK:
		if from != t.synFrom {
			t.synAck = true
		}
	case t.synAck && from == t.synFrom && fl&fsm.ACK != 0:
		t.synAt, t.hasIRTT = now-t.synAt, true
	}
}

// oooThreshold is how soon after the next expected sequence number moved
// a segment below it counts as out of order: the initial RTT, else 3 ms.
func (t *seqTrack) oooThreshold() int64 {
	if t.hasIRTT {
		return t.synAt // the initial RTT by now
	}
	return int64(defaultOOOThreshold)
}

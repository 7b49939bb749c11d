package fsm

import "time"

// We are a passive observer at one point on the path, not a participant:
// a segment from X to Y is a send for X and, assuming it arrives, a receive
// for Y. Loss after the capture point, segments the capture missed and a
// capture that starts mid-stream are all possible, so where the RFC lets a
// participant know something an observer can only infer, the inference is
// marked (Event.Inferred) and the observer errs toward the common case.

// DefaultTimeWait is the 2MSL TIME-WAIT duration used unless configured:
// Linux's TCP_TIMEWAIT_LEN (60 s). RFC 9293 §3.4.2 suggests MSL = 2 min.
const DefaultTimeWait = 60 * time.Second

// Config tunes the state machine.
type Config struct {
	// TimeWait is how long an endpoint stays in TIME-WAIT (2MSL) before the
	// timer returns it to CLOSED. Zero means DefaultTimeWait.
	TimeWait time.Duration
}

// EventKind says what an Event reports.
type EventKind uint8

// The event kinds.
const (
	Transition EventKind = iota // an endpoint changed state
	Violation                   // a segment's sender broke a rule of the RFCs, and the wire proves it
	// Note is what a receiver does with a segment that the RFCs tell it to
	// drop, ignore or answer (a RST, a challenge ACK): no one's fault. Its
	// Code is one whose Info().Fault is FaultNone.
	Note
)

// Event is something the state machine observed. Every state change is one
// Transition event; the timeline is made from these events only.
type Event struct {
	Kind EventKind
	// Side is the endpoint that changed state; for a violation the sender
	// of the offending segment, the endpoint at fault; for a note the
	// receiver of the segment, whose event it is.
	Side     Side
	From, To State
	Inferred bool // the analysis inferred what it could not see
	Code     Code // for a Violation or a Note
	// Dir and SegKind name the table cell a Transition followed:
	// Rules(Dir, SegKind, From) allows To.
	Dir     Dir
	SegKind Kind
	Cause   Cause  // "rcvd SYN,ACK", "sent FIN", "2MSL timeout"
	Detail  Detail // for a Violation: what followed, e.g. "challenge ACK seen"
	// Seg is the number (from 1) of the connection's segment that caused
	// the event; 0 for a timer.
	Seg     int
	Time    Time
	InState time.Duration // time spent in From; negative if From was never seen entered
}

// Endpoint is what the observer knows of one end of the connection. The
// names follow RFC 9293 §3.3.1; every value is as seen at the capture point.
type Endpoint struct {
	State State
	// Passive records whether SYN-RECEIVED was entered from LISTEN, as
	// RFC 9293 §3.5 MUST-11 requires: a reset then returns the endpoint
	// to LISTEN instead of closing it.
	Passive bool
	WScale  uint8 // window scale it offered on its SYN (RFC 7323)

	HasISS  bool // a SYN or SYN,ACK from it was seen (or inferred)
	HasIRS  bool
	Sent    bool // it has sent a segment that occupies sequence space or ACKs: SndNxt is valid
	HasAck  bool // it has sent an ACK (AckSnt is valid)
	HasUna  bool // SndUna is valid
	FinSent bool
	OffWS   bool // it offered window scaling
	HasTS   bool // it sent timestamps
	// scaleSet says the handshake settled window scaling (on or off). It
	// sits with the flags above to fill what would be padding before ISS.
	scaleSet bool

	ISS    Seq // its initial send sequence number
	IRS    Seq // the peer's initial sequence number, as it received it
	SndNxt Seq // one past the highest sequence number it sent
	SndUna Seq // the highest ACK of its data received from the peer
	AckSnt Seq // the highest ACK it sent: a lower bound of its RCV.NXT
	FinSeq Seq // sequence number of its FIN, when FinSent
	Base   Seq // ISS, or the first sequence number seen from it
	Window uint32
	TSVal  uint32

	Segs int // segments captured from it (Sent may also be inferred)

	touched bool // it took part: sent, or changed state
	entered bool // since holds
	hasEdge bool
	// before says State was entered before the capture began: it was
	// picked up mid-stream, at since.
	before     bool
	offTS      bool // it sent timestamps on its SYN
	synAckOnly bool // every segment it sent was a SYN,ACK
	synOnly    bool // every segment it sent was a bare SYN
	ackLost    bool // it resent its SYN,ACK after a handshake ACK: ACKs can be lost
	tsDropped  bool // timestamps_dropped was reported for it
	hasBad     bool
	ttl        uint8 // the TTL or hop limit of its first segment with one

	// rightEdge is the right edge of the windows it offered (AckSnt +
	// Window, once scaling is settled): the rightmost, as it only moves
	// to the right.
	rightEdge Seq
	maxWnd    uint32 // the largest window its peer offered it: MAX.SND.WND
	// badAck is the ACK of an unacceptable SYN,ACK it received in SYN-SENT;
	// its RST <SEQ=SEG.ACK> in answer keeps it in SYN-SENT (Figure 8).
	badAck Seq

	since   Time // when State was entered
	twStart Time // when the 2MSL timer was (re)started
}

// OnlySYNs reports whether every segment the endpoint sent was a bare SYN
// (and it sent one).
func (e *Endpoint) OnlySYNs() bool { return e.synOnly }

// Scale returns the window scale shift that applies to the windows this
// endpoint advertises, and whether the handshake settled it (RFC 7323 §2.2:
// only when both SYNs carried the option).
func (e *Endpoint) Scale() (shift uint8, known bool) { return e.WScale, e.scaleSet }

// Since returns when the endpoint entered its state, and whether the
// capture saw it enter: one picked up mid-stream was in its state before
// its first segment, the time returned. ok is false when not known.
func (e *Endpoint) Since() (at Time, seen, ok bool) {
	return e.since, !e.before, e.entered
}

// unseen reports whether the endpoint has shown nothing yet: it sent
// nothing and changed no state. It decides the cells of the first segment
// of a connection picked up mid-stream: an ACK or SYN,ACK sent to or by an
// unseen endpoint proves where it was, though the capture missed it.
func (e *Endpoint) unseen() bool { return !e.touched }

// Conn is one connection as the two endpoints see it. It is driven by Step
// with each segment in capture order and by Advance with the capture clock.
//
// A Conn may be copied: the copy goes on independently of the original,
// except that the two share the event buffer until one is lent another
// (see Lend), so events one returned are overwritten by the other's next
// call.
type Conn struct {
	// A capture can hold a million connections at once: pointers come
	// first (the collector scans a Conn only as far as its last pointer),
	// words before bytes, so that only the end of a Conn is padding, and
	// what few connections need lives outside it.

	// rec lists the segments whose meaning a later segment decides
	// (held.go), nil while neither endpoint holds one: most connections,
	// most of the time. What it points to is never changed, only
	// replaced, so a copy of the Conn never sees the original's records
	// change, nor the other way round.
	rec    *held
	events *[]Event // where the events of a call go (see Lend)
	ends   [2]Endpoint
	tw     time.Duration
	nseg   int
	self   bool // a self-connect: both sides are one socket
	client Side
	known  bool // client is known: it sent the first bare SYN
	tfo    bool // the opening SYN carried a TCP Fast Open option
	tsOn   bool // both SYNs carried timestamps (RFC 7323 §3.2)
	// foreign says the segment being applied came with another TTL than
	// its sender's first: most likely not the endpoint's own (see
	// Segment.TTL), so its violations are not charged to the endpoint.
	foreign bool
}

// NewConn returns a connection whose endpoints have shown nothing yet.
// self says source and destination are one socket (a self-connect).
func NewConn(cfg Config, self bool) *Conn {
	c := MakeConn(cfg, self)
	return &c
}

// MakeConn is NewConn as a value, for a caller that holds the connection
// inside a structure of its own (one allocation instead of two).
func MakeConn(cfg Config, self bool) Conn {
	c := Conn{self: self, tw: cfg.TimeWait}
	if c.tw <= 0 {
		c.tw = DefaultTimeWait
	}
	return c
}

// Lend gives the connection buf to hold the events that its next calls
// return, instead of a buffer of its own: a caller that keeps many
// connections lends one buffer to all of them in turn (a pointer, so that
// a Conn keeps one word for it). Each call empties *buf, appends to it
// and returns it. Lend(nil) takes it back: the next call makes a buffer
// of the connection's own.
func (c *Conn) Lend(buf *[]Event) { c.events = buf }

// begin empties the buffer that the events of a call go to.
func (c *Conn) begin() {
	if c.events == nil {
		c.events = new([]Event)
	}
	*c.events = (*c.events)[:0]
}

// Endpoint returns the endpoint on side s. In a self-connect both sides
// are the same endpoint.
func (c *Conn) Endpoint(s Side) *Endpoint {
	if c.self {
		return &c.ends[A]
	}
	return &c.ends[s]
}

// Self reports whether the connection is a self-connect.
func (c *Conn) Self() bool { return c.self }

// Segments returns how many segments the connection has seen.
func (c *Conn) Segments() int { return c.nseg }

// Client returns the side that sent the first bare SYN, and whether one
// was seen. Without one, roles are for the caller to guess.
func (c *Conn) Client() (Side, bool) { return c.client, c.known }

// Ended reports whether neither endpoint holds a live connection.
// An endpoint in TIME-WAIT counts as ended only when withTimeWait is set.
func (c *Conn) Ended(withTimeWait bool) bool {
	for s := A; s <= B; s++ {
		st := c.Endpoint(s).State
		if st == TimeWait && !withTimeWait {
			return false
		}
		if !st.Ended() {
			return false
		}
	}
	return true
}

// Step applies one segment sent by side from and returns the events it
// caused. The slice is reused by the next call.
//
// The segment is first a send for its sender (what sending it proves about
// the sender's state) and then a receive for the other endpoint
// (RFC 9293 §3.10.7). A segment carrying ACK and FIN is processed as the
// RFC does: the ACK part first (fifth check), the FIN part after (eighth).
func (c *Conn) Step(from Side, seg *Segment) []Event {
	c.begin()
	c.nseg++
	k := seg.kind()
	s, r := c.Endpoint(from), c.Endpoint(from.Other())
	c.foreign = false
	if seg.TTL != 0 {
		if s.ttl == 0 {
			s.ttl = seg.TTL
		}
		c.foreign = seg.TTL != s.ttl && !c.self
	}
	if seg.Malformed&(BadOffset|BadSum) != 0 {
		// Receivers discard it: it changes no state.
		code := BadDataOffset
		if seg.Malformed&BadSum != 0 {
			code = BadChecksum
		}
		c.violation(from, code, seg)
		return *c.events
	}
	if c.held(s, challengeDue).ok {
		// RFC 5961: the answer is <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
		detail := NoChallengeSeen
		if k == KindACK && seg.PayloadLen == 0 {
			detail = ChallengeSeen
		}
		c.resolveChallenge(s, detail)
	}
	if k == KindSYN && !c.known {
		c.client, c.known = from, true
		c.tfo = seg.Opts.HasFastOpen
	}

	// What the sender's segment says of what was held at it: a FIN it
	// received (eighth check), an ACK of data it had not sent (fifth).
	crossed := c.heldFIN(from, s, seg, k)
	c.heldUnsentAck(s, seg, k)
	if k == KindRST && c.rstIgnored(r, s, seg) {
		// Its receiver discards it (RFC 5961 §3.2), and no endpoint
		// sends a RST outside its peer's window but a forger or a stale
		// copy: it proves nothing about its claimed sender, whose state
		// stays as it was. conntrack, too, lets such a RST change nothing.
		c.receive(from.Other(), r, s, seg, k)
		return *c.events
	}
	c.checkSent(from, s, r, seg, k)
	c.send(from, s, r, seg, k)
	c.noteSent(s, r, seg, k)
	if crossed {
		// The peer's FIN reached it after it sent its own (Figure 13).
		c.release(s, pendingFIN)
		c.move(from, s, Rcvd, KindFIN, seg, CauseFINCrossed, false)
	}
	if c.held(r, pendingFIN).ok {
		c.applyFIN(from.Other(), r)
	}
	c.receive(from.Other(), r, s, seg, k)
	c.noteRcvd(r, seg)
	return *c.events
}

// receive applies seg to its receiver e, whose peer (the sender) is p,
// by the RFC 9293 §3.10.7.4 check its kind calls for: the second (RST,
// check_rst.go), the fourth (SYN, check_syn.go), the fifth (ACK,
// check_ack.go) and, for a FIN, the eighth after it (check_fin.go). A
// segment's kind has one of these bits but for FIN, which always comes
// with ACK (Classify). The first check's window is in check_seq.go.
func (c *Conn) receive(side Side, e, p *Endpoint, seg *Segment, k Kind) {
	switch k {
	case KindSYN:
		c.rcvdSYN(side, e, seg)
	case KindSYNACK:
		c.rcvdSYNACK(side, e, seg)
	case KindACK, KindFIN:
		c.rcvdACK(side, e, p, seg)
		if k == KindFIN {
			c.rcvdFIN(side, e, seg)
		}
	case KindRST:
		c.rcvdRST(side, e, p, seg)
	}
}

// Advance runs the timers up to now, the capture clock: an endpoint whose
// 2MSL timer has run out leaves TIME-WAIT for CLOSED. The event is dated
// when the timer expired, not now.
func (c *Conn) Advance(now Time) []Event {
	c.begin()
	for side := A; side <= B; side++ {
		e := c.Endpoint(side)
		if e.State == TimeWait {
			if at := e.twStart.Add(c.tw); !now.Before(at) {
				c.take(side, e, e.State, Rcvd, KindTimeout, toNext, at, 0, CauseTimeout, false)
			}
		}
		if c.self {
			break
		}
	}
	return *c.events
}

// Finish ends the observation: a FIN still held for its receiver's answer
// is taken as delivered, and a challenge ACK still due is reported as not
// seen. Call it once the capture has no more segments for the connection;
// it returns the events it caused.
func (c *Conn) Finish() []Event {
	c.begin()
	for side := A; side <= B; side++ {
		e := c.Endpoint(side)
		if c.held(e, pendingFIN).ok {
			c.applyFIN(side, e)
		}
		if c.held(e, challengeDue).ok {
			c.resolveChallenge(e, NoChallengeBeforeEnd)
		}
	}
	return *c.events
}

// expectChallenge notes that e owes a challenge ACK for seg, sent by from;
// the violation is reported once e's next segment shows whether it came.
func (c *Conn) expectChallenge(e *Endpoint, code Code, from Side, seg *Segment) {
	if c.held(e, challengeDue).ok {
		c.resolveChallenge(e, NoChallengeBeforeNext)
	}
	c.hold(e, challengeDue, record{code: code, from: from, time: seg.Time, seg: int32(c.nseg)})
}

func (c *Conn) resolveChallenge(e *Endpoint, detail Detail) {
	ch := c.release(e, challengeDue)
	c.violationAt(ch.from, ch.code, ch.time, int(ch.seg))
	(*c.events)[len(*c.events)-1].Detail = detail
}

// TimeWaitEnds returns when the 2MSL timer of side s runs out, if s is in
// TIME-WAIT.
func (c *Conn) TimeWaitEnds(s Side) (Time, bool) {
	e := c.Endpoint(s)
	if e.State != TimeWait {
		return 0, false
	}
	return e.twStart.Add(c.tw), true
}

func (c *Conn) violation(side Side, code Code, seg *Segment) {
	if c.foreign && code.Info().Fault == FaultSender {
		return
	}
	c.violationAt(side, code, seg.Time, c.nseg)
}

// violationAt records a violation of the segment numbered segno, sent by
// side at t; a verdict may come after the segment it is about.
//
// A code whose catalog entry blames no one (FaultNone) becomes a Note of
// the receiver (or of the sender, for NoteOfSender) instead.
func (c *Conn) violationAt(side Side, code Code, t Time, segno int) {
	kind := Violation
	if info := code.Info(); info.Fault == FaultNone {
		kind = Note
		if !info.NoteOfSender {
			side = side.Other()
		}
	}
	if c.self {
		side = A
	}
	*c.events = append(*c.events, Event{Kind: kind, Time: t, Seg: segno, Side: side, From: Keep, To: Keep, Code: code})
}

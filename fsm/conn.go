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
	// Seg is the number (from 1) of the connection's segment that caused
	// the event; 0 for a timer.
	Seg     int
	Time    time.Time
	Cause   string        // "rcvd SYN,ACK", "sent FIN", "2MSL timeout"
	InState time.Duration // time spent in From; negative if From was never seen entered
	Detail  string        // for a Violation: what followed, e.g. "challenge ACK seen"
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

	since   nanos // when State was entered
	twStart nanos // when the 2MSL timer was (re)started
}

// Scale returns the window scale shift that applies to the windows this
// endpoint advertises, and whether the handshake settled it (RFC 7323 §2.2:
// only when both SYNs carried the option).
func (e *Endpoint) Scale() (shift uint8, known bool) { return e.WScale, e.scaleSet }

// Since returns when the endpoint entered its state, and whether the
// capture saw it enter: one picked up mid-stream was in its state before
// its first segment, the time returned. ok is false when not known.
func (e *Endpoint) Since() (at time.Time, seen, ok bool) {
	return e.since.Time(), !e.before, e.entered
}

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

// Reopens reports whether a segment from side from starts a new incarnation
// of this connection's 4-tuple rather than belonging to it: a bare SYN
// after both endpoints have ended, but for a SYN that repeats a refused
// attempt's initial sequence number; or a SYN with a new initial sequence
// number from an endpoint in SYN-SENT whose peer sent no SYN,ACK. When the receiver lingers in TIME-WAIT
// the SYN must be newer than anything its sender sent before, by timestamp
// or by sequence number (RFC 9293 §3.6.1 MAY-2, RFC 6191 §2); an old
// duplicate SYN belongs to the old connection.
func (c *Conn) Reopens(from Side, seg *Segment) bool {
	if Classify(seg.Flags) != KindSYN || c.nseg == 0 {
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
		d, cause := Rcvd, causeReopenRcvd
		if side == from {
			d, cause = Send, causeReopenSent
		}
		c.take(side, e, e.State, d, KindSYN, toNext, seg.Time, 0, cause, false)
		if c.self {
			break
		}
	}
	return *c.events
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
	k := Classify(seg.Flags)
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
		detail := "no challenge ACK seen"
		if k == KindACK && seg.PayloadLen == 0 {
			detail = "challenge ACK seen"
		}
		c.resolveChallenge(s, detail)
	}
	if k == KindSYN && !c.known {
		c.client, c.known = from, true
		c.tfo = seg.Opts.HasFastOpen
	}

	crossed := false
	if p := c.held(s, pendingFIN); p.ok {
		covers := seg.Flags&ACK != 0 && seg.Ack.GreaterThan(p.seq)
		switch {
		case k == KindFIN && !covers:
			crossed = true
		case covers || k == KindRST || k == KindSYN || k == KindSYNACK:
			c.applyFIN(from, s)
		}
	}
	fresh := seg.Seq == s.SndNxt || seg.End().GreaterThan(s.SndNxt)
	if c.held(s, unsentAck).ok && k != KindRST && k != KindNone && fresh {
		// RFC 9293 §3.10.7.4 fifth: "If the ACK acks something not yet
		// sent (SEG.ACK > SND.NXT), then send an ACK, drop the segment".
		// Its next segment from SND.NXT on tells whether the capture
		// merely missed data; one that ends before SND.NXT (a
		// retransmission, a keep-alive) tells nothing, and it waits.
		u := c.release(s, unsentAck)
		// A segment that reaches the ACK is the data it acknowledged,
		// captured after the ACK (reordered before the capture point, or
		// a retransmission of data the capture missed): it was sent.
		if !seg.Seq.GreaterThan(s.SndNxt) && seg.End().LessThan(u.seq) {
			c.violationAt(u.from, AckOfUnsentData, u.time.Time(), int(u.seg))
		}
	}
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
		c.move(from, s, Rcvd, KindFIN, seg, causeFINCrossed, false)
	}
	if c.held(r, pendingFIN).ok {
		c.applyFIN(from.Other(), r)
	}
	c.receive(from.Other(), r, s, seg, k)
	c.noteRcvd(r, seg)
	return *c.events
}

// Advance runs the timers up to now, the capture clock: an endpoint whose
// 2MSL timer has run out leaves TIME-WAIT for CLOSED. The event is dated
// when the timer expired, not now.
func (c *Conn) Advance(now time.Time) []Event {
	c.begin()
	for side := A; side <= B; side++ {
		e := c.Endpoint(side)
		if e.State == TimeWait {
			if at := e.twStart.Time().Add(c.tw); !now.Before(at) {
				c.take(side, e, e.State, Rcvd, KindTimeout, toNext, at, 0, causeTimeout, false)
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
			c.resolveChallenge(e, "no challenge ACK seen before the capture ended")
		}
	}
	return *c.events
}

// expectChallenge notes that e owes a challenge ACK for seg, sent by from;
// the violation is reported once e's next segment shows whether it came.
func (c *Conn) expectChallenge(e *Endpoint, code Code, from Side, seg *Segment) {
	if c.held(e, challengeDue).ok {
		c.resolveChallenge(e, "no challenge ACK seen before the next one was due")
	}
	c.hold(e, challengeDue, record{code: code, from: from, time: nanosOf(seg.Time), seg: int32(c.nseg)})
}

func (c *Conn) resolveChallenge(e *Endpoint, detail string) {
	ch := c.release(e, challengeDue)
	c.violationAt(ch.from, ch.code, ch.time.Time(), int(ch.seg))
	(*c.events)[len(*c.events)-1].Detail = detail
}

// applyFIN delivers a held FIN, dated when it was captured.
func (c *Conn) applyFIN(side Side, e *Endpoint) {
	p := c.release(e, pendingFIN)
	c.take(side, e, e.State, Rcvd, KindFIN, toNext, p.time.Time(), int(p.seg), "", false)
}

// TimeWaitEnds returns when the 2MSL timer of side s runs out, if s is in
// TIME-WAIT.
func (c *Conn) TimeWaitEnds(s Side) (time.Time, bool) {
	e := c.Endpoint(s)
	if e.State != TimeWait {
		return time.Time{}, false
	}
	return e.twStart.Time().Add(c.tw), true
}

// Causes of transitions.
var causes = [NumDirs][NumKinds]string{
	Send: {"sent SYN", "sent SYN,ACK", "sent FIN", "sent ACK", "sent RST", "sent no flags", ""},
	Rcvd: {"rcvd SYN", "rcvd SYN,ACK", "rcvd FIN", "rcvd ACK", "rcvd RST", "rcvd no flags", "2MSL timeout"},
}

const (
	causeTimeout      = "2MSL timeout"
	causeFINCrossed   = "rcvd FIN (crossed its own)"
	causeReopenRcvd   = "rcvd SYN of a new connection on the 4-tuple"
	causeReopenSent   = "sent SYN of a new connection on the 4-tuple"
	causeCrossed      = "rcvd SYN (crossed its own)"
	causeMidSend      = "sent ACK (mid-stream: handshake not captured)"
	causeMidRcvd      = "rcvd ACK (mid-stream: handshake not captured)"
	causeSynNotSeen   = "sent SYN,ACK (the SYN was not captured)"
	causeSynAckNotSee = "sent ACK (the SYN,ACK was not captured)"
	causeOwnSynUnseen = "rcvd SYN,ACK (its SYN was not captured)"
	causeAckNotSeen   = "sent ACK (the peer's ACK of its SYN was not captured)"
	causeAckLost      = "resent SYN,ACK: the ACK was lost"
	causeSynAckLost   = "resent SYN: the SYN,ACK never arrived"
	causeAckArrived   = "sent ACK (a handshake ACK did arrive)"
)

// outcome names which of a table cell's two outcomes a state change
// follows. The cell's guard (Rule.Guard) is the code that picks it.
type outcome uint8

const (
	toNext outcome = iota // the cell's Next, under its When
	toAlt                 // the cell's Alt, under its AltWhen
)

// take moves endpoint e along the table cell for (d, k, from) to the
// outcome out picks. from is e.State but where the capture could not show
// the state e was in: a listener's LISTEN, inferred from its answer to a
// SYN (resolvePassive). Every state change goes through here, so every
// change obeys the table and makes one event.
func (c *Conn) take(side Side, e *Endpoint, from State, d Dir, k Kind, out outcome, at time.Time, seg int, cause string, inferred bool) {
	rule := &table[d][k][from]
	next := rule.Next
	if out == toAlt {
		next = rule.Alt
	}
	if next == Keep {
		return
	}
	if cause == "" {
		cause = causes[d][k]
	}
	if c.self {
		side = A // one socket
	}
	ev := Event{Kind: Transition, Time: at, Seg: seg, Side: side, From: from, To: next, Cause: cause, Inferred: inferred, Dir: d, SegKind: k}
	ev.InState = -1
	if e.entered {
		ev.InState = at.Sub(e.since.Time())
	}
	*c.events = append(*c.events, ev)
	e.State, e.since, e.entered, e.touched = next, nanosOf(at), true, true
	e.before = cause == causeMidSend || cause == causeMidRcvd
	if next == TimeWait {
		e.twStart = nanosOf(at)
	}
}

// move is take for the segment being processed.
func (c *Conn) move(side Side, e *Endpoint, d Dir, k Kind, seg *Segment, cause string, inferred bool) {
	c.take(side, e, e.State, d, k, toNext, seg.Time, c.nseg, cause, inferred)
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
func (c *Conn) violationAt(side Side, code Code, t time.Time, segno int) {
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

// resolvePassive settles a pending SYN as received by a listener: the
// endpoint was LISTEN and entered SYN-RECEIVED when the SYN arrived, so the
// transition is dated at that SYN.
func (c *Conn) resolvePassive(side Side, e *Endpoint) {
	p := c.release(e, pendingSYN)
	e.Passive = true
	e.IRS, e.HasIRS = p.seq, true
	// It was LISTEN when the SYN arrived, which the capture could not show:
	// the cell is LISTEN's, and the event says it was left.
	c.take(side, e, Listen, Rcvd, KindSYN, toNext, p.time.Time(), int(p.seg), "", false)
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
			c.move(side, e, Send, k, seg, "", false)
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
			if e.synOnly && e.HasISS && seg.Seq == e.ISS {
				c.move(side, e, Send, k, seg, causeSynAckLost, true)
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
			c.move(side, e, Rcvd, KindSYN, seg, causeCrossed, false)
		}
	case KindSYNACK:
		switch e.State {
		case Closed, Listen:
			e.Passive = true
			c.move(side, e, Send, k, seg, causeSynNotSeen, true)
		case SynSent:
			c.move(side, e, Send, k, seg, causeSynNotSeen, true)
		case Established:
			// A SYN,ACK is retransmitted only from SYN-RECEIVED: the ACK
			// that seemed to complete the handshake never arrived.
			if e.synAckOnly && e.HasISS && seg.Seq == e.ISS {
				c.move(side, e, Send, k, seg, causeAckLost, true)
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
			if !e.touched {
				c.move(side, e, Send, KindACK, seg, causeMidSend, true)
			}
		case SynSent:
			c.move(side, e, Send, KindACK, seg, causeSynAckNotSee, true)
		case SynReceived:
			switch {
			case p.Segs == 0 && !c.self:
				// Only its direction is in the capture.
				c.move(side, e, Send, KindACK, seg, causeAckNotSeen, true)
			case e.ackLost:
				// It sends as a synchronized endpoint: a handshake ACK
				// did arrive after all.
				c.move(side, e, Send, KindACK, seg, causeAckArrived, true)
			}
		}
		if k == KindFIN {
			c.move(side, e, Send, KindFIN, seg, "", false)
		}
	case KindRST:
		if e.State == SynSent && e.hasBad && seg.Seq == e.badAck {
			// RST <SEQ=SEG.ACK> answering an unacceptable ACK: the
			// endpoint stays in SYN-SENT (RFC 9293 §3.10.7.3, Figure 8).
			e.hasBad = false
			break
		}
		c.move(side, e, Send, k, seg, "", false)
	}
}

// receive applies seg to its receiver e, whose peer (the sender) is p.
func (c *Conn) receive(side Side, e, p *Endpoint, seg *Segment, k Kind) {
	switch k {
	case KindSYN:
		c.rcvdSYN(side, e, seg)
	case KindSYNACK:
		c.rcvdSYNACK(side, e, seg)
	case KindACK, KindFIN:
		c.rcvdACK(side, e, p, seg)
		if k == KindFIN && e.State == Established && !c.self {
			c.hold(e, pendingFIN, record{seq: seg.Seq.Add(uint32(seg.PayloadLen)), time: nanosOf(seg.Time), seg: int32(c.nseg)})
		} else if k == KindFIN {
			c.move(side, e, Rcvd, KindFIN, seg, "", false)
			if e.State == TimeWait {
				e.twStart = nanosOf(seg.Time) // a retransmitted FIN restarts 2MSL
			}
		}
	case KindRST:
		c.rcvdRST(side, e, p, seg)
	}
}

func (c *Conn) rcvdSYN(side Side, e *Endpoint, seg *Segment) {
	switch e.State {
	case Closed:
		if !e.touched {
			// Wait for its answer: SYN,ACK (listener), RST (closed port)
			// or its own SYN (crossed).
			c.hold(e, pendingSYN, record{seq: seg.Seq, time: nanosOf(seg.Time), seg: int32(c.nseg)})
		}
	case Listen:
		e.Passive = true
		e.IRS, e.HasIRS = seg.Seq, true
		c.move(side, e, Rcvd, KindSYN, seg, "", false)
	case SynSent:
		e.Passive = false
		e.IRS, e.HasIRS = seg.Seq, true
		c.move(side, e, Rcvd, KindSYN, seg, "", false)
	case SynReceived:
		if e.HasIRS && seg.Seq == e.IRS {
			return // retransmitted SYN
		}
		if e.Passive {
			// RFC 9293 §3.10.7.4 fourth: "if the connection was initiated
			// with a passive OPEN, then return this connection to the
			// LISTEN state".
			c.take(side, e, e.State, Rcvd, KindSYN, toAlt, seg.Time, c.nseg, "", false)
		}
	}
}

func (c *Conn) rcvdSYNACK(side Side, e *Endpoint, seg *Segment) {
	switch e.State {
	case Closed:
		if !e.touched {
			// Its SYN was not captured: it was SYN-SENT.
			e.ISS, e.HasISS = seg.Ack-1, true
			e.SndNxt, e.Sent = seg.Ack, true
			e.IRS, e.HasIRS = seg.Seq, true
			c.move(side, e, Rcvd, KindSYNACK, seg, causeOwnSynUnseen, true)
		}
	case SynSent:
		// RFC 9293 §3.10.7.3: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send
		// a reset"; otherwise the handshake completes.
		if !seg.Ack.GreaterThan(e.ISS) || seg.Ack.GreaterThan(e.SndNxt) {
			c.violation(side.Other(), SynAckBadAck, seg)
			e.badAck, e.hasBad = seg.Ack, true
			return
		}
		e.IRS, e.HasIRS = seg.Seq, true
		c.move(side, e, Rcvd, KindSYNACK, seg, "", false)
	case SynReceived:
		if c.acceptableAck(e, seg.Ack) {
			c.move(side, e, Rcvd, KindSYNACK, seg, "", false)
		}
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
		if !e.touched {
			c.move(side, e, Rcvd, KindACK, seg, causeMidRcvd, true)
		} else if seg.LEN() > 0 {
			// Pure ACKs to a closed endpoint are left alone: late and
			// duplicated ACKs are common and carry nothing.
			c.violation(side.Other(), SegmentToClosed, seg)
		}
		return
	case SynReceived:
		// After it proved one handshake ACK lost (it resent its SYN,ACK),
		// an ACK is believed only when it answers as synchronized.
		if c.acceptableAck(e, seg.Ack) && !e.ackLost {
			c.move(side, e, Rcvd, KindACK, seg, "", false)
		}
	case FinWait1, Closing, LastAck:
		if acksFIN(e, seg.Ack) {
			c.move(side, e, Rcvd, KindACK, seg, "", false)
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
			c.hold(e, unsentAck, record{seq: seg.Ack, time: nanosOf(seg.Time), seg: int32(c.nseg), from: side.Other()})
		}
	}
}

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
		if seg.Flags&ACK != 0 && seg.Ack.GreaterThan(e.ISS) && seg.Ack.LessThanEq(e.SndNxt) {
			c.move(side, e, Rcvd, KindRST, seg, "", false)
		} else {
			c.violation(side.Other(), RstBadAckInSynSent, seg)
		}
		return
	}
	switch c.rstVerdict(e, p, seg.Seq) {
	case rstExact:
		if e.State == TimeWait {
			// RFC 9293 closes; RFC 1337 §3 would ignore it.
			c.violation(side.Other(), RstKillsTimeWait, seg)
		}
		out := toNext
		if e.State == SynReceived && e.Passive {
			out = toAlt
		}
		c.take(side, e, e.State, Rcvd, KindRST, out, seg.Time, c.nseg, "", false)
	case rstInWindow:
		c.expectChallenge(e, RstInWindow, side.Other(), seg)
	case rstOutside:
		c.violation(side.Other(), RstOutOfWindow, seg)
	}
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

// noteRcvd records the ACK its receiver r got.
func (c *Conn) noteRcvd(r *Endpoint, seg *Segment) {
	if seg.Flags&ACK == 0 || Classify(seg.Flags) == KindRST {
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

// nanos is a capture time held compactly inside an endpoint: nanoseconds
// since the Unix epoch, in UTC as the capture package gives times.
type nanos int64

func nanosOf(t time.Time) nanos { return nanos(t.UnixNano()) }

func (n nanos) Time() time.Time { return time.Unix(0, int64(n)).UTC() }

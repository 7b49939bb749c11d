package fsm

// Rule is one cell of the transition table: what a segment of one kind does
// to an endpoint in one state, seen from one direction.
//
// Next is the state entered when the condition When holds ("" means always);
// Alt, when not Keep, is the other possible outcome, under AltWhen. Neither
// holding means the state is kept. The conditions are checked in code: a
// cell with a condition names in Guard the one function that decides it,
// in the file of the RFC 9293 §3.10.7 check it belongs to (see the package
// comment), and that function picks the outcome take follows. The table
// only lists which outcomes exist, so that every transition the analysis
// makes can be checked against it and printed.
type Rule struct {
	Next    State
	When    string
	Alt     State
	AltWhen string
	// Guard is the name of the function that decides a conditional cell;
	// "" for a cell that always has its one outcome, or none.
	Guard string
	Note  string
}

// Allows reports whether the rule permits moving to state to.
func (r Rule) Allows(to State) bool {
	return to != Keep && (to == r.Next || to == r.Alt)
}

func keep(note string) Rule { return Rule{Next: Keep, Alt: Keep, Note: note} }

func to(s State, note string) Rule { return Rule{Next: s, Alt: Keep, Note: note} }

// when is a cell whose one outcome, s, is taken only under cond, which the
// function named guard decides.
func when(s State, cond, guard, note string) Rule {
	return Rule{Next: s, When: cond, Alt: Keep, Guard: guard, Note: note}
}

// either is a cell with two outcomes, next under cond and alt under
// altCond, between which the function named guard decides.
func either(next State, cond string, alt State, altCond, guard, note string) Rule {
	return Rule{Next: next, When: cond, Alt: alt, AltWhen: altCond, Guard: guard, Note: note}
}

// Rules returns the table cell for a segment of kind k sent or received (d)
// by an endpoint in state s.
func Rules(d Dir, k Kind, s State) Rule { return table[d][k][s] }

// The table, after nf_conntrack's tcp_conntracks[dir][kind][state] but per
// endpoint and in RFC 9293 terms. Send rows say what an endpoint's own
// segment proves about it (RFC 9293 §3.10.1-§3.10.5 and Figure 5); receive
// rows follow the segment-arrival rules of §3.10.7, with RFC 5961 behaviour
// for RST and SYN in synchronized states.
var table = [NumDirs][NumKinds][NumStates]Rule{
	Send: {
		KindSYN: {
			Closed:      to(SynSent, "active OPEN (§3.10.1): the sender's first SYN"),
			Listen:      to(SynSent, "SEND in LISTEN turns a passive endpoint active (Figure 5)"),
			SynSent:     keep("SYN retransmitted; a new ISN is a new attempt"),
			SynReceived: keep("passive: its own SYN crossed the peer's (simultaneous open); active: retransmission"),
			Established: when(SynSent, "it has sent nothing but its SYN", "resendsSYN", "resending its SYN proves the peer's SYN,ACK never arrived, lost after the capture point"),
			FinWait1:    keep("SYN in a synchronized connection"),
			FinWait2:    keep("SYN in a synchronized connection"),
			CloseWait:   keep("SYN in a synchronized connection"),
			Closing:     keep("SYN in a synchronized connection"),
			LastAck:     keep("SYN in a synchronized connection"),
			TimeWait:    when(Closed, "it opens a new incarnation", "Reopens", "reusing its own 4-tuple ends its TIME-WAIT; the SYN starts a new connection"),
		},
		KindSYNACK: {
			Closed:      to(SynReceived, "answer to a SYN: the sender was LISTEN (passive OPEN)"),
			Listen:      to(SynReceived, "answer to a SYN the capture did not show"),
			SynSent:     to(SynReceived, "simultaneous open: the peer's SYN was not captured"),
			SynReceived: keep("the SYN,ACK of the handshake, or its retransmission (seq = ISS)"),
			Established: when(SynReceived, "it has sent nothing but its SYN,ACK", "resendsSYNACK", "retransmitting its SYN,ACK proves the handshake's ACK was lost after the capture point"),
			FinWait1:    keep("SYN,ACK in a synchronized connection"),
			FinWait2:    keep("SYN,ACK in a synchronized connection"),
			CloseWait:   keep("SYN,ACK in a synchronized connection"),
			Closing:     keep("SYN,ACK in a synchronized connection"),
			LastAck:     keep("SYN,ACK in a synchronized connection"),
			TimeWait:    keep("SYN,ACK in a synchronized connection"),
		},
		KindFIN: {
			Closed:      keep("a closed endpoint has no FIN to send; mid-stream, the ACK part already made it ESTABLISHED"),
			Listen:      keep("a listener has nothing to close"),
			SynSent:     keep("CLOSE in SYN-SENT deletes the TCB without a FIN (§3.10.4)"),
			SynReceived: to(FinWait1, "CLOSE in SYN-RECEIVED sends FIN (§3.10.4)"),
			Established: to(FinWait1, "CLOSE: FIN sent (§3.10.4)"),
			FinWait1:    keep("FIN retransmitted"),
			FinWait2:    keep("FIN retransmitted after it was ACKed"),
			CloseWait:   to(LastAck, "CLOSE after the peer's FIN (§3.10.4)"),
			Closing:     keep("FIN retransmitted"),
			LastAck:     keep("FIN retransmitted"),
			TimeWait:    keep("FIN retransmitted"),
		},
		KindACK: {
			Closed:      when(Established, "first segment seen (mid-stream)", "unseen", "the handshake was not captured: the sender is synchronized"),
			Listen:      keep("a listener sends no ACK"),
			SynSent:     when(Established, "it acknowledges the peer's SYN", "acksPeerSYN", "the SYN,ACK it answers was not captured"),
			SynReceived: when(Established, "the peer is not captured, or a handshake ACK was lost", "sendsSynchronized", "it sends data or ACKs only once synchronized: the handshake's ACK reached it"),
			Established: keep("data or ACK"),
			FinWait1:    keep("ACK; new data after its own FIN is a violation"),
			FinWait2:    keep("ACK; new data after its own FIN is a violation"),
			CloseWait:   keep("half-close: it may still send data (§3.6.1)"),
			Closing:     keep("ACK of the peer's FIN"),
			LastAck:     keep("ACK"),
			TimeWait:    keep("ACK of a retransmitted FIN"),
		},
		KindRST: {
			Closed:      keep("reply to a segment for no connection (§3.10.7.1)"),
			Listen:      keep("reply to an ACK sent to a listener (§3.10.7.2)"),
			SynSent:     when(Closed, "it aborts", "answersBadAck", "ABORT; a RST <SEQ=SEG.ACK> answering an unacceptable ACK keeps SYN-SENT (Figure 8)"),
			SynReceived: to(Closed, "ABORT (§3.10.5)"),
			Established: to(Closed, "ABORT (§3.10.5); RFC 9293 Figure 5 note 3 allows TIME-WAIT, we follow ABORT"),
			FinWait1:    to(Closed, "ABORT (§3.10.5)"),
			FinWait2:    to(Closed, "ABORT (§3.10.5)"),
			CloseWait:   to(Closed, "ABORT (§3.10.5)"),
			Closing:     to(Closed, "ABORT (§3.10.5)"),
			LastAck:     to(Closed, "ABORT (§3.10.5)"),
			TimeWait:    to(Closed, "reset from TIME-WAIT: the endpoint drops its time-wait state"),
		},
		KindNone: {
			Closed:      keep("dropped by receivers"),
			Listen:      keep("dropped by receivers"),
			SynSent:     keep("dropped by receivers"),
			SynReceived: keep("dropped by receivers"),
			Established: keep("dropped by receivers"),
			FinWait1:    keep("dropped by receivers"),
			FinWait2:    keep("dropped by receivers"),
			CloseWait:   keep("dropped by receivers"),
			Closing:     keep("dropped by receivers"),
			LastAck:     keep("dropped by receivers"),
			TimeWait:    keep("dropped by receivers"),
		},
		KindTimeout: {
			Closed:      keep("timers are not sent"),
			Listen:      keep("timers are not sent"),
			SynSent:     keep("timers are not sent"),
			SynReceived: keep("timers are not sent"),
			Established: keep("timers are not sent"),
			FinWait1:    keep("timers are not sent"),
			FinWait2:    keep("timers are not sent"),
			CloseWait:   keep("timers are not sent"),
			Closing:     keep("timers are not sent"),
			LastAck:     keep("timers are not sent"),
			TimeWait:    keep("timers are not sent"),
		},
	},
	Rcvd: {
		KindSYN: {
			Closed:      keep("a listener enters SYN-RECEIVED, a closed port answers RST: the receiver's answer tells which"),
			Listen:      to(SynReceived, "passive OPEN: SYN received, SYN,ACK due (§3.10.7.2)"),
			SynSent:     to(SynReceived, "simultaneous open: the SYNs crossed (§3.5 Figure 7)"),
			SynReceived: either(Keep, "", Listen, "passive and not a retransmission", "returnsToListen", "retransmitted SYN is ignored; a new SYN returns a passive endpoint to LISTEN (§3.10.7.4 fourth)"),
			Established: keep("challenge ACK due, segment dropped (RFC 5961 §4)"),
			FinWait1:    keep("challenge ACK due (RFC 5961 §4)"),
			FinWait2:    keep("challenge ACK due (RFC 5961 §4)"),
			CloseWait:   keep("challenge ACK due (RFC 5961 §4)"),
			Closing:     keep("challenge ACK due (RFC 5961 §4)"),
			LastAck:     keep("challenge ACK due (RFC 5961 §4)"),
			TimeWait:    when(Closed, "the SYN is newer (§3.6.1 MAY-2, RFC 6191)", "Reopens", "a newer SYN ends TIME-WAIT and starts a new connection; an old one gets a challenge ACK"),
		},
		KindSYNACK: {
			Closed:      when(Established, "first segment seen (mid-stream)", "unseen", "its SYN was not captured: it was SYN-SENT"),
			Listen:      keep("any ACK to a listener gets a RST (§3.10.7.2)"),
			SynSent:     when(Established, "it acknowledges our SYN", "acksOurSYN", "handshake completes, ACK due (§3.10.7.3); a bad ACK gets a RST"),
			SynReceived: when(Established, "it acknowledges our SYN", "acceptableAck", "simultaneous open: the SYN part is old, the ACK completes it (Figure 7)"),
			Established: keep("retransmitted SYN,ACK: ACK due"),
			FinWait1:    keep("challenge ACK due (RFC 5961 §4)"),
			FinWait2:    keep("challenge ACK due (RFC 5961 §4)"),
			CloseWait:   keep("challenge ACK due (RFC 5961 §4)"),
			Closing:     keep("challenge ACK due (RFC 5961 §4)"),
			LastAck:     keep("challenge ACK due (RFC 5961 §4)"),
			TimeWait:    keep("challenge ACK due (RFC 5961 §4)"),
		},
		KindFIN: {
			Closed:      keep("dropped, RST due (§3.10.7.1); mid-stream, the ACK part already made it ESTABLISHED"),
			Listen:      keep("FIN to a listener: RST or dropped (§3.10.7.2)"),
			SynSent:     keep("FIN is not processed before synchronization (§3.10.7.3)"),
			SynReceived: keep("the ACK part decides first; an unacceptable ACK drops the FIN"),
			Established: to(CloseWait, "peer closed its side (§3.10.7.4 eighth)"),
			FinWait1:    to(Closing, "simultaneous close: FIN before our FIN was ACKed (Figure 13)"),
			FinWait2:    to(TimeWait, "peer's FIN after ours was ACKed (Figure 12)"),
			CloseWait:   keep("retransmitted FIN"),
			Closing:     keep("retransmitted FIN"),
			LastAck:     keep("retransmitted FIN"),
			TimeWait:    keep("retransmitted FIN: ACK it and restart the 2MSL timer (§3.10.7.4 eighth)"),
		},
		KindACK: {
			Closed:      when(Established, "first segment seen (mid-stream)", "unseen", "the handshake was not captured: the receiver is synchronized"),
			Listen:      keep("any ACK to a listener gets a RST (§3.10.7.2)"),
			SynSent:     keep("an ACK without SYN is dropped; a bad ACK gets a RST (§3.10.7.3)"),
			SynReceived: when(Established, "it acknowledges our SYN (and no handshake ACK was seen lost)", "completesHandshake", "handshake complete (§3.10.7.4 fifth)"),
			Established: keep("data or ACK; an ACK of unsent data gets an ACK and is dropped"),
			FinWait1:    when(FinWait2, "it acknowledges our FIN", "acksFIN", "our FIN is ACKed (§3.10.7.4 fifth)"),
			FinWait2:    keep("data still accepted: half-close (§3.6.1)"),
			CloseWait:   keep("ACK"),
			Closing:     when(TimeWait, "it acknowledges our FIN", "acksFIN", "simultaneous close completes (Figure 13)"),
			LastAck:     when(Closed, "it acknowledges our FIN", "acksFIN", "the last ACK: the connection is closed (Figure 12)"),
			TimeWait:    keep("ACK in TIME-WAIT"),
		},
		// A RST resets a synchronized or SYN-RECEIVED endpoint only at
		// exactly RCV.NXT, and a passive SYN-RECEIVED one returns to LISTEN:
		// resetOutcome (check_rst.go) decides both.
		KindRST: {
			Closed:      keep("a RST to no connection is dropped (§3.10.7.1)"),
			Listen:      keep("a RST to a listener is ignored (§3.10.7.2)"),
			SynSent:     when(Closed, "it acknowledges our SYN", "acksOurSYN", "connection refused or reset (§3.10.7.3); otherwise dropped"),
			SynReceived: either(Closed, "active, SEQ = RCV.NXT", Listen, "passive, SEQ = RCV.NXT", "resetOutcome", "a passive endpoint returns to LISTEN, an active one is refused (§3.10.7.4 second)"),
			Established: when(Closed, "SEQ = RCV.NXT", "resetOutcome", "reset (RFC 5961 §3.2); in window but not exact: challenge ACK; outside: ignored"),
			FinWait1:    when(Closed, "SEQ = RCV.NXT", "resetOutcome", "reset (RFC 5961 §3.2)"),
			FinWait2:    when(Closed, "SEQ = RCV.NXT", "resetOutcome", "reset (RFC 5961 §3.2)"),
			CloseWait:   when(Closed, "SEQ = RCV.NXT", "resetOutcome", "reset (RFC 5961 §3.2)"),
			Closing:     when(Closed, "SEQ = RCV.NXT", "resetOutcome", "reset (RFC 5961 §3.2)"),
			LastAck:     when(Closed, "SEQ = RCV.NXT", "resetOutcome", "reset (RFC 5961 §3.2)"),
			TimeWait:    when(Closed, "SEQ = RCV.NXT", "resetOutcome", "RFC 9293 closes on it (Linux does too); RFC 1337 would ignore it"),
		},
		KindNone: {
			Closed:      keep("dropped"),
			Listen:      keep("dropped"),
			SynSent:     keep("dropped"),
			SynReceived: keep("dropped"),
			Established: keep("dropped: no ACK bit (§3.10.7.4 fifth)"),
			FinWait1:    keep("dropped: no ACK bit"),
			FinWait2:    keep("dropped: no ACK bit"),
			CloseWait:   keep("dropped: no ACK bit"),
			Closing:     keep("dropped: no ACK bit"),
			LastAck:     keep("dropped: no ACK bit"),
			TimeWait:    keep("dropped: no ACK bit"),
		},
		KindTimeout: {
			Closed:      keep("no timer"),
			Listen:      keep("no timer"),
			SynSent:     keep("no timer: retransmission and user timeouts are not modelled"),
			SynReceived: keep("no timer modelled"),
			Established: keep("no timer modelled"),
			FinWait1:    keep("no timer modelled"),
			FinWait2:    keep("no timer modelled (Linux's tcp_fin_timeout is host policy)"),
			CloseWait:   keep("no timer modelled"),
			Closing:     keep("no timer modelled"),
			LastAck:     keep("no timer modelled"),
			TimeWait:    to(Closed, "2MSL timer expired (§3.6.1 MUST-13)"),
		},
	},
}

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
func (c *Conn) take(side Side, e *Endpoint, from State, d Dir, k Kind, out outcome, at Time, seg int, cause Cause, inferred bool) {
	rule := &table[d][k][from]
	next := rule.Next
	if out == toAlt {
		next = rule.Alt
	}
	if next == Keep {
		return
	}
	if cause == NoCause {
		cause = causeOf(d, k)
	}
	if c.self {
		side = A // one socket
	}
	ev := Event{Kind: Transition, Time: at, Seg: seg, Side: side, From: from, To: next, Cause: cause, Inferred: inferred, Dir: d, SegKind: k}
	ev.InState = -1
	if e.entered {
		ev.InState = at.Sub(e.since)
	}
	*c.events = append(*c.events, ev)
	e.State, e.since, e.entered, e.touched = next, at, true, true
	e.before = cause == CauseMidSend || cause == CauseMidRcvd
	if next == TimeWait {
		e.twStart = at
	}
}

// move is take for the segment being processed.
func (c *Conn) move(side Side, e *Endpoint, d Dir, k Kind, seg *Segment, cause Cause, inferred bool) {
	c.take(side, e, e.State, d, k, toNext, seg.Time, c.nseg, cause, inferred)
}

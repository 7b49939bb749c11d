package fsm

// Severity ranks a violation.
type Severity uint8

// Severities, from worst.
const (
	SevError Severity = iota
	SevWarning
	SevNotice
)

// String returns "error", "warning" or "notice", the JSON spelling.
func (s Severity) String() string {
	switch s {
	case SevError:
		return "error"
	case SevWarning:
		return "warning"
	}
	return "notice"
}

// Code identifies one kind of violation. Codes are data, not errors: each
// names a rule of the RFCs that a segment on the wire broke. Their names
// are part of the JSON schema and are never renamed.
type Code uint16

// The violation codes. Codes[c] describes each.
const (
	DataAfterFIN Code = iota + 1
	AckOfUnsentData
	SynFin
	SynRst
	NoFlags
	RstOutOfWindow
	RstBadAckInSynSent
	SynAckBadAck
	DataBeforeHandshake
	SynInSynchronized
	SegmentToClosed
	FinWithoutAck
	RstInWindow
	AckTooOld
	TimeWaitOldSyn
	RstKillsTimeWait
	SynISNChanged
	WindowShrunk
	DataBeyondWindow
	SynOptionOutsideSyn
	TimestampsDropped
	BadDataOffset
	OptionsOverrun
	BadChecksum

	numCodes = int(BadChecksum) + 1
)

// Fault says whom a code blames.
type Fault uint8

const (
	// FaultSender: the segment's sender broke the rule, and the wire
	// proves it, allowing for segments in flight, capture loss and
	// reordering. Reported as a violation of the sender.
	FaultSender Fault = iota
	// FaultNone: no one broke a rule the wire can prove. What happened is
	// what the receiver does with the segment (drops it, ignores it, owes
	// a RST or a challenge ACK), or something the sender may do within
	// the RFC. Reported as a note, of the receiver unless NoteOfSender.
	FaultNone
)

// CodeInfo is the catalog entry of a code.
type CodeInfo struct {
	Name     string // stable snake_case code
	Severity Severity
	RFC      string // the clause, "RFC 9293 §3.10.7.4"
	Summary  string // one sentence: what happened
	Explain  string // one sentence: why the RFC forbids it, or what it asks of the receiver
	Fault    Fault
	// NoteOfSender says that a FaultNone code is a note of the segment's
	// sender, not of its receiver.
	NoteOfSender bool
	// Guard says what the wire must show before the code is reported: what
	// keeps it from a false alarm.
	Guard string
}

// catalog is the one place where violation codes are described; the README
// table is generated from it (go test ./fsm -run TestCatalogInREADME checks).
var catalog = [numCodes]CodeInfo{
	DataAfterFIN: {
		Name: "data_after_fin", Severity: SevError, RFC: "RFC 9293 §3.10.2",
		Summary: "new data sent after the sender's own FIN",
		Explain: "after CLOSE a TCP must refuse SEND (\"error: connection closing\"): the FIN is the last octet of its stream",
		Fault:   FaultSender,
		Guard:   "only octets beyond the FIN's own sequence number (data sent again from before it is a retransmission), and never after the sender started a new sequence space with a SYN or SYN,ACK",
	},
	AckOfUnsentData: {
		Name: "ack_of_unsent_data", Severity: SevWarning, RFC: "RFC 9293 §3.10.7.4",
		Summary: "ACK of sequence space the peer never sent (or the capture missed)",
		Explain: "if SEG.ACK > SND.NXT the receiver must answer with an ACK and drop the segment; an observer also sees this when the capture lost the data, so it is reported only when the peer's next segment neither jumps past the data nor reaches the ACK, and never for the ACK one past a keep-alive on a connection picked up mid-stream",
		Fault:   FaultSender,
		Guard:   "held until the peer's next segment: not when that segment jumps past the data (the capture missed it) or reaches the ACK (it was captured after its ACK), nor for the ACK one past a keep-alive on a connection picked up mid-stream",
	},
	SynFin: {
		Name: "syn_fin", Severity: SevError, RFC: "RFC 9293 §3.4",
		Summary: "segment with both SYN and FIN",
		Explain: "SYN opens a sequence space and FIN ends it; stacks and firewalls drop the combination, scanners use it",
		Fault:   FaultSender,
		Guard:   "the flags are in the header the sender built: no loss, reordering or flight time makes them",
	},
	SynRst: {
		Name: "syn_rst", Severity: SevError, RFC: "RFC 9293 §3.10.7",
		Summary: "segment with both SYN and RST",
		Explain: "a reset ends a connection and a SYN starts one; no TCP sends both and receivers discard it",
		Fault:   FaultSender,
		Guard:   "the flags are in the header the sender built",
	},
	NoFlags: {
		Name: "no_flags", Severity: SevError, RFC: "RFC 9293 §3.1",
		Summary: "segment with none of SYN, FIN, RST or ACK",
		Explain: "every segment after the first SYN must carry ACK (\"once a connection is established, this is always sent\"); a receiver drops it",
		Fault:   FaultSender,
		Guard:   "the flags are in the header the sender built",
	},
	RstOutOfWindow: {
		Name: "rst_out_of_window", Severity: SevWarning, RFC: "RFC 5961 §3.2",
		Summary: "RST whose sequence number is outside the receiver's window: ignored",
		Explain: "a RST is accepted only if its SEQ is in the receive window (exactly RCV.NXT to reset); others are dropped, which defeats blind reset attacks",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which ignores the RST: its sender may answer a segment that crossed the close (RFC 9293 §3.10.7.1 makes a closed TCP answer each arriving segment with a RST at that segment's ACK), so no sender is blamed",
	},
	RstBadAckInSynSent: {
		Name: "rst_unacceptable_ack", Severity: SevWarning, RFC: "RFC 9293 §3.10.7.3",
		Summary: "RST to a SYN-SENT endpoint that does not acknowledge its SYN: ignored",
		Explain: "in SYN-SENT a RST is acceptable only if its ACK field acknowledges the SYN; otherwise it is dropped",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which ignores the RST: an old duplicate or a RST for another attempt looks like this",
	},
	SynAckBadAck: {
		Name: "synack_bad_ack", Severity: SevError, RFC: "RFC 9293 §3.10.7.3",
		Summary: "SYN,ACK acknowledging something other than the SYN",
		Explain: "if SEG.ACK =< ISS or SEG.ACK > SND.NXT the SYN-SENT endpoint must send a reset; an old duplicate SYN (Figure 8) looks like this",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which owes a RST: a SYN,ACK answering an old duplicate SYN (Figure 8) looks like this, so no sender is blamed",
	},
	DataBeforeHandshake: {
		Name: "data_before_handshake", Severity: SevWarning, RFC: "RFC 9293 §3.10.2",
		Summary: "data sent in SYN-RECEIVED, on a segment after the SYN, before the SYN was acknowledged (without TCP Fast Open)",
		Explain: "SEND in SYN-RECEIVED queues the data until ESTABLISHED; data on the SYN or SYN,ACK itself is allowed (the receiver queues it, §3.10.7.2) and never reported",
		Fault:   FaultSender,
		Guard:   "never for data on the SYN or SYN,ACK, with Fast Open, before the peer was captured at all, or once the sender has shown that its handshake ACK can be lost (a SYN,ACK resent after it)",
	},
	SynInSynchronized: {
		Name: "syn_in_synchronized", Severity: SevWarning, RFC: "RFC 9293 §3.10.7.4",
		Summary: "SYN with a new sequence number inside a synchronized connection",
		Explain: "a SYN in a synchronized state gets a challenge ACK and is dropped (RFC 5961 §4); it may be an attack or a peer that lost the connection",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which owes a challenge ACK and drops the SYN: the sender may have lost the connection (a reboot) and be within the RFC; a retransmission of the connection's own SYN is never noted",
	},
	FinWithoutAck: {
		Name: "fin_without_ack", Severity: SevError, RFC: "RFC 9293 §3.1",
		Summary: "FIN without the ACK bit",
		Explain: "once a connection is established the ACK field \"is always sent\"; a receiver drops a segment without it (§3.10.7.4 fifth check), and scanners send bare FINs",
		Fault:   FaultSender,
		Guard:   "never from an endpoint in SYN-SENT, which has no ACK number to send",
	},
	SegmentToClosed: {
		Name: "segment_to_closed", Severity: SevNotice, RFC: "RFC 9293 §3.10.7.1",
		Summary: "segment sent to an endpoint that has already closed",
		Explain: "a CLOSED endpoint discards the segment and answers anything but a RST with a RST",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which owes a RST: the sender may not have had the close yet (segments cross a RST or FIN in flight, and a RST may be lost), so no sender is blamed; pure ACKs are not noted",
	},
	RstInWindow: {
		Name: "rst_in_window", Severity: SevNotice, RFC: "RFC 5961 §3.2",
		Summary: "RST inside the receiver's window but not at RCV.NXT: ignored, a challenge ACK is due",
		Explain: "only a RST at exactly the next expected sequence number resets; one elsewhere in the window is answered with a challenge ACK so that a blind attacker cannot guess its way in",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which owes a challenge ACK; the detail says whether one was seen. A RST answering a segment that crossed the close lands here as a rule, so no sender is blamed",
	},
	AckTooOld: {
		Name: "ack_too_old", Severity: SevWarning, RFC: "RFC 5961 §5.2",
		Summary: "ACK below SND.UNA minus the largest window: possible blind data injection",
		Explain: "an ACK is acceptable only if SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT; older ones are discarded with an ACK, since a blind injector guesses ACK numbers",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which discards the segment and ACKs: a blind injector does this, and so may a very late duplicate",
	},
	TimeWaitOldSyn: {
		Name: "time_wait_old_syn", Severity: SevWarning, RFC: "RFC 6191 §2",
		Summary: "SYN to a TIME-WAIT endpoint that is not newer than the old connection: an old duplicate",
		Explain: "TIME-WAIT may accept a new SYN only if its timestamp or sequence number is beyond the old connection's; an older one is dropped so that it cannot open a connection with stale data",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which drops the SYN: old duplicates are normal on the Internet",
	},
	RstKillsTimeWait: {
		Name: "rst_kills_time_wait", Severity: SevWarning, RFC: "RFC 1337 §3",
		Summary: "RST ended TIME-WAIT before 2MSL (TIME-WAIT assassination)",
		Explain: "a RST that ends TIME-WAIT early lets old duplicates reach a new connection on the same 4-tuple; RFC 1337 recommends ignoring RSTs in TIME-WAIT (Linux: net.ipv4.tcp_rfc1337)",
		Fault:   FaultNone,
		Guard:   "a note of the receiver: RFC 9293 closes on the RST and its sender followed it; RFC 1337 advises the receiver to ignore it",
	},
	SynISNChanged: {
		Name: "syn_isn_changed", Severity: SevWarning, RFC: "RFC 9293 §3.8.1",
		Summary: "SYN resent with a different initial sequence number",
		Explain: "a retransmission repeats the segment as it was; a SYN with another ISN on the same 4-tuple while the first is unanswered is a new attempt that confuses the peer",
		Fault:   FaultNone, NoteOfSender: true,
		Guard: "a note of the sender: an application may abort a connect and open again from the same port, which RFC 9293 allows, so no rule is proven broken; before any SYN,ACK from the peer the new SYN starts a new connection instead",
	},
	WindowShrunk: {
		Name: "window_shrunk", Severity: SevWarning, RFC: "RFC 9293 §3.8.6",
		Summary: "receiver moved the right edge of its window to the left",
		Explain: "a receiver should not shrink the window (SHLD-14): the sender may already have sent data the window offered; reported once the capture proves the smaller offer came later (a larger ACK or a newer TSval), since two ACKs of one octet may be captured out of order",
		Fault:   FaultSender,
		Guard:   "only when the capture proves the smaller offer was sent after the larger one (a larger ACK, or a newer TSval), and by more than window scaling rounds away",
	},
	DataBeyondWindow: {
		Name: "data_beyond_window", Severity: SevWarning, RFC: "RFC 9293 §3.8.6",
		Summary: "data sent beyond the window the receiver offered",
		Explain: "a sender may send only what the receive window allows; beyond it the receiver drops the data (a one-octet zero-window probe excepted)",
		Fault:   FaultSender,
		Guard:   "beyond the right edge of every window the receiver was captured offering, so a sender that used an offer the receiver later shrank is not blamed; a one-octet zero-window probe excepted",
	},
	SynOptionOutsideSyn: {
		Name: "syn_option_outside_syn", Severity: SevNotice, RFC: "RFC 9293 §3.7.1",
		Summary: "MSS, window scale or SACK-permitted option on a segment without SYN",
		Explain: "these options are negotiated on the SYN and MUST only be sent there (RFC 9293 MUST-65, RFC 7323 §2.2, RFC 2018 §2); elsewhere receivers ignore them",
		Fault:   FaultSender,
		Guard:   "the options are in the header the sender built; a SYN that also carries FIN or RST is reported as syn_fin or syn_rst alone",
	},
	TimestampsDropped: {
		Name: "timestamps_dropped", Severity: SevWarning, RFC: "RFC 7323 §3.2",
		Summary: "segment without the timestamps option after both SYNs negotiated it",
		Explain: "once negotiated, TSopt MUST be sent in every non-RST segment; receivers may drop segments without it",
		Fault:   FaultSender,
		Guard:   "only after both SYNs carried the option, never on a RST, and once for each sender",
	},
	BadDataOffset: {
		Name: "bad_data_offset", Severity: SevError, RFC: "RFC 9293 §3.1",
		Summary: "TCP data offset below 5 or past the end of the segment",
		Explain: "the header is at least five 32-bit words and lies within the segment; receivers discard such a segment",
		Fault:   FaultSender,
		Guard:   "read from the header as captured; a capture cut short by the snapshot length is not blamed on the sender",
	},
	OptionsOverrun: {
		Name: "options_overrun", Severity: SevError, RFC: "RFC 9293 §3.1",
		Summary: "TCP option running past the end of the header",
		Explain: "every option must fit inside the header the data offset declares; a receiver must not read past it (MUST-7)",
		Fault:   FaultSender,
		Guard:   "read from the header as captured; a capture cut short by the snapshot length is not blamed on the sender",
	},
	BadChecksum: {
		Name: "bad_checksum", Severity: SevError, RFC: "RFC 9293 §3.1",
		Summary: "TCP checksum does not match (checked with --verify-checksums)",
		Explain: "receivers drop segments with a bad checksum; on the capturing host checksum offload makes outgoing segments look bad, so it is checked only on request",
		Fault:   FaultNone,
		Guard:   "a note of the receiver, which drops the segment: corruption on the way is no one's rule broken, and offload makes segments sent by the capturing host look bad, so it is checked only on request",
	},
}

// Info returns the catalog entry of c.
func (c Code) Info() CodeInfo {
	if int(c) > 0 && int(c) < numCodes {
		return catalog[c]
	}
	return CodeInfo{Name: "unknown", Severity: SevNotice}
}

// String returns the code's stable name.
func (c Code) String() string { return c.Info().Name }

// Codes lists every violation code in catalog order.
func Codes() []Code {
	cs := make([]Code, 0, numCodes-1)
	for c := Code(1); int(c) < numCodes; c++ {
		cs = append(cs, c)
	}
	return cs
}

// ParseCode returns the code named name, the JSON spelling.
func ParseCode(name string) (Code, bool) {
	for c := Code(1); int(c) < numCodes; c++ {
		if catalog[c].Name == name {
			return c, true
		}
	}
	return 0, false
}

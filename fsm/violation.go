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

	numCodes = int(FinWithoutAck) + 1
)

// CodeInfo is the catalog entry of a violation code.
type CodeInfo struct {
	Name     string // stable snake_case code
	Severity Severity
	RFC      string // the clause broken, "RFC 9293 §3.10.7.4"
	Summary  string // one sentence: what happened
	Explain  string // one sentence: why the RFC forbids it
}

// catalog is the one place where violation codes are described; the README
// table is generated from it (go test ./fsm -run TestCatalogInREADME checks).
var catalog = [numCodes]CodeInfo{
	DataAfterFIN: {
		Name: "data_after_fin", Severity: SevError, RFC: "RFC 9293 §3.10.2",
		Summary: "new data sent after the sender's own FIN",
		Explain: "after CLOSE a TCP must refuse SEND (\"error: connection closing\"): the FIN is the last octet of its stream",
	},
	AckOfUnsentData: {
		Name: "ack_of_unsent_data", Severity: SevWarning, RFC: "RFC 9293 §3.10.7.4",
		Summary: "ACK of sequence space the peer never sent (or the capture missed)",
		Explain: "if SEG.ACK > SND.NXT the receiver must answer with an ACK and drop the segment; an observer also sees this when the capture lost the data",
	},
	SynFin: {
		Name: "syn_fin", Severity: SevError, RFC: "RFC 9293 §3.4",
		Summary: "segment with both SYN and FIN",
		Explain: "SYN opens a sequence space and FIN ends it; stacks and firewalls drop the combination, scanners use it",
	},
	SynRst: {
		Name: "syn_rst", Severity: SevError, RFC: "RFC 9293 §3.10.7",
		Summary: "segment with both SYN and RST",
		Explain: "a reset ends a connection and a SYN starts one; no TCP sends both and receivers discard it",
	},
	NoFlags: {
		Name: "no_flags", Severity: SevError, RFC: "RFC 9293 §3.1",
		Summary: "segment with none of SYN, FIN, RST or ACK",
		Explain: "every segment after the first SYN must carry ACK (\"once a connection is established, this is always sent\"); a receiver drops it",
	},
	RstOutOfWindow: {
		Name: "rst_out_of_window", Severity: SevWarning, RFC: "RFC 5961 §3.2",
		Summary: "RST whose sequence number is outside the receiver's window: ignored",
		Explain: "a RST is accepted only if its SEQ is in the receive window (exactly RCV.NXT to reset); others are dropped, which defeats blind reset attacks",
	},
	RstBadAckInSynSent: {
		Name: "rst_unacceptable_ack", Severity: SevWarning, RFC: "RFC 9293 §3.10.7.3",
		Summary: "RST to a SYN-SENT endpoint that does not acknowledge its SYN: ignored",
		Explain: "in SYN-SENT a RST is acceptable only if its ACK field acknowledges the SYN; otherwise it is dropped",
	},
	SynAckBadAck: {
		Name: "synack_bad_ack", Severity: SevError, RFC: "RFC 9293 §3.10.7.3",
		Summary: "SYN,ACK acknowledging something other than the SYN",
		Explain: "if SEG.ACK =< ISS or SEG.ACK > SND.NXT the SYN-SENT endpoint must send a reset; an old duplicate SYN (Figure 8) looks like this",
	},
	DataBeforeHandshake: {
		Name: "data_before_handshake", Severity: SevWarning, RFC: "RFC 9293 §3.10.2",
		Summary: "data sent before the handshake completed, without TCP Fast Open",
		Explain: "data sent in SYN-SENT or SYN-RECEIVED is queued until ESTABLISHED; only a TCP Fast Open cookie (RFC 7413) lets it ride on the handshake",
	},
	SynInSynchronized: {
		Name: "syn_in_synchronized", Severity: SevWarning, RFC: "RFC 9293 §3.10.7.4",
		Summary: "SYN with a new sequence number inside a synchronized connection",
		Explain: "a SYN in a synchronized state gets a challenge ACK and is dropped (RFC 5961 §4); it may be an attack or a peer that lost the connection",
	},
	FinWithoutAck: {
		Name: "fin_without_ack", Severity: SevError, RFC: "RFC 9293 §3.1",
		Summary: "FIN without the ACK bit",
		Explain: "once a connection is established the ACK field \"is always sent\"; a receiver drops a segment without it (§3.10.7.4 fifth check), and scanners send bare FINs",
	},
	SegmentToClosed: {
		Name: "segment_to_closed", Severity: SevNotice, RFC: "RFC 9293 §3.10.7.1",
		Summary: "segment sent to an endpoint that has already closed",
		Explain: "a CLOSED endpoint discards the segment and answers anything but a RST with a RST",
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

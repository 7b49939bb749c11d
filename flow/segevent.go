package flow

import "strings"

// SegEvent is an event of the sequence-space analysis: something one
// segment shows about its connection, as Wireshark's TCP analysis names it
// ("tcp.analysis.retransmission" is Retransmission). Segment events are not
// violations of the RFCs: a retransmission or a zero window is TCP doing its
// job. They are timeline events and per-connection counts. Their names are
// part of the JSON schema: never rename one.
type SegEvent uint8

// The segment events. Zero is no event. The order is the order a
// segment's events are reported in.
const (
	_ SegEvent = iota
	// Retransmission is data, SYN or FIN below the sender's next expected
	// sequence number that is none of the more specific kinds below.
	Retransmission
	// FastRetransmission is a retransmission of the octet the peer asked
	// for with two or more duplicate ACKs, the last less than 20 ms before.
	FastRetransmission
	// SpuriousRetransmission is a retransmission of data the peer had
	// already acknowledged.
	SpuriousRetransmission
	// OutOfOrder is a segment below the next expected sequence number that
	// came within the out-of-order threshold (the initial RTT, else 3 ms)
	// of the segment that moved that number: reordered, not sent again.
	OutOfOrder
	// LostSegment is a segment beyond the next expected sequence number:
	// the capture missed the segments between ("previous segment not
	// captured").
	LostSegment
	// AckLostSegment is an ACK of sequence space the capture never saw the
	// peer send ("ACKed segment that wasn't captured").
	AckLostSegment
	// DuplicateAck is a pure ACK repeating the sender's last ACK and its
	// non-zero window: the Nth of that ACK.
	DuplicateAck
	// ZeroWindow is a segment advertising a zero receive window.
	ZeroWindow
	// ZeroWindowProbe is one octet at the next expected sequence number
	// sent into the peer's zero window.
	ZeroWindowProbe
	// ZeroWindowProbeAck is the zero-window answer to a zero window probe.
	ZeroWindowProbeAck
	// WindowFull is data that reaches exactly the right edge of the
	// receive window the peer last advertised.
	WindowFull
	// WindowUpdate is a pure ACK that repeats the sender's last ACK with a
	// new non-zero window.
	WindowUpdate
	// KeepAlive is zero or one octet one below the next expected sequence
	// number: a keep-alive probe (RFC 9293 §3.8.4), or a zero-window probe
	// of that form (Linux's).
	KeepAlive
	// KeepAliveAck is the peer's ACK of a keep-alive.
	KeepAliveAck
	// ReusedPorts is a SYN on a 4-tuple already seen, with a new initial
	// sequence number.
	ReusedPorts

	// NumSegEvents is one more than the highest segment event, so that
	// [NumSegEvents]int is indexed by SegEvent (index 0 unused).
	NumSegEvents
)

// SegEventInfo describes a segment event.
type SegEventInfo struct {
	Name  string // stable snake_case name: the JSON name
	Short string // short form for summary lines: "retrans", "dup acks"
	Label string // form for timelines: "retransmission", "dup ack"
	// Definition says in one sentence when a segment has the event, as
	// the README's list of segment events says it.
	Definition string
}

var segEventInfo = [NumSegEvents]SegEventInfo{
	Retransmission: {"retransmission", "retrans", "retransmission",
		"Data, SYN or FIN starting below the sender's next expected sequence number that is not fast, spurious or out of order."},
	FastRetransmission: {"fast_retransmission", "fast retrans", "fast retransmission",
		"A retransmission of the octet the peer asked for with 2 or more duplicate ACKs (or with an ACK of unseen data), under 20 ms after the peer's last ACK."},
	SpuriousRetransmission: {"spurious_retransmission", "spurious retrans", "spurious retransmission",
		"Data sent again that the peer had already acknowledged."},
	OutOfOrder: {"out_of_order", "out of order", "out of order",
		"A segment below the next expected sequence number, within the initial RTT (else 3 ms) of the segment that moved it: reordered, not sent again."},
	LostSegment: {"lost_segment", "not captured", "previous segment not captured",
		"A segment beyond the next expected sequence number: the capture missed the segments between."},
	AckLostSegment: {"ack_lost_segment", "acked unseen", "ACKed segment not captured",
		"An ACK of sequence space the capture did not see the peer send."},
	DuplicateAck: {"duplicate_ack", "dup acks", "dup ack",
		"A pure ACK repeating the sender's last ACK and its non-zero window (count: the Nth repeat of that ACK)."},
	ZeroWindow: {"zero_window", "zero win", "zero window",
		"A segment, not SYN, FIN or RST, advertising a zero window."},
	ZeroWindowProbe: {"zero_window_probe", "zero win probes", "zero window probe",
		"One octet at the next expected sequence number while the peer's window is zero."},
	ZeroWindowProbeAck: {"zero_window_probe_ack", "zero win probe acks", "zero window probe ACK",
		"A pure ACK with a zero window answering a zero window probe."},
	WindowFull: {"window_full", "win full", "window full",
		"Data reaching exactly the right edge of the window the peer last advertised."},
	WindowUpdate: {"window_update", "win updates", "window update",
		"A pure ACK repeating the sender's last ACK with a new non-zero window."},
	KeepAlive: {"keep_alive", "keep-alives", "keep-alive",
		"Zero or one octet one below the next expected sequence number, not SYN, FIN or RST: a keep-alive (or Linux's zero-window probe, which has that form)."},
	KeepAliveAck: {"keep_alive_ack", "keep-alive acks", "keep-alive ACK",
		"A pure ACK repeating the sender's last ACK and window, answering a keep-alive."},
	ReusedPorts: {"reused_ports", "ports reused", "ports reused",
		"A SYN on a 4-tuple already seen, with a new initial sequence number."},
}

// Info returns the description of e.
func (e SegEvent) Info() SegEventInfo {
	if e == 0 || e >= NumSegEvents {
		return SegEventInfo{Name: "unknown", Short: "unknown", Label: "unknown"}
	}
	return segEventInfo[e]
}

// String returns the event's stable snake_case name.
func (e SegEvent) String() string { return e.Info().Name }

// SegEvents is a set of segment events: the events of one segment.
type SegEvents uint32

// Has reports whether e is in the set.
func (s SegEvents) Has(e SegEvent) bool { return s&(1<<e) != 0 }

// Retransmitted reports whether the set holds one of the retransmissions:
// Retransmission, FastRetransmission or SpuriousRetransmission.
func (s SegEvents) Retransmitted() bool { return s&retransmissions != 0 }

const retransmissions = SegEvents(1<<Retransmission | 1<<FastRetransmission | 1<<SpuriousRetransmission)

// add puts e in the set.
func (s *SegEvents) add(e SegEvent) { *s |= 1 << e }

// Each calls fn for each event in the set, in SegEvent order.
func (s SegEvents) Each(fn func(SegEvent)) {
	for e := SegEvent(1); e < NumSegEvents; e++ {
		if s.Has(e) {
			fn(e)
		}
	}
}

// String lists the set's names, comma-separated; "" when empty.
func (s SegEvents) String() string {
	var b strings.Builder
	s.Each(func(e SegEvent) {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.String())
	})
	return b.String()
}

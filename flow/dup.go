package flow

import (
	"time"

	"tcpflow-fsm/fsm"
)

// DuplicateWindow is how far apart in capture time two copies of one
// packet can be.
//
// A capture on Linux's "any" device records a packet once for every
// interface it crosses (a bridge port and a veth, a bond and its slave,
// the two interfaces of a host that routes it), and raw AF_PACKET readers
// on loopback record it going out and coming in. Such a copy is not a
// segment the endpoint sent again: fed to the state machine it would read
// as a retransmission (Wireshark flags it so) and double the counts. So
// Table.Add counts it in Conn.Duplicates and drops it before the state
// machine, the counters and the timeline. A segment is taken for a copy
// when all of these hold:
//
//   - it has the Ident (fsm.Segment.Ident) of one of the last
//     recentPerSide segments its sender sent on the connection: the same
//     IPv4 identification or IPv6 flow label, the same TCP header with the
//     same options, checksum, TSval, ACK and window, the same length;
//   - the two were captured within DuplicateWindow of each other (to the
//     microsecond), in either order (the per-CPU buffers of "any" can swap
//     them);
//   - nothing the peer sent in between gave the sender a reason to send the
//     segment again. With a timestamps option that is a loss signal, a SACK
//     or a duplicate ACK, after which a sender retransmits at once (fast
//     retransmit, RFC 5681 §3.2; RACK, RFC 8985). Without one, nothing in a
//     segment need change from one sending to the next (a RST has neither
//     options nor, from Linux, an IPv4 identification), so any segment of
//     the peer counts: a host that answers each of a peer's segments with a
//     RST sends identical RSTs.
//
// Why 5 ms: copies made on one host are microseconds apart. In captures of
// bulk transfers made for this rule with veth pairs they came at most
// 43 µs apart through a bridge, 53 µs through a router, 100 µs on
// loopback; 241 µs in zeek/tcp_ctu-64702-888.pcap; the slowest seen, in
// wireshark-samplecaptures/telnet-raw.pcap, 1.3 ms. A sender's own repeats
// come later: Linux's earliest timer-driven retransmission, a tail loss
// probe, 2·SRTT + 2 ms (TCP_TIMEOUT_MIN_US) after its last send, an RTO at
// least 200 ms after; and they carry a new IPv4 identification (Linux
// numbers each socket's packets) or a TSval that has moved on. Repeats
// driven by the peer follow a segment of the peer, which the rule looks
// for. So the window matters only for senders whose repeats are identical.
//
// Copies taken before and after a router on the capturing host are
// recognised (the TTL is not part of the Ident): the state machine should
// see the segment once, as its sender sent it once. Not recognised: a copy
// whose checksum software filled in between two capture points (an
// interface without checksum offload after one with it); one taken after
// NAT (another 4-tuple: another connection); one that follows a loss
// signal (a bridge reordered the packet and the receiver SACKed the hole),
// which reads as a retransmission. Taken for copies although they are not:
// identical replies to segments all captured before the first reply (a
// burst of RSTs, or of duplicate ACKs without SACK from a sender that sets
// neither identification nor timestamps), which change no state; and a
// retransmission identical to its original sent within the window after a
// segment of the peer that the capture did not see.
const DuplicateWindow = 5 * time.Millisecond

// recentPerSide is how many of a side's latest segments a copy is looked
// for among. Copies of one packet come back to back or nearly: in the
// veth captures at most 2 segments of the same sender came between a
// segment and its copy (a burst sent before the first copy was forwarded).
const recentPerSide = 4

// sighting is one segment remembered for recognising its copies.
// It is kept small, as every connection holds 2·recentPerSide of them:
// the capture time in microseconds modulo 2^32 (71 minutes: two sightings
// are compared only when milliseconds apart), half the Ident (two
// different segments of one sender within milliseconds would have to
// collide in 32 bits; 0 marks an empty slot) and the peer's counters
// modulo 2^16 (they are compared for equality across milliseconds).
type sighting struct {
	at          uint32 // capture time, µs since the Unix epoch, modulo 2^32
	ident       uint32 // the low half of the segment's Ident
	peerSent    uint16 // segments the peer had sent by then, modulo 2^16
	peerSignals uint16 // loss signals the peer had sent by then, modulo 2^16
}

// dupFinder is a connection's memory for recognising copies: a fixed
// array, nothing allocated per packet.
type dupFinder struct {
	recent  [2][recentPerSide]sighting
	next    [2]uint8  // where each side's next sighting goes
	sent    [2]uint32 // segments sent by each side, copies left out
	signals [2]uint32 // loss signals sent by each side
	lastAck [2]fsm.Seq
	lastWin [2]uint16
	acked   [2]bool // the side has sent an ACK: lastAck and lastWin hold
}

// copyOf reports whether seg, sent by side, is a copy of a segment
// recorded before.
func (d *dupFinder) copyOf(side fsm.Side, seg *fsm.Segment) bool {
	if uint32(seg.Ident) == 0 {
		return false
	}
	at := micros(seg.Time)
	peer := side.Other()
	for i := range d.recent[side] {
		s := &d.recent[side][i]
		if s.ident != uint32(seg.Ident) || max(int32(at-s.at), int32(s.at-at)) > int32(DuplicateWindow/time.Microsecond) {
			continue
		}
		if seg.Opts.HasTimestamps {
			return s.peerSignals == uint16(d.signals[peer])
		}
		return s.peerSent == uint16(d.sent[peer])
	}
	return false
}

// record remembers seg, which is not a copy, and counts it, also as a loss
// signal if it is one: a segment with SACK blocks, or a duplicate ACK as
// RFC 5681 §2 defines it (no data, neither SYN nor FIN, the same ACK and
// window as the side's previous ACK).
func (d *dupFinder) record(side fsm.Side, seg *fsm.Segment) {
	d.sent[side]++
	if seg.Flags.Has(fsm.ACK) && seg.Flags&fsm.RST == 0 {
		dupAck := d.acked[side] && seg.PayloadLen == 0 && seg.Flags&(fsm.SYN|fsm.FIN) == 0 &&
			seg.Ack == d.lastAck[side] && seg.Window == d.lastWin[side]
		if dupAck || seg.Opts.NSACK > 0 {
			d.signals[side]++
		}
		d.lastAck[side], d.lastWin[side], d.acked[side] = seg.Ack, seg.Window, true
	}
	if uint32(seg.Ident) == 0 {
		return
	}
	peer := side.Other()
	d.recent[side][d.next[side]] = sighting{ident: uint32(seg.Ident), at: micros(seg.Time),
		peerSent: uint16(d.sent[peer]), peerSignals: uint16(d.signals[peer])}
	d.next[side] = (d.next[side] + 1) % recentPerSide
}

// micros is t in microseconds since the Unix epoch, modulo 2^32.
func micros(t time.Time) uint32 { return uint32(t.UnixMicro()) }

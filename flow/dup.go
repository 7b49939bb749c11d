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
// the two interfaces of a host that routes it), raw AF_PACKET readers on
// loopback record it going out and coming in, and a switch port that
// mirrors two ports forwards it twice. Such a copy is not a segment the
// endpoint sent again: fed to the state machine it would read as a
// retransmission (Wireshark flags it so) and double the counts. So
// Table.Add counts it in Conn.Duplicates and drops it before the state
// machine, the counters and the timeline.
//
// But identical segments are also sent for real: duplicate ACKs from a
// stack that sets no IPv4 identification (or over IPv6, which has none)
// and sends them without SACK, or within one tick of its timestamp clock;
// a SYN,ACK sent again at once because its SYN came twice; a FIN repeated
// in a simultaneous close. Dropping those loses the duplicate ACKs, and
// turns the fast retransmission they call for into an out-of-order
// segment. So a segment is taken for a copy only when the capture proves
// it one. It must have the Ident (fsm.Segment.Ident: the same IPv4
// identification or IPv6 flow label, the same TCP header with options and
// checksum, the same length) of one of the last recentPerSide segments its
// sender sent on the connection, captured within DuplicateWindow of it in
// either order (the per-CPU buffers of "any" can swap them), and:
//
//  1. the two were seen at different points (fsm.Segment.Tap differs: two
//     interfaces or directions, other MAC addresses, another TTL), and its
//     own point has not seen that packet yet. A sender cannot move its
//     packet to another interface or lower its TTL; when it sends the
//     packet again, the point that saw the first sending sees the second
//     too, and so the second counts as a sending there (and its copies
//     elsewhere as copies of it); or
//  2. at the same point, its IPv4 identification is not zero and the
//     sender numbers its packets (two of its segments on the connection
//     carried different non-zero identifications): such a sender gives
//     each sending a new number (Linux per socket, Windows per host); or
//  3. at the same point, it carries data, no SYN, came within
//     dataCopyWindow of the other, and the peer sent nothing in between
//     that the capture saw. A sender sends data again when the peer tells
//     it of a loss (duplicate ACKs, SACK), and that segment passes any
//     capture point on the path after the first sending and before the
//     second; or when a timer fires, at the earliest we know of Linux's
//     tail loss probe, 2·SRTT + 2 ms (TCP_TIMEOUT_MIN_US; over 1 ms even
//     as the timer wheel rounds it) after its last sending.
//
// Otherwise two identical segments are two segments, as tshark counts
// them. A capture with one interface that records every packet twice (a
// port mirror of both directions: zeek/tcp_ctu-64702-888.pcap,
// zeek/tcp_ssh-dups.pcap) shows the copies at one point with the same MAC
// addresses and TTL: what rules 2 and 3 cannot tell from a sending (a
// SYN,ACK or pure ACK with identification 0, the first packets of a sender
// before it is seen numbering) is counted as sent again, as tshark does.
//
// Why 5 ms: copies made on one host are microseconds apart. In captures of
// bulk transfers made for this rule with veth pairs they came at most
// 43 µs apart through a bridge, 53 µs through a router, 100 µs on
// loopback; 241 µs in zeek/tcp_ctu-64702-888.pcap; the slowest seen, in
// wireshark-samplecaptures/telnet-raw.pcap, 1.3 ms (a sender that numbers
// its packets: rule 2). Rule 1 does not rest on the window: a sending seen
// at one point is never a copy of a packet that point saw. Rule 2 does, for
// a sender that repeats an identification it numbered a packet with
// (crafted captures).
//
// Not recognised: a copy whose checksum software filled in between two
// capture points (an interface without checksum offload after one with
// it); one taken after NAT (another 4-tuple: another connection); copies
// on a bond and its slave, or a VLAN device and its parent, in a Linux
// cooked v1 capture (the header has no interface index), unless rule 2 or
// 3 holds. Taken for a copy although it is not: data sent again within
// dataCopyWindow after a loss signal the capture did not see (a capture
// of one direction only, or one that dropped it).
const DuplicateWindow = 5 * time.Millisecond

// dataCopyWindow bounds rule 3 (see DuplicateWindow): half the least time
// after which a sender's timer sends data again (Linux's tail loss probe:
// over 1 ms and two smoothed RTTs after its last sending). The copies of
// data seen at one point came 0 µs apart in zeek/tcp_ssh-dups.pcap and
// zeek/tcp_ctu-64702-888.pcap.
const dataCopyWindow = 500 * time.Microsecond

// recentPerSide is how many of a side's latest segments a copy is looked
// for among. Copies of one packet come back to back or nearly: in the
// veth captures at most 2 segments of the same sender came between a
// segment and its copy (a burst sent before the first copy was forwarded).
// Copies are not remembered: a packet's first sighting stands for it.
const recentPerSide = 4

// sighting is one segment remembered for recognising its copies.
// It is kept small, as every connection holds 2·recentPerSide of them:
// the capture time in microseconds modulo 2^32 (71 minutes: two sightings
// are compared only when milliseconds apart), half the Ident (two
// different segments of one sender within milliseconds would have to
// collide in 32 bits; 0 marks an empty slot), a quarter of the Tap (two
// points that collide in it look like one, and the segment is then kept
// unless rule 2 or 3 holds) and how many segments the peer had sent by
// then, modulo 2^16 (compared for equality across milliseconds).
type sighting struct {
	at       uint32 // capture time, µs since the Unix epoch, modulo 2^32
	ident    uint32 // the low half of the segment's Ident
	tap      uint16 // the low quarter of the segment's Tap
	peerSent uint16 // segments the peer had sent by then, modulo 2^16
}

// dupFinder is a connection's memory for recognising copies: a fixed
// array, nothing allocated per packet.
type dupFinder struct {
	recent [2][recentPerSide]sighting
	sent   [2]uint32 // segments sent by each side, copies left out
	next   [2]uint8  // where each side's next sighting goes
	lastID [2]uint16 // the last non-zero IPv4 identification of each side
	// numbers says the side's segments carried different non-zero
	// identifications: it numbers its packets (rule 2). Zero does not
	// count: Linux sends its SYN,ACKs and RSTs with 0 and numbers the rest.
	numbers [2]bool
}

// copyOf reports whether seg, sent by side, is a copy of a segment
// recorded before.
func (d *dupFinder) copyOf(side fsm.Side, seg *fsm.Segment) bool {
	if uint32(seg.Ident) == 0 {
		return false
	}
	at := micros(seg.Time)
	data := seg.PayloadLen > 0 && seg.Flags&fsm.SYN == 0
	peerSent := uint16(d.sent[side.Other()])
	elsewhere, here, soon := false, false, false
	for i := range d.recent[side] {
		s := &d.recent[side][i]
		gap := max(int32(at-s.at), int32(s.at-at)) // µs
		if s.ident != uint32(seg.Ident) || gap > int32(DuplicateWindow/time.Microsecond) {
			continue
		}
		if s.tap != uint16(seg.Tap) {
			elsewhere = true
			continue
		}
		here = true
		if data && gap <= int32(dataCopyWindow/time.Microsecond) && s.peerSent == peerSent {
			soon = true
		}
	}
	if here {
		// Rules 2 and 3: the point that saw the packet sees it again.
		return soon || d.numbers[side] && seg.IPID != 0
	}
	return elsewhere // rule 1
}

// record remembers seg, which is not a copy, counts it, and notes whether
// its sender numbers its packets.
func (d *dupFinder) record(side fsm.Side, seg *fsm.Segment) {
	d.sent[side]++
	if seg.IPID != 0 {
		if d.lastID[side] != 0 && seg.IPID != d.lastID[side] {
			d.numbers[side] = true
		}
		d.lastID[side] = seg.IPID
	}
	if uint32(seg.Ident) == 0 {
		return
	}
	d.recent[side][d.next[side]] = sighting{at: micros(seg.Time), ident: uint32(seg.Ident),
		tap: uint16(seg.Tap), peerSent: uint16(d.sent[side.Other()])}
	d.next[side] = (d.next[side] + 1) % recentPerSide
}

// micros is t in whole microseconds since the Unix epoch (rounded down,
// also before 1970), modulo 2^32: a sighting's compact time.
func micros(t fsm.Time) uint32 {
	us := int64(t) / 1e3
	if t%1e3 < 0 {
		us--
	}
	return uint32(us)
}

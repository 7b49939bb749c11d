package fsm

import (
	"net/netip"
	"strconv"
	"strings"
)

// Flags are the TCP control bits, in the bit positions of the TCP header's
// flags octet (RFC 9293 §3.1, RFC 3168 for ECE and CWR).
type Flags uint8

// The control bits.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Has reports whether every bit of m is set in f.
func (f Flags) Has(m Flags) bool { return f&m == m }

// String writes the flags the way RFC 9293 figures write a CTL field:
// "SYN,ACK", "FIN,ACK", "RST"; an empty set is "none".
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	var b strings.Builder
	for _, n := range flagNames {
		if f&n.bit != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n.name)
		}
	}
	return b.String()
}

// Letters writes the flags as tcpdump does: S SYN, F FIN, R RST, P PSH,
// U URG, W CWR, E ECE, '.' ACK, in tcpdump's order ("S.", "F.", "R.").
func (f Flags) Letters() string {
	var buf [8]byte
	n := 0
	for _, l := range flagLetters {
		if f&l.bit != 0 {
			buf[n] = l.letter
			n++
		}
	}
	if n == 0 {
		return "none"
	}
	return string(buf[:n])
}

var flagNames = [...]struct {
	bit  Flags
	name string
}{{SYN, "SYN"}, {FIN, "FIN"}, {RST, "RST"}, {PSH, "PSH"}, {ACK, "ACK"}, {URG, "URG"}, {ECE, "ECE"}, {CWR, "CWR"}}

var flagLetters = [...]struct {
	bit    Flags
	letter byte
}{{SYN, 'S'}, {FIN, 'F'}, {PSH, 'P'}, {RST, 'R'}, {URG, 'U'}, {CWR, 'W'}, {ECE, 'E'}, {ACK, '.'}}

// SACKBlock is one SACK option block (RFC 2018): the octets from Left up to
// but not including Right were received.
type SACKBlock struct{ Left, Right Seq }

// Options are the TCP options the analysis uses. Presence flags say which
// were on the segment; values of absent options are zero.
type Options struct {
	MSS           uint16
	HasMSS        bool
	WScale        uint8 // shift count as sent; RFC 7323 caps the usable value at 14
	HasWScale     bool
	SACKPermitted bool
	HasTimestamps bool
	TSVal, TSEcr  uint32
	HasFastOpen   bool  // a TCP Fast Open option (RFC 7413, kind 34 or the experimental 254/0xF989)
	NSACK         uint8 // how many of SACK are filled
	SACK          [4]SACKBlock
}

// Segment is one TCP segment as seen at the capture point, decoded from the
// wire by package capture. It carries its own timestamp: the state machine
// has no clock.
type Segment struct {
	Time   Time
	Src    netip.AddrPort
	Dst    netip.AddrPort
	Seq    Seq
	Ack    Seq // meaningful only when Flags has ACK
	Flags  Flags
	Window uint16 // as sent, before window scaling
	// PayloadLen is the TCP payload length the IP header declares. It is
	// taken from the header's lengths, not from the captured length, so
	// that a snaplen-truncated capture still tracks sequence space.
	PayloadLen int
	// Captured is how many payload octets were actually captured
	// (PayloadLen or fewer).
	Captured int
	// Malformed says what the decoder found wrong with the TCP header.
	Malformed Malformed
	Opts      Options
	// Ident is a fingerprint of the packet: of its IPv4 identification
	// field (IPv6 has none; its flow label stands in), its whole TCP header
	// with options and checksum, and its payload length. Copies of one
	// packet have equal Idents: a capture on Linux's "any" device records
	// a packet once per interface it crosses, and raw readers on loopback
	// record it twice. A retransmission of a packet, in practice, has
	// another Ident: a sender gives it a new IPv4 identification or a new
	// TSval (and usually a new ACK or window). TTL, hop limit, the IP
	// checksum and the traffic class are left out, so copies seen before
	// and after a router on the capturing host (which decrements the
	// TTL), or before and after a queue that marks ECN, are still copies.
	// Zero means unknown: segments not made by the decoder are never
	// taken for copies.
	Ident uint64
	// Zone is the network the segment travelled in, when the capture holds
	// more than one: its VLAN tags and the tunnel it was carried in. The
	// same 4-tuple in two zones is two connections.
	Zone Zone
	// Tap is a fingerprint of where the capture saw the packet: the
	// interface and direction the link header or the file records (the
	// interface index and packet type of a Linux cooked header, a pcapng
	// interface and its epb_flags direction), the link-layer addresses
	// (an Ethernet frame's two MAC addresses) and the IP TTL or hop
	// limit, which a router on the capturing host lowers. One packet
	// captured at two points (two interfaces of "any", the way out and
	// the way in of loopback, both sides of a router) differs in it; two
	// packets a sender sent one after the other along one path do not.
	// Zero for segments not made by the decoder.
	Tap uint32
	// IPLen is the IP packet's length as its header declares it: the IPv4
	// total length, or the IPv6 header's 40 octets and its payload length
	// (a jumbogram's, or the captured length where TSO left it 0, as for
	// PayloadLen). Zeek's conn.log sums it as orig_ip_bytes and
	// resp_ip_bytes. Zero for segments not made by the decoder.
	IPLen uint32
	// IPID is the IPv4 identification field; zero for IPv6. A sender that
	// numbers its packets gives a packet it sends again a new one.
	IPID uint16
	// TTL is the IPv4 TTL or IPv6 hop limit the packet was captured with;
	// 0 when unknown. One sender's packets along one path arrive with one
	// TTL: a segment with another was most likely not built by the
	// endpoint whose address it carries (an injected segment, a
	// middlebox's), so it is not held against that endpoint.
	TTL uint8

	// Kind is the segment's kind by its flags, and seqLen its SEG.LEN:
	// what every analysis reads of its control bits and its length,
	// decided once by Classify when the segment is made.
	Kind    Kind
	seqLen  uint32
	classed bool // Kind and seqLen hold
}

// Zone tells apart networks that one capture can see the same addresses
// in: 802.1Q VLANs (with 802.1ad QinQ, two tags) and tunnels. The zero Zone
// is an untagged packet outside any tunnel. Zones are comparable.
type Zone struct {
	// VLAN holds the VLAN IDs of the packet's tags, outermost first; 0 for
	// no tag. A priority tag (VLAN ID 0) carries no VLAN and is left out.
	VLAN [2]uint16
	// Tunnel is the innermost tunnel the segment was carried in, and
	// TunnelID its identity where the encapsulation has one: the VXLAN or
	// Geneve VNI, the GRE key, the ERSPAN session ID. Addresses of the
	// outer header are not part of the zone.
	Tunnel   Tunnel
	TunnelID uint32
}

// Tunnel is an encapsulation the decoder follows to reach TCP.
type Tunnel uint8

// The tunnels.
const (
	NoTunnel     Tunnel = iota
	TunnelIPIP          // IPv4 or IPv6 directly inside IPv4 or IPv6 (protocols 4 and 41)
	TunnelGRE           // GRE (protocol 47), with or without a key
	TunnelVXLAN         // VXLAN, UDP port 4789
	TunnelGeneve        // Geneve, UDP port 6081
	TunnelERSPAN        // ERSPAN type II or III inside GRE
)

var tunnelNames = [...]string{"", "ipip", "gre", "vxlan", "geneve", "erspan"}

// String names the tunnel as the JSON output does; "" for none.
func (t Tunnel) String() string {
	if int(t) < len(tunnelNames) {
		return tunnelNames[t]
	}
	return "tunnel?"
}

// IsZero reports whether z is the untagged, untunnelled zone.
func (z Zone) IsZero() bool { return z == Zone{} }

// String writes the zone as the text output shows it: "vlan 42",
// "vlan 10.20", "vxlan 1001", "vlan 5 gre"; "" for the zero zone.
func (z Zone) String() string {
	var b strings.Builder
	if z.VLAN[0] != 0 {
		b.WriteString("vlan ")
		b.WriteString(strconv.Itoa(int(z.VLAN[0])))
		if z.VLAN[1] != 0 {
			b.WriteByte('.')
			b.WriteString(strconv.Itoa(int(z.VLAN[1])))
		}
	}
	if z.Tunnel != NoTunnel {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(z.Tunnel.String())
		if z.TunnelID != 0 {
			b.WriteByte(' ')
			b.WriteString(strconv.FormatUint(uint64(z.TunnelID), 10))
		}
	}
	return b.String()
}

// Malformed flags a segment whose TCP header breaks RFC 9293 §3.1.
type Malformed uint8

// What can be wrong with a TCP header.
const (
	// BadOffset: data offset below 5, or a header longer than the segment.
	// Receivers discard the segment.
	BadOffset Malformed = 1 << iota
	// OptionsOverrun: an option runs past the end of the header.
	OptionsOverrunning
	// BadSum: the checksum does not match (only when checked). Receivers
	// discard the segment.
	BadSum
)

// Classify decides the segment's class, its Kind and SEG.LEN, from its
// flags and payload length, once: the decoder classifies each segment it
// makes, flow's table and Conn.Step each one made otherwise (Classified).
// A segment whose flags or length are changed must be classified again.
func (s *Segment) Classify() {
	n := uint32(s.PayloadLen)
	if s.Flags&SYN != 0 {
		n++
	}
	if s.Flags&FIN != 0 {
		n++
	}
	s.Kind, s.seqLen, s.classed = Classify(s.Flags), n, true
}

// Classified reports whether Classify was called.
func (s *Segment) Classified() bool { return s.classed }

// kind returns Kind, classifying the segment first if no one has.
func (s *Segment) kind() Kind {
	if !s.classed {
		s.Classify()
	}
	return s.Kind
}

// LEN is SEG.LEN of RFC 9293 §3.4: the payload octets plus one for SYN and
// one for FIN, the control bits that occupy sequence space.
func (s *Segment) LEN() uint32 {
	if !s.classed {
		s.Classify()
	}
	return s.seqLen
}

// End is the sequence number just past the segment: SEG.SEQ + SEG.LEN.
func (s *Segment) End() Seq { return s.Seq.Add(s.LEN()) }

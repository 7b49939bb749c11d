package capture

import (
	"encoding/binary"

	"tcpflow-fsm/fsm"
)

// Tunnels: IP in IP, GRE (with Ethernet bridging and ERSPAN), VXLAN and
// Geneve. The decoder follows each to the packet inside and records, in
// the segment's zone, the innermost tunnel and its identity (VNI, GRE key,
// ERSPAN session), so that the same 4-tuple in two virtual networks is two
// connections. The zone's VLAN tags are those of the innermost Ethernet
// frame that carried the packet: the frame inside the tunnel when the
// tunnel carries Ethernet (VXLAN, Geneve, GRE bridging, ERSPAN), else the
// frame that carried the tunnel (IP in IP, GRE carrying IP). Outer
// addresses are not part of the zone: a tunnel's two directions run
// between the same endpoints, and a zone is about where a connection
// lives, not how it got to the capture point.
//
// One limit a passive observer has: a GRE key is chosen per direction by
// each endpoint's configuration. Cisco and most setups use one key both
// ways; Linux can be told otherwise (ikey and okey), and then the two
// directions of a connection land in two zones.

// maxTunnels is how many tunnels deep the decoder follows a packet. Real
// networks nest two or three (VXLAN over GRE over IPsec-less IP in IP);
// the bound stops a crafted packet from making the decoder recurse over
// every octet.
const maxTunnels = 4

// The UDP ports of UDP tunnels: IANA's, as tcpdump and Wireshark use them.
// Linux's VXLAN devices default to 8472, the port used before IANA
// assigned one, unless told "dstport 4789"; that port is not followed.
const (
	portVXLAN  = 4789
	portGeneve = 6081
)

// GRE protocol types that are not EtherTypes of a network protocol.
const (
	greERSPAN2 = 0x88be // ERSPAN type I and II
	greERSPAN3 = 0x22eb // ERSPAN type III
)

// ipPayload decodes the payload b of an IP packet of protocol proto other
// than TCP: a tunnel is followed, anything else is counted as not TCP.
func (d *Decoder) ipPayload(proto uint8, b []byte, wire int, seg *fsm.Segment, depth int) bool {
	switch proto {
	case protoUDP:
		return d.udp(b, wire, seg, depth)
	case protoICMP:
		return d.notTCP(KindICMP)
	case protoICMPv6:
		return d.notTCP(KindICMPv6)
	case protoIPIP:
		if !d.enter(fsm.TunnelIPIP, 0, depth) {
			return false
		}
		return d.ipv4(b, wire, seg, depth+1)
	case protoIPv6Encap:
		if !d.enter(fsm.TunnelIPIP, 0, depth) {
			return false
		}
		return d.ipv6(b, wire, seg, depth+1)
	case protoGRE:
		return d.gre(b, wire, seg, depth)
	}
	return d.notTCP(KindOtherIPProtocol)
}

// enter records that the packet is inside a tunnel of kind t and identity
// id, found at depth tunnels deep. It counts the packet and returns false
// when that is too deep.
func (d *Decoder) enter(t fsm.Tunnel, id uint32, depth int) bool {
	if depth >= maxTunnels {
		return d.drop(ReasonTunnelTooDeep)
	}
	d.zone.Tunnel, d.zone.TunnelID = t, id
	return true
}

// inner decodes the link-layer result of a tunnel's payload onwards.
func (d *Decoder) inner(nw network, ip []byte, frame int, seg *fsm.Segment, depth int) bool {
	if nw == netNone {
		return false
	}
	return d.network(nw, ip, frame, seg, depth+1)
}

// udp decodes a UDP header and follows VXLAN and Geneve, recognised by
// their destination port; any other datagram is not TCP.
func (d *Decoder) udp(b []byte, wire int, seg *fsm.Segment, depth int) bool {
	if len(b) < 8 {
		return d.notTCP(KindUDP)
	}
	port := binary.BigEndian.Uint16(b[2:])
	if port != portVXLAN && port != portGeneve {
		return d.notTCP(KindUDP)
	}
	// The UDP length bounds the datagram, as the IP length bounds the
	// IP packet; a length that says more than the IP packet is ignored.
	if n := int(binary.BigEndian.Uint16(b[4:])); n >= 8 && n < wire {
		b, wire = b[:min(len(b), n)], n
	}
	b, wire = b[8:], wire-8
	if port == portVXLAN {
		return d.vxlan(b, wire, seg, depth)
	}
	return d.geneve(b, wire, seg, depth)
}

// vxlan decodes a VXLAN header (RFC 7348 §5): flags(1, the I bit says the
// VNI is valid) reserved(3) VNI(3) reserved(1), then an Ethernet frame.
func (d *Decoder) vxlan(b []byte, wire int, seg *fsm.Segment, depth int) bool {
	if len(b) < 8 {
		return d.drop(ReasonTruncatedTunnelHeader)
	}
	// RFC 7348 §5: the I flag "MUST be set to 1 for a valid VXLAN
	// Network ID (VNI)"; without it the field says nothing.
	var vni uint32
	if b[0]&0x08 != 0 {
		vni = uint32(b[4])<<16 | uint32(b[5])<<8 | uint32(b[6])
	}
	if !d.enter(fsm.TunnelVXLAN, vni, depth) {
		return false
	}
	nw, ip, frame := d.ethernet(b[8:], wire-8)
	return d.inner(nw, ip, frame, seg, depth)
}

// geneve decodes a Geneve header (RFC 8926 §3.4): version(2) options
// length(6, in 4-octet words) flags(8) protocol type(16) VNI(24)
// reserved(8), the options, then a packet of the protocol type (an
// EtherType; 0x6558 for Ethernet).
func (d *Decoder) geneve(b []byte, wire int, seg *fsm.Segment, depth int) bool {
	if len(b) < 8 {
		return d.drop(ReasonTruncatedTunnelHeader)
	}
	if b[0]>>6 != 0 {
		// RFC 8926 §3.4: "Packets received by a tunnel endpoint with an
		// unknown version MUST be dropped."
		return d.drop(ReasonUnsupportedTunnel)
	}
	n := 8 + int(b[0]&0x3f)*4
	if len(b) < n {
		return d.drop(ReasonTruncatedTunnelHeader)
	}
	if !d.enter(fsm.TunnelGeneve, uint32(b[4])<<16|uint32(b[5])<<8|uint32(b[6]), depth) {
		return false
	}
	proto := binary.BigEndian.Uint16(b[2:])
	b, wire = b[n:], wire-n
	if proto == etherTypeTEB {
		nw, ip, frame := d.ethernet(b, wire)
		return d.inner(nw, ip, frame, seg, depth)
	}
	nw, ip, frame := d.etherType(b, wire, proto)
	return d.inner(nw, ip, frame, seg, depth)
}

// gre decodes a GRE header (RFC 2784, with RFC 2890's key and sequence
// number): flags and version(2) protocol type(2), then a checksum and
// reserved field (4) when C is set, the key (4) when K is set, the
// sequence number (4) when S is set. The protocol type is an EtherType,
// or 0x6558 for an Ethernet frame, or ERSPAN's.
func (d *Decoder) gre(b []byte, wire int, seg *fsm.Segment, depth int) bool {
	const (
		flagChecksum = 0x8000
		flagRouting  = 0x4000 // RFC 1701 source routing, deprecated by RFC 2784
		flagKey      = 0x2000
		flagSeq      = 0x1000
	)
	if len(b) < 4 {
		return d.drop(ReasonTruncatedTunnelHeader)
	}
	flags, proto := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	if flags&7 != 0 || flags&flagRouting != 0 {
		// Version 1 is PPTP's enhanced GRE (RFC 2637), which carries PPP,
		// usually encrypted; routing fields went out with RFC 1701.
		return d.drop(ReasonUnsupportedTunnel)
	}
	n := 4
	if flags&flagChecksum != 0 {
		n += 4
	}
	var key uint32
	if flags&flagKey != 0 {
		if len(b) < n+4 {
			return d.drop(ReasonTruncatedTunnelHeader)
		}
		key = binary.BigEndian.Uint32(b[n:])
		n += 4
	}
	if flags&flagSeq != 0 {
		n += 4
	}
	if len(b) < n {
		return d.drop(ReasonTruncatedTunnelHeader)
	}
	b, wire = b[n:], wire-n
	switch proto {
	case greERSPAN2:
		return d.erspan2(b, wire, flags&flagSeq != 0, seg, depth)
	case greERSPAN3:
		return d.erspan3(b, wire, seg, depth)
	}
	if !d.enter(fsm.TunnelGRE, key, depth) {
		return false
	}
	if proto == etherTypeTEB {
		nw, ip, frame := d.ethernet(b, wire)
		return d.inner(nw, ip, frame, seg, depth)
	}
	nw, ip, frame := d.etherType(b, wire, proto)
	return d.inner(nw, ip, frame, seg, depth)
}

// erspan2 decodes what GRE protocol type 0x88be carries: Cisco's ERSPAN
// type II (draft-foschiano-erspan §4.1), an 8-octet header of version(4,
// 1) VLAN(12) CoS(3) En(2) T(1) session ID(10) reserved(12) index(20) and
// the mirrored Ethernet frame; or, when the GRE header has no sequence
// number, type I, the frame with no ERSPAN header (and no session ID).
func (d *Decoder) erspan2(b []byte, wire int, seq bool, seg *fsm.Segment, depth int) bool {
	if !seq {
		if !d.enter(fsm.TunnelERSPAN, 0, depth) {
			return false
		}
		nw, ip, frame := d.ethernet(b, wire)
		return d.inner(nw, ip, frame, seg, depth)
	}
	if len(b) < 8 {
		return d.drop(ReasonTruncatedTunnelHeader)
	}
	if b[0]>>4 != 1 {
		return d.drop(ReasonUnsupportedTunnel)
	}
	if !d.enter(fsm.TunnelERSPAN, uint32(binary.BigEndian.Uint16(b[2:])&0x03ff), depth) {
		return false
	}
	nw, ip, frame := d.ethernet(b[8:], wire-8)
	return d.inner(nw, ip, frame, seg, depth)
}

// erspan3 decodes ERSPAN type III (draft-foschiano-erspan §4.2): a
// 12-octet header of version(4, 2) VLAN(12) CoS(3) BSO(2) T(1) session
// ID(10) timestamp(32) SGT(16) P(1) frame type(5) hardware ID(6) D(1)
// granularity(2) O(1), an 8-octet platform-specific subheader when O is
// set, then the mirrored frame: Ethernet for frame type 0, the only one
// followed.
func (d *Decoder) erspan3(b []byte, wire int, seg *fsm.Segment, depth int) bool {
	if len(b) < 12 {
		return d.drop(ReasonTruncatedTunnelHeader)
	}
	if b[0]>>4 != 2 || (b[10]>>2)&0x1f != 0 {
		return d.drop(ReasonUnsupportedTunnel)
	}
	n := 12
	if b[11]&1 != 0 {
		n += 8
	}
	if len(b) < n {
		return d.drop(ReasonTruncatedTunnelHeader)
	}
	if !d.enter(fsm.TunnelERSPAN, uint32(binary.BigEndian.Uint16(b[2:])&0x03ff), depth) {
		return false
	}
	nw, ip, frame := d.ethernet(b[n:], wire-n)
	return d.inner(nw, ip, frame, seg, depth)
}

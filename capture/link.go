package capture

import (
	"encoding/binary"
)

// Link types (LINKTYPE_ values, tcpdump.org/linktypes.html) the Decoder
// understands.
const (
	LinkTypeNull       = 0   // BSD loopback: 4-byte address family, capturing host's byte order
	LinkTypeEthernet   = 1   // Ethernet II, with 802.1Q/802.1ad tags
	LinkTypePPP        = 9   // PPP, with or without the HDLC address and control octets
	LinkTypeRawOld     = 12  // DLT_RAW as most systems number it, stored as-is by some writers
	LinkTypeRawOpenBSD = 14  // DLT_RAW as OpenBSD numbers it
	LinkTypePPPHDLC    = 50  // PPP in HDLC-like framing (RFC 1662)
	LinkTypeRaw        = 101 // bare IPv4 or IPv6: the version nibble decides
	LinkTypeCiscoHDLC  = 104 // Cisco HDLC: address, control, then an EtherType
	LinkTypeIEEE80211  = 105 // IEEE 802.11 frames, as a monitor-mode interface sees them
	LinkTypeLoop       = 108 // OpenBSD loopback: 4-byte address family, big-endian
	LinkTypeLinuxSLL   = 113 // Linux cooked capture v1, 16-byte header
	LinkTypePFLog      = 117 // OpenBSD pf's log interface (pflog0)
	LinkTypeRadiotap   = 127 // radiotap header, then an 802.11 frame
	LinkTypePPI        = 192 // Per-Packet Information header, then a frame of the link type it names
	LinkTypeIPv4       = 228 // bare IPv4
	LinkTypeIPv6       = 229 // bare IPv6
	LinkTypeNFLOG      = 239 // Linux netfilter log (iptables NFLOG target, tcpdump -i nflog)
	LinkTypeLinuxSLL2  = 276 // Linux cooked capture v2, 20-byte header
)

// EtherTypes (also the protocol numbers of Cisco HDLC, GRE and Geneve) and
// PPP protocol numbers.
const (
	etherTypeIPv4     = 0x0800
	etherTypeARP      = 0x0806
	etherTypeCentrino = 0x2452 // an 802.11 frame, from Intel Centrino drivers in promiscuous mode
	etherTypeTEB      = 0x6558 // transparent Ethernet bridging: an Ethernet frame
	etherTypeRARP     = 0x8035 // also Cisco's SLARP on HDLC links
	etherTypeDot1Q    = 0x8100 // 802.1Q customer tag
	etherTypeDot1AD   = 0x88a8 // 802.1ad service tag (QinQ outer)
	etherTypeQinQOld  = 0x9100 // pre-standard QinQ outer tag
	etherTypeIPv6     = 0x86dd
	etherTypeMPLS     = 0x8847
	etherTypeMPLSMC   = 0x8848
	etherTypePPPoE    = 0x8864 // PPPoE session stage

	pppIPv4 = 0x0021
	pppIPv6 = 0x0057
)

// link decodes the link-layer header of a frame of link type lt, b as
// captured and wire octets long on the wire, and returns the network
// protocol, its header and the number of octets it had on the wire; or
// netNone when the packet has been counted. inPPI is true for the frame
// inside a PPI header.
func (d *Decoder) link(lt uint16, b []byte, wire int, inPPI bool) (network, []byte, int) {
	switch lt {
	case LinkTypeEthernet:
		return d.ethernet(b, wire)
	case LinkTypeLinuxSLL:
		// pkttype(2) hatype(2) halen(2) addr(8) protocol(2). When the
		// kernel stripped a VLAN tag (hardware VLAN offload), libpcap puts
		// it back where the protocol was, so that the protocol reads
		// 0x8100 and the tag follows, as in Ethernet.
		if len(b) < 16 {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		return d.etherType(b[16:], wire-16, binary.BigEndian.Uint16(b[14:]))
	case LinkTypeLinuxSLL2:
		// protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1)
		// addr(8). libpcap does not put a stripped VLAN tag back in SLL2
		// (it knows no offset for it), so a tag appears only when the
		// kernel left it in the frame: a VLAN the kernel did not strip
		// reads as a zone, one it stripped is lost to us.
		if len(b) < 20 {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		return d.etherType(b[20:], wire-20, binary.BigEndian.Uint16(b[0:]))
	case LinkTypeNull, LinkTypeLoop:
		if len(b) < 4 {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		// NULL holds the address family in the capturing host's byte
		// order, which the file does not record. Families are small
		// numbers, so a value that does not fit in 16 bits was written
		// big-endian. LOOP is always big-endian.
		af := binary.BigEndian.Uint32(b)
		if lt == LinkTypeNull {
			if le := binary.LittleEndian.Uint32(b); le <= 0xffff {
				af = le
			}
		}
		return d.addressFamily(af, b[4:], wire-4)
	case LinkTypeRaw, LinkTypeRawOld, LinkTypeRawOpenBSD:
		return netByVersion, b, wire
	case LinkTypeIPv4:
		return netIPv4, b, wire
	case LinkTypeIPv6:
		return netIPv6, b, wire
	case LinkTypePPP, LinkTypePPPHDLC:
		return d.ppp(b, wire)
	case LinkTypeCiscoHDLC:
		// address(1) control(1) protocol(2): the protocol is an EtherType.
		if len(b) < 4 {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		return d.etherType(b[4:], wire-4, binary.BigEndian.Uint16(b[2:]))
	case LinkTypePFLog:
		return d.pflog(b, wire)
	case LinkTypeNFLOG:
		return d.nflog(b, wire)
	case LinkTypeIEEE80211:
		return d.wlan(b, wire, wlanPlain)
	case LinkTypeRadiotap:
		return d.radiotap(b, wire)
	case LinkTypePPI:
		if inPPI {
			// A PPI header inside a PPI header: only a hostile file nests
			// them, and it could nest them without end.
			return d.linkDrop(ReasonTunnelTooDeep)
		}
		return d.ppi(b, wire)
	}
	d.stats.Reasons[ReasonUnsupportedLinkType]++
	if d.stats.LinkTypes == nil {
		d.stats.LinkTypes = make(map[uint16]uint64)
	}
	d.stats.LinkTypes[lt]++
	return netNone, nil, 0
}

// linkDrop counts a packet dropped for r in a link-layer header.
func (d *Decoder) linkDrop(r Reason) (network, []byte, int) {
	d.stats.Reasons[r]++
	return netNone, nil, 0
}

// linkNotTCP counts a packet whose link layer says it is not IP.
func (d *Decoder) linkNotTCP(k Kind) (network, []byte, int) {
	d.stats.NotTCP[k]++
	return netNone, nil, 0
}

// addressFamily maps the address family of a NULL, LOOP or PFLOG header to
// the network protocol of b.
func (d *Decoder) addressFamily(af uint32, b []byte, wire int) (network, []byte, int) {
	switch af {
	case 2: // AF_INET everywhere
		return netIPv4, b, wire
	case 24, 28, 30: // AF_INET6 on NetBSD/OpenBSD, FreeBSD, macOS
		return netIPv6, b, wire
	}
	return d.linkNotTCP(KindOtherAddressFamily)
}

// ethernet decodes an Ethernet header, at the start of a capture or inside
// a tunnel. The zone's VLAN tags become this frame's: a frame that arrived
// in a tunnel (VXLAN, Geneve, GRE bridging, ERSPAN) is told apart by its
// own tags and the tunnel's identity, not by the tags of the frame that
// carried the tunnel across the capture point, which belong to the
// underlay and may differ from one tunnel endpoint to the other.
func (d *Decoder) ethernet(b []byte, wire int) (network, []byte, int) {
	if len(b) < 14 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	d.zone.VLAN = [2]uint16{}
	return d.etherType(b[14:], wire-14, binary.BigEndian.Uint16(b[12:]))
}

// etherType follows the EtherType et, whose payload is b, through VLAN
// tags, MPLS labels and PPPoE to the network header.
func (d *Decoder) etherType(b []byte, wire int, et uint16) (network, []byte, int) {
	for {
		switch et {
		case etherTypeIPv4:
			return netIPv4, b, wire
		case etherTypeIPv6:
			return netIPv6, b, wire
		case etherTypeDot1Q, etherTypeDot1AD, etherTypeQinQOld:
			// TCI(2) then the inner EtherType(2).
			if len(b) < 4 {
				return d.linkDrop(ReasonTruncatedLinkHeader)
			}
			d.vlan(binary.BigEndian.Uint16(b))
			et = binary.BigEndian.Uint16(b[2:])
			b, wire = b[4:], wire-4
		case etherTypeMPLS, etherTypeMPLSMC:
			// Labels of 4 octets down to the one with the bottom-of-stack
			// bit; MPLS does not say what it carries, so guess IP from the
			// version nibble as routers and Wireshark do. Labels are not
			// part of the zone: a label means something to one router
			// only, and the two directions of a connection carry others.
			for {
				if len(b) < 4 {
					return d.linkDrop(ReasonTruncatedLinkHeader)
				}
				bottom := b[2]&1 != 0
				b, wire = b[4:], wire-4
				if bottom {
					break
				}
			}
			if len(b) > 0 {
				switch b[0] >> 4 {
				case 4:
					return netIPv4, b, wire
				case 6:
					return netIPv6, b, wire
				}
			}
			return d.linkNotTCP(KindOtherEtherType)
		case etherTypePPPoE:
			// RFC 2516: ver/type(1) code(1) session(2) length(2), then the
			// PPP protocol number (2).
			if len(b) < 8 {
				return d.linkDrop(ReasonTruncatedLinkHeader)
			}
			return d.pppProtocol(binary.BigEndian.Uint16(b[6:]), b[8:], wire-8)
		case etherTypeCentrino:
			return d.wlan(b, wire, wlanCentrino)
		case etherTypeARP, etherTypeRARP:
			return d.linkNotTCP(KindARP)
		default:
			if et < 0x0600 {
				return d.linkNotTCP(KindLLC)
			}
			return d.linkNotTCP(KindOtherEtherType)
		}
	}
}

// vlan records the VLAN ID of a tag's TCI in the zone, outermost first.
// A priority tag (ID 0) carries no VLAN and is left out. A frame with more
// than two tags keeps its outermost two: the zone has room for QinQ, and
// stacks deeper than that are provider backbones, whose outer tags already
// set the frames apart.
func (d *Decoder) vlan(tci uint16) {
	id := tci & 0x0fff
	switch {
	case id == 0:
	case d.zone.VLAN[0] == 0:
		d.zone.VLAN[0] = id
	case d.zone.VLAN[1] == 0:
		d.zone.VLAN[1] = id
	}
}

// ppp decodes a PPP header (RFC 1661), with the HDLC-like address and
// control octets FF 03 (RFC 1662) or without them, and a protocol field of
// two octets or, compressed, of one (an odd first octet ends it).
func (d *Decoder) ppp(b []byte, wire int) (network, []byte, int) {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b, wire = b[2:], wire-2
	}
	if len(b) < 1 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	if b[0]&1 != 0 {
		return d.pppProtocol(uint16(b[0]), b[1:], wire-1)
	}
	if len(b) < 2 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	return d.pppProtocol(binary.BigEndian.Uint16(b), b[2:], wire-2)
}

// pppProtocol maps a PPP protocol number to the network protocol of b.
func (d *Decoder) pppProtocol(proto uint16, b []byte, wire int) (network, []byte, int) {
	switch proto {
	case pppIPv4:
		return netIPv4, b, wire
	case pppIPv6:
		return netIPv6, b, wire
	}
	// LCP, IPCP, compressed or encrypted datagrams.
	return d.linkNotTCP(KindOtherEtherType)
}

// pflog decodes the header of OpenBSD pf's log interface (also FreeBSD's
// and macOS's): its first octet is its length, padded by the kernel to a
// multiple of 4, its second the address family of the logged packet.
func (d *Decoder) pflog(b []byte, wire int) (network, []byte, int) {
	if len(b) < 2 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	n := (int(b[0]) + 3) &^ 3
	// The header holds at least its length, family, action, reason,
	// interface name (16) and ruleset name (16).
	if n < 36 || len(b) < n {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	return d.addressFamily(uint32(b[1]), b[n:], wire-n)
}

// nflog decodes the header of a packet logged by Linux netfilter's NFLOG
// target: family(1) version(1) resource ID(2), then TLVs, each a length
// (2, counting the TLV's own 4 octets) and a type (2) followed by the
// value, padded to a multiple of 4. The packet, from its IP header, is the
// value of the TLV of type 9 (NFULA_PAYLOAD).
func (d *Decoder) nflog(b []byte, wire int) (network, []byte, int) {
	const nfulaPayload = 9
	if len(b) < 4 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	// Lengths and types are in the byte order of the host that logged
	// the packet, which the file does not record. Take little-endian (the
	// hosts that run netfilter almost all are) unless it makes the first
	// TLV impossible and big-endian does not.
	var order binary.ByteOrder = binary.LittleEndian
	if len(b) >= 8 {
		le, be := int(binary.LittleEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[4:]))
		if (le < 4 || 4+le > len(b)) && be >= 4 && 4+be <= len(b) {
			order = binary.BigEndian
		}
	}
	for pos := 4; pos+4 <= len(b); {
		l := int(order.Uint16(b[pos:]))
		// The top two bits of a type are netlink's nested and
		// network-byte-order flags.
		t := order.Uint16(b[pos+2:]) & 0x3fff
		if l < 4 {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		if t == nfulaPayload {
			// The TLV's length is the packet's: the capture may have cut
			// it short, the wire may not have been longer.
			p := b[pos+4 : min(pos+l, len(b))]
			switch b[0] {
			case 2: // AF_INET
				return netIPv4, p, l - 4
			case 10: // AF_INET6 on Linux
				return netIPv6, p, l - 4
			}
			return d.linkNotTCP(KindOtherAddressFamily)
		}
		pos += (l + 3) &^ 3
	}
	// A log record without the packet: logged with no payload copied,
	// or cut by the capture before it.
	return d.linkDrop(ReasonNFLOGNoPacket)
}

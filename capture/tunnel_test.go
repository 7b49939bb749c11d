package capture

import (
	"encoding/binary"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"tcpflow-fsm/fsm"
)

// Builders of tunnel headers, written by hand from the RFCs and drafts
// cited in tunnel.go; the outer IP and UDP headers come from gopacket.

// outer4 is an IPv4 packet 192.0.2.1 -> 192.0.2.2 of protocol proto
// carrying payload: the underlay of a tunnel.
func outer4(t testing.TB, proto layers.IPProtocol, payload []byte) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: []byte{192, 0, 2, 1}, DstIP: []byte{192, 0, 2, 2}}
	return serialize(t, ip, gopacket.Payload(payload))
}

// udp4 is an IPv4 UDP datagram from sport to dport carrying payload.
func udp4(t testing.TB, sport, dport uint16, payload []byte) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{192, 0, 2, 1}, DstIP: []byte{192, 0, 2, 2}}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, udp, gopacket.Payload(payload))
}

// udp6 is the same over IPv6, with a zero UDP checksum.
func udp6(t testing.TB, sport, dport uint16, payload []byte) []byte {
	u := binary.BigEndian.AppendUint16(nil, sport)
	u = binary.BigEndian.AppendUint16(u, dport)
	u = binary.BigEndian.AppendUint16(u, uint16(8+len(payload)))
	u = append(u, 0, 0)
	return ipv6Ext(t, layers.IPProtocolUDP, cat(u, payload))
}

// greHeader is a GRE header (RFC 2784/2890): flags and version, protocol
// type, then checksum+reserved, key and sequence number as the flags say.
func greHeader(flags, proto uint16, key uint32) []byte {
	b := binary.BigEndian.AppendUint16(nil, flags)
	b = binary.BigEndian.AppendUint16(b, proto)
	if flags&0x8000 != 0 {
		b = append(b, 0xbe, 0xef, 0, 0) // checksum (not checked), reserved
	}
	if flags&0x2000 != 0 {
		b = binary.BigEndian.AppendUint32(b, key)
	}
	if flags&0x1000 != 0 {
		b = binary.BigEndian.AppendUint32(b, 77) // sequence number
	}
	return b
}

// vxlanHeader is a VXLAN header with the I flag and vni.
func vxlanHeader(vni uint32) []byte {
	return []byte{0x08, 0, 0, 0, byte(vni >> 16), byte(vni >> 8), byte(vni), 0}
}

// geneveHeader is a Geneve header of version ver, protocol type proto and
// vni, followed by opts (a multiple of 4 octets).
func geneveHeader(ver byte, proto uint16, vni uint32, opts []byte) []byte {
	b := []byte{ver<<6 | byte(len(opts)/4), 0}
	b = binary.BigEndian.AppendUint16(b, proto)
	b = append(b, byte(vni>>16), byte(vni>>8), byte(vni), 0)
	return cat(b, opts)
}

// erspan2Header is an ERSPAN type II header: version 1, VLAN 99 (of the
// mirrored frame: not part of the zone), CoS 5, En 3, session, index 12345.
func erspan2Header(ver byte, session uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(ver)<<12|99)
	b = binary.BigEndian.AppendUint16(b, 5<<13|3<<11|session&0x3ff)
	return binary.BigEndian.AppendUint32(b, 12345)
}

// erspan3Header is an ERSPAN type III header: version 2, VLAN 99,
// session, a timestamp, SGT 0, frame type ft, hardware ID 1, and the
// 8-octet platform subheader when o.
func erspan3Header(session uint16, ft byte, o bool) []byte {
	b := binary.BigEndian.AppendUint16(nil, 2<<12|99)
	b = binary.BigEndian.AppendUint16(b, session&0x3ff)
	b = binary.BigEndian.AppendUint32(b, 0x01020304) // timestamp
	b = append(b, 0, 0)                              // SGT
	last := uint16(ft)<<10 | 1<<4                    // P 0, FT, HW ID 1, D 0, Gra 0
	if o {
		last |= 1
	}
	b = binary.BigEndian.AppendUint16(b, last)
	if o {
		b = append(b, 3<<2, 0, 0, 0, 0, 0, 0, 0) // platform ID 3
	}
	return b
}

// zoned returns a copy of s in zone z.
func zoned(s fsm.Segment, z fsm.Zone) *fsm.Segment {
	s.Zone = z
	return &s
}

// tunnelCases are decodeCases for tunnels and VLAN zones.
func tunnelCases(t testing.TB) []decodeCase {
	v4syn := ipv4TCP(t, syn(), nil)
	v6syn := ipv6TCP(t, syn(), nil)
	eth4 := ether(t, layers.EthernetTypeIPv4, v4syn)
	vlan42 := ethRaw(0x8100, vlanTag(0x0800, 42), v4syn)
	ipip := fsm.Zone{Tunnel: fsm.TunnelIPIP}
	gre := func(id uint32) fsm.Zone { return fsm.Zone{Tunnel: fsm.TunnelGRE, TunnelID: id} }
	erspan := func(id uint32) fsm.Zone { return fsm.Zone{Tunnel: fsm.TunnelERSPAN, TunnelID: id} }

	// IP in IP nested n deep.
	nested := func(n int) []byte {
		p := v4syn
		for range n {
			p = outer4(t, layers.IPProtocolIPv4, p)
		}
		return p
	}
	// An inner IPv4 fragment, and an inner datagram.
	frag := patch(v4syn, 6, 0x20, 0)
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2}}
	udp := &layers.UDP{SrcPort: 53, DstPort: 53}
	udp.SetNetworkLayerForChecksum(ip)
	dns := serialize(t, ip, udp, gopacket.Payload(seq(10)))

	return []decodeCase{
		// VLAN zones: tags outermost first, priority tags left out, the
		// outermost two of three kept.
		{"vlan-zone", LinkTypeEthernet, vlan42, 0, zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{42}}), nil},
		{"vlan-priority-tag", LinkTypeEthernet, ethRaw(0x8100, vlanTag(0x0800, 0x6000), v4syn), 0, zoned(v4SYN(), fsm.Zone{}), nil},
		{"vlan-priority-bits-ignored", LinkTypeEthernet, ethRaw(0x8100, vlanTag(0x0800, 0xe000|42), v4syn), 0, zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{42}}), nil},
		{"qinq-inner-priority-tag", LinkTypeEthernet, ethRaw(0x88a8, vlanTag(0x8100, 10), vlanTag(0x0800, 0), v4syn), 0, zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{10}}), nil},
		{"qinq-old-9100", LinkTypeEthernet, ethRaw(0x9100, vlanTag(0x8100, 10), vlanTag(0x0800, 20), v4syn), 0, zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{10, 20}}), nil},
		{"three-tags", LinkTypeEthernet, ethRaw(0x88a8, vlanTag(0x8100, 1), vlanTag(0x8100, 2), vlanTag(0x0800, 3), v4syn), 0, zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{1, 2}}), nil},
		{"sll2-vlan", LinkTypeLinuxSLL2, cat(sll2(0x8100), vlanTag(0x0800, 7), v4syn), 0, zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{7}}), nil},

		// IP in IP: no identity; the carrying frame's tags stay.
		{"ipip", LinkTypeRaw, outer4(t, layers.IPProtocolIPv4, v4syn), 0, zoned(v4SYN(), ipip), nil},
		{"6in4", LinkTypeRaw, outer4(t, layers.IPProtocolIPv6, v6syn), 0, zoned(v6SYN(), ipip), nil},
		{"4in6", LinkTypeRaw, ipv6Ext(t, layers.IPProtocolIPv4, v4syn), 0, zoned(v4SYN(), ipip), nil},
		{"6in6-after-destopts", LinkTypeRaw, ipv6Ext(t, layers.IPProtocolIPv6Destination, cat(optsHeader(layers.IPProtocolIPv6), v6syn)), 0, zoned(v6SYN(), ipip), nil},
		{"ipip-on-vlan", LinkTypeEthernet, ethRaw(0x8100, vlanTag(0x0800, 5), outer4(t, layers.IPProtocolIPv4, v4syn)), 0,
			zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{5}, Tunnel: fsm.TunnelIPIP}), nil},
		{"ipip-4-deep", LinkTypeRaw, nested(4), 0, zoned(v4SYN(), ipip), nil},
		{"ipip-5-deep", LinkTypeRaw, nested(5), 0, nil, []string{"dropped/tunnel_nesting_too_deep"}},
		{"ipip-inner-fragment", LinkTypeRaw, outer4(t, layers.IPProtocolIPv4, frag), 0, nil, []string{"dropped/ipv4_fragment"}},
		{"ipip-inner-udp", LinkTypeRaw, outer4(t, layers.IPProtocolIPv4, dns), 0, nil, []string{"not_tcp/udp"}},
		{"ipip-inner-version-6", LinkTypeRaw, outer4(t, layers.IPProtocolIPv4, v6syn), 0, nil, []string{"dropped/bad_ip_version"}},
		{"ipip-inner-cut", LinkTypeRaw, outer4(t, layers.IPProtocolIPv4, v4syn[:30]), 0, nil, []string{"dropped/truncated_tcp_header"}},

		// GRE.
		{"gre-ipv4", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0, 0x0800, 0), v4syn)), 0, zoned(v4SYN(), gre(0)), nil},
		{"gre-key", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x2000, 0x0800, 1001), v4syn)), 0, zoned(v4SYN(), gre(1001)), nil},
		{"gre-checksum-key-seq", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0xb000, 0x86dd, 0xffffffff), v6syn)), 0, zoned(v6SYN(), gre(0xffffffff)), nil},
		{"gre-over-ipv6", LinkTypeRaw, ipv6Ext(t, layers.IPProtocolGRE, cat(greHeader(0x1000, 0x0800, 0), v4syn)), 0, zoned(v4SYN(), gre(0)), nil},
		{"gre-mpls", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0, 0x8847, 0), []byte{0, 1, 1, 64}, v4syn)), 0, zoned(v4SYN(), gre(0)), nil},
		// Transparent Ethernet bridging: the inner frame's tag, not the
		// outer one, goes in the zone.
		{"gre-teb-vlan", LinkTypeEthernet, ethRaw(0x8100, vlanTag(0x0800, 5), outer4(t, layers.IPProtocolGRE, cat(greHeader(0x2000, 0x6558, 7), vlan42))), 0,
			zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{42}, Tunnel: fsm.TunnelGRE, TunnelID: 7}), nil},
		{"gre-teb-untagged-inside-tagged", LinkTypeEthernet, ethRaw(0x8100, vlanTag(0x0800, 5), outer4(t, layers.IPProtocolGRE, cat(greHeader(0, 0x6558, 0), eth4))), 0,
			zoned(v4SYN(), gre(0)), nil},
		{"gre-teb-arp", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0, 0x6558, 0), ethRaw(0x0806, make([]byte, 28)))), 0, nil, []string{"not_tcp/arp"}},
		{"gre-version-1-pptp", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x3081, 0x880b, 0x00280001), make([]byte, 12))), 0, nil, []string{"dropped/unsupported_tunnel"}},
		{"gre-routing", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x4000, 0x0800, 0), make([]byte, 8), v4syn)), 0, nil, []string{"dropped/unsupported_tunnel"}},
		{"gre-short", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, []byte{0, 0, 8}), 0, nil, []string{"dropped/truncated_tunnel_header"}},
		{"gre-key-cut", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, greHeader(0x2000, 0x0800, 5)[:6]), 0, nil, []string{"dropped/truncated_tunnel_header"}},
		{"gre-seq-cut", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, greHeader(0x1000, 0x0800, 5)[:6]), 0, nil, []string{"dropped/truncated_tunnel_header"}},

		// ERSPAN in GRE: the session ID is the identity; the VLAN field
		// of the ERSPAN header is not.
		{"erspan-i", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0, 0x88be, 0), eth4)), 0, zoned(v4SYN(), erspan(0)), nil},
		{"erspan-ii", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x1000, 0x88be, 0), erspan2Header(1, 1023), vlan42)), 0,
			zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{42}, Tunnel: fsm.TunnelERSPAN, TunnelID: 1023}), nil},
		{"erspan-ii-version-2", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x1000, 0x88be, 0), erspan2Header(2, 5), eth4)), 0, nil, []string{"dropped/unsupported_tunnel"}},
		{"erspan-ii-cut", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x1000, 0x88be, 0), erspan2Header(1, 5)[:7])), 0, nil, []string{"dropped/truncated_tunnel_header"}},
		{"erspan-iii", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x1000, 0x22eb, 0), erspan3Header(300, 0, false), eth4)), 0, zoned(v4SYN(), erspan(300)), nil},
		{"erspan-iii-platform-subheader", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x1000, 0x22eb, 0), erspan3Header(301, 0, true), eth4)), 0, zoned(v4SYN(), erspan(301)), nil},
		{"erspan-iii-subheader-cut", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x1000, 0x22eb, 0), erspan3Header(301, 0, true)[:16])), 0, nil, []string{"dropped/truncated_tunnel_header"}},
		{"erspan-iii-frame-type-ip", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x1000, 0x22eb, 0), erspan3Header(302, 2, false), v4syn)), 0, nil, []string{"dropped/unsupported_tunnel"}},

		// VXLAN and Geneve, by destination port.
		{"vxlan", LinkTypeEthernet, ether(t, layers.EthernetTypeIPv4, udp4(t, 51234, 4789, cat(vxlanHeader(5001), eth4))), 0,
			zoned(v4SYN(), fsm.Zone{Tunnel: fsm.TunnelVXLAN, TunnelID: 5001}), nil},
		{"vxlan-ipv6-underlay-qinq-inside", LinkTypeRaw, udp6(t, 40000, 4789, cat(vxlanHeader(0xffffff), ethRaw(0x88a8, vlanTag(0x8100, 10), vlanTag(0x86dd, 20), v6syn))), 0,
			zoned(v6SYN(), fsm.Zone{VLAN: [2]uint16{10, 20}, Tunnel: fsm.TunnelVXLAN, TunnelID: 0xffffff}), nil},
		{"vxlan-without-i-flag", LinkTypeRaw, udp4(t, 51234, 4789, cat(patch(vxlanHeader(5001), 0, 0), eth4)), 0,
			zoned(v4SYN(), fsm.Zone{Tunnel: fsm.TunnelVXLAN}), nil},
		{"vxlan-short", LinkTypeRaw, udp4(t, 51234, 4789, vxlanHeader(1)[:7]), 0, nil, []string{"dropped/truncated_tunnel_header"}},
		{"vxlan-inner-ethernet-cut", LinkTypeRaw, udp4(t, 51234, 4789, cat(vxlanHeader(1), eth4[:13])), 0, nil, []string{"dropped/truncated_link_header"}},
		{"udp-from-4789-is-not-vxlan", LinkTypeRaw, udp4(t, 4789, 53, cat(vxlanHeader(1), eth4)), 0, nil, []string{"not_tcp/udp"}},
		{"udp-short", LinkTypeRaw, outer4(t, layers.IPProtocolUDP, []byte{0x12, 0xb5, 0x12}), 0, nil, []string{"not_tcp/udp"}},
		{"geneve-ethernet-with-options", LinkTypeRaw, udp4(t, 51234, 6081, cat(geneveHeader(0, 0x6558, 0xabcdef, make([]byte, 8)), vlan42)), 0,
			zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{42}, Tunnel: fsm.TunnelGeneve, TunnelID: 0xabcdef}), nil},
		{"geneve-ipv4", LinkTypeRaw, udp4(t, 51234, 6081, cat(geneveHeader(0, 0x0800, 7, nil), v4syn)), 0,
			zoned(v4SYN(), fsm.Zone{Tunnel: fsm.TunnelGeneve, TunnelID: 7}), nil},
		{"geneve-version-1", LinkTypeRaw, udp4(t, 51234, 6081, cat(geneveHeader(1, 0x0800, 7, nil), v4syn)), 0, nil, []string{"dropped/unsupported_tunnel"}},
		{"geneve-options-cut", LinkTypeRaw, udp4(t, 51234, 6081, geneveHeader(0, 0x6558, 7, make([]byte, 16))[:20]), 0, nil, []string{"dropped/truncated_tunnel_header"}},

		// Nesting: the innermost tunnel names the zone.
		{"vxlan-in-gre", LinkTypeRaw, outer4(t, layers.IPProtocolGRE, cat(greHeader(0x2000, 0x0800, 9), udp4(t, 1, 4789, cat(vxlanHeader(77), eth4)))), 0,
			zoned(v4SYN(), fsm.Zone{Tunnel: fsm.TunnelVXLAN, TunnelID: 77}), nil},
		{"gre-in-vxlan-keeps-inner-vlan", LinkTypeRaw, udp4(t, 1, 4789, cat(vxlanHeader(77), ethRaw(0x8100, vlanTag(0x0800, 8), outer4(t, layers.IPProtocolGRE, cat(greHeader(0x2000, 0x0800, 9), v4syn))))), 0,
			zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{8}, Tunnel: fsm.TunnelGRE, TunnelID: 9}), nil},
	}
}

// The tunnel's payload is bounded by the outer IP length, not by the
// frame: Ethernet padding after a short tunnelled packet is not payload,
// and an inner IP length past the outer packet is noted.
func TestDecodeTunnelLengths(t *testing.T) {
	ack := data()
	ack.PSH = false
	inner := ipv4TCP(t, ack, nil)
	padded := cat(ether(t, layers.EthernetTypeIPv4, outer4(t, layers.IPProtocolIPv4, inner)), make([]byte, 10))
	d := NewDecoder()
	var s fsm.Segment
	if !d.Decode(&Packet{LinkType: LinkTypeEthernet, Data: padded, OrigLen: len(padded), Time: unix(1700000000, 0)}, &s) || s.PayloadLen != 0 || s.Zone.Tunnel != fsm.TunnelIPIP {
		t.Errorf("padded: %+v, counters %v", s, counterNames(d))
	}
	// The inner IP header claims 10 octets more than the outer packet holds.
	long := outer4(t, layers.IPProtocolIPv4, patch(ipv4TCP(t, data(), seq(100)), 2, 0, 150))
	d = NewDecoder()
	if !d.Decode(&Packet{LinkType: LinkTypeRaw, Data: long, OrigLen: len(long), Time: unix(1700000000, 0)}, &s) || s.PayloadLen != 110 || s.Captured != 100 {
		t.Errorf("long: %+v", s)
	}
	if got := counterNames(d); len(got) != 1 || got[0] != "note/ip_length_exceeds_frame" {
		t.Errorf("long: counters %v", got)
	}
}

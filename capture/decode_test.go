package capture

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"tcpflow-fsm/fsm"
)

var (
	v4a = netip.MustParseAddr("10.0.0.1")
	v4b = netip.MustParseAddr("10.0.0.2")
	v6a = netip.MustParseAddr("2001:db8::1")
	v6b = netip.MustParseAddr("2001:db8::2")
)

// synOptions are the options of a Linux SYN: MSS, SACK permitted,
// timestamps, NOP, window scale.
func synOptions() []layers.TCPOption {
	return []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionData: []byte{0x05, 0xb4}},
		{OptionType: layers.TCPOptionKindSACKPermitted},
		{OptionType: layers.TCPOptionKindTimestamps, OptionData: []byte{0, 0, 0x03, 0xe8, 0xde, 0xad, 0xbe, 0xef}},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindWindowScale, OptionData: []byte{7}},
	}
}

func synOpts() fsm.Options {
	return fsm.Options{MSS: 1460, HasMSS: true, SACKPermitted: true, HasTimestamps: true, TSVal: 1000, TSEcr: 0xdeadbeef, WScale: 7, HasWScale: true}
}

// syn is a SYN with options from port 40000 to 80, sequence 2^32-10 (the
// wrap is near).
func syn() *layers.TCP {
	return &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 0xfffffff6, SYN: true, Window: 64240, Options: synOptions()}
}

// data is an ACK from port 80 carrying n octets.
func data() *layers.TCP {
	return &layers.TCP{SrcPort: 80, DstPort: 40000, Seq: 7, Ack: 0xfffffff7, ACK: true, PSH: true, Window: 509}
}

// v4SYN and v6SYN are the segments syn() decodes to.
func v4SYN() fsm.Segment {
	return fsm.Segment{Src: netip.AddrPortFrom(v4a, 40000), Dst: netip.AddrPortFrom(v4b, 80),
		Seq: 0xfffffff6, Flags: fsm.SYN, Window: 64240, Opts: synOpts()}
}

func v6SYN() fsm.Segment {
	s := v4SYN()
	s.Src, s.Dst = netip.AddrPortFrom(v6a, 40000), netip.AddrPortFrom(v6b, 80)
	return s
}

func v4Data(n, captured int) fsm.Segment {
	return fsm.Segment{Src: netip.AddrPortFrom(v4a, 80), Dst: netip.AddrPortFrom(v4b, 40000),
		Seq: 7, Ack: 0xfffffff7, Flags: fsm.ACK | fsm.PSH, Window: 509, PayloadLen: n, Captured: captured}
}

func v6Data(n, captured int) fsm.Segment {
	s := v4Data(n, captured)
	s.Src, s.Dst = netip.AddrPortFrom(v6a, 80), netip.AddrPortFrom(v6b, 40000)
	return s
}

// Link headers built by hand.

func sll(proto uint16) []byte {
	b := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0x0a, 0, 0} // to us, Ethernet, 6-byte address
	return binary.BigEndian.AppendUint16(b, proto)
}

func sll2(proto uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, proto)
	b = append(b, 0, 0)       // reserved
	b = append(b, 0, 0, 0, 2) // ifindex
	b = append(b, 0, 1)       // hatype Ethernet
	b = append(b, 4, 6)       // sent by us, 6-byte address
	return append(b, 2, 0, 0, 0, 0, 0x0a, 0, 0)
}

func afLE(af uint32) []byte { return binary.LittleEndian.AppendUint32(nil, af) }
func afBE(af uint32) []byte { return binary.BigEndian.AppendUint32(nil, af) }

// vlanTag is the rest of an 802.1Q tag after its TPID: the TCI holding
// vid, then the inner EtherType.
func vlanTag(inner uint16, vid uint16) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, vid), inner)
}

// ethRaw is an Ethernet header with the given EtherType, then rest.
func ethRaw(et uint16, rest ...[]byte) []byte {
	b := cat(macB, macA)
	return cat(append(b, byte(et>>8), byte(et)), cat(rest...))
}

// IPv6 extension headers, built by hand (RFC 8200 §4).

// optsHeader is a hop-by-hop or destination options header of 8 octets
// holding one PadN.
func optsHeader(next layers.IPProtocol) []byte {
	return []byte{byte(next), 0, 1, 4, 0, 0, 0, 0}
}

func fragHeader(next layers.IPProtocol, offset uint16, more bool) []byte {
	v := offset << 3
	if more {
		v |= 1
	}
	return cat([]byte{byte(next), 0}, binary.BigEndian.AppendUint16(nil, v), []byte{0, 0, 0, 42})
}

// patch returns a copy of b with b[i:] overwritten by v.
func patch(b []byte, i int, v ...byte) []byte {
	c := slices.Clone(b)
	copy(c[i:], v)
	return c
}

// ipv4Opts is an IPv4 packet with 8 octets of options (a record-route
// option and padding) carrying tcp.
func ipv4Opts(t testing.TB, tcp *layers.TCP, payload []byte) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2},
		Options: []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: []byte{4, 0, 0, 0, 0}}}}
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tcp, gopacket.Payload(payload))
}

type decodeCase struct {
	name     string
	linkType uint16
	data     []byte
	origLen  int // 0: len(data)
	want     *fsm.Segment
	counters []string // group/name of the counters besides the totals
}

func decodeCases(t testing.TB) []decodeCase {
	seg := func(s fsm.Segment) *fsm.Segment { return &s }
	v4syn := ipv4TCP(t, syn(), nil)
	v6syn := ipv6TCP(t, syn(), nil)
	v4data := ipv4TCP(t, data(), seq(100))
	tcpSYN := tcpBytes(t, syn(), nil)
	tcpData := tcpBytes(t, data(), seq(100))

	// An ACK with no payload, padded by Ethernet to 60 octets.
	ack := data()
	ack.PSH = false
	padded := cat(ether(t, layers.EthernetTypeIPv4, ipv4TCP(t, ack, nil)), make([]byte, 6))
	ackSeg := v4Data(0, 0)
	ackSeg.Flags = fsm.ACK

	// Every flag bit.
	all := &layers.TCP{SrcPort: 1, DstPort: 2, FIN: true, SYN: true, RST: true, PSH: true, ACK: true, URG: true, ECE: true, CWR: true}
	allSeg := fsm.Segment{Src: netip.AddrPortFrom(v4a, 1), Dst: netip.AddrPortFrom(v4b, 2), Flags: 0xff}

	// SACK blocks: three, then four.
	sack := func(n int) *layers.TCP {
		tcp := data()
		var d []byte
		for i := range n {
			d = binary.BigEndian.AppendUint32(d, uint32(1000*i+100))
			d = binary.BigEndian.AppendUint32(d, uint32(1000*i+200))
		}
		tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindSACK, OptionData: d}}
		return tcp
	}
	sackSeg := func(n int) *fsm.Segment {
		s := v4Data(0, 0)
		s.Opts.NSACK = uint8(n)
		for i := range n {
			s.Opts.SACK[i] = fsm.SACKBlock{Left: fsm.Seq(1000*i + 100), Right: fsm.Seq(1000*i + 200)}
		}
		return &s
	}

	// Options that go wrong. Each starts from a header with 8 octets of
	// options, MSS first, and patches the second option.
	mssThen := func(second []byte) []byte {
		tcp := data()
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionData: []byte{0x05, 0xb4}},
			{OptionType: 99, OptionData: []byte{0, 0}},
		}
		pkt := ipv4TCP(t, tcp, nil)
		return patch(pkt, 20+24, second...)
	}
	mssOnly := v4Data(0, 0)
	mssOnly.Opts = fsm.Options{MSS: 1460, HasMSS: true}

	// IPv4 total length 0: TSO.
	tso := patch(ipv4TCP(t, data(), seq(3000)), 2, 0, 0)
	// Total length less than the headers.
	below := patch(v4data, 2, 0, 30)
	belowIHL := patch(v4data, 2, 0, 10)
	// TCP data offset 4.
	off4 := patch(v4data, 20+12, 4<<4)
	// TCP header longer than the IP length: data offset 15 on a 20-octet header.
	offLong := patch(ipv4TCP(t, data(), nil), 20+12, 15<<4)
	// A bad data offset keeps the connection's fields, marked, with no
	// payload: receivers discard the segment.
	badOffset := func(s fsm.Segment) *fsm.Segment {
		s.PayloadLen, s.Captured, s.Opts, s.Malformed = 0, 0, fsm.Options{}, fsm.BadOffset
		return &s
	}
	off4Seg, offLongSeg := badOffset(v4Data(100, 100)), badOffset(v4Data(0, 0))
	overrunSeg := mssOnly
	overrunSeg.Malformed = fsm.OptionsOverrunning

	// Snapshot length cuts.
	cutPayload := ether(t, layers.EthernetTypeIPv4, ipv4TCP(t, data(), seq(1000)))[:14+20+20+100]
	cutInTCP := ether(t, layers.EthernetTypeIPv4, v4syn)[:14+20+10]
	cutInOpts := ether(t, layers.EthernetTypeIPv4, v4syn)[:14+20+20+6] // MSS and SACK-permitted captured
	cutOpts := v4SYN()
	cutOpts.Opts = fsm.Options{MSS: 1460, HasMSS: true, SACKPermitted: true}
	cutInIP := ether(t, layers.EthernetTypeIPv4, v4syn)[:14+19]
	cutInIPOpts := ether(t, layers.EthernetTypeIPv4, ipv4Opts(t, syn(), nil))[:14+24]

	// IPv6 extension headers.
	hbhDest := ipv6Ext(t, layers.IPProtocolIPv6HopByHop, cat(optsHeader(layers.IPProtocolIPv6Destination), optsHeader(layers.IPProtocolTCP), tcpSYN))
	atomic := ipv6Ext(t, layers.IPProtocolIPv6Fragment, cat(fragHeader(layers.IPProtocolTCP, 0, false), tcpSYN))
	frag6 := ipv6Ext(t, layers.IPProtocolIPv6Fragment, cat(fragHeader(layers.IPProtocolTCP, 0, true), tcpSYN))
	frag6Later := ipv6Ext(t, layers.IPProtocolIPv6Fragment, cat(fragHeader(layers.IPProtocolTCP, 185, false), tcpSYN))
	var long []byte
	for range maxExtHeaders + 1 {
		long = cat(long, optsHeader(layers.IPProtocolIPv6Destination))
	}
	longChain := ipv6Ext(t, layers.IPProtocolIPv6Destination, cat(long, tcpSYN))
	// A hop-by-hop header whose length (255: 2048 octets) runs past the packet.
	overrun := ipv6Ext(t, layers.IPProtocolIPv6HopByHop, cat(patch(optsHeader(layers.IPProtocolTCP), 1, 255), tcpSYN))
	// A routing header cut by the capture, inside the declared payload.
	cutExt := ipv6Ext(t, layers.IPProtocolIPv6Routing, cat(optsHeader(layers.IPProtocolTCP), tcpSYN))[:40+6]
	ah := cat([]byte{byte(layers.IPProtocolTCP), 1, 0, 0}, make([]byte, 8)) // AH, 12 octets: (1+2)*4
	withAH := ipv6Ext(t, layers.IPProtocolAH, cat(ah, tcpSYN))
	esp := ipv6Ext(t, layers.IPProtocolESP, make([]byte, 40))
	noNext := ipv6Ext(t, layers.IPProtocolIPv6HopByHop, cat(optsHeader(layers.IPProtocolNoNextHeader), make([]byte, 8)))
	// IPv6 payload length 0 with and without a jumbo payload option.
	v6tso := patch(ipv6TCP(t, data(), seq(100)), 4, 0, 0)
	jumboHBH := []byte{byte(layers.IPProtocolTCP), 0, 0xc2, 4, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(jumboHBH[4:], uint32(8+20+100))
	jumbo := patch(ipv6Ext(t, layers.IPProtocolIPv6HopByHop, cat(jumboHBH, tcpData)), 4, 0, 0)

	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2}}
	udp := &layers.UDP{SrcPort: 53, DstPort: 53}
	udp.SetNetworkLayerForChecksum(ip4)
	udp4 := serialize(t, ip4, udp, gopacket.Payload(seq(10)))
	icmp4 := patch(udp4, 9, 1)
	// A GRE header of version 5, made of the UDP header's ports.
	gre4 := patch(udp4, 9, 47)
	udp6 := ipv6Ext(t, layers.IPProtocolUDP, make([]byte, 16))
	icmp6 := ipv6Ext(t, layers.IPProtocolICMPv6, make([]byte, 16))
	arp := ethRaw(0x0806, make([]byte, 28))

	cases := []decodeCase{
		// Link types.
		{"ethernet", LinkTypeEthernet, ether(t, layers.EthernetTypeIPv4, v4syn), 0, seg(v4SYN()), nil},
		{"ethernet-ipv6", LinkTypeEthernet, ether(t, layers.EthernetTypeIPv6, v6syn), 0, seg(v6SYN()), nil},
		{"ethernet-padding", LinkTypeEthernet, padded, 0, &ackSeg, nil},
		{"vlan", LinkTypeEthernet, ethRaw(0x8100, vlanTag(0x0800, 42), v4syn), 0, zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{42}}), nil},
		{"qinq", LinkTypeEthernet, ethRaw(0x88a8, vlanTag(0x8100, 7), vlanTag(0x86dd, 42), v6syn), 0, zoned(v6SYN(), fsm.Zone{VLAN: [2]uint16{7, 42}}), nil},
		{"mpls", LinkTypeEthernet, ethRaw(0x8847, []byte{0, 1, 0, 64}, []byte{0, 2, 1, 64}, v4syn), 0, seg(v4SYN()), nil},
		{"pppoe", LinkTypeEthernet, ethRaw(0x8864, []byte{0x11, 0, 0, 1, 0, 0, 0, 0x21}, v4syn), 0, seg(v4SYN()), nil},
		{"pppoe-ipv6", LinkTypeEthernet, ethRaw(0x8864, []byte{0x11, 0, 0, 1, 0, 0, 0, 0x57}, v6syn), 0, seg(v6SYN()), nil},
		{"pppoe-lcp", LinkTypeEthernet, ethRaw(0x8864, []byte{0x11, 0, 0, 1, 0, 0, 0xc0, 0x21}, make([]byte, 10)), 0, nil, []string{"not_tcp/other_ethertype"}},
		{"sll", LinkTypeLinuxSLL, cat(sll(0x0800), v4syn), 0, seg(v4SYN()), nil},
		{"sll-vlan", LinkTypeLinuxSLL, cat(sll(0x8100), vlanTag(0x86dd, 5), v6syn), 0, zoned(v6SYN(), fsm.Zone{VLAN: [2]uint16{5}}), nil},
		{"sll2", LinkTypeLinuxSLL2, cat(sll2(0x86dd), v6syn), 0, seg(v6SYN()), nil},
		{"sll2-ipv4", LinkTypeLinuxSLL2, cat(sll2(0x0800), v4syn), 0, seg(v4SYN()), nil},
		{"null-le-ipv4", LinkTypeNull, cat(afLE(2), v4syn), 0, seg(v4SYN()), nil},
		{"null-be-ipv4", LinkTypeNull, cat(afBE(2), v4syn), 0, seg(v4SYN()), nil},
		{"null-le-ipv6-24", LinkTypeNull, cat(afLE(24), v6syn), 0, seg(v6SYN()), nil},
		{"null-be-ipv6-28", LinkTypeNull, cat(afBE(28), v6syn), 0, seg(v6SYN()), nil},
		{"null-le-ipv6-30", LinkTypeNull, cat(afLE(30), v6syn), 0, seg(v6SYN()), nil},
		{"null-other-af", LinkTypeNull, cat(afLE(7), v4syn), 0, nil, []string{"not_tcp/other_address_family"}},
		{"loop", LinkTypeLoop, cat(afBE(2), v4syn), 0, seg(v4SYN()), nil},
		{"loop-ipv6", LinkTypeLoop, cat(afBE(30), v6syn), 0, seg(v6SYN()), nil},
		{"loop-little-endian-is-wrong", LinkTypeLoop, cat(afLE(2), v4syn), 0, nil, []string{"not_tcp/other_address_family"}},
		{"raw-ipv4", LinkTypeRaw, v4syn, 0, seg(v4SYN()), nil},
		{"raw-ipv6", LinkTypeRaw, v6syn, 0, seg(v6SYN()), nil},
		{"raw-12", LinkTypeRawOld, v6syn, 0, seg(v6SYN()), nil},
		{"raw-14", LinkTypeRawOpenBSD, v4syn, 0, seg(v4SYN()), nil},
		{"raw-version-5", LinkTypeRaw, patch(v4syn, 0, 0x55), 0, nil, []string{"dropped/bad_ip_version"}},
		{"raw-empty", LinkTypeRaw, nil, 0, nil, []string{"dropped/truncated_ip_header"}},
		{"ipv4-228", LinkTypeIPv4, v4syn, 0, seg(v4SYN()), nil},
		{"ipv6-229", LinkTypeIPv6, v6syn, 0, seg(v6SYN()), nil},
		{"ipv4-228-carrying-ipv6", LinkTypeIPv4, v6syn, 0, nil, []string{"dropped/bad_ip_version"}},
		{"unsupported-link-type", 182, v4syn, 0, nil, []string{"dropped/unsupported_link_type", "unsupported_link_type/182"}},

		// Truncated link headers.
		{"ethernet-short", LinkTypeEthernet, make([]byte, 13), 0, nil, []string{"dropped/truncated_link_header"}},
		{"vlan-short", LinkTypeEthernet, ethRaw(0x8100, []byte{0, 1}), 0, nil, []string{"dropped/truncated_link_header"}},
		{"pppoe-short", LinkTypeEthernet, ethRaw(0x8864, []byte{0x11, 0, 0, 1, 0, 0, 0}), 0, nil, []string{"dropped/truncated_link_header"}},
		{"sll-short", LinkTypeLinuxSLL, make([]byte, 15), 0, nil, []string{"dropped/truncated_link_header"}},
		{"sll2-short", LinkTypeLinuxSLL2, sll2(0x0800)[:19], 0, nil, []string{"dropped/truncated_link_header"}},
		{"null-short", LinkTypeNull, []byte{2, 0, 0}, 0, nil, []string{"dropped/truncated_link_header"}},

		// Not TCP.
		{"arp", LinkTypeEthernet, arp, 0, nil, []string{"not_tcp/arp"}},
		{"lldp", LinkTypeEthernet, ethRaw(0x88cc, make([]byte, 46)), 0, nil, []string{"not_tcp/other_ethertype"}},
		{"802.3-llc", LinkTypeEthernet, ethRaw(46, make([]byte, 46)), 0, nil, []string{"not_tcp/llc"}},
		{"udp", LinkTypeRaw, udp4, 0, nil, []string{"not_tcp/udp"}},
		{"icmp", LinkTypeRaw, icmp4, 0, nil, []string{"not_tcp/icmp"}},
		{"gre-version-5", LinkTypeRaw, gre4, 0, nil, []string{"dropped/unsupported_tunnel"}},
		{"esp", LinkTypeRaw, patch(udp4, 9, 50), 0, nil, []string{"not_tcp/other_ip_protocol"}},
		{"udp6", LinkTypeRaw, udp6, 0, nil, []string{"not_tcp/udp"}},
		{"icmp6", LinkTypeRaw, icmp6, 0, nil, []string{"not_tcp/icmpv6"}},
		{"esp6", LinkTypeRaw, esp, 0, nil, []string{"not_tcp/other_ip_protocol"}},
		{"ipv6-no-next-header", LinkTypeRaw, noNext, 0, nil, []string{"not_tcp/ipv6_no_next_header"}},

		// IPv4.
		{"ipv4-options", LinkTypeRaw, ipv4Opts(t, syn(), nil), 0, seg(v4SYN()), nil},
		{"ipv4-fragment-mf", LinkTypeRaw, patch(v4syn, 6, 0x20, 0), 0, nil, []string{"dropped/ipv4_fragment"}},
		{"ipv4-fragment-offset", LinkTypeRaw, patch(v4syn, 6, 0x00, 0x10), 0, nil, []string{"dropped/ipv4_fragment"}},
		{"ipv4-df-is-not-a-fragment", LinkTypeRaw, patch(v4syn, 6, 0x40, 0), 0, seg(v4SYN()), nil},
		{"ipv4-ihl-4", LinkTypeRaw, patch(v4syn, 0, 0x44), 0, nil, []string{"dropped/bad_ip_header_length"}},
		{"ipv4-short", LinkTypeRaw, v4syn[:19], 0, nil, []string{"dropped/truncated_ip_header"}},
		{"ipv4-options-cut", LinkTypeEthernet, cutInIPOpts, 200, nil, []string{"dropped/truncated_ip_header"}},
		{"ipv4-cut-in-header", LinkTypeEthernet, cutInIP, 200, nil, []string{"dropped/truncated_ip_header"}},
		{"ipv4-length-below-tcp", LinkTypeRaw, below, 0, nil, []string{"dropped/ip_length_below_headers"}},
		{"ipv4-length-below-ihl", LinkTypeRaw, belowIHL, 0, nil, []string{"dropped/ip_length_below_headers"}},
		{"ipv4-tso", LinkTypeRaw, tso, 0, seg(v4Data(3000, 3000)), []string{"note/presumed_tso"}},
		{"ipv4-length-exceeds-frame", LinkTypeEthernet, ether(t, layers.EthernetTypeIPv4, v4data)[:14+20+20+90], 14 + 20 + 20 + 90,
			seg(v4Data(100, 90)), []string{"note/ip_length_exceeds_frame"}},

		// IPv6.
		{"ipv6-hbh-destopts", LinkTypeRaw, hbhDest, 0, seg(v6SYN()), nil},
		{"ipv6-ah", LinkTypeRaw, withAH, 0, seg(v6SYN()), nil},
		{"ipv6-atomic-fragment", LinkTypeRaw, atomic, 0, seg(v6SYN()), nil},
		{"ipv6-fragment-first", LinkTypeRaw, frag6, 0, nil, []string{"dropped/ipv6_fragment"}},
		{"ipv6-fragment-later", LinkTypeRaw, frag6Later, 0, nil, []string{"dropped/ipv6_fragment"}},
		{"ipv6-chain-too-long", LinkTypeRaw, longChain, 0, nil, []string{"dropped/ipv6_extension_chain"}},
		{"ipv6-chain-overrun", LinkTypeRaw, overrun, 0, nil, []string{"dropped/ipv6_extension_chain"}},
		{"ipv6-chain-cut", LinkTypeRaw, cutExt, 200, nil, []string{"dropped/truncated_ip_header"}},
		{"ipv6-short", LinkTypeRaw, v6syn[:39], 0, nil, []string{"dropped/truncated_ip_header"}},
		{"ipv6-payload-length-0", LinkTypeRaw, v6tso, 0, seg(v6Data(100, 100)), []string{"note/presumed_tso"}},
		{"ipv6-jumbo", LinkTypeRaw, jumbo, 0, seg(v6Data(100, 100)), nil},
		{"ipv6-length-below-tcp", LinkTypeRaw, patch(v6syn, 4, 0, 10), 0, nil, []string{"dropped/ip_length_below_headers"}},

		// TCP.
		{"tcp-data", LinkTypeRaw, v4data, 0, seg(v4Data(100, 100)), nil},
		{"tcp-all-flags", LinkTypeRaw, ipv4TCP(t, all, nil), 0, &allSeg, nil},
		{"tcp-offset-4", LinkTypeRaw, off4, 0, off4Seg, []string{"note/bad_tcp_data_offset"}},
		{"tcp-offset-past-ip-length", LinkTypeRaw, offLong, 0, offLongSeg, []string{"note/bad_tcp_data_offset"}},
		{"tcp-cut-in-fixed-header", LinkTypeEthernet, cutInTCP, 100, nil, []string{"dropped/truncated_tcp_header"}},
		{"tcp-cut-in-options", LinkTypeEthernet, cutInOpts, 14 + 60, &cutOpts, []string{"note/truncated_tcp_options"}},
		{"tcp-cut-in-payload", LinkTypeEthernet, cutPayload, 14 + 20 + 20 + 1000, seg(v4Data(1000, 100)), nil},
		{"tcp-sack-3", LinkTypeRaw, ipv4TCP(t, sack(3), nil), 0, sackSeg(3), nil},
		{"tcp-sack-4", LinkTypeRaw, ipv4TCP(t, sack(4), nil), 0, sackSeg(4), nil},
		{"tcp-option-overrun", LinkTypeRaw, mssThen([]byte{99, 10}), 0, &overrunSeg, []string{"note/tcp_options_overrun"}},
		{"tcp-option-length-0", LinkTypeRaw, mssThen([]byte{99, 0}), 0, &mssOnly, []string{"note/bad_tcp_option_length"}},
		{"tcp-empty-sack", LinkTypeRaw, mssThen([]byte{5, 2}), 0, &mssOnly, []string{"note/bad_tcp_option_length"}},
		{"tcp-bad-wscale-length", LinkTypeRaw, mssThen([]byte{3, 4}), 0, &mssOnly, []string{"note/bad_tcp_option_length"}},
		{"tcp-option-eol", LinkTypeRaw, mssThen([]byte{0, 3, 3, 9}), 0, &mssOnly, nil},
	}
	cases = append(cases, linkCases(t)...)
	return append(cases, tunnelCases(t)...)
}

// ipLens are the IP lengths (IPv4 total length; IPv6 40 octets and the
// payload length) of some of decodeCases' packets, worked out by hand: a
// SYN with 20 octets of options, an ACK, data, TSO (the captured length
// stands in for the 0), a frame cut short (the IP header's length, not
// the frame's).
var ipLens = map[string]uint32{
	"ethernet":                  20 + 40,
	"ethernet-ipv6":             40 + 40,
	"ethernet-padding":          20 + 20,
	"tcp-data":                  20 + 20 + 100,
	"ipv4-tso":                  20 + 20 + 3000,
	"ipv4-length-exceeds-frame": 20 + 20 + 100,
}

func TestDecode(t *testing.T) {
	when := fsm.TimeOf(time.Date(2024, 2, 29, 12, 0, 0, 123456789, time.UTC))
	for _, tc := range decodeCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			p := &Packet{Time: when, LinkType: tc.linkType, Data: tc.data, OrigLen: tc.origLen}
			if p.OrigLen == 0 {
				p.OrigLen = len(tc.data)
			}
			d := NewDecoder()
			var got fsm.Segment
			ok := d.Decode(p, &got)
			if ok != (tc.want != nil) {
				t.Fatalf("Decode = %v, want %v (counters %v)", ok, tc.want != nil, counterNames(d))
			}
			if ok {
				want := *tc.want
				want.Time = when
				// Ident is a hash, tested on its own (TestIdent); here
				// it need only be set.
				if got.Ident == 0 {
					t.Error("no Ident")
				}
				want.Ident = got.Ident
				// So is Tap (TestTap).
				if got.Tap == 0 {
					t.Error("no Tap")
				}
				want.Tap = got.Tap
				// The test packets are built with TTL (hop limit) 64.
				if got.TTL != 64 {
					t.Errorf("TTL %d, want 64", got.TTL)
				}
				want.TTL = got.TTL
				// IPLen is checked against the packets' own lengths where
				// they are worked out below (ipLens); every segment has one.
				if n, ok := ipLens[tc.name]; ok && got.IPLen != n {
					t.Errorf("IPLen %d, want %d", got.IPLen, n)
				}
				if got.IPLen == 0 {
					t.Error("no IPLen")
				}
				want.IPLen = got.IPLen
				// The decoder classifies what it makes.
				want.Classify()
				if got != want {
					t.Errorf("segment:\n got  %+v\n want %+v", got, want)
				}
			}
			if got := counterNames(d); !slices.Equal(got, tc.counters) {
				t.Errorf("counters %q, want %q", got, tc.counters)
			}
			st := d.Stats()
			wantTCP := uint64(0)
			if ok {
				wantTCP = 1
			}
			if st.Packets != 1 || st.TCP != wantTCP {
				t.Errorf("packets %d tcp %d", st.Packets, st.TCP)
			}
		})
	}
}

// counterNames lists the decoder's counters other than the totals as
// group/name, checking each is 1.
func counterNames(d *Decoder) []string {
	st := d.Stats()
	var out []string
	for _, c := range st.Counters() {
		if c.Group == "total" {
			continue
		}
		name := c.Group + "/" + c.Name
		if c.Count != 1 {
			name += "!=1"
		}
		out = append(out, name)
	}
	return out
}

func TestDecodeOverwritesSegment(t *testing.T) {
	// A segment reused from a packet with options must not keep them.
	d := NewDecoder()
	var s fsm.Segment
	if !d.Decode(&Packet{LinkType: LinkTypeRaw, Data: ipv4TCP(t, syn(), nil)}, &s) || !s.Opts.HasMSS {
		t.Fatal("SYN not decoded")
	}
	if !d.Decode(&Packet{LinkType: LinkTypeRaw, Data: ipv4TCP(t, data(), nil)}, &s) {
		t.Fatal("ACK not decoded")
	}
	if s.Opts != (fsm.Options{}) {
		t.Errorf("options left over: %+v", s.Opts)
	}
}

func TestStatsCountersOrderAndAdd(t *testing.T) {
	d := NewDecoder()
	var s fsm.Segment
	v4 := ipv4TCP(t, syn(), nil)
	for _, p := range []Packet{
		{LinkType: 300, Data: v4},
		{LinkType: 182, Data: v4},
		{LinkType: 300, Data: v4},
		{LinkType: LinkTypeRaw, Data: v4, Time: fsm.TimeOf(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))},
		{LinkType: LinkTypeRaw, Data: patch(v4, 2, 0, 0)},
		{LinkType: LinkTypeEthernet, Data: ethRaw(0x0806, make([]byte, 28))},
		{LinkType: LinkTypeRaw, Data: patch(v4, 6, 0x20, 0)},
	} {
		if p.Time == 0 {
			p.Time = unix(1700000000, 0)
		}
		d.Decode(&p, &s)
	}
	st := d.Stats()
	var got []string
	for _, c := range st.Counters() {
		got = append(got, c.Group+"/"+c.Name+"="+strconv.FormatUint(c.Count, 10))
	}
	want := []string{
		"total/packets=7", "total/tcp_segments=2", "not_tcp/arp=1",
		"dropped/unsupported_link_type=3", "dropped/ipv4_fragment=1",
		"unsupported_link_type/182=1", "unsupported_link_type/300=2",
		"note/presumed_tso=1", "note/timestamp_out_of_range=1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("counters\n got  %q\n want %q", got, want)
	}

	// The copy is a copy; Add sums.
	st.LinkTypes[182] = 100
	if d.Stats().LinkTypes[182] != 1 {
		t.Error("Stats shares its map")
	}
	var sum Stats
	a, b := d.Stats(), d.Stats()
	sum.Add(&a)
	sum.Add(&b)
	if sum.Packets != 14 || sum.LinkTypes[300] != 4 || sum.Reasons[ReasonIPv4Fragment] != 2 || sum.NotTCP[KindARP] != 2 {
		t.Errorf("Add: %+v", sum)
	}
}

func TestReasonAndKindNames(t *testing.T) {
	seen := map[string]bool{}
	for r := range NumReasons {
		n := r.String()
		if n == "" || seen[n] || strings.ToLower(n) != n || strings.ContainsAny(n, " -") {
			t.Errorf("reason %d has a bad or duplicate name %q", r, n)
		}
		seen[n] = true
	}
	for k := range NumKinds {
		n := k.String()
		if n == "" || seen[n] || strings.ToLower(n) != n || strings.ContainsAny(n, " -") {
			t.Errorf("kind %d has a bad or duplicate name %q", k, n)
		}
		seen[n] = true
	}
	// The names are part of the report's schema: they must not change.
	want := "truncated_link_header unsupported_link_type truncated_ip_header bad_ip_version bad_ip_header_length " +
		"ip_length_below_headers ipv4_fragment ipv6_fragment ipv6_extension_chain truncated_tcp_header " +
		"truncated_tunnel_header unsupported_tunnel tunnel_nesting_too_deep nflog_without_packet wlan_encrypted wlan_unsupported_frame filter_not_applicable " +
		"presumed_tso bad_tcp_data_offset bad_tcp_checksum ip_length_exceeds_frame truncated_tcp_options " +
		"tcp_options_overrun bad_tcp_option_length timestamp_out_of_range"
	var names []string
	for r := range NumReasons {
		names = append(names, r.String())
	}
	if got := strings.Join(names, " "); got != want {
		t.Errorf("reason names changed:\n got  %s\n want %s", got, want)
	}
	if ReasonIPv4Fragment.Dropped() != true || ReasonPresumedTSO.Dropped() != false {
		t.Error("Dropped")
	}
}

// A segment's time outside 1700-2200 (a damaged pcapng stamp) is moved to
// the nearest end, which the analysis's int64 nanoseconds hold with room
// for its timers, and counted as a note; the packet is decoded all the
// same.
func TestDecodeTimeOutOfRange(t *testing.T) {
	data := ipv4TCP(t, syn(), nil)
	for _, tc := range []struct {
		at, want time.Time
		noted    bool
	}{
		{time.Unix(1700000000, 5), time.Unix(1700000000, 5), false},
		{time.Date(2199, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2199, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(2200, 1, 1, 0, 0, 0, 999999999, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 999999999, time.UTC), false},
		{time.Date(2200, 1, 1, 0, 0, 1, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2554, 7, 21, 23, 34, 33, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Unix(1<<62, 0), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(1699, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Time{}, time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), true},
	} {
		d := NewDecoder()
		var s fsm.Segment
		if !d.Decode(&Packet{LinkType: LinkTypeRaw, Data: data, Time: fsm.TimeOf(tc.at)}, &s) {
			t.Fatalf("%v: not decoded", tc.at)
		}
		if s.Time != fsm.TimeOf(tc.want) || !s.Time.Time().Equal(tc.want) {
			t.Errorf("%v: time %v, want %v", tc.at, s.Time, tc.want)
		}
		if got := d.Stats().Reasons[ReasonTimeOutOfRange]; got != map[bool]uint64{true: 1}[tc.noted] {
			t.Errorf("%v: counted %d times", tc.at, got)
		}
	}
}

// FuzzDecode checks that the decoder never panics and that what it returns
// is consistent, on any bytes and link type: every packet is counted once,
// a segment is filled completely (nothing left from the previous one, the
// same as a fresh decoder gives), and a packet that is not decoded leaves
// the segment as it was.
func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases(f) {
		f.Add(tc.linkType, tc.data, tc.origLen)
	}
	// Real packets: Ethernet (IPv4, IPv6) and SLL2.
	for _, p := range kernelPackets(f) {
		f.Add(p.LinkType, p.Data, p.OrigLen)
	}
	// What a previous packet could leave in a reused segment.
	stale := fsm.Segment{
		Time: unix(1, 0), Src: netip.MustParseAddrPort("192.0.2.1:9"), Dst: netip.MustParseAddrPort("[2001:db8::9]:9"),
		Seq: 0xdeadbeef, Ack: 0xfeedface, Flags: 0xff, Window: 0xffff, PayloadLen: 1 << 20, Captured: 1 << 20,
		Malformed: 0xff, Ident: 0xdeadbeef, Zone: fsm.Zone{VLAN: [2]uint16{9, 9}, Tunnel: fsm.TunnelGeneve, TunnelID: 9},
		Opts: fsm.Options{MSS: 9, HasMSS: true, WScale: 9, HasWScale: true, SACKPermitted: true, HasTimestamps: true,
			TSVal: 9, TSEcr: 9, HasFastOpen: true, NSACK: 4, SACK: [4]fsm.SACKBlock{{Left: 1, Right: 2}, {Left: 3, Right: 4}, {Left: 5, Right: 6}, {Left: 7, Right: 8}}},
	}
	// The experimental option that carried Fast Open before kind 34.
	tfo := syn()
	tfo.Options = []layers.TCPOption{{OptionType: 254, OptionLength: 4, OptionData: []byte{0xF9, 0x89}}}
	f.Add(uint16(LinkTypeRaw), ipv4TCP(f, tfo, nil), 0)
	when := unix(1700000000, 123456789)
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, lt uint16, data []byte, orig int) {
		s := stale
		p := Packet{LinkType: lt, Data: data, OrigLen: orig, Time: when}
		before := d.Stats()
		ok := d.Decode(&p, &s)
		var fresh fsm.Segment
		if NewDecoder().Decode(&p, &fresh) != ok {
			t.Fatalf("decoded %v by a used decoder, %v by a fresh one", ok, !ok)
		}
		// Verifying checksums may mark a segment bad, and changes nothing
		// else.
		v := NewDecoder()
		v.VerifyChecksums = true
		var checked fsm.Segment
		if v.Decode(&p, &checked) != ok {
			t.Fatalf("decoded %v with checksums verified, %v without", !ok, ok)
		}
		if checked.Malformed&^fsm.BadSum != fresh.Malformed&^fsm.BadSum {
			t.Fatalf("verifying checksums changed the marks %v to %v", fresh.Malformed, checked.Malformed)
		}
		checked.Malformed = fresh.Malformed
		if checked != fresh {
			t.Fatalf("verifying checksums changed the segment:\n%+v\n%+v", fresh, checked)
		}
		if !ok && s != stale {
			t.Fatalf("packet not decoded but the segment changed: %+v", s)
		}
		if ok {
			if s != fresh {
				t.Fatalf("segment depends on what it held before:\n%+v\n%+v", s, fresh)
			}
			if s.PayloadLen < 0 || s.Captured < 0 || s.Captured > s.PayloadLen || s.Captured > len(data) ||
				int(s.Opts.NSACK) > len(s.Opts.SACK) || s.Time != when {
				t.Fatalf("inconsistent segment %+v", s)
			}
			if !s.Src.IsValid() || !s.Dst.IsValid() || s.Src.Addr().Is4() != s.Dst.Addr().Is4() || s.Src.Addr().Zone() != "" {
				t.Fatalf("bad addresses %v > %v", s.Src, s.Dst)
			}
			// A zone's tags fill from the outermost, hold 12-bit IDs, and
			// its tunnel identity fits the tunnel's field.
			z := s.Zone
			maxID := map[fsm.Tunnel]uint32{fsm.NoTunnel: 0, fsm.TunnelIPIP: 0, fsm.TunnelGRE: 1<<32 - 1,
				fsm.TunnelVXLAN: 1<<24 - 1, fsm.TunnelGeneve: 1<<24 - 1, fsm.TunnelERSPAN: 1<<10 - 1}
			limit, known := maxID[z.Tunnel]
			if z.VLAN[0] > 4095 || z.VLAN[1] > 4095 || (z.VLAN[0] == 0 && z.VLAN[1] != 0) || !known || z.TunnelID > limit {
				t.Fatalf("bad zone %+v", z)
			}
		}
		after := d.Stats()
		if after.Packets != before.Packets+1 {
			t.Fatal("packet not counted")
		}
		// Exactly one of TCP, a kind or a dropped reason moved.
		moved := int(after.TCP - before.TCP)
		for k := range NumKinds {
			moved += int(after.NotTCP[k] - before.NotTCP[k])
		}
		for r := range NumReasons {
			if r.Dropped() {
				moved += int(after.Reasons[r] - before.Reasons[r])
			}
		}
		if moved != 1 || (after.TCP != before.TCP) != ok {
			t.Fatalf("%d outcome counters moved (decoded %v)", moved, ok)
		}
	})
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	d := NewDecoder()
	p := &Packet{LinkType: LinkTypeEthernet, Data: ether(t, layers.EthernetTypeIPv4, ipv4TCP(t, syn(), nil))}
	p6 := &Packet{LinkType: LinkTypeLinuxSLL2, Data: cat(sll2(0x86dd), ipv6Ext(t, layers.IPProtocolIPv6HopByHop, cat(optsHeader(layers.IPProtocolTCP), tcpBytes(t, sack(t), nil))))}
	// Through tunnels and radio headers too.
	var more []*Packet
	for _, tc := range decodeCases(t) {
		switch tc.name {
		case "vxlan", "gre-teb-vlan", "erspan-iii", "geneve-ethernet-with-options", "4in6", "nflog", "radiotap-extended-bitmaps-fcs", "ppi-80211-fcs", "centrino-wep":
			more = append(more, &Packet{LinkType: tc.linkType, Data: tc.data, OrigLen: len(tc.data)})
		}
	}
	if len(more) != 9 {
		t.Fatalf("%d cases found", len(more))
	}
	var s fsm.Segment
	allocs := testing.AllocsPerRun(100, func() {
		if !d.Decode(p, &s) || !d.Decode(p6, &s) {
			t.Fatal("not decoded")
		}
		for _, m := range more {
			if !d.Decode(m, &s) {
				t.Fatal("not decoded")
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Decode allocates %v times", allocs)
	}
}

// sack is a data segment with two SACK blocks.
func sack(t testing.TB) *layers.TCP {
	tcp := data()
	tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindSACK, OptionData: make([]byte, 16)}}
	return tcp
}

func TestDecodeFastOpenOption(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  layers.TCPOption
		want bool
	}{
		{"kind 34 cookie", layers.TCPOption{OptionType: 34, OptionLength: 10, OptionData: []byte{1, 2, 3, 4, 5, 6, 7, 8}}, true},
		{"kind 34 cookie request", layers.TCPOption{OptionType: 34, OptionLength: 2}, true},
		{"experimental 254 with the Fast Open ExID", layers.TCPOption{OptionType: 254, OptionLength: 4, OptionData: []byte{0xF9, 0x89}}, true},
		{"experimental 254 with another ExID", layers.TCPOption{OptionType: 254, OptionLength: 4, OptionData: []byte{0x12, 0x34}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tcp := syn()
			tcp.Options = []layers.TCPOption{tc.opt}
			var s fsm.Segment
			if !NewDecoder().Decode(&Packet{LinkType: LinkTypeRaw, Data: ipv4TCP(t, tcp, nil)}, &s) {
				t.Fatal("not decoded")
			}
			if s.Opts.HasFastOpen != tc.want {
				t.Errorf("HasFastOpen = %v, want %v", s.Opts.HasFastOpen, tc.want)
			}
		})
	}
}

// With VerifyChecksums, a segment whose checksum does not match is marked
// and counted; a correct one, and one not captured whole, are not.
func TestVerifyChecksums(t *testing.T) {
	good := ipv4TCP(t, data(), []byte("payload"))
	bad := patch(good, 20+16, good[20+16]^0xff)
	v6 := ipv6TCP(t, syn(), nil)
	v6bad := patch(v6, 40+16, v6[40+16]^0x01)
	for _, tc := range []struct {
		name    string
		pkt     []byte
		origLen int
		verify  bool
		bad     bool
	}{
		{"good", good, 0, true, false},
		{"bad", bad, 0, true, true},
		{"bad, not verified", bad, 0, false, false},
		{"bad but cut short", bad[:len(bad)-3], len(bad), true, false},
		{"ipv6 good", v6, 0, true, false},
		{"ipv6 bad", v6bad, 0, true, true},
	} {
		d := NewDecoder()
		d.VerifyChecksums = tc.verify
		orig := tc.origLen
		if orig == 0 {
			orig = len(tc.pkt)
		}
		var s fsm.Segment
		if !d.Decode(&Packet{LinkType: LinkTypeRaw, Data: tc.pkt, OrigLen: orig}, &s) {
			t.Fatalf("%s: not decoded", tc.name)
		}
		st := d.Stats()
		if got := s.Malformed&fsm.BadSum != 0; got != tc.bad || (st.Reasons[ReasonBadTCPChecksum] == 1) != tc.bad {
			t.Errorf("%s: marked bad %v, counted %d; want %v", tc.name, got, st.Reasons[ReasonBadTCPChecksum], tc.bad)
		}
	}
}

package capture

import (
	"encoding/binary"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"tcpflow-fsm/fsm"
)

// identPacket describes one data segment; each test case changes one thing.
type identPacket struct {
	id       uint16 // IPv4 identification
	ttl      uint8  // TTL or hop limit
	tos      uint8  // IPv4 TOS or IPv6 traffic class (DSCP and ECN)
	label    uint32 // IPv6 flow label
	tsval    uint32
	payload  string
	psh, fin bool
}

func baseIdentPacket() identPacket {
	return identPacket{id: 4242, ttl: 64, label: 0x12345, tsval: 1000, payload: "hello, world", psh: true}
}

func (p identPacket) tcp() *layers.TCP {
	ts := binary.BigEndian.AppendUint32(nil, p.tsval)
	ts = binary.BigEndian.AppendUint32(ts, 77)
	return &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1001, Ack: 2002, ACK: true, PSH: p.psh, FIN: p.fin, Window: 502,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindTimestamps, OptionData: ts}}}
}

func (p identPacket) v4(t *testing.T) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, Id: p.id, TTL: p.ttl, TOS: p.tos, Flags: layers.IPv4DontFragment,
		Protocol: layers.IPProtocolTCP, SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2}}
	tcp := p.tcp()
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tcp, gopacket.Payload(p.payload))
}

func (p identPacket) v6(t *testing.T) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: p.ttl, TrafficClass: p.tos, FlowLabel: p.label,
		NextHeader: layers.IPProtocolTCP, SrcIP: ipv6Addr(1), DstIP: ipv6Addr(2)}
	tcp := p.tcp()
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tcp, gopacket.Payload(p.payload))
}

func identOf(t *testing.T, linkType uint16, data []byte) uint64 {
	t.Helper()
	var s fsm.Segment
	if !NewDecoder().Decode(&Packet{LinkType: linkType, Data: data, OrigLen: len(data)}, &s) {
		t.Fatal("not decoded")
	}
	if s.Ident == 0 {
		t.Fatal("Ident is zero")
	}
	return s.Ident
}

// TestIdent checks what the fingerprint sees: copies of one packet, taken
// on different interfaces, are equal; a retransmission (a new IPv4
// identification or TSval), other content or other flags are not. TTL,
// hop limit, IP checksum and traffic class are not part of it: a copy
// taken after the capturing host routed the packet, or after a queue
// marked it ECN CE, is still a copy.
func TestIdent(t *testing.T) {
	base := baseIdentPacket()
	for _, tc := range []struct {
		name  string
		v6    bool
		edit  func(*identPacket)
		equal bool
	}{
		{"copy", false, func(*identPacket) {}, true},
		{"routed copy: TTL and IP checksum differ", false, func(p *identPacket) { p.ttl = 63 }, true},
		{"ECN CE marked by a queue", false, func(p *identPacket) { p.tos = 3 }, true},
		{"new IPv4 identification", false, func(p *identPacket) { p.id++ }, false},
		{"new TSval", false, func(p *identPacket) { p.tsval++ }, false},
		{"Linux retransmission: new identification and TSval", false, func(p *identPacket) { p.id += 7; p.tsval += 200 }, false},
		{"other payload of the same length: checksum", false, func(p *identPacket) { p.payload = "hello, World" }, false},
		{"longer payload", false, func(p *identPacket) { p.payload += "!" }, false},
		{"other flags", false, func(p *identPacket) { p.fin = true }, false},
		{"ipv6 copy", true, func(*identPacket) {}, true},
		{"ipv6 routed copy: hop limit", true, func(p *identPacket) { p.ttl = 63 }, true},
		{"ipv6 ECN CE", true, func(p *identPacket) { p.tos = 3 }, true},
		{"ipv6 new flow label", true, func(p *identPacket) { p.label = 0x54321 }, false},
		{"ipv6 new TSval", true, func(p *identPacket) { p.tsval++ }, false},
		{"ipv6 other flags", true, func(p *identPacket) { p.psh = false }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := base
			tc.edit(&other)
			a, b := base.v4(t), other.v4(t)
			if tc.v6 {
				a, b = base.v6(t), other.v6(t)
			}
			ia := identOf(t, LinkTypeRaw, a)
			// The copy comes from another interface, as with "any": a
			// cooked header and an Ethernet header do not matter.
			et := uint16(0x0800)
			lt := layers.EthernetTypeIPv4
			if tc.v6 {
				et, lt = 0x86dd, layers.EthernetTypeIPv6
			}
			for _, cp := range []struct {
				linkType uint16
				data     []byte
			}{{LinkTypeRaw, b}, {LinkTypeLinuxSLL2, cat(sll2(et), b)}, {LinkTypeEthernet, ether(t, lt, b)}} {
				if ib := identOf(t, cp.linkType, cp.data); (ia == ib) != tc.equal {
					t.Errorf("link type %d: Idents %x and %x, want equal %v", cp.linkType, ia, ib, tc.equal)
				}
			}
		})
	}
}

// The payload length counts even where the checksum would not tell: the
// same header bytes with one more octet of payload (checksum not fixed up,
// as a partial checksum from offload would not be either way).
func TestIdentPayloadLength(t *testing.T) {
	pkt := baseIdentPacket().v4(t)
	longer := append(patch(pkt, 2, 0, byte(len(pkt)+1)), '!')
	if identOf(t, LinkTypeRaw, pkt) == identOf(t, LinkTypeRaw, longer) {
		t.Error("a longer payload with the same header gives the same Ident")
	}
}

// TestIdentEveryHeaderBit flips, in turn, each bit of the IPv4
// identification and of the TCP header, fixing nothing else up: every flip
// gives an Ident of its own. This is the property ident's construction
// promises for inputs of one length that differ in one word.
func TestIdentEveryHeaderBit(t *testing.T) {
	pkt := baseIdentPacket().v4(t)
	seen := map[uint64]int{identOf(t, LinkTypeRaw, pkt): -1}
	const tcpHdr = 20 + 32 // IPv4 header, TCP header with 12 octets of options
	for bit := 4 * 8; bit < tcpHdr*8; bit++ {
		switch {
		case bit == 6*8:
			bit = 20*8 - 1 // past the identification: the rest of the IP header is not part of it
			continue
		case bit/8 == 20+12 && bit%8 >= 4:
			continue // the data offset: a flip moves where the payload starts
		}
		p := patch(pkt, bit/8, pkt[bit/8]^1<<(bit%8))
		got := identOf(t, LinkTypeRaw, p)
		if other, ok := seen[got]; ok {
			t.Errorf("flipping bit %d of the packet gives the Ident of flipping bit %d", bit, other)
		}
		seen[got] = bit
	}
	if len(seen) != 1+16+32*8-4 {
		t.Errorf("%d Idents", len(seen))
	}
}

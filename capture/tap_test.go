package capture

import (
	"testing"

	"github.com/google/gopacket/layers"

	"tcpflow-fsm/fsm"
)

// tapPacket is a packet as the capture recorded it: its link header, and
// what the file says of its interface and direction.
type tapPacket struct {
	linkType uint16
	data     []byte
	iface    int
	outbound int8
}

func decodeTap(t *testing.T, p tapPacket) fsm.Segment {
	t.Helper()
	var s fsm.Segment
	pk := &Packet{LinkType: p.linkType, Data: p.data, OrigLen: len(p.data), Interface: p.iface, Outbound: p.outbound}
	if !NewDecoder().Decode(pk, &s) {
		t.Fatal("not decoded")
	}
	if s.Tap == 0 {
		t.Fatal("Tap is zero")
	}
	return s
}

// TestTap checks what the capture point's fingerprint sees. The same
// packet at another point (another interface index, packet type or
// hardware address of a cooked header, other MAC addresses, another pcapng
// interface or direction, a lower TTL) has another Tap and the same Ident;
// what changes from one sending to the next (the identification, the
// TSval, the payload) leaves the Tap alone.
func TestTap(t *testing.T) {
	base := baseIdentPacket()
	v4 := base.v4(t)
	v6 := base.v6(t)
	sllV4 := func(pkttype byte, addr byte) []byte {
		h := sll(0x0800)
		h[1], h[11] = pkttype, addr
		return cat(h, v4)
	}
	sll2V4 := func(ifindex, pkttype byte) []byte {
		h := sll2(0x0800)
		h[7], h[10] = ifindex, pkttype
		return cat(h, v4)
	}
	ethV4 := func(dstLast byte, ip []byte) []byte {
		f := ether(t, layers.EthernetTypeIPv4, ip)
		f[5] = dstLast
		return f
	}
	routed := base
	routed.ttl--
	next := base
	next.id++
	next.tsval++
	next.payload = "hello, there"
	for _, tc := range []struct {
		name string
		a, b tapPacket
		same bool // equal Taps
	}{
		{"sll2: the same interface and direction", tapPacket{linkType: LinkTypeLinuxSLL2, data: sll2V4(2, 4)}, tapPacket{linkType: LinkTypeLinuxSLL2, data: sll2V4(2, 4)}, true},
		{"sll2: another interface (bridge port, veth, bond slave)", tapPacket{linkType: LinkTypeLinuxSLL2, data: sll2V4(2, 4)}, tapPacket{linkType: LinkTypeLinuxSLL2, data: sll2V4(3, 4)}, false},
		{"sll2: loopback out, then in", tapPacket{linkType: LinkTypeLinuxSLL2, data: sll2V4(1, 4)}, tapPacket{linkType: LinkTypeLinuxSLL2, data: sll2V4(1, 0)}, false},
		{"sll: outgoing, then to us", tapPacket{linkType: LinkTypeLinuxSLL, data: sllV4(4, 0x0a)}, tapPacket{linkType: LinkTypeLinuxSLL, data: sllV4(0, 0x0a)}, false},
		{"sll: another link-layer sender", tapPacket{linkType: LinkTypeLinuxSLL, data: sllV4(0, 0x0a)}, tapPacket{linkType: LinkTypeLinuxSLL, data: sllV4(0, 0x0b)}, false},
		{"ethernet: the same MAC addresses", tapPacket{linkType: LinkTypeEthernet, data: ethV4(2, v4)}, tapPacket{linkType: LinkTypeEthernet, data: ethV4(2, v4)}, true},
		{"ethernet: other MAC addresses (routed)", tapPacket{linkType: LinkTypeEthernet, data: ethV4(2, v4)}, tapPacket{linkType: LinkTypeEthernet, data: ethV4(3, v4)}, false},
		{"ethernet: the TTL lowered by a router", tapPacket{linkType: LinkTypeEthernet, data: ethV4(2, v4)}, tapPacket{linkType: LinkTypeEthernet, data: ethV4(2, routed.v4(t))}, false},
		{"ipv6: the hop limit lowered by a router", tapPacket{linkType: LinkTypeRaw, data: v6}, tapPacket{linkType: LinkTypeRaw, data: routed.v6(t)}, false},
		{"pcapng: another interface", tapPacket{linkType: LinkTypeRaw, data: v4}, tapPacket{linkType: LinkTypeRaw, data: v4, iface: 1}, false},
		{"pcapng: outbound, then inbound", tapPacket{linkType: LinkTypeRaw, data: v4, outbound: 1}, tapPacket{linkType: LinkTypeRaw, data: v4, outbound: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := decodeTap(t, tc.a), decodeTap(t, tc.b)
			if (a.Tap == b.Tap) != tc.same {
				t.Errorf("Taps %x and %x, want equal %v", a.Tap, b.Tap, tc.same)
			}
			if a.Ident != b.Ident {
				t.Errorf("Idents %x and %x: one packet seen twice", a.Ident, b.Ident)
			}
		})
	}
	t.Run("the next sending at the same point", func(t *testing.T) {
		for _, lt := range []uint16{LinkTypeRaw, LinkTypeEthernet, LinkTypeLinuxSLL2} {
			wrap := func(ip []byte) []byte {
				switch lt {
				case LinkTypeEthernet:
					return ethV4(2, ip)
				case LinkTypeLinuxSLL2:
					return cat(sll2(0x0800), ip)
				}
				return ip
			}
			a := decodeTap(t, tapPacket{linkType: lt, data: wrap(v4)})
			b := decodeTap(t, tapPacket{linkType: lt, data: wrap(next.v4(t))})
			if a.Tap != b.Tap || a.Ident == b.Ident {
				t.Errorf("link type %d: Taps %x and %x, Idents %x and %x: want the same Tap, other Idents", lt, a.Tap, b.Tap, a.Ident, b.Ident)
			}
		}
	})
}

// TestIPID: the segment carries the IPv4 identification, and zero for
// IPv6, which has none.
func TestIPID(t *testing.T) {
	p := baseIdentPacket()
	if s := decodeTap(t, tapPacket{linkType: LinkTypeRaw, data: p.v4(t)}); s.IPID != 4242 {
		t.Errorf("IPv4: IPID %d, want 4242", s.IPID)
	}
	if s := decodeTap(t, tapPacket{linkType: LinkTypeRaw, data: p.v6(t)}); s.IPID != 0 {
		t.Errorf("IPv6: IPID %d, want 0", s.IPID)
	}
}

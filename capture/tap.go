package capture

// tapOf fingerprints where the capture saw a packet (fsm.Segment.Tap):
// from what the file records of the interface and direction, the link
// header's addresses, and the TTL or hop limit of the IP header at
// data[off:]. Package flow compares taps only between packets of one
// sender on one connection, and takes two packets with equal Idents but
// different taps for one packet seen twice; so the fingerprint holds only
// what stays the same from one sending to the next along one path, and
// changes from one capture point to another:
//
//   - Linux cooked v2 (SLL2): the interface index, the packet type (to
//     us, to another host, outgoing...), the hardware type and address.
//     A packet crossing a bridge, a bond and its slave, a veth pair, or
//     routed between two interfaces, is recorded once per interface;
//     loopback records it going out and coming in.
//   - Linux cooked v1 (SLL): the same without the interface index, which
//     the header lacks: copies on a bond and its slave, or a VLAN device
//     and its parent, look alike in it.
//   - Ethernet: the destination and source MAC addresses, which differ
//     on the two sides of a router, and, for a port mirror, between the
//     mirrored ports of a router.
//   - pcapng: the interface of the block, and the direction of epb_flags.
//   - The TTL or hop limit: a router on the capturing host (or between two
//     mirrored ports) lowers it.
//
// The VLAN tags and tunnels around the packet are its Zone, not its tap.
// Other link types add nothing but the interface and the TTL.
func tapOf(p *Packet, off int) uint32 {
	b := p.Data
	h := ident(identSeed).word(uint64(p.Interface)<<8 | uint64(uint8(p.Outbound)))
	switch p.LinkType {
	case LinkTypeEthernet:
		h = h.bytes(b[:12])
	case LinkTypeLinuxSLL:
		// pkttype(2) hatype(2) halen(2) addr(8)
		h = h.bytes(b[:14])
	case LinkTypeLinuxSLL2:
		// ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
		h = h.bytes(b[4:20])
	}
	if off < len(b) {
		switch ip := b[off:]; ip[0] >> 4 {
		case 4:
			if len(ip) > 8 {
				h = h.word(uint64(ip[8]))
			}
		case 6:
			if len(ip) > 7 {
				h = h.word(uint64(ip[7]))
			}
		}
	}
	s := h.sum()
	if t := uint32(s) ^ uint32(s>>32); t != 0 {
		return t
	}
	return 1 // zero is for segments the decoder did not make
}

package capture

import (
	"encoding/binary"
	"net/netip"
	"time"

	"tcpflow-fsm/fsm"
)

// IP protocol numbers we look at.
const (
	protoHopByHop  = 0
	protoICMP      = 1
	protoIPIP      = 4 // IPv4 in IP
	protoTCP       = 6
	protoUDP       = 17
	protoIPv6Encap = 41 // IPv6 in IP
	protoRouting   = 43
	protoFragment  = 44
	protoGRE       = 47
	protoAH        = 51
	protoICMPv6    = 58
	protoNoNext    = 59
	protoDestOpts  = 60

	// maxExtHeaders bounds the IPv6 extension header walk. Every header
	// takes at least 8 octets, so the walk ends anyway; a chain this long
	// is not a real packet.
	maxExtHeaders = 16
)

// Decoder turns packets into TCP segments and counts the packets it cannot
// use. It keeps no state between packets other than its counters. It is
// not safe for concurrent use.
type Decoder struct {
	// VerifyChecksums checks each TCP checksum and marks segments whose
	// checksum is bad. Off by default: packets sent by the capturing host
	// are captured before the NIC fills their checksum (offload).
	VerifyChecksums bool

	stats Stats
	notes [NumReasons]bool // notes on the packet being decoded
	zone  fsm.Zone         // the zone of the packet being decoded, so far
}

// NewDecoder returns a Decoder with zero counters.
func NewDecoder() *Decoder { return &Decoder{} }

// Stats returns a copy of the counters.
func (d *Decoder) Stats() Stats { return d.stats.clone() }

// network is the network-layer protocol a link header announces.
type network uint8

const (
	netNone network = iota // counted already
	netIPv4
	netIPv6
	netByVersion // bare IP: read the version nibble
)

// Decode decodes p. It returns true when p holds a TCP segment, with seg
// filled completely; otherwise it returns false, leaves seg unchanged and
// counts why. It does not allocate, but for the first packet of each
// unsupported link type.
//
// Throughout the decoder, a header is handed on as the captured octets
// from its start (b) and the number of octets it had on the wire from its
// start (wire, never less than len(b)), so that an IP length can be
// checked against the frame's original length at any depth of tunnels.
func (d *Decoder) Decode(p *Packet, seg *fsm.Segment) bool {
	d.stats.Packets++
	d.notes = [NumReasons]bool{}
	d.zone = fsm.Zone{}
	// Files whose original length is below the captured length say
	// nothing useful about it.
	wire := len(p.Data)
	if p.OrigLen >= len(p.Data) {
		wire = p.OrigLen
	}
	nw, ip, frame := d.link(p.LinkType, p.Data, wire, false)
	if nw == netNone || !d.network(nw, ip, frame, seg, 0) {
		return false
	}
	seg.Zone = d.zone
	// Every link decoder reslices p.Data, so the outer IP header's offset
	// is what its slice lost of the capacity.
	seg.Tap = tapOf(p, cap(p.Data)-cap(ip))
	seg.Classify()
	seg.Time = p.Time
	if p.Time.Before(minTime*second) || !p.Time.Before((maxTime+1)*second) {
		seg.Time = min(max(p.Time, minTime*second), maxTime*second)
		d.notes[ReasonTimeOutOfRange] = true
	}
	d.stats.TCP++
	for r := ReasonPresumedTSO; r < NumReasons; r++ {
		if d.notes[r] {
			d.stats.Reasons[r]++
		}
	}
	return true
}

// network decodes the IP packet ip, of frame octets on the wire, and the
// TCP segment it leads to; depth is how many tunnels it was found in.
func (d *Decoder) network(nw network, ip []byte, frame int, seg *fsm.Segment, depth int) bool {
	if nw == netByVersion {
		if len(ip) < 1 {
			return d.drop(ReasonTruncatedIPHeader)
		}
		switch ip[0] >> 4 {
		case 4:
			nw = netIPv4
		case 6:
			nw = netIPv6
		default:
			return d.drop(ReasonBadIPVersion)
		}
	}
	if nw == netIPv4 {
		return d.ipv4(ip, frame, seg, depth)
	}
	return d.ipv6(ip, frame, seg, depth)
}

// The times a segment may carry, in seconds since the epoch: 1700-01-01
// and 2200-01-01. The analysis counts nanoseconds in an int64 (fsm.Time),
// which holds 1678 to 2262, and adds its timers to them; a pcapng
// record's 64-bit stamp can say anything.
const (
	minTime = -8520336000
	maxTime = 7258118400
)

// second is a second as a count of fsm.Time's nanoseconds.
const second = fsm.Time(time.Second)

// drop counts a dropped packet and returns false.
func (d *Decoder) drop(r Reason) bool {
	d.stats.Reasons[r]++
	return false
}

// notTCP counts a packet that is not TCP and returns false.
func (d *Decoder) notTCP(k Kind) bool {
	d.stats.NotTCP[k]++
	return false
}

// ipv4 decodes an IPv4 header and the TCP segment it carries, directly or
// through tunnels. frame is the number of octets the frame had on the wire
// from the IP header on; depth is how many tunnels the packet was found in.
func (d *Decoder) ipv4(ip []byte, frame int, seg *fsm.Segment, depth int) bool {
	if len(ip) < 20 {
		return d.drop(ReasonTruncatedIPHeader)
	}
	if ip[0]>>4 != 4 {
		return d.drop(ReasonBadIPVersion)
	}
	ihl := int(ip[0]&0x0f) * 4
	if ihl < 20 {
		return d.drop(ReasonBadIPHeaderLength)
	}
	if len(ip) < ihl {
		return d.drop(ReasonTruncatedIPHeader)
	}
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if total == 0 {
		// TSO/GSO and BIG TCP hand the capture a packet longer than the
		// 16-bit length can say and leave it 0; tcpdump prints "[was 0,
		// presumed TSO]" and uses the captured length, as we do. Any
		// Ethernet padding is then counted as payload: a TSO packet is
		// never short enough to be padded.
		total = len(ip)
		d.notes[ReasonPresumedTSO] = true
	}
	if total < ihl {
		return d.drop(ReasonIPLengthBelowHeaders)
	}
	if total > frame {
		// The frame was shorter on the wire than its IP header says:
		// damage, or (in old captures) a capture tool that recorded the
		// cut length as the original one. tcpdump and Wireshark still
		// decode it; we keep the segment and the IP length, so the
		// sequence space stays the sender's, and note it.
		d.notes[ReasonIPLengthExceedsFrame] = true
	}
	// MF set or a fragment offset: we do not reassemble.
	if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return d.drop(ReasonIPv4Fragment)
	}
	if ip[9] != protoTCP {
		return d.ipPayload(ip[9], ip[ihl:min(total, len(ip))], min(total, frame)-ihl, seg, depth)
	}
	// The IP length, not the captured length, ends the segment: Ethernet
	// pads short frames to 60 octets and the padding is not payload.
	tcp := ip[ihl:min(total, len(ip))]
	// The identification field, to tell a packet from its retransmission;
	// not the TTL or the header checksum, which a router between two
	// capture points changes.
	id := newIdent(4, uint32(binary.BigEndian.Uint16(ip[4:])))
	if !d.tcp(tcp, total-ihl, id, seg) {
		return false
	}
	seg.IPID = binary.BigEndian.Uint16(ip[4:])
	seg.IPLen = uint32(total)
	d.verify(ip[12:16], ip[16:20], tcp, total-ihl, seg)
	seg.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), seg.Src.Port())
	seg.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[16:20])), seg.Dst.Port())
	seg.TTL = ip[8]
	return true
}

// ipv6 decodes an IPv6 header, walks its extension headers and decodes the
// TCP segment they lead to, directly or through tunnels; frame and depth
// are as for ipv4.
func (d *Decoder) ipv6(ip []byte, frame int, seg *fsm.Segment, depth int) bool {
	if len(ip) < 40 {
		return d.drop(ReasonTruncatedIPHeader)
	}
	if ip[0]>>4 != 6 {
		return d.drop(ReasonBadIPVersion)
	}
	plen := int(binary.BigEndian.Uint16(ip[4:]))
	end := 40 + plen // end of the packet as the header declares it
	if plen == 0 {
		// A jumbogram (RFC 2675) says its length in a hop-by-hop option,
		// found below; without one, this is TSO/GSO as for IPv4.
		end = len(ip)
		d.notes[ReasonPresumedTSO] = true
	}
	nh := ip[6]
	pos := 40
	for n := 0; nh != protoTCP; n++ {
		switch nh {
		case protoHopByHop, protoRouting, protoDestOpts, protoFragment, protoAH:
		case protoNoNext:
			return d.notTCP(KindIPv6NoNextHeader)
		default:
			if end > frame {
				d.notes[ReasonIPLengthExceedsFrame] = true // as below
			}
			return d.ipPayload(nh, ip[pos:min(end, len(ip))], min(end, frame)-pos, seg, depth)
		}
		if n == maxExtHeaders || pos+8 > end {
			return d.drop(ReasonIPv6ExtensionChain)
		}
		if pos+8 > len(ip) {
			return d.drop(ReasonTruncatedIPHeader)
		}
		var hlen int
		switch nh {
		case protoFragment:
			hlen = 8
			// Offset (13 bits) and M: an atomic fragment (RFC 6946), both
			// zero, is a whole packet.
			if binary.BigEndian.Uint16(ip[pos+2:])&0xfff9 != 0 {
				return d.drop(ReasonIPv6Fragment)
			}
		case protoAH:
			hlen = (int(ip[pos+1]) + 2) * 4
		default:
			hlen = (int(ip[pos+1]) + 1) * 8
		}
		if pos+hlen > end {
			return d.drop(ReasonIPv6ExtensionChain)
		}
		if pos+hlen > len(ip) {
			return d.drop(ReasonTruncatedIPHeader)
		}
		if nh == protoHopByHop && plen == 0 {
			if j, ok := jumboLength(ip[pos+2 : pos+hlen]); ok {
				end = 40 + j
				d.notes[ReasonPresumedTSO] = false
				if pos+hlen > end {
					return d.drop(ReasonIPv6ExtensionChain)
				}
			}
		}
		nh = ip[pos]
		pos += hlen
	}
	if end > frame {
		d.notes[ReasonIPLengthExceedsFrame] = true // as for IPv4
	}
	tcp := ip[pos:min(end, len(ip))]
	// IPv6 has no identification field (but in fragment headers); the flow
	// label is the nearest thing: routers must not change it, and Linux
	// draws a new one when it retransmits on a timeout.
	id := newIdent(6, binary.BigEndian.Uint32(ip[0:])&0x000fffff)
	if !d.tcp(tcp, end-pos, id, seg) {
		return false
	}
	seg.IPLen = uint32(end)
	d.verify(ip[8:24], ip[24:40], tcp, end-pos, seg)
	seg.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip[8:24])), seg.Src.Port())
	seg.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip[24:40])), seg.Dst.Port())
	seg.TTL = ip[7] // the hop limit
	return true
}

// jumboLength finds the Jumbo Payload option (RFC 2675, type 0xc2) among
// hop-by-hop options.
func jumboLength(opts []byte) (int, bool) {
	for i := 0; i < len(opts); {
		t := opts[i]
		if t == 0 { // Pad1
			i++
			continue
		}
		if i+2 > len(opts) {
			return 0, false
		}
		l := int(opts[i+1])
		if i+2+l > len(opts) {
			return 0, false
		}
		if t == 0xc2 && l == 4 {
			return int(binary.BigEndian.Uint32(opts[i+2:])), true
		}
		i += 2 + l
	}
	return 0, false
}

// tcp decodes a TCP header. b holds the captured octets of the segment (no
// more than the IP header declares); declared is the segment's length by
// the IP header; id is the network layer's part of the fingerprint. It
// fills every field of seg but Time and the addresses; the ports go in Src
// and Dst.
func (d *Decoder) tcp(b []byte, declared int, id ident, seg *fsm.Segment) bool {
	if declared < 20 {
		return d.drop(ReasonIPLengthBelowHeaders)
	}
	if len(b) < 20 {
		return d.drop(ReasonTruncatedTCPHeader)
	}
	doff := int(b[12]>>4) * 4
	if doff < 20 || doff > declared {
		// The header is damaged but its first 20 octets name the
		// connection: keep the segment, marked, so that the violation is
		// reported where it belongs. Receivers discard it, so it carries
		// no payload here.
		d.notes[ReasonBadTCPDataOffset] = true
		*seg = fsm.Segment{
			Src:       netip.AddrPortFrom(netip.Addr{}, binary.BigEndian.Uint16(b[0:])),
			Dst:       netip.AddrPortFrom(netip.Addr{}, binary.BigEndian.Uint16(b[2:])),
			Seq:       fsm.Seq(binary.BigEndian.Uint32(b[4:])),
			Ack:       fsm.Seq(binary.BigEndian.Uint32(b[8:])),
			Flags:     fsm.Flags(b[13]),
			Window:    binary.BigEndian.Uint16(b[14:]),
			Ident:     id.bytes(b[:20]).sum(),
			Malformed: fsm.BadOffset,
		}
		return true
	}
	// A header longer than the capture is a short snapshot length, not
	// damage: the IP length covers it. Keep the segment, for its flags and
	// sequence numbers, and parse the options that were captured.
	hdr := doff
	if hdr > len(b) {
		hdr = len(b)
		d.notes[ReasonTruncatedTCPOptions] = true
	}
	*seg = fsm.Segment{
		Src:        netip.AddrPortFrom(netip.Addr{}, binary.BigEndian.Uint16(b[0:])),
		Dst:        netip.AddrPortFrom(netip.Addr{}, binary.BigEndian.Uint16(b[2:])),
		Seq:        fsm.Seq(binary.BigEndian.Uint32(b[4:])),
		Ack:        fsm.Seq(binary.BigEndian.Uint32(b[8:])),
		Flags:      fsm.Flags(b[13]),
		Window:     binary.BigEndian.Uint16(b[14:]),
		PayloadLen: declared - doff,
		Captured:   max(len(b)-doff, 0),
		// The whole header as captured: ports, numbers, flags, window,
		// options (TSval) and the checksum, which covers the payload.
		Ident: id.bytes(b[:hdr]).word(uint64(declared - doff)).sum(),
	}
	d.options(b[20:hdr], hdr == doff, &seg.Opts)
	if d.notes[ReasonTCPOptionsOverrun] {
		seg.Malformed |= fsm.OptionsOverrunning
	}
	return true
}

// checksumOK verifies the TCP checksum over the pseudo-header (RFC 9293
// §3.1: source and destination address, protocol 6, TCP length) and the
// segment. It reports true when the segment was not captured whole: what
// cannot be checked is not called bad.
func checksumOK(src, dst []byte, tcp []byte, length int) bool {
	if len(tcp) < length {
		return true
	}
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src)
	add(dst)
	sum += 6 + uint32(length)
	add(tcp[:length])
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}

// verify marks seg when checksums are verified and the TCP checksum is bad.
func (d *Decoder) verify(src, dst, tcp []byte, length int, seg *fsm.Segment) {
	if d.VerifyChecksums && seg.Malformed&fsm.BadOffset == 0 && !checksumOK(src, dst, tcp, length) {
		seg.Malformed |= fsm.BadSum
		d.notes[ReasonBadTCPChecksum] = true
	}
}

// TCP option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018).
const (
	optEOL          = 0
	optNOP          = 1
	optMSS          = 2
	optWScale       = 3
	optSACKPerm     = 4
	optSACK         = 5
	optTimestamp    = 8
	optFastOpen     = 34
	optExperimental = 254
)

// options parses TCP options into o. complete is false when the capture cut
// the options short: then an option cut off is not an overrun.
func (d *Decoder) options(b []byte, complete bool, o *fsm.Options) {
	for i := 0; i < len(b); {
		kind := b[i]
		if kind == optEOL {
			return
		}
		if kind == optNOP {
			i++
			continue
		}
		if i+1 >= len(b) {
			if complete {
				d.notes[ReasonTCPOptionsOverrun] = true
			}
			return
		}
		l := int(b[i+1])
		if l < 2 {
			// A length that cannot even cover kind and length: nothing
			// after it can be found.
			d.notes[ReasonBadTCPOptionLength] = true
			return
		}
		if i+l > len(b) {
			if complete {
				d.notes[ReasonTCPOptionsOverrun] = true
			}
			return
		}
		v := b[i+2 : i+l]
		switch kind {
		case optMSS:
			if l != 4 {
				d.notes[ReasonBadTCPOptionLength] = true
				break
			}
			o.MSS, o.HasMSS = binary.BigEndian.Uint16(v), true
		case optWScale:
			if l != 3 {
				d.notes[ReasonBadTCPOptionLength] = true
				break
			}
			o.WScale, o.HasWScale = v[0], true
		case optSACKPerm:
			if l != 2 {
				d.notes[ReasonBadTCPOptionLength] = true
				break
			}
			o.SACKPermitted = true
		case optSACK:
			if l == 2 || (l-2)%8 != 0 {
				d.notes[ReasonBadTCPOptionLength] = true
				break
			}
			o.NSACK = 0
			for j := 0; j+8 <= len(v) && int(o.NSACK) < len(o.SACK); j += 8 {
				o.SACK[o.NSACK] = fsm.SACKBlock{
					Left:  fsm.Seq(binary.BigEndian.Uint32(v[j:])),
					Right: fsm.Seq(binary.BigEndian.Uint32(v[j+4:])),
				}
				o.NSACK++
			}
		case optTimestamp:
			if l != 10 {
				d.notes[ReasonBadTCPOptionLength] = true
				break
			}
			o.TSVal, o.TSEcr = binary.BigEndian.Uint32(v), binary.BigEndian.Uint32(v[4:])
			o.HasTimestamps = true
		case optFastOpen:
			// RFC 7413 §4.1.1: kind 34, a cookie request (length 2) or a
			// cookie of 4 to 16 octets.
			o.HasFastOpen = true
		case optExperimental:
			// RFC 6994: experiments before kind 34 was assigned used
			// kind 254 with the ExID 0xF989 for Fast Open.
			if len(v) >= 2 && binary.BigEndian.Uint16(v) == 0xF989 {
				o.HasFastOpen = true
			}
		}
		i += l
	}
}

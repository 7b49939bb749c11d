package capture

import (
	"maps"
	"slices"
	"strconv"
)

// Kind is a kind of packet that is not TCP, as the Decoder counts them.
type Kind uint8

// The kinds of packets that are not TCP. Their names are stable.
const (
	KindARP                Kind = iota // "arp": ARP (and RARP, and Cisco HDLC's SLARP)
	KindLLC                            // "llc": 802.3 frames with a length instead of an EtherType, SLL protocols below 0x0600, 802.11 frames without LLC/SNAP
	KindOtherEtherType                 // "other_ethertype": any other EtherType (or GRE or Geneve protocol type), MPLS or PPP not carrying IP
	KindOtherAddressFamily             // "other_address_family": NULL/LOOP/PFLOG/NFLOG address family neither IPv4 nor IPv6
	KindUDP                            // "udp": UDP other than the VXLAN and Geneve tunnels
	KindICMP                           // "icmp": ICMP for IPv4
	KindICMPv6                         // "icmpv6"
	KindIPv6NoNextHeader               // "ipv6_no_next_header": IPv6 next header 59
	KindOtherIPProtocol                // "other_ip_protocol": any other IP protocol, ESP included
	KindWLANManagement                 // "wlan_management": 802.11 management frames (beacons, probes, association, authentication)
	KindWLANControl                    // "wlan_control": 802.11 control frames (ACK, RTS, CTS, block ACK)
	KindWLANNoData                     // "wlan_no_data": 802.11 data frames without a body (Null, QoS Null: power-save signalling)
	NumKinds                           // the number of kinds
)

var kindNames = [NumKinds]string{
	KindARP:                "arp",
	KindLLC:                "llc",
	KindOtherEtherType:     "other_ethertype",
	KindOtherAddressFamily: "other_address_family",
	KindUDP:                "udp",
	KindICMP:               "icmp",
	KindICMPv6:             "icmpv6",
	KindIPv6NoNextHeader:   "ipv6_no_next_header",
	KindOtherIPProtocol:    "other_ip_protocol",
	KindWLANManagement:     "wlan_management",
	KindWLANControl:        "wlan_control",
	KindWLANNoData:         "wlan_no_data",
}

// String returns the kind's stable snake_case name.
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return "kind_" + strconv.Itoa(int(k))
}

// Reason is why the Decoder could not make a segment of a packet, or, for
// the few reasons that are notes (Dropped reports false), something odd
// about a segment it did make.
type Reason uint8

// The reasons. Their names are stable: reports and JSON use them.
const (
	// Dropped packets.
	ReasonTruncatedLinkHeader   Reason = iota // "truncated_link_header": captured data ends inside the link-layer header
	ReasonUnsupportedLinkType                 // "unsupported_link_type": a link type we do not decode (Stats.LinkTypes has which)
	ReasonTruncatedIPHeader                   // "truncated_ip_header": captured data ends inside the IP header or IPv6 extension headers
	ReasonBadIPVersion                        // "bad_ip_version": the version nibble contradicts the link layer
	ReasonBadIPHeaderLength                   // "bad_ip_header_length": IPv4 IHL below 5
	ReasonIPLengthBelowHeaders                // "ip_length_below_headers": the IP length cannot hold the IP and TCP headers
	ReasonIPv4Fragment                        // "ipv4_fragment": IPv4 fragment (MF set or offset not 0), not reassembled
	ReasonIPv6Fragment                        // "ipv6_fragment": IPv6 fragment header other than an atomic fragment
	ReasonIPv6ExtensionChain                  // "ipv6_extension_chain": extension headers run past the payload or are too many
	ReasonTruncatedTCPHeader                  // "truncated_tcp_header": fewer than 20 octets of TCP header captured
	ReasonTruncatedTunnelHeader               // "truncated_tunnel_header": captured data ends inside a GRE, VXLAN, Geneve or ERSPAN header
	ReasonUnsupportedTunnel                   // "unsupported_tunnel": a tunnel we do not follow: GRE version 1 (PPTP) or with RFC 1701 routing, Geneve of another version, ERSPAN of another version or frame type
	ReasonTunnelTooDeep                       // "tunnel_nesting_too_deep": tunnels nested more than 4 deep (or a PPI header inside a PPI header)
	ReasonNFLOGNoPacket                       // "nflog_without_packet": an NFLOG record that holds no packet (logged without a copy of it)
	ReasonWLANEncrypted                       // "wlan_encrypted": an encrypted 802.11 data frame (WEP, WPA): the key is not in the capture
	ReasonWLANUnsupported                     // "wlan_unsupported_frame": an 802.11 fragment (not reassembled), A-MSDU aggregate (several packets in one frame, not split) or protocol version 1 frame
	ReasonFilterNotApplicable                 // "filter_not_applicable": the filter does not compile for the packet's link type (another interface of a pcapng file); not decoded (counted by Skip)

	// Notes on segments that were decoded.
	ReasonPresumedTSO          // "presumed_tso": IP length 0 (TSO/GSO/BIG TCP); the captured length was used
	ReasonBadTCPDataOffset     // "bad_tcp_data_offset": TCP data offset below 5 or past the segment; the segment is marked malformed (receivers discard it)
	ReasonBadTCPChecksum       // "bad_tcp_checksum": the checksum does not match (only counted when checksums are verified)
	ReasonIPLengthExceedsFrame // "ip_length_exceeds_frame": the IP length is more than the frame's original length; it was believed
	ReasonTruncatedTCPOptions  // "truncated_tcp_options": the capture cut the TCP options short; the captured ones were parsed
	ReasonTCPOptionsOverrun    // "tcp_options_overrun": an option runs past the TCP header; the options before it were parsed
	ReasonBadTCPOptionLength   // "bad_tcp_option_length": a known option with the wrong length, ignored
	ReasonTimeOutOfRange       // "timestamp_out_of_range": the packet's time lies outside 1700-2200 (a damaged record); the nearest end was used

	NumReasons // the number of reasons
)

var reasonNames = [NumReasons]string{
	ReasonTruncatedLinkHeader:   "truncated_link_header",
	ReasonUnsupportedLinkType:   "unsupported_link_type",
	ReasonTruncatedIPHeader:     "truncated_ip_header",
	ReasonBadIPVersion:          "bad_ip_version",
	ReasonBadIPHeaderLength:     "bad_ip_header_length",
	ReasonIPLengthBelowHeaders:  "ip_length_below_headers",
	ReasonIPv4Fragment:          "ipv4_fragment",
	ReasonIPv6Fragment:          "ipv6_fragment",
	ReasonIPv6ExtensionChain:    "ipv6_extension_chain",
	ReasonTruncatedTCPHeader:    "truncated_tcp_header",
	ReasonTruncatedTunnelHeader: "truncated_tunnel_header",
	ReasonUnsupportedTunnel:     "unsupported_tunnel",
	ReasonTunnelTooDeep:         "tunnel_nesting_too_deep",
	ReasonNFLOGNoPacket:         "nflog_without_packet",
	ReasonWLANEncrypted:         "wlan_encrypted",
	ReasonWLANUnsupported:       "wlan_unsupported_frame",
	ReasonFilterNotApplicable:   "filter_not_applicable",
	ReasonPresumedTSO:           "presumed_tso",
	ReasonBadTCPDataOffset:      "bad_tcp_data_offset",
	ReasonBadTCPChecksum:        "bad_tcp_checksum",
	ReasonIPLengthExceedsFrame:  "ip_length_exceeds_frame",
	ReasonTruncatedTCPOptions:   "truncated_tcp_options",
	ReasonTCPOptionsOverrun:     "tcp_options_overrun",
	ReasonBadTCPOptionLength:    "bad_tcp_option_length",
	ReasonTimeOutOfRange:        "timestamp_out_of_range",
}

// String returns the reason's stable snake_case name.
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "reason_" + strconv.Itoa(int(r))
}

// Dropped reports whether a packet counted under r was dropped. The notes
// (presumed_tso, ip_length_exceeds_frame and the TCP option reasons) count
// segments that were decoded all the same.
func (r Reason) Dropped() bool { return r < ReasonPresumedTSO }

// Stats are the Decoder's counters. Every packet given to Decode or Skip is
// counted once in TCP, in NotTCP or under a dropped Reason; notes are counted in
// addition to TCP.
type Stats struct {
	Packets uint64             // packets given to Decode or Skip
	TCP     uint64             // TCP segments decoded
	NotTCP  [NumKinds]uint64   // packets that are not TCP, by kind
	Reasons [NumReasons]uint64 // packets dropped, and notes, by reason
	// LinkTypes counts the packets of each unsupported link type; their
	// sum is Reasons[ReasonUnsupportedLinkType].
	LinkTypes map[uint16]uint64
}

// Skip counts a packet the caller did not give to Decode, under the
// dropped reason r (ReasonFilterNotApplicable), so that every packet read
// is counted once.
func (d *Decoder) Skip(r Reason) {
	d.stats.Packets++
	d.stats.Reasons[r]++
}

// Counter is one non-zero counter, named for a report.
type Counter struct {
	// Group is "total" (names "packets" and "tcp_segments"), "not_tcp"
	// (Kind names), "dropped" and "note" (Reason names), or
	// "unsupported_link_type" (Name is the decimal link type).
	Group string
	Name  string
	Count uint64
}

// Counters lists the non-zero counters in a stable order: totals, not-TCP
// kinds, dropped reasons, unsupported link types by value, notes.
func (s *Stats) Counters() []Counter {
	var out []Counter
	add := func(group, name string, n uint64) {
		if n != 0 {
			out = append(out, Counter{Group: group, Name: name, Count: n})
		}
	}
	add("total", "packets", s.Packets)
	add("total", "tcp_segments", s.TCP)
	for k := range NumKinds {
		add("not_tcp", k.String(), s.NotTCP[k])
	}
	for r := range NumReasons {
		if r.Dropped() {
			add("dropped", r.String(), s.Reasons[r])
		}
	}
	for _, lt := range slices.Sorted(maps.Keys(s.LinkTypes)) {
		add("unsupported_link_type", strconv.Itoa(int(lt)), s.LinkTypes[lt])
	}
	for r := range NumReasons {
		if !r.Dropped() {
			add("note", r.String(), s.Reasons[r])
		}
	}
	return out
}

// Add adds the counters of o to s, for totals over several files.
func (s *Stats) Add(o *Stats) {
	s.Packets += o.Packets
	s.TCP += o.TCP
	for i := range s.NotTCP {
		s.NotTCP[i] += o.NotTCP[i]
	}
	for i := range s.Reasons {
		s.Reasons[i] += o.Reasons[i]
	}
	for lt, n := range o.LinkTypes {
		if s.LinkTypes == nil {
			s.LinkTypes = make(map[uint16]uint64)
		}
		s.LinkTypes[lt] += n
	}
}

// clone returns a copy of s that shares nothing with it.
func (s *Stats) clone() Stats {
	c := *s
	c.LinkTypes = maps.Clone(s.LinkTypes)
	return c
}

package capture

import (
	"encoding/binary"
	"testing"

	"github.com/google/gopacket/layers"

	"tcpflow-fsm/fsm"
)

// Builders of link-layer headers, by hand from their specifications
// (tcpdump.org/linktypes.html and the documents link.go and wlan.go cite).

// wlanHeader is an 802.11 header: frame control (type and subtype octet
// fc, flags), duration, three addresses, sequence control; the fourth
// address when both DS bits are set; then extra (QoS Control, HT Control).
func wlanHeader(fc, flags byte, seqctl uint16, extra ...byte) []byte {
	b := cat([]byte{fc, flags, 0x2c, 0}, macB, macA, macB)
	b = binary.LittleEndian.AppendUint16(b, seqctl)
	if flags&3 == 3 {
		b = cat(b, macA)
	}
	return append(b, extra...)
}

// snap is an LLC/SNAP header (RFC 1042) announcing EtherType et.
func snap(et uint16) []byte { return []byte{0xaa, 0xaa, 0x03, 0, 0, 0, byte(et >> 8), byte(et)} }

// nflogTLV is one NFLOG TLV in byte order o, padded to 4 octets.
func nflogTLV(o binary.AppendByteOrder, typ uint16, v []byte) []byte {
	b := o.AppendUint16(nil, uint16(4+len(v)))
	b = o.AppendUint16(b, typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// nflogPacket is an NFLOG record of family af holding the packet p, as
// Linux logs it: the packet header (hardware protocol, hook), a prefix,
// then the payload.
func nflogPacket(o binary.AppendByteOrder, af byte, p []byte) []byte {
	return cat([]byte{af, 0, 0, 5},
		nflogTLV(o, 1, []byte{0x08, 0x00, 3, 0}), // NFULA_PACKET_HDR: IPv4, NF_INET_LOCAL_OUT
		nflogTLV(o, 10, []byte("web\x00")),       // NFULA_PREFIX
		nflogTLV(o, 9, p))                        // NFULA_PAYLOAD
}

// ppiHeader is a PPI header announcing link type lt, with one
// 802.11-Common field whose flags are flags.
func ppiHeader(lt uint32, flags uint16) []byte {
	common := make([]byte, 20) // TSF timer(8) flags(2) rate, channel, FHSS, signal, noise
	binary.LittleEndian.PutUint16(common[8:], flags)
	b := []byte{0, 0, 32, 0}
	b = binary.LittleEndian.AppendUint32(b, lt)
	return cat(b, []byte{2, 0, 20, 0}, common)
}

// linkCases are decodeCases for the link types of link.go and wlan.go.
func linkCases(t testing.TB) []decodeCase {
	seg := func(s fsm.Segment) *fsm.Segment { return &s }
	v4syn := ipv4TCP(t, syn(), nil)
	v6syn := ipv6TCP(t, syn(), nil)
	v4data := ipv4TCP(t, data(), seq(100))
	// A TSO packet (IPv4 total length 0), whose payload runs to the end
	// of the frame: an FCS left on would be taken for payload.
	tso := patch(v4data, 2, 0, 0)
	fcs := []byte{0xde, 0xad, 0xbe, 0xef}

	data80211 := wlanHeader(0x08, 0x02, 0x1230)      // Data, from the AP
	qosWDS := wlanHeader(0x88, 0x03, 0x1230, 0, 0)   // QoS Data between APs
	qosHTC := wlanHeader(0x88, 0x81, 0x1230, 0, 0)   // QoS Data to the AP, +HTC
	qosHTC = append(qosHTC, 1, 2, 3, 4)              // HT Control
	protected := wlanHeader(0x08, 0x42, 0x1230)      // Data, Protected
	moreFrag := wlanHeader(0x08, 0x06, 0x1230)       // more fragments follow
	laterFrag := wlanHeader(0x08, 0x02, 0x1231)      // fragment number 1
	amsdu := wlanHeader(0x88, 0x01, 0x1230, 0x80, 0) // QoS Control: A-MSDU present
	qosPad := wlanHeader(0x88, 0x01, 0x1230, 0, 0)   // 26 octets: DATAPAD pads to 28
	radiotap := []byte{0, 0, 8, 0, 0, 0, 0, 0}       // no fields
	tsftFlags := func(flags byte) []byte {           // TSFT (aligned to 8) and Flags
		return cat([]byte{0, 0, 17, 0, 3, 0, 0, 0}, make([]byte, 8), []byte{flags})
	}
	// Two present bitmaps (bit 31 of the first); TSFT then aligns from 12
	// to 16.
	extended := cat([]byte{0, 0, 25, 0, 3, 0, 0, 0x80, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, make([]byte, 8), []byte{0x10})

	return []decodeCase{
		// Cisco HDLC: address, control, EtherType.
		{"cisco-hdlc", LinkTypeCiscoHDLC, cat([]byte{0x0f, 0x00, 0x08, 0x00}, v4syn), 0, seg(v4SYN()), nil},
		{"cisco-hdlc-ipv6-broadcast", LinkTypeCiscoHDLC, cat([]byte{0x8f, 0x00, 0x86, 0xdd}, v6syn), 0, seg(v6SYN()), nil},
		{"cisco-hdlc-slarp", LinkTypeCiscoHDLC, cat([]byte{0x8f, 0x00, 0x80, 0x35}, make([]byte, 20)), 0, nil, []string{"not_tcp/arp"}},
		{"cisco-hdlc-cdp", LinkTypeCiscoHDLC, cat([]byte{0x8f, 0x00, 0x20, 0x00}, make([]byte, 20)), 0, nil, []string{"not_tcp/other_ethertype"}},
		{"cisco-hdlc-short", LinkTypeCiscoHDLC, []byte{0x0f, 0x00, 0x08}, 0, nil, []string{"dropped/truncated_link_header"}},

		// PPP.
		{"ppp-hdlc-framing", LinkTypePPP, cat([]byte{0xff, 0x03, 0x00, 0x21}, v4syn), 0, seg(v4SYN()), nil},
		{"ppp-compressed", LinkTypePPP, cat([]byte{0x21}, v4syn), 0, seg(v4SYN()), nil},
		{"ppp-50-ipv6", LinkTypePPPHDLC, cat([]byte{0xff, 0x03, 0x00, 0x57}, v6syn), 0, seg(v6SYN()), nil},
		{"ppp-lcp", LinkTypePPP, cat([]byte{0xff, 0x03, 0xc0, 0x21}, make([]byte, 10)), 0, nil, []string{"not_tcp/other_ethertype"}},
		{"ppp-short", LinkTypePPP, []byte{0xff, 0x03, 0x00}, 0, nil, []string{"dropped/truncated_link_header"}},

		// pflog: the header's own length, rounded up to 4, then the packet.
		{"pflog", LinkTypePFLog, cat([]byte{61, 2}, make([]byte, 62), v4syn), 0, seg(v4SYN()), nil},
		{"pflog-ipv6-openbsd", LinkTypePFLog, cat([]byte{61, 24}, make([]byte, 62), v6syn), 0, seg(v6SYN()), nil},
		{"pflog-short", LinkTypePFLog, cat([]byte{61, 2}, make([]byte, 40)), 0, nil, []string{"dropped/truncated_link_header"}},

		// NFLOG.
		{"nflog", LinkTypeNFLOG, nflogPacket(binary.LittleEndian, 2, v4syn), 0, seg(v4SYN()), nil},
		{"nflog-big-endian", LinkTypeNFLOG, nflogPacket(binary.BigEndian, 2, v4syn), 0, seg(v4SYN()), nil},
		{"nflog-ipv6", LinkTypeNFLOG, nflogPacket(binary.LittleEndian, 10, v6syn), 0, seg(v6SYN()), nil},
		// The payload TLV's padding is not the packet's: a 99-octet
		// packet ends where the TLV says.
		{"nflog-odd-length", LinkTypeNFLOG, nflogPacket(binary.LittleEndian, 2, ipv4TCP(t, data(), seq(59))), 0, seg(v4Data(59, 59)), nil},
		// NFLOG's copy range cut the packet: the TLV says how long it
		// was logged, and the IP header how long it was.
		{"nflog-copy-range", LinkTypeNFLOG, nflogPacket(binary.LittleEndian, 2, v4data[:60]), 0, seg(v4Data(100, 20)), []string{"note/ip_length_exceeds_frame"}},
		// The capture's snapshot length cut it: the TLV still says how
		// long the packet was.
		{"nflog-cut-by-snaplen", LinkTypeNFLOG, nflogPacket(binary.LittleEndian, 2, v4data)[:104], 164, seg(v4Data(100, 40)), nil},
		{"nflog-bridge-family", LinkTypeNFLOG, nflogPacket(binary.LittleEndian, 7, v4syn), 0, nil, []string{"not_tcp/other_address_family"}},
		{"nflog-no-payload", LinkTypeNFLOG, cat([]byte{2, 0, 0, 5}, nflogTLV(binary.LittleEndian, 10, []byte("web\x00"))), 0, nil, []string{"dropped/nflog_without_packet"}},
		{"nflog-bad-tlv-length", LinkTypeNFLOG, cat([]byte{2, 0, 0, 5}, []byte{2, 0, 9, 0}, v4syn), 0, nil, []string{"dropped/truncated_link_header"}},
		{"nflog-short", LinkTypeNFLOG, []byte{2, 0, 0}, 0, nil, []string{"dropped/truncated_link_header"}},

		// 802.11.
		{"wlan-data", LinkTypeIEEE80211, cat(data80211, snap(0x0800), v4syn), 0, seg(v4SYN()), nil},
		{"wlan-qos-data-four-addresses", LinkTypeIEEE80211, cat(qosWDS, snap(0x86dd), v6syn), 0, seg(v6SYN()), nil},
		{"wlan-qos-data-ht-control", LinkTypeIEEE80211, cat(qosHTC, snap(0x0800), v4syn), 0, seg(v4SYN()), nil},
		{"wlan-bridge-tunnel-oui", LinkTypeIEEE80211, cat(data80211, patch(snap(0x0800), 5, 0xf8), v4syn), 0, seg(v4SYN()), nil},
		{"wlan-vlan-in-snap", LinkTypeIEEE80211, cat(data80211, snap(0x8100), vlanTag(0x0800, 12), v4syn), 0, zoned(v4SYN(), fsm.Zone{VLAN: [2]uint16{12}}), nil},
		{"wlan-protected", LinkTypeIEEE80211, cat(protected, make([]byte, 8), v4syn), 0, nil, []string{"dropped/wlan_encrypted"}},
		{"wlan-more-fragments", LinkTypeIEEE80211, cat(moreFrag, snap(0x0800), v4syn), 0, nil, []string{"dropped/wlan_unsupported_frame"}},
		{"wlan-later-fragment", LinkTypeIEEE80211, cat(laterFrag, v4syn), 0, nil, []string{"dropped/wlan_unsupported_frame"}},
		{"wlan-amsdu", LinkTypeIEEE80211, cat(amsdu, macB, macA, []byte{0, 48}, snap(0x0800), v4syn), 0, nil, []string{"dropped/wlan_unsupported_frame"}},
		{"wlan-protocol-version-1", LinkTypeIEEE80211, cat(patch(data80211, 0, 0x09), snap(0x0800), v4syn), 0, nil, []string{"dropped/wlan_unsupported_frame"}},
		{"wlan-beacon", LinkTypeIEEE80211, cat(wlanHeader(0x80, 0, 0), make([]byte, 40)), 0, nil, []string{"not_tcp/wlan_management"}},
		{"wlan-ack", LinkTypeIEEE80211, cat([]byte{0xd4, 0, 0, 0}, macB), 0, nil, []string{"not_tcp/wlan_control"}},
		{"wlan-null", LinkTypeIEEE80211, wlanHeader(0x48, 0x01, 0), 0, nil, []string{"not_tcp/wlan_no_data"}},
		{"wlan-qos-null", LinkTypeIEEE80211, wlanHeader(0xc8, 0x01, 0, 0, 0), 0, nil, []string{"not_tcp/wlan_no_data"}},
		{"wlan-not-snap", LinkTypeIEEE80211, cat(data80211, []byte{0x42, 0x42, 0x03}, make([]byte, 35)), 0, nil, []string{"not_tcp/llc"}},
		{"wlan-snap-arp", LinkTypeIEEE80211, cat(data80211, snap(0x0806), make([]byte, 28)), 0, nil, []string{"not_tcp/arp"}},
		{"wlan-cut-in-header", LinkTypeIEEE80211, data80211[:20], 0, nil, []string{"dropped/truncated_link_header"}},
		{"wlan-cut-in-qos", LinkTypeIEEE80211, qosWDS[:31], 0, nil, []string{"dropped/truncated_link_header"}},
		{"wlan-cut-in-snap", LinkTypeIEEE80211, cat(data80211, snap(0x0800)[:7]), 0, nil, []string{"dropped/truncated_link_header"}},
		{"wlan-empty", LinkTypeIEEE80211, []byte{0x08}, 0, nil, []string{"dropped/truncated_link_header"}},

		// Radiotap: the FCS flag strips 4 octets, the DATAPAD flag pads
		// the 802.11 header.
		{"radiotap", LinkTypeRadiotap, cat(radiotap, data80211, snap(0x0800), v4syn), 0, seg(v4SYN()), nil},
		{"radiotap-fcs", LinkTypeRadiotap, cat(tsftFlags(0x10), data80211, snap(0x0800), tso, fcs), 0, seg(v4Data(100, 100)), []string{"note/presumed_tso"}},
		{"radiotap-no-fcs-flag", LinkTypeRadiotap, cat(tsftFlags(0), data80211, snap(0x0800), tso, fcs), 0, seg(v4Data(104, 104)), []string{"note/presumed_tso"}},
		{"radiotap-extended-bitmaps-fcs", LinkTypeRadiotap, cat(extended, data80211, snap(0x0800), tso, fcs), 0, seg(v4Data(100, 100)), []string{"note/presumed_tso"}},
		{"radiotap-datapad", LinkTypeRadiotap, cat([]byte{0, 0, 9, 0, 2, 0, 0, 0, 0x20}, qosPad, []byte{0, 0}, snap(0x0800), v4syn), 0, seg(v4SYN()), nil},
		{"radiotap-fcs-cut-by-snaplen", LinkTypeRadiotap, cat(tsftFlags(0x10), data80211, snap(0x0800), v4data[:80]), 17 + 24 + 8 + len(v4data) + 4, seg(v4Data(100, 40)), nil},
		{"radiotap-length-past-data", LinkTypeRadiotap, []byte{0, 0, 40, 0, 0, 0, 0, 0, 1}, 0, nil, []string{"dropped/truncated_link_header"}},
		{"radiotap-flags-past-header", LinkTypeRadiotap, cat([]byte{0, 0, 16, 0, 3, 0, 0, 0}, make([]byte, 8), data80211), 0, nil, []string{"dropped/truncated_link_header"}},
		{"radiotap-bitmaps-past-header", LinkTypeRadiotap, cat([]byte{0, 0, 8, 0, 0, 0, 0, 0x80}, data80211), 0, nil, []string{"dropped/truncated_link_header"}},
		{"radiotap-beacon", LinkTypeRadiotap, cat(radiotap, wlanHeader(0x80, 0, 0), make([]byte, 40)), 0, nil, []string{"not_tcp/wlan_management"}},

		// PPI: its 802.11-Common field's flags say whether there is an FCS.
		{"ppi-80211-fcs", LinkTypePPI, cat(ppiHeader(105, 1), data80211, snap(0x0800), tso, fcs), 0, seg(v4Data(100, 100)), []string{"note/presumed_tso"}},
		{"ppi-80211", LinkTypePPI, cat(ppiHeader(105, 0), data80211, snap(0x0800), v4syn), 0, seg(v4SYN()), nil},
		{"ppi-ethernet", LinkTypePPI, cat(ppiHeader(1, 0), ether(t, layers.EthernetTypeIPv4, v4syn)), 0, seg(v4SYN()), nil},
		{"ppi-in-ppi", LinkTypePPI, cat(ppiHeader(192, 0), ppiHeader(105, 0), data80211, snap(0x0800), v4syn), 0, nil, []string{"dropped/tunnel_nesting_too_deep"}},
		{"ppi-unsupported-link-type", LinkTypePPI, cat(ppiHeader(182, 0), v4syn), 0, nil, []string{"dropped/unsupported_link_type", "unsupported_link_type/182"}},
		{"ppi-link-type-beyond-16-bits", LinkTypePPI, cat(ppiHeader(0x10001, 0), v4syn), 0, nil, []string{"dropped/unsupported_link_type", "unsupported_link_type/65535"}},
		{"ppi-short", LinkTypePPI, ppiHeader(105, 0)[:7], 0, nil, []string{"dropped/truncated_link_header"}},
		{"ppi-length-past-data", LinkTypePPI, ppiHeader(105, 0)[:20], 0, nil, []string{"dropped/truncated_link_header"}},

		// Intel Centrino's promiscuous mode: 802.11 in Ethernet, protected
		// frames already decrypted with their IV in place.
		{"centrino-wep", LinkTypeEthernet, ethRaw(0x2452, protected, []byte{0x5f, 0xd2, 0x17, 0x00}, snap(0x0800), v4syn, fcs), 0, seg(v4SYN()), nil},
		{"centrino-extended-iv", LinkTypeEthernet, ethRaw(0x2452, protected, []byte{1, 2, 0, 0x20, 5, 6, 7, 8}, snap(0x0800), v4syn, fcs), 0, seg(v4SYN()), nil},
		{"centrino-cleartext", LinkTypeEthernet, ethRaw(0x2452, data80211, snap(0x0800), v4syn), 0, seg(v4SYN()), nil},
		{"centrino-iv-cut", LinkTypeEthernet, ethRaw(0x2452, protected, []byte{0x5f, 0xd2}), 0, nil, []string{"dropped/truncated_link_header"}},
	}
}

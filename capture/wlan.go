package capture

import "encoding/binary"

// IEEE 802.11 (Wi-Fi) frames, and the radio headers that monitor-mode
// captures put before them (radiotap, PPI).
//
// Only data frames can carry TCP. A data frame's header is followed by an
// 802.2 LLC/SNAP header (AA AA 03, an OUI, an EtherType) and the packet.
// What a passive observer cannot read is counted and named: encrypted
// frames (WEP, WPA: the key is not in the capture), fragments (not
// reassembled) and A-MSDU aggregates (several packets in one frame, while
// Decode makes one segment of a packet).

// wlanSource says how an 802.11 frame reached the capture.
type wlanSource uint8

const (
	// wlanPlain: as sent on the air; a frame with the Protected bit is
	// encrypted.
	wlanPlain wlanSource = iota
	// wlanPlainFCS: as sent on the air, with the 4-octet frame check
	// sequence at its end (a radiotap or PPI flag says so).
	wlanPlainFCS
	// wlanPlainPadded: as wlanPlain, with padding after the 802.11
	// header to a multiple of 4 octets (radiotap's DATAPAD flag); and
	// wlanPlainFCSPadded, both.
	wlanPlainPadded
	wlanPlainFCSPadded
	// wlanCentrino: carried in an Ethernet frame of EtherType 0x2452 by
	// Intel Centrino drivers in promiscuous mode. The driver decrypts
	// protected frames but leaves the Protected bit and the encryption
	// header in place (Wireshark reads them the same way).
	wlanCentrino
)

// 802.11 frame control: the first octet holds the protocol version (2
// bits), type (2) and subtype (4); the second the flags.
const (
	wlanTypeManagement = 0
	wlanTypeControl    = 1
	wlanTypeData       = 2

	wlanToDS      = 0x01
	wlanFromDS    = 0x02
	wlanMoreFrag  = 0x04
	wlanProtected = 0x40
	wlanOrder     = 0x80 // +HTC: an HT Control field follows the QoS Control field

	wlanSubtypeQoS    = 0x8 // QoS Data and its variants: a QoS Control field
	wlanSubtypeNoData = 0x4 // Null, CF-Ack, CF-Poll and their QoS forms: no frame body
)

// wlan decodes an IEEE 802.11 frame to the network header of the packet
// it carries.
func (d *Decoder) wlan(b []byte, wire int, src wlanSource) (network, []byte, int) {
	if src == wlanPlainFCS || src == wlanPlainFCSPadded {
		// The frame check sequence ends the frame on the wire; when the
		// capture cut the frame, it may hold part of it or none.
		if wire < 4 {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		wire -= 4
		b = b[:min(len(b), wire)]
	}
	if len(b) < 2 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	fc, flags := b[0], b[1]
	if fc&3 != 0 {
		// Protocol version 1 (802.11ah's short frames) has other
		// headers, which we do not read.
		return d.linkDrop(ReasonWLANUnsupported)
	}
	switch (fc >> 2) & 3 {
	case wlanTypeManagement:
		return d.linkNotTCP(KindWLANManagement)
	case wlanTypeControl:
		return d.linkNotTCP(KindWLANControl)
	case wlanTypeData:
	default: // extension frames: DMG and S1G beacons
		return d.linkNotTCP(KindWLANManagement)
	}
	subtype := fc >> 4
	if subtype&wlanSubtypeNoData != 0 {
		return d.linkNotTCP(KindWLANNoData)
	}
	// Frame control(2) duration(2) three addresses(18) sequence
	// control(2), a fourth address between access points (both DS bits),
	// QoS Control(2), HT Control(4).
	hdr := 24
	if flags&(wlanToDS|wlanFromDS) == wlanToDS|wlanFromDS {
		hdr += 6
	}
	amsdu := false
	if subtype&wlanSubtypeQoS != 0 {
		if len(b) < hdr+2 {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		amsdu = b[hdr]&0x80 != 0
		hdr += 2
		if flags&wlanOrder != 0 {
			hdr += 4
		}
	}
	if len(b) < hdr {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	if src == wlanPlainPadded || src == wlanPlainFCSPadded {
		hdr = (hdr + 3) &^ 3
	}
	if flags&wlanProtected != 0 {
		if src != wlanCentrino {
			return d.linkDrop(ReasonWLANEncrypted)
		}
		// The IV and key ID (4 octets), 4 more with the extended IV bit
		// (TKIP, CCMP); the trailer (ICV, MIC) is past the IP length.
		if len(b) < hdr+4 {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		if b[hdr+3]&0x20 != 0 {
			hdr += 8
		} else {
			hdr += 4
		}
	}
	if flags&wlanMoreFrag != 0 || binary.LittleEndian.Uint16(b[22:])&0x000f != 0 || amsdu {
		return d.linkDrop(ReasonWLANUnsupported)
	}
	// LLC/SNAP: DSAP AA, SSAP AA, control 03 (UI), OUI 00-00-00 (RFC
	// 1042) or 00-00-F8 (802.1H bridge tunnel), EtherType.
	if len(b) < hdr+8 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	llc := b[hdr:]
	if llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03 || llc[3] != 0 || llc[4] != 0 || (llc[5] != 0 && llc[5] != 0xf8) {
		return d.linkNotTCP(KindLLC)
	}
	return d.etherType(b[hdr+8:], wire-hdr-8, binary.BigEndian.Uint16(llc[6:]))
}

// radiotap decodes a radiotap header (radiotap.org): version(1) pad(1)
// length(2) and one or more 32-bit "present" bitmaps, all little-endian,
// then the fields the first bitmap names, in bit order, each aligned to its
// size. Only the Flags field (bit 1) matters here: it says whether the
// 802.11 frame ends with its FCS and whether its header is padded. Only
// the TSFT field (bit 0, 8 octets) can come before it.
func (d *Decoder) radiotap(b []byte, wire int) (network, []byte, int) {
	const (
		presentTSFT  = 1 << 0
		presentFlags = 1 << 1
		presentMore  = 1 << 31 // another bitmap follows
		flagFCS      = 0x10
		flagDataPad  = 0x20
	)
	if len(b) < 8 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	n := int(binary.LittleEndian.Uint16(b[2:]))
	if n < 8 || n > len(b) {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	present := binary.LittleEndian.Uint32(b[4:])
	pos := 8
	for more := present; more&presentMore != 0; pos += 4 {
		if pos+4 > n {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		more = binary.LittleEndian.Uint32(b[pos:])
	}
	var flags byte
	if present&presentFlags != 0 {
		if present&presentTSFT != 0 {
			pos = (pos+7)&^7 + 8
		}
		if pos >= n {
			return d.linkDrop(ReasonTruncatedLinkHeader)
		}
		flags = b[pos]
	}
	src := wlanPlain
	switch {
	case flags&flagFCS != 0 && flags&flagDataPad != 0:
		src = wlanPlainFCSPadded
	case flags&flagFCS != 0:
		src = wlanPlainFCS
	case flags&flagDataPad != 0:
		src = wlanPlainPadded
	}
	return d.wlan(b[n:], wire-n, src)
}

// ppi decodes a Per-Packet Information header (CACE Technologies' PPI
// specification 1.0): version(1) flags(1) length(2) link type(4), all
// little-endian, then fields of type(2) length(2) and data, then a frame of
// the link type named, almost always 802.11. Of the fields only
// 802.11-Common (type 2) matters here: its flags say whether the frame
// ends with its FCS.
func (d *Decoder) ppi(b []byte, wire int) (network, []byte, int) {
	const (
		fieldCommon = 2
		commonFCS   = 0x0001
		alignFlag   = 0x01 // fields are padded to 32-bit boundaries
	)
	if len(b) < 8 {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	n := int(binary.LittleEndian.Uint16(b[2:]))
	lt := binary.LittleEndian.Uint32(b[4:])
	if n < 8 || n > len(b) {
		return d.linkDrop(ReasonTruncatedLinkHeader)
	}
	fcs := false
	for pos := 8; pos+4 <= n; {
		typ, l := binary.LittleEndian.Uint16(b[pos:]), int(binary.LittleEndian.Uint16(b[pos+2:]))
		// 802.11-Common: TSF timer(8) then flags(2).
		if typ == fieldCommon && l >= 10 && pos+4+10 <= n {
			fcs = binary.LittleEndian.Uint16(b[pos+4+8:])&commonFCS != 0
		}
		pos += 4 + l
		if b[1]&alignFlag != 0 {
			pos = (pos + 3) &^ 3
		}
	}
	b, wire = b[n:], wire-n
	if lt == LinkTypeIEEE80211 {
		if fcs {
			return d.wlan(b, wire, wlanPlainFCS)
		}
		return d.wlan(b, wire, wlanPlain)
	}
	if lt > 0xffff {
		// No such link type: link types are 16-bit numbers.
		lt = 0xffff
	}
	return d.link(uint16(lt), b, wire, true)
}

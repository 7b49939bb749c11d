package capture

import (
	"encoding/binary"
	"io"
)

// Classic pcap (draft-ietf-opsawg-pcap): a 24-byte file header, then records
// of a 16-byte header and the captured bytes, all in the writer's byte
// order.
const (
	pcapMagicMicro = 0xa1b2c3d4
	pcapMagicNano  = 0xa1b23c4d

	pcapFileHeaderLen   = 24
	pcapRecordHeaderLen = 16

	// The LinkType field of the file header: the link type in the low 16
	// bits, then reserved bits, then the FCS length (in 16-bit words) in
	// the top 4 bits, valid when the P bit is set. libpcap's LT_* macros.
	pcapFCSPresent = 0x04000000
	pcapFCSShift   = 28
)

type pcapState struct {
	order    binary.ByteOrder
	nano     bool
	snaplen  uint32
	linkType uint16
	fcs      int // FCS bytes at the end of each packet, to strip
}

func isPcapMagic(b []byte) bool {
	switch binary.BigEndian.Uint32(b) {
	case pcapMagicMicro, pcapMagicNano:
		return true
	}
	switch binary.LittleEndian.Uint32(b) {
	case pcapMagicMicro, pcapMagicNano:
		return true
	}
	return false
}

// openPcap reads and checks the file header of a classic pcap file.
func (r *Reader) openPcap() error {
	h := r.hdr[:pcapFileHeaderLen]
	n, err := r.readHeader(h)
	if err != nil {
		if short(err) {
			return r.formatErr(0, 0, "truncated file header (need %d bytes, have %d)", pcapFileHeaderLen, n)
		}
		return r.ioErr(err)
	}
	s := &r.pcap
	switch {
	case binary.BigEndian.Uint32(h) == pcapMagicMicro:
		s.order = binary.BigEndian
	case binary.BigEndian.Uint32(h) == pcapMagicNano:
		s.order, s.nano = binary.BigEndian, true
	case binary.LittleEndian.Uint32(h) == pcapMagicMicro:
		s.order = binary.LittleEndian
	default:
		s.order, s.nano = binary.LittleEndian, true
	}
	r.format = FormatPcap
	if s.nano {
		r.format = FormatPcapNano
	}
	// Major version 2 is the only one written since 1998; libpcap and
	// Wireshark refuse the others. Any minor version is accepted, as they
	// do (2.4 is current; 2.5 was written by a patched libpcap).
	if major, minor := s.order.Uint16(h[4:]), s.order.Uint16(h[6:]); major != 2 {
		return r.formatErr(0, 0, "unsupported pcap version %d.%d", major, minor)
	}
	s.snaplen = s.order.Uint32(h[16:])
	lt := s.order.Uint32(h[20:])
	s.linkType = uint16(lt)
	// The reserved bits are ignored rather than refused (libpcap and
	// Wireshark refuse a file that sets them): the link type is intact.
	if lt&pcapFCSPresent != 0 {
		s.fcs = 2 * int(lt>>pcapFCSShift)
	}
	return nil
}

// nextPcap reads one classic pcap record.
func (r *Reader) nextPcap(p *Packet) error {
	s := &r.pcap
	start, rec := r.off, r.record+1
	h := r.hdr[:pcapRecordHeaderLen]
	n, err := r.readHeader(h)
	if err != nil {
		if err == io.EOF {
			return io.EOF
		}
		if short(err) {
			return r.formatErr(rec, start, "truncated record header (need %d bytes, have %d)", pcapRecordHeaderLen, n)
		}
		return r.ioErr(err)
	}
	sec := s.order.Uint32(h[0:])
	frac := s.order.Uint32(h[4:])
	caplen := s.order.Uint32(h[8:])
	origlen := s.order.Uint32(h[12:])
	if err := r.checkCaplen(rec, start, caplen, s.snaplen); err != nil {
		return err
	}
	data, got, err := r.readBody(int(caplen))
	if err != nil {
		if short(err) {
			return r.formatErr(rec, start, "truncated packet record (need %d bytes, have %d)", caplen, got)
		}
		return r.ioErr(err)
	}
	// pcap timestamps are unsigned 32-bit seconds. A fraction at or above
	// one second (invalid, but written by some tools) carries into the
	// seconds, as time.Unix does.
	nsec := int64(frac)
	if !s.nano {
		nsec *= 1000
	}
	*p = Packet{
		Time:     unixTime(int64(sec), nsec),
		LinkType: s.linkType,
		Data:     data,
		OrigLen:  int(origlen),
		Offset:   start,
	}
	stripFCS(p, s.fcs)
	return nil
}

// checkCaplen refuses a captured length no real record has: more than
// maxRecord, or more than both the snapshot length and lenientSnaplen.
func (r *Reader) checkCaplen(rec, start int64, caplen, snaplen uint32) error {
	if caplen > maxRecord {
		return r.formatErr(rec, start, "record length %d exceeds the %d MiB limit", caplen, maxRecord>>20)
	}
	if caplen > lenientSnaplen && snaplen != 0 && caplen > snaplen {
		return r.formatErr(rec, start, "record length %d exceeds the snapshot length %d", caplen, snaplen)
	}
	return nil
}

// stripFCS removes fcs trailing FCS bytes from the packet. The FCS is the
// last fcs bytes of the frame on the wire, so a packet cut short by the
// snapshot length holds only part of it, or none.
func stripFCS(p *Packet, fcs int) {
	if fcs == 0 {
		return
	}
	wire := p.OrigLen - fcs
	if wire < 0 {
		wire = 0
	}
	if len(p.Data) > wire {
		p.Data = p.Data[:wire]
	}
	p.OrigLen = wire
}

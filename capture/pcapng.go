package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"

	"tcpflow-fsm/fsm"
)

// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each
// type(4) total-length(4) body total-length(4), in the byte order of the
// section header block that opens their section.
const (
	blockSHB       = 0x0a0d0d0a // section header; the same in both byte orders
	blockIDB       = 1          // interface description
	blockPB        = 2          // packet (obsolete)
	blockSPB       = 3          // simple packet
	blockEPB       = 6          // enhanced packet
	byteOrderMagic = 0x1a2b3c4d

	// Minimum total lengths: the 12 bytes of framing plus the fixed fields.
	minBlock    = 12
	minSHB      = 28
	minIDB      = 20
	minEPB      = 32
	minPB       = 32
	minSPB      = 16
	maxBlockLen = maxRecord + 1<<20 // a maximal record and room for options

	optEndOfOpt  = 0
	optIfTsresol = 9
	optIfFcslen  = 13
	optIfTsoffst = 14
	optEpbFlags  = 2 // also pack_flags in the obsolete packet block

	defaultTsUnits = 1000000 // if_tsresol absent: microseconds
)

// ngInterface is what we keep of an interface description block.
type ngInterface struct {
	linkType uint16
	snaplen  uint32
	units    uint64 // timestamp units per second
	offset   int64  // if_tsoffset, seconds added to every timestamp
	fcs      int    // if_fcslen, bytes
}

type ngState struct {
	order    binary.ByteOrder
	ifaces   []ngInterface // of the current section
	lastTime fsm.Time      // of the last packet, for simple packet blocks
}

// openPcapng reads the first section header block.
func (r *Reader) openPcapng() error {
	r.ng.lastTime = fsm.MinTime // no packet before the first
	err := r.nextPcapng(nil)
	if err == io.EOF {
		return r.formatErr(0, 0, "truncated file header (need at least %d bytes, have %d)", minSHB, r.off)
	}
	return err
}

// nextPcapng reads blocks until it has read a packet into p. With p nil it
// reads exactly one block, which must be a section header block.
func (r *Reader) nextPcapng(p *Packet) error {
	s := &r.ng
	for {
		start, rec := r.off, r.record+1
		if p == nil {
			rec = 0 // the file header: no record yet
		}
		h := r.hdr[:8]
		n, err := r.readHeader(h)
		if err != nil {
			if err == io.EOF {
				return io.EOF
			}
			if short(err) {
				return r.formatErr(rec, start, "truncated block header (need 8 bytes, have %d)", n)
			}
			return r.ioErr(err)
		}
		if binary.BigEndian.Uint32(h) == blockSHB {
			if err := r.readSHB(rec, start); err != nil {
				return err
			}
			if p == nil {
				return nil
			}
			continue
		}
		if p == nil || s.order == nil {
			return r.formatErr(rec, start, "pcapng file does not start with a section header block")
		}
		btype := s.order.Uint32(h)
		total := s.order.Uint32(h[4:])
		if err := r.checkBlockLen(rec, start, btype, total); err != nil {
			return err
		}
		switch btype {
		case blockIDB, blockEPB, blockPB, blockSPB:
		default:
			// Statistics, name resolution, secrets, custom and unknown
			// blocks: skip, but still check the trailing length.
			body := int(total) - minBlock
			if d, err := r.skip(body); err != nil {
				if short(err) {
					return r.formatErr(rec, start, "truncated block of type 0x%x (need %d bytes, have %d)", btype, total, 8+d)
				}
				return r.ioErr(err)
			}
			if err := r.checkTrailer(rec, start, total, nil); err != nil {
				return err
			}
			continue
		}
		b, got, err := r.readBody(int(total) - 8)
		if err != nil {
			if short(err) {
				return r.formatErr(rec, start, "truncated %s (need %d bytes, have %d)", blockName(btype), total, 8+got)
			}
			return r.ioErr(err)
		}
		if err := r.checkTrailer(rec, start, total, b[len(b)-4:]); err != nil {
			return err
		}
		body := b[:len(b)-4]
		if btype == blockIDB {
			if err := r.readIDB(rec, start, body); err != nil {
				return err
			}
			continue
		}
		if err := r.readPacketBlock(rec, start, btype, body, p); err != nil {
			return err
		}
		return nil
	}
}

func blockName(t uint32) string {
	switch t {
	case blockSHB:
		return "section header block"
	case blockIDB:
		return "interface description block"
	case blockPB:
		return "packet block"
	case blockSPB:
		return "simple packet block"
	case blockEPB:
		return "enhanced packet block"
	}
	return "block"
}

// checkBlockLen checks a block's total length before we trust it to read.
func (r *Reader) checkBlockLen(rec, start int64, btype, total uint32) error {
	minLen := uint32(minBlock)
	switch btype {
	case blockSHB:
		minLen = minSHB
	case blockIDB:
		minLen = minIDB
	case blockEPB:
		minLen = minEPB
	case blockPB:
		minLen = minPB
	case blockSPB:
		minLen = minSPB
	}
	switch {
	case total%4 != 0:
		return r.formatErr(rec, start, "%s length %d is not a multiple of 4", blockName(btype), total)
	case total < minLen:
		return r.formatErr(rec, start, "%s length %d is below the minimum %d", blockName(btype), total, minLen)
	case total > maxBlockLen:
		return r.formatErr(rec, start, "%s length %d exceeds the %d MiB limit", blockName(btype), total, maxBlockLen>>20)
	}
	return nil
}

// checkTrailer compares the trailing copy of the block length with the
// leading one. With trailer nil it reads the trailer itself.
func (r *Reader) checkTrailer(rec, start int64, total uint32, trailer []byte) error {
	if trailer == nil {
		t := r.hdr[8:12]
		n, err := r.readHeader(t)
		if err != nil {
			if short(err) {
				return r.formatErr(rec, start, "truncated block (need %d bytes, have %d)", total, int(total)-4+n)
			}
			return r.ioErr(err)
		}
		trailer = t
	}
	if t := r.ng.order.Uint32(trailer); t != total {
		return r.formatErr(rec, start, "block length %d does not match its trailing copy %d", total, t)
	}
	return nil
}

// readSHB reads a section header block whose first 8 bytes are in r.hdr.
// It sets the byte order and starts a new section: interface ids restart.
func (r *Reader) readSHB(rec, start int64) error {
	bom := r.hdr[8:12]
	n, err := r.readHeader(bom)
	if err != nil {
		if short(err) {
			return r.formatErr(rec, start, "truncated section header block (need %d bytes, have %d)", minSHB, 8+n)
		}
		return r.ioErr(err)
	}
	var order binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(bom) == byteOrderMagic:
		order = binary.LittleEndian
	case binary.BigEndian.Uint32(bom) == byteOrderMagic:
		order = binary.BigEndian
	default:
		return r.formatErr(rec, start, "section header block has a bad byte-order magic 0x%08x", binary.BigEndian.Uint32(bom))
	}
	total := order.Uint32(r.hdr[4:8])
	if err := r.checkBlockLen(rec, start, blockSHB, total); err != nil {
		return err
	}
	b, got, err := r.readBody(int(total) - 12)
	if err != nil {
		if short(err) {
			return r.formatErr(rec, start, "truncated section header block (need %d bytes, have %d)", total, 12+got)
		}
		return r.ioErr(err)
	}
	r.ng.order = order
	if err := r.checkTrailer(rec, start, total, b[len(b)-4:]); err != nil {
		return err
	}
	body := b[:len(b)-4]
	// Version 1.0, and 1.2 which some writers used for the same format
	// (libpcap accepts both); the specification changes the major version
	// for incompatible formats and libpcap and Wireshark refuse 1.1.
	major, minor := order.Uint16(body), order.Uint16(body[2:])
	if major != 1 || (minor != 0 && minor != 2) {
		return r.formatErr(rec, start, "unsupported pcapng version %d.%d", major, minor)
	}
	// Section length (body[4:12]) is often -1 and never needed. We use no
	// section option, but a damaged option list means a damaged block.
	if msg := walkOptions(order, body[12:], nil); msg != "" {
		return r.formatErr(rec, start, "section header block: %s", msg)
	}
	r.ng.ifaces = r.ng.ifaces[:0]
	return nil
}

// readIDB records an interface description block of the current section.
func (r *Reader) readIDB(rec, start int64, body []byte) error {
	o := r.ng.order
	ifc := ngInterface{
		linkType: o.Uint16(body),
		snaplen:  o.Uint32(body[4:]),
		units:    defaultTsUnits,
	}
	bad := ""
	msg := walkOptions(o, body[8:], func(code uint16, v []byte) {
		switch code {
		case optIfTsresol:
			if len(v) < 1 {
				return
			}
			n := uint(v[0] & 0x7f)
			switch {
			case v[0]&0x80 != 0 && n <= 63:
				ifc.units = 1 << n
			case v[0]&0x80 == 0 && n <= 19:
				ifc.units = 1
				for range n {
					ifc.units *= 10
				}
			default:
				bad = fmt.Sprintf("unsupported if_tsresol 0x%02x", v[0])
			}
		case optIfTsoffst:
			if len(v) >= 8 {
				ifc.offset = int64(o.Uint64(v))
			}
		case optIfFcslen:
			if len(v) >= 1 {
				ifc.fcs = int(v[0])
			}
		}
	})
	if msg == "" {
		msg = bad
	}
	if msg != "" {
		return r.formatErr(rec, start, "interface description block %d: %s", len(r.ng.ifaces), msg)
	}
	r.ng.ifaces = append(r.ng.ifaces, ifc)
	return nil
}

// readPacketBlock fills p from an enhanced, simple or obsolete packet block.
func (r *Reader) readPacketBlock(rec, start int64, btype uint32, body []byte, p *Packet) error {
	s := &r.ng
	o := s.order
	var (
		ifid            uint32
		ts              uint64
		caplen, origlen uint32
		data, opts      []byte
		hasTime         = true
	)
	switch btype {
	case blockEPB, blockPB:
		if btype == blockEPB {
			ifid = o.Uint32(body)
		} else {
			ifid = uint32(o.Uint16(body)) // then a 16-bit drops count
		}
		ts = uint64(o.Uint32(body[4:]))<<32 | uint64(o.Uint32(body[8:]))
		caplen, origlen = o.Uint32(body[12:]), o.Uint32(body[16:])
		room := uint32(len(body) - 20)
		if caplen > room {
			return r.formatErr(rec, start, "%s captured length %d runs past the block (%d bytes of room)", blockName(btype), caplen, room)
		}
		data = body[20 : 20+caplen]
		opts = body[min(20+pad4(caplen), uint32(len(body))):]
		if end, ok := swallows(o, opts, 8+len(body)-len(opts)); ok {
			return r.formatErr(rec, start, "%s length %d swallows the blocks after it (its own trailing length %d is at byte %d)",
				blockName(btype), len(body)+12, end, start+int64(end)-4)
		}
	case blockSPB:
		// RFC draft: "the SPB does not contain the Interface ID field...
		// it MUST be assumed to be 0"; the captured length is the smaller
		// of the original length and the interface's snapshot length.
		origlen = o.Uint32(body)
		caplen = origlen
		hasTime = false
	}
	if int(ifid) >= len(s.ifaces) {
		return r.formatErr(rec, start, "%s names unknown interface id %d (section has %d)", blockName(btype), ifid, len(s.ifaces))
	}
	ifc := &s.ifaces[ifid]
	if btype == blockSPB {
		if ifc.snaplen != 0 && caplen > ifc.snaplen {
			caplen = ifc.snaplen
		}
		if room := uint32(len(body) - 4); caplen > room {
			caplen = room
		}
		data = body[4 : 4+caplen]
	}
	if err := r.checkCaplen(rec, start, caplen, ifc.snaplen); err != nil {
		return err
	}
	*p = Packet{
		LinkType:  ifc.linkType,
		Data:      data,
		OrigLen:   int(origlen),
		Offset:    start,
		Interface: int(ifid),
	}
	// A simple packet block has no timestamp: it gets the time of the
	// packet before it (fsm.MinTime if it is the first), so that times
	// never run backwards for a flow table.
	if hasTime {
		p.Time = ifc.time(ts)
		s.lastTime = p.Time
	} else {
		p.Time = s.lastTime
	}
	if len(opts) > 0 {
		// The packet is intact even when its options are not: options that
		// run past the block are ignored, not fatal.
		walkOptions(o, opts, func(code uint16, v []byte) {
			if code == optEpbFlags && len(v) >= 4 {
				switch o.Uint32(v) & 3 {
				case 1:
					p.Outbound = -1
				case 2:
					p.Outbound = 1
				}
			}
		})
	}
	stripFCS(p, ifc.fcs)
	return nil
}

// time converts a pcapng timestamp, a count of units since the epoch, and
// adds the interface's if_tsoffset. Both are 64 bits of anything: a sum
// beyond 1700-2200 (a stamp of 2^63 units or more, an offset that would
// overflow) saturates one second past the nearer end, never wrapping, so
// that the Decoder clamps it and counts the note timestamp_out_of_range.
func (ifc *ngInterface) time(ts uint64) fsm.Time {
	u := ifc.units
	sec, frac := ts/u, ts%u
	var ns uint64
	switch u {
	case 1000000000:
		ns = frac
	case 1000000:
		ns = frac * 1000
	default:
		// frac < u, so frac*1e9 / u fits and Div64 cannot panic.
		hi, lo := bits.Mul64(frac, 1000000000)
		ns, _ = bits.Div64(hi, lo, u)
	}
	s, in := addSeconds(sec, ifc.offset)
	if !in {
		ns = 0
	}
	return unixTime(s, int64(ns))
}

// The seconds a pcapng time saturates to: one past each end of the times
// the Decoder passes unchanged.
const (
	ngTooEarly = minTime - 1
	ngTooLate  = maxTime + 1
)

// addSeconds returns sec+off, exactly when it lies within 1700-2200 (in
// true), or else ngTooEarly or ngTooLate, whichever side it lies on.
func addSeconds(sec uint64, off int64) (s int64, in bool) {
	var sum int64
	switch {
	case off >= 0:
		if sec > ngTooLate || uint64(off) > ngTooLate-sec {
			return ngTooLate, false
		}
		sum = int64(sec) + off
	case sec > math.MaxInt64:
		// sec >= 2^63 and off >= -2^63: the sum lies in [0, 2^64), which
		// uint64 arithmetic gives exactly.
		u := sec + uint64(off)
		if u > ngTooLate {
			return ngTooLate, false
		}
		sum = int64(u)
	default:
		sum = int64(sec) + off // of opposite signs: cannot overflow
	}
	switch {
	case sum < minTime:
		return ngTooEarly, false
	case sum > maxTime:
		return ngTooLate, false
	}
	return sum, true
}

// swallows reports whether the options of a packet block, at byte at of
// the block, are instead the block's end and whole blocks after it: a
// leading length that lies by the length of the blocks that followed, with
// the trailing copy of the last made to agree. It looks for a word equal
// to the length of the block up to and including it (the block's own
// trailing copy), followed by block headers whose lengths chain exactly to
// the end. It returns that length. Options never look like this: a chain
// of lengths that ends exactly where the block does is not chance.
func swallows(o binary.ByteOrder, opts []byte, at int) (int, bool) {
	for i := 0; i+4+minBlock-4 <= len(opts); i += 4 {
		own := at + i + 4
		if int(o.Uint32(opts[i:])) != own {
			continue
		}
		// The blocks after it; the last one's trailing copy is the
		// packet block's own, past the end of opts.
		pos := i + 4
		for pos+8 <= len(opts) {
			n := int(o.Uint32(opts[pos+4:]))
			if n < minBlock || n%4 != 0 || n > len(opts)+4-pos {
				break
			}
			pos += n
		}
		if pos == len(opts)+4 {
			return own, true
		}
	}
	return 0, false
}

// walkOptions walks a pcapng option list, calling fn (if not nil) for each
// option before opt_endofopt. It returns "" or what is wrong with the list.
func walkOptions(o binary.ByteOrder, b []byte, fn func(code uint16, v []byte)) string {
	for len(b) > 0 {
		if len(b) < 4 {
			return "truncated option header"
		}
		code, n := o.Uint16(b), uint32(o.Uint16(b[2:]))
		if code == optEndOfOpt {
			return ""
		}
		b = b[4:]
		if n > uint32(len(b)) {
			return fmt.Sprintf("option %d of length %d runs past the end of the block", code, n)
		}
		if fn != nil {
			fn(code, b[:n])
		}
		b = b[min(pad4(n), uint32(len(b))):]
	}
	return ""
}

// pad4 rounds n up to a multiple of 4.
func pad4(n uint32) uint32 { return (n + 3) &^ 3 }

package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"tcpflow-fsm/fsm"
)

// readAll reads every packet, copying the data, and returns the error that
// ended the reading (io.EOF at a clean end).
func readAll(t *testing.T, r *Reader) ([]Packet, error) {
	t.Helper()
	var out []Packet
	for {
		var p Packet
		err := r.Next(&p)
		if err != nil {
			return out, err
		}
		p.Data = append([]byte(nil), p.Data...)
		out = append(out, p)
	}
}

// mustRead reads a whole file that must be intact.
func mustRead(t *testing.T, b []byte) []Packet {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), "test")
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	ps, err := readAll(t, r)
	if err != io.EOF {
		t.Fatalf("read: %v, want io.EOF after %d packets", err, len(ps))
	}
	return ps
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestPcapMagicsAndByteOrders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		order  endian
		nano   bool
		format Format
	}{
		{"micro-le", binary.LittleEndian, false, FormatPcap},
		{"micro-be", binary.BigEndian, false, FormatPcap},
		{"nano-le", binary.LittleEndian, true, FormatPcapNano},
		{"nano-be", binary.BigEndian, true, FormatPcapNano},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPcap(tc.order, tc.nano, 65535, LinkTypeEthernet)
			frac := uint32(123456)
			wantNs := 123456000
			if tc.nano {
				frac, wantNs = 123456789, 123456789
			}
			offs := []int64{
				f.record(1700000000, frac, seq(60), 60),
				f.record(1700000001, 0, seq(100), 1514), // cut by the snapshot length
				f.record(4000000000, 0, nil, 0),         // zero-length record; seconds past 2^31
			}
			r, err := NewReader(bytes.NewReader(f.Bytes()), "t.pcap")
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tc.format {
				t.Errorf("Format() = %v, want %v", r.Format(), tc.format)
			}
			ps, err := readAll(t, r)
			if err != io.EOF || len(ps) != 3 {
				t.Fatalf("got %d packets, err %v; want 3, io.EOF", len(ps), err)
			}
			want := []Packet{
				{Time: unix(1700000000, int64(wantNs)), LinkType: 1, Data: seq(60), OrigLen: 60, Record: 1, Offset: offs[0]},
				{Time: unix(1700000001, 0), LinkType: 1, Data: seq(100), OrigLen: 1514, Record: 2, Offset: offs[1]},
				{Time: unix(4000000000, 0), LinkType: 1, Data: []byte{}, OrigLen: 0, Record: 3, Offset: offs[2]},
			}
			for i := range want {
				comparePacket(t, ps[i], want[i])
			}
			if offs[0] != 24 || offs[1] != 24+16+60 {
				t.Errorf("offsets %v: the builder is wrong", offs)
			}
		})
	}
}

func comparePacket(t *testing.T, got, want Packet) {
	t.Helper()
	if got.Time != want.Time || got.LinkType != want.LinkType || !bytes.Equal(got.Data, want.Data) ||
		got.OrigLen != want.OrigLen || got.Record != want.Record || got.Offset != want.Offset ||
		got.Interface != want.Interface || got.Outbound != want.Outbound {
		t.Errorf("packet %d:\n got  %+v\n want %+v", want.Record, brief(got), brief(want))
	}
}

type briefPacket struct {
	Time           string
	LinkType       uint16
	Len, OrigLen   int
	Record, Offset int64
	Interface      int
	Outbound       int8
}

func brief(p Packet) briefPacket {
	return briefPacket{p.Time.Time().Format(time.RFC3339Nano), p.LinkType, len(p.Data), p.OrigLen, p.Record, p.Offset, p.Interface, p.Outbound}
}

func TestPcapLinkTypeField(t *testing.T) {
	for _, tc := range []struct {
		name     string
		field    uint32
		data     int // captured
		orig     int
		wantLT   uint16
		wantData int
		wantOrig int
	}{
		// Reserved bits and an FCS length without the P bit: ignored.
		{"reserved-bits", 0x30000001, 64, 64, 1, 64, 64},
		{"sll2-reserved-bits", 0x00300114, 64, 64, 276, 64, 64},
		// P set, FCS length 2 words: 4 bytes of FCS end each frame.
		{"fcs-4", 0x24000001, 64, 64, 1, 60, 60},
		// The snapshot length cut the frame before its FCS: nothing to strip.
		{"fcs-4-cut-before", 0x24000001, 40, 64, 1, 40, 60},
		// Cut inside the FCS: strip the part that was captured.
		{"fcs-4-cut-inside", 0x24000001, 62, 64, 1, 60, 60},
		// P set with a 32-bit FCS length of 0: nothing.
		{"p-bit-zero-len", 0x04000001, 64, 64, 1, 64, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPcap(binary.LittleEndian, false, 65535, tc.field)
			f.record(1, 0, seq(tc.data), tc.orig)
			ps := mustRead(t, f.Bytes())
			p := ps[0]
			if p.LinkType != tc.wantLT || len(p.Data) != tc.wantData || p.OrigLen != tc.wantOrig {
				t.Errorf("link type %d, %d bytes, orig %d; want %d, %d, %d", p.LinkType, len(p.Data), p.OrigLen, tc.wantLT, tc.wantData, tc.wantOrig)
			}
			if !bytes.Equal(p.Data, seq(tc.data)[:tc.wantData]) {
				t.Errorf("data not the frame's leading bytes")
			}
		})
	}
}

// wantFormatError checks that err is a *FormatError at the given record and
// offset whose message contains msg.
func wantFormatError(t *testing.T, err error, record, offset int64, msg string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *FormatError", err, err)
	}
	if fe.Record != record || fe.Offset != offset || !strings.Contains(fe.Msg, msg) {
		t.Errorf("error %q: record %d offset %d; want record %d offset %d and %q", err, fe.Record, fe.Offset, record, offset, msg)
	}
}

func TestPcapDamaged(t *testing.T) {
	good := func() *pcapFile {
		f := newPcap(binary.LittleEndian, false, 65535, 1)
		f.record(1, 0, seq(60), 60)
		f.record(2, 0, seq(70), 70)
		return f
	}
	const rec3 = 24 + 16 + 60 + 16 + 70 // offset of the third record
	for _, tc := range []struct {
		name    string
		file    func() []byte
		open    bool // the error comes from NewReader
		packets int
		record  int64
		offset  int64
		msg     string
	}{
		{"empty", func() []byte { return nil }, true, 0, 0, 0, "truncated file header (need at least 4 bytes, have 0)"},
		{"truncated-file-header", func() []byte { return good().Bytes()[:20] }, true, 0, 0, 0, "truncated file header (need 24 bytes, have 20)"},
		{"bad-magic", func() []byte { b := good().Bytes(); b[0] = 0; return b }, true, 0, 0, 0, "not a pcap or pcapng file (magic 0x00c3b2a1)"},
		{"version-1", func() []byte { b := good().Bytes(); b[4] = 1; return b }, true, 0, 0, 0, "unsupported pcap version 1.4"},
		{"truncated-record-header", func() []byte {
			f := good()
			f.Write(make([]byte, 7))
			return f.Bytes()
		}, false, 2, 3, rec3, "truncated record header (need 16 bytes, have 7)"},
		{"truncated-record-data", func() []byte {
			f := good()
			f.record(3, 0, seq(1514), 1514)
			return f.Bytes()[:rec3+16+300]
		}, false, 2, 3, rec3, "truncated packet record (need 1514 bytes, have 300)"},
		{"oversized-record", func() []byte {
			f := good()
			f.u32(3)
			f.u32(0)
			f.u32(300 << 20)
			f.u32(300 << 20)
			f.Write(seq(100))
			return f.Bytes()
		}, false, 2, 3, rec3, "record length 314572800 exceeds the 256 MiB limit"},
		{"caplen-over-snaplen", func() []byte {
			f := good()
			f.u32(3)
			f.u32(0)
			f.u32(4 << 20)
			f.u32(4 << 20)
			return f.Bytes()
		}, false, 2, 3, rec3, "record length 4194304 exceeds the snapshot length 65535"},
		{"lying-length-short-file", func() []byte {
			// A record claiming 200 MiB in a file of a few bytes: an error,
			// not an allocation of 200 MiB.
			f := newPcap(binary.BigEndian, false, 0, 1)
			f.u32(1)
			f.u32(0)
			f.u32(200 << 20)
			f.u32(200 << 20)
			f.Write(seq(10))
			return f.Bytes()
		}, false, 0, 1, 24, "truncated packet record (need 209715200 bytes, have 10)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.file()), "capture.pcap")
			if tc.open {
				if r != nil {
					t.Errorf("NewReader returned a reader with error %v", err)
				}
				wantFormatError(t, err, tc.record, tc.offset, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ps, err := readAll(t, r)
			if len(ps) != tc.packets {
				t.Errorf("%d packets before the error, want %d", len(ps), tc.packets)
			}
			wantFormatError(t, err, tc.record, tc.offset, tc.msg)
			var p Packet
			if again := r.Next(&p); again != err {
				t.Errorf("second Next: %v, want the same error", again)
			}
		})
	}
}

func TestPcapCaplenOverSnaplenLenient(t *testing.T) {
	// zeek's trunc-hdr.pcap declares a snapshot length of 1 and holds a
	// longer record; libpcap reads such records, and so do we.
	f := newPcap(binary.LittleEndian, false, 1, 1)
	f.record(1, 0, seq(14), 14)
	f.record(1, 0, seq(262144), 262144) // also exercises buffer growth
	ps := mustRead(t, f.Bytes())
	if len(ps) != 2 || len(ps[1].Data) != 262144 || !bytes.Equal(ps[1].Data, seq(262144)) {
		t.Fatalf("got %d packets", len(ps))
	}
}

func TestFormatErrorText(t *testing.T) {
	e := &FormatError{File: "capture.pcap", Record: 17, Offset: 4096, Msg: "truncated packet record (need 1514 bytes, have 300)"}
	if got, want := e.Error(), "capture.pcap: record 17 at byte 4096: truncated packet record (need 1514 bytes, have 300)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	e = &FormatError{File: "x.pcapng", Offset: 0, Msg: "unsupported pcapng version 1.1"}
	if got, want := e.Error(), "x.pcapng: at byte 0: unsupported pcapng version 1.1"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRecordTruncatedError(t *testing.T) {
	// The exact text, end to end.
	f := newPcap(binary.LittleEndian, false, 65535, 1)
	for i := range 16 {
		f.record(uint32(i), 0, seq(60), 60)
	}
	off := f.record(16, 0, seq(1514), 1514)
	b := f.Bytes()[:off+16+300]
	r, err := NewReader(bytes.NewReader(b), "capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := readAll(t, r)
	want := "capture.pcap: record 17 at byte 1240: truncated packet record (need 1514 bytes, have 300)"
	if len(ps) != 16 || err == nil || err.Error() != want {
		t.Errorf("%d packets, error %q; want 16, %q", len(ps), err, want)
	}
}

// ngFiles returns a builder for each byte order.
func ngOrders() map[string]endian {
	return map[string]endian{"le": binary.LittleEndian, "be": binary.BigEndian}
}

func TestPcapngInterfaces(t *testing.T) {
	for name, o := range ngOrders() {
		t.Run(name, func(t *testing.T) {
			f := &ngFile{order: o}
			f.shb(ngOpt(o, 4, []byte("test writer")), endOpts())
			// Interface 0: Ethernet, nanoseconds.
			f.idb(LinkTypeEthernet, 65535, ngOpt(o, optIfTsresol, []byte{9}), endOpts())
			// Interface 1: SLL2, 2^-10 s units, 100 s offset.
			f.idb(LinkTypeLinuxSLL2, 262144,
				ngOpt(o, optIfTsresol, []byte{0x80 | 10}),
				ngOpt(o, optIfTsoffst, o.AppendUint64(nil, 100)),
				endOpts())
			f.block(5, make([]byte, 16)) // interface statistics: skipped
			o1 := f.epb(0, 1700000000_123456789, seq(60), 60,
				ngOpt(o, optEpbFlags, o.AppendUint32(nil, 2)), endOpts()) // outbound
			o2 := f.epb(1, 1024*1700000000+512, seq(80), 1500,
				ngOpt(o, optEpbFlags, o.AppendUint32(nil, 1)), endOpts()) // inbound
			f.block(0x0bad, make([]byte, 8)) // custom block: skipped
			f.block(4, make([]byte, 4))      // name resolution: skipped
			o3 := f.epb(0, 1700000001_000000000, nil, 0)
			ps := mustRead(t, f.Bytes())
			want := []Packet{
				{Time: unix(1700000000, 123456789), LinkType: 1, Data: seq(60), OrigLen: 60, Record: 1, Offset: o1, Outbound: 1},
				{Time: unix(1700000100, 500000000), LinkType: 276, Data: seq(80), OrigLen: 1500, Record: 2, Offset: o2, Interface: 1, Outbound: -1},
				{Time: unix(1700000001, 0), LinkType: 1, Data: []byte{}, OrigLen: 0, Record: 3, Offset: o3},
			}
			if len(ps) != len(want) {
				t.Fatalf("got %d packets, want %d", len(ps), len(want))
			}
			for i := range want {
				comparePacket(t, ps[i], want[i])
			}
		})
	}
}

func TestPcapngTsresol(t *testing.T) {
	o := binary.LittleEndian
	for _, tc := range []struct {
		resol byte
		ts    uint64
		want  fsm.Time
	}{
		{0, 1700000000, unix(1700000000, 0)},
		{3, 1700000000_250, unix(1700000000, 250000000)},
		{6, 1700000000_000001, unix(1700000000, 1000)},
		{12, 1700000_000000000123, unix(1700000, 0)}, // picoseconds, below ns: truncated
		{0x80, 7, unix(7, 0)},                        // 2^-0: whole seconds
		{0x80 | 20, 3<<20 | 1<<19, unix(3, 500000000)},
		{0x80 | 30, 1<<30 + 1, unix(1, 0)}, // 0.93 ns
	} {
		f := &ngFile{order: o}
		f.shb()
		f.idb(1, 0, ngOpt(o, optIfTsresol, []byte{tc.resol}), endOpts())
		f.epb(0, tc.ts, seq(14), 14)
		ps := mustRead(t, f.Bytes())
		if ps[0].Time != tc.want {
			t.Errorf("if_tsresol 0x%02x ts %d: got %v, want %v", tc.resol, tc.ts, ps[0].Time, tc.want)
		}
	}
}

// Issue 15: a pcapng stamp is 64 bits of any unit and if_tsoffset 64 bits
// of seconds; a sum outside 1700-2200 saturates past the nearer end, never
// wrapping (2^64-1 whole seconds once read as 1969, an overflowing offset
// as 1700 instead of 2200), so that the Decoder clamps it and counts the
// note timestamp_out_of_range. A sum that comes back in range is exact.
func TestPcapngTimestampSaturates(t *testing.T) {
	o := binary.LittleEndian
	tsoffset := func(v int64) []byte { return ngOpt(o, optIfTsoffst, o.AppendUint64(nil, uint64(v))) }
	seconds := ngOpt(o, optIfTsresol, []byte{0}) // 10^0: whole seconds
	late, early := fsm.TimeOf(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)), fsm.TimeOf(time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name  string
		opts  [][]byte
		ts    uint64
		want  fsm.Time // what the Decoder gives the segment
		noted bool
	}{
		{"2^63 seconds", [][]byte{seconds}, 1 << 63, late, true},
		{"2^64-1 seconds", [][]byte{seconds}, ^uint64(0), late, true},
		{"2^64-1 microseconds", nil, ^uint64(0), late, true}, // 2554: in int64, already past 2200
		{"2^63 nanoseconds", [][]byte{ngOpt(o, optIfTsresol, []byte{9})}, 1 << 63, late, true},
		{"offset overflows", [][]byte{seconds, tsoffset(math.MaxInt64)}, 7000000000, late, true},
		{"offset overflows below", [][]byte{seconds, tsoffset(math.MinInt64)}, 1000, early, true},
		{"huge stamp, huge negative offset", [][]byte{seconds, tsoffset(math.MinInt64 + 1700000000)}, 1 << 63, unix(1700000000, 0), false},
		{"huge stamp, offset not enough", [][]byte{seconds, tsoffset(-1000000000)}, ^uint64(0), late, true},
		{"in range with an offset", [][]byte{tsoffset(-100)}, 1700000000_000007, unix(1699999900, 7000), false},
		{"last second of 2199", [][]byte{seconds}, 7258118399, late.Add(-time.Second), false},
		{"2200 exactly", [][]byte{seconds}, 7258118400, late, false},
	} {
		f := &ngFile{order: o}
		f.shb()
		f.idb(LinkTypeRaw, 0, append(tc.opts, endOpts())...)
		f.epb(0, tc.ts, ipv4TCP(t, syn(), nil), 40)
		ps := mustRead(t, f.Bytes())
		d := NewDecoder()
		var s fsm.Segment
		if !d.Decode(&ps[0], &s) {
			t.Fatalf("%s: not decoded", tc.name)
		}
		if s.Time != tc.want {
			t.Errorf("%s: segment time %v (read as %v), want %v", tc.name, s.Time, ps[0].Time, tc.want)
		}
		if got := d.Stats().Reasons[ReasonTimeOutOfRange]; (got == 1) != tc.noted || got > 1 {
			t.Errorf("%s: timestamp_out_of_range counted %d times, want noted %v", tc.name, got, tc.noted)
		}
	}
}

func TestPcapngSectionsSPBAndPB(t *testing.T) {
	var b bytes.Buffer
	// Section 1, little-endian: Ethernet interface 0, microseconds.
	s1 := &ngFile{order: binary.LittleEndian}
	s1.shb()
	s1.idb(LinkTypeEthernet, 64)
	// A simple packet block before any timed packet: fsm.MinTime. Its
	// captured length is the snapshot length, 64 of the 100 on the wire.
	o1 := s1.spb(seq(64), 100)
	o2 := s1.epb(0, 1700000000_000001, seq(60), 60)
	o3 := s1.spb(seq(40), 40) // the previous packet's time
	b.Write(s1.Bytes())
	// Section 2, big-endian: interface ids restart; interface 0 is raw IP.
	s2 := &ngFile{order: binary.BigEndian}
	s2.shb()
	s2.idb(LinkTypeRaw, 0, ngOpt(binary.BigEndian, optIfTsresol, []byte{3}), endOpts())
	s2.idb(LinkTypeLinuxSLL, 0)
	o4 := s2.pb(1, 1700000002_500000, seq(30), 30, ngOpt(binary.BigEndian, optEpbFlags, binary.BigEndian.AppendUint32(nil, 2)), endOpts())
	o5 := s2.epb(0, 1700000003_000, seq(20), 20)
	base := int64(s1.Len())
	b.Write(s2.Bytes())

	ps := mustRead(t, b.Bytes())
	want := []Packet{
		{Time: fsm.MinTime, LinkType: 1, Data: seq(64), OrigLen: 100, Record: 1, Offset: o1},
		{Time: unix(1700000000, 1000), LinkType: 1, Data: seq(60), OrigLen: 60, Record: 2, Offset: o2},
		{Time: unix(1700000000, 1000), LinkType: 1, Data: seq(40), OrigLen: 40, Record: 3, Offset: o3},
		{Time: unix(1700000002, 500000000), LinkType: 113, Data: seq(30), OrigLen: 30, Record: 4, Offset: base + o4, Interface: 1, Outbound: 1},
		{Time: unix(1700000003, 0), LinkType: 101, Data: seq(20), OrigLen: 20, Record: 5, Offset: base + o5},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d packets, want %d", len(ps), len(want))
	}
	for i := range want {
		comparePacket(t, ps[i], want[i])
	}
}

func TestPcapngFCSLen(t *testing.T) {
	o := binary.LittleEndian
	f := &ngFile{order: o}
	f.shb()
	f.idb(1, 0, ngOpt(o, optIfFcslen, []byte{4}), endOpts())
	f.epb(0, 0, seq(64), 64)
	ps := mustRead(t, f.Bytes())
	if len(ps[0].Data) != 60 || ps[0].OrigLen != 60 {
		t.Errorf("got %d bytes orig %d, want 60 60", len(ps[0].Data), ps[0].OrigLen)
	}
}

func TestPcapngDamaged(t *testing.T) {
	o := binary.LittleEndian
	// prefix: an SHB, an IDB and two packets; returns the builder and the
	// offset where the next block goes.
	prefix := func() *ngFile {
		f := &ngFile{order: o}
		f.shb()
		f.idb(1, 65535)
		f.epb(0, 1, seq(60), 60)
		f.epb(0, 2, seq(60), 60)
		return f
	}
	next := int64(prefix().Len())
	raw := func(f *ngFile, words ...uint32) []byte {
		for _, w := range words {
			f.Write(o.AppendUint32(nil, w))
		}
		return f.Bytes()
	}
	for _, tc := range []struct {
		name    string
		file    func() []byte
		open    bool
		packets int
		record  int64
		offset  int64
		msg     string
	}{
		{"bad-byte-order-magic", func() []byte {
			b := prefix().Bytes()
			b[8] = 0
			return b
		}, true, 0, 0, 0, "bad byte-order magic"},
		{"shb-version-1.1", func() []byte {
			b := prefix().Bytes()
			b[14] = 1
			return b
		}, true, 0, 0, 0, "unsupported pcapng version 1.1"},
		{"shb-option-too-long", func() []byte {
			f := &ngFile{order: o}
			f.shb(o.AppendUint16(o.AppendUint16(nil, 1), 200), make([]byte, 8))
			return f.Bytes()
		}, true, 0, 0, 0, "section header block: option 1 of length 200 runs past the end of the block"},
		{"truncated-shb", func() []byte { return prefix().Bytes()[:20] }, true, 0, 0, 0, "truncated section header block (need 28 bytes, have 20)"},
		{"trailer-mismatch", func() []byte {
			f := prefix()
			f.epb(0, 3, seq(60), 60)
			b := f.Bytes()
			binary.LittleEndian.PutUint32(b[len(b)-4:], 12345)
			return b
		}, false, 2, 3, next, "block length 92 does not match its trailing copy 12345"},
		{"lying-length-longer", func() []byte {
			// The leading length claims 8 more bytes: the trailer is read
			// from the next block's first word.
			f := prefix()
			f.epb(0, 3, seq(60), 60)
			f.epb(0, 4, seq(60), 60)
			b := f.Bytes()
			binary.LittleEndian.PutUint32(b[next+4:], 100)
			return b
		}, false, 2, 3, next, "block length 100 does not match its trailing copy"},
		// Issue 15: the leading length swallows the next block, and that
		// block's trailing copy agrees: the packet it held was lost
		// without a word.
		{"length-swallows-next-block", func() []byte {
			f := prefix()
			f.epb(0, 3, seq(60), 60)
			f.epb(0, 4, seq(60), 60)
			b := f.Bytes()
			o.PutUint32(b[next+4:], 184)
			o.PutUint32(b[len(b)-4:], 184)
			return b
		}, false, 2, 3, next, "enhanced packet block length 184 swallows the blocks after it (its own trailing length 92 is at byte " + strconv.Itoa(int(next)+88) + ")"},
		{"length-swallows-two-blocks-after-options", func() []byte {
			f := prefix()
			f.epb(0, 3, seq(60), 60, ngOpt(o, optEpbFlags, o.AppendUint32(nil, 1)), endOpts())
			f.block(5, make([]byte, 20))
			f.epb(0, 4, seq(61), 61)
			b := f.Bytes()
			o.PutUint32(b[next+4:], uint32(len(b))-uint32(next))
			o.PutUint32(b[len(b)-4:], uint32(len(b))-uint32(next))
			return b
		}, false, 2, 3, next, "enhanced packet block length 232 swallows the blocks after it (its own trailing length 104 is at byte"},
		{"length-not-multiple-of-4", func() []byte { return raw(prefix(), blockEPB, 93) }, false, 2, 3, next, "enhanced packet block length 93 is not a multiple of 4"},
		{"length-below-minimum", func() []byte { return raw(prefix(), blockEPB, 28, 0, 0, 0, 28) }, false, 2, 3, next, "enhanced packet block length 28 is below the minimum 32"},
		{"length-over-limit", func() []byte { return raw(prefix(), blockEPB, 0xfffffff0) }, false, 2, 3, next, "enhanced packet block length 4294967280 exceeds the 257 MiB limit"},
		{"truncated-block", func() []byte {
			f := prefix()
			f.epb(0, 3, seq(60), 60)
			return f.Bytes()[:next+50]
		}, false, 2, 3, next, "truncated enhanced packet block (need 92 bytes, have 50)"},
		{"truncated-skipped-block", func() []byte {
			f := prefix()
			f.block(5, make([]byte, 40))
			return f.Bytes()[:next+30]
		}, false, 2, 3, next, "truncated block of type 0x5 (need 52 bytes, have 30)"},
		{"truncated-block-header", func() []byte { return append(prefix().Bytes(), 6, 0, 0) }, false, 2, 3, next, "truncated block header (need 8 bytes, have 3)"},
		{"caplen-past-block", func() []byte {
			f := prefix()
			f.epb(0, 3, seq(60), 60)
			b := f.Bytes()
			binary.LittleEndian.PutUint32(b[next+20:], 200)
			return b
		}, false, 2, 3, next, "enhanced packet block captured length 200 runs past the block (60 bytes of room)"},
		{"unknown-interface", func() []byte {
			f := prefix()
			f.epb(1, 3, seq(60), 60)
			return f.Bytes()
		}, false, 2, 3, next, "enhanced packet block names unknown interface id 1 (section has 1)"},
		{"interfaces-restart-in-new-section", func() []byte {
			f := prefix()
			f.shb()
			f.epb(0, 3, seq(60), 60)
			return f.Bytes()
		}, false, 2, 3, next + 28, "names unknown interface id 0 (section has 0)"},
		{"spb-without-interface", func() []byte {
			f := &ngFile{order: o}
			f.shb()
			f.spb(seq(10), 10)
			return f.Bytes()
		}, false, 0, 1, 28, "simple packet block names unknown interface id 0 (section has 0)"},
		{"idb-option-overrun", func() []byte {
			f := prefix()
			f.idb(1, 0, o.AppendUint16(o.AppendUint16(nil, 9), 50))
			return f.Bytes()
		}, false, 2, 3, next, "interface description block 1: option 9 of length 50 runs past the end of the block"},
		{"bad-tsresol", func() []byte {
			f := prefix()
			f.idb(1, 0, ngOpt(o, optIfTsresol, []byte{20}), endOpts())
			return f.Bytes()
		}, false, 2, 3, next, "unsupported if_tsresol 0x14"},
		{"caplen-over-snaplen", func() []byte {
			f := prefix()
			f.epb(0, 3, seq(300000), 300000)
			return f.Bytes()
		}, false, 2, 3, next, "record length 300000 exceeds the snapshot length 65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.file()), "capture.pcapng")
			if tc.open {
				wantFormatError(t, err, tc.record, tc.offset, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ps, err := readAll(t, r)
			if len(ps) != tc.packets {
				t.Errorf("%d packets before the error, want %d", len(ps), tc.packets)
			}
			wantFormatError(t, err, tc.record, tc.offset, tc.msg)
		})
	}
}

func TestPcapngEPBOptionsDamageIsNotFatal(t *testing.T) {
	o := binary.LittleEndian
	f := &ngFile{order: o}
	f.shb()
	f.idb(1, 0)
	// An epb_flags option claiming 40 bytes in a block that has 8 left.
	f.epb(0, 0, seq(60), 60, o.AppendUint16(o.AppendUint16(nil, optEpbFlags), 40), make([]byte, 4))
	ps := mustRead(t, f.Bytes())
	if len(ps) != 1 || ps[0].Outbound != 0 || len(ps[0].Data) != 60 {
		t.Errorf("got %+v", ps)
	}
}

func TestGzip(t *testing.T) {
	f := newPcap(binary.LittleEndian, true, 65535, 1)
	f.record(1, 5, seq(60), 60)
	f.record(2, 6, seq(61), 61)
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(f.Bytes())
	w.Close()
	r, err := NewReader(&z, "x.pcap.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Gzipped() || r.Format() != FormatPcapNano {
		t.Errorf("Gzipped %v Format %v", r.Gzipped(), r.Format())
	}
	ps, err := readAll(t, r)
	if err != io.EOF || len(ps) != 2 || len(ps[1].Data) != 61 || ps[1].Offset != 24+16+60 {
		t.Errorf("got %d packets, %v", len(ps), err)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}

// gzipped compresses each part as a gzip member of its own, one after
// another, as cat a.gz b.gz makes.
func gzipped(parts ...[]byte) []byte {
	var z bytes.Buffer
	for _, p := range parts {
		w := gzip.NewWriter(&z)
		w.Write(p)
		w.Close()
	}
	return z.Bytes()
}

// Issue 15: bytes after the end of a gzip stream were reported as a
// "truncated record header" (or a bad gzip header): they are data after
// the end of the gzip stream, said with where they start in the file,
// after every packet was read. Members one after another are one stream.
func TestGzipDataAfterTheStream(t *testing.T) {
	f := newPcap(binary.LittleEndian, false, 65535, 1)
	f.record(1, 5, seq(60), 60)
	f.record(2, 6, seq(61), 61)
	pcap := f.Bytes()
	for _, tc := range []struct {
		name  string
		file  []byte
		after int // where the data after the stream starts; 0: none
	}{
		{"one member", gzipped(pcap), 0},
		{"members split mid-record", gzipped(pcap[:50], pcap[50:90], pcap[90:]), 0},
		{"3 bytes after", append(gzipped(pcap), "abc"...), len(gzipped(pcap))},
		{"64 bytes after", append(gzipped(pcap), seq(64)...), len(gzipped(pcap))},
		{"zeros after", append(gzipped(pcap), make([]byte, 512)...), len(gzipped(pcap))},
		{"after a second member", append(gzipped(pcap[:50], pcap[50:]), "xyz"...), len(gzipped(pcap[:50], pcap[50:]))},
	} {
		r, err := NewReader(bytes.NewReader(tc.file), "x.pcap.gz")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ps, err := readAll(t, r)
		if len(ps) != 2 {
			t.Errorf("%s: %d packets, want 2", tc.name, len(ps))
		}
		if tc.after == 0 {
			if err != io.EOF || r.Consumed() != int64(len(tc.file)) {
				t.Errorf("%s: %v after consuming %d of %d bytes; want io.EOF at the end", tc.name, err, r.Consumed(), len(tc.file))
			}
			continue
		}
		wantFormatError(t, err, 3, int64(len(pcap)), "data after the end of the gzip stream (at byte "+strconv.Itoa(tc.after)+" of the compressed file)")
	}
	// Cut inside a record, then other bytes: both said.
	r, err := NewReader(bytes.NewReader(append(gzipped(pcap[:106]), "abc"...)), "x.pcap.gz")
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(t, r)
	wantFormatError(t, err, 2, 24+16+60, "truncated record header (need 16 bytes, have 6), then data after the end of the gzip stream")
}

// Consumed counts bytes of the file: of the compressed file when gzipped,
// against which a progress line measures.
func TestConsumed(t *testing.T) {
	f := newPcap(binary.LittleEndian, false, 65535, 1)
	for i := range 2000 {
		f.record(uint32(i), 0, seq(1000), 1000)
	}
	for _, file := range [][]byte{f.Bytes(), gzipped(f.Bytes())} {
		r, err := NewReader(bytes.NewReader(file), "x")
		if err != nil {
			t.Fatal(err)
		}
		var p Packet
		for range 1000 {
			if err := r.Next(&p); err != nil {
				t.Fatal(err)
			}
		}
		if c := r.Consumed(); c <= 0 || c >= int64(len(file)) || !r.Gzipped() && c != p.Offset+16+1000 {
			t.Errorf("gzipped %v: half the packets read, %d of %d bytes consumed", r.Gzipped(), c, len(file))
		}
		for r.Next(&p) == nil {
		}
		if c := r.Consumed(); c != int64(len(file)) {
			t.Errorf("gzipped %v: at the end %d of %d bytes consumed", r.Gzipped(), c, len(file))
		}
	}
}

func TestOpenFileAndStdin(t *testing.T) {
	f := newPcap(binary.LittleEndian, false, 65535, 1)
	f.record(1, 0, seq(60), 60)
	path := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(path, f.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := readAll(t, r); len(ps) != 1 || err != io.EOF {
		t.Errorf("got %d packets, %v", len(ps), err)
	}
	if r.Name() != path {
		t.Errorf("Name() = %q", r.Name())
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}

	if _, err := Open(filepath.Join(t.TempDir(), "missing.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}

	// "-" is standard input.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdin
	os.Stdin = pr
	defer func() { os.Stdin = saved }()
	go func() {
		pw.Write(f.Bytes())
		pw.Close()
	}()
	r, err = Open("-")
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := readAll(t, r); len(ps) != 1 || err != io.EOF {
		t.Errorf("stdin: got %d packets, %v", len(ps), err)
	}
	r.Close()
	pr.Close()
}

// errReader returns data then a non-EOF error.
type errReader struct {
	data []byte
	err  error
}

func (e *errReader) Read(b []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(b, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestIOErrorIsNotFormatError(t *testing.T) {
	f := newPcap(binary.LittleEndian, false, 65535, 1)
	f.record(1, 0, seq(60), 60)
	f.record(1, 0, seq(60), 60)
	boom := errors.New("boom")
	r, err := NewReader(&errReader{data: f.Bytes()[:24+16+60+20], err: boom}, "x")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := readAll(t, r)
	var fe *FormatError
	if len(ps) != 1 || !errors.Is(err, boom) || errors.As(err, &fe) {
		t.Errorf("%d packets, %v", len(ps), err)
	}
}

func TestNextDoesNotAllocate(t *testing.T) {
	f := newPcap(binary.LittleEndian, false, 65535, 1)
	for i := range 200 {
		f.record(uint32(i), 0, seq(60+i), 60+i)
	}
	b := f.Bytes()
	r, err := NewReader(bytes.NewReader(b), "x")
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	r.Next(&p) // the first packet sizes the buffer
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Next(&p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Next allocates %v times per packet", allocs)
	}
}

func TestNextPcapngDoesNotAllocate(t *testing.T) {
	o := binary.LittleEndian
	f := &ngFile{order: o}
	f.shb()
	f.idb(1, 0, ngOpt(o, optIfTsresol, []byte{9}), endOpts())
	for i := range 200 {
		f.epb(0, uint64(i), seq(60+i), 60+i, ngOpt(o, optEpbFlags, o.AppendUint32(nil, 1)), endOpts())
	}
	r, err := NewReader(bytes.NewReader(f.Bytes()), "x")
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	r.Next(&p)
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Next(&p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || p.Outbound != -1 {
		t.Errorf("Next allocates %v times per packet (outbound %d)", allocs, p.Outbound)
	}
}

// kernelSeeds are small captures of testdata/kernel that seed the fuzz
// targets: classic pcap on Ethernet (IPv4, IPv6, a self-connect), Linux
// SLL2, and pcapng.
var kernelSeeds = []string{"refused.pcap", "self-connect.pcap", "ipv6-close.pcap", "any-sll2.pcap", "any-sll2.pcapng"}

// kernelFiles returns the contents of the kernelSeeds.
func kernelFiles(f *testing.F) [][]byte {
	var files [][]byte
	for _, name := range kernelSeeds {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "kernel", name))
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, b)
	}
	return files
}

// kernelPackets returns a few packets of each kernelSeeds file, copied: the
// first two, one from the middle and the last.
func kernelPackets(f *testing.F) []Packet {
	var out []Packet
	for _, b := range kernelFiles(f) {
		r, err := NewReader(bytes.NewReader(b), "seed")
		if err != nil {
			f.Fatal(err)
		}
		var all []Packet
		for {
			var p Packet
			if err := r.Next(&p); err != nil {
				break
			}
			p.Data = bytes.Clone(p.Data)
			all = append(all, p)
		}
		for i, p := range all {
			if i < 2 || i == len(all)/2 || i == len(all)-1 {
				out = append(out, p)
			}
		}
	}
	return out
}

// FuzzReader checks that no input makes the reader panic or loop, that
// what it returns is consistent, and that its errors are io.EOF or a
// *FormatError whose message is printable: no byte of the file reaches a
// terminal raw through an error.
func FuzzReader(f *testing.F) {
	for _, b := range kernelFiles(f) {
		f.Add(b)
	}
	p := newPcap(binary.BigEndian, true, 65535, 0x24000001)
	p.record(1, 2, seq(60), 60)
	p.record(1, 2, seq(10), 60)
	f.Add(p.Bytes())
	for _, o := range ngOrders() {
		n := &ngFile{order: o}
		n.shb()
		n.idb(1, 64, ngOpt(o, optIfTsresol, []byte{0x83}), endOpts())
		n.epb(0, 5, seq(60), 60, ngOpt(o, optEpbFlags, o.AppendUint32(nil, 2)), endOpts())
		n.spb(seq(40), 100)
		n.pb(0, 7, seq(20), 20)
		n.block(5, make([]byte, 16))
		f.Add(n.Bytes())
		// Nanosecond stamps with an offset; an inbound packet.
		n = &ngFile{order: o}
		n.shb()
		n.idb(1, 0, ngOpt(o, optIfTsresol, []byte{9}), ngOpt(o, optIfTsoffst, o.AppendUint64(nil, 1)), endOpts())
		n.epb(0, 5, seq(60), 60, ngOpt(o, optEpbFlags, o.AppendUint32(nil, 1)), endOpts())
		f.Add(n.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Gzip errors are I/O errors, and offsets count decompressed bytes.
		gz := len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
		check := func(err error) {
			var fe *FormatError
			if err != io.EOF && !errors.As(err, &fe) && !gz {
				t.Fatalf("error %v is neither io.EOF nor a *FormatError", err)
			}
			msg := err.Error()
			if !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return !strconv.IsPrint(r) }) {
				t.Fatalf("error message is not printable: %q", msg)
			}
		}
		r, err := NewReader(bytes.NewReader(b), "fuzz")
		if err != nil {
			check(err)
			return
		}
		var p Packet
		last := int64(-1)
		for i := 0; ; i++ {
			err := r.Next(&p)
			if err != nil {
				check(err)
				return
			}
			if p.Record != int64(i+1) || p.Offset <= last || p.OrigLen < 0 ||
				!gz && (p.Offset >= int64(len(b)) || len(p.Data) > len(b)) {
				t.Fatalf("packet %d: %+v", i, brief(p))
			}
			last = p.Offset
		}
	})
}

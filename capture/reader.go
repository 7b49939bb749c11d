package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"tcpflow-fsm/fsm"
)

// Packet is one packet record read from a capture file.
type Packet struct {
	// Time is the capture timestamp. A pcapng simple packet block has
	// none: it gets the time of the packet before it in the file, or
	// fsm.MinTime if it comes first (which the Decoder clamps, as any time
	// before 1700), so that time never runs backwards.
	Time fsm.Time
	// LinkType is the LINKTYPE_ value of the packet's link-layer header,
	// all 16 bits of it (276 is LINUX_SLL2, not 20).
	LinkType uint16
	// Data holds the captured bytes, with any FCS the file declares removed.
	// It may alias the reader's buffer and is valid until the next call to
	// Next: copy what must outlive it.
	Data []byte
	// OrigLen is the length of the packet on the wire (without FCS), which
	// is more than len(Data) when the capture cut the packet short.
	OrigLen int
	// Record is the 1-based number of the packet in the file, the frame
	// number Wireshark shows. In pcapng only packet blocks count.
	Record int64
	// Offset is the byte offset in the file of the record (pcap) or block
	// (pcapng) that holds the packet.
	Offset int64
	// Interface is the pcapng interface id within its section; 0 for pcap.
	Interface int
	// Outbound is the direction from the pcapng epb_flags option: 1 sent by
	// the capturing host, -1 received by it, 0 unknown or not recorded.
	Outbound int8
}

// Format names a capture file format.
type Format uint8

// The formats a Reader reads.
const (
	FormatPcap     Format = iota + 1 // classic pcap, microsecond timestamps
	FormatPcapNano                   // classic pcap, nanosecond timestamps
	FormatPcapng                     // pcapng
)

// String returns "pcap", "pcap-ns" or "pcapng".
func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNano:
		return "pcap-ns"
	case FormatPcapng:
		return "pcapng"
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

const (
	// maxRecord is the largest captured length we accept in any record,
	// however large the file's snapshot length.
	maxRecord = 256 << 20
	// lenientSnaplen is the captured length up to which a record may exceed
	// the snapshot length its file declares. Some writers declare a small
	// snapshot length (or 0) and write longer records; a record longer than
	// both this and the snapshot length is taken for damage. 262144 is
	// libpcap's and Wireshark's MAXIMUM_SNAPLEN.
	lenientSnaplen = 262144
	// bufioSize is the read-ahead buffer of the underlying reader, and the
	// least the record buffer holds. A record that fits in it is returned
	// in place, without a copy; 1 MiB makes read(2) calls few and long.
	bufioSize = 1 << 20
	// trustedLen is the record length up to which we allocate the buffer
	// before reading the record.
	trustedLen = 1 << 20
)

// Reader reads packets from a pcap or pcapng file. It is not safe for
// concurrent use.
type Reader struct {
	name    string
	br      *bufio.Reader
	closers []io.Closer
	format  Format
	gzipped bool
	file    *countingReader // the bytes of the file, compressed or not
	raw     *bufio.Reader   // over file; br itself unless gzipped
	gz      *gzipStream     // when gzipped

	off    int64 // bytes consumed from br so far
	record int64 // packets returned so far
	err    error // sticky: returned again by every later Next

	hdr [32]byte // fixed-size record and block headers
	buf []byte   // record bodies; Packet.Data aliases it

	pcap pcapState
	ng   ngState
}

// Open opens the capture file at path; "-" means standard input. The format
// (pcap, nanosecond pcap or pcapng, optionally gzip-compressed) is detected
// from the file's magic number.
func Open(path string) (*Reader, error) {
	if path == "-" {
		return NewReader(os.Stdin, "-")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closers = append(r.closers, f)
	return r, nil
}

// NewReader reads a capture from rd. The name appears in errors. The format
// is detected from the magic number and the file header (or, for pcapng,
// the first section header block) is read before NewReader returns.
func NewReader(rd io.Reader, name string) (*Reader, error) {
	r := &Reader{name: name, file: &countingReader{r: rd}}
	r.br = bufio.NewReaderSize(r.file, bufioSize)
	r.raw = r.br
	if b, _ := r.br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		gz, err := gzip.NewReader(r.br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		gz.Multistream(false)
		r.closers = append(r.closers, gz)
		r.gz = &gzipStream{src: r.br, z: gz}
		r.br = bufio.NewReaderSize(r.gz, bufioSize)
		r.gzipped = true
	}
	magic, err := r.br.Peek(4)
	if len(magic) < 4 {
		if err != nil && err != io.EOF {
			return nil, r.ioErr(err)
		}
		return nil, r.formatErr(0, 0, "truncated file header (need at least 4 bytes, have %d)", len(magic))
	}
	switch {
	case binary.BigEndian.Uint32(magic) == blockSHB:
		r.format = FormatPcapng
		err = r.openPcapng()
	case isPcapMagic(magic):
		err = r.openPcap()
	default:
		err = r.formatErr(0, 0, "not a pcap or pcapng file (magic 0x%08x)", binary.BigEndian.Uint32(magic))
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Next reads the next packet into p. It returns io.EOF at a clean end of
// the file, a *FormatError when the file is damaged, or the I/O error that
// stopped reading. Once Next has returned an error it returns the same
// error on every later call. p.Data is valid until the next call to Next.
func (r *Reader) Next(p *Packet) error {
	if r.err != nil {
		return r.err
	}
	var err error
	if r.format == FormatPcapng {
		err = r.nextPcapng(p)
	} else {
		err = r.nextPcap(p)
	}
	if err != nil {
		if r.gz != nil && r.gz.after {
			// The end of the gzip stream was not the end of the file.
			const after = "data after the end of the gzip stream"
			var fe *FormatError
			switch {
			case err == io.EOF:
				err = r.formatErr(r.record+1, r.off, "%s (at byte %d of the compressed file)", after, r.Consumed())
			case errors.As(err, &fe):
				fe.Msg += ", then " + after
			}
		}
		r.err = err
		return err
	}
	r.record++
	p.Record = r.record
	return nil
}

// Format returns the format of the file.
func (r *Reader) Format() Format { return r.format }

// Gzipped reports whether the file was gzip-compressed. Offsets in errors
// and packets then count bytes of the decompressed stream.
func (r *Reader) Gzipped() bool { return r.gzipped }

// Consumed returns how many bytes of the file have been read: for a
// gzip-compressed file, compressed bytes (somewhat ahead of the packets
// returned, by what the decompressor has read ahead), so that the file's
// size measures progress in either case.
func (r *Reader) Consumed() int64 { return r.file.n - int64(r.raw.Buffered()) }

// Name returns the name the reader was opened with.
func (r *Reader) Name() string { return r.name }

// Close releases the file opened by Open (standard input is left open) and
// any gzip decompressor. Next must not be called after Close.
func (r *Reader) Close() error {
	var first error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	r.closers = nil
	return first
}

// readHeader reads exactly len(b) bytes into b, a fixed-size header. It
// returns how many bytes it read and io.EOF only when it read none.
func (r *Reader) readHeader(b []byte) (int, error) {
	n, err := io.ReadFull(r.br, b)
	r.off += int64(n)
	return n, err
}

// readBody reads n bytes and returns them, valid until the next read. Past
// trustedLen the buffer grows as data arrives, so a record whose length
// field lies on a short file cannot make us allocate the length it claims.
// On a short read it returns the bytes it got and how many.
func (r *Reader) readBody(n int) ([]byte, int, error) {
	// The common case: the record is already in the read-ahead buffer, or
	// fits in it. The slice aliases that buffer until the next read.
	if n <= bufioSize {
		if b, err := r.br.Peek(n); err == nil {
			r.br.Discard(n)
			r.off += int64(n)
			return b, n, nil
		}
	}
	if n > cap(r.buf) && n <= trustedLen {
		r.buf = make([]byte, max(n, 2*cap(r.buf), bufioSize))
	}
	if n <= cap(r.buf) {
		b := r.buf[:n]
		got, err := io.ReadFull(r.br, b)
		r.off += int64(got)
		return b, got, err
	}
	got := 0
	for got < n {
		if got == cap(r.buf) {
			nb := make([]byte, min(n, max(2*cap(r.buf), trustedLen)))
			copy(nb, r.buf[:got])
			r.buf = nb
		}
		m, err := io.ReadFull(r.br, r.buf[got:min(n, cap(r.buf))])
		got += m
		r.off += int64(m)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return r.buf[:got], got, err
		}
	}
	return r.buf[:n], n, nil
}

// skip discards n bytes and returns how many it discarded.
func (r *Reader) skip(n int) (int, error) {
	d, err := r.br.Discard(n)
	r.off += int64(d)
	return d, err
}

// short reports whether err means the data ended early.
func short(err error) bool {
	return err == io.EOF || err == io.ErrUnexpectedEOF
}

// ioErr wraps an I/O error with the file name, once: an *fs.PathError
// about the same file already names it ("read x: is a directory"), so
// only its cause is kept, which errors.Is still finds.
func (r *Reader) ioErr(err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	if pe, ok := err.(*fs.PathError); ok && pe.Path == r.name {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", r.name, err)
}

// unixTime converts seconds and nanoseconds since the epoch (any
// nanoseconds, carried into the seconds as time.Unix does) to a time.
func unixTime(sec, nsec int64) fsm.Time { return fsm.TimeOf(time.Unix(sec, nsec)) }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// gzipStream decompresses the members of a gzip file one after another, as
// gzip -d does, and tells the end of the last member from a damaged one:
// bytes after a member that do not start another end the stream (io.EOF)
// with after set, where Go's gzip reader calls them a bad or truncated
// header of a next member.
type gzipStream struct {
	src   *bufio.Reader // the compressed file
	z     *gzip.Reader  // reading one member (Multistream false)
	after bool          // bytes follow the last member, left unread in src
}

func (g *gzipStream) Read(b []byte) (int, error) {
	for {
		n, err := g.z.Read(b)
		if err != io.EOF || n > 0 {
			if err == io.EOF {
				err = nil // the member's end: looked at on the next call
			}
			return n, err
		}
		head, err := g.src.Peek(3)
		switch {
		case len(head) == 0 && err == io.EOF:
			return 0, io.EOF
		case len(head) == 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8:
			// Another member (cat a.gz b.gz).
			if err := g.z.Reset(g.src); err != nil {
				return 0, err
			}
			g.z.Multistream(false)
		case err != nil && err != io.EOF:
			return 0, err
		default:
			g.after = true
			return 0, io.EOF
		}
	}
}

package capture

import (
	"bufio"
	"encoding/binary"
	"os"
)

// Writer writes packets as a classic little-endian pcap file with
// microsecond timestamps, as tcpdump -w does, for any 16-bit link type,
// LINUX_SLL2 included.
type Writer struct {
	f  *os.File
	bw *bufio.Writer
	// buf is one record header, reused.
	buf [16]byte
	// err is the error Write or Flush returned, which bufio.Writer keeps
	// returning: Close does not return it again.
	err error
}

// CreateWriter creates path and writes the pcap file header.
func CreateWriter(path string, linkType uint16, snaplen int) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{f: f, bw: bufio.NewWriterSize(f, 1<<16)}
	var h [24]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], 0xa1b2c3d4)
	le.PutUint16(h[4:], 2)
	le.PutUint16(h[6:], 4)
	le.PutUint32(h[16:], uint32(snaplen))
	le.PutUint32(h[20:], uint32(linkType))
	if _, err := w.bw.Write(h[:]); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Write appends one packet record.
func (w *Writer) Write(p *Packet) error {
	le := binary.LittleEndian
	us := p.Time.Time().UnixMicro()
	le.PutUint32(w.buf[0:], uint32(us/1e6))
	le.PutUint32(w.buf[4:], uint32(us%1e6))
	le.PutUint32(w.buf[8:], uint32(len(p.Data)))
	le.PutUint32(w.buf[12:], uint32(p.OrigLen))
	if _, err := w.bw.Write(w.buf[:]); err != nil {
		return w.fail(err)
	}
	_, err := w.bw.Write(p.Data)
	return w.fail(err)
}

// Flush writes buffered records to the file, so that it can be read while
// the capture goes on.
func (w *Writer) Flush() error { return w.fail(w.bw.Flush()) }

// fail notes err, if any, as returned to the caller, and returns it.
func (w *Writer) fail(err error) error {
	if err != nil {
		w.err = err
	}
	return err
}

// Close flushes and closes the file. It returns no error that Write or
// Flush has already returned (a full disk is said once), only a new one.
// Closing again does nothing.
func (w *Writer) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.bw.Flush()
	if err == w.err {
		err = nil
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	return err
}

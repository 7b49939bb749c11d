package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// What Writer writes, Reader reads back the same, for a link type above
// 255 too (gopacket's writers cannot say 276).
func TestWriterRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.pcap")
	w, err := CreateWriter(path, LinkTypeLinuxSLL2, 65535)
	if err != nil {
		t.Fatal(err)
	}
	want := []Packet{
		{Time: unix(1700000000, 123456000), Data: []byte{1, 2, 3}, OrigLen: 3},
		{Time: unix(1700000001, 0), Data: bytes.Repeat([]byte{9}, 100), OrigLen: 1500},
	}
	for i := range want {
		if err := w.Write(&want[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, wp := range want {
		var p Packet
		if err := r.Next(&p); err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		if p.Time != wp.Time || !bytes.Equal(p.Data, wp.Data) || p.OrigLen != wp.OrigLen || p.LinkType != LinkTypeLinuxSLL2 {
			t.Errorf("packet %d: got %v %d %d bytes lt %d, want %v %d %d", i+1, p.Time, p.OrigLen, len(p.Data), p.LinkType, wp.Time, wp.OrigLen, len(wp.Data))
		}
	}
	var p Packet
	if err := r.Next(&p); err != io.EOF {
		t.Errorf("after the last packet: %v", err)
	}
}

// Issue 15: under -w, a full disk was said twice, once when Flush failed
// and again by Close, which flushed the same buffer. Close returns only an
// error not already returned; one nobody has seen, it returns.
func TestWriterFullDiskErrorOnce(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	p := &Packet{Time: unix(1700000000, 0), Data: make([]byte, 100), OrigLen: 100}
	w, err := CreateWriter("/dev/full", LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(p); err != nil {
		t.Fatal(err) // buffered
	}
	if err := w.Flush(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Flush: %v, want ENOSPC", err)
	}
	if err := w.Write(p); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Write after the failed Flush: %v, want ENOSPC again", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close returned the error Flush already returned: %v", err)
	}

	w, err = CreateWriter("/dev/full", LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(p)
	if err := w.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Close of a buffer nobody flushed: %v, want ENOSPC", err)
	}
}

package capture

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"
	"time"
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
		{Time: time.Unix(1700000000, 123456000).UTC(), Data: []byte{1, 2, 3}, OrigLen: 3},
		{Time: time.Unix(1700000001, 0).UTC(), Data: bytes.Repeat([]byte{9}, 100), OrigLen: 1500},
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
		if !p.Time.Equal(wp.Time) || !bytes.Equal(p.Data, wp.Data) || p.OrigLen != wp.OrigLen || p.LinkType != LinkTypeLinuxSLL2 {
			t.Errorf("packet %d: got %v %d %d bytes lt %d, want %v %d %d", i+1, p.Time, p.OrigLen, len(p.Data), p.LinkType, wp.Time, wp.OrigLen, len(wp.Data))
		}
	}
	var p Packet
	if err := r.Next(&p); err != io.EOF {
		t.Errorf("after the last packet: %v", err)
	}
}

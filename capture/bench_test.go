package capture

import (
	"encoding/binary"
	"testing"

	"github.com/google/gopacket/layers"

	"tcpflow-fsm/fsm"
)

// BenchmarkDecode decodes an Ethernet/IPv4/TCP SYN with MSS, SACK-permitted,
// timestamps and window scale. It must report 0 allocs/op.
func BenchmarkDecode(b *testing.B) {
	p := &Packet{LinkType: LinkTypeEthernet, Data: ether(b, layers.EthernetTypeIPv4, ipv4TCP(b, syn(), nil))}
	p.OrigLen = len(p.Data)
	d := NewDecoder()
	var s fsm.Segment
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Data)))
	for b.Loop() {
		if !d.Decode(p, &s) {
			b.Fatal("not decoded")
		}
	}
}

// loopReader serves a pcap file header once, then its records over and
// over: an endless capture, so the benchmark measures the steady state.
type loopReader struct {
	header, records []byte
	pos             int
}

func (l *loopReader) Read(b []byte) (int, error) {
	if len(l.header) > 0 {
		n := copy(b, l.header)
		l.header = l.header[n:]
		return n, nil
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], l.records[l.pos:])
		n += c
		l.pos = (l.pos + c) % len(l.records)
	}
	return n, nil
}

// BenchmarkReadDecode reads pcap records (a SYN, a 1448-octet data
// segment, an ACK padded to 60 octets) and decodes them. It must report 0
// allocs/op.
func BenchmarkReadDecode(b *testing.B) {
	f := newPcap(binary.LittleEndian, false, 262144, LinkTypeEthernet)
	var size int
	for i, pkt := range [][]byte{
		ether(b, layers.EthernetTypeIPv4, ipv4TCP(b, syn(), nil)),
		ether(b, layers.EthernetTypeIPv4, ipv4TCP(b, data(), seq(1448))),
		cat(ether(b, layers.EthernetTypeIPv4, ipv4TCP(b, tcpLayer(40000, 80, 1, 1449), nil)), make([]byte, 6)),
	} {
		f.record(uint32(1700000000+i), 0, pkt, len(pkt))
		size += len(pkt)
	}
	all := f.Bytes()
	r, err := NewReader(&loopReader{header: all[:24], records: all[24:]}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	d := NewDecoder()
	var p Packet
	var s fsm.Segment
	b.ReportAllocs()
	b.SetBytes(int64(size / 3))
	for b.Loop() {
		if err := r.Next(&p); err != nil {
			b.Fatal(err)
		}
		if !d.Decode(&p, &s) {
			b.Fatal("not decoded")
		}
	}
}

// BenchmarkFilterMatch runs "tcp port 80" on an Ethernet packet through
// libpcap.
func BenchmarkFilterMatch(b *testing.B) {
	f, err := CompileFilter("tcp port 80", LinkTypeEthernet, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	pkt := ether(b, layers.EthernetTypeIPv4, ipv4TCP(b, syn(), nil))
	b.ReportAllocs()
	for b.Loop() {
		if !f.Match(pkt, len(pkt)) {
			b.Fatal("no match")
		}
	}
}

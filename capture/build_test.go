package capture

// Builders of capture files and packets for the tests. The files are
// written byte by byte from the format drafts, independently of the reader
// (files from these builders were checked once by hand with tshark, which
// reads them to the same times, lengths, interfaces and directions).

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"tcpflow-fsm/fsm"
)

// unix is the time sec seconds and nsec nanoseconds after the epoch.
func unix(sec, nsec int64) fsm.Time { return fsm.TimeOf(time.Unix(sec, nsec)) }

// endian is a byte order that can also append.
type endian interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// pcapFile builds a classic pcap file.
type pcapFile struct {
	order endian
	nano  bool
	bytes.Buffer
}

// newPcap writes a pcap file header: version 2.4, the given snapshot length
// and the raw 32-bit LinkType field.
func newPcap(order endian, nano bool, snaplen, linkField uint32) *pcapFile {
	f := &pcapFile{order: order, nano: nano}
	magic := uint32(pcapMagicMicro)
	if nano {
		magic = pcapMagicNano
	}
	f.u32(magic)
	f.u16(2)
	f.u16(4)
	f.u32(0)
	f.u32(0)
	f.u32(snaplen)
	f.u32(linkField)
	return f
}

func (f *pcapFile) u16(v uint16) { f.Write(f.order.AppendUint16(nil, v)) }
func (f *pcapFile) u32(v uint32) { f.Write(f.order.AppendUint32(nil, v)) }

// record appends a record and returns its offset.
func (f *pcapFile) record(sec, frac uint32, data []byte, origLen int) int64 {
	off := int64(f.Len())
	f.u32(sec)
	f.u32(frac)
	f.u32(uint32(len(data)))
	f.u32(uint32(origLen))
	f.Write(data)
	return off
}

// ngFile builds a pcapng file.
type ngFile struct {
	order endian
	bytes.Buffer
}

// ngOpt encodes one pcapng option, padded.
func ngOpt(o endian, code uint16, v []byte) []byte {
	b := o.AppendUint16(nil, code)
	b = o.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// endOpts terminates an option list.
func endOpts() []byte { return []byte{0, 0, 0, 0} }

// block appends a block with a correct total length in both places and
// returns its offset.
func (f *ngFile) block(btype uint32, body []byte) int64 {
	off := int64(f.Len())
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	total := uint32(12 + len(body))
	f.Write(f.order.AppendUint32(nil, btype))
	f.Write(f.order.AppendUint32(nil, total))
	f.Write(body)
	f.Write(f.order.AppendUint32(nil, total))
	return off
}

// shb appends a section header block (version 1.0, no options unless given).
func (f *ngFile) shb(opts ...[]byte) int64 {
	o := f.order
	b := o.AppendUint32(nil, byteOrderMagic)
	b = o.AppendUint16(b, 1)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint64(b, ^uint64(0))
	for _, op := range opts {
		b = append(b, op...)
	}
	return f.block(blockSHB, b)
}

// idb appends an interface description block.
func (f *ngFile) idb(linkType uint16, snaplen uint32, opts ...[]byte) int64 {
	o := f.order
	b := o.AppendUint16(nil, linkType)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint32(b, snaplen)
	for _, op := range opts {
		b = append(b, op...)
	}
	return f.block(blockIDB, b)
}

// epb appends an enhanced packet block.
func (f *ngFile) epb(ifid uint32, ts uint64, data []byte, origLen int, opts ...[]byte) int64 {
	o := f.order
	b := o.AppendUint32(nil, ifid)
	b = o.AppendUint32(b, uint32(ts>>32))
	b = o.AppendUint32(b, uint32(ts))
	b = o.AppendUint32(b, uint32(len(data)))
	b = o.AppendUint32(b, uint32(origLen))
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	for _, op := range opts {
		b = append(b, op...)
	}
	return f.block(blockEPB, b)
}

// pb appends an obsolete packet block.
func (f *ngFile) pb(ifid uint16, ts uint64, data []byte, origLen int, opts ...[]byte) int64 {
	o := f.order
	b := o.AppendUint16(nil, ifid)
	b = o.AppendUint16(b, 0) // drops
	b = o.AppendUint32(b, uint32(ts>>32))
	b = o.AppendUint32(b, uint32(ts))
	b = o.AppendUint32(b, uint32(len(data)))
	b = o.AppendUint32(b, uint32(origLen))
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	for _, op := range opts {
		b = append(b, op...)
	}
	return f.block(blockPB, b)
}

// spb appends a simple packet block holding data.
func (f *ngFile) spb(data []byte, origLen int) int64 {
	b := f.order.AppendUint32(nil, uint32(origLen))
	return f.block(blockSPB, append(b, data...))
}

// Packets, built with gopacket's layers.

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0x0a}
	macB = []byte{0x02, 0, 0, 0, 0, 0x0b}
)

// serialize lays the layers out with lengths fixed and checksums computed.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// tcpLayer returns a TCP header with ports, sequence numbers and flags set.
func tcpLayer(sport, dport uint16, seq, ack uint32) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, ACK: true, Window: 502}
}

// ipv4TCP returns an IPv4 packet 10.0.0.1 -> 10.0.0.2 carrying tcp and payload.
func ipv4TCP(t testing.TB, tcp *layers.TCP, payload []byte) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2}, Flags: layers.IPv4DontFragment}
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tcp, gopacket.Payload(payload))
}

// ipv6Addr returns 2001:db8::n.
func ipv6Addr(n byte) []byte {
	return []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n}
}

// ipv6TCP returns an IPv6 packet 2001:db8::1 -> 2001:db8::2 carrying tcp and payload.
func ipv6TCP(t testing.TB, tcp *layers.TCP, payload []byte) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
		SrcIP: ipv6Addr(1), DstIP: ipv6Addr(2)}
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, tcp, gopacket.Payload(payload))
}

// ipv6Ext returns an IPv6 packet whose payload is the raw bytes after,
// starting with next header nh: extension headers built by hand, then an
// upper-layer header.
func ipv6Ext(t testing.TB, nh layers.IPProtocol, after []byte) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: nh, SrcIP: ipv6Addr(1), DstIP: ipv6Addr(2)}
	return serialize(t, ip, gopacket.Payload(after))
}

// tcpBytes returns a serialized TCP header and payload (checksum not set).
func tcpBytes(t testing.TB, tcp *layers.TCP, payload []byte) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, tcp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ether wraps a network packet in an Ethernet II header.
func ether(t testing.TB, et layers.EthernetType, payload []byte) []byte {
	return serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}, gopacket.Payload(payload))
}

// cat concatenates byte slices.
func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

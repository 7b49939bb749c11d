// Command floor is the benchmark's "bare gopacket loop": the least work a
// Go tool that follows TCP connections must do, so the floor under
// tcpflow-fsm's time. It reads a classic pcap file (Ethernet) with a
// buffered reader, decodes each packet with gopacket's DecodingLayerParser
// (Ethernet, IPv4, IPv6, TCP into preallocated layers, unsupported layers
// ignored), and counts the packets of each connection in a Go map keyed by
// the 4-tuple (both directions under one key). It prints the counts.
//
//	floor FILE
//
// It does not use gopacket's pcapgo, which would add golang.org/x/net to
// the module's dependencies; reading classic pcap is a header and a loop.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// key is a connection's 4-tuple, its lower endpoint first.
type key struct {
	addrA, addrB [16]byte
	portA, portB uint16
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor FILE.pcap")
		os.Exit(2)
	}
	packets, tcp, flows, err := run(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("packets %d, tcp %d, connections %d\n", packets, tcp, flows)
}

func run(name string) (packets, tcpPackets, flows int, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)

	var hdr [24]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, 0, fmt.Errorf("%s: file header: %w", name, err)
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(hdr[:]) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order = binary.BigEndian
	default:
		return 0, 0, 0, fmt.Errorf("%s: not a classic pcap file", name)
	}
	if lt := order.Uint32(hdr[20:]); lt != 1 {
		return 0, 0, 0, fmt.Errorf("%s: link type %d, only Ethernet (1) is read", name, lt)
	}

	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		decoded = make([]gopacket.LayerType, 0, 4)
		parser  = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp)
		conns   = make(map[key]int)
		rec     [16]byte
		buf     = make([]byte, 65536)
	)
	parser.IgnoreUnsupported = true
	for {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return packets, tcpPackets, len(conns), fmt.Errorf("%s: record %d: %w", name, packets+1, err)
		}
		n := order.Uint32(rec[8:])
		if n > 1<<28 {
			return packets, tcpPackets, len(conns), fmt.Errorf("%s: record %d: length %d", name, packets+1, n)
		}
		if int(n) > len(buf) {
			buf = make([]byte, n)
		}
		data := buf[:n]
		if _, err := io.ReadFull(r, data); err != nil {
			return packets, tcpPackets, len(conns), fmt.Errorf("%s: record %d: %w", name, packets+1, err)
		}
		packets++
		if err := parser.DecodeLayers(data, &decoded); err != nil {
			continue
		}
		var k key
		var isTCP bool
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeIPv4:
				copy(k.addrA[:], ip4.SrcIP)
				copy(k.addrB[:], ip4.DstIP)
			case layers.LayerTypeIPv6:
				copy(k.addrA[:], ip6.SrcIP)
				copy(k.addrB[:], ip6.DstIP)
			case layers.LayerTypeTCP:
				k.portA, k.portB = uint16(tcp.SrcPort), uint16(tcp.DstPort)
				isTCP = true
			}
		}
		if !isTCP {
			continue
		}
		tcpPackets++
		if less(k.addrB, k.portB, k.addrA, k.portA) {
			k.addrA, k.addrB = k.addrB, k.addrA
			k.portA, k.portB = k.portB, k.portA
		}
		conns[k]++
	}
	return packets, tcpPackets, len(conns), nil
}

func less(a [16]byte, pa uint16, b [16]byte, pb uint16) bool {
	if a != b {
		for i := range a {
			if a[i] != b[i] {
				return a[i] < b[i]
			}
		}
	}
	return pa < pb
}

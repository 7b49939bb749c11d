package capture

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"

	"tcpflow-fsm/fsm"
)

// portPackets returns, for a link type, a TCP packet on port 80 and one on
// port 22, each with its link header.
func portPackets(t *testing.T, linkType uint16) (http, ssh []byte) {
	mk := func(dport uint16) []byte {
		tcp := syn()
		tcp.DstPort = layers.TCPPort(dport)
		switch linkType {
		case LinkTypeEthernet:
			return ether(t, layers.EthernetTypeIPv4, ipv4TCP(t, tcp, nil))
		case LinkTypeLinuxSLL:
			return cat(sll(0x0800), ipv4TCP(t, tcp, nil))
		case LinkTypeLinuxSLL2:
			return cat(sll2(0x86dd), ipv6TCP(t, tcp, nil))
		case LinkTypeRaw:
			return ipv6TCP(t, tcp, nil)
		case LinkTypeNull:
			return cat(afLE(2), ipv4TCP(t, tcp, nil))
		}
		t.Fatalf("no packet for link type %d", linkType)
		return nil
	}
	return mk(80), mk(22)
}

func TestFilterTCPPort80(t *testing.T) {
	for _, lt := range []uint16{LinkTypeEthernet, LinkTypeLinuxSLL, LinkTypeLinuxSLL2, LinkTypeRaw, LinkTypeNull} {
		f, err := CompileFilter("tcp port 80", lt, 0)
		if err != nil {
			t.Fatalf("link type %d: %v", lt, err)
		}
		http, ssh := portPackets(t, lt)
		// The decoder agrees on what the packets are.
		d := NewDecoder()
		var s fsm.Segment
		if !d.Decode(&Packet{LinkType: lt, Data: http, OrigLen: len(http)}, &s) || s.Dst.Port() != 80 {
			t.Fatalf("link type %d: test packet does not decode to port 80", lt)
		}
		if !f.Match(http, len(http)) {
			t.Errorf("link type %d: port 80 packet not matched", lt)
		}
		if f.Match(ssh, len(ssh)) {
			t.Errorf("link type %d: port 22 packet matched", lt)
		}
		// Cut before the TCP header: BPF cannot see the port.
		if f.Match(http[:len(http)-40], len(http)) {
			t.Errorf("link type %d: truncated packet matched", lt)
		}
		if f.Match(nil, 0) {
			t.Errorf("link type %d: empty packet matched", lt)
		}
		if f.LinkType() != lt || f.Expr() != "tcp port 80" {
			t.Errorf("LinkType %d Expr %q", f.LinkType(), f.Expr())
		}
		f.Close()
		if f.Match(http, len(http)) {
			t.Errorf("closed filter matched")
		}
		f.Close() // twice is fine
	}
}

func TestFilterSLL2IsNotSLL(t *testing.T) {
	// SLL2 puts the protocol at offset 0, SLL at offset 14: a filter only
	// works when compiled for the true 16-bit link type.
	http, _ := portPackets(t, LinkTypeLinuxSLL2)
	f, err := CompileFilter("ip6", LinkTypeLinuxSLL2, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.Match(http, len(http)) {
		t.Error("SLL2 IPv6 packet not matched by ip6 compiled for 276")
	}
	wrong, err := CompileFilter("ip6", LinkTypeLinuxSLL, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if wrong.Match(http, len(http)) {
		t.Error("SLL2 packet matched by a filter compiled for SLL: the test packet proves nothing")
	}
	// 20 is what a uint8 link type makes of 276.
	if f20, err := CompileFilter("ip6", 20, 0); err == nil {
		if f20.Match(http, len(http)) {
			t.Error("SLL2 packet matched by a filter compiled for link type 20")
		}
		f20.Close()
	}
}

func TestFilterErrors(t *testing.T) {
	_, err := CompileFilter("port nine", LinkTypeEthernet, 0)
	var fe *FilterError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want *FilterError", err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `bad filter "port nine": `) || strings.Contains(msg, "\n") || len(msg) <= len(`bad filter "port nine": `) {
		t.Errorf("error text %q", msg)
	}
	if fe.Expr != "port nine" || fe.LinkType != LinkTypeEthernet || fe.Reason == "" {
		t.Errorf("%+v", fe)
	}
	// Valid syntax, but not for this link type.
	if _, err := CompileFilter("ether host 02:00:00:00:00:0a", LinkTypeRaw, 0); err == nil {
		t.Error("ether host compiled for raw IP")
	}
}

func TestFilterSet(t *testing.T) {
	s := NewFilterSet("tcp dst port 80", 0)
	defer s.Close()
	var packets []Packet
	for _, lt := range []uint16{LinkTypeEthernet, LinkTypeLinuxSLL2, LinkTypeEthernet, LinkTypeRaw} {
		http, ssh := portPackets(t, lt)
		packets = append(packets, Packet{LinkType: lt, Data: http, OrigLen: len(http)}, Packet{LinkType: lt, Data: ssh, OrigLen: len(ssh)})
	}
	for i, p := range packets {
		ok, err := s.Match(&p)
		if err != nil {
			t.Fatal(err)
		}
		if want := i%2 == 0; ok != want {
			t.Errorf("packet %d (link type %d): Match = %v, want %v", i, p.LinkType, ok, want)
		}
	}
	if len(s.filters) != 3 {
		t.Errorf("%d filters compiled, want 3 (one per link type)", len(s.filters))
	}
	// A link type the expression does not compile for: an error, each time.
	odd := Packet{LinkType: 182, Data: make([]byte, 40)}
	for range 2 {
		if ok, err := s.Match(&odd); ok || err == nil || !strings.HasPrefix(err.Error(), `bad filter "tcp dst port 80": `) {
			t.Errorf("link type 182: %v, %v", ok, err)
		}
	}
	// Back to a good link type after the error.
	if ok, err := s.Match(&packets[0]); !ok || err != nil {
		t.Errorf("after the error: %v, %v", ok, err)
	}
	s.Close()
	s.Close()
	if ok, err := s.Match(&packets[0]); !ok || err != nil {
		t.Errorf("after Close the set compiles again: %v, %v", ok, err)
	}

	all := NewFilterSet("  ", 0)
	if ok, err := all.Match(&odd); !ok || err != nil {
		t.Errorf("empty expression: %v, %v", ok, err)
	}
}

func TestFilterMatchDoesNotAllocate(t *testing.T) {
	f, err := CompileFilter("tcp port 80", LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	http, _ := portPackets(t, LinkTypeEthernet)
	allocs := testing.AllocsPerRun(100, func() { f.Match(http, len(http)) })
	if allocs != 0 {
		t.Errorf("Match allocates %v times", allocs)
	}
}

package main

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"tcpflow-fsm/capture"
)

// TestCapturedOutOfOrderACKs: testdata/live/ack-reorder.pcap is one
// connection of a live test's capture on a veth, under load (see
// testdata/live/README.md). The client sent five ACKs from its receive path
// and then a window update for the same octet, with the same TSval; the
// update was captured first, so the last of the five looks like a window
// shrink. The kernel broke no rule: the analysis must report none.
func TestCapturedOutOfOrderACKs(t *testing.T) {
	const path = "../../testdata/live/ack-reorder.pcap"
	// First, that the file shows what it is kept for: two ACKs of the
	// client for the same octet, the one sent later (IPv4 ID, which Linux
	// counts per socket) captured first and with the larger window.
	rd, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var p capture.Packet
	type ack struct {
		id       uint16
		ack      uint32
		win      uint16
		captured int
	}
	last := map[uint16]ack{} // by source port
	swapped := 0
	for n := 1; ; n++ {
		if err := rd.Next(&p); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		ip := p.Data[14:] // Ethernet, IPv4 without options
		tcp := ip[20:]
		a := ack{id: binary.BigEndian.Uint16(ip[4:]), ack: binary.BigEndian.Uint32(tcp[8:]),
			win: binary.BigEndian.Uint16(tcp[14:]), captured: n}
		port := binary.BigEndian.Uint16(tcp[0:])
		if p, ok := last[port]; ok && int16(a.id-p.id) < 0 && a.ack == p.ack && a.win < p.win {
			swapped++
			t.Logf("frame %d (IP ID %#x, win %d) was sent before frame %d (IP ID %#x, win %d), same ACK %d",
				a.captured, a.id, a.win, p.captured, p.id, p.win, a.ack)
		}
		if p, ok := last[port]; !ok || int16(a.id-p.id) > 0 {
			last[port] = a
		}
	}
	if swapped == 0 {
		t.Fatal("the capture has no same-ACK pair out of send order: it no longer shows the case")
	}
	_, conns := analyseJSON(t, "-r", path)
	if len(conns) != 1 {
		t.Fatalf("%d connections, want 1", len(conns))
	}
	if v := conns[0].Violations; len(v) != 0 {
		t.Errorf("violations %v on kernel traffic captured out of order", v)
	}
}

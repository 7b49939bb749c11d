package report

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// A cell longer than maxColumnWidth (the Zeek history of a connection
// under a RST storm: one letter a RST) runs past its column in its own row
// and pads no other row: before, 250,000 connections beside one such
// history made 82 GB of text.
func TestLongCellPadsNoOtherRow(t *testing.T) {
	var rows rowStore
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	server := netip.MustParseAddrPort("10.0.0.2:80")
	tb := flow.NewTable(flow.Config{}, rowsSink{&rows})
	refused := func(port uint16, at fsm.Time, rsts int) {
		client := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), port)
		tb.Add(&fsm.Segment{Time: at, Src: client, Dst: server, Seq: 1000, Flags: fsm.SYN, Window: 64240})
		for i := range rsts {
			// RSTs each way in turn, each at a new sequence number: a
			// letter of the history each (up to flow.MaxZeekHistory).
			rst := &fsm.Segment{Time: at.Add(time.Duration(i+1) * time.Microsecond), Src: server, Dst: client, Seq: fsm.Seq(i), Ack: 1001, Flags: fsm.RST | fsm.ACK}
			if i%2 == 1 {
				rst.Src, rst.Dst, rst.Seq, rst.Ack, rst.Flags = client, server, fsm.Seq(1001+i), 0, fsm.RST
			}
			tb.Add(rst)
		}
	}
	refused(1, t0, 1)
	refused(2, t0.Add(time.Millisecond), 5000)
	refused(3, t0.Add(2*time.Millisecond), 1)
	tb.Close()
	var out bytes.Buffer
	if err := writeTable(&out, summaryHeader, &rows); err != nil {
		t.Fatal(err)
	}
	long := false
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.Contains(line, strings.Repeat("rR", 100)) {
			long = true
		} else if len(line) > 200 {
			t.Errorf("a row padded to the long cell's width (%d bytes): %.80q...", len(line), line)
		}
	}
	if !long {
		t.Fatalf("no row with the RST storm's history:\n%.2000s", out.String())
	}
}

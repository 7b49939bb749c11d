package report

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// rowsSink adds the row of each connection that ends to every store, as
// Text.Done does.
type rowsSink []*rowStore

func (s rowsSink) Event(*flow.Conn, *flow.Event)        {}
func (rowsSink) Segment(*flow.Conn, *flow.SegmentEvent) {}

func (s rowsSink) Done(c *flow.Conn) {
	for _, rows := range s {
		rows.addConn(c, rolesOf(c))
	}
}

// TestRowStoreSpills checks that the summary rows come back whole and in
// order, with the same column widths, when most of them went to the
// temporary file.
func TestRowStoreSpills(t *testing.T) {
	var mem, spilled rowStore
	spilled.inMemory = 2
	const n = 40_000
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	server := netip.MustParseAddrPort("192.0.2.1:80")
	tb := flow.NewTable(flow.Config{}, rowsSink{&mem, &spilled})
	for i := range n {
		client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		at := t0.Add(time.Duration(i) * time.Millisecond)
		tb.Add(&fsm.Segment{Time: at, Src: client, Dst: server, Seq: 0xfffffff0, Flags: fsm.SYN, Window: 64240})
		if i%5 == 0 {
			// A retransmission: the row lists it among its segment events.
			tb.Add(&fsm.Segment{Time: at.Add(time.Second), Src: client, Dst: server, Seq: 0xfffffff0, Flags: fsm.SYN, Window: 64240})
		}
		if i%7 != 0 {
			tb.Add(&fsm.Segment{Time: at.Add(time.Microsecond), Src: server, Dst: client, Seq: 100, Ack: 0xfffffff1, Flags: fsm.SYN | fsm.ACK, Window: 65535})
		}
	}
	tb.Close()
	if mem.n != n || spilled.n != n {
		t.Fatalf("%d and %d rows stored, want %d", mem.n, spilled.n, n)
	}
	if spilled.spill == nil || len(spilled.spilled) == 0 || len(spilled.chunks) > 2 {
		t.Fatalf("nothing spilled: %d chunks in memory, %d in the file", len(spilled.chunks), len(spilled.spilled))
	}
	if mem.spill != nil {
		t.Fatal("a store under the limit spilled")
	}
	var want, got []string
	collect := func(out *[]string) func(r *summaryRow) {
		return func(r *summaryRow) {
			var cells []string
			for _, line := range r.cols {
				for _, c := range line {
					cells = append(cells, string(c))
				}
			}
			*out = append(*out, fmt.Sprint(cells, " ", string(r.events)))
		}
	}
	if err := mem.each(collect(&want)); err != nil {
		t.Fatal(err)
	}
	if err := spilled.each(collect(&got)); err != nil {
		t.Fatal(err)
	}
	if len(got) != n || !slices.Equal(got, want) {
		t.Fatalf("%d rows back from the spilled store, want %d the same as in memory", len(got), n)
	}
	if fmt.Sprint(mem.width) != fmt.Sprint(spilled.width) {
		t.Errorf("widths %v, want %v", spilled.width, mem.width)
	}
	events := 0
	for _, r := range want {
		if r[len(r)-1] != ' ' && r[len(r)-1] != ']' {
			events++
		}
	}
	if events == 0 {
		t.Error("no row with segment events: the test no longer covers that column")
	}
}

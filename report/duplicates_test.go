package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// duplicated runs, through a table into sink, a SYN captured twice (the
// copy 3 µs later on another interface, as "any" records it) and an
// unanswered SYN on another 4-tuple captured once.
func duplicated(sink flow.Sink) {
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	tb := flow.NewTable(flow.Config{Timeline: true}, sink)
	syn := func(at time.Duration, src string, ident uint64, tap uint32) *fsm.Segment {
		return &fsm.Segment{Time: t0.Add(at), Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort("10.0.0.2:80"),
			Seq: 100, Flags: fsm.SYN, Window: 1000, Ident: ident, Tap: tap}
	}
	tb.Add(syn(0, "10.0.0.1:40000", 7, 1))
	tb.Add(syn(3*time.Microsecond, "10.0.0.1:40000", 7, 2))
	tb.Add(syn(time.Millisecond, "10.0.0.3:40000", 8, 1))
	tb.Close()
}

func TestJSONDuplicates(t *testing.T) {
	var out bytes.Buffer
	j := NewJSON(&out)
	duplicated(j)
	if err := j.Close(&Totals{Packets: 3, TCP: 3, Connections: 2, Duplicates: 1}); err != nil {
		t.Fatal(err)
	}
	var dups []float64
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		if rec["type"] == "conn" || rec["type"] == "stats" {
			d, ok := rec["duplicates"].(float64)
			if !ok {
				t.Errorf("no duplicates in %s", sc.Text())
			}
			dups = append(dups, d)
		}
	}
	if len(dups) != 3 || dups[0] != 1 || dups[1] != 0 || dups[2] != 1 {
		t.Errorf("duplicates of conn 1, conn 2, stats: %v, want [1 0 1]", dups)
	}
}

func TestTextDuplicates(t *testing.T) {
	var out bytes.Buffer
	tx := NewText(&out, false)
	duplicated(tx)
	if err := tx.Close(&Totals{Packets: 3, TCP: 3, Connections: 2, Duplicates: 1}); err != nil {
		t.Fatal(err)
	}
	// The table's second line of each connection: only the one that had
	// copies says so. The header and a blank line come first.
	lines := strings.Split(out.String(), "\n")[2:]
	if len(lines) < 7 || !strings.HasPrefix(lines[3], "1  ") || !strings.HasPrefix(lines[5], "2  ") {
		t.Fatalf("unexpected output:\n%s", out.String())
	}
	if !strings.Contains(lines[4], "1 duplicates") || strings.Contains(lines[6], "duplicates") {
		t.Errorf("table rows:\n%s\n%s", lines[4], lines[6])
	}
	if !strings.Contains(out.String(), "connections: 2, 1 duplicates dropped\n") {
		t.Errorf("counters line does not count the copy:\n%s", out.String())
	}
	out.Reset()
	tx = NewText(&out, false)
	if err := tx.Close(&Totals{}); err != nil || strings.Contains(out.String(), "duplicates") {
		t.Errorf("counters mention duplicates when there were none: %q", out.String())
	}
}

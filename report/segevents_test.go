package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// lossy runs, through a table into sink, a connection whose server
// retransmits a segment after a duplicate ACK, then closes: a handshake,
// data, a lost segment (not captured), a duplicate ACK, the segment sent
// again 300 ms later, and a FIN each way. ISNs near 2^32: the server's data
// crosses the wrap.
func lossy(sink flow.Sink, timeline bool) {
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	cli, srv := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	iss, irs := fsm.Seq(0xfffffff0), fsm.Seq(0xffffff00)
	tb := flow.NewTable(flow.Config{Timeline: timeline}, sink)
	add := func(ms int, fromClient bool, flags fsm.Flags, seq, ack fsm.Seq, n int) {
		s := &fsm.Segment{Time: t0.Add(time.Duration(ms) * time.Millisecond), Src: srv, Dst: cli,
			Seq: irs + seq, Ack: iss + ack, Flags: flags, Window: 60000, PayloadLen: n}
		if fromClient {
			s.Src, s.Dst, s.Seq, s.Ack = cli, srv, iss+seq, irs+ack
		}
		tb.Add(s)
	}
	add(0, true, fsm.SYN, 0, 0, 0)
	add(1, false, fsm.SYN|fsm.ACK, 0, 1, 0)
	add(2, true, fsm.ACK, 1, 1, 0)
	add(3, false, fsm.ACK, 1, 1, 500)
	add(4, true, fsm.ACK, 1, 501, 0)
	add(5, false, fsm.ACK, 1001, 1, 500) // 501-1001 not captured
	add(6, true, fsm.ACK, 1, 501, 0)     // dup ack #1
	add(306, false, fsm.ACK, 501, 1, 500)
	add(307, true, fsm.ACK|fsm.FIN, 1, 1501, 0)
	add(308, false, fsm.ACK|fsm.FIN, 1501, 2, 0)
	add(309, true, fsm.ACK, 2, 1502, 0)
	tb.Close()
}

func TestJSONSegmentEvents(t *testing.T) {
	for _, stream := range []bool{false, true} {
		var out bytes.Buffer
		j := NewJSON(&out)
		if stream {
			j = NewJSONStream(&out)
		}
		lossy(j, false)
		if err := j.Close(&Totals{}); err != nil {
			t.Fatal(err)
		}
		var types, events []string
		var conn map[string]any
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			typ := rec["type"].(string)
			types = append(types, typ)
			switch typ {
			case "conn":
				conn = rec
			case "event":
				e := rec["event"].(string) + "/" + rec["endpoint"].(string)
				if c, ok := rec["count"]; ok {
					if rec["event"] != "duplicate_ack" {
						t.Errorf("count on %s", sc.Text())
					}
					e += "#" + strings.TrimSpace(strings.Repeat("1", int(c.(float64))))
				}
				events = append(events, e)
				if rec["ts"] == "" || rec["conn"] != 1.0 {
					t.Errorf("event record %s", sc.Text())
				}
			}
		}
		want := []string{"lost_segment/server", "duplicate_ack/client#1", "retransmission/server"}
		if !slices.Equal(events, want) {
			t.Errorf("stream %v: events %q, want %q", stream, events, want)
		}
		counts, _ := conn["events"].(map[string]any)
		if len(counts) != 3 || counts["lost_segment"] != 1.0 || counts["duplicate_ack"] != 1.0 || counts["retransmission"] != 1.0 {
			t.Errorf("stream %v: conn events %v", stream, conn["events"])
		}
		// Offline, the events follow the conn record, in timeline order
		// with the transitions; live, they come as they happen, before it.
		conns := slices.Index(types, "conn")
		first := slices.Index(types, "event")
		if stream == (first > conns) {
			t.Errorf("stream %v: records in order %v", stream, types)
		}
		// Offline, the events come after the handshake's transitions
		// and before the FINs'.
		lastEvent := first
		for i, typ := range types {
			if typ == "event" {
				lastEvent = i
			}
		}
		if !stream && (first < conns+4 || !slices.Contains(types[lastEvent:], "transition")) {
			t.Errorf("records in order %v", types)
		}
	}
}

func TestJSONEventsAlwaysPresent(t *testing.T) {
	var out bytes.Buffer
	j := NewJSON(&out)
	duplicated(j)
	j.Close(&Totals{})
	if !strings.Contains(out.String(), `"violations":[],"violation_counts":{},"notes":{},"events":{}`) {
		t.Errorf("a conn record without events lacks \"events\":{}:\n%s", out.String())
	}
}

func TestTextSegmentEvents(t *testing.T) {
	var out bytes.Buffer
	txt := NewText(&out, true)
	lossy(txt, true)
	txt.Close(&Totals{})
	s := out.String()
	for _, want := range []string{
		"len 500    win 60000  [previous segment not captured]\n",
		"len 0      win 60000  [dup ack #1]\n",
		"len 500    win 60000  [retransmission]\n",
		"\n   retrans 1, not captured 1, dup acks 1\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("text output lacks %q:\n%s", want, s)
		}
	}
}

func TestStreamSegmentEvents(t *testing.T) {
	var out bytes.Buffer
	st := NewStream(&out, time.UTC)
	lossy(st, false)
	st.Close(&Totals{})
	var marked []string
	for line := range strings.Lines(out.String()) {
		if strings.Contains(line, " ~ ") {
			marked = append(marked, line)
		}
	}
	// Duplicate ACKs are routine: counted, not printed.
	if len(marked) != 2 ||
		!strings.Contains(marked[0], "conn 1 server 10.0.0.2:80    ~ previous segment not captured [.] seq 1001 len 500") ||
		!strings.Contains(marked[1], "~ retransmission [.] seq 501 len 500") {
		t.Errorf("segment event lines %q in:\n%s", marked, out.String())
	}
	if !strings.Contains(out.String(), "violations 0, retrans 1,\n    not captured 1, dup acks 1\n") {
		t.Errorf("summary line lacks the counts:\n%s", out.String())
	}
}

// The diagram counts the transitions a connection made, and nothing of
// its segment events, which come to the sinks by a method of their own.
func TestSegmentEventsAreNoTransitions(t *testing.T) {
	d := NewDot(io.Discard)
	lossy(d, false)
	counted := 0
	for _, n := range d.counts {
		counted += n
	}
	var n counter
	lossy(&n, false)
	if n.segEvents == 0 || counted != n.transitions {
		t.Errorf("the diagram counts %d transitions, the connection made %d (and %d segment events)", counted, n.transitions, n.segEvents)
	}
}

// counter counts the transitions and the segment events of a table.
type counter struct{ transitions, segEvents int }

func (n *counter) Event(_ *flow.Conn, e *flow.Event) {
	if e.Kind == fsm.Transition {
		n.transitions++
	}
}
func (n *counter) Segment(*flow.Conn, *flow.SegmentEvent) { n.segEvents++ }
func (n *counter) Done(*flow.Conn)                        {}

package flow_test

// Copies and sendings in the kernel-made captures of testdata/dup (see its
// README.md): identical segments a Linux stack really sent, and the copies
// "tcpdump -i any" made of them on a router.

import (
	"path/filepath"
	"testing"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

const dupDir = "../testdata/dup"

// segmentsOf decodes every TCP segment of a capture.
func segmentsOf(t *testing.T, path string) []fsm.Segment { return decodeAll(t, path, false) }

// decodeAll decodes every TCP segment of a capture, checking TCP
// checksums if verify.
func decodeAll(t *testing.T, path string, verify bool) []fsm.Segment {
	t.Helper()
	rd, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var (
		segs []fsm.Segment
		p    capture.Packet
		s    fsm.Segment
		dec  = capture.NewDecoder()
	)
	dec.VerifyChecksums = verify
	for rd.Next(&p) == nil {
		if dec.Decode(&p, &s) {
			segs = append(segs, s)
		}
	}
	return segs
}

// longestIdenticalRun is the longest run of consecutive segments from src
// with one Ident and the given flags, the other side's segments in between
// left out.
func longestIdenticalRun(segs []fsm.Segment, src string, flags fsm.Flags) int {
	best, run := 0, 0
	var last uint64
	for _, s := range segs {
		if s.Src.String() != src {
			continue
		}
		switch {
		case s.Flags != flags:
			run = 0
		case run > 0 && s.Ident == last:
			run++
		default:
			run = 1
		}
		last = s.Ident
		best = max(best, run)
	}
	return best
}

// dupAConns are the counts of the two connections of dup-a.pcap, as
// tshark 4.0 counts them (TestDupCapturesAgainstTshark checks that it
// does): the SYN,ACK sent twice is a retransmission, each of the 12
// duplicate ACKs (identical: IPv6 without flow label, no timestamps, no
// SACK) counts, and the fast retransmission they call for is one.
var dupAConns = []struct {
	server       string
	retrans      uint32
	fast         uint32
	dupAcks      uint32
	packets      [2]int
	identicalRun int // the longest run of identical segments from the server
	runFlags     fsm.Flags
}{
	{"10.98.2.2:9201", 1, 0, 1, [2]int{6, 4}, 2, fsm.SYN | fsm.ACK},
	{"[fd98:2::2]:9202", 1, 1, 12, [2]int{51, 24}, 13, fsm.ACK}, // an ACK and its 12 duplicates
}

// checkDupA checks the connections of dup-a.pcap's traffic, whichever
// point they were captured at.
func checkDupA(t *testing.T, conns []*flow.Conn) {
	t.Helper()
	if len(conns) != len(dupAConns) {
		t.Fatalf("%d connections, want %d", len(conns), len(dupAConns))
	}
	for i, w := range dupAConns {
		c := conns[i]
		retrans := c.SegCount(flow.Retransmission) + c.SegCount(flow.FastRetransmission) + c.SegCount(flow.SpuriousRetransmission)
		if retrans != w.retrans || c.SegCount(flow.FastRetransmission) != w.fast || c.SegCount(flow.DuplicateAck) != w.dupAcks {
			t.Errorf("conn %d: %d retransmissions (%d fast), %d duplicate ACKs; want %d (%d), %d",
				c.ID, retrans, c.SegCount(flow.FastRetransmission), c.SegCount(flow.DuplicateAck), w.retrans, w.fast, w.dupAcks)
		}
		if c.Packets != w.packets {
			t.Errorf("conn %d: packets %v, want %v", c.ID, c.Packets, w.packets)
		}
		if c.FSM.Endpoint(fsm.A).State != fsm.TimeWait || c.FSM.Endpoint(fsm.B).State != fsm.Closed {
			t.Errorf("conn %d ends %v/%v, want TIME-WAIT/CLOSED", c.ID, c.FSM.Endpoint(fsm.A).State, c.FSM.Endpoint(fsm.B).State)
		}
	}
}

// TestDupIdenticalSendings: in dup-a.pcap, captured at the client, the
// server sent two identical SYN,ACKs 3 µs apart (its SYN came twice), and
// an ACK followed by 12 identical duplicates of it, back to back. One
// point saw them, with the same MAC addresses and TTL, the SYN,ACKs with
// identification 0 and the ACKs over IPv6: none is a copy, every one
// counts.
func TestDupIdenticalSendings(t *testing.T) {
	path := filepath.Join(dupDir, "dup-a.pcap")
	segs := segmentsOf(t, path)
	for _, w := range dupAConns {
		if n := longestIdenticalRun(segs, w.server, w.runFlags); n != w.identicalRun {
			t.Errorf("%s sends %d identical %v segments in a row, want %d: the capture no longer shows the case", w.server, n, w.runFlags, w.identicalRun)
		}
	}
	v := replayFrames(t, path, nil)
	for _, c := range v.conns {
		if c.Duplicates != 0 {
			t.Errorf("conn %d: %d segments taken for copies", c.ID, c.Duplicates)
		}
	}
	checkDupA(t, v.conns)
}

// TestDupAnyCopies: dup-r-any.pcap is the same traffic captured with
// "tcpdump -i any" on the router between client and server: every packet
// it forwarded is in it twice, coming in on one veth and going out on the
// other (the client's SYN three times: iptables TEE cloned it). Every
// outgoing packet is a copy of an incoming one, and only those are: the
// capture analyses as its incoming packets alone do, and as the capture at
// the client does.
func TestDupAnyCopies(t *testing.T) {
	path := filepath.Join(dupDir, "dup-r-any.pcap")
	in := filepath.Join(t.TempDir(), "in.pcap")
	outgoing := keepIncoming(t, path, in)
	if outgoing == 0 {
		t.Fatal("no outgoing packet: the capture proves nothing")
	}
	all, once := replayFrames(t, path, nil), replayFrames(t, in, nil)
	dups := 0
	for _, c := range all.conns {
		dups += int(c.Duplicates)
	}
	if dups != outgoing {
		t.Errorf("%d copies, want %d (the outgoing packets)", dups, outgoing)
	}
	for _, c := range once.conns {
		if c.Duplicates != 0 {
			t.Errorf("incoming packets only: conn %d has %d copies", c.ID, c.Duplicates)
		}
	}
	if len(all.conns) != len(once.conns) {
		t.Fatalf("%d connections, %d from the incoming packets", len(all.conns), len(once.conns))
	}
	for i, c := range all.conns {
		w := once.conns[i]
		if c.Packets != w.Packets || c.Bytes != w.Bytes || c.SegCounts() != w.SegCounts() || c.Violations != w.Violations {
			t.Errorf("conn %d: packets %v bytes %v events %v violations %d; from the incoming packets %v %v %v %d",
				c.ID, c.Packets, c.Bytes, c.SegCounts(), c.Violations, w.Packets, w.Bytes, w.SegCounts(), w.Violations)
		}
		for _, s := range []fsm.Side{fsm.A, fsm.B} {
			if c.FSM.Endpoint(s).State != w.FSM.Endpoint(s).State {
				t.Errorf("conn %d side %v ends %v, %v from the incoming packets", c.ID, s, c.FSM.Endpoint(s).State, w.FSM.Endpoint(s).State)
			}
		}
	}
	checkDupA(t, all.conns)
}

// keepIncoming writes to dst the packets of the LINUX_SLL2 capture src
// that are not outgoing (packet type 4), and returns how many it left out.
func keepIncoming(t *testing.T, src, dst string) int {
	t.Helper()
	rd, err := capture.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	w, err := capture.CreateWriter(dst, capture.LinkTypeLinuxSLL2, 262144)
	if err != nil {
		t.Fatal(err)
	}
	var p capture.Packet
	left := 0
	for rd.Next(&p) == nil {
		if p.LinkType != capture.LinkTypeLinuxSLL2 || len(p.Data) < 20 {
			t.Fatalf("record %d: not a LINUX_SLL2 packet", p.Record)
		}
		if p.Data[10] == 4 {
			left++
			continue
		}
		if err := w.Write(&p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return left
}

// TestDupCapturesAgainstTshark: tshark agrees with us on every flag of
// every stream of dup-a.pcap, and of dup-r-any.pcap's incoming packets (on
// the whole of dup-r-any.pcap it takes the copies for retransmissions and
// duplicate ACKs).
func TestDupCapturesAgainstTshark(t *testing.T) {
	needTshark(t)
	in := filepath.Join(t.TempDir(), "in.pcap")
	keepIncoming(t, filepath.Join(dupDir, "dup-r-any.pcap"), in)
	for _, path := range []string{filepath.Join(dupDir, "dup-a.pcap"), in} {
		ts := runTshark(t, path)
		want := map[int64]bool{}
		for _, f := range ts.first {
			want[f] = true
		}
		if d := compareViews(ts, replayFrames(t, path, want), newTally()); len(d) > 0 {
			t.Errorf("%s: %q", filepath.Base(path), d)
		}
	}
}

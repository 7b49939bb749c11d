package flow

import (
	"net/netip"
	"testing"
	"time"

	"tcpflow-fsm/fsm"
)

// bulk returns the segments of a bulk transfer in steady state, from ISNs
// near 2^32 so that it crosses the wrap: the server sends data, the client
// acknowledges every other segment, and every eighth round a segment is
// lost and sent again after three duplicate ACKs. The events of every kind
// a transfer shows come up: lost segments, duplicate ACKs, fast
// retransmissions, window updates.
func bulk(n int) []fsm.Segment {
	const mss = 1448
	c := netip.MustParseAddrPort("10.0.0.1:40000")
	s := netip.MustParseAddrPort("10.0.0.2:80")
	iss, irs := fsm.Seq(0xfffff000), fsm.Seq(0xffff0000)
	at := fsm.TimeOf(time.Unix(1700000000, 0))
	tick := func() fsm.Time { at = at.Add(100 * time.Microsecond); return at }
	segs := []fsm.Segment{
		{Time: tick(), Src: c, Dst: s, Seq: iss, Flags: fsm.SYN, Window: 64240},
		{Time: tick(), Src: s, Dst: c, Seq: irs, Ack: iss + 1, Flags: fsm.SYN | fsm.ACK, Window: 65160},
		{Time: tick(), Src: c, Dst: s, Seq: iss + 1, Ack: irs + 1, Flags: fsm.ACK, Window: 64240},
	}
	nxt, win := irs+1, uint16(64240)
	data := func(seq fsm.Seq) fsm.Segment {
		return fsm.Segment{Time: tick(), Src: s, Dst: c, Seq: seq, Ack: iss + 1, Flags: fsm.ACK, Window: 65160, PayloadLen: mss}
	}
	ack := func(a fsm.Seq) fsm.Segment {
		return fsm.Segment{Time: tick(), Src: c, Dst: s, Seq: iss + 1, Ack: a, Flags: fsm.ACK, Window: win}
	}
	for round := 0; len(segs) < n; round++ {
		if round%8 == 7 {
			lost := nxt
			segs = append(segs, data(nxt+mss), ack(lost), data(nxt+2*mss), ack(lost), ack(lost), data(lost), ack(nxt+3*mss))
			nxt += 3 * mss
			continue
		}
		segs = append(segs, data(nxt), data(nxt+mss))
		nxt += 2 * mss
		segs = append(segs, ack(nxt))
		if round%16 == 3 {
			win-- // a window update now and then
			segs = append(segs, ack(nxt))
		}
	}
	return segs[:n]
}

// TestBulkShowsEvents checks that the benchmark's transfer exercises the
// analysis: it has gaps, duplicate ACKs and fast retransmissions.
func TestBulkShowsEvents(t *testing.T) {
	var tr seqTrack
	var counts [NumSegEvents]int
	for _, seg := range bulk(4000) {
		from := fsm.A
		if seg.Src.Port() == 80 {
			from = fsm.B
		}
		ev, _ := tr.analyze(from, &seg, 0, true)
		ev.Each(func(e SegEvent) { counts[e]++ })
	}
	for _, e := range []SegEvent{LostSegment, DuplicateAck, FastRetransmission, WindowUpdate} {
		if counts[e] == 0 {
			t.Errorf("no %s in the benchmark's transfer: %v", e, counts)
		}
	}
	if counts[Retransmission]+counts[OutOfOrder]+counts[SpuriousRetransmission] != 0 {
		t.Errorf("unexpected events: %v", counts)
	}
}

// BenchmarkSeqTrack measures the analysis of one segment in steady state;
// it allocates nothing (go test -bench SeqTrack -benchmem: 0 allocs/op).
func BenchmarkSeqTrack(b *testing.B) {
	segs := bulk(4096)
	from := make([]fsm.Side, len(segs))
	for i := range segs {
		if segs[i].Src.Port() == 80 {
			from[i] = fsm.B
		}
	}
	var tr seqTrack
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(segs)
		if j == 0 {
			tr = seqTrack{}
		}
		tr.analyze(from[j], &segs[j], 0, true)
	}
}

// BenchmarkTableAdd measures the whole per-segment path of a table without
// timelines: duplicates, the analysis, the state machine.
func BenchmarkTableAdd(b *testing.B) {
	segs := bulk(4096)
	b.ReportAllocs()
	b.ResetTimer()
	var tb *Table
	for i := 0; i < b.N; i++ {
		j := i % len(segs)
		if j == 0 {
			tb = NewTable(Config{}, sinkFunc(func(*Conn) {}))
		}
		tb.Add(&segs[j])
	}
}

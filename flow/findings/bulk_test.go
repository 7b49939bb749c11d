package findings

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// bulkCase feeds segments through a table into a Findings collector and
// returns the bulk findings by code.
func bulkFindings(t *testing.T, feed func(add func(src, dst netip.AddrPort, f fsm.Flags, seq, ack uint32))) map[string]Finding {
	t.Helper()
	f := New()
	table := flow.NewTable(flow.Config{}, observeSink{f})
	now := fsm.TimeOf(time.Unix(1700000000, 0))
	feed(func(src, dst netip.AddrPort, fl fsm.Flags, seq, ack uint32) {
		now = now.Add(time.Millisecond)
		table.Add(&fsm.Segment{Time: now, Src: src, Dst: dst, Flags: fl, Seq: fsm.Seq(seq), Ack: fsm.Seq(ack), Window: 1000})
	})
	table.Close()
	out := map[string]Finding{}
	for _, fd := range f.List() {
		out[fd.Code] = fd
	}
	return out
}

// observeSink hands every connection that ends to a Findings.
type observeSink struct{ f *Collector }

func (s observeSink) Event(*flow.Conn, *flow.Event)        {}
func (observeSink) Segment(*flow.Conn, *flow.SegmentEvent) {}
func (s observeSink) Done(c *flow.Conn)                    { s.f.Observe(c) }

func addr(a [4]byte, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4(a), port)
}

func TestBulkFindings(t *testing.T) {
	server := addr([4]byte{10, 0, 0, 1}, 80)
	t.Run("syn_flood", func(t *testing.T) {
		got := bulkFindings(t, func(add func(src, dst netip.AddrPort, f fsm.Flags, seq, ack uint32)) {
			for i := range 3000 {
				src := addr([4]byte{100, byte(i >> 8), byte(i), 1}, uint16(1024+i))
				add(src, server, fsm.SYN, uint32(i), 0)
				if i%3 == 0 { // answered, never acknowledged
					add(server, src, fsm.SYN|fsm.ACK, 5000, uint32(i)+1)
				}
			}
		})
		fd, ok := got["syn_flood"]
		if !ok || fd.Target != "10.0.0.1:80" || fd.Count != 3000 ||
			!strings.Contains(fd.Detail, "2000 SYNs unanswered, 1000 SYN,ACKs never acknowledged") {
			t.Fatalf("syn_flood: %+v", fd)
		}
		if _, ok := got["port_scan"]; ok {
			t.Error("a flood from many sources taken for a scan")
		}
	})
	t.Run("port_scan", func(t *testing.T) {
		scanner := addr([4]byte{10, 9, 9, 9}, 43771)
		got := bulkFindings(t, func(add func(src, dst netip.AddrPort, f fsm.Flags, seq, ack uint32)) {
			for port := range uint16(300) {
				dst := addr([4]byte{10, 0, 1, byte(port % 2)}, 1+port)
				add(scanner, dst, fsm.SYN, 7, 0)
				add(dst, scanner, fsm.RST|fsm.ACK, 0, 8)
			}
		})
		fd, ok := got["port_scan"]
		if !ok || fd.Target != "10.9.9.9" || fd.Count != 300 || !strings.Contains(fd.Detail, "300 refused") ||
			!strings.Contains(fd.Detail, "on about 2 hosts") {
			t.Fatalf("port_scan: %+v", fd)
		}
		if _, ok := got["syn_flood"]; ok {
			t.Error("a scan taken for a flood")
		}
	})
	t.Run("rst_storm", func(t *testing.T) {
		got := bulkFindings(t, func(add func(src, dst netip.AddrPort, f fsm.Flags, seq, ack uint32)) {
			for i := range 1500 {
				add(addr([4]byte{172, 16, byte(i >> 8), byte(i)}, 5000), server, fsm.RST, uint32(i)*7919, 0)
			}
		})
		fd, ok := got["rst_storm"]
		if !ok || fd.Count != 1500 || !strings.HasPrefix(fd.Detail, "1500 4-tuples seen only as RSTs") {
			t.Fatalf("rst_storm: %+v", fd)
		}
	})
	t.Run("below the thresholds", func(t *testing.T) {
		got := bulkFindings(t, func(add func(src, dst netip.AddrPort, f fsm.Flags, seq, ack uint32)) {
			for i := range 50 {
				src := addr([4]byte{100, 0, byte(i), 1}, uint16(1024+i))
				add(src, server, fsm.SYN, uint32(i), 0)
				add(addr([4]byte{172, 16, 0, byte(i)}, 5000), server, fsm.RST, 1, 0)
			}
		})
		for _, code := range []string{"syn_flood", "port_scan", "rst_storm"} {
			if _, ok := got[code]; ok {
				t.Errorf("%s fired on 50 connections", code)
			}
		}
	})
}

func TestSketch(t *testing.T) {
	for _, n := range []int{0, 5, 8, 9, 100, 10_000, 1_000_000} {
		var s sketch
		for i := range n {
			s.add(hash([16]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}, 0))
			s.add(hash([16]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}, 0)) // again
		}
		got := s.estimate()
		if n <= sketchSmall && got != float64(n) || n > sketchSmall && (got < 0.7*float64(n) || got > 1.3*float64(n)) {
			t.Errorf("%d distinct values estimated as %.0f", n, got)
		}
	}
}

// TestBulkScanAfterFlood checks that a scan that starts after a flood of
// spoofed sources has filled the table of clients is still named.
func TestBulkScanAfterFlood(t *testing.T) {
	server := addr([4]byte{10, 0, 0, 1}, 80)
	scanner := addr([4]byte{10, 9, 9, 9}, 43771)
	got := bulkFindings(t, func(add func(src, dst netip.AddrPort, f fsm.Flags, seq, ack uint32)) {
		for i := range 3 * maxTracked {
			add(addr([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)}, uint16(1024+i)), server, fsm.SYN, uint32(i), 0)
		}
		for port := range uint16(300) {
			dst := addr([4]byte{10, 0, 1, 1}, 1+port)
			add(scanner, dst, fsm.SYN, 7, 0)
			add(dst, scanner, fsm.RST|fsm.ACK, 0, 8)
		}
	})
	if fd, ok := got["port_scan"]; !ok || fd.Target != "10.9.9.9" || fd.Count != 300 {
		t.Errorf("port_scan after a flood: %+v", fd)
	}
	if fd, ok := got["syn_flood"]; !ok || fd.Count != 3*maxTracked {
		t.Errorf("syn_flood: %+v", fd)
	}
}

// TestTrackedMakesRoomAsAFullSweep: making room by looking only at the keys
// added since room was last made drops what a sweep of the whole table
// drops (every key seen once), so the same keys are counted, with the same
// counts.
func TestTrackedMakesRoomAsAFullSweep(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tr := newTracked[int, scanCount, *scanCount]()
	ref := map[int]*scanCount{}
	for i := range 60000 {
		k := r.IntN(r.IntN(30000) + 1) // some keys often, most once
		v := ref[k]
		if v == nil && len(ref) >= maxTracked {
			for rk, rv := range ref {
				if rv.conns < 2 {
					delete(ref, rk)
				}
			}
		}
		if v == nil && len(ref) < maxTracked {
			v = new(scanCount)
			ref[k] = v
		}
		got := tr.get(k)
		if (got == nil) != (v == nil) {
			t.Fatalf("op %d, key %d: counted %v, a full sweep %v", i, k, got != nil, v != nil)
		}
		if v != nil {
			v.conns++
			got.conns++
			if got.conns != v.conns {
				t.Fatalf("op %d, key %d: %d connections, a full sweep %d", i, k, got.conns, v.conns)
			}
		}
	}
	if tr.looked == 0 {
		t.Fatal("the table never made room: the test does not test it")
	}
	if len(tr.m) != len(ref) {
		t.Fatalf("%d keys counted, a full sweep %d", len(tr.m), len(ref))
	}
	for k := range ref {
		if tr.m[k] == nil {
			t.Fatalf("key %d not counted", k)
		}
	}
}

// TestTrackedFullOfRepeatsIsCheap: a table full of keys seen twice (busy
// servers, say) and a stream of new keys: each new key looked at the whole
// table to make room, 4,096 entries a connection. Now what is looked at is
// bounded by the keys added.
func TestTrackedFullOfRepeatsIsCheap(t *testing.T) {
	tr := newTracked[int, floodCount, *floodCount]()
	for k := range maxTracked {
		for range 2 {
			tr.get(k).conns++
		}
	}
	const fresh = 100000
	for k := maxTracked; k < maxTracked+fresh; k++ {
		if v := tr.get(k); v != nil {
			t.Fatalf("key %d counted in a table full of keys seen twice", k)
		}
	}
	if tr.looked > maxTracked {
		t.Errorf("looked at %d entries to make room for %d new keys; at most %d (the keys ever added)", tr.looked, fresh, maxTracked)
	}
}

// TestTimeWaitPairsMakeRoomAsAFullSweep: the pairs of TIME-WAIT host and
// server make room as the bulk tables do, looking only at the pairs added
// since room was last made, and keep what a sweep of all of them keeps.
func TestTimeWaitPairsMakeRoomAsAFullSweep(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	f := New()
	ref := map[twKey][]int{}
	srv := netip.MustParseAddrPort("10.0.0.1:80")
	for id := range 60000 {
		n := r.IntN(r.IntN(30000) + 1)
		k := twKey{netip.AddrFrom4([4]byte{10, 1, byte(n >> 8), byte(n)}), srv}
		if _, ok := ref[k]; !ok && len(ref) >= maxTracked {
			for rk, ids := range ref {
				if len(ids) < 2 {
					delete(ref, rk)
				}
			}
		}
		if _, ok := ref[k]; ok || len(ref) < maxTracked {
			ref[k] = append(ref[k], id)
		}
		f.waitsIn(k, id)
	}
	if len(f.timeWait) != len(ref) {
		t.Fatalf("%d pairs kept, a full sweep %d", len(f.timeWait), len(ref))
	}
	swept := false
	for k, ids := range ref {
		if !slices.Equal(f.timeWait[k], ids) {
			t.Fatalf("pair %v: %v, a full sweep %v", k, f.timeWait[k], ids)
		}
		swept = swept || len(ids) > 0 && ids[0] > maxTracked
	}
	if !swept {
		t.Fatal("no pair added after the table filled: the test does not test making room")
	}
}

package flow

import (
	"os"
	"testing"
	"time"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/fsm"
)

// BenchmarkStages measures apart, on a capture of one's choosing (the
// benchmark's: docs/PERFORMANCE.md), what summary mode's per-segment path
// costs on one core, in nanoseconds a segment:
//
//   - read: reading the file (from the page cache) and decoding each
//     packet into a segment, as the tool does;
//   - track: a table finding or opening each segment's connection and
//     counting it, then finishing every connection at the end, with no
//     analysis;
//   - analyse: the whole table, with the copy finder, the sequence-space
//     analysis, Zeek's history and the state machine of both endpoints.
//
// Rendering (the summary's rows and the findings) is not in it. Run it as
//
//	TCPFLOW_BENCH_PCAP=$PWD/bench/out/bench-small-....pcap go test ./flow -run '^$' -bench Stages -benchtime 3x
//
// The segments are decoded into memory once, before track and analyse.
func BenchmarkStages(b *testing.B) {
	name := os.Getenv("TCPFLOW_BENCH_PCAP")
	if name == "" {
		b.Skip("TCPFLOW_BENCH_PCAP names no capture")
	}
	read := func(keep func(*fsm.Segment)) int {
		rd, err := capture.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		defer rd.Close()
		dec := capture.NewDecoder()
		var (
			p   capture.Packet
			seg fsm.Segment
			n   int
		)
		for rd.Next(&p) == nil {
			if dec.Decode(&p, &seg) {
				n++
				keep(&seg)
			}
		}
		return n
	}
	perSegment := func(b *testing.B, n int) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/segment")
		b.ReportMetric(0, "ns/op")
	}
	b.Run("read", func(b *testing.B) {
		n := 0
		for range b.N {
			n = read(func(*fsm.Segment) {})
		}
		perSegment(b, n)
	})
	var segs []fsm.Segment
	read(func(s *fsm.Segment) { segs = append(segs, *s) })
	for _, stage := range []struct {
		name  string
		track bool
	}{{"track", true}, {"analyse", false}} {
		b.Run(stage.name, func(b *testing.B) {
			for range b.N {
				t := NewTable(Config{FSM: fsm.Config{TimeWait: 60 * time.Second}, DropEvents: true}, sinkFunc(func(*Conn) {}))
				t.trackOnly = stage.track
				for i := range segs {
					t.Add(&segs[i])
				}
				t.Close()
			}
			perSegment(b, len(segs))
		})
	}
}

//go:build !race

// The race detector multiplies memory use several times over, so this
// check runs only in builds without it: .ci/run runs it on its own.

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

// memoryTarget is issue 6's bound for a capture holding a million
// connections open at once: 1 GiB, met in summary mode. JSON mode keeps
// each connection's events until it ends as well (about 650 bytes with a
// handshake's four), so it is held to what the collector's soft limit
// allows it (tuneGC) and a fifth more, and logs how far it is from 1 GiB.
const (
	memoryTarget    = 1 << 30
	memoryBoundJSON = (baseMemory + 1_000_000*(connMemory+eventMemory)) * 6 / 5
)

// TestMillionOpenConnections analyses a capture in which one million
// connections complete their handshake and none ends, so that all of them
// are tracked at once when the capture ends, and checks that the tool's
// peak RSS stays under memoryTarget in summary mode and memoryBoundJSON in
// JSON mode.
func TestMillionOpenConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 200 MB capture and analyses it: not in -short")
	}
	const conns = 1_000_000
	dir := t.TempDir()
	pcap := filepath.Join(dir, "million.pcap")
	if err := writeHandshakes(pcap, conns); err != nil {
		t.Fatal(err)
	}
	tool := filepath.Join(dir, "tcpflow-fsm")
	if out, err := exec.Command("go", "build", "-o", tool, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, mode := range []string{"--summary", "--json"} {
		bound := int64(memoryTarget)
		if mode == "--json" {
			bound = memoryBoundJSON
		}
		t.Run(strings.TrimPrefix(mode, "--"), func(t *testing.T) {
			var tail tailWriter
			cmd := exec.Command(tool, "-r", pcap, "--max-conns", "1000000", mode)
			cmd.Stdout = &tail
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s", mode, err, stderr.Bytes())
			}
			peak := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10
			t.Logf("%s: %d connections open at once, peak RSS %.0f MiB (%d bytes a connection)",
				mode, conns, float64(peak)/(1<<20), peak/conns)
			want := fmt.Sprintf("connections: %d", conns)
			if mode == "--json" {
				want = fmt.Sprintf(`"connections":%d`, conns)
			}
			if !bytes.Contains(tail.last, []byte(want)) {
				t.Errorf("%s: the last output does not say %q:\n%s", mode, want, tail.last)
			}
			if peak > memoryTarget {
				t.Logf("%s: %.2f GiB, over issue 6's target of 1 GiB", mode, float64(peak)/(1<<30))
			}
			if peak > bound {
				t.Errorf("%s: peak RSS %d MiB, over the bound of %d MiB", mode, peak>>20, bound>>20)
			}
		})
	}
}

// tailWriter keeps the last 4 KiB written to it.
type tailWriter struct{ last []byte }

func (w *tailWriter) Write(p []byte) (int, error) {
	w.last = append(w.last, p...)
	if len(w.last) > 4096 {
		w.last = append(w.last[:0], w.last[len(w.last)-4096:]...)
	}
	return len(p), nil
}

// writeHandshakes writes a pcap (Ethernet, IPv4) in which n clients, each
// on its own address and port, open a connection to one of 256 servers:
// SYN, SYN,ACK, ACK, 10 µs apart. Nothing is closed.
func writeHandshakes(name string, n int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(pcapHeader())
	var rec []byte
	us := int64(0)
	put := func(src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte) {
		us += 10
		rec = appendTCPRecord(rec[:0], uint32(1700000000+us/1e6), uint32(us%1e6), src, dst, sport, dport, seq, ack, flags)
		w.Write(rec)
	}
	const syn, ack = 0x02, 0x10
	for i := range n {
		client := [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
		server := [4]byte{192, 168, 0, byte(i)}
		cport, sport := uint16(1024+i%60000), uint16(80)
		iss, irs := uint32(i)*7919, uint32(i)*104729
		put(client, server, cport, sport, iss, 0, syn)
		put(server, client, sport, cport, irs, iss+1, syn|ack)
		put(client, server, cport, sport, iss+1, irs+1, ack)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// BenchmarkLiveHeldConnections measures the heap a live capture's table and
// text stream hold for each connection they track, open and established
// (docs/PERFORMANCE.md, "Memory"): 100,000 handshakes through liveConfig,
// the live stream writing to io.Discard.
//
//	go test -run '^$' -bench LiveHeldConnections -benchtime 1x ./cmd/tcpflow-fsm
func BenchmarkLiveHeldConnections(b *testing.B) {
	const conns = 100_000
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out := report.NewStream(io.Discard, time.UTC)
		sink := &tallySink{out: out}
		o := &options{timeWait: fsm.DefaultTimeWait, maxConns: defaultMaxConns, timelineMax: defaultTimelineMax}
		table := flow.NewTable(liveConfig(o), sink)
		at := t0
		add := func(src, dst netip.AddrPort, flags fsm.Flags, seq, ack uint32) {
			at = at.Add(10 * time.Microsecond)
			table.Add(&fsm.Segment{Time: at, Src: src, Dst: dst, Flags: flags, Seq: fsm.Seq(seq), Ack: fsm.Seq(ack), Window: 65535})
		}
		for i := range conns {
			client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
			server := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, 0, byte(i)}), 80)
			iss, irs := uint32(i)*7919, uint32(i)*104729
			add(client, server, fsm.SYN, iss, 0)
			add(server, client, fsm.SYN|fsm.ACK, irs, iss+1)
			add(client, server, fsm.ACK, iss+1, irs+1)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if table.Open() != conns {
			b.Fatalf("%d connections tracked, want %d", table.Open(), conns)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/conns, "B/conn")
		runtime.KeepAlive(table)
	}
}

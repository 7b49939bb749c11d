package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

// streamCapture runs a capture file through the live analysis, a table in
// arrival order (Unordered), as live does, with out as its renderer.
func streamCapture(t *testing.T, path string, out liveRenderer) {
	t.Helper()
	rd, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	sink := &tallySink{out: out}
	table := flow.NewTable(flow.Config{FSM: fsm.Config{TimeWait: fsm.DefaultTimeWait}, Unordered: true,
		IdleTimeout: 5 * time.Minute, MaxConns: defaultMaxConns}, sink)
	dec := capture.NewDecoder()
	var (
		p    capture.Packet
		seg  fsm.Segment
		read uint64
	)
	for {
		if err := rd.Next(&p); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		read++
		if dec.Decode(&p, &seg) {
			table.Add(&seg)
		}
	}
	table.Close()
	tot := totals(read, 0, dec, table.Stats)
	if err := out.Close(&tot); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenStream renders every kernel-made capture with the live
// renderers, the text stream (with --explain) and the JSON stream, and
// compares with testdata/kernel/<scenario>.stream.golden and
// .jsonstream.golden: live capture's output, pinned without a network.
// Update as TestGolden.
func TestGoldenStream(t *testing.T) {
	captures, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	if len(captures) == 0 {
		t.Fatal("no captures")
	}
	for _, pcap := range captures {
		name := strings.TrimSuffix(filepath.Base(pcap), ".pcap")
		for _, r := range []struct {
			name string
			make func(io.Writer) liveRenderer
		}{
			{"stream", func(w io.Writer) liveRenderer {
				st := report.NewStream(w, time.UTC)
				st.Explain = true
				return st
			}},
			{"jsonstream", func(w io.Writer) liveRenderer { return report.NewJSONStream(w) }},
		} {
			t.Run(name+"/"+r.name, func(t *testing.T) {
				var out bytes.Buffer
				streamCapture(t, pcap, r.make(&out))
				golden := filepath.Join(goldenDir, name+"."+r.name+".golden")
				if *update {
					if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(out.Bytes(), want) {
					t.Errorf("output differs from %s; run with -update and read the diff\ngot:\n%s", golden, out.String())
				}
			})
		}
	}
}

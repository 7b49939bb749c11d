package main

import (
	"errors"
	"io"
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
	table := flow.NewTable(liveConfig(&options{timeWait: fsm.DefaultTimeWait, maxConns: defaultMaxConns, timelineMax: defaultTimelineMax}), sink)
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

// topScreen runs a capture file through the live analysis with the --top
// view's model as its renderer, refreshed once a second of capture time
// as live refreshes it once a second of the clock, and returns the last
// frame, made a refresh after the last packet, drawn on 80×24, source
// (the interface and the filter) in its header.
func topScreen(t *testing.T, path, source string) []string {
	t.Helper()
	rd, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	top := report.NewTop(io.Discard)
	top.Source = source
	table := flow.NewTable(liveConfig(&options{timeWait: fsm.DefaultTimeWait, maxConns: defaultMaxConns, timelineMax: defaultTimelineMax}), &tallySink{out: top})
	dec := capture.NewDecoder()
	var (
		p    capture.Packet
		seg  fsm.Segment
		read uint64
		next time.Time // the next refresh
	)
	tick := func() *report.TopFrame {
		table.Advance(next)
		f := top.Tick(next, table.Each, report.TopStatus{Packets: read})
		next = next.Add(time.Second)
		return f
	}
	for {
		if err := rd.Next(&p); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		if next.IsZero() {
			next = p.Time
		}
		for !p.Time.Before(next) {
			tick()
		}
		read++
		if dec.Decode(&p, &seg) {
			table.Add(&seg)
		}
	}
	return tick().Lines(&report.TopView{Width: 80, Height: 24, Loc: time.UTC})
}

// liveRenderers are the renderers of live capture, as TestGolden runs them.
var liveRenderers = []struct {
	name string
	make func(io.Writer) liveRenderer
}{
	{"stream", func(w io.Writer) liveRenderer {
		st := report.NewStream(w, time.UTC)
		st.Explain = true
		return st
	}},
	{"jsonstream", func(w io.Writer) liveRenderer { return report.NewJSONStream(w) }},
	{"problems", func(w io.Writer) liveRenderer {
		st := report.NewStream(w, time.UTC)
		st.Problems = true
		return st
	}},
}

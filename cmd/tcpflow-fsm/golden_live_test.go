package main

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
		p         capture.Packet
		seg       fsm.Segment
		read      uint64
		nextWatch time.Time
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
			// As live, once a second, on the capture's clock.
			if !seg.Time.Before(nextWatch) {
				if !nextWatch.IsZero() {
					out.Watch(seg.Time, table.Each)
				}
				nextWatch = seg.Time.Add(watchEvery)
			}
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

// TestStreamFits100Columns: every line the live text stream prints of the
// kernel captures with IPv4 addresses, with --explain, in colour or not,
// and with --problems, fits 100 columns on a terminal.
func TestStreamFits100Columns(t *testing.T) {
	captures, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	if len(captures) == 0 {
		t.Fatal("no kernel captures")
	}
	for _, path := range captures {
		if strings.Contains(path, "ipv6") {
			continue
		}
		for _, mode := range []string{"explain", "color", "problems"} {
			var out bytes.Buffer
			st := report.NewStream(&out, time.UTC)
			st.Explain, st.Color, st.Problems = mode != "problems", mode == "color", mode == "problems"
			streamCapture(t, path, st)
			for i, line := range strings.Split(out.String(), "\n") {
				plain := ansiEscape.ReplaceAllString(line, "")
				if n := utf8.RuneCountInString(plain); n > 100 {
					t.Errorf("%s (%s) line %d is %d columns: %s", filepath.Base(path), mode, i+1, n, plain)
				}
			}
		}
	}
}

// ansiEscape matches a colour escape.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

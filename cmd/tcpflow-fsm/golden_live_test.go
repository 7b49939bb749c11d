package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
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

// replayLive runs a capture file through the live analysis
// (liveAnalysis), as live runs it, with out as its renderer: each packet a
// batch read at the packet's own time. It returns the analysis, not
// closed, and the last packet's time.
func replayLive(t *testing.T, path string, out liveRenderer) (*liveAnalysis, time.Time) {
	t.Helper()
	rd, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	o := &options{timeWait: fsm.DefaultTimeWait, maxConns: defaultMaxConns, timelineMax: defaultTimelineMax}
	var (
		a    *liveAnalysis
		p    capture.Packet
		last time.Time
	)
	for {
		if err := rd.Next(&p); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		if a == nil {
			a = newLiveAnalysis(o, out, p.Time.Time())
		}
		a.packet(&p)
		a.at(p.Time.Time())
		last = p.Time.Time()
	}
	if a == nil {
		a = newLiveAnalysis(o, out, last)
	}
	return a, last
}

// streamCapture runs a capture file through the live analysis with out as
// its renderer, and ends it at the last packet, as Ctrl-C would.
func streamCapture(t *testing.T, path string, out liveRenderer) {
	t.Helper()
	a, last := replayLive(t, path, out)
	tot := a.close(last)
	if err := out.Close(&tot); err != nil {
		t.Fatal(err)
	}
}

// lastFrame is the --top renderer of the golden tests: it keeps the frame
// of the latest refresh instead of drawing it.
type lastFrame struct {
	*report.Top
	frame *report.TopFrame
}

func (l *lastFrame) Tick(now fsm.Time, each func(func(*flow.Conn)), st report.TopStatus) {
	l.frame = l.Top.Tick(now, each, st)
}

// topScreen runs a capture file through the live analysis with the --top
// view, source naming what is captured, and returns its screen at 80x24
// at the refresh due next after the last packet.
func topScreen(t *testing.T, path, source string) []string {
	t.Helper()
	top := &lastFrame{Top: report.NewTop(io.Discard)}
	top.Source = source
	a, _ := replayLive(t, path, top)
	a.at(a.nextTick)
	return top.frame.Lines(&report.TopView{Width: 80, Height: 24, Loc: time.UTC})
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

// TestLiveAlertsAgreeWithTheEnd: replayed as live, no kernel capture and
// no capture of the real corpus (when present; those that cannot be read
// to their end are left to the damaged-input tests) streams a finding
// record with a ts whose code the final records, judged at the end, do
// not have: an alert says no more than the end will.
func TestLiveAlertsAgreeWithTheEnd(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	if manifest, err := os.ReadFile(filepath.Join(corpusDir, "MANIFEST.tsv")); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:] {
			files = append(files, filepath.Join(corpusDir, strings.Split(line, "\t")[0]))
		}
	}
	for _, path := range files {
		if !readsToTheEnd(path) {
			continue
		}
		var out bytes.Buffer
		streamCapture(t, path, report.NewJSONStream(&out))
		alerted, final := map[string]bool{}, map[string]bool{}
		for _, line := range strings.Split(out.String(), "\n") {
			var r struct {
				Type, Code string
				TS         *string
			}
			if json.Unmarshal([]byte(line), &r) != nil || r.Type != "finding" {
				continue
			}
			if r.TS != nil {
				alerted[r.Code] = true
			} else {
				final[r.Code] = true
			}
		}
		for code := range alerted {
			if !final[code] {
				t.Errorf("%s: %s alerted, not among the final findings", filepath.Base(path), code)
			}
		}
	}
}

// readsToTheEnd reports whether the capture at path reads without error.
func readsToTheEnd(path string) bool {
	rd, err := capture.Open(path)
	if err != nil {
		return false
	}
	defer rd.Close()
	var p capture.Packet
	for {
		if err := rd.Next(&p); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

package flow_test

// The segment events against tshark 4.0.17's tcp.analysis flags: on every
// capture of the real-capture corpus (tshark's view is stored beside each
// file), and on the kernel-made captures of testdata/kernel (tshark runs at
// test time, when installed).

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// tsharkFlags maps each tcp.analysis flag to the segment events it counts.
// tshark marks a fast and a spurious retransmission as a retransmission
// too; our events are exclusive, so its retransmission count is the sum of
// our three.
var tsharkFlags = []struct {
	flag string
	ours []flow.SegEvent
}{
	{"retransmission", []flow.SegEvent{flow.Retransmission, flow.FastRetransmission, flow.SpuriousRetransmission}},
	{"fast_retransmission", []flow.SegEvent{flow.FastRetransmission}},
	{"spurious_retransmission", []flow.SegEvent{flow.SpuriousRetransmission}},
	{"out_of_order", []flow.SegEvent{flow.OutOfOrder}},
	{"lost_segment", []flow.SegEvent{flow.LostSegment}},
	{"ack_lost_segment", []flow.SegEvent{flow.AckLostSegment}},
	{"duplicate_ack", []flow.SegEvent{flow.DuplicateAck}},
	{"zero_window", []flow.SegEvent{flow.ZeroWindow}},
	{"zero_window_probe", []flow.SegEvent{flow.ZeroWindowProbe}},
	{"zero_window_probe_ack", []flow.SegEvent{flow.ZeroWindowProbeAck}},
	{"window_full", []flow.SegEvent{flow.WindowFull}},
	{"window_update", []flow.SegEvent{flow.WindowUpdate}},
	{"keep_alive", []flow.SegEvent{flow.KeepAlive}},
	{"keep_alive_ack", []flow.SegEvent{flow.KeepAliveAck}},
	{"reused_ports", []flow.SegEvent{flow.ReusedPorts}},
}

// tsharkView is tshark's per-stream view of a capture: where each stream
// starts, and how many of its frames carry each flag.
type tsharkView struct {
	first  map[int]int64          // stream -> its first frame
	counts map[int]map[string]int // stream -> flag -> frames
}

// readTsharkTxt reads sections 3 (flags per stream) and 4 (streams) of a
// corpus <name>.tshark.txt.
func readTsharkTxt(path string) (*tsharkView, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v := &tsharkView{first: map[int]int64{}, counts: map[int]map[string]int{}}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section, _, _ = strings.Cut(line[3:], ".")
			continue
		}
		cols := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(cols) < 3 || cols[0] == "stream" {
			continue
		}
		stream, err := strconv.Atoi(cols[0])
		if err != nil {
			continue
		}
		switch {
		case section == "3":
			n, _ := strconv.Atoi(cols[2])
			if cols[1] == "duplicate_ack" {
				// tshark prints tcp.analysis.duplicate_ack twice for each
				// duplicate ACK ("1,1"), and the file counts both: every
				// count in it is twice the frames tshark -Y selects.
				n /= 2
			}
			v.add(stream, cols[1], n)
		case section == "4" && len(cols) >= 6:
			first, _ := strconv.ParseInt(cols[4], 10, 64)
			v.first[stream] = first
		}
	}
	return v, sc.Err()
}

func (v *tsharkView) add(stream int, flag string, n int) {
	if v.counts[stream] == nil {
		v.counts[stream] = map[string]int{}
	}
	v.counts[stream][flag] += n
}

// tsharkVersion is the version the comparisons with a running tshark were
// made against: Debian 12's. Another version's tcp.analysis rules may
// differ in details, so a comparison with it could fail, or pass, by
// accident.
const tsharkVersion = "4.0."

// needTshark skips the test, saying why, unless tshark 4.0.x is installed.
func needTshark(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("SKIPPED: tshark is not installed (Debian 12: apt-get install tshark)")
	}
	out, err := exec.Command("tshark", "--version").Output()
	first, _, _ := strings.Cut(string(out), "\n")
	// "TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u1)."
	f := strings.Fields(first)
	if err != nil || len(f) < 3 || !strings.HasPrefix(f[2], tsharkVersion) {
		t.Skipf("SKIPPED: the comparisons were made against tshark %sx, this is %q", tsharkVersion, first)
	}
}

// runTshark builds the same view by running tshark on the capture.
func runTshark(t *testing.T, path string) *tsharkView {
	t.Helper()
	args := []string{"-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
		"-e", "frame.number", "-e", "tcp.stream"}
	for _, f := range tsharkFlags {
		args = append(args, "-e", "tcp.analysis."+f.flag)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	v := &tsharkView{first: map[int]int64{}, counts: map[int]map[string]int{}}
	for line := range strings.Lines(string(out)) {
		cols := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(cols) < 2+len(tsharkFlags) {
			continue
		}
		frame, err1 := strconv.ParseInt(cols[0], 10, 64)
		stream, err2 := strconv.Atoi(cols[1])
		if err1 != nil || err2 != nil {
			continue
		}
		if _, ok := v.first[stream]; !ok {
			v.first[stream] = frame
		}
		for i, f := range tsharkFlags {
			if cols[2+i] != "" {
				v.add(stream, f.flag, 1)
			}
		}
	}
	return v
}

// ourView is what our reader, decoder and table make of a capture.
type ourView struct {
	conns []*flow.Conn
	first map[int]int64    // connection ID -> its first frame
	tuple map[int64]string // frame -> its 4-tuple, for the frames streams start at
	key   map[int]string   // connection ID -> its 4-tuple
}

func tupleOf(a, b netip.AddrPort) string {
	x, y := a.String(), b.String()
	if x > y {
		x, y = y, x
	}
	return x + " " + y
}

type doneSink struct{ conns []*flow.Conn }

func (s *doneSink) Event(*flow.Conn, *flow.Event)        {}
func (*doneSink) Segment(*flow.Conn, *flow.SegmentEvent) {}
func (s *doneSink) Done(c *flow.Conn)                    { s.conns = append(s.conns, c) }

// replayFrames runs a capture through the pipeline, noting where each
// connection starts and the 4-tuples of the frames in want.
func replayFrames(t *testing.T, path string, want map[int64]bool) *ourView {
	t.Helper()
	rd, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var (
		sink doneSink
		tb   = flow.NewTable(flow.Config{}, &sink)
		dec  = capture.NewDecoder()
		p    capture.Packet
		seg  fsm.Segment
		v    = &ourView{first: map[int]int64{}, tuple: map[int64]string{}, key: map[int]string{}}
	)
	for rd.Next(&p) == nil {
		if !dec.Decode(&p, &seg) {
			continue
		}
		n := tb.Stats.Connections
		tb.Add(&seg)
		k := tupleOf(seg.Src, seg.Dst)
		if tb.Stats.Connections > n {
			v.first[tb.Stats.Connections] = p.Record
			v.key[tb.Stats.Connections] = k
		}
		if want[p.Record] {
			v.tuple[p.Record] = k
		}
	}
	tb.Close()
	v.conns = sink.conns
	return v
}

// tally sums, for each flag, the compared units (a stream and its
// connection, or a 4-tuple's streams and connections), those where the
// counts agree, those where either side counts any, and the totals.
// files and filesAgree count the captures compared and those that agree
// on the flag in every stream.
type tally []struct{ units, agree, nonzero, theirs, ours, files, filesAgree int }

// addFile counts a capture, with its differences.
func (tl tally) addFile(diffs []string) {
	for i, f := range tsharkFlags {
		tl[i].files++
		if !slices.ContainsFunc(diffs, func(d string) bool { return strings.Contains(d, ": "+f.flag+" tshark ") }) {
			tl[i].filesAgree++
		}
	}
}

func newTally() tally { return make(tally, len(tsharkFlags)) }

// compareViews pairs tshark's streams with our connections by 4-tuple and
// order and returns every count that differs, one line each. When the two
// split a 4-tuple into a different number of connections, the 4-tuple's
// totals are compared instead. It adds what it compared to tl.
func compareViews(ts *tsharkView, us *ourView, tl tally) []string {
	type group struct {
		streams []int
		conns   []*flow.Conn
	}
	groups := map[string]*group{}
	var keys []string
	get := func(k string) *group {
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
			keys = append(keys, k)
		}
		return g
	}
	streams := make([]int, 0, len(ts.first))
	for s := range ts.first {
		streams = append(streams, s)
	}
	for s := range ts.counts {
		if _, ok := ts.first[s]; !ok {
			streams = append(streams, s)
		}
	}
	slices.Sort(streams)
	for _, s := range streams {
		k, ok := us.tuple[ts.first[s]]
		if !ok {
			k = fmt.Sprintf("stream %d (frame %d not decoded)", s, ts.first[s])
		}
		get(k).streams = append(get(k).streams, s)
	}
	for _, c := range us.conns {
		g := get(us.key[c.ID])
		g.conns = append(g.conns, c)
	}
	slices.Sort(keys)
	var diffs []string
	compare := func(label string, streams []int, conns []*flow.Conn) {
		for i, f := range tsharkFlags {
			theirs, ours := 0, 0
			for _, s := range streams {
				theirs += ts.counts[s][f.flag]
			}
			for _, c := range conns {
				for _, e := range f.ours {
					ours += int(c.SegCount(e))
				}
			}
			if theirs != ours {
				diffs = append(diffs, fmt.Sprintf("%s: %s tshark %d ours %d", label, f.flag, theirs, ours))
			}
			t := &tl[i]
			t.units++
			t.theirs += theirs
			t.ours += ours
			if theirs == ours {
				t.agree++
			}
			if theirs > 0 || ours > 0 {
				t.nonzero++
			}
		}
	}
	for _, k := range keys {
		g := groups[k]
		slices.SortFunc(g.conns, func(a, b *flow.Conn) int { return a.ID - b.ID })
		if len(g.streams) == len(g.conns) {
			for i, s := range g.streams {
				compare(fmt.Sprintf("stream %d = conn %d", s, g.conns[i].ID), []int{s}, g.conns[i:i+1])
			}
			continue
		}
		ids := make([]string, len(g.conns))
		for i, c := range g.conns {
			ids[i] = strconv.Itoa(c.ID)
		}
		ss := make([]string, len(g.streams))
		for i, s := range g.streams {
			ss[i] = strconv.Itoa(s)
		}
		compare(fmt.Sprintf("%s: streams [%s] = conns [%s]", k, strings.Join(ss, " "), strings.Join(ids, " ")), g.streams, g.conns)
	}
	return diffs
}

// TestSegEventsAgainstTsharkCorpus compares, for every capture of the
// corpus, each connection's segment-event counts with tshark's tcp.analysis
// flags of the same stream. The captures where the two differ are listed
// in tsharkDifferences with the reason; every other capture must agree on
// every flag of every stream.
func TestSegEventsAgainstTsharkCorpus(t *testing.T) {
	agree, streams := 0, 0
	tl := newTally()
	compared, seen := eachTsharkCapture(t, func(t *testing.T, file string, ts *tsharkView, us *ourView) {
		got := compareViews(ts, us, tl)
		tl.addFile(got)
		streams += len(ts.first)
		known := tsharkDifferences[file]
		if len(got) == 0 && known.why == "" {
			agree++
		}
		if !slices.Equal(got, known.diffs) {
			t.Errorf("differences from tshark are not the documented ones\ngot:\n\t%q\nwant (%s):\n\t%q",
				got, known.why, known.diffs)
		}
	})
	for file := range tsharkDifferences {
		if !seen[file] {
			t.Errorf("tsharkDifferences lists %s, which is not in the corpus", file)
		}
	}
	t.Logf("%d of %d captures agree with tshark on every flag of every stream (%d streams)", agree, compared, streams)
	logTally(t, tl)
}

// eachTsharkCapture runs check, in a subtest named by the capture, on
// every capture of the corpus that has tshark's view beside it and that
// we can open: with the view, and our replay noting the frames where
// tshark's streams start. It returns how many captures it compared and
// every capture with a view.
func eachTsharkCapture(t *testing.T, check func(t *testing.T, file string, ts *tsharkView, us *ourView)) (int, map[string]bool) {
	t.Helper()
	needCorpus(t)
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.tshark.txt"))
	if len(files) < 100 {
		t.Fatalf("only %d tshark views in the corpus", len(files))
	}
	compared := 0
	seen := map[string]bool{}
	for _, txt := range files {
		base := strings.TrimSuffix(txt, ".tshark.txt")
		matches, _ := filepath.Glob(base + ".pcap*")
		if len(matches) != 1 {
			t.Errorf("%s: %d captures beside it", txt, len(matches))
			continue
		}
		path := matches[0]
		file, _ := filepath.Rel(corpusDir, path)
		seen[file] = true
		if rd, err := capture.Open(path); err != nil {
			continue // a file we cannot open: the command's tests' business
		} else {
			rd.Close()
		}
		compared++
		t.Run(file, func(t *testing.T) {
			ts, err := readTsharkTxt(txt)
			if errors.Is(err, fs.ErrNotExist) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]bool{}
			for _, f := range ts.first {
				want[f] = true
			}
			check(t, file, ts, replayFrames(t, path, want))
		})
	}
	return compared, seen
}

// logTally logs, for each flag, how many captures and compared streams
// agree, how many streams counted any, and the totals.
func logTally(t *testing.T, tl tally) {
	t.Logf("%-24s %9s %11s %8s %8s %8s", "flag", "files", "streams", "with any", "tshark", "ours")
	for i, f := range tsharkFlags {
		c := tl[i]
		t.Logf("%-24s %4d/%-4d %5d/%-5d %8d %8d %8d", f.flag, c.filesAgree, c.files, c.agree, c.units, c.nonzero, c.theirs, c.ours)
	}
}

// TestSegEventsAgainstTsharkKernel runs tshark on every kernel-made
// capture: ours must agree on every flag of every stream.
func TestSegEventsAgainstTsharkKernel(t *testing.T) {
	needTshark(t)
	files, _ := filepath.Glob(filepath.Join("../testdata/kernel", "*.pcap*"))
	if len(files) == 0 {
		t.Fatal("no kernel captures")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			ts := runTshark(t, path)
			want := map[int64]bool{}
			for _, f := range ts.first {
				want[f] = true
			}
			for _, d := range compareViews(ts, replayFrames(t, path, want), newTally()) {
				t.Error(d)
			}
		})
	}
}

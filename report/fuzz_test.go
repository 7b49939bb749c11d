package report

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/flow/findings"
	"tcpflow-fsm/fsm"
)

// fuzzSegSize is how many fuzz bytes make one segment: endpoint pair, side,
// damage and copy bits; flags; SEQ and ACK as offsets from the pair's
// ISNs; payload length; window; option bits; time since the previous one.
const fuzzSegSize = 12

// fuzzPair is a 4-tuple the fuzzer's segments travel on: its two
// endpoints and their ISNs, near 2^32 so that sequence numbers wrap.
type fuzzPair struct {
	addr [2]netip.AddrPort
	isn  [2]uint32
}

var fuzzPairs = [4]fuzzPair{
	{[2]netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")},
		[2]uint32{0xFFFFFF00, 0x7FFFFFF0}},
	// The same hosts on another client port: connections interleave.
	{[2]netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:40001"), netip.MustParseAddrPort("10.0.0.2:80")},
		[2]uint32{0xFFFFFFF0, 0x10}},
	{[2]netip.AddrPort{netip.MustParseAddrPort("[2001:db8::1]:50000"), netip.MustParseAddrPort("[2001:db8::2]:443")},
		[2]uint32{0x7FFFFF00, 0xFFFF8000}},
	// A self-connect: one socket connected to itself.
	{[2]netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:5000"), netip.MustParseAddrPort("127.0.0.1:5000")},
		[2]uint32{0xFFFFFFFE, 0xFFFFFFFE}},
}

// fuzzSegments turns fuzz bytes into segments across the four pairs.
func fuzzSegments(data []byte) []fsm.Segment {
	var segs []fsm.Segment
	t := fsm.TimeOf(time.Unix(1700000000, 0))
	for len(data) >= fuzzSegSize {
		b := data[:fuzzSegSize]
		data = data[fuzzSegSize:]
		p := &fuzzPairs[b[0]>>1&3]
		side := b[0] & 1
		// A gap under 128 counts tens of milliseconds, above it seconds:
		// enough for TIME-WAIT, the linger and the idle timeout to end.
		if g := b[11]; g < 128 {
			t = t.Add(time.Duration(g) * 10 * time.Millisecond)
		} else {
			t = t.Add(time.Duration(g-127) * time.Second)
		}
		seg := fsm.Segment{
			Time:       t,
			Src:        p.addr[side],
			Dst:        p.addr[side^1],
			Flags:      fsm.Flags(b[1]),
			Seq:        fsm.Seq(p.isn[side] + uint32(int32(int16(binary.BigEndian.Uint16(b[2:]))))),
			Ack:        fsm.Seq(p.isn[side^1] + uint32(int32(int16(binary.BigEndian.Uint16(b[4:]))))),
			PayloadLen: int(binary.BigEndian.Uint16(b[6:]) % 3000),
			Window:     binary.BigEndian.Uint16(b[8:]),
		}
		seg.Captured = seg.PayloadLen
		o := b[10]
		seg.Opts.HasTimestamps = o&1 != 0
		seg.Opts.TSVal = uint32(t.Time().UnixMilli())
		seg.Opts.HasWScale, seg.Opts.WScale = o&2 != 0, o>>4
		seg.Opts.HasMSS, seg.Opts.MSS = o&4 != 0, 1460
		seg.Opts.HasFastOpen = o&8 != 0
		if b[0]&0x08 != 0 {
			seg.Malformed = fsm.Malformed(b[0] >> 4 & 7)
		}
		if b[0]&0x80 != 0 {
			// A fingerprint, as the decoder gives, and one of two capture
			// points, picked by the bit the fingerprint leaves out: two
			// records in a row that differ in that bit alone are one
			// packet seen at two points, a copy (flow.DuplicateWindow).
			seg.Ident = binary.BigEndian.Uint64(b[1:9]) | 1
			seg.Tap = uint32(b[8]&1) + 1
		}
		segs = append(segs, seg)
	}
	return segs
}

// encodeFuzzSeg is fuzzSegments' inverse for seeds.
func encodeFuzzSeg(pair, side byte, f fsm.Flags, seq, ack int16, n, win uint16, opts, gap byte) []byte {
	b := make([]byte, fuzzSegSize)
	b[0], b[1] = pair<<1|side, byte(f)
	binary.BigEndian.PutUint16(b[2:], uint16(seq))
	binary.BigEndian.PutUint16(b[4:], uint16(ack))
	binary.BigEndian.PutUint16(b[6:], n)
	binary.BigEndian.PutUint16(b[8:], win)
	b[10], b[11] = opts, gap
	return b
}

// fuzzTotals turns fuzz bytes into capture counters: flags and numbers,
// then counters as group, name length, name, count. Names are any bytes:
// counters and errors can carry bytes read from a file.
func fuzzTotals(b []byte, readErr string) Totals {
	tot := Totals{ReadError: readErr}
	next := func() byte {
		if len(b) == 0 {
			return 0
		}
		c := b[0]
		b = b[1:]
		return c
	}
	f := next()
	tot.Packets, tot.TCP = uint64(next())<<56|uint64(next()), uint64(next())
	if f&1 != 0 {
		tot.Filtered = uint64(next())
	}
	if f&2 != 0 {
		tot.Evicted = int(next())
	}
	if f&4 != 0 {
		tot.Duplicates = int(next())
	}
	if f&8 != 0 {
		tot.Live = &LiveCounters{Captured: uint64(next()), ReceivedByFilter: uint64(next()),
			DroppedByKernel: uint64(next()), DroppedByIface: uint64(next())}
	}
	groups := [...]string{"not_tcp", "dropped", "note", "unsupported_link_type"}
	for len(b) > 0 {
		g := next()
		n := min(int(next()), len(b))
		name := string(b[:n])
		b = b[n:]
		c := Counter{Name: name, Count: uint64(next())}
		if int(g) < len(groups) {
			c.Group = groups[g]
		} else {
			c.Group = name // an unknown group, named as oddly
		}
		tot.Counters = append(tot.Counters, c)
	}
	return tot
}

// fuzzSink hands everything to each of its sinks and checks that the table
// calls Done once per connection, in order unless unordered (or reported
// early under MaxConns), and that every
// transition and violation has an explanation for teaching mode.
type fuzzSink struct {
	t           *testing.T
	sinks       []flow.Sink
	done        []int
	unordered   bool
	table       *flow.Table // its Stats.Early says order was given up
	tally       Tally
	transitions int
	// closing says the table is being closed: at each Done, Open and Each
	// must see what is left, never more than at the Done before (left).
	closing bool
	left    int
}

func (s *fuzzSink) Event(c *flow.Conn, e *flow.Event) {
	s.tally.Observe(e)
	if e.Kind == fsm.Transition {
		s.transitions++
	}
	if Explanation(e) == "" {
		s.t.Fatalf("conn %d: no explanation for %+v", c.ID, e.Event)
	}
	for _, k := range s.sinks {
		k.Event(c, e)
	}
}

func (s *fuzzSink) Segment(c *flow.Conn, e *flow.SegmentEvent) {
	for _, k := range s.sinks {
		k.Segment(c, e)
	}
}

func (s *fuzzSink) Done(c *flow.Conn) {
	if slices.Contains(s.done, c.ID) {
		s.t.Fatalf("conn %d done twice", c.ID)
	}
	// In order, unless --max-conns made the table report connections
	// ahead of an earlier one still open (flow.Stats.Early).
	inOrder := !s.unordered && (s.table == nil || s.table.Stats.Early == 0)
	if inOrder && len(s.done) > 0 && c.ID < s.done[len(s.done)-1] {
		s.t.Fatalf("conn %d done after conn %d", c.ID, s.done[len(s.done)-1])
	}
	s.done = append(s.done, c.ID)
	if s.closing {
		s.checkLeft(c)
	}
	for _, k := range s.sinks {
		k.Done(c)
	}
}

// checkLeft checks, as the table closes, that Open and Each see the
// connections still to be closed, c no longer among them, and no more
// than at the connection before.
func (s *fuzzSink) checkLeft(c *flow.Conn) {
	seen := 0
	s.table.Each(func(o *flow.Conn) {
		seen++
		if o == c {
			s.t.Fatalf("closing: conn %d handed over, and Each still sees it", c.ID)
		}
	})
	open := s.table.Open()
	if seen != open || s.left >= 0 && open > s.left {
		s.t.Fatalf("closing: Open says %d (%d before), Each sees %d", open, s.left, seen)
	}
	s.left = open
}

// ansi matches the colour codes of color.go.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// checkText fails unless out is UTF-8 with no control character but
// newline (no tab, no escape, no C1 control), no Unicode format character
// (bidirectional overrides) and no line or paragraph separator: what a
// terminal would act on. With color, the ANSI colour codes are allowed.
func checkText(t testing.TB, name string, out []byte, color bool) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("%s: output is not UTF-8:\n%q", name, out)
	}
	if color {
		out = ansi.ReplaceAll(out, nil)
	}
	for i, r := range string(out) {
		if r != '\n' && (unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)) {
			lo := max(0, bytes.LastIndexByte(out[:i], '\n'))
			t.Fatalf("%s: %U in output at %d: %q", name, r, i, out[lo:min(len(out), i+40)])
		}
	}
}

// checkJSON fails unless every line of out is a JSON object in UTF-8 with a
// known "type", the stats record comes last and only there, the connection
// records are one per connection, and in whole-capture output each event
// follows its connection's record.
func checkJSON(t *testing.T, name string, out []byte, stream bool, conns int, tot *Totals) {
	t.Helper()
	if len(out) == 0 || out[len(out)-1] != '\n' {
		t.Fatalf("%s: output does not end in a newline: %q", name, out)
	}
	lines := strings.Split(string(out[:len(out)-1]), "\n")
	seen := map[int]bool{}
	cur := 0
	for i, l := range lines {
		if !utf8.ValidString(l) {
			t.Fatalf("%s: line %d is not UTF-8: %q", name, i+1, l)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%s: line %d: %v: %q", name, i+1, err, l)
		}
		typ, _ := rec["type"].(string)
		if (typ == "stats") != (i == len(lines)-1) {
			t.Fatalf("%s: line %d of %d has type %q", name, i+1, len(lines), typ)
		}
		switch typ {
		case "conn":
			id := int(rec["id"].(float64))
			if seen[id] || id < 1 || id > conns {
				t.Fatalf("%s: conn record %d repeated or out of range 1..%d", name, id, conns)
			}
			if _, ok := rec["end_reason"]; ok != stream {
				t.Fatalf("%s: end_reason in %q", name, l)
			}
			seen[id], cur = true, id
		case "transition", "violation", "note", "event":
			id := int(rec["conn"].(float64))
			if !stream && id != cur {
				t.Fatalf("%s: %s of conn %d after the record of conn %d", name, typ, id, cur)
			}
		case "state_counts", "final_states", "finding":
		case "stats":
			want := string([]rune(tot.ReadError)) // each invalid byte is U+FFFD
			if got, _ := rec["error"].(string); got != want {
				t.Fatalf("%s: error %q, want %q", name, got, want)
			}
			for _, c := range tot.Counters {
				obj := map[string]string{"dropped": "undecoded", "unsupported_link_type": "undecoded",
					"not_tcp": "not_tcp", "note": "notes"}[c.Group]
				if obj == "" {
					continue
				}
				key := c.Name
				if c.Group == "unsupported_link_type" {
					key = "unsupported_link_type_" + key
				}
				if _, ok := rec[obj].(map[string]any)[string([]rune(key))]; !ok {
					t.Fatalf("%s: counter %q missing from %s: %q", name, key, obj, l)
				}
			}
		default:
			t.Fatalf("%s: line %d has type %q", name, i+1, typ)
		}
	}
	if len(seen) != conns {
		t.Fatalf("%s: %d conn records for %d connections", name, len(seen), conns)
	}
}

// jsonRecords returns out's records re-encoded with sorted keys, without
// what only a streamed record has ("state_counts", "end_reason") and without
// "endpoint": a stream names a side by the roles known when it wrote the
// record, the whole capture by the final roles.
func jsonRecords(t *testing.T, out []byte) []string {
	t.Helper()
	var recs []string
	for l := range strings.Lines(string(out)) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["type"] == "state_counts" {
			continue
		}
		if _, fired := rec["ts"]; rec["type"] == "finding" && fired {
			// Streamed as it fired; the final records, compared, are
			// what the connections' ends decide (a RST's early verdict
			// may change with later segments).
			if !findings.Known(rec["code"].(string)) {
				t.Fatalf("finding %v streamed, not in the catalog", rec["code"])
			}
			continue
		}
		delete(rec, "end_reason")
		delete(rec, "endpoint")
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, string(b))
	}
	slices.Sort(recs)
	return recs
}

// connIDs returns the numbers the lines of out that re matches give in
// their first group, in order.
func connIDs(re *regexp.Regexp, out []byte) []int {
	var ids []int
	for _, m := range re.FindAllSubmatch(out, -1) {
		id, _ := strconv.Atoi(string(m[1]))
		ids = append(ids, id)
	}
	return ids
}

var (
	timelineTitle = regexp.MustCompile(`(?m)^conn (\d+): `)
	streamEnd     = regexp.MustCompile(`(?m)^\S+ conn (\d+) (?:ended \(|at exit(?:, quiet for \d+ s)?: )`)
	dotEdge       = regexp.MustCompile(`^  "[A-Z0-9-]+" -> "[A-Z0-9-]+" \[label="[^"()]+(?: \((\d+)\))?"(, penwidth=2|, color=gray80, fontcolor=gray60)?\];$`)
	dotNode       = regexp.MustCompile(`^  "[A-Z0-9-]+";$`)
)

// checkDot fails unless out is the DOT graph: the header, a node per state,
// the edges; fed a capture (seen), each edge with its count, the counts
// adding up to the transitions taken (each one is a cell of the table).
func checkDot(t testing.TB, out []byte, seen bool, transitions int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) < 5+fsm.NumStates || lines[0] != "digraph rfc9293 {" || lines[len(lines)-1] != "}" {
		t.Fatalf("dot: not a graph:\n%s", out)
	}
	nodes, sum := 0, 0
	for _, l := range lines[4 : len(lines)-1] {
		if dotNode.MatchString(l) {
			nodes++
			continue
		}
		m := dotEdge.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("dot: bad line %q", l)
		}
		if (m[1] != "") != seen || (m[2] != "") != seen {
			t.Fatalf("dot: edge %q, a capture seen %v", l, seen)
		}
		n, _ := strconv.Atoi(m[1])
		if seen && (n == 0) != (m[2] == ", color=gray80, fontcolor=gray60") {
			t.Fatalf("dot: edge %q drawn as taken or not wrongly", l)
		}
		sum += n
	}
	if nodes != fsm.NumStates || sum != transitions {
		t.Fatalf("dot: %d nodes, edges counting %d transitions of %d", nodes, sum, transitions)
	}
}

// FuzzRenderers drives a connection table with any segments on four
// 4-tuples (a self-connect among them) and every renderer as its sink, then
// closes each with any capture counters. No renderer may panic; JSON, whole
// or streamed, is one valid UTF-8 JSON object per line, and both hold the
// same records; text renderers write no control character but newline
// (ANSI colour only when asked, and changing nothing else), however odd the
// counter names and the read error; each connection is drawn once, when it
// is done; the state diagram counts every transition taken.
func FuzzRenderers(f *testing.F) {
	S, A, F, R, P := fsm.SYN, fsm.ACK, fsm.FIN, fsm.RST, fsm.PSH
	seed := func(segs ...[]byte) []byte { return slices.Concat(segs...) }
	open := seed(
		encodeFuzzSeg(0, 0, S, 0, 0, 0, 64240, 7, 0),
		encodeFuzzSeg(0, 1, S|A, 0, 1, 0, 65160, 7, 1),
		encodeFuzzSeg(0, 0, A, 1, 1, 0, 502, 1, 1))
	closeSeq := seed(
		encodeFuzzSeg(0, 0, P|A, 1, 1, 100, 502, 1, 1),
		encodeFuzzSeg(0, 1, A, 1, 101, 0, 509, 1, 1),
		encodeFuzzSeg(0, 0, F|A, 101, 1, 0, 502, 1, 1),
		encodeFuzzSeg(0, 1, F|A, 1, 102, 0, 509, 1, 1),
		encodeFuzzSeg(0, 0, A, 102, 2, 0, 502, 1, 1))
	counters := []byte{0x0f, 0, 9, 9, 3, 4, 5, 6, 7, 8, 1,
		0, 4, 'i', 'c', 'm', 'p', 3,
		1, 9, 't', 'o', 'o', '_', 's', 'h', 'o', 'r', 't', 2,
		2, 5, 0x1b, '[', '2', 'J', 0xff, 1,
		3, 3, '2', '9', '9', 4,
		7, 3, 'a', '\n', 'b', 5}
	// A handshake and a close; the same with odd counters and a read
	// error carrying control bytes and invalid UTF-8.
	f.Add(byte(0), seed(open, closeSeq), []byte{0, 0, 8, 8}, "")
	f.Add(byte(0), seed(open, closeSeq, encodeFuzzSeg(0, 1, A, 2, 102, 0, 509, 0, 200)), counters,
		"reading x.pcap: unexpected EOF \x00\x1b[31m\xff\xfe\u202e\u2028\u0085\t")
	// A refused SYN, on an idle-timed, unordered table; a reopen of the
	// 4-tuple after a TIME-WAIT. Again on a table of two connections at
	// most, with timelines of three segments.
	for _, cfg := range []byte{3, 12} {
		f.Add(cfg, seed(encodeFuzzSeg(1, 0, S, 0, 0, 0, 1000, 0, 0), encodeFuzzSeg(1, 1, R|A, 0, 1, 0, 0, 0, 1),
			open, closeSeq, encodeFuzzSeg(0, 0, S, 20000, 0, 0, 1000, 1, 130)), counters, "bad block \xc0")
	}
	// The handshake and close again, on tables configured as JSON mode
	// and summary mode do theirs.
	for _, cfg := range []byte{16, 32, 33} {
		f.Add(cfg, seed(open, closeSeq, encodeFuzzSeg(0, 1, A, 2, 102, 0, 509, 0, 200)), counters, "")
	}
	// A simultaneous open on IPv6, an abort, a retransmission and a copy.
	f.Add(byte(0), seed(
		encodeFuzzSeg(2, 0, S, 0, 0, 0, 1000, 0, 0),
		encodeFuzzSeg(2, 1, S, 0, 0, 0, 1000, 0, 0),
		encodeFuzzSeg(2, 0, S|A, 0, 1, 0, 1000, 0, 0),
		encodeFuzzSeg(2, 1, S|A, 0, 1, 0, 1000, 0, 0),
		encodeFuzzSeg(2, 0, P|A, 1, 1, 500, 1000, 0, 1),
		encodeFuzzSeg(2, 0, P|A, 1, 1, 500, 1000, 0, 30),
		encodeFuzzSeg(2, 0, P|A, 1, 1, 500, 1000, 0, 30),
		encodeFuzzSeg(2, 1, A, 1, 501, 0, 0, 0, 1),
		encodeFuzzSeg(2, 1, R|A, 1, 501, 0, 0, 0, 1)), []byte{}, "")
	dup := encodeFuzzSeg(0, 0, P|A, 1, 1, 10, 502, 0, 0)
	dup[0] |= 0x80
	f.Add(byte(0), seed(open, dup, dup, dup), []byte{}, "")
	// A self-connect, a malformed segment, a half-open server.
	bad := encodeFuzzSeg(1, 1, A|fsm.URG, 7, 7, 2999, 0xffff, 0xff, 0)
	bad[0] |= 0x78
	f.Add(byte(0), seed(
		encodeFuzzSeg(3, 0, S, 0, 0, 0, 1000, 2, 0),
		encodeFuzzSeg(3, 0, S|A, 0, 1, 0, 1000, 2, 0),
		encodeFuzzSeg(3, 0, A, 1, 1, 0, 1000, 0, 0),
		encodeFuzzSeg(1, 0, S, 0, 0, 0, 1000, 0, 0),
		encodeFuzzSeg(1, 1, S|A, 0, 1, 0, 1000, 0, 0),
		bad), []byte{}, "")
	// The renderers that read no capture: the transition table, and the
	// state diagram alone.
	var table, diagram bytes.Buffer
	if err := WriteTable(&table); err != nil {
		f.Fatal(err)
	}
	checkText(f, "table", table.Bytes(), false)
	if err := NewDot(&diagram).Close(nil); err != nil {
		f.Fatal(err)
	}
	checkText(f, "diagram", diagram.Bytes(), false)
	checkDot(f, diagram.Bytes(), false, 0)

	f.Fuzz(func(t *testing.T, cfg byte, data []byte, totBytes []byte, readErr string) {
		fc := flow.Config{FSM: fsm.Config{TimeWait: 2 * time.Second}, Timeline: true, Unordered: cfg&1 != 0,
			IndexSeed: 1} // the same steps every run: the fuzzer reads coverage
		if cfg&2 != 0 {
			fc.IdleTimeout = 30 * time.Second
		}
		if cfg&4 != 0 {
			fc.MaxConns = 2 // the longest idle is evicted
		}
		if cfg&8 != 0 {
			fc.TimelineMax = 3
		}
		if cfg&16 != 0 {
			fc.KeepSegEvents = true // as for JSON
		}
		// As for the summary: events pass by, none is kept.
		drop := cfg&32 != 0
		if drop {
			fc.DropEvents, fc.Timeline = true, false
		}
		var text, colorText, summary, jsonBuf, streamBuf, stream, colorStream, ladder, ascii, dotBuf bytes.Buffer
		txt := NewText(&text, true)
		txt.Explain = true
		ctxt := NewText(&colorText, true)
		ctxt.Explain, ctxt.Color = true, true
		sum := NewText(&summary, false)
		js, jsStream := NewJSON(&jsonBuf), NewJSONStream(&streamBuf)
		st := NewStream(&stream, time.UTC)
		st.Explain = true
		cst := NewStream(&colorStream, time.UTC)
		cst.Explain, cst.Color = true, true
		lad := NewLadder(&ladder, false, nil)
		asc := NewLadder(&ascii, true, []int{1, 3})
		dot := NewDot(&dotBuf)
		collector := findings.New()
		var topOut bytes.Buffer
		top := NewTop(&topOut)
		top.Source = readErr // any bytes the command line may give
		sink := &fuzzSink{t: t, unordered: fc.Unordered,
			sinks: []flow.Sink{txt, ctxt, sum, js, jsStream, st, cst, lad, asc, dot, findingsSink{collector}, top}}
		tb := flow.NewTable(fc, sink)
		sink.table = tb
		for _, seg := range fuzzSegments(data) {
			tb.Add(&seg)
		}
		// The live renderers' periodic counts, of what is still open.
		sc := StateCounts{Time: tb.Now(), Interval: time.Second, Tally: sink.tally}
		tb.Each(sc.Count)
		jsStream.Counts(&sc)
		st.Counts(&sc)
		cst.Counts(&sc)
		// The --top view's frame, of what is still open: every connection
		// in one row, each screen within its size and safe for a terminal.
		frame := top.Tick(tb.Now(), tb.Each, TopStatus{})
		rowConns := 0
		for _, r := range frame.Rows {
			rowConns += r.Conns
		}
		if frame.Tracked != tb.Open() || rowConns != tb.Open() {
			t.Fatalf("top: %d tracked, %d in rows; the table has %d", frame.Tracked, rowConns, tb.Open())
		}
		for _, v := range []TopView{{Width: 80, Height: 24}, {Width: 140, Height: 10, Color: true, Sort: SortOldest},
			{Width: int(cfg), Height: len(data) % 30, Help: cfg&1 != 0}} {
			lines := frame.Lines(&v)
			if len(lines) > v.Height {
				t.Fatalf("top %dx%d: %d lines", v.Width, v.Height, len(lines))
			}
			for _, l := range lines {
				if w := len(ansi.ReplaceAllString(l, "")); w > v.Width {
					t.Fatalf("top %dx%d: a line of %d columns: %q", v.Width, v.Height, w, l)
				}
				checkText(t, "top", []byte(l), v.Color)
			}
		}
		// Closed one connection at a time (after the timers due), as a
		// pool's workers close theirs: at each connection handed over,
		// Open and Each see what is left (checkLeft).
		sink.closing, sink.left = true, -1
		tb.Close()
		if tb.Open() != 0 {
			t.Fatalf("closed, with %d connections open", tb.Open())
		}
		conns := tb.Stats.Connections
		if len(sink.done) != conns {
			t.Fatalf("%d connections done of %d", len(sink.done), conns)
		}

		tot := fuzzTotals(totBytes, readErr)
		tot.Connections = conns
		for _, c := range []interface{ Close(*Totals) error }{txt, ctxt, sum, js, jsStream, st, cst, lad, asc, dot, top} {
			if err := c.Close(&tot); err != nil {
				t.Fatal(err)
			}
		}
		if tot.Live != nil {
			WriteLiveCounters(&text, tot.Live)
			WriteLiveCounters(&colorText, tot.Live)
		}

		// JSON, whole and streamed: valid, and the same records.
		checkJSON(t, "json", jsonBuf.Bytes(), false, conns, &tot)
		checkJSON(t, "json stream", streamBuf.Bytes(), true, conns, &tot)
		// (Not when events are dropped: the whole capture's records come
		// from what was kept.)
		if whole, streamed := jsonRecords(t, jsonBuf.Bytes()), jsonRecords(t, streamBuf.Bytes()); !drop && !slices.Equal(whole, streamed) {
			t.Fatalf("json and json stream differ:\n%s\n\n%s", strings.Join(whole, "\n"), strings.Join(streamed, "\n"))
		}

		// Text: safe for a terminal; colour only when asked, and nothing
		// else changes with it.
		for _, o := range []struct {
			name       string
			out, color []byte
		}{
			{"text", text.Bytes(), colorText.Bytes()},
			{"stream", stream.Bytes(), colorStream.Bytes()},
			{"summary", summary.Bytes(), nil},
			{"ladder", ladder.Bytes(), nil},
			{"ladder ascii", ascii.Bytes(), nil},
			{"dot", dotBuf.Bytes(), nil},
		} {
			checkText(t, o.name, o.out, false)
			if bytes.IndexByte(o.out, 0x1b) >= 0 {
				t.Fatalf("%s: escape without color", o.name)
			}
			if o.color != nil {
				checkText(t, o.name+" color", o.color, true)
				if plain := ansi.ReplaceAll(o.color, nil); !bytes.Equal(plain, o.out) {
					t.Fatalf("%s: colour changes more than colour:\n%s\n\n%s", o.name, o.out, plain)
				}
			}
		}
		for i, c := range ascii.Bytes() {
			if c >= utf8.RuneSelf {
				t.Fatalf("ladder ascii: byte %#x at %d", c, i)
			}
		}
		if got := bytes.Contains(text.Bytes(), []byte("\ncapture incomplete: ")); got != (readErr != "") {
			t.Fatalf("text: read error shown %v, read error %q", got, readErr)
		}
		checkDot(t, dotBuf.Bytes(), conns > 0, sink.transitions)
		// The --top view ends as the live text view does.
		if !bytes.HasSuffix(stream.Bytes(), topOut.Bytes()) || topOut.Len() == 0 {
			t.Fatalf("top: the summary is not the end of the live text view's:\n%s\n\n%s", topOut.Bytes(), stream.Bytes())
		}

		// Each connection drawn once, as it is done; the summary has no
		// timeline, and its table has a row per connection.
		var picked []int
		for _, id := range sink.done {
			if id == 1 || id == 3 {
				picked = append(picked, id)
			}
		}
		for _, o := range []struct {
			name string
			re   *regexp.Regexp
			out  []byte
			want []int
		}{
			{"text", timelineTitle, text.Bytes(), sink.done},
			{"stream", streamEnd, stream.Bytes(), sink.done},
			{"ladder", timelineTitle, ladder.Bytes(), sink.done},
			{"ladder ascii", timelineTitle, ascii.Bytes(), picked},
			{"summary", timelineTitle, summary.Bytes(), nil},
		} {
			if got := connIDs(o.re, o.out); !slices.Equal(got, o.want) {
				t.Fatalf("%s: connections %v, done %v", o.name, got, o.want)
			}
		}
		if got := bytes.Contains(summary.Bytes(), []byte("connections:\n")); got != (conns > 0) {
			t.Fatalf("summary: connection table %v for %d connections", got, conns)
		}

		// Findings: catalog codes, each connection once per finding, in
		// order of number when Done sees them so.
		for _, fd := range collector.List() {
			if !findings.Known(fd.Code) {
				t.Fatalf("finding %q not in the catalog", fd.Code)
			}
			for i, id := range fd.Conns {
				if id < 1 || id > conns || (!fc.Unordered && i > 0 && id <= fd.Conns[i-1]) || slices.Index(fd.Conns, id) != i {
					t.Fatalf("finding %s: conns %v of %d", fd.Code, fd.Conns, conns)
				}
			}
		}
	})
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"unexpected EOF":                             "unexpected EOF",
		`open "x": no such file`:                     `open "x": no such file`,
		"ümlaut, 日本, \ufffd":                         "ümlaut, 日本, \ufffd",
		"tab\tnl\nesc\x1b[2Jdel\x7f":                 `tab\tnl\nesc\x1b[2Jdel\x7f`,
		"bad \xff\xfe utf-8":                         `bad \xff\xfe utf-8`,
		"c1 \u0085 rlo \u202e ls \u2028 nbsp \u00a0": `c1 \u0085 rlo \u202e ls \u2028 nbsp \u00a0`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// findingsSink feeds a Findings collector as the renderers do.
type findingsSink struct{ f *findings.Collector }

func (s findingsSink) Event(*flow.Conn, *flow.Event)        {}
func (findingsSink) Segment(*flow.Conn, *flow.SegmentEvent) {}
func (s findingsSink) Done(c *flow.Conn)                    { s.f.Observe(c) }

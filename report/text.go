package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/flow/findings"
	"tcpflow-fsm/fsm"
)

// Text writes, for each connection once it is done, a timeline of its
// segments with the state transitions and violations each caused; at the
// end one summary line per connection and the capture counters. Before
// the first connection, a header gives the date and the zone (UTC) of the
// table's times of day.
type Text struct {
	// Explain adds to each transition and violation a sentence on why
	// (teaching mode).
	Explain bool
	// Color paints states and violations for a terminal.
	Color bool

	w         *bufio.Writer
	timelines bool
	rows      rowStore
	line      []byte // a timeline line being written
	findings  *findings.Collector
	final     StateCounts
	headed    bool     // the header is written
	first     fsm.Time // the earliest start of a connection done (fsm.MaxTime before any), for the header
}

// SetThresholds sets the counts from which findings fire.
func (t *Text) SetThresholds(th findings.Thresholds) { t.findings.Thresholds = th }

// NewText returns a text renderer. Without timelines it writes only the
// summary lines and counters.
func NewText(w io.Writer, timelines bool) *Text {
	return &Text{w: bufio.NewWriter(w), timelines: timelines, findings: findings.New(), first: fsm.MaxTime}
}

// Segment does nothing: the segment events are in the timeline's
// packets and the connection's counts.
func (*Text) Segment(*flow.Conn, *flow.SegmentEvent) {}

// Event is part of flow.Sink; the text renderer writes whole connections.
func (t *Text) Event(*flow.Conn, *flow.Event) {}

// Done writes the connection's timeline and keeps its summary line.
func (t *Text) Done(c *flow.Conn) {
	r := rolesOf(c)
	if c.First().Before(t.first) {
		t.first = c.First()
	}
	if t.timelines {
		t.header()
		t.timeline(c, r)
	}
	t.rows.addConn(c, r)
	t.findings.Observe(c)
	t.final.Count(c)
}

func (t *Text) timeline(c *flow.Conn, r roles) {
	w := t.w
	guess := ""
	if r.guessed {
		guess = ", roles guessed"
	}
	if c.FSM.Self() {
		fmt.Fprintf(w, "conn %d: self-connect %s (one socket, connected to itself)\n", c.ID, c.Addr(fsm.A))
	} else {
		fmt.Fprintf(w, "conn %d: client %s, server %s%s%s\n", c.ID, c.Addr(r.client), c.Addr(r.server), zoneSuffix(c), guess)
	}
	evs := ordered(c)
	i := 0
	// Events that come before any segment (none today) or after the
	// segment they follow.
	flush := func(at int) {
		for ; i < len(evs) && evs[i].At <= at; i++ {
			t.event(c, r, &evs[i])
		}
	}
	flush(0)
	for n := range c.Timeline() {
		t.line = appendSegment(t.line[:0], c, r, &c.Timeline()[n])
		w.Write(t.line)
		flush(n + 1)
	}
	flush(int(^uint(0) >> 1))
	if c.TimelineDropped() > 0 {
		fmt.Fprintf(w, "%12s  ... %d more segments (the timeline keeps %d; --timeline-max)\n", "", c.TimelineDropped(), len(c.Timeline()))
	}
	fmt.Fprintln(w)
}

func (t *Text) event(c *flow.Conn, r roles, e *flow.Event) {
	var num [32]byte
	when := num[:0]
	if e.Seg == 0 || len(c.Timeline()) == 0 {
		// A timer, or no timeline to hang it on: give its own time.
		when = strconv.AppendFloat(when, e.Time.Sub(c.First()).Seconds(), 'f', 6, 64)
	}
	who := r.name(e.Side)
	switch e.Kind {
	case fsm.Transition:
		// "%12s      %-6s %s -> %s  (%s%s)\n", without fmt: a timeline
		// has several a connection.
		p := painter(t.Color)
		b := padLeft(t.line[:0], when, 12)
		b = append(b, "      "...)
		b = padRight(b, []byte(who), 6)
		b = append(b, ' ')
		b = append(b, p.state(e.From)...)
		b = append(b, " -> "...)
		b = append(b, p.state(e.To)...)
		b = append(b, "  ("...)
		b = append(b, e.Cause.String()...)
		if e.Inferred {
			b = append(b, ", inferred"...)
		}
		b = append(b, ")\n"...)
		t.line = b
		t.w.Write(b)
	case fsm.Violation, fsm.Note:
		info := e.Code.Info()
		name := painter(t.Color).severity(info.Severity, info.Name)
		times := ""
		if n := c.ReportCount(e.Side, e.Code); n > 1 {
			// Reported once for each endpoint: the count is of segments,
			// all known when the timeline is written.
			times = fmt.Sprintf(", %d segments", n)
		}
		// The message goes on its own lines, wrapped to fit 100 columns.
		if e.Kind == fsm.Violation {
			fmt.Fprintf(t.w, "%12s      ! %s [%s, %s%s] from %s:\n", when, name, info.Severity, info.RFC, times, who)
		} else {
			fmt.Fprintf(t.w, "%12s      - note %s [%s%s] at %s:\n", when, info.Name, info.RFC, times, who)
		}
		for _, l := range wrap(info.Summary+detail(e.Detail.String()), 78) {
			fmt.Fprintf(t.w, "%12s          %s\n", "", l)
		}
	}
	if t.Explain {
		for i, l := range wrap(Explanation(e), 78) {
			label := "why:"
			if i > 0 {
				label = ""
			}
			fmt.Fprintf(t.w, "%12s        %-4s %s\n", "", label, l)
		}
	}
}

// appendSegment appends a timeline line for segment p: when, which way,
// flags, relative sequence and ACK numbers, length, window and labels, as
//
//	"%12s  %s  %-4s seq %-10d ack %-10s len %-6d win %d%s\n"
//
// would write them, without fmt: a timeline has a line per segment.
func appendSegment(b []byte, c *flow.Conn, r roles, p *flow.Packet) []byte {
	var num [32]byte
	b = padLeft(b, strconv.AppendFloat(num[:0], p.Time.Sub(c.First()).Seconds(), 'f', 6, 64), 12)
	if p.From == r.server {
		b = append(b, "  C < S  "...)
	} else {
		b = append(b, "  C > S  "...)
	}
	b = padRight(b, []byte(p.Flags.Letters()), 4)
	b = append(b, " seq "...)
	b = padRight(b, strconv.AppendUint(num[:0], uint64(p.Seq.Sub(base(c, p.From))), 10), 10)
	b = append(b, " ack "...)
	if p.Flags&fsm.ACK != 0 {
		b = padRight(b, strconv.AppendUint(num[:0], uint64(p.Ack.Sub(base(c, p.From.Other()))), 10), 10)
	} else {
		b = padRight(b, []byte("-"), 10)
	}
	b = append(b, " len "...)
	b = padRight(b, strconv.AppendInt(num[:0], int64(p.Len), 10), 6)
	b = append(b, " win "...)
	b = strconv.AppendUint(b, uint64(window(c, p)), 10)
	if p.Events != 0 {
		b = append(b, segLabels(p)...)
	}
	return append(b, '\n')
}

// padLeft appends s right-aligned in width columns; padRight left-aligned.
func padLeft(b, s []byte, width int) []byte {
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

func padRight(b, s []byte, width int) []byte {
	b = append(b, s...)
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return b
}

// segLabels writes a segment's events for the end of its timeline line:
// "  [retransmission] [dup ack #2]"; "" when it has none.
func segLabels(p *flow.Packet) string {
	var b strings.Builder
	p.Events.Each(func(e flow.SegEvent) {
		b.WriteString("  [")
		b.WriteString(segLabel(e, p.DupAck))
		b.WriteByte(']')
	})
	return b.String()
}

// window is the window a segment advertised, scaled when the handshake
// settled scaling (never on a SYN, RFC 7323 §2.2).
func window(c *flow.Conn, p *flow.Packet) uint32 {
	shift, known := c.FSM.Endpoint(p.From).Scale()
	if !known || p.Flags&fsm.SYN != 0 {
		return uint32(p.Window)
	}
	return uint32(p.Window) << shift
}

// writeFinding writes a finding: its name, severity (painted by p) and
// count, the connections (the first ten), its meaning and what to check
// next, wrapped to fit 100 columns.
func writeFinding(w io.Writer, f *findings.Finding, p painter) {
	ids := f.Conns
	more := ""
	if len(ids) > 10 {
		more = fmt.Sprintf(" and %d more", len(ids)-10)
		ids = ids[:10]
	}
	head := p.finding(f.Severity, fmt.Sprintf("%-17s %-8s", f.Code, f.Severity))
	switch {
	case f.Conns != nil:
		fmt.Fprintf(w, "  %s %7d  conns %s%s\n", head, len(f.Conns), strings.Trim(fmt.Sprint(ids), "[]"), more)
	case f.Target != "":
		fmt.Fprintf(w, "  %s %7d  connections, %s\n", head, f.Count, f.Target)
	default:
		fmt.Fprintf(w, "  %s %7d  connections\n", head, f.Count)
	}
	text := f.Meaning
	if f.Detail != "" {
		text += " (" + f.Detail + ")"
	}
	for _, line := range wrap(text, 90) {
		fmt.Fprintf(w, "      %s\n", line)
	}
	if f.Check != "" {
		w.Write(appendCheck(nil, "      ", f.Check))
	}
}

// appendCheck appends what to check next, wrapped to 90 columns, each line
// after indent, the lines after the first aligned under its text.
func appendCheck(b []byte, indent, check string) []byte {
	for i, line := range wrap("check: "+check, 90) {
		b = append(b, indent...)
		if i > 0 {
			b = append(b, "       "...)
		}
		b = append(b, line...)
		b = append(b, '\n')
	}
	return b
}

// wrap breaks text into lines of at most width columns, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// detail appends what followed a violation, if anything.
func detail(d string) string {
	if d == "" {
		return ""
	}
	return " (" + d + ")"
}

// rel formats a duration since the connection's first segment in seconds
// with microseconds, as tcpdump's relative times.
func rel(d time.Duration) string { return string(appendRel(nil, d)) }

// appendRel appends rel's form of d.
func appendRel(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, d.Seconds(), 'f', 6, 64)
}

// summaryHeader names the columns of the connection table's two lines.
var summaryHeader = [2][]string{
	{"#", "client", "server", "start", "duration", "pkts c/s", "bytes c/s"},
	{"", "client state", "server state", "zeek", "history", "retrans", "violations", "notes"},
}

// summaryRow is a connection's lines in the table: who, when and how
// much; then how it ended; then, when any, its segment events.
type summaryRow struct {
	cols   [2][][]byte // each cell refers to the row store's bytes
	events []byte
}

// rowStore keeps the summary rows until the table is written, packed:
// each cell as its length and bytes, in chunks of a mebibyte, about 90
// bytes a connection and no object of their own. Past rowsInMemory chunks
// the full ones go to a temporary file (removed at once, so nothing is
// left behind), so that memory follows the connections tracked, not all
// the connections of the capture. It also keeps the width of every column.
type rowStore struct {
	chunks  [][]byte
	n       int
	width   [2][]int
	spill   *os.File
	spilled []int // the lengths of the chunks in spill, in order
	noSpill bool  // the temporary file could not be made: keep all in memory
	num     []byte
	// inMemory is how many chunks may be held before they are spilled;
	// 0 means rowsInMemory.
	inMemory int
}

// maxColumnWidth bounds how wide a cell makes its column: a longer cell
// (the Zeek history of a connection under a RST storm) runs past its
// column in its own row, rather than pad every other row to its width.
const maxColumnWidth = 24

const (
	firstRowChunk = 4 << 10
	rowChunk      = 1 << 20
	rowsInMemory  = 32
)

func sum(ns []int) (t int) {
	for _, n := range ns {
		t += n
	}
	return t
}

// spillChunks moves every chunk but the last to the temporary file.
func (s *rowStore) spillChunks() {
	if s.spill == nil && !s.noSpill {
		f, err := os.CreateTemp("", "tcpflow-fsm-rows-")
		if err != nil {
			s.noSpill = true
			return
		}
		os.Remove(f.Name())
		s.spill = f
	}
	if s.spill == nil {
		return
	}
	written := 0
	for _, c := range s.chunks[:len(s.chunks)-1] {
		if _, err := s.spill.Write(c); err != nil {
			// A full disk: what is left stays in memory. A chunk
			// written in part is written again whole, after it.
			s.noSpill = true
			break
		}
		s.spilled = append(s.spilled, len(c))
		written++
	}
	if s.noSpill {
		s.spill.Truncate(int64(sum(s.spilled)))
		s.spill.Seek(0, io.SeekEnd)
	}
	n := copy(s.chunks, s.chunks[written:])
	clear(s.chunks[n:])
	s.chunks = s.chunks[:n]
}

// appendNotes appends the notes column of connection c's row: roles
// guessed, duplicates, self-connect and the note codes, comma-separated.
func appendNotes(b []byte, c *flow.Conn, r roles) []byte {
	start := len(b)
	sep := func() {
		if len(b) > start {
			b = append(b, ", "...)
		}
	}
	if r.guessed {
		b = append(b, "roles guessed"...)
	}
	if c.Duplicates > 0 {
		sep()
		b = append(strconv.AppendInt(b, int64(c.Duplicates), 10), " duplicates"...)
	}
	if c.FSM.Self() {
		sep()
		b = append(b, "self-connect"...)
	}
	for _, code := range c.NoteCodes() {
		sep()
		b = append(b, code.String()...)
	}
	return b
}

// addConn adds the row of connection c: summaryHeader's columns and its
// segment events,
// appending each cell in place: a capture can have millions of rows.
func (s *rowStore) addConn(c *flow.Conn, r roles) {
	s.init()
	b := s.room(512)
	col := 0
	cell := func(l int, v []byte) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
		s.width[l][col] = max(s.width[l][col], min(len(v), maxColumnWidth))
		col++
	}
	num := s.num[:0]
	cell(0, strconv.AppendInt(num, int64(c.ID), 10))
	cell(0, c.Addr(r.client).AppendTo(num))
	cell(0, c.Addr(r.server).AppendTo(num))
	cell(0, appendClockMicros(num, c.First()))
	cell(0, append(strconv.AppendFloat(num, c.Last().Sub(c.First()).Seconds(), 'f', 6, 64), 's'))
	cell(0, strconv.AppendInt(append(strconv.AppendInt(num, int64(c.Packets[r.client]), 10), '/'), int64(c.Packets[r.server]), 10))
	cell(0, strconv.AppendInt(append(strconv.AppendInt(num, c.Bytes[r.client], 10), '/'), c.Bytes[r.server], 10))
	col = 0
	retrans := c.Retransmissions()
	cell(1, nil)
	cell(1, append(num, c.FSM.Endpoint(r.client).State.String()...))
	cell(1, append(num, c.FSM.Endpoint(r.server).State.String()...))
	cell(1, append(num, c.Zeek.ConnState(r.client)...))
	cell(1, c.Zeek.AppendHistory(num, r.client))
	cell(1, strconv.AppendUint(num, uint64(retrans), 10))
	cell(1, strconv.AppendInt(num, int64(c.Violations), 10))
	notes := appendNotes(num, c, r)
	cell(1, notes)
	var events []byte
	if c.SegCounts() != ([flow.NumSegEvents]uint32{}) {
		events = []byte(segCounts(c))
	}
	b = binary.AppendUvarint(b, uint64(len(events)))
	b = append(b, events...)
	s.num = num[:0]
	s.done(b)
}

// init sets the widths of the columns from the header, once.
func (s *rowStore) init() {
	if s.num == nil {
		s.num = make([]byte, 0, 256)
	}
	for l := range s.width {
		if s.width[l] == nil {
			s.width[l] = make([]int, len(summaryHeader[l]))
			for i, h := range summaryHeader[l] {
				s.width[l][i] = len(h)
			}
		}
	}
}

// room returns the chunk to append a row of at most need bytes to.
func (s *rowStore) room(need int) []byte {
	if len(s.chunks) == 0 || cap(s.chunks[len(s.chunks)-1])-len(s.chunks[len(s.chunks)-1]) < need {
		// Chunks start small and double up to rowChunk: a capture of a
		// few connections takes kilobytes, a large one whole chunks.
		size := firstRowChunk
		if n := len(s.chunks); n > 0 {
			size = min(2*cap(s.chunks[n-1]), rowChunk)
		}
		s.chunks = append(s.chunks, make([]byte, 0, max(size, need)))
		if len(s.chunks) > cmp.Or(s.inMemory, rowsInMemory) && !s.noSpill {
			s.spillChunks()
		}
	}
	return s.chunks[len(s.chunks)-1]
}

// done stores the chunk b, which grew by a row.
func (s *rowStore) done(b []byte) {
	s.chunks[len(s.chunks)-1] = b
	s.n++
}

// each calls fn with every row in the order added; the row is valid only
// during the call. The error is from reading the temporary file back.
func (s *rowStore) each(fn func(r *summaryRow)) error {
	var r summaryRow
	for l := range r.cols {
		r.cols[l] = make([][]byte, len(summaryHeader[l]))
	}
	next := func(b []byte) ([]byte, []byte) {
		n, k := binary.Uvarint(b)
		return b[k : k+int(n)], b[k+int(n):]
	}
	rows := func(b []byte) {
		for len(b) > 0 {
			for l := range r.cols {
				for i := range r.cols[l] {
					r.cols[l][i], b = next(b)
				}
			}
			r.events, b = next(b)
			fn(&r)
		}
	}
	if s.spill != nil {
		defer s.spill.Close()
		if _, err := s.spill.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("reading the connection table back: %w", err)
		}
		buf := make([]byte, 0, rowChunk)
		for _, n := range s.spilled {
			buf = slices.Grow(buf[:0], n)[:n]
			if _, err := io.ReadFull(s.spill, buf); err != nil {
				return fmt.Errorf("reading the connection table back: %w", err)
			}
			rows(buf)
		}
	}
	for _, b := range s.chunks {
		rows(b)
	}
	return nil
}

// appendSpaces appends n spaces, none when n is not positive.
func appendSpaces(b []byte, n int) []byte {
	const spaces = "                                "
	for ; n > len(spaces); n -= len(spaces) {
		b = append(b, spaces...)
	}
	if n > 0 {
		b = append(b, spaces[:n]...)
	}
	return b
}

// writeTable writes the rows aligned: every column as wide as its widest
// cell, the first column of both lines shared so that they read as one row.
func writeTable(w io.Writer, header [2][]string, rows *rowStore) error {
	width := rows.width
	first := max(width[0][0], width[1][0])
	width[0][0], width[1][0] = first, first
	var b []byte
	line := func(l int, cells [][]byte) {
		b = b[:0]
		for i, cell := range cells {
			if i > 0 {
				b = append(b, "  "...)
			}
			pad := width[l][i] - len(cell)
			if i == 0 {
				b = appendSpaces(b, pad)
			}
			b = append(b, cell...)
			if i > 0 {
				b = appendSpaces(b, pad)
			}
		}
		b = append(bytes.TrimRight(b, " "), '\n')
		w.Write(b)
	}
	for l, cells := range header {
		head := make([][]byte, len(cells))
		for i, c := range cells {
			head[i] = []byte(c)
		}
		line(l, head)
	}
	return rows.each(func(r *summaryRow) {
		line(0, r.cols[0])
		line(1, r.cols[1])
		if len(r.events) > 0 {
			for _, l := range wrap(string(r.events), 96-first) {
				fmt.Fprintf(w, "%*s  %s\n", first, "", l)
			}
		}
	})
}

// header writes the header and a blank line, once: with timelines, at the
// first connection (the one that starts first but for connections reported
// early); without, at the table, from the earliest start.
func (t *Text) header() {
	if t.headed {
		return
	}
	t.headed = true
	t.line = appendHeader(t.line[:0], t.first.Time())
	t.line = append(t.line, '\n')
	t.w.Write(t.line)
}

// Close writes the summary lines and the capture counters, and flushes.
func (t *Text) Close(tot *Totals) error {
	w := t.w
	if t.rows.n > 0 {
		t.header()
		fmt.Fprintln(w, "connections:")
		if err := writeTable(w, summaryHeader, &t.rows); err != nil {
			w.Flush()
			return err
		}
		fmt.Fprintln(w)
		// As netstat -nat | awk '{print $6}' | sort | uniq -c, per role.
		fmt.Fprintln(w, "final states:")
		fmt.Fprintf(w, "  client  %s\n  server  %s\n\n", t.final.Client.String(), t.final.Server.String())
	}
	if fs := t.findings.List(); len(fs) > 0 {
		fmt.Fprintln(w, "findings:")
		for _, f := range fs {
			writeFinding(w, &f, painter(t.Color))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "capture: %d packets read, %d TCP segments, %d not decoded; connections: %d",
		tot.Packets, tot.TCP, tot.Undecoded(), tot.Connections)
	if tot.Filtered > 0 {
		fmt.Fprintf(w, ", %d rejected by the filter", tot.Filtered)
	}
	if tot.Duplicates > 0 {
		fmt.Fprintf(w, ", %d duplicates dropped", tot.Duplicates)
	}
	fmt.Fprintln(w)
	for _, c := range tot.Counters {
		fmt.Fprintf(w, "  %-22s %-28s %d\n", printable(c.Group), printable(c.Name), c.Count)
	}
	if tot.Evicted > 0 {
		fmt.Fprintf(w, "  %d connections released early (idle timeout, or evicted by --max-conns)\n", tot.Evicted)
	}
	if tot.Early > 0 {
		fmt.Fprintf(w, "  %d connections reported ahead of earlier ones still open (--max-conns bounds those waiting)\n", tot.Early)
	}
	if tot.ReadError != "" {
		fmt.Fprintf(w, "capture incomplete: %s\n", printable(tot.ReadError))
	}
	return w.Flush()
}

// zoneSuffix is ", vlan 42" (or ", vxlan 1001", ...) for a connection in a
// zone, to follow its addresses; "" for one in none.
func zoneSuffix(c *flow.Conn) string {
	if z := zoneText(c); z != "" {
		return ", " + z
	}
	return ""
}

// zoneText is a connection's zone as text: "vlan 42", "vxlan 1001";
// "vlan 3136 one way, untagged the other" for one whose two directions
// came in different VLANs; "" for one in no zone.
func zoneText(c *flow.Conn) string {
	z := c.Zone()
	v, split := c.ReplyVLAN()
	if !split {
		return z.String()
	}
	words := func(v [2]uint16) string {
		if v[0] == 0 {
			return "untagged"
		}
		return fsm.Zone{VLAN: v}.String()
	}
	s := words(z.VLAN) + " one way, " + words(v) + " the other"
	if t := (fsm.Zone{Tunnel: z.Tunnel, TunnelID: z.TunnelID}).String(); t != "" {
		s += ", " + t
	}
	return s
}

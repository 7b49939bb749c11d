package report

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/flow/findings"
	"tcpflow-fsm/fsm"
)

// HTML writes one self-contained HTML report of a capture (--html FILE):
// its CSS, script, data and figures are inline, so that it opens from a
// file on a laptop with no network. The page shows an overview (capture
// facts, final states per role, findings, violations by code, the
// connections' starts and ends), a table of every connection, sortable
// and filterable, and for the connection picked four figures the script
// draws from its data: the ladder, the time-sequence graph of each
// direction, the state timeline and the state diagram (fsm-dot's, embedded
// once) with the edges it took; beside them the transition table, and a
// control that steps through the connection segment by segment.
//
// The data is what the other renderers print, in a compact form: the
// connection table as columns; each connection's segments and events as
// one line of a plain-text block the script parses only when that
// connection is opened, so that a capture of 100,000 connections opens at
// once. Like every renderer it reads events and counters and recomputes
// no state.
type HTML struct {
	w        *bufio.Writer
	name     string // the capture's name, for the title
	findings *findings.Collector
	final    StateCounts
	codes    map[fsm.Code]*codeTally
	strs     strTable

	conns  htmlConns
	detail []byte // one JSON line a connection
	first  fsm.Time
	last   fsm.Time
	seen   bool
}

// codeTally counts a violation code over the capture: the connections that
// showed it, and how many times in all.
type codeTally struct{ conns, times int }

// strTable numbers the distinct strings of the report (explanations), so
// that a connection's data refers to each by number.
type strTable struct {
	index map[string]int
	list  []string
}

func (s *strTable) id(v string) int {
	if i, ok := s.index[v]; ok {
		return i
	}
	if s.index == nil {
		s.index = map[string]int{}
	}
	s.index[v] = len(s.list)
	s.list = append(s.list, v)
	return len(s.list) - 1
}

// htmlConns is the connection table, a column a field. Times are kept in
// nanoseconds and written relative to the capture's first segment.
type htmlConns struct {
	ID          []int      `json:"id"`
	Client      []string   `json:"client"`
	Server      []string   `json:"server"`
	Port        []uint16   `json:"port"`
	Start       []float64  `json:"start"` // ms from the capture's first segment
	Dur         []float64  `json:"dur"`   // ms
	ClientState []int      `json:"cst"`   // fsm.State
	ServerState []int      `json:"sst"`
	ConnState   []string   `json:"zs"`
	History     []string   `json:"hist"`
	Packets     [][2]int   `json:"pk"` // client, server
	Bytes       [][2]int64 `json:"by"`
	Retrans     []uint32   `json:"rx"`
	Violations  []uint32   `json:"vi"`
	Codes       [][]string `json:"codes"`
	Notes       []string   `json:"notes"`
	Outcome     []int      `json:"out"`
	Off         []int      `json:"off"` // where its line starts in the detail block
	Len         []int      `json:"len"`

	start, end []fsm.Time
}

// Outcomes colour the overview's connection timeline. Each also has a
// shape there, and a name in the legend.
const (
	outClosed     = iota // closed by FINs
	outReset             // aborted by a RST
	outRefused           // a connect refused by a RST
	outUnanswered        // a SYN never answered
	outOpen              // still open, or half-closed, at the end
	outOther
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"closed", "reset", "refused", "unanswered", "open at end", "other"}

// NewHTML returns an HTML renderer writing to w; name is the capture's
// name, shown in the title.
func NewHTML(w io.Writer, name string) *HTML {
	return &HTML{w: bufio.NewWriterSize(w, 256<<10), name: name, findings: findings.New(),
		codes: map[fsm.Code]*codeTally{}, first: fsm.MaxTime, last: fsm.MinTime}
}

// SetThresholds sets the counts from which findings fire.
func (h *HTML) SetThresholds(th findings.Thresholds) { h.findings.Thresholds = th }

// Segment does nothing: segment events are in the timeline's packets.
func (*HTML) Segment(*flow.Conn, *flow.SegmentEvent) {}

// Event does nothing: events are read per connection in Done.
func (*HTML) Event(*flow.Conn, *flow.Event) {}

// Done adds the connection's row and its line of detail.
func (h *HTML) Done(c *flow.Conn) {
	h.findings.Observe(c)
	h.final.Count(c)
	h.seen = true
	h.first = min(h.first, c.First())
	h.last = max(h.last, c.Last())
	r := rolesOf(c)
	t := &h.conns
	t.ID = append(t.ID, c.ID)
	t.Client = append(t.Client, c.Addr(r.client).String())
	t.Server = append(t.Server, c.Addr(r.server).String())
	t.Port = append(t.Port, c.Addr(r.server).Port())
	t.start = append(t.start, c.First())
	t.end = append(t.end, c.Last())
	cst, sst := c.FSM.Endpoint(r.client).State, c.FSM.Endpoint(r.server).State
	t.ClientState = append(t.ClientState, int(cst))
	t.ServerState = append(t.ServerState, int(sst))
	t.ConnState = append(t.ConnState, c.Zeek.ConnState(r.client))
	t.History = append(t.History, c.Zeek.History(r.client))
	t.Packets = append(t.Packets, [2]int{c.Packets[r.client], c.Packets[r.server]})
	t.Bytes = append(t.Bytes, [2]int64{c.Bytes[r.client], c.Bytes[r.server]})
	t.Retrans = append(t.Retrans, c.Retransmissions())
	t.Violations = append(t.Violations, c.Violations)
	var codes []string
	for _, code := range c.Codes() {
		codes = append(codes, code.String())
		ct := h.codes[code]
		if ct == nil {
			ct = new(codeTally)
			h.codes[code] = ct
		}
		ct.conns++
		ct.times += c.CodeCount(code)
	}
	t.Codes = append(t.Codes, codes)
	t.Notes = append(t.Notes, string(appendNotes(nil, c, r)))
	t.Outcome = append(t.Outcome, connOutcome(c, cst, sst))
	t.Off = append(t.Off, len(h.detail))
	h.detail = h.appendDetail(h.detail, c, r)
	t.Len = append(t.Len, len(h.detail)-t.Off[len(t.Off)-1])
	h.detail = append(h.detail, '\n')
}

// outcome sorts a connection by how it ended, for the overview.
func connOutcome(c *flow.Conn, cst, sst fsm.State) int {
	switch {
	case c.Refused[fsm.A] || c.Refused[fsm.B]:
		return outRefused
	case c.Aborted:
		return outReset
	case cst == fsm.SynSent && c.Packets[0]+c.Packets[1] > 0 && !c.SentSYNACK(fsm.A) && !c.SentSYNACK(fsm.B):
		return outUnanswered
	case (cst == fsm.Closed || cst == fsm.TimeWait) && (sst == fsm.Closed || sst == fsm.TimeWait || sst == fsm.Listen):
		return outClosed
	case cst.Synchronized() || sst.Synchronized() || cst == fsm.SynSent || sst == fsm.SynReceived:
		return outOpen
	}
	return outOther
}

// appendDetail appends connection c's detail as one JSON object:
//
//	p: 8 numbers a segment: µs since the previous one (the first: since
//	   the connection's first), sender (0 client, 1 server) × 256 + flags, SEQ
//	   and ACK relative to each side's ISS (modulo 2^32, as the text
//	   ladder writes them) and the window (scaled), each
//	   as the change from the same side's previous segment (an ACK
//	   without the ACK bit repeats the previous one), payload length,
//	   segment events (a bit a flow.SegEvent), duplicate ACK number;
//	e: 9 numbers an event: the segment it follows (from 1; 0 before
//	   any), kind (0 transition, 1 violation, 2 note), side (0 client,
//	   1 server), from, to, code (0: none), direction, segment kind, µs
//	   since the previous event (the first: since the connection's first
//	   segment). Its explanation (Explanation) is the note of its table
//	   cell in Rules, or its code's in Codes;
//	k: SACK blocks, 3 numbers each: segment (from 1), left, right
//	   (relative to the receiver's peer's ISS);
//	d: the one-way delays between the capture point and the client and
//	   the server in µs, when the handshake shows them;
//	x: segments the timeline cap left out.
func (h *HTML) appendDetail(b []byte, c *flow.Conn, r roles) []byte {
	side := func(s fsm.Side) int64 {
		if s == r.client {
			return 0
		}
		return 1
	}
	// list appends a JSON array of numbers a few at a time.
	var first bool
	open := func(prefix string) { b, first = append(b, prefix...), true }
	put := func(vs ...int64) {
		for _, v := range vs {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = strconv.AppendInt(b, v, 10)
		}
	}
	us := func(d time.Duration) int64 { return int64(d / time.Microsecond) }

	open(`{"p":[`)
	prev := c.First()
	// SEQ, ACK and window are written as the change from the same
	// side's previous segment: mostly small numbers, often 0.
	var last [2][3]int64
	for _, p := range c.Timeline() {
		sd := side(p.From)
		v := [3]int64{int64(p.Seq.Sub(base(c, p.From))), last[sd][1], int64(window(c, &p))}
		if p.Flags&fsm.ACK != 0 {
			v[1] = int64(p.Ack.Sub(base(c, p.From.Other())))
		}
		put(us(p.Time.Sub(prev)), sd<<8|int64(p.Flags), v[0]-last[sd][0], v[1]-last[sd][1], v[2]-last[sd][2],
			int64(p.Len), int64(p.Events), int64(p.DupAck))
		prev, last[sd] = p.Time, v
	}
	open(`],"e":[`)
	at := c.First()
	for _, e := range ordered(c) {
		put(int64(e.At), int64(e.Kind), side(e.Side), int64(e.From), int64(e.To), int64(e.Code),
			int64(e.Dir), int64(e.SegKind), us(e.Time.Sub(at)))
		at = e.Time
	}
	open(`],"k":[`)
	for _, s := range c.SACKs() {
		peer := base(c, c.Timeline()[s.At-1].From.Other())
		put(int64(s.At), int64(s.Block.Left.Sub(peer)), int64(s.Block.Right.Sub(peer)))
	}
	b = append(b, ']')
	if toClient, toServer, ok := OneWayDelays(c); ok {
		open(`,"d":[`)
		put(us(toClient), us(toServer))
		b = append(b, ']')
	}
	if n := c.TimelineDropped(); n > 0 {
		open(`,"x":`)
		put(int64(n))
	}
	return append(b, '}')
}

// htmlMeta is what the page knows of the capture as a whole, and the
// names and rules the script draws with.
type htmlMeta struct {
	File        string            `json:"file"`
	First       string            `json:"first,omitempty"`
	Last        string            `json:"last,omitempty"`
	Packets     uint64            `json:"packets"`
	TCP         uint64            `json:"tcp"`
	Undecoded   uint64            `json:"undecoded"`
	Filtered    uint64            `json:"filtered"`
	Duplicates  int               `json:"duplicates"`
	Connections int               `json:"connections"`
	Evicted     int               `json:"evicted"`
	ReadError   string            `json:"read_error,omitempty"`
	Counters    [][3]any          `json:"counters"`
	Final       [2][]int          `json:"final"` // per role, a count a state
	Findings    []htmlFinding     `json:"findings"`
	Violations  []htmlViolation   `json:"violations"`
	States      []string          `json:"states"`
	Abbrev      []string          `json:"abbrev"`
	Colors      []string          `json:"colors"`
	Outcomes    []string          `json:"outcomes"`
	Flags       []htmlFlag        `json:"flags"`
	Dirs        []string          `json:"dirs"`
	Kinds       []string          `json:"kinds"`
	SegEvents   []string          `json:"segevents"`
	Codes       []htmlCode        `json:"codes"` // by fsm.Code
	Rules       [][][3]int        `json:"rules"` // [state][dir*kinds+kind]: next, alt, note (string)
	Strings     []string          `json:"strings"`
	Keep        int               `json:"keep"`    // fsm.Keep in Rules
	Timeout     int               `json:"timeout"` // fsm.KindTimeout
	Retrans     []int             `json:"retrans"` // the retransmission SegEvents
	DupAck      int               `json:"dupack"`
	Zeek        map[string]string `json:"zeek"`
}

type htmlFinding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Count    int    `json:"count"`
	Target   string `json:"target,omitempty"`
	Conns    []int  `json:"conns"`
	Message  string `json:"message"`
	Detail   string `json:"detail,omitempty"`
	Check    string `json:"check"`
}

type htmlViolation struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	RFC      string `json:"rfc"`
	Summary  string `json:"summary"`
	Conns    int    `json:"conns"`
	Times    int    `json:"times"`
}

type htmlFlag struct {
	Name string `json:"name"`
	Bit  int    `json:"bit"`
}

type htmlCode struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	RFC     string `json:"rfc"`
	Explain string `json:"explain"`
}

// zeekStates are the conn_state values' meanings, for the table's filter.
var zeekStates = map[string]string{
	"S0": "connection attempt seen, no reply", "S1": "established, not terminated",
	"SF": "normal establishment and termination", "REJ": "connection attempt rejected",
	"S2":   "established, close attempt by originator seen (no reply)",
	"S3":   "established, close attempt by responder seen (no reply)",
	"RSTO": "established, originator aborted (RST)", "RSTR": "responder sent a RST",
	"RSTOS0": "originator sent a SYN then a RST, no SYN,ACK seen",
	"RSTRH":  "responder sent a SYN,ACK then a RST, no SYN from the originator seen",
	"SH":     "originator sent a SYN then a FIN, no SYN,ACK seen",
	"SHR":    "responder sent a SYN,ACK then a FIN, no SYN from the originator seen",
	"OTH":    "no SYN seen, just midstream traffic",
}

// Close writes the page.
func (h *HTML) Close(t *Totals) error {
	m := htmlMeta{File: h.name, Packets: t.Packets, TCP: t.TCP, Undecoded: t.Undecoded(), Filtered: t.Filtered,
		Duplicates: t.Duplicates, Connections: t.Connections, Evicted: t.Evicted, ReadError: t.ReadError,
		Counters: [][3]any{}, Zeek: zeekStates}
	if h.seen {
		m.First, m.Last = stamp(h.first), stamp(h.last)
	}
	for _, c := range t.Counters {
		m.Counters = append(m.Counters, [3]any{c.Group, c.Name, c.Count})
	}
	for s := 0; s < fsm.NumStates; s++ {
		m.States = append(m.States, fsm.State(s).String())
		m.Abbrev = append(m.Abbrev, stateAbbrev(fsm.State(s)))
		m.Colors = append(m.Colors, StateColor(fsm.State(s)))
	}
	m.Final[0], m.Final[1] = h.final.Client[:], h.final.Server[:]
	m.Outcomes = outcomeNames[:]
	m.Flags = flagNames()
	for d := fsm.Dir(0); int(d) < fsm.NumDirs; d++ {
		m.Dirs = append(m.Dirs, d.String())
	}
	for k := fsm.Kind(0); int(k) < fsm.NumKinds; k++ {
		m.Kinds = append(m.Kinds, k.String())
	}
	for e := flow.SegEvent(0); e < flow.NumSegEvents; e++ {
		label := ""
		if e > 0 {
			label = e.Info().Label
		}
		m.SegEvents = append(m.SegEvents, label)
	}
	m.Codes = append(m.Codes, htmlCode{})
	for _, code := range fsm.Codes() {
		info := code.Info()
		m.Codes = append(m.Codes, htmlCode{Name: info.Name, Summary: info.Summary, RFC: info.RFC, Explain: info.Explain})
	}
	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		var row [][3]int
		for d := fsm.Dir(0); int(d) < fsm.NumDirs; d++ {
			for k := fsm.Kind(0); int(k) < fsm.NumKinds; k++ {
				r := fsm.Rules(d, k, s)
				row = append(row, [3]int{int(r.Next), int(r.Alt), h.strs.id(r.Note)})
			}
		}
		m.Rules = append(m.Rules, row)
	}
	for _, f := range h.findings.List() {
		m.Findings = append(m.Findings, htmlFinding{Code: f.Code, Severity: f.Severity, Count: f.N(),
			Target: f.Target, Conns: f.Conns, Message: f.Meaning, Detail: f.Detail, Check: f.Check})
	}
	for _, code := range fsm.Codes() {
		if ct := h.codes[code]; ct != nil {
			info := code.Info()
			m.Violations = append(m.Violations, htmlViolation{Code: info.Name, Severity: info.Severity.String(),
				RFC: info.RFC, Summary: info.Summary, Conns: ct.conns, Times: ct.times})
		}
	}
	m.Strings = h.strs.list
	m.Keep, m.Timeout, m.DupAck = int(fsm.Keep), int(fsm.KindTimeout), int(flow.DuplicateAck)
	m.Retrans = []int{int(flow.Retransmission), int(flow.FastRetransmission), int(flow.SpuriousRetransmission)}
	cs := &h.conns
	if cs.ID == nil {
		// No connection: empty columns, not nulls, for the script.
		*cs = htmlConns{ID: []int{}, Client: []string{}, Server: []string{}, Port: []uint16{}, ClientState: []int{},
			ServerState: []int{}, ConnState: []string{}, History: []string{}, Packets: [][2]int{}, Bytes: [][2]int64{},
			Retrans: []uint32{}, Violations: []uint32{}, Codes: [][]string{}, Notes: []string{}, Outcome: []int{}, Off: []int{}, Len: []int{}}
	}
	cs.Start = make([]float64, len(cs.start))
	cs.Dur = make([]float64, len(cs.start))
	for i := range cs.start {
		cs.Start[i] = millis(cs.start[i].Sub(h.first))
		cs.Dur[i] = millis(cs.end[i].Sub(cs.start[i]))
	}
	w := h.w
	w.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	w.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	w.WriteString("<meta name=\"color-scheme\" content=\"light dark\">\n")
	fmt.Fprintf(w, "<title>tcpflow-fsm: %s</title>\n<style>\n", htmlEscape(h.name))
	w.WriteString(FigureCSS())
	// The diagram's boxes keep their light tints in both themes, with
	// dark names, so that the page's own toggle needs no second set.
	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		fmt.Fprintf(w, "#fsm .fig .node.%s rect{fill:%s}\n", stateClass(s), mix(StateColor(s), lightBG, 0.7))
	}
	w.WriteString(htmlCSS)
	w.WriteString("</style>\n</head>\n<body>\n")
	w.WriteString(htmlBody)
	w.WriteString("<div id=\"fsm-src\" hidden>\n")
	if err := writeDiagramForHTML(w); err != nil {
		return err
	}
	w.WriteString("</div>\n<script type=\"application/json\" id=\"meta\">")
	if err := writeScriptJSON(w, &m); err != nil {
		return err
	}
	w.WriteString("</script>\n<script type=\"application/json\" id=\"conns\">")
	if err := writeScriptJSON(w, cs); err != nil {
		return err
	}
	w.WriteString("</script>\n<script type=\"text/plain\" id=\"detail\">")
	// Only digits, brackets, commas, quotes, letters and newlines:
	// nothing a script element's text could end on.
	w.Write(h.detail)
	w.WriteString("</script>\n<script>\n")
	w.WriteString(htmlJS)
	w.WriteString("</script>\n</body>\n</html>\n")
	return w.Flush()
}

func millis(d time.Duration) float64 {
	return math.Round(float64(d)/1e3) / 1e3
}

// writeScriptJSON writes v as JSON fit for a script element: encoding/json
// escapes <, > and &, so that no "</script" can appear.
func writeScriptJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func htmlEscape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// flagNames lists the TCP flags in the order fsm.Flags.String names
// them, with their bits.
func flagNames() []htmlFlag {
	var fs []htmlFlag
	for _, f := range []fsm.Flags{fsm.SYN, fsm.FIN, fsm.RST, fsm.PSH, fsm.ACK, fsm.URG, fsm.ECE, fsm.CWR} {
		fs = append(fs, htmlFlag{Name: f.String(), Bit: int(f)})
	}
	return fs
}

//go:embed html/report.css
var htmlCSS string

//go:embed html/report.js
var htmlJS string

//go:embed html/body.html
var htmlBody string

// writeDiagramForHTML writes the state diagram the page highlights a
// connection's edges in.
func writeDiagramForHTML(w io.Writer) error {
	return WriteStateDiagram(w, nil, DiagramOptions{Embed: true})
}

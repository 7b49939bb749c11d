package report

import (
	"bufio"
	"io"
	"strconv"
	"unicode/utf8"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/flow/findings"
	"tcpflow-fsm/fsm"
)

// JSON writes NDJSON: for each connection once it is done, a "conn" record
// followed by its "transition", "violation" and "event" records in
// timeline order; a "stats" record last. Field names are a contract: never
// rename one.
type JSON struct {
	w        *bufio.Writer
	buf      []byte
	stream   bool
	findings *findings.Collector
	final    StateCounts
	// segEvents holds, offline, the segment events of each connection not
	// done yet, for its records after its "conn" record.
	segEvents map[*flow.Conn][]flow.SegmentEvent
}

// SetThresholds sets the counts from which findings fire.
func (j *JSON) SetThresholds(th findings.Thresholds) { j.findings.Thresholds = th }

// NewJSON returns an NDJSON renderer for a whole capture.
func NewJSON(w io.Writer) *JSON { return &JSON{w: bufio.NewWriter(w), findings: findings.New()} }

// NewJSONStream returns an NDJSON renderer for live capture: the same
// records, each written as it happens (out at the next Flush, which the
// live capture calls once it has analysed the packets it was handed); a
// connection's "conn" record comes when it ends, after its events.
func NewJSONStream(w io.Writer) *JSON {
	return &JSON{w: bufio.NewWriterSize(w, 64<<10), stream: true, findings: findings.New()}
}

// Flush writes out the records made so far.
func (j *JSON) Flush() error { return j.w.Flush() }

// Segment writes an event record when streaming; otherwise it keeps the
// segment event for the connection's records, written in Done.
func (j *JSON) Segment(c *flow.Conn, e *flow.SegmentEvent) {
	if j.stream {
		j.buf = appendSegEvent(j.buf[:0], c, rolesOf(c), e)
		j.w.Write(j.buf)
		return
	}
	// The table may keep them for us (flow.Config.KeepSegEvents).
	if c.SegEvents() == nil {
		if j.segEvents == nil {
			j.segEvents = make(map[*flow.Conn][]flow.SegmentEvent)
		}
		j.segEvents[c] = append(j.segEvents[c], *e)
	}
}

// Event writes a transition, violation or note record when streaming;
// otherwise records are written per connection in Done.
func (j *JSON) Event(c *flow.Conn, e *flow.Event) {
	if !j.stream {
		return
	}
	j.buf = appendEvent(j.buf[:0], c, rolesOf(c), e)
	if e.Kind == fsm.Transition && e.Cause.RST() {
		// What the RST settles is streamed now, not when the connection
		// is released seconds later.
		j.findings.Early(c)
		for _, f := range j.findings.Fired() {
			j.buf = appendFinding(j.buf, &f, stamp(e.Time))
		}
	}
	j.w.Write(j.buf)
}

// Done writes the connection's records.
func (j *JSON) Done(c *flow.Conn) {
	j.findings.Observe(c)
	j.final.Count(c)
	r := rolesOf(c)
	b := j.buf[:0]
	b = append(b, `{"type":"conn","id":`...)
	b = strconv.AppendInt(b, int64(c.ID), 10)
	b = field(b, "client", c.Addr(r.client).String())
	b = field(b, "server", c.Addr(r.server).String())
	b = stampField(b, "start", c.First())
	b = stampField(b, "end", c.Last())
	b = appendZone(b, c)
	b = field(b, "client_state", c.FSM.Endpoint(r.client).State.String())
	b = field(b, "server_state", c.FSM.Endpoint(r.server).State.String())
	b = append(b, `,"roles_guessed":`...)
	b = strconv.AppendBool(b, r.guessed)
	b = intField(b, "client_packets", int64(c.Packets[r.client]))
	b = intField(b, "server_packets", int64(c.Packets[r.server]))
	b = intField(b, "client_bytes", c.Bytes[r.client])
	b = intField(b, "server_bytes", c.Bytes[r.server])
	b = field(b, "conn_state", c.Zeek.ConnState(r.client))
	b = field(b, "history", c.Zeek.History(r.client))
	b = intField(b, "duplicates", int64(c.Duplicates))
	if n := c.EventsDropped(); n > 0 {
		// Past --timeline-max the records are left out; counts stay whole.
		b = intField(b, "event_records_dropped", int64(n))
	}
	b = append(b, `,"violations":[`...)
	for i, code := range c.Codes() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, code.String())
	}
	b = append(b, ']')
	b = codeCounts(b, "violation_counts", c, c.Codes())
	b = codeCounts(b, "notes", c, c.NoteCodes())
	b = segEventCounts(b, c)
	if j.stream {
		b = field(b, "end_reason", c.End.String())
	}
	b = append(b, "}\n"...)
	if !j.stream {
		// Segment events come before the state-machine events of the
		// segment that caused them, as they happened.
		segs := c.SegEvents()
		if segs == nil {
			segs = j.segEvents[c]
			delete(j.segEvents, c)
		}
		for _, e := range ordered(c) {
			for ; len(segs) > 0 && segs[0].At <= e.At; segs = segs[1:] {
				b = appendSegEvent(b, c, r, &segs[0])
			}
			b = appendEvent(b, c, r, &e)
		}
		for i := range segs {
			b = appendSegEvent(b, c, r, &segs[i])
		}
	}
	if j.stream && c.End != flow.EndCapture {
		// As a finding fires or grows tenfold, with the time of the
		// connection's last segment. At the capture's end the final
		// records follow: the connections still tracked are judged there,
		// all of them known, not one by one as they are handed over.
		for _, f := range j.findings.Fired() {
			b = appendFinding(b, &f, stamp(c.Last()))
		}
	}
	j.buf = b
	j.w.Write(b)
}

// SetEnd says when the capture stopped: how long the states that last
// (close_wait, fin_wait_2) have lasted is counted to it.
func (j *JSON) SetEnd(t fsm.Time) { j.findings.SetEnd(t) }

// Watch streams, at time now, the findings that the connections still
// tracked show as it lasts (see findings.Collector.Watch).
func (j *JSON) Watch(now fsm.Time, each func(func(*flow.Conn))) {
	j.findings.Watch(now, each)
	b := j.buf[:0]
	for _, f := range j.findings.Fired() {
		b = appendFinding(b, &f, stamp(now))
	}
	j.buf = b
	j.w.Write(b)
}

// Counts writes a "state_counts" record: tracked connections per state for
// each role, and what happened over the interval.
func (j *JSON) Counts(sc *StateCounts) {
	b := append(j.buf[:0], `{"type":"state_counts"`...)
	b = stampField(b, "ts", sc.Time)
	b = intField(b, "interval_ms", sc.Interval.Milliseconds())
	b = stateCount(b, "client", &sc.Client)
	b = stateCount(b, "server", &sc.Server)
	b = intField(b, "opened", int64(sc.Opened))
	b = intField(b, "midstream", int64(sc.Midstream))
	b = intField(b, "closed", int64(sc.Closed))
	b = intField(b, "reset", int64(sc.Reset))
	b = intField(b, "refused", int64(sc.Refused))
	b = append(b, "}\n"...)
	j.buf = b
	j.w.Write(b)
	j.w.Flush()
}

func stateCount(b []byte, name string, sc *StateCount) []byte {
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ":{"...)
	first := true
	for st, n := range sc {
		if n == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, fsm.State(st).String())
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, '}')
}

// segEventCounts writes the connection's non-zero segment-event counts
// as the "events" object, {} when there are none.
// codeCounts writes an object of codes and the number of segments that
// showed each: `"notes":{"segment_to_closed":2}`, `{}` when none.
func codeCounts(b []byte, name string, c *flow.Conn, codes []fsm.Code) []byte {
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ":{"...)
	for i, code := range codes {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, code.String())
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(c.CodeCount(code)), 10)
	}
	return append(b, '}')
}

func segEventCounts(b []byte, c *flow.Conn) []byte {
	b = append(b, `,"events":{`...)
	first := true
	for e := flow.SegEvent(1); e < flow.NumSegEvents; e++ {
		n := c.SegCount(e)
		if n == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, e.String())
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, '}')
}

// appendSegEvent appends a segment event's record.
func appendSegEvent(b []byte, c *flow.Conn, r roles, e *flow.SegmentEvent) []byte {
	b = append(b, `{"type":"event"`...)
	b = stampField(b, "ts", e.Time)
	b = intField(b, "conn", int64(c.ID))
	b = field(b, "endpoint", r.name(e.Side))
	b = field(b, "event", e.SegEvent.String())
	if e.SegEvent == flow.DuplicateAck {
		b = intField(b, "count", int64(e.Count))
	}
	return append(b, "}\n"...)
}

// appendEvent appends a state-machine event's record.
func appendEvent(b []byte, c *flow.Conn, r roles, e *flow.Event) []byte {
	switch e.Kind {
	case fsm.Transition:
		b = append(b, `{"type":"transition"`...)
		b = stampField(b, "ts", e.Time)
		b = intField(b, "conn", int64(c.ID))
		b = field(b, "endpoint", r.name(e.Side))
		b = field(b, "from", e.From.String())
		b = field(b, "to", e.To.String())
		b = field(b, "cause", e.Cause.String())
		b = append(b, `,"inferred":`...)
		b = strconv.AppendBool(b, e.Inferred)
	case fsm.Violation, fsm.Note:
		info := e.Code.Info()
		if e.Kind == fsm.Violation {
			b = append(b, `{"type":"violation"`...)
		} else {
			b = append(b, `{"type":"note"`...)
		}
		b = stampField(b, "ts", e.Time)
		b = intField(b, "conn", int64(c.ID))
		b = field(b, "code", info.Name)
		b = field(b, "severity", info.Severity.String())
		b = field(b, "rfc", info.RFC)
		b = field(b, "message", info.Summary)
		b = field(b, "endpoint", r.name(e.Side))
		if e.Detail != fsm.NoDetail {
			b = field(b, "detail", e.Detail.String())
		}
	}
	return append(b, "}\n"...)
}

// appendFinding appends a finding record; ts, when not empty, is when it
// fired, for the records a live capture streams.
func appendFinding(b []byte, f *findings.Finding, ts string) []byte {
	b = append(b, `{"type":"finding"`...)
	if ts != "" {
		b = field(b, "ts", ts)
	}
	b = field(b, "code", f.Code)
	b = field(b, "severity", f.Severity)
	b = intField(b, "count", int64(f.N()))
	if f.Target != "" {
		b = field(b, "target", f.Target)
	}
	b = append(b, `,"conns":[`...)
	for i, id := range f.Conns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	b = append(b, ']')
	b = field(b, "message", f.Meaning)
	if f.Detail != "" {
		b = field(b, "detail", f.Detail)
	}
	if f.Oldest > 0 {
		b = strconv.AppendFloat(append(b, `,"oldest_s":`...), f.Oldest.Seconds(), 'f', 3, 64)
	}
	b = field(b, "check", f.Check)
	return append(b, "}\n"...)
}

// Close writes the finding records, the final state counts, then the
// stats record, and flushes.
func (j *JSON) Close(t *Totals) error {
	b := j.buf[:0]
	b = append(b, `{"type":"final_states"`...)
	b = stateCount(b, "client", &j.final.Client)
	b = stateCount(b, "server", &j.final.Server)
	b = append(b, "}\n"...)
	for _, f := range j.findings.List() {
		b = appendFinding(b, &f, "")
	}
	b = append(b, `{"type":"stats"`...)
	b = intField(b, "packets", int64(t.Packets))
	b = intField(b, "tcp_packets", int64(t.TCP))
	b = intField(b, "connections", int64(t.Connections))
	b = intField(b, "duplicates", int64(t.Duplicates))
	b = intField(b, "filtered", int64(t.Filtered))
	b = intField(b, "undecoded_total", int64(t.Undecoded()))
	b = group(b, "undecoded", t.Counters, "dropped", "unsupported_link_type")
	b = group(b, "not_tcp", t.Counters, "not_tcp")
	b = group(b, "notes", t.Counters, "note")
	if t.Live != nil {
		b = append(b, `,"capture":{"captured":`...)
		b = strconv.AppendUint(b, t.Live.Captured, 10)
		b = append(b, `,"received_by_filter":`...)
		b = strconv.AppendUint(b, t.Live.ReceivedByFilter, 10)
		b = append(b, `,"dropped_by_kernel":`...)
		b = strconv.AppendUint(b, t.Live.DroppedByKernel, 10)
		b = append(b, `,"dropped_by_interface":`...)
		b = strconv.AppendUint(b, t.Live.DroppedByIface, 10)
		b = append(b, `,"dropped_by_tcpflow_fsm":`...)
		b = strconv.AppendUint(b, t.Live.DroppedByTool, 10)
		b = append(b, '}')
	}
	if t.Evicted > 0 {
		b = intField(b, "evicted", int64(t.Evicted))
	}
	if t.Early > 0 {
		b = intField(b, "reported_early", int64(t.Early))
	}
	if t.ReadError != "" {
		b = field(b, "error", t.ReadError)
	}
	b = append(b, "}\n"...)
	j.w.Write(b)
	return j.w.Flush()
}

// group writes counters of the named groups as one object; unsupported
// link types are named "unsupported_link_type_N".
func group(b []byte, name string, cs []Counter, groups ...string) []byte {
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ":{"...)
	first := true
	for _, c := range cs {
		match := false
		for _, g := range groups {
			match = match || c.Group == g
		}
		if !match {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		key := c.Name
		if c.Group == "unsupported_link_type" {
			key = "unsupported_link_type_" + c.Name
		}
		b = appendString(b, key)
		b = append(b, ':')
		b = strconv.AppendUint(b, c.Count, 10)
	}
	return append(b, '}')
}

func field(b []byte, name, value string) []byte {
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ':')
	return appendString(b, value)
}

// stampField is field for a time, written as appendStamp writes it.
func stampField(b []byte, name string, t fsm.Time) []byte {
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ':', '"')
	b = appendStamp(b, t)
	return append(b, '"')
}

func intField(b []byte, name string, v int64) []byte {
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ':')
	return strconv.AppendInt(b, v, 10)
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD so
// that the output is always valid JSON in valid UTF-8.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	run := 0 // s[run:i] is yet to be appended as it is
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[run:i]...)
			if c == '"' || c == '\\' {
				b = append(b, '\\', c)
			} else {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			run = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[run:i]...)
			b = append(b, `\ufffd`...)
			run = i + 1
		}
		i += size
	}
	b = append(b, s[run:]...)
	return append(b, '"')
}

// appendZone writes a connection's zone, when it has one: "vlan", its VLAN
// IDs outermost first, and "tunnel" with "tunnel_id" where the tunnel has
// an identity. An untagged, untunnelled connection has none of the three.
// A connection whose two directions came in different VLANs has
// "reply_vlan" too: the VLAN IDs of the end that did not send the first
// packet ([] for untagged).
func appendZone(b []byte, c *flow.Conn) []byte {
	z := c.Zone()
	if z.VLAN[0] != 0 {
		b = appendVLAN(b, "vlan", z.VLAN)
	}
	if v, ok := c.ReplyVLAN(); ok {
		b = appendVLAN(b, "reply_vlan", v)
	}
	if z.Tunnel != fsm.NoTunnel {
		b = field(b, "tunnel", z.Tunnel.String())
		if z.TunnelID != 0 {
			b = intField(b, "tunnel_id", int64(z.TunnelID))
		}
	}
	return b
}

// appendVLAN writes the field name holding the VLAN IDs of v.
func appendVLAN(b []byte, name string, v [2]uint16) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, `":[`...)
	for i, id := range v {
		if id == 0 {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(id), 10)
	}
	return append(b, ']')
}

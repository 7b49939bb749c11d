// Package flow groups TCP segments into connections and drives each
// connection's state machine. A connection is keyed by its 4-tuple with
// both directions together; a SYN on a 4-tuple whose connection has ended
// starts a new connection with a number of its own.
package flow

import (
	"net/netip"
	"slices"
	"time"

	"tcpflow-fsm/fsm"
)

// Config tunes a Table.
type Config struct {
	FSM fsm.Config
	// Timeline keeps every segment of every connection for the timeline
	// renderers. Without it only events and counters are kept.
	Timeline bool
}

// Packet is one segment of a connection as a timeline shows it.
type Packet struct {
	Time   time.Time
	From   fsm.Side
	Flags  fsm.Flags
	Seq    fsm.Seq
	Ack    fsm.Seq
	Len    int
	Window uint16
}

// Event is a state-machine event placed in its connection: At is the
// number of the segment it follows in the timeline (the segment that caused
// it, or for a timer the last segment before it; 0 before any).
type Event struct {
	fsm.Event
	At int
}

// Conn is one connection: one incarnation of a 4-tuple.
type Conn struct {
	ID int
	// Addr holds side A's and side B's address; side A sent the first
	// segment seen.
	Addr        [2]netip.AddrPort
	FSM         *fsm.Conn
	First, Last time.Time
	Packets     [2]int   // segments sent by each side
	Bytes       [2]int64 // payload octets sent by each side
	Events      []Event
	Timeline    []Packet // when Config.Timeline is set
	Violations  int
	synack      [2]bool // side sent a SYN,ACK
	done        bool
}

// Side returns the side a segment from src was sent by.
func (c *Conn) Side(src netip.AddrPort) fsm.Side {
	if src == c.Addr[fsm.A] {
		return fsm.A
	}
	return fsm.B
}

// Client returns the client's side and whether that was guessed. The
// client is the sender of the first bare SYN (not of the first packet);
// without one, the sender of a SYN,ACK is the server; without that, the
// endpoint on the lower port (a service port, as a rule) is the server.
func (c *Conn) Client() (side fsm.Side, guessed bool) {
	if s, ok := c.FSM.Client(); ok {
		return s, false
	}
	switch {
	case c.synack[fsm.A] && !c.synack[fsm.B]:
		return fsm.B, true
	case c.synack[fsm.B] && !c.synack[fsm.A]:
		return fsm.A, true
	case c.Addr[fsm.B].Port() > c.Addr[fsm.A].Port():
		return fsm.B, true
	}
	return fsm.A, true
}

// Codes returns the distinct violation codes of the connection in the
// order they first happened.
func (c *Conn) Codes() []fsm.Code {
	var codes []fsm.Code
	for _, e := range c.Events {
		if e.Kind != fsm.Violation {
			continue
		}
		seen := false
		for _, have := range codes {
			seen = seen || have == e.Code
		}
		if !seen {
			codes = append(codes, e.Code)
		}
	}
	return codes
}

// Sink receives what a Table finds. Event is called for every event as it
// happens; Done once per connection, in order of connection number, after
// the connection's last event.
type Sink interface {
	Event(c *Conn, e *Event)
	Done(c *Conn)
}

// key is a 4-tuple in canonical order, so both directions find one entry.
type key struct{ lo, hi netip.AddrPort }

func keyOf(a, b netip.AddrPort) key {
	if c := a.Addr().Compare(b.Addr()); c > 0 || (c == 0 && a.Port() > b.Port()) {
		a, b = b, a
	}
	return key{a, b}
}

// Table tracks the live connections of a capture.
type Table struct {
	cfg   Config
	sink  Sink
	conns map[key]*Conn
	// Finished connections wait here until every connection numbered
	// before them is finished too, so that Done sees them in order.
	waiting  map[int]*Conn
	nextDone int
	nextID   int
	now      time.Time
	Stats    Stats
}

// Stats counts what the table did.
type Stats struct {
	Connections int // connections created
	Segments    int // segments processed
}

// NewTable returns an empty table that reports to sink.
func NewTable(cfg Config, sink Sink) *Table {
	return &Table{cfg: cfg, sink: sink, conns: make(map[key]*Conn), waiting: make(map[int]*Conn), nextDone: 1, nextID: 1}
}

// Add processes one segment, in capture order.
func (t *Table) Add(seg *fsm.Segment) {
	t.Stats.Segments++
	if seg.Time.After(t.now) {
		t.now = seg.Time
	}
	k := keyOf(seg.Src, seg.Dst)
	c := t.conns[k]
	if c != nil {
		t.emit(c, c.FSM.Advance(seg.Time))
		if side := c.Side(seg.Src); c.FSM.Reopens(side, seg) {
			t.emit(c, c.FSM.Reopen(side, seg))
			t.finish(c)
			c = nil
		}
	}
	if c == nil {
		c = t.open(k, seg)
	}
	side := c.Side(seg.Src)
	c.Last = seg.Time
	c.Packets[side]++
	c.Bytes[side] += int64(seg.PayloadLen)
	if fsm.Classify(seg.Flags) == fsm.KindSYNACK {
		c.synack[side] = true
	}
	if t.cfg.Timeline {
		c.Timeline = append(c.Timeline, Packet{
			Time: seg.Time, From: side, Flags: seg.Flags, Seq: seg.Seq, Ack: seg.Ack,
			Len: seg.PayloadLen, Window: seg.Window,
		})
	}
	t.emit(c, c.FSM.Step(side, seg))
}

func (t *Table) open(k key, seg *fsm.Segment) *Conn {
	c := &Conn{
		ID:    t.nextID,
		Addr:  [2]netip.AddrPort{seg.Src, seg.Dst},
		FSM:   fsm.NewConn(t.cfg.FSM, seg.Src == seg.Dst),
		First: seg.Time,
	}
	t.nextID++
	t.Stats.Connections++
	t.conns[k] = c
	return c
}

func (t *Table) emit(c *Conn, evs []fsm.Event) {
	for _, e := range evs {
		at := e.Seg
		if at == 0 {
			at = c.FSM.Segments()
		}
		c.Events = append(c.Events, Event{Event: e, At: at})
		if e.Kind == fsm.Violation {
			c.Violations++
		}
		t.sink.Event(c, &c.Events[len(c.Events)-1])
	}
}

// finish ends a connection: its timers run to the capture clock, held
// receipts are delivered, and it is queued for the sink.
func (t *Table) finish(c *Conn) {
	if c.done {
		return
	}
	c.done = true
	t.emit(c, c.FSM.Advance(t.now))
	t.emit(c, c.FSM.Finish())
	if t.conns[keyOf(c.Addr[0], c.Addr[1])] == c {
		delete(t.conns, keyOf(c.Addr[0], c.Addr[1]))
	}
	t.waiting[c.ID] = c
	for {
		next, ok := t.waiting[t.nextDone]
		if !ok {
			break
		}
		delete(t.waiting, t.nextDone)
		t.nextDone++
		t.sink.Done(next)
	}
}

// Close ends the capture: every connection still open is finished with the
// capture clock at the last segment's time, and handed to the sink.
func (t *Table) Close() {
	open := make([]*Conn, 0, len(t.conns))
	for _, c := range t.conns {
		open = append(open, c)
	}
	// Finish in connection order so events reach the sink deterministically.
	slices.SortFunc(open, func(a, b *Conn) int { return a.ID - b.ID })
	for _, c := range open {
		t.finish(c)
	}
}

// Now returns the capture clock: the latest segment time seen.
func (t *Table) Now() time.Time { return t.now }

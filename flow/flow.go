// Package flow groups TCP segments into connections and drives each
// connection's state machine. A connection is keyed by its 4-tuple with
// both directions together; a SYN on a 4-tuple whose connection has ended
// starts a new connection with a number of its own. Each segment is also
// read against the sequence space of its direction (retransmissions,
// duplicate ACKs, zero windows...: see SegEvent).
package flow

import (
	"bytes"
	"cmp"
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
	// KeepSACK keeps, with Timeline, the SACK blocks of the timeline's
	// segments (Conn.SACKs), for the time-sequence graph.
	KeepSACK bool
	// Unordered hands each connection to the sink as soon as it ends, as
	// live capture wants. By default Done sees connections in order of
	// their number, as offline reports want.
	Unordered bool
	// shared is for a table that follows one share of a capture spread
	// over several tables by 4-tuple (a Pool's worker): like Unordered,
	// Done sees each connection as soon as it ends, and pending tells the
	// Order of the oldest connection still open, so that the Pool's merger
	// can order the tables' connections as one table would (see
	// checkpoint).
	shared bool
	// CheckpointEvery is how many segments apart the checkpoints are at
	// which a table that hands connections over in order decides whether
	// too many finished ones wait (see MaxConns). Zero means
	// DefaultCheckpointEvery.
	CheckpointEvery int64
	// Linger is how long a connection whose endpoints have both closed is
	// kept before it is released, so that late segments (a retransmitted
	// FIN, an ACK crossing a RST) still belong to it. Zero means
	// DefaultLinger.
	Linger time.Duration
	// IdleTimeout releases a connection that has seen no segment for this
	// long. Zero means never.
	IdleTimeout time.Duration
	// Abandon releases a connection that has seen no segment for this
	// long while an endpoint is in SYN-RECEIVED or FIN-WAIT-2 (EndAbandoned):
	// stacks drop a handshake they gave up on, and an orphaned FIN-WAIT-2
	// (Linux: after tcp_fin_timeout, 60 s), without a segment, so a live
	// view would show them open forever. Its later segments start a new
	// connection, picked up mid-stream. Zero means never.
	Abandon time.Duration
	// MaxConns bounds how many connections are tracked at once: when a new
	// one would pass it, the longest-idle connection is evicted (handed to
	// the sink, counted). Zero means no bound. It also bounds the finished
	// connections that wait to be handed over in order behind one still
	// open: when more than a quarter of it wait at a checkpoint, they are
	// handed over at once, ahead of the open ones (Stats.Early).
	MaxConns int
	// KeepSegEvents keeps each connection's segment events in
	// Conn.SegEvents, for reports that write them per connection.
	KeepSegEvents bool
	// DropEvents passes state-machine events to the sink without keeping
	// them in Conn.Events, for reports that need only each connection's
	// counters and verdicts (Violations, Codes, Refused, Aborted): memory
	// then grows with connections, not with their events.
	DropEvents bool
	// TimelineMax caps the segments a connection's timeline keeps; the
	// rest are counted in Conn.TimelineDropped. Zero means no cap.
	TimelineMax int
	// EventsMax caps the events a connection keeps (state changes,
	// violations and notes; segment events with KeepSegEvents); 0 keeps
	// all. Past it events still reach the sink and the counts, and the
	// ones not kept are counted (Conn.EventsDropped): a storm of forged
	// segments against one connection cannot grow it without bound.
	EventsMax int
	// ReuseMemory is how long the initial sequence numbers of a
	// connection that ended are remembered, so that a SYN on its 4-tuple
	// with a new one shows the ports reused (ReusedPorts). Zero means
	// DefaultReuseMemory. With MaxConns, at most MaxConns are remembered.
	ReuseMemory time.Duration
	// IndexSeed seeds the hash by which the table finds connections. Zero
	// means a random seed, so that no one can choose 4-tuples that
	// collide; tests (the fuzzers) set one, so that a run takes the same
	// steps every time.
	IndexSeed uint64
}

// DefaultCheckpointEvery is the default of Config.CheckpointEvery. The
// decision to hand finished connections over ahead of an open one is taken
// only at checkpoints, at fixed segment numbers, so that the output does
// not depend on when timers fire between them: tables sharing out a
// capture fire timers late, at their own next segment, and a merger of
// their connections takes the same decisions at the same checkpoints.
const DefaultCheckpointEvery = 4096

// DefaultLinger is Zeek's tcp_close_delay: 5 s.
const DefaultLinger = 5 * time.Second

// DefaultReuseMemory is how long the table remembers a 4-tuple's initial
// sequence numbers after its connection ended: 10 minutes, longer than
// any TIME-WAIT (Linux's is 60 s, RFC 9293's 2MSL 4 minutes). tshark
// remembers them for the whole capture; a live capture cannot.
const DefaultReuseMemory = 10 * time.Minute

// EndReason says why a connection was handed to the sink.
type EndReason uint8

// The reasons a connection ends.
const (
	EndCapture  EndReason = iota // the capture ended with it still tracked
	EndClosed                    // both endpoints closed (after TIME-WAIT, if any)
	EndReopened                  // a new connection took its 4-tuple
	EndIdle                      // no segment for the idle timeout: evicted
	EndEvicted                   // the longest idle when the table was full (MaxConns)
	// EndAbandoned: quiet for Config.Abandon in SYN-RECEIVED or
	// FIN-WAIT-2, presumed dropped by its stack.
	EndAbandoned
)

func (r EndReason) String() string {
	switch r {
	case EndClosed:
		return "closed"
	case EndReopened:
		return "reopened"
	case EndIdle:
		return "idle"
	case EndEvicted:
		return "evicted"
	case EndAbandoned:
		return "abandoned"
	}
	return "capture ended"
}

// Packet is one segment of a connection as a timeline shows it.
type Packet struct {
	Time   fsm.Time
	From   fsm.Side
	Flags  fsm.Flags
	Seq    fsm.Seq
	Ack    fsm.Seq
	Len    int
	Window uint16
	// Events are the segment's events of the sequence-space analysis.
	Events SegEvents
	// DupAck is, when Events has DuplicateAck, which duplicate of its ACK
	// the segment is: 1 for the first.
	DupAck uint32
}

// Event is a state-machine event placed in its connection: At is the
// number of the segment it follows in the timeline (the segment that caused
// it, or for a timer the last segment before it; 0 before any).
type Event struct {
	fsm.Event
	At int
}

// SegmentEvent is a segment event (see SegEvent) placed in its
// connection: what the sequence-space analysis found of the segment
// numbered Seg, At in the timeline, sent at Time by Side. Sink.Segment
// gets these as they happen; they are not kept in Conn.Events (the
// timeline's Packets and Conn.SegCount hold them, and Conn.SegEvents with
// Config.KeepSegEvents), and the one passed is valid only during the call.
type SegmentEvent struct {
	SegEvent SegEvent
	Time     fsm.Time
	Seg, At  int
	Side     fsm.Side
	Count    uint32 // for DuplicateAck: the Nth duplicate of its ACK
}

// Conn is one connection: one incarnation of a 4-tuple.
//
// A million of them may be tracked at once, so a Conn keeps its fields
// small and holds what only some connections need (timelines, segment
// events, violation codes) in a part allocated when first needed.
type Conn struct {
	// The fields with pointers come first: the collector scans a Conn
	// only as far as its last pointer, and a million may be tracked.

	// Cur is the connection's latest segment. With Config.Unordered (live
	// capture) it is the connection's own; otherwise it is the table's,
	// valid only while the sink's Event handles one of its events.
	Cur *Packet
	// newer and older link the tracked connections from the most
	// recently active to the longest idle.
	newer, older *Conn
	more         *connMore // nil until needed
	// Zeek keeps Zeek's view of the connection: conn_state and history.
	Zeek Zeek
	FSM  fsm.Conn

	// ID numbers the connection from 1: in the order connections open
	// with Config.Unordered; otherwise in the order they are handed to
	// Done, which is that order but for those handed over ahead of an
	// earlier one still open (Table.checkpoint).
	ID int
	// Order is the number of the segment that opened the connection,
	// counted over the whole capture (a Pool's tables number them alike).
	Order   int64
	Packets [2]int   // segments sent by each side
	Bytes   [2]int64 // payload octets sent by each side
	// Violations counts the violations reported: one for each endpoint
	// and code, however many segments showed it (see CodeCount).
	Violations uint32
	// Duplicates counts copies of segments already seen (the same packet
	// captured again, as a rule on another interface: see DuplicateWindow).
	// They are not in Packets, Bytes or Timeline and never reach the state
	// machine.
	Duplicates uint32
	// ipBytes sums the IP lengths (fsm.Segment.IPLen) of the segments in
	// Packets, per side, modulo 2^32: past that, connMore.ipCarry counts
	// on (see IPBytes).
	ipBytes [2]uint32
	// Refused says, for each side, that it left SYN-SENT for CLOSED on a
	// RST: its connection attempt was refused. Aborted says an endpoint
	// sent a RST from a synchronized state (not TIME-WAIT). Both are read
	// from the transitions, and hold when Events are not kept.
	Refused [2]bool
	Aborted bool
	// End says why the connection was handed to the sink.
	End EndReason

	ends [2]end // side A's and side B's address (see Addr)

	first, last fsm.Time      // capture times of its first and latest segment
	shift       time.Duration // added to its latest segment's time, puts it on the table's clock
	deadline    fsm.Time      // when its timer fires, on the table's clock; once done, when it ended
	hidx        int32         // index in the timer heap; -1 when not scheduled
	synack      [2]bool       // side sent a SYN,ACK
	done        bool
	ended       bool      // both endpoints were seen closed: deadline ends the linger
	release     bool      // the timer releases it (else it is the 2MSL timer)
	reason      EndReason // why, when release is set
	dups        dupFinder
	seq         seqTrack
}

// connMore is the part of a connection that only some connections need.
type connMore struct {
	// zone is the connection's, when not the zero Zone: rare enough to
	// keep out of Conn, which a million are tracked of.
	zone fsm.Zone
	// vlanB is the VLAN tags of side B's packets, when split says they
	// differ from side A's (zone.VLAN).
	vlanB           [2]uint16
	split           bool
	events          []Event        // unless Config.DropEvents
	timeline        []Packet       // when Config.Timeline is set
	timelineDropped int            // segments left out of timeline by the cap
	sacks           []SACKMark     // when Config.KeepSACK is set
	eventsDropped   int            // events and segEvents left out by Config.EventsMax
	segEvents       []SegmentEvent // when Config.KeepSegEvents is set
	reports         []codeReport   // violations and notes reported, in order
	segCounts       [NumSegEvents]uint32
	// retransRun counts each side's retransmissions of one segment (of
	// sequence number retransSeq) since the peer last sent anything,
	// probes its keep-alive probes since then (of an octet the peer
	// acknowledged).
	retransRun [2]int
	retransSeq [2]fsm.Seq
	probes     [2]int
	// retransFrom is when each side's run began: its first retransmission
	// of the segment.
	retransFrom [2]fsm.Time
	// gaveUp is set for a side that sent a RST after keep-alive probes
	// with nothing from the peer since: the prober's keep-alive timer ran
	// out.
	gaveUp [2]bool
	// ipCarry counts the times ipBytes overflowed, per side.
	ipCarry [2]uint32
	// zeroed is set for a side that advertises a zero window, since
	// zeroSince; longestStall is the longest such stall that ended.
	zeroed       [2]bool
	zeroSince    [2]fsm.Time
	longestStall time.Duration
}

// extra returns c's connMore, allocating it the first time.
func (c *Conn) extra() *connMore {
	if c.more == nil {
		c.more = new(connMore)
	}
	return c.more
}

// First returns the capture time of the connection's first segment.
func (c *Conn) First() fsm.Time { return c.first }

// Last returns the capture time of the connection's latest segment.
func (c *Conn) Last() fsm.Time { return c.last }

// IPBytes returns the sum of the IP lengths of the segments side sent
// (those in Packets): the IPv4 total length, or the IPv6 header's 40
// octets and its payload length.
func (c *Conn) IPBytes(side fsm.Side) uint64 {
	n := uint64(c.ipBytes[side])
	if c.more != nil {
		n += uint64(c.more.ipCarry[side]) << 32
	}
	return n
}

// ZeekPackets returns the packets side sent and the sum of their IP
// lengths as Zeek counts them for conn.log (orig_pkts and orig_ip_bytes,
// resp_pkts and resp_ip_bytes): unlike Packets and IPBytes, with the
// copies of packets already seen, and without the packets whose TCP
// checksum was found bad (with --verify-checksums) or whose TCP header is
// too short to read.
func (c *Conn) ZeekPackets(side fsm.Side) (pkts, ipBytes uint64) {
	pkts, ipBytes = uint64(c.Packets[side]), c.IPBytes(side)
	if m := c.Zeek.more; m != nil {
		pkts = uint64(int64(pkts) + m.pkts[side])
		ipBytes = uint64(int64(ipBytes) + m.ipBytes[side])
	}
	return pkts, ipBytes
}

// Events returns the connection's state-machine events (none with
// Config.DropEvents), in the order they happened.
func (c *Conn) Events() []Event {
	if c.more == nil {
		return nil
	}
	return c.more.events
}

// Timeline returns the connection's segments when Config.Timeline is set,
// at most Config.TimelineMax of them.
func (c *Conn) Timeline() []Packet {
	if c.more == nil {
		return nil
	}
	return c.more.timeline
}

// SACKMark is a SACK block (RFC 2018) one of the timeline's segments
// carried: At numbers the segment from 1, as Event.At does.
type SACKMark struct {
	At    int
	Block fsm.SACKBlock
}

// SACKs returns the SACK blocks of the timeline's segments, in order, when
// Config.KeepSACK is set.
func (c *Conn) SACKs() []SACKMark {
	if c.more == nil {
		return nil
	}
	return c.more.sacks
}

// TimelineDropped returns how many segments the cap left out of Timeline.
func (c *Conn) TimelineDropped() int {
	if c.more == nil {
		return 0
	}
	return c.more.timelineDropped
}

// EventsDropped returns how many events the connection did not keep, past
// Config.EventsMax.
func (c *Conn) EventsDropped() int {
	if c.more == nil {
		return 0
	}
	return c.more.eventsDropped
}

// SegEvents returns the segment events of the connection's segments when
// Config.KeepSegEvents is set (nil when it had none).
func (c *Conn) SegEvents() []SegmentEvent {
	if c.more == nil {
		return nil
	}
	return c.more.segEvents
}

// SegCounts returns how many of each segment event the connection's
// segments had, indexed by SegEvent.
func (c *Conn) SegCounts() [NumSegEvents]uint32 {
	if c.more == nil {
		return [NumSegEvents]uint32{}
	}
	return c.more.segCounts
}

// SegCount returns how many of the connection's segments had event e.
func (c *Conn) SegCount(e SegEvent) uint32 {
	if c.more == nil {
		return 0
	}
	return c.more.segCounts[e]
}

// Retransmissions returns how many of the connection's segments were
// retransmissions of any kind (SegEvents.Retransmitted).
func (c *Conn) Retransmissions() uint32 {
	return c.SegCount(Retransmission) + c.SegCount(FastRetransmission) + c.SegCount(SpuriousRetransmission)
}

// SilentRetrans returns how many times side retransmitted its latest
// retransmitted segment with nothing from the peer since, as the
// connection stands: how a dead peer looks from the wire, the sender's
// retransmission timer backing off. A peer that answers, however late,
// sets it back to zero; so does loss recovery that completes.
func (c *Conn) SilentRetrans(side fsm.Side) int {
	if c.more == nil {
		return 0
	}
	return c.more.retransRun[side]
}

// SilentSince returns when side's run of SilentRetrans began: the time of
// its first retransmission of the segment, with nothing from the peer
// since. ok is false when the run is empty.
func (c *Conn) SilentSince(side fsm.Side) (at fsm.Time, ok bool) {
	if c.SilentRetrans(side) == 0 {
		return 0, false
	}
	return c.more.retransFrom[side], true
}

// ZeroWindowStall returns the longest time one side advertised a zero
// window, from the first segment that closed it to the first that opened
// it again, and whether a window was still zero at the connection's last
// segment (a stall counted up to that segment).
func (c *Conn) ZeroWindowStall() (longest time.Duration, open bool) {
	if c.more == nil {
		return 0, false // without reading c.last: Watch asks of many
	}
	return c.ZeroWindowStallAt(c.Last())
}

// ZeroWindowStallAt is ZeroWindowStall with a stall still open counted up
// to t: a live view asks how long a window has stayed zero by now.
func (c *Conn) ZeroWindowStallAt(t fsm.Time) (longest time.Duration, open bool) {
	if c.more == nil {
		return 0, false
	}
	m := c.more
	longest = m.longestStall
	for side, since := range m.zeroSince {
		if m.zeroed[side] {
			longest, open = max(longest, t.Sub(since)), true
		}
	}
	return longest, open
}

// Released returns, once the connection has ended, when the table ended
// it, on the capture's clock: its last segment's time, or later when a
// timer ended it (TIME-WAIT and the linger after, the idle timeout), or
// the capture's end.
func (c *Conn) Released() fsm.Time { return back(c.deadline, c.shift) }

// SentSYNACK reports whether side sent a SYN,ACK the capture shows.
func (c *Conn) SentSYNACK(side fsm.Side) bool { return c.synack[side] }

// SilentProbes returns how many keep-alive probes side sent with nothing
// from the peer since, as the connection stands, and whether side then
// gave up with a RST.
func (c *Conn) SilentProbes(side fsm.Side) (probes int, gaveUp bool) {
	if c.more == nil {
		return 0, false
	}
	return c.more.probes[side], c.more.gaveUp[side]
}

// Addr returns the address of side s; side A sent the first segment seen.
func (c *Conn) Addr(s fsm.Side) netip.AddrPort { return c.ends[s].addrPort() }

// Zone returns the VLAN tags and tunnel the connection travelled in: the
// same 4-tuple in another zone is another connection.
func (c *Conn) Zone() fsm.Zone {
	if c.more == nil {
		return fsm.Zone{}
	}
	return c.more.zone
}

// ReplyVLAN returns the VLAN tags of the packets of side B, the end that
// did not send the first packet, when they are not those of Zone: a
// mirror port or trunk that tags one direction and not the other (or
// tags each with its own VLAN) shows one connection in two VLANs. The
// table joins a packet to a connection in another VLAN only when the
// connection has seen nothing yet from the packet's sender, so that the
// same 4-tuple talking both ways in two VLANs stays two connections.
func (c *Conn) ReplyVLAN() ([2]uint16, bool) {
	if c.more == nil || !c.more.split {
		return [2]uint16{}, false
	}
	return c.more.vlanB, true
}

// inZone says whether packets in zone z belong to c.
func (c *Conn) inZone(z fsm.Zone) bool {
	if c.more == nil {
		return z.IsZero()
	}
	m := c.more
	return m.zone == z || m.split && m.vlanB == z.VLAN &&
		m.zone.Tunnel == z.Tunnel && m.zone.TunnelID == z.TunnelID
}

// sideOf returns the side a segment from src was sent by.
func (c *Conn) sideOf(src end) fsm.Side {
	if src == c.ends[fsm.A] {
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
	case c.ends[fsm.B].port > c.ends[fsm.A].port:
		return fsm.B, true
	}
	return fsm.A, true
}

// codeReport is one violation or note code reported for one endpoint of a
// connection, and how many segments showed it.
type codeReport struct {
	code fsm.Code
	side fsm.Side
	kind fsm.EventKind
	n    uint32
}

// Codes returns the distinct violation codes of the connection in the
// order they first happened.
func (c *Conn) Codes() []fsm.Code { return c.codesOf(fsm.Violation) }

// NoteCodes returns the distinct note codes of the connection in the order
// they first happened.
func (c *Conn) NoteCodes() []fsm.Code { return c.codesOf(fsm.Note) }

func (c *Conn) codesOf(kind fsm.EventKind) []fsm.Code {
	if c.more == nil {
		return nil
	}
	var codes []fsm.Code
	for _, r := range c.more.reports {
		if r.kind == kind && !slices.Contains(codes, r.code) {
			codes = append(codes, r.code)
		}
	}
	return codes
}

// CodeCount returns how many segments of the connection showed code, for
// either endpoint: a code is reported once for each endpoint (the first
// segment that shows it), and counted for every one.
func (c *Conn) CodeCount(code fsm.Code) int {
	if c.more == nil {
		return 0
	}
	n := 0
	for _, r := range c.more.reports {
		if r.code == code {
			n += int(r.n)
		}
	}
	return n
}

// ReportCount returns how many segments showed code for endpoint side: the
// count behind its one report.
func (c *Conn) ReportCount(side fsm.Side, code fsm.Code) int {
	if c.more == nil {
		return 0
	}
	for _, r := range c.more.reports {
		if r.code == code && r.side == side {
			return int(r.n)
		}
	}
	return 0
}

// repeats counts violation or note e and reports whether its endpoint was
// reported with its code already: then e is counted, not reported again.
// One condition (the same ACK beyond a FIN, resent five times; a scanner's
// probe, sent four times) is one report with a count.
func (c *Conn) repeats(e *fsm.Event) bool {
	m := c.extra()
	for i := range m.reports {
		if r := &m.reports[i]; r.code == e.Code && r.side == e.Side && r.kind == e.Kind {
			r.n++
			return true
		}
	}
	m.reports = append(m.reports, codeReport{code: e.Code, side: e.Side, kind: e.Kind, n: 1})
	return false
}

// Sink receives what a Table finds. Event is called for every event as it
// happens, segment events included (Event.SegEvent), each segment's before
// the state-machine events it causes; Done once per connection, in order of
// connection number, after the connection's last event.
type Sink interface {
	Event(c *Conn, e *Event)
	// Segment gets each segment event as it is found.
	Segment(c *Conn, e *SegmentEvent)
	Done(c *Conn)
}

// key is a 4-tuple in canonical order, so that both directions give one
// key, and its zone: what the table remembers of ended connections is kept
// by it. It holds no pointer (netip.Addr does), so the map hashes it as
// plain memory.
type key struct {
	lo, hi end
	zone   fsm.Zone
}

// end is one endpoint of a 4-tuple, without pointers (see key) or
// padding, so that == and hashing read it as plain memory.
type end struct {
	ip   [16]byte // IPv4 as IPv4-mapped IPv6
	port uint16
	// fam is 4 or 6, telling IPv4 from a real IPv4-mapped IPv6 address;
	// 0 for no address.
	fam uint16
}

func endOf(a netip.AddrPort) end {
	e := end{ip: a.Addr().As16(), port: a.Port()}
	switch {
	case a.Addr().Is4():
		e.fam = 4
	case a.Addr().IsValid():
		e.fam = 6
	}
	return e
}

// addrPort is endOf undone (but for an IPv6 zone, which no packet has).
func (e end) addrPort() netip.AddrPort {
	var a netip.Addr
	switch e.fam {
	case 4:
		a = netip.AddrFrom4([4]byte(e.ip[12:]))
	case 6:
		a = netip.AddrFrom16(e.ip)
	}
	return netip.AddrPortFrom(a, e.port)
}

// sideBetween reports whether c is the connection between a and b, and
// the side a is if so (A for a self-connect, as sideOf says).
func (c *Conn) sideBetween(a, b end) (fsm.Side, bool) {
	switch {
	case c.ends[fsm.A] == a && c.ends[fsm.B] == b:
		return fsm.A, true
	case c.ends[fsm.A] == b && c.ends[fsm.B] == a:
		return fsm.B, true
	}
	return fsm.A, false
}

// key returns c's key in the table.
func (c *Conn) key() key { return keyOfEnds(c.ends[fsm.A], c.ends[fsm.B], c.Zone()) }

func keyOfEnds(x, y end, z fsm.Zone) key {
	// Any order will do, as long as it is one: ports first, as the two
	// differ as a rule.
	if x.port > y.port || x.port == y.port && y.before(x) {
		x, y = y, x
	}
	return key{x, y, z}
}

// before orders ends of one port.
func (e end) before(o end) bool {
	c := bytes.Compare(e.ip[:], o.ip[:])
	return c < 0 || c == 0 && e.fam < o.fam
}

// Table tracks the live connections of a capture.
type Table struct {
	cfg Config
	// trackOnly has the table follow connections and count their
	// segments, and analyse nothing: what BenchmarkStages measures apart.
	trackOnly bool
	sink      Sink
	conns     index
	// recent and idlest are the ends of the recency list.
	recent, idlest *Conn
	timers         timerHeap
	// undelivered holds the connections not yet handed to Done, in order
	// of number, from index head: a finished one waits there until every
	// connection numbered before it is finished too.
	undelivered []*Conn
	head        int
	waiting     int    // finished connections in undelivered
	opened      orders // with Config.shared, the Orders of the connections open
	nextID      int
	handed      int   // connections handed to Done in order
	number      int64 // the number of the segment being added (Conn.Order)
	clk         captureClock
	now         fsm.Time      // the capture clock the timers run on (see captureClock); fsm.MinTime before any time
	base        time.Duration // stamp.Shift of the segments whose times the clock follows
	held        []heldConn    // connections whose latest segment was a jump not yet resolved
	segEvent    SegmentEvent  // the segment event being passed to the sink
	cur         Packet        // the segment being processed (Conn.Cur)
	event       Event         // the event being passed to the sink, with DropEvents
	scratch     []fsm.Event
	closing     bool       // closeNext has begun
	left        []leftConn // what closeNext has still to finish, in order
	// gone remembers the initial sequence numbers of connections that
	// ended, by 4-tuple, for ReuseMemory.
	gone       map[key]goneISNs
	nextForget fsm.Time
	Stats      Stats
}

// orders is the Orders of the connections a shared table has open, in
// ascending order (a table opens at most one connection a segment). An
// ended one is negated in place, and the ended ones are dropped when they
// are at the front or a quarter of the rest: no finished connection is
// held for the sake of the order.
type orders struct {
	o     []int64
	head  int
	ended int // negated entries from head on
}

func (q *orders) add(order int64) { q.o = append(q.o, order) }

// end marks order ended.
func (q *orders) end(order int64) {
	rest := q.o[q.head:]
	i, ok := slices.BinarySearchFunc(rest, order, func(e, target int64) int { return cmp.Compare(abs(e), target) })
	if !ok || rest[i] < 0 {
		return
	}
	rest[i] = -order
	q.ended++
	for q.head < len(q.o) && q.o[q.head] < 0 {
		q.head++
		q.ended--
	}
	switch {
	case q.head == len(q.o):
		q.o, q.head = q.o[:0], 0
	case q.ended > 1024 && q.ended > (len(q.o)-q.head)/4:
		kept := q.o[:0]
		for _, e := range q.o[q.head:] {
			if e > 0 {
				kept = append(kept, e)
			}
		}
		q.o, q.head, q.ended = kept, 0, 0
	}
}

// oldest returns the lowest Order still open, if any.
func (q *orders) oldest() (int64, bool) {
	if q.head < len(q.o) {
		return q.o[q.head], true
	}
	return 0, false
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// heldConn is a connection that took a segment stamped Held, and the
// shift it took it with.
type heldConn struct {
	c     *Conn
	shift time.Duration
}

// Stats counts what the table did.
type Stats struct {
	Connections int // connections created
	Segments    int // segments processed, duplicates included
	Evicted     int // connections released early: idle timeout, the longest idle when full, or abandoned
	Duplicates  int // copies of segments already seen, dropped
	// Early counts connections handed to the sink ahead of an earlier one
	// still open, because MaxConns/4 finished connections were waiting.
	Early int
	// ClockJumps counts timestamps the capture clock would not follow: a
	// stray stamp far from its neighbours, or the clock set back (the
	// timers' clock follows the segments' times but for such jumps). The
	// timers ran on as if they had not been there.
	ClockJumps int
}

// NewTable returns an empty table that reports to sink.
func NewTable(cfg Config, sink Sink) *Table {
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	if cfg.ReuseMemory <= 0 {
		cfg.ReuseMemory = DefaultReuseMemory
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = DefaultCheckpointEvery
	}
	return &Table{cfg: cfg, sink: sink, conns: newIndex(cfg.IndexSeed),
		gone: make(map[key]goneISNs), now: fsm.MinTime, nextForget: fsm.MinTime, nextID: 1}
}

// Add processes one segment, in capture order. The capture clock moves to
// the segment's time first, so timers due before it fire first. A copy of
// a segment already seen is only counted (see DuplicateWindow).
func (t *Table) Add(seg *fsm.Segment) { t.addNumbered(seg, int64(t.Stats.Segments)+1) }

// addNumbered is Add for a segment that is number n of a capture spread
// over several tables (by 4-tuple, so that a connection stays in one): a
// connection it opens gets n as its Order, and connections sort by Order
// into the order one table would have numbered them.
func (t *Table) addNumbered(seg *fsm.Segment, n int64) {
	st, res := t.clk.Observe(seg.Time)
	t.resolve(res)
	t.addStamped(seg, n, st)
}

// resolve puts the connections that took segments stamped Held at their
// own times, if res confirms the jump (see captureClock): their timers move.
func (t *Table) resolve(res resolution) {
	t.Stats.ClockJumps = t.clk.Jumps
	if !res.Done {
		return
	}
	if res.Confirmed {
		t.base = res.Shift
	}
	for _, h := range t.held {
		c := h.c
		if !res.Confirmed || c.done || c.shift != h.shift {
			continue // a later segment stamped it again
		}
		c.shift = res.Shift
		t.schedule(c)
	}
	clear(t.held)
	t.held = t.held[:0]
}

// addStamped is addNumbered for a segment whose time a captureClock outside
// the table has read (as when several tables share out a capture): the timers
// run to st.Clock first, and st.Shift puts the segment's times on it.
func (t *Table) addStamped(seg *fsm.Segment, n int64, st stamp) {
	t.add(seg, n, st)
	if n%t.cfg.CheckpointEvery == 0 {
		t.checkpoint()
	}
}

// checkpoint is where a table that hands connections over in order hands
// over, ahead of the earlier ones still open, every finished connection
// that waits, if more than a quarter of MaxConns do: memory then follows
// the bound even when one connection stays open for the whole capture.
// The ones still open are handed over later, out of order; Stats.Early
// counts the others. addStamped calls it after every CheckpointEvery-th
// segment.
func (t *Table) checkpoint() {
	if t.cfg.Unordered || t.cfg.shared || t.cfg.MaxConns <= 0 || t.waiting <= max(t.cfg.MaxConns/4, 1) {
		return
	}
	kept := t.undelivered[:t.head]
	for _, c := range t.undelivered[t.head:] {
		if !c.done {
			kept = append(kept, c)
			continue
		}
		t.Stats.Early++
		t.waiting--
		t.hand(c)
	}
	clear(t.undelivered[len(kept):])
	t.undelivered = kept
}

func (t *Table) add(seg *fsm.Segment, n int64, st stamp) {
	t.number = n
	t.Stats.Segments++
	if !seg.Classified() {
		seg.Classify()
	}
	t.runTimers(st.Clock)
	src, dst := endOf(seg.Src), endOf(seg.Dst)
	c, side := t.conns.get(src, dst, seg.Zone)
	if c != nil && c.dups.copyOf(side, seg) {
		c.Duplicates++
		t.Stats.Duplicates++
		c.Zeek.tally(side, seg, false)
		if seg.Malformed&fsm.BadOffset == 0 {
			c.Zeek.update(side, seg) // Zeek sees a copy as a retransmission
		}
		return
	}
	if c != nil && c.FSM.Reopens(side, seg) {
		t.lend(c)
		t.emit(c, c.FSM.Reopen(side, seg))
		t.finish(c, EndReopened)
		c = nil
	}
	if c == nil {
		if c = t.conns.other(src, dst, seg.Zone); c == nil {
			c = t.open(src, dst, seg)
		} else {
			m := c.extra()
			m.split, m.vlanB = true, seg.Zone.VLAN
		}
		side = c.sideOf(src)
	}
	c.dups.record(side, seg)
	c.last, c.shift = seg.Time, st.Shift
	if st.Held {
		t.held = append(t.held, heldConn{c, st.Shift})
	} else {
		t.base = st.Shift
	}
	c.Packets[side]++
	c.Bytes[side] += int64(seg.PayloadLen)
	ip := c.ipBytes[side] + seg.IPLen
	if ip < c.ipBytes[side] {
		c.extra().ipCarry[side]++
	}
	c.ipBytes[side] = ip
	c.Zeek.tally(side, seg, true)
	if t.trackOnly {
		return
	}
	if seg.Kind == fsm.KindSYNACK {
		c.synack[side] = true
	}
	// The analysis reads the segment as the wire shows it, before the state
	// machine judges it; of the state machine it needs only the window
	// scale, which the handshake settles before any scaled window.
	shift, known := c.FSM.Endpoint(side).Scale()
	evs, dup := c.seq.analyze(side, seg, shift, known)
	t.cur = Packet{
		Time: seg.Time, From: side, Flags: seg.Flags, Seq: seg.Seq, Ack: seg.Ack,
		Len: seg.PayloadLen, Window: seg.Window, Events: evs, DupAck: dup,
	}
	if t.cfg.Unordered {
		if c.Cur == nil {
			c.Cur = new(Packet)
		}
		*c.Cur = t.cur
	} else {
		c.Cur = &t.cur
	}
	if t.cfg.Timeline {
		m := c.extra()
		if t.cfg.TimelineMax == 0 || len(m.timeline) < t.cfg.TimelineMax {
			m.timeline = append(m.timeline, t.cur)
			if t.cfg.KeepSACK {
				for _, b := range seg.Opts.SACK[:min(int(seg.Opts.NSACK), len(seg.Opts.SACK))] {
					m.sacks = append(m.sacks, SACKMark{At: len(m.timeline), Block: b})
				}
			}
		} else {
			m.timelineDropped++
		}
	}
	t.touch(c)
	// One segment retransmitted again and again with nothing from the peer
	// in between is how a dead peer looks from the wire: the sender's
	// retransmission timer backing off. A burst of retransmissions of
	// different segments is loss recovery, which says nothing of the peer.
	if c.more != nil {
		m := c.more
		m.retransRun[side^1], m.probes[side^1], m.gaveUp[side^1] = 0, 0, false
	}
	if evs.Retransmitted() {
		m := c.extra()
		if m.retransRun[side] == 0 || m.retransSeq[side] != seg.Seq {
			m.retransRun[side], m.retransSeq[side], m.retransFrom[side] = 0, seg.Seq, seg.Time
		}
		m.retransRun[side]++
	}
	// A probe resends an octet the peer acknowledged (SEG.SEQ = SND.UNA-1):
	// one the peer has not (a one-octet segment resent, which Wireshark's
	// rule names a keep-alive too) waits on a silent peer as data does.
	if peer := c.FSM.Endpoint(side.Other()); evs.Has(KeepAlive) && peer.HasAck && peer.AckSnt == seg.Seq.Add(1) {
		c.extra().probes[side]++
	}
	if seg.Flags&fsm.RST != 0 && c.more != nil && c.more.probes[side] > 0 {
		c.more.gaveUp[side] = true
	}
	// A RST's window means nothing; a SYN's is not scaled but zero all
	// the same.
	if seg.Flags&fsm.RST == 0 {
		switch {
		case seg.Window == 0:
			if m := c.extra(); !m.zeroed[side] {
				m.zeroed[side], m.zeroSince[side] = true, seg.Time
			}
		case c.more != nil && c.more.zeroed[side]:
			m := c.more
			m.longestStall = max(m.longestStall, seg.Time.Sub(m.zeroSince[side]))
			m.zeroed[side] = false
		}
	}
	if evs != 0 {
		t.emitSegEvents(c, &t.cur)
	}
	// Zeek's model sees what Zeek would: segments with a bad checksum too
	// (it counts them), not those whose header cannot be read.
	if seg.Malformed&fsm.BadOffset == 0 {
		c.Zeek.update(side, seg)
	}
	t.lend(c)
	t.emit(c, c.FSM.Step(side, seg))
	t.schedule(c)
}

// Advance reads now as a time of the capture, as a segment's (see
// captureClock), and fires every timer due by the capture clock: TIME-WAIT expiries, and
// the release of closed and idle connections. Live capture calls it with
// the wall clock, so timers run when no packet arrives.
func (t *Table) Advance(now fsm.Time) {
	st, res := t.clk.Observe(now)
	t.resolve(res)
	t.runTimers(st.Clock)
}

// Due returns when, by the times Advance reads, Advance has next to be
// called, for a live capture that calls it only then rather than on a
// ticker; ok is false when nothing is to be done until the next segment.
// That is when the earliest timer is due, but no later than followEvery
// after the last time read: a step back of the wall clock, which the clock
// places at the first time read after it (see captureClock), then delays the
// timers by no more than that. While the clock holds a jump, Due is a time
// already read: the jump settles only as more times are read. A timer may
// turn out not due yet when called for (an idle deadline moves later with
// each segment, and the heap learns it only then).
func (t *Table) Due() (at fsm.Time, ok bool) {
	k := &t.clk
	// The clock reads a time m as m+offset: the caller's times are the
	// clock's less the offset.
	last := back(k.now, k.offset)
	switch {
	case len(k.held) > 0:
		// The last time followed, or a time held: the earlier, whichever
		// side of the clock the jump lies.
		return min(last, slices.Min(k.held)), true
	case len(t.timers) == 0:
		return 0, false
	}
	return min(back(t.timers[0].at, k.offset), last.Add(followEvery)), true
}

// followEvery is how often at most Due has the clock read while a timer is
// pending.
const followEvery = time.Second

// runTimers moves the capture clock to clock (if later) and fires every
// timer due by then. The time is the clock's, read already (see
// captureClock).
func (t *Table) runTimers(clock fsm.Time) {
	t.now = max(t.now, clock)
	t.forget()
	for len(t.timers) > 0 && !t.now.Before(t.timers[0].at) {
		if t.timers.stale() {
			continue // due later than it was: its entry moved there
		}
		c := t.timers[0].c
		if c.release {
			t.finish(c, c.reason)
			continue
		}
		// The connection's own time, not the clock's: the transition is
		// dated when its 2MSL ran out by the packets' times. That time is
		// the earlier end, so one endpoint at least leaves TIME-WAIT.
		at, _ := timeWaitEnds(c)
		due := t.timers[0].at
		t.lend(c)
		t.emit(c, c.FSM.Advance(at))
		t.scheduleFrom(c, due)
	}
}

// schedule sets c's next timer from its state: the 2MSL timer while an
// endpoint is in TIME-WAIT; release a linger after both endpoints closed;
// release after the idle timeout otherwise.
func (t *Table) schedule(c *Conn) { t.scheduleFrom(c, t.now) }

// scheduleFrom is schedule for a connection whose state changed at now on
// the capture clock: a timer that fired, at when it was due rather than
// when the clock passed it, so that the linger after TIME-WAIT does not
// depend on when the next segment came (tables sharing out a capture see
// fewer segments each, and must release at the same points).
func (t *Table) scheduleFrom(c *Conn, now fsm.Time) {
	switch {
	case c.done:
		return
	case c.FSM.Ended(false):
		if c.ended {
			return // its linger runs from when it ended
		}
		c.ended = true
		c.deadline, c.release, c.reason = now.Add(t.cfg.Linger), true, EndClosed
	default:
		c.ended = false
		if at, ok := timeWaitEnds(c); ok {
			// The 2MSL runs from a segment of the connection: its latest,
			// whose shift is c.shift, or an earlier one (a FIN held for
			// its answer), on the clock's current base.
			shift := t.base
			if at == c.last.Add(t.timeWait()) {
				shift = c.shift
			}
			c.deadline, c.release = at.Add(shift), false
		} else if d, why := t.quietLimit(c); d > 0 {
			c.deadline, c.release, c.reason = c.last.Add(c.shift).Add(d), true, why
		} else {
			t.timers.remove(c)
			return
		}
	}
	t.timers.set(c)
}

// quietLimit returns how long c may go without a segment before it is
// released, and why it would be; 0 for as long as it likes.
func (t *Table) quietLimit(c *Conn) (time.Duration, EndReason) {
	d, why := t.cfg.IdleTimeout, EndIdle
	if t.cfg.Abandon > 0 && (d == 0 || t.cfg.Abandon < d) {
		for s := fsm.A; s <= fsm.B; s++ {
			if st := c.FSM.Endpoint(s).State; st == fsm.SynReceived || st == fsm.FinWait2 {
				return t.cfg.Abandon, EndAbandoned
			}
		}
	}
	return d, why
}

// timeWait is the 2MSL the state machines run.
func (t *Table) timeWait() time.Duration {
	if t.cfg.FSM.TimeWait > 0 {
		return t.cfg.FSM.TimeWait
	}
	return fsm.DefaultTimeWait
}

// timeWaitEnds returns the earlier 2MSL expiry of the two endpoints.
func timeWaitEnds(c *Conn) (fsm.Time, bool) {
	a, okA := c.FSM.TimeWaitEnds(fsm.A)
	b, okB := c.FSM.TimeWaitEnds(fsm.B)
	switch {
	case okA && okB && b.Before(a), !okA && okB:
		return b, true
	}
	return a, okA
}

func (t *Table) open(src, dst end, seg *fsm.Segment) *Conn {
	c := &Conn{
		hidx:  -1,
		ID:    t.nextID,
		Order: t.number,
		ends:  [2]end{src, dst},
		FSM:   fsm.MakeConn(t.cfg.FSM, seg.Src == seg.Dst),
		first: seg.Time,
	}
	if !t.cfg.DropEvents {
		// A connection that opens and closes has about ten events: start
		// with room for four rather than grow from one.
		c.more = &connMore{events: make([]Event, 0, 4)}
	}
	if !seg.Zone.IsZero() {
		c.extra().zone = seg.Zone
	}
	t.nextID++
	t.Stats.Connections++
	t.conns.add(c)
	switch {
	case t.cfg.shared:
		t.opened.add(c.Order)
	case !t.cfg.Unordered:
		t.undelivered = append(t.undelivered, c)
	}
	t.touch(c)
	if t.cfg.MaxConns > 0 && t.conns.size() > t.cfg.MaxConns && t.idlest != c {
		t.finish(t.idlest, EndEvicted)
	}
	// Age decides, not when forget last ran, so that tables sharing out a
	// capture by 4-tuple remember what one table would.
	if len(t.gone) == 0 {
		return c
	}
	k := c.key()
	if m, ok := t.gone[k]; ok && t.now.Sub(m.at) <= t.cfg.ReuseMemory {
		// A connection on this 4-tuple ended: the new one knows its
		// initial sequence numbers, so that a SYN shows the ports reused.
		for s := fsm.A; s <= fsm.B; s++ {
			i := 0
			if c.ends[s] != k.lo {
				i = 1
			}
			d := &c.seq.dir[s]
			d.isn, d.hasISN = m.isn[i], m.has[i]
		}
	}
	return c
}

// goneISNs is what the table remembers of a connection that ended: the
// initial sequence numbers of its endpoints, in the order of its key.
type goneISNs struct {
	isn [2]fsm.Seq
	has [2]bool
	at  fsm.Time // when it ended, on the table's clock
}

// remember keeps the initial sequence numbers of c, which ends, for
// ReuseMemory.
func (t *Table) remember(k key, c *Conn) {
	var m goneISNs
	for s := fsm.A; s <= fsm.B; s++ {
		i := 0
		if c.ends[s] != k.lo {
			i = 1
		}
		d := &c.seq.dir[s]
		if d.hasISN {
			m.isn[i], m.has[i] = d.isn, true
		}
	}
	if !m.has[0] && !m.has[1] {
		return
	}
	if t.cfg.MaxConns > 0 && len(t.gone) >= t.cfg.MaxConns {
		// Bounded like the table itself: under a flood of connections
		// that each end at once, the newest are not remembered.
		if _, ok := t.gone[k]; !ok {
			return
		}
	}
	m.at = t.now
	t.gone[k] = m
}

// forget drops what is remembered of connections that ended more than
// ReuseMemory ago. It runs at most once a tenth of ReuseMemory.
func (t *Table) forget() {
	if len(t.gone) == 0 || t.now.Before(t.nextForget) {
		return
	}
	for k, m := range t.gone {
		if t.now.Sub(m.at) > t.cfg.ReuseMemory {
			delete(t.gone, k)
		}
	}
	t.nextForget = t.now.Add(t.cfg.ReuseMemory / 10)
}

// lend lends c's state machine the table's event buffer for one call;
// emit takes it back. One buffer serves every connection.
func (t *Table) lend(c *Conn) { c.FSM.Lend(&t.scratch) }

// emit places the events of one state-machine call in c, keeps them
// (unless Config.DropEvents) and passes each to the sink.
func (t *Table) emit(c *Conn, evs []fsm.Event) {
	c.FSM.Lend(nil)
	for _, e := range evs {
		at := e.Seg
		if at == 0 {
			at = c.FSM.Segments()
		}
		switch e.Kind {
		case fsm.Violation, fsm.Note:
			if c.repeats(&e) {
				continue
			}
			if e.Kind == fsm.Violation {
				c.Violations++
			}
		case fsm.Transition:
			switch {
			case e.From == fsm.SynSent && e.To == fsm.Closed && e.Dir == fsm.Rcvd && e.SegKind == fsm.KindRST:
				c.Refused[e.Side] = true
			case e.Dir == fsm.Send && e.SegKind == fsm.KindRST && e.From.Synchronized() && e.From != fsm.TimeWait:
				c.Aborted = true
			}
		}
		if t.cfg.DropEvents {
			t.event = Event{Event: e, At: at}
			t.sink.Event(c, &t.event)
			continue
		}
		m := c.extra()
		if t.cfg.EventsMax > 0 && len(m.events) >= t.cfg.EventsMax {
			m.eventsDropped++
			t.event = Event{Event: e, At: at}
			t.sink.Event(c, &t.event)
			continue
		}
		m.events = append(m.events, Event{Event: e, At: at})
		t.sink.Event(c, &m.events[len(m.events)-1])
	}
}

// emitSegEvents counts the events of the connection's latest segment p
// and passes each to the sink.
func (t *Table) emitSegEvents(c *Conn, p *Packet) {
	at := c.FSM.Segments() + 1 // the segment is counted when Step takes it
	m := c.extra()
	for e := SegEvent(1); e < NumSegEvents; e++ {
		if !p.Events.Has(e) {
			continue
		}
		m.segCounts[e]++
		t.segEvent = SegmentEvent{SegEvent: e, Time: p.Time, Seg: at, At: at, Side: p.From}
		if e == DuplicateAck {
			t.segEvent.Count = p.DupAck
		}
		if t.cfg.KeepSegEvents {
			if t.cfg.EventsMax > 0 && len(m.segEvents) >= t.cfg.EventsMax {
				m.eventsDropped++
			} else {
				m.segEvents = append(m.segEvents, t.segEvent)
			}
		}
		t.sink.Segment(c, &t.segEvent)
	}
}

// finish ends a connection: held receipts are delivered, it leaves the
// table, and it is handed to the sink (in order of number, unless
// Unordered).
func (t *Table) finish(c *Conn, why EndReason) {
	if c.done {
		return
	}
	c.done, c.End = true, why
	if why == EndIdle || why == EndEvicted || why == EndAbandoned {
		t.Stats.Evicted++
	}
	t.unlink(c)
	t.timers.remove(c)
	c.deadline = t.now // from now on, when it was finished (Released)
	t.lend(c)
	t.emit(c, c.FSM.Finish())
	if !t.closing { // closeNext empties the index at once
		t.conns.remove(c)
	}
	if why != EndCapture { // no connection comes after the capture's end
		t.remember(c.key(), c)
	}
	if t.cfg.Unordered {
		t.sink.Done(c)
		return
	}
	if t.cfg.shared {
		t.sink.Done(c)
		t.opened.end(c.Order)
		return
	}
	t.waiting++
	for t.head < len(t.undelivered) && t.undelivered[t.head].done {
		next := t.undelivered[t.head]
		t.undelivered[t.head] = nil
		t.head++
		t.waiting--
		t.hand(next)
	}
	if t.head == len(t.undelivered) {
		t.undelivered, t.head = t.undelivered[:0], 0
	} else if t.head >= 1024 && t.head >= len(t.undelivered)/2 {
		n := copy(t.undelivered, t.undelivered[t.head:])
		clear(t.undelivered[n:])
		t.undelivered, t.head = t.undelivered[:n], 0
	}
}

// hand gives a connection to Done in order, numbered in the order they
// are handed over: as they opened, but for those handed over ahead of an
// open one (checkpoint), so that the numbers always count up.
func (t *Table) hand(c *Conn) {
	t.handed++
	c.ID = t.handed
	t.sink.Done(c)
}

// pending returns the Order of the first connection not yet handed to
// Done, if any: every connection this table hands to Done from now on has
// that Order or a later one. With Config.shared, the Order of the oldest
// connection still open. Not meaningful with Config.Unordered.
func (t *Table) pending() (order int64, ok bool) {
	if t.cfg.shared {
		return t.opened.oldest()
	}
	if t.head < len(t.undelivered) {
		return t.undelivered[t.head].Order, true
	}
	return 0, false
}

// Close ends the capture: timers due by the capture clock fire, and every
// connection still tracked is finished, in order of number.
func (t *Table) Close() {
	for t.closeNext() {
	}
}

// closeNext is Close one connection at a time, for a Pool's worker,
// whose connections the merger takes as they come: the first call fires
// the timers due by the capture clock; each call finishes the tracked
// connection with the lowest number and reports whether there was one.
// Open and Each see, from the sink too, what is left to finish.
func (t *Table) closeNext() bool {
	if !t.closing {
		t.resolve(t.clk.Flush())
		t.runTimers(t.clk.Now())
		t.closing = true
		// From the recency list, not the index, whose order follows its
		// random seed: the same capture takes the same steps every run.
		t.left = make([]leftConn, 0, t.conns.size())
		for c := t.idlest; c != nil; c = c.newer {
			t.left = append(t.left, leftConn{c.ID, c})
		}
		// Sorted by the numbers beside them: comparing the connections'
		// own would read each one many times over.
		slices.SortFunc(t.left, func(a, b leftConn) int { return a.id - b.id })
		// Neither timer nor lookup is needed again: both go at once, not
		// entry by entry.
		t.timers.clear()
		t.conns.clear()
	}
	if len(t.left) == 0 {
		t.left = nil
		return false
	}
	c := t.left[0].c
	t.left[0] = leftConn{} // reported, it can go: a million may be open here
	t.left = t.left[1:]
	t.finish(c, EndCapture)
	return true
}

// leftConn is a connection closeNext has still to finish, and its number.
type leftConn struct {
	id int
	c  *Conn
}

// Open returns how many connections the table tracks now.
func (t *Table) Open() int {
	if t.closing {
		return len(t.left)
	}
	return t.conns.size()
}

// Each calls fn for every connection tracked now, in no particular order.
func (t *Table) Each(fn func(*Conn)) {
	if t.closing {
		for _, l := range t.left {
			fn(l.c)
		}
		return
	}
	t.conns.each(fn)
}

// Now returns the capture clock: the latest segment time seen, unless the
// clock would not follow it (see captureClock); fsm.MinTime before any.
func (t *Table) Now() fsm.Time { return t.now }

// touch moves c to the recent end of the recency list.
func (t *Table) touch(c *Conn) {
	if t.recent == c {
		return
	}
	t.unlink(c)
	c.older = t.recent
	if t.recent != nil {
		t.recent.newer = c
	}
	t.recent = c
	if t.idlest == nil {
		t.idlest = c
	}
}

// unlink takes c out of the recency list.
func (t *Table) unlink(c *Conn) {
	if c.newer != nil {
		c.newer.older = c.older
	} else if t.recent == c {
		t.recent = c.older
	}
	if c.older != nil {
		c.older.newer = c.newer
	} else if t.idlest == c {
		t.idlest = c.newer
	}
	c.newer, c.older = nil, nil
}

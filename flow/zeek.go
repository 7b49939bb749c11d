package flow

import (
	"math"
	"slices"

	"tcpflow-fsm/fsm"
)

// Zeek's conn.log summarises a connection with two fields every network
// engineer's tooling knows: conn_state and history. They are derived from
// Zeek's own, coarser model of each endpoint (TCP_Endpoint.h), which we
// keep beside the RFC 9293 states, updated per segment in the order Zeek's
// TCP analyzer does (TCPSessionAdapter.cc, Process).
//
// Zeek's originator is not our client. Zeek makes the sender of a
// connection's first packet its originator, unless that packet is not a
// bare SYN and its source port looks like a server's (WantConnection), and
// it swaps the roles later in two cases (a SYN answering a SYN,ACK that came
// first, and an ACK or data after a first SYN,ACK). Each swap writes '^' in
// the history. The case of a history letter is decided when the letter is
// written, by the role its sender had then, and conn_state reads the
// endpoints by their final roles: so the model keeps its own originator
// from the first segment on, whatever our state machine later decides.

// zeekState is one endpoint's state in Zeek's model.
type zeekState uint8

const (
	zInactive    zeekState = iota // nothing seen
	zSynSent                      // SYN seen, no ACK
	zSynAckSent                   // SYN,ACK seen without an initial SYN
	zPartial                      // data without a SYN: mid-stream
	zEstablished                  //
	zClosed                       // FIN seen
	zReset                        // RST seen
)

// inactive is Zeek's "inactive" in conn_state: nothing or only mid-stream.
func (s zeekState) inactive() bool { return s == zInactive || s == zPartial }

// clean is Zeek's is_clean (TCP_Reassembler.cc): established, or closed
// from established. Content gaps count only between two clean endpoints.
func (e *zeekEnd) clean() bool {
	return e.state == zEstablished || e.state == zClosed && e.prev == zEstablished
}

// History letter masks: which letters a role has already shown once. Zeek
// keeps them per role, not per endpoint (Connection::CheckHistory with the
// responder's mask shifted), so they stay with the role across a flip.
const (
	hSYN uint8 = 1 << iota
	hFIN
	hRST
	hData
	hACK
	hFinRst
	hMulti
)

// Zeek's constants for sequence numbers it distrusts (TCPSessionAdapter.cc
// TOO_LARGE_SEQ_DELTA) and for the reassembler's give-up points
// (init-bare.zeek tcp_max_above_hole_without_any_acks and
// tcp_excessive_data_without_further_acks).
const (
	zTooLargeDelta  = 1 << 20
	zMaxAboveHole   = 16384
	zMaxUnacked     = 10 << 20
	zMaxHoleyBlocks = 1024 // ours: bounds memory; Zeek has no such cap
)

// zeekEnd is what Zeek keeps of one endpoint for these two fields, in 32
// bytes: a million connections may be tracked. Its sequence numbers are
// relative to the endpoint's start (Zeek's StartSeq: the ISN, or one
// before the first octet seen mid-stream), as Zeek compares them; Zeek
// counts them in 64 bits, we modulo 2^32, which differs only where two
// numbers compared lie 2^31 or more apart.
type zeekEnd struct {
	start fsm.Seq // on the wire
	last  fsm.Seq // one past the highest sequence number sent (LastSeq)
	// The last SYN's and RST's sequence numbers, which decide whether a
	// repeat adds the letter again. A FIN's is finSeq-1.
	lastSYN, lastRST fsm.Seq
	finSeq           fsm.Seq // one past the last FIN, when fin is set
	// The reassembler's view of this endpoint's stream (TCP_Reassembler):
	// all data below delivered is delivered or given up as a gap; the
	// peer acknowledged all below trimmed (as far as the FIN), and nothing
	// below it is kept. trimmed stands in for Zeek's AckSeq too, which
	// differs from it only past a FIN and on a RST's ACK.
	delivered, trimmed fsm.Seq
	state, prev        zeekState
	bits               uint8 // zFin, zSkip
}

// zeekEnd bits.
const (
	zFin  = 1 << iota // a FIN was sent (Zeek's FIN_cnt > 0)
	zSkip             // the reassembler gave up (Zeek's skip_deliveries)
)

func (e *zeekEnd) has(bit uint8) bool { return e.bits&bit != 0 }

// rel returns x relative to the endpoint's start.
func (e *zeekEnd) rel(x fsm.Seq) fsm.Seq { return x - e.start }

// initStart makes x the endpoint's start, with one past its last octet
// last octets on (Zeek's InitStartSeq, InitAckSeq and InitLastSeq).
func (e *zeekEnd) initStart(x fsm.Seq, last uint32) {
	e.start, e.last = x, fsm.Seq(last)
}

// size is Zeek's TCP_Endpoint::Size: the octets sent, from the highest
// sequence number sent or acknowledged, without the SYN and FIN.
func (e *zeekEnd) size(p *zeekEnd) uint32 {
	if e.prev == zSynSent && e.state == zReset && p.state == zInactive && e.trimmed.GreaterThan(1) {
		return 0 // a half-open connection found and aborted
	}
	n := uint32(e.last.Max(e.trimmed))
	if n > 0 {
		n--
	}
	if e.has(zFin) && n > 0 {
		n--
	}
	return n
}

// zeekMore is what only some connections need: the counts of the
// log-scaled letters, the reassembler's blocks above a hole, and the
// history past what Zeek.hist holds.
type zeekMore struct {
	counts [2]zeekCounts
	// blocks are each side's octet ranges [from, to) received above its
	// first hole, relative, sorted and disjoint.
	blocks [2][][2]fsm.Seq
	hist   []byte
	// missed is the octets of the content gaps counted in the history
	// (Zeek's missed_bytes, both directions).
	missed uint64
	// pkts and ipBytes are, per side, what Zeek's packet and IP octet
	// counts differ by from the table's (see tally).
	pkts    [2]int64
	ipBytes [2]int64
}

// zeekCounts counts one endpoint's log-scaled history letters. They belong
// to the endpoint, not the role: a flip does not reset them.
type zeekCounts struct{ rxmit, zeroWin, gaps, badSum scaledCount }

// scaledCount counts the occurrences of a log-scaled history letter.
type scaledCount struct {
	n    uint32 // occurrences, up to 2^32-1
	next uint8  // the letter is given again at the 10^next-th
}

// Zeek computes a connection's Zeek conn_state and history. It is 96
// bytes, as the connections it belongs to are counted in millions.
type Zeek struct {
	more *zeekMore // nil until needed
	ends [2]zeekEnd
	// hist holds the history as Zeek writes it, its first len(hist)
	// letters (the rest in more.hist): each letter cased by its sender's
	// role when written, and '^' where the roles were swapped.
	hist  [14]byte
	nhist uint8
	// seen holds the once-only letters given, per role: [0] originator.
	seen [2]uint8
	// orig is Zeek's originator, decided by the first segment.
	orig fsm.Side
	bits uint8 // zbStarted, zbPartial, zbFirstSeen<<role
}

// Zeek bits. zbPartial and zbFirstSeen are Zeek's is_partial and
// first_packet_seen (per role): a partial connection's first ACK is not
// a gap.
const (
	zbStarted = 1 << iota
	zbPartial
	zbFirstSeen // and zbFirstSeen<<1 for the responder
)

func (z *Zeek) has(bit uint8) bool { return z.bits&bit != 0 }

func (z *Zeek) set(bit uint8, on bool) {
	if on {
		z.bits |= bit
	} else {
		z.bits &^= bit
	}
}

// Originator returns Zeek's originator, and false before any segment.
func (z *Zeek) Originator() (fsm.Side, bool) { return z.orig, z.has(zbStarted) }

func (z *Zeek) extra() *zeekMore {
	if z.more == nil {
		z.more = new(zeekMore)
	}
	return z.more
}

// role returns 0 for Zeek's originator, 1 for its responder.
func (z *Zeek) role(side fsm.Side) int { return int(side ^ z.orig) }

// add writes letter (given upper case) for side, lower case for the
// responder (TCP_Endpoint::AddHistory).
func (z *Zeek) add(side fsm.Side, letter byte) {
	if side != z.orig {
		letter += 'a' - 'A'
	}
	z.write(letter)
}

// MaxZeekHistory bounds the history kept of one connection. Zeek writes a
// RST or FIN again for each new sequence number, so a storm of forged
// RSTs against one connection would grow it by a letter a RST; past the
// bound further letters are left out.
const MaxZeekHistory = 256

// write appends c to the history.
func (z *Zeek) write(c byte) {
	if int(z.nhist) < len(z.hist) {
		z.hist[z.nhist] = c
		z.nhist++
		return
	}
	m := z.extra()
	if len(z.hist)+len(m.hist) < MaxZeekHistory {
		m.hist = append(m.hist, c)
	}
}

// letters calls f with each letter of the history, in order, as long as
// f returns true.
func (z *Zeek) letters(f func(i int, c byte) bool) {
	for i, c := range z.hist[:z.nhist] {
		if !f(i, c) {
			return
		}
	}
	if z.more != nil {
		for i, c := range z.more.hist {
			if !f(len(z.hist)+i, c) {
				return
			}
		}
	}
}

// once writes letter the first time mask is seen from side's role, and
// reports whether it had been seen before (TCP_Endpoint::CheckHistory).
func (z *Zeek) once(side fsm.Side, mask uint8, letter byte) bool {
	r := z.role(side)
	if z.seen[r]&mask != 0 {
		return true
	}
	z.seen[r] |= mask
	z.add(side, letter)
	return false
}

// scaled writes letter at the 1st, 10th, 100th... occurrence, up to the
// 10^9-th (Zeek's ScaledHistoryEntry, whose counts are 32 bits too).
func (z *Zeek) scaled(side fsm.Side, which func(*zeekCounts) *scaledCount, letter byte) {
	c := which(&z.extra().counts[side])
	if c.n == math.MaxUint32 {
		return
	}
	c.n++
	if int(c.next) < len(powersOf10) && c.n == powersOf10[c.next] {
		z.add(side, letter)
		c.next++
	}
}

var powersOf10 = [...]uint32{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

func rxmitOf(c *zeekCounts) *scaledCount   { return &c.rxmit }
func zeroWinOf(c *zeekCounts) *scaledCount { return &c.zeroWin }
func gapsOf(c *zeekCounts) *scaledCount    { return &c.gaps }
func badSumOf(c *zeekCounts) *scaledCount  { return &c.badSum }

// swapRoles swaps the roles: the endpoints keep their states and the once
// masks stay with the roles, as in Zeek, where the endpoints trade places
// and the masks do not.
func (z *Zeek) swapRoles() {
	z.orig ^= 1
	f := z.bits & (zbFirstSeen | zbFirstSeen<<1)
	z.bits = z.bits&^(zbFirstSeen|zbFirstSeen<<1)&^zbPartial | f>>1&zbFirstSeen | f<<1&(zbFirstSeen<<1)
}

// flip swaps the roles and writes '^' (Connection::FlipRoles).
func (z *Zeek) flip() {
	z.swapRoles()
	z.write('^')
}

// first decides Zeek's originator from a connection's first segment, sent
// by side (WantConnection). A bare SYN makes its sender the originator.
// Anything else is a partial connection, and Zeek guesses the responder by
// the ports: the sender is taken for the responder when its port is a
// likely server port and the destination's is not, or when both are, the
// segment is no SYN at all and the source port is the lower.
func (z *Zeek) first(side fsm.Side, seg *fsm.Segment) {
	z.orig = side
	z.set(zbStarted, true)
	// Each reassembler starts at relative sequence number 1, the first
	// octet after the SYN.
	for i := range z.ends {
		z.ends[i].delivered, z.ends[i].trimmed = 1, 1
	}
	f := seg.Flags
	if f&fsm.SYN != 0 && f&fsm.ACK == 0 {
		return
	}
	src, dst := seg.Src.Port(), seg.Dst.Port()
	if !likelyServerPort(src) {
		return
	}
	if !likelyServerPort(dst) || f&fsm.SYN == 0 && src < dst {
		z.flip()
	}
}

// update applies one segment sent by side, as Zeek's TCP analyzer does,
// in its order: the roles (afterSynAck), SetPartialStatus, init_endpoint,
// update_history, update_window, the FIN, the ACK's number,
// update_last_seq, UpdateStateMachine (step), the content gaps the ACK
// reveals, and the payload's delivery to the reassembler.
func (z *Zeek) update(side fsm.Side, seg *fsm.Segment) {
	if !z.has(zbStarted) {
		z.first(side, seg)
	}
	if seg.Malformed&fsm.BadSum != 0 {
		// Zeek counts a bad checksum and drops the segment
		// (TCPAnalyzer::ValidateChecksum).
		z.scaled(side, badSumOf, 'C')
		return
	}
	e, p := &z.ends[side], &z.ends[side^1]
	f := seg.Flags
	syn, fin, rst, ack := f&fsm.SYN != 0, f&fsm.FIN != 0, f&fsm.RST != 0, f&fsm.ACK != 0
	n := seg.PayloadLen
	z.afterSynAck(side, syn, rst, ack, n)
	z.partialStatus(side, syn, ack)

	// The segment's sequence space: SYN and FIN count, a RST's data not.
	segLen := seg.LEN()
	if rst {
		segLen -= uint32(n)
	}
	z.initEndpoint(e, syn, seg.Seq, segLen)
	relSeq := e.rel(seg.Seq)
	onePast := relSeq.Add(segLen)

	z.history(side, e, f, n, relSeq)
	// A zero window, SYNs included, unless it comes with or after a RST
	// or after the peer's FIN (update_window).
	if seg.Window == 0 && !rst && p.state != zClosed && e.state != zReset {
		z.scaled(side, zeroWinOf, 'W')
	}
	if fin {
		e.bits |= zFin
		e.finSeq = onePast
	}
	relAck := fsm.Seq(0)
	if ack {
		relAck = p.ackOf(seg.Ack)
	}
	z.lastSeq(side, e, f, n, onePast)
	z.step(side, f, n)
	// The ACK reveals content gaps in what the peer sent, judged after the
	// state machine so that a gap acknowledged by a RST is not counted.
	if ack {
		z.acked(side^1, relAck)
	}
	// The payload goes to this endpoint's reassembler, unless it is a
	// RST's, lies before the start, or was not captured whole.
	if n > 0 && !rst && !relSeq.LessThan(0) && seg.Captured >= n {
		from := relSeq
		if syn {
			from++
		}
		z.sent(side, from, from.Add(uint32(n)))
	}
	z.bits |= zbFirstSeen << z.role(side)
}

// partialStatus is SetPartialStatus: a connection is partial unless each
// role's first segment is a SYN (the originator's a bare one).
func (z *Zeek) partialStatus(side fsm.Side, syn, ack bool) {
	if seen := uint8(zbFirstSeen << z.role(side)); !z.has(seen) {
		if side == z.orig {
			z.set(zbPartial, !syn || ack)
		} else if !z.has(zbPartial) {
			z.set(zbPartial, !syn)
		}
	}
}

// history writes the history letter of a segment of side, its endpoint
// e, with flags f, n octets of payload, at relSeq (update_history): each
// letter once a role, but a SYN, FIN or RST again at a new sequence
// number.
func (z *Zeek) history(side fsm.Side, e *zeekEnd, f fsm.Flags, n int, relSeq fsm.Seq) {
	syn, fin, rst, ack := f&fsm.SYN != 0, f&fsm.FIN != 0, f&fsm.RST != 0, f&fsm.ACK != 0
	switch bits := btoi(syn) + btoi(fin) + btoi(rst); {
	case bits > 1:
		if fin && rst {
			z.once(side, hFinRst, 'I')
		} else {
			z.once(side, hMulti, 'Q')
		}
	case syn:
		letter := byte('S')
		if ack {
			letter = 'H'
		}
		if z.once(side, hSYN, letter) && relSeq != e.lastSYN {
			z.add(side, letter)
		}
		e.lastSYN = relSeq
	case fin:
		// A FIN's sequence number is taken at the end of its data.
		if z.once(side, hFIN, 'F') && relSeq.Add(uint32(n)) != e.finSeq-1 {
			z.add(side, 'F')
		}
	case rst:
		if z.once(side, hRST, 'R') && relSeq != e.lastRST {
			z.add(side, 'R')
		}
		e.lastRST = relSeq
	case n > 0:
		z.once(side, hData, 'D')
	case ack:
		z.once(side, hACK, 'A')
	}
}

// ackOf returns an ACK of endpoint e's data relative to e's start; it
// starts e's sequence space if e has sent nothing.
func (e *zeekEnd) ackOf(ack fsm.Seq) fsm.Seq {
	if e.state == zInactive {
		e.initStart(ack-1, 0)
		return 1
	}
	if rel := e.rel(ack); !rel.LessThan(0) {
		return rel
	}
	return 0 // Zeek's TCP_ack_underflow_or_misorder
}

// lastSeq moves endpoint e's last sequence number to onePast, the end of
// a segment of side with flags f and n octets of payload, or counts the
// payload retransmitted when it does not reach past it (update_last_seq).
func (z *Zeek) lastSeq(side fsm.Side, e *zeekEnd, f fsm.Flags, n int, onePast fsm.Seq) {
	delta := int32(onePast - e.last)
	switch {
	case f&(fsm.SYN|fsm.RST) != 0 && (delta > zTooLargeDelta || delta < -zTooLargeDelta):
		// An implausible jump on a SYN or RST: not trusted.
	case f&fsm.FIN != 0 && e.last == 1:
		// Only the SYN seen so far: take the FIN's word, even backwards.
		e.last = onePast
	case e.state == zReset:
		// Nothing after a RST is trusted.
	case delta > 0:
		e.last = onePast
	case n > 0:
		z.scaled(side, rxmitOf, 'T')
	}
}

// afterSynAck swaps the roles when a connection that began with the
// originator's SYN,ACK (so unflipped by the ports) goes on with an ACK or
// data: a stealth scan's SYN,ACK draws a RST or nothing, never that (Zeek
// pull request 2191, Zeek 5.1). The history then reads as if the roles
// had been swapped from the start, "^h", as Zeek's baselines show.
func (z *Zeek) afterSynAck(side fsm.Side, syn, rst, ack bool, n int) {
	o, r := &z.ends[z.orig], &z.ends[z.orig^1]
	if syn || rst || (!ack && n == 0) || o.state != zSynAckSent || r.state != zInactive || z.more != nil {
		return
	}
	for _, h := range z.hist[:z.nhist] {
		if h != 'H' {
			return
		}
	}
	z.seen[1], z.seen[0] = z.seen[0], 0
	k := z.nhist
	z.nhist = 0
	z.write('^')
	for range k {
		z.write('h')
	}
	z.swapRoles()
	// The SYN,ACK's sender, now the responder, is established, as when
	// the ports flip the roles before its SYN,ACK is read.
	o.prev, o.state = zInactive, zEstablished
}

// initEndpoint sets the endpoint's sequence space from a segment where
// Zeek does (init_endpoint): from its first segment, and again from a SYN
// with a new ISN, a SYN that restarts a connection, or a SYN after a RST
// that may have been forged.
func (z *Zeek) initEndpoint(e *zeekEnd, syn bool, seq fsm.Seq, segLen uint32) {
	switch e.state {
	case zInactive:
		if syn {
			e.initStart(seq, segLen)
		} else {
			// A partial connection: number as though a SYN came before,
			// without taking this first segment for a retransmission.
			e.initStart(seq-1, 1)
		}
	case zSynSent, zSynAckSent:
		if syn && seq != e.start {
			e.initStart(seq, segLen)
		}
	case zEstablished, zPartial:
		if syn {
			e.initStart(seq, segLen)
		}
	case zReset:
		if syn && e.prev == zInactive {
			e.initStart(seq, segLen)
		}
	}
}

// step is Zeek's endpoint state machine (UpdateStateMachine) for a segment
// sent by side.
func (z *Zeek) step(side fsm.Side, f fsm.Flags, n int) {
	e, p := &z.ends[side], &z.ends[side^1]
	isOrig := side == z.orig
	syn, fin, rst, ack := f&fsm.SYN != 0, f&fsm.FIN != 0, f&fsm.RST != 0, f&fsm.ACK != 0
	set := func(x *zeekEnd, s zeekState) {
		if x.state != s {
			x.prev, x.state = x.state, s
		}
	}
	switch e.state {
	case zInactive:
		if syn {
			switch {
			case isOrig && ack:
				set(e, zSynAckSent)
			case isOrig:
				set(e, zSynSent)
			default:
				if !ack && p.state == zSynAckSent {
					// A SYN answering the SYN,ACK captured before it: the
					// two were reversed, so the roles are too.
					z.flip()
					set(p, zEstablished)
					z.bits |= zbFirstSeen
				}
				if p.state == zSynSent {
					set(p, zEstablished)
				}
				set(e, zEstablished)
			}
		}
		if fin {
			set(e, zClosed)
		}
		if rst {
			set(e, zReset)
		}
		if e.state == zInactive {
			switch {
			case !isOrig && n == 0 && z.ends[z.orig].state == zSynSent:
				// An ACK of the SYN before the SYN,ACK: not mid-stream.
			case ack && p.state == zEstablished:
				set(e, zEstablished) // its SYN was not captured
				z.set(zbPartial, false)
				z.bits |= zbFirstSeen << z.role(side)
			default:
				set(e, zPartial)
			}
		}
	case zSynSent, zSynAckSent:
		if fin {
			set(e, zClosed)
		}
		if rst {
			set(e, zReset)
		}
	case zEstablished, zPartial:
		if syn && e.state == zPartial && p.state == zInactive && !ack {
			set(e, zSynSent)
		}
		if fin && !rst {
			set(e, zClosed)
			if p.state == zReset && p.prev == zClosed {
				// The peer sent FIN then RST: a normal termination.
				set(p, zClosed)
			}
		}
		if rst {
			set(e, zReset)
		}
	case zClosed:
		if rst && p.state != zClosed {
			set(e, zReset)
		}
	}
}

// sent gives octets [from, to) of side's stream to its reassembler
// (TCP_Reassembler::DataSent and Reassembler::NewBlock): what the peer
// already acknowledged is dropped; what reaches the delivered edge is
// delivered with whatever it joins; the rest waits above the hole.
func (z *Zeek) sent(side fsm.Side, from, to fsm.Seq) {
	e := &z.ends[side]
	if e.has(zSkip) {
		return
	}
	from = from.Max(e.trimmed)
	if !from.LessThan(to) {
		return
	}
	if from.LessThanEq(e.delivered) {
		e.delivered = e.delivered.Max(to)
		if z.more != nil {
			z.more.blocks[side] = e.join(z.more.blocks[side])
		}
		return
	}
	m := z.extra()
	blocks := insertRange(m.blocks[side], from, to)
	m.blocks[side] = blocks
	var held uint32
	for _, b := range blocks {
		held += b[1].Sub(b[0])
	}
	// Zeek gives up on a stream that piles data above a hole with none
	// of it acknowledged, or too much unacknowledged; we also give up on
	// too many holes, to bound memory.
	if e.trimmed.LessThanEq(1) && blocks[len(blocks)-1][1].Sub(e.delivered) > zMaxAboveHole ||
		held > zMaxUnacked || len(blocks) > zMaxHoleyBlocks {
		m.blocks[side] = nil
		e.bits |= zSkip
	}
}

// join delivers the blocks that the delivered edge reaches, and returns
// the rest.
func (e *zeekEnd) join(blocks [][2]fsm.Seq) [][2]fsm.Seq {
	for len(blocks) > 0 && blocks[0][0].LessThanEq(e.delivered) {
		e.delivered = e.delivered.Max(blocks[0][1])
		blocks = blocks[1:]
	}
	return blocks
}

// insertRange adds [from, to) to sorted disjoint ranges, merging.
func insertRange(rs [][2]fsm.Seq, from, to fsm.Seq) [][2]fsm.Seq {
	i := 0
	for i < len(rs) && rs[i][1].LessThan(from) {
		i++
	}
	j := i
	for j < len(rs) && rs[j][0].LessThanEq(to) {
		from, to = minSeq(from, rs[j][0]), to.Max(rs[j][1])
		j++
	}
	return slices.Replace(rs, i, j, [2]fsm.Seq{from, to})
}

func minSeq(a, b fsm.Seq) fsm.Seq {
	if a.LessThan(b) {
		return a
	}
	return b
}

// acked applies the peer's acknowledgment of side's stream up to relative
// sequence number up (exclusive) (TCP_Reassembler::AckReceived and
// Undelivered): every hole below it is a content gap, counted in the
// history when both endpoints are cleanly established or closing.
func (z *Zeek) acked(side fsm.Side, up fsm.Seq) {
	e, p := &z.ends[side], &z.ends[side^1]
	if e.has(zFin) && up.GreaterThanEq(e.finSeq) {
		up = e.finSeq - 1 // the FIN is no data
	}
	if up.LessThanEq(e.trimmed) {
		return
	}
	e.trimmed = up
	if up.LessThanEq(e.delivered) {
		return
	}
	if up.LessThanEq(2) && z.has(zbPartial) {
		// A partial connection's numbering was guessed: its first ACK
		// says nothing about missing data.
		return
	}
	if e.has(zSkip) {
		e.delivered = up
		return
	}
	// Zeek writes the letter and counts the octets (its content_gap
	// event, which conn.log's missed_bytes adds up) under one condition
	// (TCP_Reassembler::Gap, report_gaps_for_partial being off).
	gap := func(to fsm.Seq) {
		if e.clean() && p.clean() {
			z.scaled(side, gapsOf, 'G')
			z.extra().missed += uint64(to.Sub(e.delivered))
		}
	}
	if z.more != nil {
		blocks := z.more.blocks[side]
		for len(blocks) > 0 && blocks[0][0].LessThan(up) {
			gap(blocks[0][0])
			e.delivered = blocks[0][0]
			blocks = e.join(blocks)
		}
		z.more.blocks[side] = blocks
	}
	if e.delivered.LessThan(up) {
		gap(up)
		e.delivered = up
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// History returns Zeek's history: upper case for the letters of whoever
// was Zeek's originator when they were written, lower case for the
// responder's, '^' where Zeek swapped the roles. The argument is unused:
// the case follows Zeek's originator (see Originator), not our client.
func (z *Zeek) History(fsm.Side) string { return string(z.AppendHistory(nil, 0)) }

// AppendHistory appends the history to b. The side argument is unused, as
// in History.
func (z *Zeek) AppendHistory(b []byte, _ fsm.Side) []byte {
	b = append(b, z.hist[:z.nhist]...)
	if z.more != nil {
		b = append(b, z.more.hist...)
	}
	return b
}

// Size returns Zeek's size of side's endpoint (TCP_Endpoint::Size), which
// conn.log shows as orig_bytes and resp_bytes: the octets of sequence
// space side used, from the highest sequence number it sent or the peer
// acknowledged, without the SYN and FIN. Unlike Conn.Bytes it counts
// octets that were never captured, and each octet once.
func (z *Zeek) Size(side fsm.Side) uint64 {
	return uint64(z.ends[side].size(&z.ends[side^1]))
}

// MissedBytes returns the octets in the content gaps Zeek reports, both
// directions together: conn.log's missed_bytes. They are the gaps the
// history's G and g letters count, between two endpoints established or
// closing from established.
func (z *Zeek) MissedBytes() uint64 {
	if z.more == nil {
		return 0
	}
	return z.more.missed
}

// tally keeps apart how Zeek counts side's packet seg from how the table
// does, for Conn.ZeekPackets: the table counts every segment but a copy
// of one already seen (inTable); Zeek counts every packet, copies
// included, but for one with a bad checksum or a TCP header too short to
// read (TCPAnalyzer drops those before its analyzers, conn size among
// them, see them). Only where the two differ is anything kept.
func (z *Zeek) tally(side fsm.Side, seg *fsm.Segment, inTable bool) {
	counted := seg.Malformed&(fsm.BadSum|fsm.BadOffset) == 0
	if counted == inTable {
		return
	}
	d := int64(1)
	if !counted {
		d = -1
	}
	m := z.extra()
	m.pkts[side] += d
	m.ipBytes[side] += d * int64(seg.IPLen)
}

// OnlyResets reports whether the history is RSTs and nothing else ('^'
// aside).
func (z *Zeek) OnlyResets() bool {
	resets, others := false, false
	z.letters(func(_ int, c byte) bool {
		switch c {
		case 'r', 'R':
			resets = true
		case '^':
		default:
			others = true
		}
		return !others
	})
	return resets && !others
}

// ConnState returns Zeek's conn_state, in Zeek's derivation order
// (conn/main.zeek, function conn_state), with the endpoints in the roles
// Zeek gave them last. The side argument is unused, as in History.
func (z *Zeek) ConnState(fsm.Side) string {
	o, r := &z.ends[z.orig], &z.ends[z.orig^1]
	switch {
	case r.state == zReset:
		switch {
		case o.state == zSynSent || o.state == zSynAckSent ||
			(o.state == zReset && o.size(r) == 0 && r.size(o) == 0):
			return "REJ"
		case o.state.inactive():
			return "RSTRH"
		}
		return "RSTR"
	case o.state == zReset:
		if r.state.inactive() {
			if z.rstos0() {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case o.state == zClosed && r.state == zClosed:
		return "SF"
	case o.state == zClosed:
		if r.state.inactive() {
			return "SH"
		}
		return "S2"
	case r.state == zClosed:
		if o.state.inactive() {
			return "SHR"
		}
		return "S3"
	case o.state == zSynSent && r.state == zInactive:
		return "S0"
	case o.state == zEstablished && r.state == zEstablished:
		return "S1"
	}
	return "OTH"
}

// rstos0 matches the history against Zeek's /^\^?S[^HAFGIQ]*R.*/: the
// originator's SYN, then its RST with none of H A F G I Q between.
func (z *Zeek) rstos0() bool {
	match := false
	z.letters(func(i int, c byte) bool {
		switch {
		case i == 0 && c == '^':
			return true
		case i == 0 || i == 1 && z.hist[0] == '^':
			return c == 'S'
		case c == 'R':
			match = true
			return false
		case c == 'H', c == 'A', c == 'F', c == 'G', c == 'I', c == 'Q':
			return false
		}
		return true
	})
	return match
}

package flow

import (
	"math"

	"tcpflow-fsm/fsm"
)

// Zeek's conn.log summarises a connection with two fields every network
// engineer's tooling knows: conn_state and history. They are derived from
// Zeek's own, coarser model of each endpoint (TCP_Endpoint.h), which we
// keep beside the RFC 9293 states, updated per segment as Zeek's TCP
// analyzer does (TCPSessionAdapter.cc), with our client as Zeek's
// originator.

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

// history letter masks: which letters a direction has already shown once.
const (
	hSYN uint16 = 1 << iota
	hFIN
	hRST
	hData
	hACK
	hFinRst
	hMulti
)

// zeekEnd is what Zeek keeps of one endpoint for these two fields.
type zeekEnd struct {
	state, prev zeekState
	seen        uint16 // history letters given once
	started     bool
	last        fsm.Seq // one past the highest sequence number sent
	lastSYN     fsm.Seq
	lastFIN     fsm.Seq
	lastRST     fsm.Seq
	bytes       int64
}

// zeekCounts counts one endpoint's log-scaled history letters t, w, g.
type zeekCounts struct{ rxmit, zeroWin, gaps scaledCount }

// scaledCount counts the occurrences of a log-scaled history letter.
type scaledCount struct {
	n    uint32 // occurrences, up to 2^32-1
	next uint8  // the letter is given again at the 10^next-th
}

// Zeek computes a connection's Zeek conn_state and history.
type Zeek struct {
	// hist holds each letter with its sender's side in the top bit; the
	// case is decided when read, by who turned out to be the originator.
	hist []byte
	// counts is allocated on the first log-scaled letter: most
	// connections have none.
	counts *[2]zeekCounts
	ends   [2]zeekEnd
}

func (z *Zeek) add(side fsm.Side, letter byte) {
	z.hist = append(z.hist, letter|byte(side)<<7)
}

// once adds letter the first time mask is seen from side, and reports
// whether it had been seen before.
func (z *Zeek) once(side fsm.Side, mask uint16, letter byte) bool {
	e := &z.ends[side]
	if e.seen&mask != 0 {
		return true
	}
	e.seen |= mask
	z.add(side, letter)
	return false
}

// count returns side's counts of log-scaled letters.
func (z *Zeek) count(side fsm.Side) *zeekCounts {
	if z.counts == nil {
		z.counts = new([2]zeekCounts)
	}
	return &z.counts[side]
}

// scaled adds letter at the 1st, 10th, 100th... occurrence, up to the
// 10^9-th (Zeek's ScaledHistoryEntry, whose counts are 32 bits too).
func (z *Zeek) scaled(side fsm.Side, c *scaledCount, letter byte) {
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

// update applies one segment sent by side; isOrig says whether side is
// the originator (the client).
func (z *Zeek) update(side fsm.Side, isOrig bool, seg *fsm.Segment) {
	e, p := &z.ends[side], &z.ends[side^1]
	f := seg.Flags
	syn, fin, rst, ack := f&fsm.SYN != 0, f&fsm.FIN != 0, f&fsm.RST != 0, f&fsm.ACK != 0
	n := seg.PayloadLen
	if !e.started {
		e.started = true
		e.last = seg.Seq
	}
	end := seg.End()
	if rst {
		end = seg.Seq // a RST's data is not part of the stream
	}

	// History letters (Zeek's update_history).
	switch bits := btoi(syn) + btoi(fin) + btoi(rst); {
	case bits > 1:
		if fin && rst {
			z.once(side, hFinRst, 'i')
		} else {
			z.once(side, hMulti, 'q')
		}
	case syn:
		letter := byte('s')
		if ack {
			letter = 'h'
		}
		if z.once(side, hSYN, letter) && seg.Seq != e.lastSYN {
			z.add(side, letter)
		}
		e.lastSYN = seg.Seq
	case fin:
		at := seg.Seq.Add(uint32(n))
		if z.once(side, hFIN, 'f') && at != e.lastFIN {
			z.add(side, 'f')
		}
		e.lastFIN = at
	case rst:
		if z.once(side, hRST, 'r') && seg.Seq != e.lastRST {
			z.add(side, 'r')
		}
		e.lastRST = seg.Seq
	case n > 0:
		z.once(side, hData, 'd')
	case ack:
		z.once(side, hACK, 'a')
	}
	// A zero window, unless it is a RST or things are closing (Zeek's
	// update_window).
	if seg.Window == 0 && !syn && !rst && p.state != zClosed && e.state != zReset {
		z.scaled(side, &z.count(side).zeroWin, 'w')
	}
	// Retransmitted payload: data that does not reach past what was sent.
	if !syn && !rst {
		if end.GreaterThan(e.last) {
			e.last = end
		} else if n > 0 && e.state != zReset {
			z.scaled(side, &z.count(side).rxmit, 't')
		}
	} else if syn && end.GreaterThan(e.last) {
		e.last = end
	}
	// A content gap: the peer acknowledges what was never seen from us.
	if ack && !rst && p.started && seg.Ack.GreaterThan(p.last) && p.state != zInactive {
		z.scaled(side^1, &z.count(side^1).gaps, 'g')
		p.last = seg.Ack
	}
	e.bytes += int64(n)

	z.step(e, p, isOrig, f, n)
}

// step is Zeek's endpoint state machine (UpdateStateMachine).
func (z *Zeek) step(e, p *zeekEnd, isOrig bool, f fsm.Flags, n int) {
	syn, fin, rst, ack := f&fsm.SYN != 0, f&fsm.FIN != 0, f&fsm.RST != 0, f&fsm.ACK != 0
	set := func(x *zeekEnd, s zeekState) { x.prev, x.state = x.state, s }
	switch e.state {
	case zInactive:
		if syn {
			switch {
			case isOrig && ack:
				set(e, zSynAckSent)
			case isOrig:
				set(e, zSynSent)
			default:
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
			case !isOrig && n == 0 && p.state == zSynSent:
				// An ACK of the SYN before the SYN,ACK: not mid-stream.
			case ack && p.state == zEstablished:
				set(e, zEstablished) // its SYN was not captured
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

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// History returns Zeek's history string with client as the originator:
// upper case for the originator's letters, lower case for the responder's.
func (z *Zeek) History(client fsm.Side) string {
	return string(z.AppendHistory(make([]byte, 0, len(z.hist)), client))
}

// AppendHistory appends History(client) to b.
func (z *Zeek) AppendHistory(b []byte, client fsm.Side) []byte {
	for _, h := range z.hist {
		letter, side := h&0x7f, fsm.Side(h>>7)
		if side == client {
			letter -= 'a' - 'A'
		}
		b = append(b, letter)
	}
	return b
}

// OnlyResets reports whether the history is RSTs and nothing else.
func (z *Zeek) OnlyResets() bool {
	for _, h := range z.hist {
		if h&0x7f != 'r' {
			return false
		}
	}
	return len(z.hist) > 0
}

// ConnState returns Zeek's conn_state with client as the originator, in
// Zeek's derivation order (conn/main.zeek, function conn_state).
func (z *Zeek) ConnState(client fsm.Side) string {
	o, r := &z.ends[client], &z.ends[client^1]
	switch {
	case r.state == zReset:
		switch {
		case o.state == zSynSent || o.state == zSynAckSent || (o.state == zReset && o.bytes == 0 && r.bytes == 0):
			return "REJ"
		case o.state.inactive():
			return "RSTRH"
		}
		return "RSTR"
	case o.state == zReset:
		if r.state.inactive() {
			if rstos0(z.History(client)) {
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

// rstos0 matches Zeek's /^\^?S[^HAFGIQ]*R.*/: the originator's SYN, then
// its RST with none of H A F G I Q between.
func rstos0(h string) bool {
	if len(h) > 0 && h[0] == '^' {
		h = h[1:]
	}
	if len(h) == 0 || h[0] != 'S' {
		return false
	}
	for i := 1; i < len(h); i++ {
		switch h[i] {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

package fsm

// An endpoint holds a record of a segment when only a later one can say
// what it meant: the observer cannot see the endpoint decide, only what it
// sends next. Each endpoint holds at most one record of each kind, most
// often for a segment or two (a SYN never answered is held to the end), so
// a connection points to its records only while one is held (Conn.rec),
// and most connections, most of the time, hold none.

// heldKind names what a record holds.
type heldKind uint8

const (
	// pendingSYN is a SYN received while the endpoint had shown nothing: a
	// listener answers SYN,ACK, a closed port RST, and an endpoint whose
	// own SYN crossed it answers SYN. Its answer decides (RFC 9293
	// §3.10.7.1-3). seq is the SYN's sequence number.
	pendingSYN heldKind = iota
	// pendingFIN is a FIN received in ESTABLISHED, held until the
	// endpoint's next segment: if that is a FIN which does not acknowledge
	// it, the two FINs crossed and the endpoint closes through FIN-WAIT-1
	// and CLOSING (Figure 13), not through CLOSE-WAIT. seq is the FIN's
	// sequence number.
	pendingFIN
	// unsentAck is an ACK beyond what this endpoint was seen to send, held
	// until it sends again: a jump in its sequence numbers then shows the
	// capture missed its data; none shows the ACK really was of unsent
	// data, unless that segment reaches the ACK (the capture had the ACK
	// before the data). seq is the ACK (the endpoint's SndNxt stays what it
	// was when the ACK arrived until it sends again); from is the ACK's
	// sender.
	unsentAck
	// challengeDue is a segment this endpoint should answer with a
	// challenge ACK (RFC 5961): an in-window RST, a SYN in a synchronized
	// state. Its next segment says whether it did. code is the violation
	// to report; from is the segment's sender.
	challengeDue
	numHeld
)

// record is one held segment: what its verdict needs to know of it.
type record struct {
	ok   bool // the record is held
	from Side
	code Code
	seq  Seq
	seg  int32 // its number in the connection (Event.Seg)
	time Time  // when it was captured
}

// held is one record in a connection's list of held records (Conn.rec):
// 32 bytes, for a SYN flood holds one per connection until the end. A
// list is never changed in place: a copy of the Conn shares it, and each
// copy must keep what it held when it was made. Lists are short: one or
// two records at most, most of the time none.
type held struct {
	next *held
	time Time
	seq  Seq
	seg  int32
	code Code
	from Side
	at   Side // the endpoint's place in Conn.ends
	kind heldKind
}

// held returns e's record of kind k; its ok is false when none is held.
func (c *Conn) held(e *Endpoint, k heldKind) record {
	i := c.index(e)
	for h := c.rec; h != nil; h = h.next {
		if h.at == i && h.kind == k {
			return record{ok: true, from: h.from, code: h.code, seq: h.seq, seg: h.seg, time: h.time}
		}
	}
	return record{}
}

// hold makes r e's record of kind k, replacing any held.
func (c *Conn) hold(e *Endpoint, k heldKind, r record) {
	i := c.index(e)
	c.rec = &held{next: c.without(i, k), time: r.time, seq: r.seq, seg: r.seg,
		code: r.code, from: r.from, at: i, kind: k}
}

// release ends e's record of kind k and returns it (ok false if none was
// held).
func (c *Conn) release(e *Endpoint, k heldKind) record {
	r := c.held(e, k)
	if r.ok {
		c.rec = c.without(c.index(e), k)
	}
	return r
}

// without returns the connection's list without endpoint i's record of
// kind k: the list itself when it has none, else a copy of the records
// before it joined to those after it.
func (c *Conn) without(i Side, k heldKind) *held {
	var n int
	var h *held
	for h = c.rec; h != nil && (h.at != i || h.kind != k); h = h.next {
		n++
	}
	if h == nil {
		return c.rec
	}
	rest := h.next
	if n == 0 {
		return rest
	}
	front := make([]held, n)
	for j, p := 0, c.rec; j < n; j, p = j+1, p.next {
		front[j] = *p
		front[j].next = rest
		if j > 0 {
			front[j-1].next = &front[j]
		}
	}
	return &front[0]
}

// index returns the place of e in c.ends: A for both sides of a
// self-connect, whose one endpoint is c.ends[A].
func (c *Conn) index(e *Endpoint) Side {
	if e == &c.ends[B] {
		return B
	}
	return A
}

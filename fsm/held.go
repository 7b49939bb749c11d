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
	// data. seq is the endpoint's SndNxt when the ACK arrived; from is the
	// ACK's sender.
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
	time nanos // when it was captured
}

// heldRecords are the records of both endpoints, indexed by the endpoint's
// place in Conn.ends and by kind.
type heldRecords [2][numHeld]record

func (h *heldRecords) empty() bool {
	for i := range h {
		for k := range h[i] {
			if h[i][k].ok {
				return false
			}
		}
	}
	return true
}

// held returns e's record of kind k; its ok is false when none is held.
func (c *Conn) held(e *Endpoint, k heldKind) record {
	if c.rec == nil {
		return record{}
	}
	return c.rec[c.index(e)][k]
}

// hold makes r e's record of kind k, replacing any held.
func (c *Conn) hold(e *Endpoint, k heldKind, r record) {
	r.ok = true
	c.setHeld(c.index(e), k, r)
}

// release ends e's record of kind k and returns it (ok false if none was
// held).
func (c *Conn) release(e *Endpoint, k heldKind) record {
	r := c.held(e, k)
	if r.ok {
		c.setHeld(c.index(e), k, record{})
	}
	return r
}

// setHeld installs a copy of the connection's records with endpoint i's
// record of kind k set to r, or none when no record is left. The records a
// Conn points to are never changed in place: a copy of the Conn shares the
// pointer, and each copy must keep what it held when it was made.
func (c *Conn) setHeld(i Side, k heldKind, r record) {
	var h heldRecords
	if c.rec != nil {
		h = *c.rec
	}
	h[i][k] = r
	if h.empty() {
		c.rec = nil
		return
	}
	c.rec = new(heldRecords)
	*c.rec = h
}

// index returns the place of e in c.ends: A for both sides of a
// self-connect, whose one endpoint is c.ends[A].
func (c *Conn) index(e *Endpoint) Side {
	if e == &c.ends[B] {
		return B
	}
	return A
}

package fsm

import (
	"testing"
	"time"
	"unsafe"
)

// A capture can hold a million connections at once: a Conn that grows
// should do so on purpose. (Sizes on a 64-bit platform.)
func TestConnSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are for 64-bit platforms")
	}
	if got := unsafe.Sizeof(Endpoint{}); got > 96 {
		t.Errorf("Endpoint is %d bytes, was 96", got)
	}
	if got := unsafe.Sizeof(Conn{}); got > 232 {
		t.Errorf("Conn is %d bytes, was 232", got)
	}
	// A SYN flood holds one record per connection until the end.
	if got := unsafe.Sizeof(held{}); got > 32 {
		t.Errorf("a held record is %d bytes, was 32", got)
	}
}

// steadyState returns a connection through its handshake (ISNs across the
// wrap) and the two segments of its steady state: 1448 octets from B and A's
// ACK of them. advance moves both on by one round.
func steadyState() (c *Conn, data, ack Segment, advance func()) {
	c = NewConn(Config{}, false)
	t := TimeOf(time.Unix(1700000000, 0))
	opts := Options{HasWScale: true, WScale: 7}
	syn := Segment{Time: t, Seq: isnA, Flags: SYN, Window: 65535, Opts: opts}
	synAck := Segment{Time: t, Seq: isnB, Ack: isnA + 1, Flags: SYN | ACK, Window: 65535, Opts: opts}
	hsAck := Segment{Time: t, Seq: isnA + 1, Ack: isnB + 1, Flags: ACK, Window: 512}
	c.Step(A, &syn)
	c.Step(B, &synAck)
	c.Step(A, &hsAck)
	data = Segment{Time: t, Seq: isnB + 1, Ack: isnA + 1, Flags: PSH | ACK, Window: 512, PayloadLen: 1448}
	ack = Segment{Time: t, Seq: isnA + 1, Ack: Seq(isnB).Add(1 + 1448), Flags: ACK, Window: 512}
	advance = func() {
		t = t.Add(10 * time.Microsecond)
		data.Time, ack.Time = t, t
		data.Seq = data.Seq.Add(1448)
		ack.Ack = ack.Ack.Add(1448)
	}
	return c, data, ack, advance
}

// A connection that holds no segment for a later verdict allocates nothing
// per segment.
func TestStepSteadyStateDoesNotAllocate(t *testing.T) {
	c, data, ack, advance := steadyState()
	if a, b := c.Endpoint(A).State, c.Endpoint(B).State; a != Established || b != Established {
		t.Fatalf("after the handshake: %v/%v, want ESTABLISHED/ESTABLISHED", a, b)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		c.Step(B, &data)
		c.Step(A, &ack)
		advance()
	})
	if allocs != 0 {
		t.Errorf("a round of the steady state costs %v allocations", allocs)
	}
	for _, e := range c.Finish() {
		t.Errorf("the steady state left %+v", e)
	}
}

// BenchmarkStep measures Step on an established connection: a data segment
// and its ACK per op.
func BenchmarkStep(b *testing.B) {
	c, data, ack, advance := steadyState()
	b.ReportAllocs()
	for b.Loop() {
		c.Step(B, &data)
		c.Step(A, &ack)
		advance()
	}
}

// BenchmarkLifecycle measures a whole connection per op: handshake, one
// data segment, the close (each FIN is held until its receiver's answer).
func BenchmarkLifecycle(b *testing.B) {
	t := TimeOf(time.Unix(1700000000, 0))
	segs := []struct {
		from Side
		seg  Segment
	}{
		{A, Segment{Time: t, Seq: isnA, Flags: SYN, Window: 65535}},
		{B, Segment{Time: t, Seq: isnB, Ack: isnA + 1, Flags: SYN | ACK, Window: 65535}},
		{A, Segment{Time: t, Seq: isnA + 1, Ack: isnB + 1, Flags: ACK, Window: 512}},
		{B, Segment{Time: t, Seq: isnB + 1, Ack: isnA + 1, Flags: PSH | ACK, Window: 512, PayloadLen: 100}},
		{A, Segment{Time: t, Seq: isnA + 1, Ack: isnB + 101, Flags: FIN | ACK, Window: 512}},
		{B, Segment{Time: t, Seq: isnB + 101, Ack: isnA + 2, Flags: ACK, Window: 512}},
		{B, Segment{Time: t, Seq: isnB + 101, Ack: isnA + 2, Flags: FIN | ACK, Window: 512}},
		{A, Segment{Time: t, Seq: isnA + 2, Ack: isnB + 102, Flags: ACK, Window: 512}},
	}
	var c Conn
	buf := make([]Event, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		c = MakeConn(Config{}, false)
		for i := range segs {
			c.Lend(&buf)
			c.Step(segs[i].from, &segs[i].seg)
		}
		c.Lend(&buf)
		c.Finish()
	}
}

package fsm

import "testing"

// TestClassify: a segment's class is decided once, from its flags and
// payload length, and a segment no one classified is classified when it is
// first analysed.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		flags Flags
		n     int
		kind  Kind
		len   uint32
	}{
		{SYN, 0, KindSYN, 1},
		{SYN | ACK, 0, KindSYNACK, 1},
		{ACK, 100, KindACK, 100},
		{FIN | ACK | PSH, 10, KindFIN, 11},
		{FIN, 0, KindNone, 1},
		{RST | ACK, 5, KindRST, 5},
		{SYN | FIN, 3, KindNone, 5},
		{0, 0, KindNone, 0},
	} {
		s := Segment{Flags: tc.flags, PayloadLen: tc.n, Seq: 0xfffffff0}
		if s.Classified() {
			t.Fatalf("%v: classified before Classify", tc.flags)
		}
		s.Classify()
		if !s.Classified() || s.Kind != tc.kind || s.LEN() != tc.len || s.End() != s.Seq.Add(tc.len) {
			t.Errorf("%v with %d octets: kind %v LEN %d, want %v %d", tc.flags, tc.n, s.Kind, s.LEN(), tc.kind, tc.len)
		}
	}

	// A SYN made by hand is a SYN to Step and to Reopens, not the zero
	// Kind by chance (KindSYN is zero): make it an ACK and see.
	c := NewConn(Config{}, false)
	c.Step(A, &Segment{Flags: ACK, Seq: 100, Ack: 200})
	if e := c.Endpoint(A); e.State != Established {
		t.Errorf("an ACK made by hand: sender %v, want ESTABLISHED (picked up mid-stream)", e.State)
	}
	if c.Reopens(A, &Segment{Flags: ACK, Seq: 300}) {
		t.Error("an ACK made by hand reopens the connection")
	}
}

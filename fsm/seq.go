package fsm

// Seq is a TCP sequence number. All arithmetic on it is modulo 2^32
// (RFC 9293 §3.4: "all arithmetic dealing with sequence numbers must be
// performed modulo 2**32"), so two numbers are ordered by the sign of their
// 32-bit difference, as Linux's before()/after() do. The ordering is only
// meaningful for numbers within 2^31 of each other.
type Seq uint32

// LessThan reports whether s comes before o in sequence space.
func (s Seq) LessThan(o Seq) bool { return int32(s-o) < 0 }

// LessThanEq reports whether s comes before o or equals it.
func (s Seq) LessThanEq(o Seq) bool { return int32(s-o) <= 0 }

// GreaterThan reports whether s comes after o in sequence space.
func (s Seq) GreaterThan(o Seq) bool { return int32(s-o) > 0 }

// GreaterThanEq reports whether s comes after o or equals it.
func (s Seq) GreaterThanEq(o Seq) bool { return int32(s-o) >= 0 }

// Add returns s advanced by n octets.
func (s Seq) Add(n uint32) Seq { return s + Seq(n) }

// Sub returns the distance from o to s (s - o), meaningful when o <= s.
func (s Seq) Sub(o Seq) uint32 { return uint32(s - o) }

// InRange reports whether first <= s < end.
func (s Seq) InRange(first, end Seq) bool {
	return first.LessThanEq(s) && s.LessThan(end)
}

// InWindow reports whether s lies in the window of size octets that starts
// at first: first <= s < first+size. An empty window holds nothing.
func (s Seq) InWindow(first Seq, size uint32) bool {
	return s.Sub(first) < size
}

// Max returns the later of s and o.
func (s Seq) Max(o Seq) Seq {
	if s.LessThan(o) {
		return o
	}
	return s
}

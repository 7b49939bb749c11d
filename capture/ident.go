package capture

import "encoding/binary"

// ident accumulates a segment's fingerprint, fsm.Segment.Ident, over
// 64-bit words: each step is h = (h ^ w) * m, then h ^= h >> 32, which
// carries the high bits of a difference down to where the next
// multiplication spreads them. For a given w the step is a bijection of h
// (xor, multiplication by an odd number and that xor-shift all are), and
// for a given h a bijection of w, so two inputs of the same length that
// differ in one word, even in one bit, always end in different values; two
// that differ in several words (a new TSval changes the checksum too) end
// in equal values with a chance of about 2^-64. It works a word at a time,
// not an octet at a time as FNV-1a does, because it runs on every packet.
type ident uint64

const (
	identSeed = 0x243f6a8885a308d3 // π's fraction: any constant would do
	identMul  = 0x9e3779b97f4a7c15 // 2^64/φ, odd
)

// newIdent starts a fingerprint from the network layer's part: the IP
// version and the field that tells one packet of a sender from the next.
func newIdent(version uint8, field uint32) ident {
	return ident(identSeed).word(uint64(version)<<32 | uint64(field))
}

func (h ident) word(w uint64) ident {
	x := (uint64(h) ^ w) * identMul
	return ident(x ^ x>>32)
}

// bytes folds b in, eight octets at a time; the last, short word carries
// how many octets it holds.
func (h ident) bytes(b []byte) ident {
	for len(b) >= 8 {
		h = h.word(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	return h.word(tail | uint64(len(b))<<56)
}

// sum finishes the fingerprint with one more mix (also a bijection), which
// spreads the last word's bits, and never returns zero, which fsm.Segment
// reserves for "unknown".
func (h ident) sum() uint64 {
	x := uint64(h)
	x ^= x >> 32
	x *= identMul
	x ^= x >> 29
	if x == 0 {
		x = 1
	}
	return x
}

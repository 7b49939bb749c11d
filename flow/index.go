package flow

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"tcpflow-fsm/fsm"
)

// index finds a tracked connection by its 4-tuple. It is a hash table of
// connections with open addressing (linear probing; deletion shifts the
// entries after a slot back, so there are no tombstones) that reads each
// entry's 4-tuple from the connection itself: 12 bytes a slot, where a
// map[key]*Conn keeps the 40-byte key beside the pointer in every slot.
// With a million connections open that is about 90 MB less.
type index struct {
	seed  [4]uint64
	conns []*Conn  // nil: an empty slot
	hash  []uint32 // the low 32 bits of each entry's hash: its home slot, and a quick check
	n     int
}

const indexMinSlots = 1024

// newIndex returns an empty index whose hash is seeded by seed, or at
// random when seed is 0.
func newIndex(seed uint64) index {
	x := index{conns: make([]*Conn, indexMinSlots), hash: make([]uint32, indexMinSlots)}
	var src rand.Source = rand.NewPCG(seed, seed)
	if seed == 0 {
		src = rand.NewPCG(rand.Uint64(), rand.Uint64())
	}
	for i := range x.seed {
		x.seed[i] = src.Uint64()
	}
	return x
}

// hashOf hashes a 4-tuple and its zone's tunnel the same whichever end
// comes first: the sum of a keyed hash of each end (folded 64-bit
// multiplies, with a seed of the process's own so that no one can choose
// 4-tuples that collide), mixed with the tunnel's when there is one. The
// VLAN tags are left out, so that one probe finds the 4-tuple in every
// VLAN (see other).
func (x *index) hashOf(a, b end, z fsm.Zone) uint32 {
	h := x.endHash(a) + x.endHash(b)
	if z.Tunnel != fsm.NoTunnel {
		h ^= fold(uint64(z.Tunnel)^x.seed[1], uint64(z.TunnelID)^x.seed[2])
	}
	return uint32(h)
}

func (x *index) endHash(e end) uint64 {
	w0 := binary.LittleEndian.Uint64(e.ip[:8])
	w1 := binary.LittleEndian.Uint64(e.ip[8:])
	w2 := uint64(e.port) | uint64(e.fam)<<16
	return fold(w0^x.seed[0], w1^x.seed[1]) ^ fold(w2^x.seed[2], x.seed[3])
}

func fold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// size returns the number of connections in the index.
func (x *index) size() int { return x.n }

// get returns the connection between a and b (either way) in zone z and
// the side of it a is, or nil.
func (x *index) get(a, b end, z fsm.Zone) (*Conn, fsm.Side) {
	h := x.hashOf(a, b, z)
	mask := uint32(len(x.conns) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		c := x.conns[i]
		if c == nil {
			return nil, fsm.A
		}
		if x.hash[i] != h {
			continue
		}
		if side, ok := c.sideBetween(a, b); ok && c.inZone(z) {
			return c, side
		}
	}
}

// other returns a connection between a and b in the tunnel of zone z but
// in other VLANs, that has seen no packet from a yet and is in one VLAN
// (see Conn.ReplyVLAN); or nil.
func (x *index) other(a, b end, z fsm.Zone) *Conn {
	h := x.hashOf(a, b, z)
	mask := uint32(len(x.conns) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		c := x.conns[i]
		if c == nil {
			return nil
		}
		if x.hash[i] != h {
			continue
		}
		if side, ok := c.sideBetween(a, b); !ok || c.Packets[side] != 0 {
			continue
		}
		if cz := c.Zone(); cz.Tunnel == z.Tunnel && cz.TunnelID == z.TunnelID && (c.more == nil || !c.more.split) {
			return c
		}
	}
}

// add puts c, which no entry has the key of, in the index.
func (x *index) add(c *Conn) {
	if (x.n+1)*4 > len(x.conns)*3 {
		x.grow()
	}
	x.place(c, x.hashOf(c.ends[0], c.ends[1], c.Zone()))
	x.n++
}

func (x *index) place(c *Conn, h uint32) {
	mask := uint32(len(x.conns) - 1)
	i := h & mask
	for x.conns[i] != nil {
		i = (i + 1) & mask
	}
	x.conns[i], x.hash[i] = c, h
}

// grow doubles the slots and places every entry again.
func (x *index) grow() {
	conns, hash := x.conns, x.hash
	x.conns, x.hash = make([]*Conn, 2*len(conns)), make([]uint32, 2*len(hash))
	for i, c := range conns {
		if c != nil {
			x.place(c, hash[i])
		}
	}
}

// remove takes c out of the index, if it is there.
func (x *index) remove(c *Conn) {
	h := x.hashOf(c.ends[0], c.ends[1], c.Zone())
	mask := uint32(len(x.conns) - 1)
	i := h & mask
	for x.conns[i] != c {
		if x.conns[i] == nil {
			return
		}
		i = (i + 1) & mask
	}
	x.n--
	// Close the gap: move back each later entry of the run whose home
	// slot is not between the gap and itself (cyclically), so that every
	// entry stays reachable from its home slot.
	for j := (i + 1) & mask; x.conns[j] != nil; j = (j + 1) & mask {
		home := x.hash[j] & mask
		if (j-home)&mask >= (j-i)&mask {
			x.conns[i], x.hash[i] = x.conns[j], x.hash[j]
			i = j
		}
	}
	x.conns[i], x.hash[i] = nil, 0
}

// clear empties the index and gives back its memory.
func (x *index) clear() {
	x.conns, x.hash, x.n = make([]*Conn, indexMinSlots), make([]uint32, indexMinSlots), 0
}

// each calls fn for every connection in the index, in no particular order.
// fn must not change the index.
func (x *index) each(fn func(*Conn)) {
	for _, c := range x.conns {
		if c != nil {
			fn(c)
		}
	}
}

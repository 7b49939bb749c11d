package flow

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"tcpflow-fsm/fsm"
)

// TestIndexAgainstMap drives the index and a map with the same random
// additions and removals, past several doublings and with runs that wrap
// around the end of the slots, and checks that they agree on every key.
func TestIndexAgainstMap(t *testing.T) {
	for _, seed := range []uint64{0, 1, 2} { // 0: a random seed
		indexAgainstMap(t, seed)
	}
}

func indexAgainstMap(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := newIndex(seed)
	want := map[key]*Conn{}
	var live []*Conn
	// Four connections share each 4-tuple, in four zones: the zone is
	// part of the key.
	zones := [4]fsm.Zone{{}, {VLAN: [2]uint16{42}}, {VLAN: [2]uint16{10, 20}}, {Tunnel: fsm.TunnelVXLAN, TunnelID: 42}}
	connOf := func(i int) *Conn {
		j := i / 4
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(j >> 8), byte(j)}), uint16(1024+j%7))
		b := netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), 80)
		if i%3 == 0 {
			a, b = b, a // either side may come first
		}
		c := &Conn{ID: i, ends: [2]end{endOf(a), endOf(b)}}
		if z := zones[(i%4+4)%4]; !z.IsZero() {
			c.extra().zone = z
		}
		return c
	}
	check := func(step int) {
		if x.size() != len(want) {
			t.Fatalf("step %d: size %d, want %d", step, x.size(), len(want))
		}
		for k, c := range want {
			got, side := x.get(k.lo, k.hi, k.zone)
			if got != c || got.ends[side] != k.lo {
				t.Fatalf("step %d: get(%v) = %p side %v, want %p", step, k, got, side, c)
			}
		}
		n := 0
		x.each(func(*Conn) { n++ })
		if n != len(want) {
			t.Fatalf("step %d: each visited %d, want %d", step, n, len(want))
		}
	}
	next := 0
	for step := range 20000 {
		if len(live) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(live))
			c := live[i]
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
			x.remove(c)
			delete(want, c.key())
			if got, _ := x.get(c.ends[0], c.ends[1], c.Zone()); got != nil {
				t.Fatalf("step %d: removed connection still found", step)
			}
		} else {
			c := connOf(next)
			next++
			x.add(c)
			want[c.key()] = c
			live = append(live, c)
			// The same 4-tuple from the other side finds it too.
			if got, side := x.get(c.ends[1], c.ends[0], c.Zone()); got != c || side != fsm.B && c.ends[0] != c.ends[1] {
				t.Fatalf("step %d: not found from side B", step)
			}
		}
		if step%997 == 0 {
			check(step)
		}
	}
	check(-1)
	if len(x.conns) <= indexMinSlots {
		t.Fatalf("the index never grew: %d slots for %d entries", len(x.conns), x.size())
	}
	// Removing what is not there changes nothing.
	x.remove(connOf(-1))
	check(-2)
}

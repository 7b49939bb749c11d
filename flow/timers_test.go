package flow

import (
	"math/rand/v2"
	"testing"

	"tcpflow-fsm/fsm"
)

// TestTimerHeap drives the timer heap with random schedules, reschedules
// (later and earlier), removals and expiries, against a plain set of the
// scheduled connections: each expiry takes a connection whose deadline is
// the earliest of all, never one due later than the clock, and the heap
// keeps its order, its indexes and keys no later than their deadlines.
func TestTimerHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conns := make([]*Conn, 200)
	for i := range conns {
		conns[i] = &Conn{ID: i, hidx: -1}
	}
	var (
		h         timerHeap
		scheduled = map[*Conn]bool{}
		now       fsm.Time
		fired     int
	)
	check := func(step int) {
		t.Helper()
		if len(h) != len(scheduled) {
			t.Fatalf("step %d: %d entries for %d scheduled", step, len(h), len(scheduled))
		}
		for i, e := range h {
			if int(e.c.hidx) != i || !scheduled[e.c] {
				t.Fatalf("step %d: entry %d is conn %d with index %d", step, i, e.c.ID, e.c.hidx)
			}
			if e.at > e.c.deadline {
				t.Fatalf("step %d: entry %d keyed %d after its deadline %d", step, i, e.at, e.c.deadline)
			}
			if p := (i - 1) / 2; i > 0 && h[p].at > e.at {
				t.Fatalf("step %d: entry %d keyed before its parent", step, i)
			}
		}
	}
	for step := range 20000 {
		c := conns[rng.IntN(len(conns))]
		switch op := rng.IntN(10); {
		case op < 5: // schedule, or move: mostly later, as the idle timer
			d := now + fsm.Time(rng.Int64N(1000))
			if scheduled[c] && op < 4 {
				d = c.deadline + fsm.Time(rng.Int64N(1000))
			}
			c.deadline = d
			h.set(c)
			scheduled[c] = true
		case op < 7:
			h.remove(c)
			delete(scheduled, c)
		default: // the clock moves on: what is due fires, earliest first
			now += fsm.Time(rng.Int64N(300))
			for len(h) > 0 && h[0].at <= now {
				if h.stale() {
					continue
				}
				first := h[0].c
				for o := range scheduled {
					if o.deadline < first.deadline {
						t.Fatalf("step %d: conn %d due at %d fires before conn %d due at %d",
							step, first.ID, first.deadline, o.ID, o.deadline)
					}
				}
				if first.deadline > now {
					t.Fatalf("step %d: conn %d due at %d fires at %d", step, first.ID, first.deadline, now)
				}
				h.remove(first)
				delete(scheduled, first)
				fired++
			}
		}
		check(step)
	}
	if fired < 1000 {
		t.Fatalf("only %d timers fired", fired)
	}
	h.clear()
	for _, c := range conns {
		if c.hidx != -1 {
			t.Fatalf("conn %d still has index %d after clear", c.ID, c.hidx)
		}
	}
}

package flow

import "tcpflow-fsm/fsm"

// timerHeap orders connections by when their timers are due, earliest
// first. Each connection knows its entry's index (hidx).
//
// An entry's key may be earlier than its connection's deadline, never
// later: a deadline that moves later, as the idle timer does with every
// segment, leaves the entry where it is, and the entry moves down when it
// comes to the top (Table.Advance). A busy connection so costs no heap
// work per segment, and comparisons read the entries, not the connections:
// with a million tracked, each connection read is a cache miss.
type timerHeap []timer

type timer struct {
	at fsm.Time // the key: at most c.deadline
	c  *Conn
}

// set schedules c at c.deadline, or moves its entry there when that is
// earlier than the entry's key.
func (h *timerHeap) set(c *Conn) {
	if c.hidx < 0 {
		c.hidx = int32(len(*h))
		*h = append(*h, timer{c.deadline, c})
		h.up(int(c.hidx))
		return
	}
	if e := &(*h)[c.hidx]; c.deadline.Before(e.at) {
		e.at = c.deadline
		h.up(int(c.hidx))
	}
}

// stale reports whether the first entry's connection is due later than
// its key, and if so moves the entry to the connection's deadline.
func (h timerHeap) stale() bool {
	if e := &h[0]; e.c.deadline.After(e.at) {
		e.at = e.c.deadline
		h.down(0)
		return true
	}
	return false
}

// remove unschedules c.
func (h *timerHeap) remove(c *Conn) {
	i := int(c.hidx)
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = timer{}
	*h = (*h)[:last]
	c.hidx = -1
	if i != last && !h.down(i) {
		h.up(i)
	}
}

// clear unschedules every connection at once.
func (h *timerHeap) clear() {
	for _, e := range *h {
		e.c.hidx = -1
	}
	*h = nil
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].c.hidx, h[j].c.hidx = int32(i), int32(j)
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].at.Before(h[p].at) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down moves entry i towards the leaves while a child is earlier, and
// reports whether it moved.
func (h timerHeap) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].at.Before(h[l].at) {
			m = r
		}
		if !h[m].at.Before(h[i].at) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

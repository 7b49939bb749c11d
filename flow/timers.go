package flow

import "container/heap"

// timerHeap orders connections by their next deadline. Each connection
// knows its index (hidx) so that a new deadline moves it in O(log n).
type timerHeap []*Conn

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].deadline < h[j].deadline }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = int32(i), int32(j)
}

// Push and Pop are for container/heap only.
func (h *timerHeap) Push(x any) {
	c := x.(*Conn)
	c.hidx = int32(len(*h))
	*h = append(*h, c)
}

func (h *timerHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.hidx = -1
	return c
}

// set schedules c at c.deadline, or moves it there.
func (h *timerHeap) set(c *Conn) {
	if c.hidx < 0 {
		heap.Push(h, c)
		return
	}
	heap.Fix(h, int(c.hidx))
}

// remove unschedules c.
func (h *timerHeap) remove(c *Conn) {
	if c.hidx >= 0 {
		heap.Remove(h, int(c.hidx))
	}
}

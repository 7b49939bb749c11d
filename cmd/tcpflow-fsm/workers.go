package main

import (
	"encoding/binary"
	"net/netip"
	"sync"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// Offline analysis on several cores (--workers N). The reading goroutine
// decodes each packet and hands the segment to one of N workers, chosen by
// a hash of its 4-tuple, so that a connection stays with one worker and its
// segments reach it in capture order. Each worker runs a flow.Table of its
// own. A connection carries the number of the segment that opened it
// (flow.Conn.Order); the merger takes the finished connections of all
// workers and hands them to the renderer in that order, numbered as one
// table would have numbered them, so the output is the same byte for byte
// as with one worker.
//
// Each segment travels with its stamp on the capture clock, which one
// flow.Clock reads for the whole capture (the latest time seen, but for
// jumps): the worker's table advances to it before it takes the segment,
// as one table's clock would be, so timers fire at the same points. When
// the clock resolves a jump, every worker hears it, in order with its
// segments. One thing differs from one worker, as the README says: --max-conns bounds each worker's table to its share of the bound,
// so which connection is evicted when the tables are full may differ.

// batchSize is how many segments travel to a worker at once.
const batchSize = 512

// batch is segments for one worker, with their numbers in the capture and
// their stamps. An entry numbered 0 is no segment: its stamp is the clock
// alone, with the resolution of a jump in res.
type batch struct {
	segs   []fsm.Segment
	nums   []int64
	stamps []flow.Stamp
	res    []flow.Resolution
}

// finished is what a worker reports after a batch: the connections its
// table handed to Done, in order, and its watermark: every connection it
// hands over later has an Order at least this.
type finished struct {
	worker    int
	conns     []*flow.Conn
	watermark int64
	last      bool // the capture has ended: the rest comes through pool.closing
}

// closeBatch is how many connections a worker closing its table at the
// end of the capture hands over at once.
const closeBatch = 256

// doneSink collects what a worker's table hands to Done. The renderers of
// offline reports do their work in Done, which the merger calls; the
// events reach them through each connection.
type doneSink struct{ conns []*flow.Conn }

// take returns what was collected and starts afresh.
func (s *doneSink) take() []*flow.Conn {
	conns := s.conns
	s.conns = nil
	return conns
}

func (s *doneSink) Event(*flow.Conn, *flow.Event) {}
func (s *doneSink) Done(c *flow.Conn)             { s.conns = append(s.conns, c) }

// pool runs the workers and the merger.
type pool struct {
	tables  []*flow.Table
	in      []chan *batch
	free    []chan *batch
	cur     []*batch
	out     chan finished
	closing []chan []*flow.Conn // per worker, what its table finishes at the end
	merged  sync.WaitGroup
	workers sync.WaitGroup
	n       int64      // segments handed out
	clock   flow.Clock // the capture clock
	bound   int        // a quarter of --max-conns: the most connections the merger holds
	early   int        // connections the merger handed over ahead of their turn
}

// newPool starts n workers, each with a table made by cfg (MaxConns shared
// out among them), and the merger, which hands connections to sink.
func newPool(n int, cfg flow.Config, sink flow.Sink) *pool {
	p := &pool{out: make(chan finished, 4*n), bound: cfg.MaxConns / 4}
	if cfg.MaxConns > 0 {
		cfg.MaxConns = max(1, cfg.MaxConns/n)
	}
	for i := range n {
		ds := &doneSink{}
		table := flow.NewTable(cfg, ds)
		in, free := make(chan *batch, 4), make(chan *batch, 5)
		for range 5 {
			free <- &batch{segs: make([]fsm.Segment, 0, batchSize), nums: make([]int64, 0, batchSize),
				stamps: make([]flow.Stamp, 0, batchSize), res: make([]flow.Resolution, 0, batchSize)}
		}
		p.tables = append(p.tables, table)
		p.in, p.free = append(p.in, in), append(p.free, free)
		p.closing = append(p.closing, make(chan []*flow.Conn, 4))
		p.cur = append(p.cur, <-free)
		p.workers.Add(1)
		go p.work(i, table, ds, in, free)
	}
	p.merged.Add(1)
	go p.merge(n, sink)
	return p
}

// Add hands a segment to its worker.
func (p *pool) Add(seg *fsm.Segment) {
	p.n++
	st, res := p.clock.Observe(flow.NanosOf(seg.Time))
	if res.Done {
		for w := range p.cur {
			p.put(w, nil, 0, flow.Stamp{Clock: st.Clock}, res)
		}
	}
	w := int(shardHash(seg.Src, seg.Dst) % uint64(len(p.tables)))
	p.put(w, seg, p.n, st, flow.Resolution{})
}

// put adds an entry to worker w's batch, and sends the batch when full.
func (p *pool) put(w int, seg *fsm.Segment, n int64, st flow.Stamp, res flow.Resolution) {
	b := p.cur[w]
	if seg != nil {
		b.segs = append(b.segs, *seg)
	} else {
		b.segs = append(b.segs, fsm.Segment{})
	}
	b.nums = append(b.nums, n)
	b.stamps = append(b.stamps, st)
	b.res = append(b.res, res)
	if len(b.segs) == batchSize {
		p.in[w] <- b
		p.cur[w] = <-p.free[w]
	}
}

// Close sends what is left and the final capture clock, ends the workers
// (each closes its table) and waits until the merger has handed every
// connection over.
func (p *pool) Close() {
	res := p.clock.Flush()
	for w := range p.cur {
		p.put(w, nil, 0, flow.Stamp{Clock: p.clock.Now()}, res)
		if b := p.cur[w]; len(b.segs) > 0 {
			p.in[w] <- b
		}
		close(p.in[w])
	}
	p.workers.Wait()
	close(p.out)
	p.merged.Wait()
}

// Stats sums the tables' counters.
func (p *pool) Stats() flow.Stats {
	var st flow.Stats
	for _, t := range p.tables {
		st.Connections += t.Stats.Connections
		st.Segments += t.Stats.Segments
		st.Evicted += t.Stats.Evicted
		st.Early += t.Stats.Early
		st.Duplicates += t.Stats.Duplicates
	}
	st.Early += p.early
	st.ClockJumps = p.clock.Jumps
	return st
}

func (p *pool) work(w int, table *flow.Table, ds *doneSink, in, free chan *batch) {
	defer p.workers.Done()
	var last int64
	for b := range in {
		for i := range b.segs {
			if b.nums[i] == 0 {
				table.Resolve(b.res[i])
				table.RunTimers(b.stamps[i].Clock)
				continue
			}
			table.AddStamped(&b.segs[i], b.nums[i], b.stamps[i])
			last = b.nums[i]
		}
		b.segs, b.nums, b.stamps, b.res = b.segs[:0], b.nums[:0], b.stamps[:0], b.res[:0]
		free <- b
		p.out <- finished{worker: w, conns: ds.take(), watermark: watermark(table, last)}
	}
	p.out <- finished{worker: w, conns: ds.take(), watermark: watermark(table, last), last: true}
	// What the table still tracks is finished here, in order, and handed
	// over in small batches that the merger takes as the merge needs them:
	// all at once, a million connections would wait for the other workers.
	// Nothing else is left for the merger to wait for, so a full channel
	// only holds this worker back.
	for table.CloseNext() {
		if len(ds.conns) >= closeBatch {
			p.closing[w] <- ds.take()
		}
	}
	if len(ds.conns) > 0 {
		p.closing[w] <- ds.take()
	}
	close(p.closing[w])
}

// watermark is what a worker's table can still hand over: connections
// from the first one it has not, or after the last segment it took.
func watermark(table *flow.Table, last int64) int64 {
	if mark, ok := table.Pending(); ok {
		return mark
	}
	return last + 1
}

// merge hands the workers' connections to sink in order of Order,
// renumbered from 1. A connection goes once no worker can still hand over
// one with a lower Order. Once the capture has ended, each worker finishes
// the connections its table still tracks, and the merger takes them from
// each worker as the merge needs them.
func (p *pool) merge(n int, sink flow.Sink) {
	defer p.merged.Done()
	queues := make([][]*flow.Conn, n)
	marks := make([]int64, n)
	id, held, ended := 0, 0, 0
	hand := func(w int) {
		c := queues[w][0]
		held--
		queues[w][0] = nil
		queues[w] = queues[w][1:]
		id++
		c.ID = id
		sink.Done(c)
	}
	for ended < n {
		f := <-p.out
		held += len(f.conns)
		queues[f.worker] = append(queues[f.worker], f.conns...)
		marks[f.worker] = f.watermark
		if f.last {
			ended++
		}
		for {
			best := first(queues)
			if best < 0 {
				break
			}
			ready := true
			for w := range queues {
				if w != best && len(queues[w]) == 0 && marks[w] <= queues[best][0].Order {
					ready = false
				}
			}
			if !ready && (p.bound == 0 || held <= p.bound) {
				break
			}
			if !ready {
				// As a table does: no more than the bound wait.
				p.early++
			}
			hand(best)
		}
	}
	// The capture has ended: a worker's next connection is at the head of
	// its queue or still to come through its closing channel.
	drained := make([]bool, n)
	for {
		for w := range queues {
			for len(queues[w]) == 0 && !drained[w] {
				more, ok := <-p.closing[w]
				if !ok {
					drained[w] = true
				}
				held += len(more)
				queues[w] = append(queues[w], more...)
			}
		}
		best := first(queues)
		if best < 0 {
			return
		}
		hand(best)
	}
}

// first returns the queue whose head has the lowest Order, -1 if all are
// empty.
func first(queues [][]*flow.Conn) int {
	best := -1
	for w, q := range queues {
		if len(q) > 0 && (best < 0 || q[0].Order < queues[best][0].Order) {
			best = w
		}
	}
	return best
}

// shardHash mixes a 4-tuple into a number that is the same in both
// directions.
func shardHash(a, b netip.AddrPort) uint64 {
	return endpointHash(a) ^ endpointHash(b)
}

func endpointHash(ap netip.AddrPort) uint64 {
	ip := ap.Addr().As16()
	h := (binary.LittleEndian.Uint64(ip[:8]) ^ uint64(ap.Port())) * 0x9e3779b97f4a7c15
	h = (h ^ h>>29 ^ binary.LittleEndian.Uint64(ip[8:])) * 0x9e3779b97f4a7c15
	return h ^ h>>32
}

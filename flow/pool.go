package flow

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"

	"tcpflow-fsm/fsm"
)

// Pool is the analysis of a capture file on several cores: it takes the
// segments in capture order, as a Table does, and its sink sees what one
// Table would have given it, byte for byte in any report.
//
// The caller hands each segment to Add; the pool hands it to one of its
// workers, chosen by a hash of its 4-tuple, so that a connection stays with
// one worker and its segments reach it in capture order. Each worker runs
// a Table of its own (Config.shared), which hands over each connection as
// soon as it ends. A connection carries the number of the segment that
// opened it (Conn.Order); the merger hands the workers' connections to the
// sink in that order, numbered as one table would have numbered them.
//
// One table hands a finished connection over once every earlier one has
// ended, or at a checkpoint (every Config.CheckpointEvery segments) where
// more than a quarter of Config.MaxConns wait: then all that wait go,
// ahead of the open ones. The pool puts each checkpoint in every worker's
// stream, after the segment one table would take it at; there each worker
// fires the timers due by that segment's stamp, as one table would have
// before the segment, and tells the merger what ended since the last one
// and the Order of its oldest connection still open. Once every worker has
// told it of a checkpoint, the merger knows which connections one table
// would have seen ended and which still open there, and decides as it
// would: whatever ended between checkpoints goes in order, at a
// checkpoint, and that is the order one table gives too.
//
// Each segment travels with its stamp on the capture clock, which one
// captureClock reads for the whole capture (the latest time seen, but
// for jumps): the worker's table advances to it before it takes the
// segment, as one table's clock would be, so timers fire at the same points. When the
// clock resolves a jump, every worker hears it, in order with its
// segments. One thing differs from one table: MaxConns bounds each
// worker's table to its share of the bound, so which connection is
// evicted when the tables are full may differ.
//
// With one worker, a Pool is a Table, run on the caller's goroutine.
type Pool struct {
	one *Table // with one worker, the table; else nil
	p   *pool
}

// NewPool returns the analysis of a capture on workers cores, handing
// each connection to sink's Done, in order, as a Table made with cfg
// would. With more than one worker, sink's Event and Segment are not
// called: the connection carries its events (unless Config.DropEvents;
// its segment events with Config.KeepSegEvents), and a sink reads them in
// Done, as the offline reports do.
func NewPool(cfg Config, workers int, sink Sink) *Pool {
	if workers <= 1 {
		return &Pool{one: NewTable(cfg, sink)}
	}
	return &Pool{p: newPool(workers, cfg, sink)}
}

// Add processes one segment, in capture order, as Table.Add does. The
// pool keeps a copy of it: the caller may reuse seg at once.
func (p *Pool) Add(seg *fsm.Segment) {
	if p.one != nil {
		p.one.Add(seg)
		return
	}
	p.p.add(seg)
}

// Close ends the capture, as Table.Close does: when it returns, every
// connection has been handed to the sink.
func (p *Pool) Close() {
	if p.one != nil {
		p.one.Close()
		return
	}
	p.p.close()
}

// Stats returns what the pool's tables did, summed; once the pool is
// closed, all of it.
func (p *Pool) Stats() Stats {
	if p.one != nil {
		return p.one.Stats
	}
	return p.p.stats()
}

// batchSize is how many segments travel to a worker at once.
const batchSize = 512

// Entries of a batch that are no segment, by their number (a segment's
// is its number in the capture, from 1).
const (
	clockEntry      = 0  // the stamp's clock, with the resolution of a jump in res
	checkpointEntry = -1 // a checkpoint, after the segment its stamp is of
)

// batch is segments for one worker, with their numbers in the capture and
// their stamps, and the clock and checkpoint entries among them.
type batch struct {
	segs   []fsm.Segment
	nums   []int64
	stamps []stamp
	res    []resolution
}

// finished is what a worker reports at a checkpoint, and at the end of the
// capture: the connections its table handed to Done since the last report,
// in any order, and the Order of the oldest one it has still open.
type finished struct {
	worker  int
	conns   []*Conn
	oldest  int64
	hasOpen bool
	last    bool // the capture has ended: the rest comes through pool.closing
}

// closeBatch is how many connections a worker closing its table at the
// end of the capture hands over at once.
const closeBatch = 256

// doneSink collects what a worker's table hands to Done. The sink of the
// pool (offline reports) does its work in Done, which the merger calls;
// the events reach it through each connection.
type doneSink struct{ conns []*Conn }

// take returns what was collected and starts afresh.
func (s *doneSink) take() []*Conn {
	conns := s.conns
	s.conns = nil
	return conns
}

func (s *doneSink) Event(*Conn, *Event)          {}
func (s *doneSink) Segment(*Conn, *SegmentEvent) {}
func (s *doneSink) Done(c *Conn)                 { s.conns = append(s.conns, c) }

// pool runs the workers of a Pool and the merger.
type pool struct {
	tables  []*Table
	in      []chan *batch
	free    []chan *batch
	cur     []*batch
	out     chan finished
	closing []chan []*Conn // per worker, what its table finishes at the end
	merged  sync.WaitGroup
	workers sync.WaitGroup
	n       int64        // segments handed out
	every   int64        // segments from one checkpoint to the next
	clock   captureClock // the capture clock
	bound   int          // a quarter of MaxConns: the most that wait at a checkpoint; 0: no bound
	early   int          // connections the merger handed over ahead of their turn
}

// newPool starts n workers, each with a table made by cfg (MaxConns shared
// out among them), and the merger, which hands connections to sink.
func newPool(n int, cfg Config, sink Sink) *pool {
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = DefaultCheckpointEvery
	}
	p := &pool{out: make(chan finished, 4*n), every: cfg.CheckpointEvery}
	if cfg.MaxConns > 0 {
		p.bound = max(cfg.MaxConns/4, 1)
		cfg.MaxConns = max(1, cfg.MaxConns/n)
	}
	cfg.shared = true
	for i := range n {
		ds := &doneSink{}
		table := NewTable(cfg, ds)
		in, free := make(chan *batch, 4), make(chan *batch, 5)
		for range 5 {
			free <- &batch{segs: make([]fsm.Segment, 0, batchSize), nums: make([]int64, 0, batchSize),
				stamps: make([]stamp, 0, batchSize), res: make([]resolution, 0, batchSize)}
		}
		p.tables = append(p.tables, table)
		p.in, p.free = append(p.in, in), append(p.free, free)
		p.closing = append(p.closing, make(chan []*Conn, 4))
		p.cur = append(p.cur, <-free)
		p.workers.Add(1)
		go p.work(i, table, ds, in, free)
	}
	p.merged.Add(1)
	go p.merge(n, sink)
	return p
}

// add hands a segment to its worker, and a checkpoint to every worker
// after each CheckpointEvery-th segment.
func (p *pool) add(seg *fsm.Segment) {
	p.n++
	st, res := p.clock.Observe(seg.Time)
	if res.Done {
		for w := range p.cur {
			p.put(w, nil, clockEntry, stamp{Clock: st.Clock}, res)
		}
	}
	w := int(shardHash(seg.Src, seg.Dst) % uint64(len(p.tables)))
	p.put(w, seg, p.n, st, resolution{})
	if p.n%p.every == 0 {
		for w := range p.cur {
			p.put(w, nil, checkpointEntry, stamp{Clock: st.Clock}, resolution{})
		}
	}
}

// put adds an entry to worker w's batch, and sends the batch when full.
func (p *pool) put(w int, seg *fsm.Segment, n int64, st stamp, res resolution) {
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

// close sends what is left and the final capture clock, ends the workers
// (each closes its table) and waits until the merger has handed every
// connection over.
func (p *pool) close() {
	res := p.clock.Flush()
	for w := range p.cur {
		p.put(w, nil, clockEntry, stamp{Clock: p.clock.Now()}, res)
		if b := p.cur[w]; len(b.segs) > 0 {
			p.in[w] <- b
		}
		close(p.in[w])
	}
	p.workers.Wait()
	close(p.out)
	p.merged.Wait()
}

// stats sums the tables' counters.
func (p *pool) stats() Stats {
	var st Stats
	for _, t := range p.tables {
		st.Connections += t.Stats.Connections
		st.Segments += t.Stats.Segments
		st.Evicted += t.Stats.Evicted
		st.Duplicates += t.Stats.Duplicates
	}
	st.Early = p.early
	st.ClockJumps = p.clock.Jumps
	return st
}

func (p *pool) work(w int, table *Table, ds *doneSink, in, free chan *batch) {
	defer p.workers.Done()
	report := func(last bool) {
		oldest, open := table.pending()
		p.out <- finished{worker: w, conns: ds.take(), oldest: oldest, hasOpen: open, last: last}
	}
	for b := range in {
		for i := range b.segs {
			switch b.nums[i] {
			case clockEntry:
				table.resolve(b.res[i])
				table.runTimers(b.stamps[i].Clock)
			case checkpointEntry:
				table.runTimers(b.stamps[i].Clock)
				report(false)
			default:
				table.addStamped(&b.segs[i], b.nums[i], b.stamps[i])
			}
		}
		b.segs, b.nums, b.stamps, b.res = b.segs[:0], b.nums[:0], b.stamps[:0], b.res[:0]
		free <- b
	}
	report(true)
	// What the table still tracks is finished here, in order, and handed
	// over in small batches that the merger takes as the merge needs them:
	// all at once, a million connections would wait for the other workers.
	// Nothing else is left for the merger to wait for, so a full channel
	// only holds this worker back.
	for table.closeNext() {
		if len(ds.conns) >= closeBatch {
			p.closing[w] <- ds.take()
		}
	}
	if len(ds.conns) > 0 {
		p.closing[w] <- ds.take()
	}
	close(p.closing[w])
}

// merge hands the workers' connections to sink in order of Order,
// renumbered from 1, taking the decisions one table takes (see the top of
// this file). The workers' reports are taken a checkpoint at a time, once
// every worker has made its report of that checkpoint. Once the capture
// has ended, each worker finishes the connections its table still tracks,
// and the merger takes them from each worker as the merge needs them.
func (p *pool) merge(n int, sink Sink) {
	defer p.merged.Done()
	var ended connHeap // finished, not yet handed over
	id := 0
	hand := func(c *Conn) {
		id++
		c.ID = id
		sink.Done(c)
	}
	reports := make([][]finished, n)
	for last := false; !last; {
		f := <-p.out
		reports[f.worker] = append(reports[f.worker], f)
		for !last && !slices.ContainsFunc(reports, func(r []finished) bool { return len(r) == 0 }) {
			// Every worker has reported the same checkpoint.
			oldest, open := int64(0), false
			for w := range reports {
				r := reports[w][0]
				reports[w][0] = finished{}
				reports[w] = reports[w][1:]
				for _, c := range r.conns {
					ended.push(c)
				}
				if r.hasOpen && (!open || r.oldest < oldest) {
					oldest, open = r.oldest, true
				}
				last = r.last
			}
			for len(ended) > 0 && (!open || ended[0].Order < oldest) {
				hand(ended.pop())
			}
			if !last && p.bound > 0 && len(ended) > p.bound {
				p.early += len(ended)
				for len(ended) > 0 {
					hand(ended.pop())
				}
			}
		}
	}
	// The capture has ended: the next connection is at the top of the
	// heap or at the head of a worker's closing queue, or still to come
	// through its closing channel.
	queues := make([][]*Conn, n)
	drained := make([]bool, n)
	for {
		best := -1
		for w := range queues {
			for len(queues[w]) == 0 && !drained[w] {
				more, ok := <-p.closing[w]
				if !ok {
					drained[w] = true
				}
				queues[w] = more
			}
			if len(queues[w]) > 0 && (best < 0 || queues[w][0].Order < queues[best][0].Order) {
				best = w
			}
		}
		switch {
		case len(ended) > 0 && (best < 0 || ended[0].Order < queues[best][0].Order):
			hand(ended.pop())
		case best >= 0:
			c := queues[best][0]
			queues[best][0] = nil
			queues[best] = queues[best][1:]
			hand(c)
		default:
			return
		}
	}
}

// connHeap is a min-heap of connections by Order.
type connHeap []*Conn

func (h *connHeap) push(c *Conn) {
	*h = append(*h, c)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if q[parent].Order <= q[i].Order {
			break
		}
		q[parent], q[i] = q[i], q[parent]
		i = parent
	}
}

func (h *connHeap) pop() *Conn {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = nil
	q = q[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].Order < q[small].Order {
			small = l
		}
		if r < len(q) && q[r].Order < q[small].Order {
			small = r
		}
		if small == i {
			break
		}
		q[i], q[small] = q[small], q[i]
		i = small
	}
	*h = q
	return top
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

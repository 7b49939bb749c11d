package main

import (
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

// liveAnalysis is the analysis of a live capture: what it does with each
// packet, and what it does on the clock between packets (timers, the look
// at the connections tracked, --top's refresh, --stats). live runs it on
// the wall clock; the golden tests run it on a capture file's packets and
// their times, so that they test this loop and not a copy of it.
type liveAnalysis struct {
	// packets is what offline does with each packet too: a.packet
	// analyses one, a.read counts them.
	packets
	o     *options
	out   liveRenderer
	sink  *tallySink
	table *flow.Table
	// dropped returns the packets the capture dropped, for --top's header.
	dropped func() uint64
	// opened is how many connections had opened at the last --stats line.
	opened int
	// When each periodic task is due next, on the clock of the times at
	// reads: live, the wall clock with its monotonic reading, which a
	// step of the host's clock does not move.
	nextStats, nextWatch, nextTick time.Time
}

// newLiveAnalysis returns the analysis of a capture that starts at now,
// rendered by out.
func newLiveAnalysis(o *options, out liveRenderer, now time.Time) *liveAnalysis {
	a := &liveAnalysis{o: o, out: out, sink: &tallySink{out: out},
		dropped: func() uint64 { return 0 }, nextStats: now.Add(o.stats), nextWatch: now.Add(watchEvery)}
	a.table = flow.NewTable(liveConfig(o), a.sink)
	a.packets = newPackets(o, a.table)
	return a
}

// at does what is due at now, after the packets read so far: the timers
// (TIME-WAIT expires, closed or idle connections are released also when
// no packet arrives), the look at the connections tracked, --top's
// refresh and --stats' line; then it writes out what was made. now is
// read as a time of the capture (clock), as a packet's is, by the table
// and the renderers.
func (a *liveAnalysis) at(now time.Time) {
	clock := fsm.TimeOf(now)
	a.table.Advance(clock)
	if !now.Before(a.nextWatch) {
		every := watchEvery
		if a.table.Open() > 0 {
			t0 := time.Now()
			a.out.Watch(clock, a.table.Each)
			// A look costs ~80 ns a connection: under a table of hundreds
			// of thousands, look less often, at most 2 % of a core.
			every = max(every, 50*time.Since(t0))
		}
		a.nextWatch = now.Add(every)
	}
	if tk, ok := a.out.(ticker); ok && !now.Before(a.nextTick) {
		tk.Tick(clock, a.table.Each, report.TopStatus{Packets: a.read, Dropped: a.dropped()})
		a.nextTick = now.Add(time.Second)
	}
	if a.o.stats > 0 && !now.Before(a.nextStats) {
		sc := report.StateCounts{Time: clock, Interval: a.o.stats, Tally: a.sink.tally}
		sc.Opened = a.table.Stats.Connections - a.opened
		a.opened = a.table.Stats.Connections
		a.table.Each(sc.Count)
		a.out.Counts(&sc)
		a.sink.tally = report.Tally{}
		a.nextStats = now.Add(a.o.stats)
	}
	// Out with the lines of what was handed over: at once when packets
	// trickle in, once a batch under a flood. A write error shows again
	// when the output is closed.
	a.out.Flush()
}

// wakeIn returns how long after now the next of the timers, the look at
// the connections tracked (while there are any), --top's refresh and
// --stats' line is due; ok is false when none is, until a packet comes.
// Between packets the analysis sleeps until then, not on a ticker: an
// idle capture without --top wakes for nothing.
func (a *liveAnalysis) wakeIn(now time.Time) (d time.Duration, ok bool) {
	if at, due := a.table.Due(); due {
		d, ok = at.Sub(fsm.TimeOf(now)), true
		if d <= 0 {
			d = liveTick // due, yet Advance(now) could not fire it
		}
	}
	sooner := func(at time.Time) {
		if in := max(at.Sub(now), 0); !ok || in < d {
			d, ok = in, true
		}
	}
	if a.o.stats > 0 {
		sooner(a.nextStats)
	}
	if a.table.Open() > 0 {
		sooner(a.nextWatch)
	}
	if _, top := a.out.(ticker); top {
		sooner(a.nextTick)
	}
	return d, ok
}

// close ends the capture at end: every connection still tracked is
// handed over, with how long it lasted counted to end; it returns the
// totals.
func (a *liveAnalysis) close(end time.Time) report.Totals {
	a.out.SetEnd(fsm.TimeOf(end))
	a.table.Close()
	return a.totals(a.table.Stats)
}

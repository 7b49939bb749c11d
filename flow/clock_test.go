package flow

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/fsm"
)

// Issue 15, item 2: one wrong timestamp must not corrupt the rest of the
// capture. Each capture here is many short connections, 100 ms apart, each
// closed by its client, which so ends in TIME-WAIT; the damaged copies
// differ from the clean one only in timestamps, and must count as many
// connections, as many endpoints left in TIME-WAIT, and as many idle
// releases as the clean one, with the jump counted.

// shortConns returns the segments of n connections on distinct 4-tuples
// (numbered from first), the i-th opening at start + i*100 ms and closing
// within 5 ms.
func shortConns(first, n int, start fsm.Time) []fsm.Segment {
	var segs []fsm.Segment
	for i := first; i < first+n; i++ {
		c := netip.MustParseAddrPort(fmt.Sprintf("10.0.%d.%d:%d", i/250, i%250+1, 1024+i))
		s := netip.MustParseAddrPort("192.168.0.1:80")
		at := start.Add(time.Duration(i-first) * 100 * time.Millisecond)
		iss, irs := fsm.Seq(uint32(i)*7919-5000), fsm.Seq(uint32(i)*104729-3000)
		add := func(ms int, src, dst netip.AddrPort, flags fsm.Flags, seq, ack fsm.Seq) {
			segs = append(segs, fsm.Segment{Time: at.Add(time.Duration(ms) * time.Millisecond),
				Src: src, Dst: dst, Flags: flags, Seq: seq, Ack: ack, Window: 1000})
		}
		add(0, c, s, fsm.SYN, iss, 0)
		add(1, s, c, fsm.SYN|fsm.ACK, irs, iss+1)
		add(2, c, s, fsm.ACK, iss+1, irs+1)
		add(3, c, s, fsm.FIN|fsm.ACK, iss+1, irs+1)
		add(4, s, c, fsm.FIN|fsm.ACK, irs+1, iss+2)
		add(5, c, s, fsm.ACK, iss+2, irs+2)
	}
	return segs
}

// outcome is what a capture came to.
type outcome struct {
	conns, timeWait, idle, jumps int
}

func runSegs(cfg Config, segs []fsm.Segment) outcome {
	var o outcome
	tb := NewTable(cfg, sinkFunc(func(c *Conn) {
		for s := fsm.A; s <= fsm.B; s++ {
			if c.FSM.Endpoint(s).State == fsm.TimeWait {
				o.timeWait++
			}
		}
		if c.End == EndIdle {
			o.idle++
		}
	}))
	for i := range segs {
		tb.Add(&segs[i])
	}
	tb.Close()
	o.conns, o.jumps = tb.Stats.Connections, tb.Stats.ClockJumps
	return o
}

func TestClockJumps(t *testing.T) {
	const n = 3000 // 300 s: the last 600 connections are still in TIME-WAIT at the end
	start := fsm.TimeOf(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	year2106 := fsm.TimeOf(time.Date(2106, 2, 7, 6, 28, 15, 0, time.UTC)) // the last second of pcap's 32 bits
	clean := shortConns(0, n, start)
	type damage struct {
		name  string
		apply func([]fsm.Segment)
		jumps int
	}
	for _, d := range []damage{
		{"stray 2106 in the middle", func(s []fsm.Segment) { s[len(s)/2+2].Time = year2106 }, 1},
		{"stray 2106 first", func(s []fsm.Segment) { s[0].Time = year2106 }, 1},
		{"stray 1970 in the middle", func(s []fsm.Segment) { s[len(s)/2+2].Time = 0 }, 1},
		{"two strays apart", func(s []fsm.Segment) {
			s[len(s)/3].Time = year2106
			s[2*len(s)/3+1].Time = fsm.Time(time.Second)
		}, 2},
		{"stray last", func(s []fsm.Segment) { s[len(s)-1].Time = year2106 }, 1},
		{"step back 3h in the middle", func(s []fsm.Segment) {
			for i := len(s) / 2; i < len(s); i++ {
				s[i].Time = s[i].Time.Add(-3 * time.Hour)
			}
		}, 1},
		{"step back 3h, stray ahead, step forward 3h", func(s []fsm.Segment) {
			for i := len(s) / 4; i < len(s)/2; i++ {
				s[i].Time = s[i].Time.Add(-3 * time.Hour)
			}
			s[len(s)/3].Time = year2106
		}, 2},
	} {
		for _, idle := range []time.Duration{0, 5 * time.Minute, 2 * time.Second} {
			t.Run(fmt.Sprintf("%s/idle %v", d.name, idle), func(t *testing.T) {
				cfg := Config{IdleTimeout: idle}
				segs := append([]fsm.Segment(nil), clean...)
				d.apply(segs)
				want, got := runSegs(cfg, clean), runSegs(cfg, segs)
				if want.jumps != 0 || want.timeWait != 600 {
					t.Fatalf("clean capture: %+v", want)
				}
				want.jumps = d.jumps
				if d.name == "step back 3h, stray ahead, step forward 3h" {
					// The step forward is taken as a silence of 3 hours,
					// which ends every TIME-WAIT before it and idles out what
					// stayed open across it: only the connections after it
					// are as in the clean capture.
					want.timeWait = got.timeWait
					want.idle = got.idle
				}
				if got != want {
					t.Errorf("got %+v, want %+v as clean", got, want)
				}
			})
		}
	}
}

// A long silence is real: the timers run across it. Connections, then
// three hours without a packet, then more: every TIME-WAIT from before the
// silence has ended, a connection open across it is released idle, and no
// jump is counted.
func TestClockLongSilence(t *testing.T) {
	start := fsm.TimeOf(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	segs := shortConns(0, 100, start)
	open := *seg(0, other, srv, fsm.ACK|fsm.PSH, 1, 1) // mid-stream, then silent
	open.Time = start
	segs = append([]fsm.Segment{open}, segs...)
	segs = append(segs, shortConns(100, 100, start.Add(3*time.Hour))...)
	late := open
	late.Time = start.Add(3*time.Hour + 20*time.Second)
	segs = append(segs, late)
	got := runSegs(Config{IdleTimeout: 5 * time.Minute}, segs)
	// 100 + 100 short ones, the open one, and its late segment opens
	// another after it was released idle.
	want := outcome{conns: 202, timeWait: 100, idle: 1}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// Times before 1970 are times like any other: a capture moved to 1969,
// or across 1970-01-01 00:00:00 UTC, comes to what it comes to in 2026,
// its timers fired at the same points, with one table or several.
func TestClockBefore1970(t *testing.T) {
	run := func(start fsm.Time, workers int) []string {
		var got []string
		p := NewPool(Config{}, workers, sinkFunc(func(c *Conn) {
			got = append(got, fmt.Sprintf("conn %d %v, %v %v, released at %v", c.ID, c.End,
				c.FSM.Endpoint(fsm.A).State, c.FSM.Endpoint(fsm.B).State, c.Released().Sub(start)))
		}))
		segs := shortConns(0, 1000, start) // 100 s of them, each in TIME-WAIT for 60 s
		for i := range segs {
			p.Add(&segs[i])
		}
		p.Close()
		return got
	}
	for _, workers := range []int{1, 3} {
		want := run(fsm.TimeOf(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)), workers)
		for _, start := range []fsm.Time{-fsm.Time(time.Hour), -fsm.Time(50 * time.Second)} {
			if got := run(start, workers); !slices.Equal(got, want) {
				t.Errorf("from %v with %d workers:\n%s\nwant as in 2026:\n%s", start, workers,
					strings.Join(got[:min(len(got), 5)], "\n"), strings.Join(want[:5], "\n"))
			}
		}
	}
}

// The clock alone: what it follows, what it holds, what it counts.
func TestClockObserve(t *testing.T) {
	s := fsm.Time(time.Second)
	var k captureClock
	for _, step := range []struct {
		at        fsm.Time
		wantClock fsm.Time
		held      bool
		resolved  bool
		jumps     int
	}{
		{1000 * s, 1000 * s, false, false, 0},
		{1010 * s, 1010 * s, false, false, 0},
		{1005 * s, 1010 * s, false, false, 0}, // a little behind: followed, the clock stays
		{9000 * s, 1010 * s, true, false, 0},  // far ahead: held
		{1011 * s, 1011 * s, false, true, 1},  // back: a stray
		{5000 * s, 1011 * s, true, false, 1},
		{5001 * s, 1011 * s, true, false, 1},
		{5002 * s, 5002 * s, false, true, 1}, // a silence: the clock moves to the earliest held, then on
		{100 * s, 5002 * s, true, false, 1},
		{101 * s, 5002 * s, true, false, 1},
		{102 * s, 5004 * s, false, true, 2}, // a step back: 100 s is now 5002 s
	} {
		st, res := k.Observe(step.at)
		if st.Clock != step.wantClock || st.Held != step.held || res.Done != step.resolved || k.Jumps != step.jumps {
			t.Fatalf("at %d s: stamp %+v, resolution %+v, jumps %d; want clock %d s, held %v, resolved %v, jumps %d",
				step.at/s, st, res, k.Jumps, step.wantClock/s, step.held, step.resolved, step.jumps)
		}
	}
}

// Issue 15, item 5: durations and times at the ends of int64 nanoseconds
// neither wrap nor loop. A 2MSL of 2,500,000 hours looped for ever (the
// expiry wrapped to before the clock, fired, and was set again); an idle
// timeout as long released every connection at its next segment.
func TestTimersSaturate(t *testing.T) {
	year2199 := fsm.TimeOf(time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name       string
		cfg        Config
		start      fsm.Time
		conns, tws int
	}{
		{"time-wait 2500000h", Config{FSM: fsm.Config{TimeWait: 2500000 * time.Hour}}, t0, 3, 3},
		{"time-wait 600000h in 2199", Config{FSM: fsm.Config{TimeWait: 600000 * time.Hour}}, year2199, 3, 3},
		{"idle-timeout 2500000h", Config{IdleTimeout: 2500000 * time.Hour}, t0, 3, 3},
		{"linger 2500000h in 2199", Config{Linger: 2500000 * time.Hour}, year2199, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan outcome)
			go func() { done <- runSegs(tc.cfg, shortConns(0, 3, tc.start)) }()
			select {
			case got := <-done:
				if got.conns != tc.conns || got.timeWait != tc.tws {
					t.Errorf("%d connections, %d in TIME-WAIT; want %d and %d", got.conns, got.timeWait, tc.conns, tc.tws)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still running after 10 s: a timer loops")
			}
		})
	}
}

// The timers' arithmetic saturates at the ends of int64 nanoseconds:
// fsm.Time's Add and Sub, and back, which takes a duration off a time as
// Add adds one, also the most negative duration, which -d does not hold.
func TestSaturatingArithmetic(t *testing.T) {
	const maxI, minI = int64(^uint64(0) >> 1), -int64(^uint64(0)>>1) - 1
	for _, tc := range []struct{ a, b, sum, diff int64 }{
		{1, 2, 3, -1},
		{maxI, 1, maxI, maxI - 1},
		{minI, -1, minI, minI + 1},
		{maxI, minI, -1, maxI},
		{minI, maxI, -1, minI},
	} {
		if got := fsm.Time(tc.a).Add(time.Duration(tc.b)); got != fsm.Time(tc.sum) {
			t.Errorf("%d.Add(%d) = %d, want %d", tc.a, tc.b, int64(got), tc.sum)
		}
		if got := fsm.Time(tc.a).Sub(fsm.Time(tc.b)); got != time.Duration(tc.diff) {
			t.Errorf("%d.Sub(%d) = %d, want %d", tc.a, tc.b, int64(got), tc.diff)
		}
	}
	if fsm.TimeOf(time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)) != fsm.Time(maxI) || fsm.TimeOf(time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)) != fsm.Time(minI) {
		t.Error("fsm.TimeOf does not saturate")
	}
	for _, tc := range []struct {
		t    fsm.Time
		d    time.Duration
		want fsm.Time
	}{
		{3, 1, 2},
		{0, math.MinInt64, fsm.MaxTime},
		{-1, math.MinInt64, fsm.MaxTime},
		{-2, math.MinInt64, fsm.MaxTime - 1},
		{fsm.MinTime, math.MinInt64, 0},
		{fsm.MinTime, 1, fsm.MinTime},
		{fsm.MaxTime, -1, fsm.MaxTime},
		{fsm.MaxTime, math.MaxInt64, 0},
	} {
		if got := back(tc.t, tc.d); got != tc.want {
			t.Errorf("back(%d, %d) = %d, want %d", int64(tc.t), int64(tc.d), int64(got), int64(tc.want))
		}
	}
}

// Live, the wall clock drives the timers between packets (Advance), and
// the host's clock may be set back under a running capture: the packets'
// stamps and the ticks step back together. The outcome is the clean one.
func TestClockLiveStepBack(t *testing.T) {
	start := fsm.TimeOf(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	run := func(step time.Duration) outcome {
		var o outcome
		segs := shortConns(0, 3000, start)
		for i := len(segs) / 2; i < len(segs); i++ {
			segs[i].Time = segs[i].Time.Add(-step)
		}
		tb := NewTable(Config{Unordered: true, IdleTimeout: 5 * time.Minute}, sinkFunc(func(c *Conn) {
			if c.FSM.Endpoint(fsm.A).State == fsm.TimeWait {
				o.timeWait++
			}
			if c.End == EndIdle {
				o.idle++
			}
		}))
		for i := range segs {
			tb.Add(&segs[i])
			if i%7 == 0 { // a tick of the wall clock, 20 ms on
				tb.Advance(segs[i].Time.Add(20 * time.Millisecond))
			}
		}
		tb.Close()
		o.conns, o.jumps = tb.Stats.Connections, tb.Stats.ClockJumps
		return o
	}
	want, got := run(0), run(2*time.Hour)
	want.jumps = 1
	if got != want {
		t.Errorf("got %+v, want %+v as without the step", got, want)
	}
}

// happening is what a table reported, and the wall clock's time of the
// Advance (or Add) that made it report it.
type happening struct {
	what string
	wall fsm.Time
}

// wallRecorder is a Sink that records happenings at the wall time it is set to.
type wallRecorder struct {
	wall fsm.Time
	got  []happening
}

func (r *wallRecorder) Event(c *Conn, e *Event) {
	r.got = append(r.got, happening{fmt.Sprintf("conn %d %v %v->%v %s", c.ID, e.Side, e.From, e.To, e.Cause), r.wall})
}

func (r *wallRecorder) Segment(*Conn, *SegmentEvent) {}

func (r *wallRecorder) Done(c *Conn) {
	r.got = append(r.got, happening{fmt.Sprintf("conn %d done: %v", c.ID, c.End), r.wall})
}

// Live, the analysis calls Advance only when Due says (or a tick later when
// Due is past: a jump held), not on a 100 ms ticker as before. Its timers
// must fire as the ticker's do, and it must wake rarely: here a connection
// closed by its client and left in TIME-WAIT (2MSL 2 minutes), then
// silence. Once the connection is released nothing is due.
//
// With the wall clock set back an hour during the TIME-WAIT, the clock loses
// the time between its last reading and the first after the step (see
// captureClock): a tick with the ticker, up to followEvery by Due.
func TestDueLikeTicker(t *testing.T) {
	start := fsm.TimeOf(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	const (
		tick = 100 * time.Millisecond
		span = 10 * time.Minute
	)
	cfg := Config{FSM: fsm.Config{TimeWait: 2 * time.Minute}, Unordered: true, IdleTimeout: 5 * time.Minute}
	// run returns what the table reported, at real times after start, and
	// how often Advance was called; wallAt is the wall clock's reading at
	// real time r.
	run := func(byDue bool, wallAt func(r time.Duration) fsm.Time) ([]happening, int) {
		rec := &wallRecorder{}
		tb := NewTable(cfg, rec)
		if _, ok := tb.Due(); ok {
			t.Fatal("Due is set before any time was read")
		}
		segs := shortConns(0, 1, start)
		rec.wall = start
		for i := range segs {
			tb.Add(&segs[i])
		}
		real, wakes := 5*time.Millisecond, 0
		for real < span {
			if !byDue {
				real += tick
			} else if at, ok := tb.Due(); !ok {
				break // nothing due until the next segment
			} else if d := at.Sub(wallAt(real)); d > 0 {
				real += d
			} else {
				real += tick
			}
			wakes++
			rec.wall = start.Add(real) // on one clock, real time, whatever the wall clock says
			tb.Advance(wallAt(real))
		}
		return rec.got, wakes
	}
	for _, tc := range []struct {
		name   string
		stepAt time.Duration // real time after start; 0 for none
		late   time.Duration // how much later than the ticker's a timer may fire by Due
	}{
		{"steady", 0, 0},
		{"set back during TIME-WAIT", time.Minute + 300*time.Millisecond, followEvery},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wallAt := func(r time.Duration) fsm.Time {
				if tc.stepAt > 0 && r >= tc.stepAt {
					return start.Add(r - time.Hour)
				}
				return start.Add(r)
			}
			want, ticks := run(false, wallAt)
			got, wakes := run(true, wallAt)
			if len(want) < 3 || !strings.Contains(want[len(want)-1].what, "done") {
				t.Fatalf("the ticker's run reported %v; want the transitions, TIME-WAIT's end and the release", want)
			}
			if len(got) != len(want) {
				t.Fatalf("by Due: %v\nby ticker: %v", got, want)
			}
			for i := range want {
				// By Due as soon as due: up to a tick before the ticker's.
				d := got[i].wall.Sub(want[i].wall)
				if got[i].what != want[i].what || d <= -tick || d > tc.late {
					t.Errorf("happening %d: by Due %q at %v, by ticker %q at %v", i,
						got[i].what, got[i].wall.Sub(start), want[i].what, want[i].wall.Sub(start))
				}
			}
			// Once a second while the timers are pending (2 minutes),
			// then none; not the ticker's 6,000.
			t.Logf("%d wakeups by Due, %d ticks; the release at %v by Due, %v by ticker", wakes, ticks,
				got[len(got)-1].wall.Sub(start), want[len(want)-1].wall.Sub(start))
			if wakes > 150 {
				t.Errorf("%d wakeups by Due in %v, want about one a second while a timer is pending", wakes, span)
			}
		})
	}
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

// liveRenderer is a renderer that also writes periodic state counts.
type liveRenderer interface {
	renderer
	Counts(*report.StateCounts)
}

// tallySink passes events to the renderer and counts what happened to
// connections for the periodic state counts.
type tallySink struct {
	out   liveRenderer
	tally report.Tally
}

func (t *tallySink) Event(c *flow.Conn, e *flow.Event) {
	t.tally.Observe(e)
	t.out.Event(c, e)
}

func (t *tallySink) Done(c *flow.Conn) {
	t.tally.Closed++
	t.out.Done(c)
}

// stopper turns the first SIGINT or SIGTERM into a request to stop, and a
// second one into an immediate exit. stop releases the signals and its
// goroutine.
type stopper struct {
	sig      chan os.Signal
	done     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	stopping bool
}

func newStopper() *stopper {
	s := &stopper{sig: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(s.sig, os.Interrupt, syscall.SIGTERM)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-s.sig:
				s.mu.Lock()
				again := s.stopping
				s.stopping = true
				s.mu.Unlock()
				if again {
					os.Exit(130) // a second Ctrl-C: at once
				}
			case <-s.done:
				return
			}
		}
	}()
	return s
}

func (s *stopper) requested() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

func (s *stopper) stop() {
	signal.Stop(s.sig)
	close(s.done)
	s.wg.Wait()
}

// live captures on an interface until Ctrl-C, -c packets, or the interface
// goes away, streaming what it finds.
func live(o *options, stdout, stderr io.Writer) int {
	l, err := capture.OpenLive(capture.LiveConfig{
		Interface: o.iface, Snaplen: o.snaplen, BufferKiB: o.bufferKiB,
		Promisc: !o.noPromisc, Direction: o.direction, Filter: o.filter,
	})
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
		var fe *capture.FilterError
		if errors.As(err, &fe) {
			return exitUsage
		}
		return exitInput
	}
	defer l.Close()

	var w *capture.Writer
	if o.write != "" {
		if w, err = capture.CreateWriter(o.write, l.LinkType(), o.snaplen); err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
			return exitInput
		}
		defer w.Close()
	}

	var out liveRenderer
	if o.asJSON {
		out = report.NewJSONStream(stdout)
	} else {
		st := report.NewStream(stdout, time.Local)
		st.Explain = o.explain
		st.Color = colorFor(stdout)
		out = st
	}
	sink := &tallySink{out: out}
	cfg := flow.Config{FSM: fsm.Config{TimeWait: o.timeWait}, Unordered: true, IdleTimeout: o.idleTimeout, MaxConns: o.maxConns}
	table := flow.NewTable(cfg, sink)
	dec := capture.NewDecoder()
	dec.VerifyChecksums = o.verifySums
	// Catch signals before saying we listen: a script that waits for this
	// line and then interrupts must get the summary.
	stop := newStopper()
	defer stop.stop()
	fmt.Fprintf(stderr, "tcpflow-fsm: listening on %s, link-type %d, snapshot length %d bytes\n",
		o.iface, l.LinkType(), o.snaplen)
	var (
		p         capture.Packet
		seg       fsm.Segment
		read      uint64
		readErr   error
		lastFlush = time.Now()
		nextStats = time.Now().Add(o.stats)
		opened    int
	)
	for !stop.requested() && (o.count == 0 || read < uint64(o.count)) {
		err := l.Next(&p)
		switch {
		case err == capture.ErrNoPacket:
		case err != nil:
			readErr = err
		default:
			read++
			if w != nil {
				if err := w.Write(&p); err != nil {
					readErr = fmt.Errorf("writing %s: %v", o.write, err)
				}
			}
			if dec.Decode(&p, &seg) {
				table.Add(&seg)
			}
		}
		if readErr != nil {
			break
		}
		// Timers run on the clock: TIME-WAIT expires and closed or idle
		// connections are released when no packet arrives.
		now := time.Now()
		table.Advance(now)
		if w != nil && now.Sub(lastFlush) >= time.Second {
			w.Flush()
			lastFlush = now
		}
		if o.stats > 0 && !now.Before(nextStats) {
			sc := report.StateCounts{Time: now, Interval: o.stats, Tally: sink.tally}
			sc.Opened = table.Stats.Connections - opened
			opened = table.Stats.Connections
			table.Each(sc.Count)
			out.Counts(&sc)
			sink.tally = report.Tally{}
			nextStats = now.Add(o.stats)
		}
	}

	// The summary of every connection still open, then the counters.
	table.Close()
	tot := totals(read, 0, dec, table.Stats)
	ls, statsErr := l.Stats()
	tot.Live = &report.LiveCounters{Captured: ls.Captured, ReceivedByFilter: ls.ReceivedByFilter,
		DroppedByKernel: ls.DroppedByKernel, DroppedByIface: ls.DroppedByIface}
	if readErr != nil {
		tot.ReadError = readErr.Error()
	}
	if err := out.Close(&tot); err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: writing output: %v\n", err)
	}
	if w != nil {
		if err := w.Close(); err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: writing %s: %v\n", o.write, err)
		}
	}
	if statsErr == nil {
		report.WriteLiveCounters(stderr, tot.Live)
	}
	if readErr != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", readErr)
		return exitInput
	}
	return exitOK
}

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

// liveRenderer is a renderer that also writes periodic state counts,
// alerts on what the connections still tracked show as it lasts (Watch),
// and holds what it writes until Flush.
type liveRenderer interface {
	renderer
	Counts(*report.StateCounts)
	Watch(now fsm.Time, each func(func(*flow.Conn)))
	// SetEnd says when the capture stopped: what the connections still
	// open have lasted is counted to it.
	SetEnd(fsm.Time)
	Flush() error
}

// watchEvery is how often a live capture looks at the connections it
// tracks for what shows as it lasts: a CLOSE-WAIT that stays, a peer
// that stays silent (findings.Collector.Watch).
const watchEvery = time.Second

// liveConfig is the table of a live capture: connections handed over as
// they end, their events passed on and not kept (the live renderers write
// them as they come).
func liveConfig(o *options) flow.Config {
	return flow.Config{FSM: fsm.Config{TimeWait: o.timeWait}, Unordered: true, DropEvents: true,
		IdleTimeout: o.idleTimeout, MaxConns: o.maxConns, EventsMax: o.timelineMax, Abandon: liveAbandon}
}

// liveAbandon is how long a live capture keeps a connection quiet in
// SYN-RECEIVED or FIN-WAIT-2 (flow.Config.Abandon): longer than common
// stacks keep a handshake they gave up on (Linux: 63 s of SYN,ACK
// retries) or an orphaned FIN-WAIT-2 (Linux: 60 s), so that neither shows
// open for ever.
const liveAbandon = 2 * time.Minute

// tallySink passes events to the renderer and counts what happened to
// connections for the periodic state counts. A connection counts as
// closed when it closes (no endpoint synchronized any more), not when it
// is released a TIME-WAIT and a linger later.
type tallySink struct {
	out    liveRenderer
	tally  report.Tally
	closed map[*flow.Conn]bool // tracked connections already counted closed
}

func (t *tallySink) Event(c *flow.Conn, e *flow.Event) {
	t.tally.Observe(e)
	if e.Kind == fsm.Transition && !t.closed[c] && report.Closed(c) {
		if t.closed == nil {
			t.closed = map[*flow.Conn]bool{}
		}
		t.closed[c] = true
		t.tally.Closed++
	}
	t.out.Event(c, e)
}

func (t *tallySink) Segment(c *flow.Conn, e *flow.SegmentEvent) { t.out.Segment(c, e) }

func (t *tallySink) Done(c *flow.Conn) {
	delete(t.closed, c)
	t.out.Done(c)
}

// stopper turns the first SIGINT or SIGTERM into a request to stop, and a
// second one into an immediate exit. stop releases the signals and its
// goroutine.
type stopper struct {
	sig   chan os.Signal
	done  chan struct{}
	asked chan struct{} // closed at the first signal
	got   os.Signal     // the first signal, once asked is closed
	wg    sync.WaitGroup
}

func newStopper() *stopper {
	s := &stopper{sig: make(chan os.Signal, 2), done: make(chan struct{}), asked: make(chan struct{})}
	signal.Notify(s.sig, os.Interrupt, syscall.SIGTERM)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case sig := <-s.sig:
				select {
				case <-s.asked:
					runExitHooks()             // the terminal given back (--top)
					os.Exit(signalStatus(sig)) // a second signal: at once
				default:
					s.got = sig
					close(s.asked)
				}
			case <-s.done:
				return
			}
		}
	}()
	return s
}

// stopped returns the first signal, or nil when none came.
func (s *stopper) stopped() os.Signal {
	select {
	case <-s.asked:
		return s.got
	default:
		return nil
	}
}

// signalStatus is the exit status of a process a signal ended: 128 plus
// the signal's number, as the shell reports it (130 for SIGINT, 143 for
// SIGTERM).
func signalStatus(sig os.Signal) int {
	if n, ok := sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 128 + int(syscall.SIGINT)
}

// signalName is "SIGINT" or "SIGTERM".
func signalName(sig os.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

func (s *stopper) stop() {
	signal.Stop(s.sig)
	close(s.done)
	s.wg.Wait()
}

// listeningLine is what a live capture says on standard error once it
// listens, as tcpdump does.
func listeningLine(iface string, linkType, snaplen int) string {
	return fmt.Sprintf("tcpflow-fsm: listening on %s, link-type %d, snapshot length %d bytes\n", iface, linkType, snaplen)
}

// liveTick is how soon the analysis looks again when a timer due could not
// fire: the capture clock holds a jump, which the next times read settle.
const liveTick = 100 * time.Millisecond

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
	if o.top {
		tv := newTopView(o, stdout)
		defer tv.restore() // also when a panic unwinds live
		out = tv
	} else if o.asJSON {
		js := report.NewJSONStream(stdout)
		js.SetThresholds(o.thresholds())
		out = js
	} else {
		st := report.NewStream(stdout, time.Local)
		st.SetThresholds(o.thresholds())
		st.Problems = o.problems
		st.Explain = o.explain
		st.Color = colorFor(stdout)
		out = st
	}
	an := newLiveAnalysis(o, out, time.Now())
	// Catch signals before saying we listen: a script that waits for this
	// line and then interrupts must get the summary.
	stop := newStopper()
	defer stop.stop()
	io.WriteString(stderr, listeningLine(o.iface, int(l.LinkType()), o.snaplen))
	// Capture on a goroutine of its own, which never waits for this one:
	// a slow terminal or a burst of work here costs packets only when the
	// queue between them is full, and those are counted.
	feed := l.Start(capture.FeedConfig{Count: uint64(o.count), Save: w, SaveName: o.write})
	an.dropped = feed.Dropped
	// The first Ctrl-C stops the capture at once, also while this
	// goroutine waits for a blocked stdout; what is queued is still
	// analysed.
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-stop.asked:
			feed.Stop()
		case <-ended:
		}
	}()
	// Between packets, sleep until something is due (liveAnalysis.wakeIn).
	wake := time.NewTimer(0)
	defer wake.Stop()
	setWake := func(now time.Time) {
		if d, ok := an.wakeIn(now); ok {
			wake.Reset(d)
		} else {
			wake.Stop() // until a packet comes
		}
	}
	setWake(time.Now())
	for batches := feed.Batches(); batches != nil; {
		select {
		case b, ok := <-batches:
			if !ok {
				batches = nil
				break
			}
			for i := range b.Packets {
				an.packet(&b.Packets[i])
			}
			feed.Release(b)
		case <-wake.C:
		}
		now := time.Now()
		an.at(now)
		setWake(now)
	}
	readErr := feed.Err()

	// The summary of every connection still open, then the counters.
	tot := an.close(time.Now())
	ls, statsErr := l.Stats()
	tot.Live = &report.LiveCounters{Captured: ls.Captured, ReceivedByFilter: ls.ReceivedByFilter,
		DroppedByKernel: ls.DroppedByKernel, DroppedByIface: ls.DroppedByIface, DroppedByTool: feed.Dropped()}
	if readErr != nil {
		tot.ReadError = readErr.Error()
	}
	status := exitOK
	if err := out.Close(&tot); err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: writing output: %v\n", err)
		status = exitInput // as offline: the report was lost
	}
	if w != nil {
		if err := w.Close(); err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: writing %s: %v\n", o.write, err)
			status = exitInput
		}
	}
	if statsErr == nil {
		report.WriteLiveCounters(stderr, tot.Live)
	}
	if readErr != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", readErr)
		return exitInput
	}
	return status
}

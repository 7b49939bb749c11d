package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"

	"tcpflow-fsm/capture"
)

// Developers' profiling hooks, set through the environment so that they
// stay out of the user's flags (docs/PERFORMANCE.md):
//
//	TCPFLOW_CPUPROFILE=cpu.out tcpflow-fsm -r big.pcap --summary
//	TCPFLOW_MEMPROFILE=mem.out tcpflow-fsm -r big.pcap --summary
//
// then go tool pprof -top tcpflow-fsm cpu.out. The memory profile is taken
// when the file has been read and before the connections still open are
// closed: when the most is held.
const (
	envCPUProfile = "TCPFLOW_CPUPROFILE"
	envMemProfile = "TCPFLOW_MEMPROFILE"
)

// startProfiles starts what the environment asks for and returns the
// function that stops it and writes the profiles.
func startProfiles(stderr io.Writer) (stop func()) {
	var cpu *os.File
	if name := os.Getenv(envCPUProfile); name != "" {
		f, err := os.Create(name)
		if err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: %s: %v\n", envCPUProfile, err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: %s: %v\n", envCPUProfile, err)
			f.Close()
		} else {
			cpu = f
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
	}
}

// heapProfile writes the heap profile the environment asks for.
func heapProfile(stderr io.Writer) {
	name := os.Getenv(envMemProfile)
	if name == "" {
		return
	}
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %s: %v\n", envMemProfile, err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %s: %v\n", envMemProfile, err)
	}
}

// tuneGC sets the garbage collector for the run o asks for, unless
// GOMEMLIMIT in the environment says otherwise: a soft memory limit
// proportional to --max-conns (none without a bound) keeps the heap close
// to what is live once the table is full, instead of up to twice that, so
// that memory follows --max-conns.
//
// The limit is what a full table holds when a flood keeps it evicting
// (floodMemory a connection): below that the collector runs without end,
// and a 3-million-SYN flood took 34, 92 and 145 s (summary, JSON, text)
// instead of 15, 23 and 27. But not past limitRoom unless the table's
// connections need more as a handshake leaves them (connMemory,
// eventMemory): a million held in summary mode stay under 1 GiB.
func tuneGC(o *options) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set || o.maxConns <= 0 {
		return
	}
	base := int64(baseMemory)
	if o.iface != "" {
		base += capture.DefaultQueueBytes
	}
	per, flood := int64(connMemory), int64(floodMemorySummary)
	switch {
	case o.asJSON:
		per, flood = per+eventMemory, floodMemoryJSON
	case !o.summary:
		per, flood = per+eventMemory, floodMemoryText
	}
	n := int64(o.maxConns)
	debug.SetMemoryLimit(min(base+n*flood, max(base+n*per, limitRoom)))
}

// What a run needs, measured with a million connections open at once
// (docs/PERFORMANCE.md, "Memory"), and rounded up: less has the collector
// run without end once the table is full.
const (
	// baseMemory is what an offline run needs besides its connections:
	// read buffers, the summary rows before they spill (32 MiB), the
	// findings' lists.
	baseMemory = 128 << 20
	// connMemory is what one tracked connection costs: about 820 bytes,
	// the connection (760), its slots in the table's index, timer heap
	// and queue, its Zeek history.
	connMemory = 880
	// eventMemory is what keeping a connection's events adds, as JSON and
	// the text reports do until it ends: about 650 bytes with a
	// handshake's four events.
	eventMemory = 700
	// floodMemory is what a connection of a full table costs under a SYN
	// flood, by mode: the connection, what is remembered of those evicted
	// (their initial sequence numbers, up to --max-conns of them), and the
	// findings' lists (make bench-hostile, docs/PERFORMANCE.md "The
	// default bound").
	floodMemorySummary = 1300
	floodMemoryJSON    = 2200
	floodMemoryText    = 2400
	// limitRoom is the most the limit grows to for the flood's sake: room
	// under the 1 GiB that the default --max-conns promises, for what the
	// runtime holds beside the heap.
	limitRoom = 896 << 20
)

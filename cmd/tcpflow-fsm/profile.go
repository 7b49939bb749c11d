package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
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

// tuneGC sets the garbage collector for a run that tracks at most
// maxConns connections (0: no bound), unless GOMEMLIMIT in the environment
// says otherwise: a soft memory limit proportional to the bound keeps the
// heap close to what is live once the table is full (instead of up to
// twice that), so that memory follows --max-conns.
func tuneGC(maxConns int) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && maxConns > 0 {
		debug.SetMemoryLimit(baseMemory + int64(maxConns)*connMemory)
	}
}

const (
	// baseMemory is what a run needs besides its connections: buffers,
	// summary rows before they spill, findings.
	baseMemory = 128 << 20
	// connMemory is what one tracked connection costs in a summary or
	// JSON run (docs/PERFORMANCE.md, "Memory"), rounded up.
	connMemory = 2 << 10
)

package main

// Integration tests of live capture (-i). Each test builds two network
// namespaces joined by a veth pair (10.98.0.1 in a, the clients; 10.98.0.2
// in b, the servers; gen.sh uses 10.99.0.0/24, so both can run at once),
// runs the tcpflow-fsm binary inside b on veth-b, and makes real kernel TCP
// traffic with testdata/kernel/driver. The kernel's own view of every
// socket (ss -tan in both namespaces) is the oracle for the final states.
//
// They need root and network namespaces, and skip without them. Every
// process runs under a context with a deadline, and every wait has a
// timeout, so that nothing can hang.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------
// Binaries: the tool and the driver, built once per test run into a
// temporary folder that TestMain removes.

var liveBins struct {
	once         sync.Once
	dir          string
	tool, driver string
	err          error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if liveBins.dir != "" {
		os.RemoveAll(liveBins.dir)
	}
	os.Exit(code)
}

// raceEnabled reports whether this test binary was built with -race; the
// tool is then built with -race too.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

func liveBinaries(t *testing.T) (tool, driver string) {
	t.Helper()
	liveBins.once.Do(func() {
		dir, err := os.MkdirTemp("", "tcpflow-fsm-live-")
		if err != nil {
			liveBins.err = err
			return
		}
		liveBins.dir = dir
		// Readable by all: the privilege test runs the tool as nobody.
		if err := os.Chmod(dir, 0o755); err != nil {
			liveBins.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		tool, driver := filepath.Join(dir, "tcpflow-fsm"), filepath.Join(dir, "driver")
		args := []string{"build", "-o", tool}
		if raceEnabled() {
			args = append(args, "-race")
		}
		for _, argv := range [][]string{
			append(args, "."),
			{"build", "-o", driver, "../../testdata/kernel/driver"},
		} {
			if out, err := exec.CommandContext(ctx, "go", argv...).CombinedOutput(); err != nil {
				liveBins.err = fmt.Errorf("go %s: %v\n%s", strings.Join(argv, " "), err, out)
				return
			}
		}
		liveBins.tool, liveBins.driver = tool, driver
	})
	if liveBins.err != nil {
		t.Fatalf("building the binaries: %v", liveBins.err)
	}
	return liveBins.tool, liveBins.driver
}

// ---------------------------------------------------------------------------
// Output collection: a process's stdout or stderr, line by line, that a
// test can wait on while the process runs.

type lines struct {
	mu      sync.Mutex
	partial []byte
	all     []string
	changed chan struct{} // closed and replaced when a line is added
}

func newLines() *lines { return &lines{changed: make(chan struct{})} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.all = append(l.all, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
		added = true
	}
	if added {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

// lines returns the complete lines so far, and a channel closed when more come.
func (l *lines) lines() ([]string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.all), l.changed
}

// rest returns what follows the last newline.
func (l *lines) rest() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.partial)
}

func (l *lines) String() string {
	ls, _ := l.lines()
	s := strings.Join(ls, "\n")
	if r := l.rest(); r != "" {
		s += "\n" + r + " [no newline]"
	}
	return s
}

// waitFor waits until cond holds for the lines so far. It gives up after
// timeout, or once exited is closed and cond still does not hold.
func (l *lines) waitFor(timeout time.Duration, exited <-chan struct{}, cond func([]string) bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		ls, more := l.lines()
		if cond(ls) {
			return true
		}
		select {
		case <-more:
		case <-exited:
			ls, _ := l.lines()
			return cond(ls)
		case <-timer.C:
			return false
		}
	}
}

// has reports whether a complete line so far matches re.
func (l *lines) has(re string) bool {
	ls, _ := l.lines()
	return hasLine(re)(ls)
}

func hasLine(re string) func([]string) bool {
	rx := regexp.MustCompile(re)
	return func(ls []string) bool {
		for _, s := range ls {
			if rx.MatchString(s) {
				return true
			}
		}
		return false
	}
}

// ---------------------------------------------------------------------------
// Network namespaces and processes.

const (
	clientIP = "10.98.0.1" // namespace a, veth-a
	serverIP = "10.98.0.2" // namespace b, veth-b
)

type liveNet struct {
	t            *testing.T
	ctx          context.Context
	nsA, nsB     string
	tool, driver string
}

var liveSeq atomic.Int32

// liveSkip skips a test whose prerequisites are missing, or fails it when
// TCPFLOW_LIVE_REQUIRED is set (CI sets it where it runs as root with
// network namespaces, so that these tests cannot be skipped silently).
func liveSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("TCPFLOW_LIVE_REQUIRED") != "" {
		t.Fatalf("TCPFLOW_LIVE_REQUIRED is set, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// newLiveNet makes namespaces a and b joined by veth-a/veth-b, set up as
// gen.sh does: software checksums (the capture has correct ones) and
// quickack routes (every segment ACKed at once, so the packet sequence does
// not depend on the delayed-ACK timer). Everything is deleted at cleanup,
// also when the test fails.
func newLiveNet(t *testing.T) *liveNet {
	t.Helper()
	if os.Geteuid() != 0 {
		liveSkip(t, "live capture tests need root (network namespaces, veth, packet capture); run go test as root")
	}
	for _, c := range []string{"ip", "ss", "ethtool"} {
		if _, err := exec.LookPath(c); err != nil {
			liveSkip(t, "live capture tests need %s (Debian: apt-get install iproute2 ethtool)", c)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	n := liveSeq.Add(1)
	nsA := fmt.Sprintf("tfl-a-%d-%d", os.Getpid(), n)
	nsB := fmt.Sprintf("tfl-b-%d-%d", os.Getpid(), n)
	if out, err := exec.CommandContext(ctx, "ip", "netns", "add", nsA).CombinedOutput(); err != nil {
		liveSkip(t, "ip netns add fails, no network namespaces here: %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsA).Run() })
	ln := &liveNet{t: t, ctx: ctx, nsA: nsA, nsB: nsB}
	ln.must("ip", "netns", "add", nsB)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsB).Run() })
	ln.tool, ln.driver = liveBinaries(t)

	ln.must("ip", "link", "add", "veth-a", "netns", nsA, "type", "veth", "peer", "name", "veth-b", "netns", nsB)
	for _, e := range []struct{ ns, dev, ip string }{{nsA, "veth-a", clientIP}, {nsB, "veth-b", serverIP}} {
		ln.must("ip", "-n", e.ns, "link", "set", "lo", "up")
		ln.must("ip", "netns", "exec", e.ns, "ethtool", "-K", e.dev, "tx", "off")
		ln.must("ip", "-n", e.ns, "addr", "add", e.ip+"/24", "dev", e.dev, "noprefixroute")
		ln.must("ip", "-n", e.ns, "link", "set", e.dev, "up")
		ln.must("ip", "-n", e.ns, "route", "add", "10.98.0.0/24", "dev", e.dev, "src", e.ip, "quickack", "1")
	}
	return ln
}

func (ln *liveNet) must(argv ...string) string {
	ln.t.Helper()
	out, err := exec.CommandContext(ln.ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		ln.t.Fatalf("%s: %v: %s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

type liveProc struct {
	name     string
	cmd      *exec.Cmd
	out, err *lines
	done     chan struct{} // closed when the process has exited
	state    *os.ProcessState
}

// start runs bin inside namespace ns. ip netns exec execs bin, so the
// process's pid is bin's: signals go straight to it. At cleanup it gets
// SIGTERM, then SIGKILL if it is still there a second later.
func (ln *liveNet) start(name, ns, bin string, args ...string) *liveProc {
	ln.t.Helper()
	return ln.startWith(name, ns, nil, bin, args...)
}

func (ln *liveNet) startWith(name, ns string, stdout *os.File, bin string, args ...string) *liveProc {
	ln.t.Helper()
	argv := append([]string{"netns", "exec", ns, bin}, args...)
	p := &liveProc{name: name, cmd: exec.CommandContext(ln.ctx, "ip", argv...),
		out: newLines(), err: newLines(), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.err
	// A -race binary sleeps 1 s at exit by default (GORACE
	// atexit_sleep_ms), which would only slow the tests down; races are
	// still reported (exit status 66, "WARNING: DATA RACE" on stderr).
	p.cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	if stdout != nil {
		p.cmd.Stdout = stdout
	}
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		ln.t.Fatalf("%s: %v", name, err)
	}
	go func() {
		p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.done)
	}()
	ln.t.Cleanup(func() {
		if p.exited() {
			return
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *liveProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit, at most timeout.
func (p *liveProc) wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

func (p *liveProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("%s: sending %v: %v", p.name, sig, err)
	}
}

// startTool runs tcpflow-fsm -i veth-b ARGS in namespace b and waits until
// it says it is listening.
func (ln *liveNet) startTool(args ...string) *liveProc {
	ln.t.Helper()
	return ln.startToolWith(nil, args...)
}

func (ln *liveNet) startToolWith(stdout *os.File, args ...string) *liveProc {
	ln.t.Helper()
	p := ln.startWith("tcpflow-fsm", ln.nsB, stdout, ln.tool, append([]string{"-i", "veth-b"}, args...)...)
	if !p.err.waitFor(10*time.Second, p.done, hasLine(`^tcpflow-fsm: listening on veth-b`)) {
		ln.t.Fatalf("tcpflow-fsm did not say it was listening; stderr:\n%s", p.err)
	}
	return p
}

// interrupt sends SIGINT and waits for the exit; it fails the test if the
// process does not exit within a few seconds.
func (p *liveProc) interrupt(t *testing.T) {
	t.Helper()
	p.signal(t, syscall.SIGINT)
	if !p.wait(5 * time.Second) {
		t.Fatalf("%s did not exit within 5 s of SIGINT; stderr:\n%s", p.name, p.err)
	}
}

// ---------------------------------------------------------------------------
// Scenarios, played by the driver: a server in b (when there is a
// listener) and a client in a. The drivers keep their sockets open until
// cleanup, so the kernel sends nothing more while the tool captures.

type liveScenario struct {
	name         string // the driver's scenario
	sport, cport int
	listener     bool
	// Each endpoint's states, in order, as the tool must stream them:
	// the first transition's from, then every transition's to.
	client, server []string
}

var (
	pathClientCloses = []string{"CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"}
	pathServerLast   = []string{"LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"}
	pathClientOpen   = []string{"CLOSED", "SYN-SENT", "ESTABLISHED"}
	pathServerOpen   = []string{"LISTEN", "SYN-RECEIVED", "ESTABLISHED"}
)

func scenarioByName(name string, sport, cport int) liveScenario {
	sc := liveScenario{name: name, sport: sport, cport: cport, listener: true}
	switch name {
	case "close-client-first":
		sc.client, sc.server = pathClientCloses, pathServerLast
	case "refused":
		// No listener: the kernel answers the SYN with RST,ACK. The server
		// end never had a socket: CLOSED throughout, no transition.
		sc.listener = false
		sc.client = []string{"CLOSED", "SYN-SENT", "CLOSED"}
		sc.server = nil
	case "half-close":
		sc.client = append(slices.Clone(pathClientOpen), "FIN-WAIT-1", "FIN-WAIT-2")
		sc.server = append(slices.Clone(pathServerOpen), "CLOSE-WAIT")
	case "rst-abort":
		sc.client = append(slices.Clone(pathClientOpen), "CLOSED")
		sc.server = append(slices.Clone(pathServerOpen), "CLOSED")
	case "established":
		sc.client, sc.server = pathClientOpen, pathServerOpen
	case "loss":
		// A bulk transfer, 256 KiB up and 3 MiB down, then a close from
		// the client. The loss of its name comes from gen.sh's firewall
		// rules, which these namespaces do not have.
		sc.client, sc.server = pathClientCloses, pathServerLast
	default:
		panic("no expectations for scenario " + name)
	}
	return sc
}

func (sc liveScenario) clientAddr() string { return fmt.Sprintf("%s:%d", clientIP, sc.cport) }
func (sc liveScenario) serverAddr() string { return fmt.Sprintf("%s:%d", serverIP, sc.sport) }

// play runs the scenario to the end (both drivers READY).
func (ln *liveNet) play(sc liveScenario) {
	ln.t.Helper()
	ready := func(p *liveProc) {
		ln.t.Helper()
		if !p.out.waitFor(15*time.Second, p.done, hasLine(`^(READY|ERROR)`)) || p.out.has(`^ERROR`) {
			ln.t.Fatalf("%s did not finish: stdout:\n%s\nstderr:\n%s", p.name, p.out, p.err)
		}
	}
	common := []string{"-scenario", sc.name, "-timeout", "40s"}
	var server *liveProc
	if sc.listener {
		server = ln.start(sc.name+" server", ln.nsB, ln.driver, append(common, "-role", "server",
			"-local", sc.serverAddr(), "-peer", sc.clientAddr())...)
		if !server.out.waitFor(10*time.Second, server.done, hasLine(`^(LISTENING|ERROR)`)) || server.out.has(`^ERROR`) {
			ln.t.Fatalf("%s did not listen: %s\n%s", server.name, server.out, server.err)
		}
	}
	client := ln.start(sc.name+" client", ln.nsA, ln.driver, append(common, "-role", "client",
		"-local", sc.clientAddr(), "-peer", sc.serverAddr())...)
	ready(client)
	if server != nil {
		ready(server)
	}
}

// ---------------------------------------------------------------------------
// The tool's NDJSON output.

type liveEvent struct {
	Type     string `json:"type"`
	TS       string `json:"ts"`
	Conn     int    `json:"conn"`
	Endpoint string `json:"endpoint"`
	From     string `json:"from"`
	To       string `json:"to"`
	Cause    string `json:"cause"`
	Inferred bool   `json:"inferred"`
	Code     string `json:"code"`
}

type liveConn struct {
	connRecord
	EndReason *string `json:"end_reason"`
	line      int     // where it is in the output
}

type liveCapture struct {
	Captured           uint64 `json:"captured"`
	ReceivedByFilter   uint64 `json:"received_by_filter"`
	DroppedByKernel    uint64 `json:"dropped_by_kernel"`
	DroppedByInterface uint64 `json:"dropped_by_interface"`
	DroppedByTool      uint64 `json:"dropped_by_tcpflow_fsm"`
}

type liveStats struct {
	Packets     int          `json:"packets"`
	TCPPackets  int          `json:"tcp_packets"`
	Connections int          `json:"connections"`
	Capture     *liveCapture `json:"capture"`
	Error       string       `json:"error"`
}

type liveCounts struct {
	TS         string         `json:"ts"`
	IntervalMS int            `json:"interval_ms"`
	Client     map[string]int `json:"client"`
	Server     map[string]int `json:"server"`
	Opened     int            `json:"opened"`
	Closed     int            `json:"closed"`
	Reset      int            `json:"reset"`
	Refused    int            `json:"refused"`
}

type liveOutput struct {
	events []liveEvent // transitions and violations, in output order
	conns  []liveConn
	counts []liveCounts
	stats  *liveStats
	last   string // type of the last record
}

// parseLive reads NDJSON lines; every line must be one JSON object with a
// "type".
func parseLive(ls []string) (liveOutput, error) {
	var o liveOutput
	for i, s := range ls {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(s), &head); err != nil || head.Type == "" {
			return o, fmt.Errorf("line %d is not an NDJSON record with a type: %q (%v)", i+1, s, err)
		}
		var err error
		switch head.Type {
		case "transition", "violation":
			var e liveEvent
			err = json.Unmarshal([]byte(s), &e)
			o.events = append(o.events, e)
		case "conn":
			c := liveConn{line: i}
			err = json.Unmarshal([]byte(s), &c)
			o.conns = append(o.conns, c)
		case "state_counts":
			var c liveCounts
			err = json.Unmarshal([]byte(s), &c)
			o.counts = append(o.counts, c)
		case "stats":
			o.stats = new(liveStats)
			err = json.Unmarshal([]byte(s), o.stats)
		}
		if err != nil {
			return o, fmt.Errorf("line %d: %v: %q", i+1, err, s)
		}
		o.last = head.Type
	}
	return o, nil
}

// path returns the states an endpoint of a connection went through, from
// the transition records: the first from, then each to. A from that is
// not the previous to is an error.
func (o *liveOutput) path(conn int, endpoint string) ([]string, error) {
	var p []string
	for _, e := range o.events {
		if e.Type != "transition" || e.Conn != conn || e.Endpoint != endpoint {
			continue
		}
		if len(p) == 0 {
			p = append(p, e.From)
		} else if p[len(p)-1] != e.From {
			return p, fmt.Errorf("conn %d %s: transition from %s follows a transition to %s", conn, endpoint, e.From, p[len(p)-1])
		}
		p = append(p, e.To)
	}
	return p, nil
}

func (o *liveOutput) connByID(id int) []liveConn {
	var cs []liveConn
	for _, c := range o.conns {
		if c.ID == id {
			cs = append(cs, c)
		}
	}
	return cs
}

// toolOutput parses what the tool has written so far.
func toolOutput(t *testing.T, p *liveProc) liveOutput {
	t.Helper()
	ls, _ := p.out.lines()
	o, err := parseLive(ls)
	if err != nil {
		t.Fatalf("stdout is not NDJSON: %v", err)
	}
	return o
}

// waitRecords waits until cond holds for the tool's output so far.
func waitRecords(t *testing.T, p *liveProc, timeout time.Duration, cond func(*liveOutput) bool) bool {
	t.Helper()
	return p.out.waitFor(timeout, p.done, func(ls []string) bool {
		o, err := parseLive(ls)
		return err == nil && cond(&o)
	})
}

// ---------------------------------------------------------------------------
// The kernel's view: ss -tan in both namespaces.

// ssNames maps ss's state names to RFC 9293's.
var ssNames = map[string]string{"ESTAB": "ESTABLISHED", "SYN-RECV": "SYN-RECEIVED", "UNCONN": "CLOSED", "CLOSE": "CLOSED"}

// snapshotSS returns every connection socket (not the listeners) of both
// namespaces, "local peer" -> RFC state, and the raw output.
func (ln *liveNet) snapshotSS() (map[string]string, string) {
	ln.t.Helper()
	states := map[string]string{}
	var raw strings.Builder
	for _, ns := range []string{ln.nsA, ln.nsB} {
		out := ln.must("ip", "netns", "exec", ns, "ss", "-tan")
		fmt.Fprintf(&raw, "--- %s\n%s", ns, out)
		for _, line := range strings.Split(out, "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 5 || f[0] == "LISTEN" {
				continue
			}
			st := f[0]
			if rfc, ok := ssNames[st]; ok {
				st = rfc
			}
			states[f[3]+" "+f[4]] = st
		}
	}
	return states, raw.String()
}

// ---------------------------------------------------------------------------
// Checks shared by the tests.

var counterLines = []string{
	`^(\d+) packets captured$`,
	`^(\d+) packets received by filter$`,
	`^(\d+) packets dropped by kernel$`,
}

// checkCounters checks libpcap's counters on stderr, tcpdump's three lines,
// against the stats record's capture object, and returns them.
func checkCounters(t *testing.T, p *liveProc, st *liveStats) [3]uint64 {
	t.Helper()
	return checkCountersDrops(t, p, st, false)
}

// checkCountersDrops is checkCounters; with kernelDrops, packets dropped by
// the kernel are allowed (the test checks what they cost itself).
func checkCountersDrops(t *testing.T, p *liveProc, st *liveStats, kernelDrops bool) [3]uint64 {
	t.Helper()
	var got [3]uint64
	ls, _ := p.err.lines()
	for i, re := range counterLines {
		rx := regexp.MustCompile(re)
		n := 0
		for _, s := range ls {
			if m := rx.FindStringSubmatch(s); m != nil {
				got[i], _ = strconv.ParseUint(m[1], 10, 64)
				n++
			}
		}
		if n != 1 {
			t.Errorf("stderr has %d lines matching %s, want 1; stderr:\n%s", n, re, p.err)
		}
	}
	if st == nil || st.Capture == nil {
		t.Errorf("the stats record has no capture object: %+v", st)
		return got
	}
	if want := [3]uint64{st.Capture.Captured, st.Capture.ReceivedByFilter, st.Capture.DroppedByKernel}; got != want {
		t.Errorf("stderr counters %v differ from the stats record's capture object %+v", got, *st.Capture)
	}
	if got[0] != uint64(st.Packets) {
		t.Errorf("%d packets captured, but the stats record counts %d packets", got[0], st.Packets)
	}
	if got[2] != 0 && !kernelDrops {
		t.Errorf("the kernel dropped %d packets (the test traffic is tiny)", got[2])
	}
	// Ours: packets read from libpcap that the queue to the analysis had
	// no room for.
	rx := regexp.MustCompile(toolDropLine)
	n := 0
	for _, s := range ls {
		if m := rx.FindStringSubmatch(s); m != nil {
			n++
			if m[1] != "0" {
				t.Errorf("tcpflow-fsm dropped %s packets (queue full); the test traffic is tiny", m[1])
			}
			if d, _ := strconv.ParseUint(m[1], 10, 64); d != st.Capture.DroppedByTool {
				t.Errorf("stderr says %d packets dropped by tcpflow-fsm, the capture object %d", d, st.Capture.DroppedByTool)
			}
		}
	}
	if n != 1 {
		t.Errorf("stderr has %d lines matching %s, want 1; stderr:\n%s", n, toolDropLine, p.err)
	}
	return got
}

// toolDropLine is the counter printed after libpcap's.
const toolDropLine = `^(\d+) packets dropped by tcpflow-fsm \(queue full\)$`

// checkEnded checks what every live run must end with: exit status, a
// valid NDJSON stdout ending with the stats record, each connection's conn
// record exactly once and after all its events.
func checkEnded(t *testing.T, p *liveProc, wantCode int) liveOutput {
	t.Helper()
	if got := p.state.ExitCode(); got != wantCode {
		t.Errorf("exit status %d (%v), want %d; stderr:\n%s", got, p.state, wantCode, p.err)
	}
	if p.err.has("DATA RACE") {
		t.Errorf("the race detector found a race in the tool:\n%s", p.err)
	}
	if r := p.out.rest(); r != "" {
		t.Errorf("stdout ends with an unterminated line %q", r)
	}
	o := toolOutput(t, p)
	if o.stats == nil || o.last != "stats" {
		t.Fatalf("stdout does not end with a stats record (last record %q):\n%s", o.last, p.out)
	}
	seen := map[int]int{}
	for _, c := range o.conns {
		seen[c.ID]++
		if c.EndReason == nil {
			t.Errorf("conn %d: no end_reason in the live conn record", c.ID)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("conn %d has %d conn records, want 1", id, n)
		}
	}
	// Every event's connection has its conn record, after the event.
	ls, _ := p.out.lines()
	connLine := map[int]int{}
	for _, c := range o.conns {
		connLine[c.ID] = c.line
	}
	for i, s := range ls {
		var e liveEvent
		json.Unmarshal([]byte(s), &e)
		if e.Type != "transition" && e.Type != "violation" {
			continue
		}
		if at, ok := connLine[e.Conn]; !ok {
			t.Errorf("line %d: conn %d has events but no conn record", i+1, e.Conn)
		} else if at < i {
			t.Errorf("line %d: an event of conn %d after its conn record (line %d)", i+1, e.Conn, at+1)
		}
	}
	if o.stats.Connections != len(seen) {
		t.Errorf("stats says %d connections, there are %d conn records", o.stats.Connections, len(seen))
	}
	return o
}

// checkAgainstKernel checks every connection's final states against ss.
func checkAgainstKernel(t *testing.T, o *liveOutput, ss map[string]string, raw string) {
	t.Helper()
	bad := false
	for _, c := range o.conns {
		if want := kernelState(ss, c.Client, c.Server); comparable(c.ClientState) != want {
			t.Errorf("conn %d client %s: we say %s, the kernel says %s", c.ID, c.Client, c.ClientState, want)
			bad = true
		}
		if want := kernelState(ss, c.Server, c.Client); comparable(c.ServerState) != want {
			t.Errorf("conn %d server %s: we say %s, the kernel says %s", c.ID, c.Server, c.ServerState, want)
			bad = true
		}
		if len(c.Violations) > 0 {
			t.Errorf("conn %d: the kernel broke no rule, we reported %v", c.ID, c.Violations)
		}
	}
	if bad {
		t.Logf("ss -tan:\n%s", raw)
	}
}

// ---------------------------------------------------------------------------
// The tests.

// TestLiveCapture drives real connections through a veth while the tool
// captures, checks each one's transitions are streamed while it runs, then
// stops it with SIGINT and checks the final states against the kernel's.
func TestLiveCapture(t *testing.T) {
	ln := newLiveNet(t)
	start := time.Now()
	tool := ln.startTool("--json", "portrange", "9100-9199")

	// Connection IDs follow the order of first segments: one scenario at a
	// time, scenario i is conn i+1. The two that end (both endpoints
	// CLOSED) go first, so that their 5 s linger runs out during the rest.
	scenarios := []liveScenario{
		scenarioByName("refused", 9103, 40103),
		scenarioByName("rst-abort", 9108, 40108),
		scenarioByName("close-client-first", 9101, 40101),
		scenarioByName("half-close", 9104, 40104),
	}
	for i, sc := range scenarios {
		id := i + 1
		ln.play(sc)
		var paths [2][]string
		var pathErr error
		streamed := waitRecords(t, tool, 5*time.Second, func(o *liveOutput) bool {
			paths[0], pathErr = o.path(id, "client")
			if pathErr == nil {
				paths[1], pathErr = o.path(id, "server")
			}
			return pathErr == nil && slices.Equal(paths[0], sc.client) && slices.Equal(paths[1], sc.server)
		})
		if tool.exited() {
			t.Fatalf("tcpflow-fsm exited during %s: %v; stderr:\n%s", sc.name, tool.state, tool.err)
		}
		if !streamed {
			t.Errorf("%s (conn %d): streamed while running: client %v, server %v (%v); want client %v, server %v",
				sc.name, id, paths[0], paths[1], pathErr, sc.client, sc.server)
		}
		o := toolOutput(t, tool)
		for _, e := range o.events {
			if e.Conn > id {
				t.Errorf("after %s, events of conn %d: want conns 1..%d only", sc.name, e.Conn, id)
				break
			}
		}
	}

	// refused and rst-abort have ended; their conn records come when the
	// linger (5 s after both endpoints closed) runs out, during the capture.
	ended := waitRecords(t, tool, 8*time.Second, func(o *liveOutput) bool {
		return len(o.connByID(1)) == 1 && len(o.connByID(2)) == 1
	})
	if !ended {
		t.Errorf("no conn record streamed for the ended connections 1 (refused) and 2 (rst-abort) within 8 s; stdout:\n%s", tool.out)
	}
	for _, c := range toolOutput(t, tool).conns {
		if c.EndReason == nil || *c.EndReason != "closed" {
			t.Errorf("conn %d streamed while running with end_reason %v, want closed", c.ID, c.EndReason)
		}
		if c.ID != 1 && c.ID != 2 {
			t.Errorf("conn %d (%s) has a conn record while it is still open", c.ID, scenarios[c.ID-1].name)
		}
	}

	ss, raw := ln.snapshotSS()
	if tool.exited() {
		t.Fatalf("tcpflow-fsm exited before SIGINT: %v; stderr:\n%s", tool.state, tool.err)
	}
	stopAt := time.Now()
	tool.interrupt(t)
	t.Logf("traffic and streaming %v, exit %v after SIGINT", stopAt.Sub(start).Round(time.Millisecond), time.Since(stopAt).Round(time.Millisecond))
	o := checkEnded(t, tool, 0)
	checkCounters(t, tool, o.stats)
	if len(o.conns) != len(scenarios) {
		t.Errorf("%d conn records, want %d:\n%s", len(o.conns), len(scenarios), tool.out)
	}
	for _, c := range o.conns {
		if c.ID < 1 || c.ID > len(scenarios) {
			continue
		}
		sc := scenarios[c.ID-1]
		if c.Client != sc.clientAddr() || c.Server != sc.serverAddr() {
			t.Errorf("conn %d: client %s server %s, want %s (%s) %s", c.ID, c.Client, c.Server, sc.clientAddr(), sc.name, sc.serverAddr())
		}
		if want := "capture ended"; c.ID > 2 && (c.EndReason == nil || *c.EndReason != want) {
			t.Errorf("conn %d (%s) open at exit: end_reason %v, want %q", c.ID, sc.name, c.EndReason, want)
		}
		// The full streamed paths are still the expected ones: nothing
		// was added at exit.
		cp, _ := o.path(c.ID, "client")
		sp, _ := o.path(c.ID, "server")
		if !slices.Equal(cp, sc.client) || !slices.Equal(sp, sc.server) {
			t.Errorf("conn %d (%s) at exit: client %v, server %v; want %v, %v", c.ID, sc.name, cp, sp, sc.client, sc.server)
		}
	}
	checkAgainstKernel(t, &o, ss, raw)
}

// TestLiveWriteMatchesOffline: what the live capture saved with -w, read
// again with -r, gives the same connections and transitions as live.
func TestLiveWriteMatchesOffline(t *testing.T) {
	ln := newLiveNet(t)
	file := filepath.Join(t.TempDir(), "live.pcap")
	tool := ln.startTool("-w", file, "--json", "portrange", "9100-9199")
	for _, sc := range []liveScenario{
		scenarioByName("close-client-first", 9101, 40101),
		scenarioByName("half-close", 9104, 40104),
		scenarioByName("refused", 9103, 40103),
		scenarioByName("rst-abort", 9108, 40108),
		scenarioByName("established", 9111, 40111),
	} {
		ln.play(sc)
	}
	// Let the last ACKs reach the capture.
	if !waitRecords(t, tool, 5*time.Second, func(o *liveOutput) bool {
		p, _ := o.path(5, "server")
		return slices.Equal(p, pathServerOpen)
	}) {
		t.Fatalf("the last connection was not streamed:\n%s", tool.out)
	}
	tool.interrupt(t)
	live := checkEnded(t, tool, 0)
	checkCounters(t, tool, live.stats)

	var stdout, stderr bytes.Buffer
	if code := run([]string{"-r", file, "--json"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("tcpflow-fsm -r %s --json: exit %d: %s", file, code, stderr.String())
	}
	off, err := parseLive(strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if off.stats == nil || off.stats.Packets != live.stats.Packets || off.stats.TCPPackets != live.stats.TCPPackets {
		t.Errorf("offline stats %+v, live %+v: not the same packets", off.stats, live.stats)
	}

	// Live timers run on the wall clock, offline ones on the capture clock
	// (which stops at the last packet). A live connection released by the
	// idle timeout (5 min), or whose TIME-WAIT ran out (60 s), would
	// legitimately differ from offline: any such one is left out of the
	// comparison, but as this test lasts a few seconds there must be none.
	// The linger after both ends closed (5 s) changes when a conn record
	// comes, not what it says.
	offByID := map[int]liveConn{}
	for _, c := range off.conns {
		offByID[c.ID] = c
	}
	skip := map[int]bool{}
	for _, c := range live.conns {
		oc := offByID[c.ID]
		switch {
		case c.EndReason != nil && *c.EndReason == "idle":
			t.Logf("conn %d left out: released by the idle timeout live", c.ID)
			skip[c.ID] = true
		case (c.ClientState == "CLOSED" && oc.ClientState == "TIME-WAIT") || (c.ServerState == "CLOSED" && oc.ServerState == "TIME-WAIT"):
			t.Logf("conn %d left out: its TIME-WAIT ran out live", c.ID)
			skip[c.ID] = true
		}
	}
	if len(skip) > 0 {
		t.Errorf("%d connections timed out live in a test of a few seconds", len(skip))
	}

	// The file has microsecond timestamps (as tcpdump -w), live has the
	// kernel's nanoseconds.
	usec := func(ts string) string {
		tm, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Errorf("bad timestamp %q", ts)
		}
		return tm.Truncate(time.Microsecond).UTC().Format(time.RFC3339Nano)
	}
	norm := func(c liveConn) string {
		r := c.connRecord
		r.Start, r.End = usec(r.Start), usec(r.End)
		j, _ := json.Marshal(r)
		return string(j)
	}
	compared := 0
	for _, c := range live.conns {
		if skip[c.ID] {
			continue
		}
		oc, ok := offByID[c.ID]
		if !ok {
			t.Errorf("conn %d (%s -> %s) is not in the offline analysis", c.ID, c.Client, c.Server)
			continue
		}
		compared++
		if a, b := norm(c), norm(oc); a != b {
			t.Errorf("conn %d differs:\nlive:    %s\noffline: %s", c.ID, a, b)
		}
	}
	if compared != 5 || len(off.conns) != len(live.conns) {
		t.Errorf("compared %d connections, live has %d, offline %d; want 5", compared, len(live.conns), len(off.conns))
	}
	events := func(o *liveOutput) map[int][]string {
		m := map[int][]string{}
		for _, e := range o.events {
			if skip[e.Conn] {
				continue
			}
			e.TS = usec(e.TS)
			j, _ := json.Marshal(e)
			m[e.Conn] = append(m[e.Conn], string(j))
		}
		return m
	}
	le, oe := events(&live), events(&off)
	if len(le) != 5 {
		t.Errorf("live events for %d connections, want 5", len(le))
	}
	for id := range le {
		if !slices.Equal(le[id], oe[id]) {
			t.Errorf("conn %d events differ:\nlive:\n%s\noffline:\n%s", id, strings.Join(le[id], "\n"), strings.Join(oe[id], "\n"))
		}
	}
	for id := range oe {
		if _, ok := le[id]; !ok {
			t.Errorf("conn %d has events offline only", id)
		}
	}
}

// TestLiveBlockedStdoutKeepsCapturing: while stdout is blocked (a pager
// that does not read), the capture goes on reading from the kernel. Two
// bulk transfers, 6.5 MB, cross the link while the tool cannot write a
// line. What the test asserts is what the design promises, not that a busy
// host drops nothing (-B 4096 is a small buffer, and docs/PERFORMANCE.md
// shows it dropping under load):
//   - while stdout was still blocked, the capture had already read and saved
//     more than the kernel buffer holds, so it was emptying that buffer and
//     not waiting for the output;
//   - libpcap's counters add up: every packet that passed the filter was
//     either captured or dropped by the kernel, and the tool's queue, which
//     holds 64 MiB, dropped none;
//   - the analysis saw every packet captured: the stats record counts them
//     all, and its conn records are those of the saved capture read again
//     offline;
//   - the kernel broke no rule, so no violation is reported, dropped
//     packets or not; when the kernel dropped none, the transitions and
//     final states are the kernel's too.
//
// The capture is kept when the test fails (keepOnFailure).
func TestLiveBlockedStdoutKeepsCapturing(t *testing.T) {
	const bufferKiB = 4096
	ln := newLiveNet(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), syscall.F_SETPIPE_SZ, 4096); e != 0 {
		t.Fatalf("F_SETPIPE_SZ: %v", e)
	}
	fd := int(w.Fd())
	syscall.SetNonblock(fd, true)
	filled := 0
	for {
		n, err := syscall.Write(fd, bytes.Repeat([]byte{'\n'}, 512))
		if err != nil {
			break // EAGAIN: full
		}
		filled += n
	}
	syscall.SetNonblock(fd, false)
	saved := filepath.Join(t.TempDir(), "blocked.pcap")
	keepOnFailure(t, saved)
	tool := ln.startToolWith(w, "--json", "-B", strconv.Itoa(bufferKiB), "-w", saved, "portrange", "9100-9199")
	scenarios := []liveScenario{scenarioByName("loss", 9121, 40121), scenarioByName("loss", 9122, 40122)}
	start := time.Now()
	for _, sc := range scenarios {
		ln.play(sc)
	}
	blocked := time.Since(start)
	ss, raw := ln.snapshotSS()
	if tool.exited() {
		t.Fatalf("tcpflow-fsm exited: %v; stderr:\n%s", tool.state, tool.err)
	}
	// Still blocked: nothing of the tool's can have reached stdout yet.
	// The saved capture is written by the capture goroutine as it reads
	// (buffered, so its size is a lower bound of what it has read).
	fi, err := os.Stat(saved)
	if err != nil {
		t.Fatalf("the -w capture: %v", err)
	}
	savedWhileBlocked := fi.Size()
	if savedWhileBlocked <= bufferKiB<<10 {
		t.Errorf("while stdout was blocked the capture had saved %d bytes, no more than the kernel buffer's %d: it waited for the output",
			savedWhileBlocked, bufferKiB<<10)
	}

	// Drain stdout: what was there before the tool, then its records.
	copied := make(chan error, 1)
	go func() {
		_, err := io.CopyN(io.Discard, r, int64(filled))
		if err == nil {
			_, err = io.Copy(tool.out, r)
		}
		copied <- err
	}()
	// Once stdout drains, the second transfer's close is streamed (unless
	// the kernel dropped some of it: judged below, once the counters are in).
	streamed := waitRecords(t, tool, 10*time.Second, func(o *liveOutput) bool {
		p, _ := o.path(2, "client")
		return slices.Equal(p, pathClientCloses)
	})
	tool.interrupt(t)
	w.Close()
	if err := <-copied; err != nil {
		t.Fatalf("reading the tool's stdout: %v", err)
	}
	o := checkEnded(t, tool, 0)
	got := checkCountersDrops(t, tool, o.stats, true)
	c := o.stats.Capture
	t.Logf("stdout blocked for %v of traffic; %d bytes saved by then; %d packets captured, %d received by filter, %d dropped by the kernel",
		blocked.Round(time.Millisecond), savedWhileBlocked, got[0], got[1], got[2])
	if c.Captured+c.DroppedByKernel != c.ReceivedByFilter {
		t.Errorf("%d captured + %d dropped by the kernel != %d received by filter: a packet is unaccounted for",
			c.Captured, c.DroppedByKernel, c.ReceivedByFilter)
	}
	if c.DroppedByTool != 0 {
		t.Errorf("the tool's queue dropped %d packets; it holds 64 MiB, the traffic is 7 MB", c.DroppedByTool)
	}
	if len(o.conns) != 2 {
		t.Fatalf("%d conn records, want 2:\n%s", len(o.conns), tool.out)
	}

	// The same analysis offline, of what the capture saved.
	_, offline := analyseJSON(t, "-r", saved)
	if len(offline) != len(o.conns) {
		t.Fatalf("offline the saved capture has %d connections, live %d", len(offline), len(o.conns))
	}
	for i, c := range o.conns {
		on, off := c.connRecord, offline[i]
		on.Type, on.Start, on.End, off.Type, off.Start, off.End = "", "", "", "", "", ""
		if fmt.Sprint(on) != fmt.Sprint(off) {
			t.Errorf("conn %d live and offline differ:\n  live    %+v\n  offline %+v", c.ID, on, off)
		}
		if len(c.Violations) > 0 {
			t.Errorf("conn %d: the kernel broke no rule, we reported %v", c.ID, c.Violations)
		}
	}
	if got[2] > 0 {
		t.Logf("the kernel dropped %d packets: transitions and final states not compared with the kernel's", got[2])
		return
	}
	if !streamed {
		t.Errorf("the second transfer's close was not streamed within 10 s of stdout draining:\n%s", tool.out)
	}
	for _, c := range o.conns {
		sc := scenarios[c.ID-1]
		cp, _ := o.path(c.ID, "client")
		sp, _ := o.path(c.ID, "server")
		if !slices.Equal(cp, sc.client) || !slices.Equal(sp, sc.server) {
			t.Errorf("conn %d: client %v, server %v; want %v, %v", c.ID, cp, sp, sc.client, sc.server)
		}
		if c.ClientBytes != 256<<10 || c.ServerBytes != 3<<20 {
			t.Errorf("conn %d: client %d bytes, server %d; want %d, %d", c.ID, c.ClientBytes, c.ServerBytes, 256<<10, 3<<20)
		}
	}
	checkAgainstKernel(t, &o, ss, raw)
}

// keepOnFailure keeps the file path when the test fails, for a person to
// read: it is copied into $TCPFLOW_KEEP_DIR (the system's temporary folder
// when unset) and the copy's name is logged. TCPFLOW_KEEP_ALL=1 keeps it
// after a pass too (to study many runs).
func keepOnFailure(t *testing.T, path string) {
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("TCPFLOW_KEEP_ALL") == "" {
			return
		}
		dir := os.Getenv("TCPFLOW_KEEP_DIR")
		if dir == "" {
			dir = os.TempDir()
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Logf("keeping %s: %v", path, err)
			return
		}
		name := fmt.Sprintf("%s-%s-%s", strings.ReplaceAll(t.Name(), "/", "_"), time.Now().Format("20060102T150405"), filepath.Base(path))
		kept := filepath.Join(dir, name)
		if err := os.WriteFile(kept, b, 0o644); err != nil {
			t.Logf("keeping %s: %v", path, err)
			return
		}
		t.Logf("the capture of this run is kept: %s", kept)
	})
}

// TestLiveStats: --stats prints state_counts records that count a held-open
// connection as ESTABLISHED at both ends, and the connections opened,
// refused, reset and closed in each interval.
func TestLiveStats(t *testing.T) {
	ln := newLiveNet(t)
	tool := ln.startTool("--json", "--stats", "200ms", "portrange", "9100-9199")
	n := func(o *liveOutput) int { return len(o.counts) }
	// nextCounts waits for two more state_counts records (one whole
	// interval after now) and returns the output.
	nextCounts := func(what string) liveOutput {
		t.Helper()
		cur := toolOutput(t, tool)
		have := n(&cur)
		if !waitRecords(t, tool, 5*time.Second, func(o *liveOutput) bool { return n(o) >= have+2 }) {
			t.Fatalf("%s: no state_counts records for 5 s; stdout:\n%s", what, tool.out)
		}
		return toolOutput(t, tool)
	}
	sums := func(cs []liveCounts) (s liveCounts) {
		for _, c := range cs {
			s.Opened += c.Opened
			s.Closed += c.Closed
			s.Reset += c.Reset
			s.Refused += c.Refused
		}
		return s
	}
	check := func(what string, o liveOutput, opened, closed, reset, refused int, client, server map[string]int) {
		t.Helper()
		s := sums(o.counts)
		if s.Opened != opened || s.Closed != closed || s.Reset != reset || s.Refused != refused {
			t.Errorf("%s: over all intervals opened %d, closed %d, reset %d, refused %d; want %d, %d, %d, %d",
				what, s.Opened, s.Closed, s.Reset, s.Refused, opened, closed, reset, refused)
		}
		last := o.counts[len(o.counts)-1]
		if !mapsEqual(last.Client, client) || !mapsEqual(last.Server, server) {
			t.Errorf("%s: last state_counts client %v, server %v; want %v, %v", what, last.Client, last.Server, client, server)
		}
	}
	est := map[string]int{"ESTABLISHED": 1}

	o := nextCounts("idle")
	check("before any traffic", o, 0, 0, 0, 0, map[string]int{}, map[string]int{})

	ln.play(scenarioByName("established", 9111, 40111))
	o = nextCounts("established")
	check("a connection held open", o, 1, 0, 0, 0, est, est)
	// The kernel agrees: one ESTABLISHED socket at each end.
	ss, raw := ln.snapshotSS()
	kernel := map[string]int{}
	for k, st := range ss {
		if st == "ESTABLISHED" {
			kernel[strings.SplitN(k, ":", 2)[0]]++
		}
	}
	if last := o.counts[len(o.counts)-1]; kernel[clientIP] != last.Client["ESTABLISHED"] || kernel[serverIP] != last.Server["ESTABLISHED"] {
		t.Errorf("ESTABLISHED: client %d, server %d; the kernel has %d and %d:\n%s",
			last.Client["ESTABLISHED"], last.Server["ESTABLISHED"], kernel[clientIP], kernel[serverIP], raw)
	}
	before := len(o.counts)

	// A refused connect and an aborted connection: both close at once
	// (CLOSED at both ends), counted closed then, and are released 5 s
	// later (the linger).
	ln.play(scenarioByName("refused", 9113, 40113))
	ln.play(scenarioByName("rst-abort", 9118, 40118))
	o = nextCounts("refused and reset")
	check("refused and reset", o, 3, 2, 1, 1,
		map[string]int{"ESTABLISHED": 1, "CLOSED": 2}, map[string]int{"ESTABLISHED": 1, "CLOSED": 2})
	for _, c := range o.counts[before:] {
		if c.Opened > 2 || c.Refused > 1 || c.Reset > 1 {
			t.Errorf("an interval counts more than happened: %+v", c)
		}
	}

	// Once the linger has run out the two are released: only the held
	// connection is left, and they are not counted closed again.
	if !waitRecords(t, tool, 8*time.Second, func(o *liveOutput) bool {
		last := o.counts[len(o.counts)-1]
		return mapsEqual(last.Client, est) && mapsEqual(last.Server, est)
	}) {
		t.Fatalf("the two closed connections were not released within 8 s; stdout:\n%s", tool.out)
	}
	o = nextCounts("released")
	check("after the linger", o, 3, 2, 1, 1, est, est)

	for i, c := range o.counts {
		if c.IntervalMS != 200 {
			t.Errorf("state_counts %d: interval_ms %d, want 200", i, c.IntervalMS)
		}
		if i == 0 {
			continue
		}
		a, _ := time.Parse(time.RFC3339Nano, o.counts[i-1].TS)
		b, _ := time.Parse(time.RFC3339Nano, c.TS)
		// Never sooner than the interval; later only by what a busy host
		// delays a timer (the bound is loose: CI runs beside CPU burners).
		if gap := b.Sub(a); gap < 200*time.Millisecond || gap > 10*time.Second {
			t.Errorf("state_counts %d comes %v after the previous one; want 200 ms, or later on a busy host", i, gap)
		}
	}

	tool.interrupt(t)
	o = checkEnded(t, tool, 0)
	checkCounters(t, tool, o.stats)
	if len(o.conns) != 3 {
		t.Errorf("%d conn records, want 3", len(o.conns))
	}
	for _, c := range o.conns {
		if c.Client != fmt.Sprintf("%s:%d", clientIP, 40111) {
			continue
		}
		if c.ClientState != "ESTABLISHED" || c.ServerState != "ESTABLISHED" || c.EndReason == nil || *c.EndReason != "capture ended" {
			t.Errorf("the held connection at exit: %+v, end_reason %v; want ESTABLISHED at both ends, capture ended", c.connRecord, c.EndReason)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestLiveInterfaceGone deletes the interface under the capture: the tool
// must say the capture stopped, print its summary and counters, and exit 1.
func TestLiveInterfaceGone(t *testing.T) {
	ln := newLiveNet(t)
	tool := ln.startTool("--json", "portrange", "9100-9199")
	ln.play(scenarioByName("close-client-first", 9101, 40101))
	if !waitRecords(t, tool, 5*time.Second, func(o *liveOutput) bool {
		p, _ := o.path(1, "server")
		return slices.Equal(p, pathServerLast)
	}) {
		t.Fatalf("the connection was not streamed:\n%s", tool.out)
	}
	gone := time.Now()
	ln.must("ip", "-n", ln.nsB, "link", "del", "veth-b")
	if !tool.wait(5 * time.Second) {
		t.Fatalf("tcpflow-fsm still runs 5 s after its interface was deleted; stderr:\n%s", tool.err)
	}
	t.Logf("exit %v after the interface was deleted; stderr:\n%s", time.Since(gone).Round(time.Millisecond), tool.err)
	o := checkEnded(t, tool, 1)
	checkCounters(t, tool, o.stats)
	ls, _ := tool.err.lines()
	var stopped []string
	for _, s := range ls {
		if strings.HasPrefix(s, "tcpflow-fsm: capture on veth-b stopped") {
			stopped = append(stopped, s)
		}
	}
	if len(stopped) != 1 {
		t.Fatalf("stderr has %d lines saying the capture on veth-b stopped, want 1:\n%s", len(stopped), tool.err)
	}
	if o.stats.Error == "" || !strings.Contains(stopped[0], o.stats.Error) {
		t.Errorf("the stats record's error %q is not what stderr says: %q", o.stats.Error, stopped[0])
	}
	if len(o.conns) != 1 || o.conns[0].ClientState != "TIME-WAIT" || o.conns[0].ServerState != "CLOSED" {
		t.Errorf("summary: %+v; want the one connection, client TIME-WAIT, server CLOSED", o.conns)
	}
	// libpcap knows why: pcap_geterr says "The interface disappeared"
	// (tcpdump prints "tcpdump: pcap_loop: The interface disappeared").
	if !strings.Contains(stopped[0], "interface disappeared") {
		t.Errorf("the line does not say the interface went away (libpcap's reason): %q", stopped[0])
	}
}

// sigPending reports whether sig is pending for process pid.
func sigPending(pid int, sig syscall.Signal) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "SigPnd" && k != "ShdPnd") {
			continue
		}
		mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if mask&(1<<(uint(sig)-1)) != 0 {
			return true
		}
	}
	return false
}

// TestLiveSecondInterruptExitsAtOnce: a first SIGINT (or SIGTERM) stops the
// capture and prints the summary; a second one exits at once, with status
// 130 (os.Exit(130), not death by the signal), without the summary.
func TestLiveSecondInterruptExitsAtOnce(t *testing.T) {
	ln := newLiveNet(t)

	t.Run("SIGTERM", func(t *testing.T) {
		tool := ln.startTool("--json", "port", "9100")
		time.Sleep(200 * time.Millisecond) // the handler comes after "listening on": TestLiveInterruptRightAfterListening
		tool.signal(t, syscall.SIGTERM)
		if !tool.wait(5 * time.Second) {
			t.Fatalf("no exit within 5 s of SIGTERM")
		}
		o := checkEnded(t, tool, 0)
		checkCounters(t, tool, o.stats)
	})

	// The realistic case: the graceful stop cannot finish because stdout
	// is blocked (a pager that does not read). stdout is a pipe of one
	// page, filled before the tool starts, so the first write blocks.
	t.Run("stuck", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), syscall.F_SETPIPE_SZ, 4096); e != 0 {
			t.Fatalf("F_SETPIPE_SZ: %v", e)
		}
		fd := int(w.Fd())
		syscall.SetNonblock(fd, true)
		for {
			if _, err := syscall.Write(fd, make([]byte, 512)); err != nil {
				break // EAGAIN: full
			}
		}
		syscall.SetNonblock(fd, false)
		tool := ln.startToolWith(w, "--json", "port", "9100")
		time.Sleep(200 * time.Millisecond)
		tool.signal(t, syscall.SIGINT)
		if tool.wait(500 * time.Millisecond) {
			t.Fatalf("the tool exited (%v) with its stdout full: it should be stuck writing the summary", tool.state)
		}
		tool.signal(t, syscall.SIGINT)
		if !tool.wait(10 * time.Second) {
			t.Fatalf("still running 10 s after the second SIGINT")
		}
		ws := tool.state.Sys().(syscall.WaitStatus)
		if ws.Signaled() || ws.ExitStatus() != 130 {
			t.Errorf("second SIGINT: %v; want exit status 130", tool.state)
		}
		if tool.err.has(counterLines[0]) {
			t.Errorf("the counters were printed: it did not exit at once:\n%s", tool.err)
		}
	})

	// Two SIGINTs in quick succession while the capture loop waits for
	// packets. This one is a race by nature, and every outcome but a hang
	// or a death without summary is right:
	//   - the second SIGINT reaches the handler while the tool stops:
	//     exit status 130 at once (os.Exit(130)), usually without the
	//     summary, sometimes after it (when the summary was written
	//     before the handler was released);
	//   - two signals sent before the first is handled are one (the kernel
	//     and the Go runtime both merge a pending signal): graceful stop,
	//     summary, exit 0;
	//   - the first SIGINT interrupts libpcap's poll, so the graceful stop
	//     often finishes within a millisecond; it then releases the
	//     handler, and a second SIGINT arriving after that kills the
	//     process by the signal's default action, after a complete
	//     summary (the shell shows 130 too).
	// The second is sent as soon as the first is no longer pending (it has
	// been delivered). In testing that gave exit status 130 in about 2 of 3
	// attempts; up to 10 attempts are made until one does.
	t.Run("quick", func(t *testing.T) {
		var outcomes []string
		for attempt := 1; attempt <= 10; attempt++ {
			tool := ln.startTool("--json", "port", "9100")
			time.Sleep(200 * time.Millisecond)
			pid := tool.cmd.Process.Pid
			tool.signal(t, syscall.SIGINT)
			for deadline := time.Now().Add(time.Second); sigPending(pid, syscall.SIGINT) && time.Now().Before(deadline); {
				time.Sleep(20 * time.Microsecond)
			}
			tool.cmd.Process.Signal(syscall.SIGINT) // it may be gone already
			if !tool.wait(10 * time.Second) {
				t.Fatalf("still running 10 s after two SIGINTs; stderr:\n%s", tool.err)
			}
			ws := tool.state.Sys().(syscall.WaitStatus)
			summary := tool.err.has(counterLines[2]) // the last counter line
			switch {
			case !ws.Signaled() && ws.ExitStatus() == 130:
				t.Logf("attempt %d: exit status 130, summary printed before: %v (earlier attempts: %v)", attempt, summary, outcomes)
				return
			case summary && !ws.Signaled() && ws.ExitStatus() == 0:
				outcomes = append(outcomes, "exit 0 after the summary")
			case summary && ws.Signaled() && ws.Signal() == syscall.SIGINT:
				outcomes = append(outcomes, "killed by SIGINT after the summary")
			default:
				t.Fatalf("attempt %d: %v, summary printed %v; want exit status 130, or a complete summary; stderr:\n%s",
					attempt, tool.state, summary, tool.err)
			}
			o := checkEnded(t, tool, tool.state.ExitCode())
			checkCounters(t, tool, o.stats)
		}
		t.Errorf("never exit status 130 in 10 attempts: %v", outcomes)
	})
}

// TestLiveInterruptRightAfterListening: a script that waits for "listening
// on" (as one does with tcpdump) and then sends SIGINT must get the summary
// and exit status 0, however soon the SIGINT comes.
func TestLiveInterruptRightAfterListening(t *testing.T) {
	ln := newLiveNet(t)
	const attempts = 10
	var killed int
	for i := 0; i < attempts; i++ {
		tool := ln.startTool("--json", "port", "9100") // returns as soon as the line is read
		tool.signal(t, syscall.SIGINT)
		if !tool.wait(5 * time.Second) {
			t.Fatalf("no exit within 5 s of SIGINT; stderr:\n%s", tool.err)
		}
		ws := tool.state.Sys().(syscall.WaitStatus)
		if ws.Signaled() && ws.Signal() == syscall.SIGINT && !tool.err.has(counterLines[0]) {
			killed++
			continue
		}
		o := checkEnded(t, tool, 0)
		checkCounters(t, tool, o.stats)
	}
	if killed > 0 {
		t.Errorf("in %d of %d runs a SIGINT sent right after \"listening on\" killed the tool "+
			"(signal: interrupt, no summary, no counters): the signal handler must be in place first", killed, attempts)
	}
}

// contextSwitches returns how many times the threads of process pid have
// been switched out (voluntary_ctxt_switches and nonvoluntary, summed): a
// count of its wakeups.
func contextSwitches(t *testing.T, pid int) uint64 {
	t.Helper()
	statuses, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var n uint64
	for _, name := range statuses {
		b, err := os.ReadFile(name)
		if err != nil {
			continue // a thread that ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	if len(statuses) == 0 {
		t.Fatalf("no threads of process %d in /proc", pid)
	}
	return n
}

// TestLiveIdleSleeps: on a link with no packets the tool waits for them
// without waking, as tcpdump does: its threads are not switched in and out
// (before: the capture polled every 20 ms and the analysis ticked every
// 100 ms, 3,000 context switches a second with the Go runtime's). SIGINT
// still ends it at once, with the summary and the counters.
func TestLiveIdleSleeps(t *testing.T) {
	ln := newLiveNet(t)
	tool := ln.startTool("--json", "port", "9100")
	pid := tool.cmd.Process.Pid
	time.Sleep(300 * time.Millisecond) // past the start
	const idle = time.Second
	before := contextSwitches(t, pid)
	time.Sleep(idle)
	if n := contextSwitches(t, pid) - before; n > 20 {
		t.Errorf("%d context switches in %v on an idle link, want next to none: the tool wakes while idle", n, idle)
	}
	stop := time.Now()
	tool.signal(t, syscall.SIGINT)
	if !tool.wait(5 * time.Second) {
		t.Fatalf("no exit within 5 s of SIGINT; stderr:\n%s", tool.err)
	}
	took := time.Since(stop)
	t.Logf("exit %v after SIGINT", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("exit %v after SIGINT on an idle link, want well under a second", took.Round(time.Millisecond))
	}
	o := checkEnded(t, tool, 0)
	checkCounters(t, tool, o.stats)
}

// TestLiveRunInterrupt calls run with -i lo in this process, interrupts it
// with SIGINT (run's handler catches it), and checks that it returns 0
// within a few seconds and leaves no goroutine behind.
func TestLiveRunInterrupt(t *testing.T) {
	if os.Geteuid() != 0 {
		liveSkip(t, "capturing on lo needs root")
	}
	// A safety net: were run's handler not installed, SIGINT would kill
	// the test binary. The first Notify also starts os/signal's own
	// goroutine for good, so it is counted in the baseline.
	safety := make(chan os.Signal, 4)
	signal.Notify(safety, syscall.SIGINT)
	defer signal.Stop(safety)
	time.Sleep(50 * time.Millisecond)
	baseline := runtime.NumGoroutine()

	out, errb := newLines(), newLines()
	code := make(chan int, 1)
	go func() { code <- run([]string{"-i", "lo", "--json", "tcp port 7"}, nil, out, errb) }()
	exited := make(chan struct{})
	if !errb.waitFor(10*time.Second, exited, hasLine(`^tcpflow-fsm: listening on lo`)) {
		select {
		case c := <-code:
			t.Fatalf("run returned %d: %s", c, errb)
		default:
			t.Fatalf("run did not start listening in 10 s: %s", errb)
		}
	}
	time.Sleep(200 * time.Millisecond) // the handler comes after "listening on": TestLiveInterruptRightAfterListening
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("run returned %d, want 0; stderr:\n%s", c, errb)
		}
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("run did not return within 10 s of SIGINT; goroutines:\n%s", buf[:runtime.Stack(buf, true)])
	}
	outLines, _ := out.lines()
	o, err := parseLive(outLines)
	if err != nil || o.stats == nil || o.stats.Capture == nil {
		t.Errorf("no stats record with capture counters (%v):\n%s", err, out)
	}
	if !errb.has(counterLines[0]) {
		t.Errorf("no counters on stderr:\n%s", errb)
	}
	var now int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= baseline {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Errorf("%d goroutines 10 s after run returned, %d before: leak:\n%s", now, baseline, buf[:runtime.Stack(buf, true)])
}

// TestLiveNeedsPrivileges runs the tool as nobody: one line saying it needs
// root or CAP_NET_RAW and how to grant it with setcap, exit status 1.
func TestLiveNeedsPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		liveSkip(t, "needs root to drop to an unprivileged user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		liveSkip(t, "no setpriv (util-linux) to drop privileges")
	}
	tool, _ := liveBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", tool, "-i", "lo")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if strings.HasPrefix(stderr.String(), "setpriv:") {
		liveSkip(t, "setpriv cannot run the tool as nobody: %s", stderr.String())
	}
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	msg := stderr.String()
	if code != 1 || stdout.Len() != 0 {
		t.Errorf("as nobody: %v, exit %d, stdout %q; want exit 1 and no output", err, code, stdout.String())
	}
	if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "tcpflow-fsm: ") {
		t.Errorf("want exactly one line, got %q", msg)
	}
	for _, w := range []string{"root", "CAP_NET_RAW", "setcap"} {
		if !strings.Contains(msg, w) {
			t.Errorf("the message does not mention %s: %q", w, msg)
		}
	}
}

// TestLiveAlerts: in live text mode a finding prints as an alert line the
// moment it fires (a connect refused by the real kernel), and the Ctrl-C
// summary ends with the final states and the findings, as offline output
// does.
func TestLiveAlerts(t *testing.T) {
	ln := newLiveNet(t)
	tool := ln.startTool("portrange", "9100-9199")
	ln.play(scenarioByName("refused", 9103, 40103))
	alert := `^\d\d:\d\d:\d\d\.\d{6} ALERT refused \(warning\): 1 connection, conn 1 10\.98\.0\.1:40103 > 10\.98\.0\.2:9103$`
	if !tool.out.waitFor(10*time.Second, tool.done, hasLine(alert)) {
		t.Fatalf("no alert line for the refused connect within 10 s; stdout:\n%s", tool.out)
	}
	if !tool.out.has(`^    check: is the service running`) {
		t.Errorf("the alert says nothing to check:\n%s", tool.out)
	}
	tool.interrupt(t)
	for _, want := range []string{`^final states:$`, `^  client  CLOSED 1$`, `^findings:$`, `^  refused +warning +1  conns 1$`, `^capture: `} {
		if !tool.out.has(want) {
			t.Errorf("the summary at Ctrl-C has no line %q:\n%s", want, tool.out)
		}
	}
}

// TestLiveProblems: with --problems, the live view of real kernel traffic
// prints the refused connect (its RST, its summary, the alert) and nothing
// of a healthy connection but the count at the end.
func TestLiveProblems(t *testing.T) {
	ln := newLiveNet(t)
	tool := ln.startTool("--problems", "portrange", "9100-9199")
	ln.play(scenarioByName("established", 9111, 40111))
	ln.play(scenarioByName("refused", 9103, 40103))
	if !tool.out.waitFor(10*time.Second, tool.done, hasLine(`ALERT refused \(warning\)`)) {
		t.Fatalf("no alert for the refused connect within 10 s; stdout:\n%s", tool.out)
	}
	tool.interrupt(t)
	for _, want := range []string{`conn 2 client 10\.98\.0\.1:40103 +SYN-SENT -> CLOSED .*rcvd RST`, `^  not printed \(--problems\): [1-9][0-9]* state transitions?, the summaries of [0-9]+ healthy connections?$`} {
		if !tool.out.has(want) {
			t.Errorf("no line %q:\n%s", want, tool.out)
		}
	}
	if tool.out.has(`40111 .*->`) {
		t.Errorf("a transition of the healthy connection was printed:\n%s", tool.out)
	}
}

// TestLiveAlertsWhatLasts: a state that lasts is alerted on while it
// lasts, not at Ctrl-C: a real server left in CLOSE-WAIT by a half-close
// is named once it has been quiet for --stuck, with the client left in
// FIN-WAIT-2 waiting for it.
func TestLiveAlertsWhatLasts(t *testing.T) {
	ln := newLiveNet(t)
	tool := ln.startTool("--stuck", "1s", "portrange", "9100-9199")
	ln.play(scenarioByName("half-close", 9104, 40104))
	for _, code := range []string{"close_wait", "fin_wait_2"} {
		alert := `^\d\d:\d\d:\d\d\.\d{6} ALERT ` + code + ` \((warning|info)\): 1 connection, conn 1 10\.98\.0\.1:40104 > 10\.98\.0\.2:9104$`
		if !tool.out.waitFor(15*time.Second, tool.done, hasLine(alert)) {
			t.Fatalf("no %s alert before Ctrl-C; stdout:\n%s", code, tool.out)
		}
	}
	tool.interrupt(t)
	if !tool.out.has(`^  close_wait +warning +1  conns 1$`) {
		t.Errorf("the summary at Ctrl-C lists no close_wait:\n%s", tool.out)
	}
}

// TestLiveUnderTimeout: `timeout -s INT N tcpflow-fsm -i ...` prints the
// summary, also run in the background of a script, where the shell starts
// it with SIGINT ignored: the one SIGINT that timeout sends ends the
// capture with the final states, the findings and the counters.
func TestLiveUnderTimeout(t *testing.T) {
	if _, err := exec.LookPath("timeout"); err != nil {
		liveSkip(t, "needs timeout (coreutils)")
	}
	ln := newLiveNet(t)
	// The capture lasts until timeout's SIGINT, 6 s after it starts; the
	// connection is played as soon as it listens. In the background of sh
	// -c (no job control) the tool starts with SIGINT ignored.
	script := "timeout -s INT 6 " + ln.tool + " -i veth-b portrange 9100-9199 & wait $!"
	p := ln.start("timeout", ln.nsB, "sh", "-c", script)
	if !p.err.waitFor(10*time.Second, p.done, hasLine(`^tcpflow-fsm: listening on veth-b`)) {
		t.Fatalf("tcpflow-fsm did not say it was listening; stderr:\n%s", p.err)
	}
	ln.play(scenarioByName("refused", 9105, 40105))
	if !p.wait(20 * time.Second) {
		t.Fatalf("not ended 20 s after it started; stdout:\n%s", p.out)
	}
	for _, want := range []string{`^final states:$`, `^  client  CLOSED 1$`, `^  refused +warning +1  conns 1$`, `^capture: \d+ packets read`} {
		if !p.out.has(want) {
			t.Errorf("no line %q in the output after timeout's SIGINT:\n%s", want, p.out)
		}
	}
	if !p.err.has(counterLines[0]) {
		t.Errorf("no counters on stderr:\n%s", p.err)
	}
}

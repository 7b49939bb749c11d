package main

// Tests of --top and --problems in a real terminal: the tool runs inside
// a tmux pane of a fixed size, on real kernel traffic in network
// namespaces (live_test.go), keys are typed with tmux send-keys, and the
// screen tmux shows is compared, with what varies from run to run masked,
// with a golden screen in testdata/live. After a deliberate change: go
// test ./cmd/tcpflow-fsm -run 'TestLiveTop|TestLiveProblemsScreen'
// -update (as root), and read the diff.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

// liveGoldenDir holds the golden screens of the live tests.
const liveGoldenDir = "../../testdata/live"

// pane is a tmux session of its own server, running one command.
type pane struct {
	t    *testing.T
	ctx  context.Context
	sock string
}

// newPane runs sh -c script in a detached tmux session of cols×rows on
// a tmux server of its own, killed at cleanup. The script should end in
// exec sleep, so that the pane stays for the test to read.
func newPane(t *testing.T, ctx context.Context, cols, rows int, script string) *pane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		liveSkip(t, "the terminal tests need tmux (Debian: apt-get install tmux)")
	}
	p := &pane{t: t, ctx: ctx, sock: filepath.Join(t.TempDir(), "tmux")}
	cmd := exec.CommandContext(ctx, "tmux", "-S", p.sock, "-f", "/dev/null", "new-session", "-d",
		"-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows), "-s", "t", "sh", "-c", script)
	// The server and the pane's processes inherit this environment: a
	// -race binary's exit without its 1 s sleep (as startWith), a locale
	// and terminal of their own.
	cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"), "LANG=C.UTF-8", "TZ=UTC")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })
	return p
}

func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.CommandContext(p.ctx, "tmux", append([]string{"-S", p.sock}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is what the pane shows now, line by line, trailing blanks cut.
func (p *pane) screen() string { return trimScreen(p.tmux("capture-pane", "-p", "-t", "t")) }

// history is the pane's normal screen and what scrolled off it, wrapped
// lines joined.
func (p *pane) history() string {
	return trimScreen(p.tmux("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "t"))
}

func trimScreen(s string) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(ls, "\n"), "\n") + "\n"
}

// keys types keys into the pane (tmux key names: q, Space, C-c).
func (p *pane) keys(k ...string) { p.tmux(append([]string{"send-keys", "-t", "t"}, k...)...) }

// flag is one of tmux's formats about the pane: alternate_on (1 while
// the alternate screen is shown), cursor_flag (1 while the cursor is).
func (p *pane) flag(name string) string {
	return strings.TrimSpace(p.tmux("display-message", "-p", "-t", "t", "#{"+name+"}"))
}

// waitScreen polls the pane (through get: screen or history) until cond
// holds for what get returns, at most timeout; it returns the last
// result and whether cond held.
func (p *pane) waitScreen(timeout time.Duration, get func() string, cond func(string) bool) (string, bool) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := get()
		if cond(s) {
			return s, true
		}
		if time.Now().After(deadline) {
			return s, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGolden waits until the masked screen equals the golden file; with
// -update, until ready holds, and writes it.
func (p *pane) waitGolden(golden string, get func() string, mask func(string) string, ready func(string) bool) string {
	p.t.Helper()
	golden = filepath.Join(liveGoldenDir, golden)
	if *update {
		s, ok := p.waitScreen(15*time.Second, get, ready)
		if !ok {
			p.t.Fatalf("the screen never got ready for %s:\n%s", golden, s)
		}
		checkGolden(p.t, golden, []byte(mask(s)))
		return s
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		p.t.Fatalf("%v (run with -update to create it)", err)
	}
	s, ok := p.waitScreen(15*time.Second, get, func(s string) bool { return mask(s) == string(want) })
	if !ok {
		p.t.Fatalf("the screen does not become %s; masked:\n%s\nas shown:\n%s", golden, mask(s), s)
	}
	return s
}

// Masks for what varies from run to run.
var (
	topClock   = regexp.MustCompile(`\d\d:\d\d:\d\d$`)
	topPackets = regexp.MustCompile(`^\d+ packets`)
	topAge     = regexp.MustCompile(`\b\d+(\.\d)?[smhd](\d\d)?\b`)
	topNumber  = regexp.MustCompile(`[0-9][0-9.]*(k|M)?(us|ms|s)?`)
)

// maskTop masks, on the --top screen, the clock, the packets read, the
// ages, and the rates and handshake times (each number's cell keeps its
// width, right-aligned, as "#"): what the kernel's timing decides.
func maskTop(s string) string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		switch {
		case i == 0:
			l = topClock.ReplaceAllString(l, "HH:MM:SS")
		case i == 1:
			l = topPackets.ReplaceAllString(l, "N packets")
		case strings.HasPrefix(l, "10.98."):
			// The states: counts kept, ages masked.
			l = topAge.ReplaceAllStringFunc(l, func(a string) string { return strings.Repeat(" ", len(a)-1) + "T" })
		case strings.HasPrefix(l, strings.Repeat(" ", 21)) && !strings.Contains(l, "open/s"):
			l = topNumber.ReplaceAllStringFunc(l, func(n string) string { return strings.Repeat(" ", len(n)-1) + "#" })
		}
		ls[i] = l
	}
	return strings.Join(ls, "\n")
}

// topRows says whether the screen shows the three servers of
// TestLiveTop with the states their connections are left in, and the
// refused connect's finding.
func topRows(s string) bool {
	for _, re := range []string{
		`(?m)^WARNING  refused +1  latest 10\.98\.0\.2:9103$`,
		`(?m)^10\.98\.0\.2:9103 +1 +0 +0 +0 +0 +- +0 +- +0 +-$`,
		`(?m)^10\.98\.0\.2:9111 +1 +1 +0 +0 +0 +- +0 +- +0 +-$`,
		`(?m)^10\.98\.0\.2:9112 +1 +0 +0 +0 +0 +- +1 +\S+ +1 +\S+$`,
	} {
		if !regexp.MustCompile(re).MatchString(s) {
			return false
		}
	}
	return true
}

// TestLiveTop runs --top in an 80×24 terminal while the kernel makes an
// established connection, a half-closed one (the server in CLOSE-WAIT,
// the client in FIN-WAIT-2) and a refused connect: the screen shows a row
// for each server with its states and the refused finding (compared with
// top.screen.golden); p pauses the refresh (the screen frozen while a
// fourth connection is made, which shows once resumed: the capture went
// on); s changes the order; q gives the terminal back (the normal screen,
// the cursor, the terminal's modes as they were) and prints the summary
// there (top-summary.golden), exit status 0 as after Ctrl-C.
func TestLiveTop(t *testing.T) {
	ln := newLiveNet(t)
	dir := t.TempDir()
	// --stuck 1h: the half-closed connection's close_wait and fin_wait_2,
	// with their ages, would depend on how long the test takes.
	script := fmt.Sprintf(`stty -g >%[1]s/before; ip netns exec %[2]s %[3]s -i veth-b --top --stuck 1h portrange 9100-9199; echo "tcpflow-fsm exited $?"; stty -g >%[1]s/after; exec sleep 600`,
		dir, ln.nsB, ln.tool)
	p := newPane(t, ln.ctx, 80, 24, script)
	if s, ok := p.waitScreen(10*time.Second, p.screen, func(s string) bool {
		return strings.HasPrefix(s, "tcpflow-fsm --top  veth-b: portrange 9100-9199") && strings.Contains(s, "\nno findings\n")
	}); !ok {
		t.Fatalf("no --top screen within 10 s:\n%s", s)
	}
	if p.flag("alternate_on") != "1" || p.flag("cursor_flag") != "0" {
		t.Errorf("while --top runs: alternate screen %s, cursor %s; want 1, 0", p.flag("alternate_on"), p.flag("cursor_flag"))
	}

	ln.play(scenarioByName("established", 9111, 40111))
	ln.play(scenarioByName("half-close", 9112, 40112))
	ln.play(scenarioByName("refused", 9103, 40103))
	running := p.waitGolden("top.screen.golden", p.screen, maskTop, topRows)

	// Paused: the screen stays as it was while a fourth connection is
	// made and two refreshes go by.
	p.keys("p")
	paused, ok := p.waitScreen(5*time.Second, p.screen, func(s string) bool { return strings.Contains(s, "PAUSED") })
	if !ok || !strings.Contains(paused, "\nq quit  p resume  s sort  h help") {
		t.Fatalf("p: no PAUSED:\n%s", paused)
	}
	if !topRows(paused) {
		t.Errorf("p changed more than the markers:\n%s\nbefore:\n%s", paused, running)
	}
	ln.play(scenarioByName("established", 9113, 40113))
	for until := time.Now().Add(2200 * time.Millisecond); time.Now().Before(until); time.Sleep(100 * time.Millisecond) {
		if s := p.screen(); s != paused {
			t.Fatalf("the screen changed while paused:\n%s\npaused:\n%s", s, paused)
		}
	}
	p.keys("Space")
	if s, ok := p.waitScreen(5*time.Second, p.screen, func(s string) bool {
		return !strings.Contains(s, "PAUSED") && regexp.MustCompile(`(?m)^10\.98\.0\.2:9113 +1 +1 `).MatchString(s)
	}); !ok {
		t.Fatalf("resumed, the screen does not show the connection made while paused:\n%s", s)
	}

	p.keys("s")
	if s, ok := p.waitScreen(5*time.Second, p.screen, func(s string) bool { return strings.Contains(s, "; sort: open/s\n") }); !ok {
		t.Errorf("s: the order shown did not change:\n%s", s)
	}
	p.keys("h")
	if s, ok := p.waitScreen(5*time.Second, p.screen, func(s string) bool { return strings.Contains(s, "\n  SYN-S  SYN-SENT ") }); !ok {
		t.Errorf("h: no help:\n%s", s)
	}
	p.keys("h")

	p.keys("q")
	hist := p.waitGolden("top-summary.golden", p.history, maskSummary, func(s string) bool {
		return strings.Contains(s, "\ntcpflow-fsm exited ")
	})
	if !strings.Contains(hist, "\ntcpflow-fsm exited 0\n") {
		t.Errorf("q: not exit status 0:\n%s", hist)
	}
	if strings.Contains(hist, "--top") || strings.Contains(hist, "DATA RACE") {
		t.Errorf("the normal screen has the view or a race on it:\n%s", hist)
	}
	if p.flag("alternate_on") != "0" || p.flag("cursor_flag") != "1" {
		t.Errorf("after q: alternate screen %s, cursor %s; want 0, 1", p.flag("alternate_on"), p.flag("cursor_flag"))
	}
	before, err1 := os.ReadFile(filepath.Join(dir, "before"))
	after, err2 := os.ReadFile(filepath.Join(dir, "after"))
	if err1 != nil || err2 != nil || len(before) == 0 || !bytes.Equal(before, after) {
		t.Errorf("the terminal's modes were not given back: stty -g %q before, %q after (%v, %v)", before, after, err1, err2)
	}
}

// Masks of the summary and of the live text view.
var (
	summaryCounts = regexp.MustCompile(`^(capture: )\d+ packets read, \d+ TCP segments`)
	pcapCounter   = regexp.MustCompile(`^\d+ (packets (captured|received by filter))$`)
	liveClock     = regexp.MustCompile(`\d\d:\d\d:\d\d\.\d{6}`)
	liveDate      = regexp.MustCompile(`^capture from \d{4}-\d\d-\d\d, times in UTC$`)
	liveDuration  = regexp.MustCompile(`\b\d+(?:\.\d+)?ms\b|\b\d+\.\d+s\b`)
)

// maskSummary masks the packet counts, which a stray retransmission
// changes, and libpcap's; no packet may be dropped.
func maskSummary(s string) string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		l = summaryCounts.ReplaceAllString(l, "${1}N packets read, N TCP segments")
		ls[i] = pcapCounter.ReplaceAllString(l, "N $1")
	}
	return strings.Join(ls, "\n")
}

// maskStream masks, on the live text view, the clock, the date, the
// durations (each as D) and the packet counts.
func maskStream(s string) string {
	ls := strings.Split(maskSummary(s), "\n")
	for i, l := range ls {
		l = liveDate.ReplaceAllString(l, "capture from YYYY-MM-DD, times in UTC")
		l = liveClock.ReplaceAllString(l, "HH:MM:SS.ssssss")
		// Their width changes with their value: "0.012ms", "16.5ms".
		ls[i] = liveDuration.ReplaceAllString(l, "D")
	}
	return strings.Join(ls, "\n")
}

// TestLiveProblemsScreen runs --problems in a 100×30 terminal while the
// kernel makes a healthy connection and a refused connect, waits for the
// refused one to end, types Ctrl-C, and compares the screen (wrapped
// lines joined) with problems.screen.golden: the refused connect's RST,
// its alert, its summary line; nothing of the healthy connection but
// the count; the summary of the Ctrl-C; exit status 0.
func TestLiveProblemsScreen(t *testing.T) {
	ln := newLiveNet(t)
	// The shell catches SIGINT (the tool gets it at its default), so
	// that Ctrl-C, which the terminal sends to both, stops only the tool.
	script := fmt.Sprintf(`trap : INT; ip netns exec %s %s -i veth-b --problems portrange 9100-9199; echo "tcpflow-fsm exited $?"; exec sleep 600`, ln.nsB, ln.tool)
	p := newPane(t, ln.ctx, 100, 30, script)
	if s, ok := p.waitScreen(10*time.Second, p.screen, func(s string) bool { return strings.Contains(s, "listening on veth-b") }); !ok {
		t.Fatalf("not listening within 10 s:\n%s", s)
	}
	ln.play(scenarioByName("established", 9111, 40111))
	ln.play(scenarioByName("refused", 9103, 40103))
	// The refused connect's summary line comes when it is released, 5 s
	// after its RST: then nothing changes until Ctrl-C.
	if s, ok := p.waitScreen(15*time.Second, p.screen, func(s string) bool { return strings.Contains(s, " conn 2 ended (closed): ") }); !ok {
		t.Fatalf("no summary line of the refused connect:\n%s", s)
	}
	p.keys("C-c")
	hist := p.waitGolden("problems.screen.golden", p.history, maskStream, func(s string) bool {
		return strings.Contains(s, "\ntcpflow-fsm exited ")
	})
	if !strings.Contains(hist, "\ntcpflow-fsm exited 0\n") {
		t.Errorf("Ctrl-C: not exit status 0:\n%s", hist)
	}
}

// TestTopNeedsTerminal: where standard output is not a terminal, --top
// says so in one line and exits 2 before it opens the capture (an
// interface that does not exist would exit 1 after).
func TestTopNeedsTerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	var buf bytes.Buffer
	for _, stdout := range []interface {
		Write([]byte) (int, error)
	}{&buf, devNull} {
		var stderr bytes.Buffer
		code := run([]string{"-i", "tfsm-no-such0", "--top"}, nil, stdout, &stderr)
		msg := stderr.String()
		if code != exitUsage || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "tcpflow-fsm: --top ") ||
			!strings.Contains(msg, "needs a terminal") {
			t.Errorf("stdout %T: exit %d, stderr %q; want exit 2 and one line saying --top needs a terminal", stdout, code, msg)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("something on stdout: %q", buf.String())
	}
}

// BenchmarkTopTick measures --top's refresh with 10,000 and 300,000 (the
// default --max-conns) connections tracked, open, to 3,000 server
// endpoints: the time of one Tick (a pass over the table, the rows, the
// findings), reported as ns/op, and of drawing the 80×24 screen from its
// frame (ns/draw); and the heap held for each connection, the view's own
// included, against the 864 bytes of the live text stream
// (BenchmarkLiveHeldConnections).
//
//	go test -run '^$' -bench TopTick -benchtime 20x ./cmd/tcpflow-fsm
func BenchmarkTopTick(b *testing.B) {
	for _, conns := range []int{10_000, 300_000} {
		b.Run(fmt.Sprint(conns), func(b *testing.B) { benchmarkTopTick(b, conns, 3_000) })
	}
}

func benchmarkTopTick(b *testing.B, conns, servers int) {
	t0 := fsm.TimeOf(time.Unix(1700000000, 0))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	top := report.NewTop(io.Discard)
	o := &options{timeWait: fsm.DefaultTimeWait, maxConns: defaultMaxConns, timelineMax: defaultTimelineMax}
	table := flow.NewTable(liveConfig(o), &tallySink{out: top})
	at := t0
	add := func(src, dst netip.AddrPort, flags fsm.Flags, seq, ack uint32) {
		at = at.Add(time.Microsecond)
		table.Add(&fsm.Segment{Time: at, Src: src, Dst: dst, Flags: flags, Seq: fsm.Seq(seq), Ack: fsm.Seq(ack), Window: 65535})
	}
	for i := range conns {
		client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		server := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, byte(i % servers >> 8), byte(i % servers)}), 80)
		iss, irs := uint32(i)*7919, uint32(i)*104729
		add(client, server, fsm.SYN, iss, 0)
		add(server, client, fsm.SYN|fsm.ACK, irs, iss+1)
		add(client, server, fsm.ACK, iss+1, irs+1)
	}
	now := at
	f := top.Tick(now, table.Each, report.TopStatus{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if table.Open() != conns || f.Tracked != conns || len(f.Rows) != min(servers, conns) {
		b.Fatalf("%d connections tracked, %d in the frame, %d rows; want %d, %d, %d", table.Open(), f.Tracked, len(f.Rows), conns, conns, min(servers, conns))
	}
	held := float64(after.HeapAlloc-before.HeapAlloc) / float64(conns)
	v := report.TopView{Width: 80, Height: 24, Loc: time.UTC}
	var draw time.Duration
	b.ResetTimer()
	for range b.N {
		now = now.Add(time.Second)
		f = top.Tick(now, table.Each, report.TopStatus{})
		start := time.Now()
		f.Lines(&v)
		draw += time.Since(start)
	}
	b.ReportMetric(held, "B/conn")
	b.ReportMetric(float64(draw)/float64(b.N), "ns/draw")
	runtime.KeepAlive(table)
}

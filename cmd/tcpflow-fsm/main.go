// Command tcpflow-fsm shows what TCP is doing on the wire, connection by
// connection, in the words of RFC 9293: each endpoint's state transitions,
// and the segments that break the RFC's rules. It reads capture files, or
// captures live through libpcap.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/spf13/pflag"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/flow/findings"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

func main() {
	stop := startProfiles(os.Stderr)
	status := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(status)
}

const usage = `usage: tcpflow-fsm -r FILE [options] [filter words...]
       tcpflow-fsm -i IFACE [options] [filter words...]
       tcpflow-fsm -D
       tcpflow-fsm fsm-table
       tcpflow-fsm fsm-dot [--svg] [-r FILE]

Follows every TCP connection through the RFC 9293 state machine, for both
endpoints, and shows each endpoint's state transitions and the segments
that break the RFC. Trailing words are a tcpdump filter (libpcap syntax).

Reading a capture (-r) prints each connection's timeline, a summary line per
connection and the capture counters. Capturing live (-i) prints each
transition and violation the moment it happens, a connection's summary when
it ends, and on Ctrl-C the connections still open and libpcap's counters.

Examples:
  tcpflow-fsm -i any port 9000                  watch connections to port 9000 live
  tcpflow-fsm -i eth0 -w incident.pcap port 443 watch, and save the packets
  tcpflow-fsm -i any --stats 5s port 5432       also count states every 5 s
  tcpflow-fsm -r incident.pcap                  timelines, summary, counters
  tcpflow-fsm -r incident.pcap --summary        the table of connections and the findings
  tcpflow-fsm -r incident.pcap port 9000        only traffic matching the filter
  tcpflow-fsm -r incident.pcapng --json | jq .  the same as NDJSON records
  tcpflow-fsm -r handshake.pcap --ladder        the exchange drawn as RFC 9293's figures
  tcpflow-fsm -r x.pcap --summary --html x.html also a report to open in a browser, offline
  tcpflow-fsm -r x.pcap --zeek-log conn.log     also write Zeek's conn.log (zeek-cut reads it)
  tcpflow-fsm -r x.pcap --ladder --conn 1 --svg connection 1's ladder as SVG, for slides
  tcpdump -i any -w - port 80 | tcpflow-fsm -r -
  tcpflow-fsm fsm-table                         the state machine's transition table
  tcpflow-fsm fsm-dot -r x.pcap | dot -Tsvg     the state diagram, edges counted in x.pcap
  tcpflow-fsm fsm-dot --svg > fsm.svg           the same drawn as SVG without Graphviz

Options:
`

// Exit statuses.
const (
	exitOK    = 0
	exitInput = 1 // the capture could not be opened, read to its end, or went away
	exitUsage = 2 // bad flags or filter
)

// options are the parsed flags.
type options struct {
	file, iface, direction, write string
	html                          string
	list, noPromisc, asJSON       bool
	problems, top                 bool
	verifySums, ladder, ascii     bool
	explain, summary, svg         bool
	conns                         []int
	count, snaplen, bufferKiB     int
	maxConns, timelineMax, pileUp int
	workers                       int
	timeWait, idleTimeout, stats  time.Duration
	stuck, stall                  time.Duration
	idleSet                       bool
	filter                        string
	zeekLog                       string
}

// run is the whole command, testable: it reads args, writes to stdout and
// stderr, and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "fsm-dot" {
		return fsmDot(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "fsm-table" {
		if len(args) > 1 {
			fmt.Fprintln(stderr, "tcpflow-fsm: fsm-table takes no arguments")
			return exitUsage
		}
		if err := report.WriteTable(stdout); err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
			return exitInput
		}
		return exitOK
	}
	o := options{direction: "inout"}
	fs := pflag.NewFlagSet("tcpflow-fsm", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.StringVarP(&o.file, "read", "r", "", "read packets from `FILE` (pcap or pcapng; - for standard input)")
	fs.StringVarP(&o.iface, "interface", "i", "", "capture live on `IFACE` (any, lo, eth0, ...)")
	fs.BoolVarP(&o.list, "list-interfaces", "D", false, "list the interfaces a live capture can use")
	fs.IntVarP(&o.count, "count", "c", 0, "stop after `N` packets")
	fs.IntVarP(&o.snaplen, "snapshot-length", "s", 262144, "live: keep `SNAPLEN` bytes of each packet")
	fs.IntVarP(&o.bufferKiB, "buffer-size", "B", 32768, "live: kernel capture buffer of `SIZE` KiB")
	fs.BoolVarP(&o.noPromisc, "no-promiscuous-mode", "p", false, "live: do not put the interface in promiscuous mode")
	fs.VarP(&choice{&o.direction, []string{"in", "out", "inout"}}, "direction", "Q", "live: capture the packets the interface receives (in), sends (out) or both")
	fs.StringVarP(&o.write, "write", "w", "", "live: also save the raw packets to `FILE` (pcap), to analyse again with -r")
	fs.BoolVar(&o.asJSON, "json", false, "write NDJSON records instead of text")
	fs.BoolVar(&o.summary, "summary", false, "only the connection table, final states, findings and counters: no timelines")
	fs.BoolVar(&o.ladder, "ladder", false, "draw each connection as a ladder diagram in RFC 9293's figure notation")
	fs.IntSliceVar(&o.conns, "conn", nil, "with --ladder: only connection `N` (repeat or comma-separate for more)")
	fs.StringVar(&o.html, "html", "", "with -r: also write a self-contained HTML report to `FILE`: overview, connection table, and per connection a ladder, time-sequence graph, state timeline and state diagram")
	fs.StringVar(&o.zeekLog, "zeek-log", "", "with -r: also write every TCP connection to `FILE` as Zeek's conn.log (ASCII, as zeek-cut reads it)")
	fs.BoolVar(&o.svg, "svg", false, "with --ladder and one --conn N: draw that connection's ladder as SVG")
	fs.BoolVar(&o.ascii, "ascii", false, "draw with plain ASCII instead of Unicode box drawing")
	fs.BoolVar(&o.problems, "problems", false, "live: print only what is not normal (violations, alerts, resets, refused and unanswered connects, retransmissions, zero windows, connections left in a closing state); count the rest")
	fs.BoolVar(&o.top, "top", false, "live: a full-screen view on a terminal, refreshed every second: the findings, and a row per server endpoint with its connections' states, rates and handshake times; keys q (quit, printing the summary), p (pause), s (sort), h (help)")
	fs.BoolVar(&o.explain, "explain", false, "teaching mode: say why the RFC makes each transition and violation")
	fs.IntVar(&o.maxConns, "max-conns", defaultMaxConns, "track at most `N` connections at once; past that the longest idle is evicted (0: no bound)")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "read a file on `N` cores: connections are shared out by 4-tuple; the output is the same")
	fs.IntVar(&o.pileUp, "pileup", findings.DefaultPileUp, "report time_wait when `N` endpoints of one host or more are in TIME-WAIT toward one server port")
	fs.DurationVar(&o.stuck, "stuck", findings.DefaultStuck, "report close_wait and fin_wait_2 for endpoints quiet in that state for `DURATION` or more at the end (at most 24h); live, also how long a SYN unanswered, a handshake not completed or a silent peer must last before an alert")
	fs.DurationVar(&o.stall, "stall", findings.DefaultStall, "report zero_window when a receiver's window stays zero for `DURATION` or more (at most 24h)")
	fs.IntVar(&o.timelineMax, "timeline-max", defaultTimelineMax, "keep at most `N` segments of a connection's timeline, and N of its events; the rest are counted (0: all)")
	fs.BoolVar(&o.verifySums, "verify-checksums", false, "check TCP checksums and report bad ones (off: offload makes sent packets look bad)")
	fs.DurationVar(&o.timeWait, "time-wait", fsm.DefaultTimeWait, "an endpoint stays `DURATION` in TIME-WAIT (2MSL) before it is CLOSED (above 0, at most 24h)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "release a connection idle for `DURATION` (0: never, the default: quiet connections are kept, bounded by --max-conns; at most 168h)")
	fs.DurationVar(&o.stats, "stats", 0, "live: every `INTERVAL` (e.g. 5s, from 10ms to 24h), print how many connections are in each state")
	help := fs.BoolP("help", "h", false, "show this help")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "tcpflow-fsm: %s\n", flagError(err))
		return exitUsage
	}
	if *help {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, usage)
		fs.PrintDefaults()
		return exitOK
	}
	o.idleSet = fs.Changed("idle-timeout")
	if o.file == "" && o.iface == "" && !o.list && fs.NArg() > 0 {
		// Without -r, -i or -D a first word is a command, not a filter.
		fmt.Fprintf(stderr, "tcpflow-fsm: %s\n", unknownCommand(fs.Arg(0)))
		return exitUsage
	}
	o.filter = strings.Join(fs.Args(), " ")
	if msg := o.check(); msg != "" {
		fmt.Fprintf(stderr, "tcpflow-fsm: %s\n", msg)
		return exitUsage
	}
	if o.top {
		// Before the capture is opened: nothing to undo.
		if msg := topTerminal(stdout); msg != "" {
			fmt.Fprintf(stderr, "tcpflow-fsm: %s\n", msg)
			return exitUsage
		}
	}
	tuneGC(&o)
	switch {
	case o.list:
		return listInterfaces(stdout, stderr)
	case o.iface != "":
		return live(&o, stdout, stderr)
	}
	return offline(&o, stdin, stdout, stderr)
}

// check returns what is wrong with the flags, or "".
func (o *options) check() string {
	for _, n := range o.conns {
		if n < 1 {
			return fmt.Sprintf("--conn %d: connections are numbered from 1", n)
		}
	}
	modes := 0
	for _, set := range []bool{o.file != "", o.iface != "", o.list} {
		if set {
			modes++
		}
	}
	switch {
	case modes == 0:
		return "nothing to do: give -r FILE or -i IFACE (see --help)"
	case modes > 1:
		return "-r, -i and -D go alone: give one of them"
	case o.timeWait <= 0 || o.timeWait > maxTimeWait:
		return "--time-wait takes a duration above 0 and at most 24h"
	case o.idleTimeout < 0 || o.idleTimeout > maxIdleTimeout:
		return "--idle-timeout takes a duration from 0 to 168h (a week)"
	case o.count < 0:
		return "-c must be positive"
	case o.workers < 1:
		return "--workers takes at least 1"
	case o.maxConns < 0 || o.timelineMax < 0:
		return "--max-conns and --timeline-max cannot be negative"
	case o.pileUp < 1:
		return "--pileup takes at least 1"
	case o.stuck < 0 || o.stuck > maxTimeWait:
		return "--stuck takes a duration from 0s to 24h"
	case o.stall < 0 || o.stall > maxTimeWait:
		return "--stall takes a duration from 0s to 24h"
	case o.stats < 0 || (o.stats > 0 && o.stats < 10*time.Millisecond) || o.stats > maxStats:
		return "--stats takes an interval from 10ms to 24h"
	case o.zeekLog != "" && o.file == "":
		return "--zeek-log writes a capture file's connections: it goes with -r"
	case o.write != "" && o.iface == "":
		return "-w saves a live capture: it goes with -i"
	case o.top && o.iface == "":
		return "--top is a live view: it goes with -i"
	case o.top && (o.asJSON || o.problems || o.stats > 0 || o.explain):
		return "--top draws its own screen: not with --json, --problems, --stats or --explain"
	case o.problems && (o.iface == "" || o.asJSON):
		return "--problems filters the live text view: it goes with -i, without --json"
	case o.stats > 0 && o.iface == "":
		return "--stats counts states during a live capture: it goes with -i"
	case o.svg && (o.file == "" || !o.ladder || len(o.conns) != 1 || o.asJSON || o.summary):
		return "--svg draws one connection's ladder: it goes with --ladder and one --conn N"
	case o.ladder && (o.iface != "" || o.asJSON):
		return "--ladder draws a capture file's connections: it goes with -r, without --json"
	case o.summary && o.iface != "":
		return "--summary reads a capture file (-r); live capture streams transitions and a summary line per connection"
	case o.html != "" && o.file == "":
		return "--html writes a report of a capture file: it goes with -r"
	case o.summary && (o.ladder || o.asJSON):
		return "--summary is a text report: not with --ladder or --json"
	case len(o.conns) > 0 && !o.ladder:
		return "--conn picks connections for --ladder"
	case o.snaplen <= 0 || o.bufferKiB <= 0:
		return "-s and -B must be positive"
	}
	return ""
}

// The longest durations the flags take: longer than any real use, short
// enough that no time the timers add them to can leave the range of
// int64 nanoseconds (years 1678 to 2262) but by the timestamps themselves.
const (
	maxTimeWait    = 24 * time.Hour
	maxIdleTimeout = 7 * 24 * time.Hour
	maxStats       = 24 * time.Hour
)

// commands are the words that name a command, given first.
var commands = []string{"fsm-table", "fsm-dot"}

// unknownCommand says that word is no command, and which one it may be a
// typing error for.
func unknownCommand(word string) string {
	msg := fmt.Sprintf("unknown command %q", word)
	for _, c := range commands {
		if editDistance(word, c) <= 2 {
			return msg + fmt.Sprintf(": did you mean %s?", c)
		}
	}
	return msg + ": the commands are " + strings.Join(commands, " and ") +
		"; a filter goes after -r FILE or -i IFACE (see --help)"
}

// editDistance is the optimal string alignment distance between a and b:
// the insertions, deletions, substitutions and transpositions of adjacent
// bytes that make one of the other ("fsm-tabel" is 1 from "fsm-table").
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows kept.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// choice is a string flag that takes one of a few words; --help shows
// them as its placeholder ("in|out|inout").
type choice struct {
	v     *string
	words []string
}

func (c *choice) String() string { return *c.v }
func (c *choice) Type() string   { return strings.Join(c.words, "|") }

func (c *choice) Set(s string) error {
	if !slices.Contains(c.words, s) {
		return fmt.Errorf("must be %s or %s", strings.Join(c.words[:len(c.words)-1], ", "), c.words[len(c.words)-1])
	}
	*c.v = s
	return nil
}

// numberOf names what each integer flag counts, for flagError.
var numberOf = map[string]string{
	"count":           "a number of packets",
	"snapshot-length": "a number of bytes",
	"buffer-size":     "a size in KiB",
	"max-conns":       "a number of connections",
	"workers":         "a number of cores",
	"timeline-max":    "a number of segments",
	"pileup":          "a number of endpoints",
	"conn":            "a connection number",
}

// flagError is the message for a flag parse error: pflag's own, but for a
// value a flag cannot take, where pflag quotes strconv or time ("strconv.Atoi:
// parsing \"abc\": invalid syntax"), it says what the flag takes.
func flagError(err error) string {
	var ve *pflag.InvalidValueError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	f := ve.GetFlag()
	why := errors.Unwrap(err).Error()
	switch {
	case f.Value.Type() == "duration":
		why = "not a duration (e.g. 500ms, 90s, 5m)"
	case numberOf[f.Name] != "" && errors.Is(err, strconv.ErrRange):
		why = "out of range"
	case numberOf[f.Name] != "":
		why = "not " + numberOf[f.Name]
	}
	name := "--" + f.Name
	if f.Shorthand != "" {
		name = "-" + f.Shorthand + ", " + name
	}
	return fmt.Sprintf("invalid argument %q for %q: %s", ve.GetValue(), name, why)
}

// Defaults that protect the machine. With 300,000 tracked connections
// the tool stays under 1 GiB in every output mode whatever the traffic: a
// flood of three million SYNs, which keeps the table full and evicting,
// peaks near 1 GiB at 400,000 in text mode (docs/PERFORMANCE.md, "The
// default bound"; make bench-hostile checks it). Ten thousand timeline
// segments a connection keep a long transfer's timeline readable.
const (
	defaultMaxConns    = 300_000
	defaultTimelineMax = 10_000
)

// snaplen is the capture length filters on files are compiled for: large
// enough for any packet a file may hold.
const snaplen = 262144

// renderer is what the report package's renderers have in common.
type renderer interface {
	flow.Sink
	Close(*report.Totals) error
}

// totals gathers the counters printed last.
func totals(read, filtered uint64, dec *capture.Decoder, ts flow.Stats) report.Totals {
	st := dec.Stats()
	tot := report.Totals{Packets: read, TCP: st.TCP, Filtered: filtered,
		Connections: ts.Connections, Evicted: ts.Evicted, Duplicates: ts.Duplicates, Early: ts.Early}
	for _, c := range st.Counters() {
		if c.Group != "total" {
			tot.Counters = append(tot.Counters, report.Counter{Group: c.Group, Name: c.Name, Count: c.Count})
		}
	}
	if ts.ClockJumps > 0 {
		// Timestamps the timers' clock would not follow (flow.Stats.ClockJumps).
		tot.Counters = append(tot.Counters, report.Counter{Group: "note", Name: "clock_jump", Count: uint64(ts.ClockJumps)})
	}
	return tot
}

// offline reads one capture file and renders it as the flags ask.
func offline(o *options, stdin io.Reader, stdout, stderr io.Writer) int {
	files, err := o.createFiles()
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
		return exitInput
	}
	for _, f := range files {
		defer f.abandon()
	}
	var out renderer
	switch {
	case o.asJSON:
		js := report.NewJSON(stdout)
		js.SetThresholds(o.thresholds())
		out = js
	case o.ladder:
		lad := &connCount{renderer: report.NewLadder(stdout, o.ascii || !utf8Terminal(), o.conns)}
		if o.svg {
			lad.renderer = report.NewLadderSVG(stdout, o.conns[0])
		}
		status := analyse(o, stdin, withFiles(lad, files), stderr)
		if msg := missingConns(o.conns, lad.n); status == exitOK && msg != "" {
			fmt.Fprintf(stderr, "tcpflow-fsm: %s\n", msg)
			return exitUsage
		}
		return status
	default:
		tx := report.NewText(stdout, !o.summary)
		tx.SetThresholds(o.thresholds())
		tx.Explain = o.explain
		tx.Color = colorFor(stdout)
		out = tx
	}
	return analyse(o, stdin, withFiles(out, files), stderr)
}

// thresholds are the counts from which findings fire, as the flags set them.
func (o *options) thresholds() findings.Thresholds {
	return findings.Thresholds{PileUp: o.pileUp, Stuck: o.stuck, Stall: o.stall}
}

// connCount is a renderer that keeps the number of connections it was
// closed with: connections are numbered 1 to n.
type connCount struct {
	renderer
	n int
}

func (c *connCount) Close(t *report.Totals) error {
	c.n = t.Connections
	return c.renderer.Close(t)
}

// missingConns says which of the connections --conn asked for a capture of
// n connections does not have, or "".
func missingConns(asked []int, n int) string {
	var missing []string
	for _, id := range slices.Compact(slices.Sorted(slices.Values(asked))) {
		if id > n {
			missing = append(missing, strconv.Itoa(id))
		}
	}
	if len(missing) == 0 {
		return ""
	}
	has := "none"
	switch {
	case n == 1:
		has = "1 connection"
	case n > 1:
		has = strconv.Itoa(n) + " connections"
	}
	if len(missing) == 1 {
		return fmt.Sprintf("no connection %s in the capture (it has %s)", missing[0], has)
	}
	return fmt.Sprintf("no connections %s in the capture (it has %s)", strings.Join(missing, ", "), has)
}

// analyse reads one capture file through the pipeline capture → flow →
// fsm → report, into out. Everything read before an error is analysed and
// reported.
func analyse(o *options, stdin io.Reader, out renderer, stderr io.Writer) int {
	var (
		rd  *capture.Reader
		err error
	)
	// The first SIGINT or SIGTERM stops the reading, and what was read is
	// analysed and reported, as live capture does; the exit status is then
	// the signal's. A regular file stops at once. A pipe (standard input,
	// a FIFO) is read on for a moment, until its end or drainTime, so that
	// the last packets a producer interrupted by the same Ctrl-C flushes
	// (tcpdump -w - | ...) are not lost; a read blocked on it is cut off
	// by a deadline.
	stop := newStopper()
	defer stop.stop()
	var (
		in   = stdin
		name = "standard input"
	)
	if o.file != "-" {
		f, err := os.Open(o.file)
		if err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
			return exitInput
		}
		defer f.Close()
		in, name = f, o.file
	}
	pipe := pollable(in)
	if pipe != nil {
		in = pipe
		go func() {
			select {
			case <-stop.asked:
				pipe.SetReadDeadline(time.Now().Add(drainTime))
			case <-stop.done:
			}
		}()
	}
	rd, err = capture.NewReader(in, name)
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
		return exitInput
	}
	defer rd.Close()

	var filters *capture.FilterSet
	if o.filter != "" {
		// Compile once up front for Ethernet, so that a filter with a
		// syntax error fails before any output; each link type the file
		// holds is then compiled as it appears.
		f, err := capture.CompileFilter(o.filter, capture.LinkTypeEthernet, snaplen)
		if err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
			return exitUsage
		}
		f.Close()
		filters = capture.NewFilterSet(o.filter, snaplen)
		defer filters.Close()
	}

	cfg := flow.Config{FSM: fsm.Config{TimeWait: o.timeWait}, Timeline: !o.asJSON && !o.summary || o.html != "", KeepSACK: o.html != "",
		KeepSegEvents: o.asJSON, DropEvents: o.summary && o.html == "", MaxConns: o.maxConns, TimelineMax: o.timelineMax, EventsMax: o.timelineMax}
	if o.idleSet {
		cfg.IdleTimeout = o.idleTimeout
	}
	pool := flow.NewPool(cfg, o.workers, out)
	ps := newPackets(o, pool)
	if filters != nil {
		ps.filter(filters, stderr)
	}
	prog := newProgress(o.file, stderr)
	var (
		p       capture.Packet
		readErr error
	)
	for o.count == 0 || ps.kept < uint64(o.count) {
		if pipe == nil && stop.stopped() != nil {
			break
		}
		err := rd.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			if stop.stopped() == nil {
				readErr = err
			}
			break
		}
		prog.packet(rd.Consumed())
		ps.packet(&p)
	}
	prog.done()
	heapProfile(stderr)
	pool.Close()

	tot := ps.totals(pool.Stats())
	sig := stop.stopped()
	if sig != nil {
		readErr = fmt.Errorf("%s: stopped by %s after %d packets", rd.Name(), signalName(sig), ps.read)
	}
	if readErr != nil {
		tot.ReadError = readErr.Error()
	}
	if err := out.Close(&tot); err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: writing output: %v\n", err)
		return exitInput
	}
	if readErr != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", readErr)
		if sig != nil {
			return signalStatus(sig)
		}
		return exitInput
	}
	return exitOK
}

// drainTime is how long standard input is still read after the first
// signal (see analyse).
const drainTime = 500 * time.Millisecond

// pollable returns r as a file whose reads a deadline can cut off, when r
// is a pipe or socket; otherwise nil (a regular file's reads do not
// block, and tests hand other readers).
func pollable(r io.Reader) *os.File {
	f, ok := r.(*os.File)
	if !ok {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return nil
	}
	if f.SetReadDeadline(time.Time{}) == nil {
		return f // opened by us: the runtime's poller serves it already
	}
	// Standard input comes blocking. Made non-blocking, a file made anew on
	// its descriptor is served by the poller, which honours deadlines.
	// That file is kept for good: collected, it would close the descriptor.
	fd := f.Fd()
	if syscall.SetNonblock(int(fd), true) != nil {
		return nil
	}
	if stdinPolled == nil || stdinPolled.Fd() != fd {
		stdinPolled = os.NewFile(fd, f.Name())
	}
	return stdinPolled
}

// stdinPolled is standard input as pollable made it.
var stdinPolled *os.File

// isTerminal reports whether w is a terminal: a file that answers the
// terminal ioctl (a character device such as /dev/null does not).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// colorFor says whether to paint output for w: on a terminal, unless
// NO_COLOR is set (no-color.org) or TERM is dumb.
func colorFor(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

// utf8Terminal reports whether the locale says the terminal speaks UTF-8.
func utf8Terminal() bool {
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if val := os.Getenv(v); val != "" {
			val = strings.ToUpper(val)
			return strings.Contains(val, "UTF-8") || strings.Contains(val, "UTF8")
		}
	}
	return false
}

func listInterfaces(stdout, stderr io.Writer) int {
	ifs, err := capture.Interfaces()
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
		return exitInput
	}
	for i, f := range ifs {
		desc := ""
		if f.Description != "" {
			desc = " (" + f.Description + ")"
		}
		flags := ""
		if len(f.Flags) > 0 {
			flags = " [" + strings.Join(f.Flags, ", ") + "]"
		}
		fmt.Fprintf(stdout, "%d.%s%s%s\n", i+1, f.Name, desc, flags)
	}
	return exitOK
}

// fsmDot writes the state diagram as Graphviz DOT; with -r FILE each edge
// carries how many times the capture took it.
func fsmDot(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("tcpflow-fsm fsm-dot", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.StringP("read", "r", "", "count the transitions taken in `FILE`")
	svg := fs.Bool("svg", false, "write the diagram as SVG, laid out without Graphviz")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK // pflag has written the usage
		}
		fmt.Fprintf(stderr, "tcpflow-fsm: %s\n", flagError(err))
		return exitUsage
	}
	dot := report.NewDot(stdout)
	if *svg {
		dot = report.NewDotSVG(stdout)
	}
	if *file == "" {
		if fs.NArg() > 0 {
			fmt.Fprintln(stderr, "tcpflow-fsm: fsm-dot takes a filter only with -r FILE")
			return exitUsage
		}
		if err := dot.Close(nil); err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
			return exitInput
		}
		return exitOK
	}
	// The diagram counts transitions as they happen: one table.
	o := &options{file: *file, filter: strings.Join(fs.Args(), " "), timeWait: fsm.DefaultTimeWait, workers: 1}
	return analyse(o, nil, dot, stderr)
}

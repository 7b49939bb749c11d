// Command tcpflow-fsm shows what TCP is doing on the wire, connection by
// connection, in the words of RFC 9293: each endpoint's state transitions,
// and the segments that break the RFC's rules.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: tcpflow-fsm -r FILE [options] [filter words...]
       tcpflow-fsm fsm-table

Reads a pcap or pcapng capture and follows every TCP connection through the
RFC 9293 state machine, for both endpoints. Trailing words are a tcpdump
filter (libpcap syntax), applied to the file.

Examples:
  tcpflow-fsm -r incident.pcap                  timelines, summary, counters
  tcpflow-fsm -r incident.pcap port 9000        only traffic matching the filter
  tcpflow-fsm -r incident.pcapng --json | jq .  the same as NDJSON records
  tcpdump -i any -w - port 80 | tcpflow-fsm -r -
  tcpflow-fsm fsm-table                         the state machine's transition table

Options:
`

// snaplen is the capture length filters are compiled for: large enough
// for any packet a file may hold.
const snaplen = 262144

// Exit statuses.
const (
	exitOK    = 0
	exitInput = 1 // the capture could not be opened or read to its end
	exitUsage = 2 // bad flags or filter
)

// run is the whole command, testable: it reads args, writes to stdout and
// stderr, and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
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
	fs := pflag.NewFlagSet("tcpflow-fsm", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	var (
		file     = fs.StringP("read", "r", "", "read packets from `FILE` (pcap or pcapng; - for standard input)")
		asJSON   = fs.Bool("json", false, "write NDJSON records instead of text")
		timeWait = fs.Duration("time-wait", fsm.DefaultTimeWait, "TIME-WAIT (2MSL) duration before an endpoint is CLOSED")
		help     = fs.BoolP("help", "h", false, "show this help")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
		return exitUsage
	}
	if *help {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, usage)
		fs.PrintDefaults()
		return exitOK
	}
	if *file == "" {
		fmt.Fprintln(stderr, "tcpflow-fsm: no capture to read: give -r FILE (see --help)")
		return exitUsage
	}
	if *timeWait <= 0 {
		fmt.Fprintln(stderr, "tcpflow-fsm: --time-wait must be positive")
		return exitUsage
	}
	cfg := flow.Config{FSM: fsm.Config{TimeWait: *timeWait}, Timeline: !*asJSON}
	var out renderer
	if *asJSON {
		out = report.NewJSON(stdout)
	} else {
		out = report.NewText(stdout, true)
	}
	return analyse(*file, strings.Join(fs.Args(), " "), stdin, cfg, out, stderr)
}

// renderer is what the report package's renderers have in common.
type renderer interface {
	flow.Sink
	Close(*report.Totals) error
}

// analyse reads one capture through the pipeline capture → flow → fsm →
// report. Everything read before an error is still analysed and reported.
func analyse(path, filter string, stdin io.Reader, cfg flow.Config, out renderer, stderr io.Writer) int {
	var (
		rd  *capture.Reader
		err error
	)
	if path == "-" {
		rd, err = capture.NewReader(stdin, "standard input")
	} else {
		rd, err = capture.Open(path)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
		return exitInput
	}
	defer rd.Close()

	var filters *capture.FilterSet
	if filter != "" {
		// Compile once up front for Ethernet, so that a filter with a
		// syntax error fails before any output; each link type the file
		// holds is then compiled as it appears.
		f, err := capture.CompileFilter(filter, 1, snaplen)
		if err != nil {
			fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
			return exitUsage
		}
		f.Close()
		filters = capture.NewFilterSet(filter, snaplen)
		defer filters.Close()
	}

	dec := capture.NewDecoder()
	table := flow.NewTable(cfg, out)
	var (
		p        capture.Packet
		seg      fsm.Segment
		readErr  error
		filtered uint64
		read     uint64
	)
	for {
		err := rd.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		read++
		if filters != nil {
			ok, err := filters.Match(&p)
			if err != nil {
				fmt.Fprintf(stderr, "tcpflow-fsm: %v\n", err)
				return exitUsage
			}
			if !ok {
				filtered++
				continue
			}
		}
		if dec.Decode(&p, &seg) {
			table.Add(&seg)
		}
	}
	table.Close()

	st := dec.Stats()
	tot := report.Totals{Packets: read, TCP: st.TCP, Filtered: filtered, Connections: table.Stats.Connections}
	for _, c := range st.Counters() {
		if c.Group == "total" {
			continue
		}
		tot.Counters = append(tot.Counters, report.Counter{Group: c.Group, Name: c.Name, Count: c.Count})
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
		return exitInput
	}
	return exitOK
}

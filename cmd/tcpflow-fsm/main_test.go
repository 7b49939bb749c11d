package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/fsm"
)

func runCmd(args []string, stdin []byte) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "nothing to do"},
		{[]string{"-r", "x", "-i", "lo"}, "go alone"},
		{[]string{"-r", "x", "-w", "y"}, "goes with -i"},
		{[]string{"-i", "lo", "-Q", "sideways"}, `invalid argument "sideways" for "-Q, --direction": must be in, out or inout`},
		{[]string{"--bogus"}, "unknown flag"},
		{[]string{"-r", "x", "--time-wait", "0s"}, "--time-wait takes a duration above 0 and at most 24h"},
		{[]string{"-r", "x", "--top"}, "--top is a live view: it goes with -i"},
		{[]string{"-i", "lo", "--top", "--json"}, "--top draws its own screen: not with --json, --problems, --stats or --explain"},
		{[]string{"-i", "lo", "--top", "--problems"}, "not with --json, --problems"},
		{[]string{"-i", "lo", "--top", "--stats", "1s"}, "not with --json, --problems"},
	} {
		code, _, stderr := runCmd(tc.args, nil)
		if code != 2 || !strings.HasPrefix(stderr, "tcpflow-fsm: ") || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	code, stdout, _ := runCmd([]string{"--help"}, nil)
	if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "--time-wait") {
		t.Errorf("exit %d, help %q", code, stdout)
	}
}

// Each flag's line in --help shows a placeholder where a value goes
// (FILE, N, in|out|inout), never a value, and says its default once.
func TestHelpPlaceholders(t *testing.T) {
	_, help, _ := runCmd([]string{"--help"}, nil)
	_, options, _ := strings.Cut(help, "\nOptions:\n")
	flags := 0
	for line := range strings.Lines(options) {
		// "  -r, --read FILE   read packets..." or "      --json   write...".
		names, usage, ok := strings.Cut(strings.TrimSpace(line), "  ")
		if !ok || !strings.HasPrefix(names, "-") {
			t.Errorf("not a flag line: %q", line)
			continue
		}
		flags++
		f := strings.Fields(names)
		if last := f[len(f)-1]; !strings.HasPrefix(last, "-") &&
			last != strings.ToUpper(last) && !strings.Contains(last, "|") {
			t.Errorf("placeholder %q is not one: %q", last, line)
		}
		if strings.Count(usage, "default") > 1 {
			t.Errorf("two defaults: %q", line)
		}
	}
	if flags < 20 {
		t.Errorf("%d flag lines in:\n%s", flags, help)
	}
	for _, want := range []string{
		"  -Q, --direction in|out|inout ",
		"      --idle-timeout DURATION     release a connection idle for DURATION (0: never, the default: quiet connections are kept, bounded by --max-conns; at most 168h)\n",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	if code, out, stderr := runCmd([]string{"fsm-dot", "--help"}, nil); code != 0 || !strings.Contains(out+stderr, "-r, --read FILE") ||
		strings.Contains(stderr, "help requested") {
		t.Errorf("fsm-dot --help: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// A value a flag cannot take is named with the flag and what it takes, in
// our words: no strconv or time package message leaks through.
func TestInvalidFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ladder", "--conn", "abc"}, `invalid argument "abc" for "--conn": not a connection number`},
		{[]string{"--ladder", "--conn", "1,x"}, `invalid argument "1,x" for "--conn": not a connection number`},
		{[]string{"-c", "ten"}, `invalid argument "ten" for "-c, --count": not a number of packets`},
		{[]string{"-c", "99999999999999999999"}, `invalid argument "99999999999999999999" for "-c, --count": out of range`},
		{[]string{"-s", "64k"}, `invalid argument "64k" for "-s, --snapshot-length": not a number of bytes`},
		{[]string{"-B", "1M"}, `invalid argument "1M" for "-B, --buffer-size": not a size in KiB`},
		{[]string{"--max-conns", "lots"}, `invalid argument "lots" for "--max-conns": not a number of connections`},
		{[]string{"--workers", "1.5"}, `invalid argument "1.5" for "--workers": not a number of cores`},
		{[]string{"--timeline-max", "all"}, `invalid argument "all" for "--timeline-max": not a number of segments`},
		{[]string{"--time-wait", "60"}, `invalid argument "60" for "--time-wait": not a duration (e.g. 500ms, 90s, 5m)`},
		{[]string{"--idle-timeout", "never"}, `invalid argument "never" for "--idle-timeout": not a duration (e.g. 500ms, 90s, 5m)`},
		{[]string{"--stats", "5"}, `invalid argument "5" for "--stats": not a duration (e.g. 500ms, 90s, 5m)`},
	} {
		code, stdout, stderr := runCmd(append([]string{"-r", "x.pcap"}, tc.args...), nil)
		if code != 2 || stdout != "" || stderr != "tcpflow-fsm: "+tc.want+"\n" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// A first word that is no command says so, and names the command it is
// a typing error for; after -r, -i or -D words are a filter.
func TestUnknownCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fsm-tabel"}, `unknown command "fsm-tabel": did you mean fsm-table?`},
		{[]string{"fsm-tables"}, `unknown command "fsm-tables": did you mean fsm-table?`},
		{[]string{"fsmtable"}, `unknown command "fsmtable": did you mean fsm-table?`},
		{[]string{"fsm-dto"}, `unknown command "fsm-dto": did you mean fsm-dot?`},
		{[]string{"--json", "fsm-tabel"}, `unknown command "fsm-tabel": did you mean fsm-table?`},
		{[]string{"tcp", "port", "443"}, `unknown command "tcp": the commands are fsm-table and fsm-dot; a filter goes after -r FILE or -i IFACE (see --help)`},
	} {
		code, stdout, stderr := runCmd(tc.args, nil)
		if code != 2 || stdout != "" || stderr != "tcpflow-fsm: "+tc.want+"\n" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// With -r the words are a filter, also one that looks like a command.
	pcap := filepath.Join(goldenDir, "close-client-first.pcap")
	if code, out, stderr := runCmd([]string{"-r", pcap, "tcp", "port", "9001"}, nil); code != 0 || !strings.Contains(out, "connections: 1") {
		t.Errorf("a filter after -r: exit %d (%s)\n%s", code, stderr, out)
	}
	if code, _, stderr := runCmd([]string{"-r", pcap, "fsm-tabel"}, nil); code != 2 || strings.Contains(stderr, "unknown command") {
		t.Errorf("a word after -r is a filter (libpcap rejects this one): exit %d, %q", code, stderr)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"fsm-table", "fsm-table", 0}, {"fsm-tabel", "fsm-table", 1},
		{"fsm-tabl", "fsm-table", 1}, {"fsmtable", "fsm-table", 1}, {"fsm-dto", "fsm-dot", 1},
		{"ca", "abc", 3}, {"kitten", "sitting", 3}, {"port", "fsm-dot", 6},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestBadFilter(t *testing.T) {
	pcap := filepath.Join(goldenDir, "close-client-first.pcap")
	code, stdout, stderr := runCmd([]string{"-r", pcap, "port", "nine"}, nil)
	if code != 2 || stdout != "" {
		t.Errorf("exit %d, stdout %q: want 2 and no output", code, stdout)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `"port nine"`) || !strings.Contains(stderr, "nine") {
		t.Errorf("want one line with libpcap's reason and the filter, got %q", stderr)
	}
}

func TestMissingFile(t *testing.T) {
	code, _, stderr := runCmd([]string{"-r", "/nonexistent/x.pcap"}, nil)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "/nonexistent/x.pcap") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// A directory given to -r: one line naming it once, exit 1.
func TestDirectoryAsCapture(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd([]string{"-r", dir}, nil)
	if want := "tcpflow-fsm: " + dir + ": is a directory\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, want)
	}
}

// A packet of a link type we do not decode is counted once as not
// decoded, in the text counters and in JSON's undecoded_total, and broken
// down by link type beside.
func TestUnsupportedLinkTypeCountedOnce(t *testing.T) {
	pcap := filepath.Join(t.TempDir(), "user0.pcap")
	w, err := capture.CreateWriter(pcap, 147, 65535) // LINKTYPE_USER0
	if err != nil {
		t.Fatal(err)
	}
	p := capture.Packet{Time: fsm.TimeOf(time.Unix(1700000000, 0)), Data: []byte{1, 2, 3, 4}, OrigLen: 4}
	if err := w.Write(&p); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	code, text, stderr := runCmd([]string{"-r", pcap}, nil)
	if code != 0 || !strings.HasPrefix(text, "capture: 1 packets read, 0 TCP segments, 1 not decoded; connections: 0\n") ||
		!strings.Contains(text, "  dropped                unsupported_link_type        1\n") ||
		!strings.Contains(text, "  unsupported_link_type  147                          1\n") {
		t.Errorf("text: exit %d (%s):\n%s", code, stderr, text)
	}
	code, js, stderr := runCmd([]string{"-r", pcap, "--json"}, nil)
	if code != 0 || !strings.Contains(js, `"packets":1,`) ||
		!strings.Contains(js, `"undecoded_total":1,"undecoded":{"unsupported_link_type":1,"unsupported_link_type_147":1}`) {
		t.Errorf("json: exit %d (%s):\n%s", code, stderr, js)
	}
}

// A capture cut in the middle of a packet record: one line naming the file,
// the record and the byte offset; exit 1; everything before it analysed.
func TestTruncatedCapture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(goldenDir, "close-client-first.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, b[:len(b)-30], 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd([]string{"-r", cut}, nil)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "cut.pcap: record 11 at byte ") {
		t.Errorf("stderr %q", stderr)
	}
	if !strings.Contains(stdout, "capture: 10 packets read") || !strings.Contains(stdout, "capture incomplete: ") ||
		!strings.Contains(stdout, "client FIN-WAIT-2 -> TIME-WAIT") {
		t.Errorf("the ten packets before the damage must be analysed and reported:\n%s", stdout)
	}
}

func TestStandardInput(t *testing.T) {
	pcap := filepath.Join(goldenDir, "close-client-first.pcap")
	b, err := os.ReadFile(pcap)
	if err != nil {
		t.Fatal(err)
	}
	_, fromFile, _ := runCmd([]string{"-r", pcap}, nil)
	code, fromStdin, stderr := runCmd([]string{"-r", "-"}, b)
	if code != 0 || fromStdin != fromFile {
		t.Errorf("exit %d (%s); stdin output differs from the file's", code, stderr)
	}
}

// The filter applies to files of every link type, SLL2 included.
func TestFilterOnEveryLinkType(t *testing.T) {
	for _, f := range []string{"any-sll2.pcap", "any-sll2.eth.pcap", "any-sll2.pcapng"} {
		pcap := filepath.Join(goldenDir, f)
		_, all, _ := runCmd([]string{"-r", pcap, "--json"}, nil)
		code, matching, stderr := runCmd([]string{"-r", pcap, "--json", "tcp", "port", "9014"}, nil)
		if code != 0 || strings.Count(matching, `"type":"conn"`) != 1 || !strings.Contains(matching, `"filtered":0`) {
			t.Errorf("%s: matching filter: exit %d %s\n%s", f, code, stderr, matching)
		}
		if strings.Count(all, `"type":"conn"`) != 1 {
			t.Errorf("%s: want one connection unfiltered", f)
		}
		code, none, _ := runCmd([]string{"-r", pcap, "--json", "port", "1"}, nil)
		if code != 0 || strings.Contains(none, `"type":"conn"`) || !strings.Contains(none, `"filtered":11`) {
			t.Errorf("%s: a filter matching nothing must leave no connection and count 11 filtered:\n%s", f, none)
		}
	}
}

// fsm-table prints every cell of the table: each state, each event, and
// the transitions the scenarios rely on.
func TestFSMTable(t *testing.T) {
	code, out, _ := runCmd([]string{"fsm-table"}, nil)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"SYN-SENT\n", "TIME-WAIT\n",
		"rcvd SYN       -> SYN-RECEIVED",
		"rcvd FIN       -> CLOSING",
		"2MSL timeout   -> CLOSED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	// 11 states, each with 6 send and 7 receive events.
	cells := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  sent ") || strings.HasPrefix(l, "  rcvd ") || strings.HasPrefix(l, "  2MSL timeout") {
			cells++
		}
		if len(l) > 100 {
			t.Errorf("line wider than 100 columns: %q", l)
		}
	}
	if cells != 11*13 {
		t.Errorf("%d cells, want %d", cells, 11*13)
	}
}

// dropRecords writes a copy of a classic pcap file without its first n
// packet records: a capture that started late.
func dropRecords(t *testing.T, src string, n int) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || b[0] != 0xd4 || b[1] != 0xc3 {
		t.Fatalf("%s is not a little-endian microsecond pcap", src)
	}
	off := 24
	for i := 0; i < n; i++ {
		caplen := int(b[off+8]) | int(b[off+9])<<8 | int(b[off+10])<<16 | int(b[off+11])<<24
		off += 16 + caplen
	}
	out := filepath.Join(t.TempDir(), "late.pcap")
	if err := os.WriteFile(out, append(b[:24:24], b[off:]...), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// A capture that starts after the handshake still follows the connection:
// both ends inferred ESTABLISHED, roles guessed, and the close reaches the
// same final states the kernel reported for the whole capture.
func TestMidStreamCapture(t *testing.T) {
	late := dropRecords(t, filepath.Join(goldenDir, "close-client-first.pcap"), 3)
	recs, conns := analyseJSON(t, "-r", late)
	if len(conns) != 1 {
		t.Fatalf("%d connections", len(conns))
	}
	c := conns[0]
	if !c.RolesGuessed || c.Client != "10.99.0.1:40001" || c.ClientState != "TIME-WAIT" || c.ServerState != "CLOSED" {
		t.Errorf("mid-stream: %+v", c)
	}
	inferred := 0
	for _, r := range recs {
		if r["type"] == "transition" && r["inferred"] == true && r["to"] == "ESTABLISHED" {
			inferred++
		}
	}
	if inferred != 2 {
		t.Errorf("want both endpoints inferred ESTABLISHED, got %d", inferred)
	}
	if len(c.Violations) != 0 {
		t.Errorf("violations %v", c.Violations)
	}
}

// The 2MSL timer runs on capture time: with --time-wait shorter than the
// gap before the 4-tuple is reused, TIME-WAIT expires by the timer;
// with the default it is ended by the new connection's SYN.
func TestTimeWaitTimer(t *testing.T) {
	pcap := filepath.Join(goldenDir, "time-wait-reuse.pcap")
	cause := func(args ...string) string {
		recs, conns := analyseJSON(t, append([]string{"-r", pcap}, args...)...)
		if len(conns) != 2 || conns[0].ClientState != "CLOSED" {
			t.Fatalf("%v: want two connections, the first ending CLOSED: %+v", args, conns)
		}
		for _, r := range recs {
			if r["type"] == "transition" && r["conn"] == 1.0 && r["from"] == "TIME-WAIT" {
				return r["cause"].(string)
			}
		}
		t.Fatalf("%v: no TIME-WAIT exit", args)
		return ""
	}
	if got := cause("--time-wait", "100ms"); got != "2MSL timeout" {
		t.Errorf("--time-wait 100ms: TIME-WAIT ended by %q", got)
	}
	if got := cause(); got != "sent SYN of a new connection on the 4-tuple" {
		t.Errorf("default: TIME-WAIT ended by %q", got)
	}
	// At the end of a capture shorter than 2MSL, TIME-WAIT remains.
	_, conns := analyseJSON(t, "-r", filepath.Join(goldenDir, "time-wait.pcap"))
	if conns[0].ClientState != "TIME-WAIT" {
		t.Errorf("time-wait.pcap: client %s", conns[0].ClientState)
	}
}

// --conn picks connections for the ladder; the locale picks the drawing.
func TestLadderOptions(t *testing.T) {
	pcap := filepath.Join(goldenDir, "time-wait-reuse.pcap")
	code, out, stderr := runCmd([]string{"-r", pcap, "--ladder", "--ascii", "--conn", "2"}, nil)
	if code != 0 || strings.Contains(out, "conn 1:") || !strings.Contains(out, "conn 2:") {
		t.Errorf("exit %d (%s), want only conn 2:\n%s", code, stderr, out)
	}
	t.Setenv("LC_ALL", "en_US.UTF-8")
	_, out, _ = runCmd([]string{"-r", pcap, "--ladder"}, nil)
	if !strings.Contains(out, "──>") {
		t.Errorf("a UTF-8 locale draws with box characters:\n%s", out)
	}
	t.Setenv("LC_ALL", "C")
	_, out, _ = runCmd([]string{"-r", pcap, "--ladder"}, nil)
	if strings.Contains(out, "──>") || !strings.Contains(out, "-->") {
		t.Errorf("the C locale draws with ASCII:\n%s", out)
	}
	for _, args := range [][]string{{"-r", pcap, "--ladder", "--json"}, {"-r", pcap, "--conn", "1"}} {
		if code, _, _ := runCmd(args, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// --conn naming a connection the capture does not have says so and exits
// 2, after drawing those it has; 0 and below are refused before reading.
func TestLadderMissingConn(t *testing.T) {
	pcap := filepath.Join(goldenDir, "time-wait-reuse.pcap") // 2 connections
	for _, tc := range []struct {
		args   []string
		drawn  string
		stderr string
	}{
		{[]string{"--conn", "7"}, "", "no connection 7 in the capture (it has 2 connections)"},
		{[]string{"--conn", "9,2,7,9"}, "conn 2:", "no connections 7, 9 in the capture (it has 2 connections)"},
		{[]string{"--conn", "0"}, "", "--conn 0: connections are numbered from 1"},
		{[]string{"--conn", "2", "--conn=-1"}, "", "--conn -1: connections are numbered from 1"},
	} {
		code, stdout, stderr := runCmd(append([]string{"-r", pcap, "--ladder", "--ascii"}, tc.args...), nil)
		if code != 2 || stderr != "tcpflow-fsm: "+tc.stderr+"\n" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.stderr)
		}
		if tc.drawn == "" && stdout != "" || tc.drawn != "" && (!strings.Contains(stdout, tc.drawn) || strings.Contains(stdout, "conn 1:")) {
			t.Errorf("%v: drew\n%s\nwant %q", tc.args, stdout, tc.drawn)
		}
	}
	// A usage error, found before the file is opened.
	if code, _, stderr := runCmd([]string{"-r", "/nonexistent.pcap", "--ladder", "--conn", "0"}, nil); code != 2 || !strings.Contains(stderr, "--conn 0") {
		t.Errorf("--conn 0 on a missing file: exit %d, %q", code, stderr)
	}
	// A capture without connections has none to draw.
	empty := filepath.Join(t.TempDir(), "empty.pcap")
	w, err := capture.CreateWriter(empty, capture.LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	want := "tcpflow-fsm: no connection 1 in the capture (it has none)\n"
	if code, stdout, stderr := runCmd([]string{"-r", empty, "--ladder", "--conn", "1"}, nil); code != 2 || stdout != "" || stderr != want {
		t.Errorf("empty capture: exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
	}
}

// fsm-dot draws every transition the table allows; with -r it counts
// those a capture took: a simultaneous close takes FIN-WAIT-1 -> CLOSING
// twice and never CLOSE-WAIT.
func TestFSMDot(t *testing.T) {
	code, plain, _ := runCmd([]string{"fsm-dot"}, nil)
	if code != 0 || !strings.HasPrefix(plain, "digraph rfc9293 {") || !strings.Contains(plain, `"TIME-WAIT" -> "CLOSED" [label="2MSL timeout"]`) {
		t.Fatalf("exit %d:\n%s", code, plain)
	}
	code, counted, _ := runCmd([]string{"fsm-dot", "-r", filepath.Join(goldenDir, "simultaneous-close.pcap")}, nil)
	for _, want := range []string{
		`"FIN-WAIT-1" -> "CLOSING" [label="rcvd FIN (2)", penwidth=2]`,
		`"CLOSING" -> "TIME-WAIT" [label="rcvd ACK (2)", penwidth=2]`,
		`"ESTABLISHED" -> "CLOSE-WAIT" [label="rcvd FIN (0)", color=gray80, fontcolor=gray60]`,
	} {
		if code != 0 || !strings.Contains(counted, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Count(plain, "->") != strings.Count(counted, "->") {
		t.Error("counting must not change which edges are drawn")
	}
}

// --explain gives every transition and violation one sentence of why.
func TestExplain(t *testing.T) {
	_, plain, _ := runCmd([]string{"-r", filepath.Join(goldenDir, "close-client-first.pcap")}, nil)
	_, explained, _ := runCmd([]string{"-r", filepath.Join(goldenDir, "close-client-first.pcap"), "--explain"}, nil)
	transitions := strings.Count(plain, " -> ")
	if transitions == 0 || strings.Count(explained, "why: ") != transitions {
		t.Errorf("%d transitions, %d explanations", transitions, strings.Count(explained, "why: "))
	}
	if !strings.Contains(explained, "why: passive OPEN: SYN received, SYN,ACK due (§3.10.7.2)") {
		t.Errorf("the listener's transition is not explained:\n%s", explained)
	}
}

// Each finding fires on a kernel capture that shows it, and a clean
// capture (both ends established, or a normal close, or loss that
// recovers) has none.
func TestFindings(t *testing.T) {
	findings := func(capture string) map[string]bool {
		recs, _ := analyseJSON(t, "-r", filepath.Join(goldenDir, capture))
		got := map[string]bool{}
		for _, r := range recs {
			if r["type"] == "finding" {
				got[r["code"].(string)] = true
			}
		}
		return got
	}
	for capture, want := range map[string][]string{
		"refused.pcap":     {"refused"},
		"syn-dropped.pcap": {"unanswered_syn"},
		"half-close.pcap":  nil, // the capture ends as the server reads EOF

		"rst-abort.pcap":          {"aborted"},
		"rst-abort-server.pcap":   {"aborted"},
		"close-client-first.pcap": nil, // one TIME-WAIT is no pile-up

		"simultaneous-open.pcap": nil,
		"loss.pcap":              nil, // loss that recovers is healthy
		"keepalive.pcap":         {"keepalive"},
		"zero-window.pcap":       {"zero_window"},
		"peer-vanishes.pcap":     {"dead_peer"},
		"syn-flood.pcap":         {"listen_overflow", "half_open"}, // listen(fd, 1), never accept()
		"listen-overflow.pcap":   {"listen_overflow"},
		"time-wait-pileup.pcap":  {"time_wait"},
		"keepalive-timeout.pcap": {"keepalive_timeout"},
		"close-wait-leak.pcap":   nil, // quiet 0.6 s: under --stuck; see TestStuckInCloseWait

		"client-never-reads.pcap": {"zero_window"},
	} {
		got := findings(capture)
		if len(got) != len(want) {
			t.Errorf("%s: findings %v, want %v", capture, got, want)
		}
		for _, w := range want {
			if !got[w] {
				t.Errorf("%s: no %s finding (got %v)", capture, w, got)
			}
		}
	}
}

// Colour only on a terminal, never when piped or with NO_COLOR. The
// terminal is a pseudo-terminal made by script(1), when installed.
func TestColor(t *testing.T) {
	pcap := filepath.Join(goldenDir, "rst-abort.pcap")
	if _, out, _ := runCmd([]string{"-r", pcap}, nil); strings.Contains(out, "\x1b[") {
		t.Error("colour written to a pipe")
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	if isTerminal(devnull) {
		t.Error("/dev/null taken for a terminal")
	}
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) not installed: no pseudo-terminal to test colour on")
	}
	tool, _ := liveBinaries(t)
	for _, tc := range []struct {
		env  string
		want bool
	}{{"TERM=xterm", true}, {"NO_COLOR=1", false}, {"TERM=dumb", false}} {
		cmd := exec.Command(script, "-qc", tc.env+" "+tool+" -r "+pcap, os.DevNull)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", tc.env, err)
		}
		if got := strings.Contains(string(out), "\x1b[32mESTABLISHED\x1b[0m"); got != tc.want {
			t.Errorf("%s on a terminal: coloured %v, want %v", tc.env, got, tc.want)
		}
	}
}

// A large file read on a terminal shows a progress line on stderr, and
// clears it; piped, nothing.
func TestProgress(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(goldenDir, "loss.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.pcap")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(src[:24])
	for written := int64(0); written < progressMinSize+8<<20; written += int64(len(src) - 24) {
		f.Write(src[24:])
	}
	f.Close()
	if _, _, stderr := runCmd([]string{"-r", big, "--json"}, nil); stderr != "" {
		t.Errorf("progress written to a pipe: %q", stderr)
	}
	// In process, with stderr on a pseudo-terminal and a fast update.
	ptmx, tty := openPTY(t)
	defer ptmx.Close()
	defer tty.Close()
	progressEvery = 0
	defer func() { progressEvery = 250 * time.Millisecond }()
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		got <- string(b)
	}()
	var stdout bytes.Buffer
	if code := run([]string{"-r", big, "--json"}, nil, &stdout, tty); code != 0 {
		t.Fatalf("exit %d", code)
	}
	tty.Close()
	out := <-got
	if !strings.Contains(out, "M packets/s") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("no progress line, or not cleared: %.200q", out)
	}
}

// Issue 15: on a gzip file the progress line measured offsets in the
// decompressed stream against the compressed file's size ("284 of 44 MiB
// (635%)"). It now counts compressed bytes read.
func TestProgressGzip(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(goldenDir, "loss.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(t.TempDir(), "big.pcap.gz")
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	z := gzip.NewWriter(f)
	z.Write(src[:24])
	for range 64 {
		z.Write(src[24:])
	}
	z.Close()
	f.Close()
	st, err := os.Stat(gz)
	if err != nil {
		t.Fatal(err)
	}
	// Compressed several times over, and a progress line for any size.
	if st.Size()*4 > int64(64*len(src)) {
		t.Fatalf("%d bytes compressed to %d: the test needs a compressible capture", 64*len(src), st.Size())
	}
	ptmx, tty := openPTY(t)
	defer ptmx.Close()
	defer tty.Close()
	progressEvery, progressMinSize = 0, 0
	defer func() { progressEvery, progressMinSize = 250*time.Millisecond, 32<<20 }()
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		got <- string(b)
	}()
	var stdout bytes.Buffer
	if code := run([]string{"-r", gz, "--summary"}, nil, &stdout, tty); code != 0 {
		t.Fatalf("exit %d", code)
	}
	tty.Close()
	out := <-got
	lines := regexp.MustCompile(`read \d+ of \d+ MiB \((\d+)%\)`).FindAllStringSubmatch(out, -1)
	if len(lines) == 0 {
		t.Fatalf("no progress line: %.200q", out)
	}
	for _, l := range lines {
		if pc, _ := strconv.Atoi(l[1]); pc > 100 {
			t.Fatalf("progress %q: past 100%%", l[0])
		}
	}
}

// openPTY opens a pseudo-terminal pair through /dev/ptmx.
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	var n uint32
	unlock := int32(0)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ptmx, tty
}

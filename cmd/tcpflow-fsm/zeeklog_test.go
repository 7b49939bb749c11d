package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zeekLog is a conn.log read the way zeek-cut reads one: the separator
// from the first line, the field names from #fields, then each row split
// on the separator.
type zeekLog struct {
	header []string            // the '#' lines, in order
	fields []string            // #fields
	types  []string            // #types
	rows   []map[string]string // by field name
	cells  [][]string          // the rows as split
}

func parseZeekLog(t *testing.T, data []byte) zeekLog {
	t.Helper()
	var z zeekLog
	lines := strings.Split(string(data), "\n")
	if len(lines) == 0 || lines[len(lines)-1] != "" {
		t.Fatalf("the log does not end in a newline")
	}
	lines = lines[:len(lines)-1]
	const sepLine = `#separator \x09`
	if len(lines) == 0 || lines[0] != sepLine {
		t.Fatalf("first line %q, want %q", lines[0], sepLine)
	}
	sep := "\t"
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			z.header = append(z.header, l)
			parts := strings.Split(l, sep)
			switch parts[0] {
			case "#fields":
				z.fields = parts[1:]
			case "#types":
				z.types = parts[1:]
			}
			continue
		}
		if z.fields == nil {
			t.Fatalf("row before #fields: %q", l)
		}
		cells := strings.Split(l, sep)
		if len(cells) != len(z.fields) {
			t.Fatalf("row of %d fields, #fields names %d: %q", len(cells), len(z.fields), l)
		}
		row := map[string]string{}
		for i, f := range z.fields {
			row[f] = cells[i]
		}
		z.rows = append(z.rows, row)
		z.cells = append(z.cells, cells)
	}
	return z
}

// runZeekLog runs the command with --zeek-log and returns its standard
// output and the log.
func runZeekLog(t *testing.T, args ...string) (stdout []byte, log []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "conn.log")
	var out, errb bytes.Buffer
	if code := run(append(args, "--zeek-log", path), nil, &out, &errb); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	log, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), log
}

// TestZeekLogGolden pins the conn.log of a few kernel captures (a normal
// close, a refused connect, IPv6) in <scenario>.zeek.golden, and checks
// that standard output is the text golden still: the log is written beside
// it, not instead. go test ./cmd/tcpflow-fsm -run TestZeekLogGolden -update
// rewrites the logs.
func TestZeekLogGolden(t *testing.T) {
	for _, name := range []string{"close-client-first", "refused", "ipv6-close"} {
		t.Run(name, func(t *testing.T) {
			stdout, log := runZeekLog(t, "-r", filepath.Join(goldenDir, name+".pcap"))
			text, err := os.ReadFile(filepath.Join(goldenDir, name+".text.golden"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stdout, text) {
				t.Errorf("standard output with --zeek-log is not %s.text.golden", name)
			}
			checkGolden(t, filepath.Join(goldenDir, name+".zeek.golden"), log)
		})
	}
}

// zeekHeader is what every log starts with, #open aside.
var zeekHeader = []string{
	`#separator \x09`,
	"#set_separator\t,",
	"#empty_field\t(empty)",
	"#unset_field\t-",
	"#path\tconn",
}

const (
	zeekFieldsLine = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents"
	zeekTypesLine  = "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]"
)

// TestZeekLogFormat reads the conn.log of every kernel capture as zeek-cut
// would: the header lines exact, 21 fields a row, no empty field (unset is
// "-"), one row per connection in the order of the JSON output's conn
// records, with the same conn_state, history and endpoints, and unique
// uids of Zeek's form.
func TestZeekLogFormat(t *testing.T) {
	captures, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	if len(captures) == 0 {
		t.Fatal("no captures")
	}
	date := func(l, key string) bool {
		v, ok := strings.CutPrefix(l, key+"\t")
		return ok && len(v) == 19 && strings.Count(v, "-") == 5
	}
	for _, pcap := range captures {
		name := strings.TrimSuffix(filepath.Base(pcap), ".pcap")
		t.Run(name, func(t *testing.T) {
			stdout, log := runZeekLog(t, "-r", pcap, "--json")
			z := parseZeekLog(t, log)
			h := z.header
			if len(h) != 9 || strings.Join(h[:5], "\n") != strings.Join(zeekHeader, "\n") ||
				!date(h[5], "#open") || h[6] != zeekFieldsLine || h[7] != zeekTypesLine || !date(h[8], "#close") {
				t.Fatalf("header:\n%s", strings.Join(h, "\n"))
			}
			if !bytes.HasSuffix(log, []byte(h[8]+"\n")) {
				t.Error("#close is not the last line")
			}
			var conns []map[string]any
			for _, r := range parseRecords(t, stdout) {
				if r["type"] == "conn" {
					conns = append(conns, r)
				}
			}
			if len(z.rows) != len(conns) {
				t.Fatalf("%d rows, %d connections", len(z.rows), len(conns))
			}
			uids := map[string]bool{}
			for i, row := range z.rows {
				for j, cell := range z.cells[i] {
					if cell == "" {
						t.Errorf("row %d: field %s empty", i+1, z.fields[j])
					}
				}
				for _, f := range []string{"service", "tunnel_parents"} {
					if row[f] != "-" {
						t.Errorf("row %d: %s %q, want unset", i+1, f, row[f])
					}
				}
				uid := row["uid"]
				if len(uid) < 2 || len(uid) > 18 || uid[0] != 'C' || strings.Trim(uid[1:], base62Digits) != "" || uids[uid] {
					t.Errorf("row %d: uid %q not Zeek's form or not unique", i+1, uid)
				}
				uids[uid] = true
				c := conns[i]
				if row["conn_state"] != c["conn_state"] || row["history"] != c["history"] {
					t.Errorf("row %d: %s %s, the JSON says %v %v", i+1, row["conn_state"], row["history"], c["conn_state"], c["history"])
				}
				orig, resp := net.JoinHostPort(row["id.orig_h"], row["id.orig_p"]), net.JoinHostPort(row["id.resp_h"], row["id.resp_p"])
				if got, want := pair(orig, resp), pair(c["client"].(string), c["server"].(string)); got != want {
					t.Errorf("row %d: endpoints %s, the JSON's %s", i+1, got, want)
				}
			}
		})
	}
}

const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// TestZeekLogFlags: --zeek-log goes with -r; a path that cannot be created
// fails before any analysis, with one line and the input error's status;
// a log whose capture cannot be opened is not left behind.
func TestZeekLogFlags(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(goldenDir, "close-client-first.pcap")
	for _, tc := range []struct {
		name   string
		args   []string
		exit   int
		stderr string
	}{
		{"without -r", []string{"-i", "lo", "--zeek-log", filepath.Join(dir, "a.log")}, exitUsage,
			"tcpflow-fsm: --zeek-log writes a capture file's connections: it goes with -r\n"},
		{"unwritable path", []string{"-r", pcap, "--zeek-log", filepath.Join(dir, "no-such-dir", "conn.log")}, exitInput,
			"tcpflow-fsm: open " + filepath.Join(dir, "no-such-dir", "conn.log") + ": no such file or directory\n"},
		{"a directory", []string{"-r", pcap, "--zeek-log", dir}, exitInput,
			"tcpflow-fsm: open " + dir + ": is a directory\n"},
		{"no capture", []string{"-r", filepath.Join(dir, "none.pcap"), "--zeek-log", filepath.Join(dir, "b.log")}, exitInput,
			"tcpflow-fsm: open " + filepath.Join(dir, "none.pcap") + ": no such file or directory\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, nil, &stdout, &stderr)
			if code != tc.exit || stderr.String() != tc.stderr || stdout.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %d bytes; want exit %d, stderr %q, nothing on stdout",
					code, stderr.String(), stdout.Len(), tc.exit, tc.stderr)
			}
		})
	}
	for _, f := range []string{"a.log", "b.log"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s left behind", f)
		}
	}
}

// TestZeekLogDamagedCapture: a capture cut in its last record still gives
// a whole log of what was read before the damage, ending in #close.
func TestZeekLogDamagedCapture(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(goldenDir, "close-client-first.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pcap, path := filepath.Join(dir, "x.pcap"), filepath.Join(dir, "conn.log")
	if err := os.WriteFile(pcap, good[:len(good)-30], 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-r", pcap, "--zeek-log", path}, nil, &stdout, &stderr); code != exitInput {
		t.Fatalf("exit %d, want %d: %s", code, exitInput, stderr.String())
	}
	log, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z := parseZeekLog(t, log)
	if len(z.rows) != 1 || !strings.HasPrefix(z.header[len(z.header)-1], "#close\t") {
		t.Fatalf("%d rows, last line %q", len(z.rows), z.header[len(z.header)-1])
	}
	// 10 of the 11 packets: the last is cut off.
	if r := z.rows[0]; r["orig_pkts"] != "5" || r["resp_pkts"] != "5" {
		t.Errorf("packets %s and %s, want 5 and 5", r["orig_pkts"], r["resp_pkts"])
	}
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tcpflow-fsm/fsm"
)

// corpusDir holds 182 real captures from other projects' test suites, each
// with tshark's view; it lives beside the repository, never inside it.
const corpusDir = "../../../shared/corpus/real"

// conversationExceptions are the captures where our connections' 4-tuples
// differ from tshark's conversation table, each with the reason.
var conversationExceptions = map[string]string{
	"tcpdump/bigtcp-ipv6.pcap":            "IPv6 payload length 0 (BIG TCP jumbogram): we take the captured length as tcpdump does; tshark drops it",
	"tcpdump/tcp-auth-heapoverflow.pcap":  "fuzzed segment with a broken option: we keep the segment, tshark makes no conversation of it",
	"tcpdump/heapoverflow-tcp_print.pcap": "fuzzed segment with an option past the captured data: we keep the segment",
	"tcpdump/beep-oobr.pcap":              "fuzzed IPv6 segment: we keep it, tshark makes no conversation of it",
	"suricata-verify/bug-6875-01.pcap":    "its one packet has a TCP data offset past the segment: we report bad_data_offset on its 4-tuple, tshark makes no conversation of it",
}

// needCorpus returns the corpus manifest. It skips the test when the
// corpus is absent, saying so, or fails it when TCPFLOW_CORPUS_REQUIRED is
// set (CI sets it).
func needCorpus(t *testing.T) []byte {
	t.Helper()
	manifest, err := os.ReadFile(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		if os.Getenv("TCPFLOW_CORPUS_REQUIRED") != "" {
			t.Fatalf("TCPFLOW_CORPUS_REQUIRED is set, but the real-capture corpus is missing: %v", err)
		}
		t.Skipf("SKIPPED: the real-capture corpus is not beside the repository (%v); TCPFLOW_CORPUS_REQUIRED=1 makes this a failure", err)
	}
	return manifest
}

// TestCorpus runs the command over every real capture: no panic, valid
// NDJSON ending in a stats record, exit 1 with a one-line error naming the
// file only for damaged files, and the same 4-tuples as tshark's
// conversation table unless an exception above says why not.
func TestCorpus(t *testing.T) {
	manifest := needCorpus(t)
	lines := strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:]
	if len(lines) < 100 {
		t.Fatalf("manifest lists only %d captures", len(lines))
	}
	damaged := 0
	bulk := map[string][]string{} // the bulk findings of each capture
	for _, line := range lines {
		file := strings.Split(line, "\t")[0]
		t.Run(file, func(t *testing.T) {
			path := filepath.Join(corpusDir, file)
			var stdout, stderr bytes.Buffer
			code := run([]string{"-r", path, "--json"}, nil, &stdout, &stderr)
			recs := parseRecords(t, stdout.Bytes())
			if len(recs) == 0 && code == 1 && strings.Count(stderr.String(), "\n") == 1 {
				// Not a capture we can read at all (refused at its header):
				// nothing was analysed, so nothing is reported.
				damaged++
				return
			}
			if len(recs) == 0 || recs[len(recs)-1]["type"] != "stats" {
				t.Fatal("output does not end with a stats record")
			}
			stats := recs[len(recs)-1]
			switch code {
			case 0:
				if stderr.Len() != 0 || stats["error"] != nil {
					t.Errorf("clean exit with an error: %q %v", stderr.String(), stats["error"])
				}
			case 1:
				damaged++
				msg := stderr.String()
				if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "tcpflow-fsm: ") || !strings.Contains(msg, filepath.Base(file)) {
					t.Errorf("error is not one line naming the file: %q", msg)
				}
				if stats["error"] == nil {
					t.Error("stats record does not say the capture is incomplete")
				}
			default:
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			checkRecords(t, recs)
			for _, r := range recs {
				if r["type"] == "finding" && len(r["conns"].([]any)) == 0 {
					bulk[file] = append(bulk[file], r["code"].(string))
				}
			}
			ours := tuples(recs)
			theirs := tsharkTuples(t, strings.TrimSuffix(path, filepath.Ext(path))+".tshark.txt")
			if why, ok := conversationExceptions[file]; ok {
				if slices.Equal(ours, theirs) {
					t.Errorf("exception no longer needed (%s)", why)
				}
				return
			}
			if !slices.Equal(ours, theirs) {
				t.Errorf("4-tuples differ from tshark's conversations:\nours   %v\ntshark %v", ours, theirs)
			}
		})
	}
	if damaged == 0 {
		t.Error("the corpus holds damaged files; none was reported")
	}
	// The corpus holds a real scan, a real flood and a real reflection
	// attack: each is named, and nothing else is taken for one.
	wantBulk := map[string][]string{
		"chrissanders-packets/synscan.pcapng":        {"port_scan"},
		"stopddos/pkt.TCP.DOMINATE.syn.ecn.cwr.pcap": {"syn_flood"},
		"stopddos/amp.TCP.reflection.SYNACK.pcap":    {"rst_storm"},
	}
	if !t.Failed() && !maps.EqualFunc(bulk, wantBulk, slices.Equal) {
		t.Errorf("bulk findings %v, want %v", bulk, wantBulk)
	}
}

func parseRecords(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("invalid JSON line %q: %v", sc.Text(), err)
		}
		recs = append(recs, m)
	}
	return recs
}

// checkRecords checks the records' invariants: connections numbered from 1
// in order, transitions between real states of a known connection,
// violations with a catalogued code.
func checkRecords(t *testing.T, recs []map[string]any) {
	t.Helper()
	codes := map[string]bool{}
	for _, c := range fsm.Codes() {
		codes[c.String()] = true
	}
	states := map[string]bool{}
	for s := fsm.State(0); s.Valid(); s++ {
		states[s.String()] = true
	}
	validState := func(v any) bool {
		s, _ := v.(string)
		return states[s]
	}
	conns := 0
	for _, r := range recs {
		switch r["type"] {
		case "conn":
			conns++
			if int(r["id"].(float64)) != conns {
				t.Fatalf("conn id %v, want %d", r["id"], conns)
			}
			if !validState(r["client_state"]) || !validState(r["server_state"]) {
				t.Errorf("bad final state in %v", r)
			}
		case "transition":
			if int(r["conn"].(float64)) != conns || !validState(r["from"]) || !validState(r["to"]) || r["from"] == r["to"] {
				t.Errorf("bad transition %v", r)
			}
		case "violation", "note":
			// A code is a violation or a note as its catalog entry says,
			// never both.
			code, _ := fsm.ParseCode(r["code"].(string))
			note := code.Info().Fault == fsm.FaultNone
			if int(r["conn"].(float64)) != conns || !codes[r["code"].(string)] || note != (r["type"] == "note") {
				t.Errorf("bad %s %v", r["type"], r)
			}
		case "event":
			if int(r["conn"].(float64)) != conns || r["event"] == "" || (r["endpoint"] != "client" && r["endpoint"] != "server") {
				t.Errorf("bad event %v", r)
			}
		case "finding":
			ids, _ := r["conns"].([]any)
			switch r["code"] {
			case "syn_flood", "port_scan", "rst_storm":
				// About traffic in bulk: a count, no list.
				if r["count"].(float64) < 1000 || len(ids) != 0 || r["detail"] == "" {
					t.Errorf("bad finding %v", r)
				}
			default:
				if r["code"] == "" || int(r["count"].(float64)) != len(ids) || len(ids) == 0 {
					t.Errorf("bad finding %v", r)
				}
			}
			for _, id := range ids {
				if n := int(id.(float64)); n < 1 || n > conns {
					t.Errorf("finding names connection %d of %d", n, conns)
				}
			}
		case "final_states":
			n := 0
			for _, role := range []string{"client", "server"} {
				for st, v := range r[role].(map[string]any) {
					if !validState(st) {
						t.Errorf("final_states: bad state %q", st)
					}
					n += int(v.(float64))
				}
			}
			if n != 2*conns {
				t.Errorf("final_states counts %d endpoints for %d connections", n, conns)
			}
		case "stats":
		default:
			t.Errorf("unknown record %v", r)
		}
	}
}

// tuples returns the distinct address pairs of our connections, each pair
// sorted, as "a b" with IPv6 brackets removed (tshark's spelling).
func tuples(recs []map[string]any) []string {
	var out []string
	for _, r := range recs {
		if r["type"] == "conn" {
			a := strings.NewReplacer("[", "", "]", "").Replace(r["client"].(string))
			b := strings.NewReplacer("[", "", "]", "").Replace(r["server"].(string))
			out = append(out, pair(a, b))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func pair(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + " " + b
}

// tsharkTuples reads the conversation table (section 1) of a .tshark.txt.
func tsharkTuples(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no tshark view: %v", err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "## 1."):
			in = true
		case strings.HasPrefix(line, "## 2."):
			in = false
		case in && strings.Contains(line, "<->"):
			f := strings.Fields(line)
			out = append(out, pair(f[0], f[2]))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

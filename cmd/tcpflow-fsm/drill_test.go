package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
)

// The live drills (testdata/kernel/README.md, "Drills"): gen.sh, run with
// DRILL_TOOL set (testdata/kernel/drill.sh does it), made each incident with
// the kernel in network namespaces while tcpflow-fsm captured live beside
// tcpdump, and wrote, per drill, <scenario>.drill (the tool's flags, the
// findings expected, within how many seconds, when the incident started,
// when the tool was interrupted) and <scenario>.live.jsonl (the tool's
// records, each with "arrived", when it came out). TestDrills judges them.

// drillSpec is a .drill file.
type drillSpec struct {
	scenario, title, command string
	args                     string // the flags beside -i, --json and the filter
	expect                   []string
	within                   float64 // seconds after start
	startAt                  string
	start, interrupt         float64 // Unix seconds
	exitStatus               string
}

func readDrillSpec(t *testing.T, path string) drillSpec {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			kv[k] = v
		}
	}
	num := func(k string) float64 {
		f, err := strconv.ParseFloat(kv[k], 64)
		if err != nil {
			t.Fatalf("%s: %s=%q: %v", path, k, kv[k], err)
		}
		return f
	}
	return drillSpec{
		scenario: kv["scenario"], title: kv["drill"], command: kv["command"], args: kv["args"],
		expect: strings.Fields(kv["expect"]), within: num("within"), startAt: kv["start_at"],
		start: num("start"), interrupt: num("interrupt"), exitStatus: kv["exit_status"],
	}
}

// drillOutput is what the tool wrote live: the findings streamed as they
// fired (records with "ts"), when each came out, and the final list of
// findings written at the interrupt (records without "ts").
type drillOutput struct {
	streamed []streamedFinding
	final    []string
	ended    bool   // the stats record, the last, is there
	drops    uint64 // packets the kernel or the tool dropped
}

type streamedFinding struct {
	code    string
	arrived float64 // Unix seconds
}

func readDrillOutput(t *testing.T, path string) drillOutput {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var o drillOutput
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			Type    string  `json:"type"`
			Arrived float64 `json:"arrived"`
			TS      string  `json:"ts"`
			Code    string  `json:"code"`
			Capture struct {
				Kernel uint64 `json:"dropped_by_kernel"`
				Tool   uint64 `json:"dropped_by_tcpflow_fsm"`
			} `json:"capture"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %q: %v", path, sc.Text(), err)
		}
		switch {
		case r.Type == "finding" && r.TS != "":
			o.streamed = append(o.streamed, streamedFinding{r.Code, r.Arrived})
		case r.Type == "finding":
			o.final = append(o.final, r.Code)
		case r.Type == "stats":
			o.ended = true
			o.drops = r.Capture.Kernel + r.Capture.Tool
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return o
}

// drillVerdict is one row of the table.
type drillVerdict struct {
	spec     drillSpec
	cameOut  []string // per expected finding: "2.31" s after the start, or "-" (not before the interrupt)
	final    []string
	failures []string
	missing  bool // gen.sh did not make it
}

// judgeDrill: each finding expected must have been streamed before the
// tool was interrupted, at most within seconds after the incident's
// start; no other finding may have been streamed at all; the final list
// must hold exactly the findings expected.
func judgeDrill(spec drillSpec, o drillOutput) drillVerdict {
	v := drillVerdict{spec: spec, final: slices.Clone(o.final)}
	fail := func(format string, args ...any) { v.failures = append(v.failures, fmt.Sprintf(format, args...)) }
	for _, code := range spec.expect {
		first := math.Inf(1)
		for _, s := range o.streamed {
			if s.code == code && s.arrived < spec.interrupt {
				first = min(first, s.arrived-spec.start)
			}
		}
		switch {
		case math.IsInf(first, 1):
			v.cameOut = append(v.cameOut, code+" -")
			if slices.Contains(o.final, code) {
				fail("%s only at Ctrl-C (%.1f s after the start), not as it fired", code, spec.interrupt-spec.start)
			} else {
				fail("%s never, not even at Ctrl-C", code)
			}
		case first > spec.within:
			v.cameOut = append(v.cameOut, fmt.Sprintf("%s %.2f", code, first))
			fail("%s late: %.2f s after the start, more than %g s", code, first, spec.within)
		default:
			v.cameOut = append(v.cameOut, fmt.Sprintf("%s %.2f", code, first))
		}
	}
	seen := map[string]bool{}
	for _, s := range o.streamed {
		if !slices.Contains(spec.expect, s.code) && !seen[s.code] {
			seen[s.code] = true
			fail("%s streamed %.2f s after the start, not expected", s.code, s.arrived-spec.start)
		}
	}
	want, got := slices.Sorted(slices.Values(spec.expect)), slices.Sorted(slices.Values(o.final))
	if !slices.Equal(want, got) {
		fail("final findings %v, want %v", got, want)
	}
	if !o.ended {
		fail("no stats record: the tool did not end its output")
	}
	if o.drops > 0 {
		fail("%d packets dropped by the kernel or the tool", o.drops)
	}
	if spec.exitStatus != "0" {
		fail("exit status %s after SIGINT, want 0", spec.exitStatus)
	}
	return v
}

// TestDrills judges every drill gen.sh made into TCPFLOW_DRILL_DIR and
// logs a table of them.
func TestDrills(t *testing.T) {
	dir := os.Getenv("TCPFLOW_DRILL_DIR")
	if dir == "" {
		t.Skip("TCPFLOW_DRILL_DIR is not set: the drills are made by testdata/kernel/drill.sh, as root")
	}
	specs, _ := filepath.Glob(filepath.Join(dir, "*.drill"))
	if len(specs) == 0 {
		t.Fatalf("no .drill files in %s", dir)
	}
	var rows []drillVerdict
	for _, path := range specs {
		spec := readDrillSpec(t, path)
		out := readDrillOutput(t, strings.TrimSuffix(path, ".drill")+".live.jsonl")
		rows = append(rows, judgeDrill(spec, out))
	}
	// TCPFLOW_DRILL_ORDER (drill.sh sets it) names the drills asked for,
	// in order: one gen.sh could not make (its kernel checks failed every
	// attempt) fails here too.
	slices.SortStableFunc(rows, func(a, b drillVerdict) int { return strings.Compare(a.spec.scenario, b.spec.scenario) })
	if order := os.Getenv("TCPFLOW_DRILL_ORDER"); order != "" {
		pos := map[string]int{}
		for i, s := range strings.Fields(order) {
			pos[s] = i + 1
			if !slices.ContainsFunc(rows, func(r drillVerdict) bool { return r.spec.scenario == s }) {
				rows = append(rows, drillVerdict{spec: drillSpec{scenario: s}, missing: true,
					failures: []string{"not made: see gen.sh's log"}})
			}
		}
		slices.SortStableFunc(rows, func(a, b drillVerdict) int { return pos[a.spec.scenario] - pos[b.spec.scenario] })
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "drill\tscenario\tflags\texpected\tcame out after (s)\twithin (s)\tfinal findings\tverdict")
	for _, r := range rows {
		dash := func(s []string) string {
			if len(s) == 0 {
				return "none"
			}
			return strings.Join(s, " ")
		}
		verdict := "pass"
		if len(r.failures) > 0 {
			verdict = "FAIL: " + strings.Join(r.failures, "; ")
		}
		flags := r.spec.args
		if flags == "" {
			flags = "defaults"
		}
		if r.missing {
			fmt.Fprintf(tw, "-\t%s\t-\t-\t-\t-\t-\t%s\n", r.spec.scenario, verdict)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%g\t%s\t%s\n", r.spec.title, r.spec.scenario, flags, dash(r.spec.expect),
			dash(r.cameOut), r.spec.within, dash(r.final), verdict)
	}
	tw.Flush()
	t.Logf("live drills (%s):\n%s", dir, b.String())
	for _, r := range rows {
		for _, f := range r.failures {
			t.Errorf("drill %s: %s", r.spec.scenario, f)
		}
	}
}

// TestJudgeDrill checks the verdicts of the drills on made-up outputs: a
// finding in time passes; one late, one only in the list at Ctrl-C, one
// missing, one not expected (streamed or in the list) fails.
func TestJudgeDrill(t *testing.T) {
	spec := drillSpec{scenario: "s", expect: []string{"close_wait"}, within: 5, start: 100, interrupt: 108, exitStatus: "0"}
	none := drillSpec{scenario: "s", within: 5, start: 100, interrupt: 105, exitStatus: "0"}
	for _, tc := range []struct {
		name string
		spec drillSpec
		out  drillOutput
		want []string // substrings of the failures, in order; none: a pass
	}{
		{"in time", spec, drillOutput{streamed: []streamedFinding{{"close_wait", 102.5}}, final: []string{"close_wait"}, ended: true}, nil},
		{"late", spec, drillOutput{streamed: []streamedFinding{{"close_wait", 106}}, final: []string{"close_wait"}, ended: true},
			[]string{"close_wait late: 6.00 s"}},
		{"after the interrupt", spec, drillOutput{streamed: []streamedFinding{{"close_wait", 108.1}}, final: []string{"close_wait"}, ended: true},
			[]string{"close_wait only at Ctrl-C"}},
		{"only at Ctrl-C", spec, drillOutput{final: []string{"close_wait"}, ended: true}, []string{"close_wait only at Ctrl-C"}},
		{"never", spec, drillOutput{ended: true}, []string{"close_wait never", "final findings [], want [close_wait]"}},
		{"a wrong one streamed", spec, drillOutput{streamed: []streamedFinding{{"close_wait", 101}, {"aborted", 101}}, final: []string{"close_wait"}, ended: true},
			[]string{"aborted streamed 1.00 s after the start, not expected"}},
		{"a wrong one at the end", spec, drillOutput{streamed: []streamedFinding{{"close_wait", 101}}, final: []string{"close_wait", "fin_wait_2"}, ended: true},
			[]string{"final findings [close_wait fin_wait_2], want [close_wait]"}},
		{"healthy", none, drillOutput{ended: true}, nil},
		{"healthy, one streamed", none, drillOutput{streamed: []streamedFinding{{"dead_peer", 104}}, ended: true},
			[]string{"dead_peer streamed"}},
		{"no end, drops", none, drillOutput{drops: 3}, []string{"no stats record", "3 packets dropped"}},
	} {
		v := judgeDrill(tc.spec, tc.out)
		if len(v.failures) != len(tc.want) {
			t.Errorf("%s: failures %q, want %q", tc.name, v.failures, tc.want)
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(v.failures[i], w) {
				t.Errorf("%s: failure %q, want %q", tc.name, v.failures[i], w)
			}
		}
	}
}

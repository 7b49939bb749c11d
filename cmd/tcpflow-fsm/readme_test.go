package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/report"
)

// The README's examples of output are the tool's output, checked here so
// that they cannot drift from it. Each fenced block of the README follows
// a comment that says where it comes from:
//
//	<!-- example: ARGS -->           the block is the standard output of
//	                                 tcpflow-fsm ARGS (paths from the
//	                                 repository root)
//	<!-- example excerpt: ARGS -->   its lines are some of that output's
//	                                 lines, in order
//	<!-- example live: PCAP -->      the standard output of a live capture,
//	                                 TZ=UTC, saved with -w as PCAP: the live
//	                                 analysis of PCAP prints it again
//	<!-- example live excerpt: PCAP -->  its lines are some of the lines the
//	                                 live analysis of PCAP prints, in order
//	<!-- example live stderr -->     what that capture printed on standard
//	                                 error: the same lines the tool prints
//	                                 for those numbers
//	<!-- example top: PCAP SOURCE -->  the last screen of --top on 80×24,
//	                                 PCAP fed through it as live capture,
//	                                 SOURCE (the interface and filter) in
//	                                 its header
//
// A fenced block with no such comment fails the test. After a deliberate
// change to the output, go test ./cmd/tcpflow-fsm -run TestREADMEExamples
// -update rewrites the blocks (excerpts by hand); read the diff.

const readmePath = "../../README.md"

// readmeExample is one fenced block and its comment.
type readmeExample struct {
	kind, args string
	line       int // of the block's first line, from 1
	body       string
	start, end int // byte offsets of the body in the README
}

var exampleComment = regexp.MustCompile(`^<!-- example( excerpt| live stderr| live excerpt| live| top)?:?\s*(.*?)\s*-->$`)

func readmeExamples(t *testing.T, readme string) []readmeExample {
	t.Helper()
	var (
		exs     []readmeExample
		pending *readmeExample
		in      bool
		off     int
	)
	for i, line := range strings.SplitAfter(readme, "\n") {
		text := strings.TrimRight(line, "\n")
		switch {
		case !in && strings.HasPrefix(text, "```"):
			in = true
			if pending == nil {
				t.Errorf("README.md:%d: a fenced block without an <!-- example ... --> comment", i+1)
				pending = &readmeExample{kind: "unchecked"}
			}
			pending.line, pending.start = i+2, off+len(line)
		case in && text == "```":
			in = false
			pending.end = off
			pending.body = readme[pending.start:pending.end]
			exs = append(exs, *pending)
			pending = nil
		case !in:
			if m := exampleComment.FindStringSubmatch(text); m != nil {
				pending = &readmeExample{kind: strings.TrimSpace(m[1]), args: m[2]}
			} else if pending != nil && text != "" {
				t.Errorf("README.md:%d: text between an example comment and its block", i+1)
				pending = nil
			}
		}
		off += len(line)
	}
	if in {
		t.Errorf("README.md: a fenced block is not closed")
	}
	return exs
}

// rootArgs turns the comment's words into arguments, with paths to files
// of the repository made relative to this package.
func rootArgs(words string) []string {
	args := strings.Fields(words)
	for i, a := range args {
		if _, err := os.Stat(filepath.Join("../..", a)); err == nil && strings.Contains(a, "/") {
			args[i] = filepath.Join("../..", a)
		}
	}
	return args
}

func TestREADMEExamples(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	exs := readmeExamples(t, readme)
	if len(exs) < 8 {
		t.Fatalf("only %d examples in the README", len(exs))
	}
	var liveStream string // the output of the last live example
	updated := readme
	// Blocks are rewritten from the last, so the offsets of the earlier
	// ones still hold.
	var rewrites []readmeExample
	for _, ex := range exs {
		var want string
		switch ex.kind {
		case "unchecked":
			continue
		case "", "excerpt":
			var stdout, stderr bytes.Buffer
			if code := run(rootArgs(ex.args), nil, &stdout, &stderr); code != 0 {
				t.Errorf("README.md:%d: tcpflow-fsm %s: exit %d: %s", ex.line, ex.args, code, stderr.String())
				continue
			}
			want = stdout.String()
		case "live", "live excerpt":
			var out bytes.Buffer
			st := report.NewStream(&out, time.UTC)
			streamCapture(t, filepath.Join("../..", ex.args), st)
			want = out.String()
			if ex.kind == "live" {
				liveStream = want
			}
		case "live stderr":
			want = liveStderr(t, ex, liveStream)
		case "top":
			pcap, source, _ := strings.Cut(ex.args, " ")
			want = strings.Join(topScreen(t, filepath.Join("../..", pcap), source), "\n") + "\n"
		}
		if ex.kind == "excerpt" || ex.kind == "live excerpt" {
			if !isSubsequence(strings.Split(strings.TrimSuffix(ex.body, "\n"), "\n"), strings.Split(want, "\n")) {
				t.Errorf("README.md:%d: the %s of %s is not in its output (edit it by hand); the output:\n%s", ex.line, ex.kind, ex.args, want)
			}
			continue
		}
		if ex.body != want {
			if *update {
				ex.body = want
				rewrites = append(rewrites, ex)
				continue
			}
			t.Errorf("README.md:%d: the example differs from the output of %s %s (run with -update and read the diff)\nREADME:\n%s\noutput:\n%s",
				ex.line, ex.kind, ex.args, ex.body, want)
		}
	}
	if len(rewrites) > 0 {
		for i := len(rewrites) - 1; i >= 0; i-- {
			r := rewrites[i]
			updated = updated[:r.start] + r.body + updated[r.end:]
		}
		if err := os.WriteFile(readmePath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// liveStderr is what a live capture prints on standard error for the
// interface, link type, snapshot length and counters the README's block
// names; the packets captured must be those of the live example's
// capture line.
func liveStderr(t *testing.T, ex readmeExample, stream string) string {
	t.Helper()
	m := regexp.MustCompile(`listening on (\S+), link-type (\d+), snapshot length (\d+) bytes`).FindStringSubmatch(ex.body)
	n := func(what string) uint64 {
		c := regexp.MustCompile(`(?m)^(\d+) packets ` + regexp.QuoteMeta(what) + `$`).FindStringSubmatch(ex.body)
		if c == nil {
			t.Errorf("README.md:%d: no %q line", ex.line, what)
			return 0
		}
		v, _ := strconv.ParseUint(c[1], 10, 64)
		return v
	}
	if m == nil {
		t.Errorf("README.md:%d: no listening line", ex.line)
		return ""
	}
	lt, _ := strconv.Atoi(m[2])
	snap, _ := strconv.Atoi(m[3])
	c := &report.LiveCounters{Captured: n("captured"), ReceivedByFilter: n("received by filter"),
		DroppedByKernel: n("dropped by kernel"), DroppedByTool: n("dropped by tcpflow-fsm (queue full)")}
	if want := fmt.Sprintf("capture: %d packets read,", c.Captured); !strings.Contains(stream, want) {
		t.Errorf("README.md:%d: %d packets captured, but the live example's output does not say %q", ex.line, c.Captured, want)
	}
	var b bytes.Buffer
	b.WriteString(listeningLine(m[1], lt, snap))
	report.WriteLiveCounters(&b, c)
	return b.String()
}

// isSubsequence reports whether every line of part is in whole, in order.
func isSubsequence(part, whole []string) bool {
	i := 0
	for _, l := range whole {
		if i < len(part) && l == part[i] {
			i++
		}
	}
	return i == len(part)
}

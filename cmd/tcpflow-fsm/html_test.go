package main

// The HTML report's data, checked against the JSON output of the same
// capture: the page's table must say what --json says of each connection,
// and each connection's detail must hold its segments and events. What the
// page draws of that data is checked in a browser (html_browser_test.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/report/browser"
)

// htmlReport is the data a report carries.
type htmlReport struct {
	meta   map[string]any
	conns  htmlColumns
	detail []htmlDetail
	page   string
	path   string // the report's file
}

type htmlColumns struct {
	ID     []int      `json:"id"`
	Client []string   `json:"client"`
	Server []string   `json:"server"`
	CSt    []int      `json:"cst"`
	SSt    []int      `json:"sst"`
	ZS     []string   `json:"zs"`
	Hist   []string   `json:"hist"`
	Pk     [][2]int   `json:"pk"`
	Vi     []int      `json:"vi"`
	Codes  [][]string `json:"codes"`
	Off    []int      `json:"off"`
	Len    []int      `json:"len"`
}

type htmlDetail struct {
	P []int64 `json:"p"`
	E []int64 `json:"e"`
	K []int64 `json:"k"`
	D []int64 `json:"d"`
	X int     `json:"x"`
}

var scriptRE = regexp.MustCompile(`(?s)<script type="[^"]+" id="(\w+)">(.*?)</script>`)

// readHTML writes the report of capture to a file and parses its data.
func readHTML(t *testing.T, args ...string) (*htmlReport, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	var stdout, stderr bytes.Buffer
	if code := run(append(args, "--html", out), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r := &htmlReport{page: string(page), path: out}
	parts := map[string]string{}
	for _, m := range scriptRE.FindAllStringSubmatch(r.page, -1) {
		parts[m[1]] = m[2]
	}
	if err := json.Unmarshal([]byte(parts["meta"]), &r.meta); err != nil {
		t.Fatalf("meta: %v", err)
	}
	if err := json.Unmarshal([]byte(parts["conns"]), &r.conns); err != nil {
		t.Fatalf("conns: %v", err)
	}
	detail := parts["detail"]
	for i := range r.conns.ID {
		var d htmlDetail
		line := detail[r.conns.Off[i] : r.conns.Off[i]+r.conns.Len[i]]
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("detail of conn %d: %v", r.conns.ID[i], err)
		}
		r.detail = append(r.detail, d)
	}
	if n := strings.Count(detail, "\n"); n != len(r.conns.ID) {
		t.Errorf("%d lines of detail for %d connections", n, len(r.conns.ID))
	}
	return r, stdout.Bytes()
}

// TestHTMLMatchesJSON: for the kernel's captures, the report's table says
// of each connection what --json says (states, conn_state, history,
// packets, violations), and its detail holds every segment and event.
func TestHTMLMatchesJSON(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/kernel/*.pcap")
	if len(files) < 30 {
		t.Fatalf("only %d kernel captures", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rep, _ := readHTML(t, "-r", f, "--summary", "--workers", "1")
			var stdout, stderr bytes.Buffer
			if code := run([]string{"-r", f, "--json", "--workers", "1"}, nil, &stdout, &stderr); code != 0 {
				t.Fatalf("--json: exit %d", code)
			}
			recs := parseRecords(t, stdout.Bytes())
			states := rep.meta["states"].([]any)
			events := map[int]int{}
			var conns []map[string]any
			for _, r := range recs {
				switch r["type"] {
				case "conn":
					conns = append(conns, r)
				case "transition", "violation", "note":
					events[int(r["conn"].(float64))]++
				}
			}
			if len(conns) != len(rep.conns.ID) {
				t.Fatalf("%d connections in the report, %d in the JSON", len(rep.conns.ID), len(conns))
			}
			if n := int(rep.meta["connections"].(float64)); n != len(conns) {
				t.Errorf("meta says %d connections, JSON %d", n, len(conns))
			}
			for i, c := range conns {
				id := int(c["id"].(float64))
				cs := &rep.conns
				got := []any{cs.ID[i], cs.Client[i], cs.Server[i], states[cs.CSt[i]], states[cs.SSt[i]], cs.ZS[i], cs.Hist[i],
					cs.Pk[i][0], cs.Pk[i][1], len(cs.Codes[i])}
				want := []any{id, c["client"], c["server"], c["client_state"], c["server_state"], c["conn_state"], c["history"],
					int(c["client_packets"].(float64)), int(c["server_packets"].(float64)), len(c["violations"].([]any))}
				for k := range got {
					if got[k] != want[k] {
						t.Errorf("conn %d field %d: report %v, JSON %v", id, k, got[k], want[k])
					}
				}
				d := rep.detail[i]
				if len(d.P)%8 != 0 || len(d.P)/8+d.X != cs.Pk[i][0]+cs.Pk[i][1] {
					t.Errorf("conn %d: %d numbers of segments (+%d left out) for %d packets", id, len(d.P), d.X, cs.Pk[i][0]+cs.Pk[i][1])
				}
				if len(d.E)/9 != events[id] {
					t.Errorf("conn %d: %d events in the report, %d in the JSON", id, len(d.E)/9, events[id])
				}
				// The client's first segment of a handshake is its SYN at
				// relative sequence number 0.
				if len(d.P) > 0 && d.P[1]>>8 == 0 && d.P[1]&0x02 != 0 && d.P[2] != 0 {
					t.Errorf("conn %d: the client's SYN is at SEQ=%d, want 0", id, d.P[2])
				}
			}
		})
	}
}

// TestHTMLSelfContained: the report loads nothing from anywhere: no
// external script, style, image or font; and what a capture's name holds
// cannot end a script or inject markup.
func TestHTMLSelfContained(t *testing.T) {
	// A folder "<" holding "script>…": the path holds "</script>".
	dir := filepath.Join(t.TempDir(), "<")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	evil := dir + `/script><script>alert(1)<!--.pcap`
	src, err := os.ReadFile("../../testdata/kernel/close-client-first.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(evil, src, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, _ := readHTML(t, "-r", evil, "--summary")
	if strings.Count(rep.page, "<script") != 4 || strings.Count(rep.page, "</script>") != 4 {
		t.Errorf("the page has %d script starts and %d ends, want 4 of each", strings.Count(rep.page, "<script"), strings.Count(rep.page, "</script>"))
	}
	if rep.meta["file"] != evil {
		t.Errorf("meta file %q, want %q", rep.meta["file"], evil)
	}
	for _, bad := range []string{`src="http`, `href="http`, `url(http`, "@import", `src="//`, "<link", "<iframe"} {
		if strings.Contains(rep.page, bad) {
			t.Errorf("the page refers outside itself: %q", bad)
		}
	}
	if refs := regexp.MustCompile(`https?://[^"' )]+`).FindAllString(rep.page, -1); len(refs) > 0 {
		for _, r := range refs {
			if r != "http://www.w3.org/2000/svg" { // a namespace name, never fetched
				t.Errorf("the page names %s", r)
			}
		}
	}
}

// TestHTMLFlags: --html goes with -r, and a report that cannot be written
// fails before anything is read.
func TestHTMLFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-i", "lo", "--html", "x.html"}, exitUsage, "--html writes a report of a capture file: it goes with -r"},
		{[]string{"-r", "../../testdata/kernel/close-client-first.pcap", "--html", "/nonexistent/dir/r.html"}, exitInput, "cannot write the report"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, nil, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.msg)
		}
		if c.code == exitInput && stdout.Len() != 0 {
			t.Errorf("%v: wrote %q before failing", c.args, stdout.String())
		}
	}
}

// TestHTMLCorpus: a report of every real capture is written, its data
// parses, and it has a line of detail for every connection; a damaged
// capture still gets its report of what was read. With a browser (CI has
// one), each report is also opened, and its first connections and its
// last drawn and stepped through: odd captures (mid-stream starts, damaged
// files, one-sided traffic, odd link types) must draw without a console
// error.
func TestHTMLCorpus(t *testing.T) {
	manifest := needCorpus(t)
	var tab *browser.Page // one page, reused for every report
	if _, err := browser.Find(); err == nil || os.Getenv(browser.EnvRequired) != "" {
		b := browser.Start(t)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if tab, err = b.NewPage(ctx); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Logf("no browser (%v): the reports are checked, not opened", err)
	}
	lines := strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:]
	for _, line := range lines {
		file := strings.Split(line, "\t")[0]
		t.Run(file, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.html")
			var stdout, stderr bytes.Buffer
			code := run([]string{"-r", filepath.Join(corpusDir, file), "--summary", "--workers", "1", "--html", out}, nil, &stdout, &stderr)
			if code != 0 && code != 1 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			page, err := os.ReadFile(out)
			if code == 1 && os.IsNotExist(err) {
				return // refused at its header: nothing was read, no report left
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(page, []byte("</html>\n")) {
				t.Fatal("the report is not complete")
			}
			var meta map[string]any
			var cols htmlColumns
			for _, m := range scriptRE.FindAllStringSubmatch(string(page), -1) {
				switch m[1] {
				case "meta":
					err = json.Unmarshal([]byte(m[2]), &meta)
				case "conns":
					err = json.Unmarshal([]byte(m[2]), &cols)
				case "detail":
					if n := strings.Count(m[2], "\n"); n != len(cols.ID) {
						t.Errorf("%d lines of detail for %d connections", n, len(cols.ID))
					}
				}
				if err != nil {
					t.Fatalf("%s: %v", m[1], err)
				}
			}
			if code == 1 && meta["read_error"] == nil {
				t.Error("a damaged capture's report does not say so")
			}
			if tab == nil {
				return
			}
			p := tab
			reopen(t, p, out)
			var bad []string
			eval(t, p, `(() => {
				const bad = [];
				const ids = JSON.parse(document.getElementById("conns").textContent).id;
				for (const id of ids.slice(0, 3).concat(ids.length > 3 ? [ids[ids.length - 1]] : [])) {
					tcpflowReport.open(id);
					const c = tcpflowReport.current();
					for (let k = -1; k < Math.min(c.segments, 200); k++) tcpflowReport.step(k);
					if (document.querySelectorAll("#ladder .seg").length !== Math.min(c.segments, 400)) bad.push("conn " + id + ": arrows");
				}
				return bad;
			})()`, &bad)
			if len(bad) > 0 {
				t.Error(bad)
			}
			if errs := p.ConsoleErrors(); len(errs) > 0 {
				t.Errorf("console errors: %q", errs)
			}
		})
	}
}

// TestWorkersSameFiles: the files --html and --zeek-log write are the same
// byte for byte with one worker or two, as standard output is
// (TestWorkersSameOutput, which also reads the corpus: the files are
// written from the same calls to the renderers). The kernel's captures, and
// three of the corpus: many connections, one-sided traffic, and none.
func TestWorkersSameFiles(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/kernel/*.pcap")
	for _, f := range []string{"zeek/wikipedia.pcap", "zeek/tcp_one-sided-2745.pcap", "suricata-verify/decode-too-small.pcap"} {
		if _, err := os.Stat(filepath.Join(corpusDir, f)); err == nil {
			files = append(files, filepath.Join(corpusDir, f))
		}
	}
	dir := t.TempDir()
	write := func(file, workers string) (html, zeek []byte) {
		h, z := filepath.Join(dir, "r"+workers+".html"), filepath.Join(dir, "c"+workers+".log")
		os.Remove(h)
		os.Remove(z)
		run([]string{"-r", file, "--summary", "--workers", workers, "--html", h, "--zeek-log", z}, nil, &bytes.Buffer{}, &bytes.Buffer{})
		html, _ = os.ReadFile(h)
		zeek, _ = os.ReadFile(z)
		if !regexp.MustCompile(`\n[0-9]`).Match(zeek) { // no row
			// A log of no connection is opened and closed at the time
			// of day (there is no packet time): leave those lines out.
			zeek = regexp.MustCompile(`(?m)^#(open|close)\t.*\n`).ReplaceAll(zeek, nil)
		}
		return html, zeek
	}
	for _, f := range files {
		h1, z1 := write(f, "1")
		h2, z2 := write(f, "2")
		if !bytes.Equal(h1, h2) || !bytes.Equal(z1, z2) {
			t.Errorf("%s: the files differ with --workers 2 (HTML %v, conn.log %v)", f, bytes.Equal(h1, h2), bytes.Equal(z1, z2))
		}
	}
}

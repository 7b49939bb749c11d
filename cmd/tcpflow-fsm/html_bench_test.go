package main

// Benchmarks of the HTML report of a large capture: how long it takes to
// write and how big it is (BenchmarkHTMLWrite), and how long its page takes
// to become usable in headless Chromium (BenchmarkHTMLUsable). They run on
// the capture TCPFLOW_BENCH_PCAP names, e.g. the million-packet capture of
// make bench:
//
//	TCPFLOW_BENCH_PCAP=$PWD/bench/out/bench-n1000000-c4000-s1-<hash>.pcap \
//	  go test ./cmd/tcpflow-fsm -run '^$' -bench HTML -benchtime 3x
//
// make bench-html does this. Without the variable they skip.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tcpflow-fsm/report/browser"
)

func benchCapture(b *testing.B) string {
	f := os.Getenv("TCPFLOW_BENCH_PCAP")
	if f == "" {
		b.Skip("TCPFLOW_BENCH_PCAP names no capture")
	}
	return f
}

// BenchmarkHTMLWrite writes the report with --summary: the time is the
// whole run (read, analyse, write), the size is reported as MB/report.
func BenchmarkHTMLWrite(b *testing.B) {
	f := benchCapture(b)
	out := filepath.Join(b.TempDir(), "r.html")
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-r", f, "--summary", "--html", out}, nil, &stdout, &stderr); code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	st, err := os.Stat(out)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/1e6, "MB/report")
}

// BenchmarkHTMLUsable opens the report in headless Chromium: the time from
// navigation to the page's ready mark (its overview and table drawn) is
// reported as ms-to-usable; then a connection is opened, its time as
// ms-to-open; then the table is sorted twice and filtered twice, all four
// as ms-to-sort-and-filter.
func BenchmarkHTMLUsable(b *testing.B) {
	f := benchCapture(b)
	out := filepath.Join(b.TempDir(), "r.html")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-r", f, "--summary", "--html", out}, nil, &stdout, &stderr); code != 0 {
		b.Fatalf("exit %d: %s", code, stderr.String())
	}
	br := browser.Start(b)
	ctx := context.Background()
	var usable, open, sort time.Duration
	n := 0
	for b.Loop() {
		p, err := br.NewPage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		d, err := p.MeasureUsable(ctx, browser.FileURL(out), `document.documentElement.dataset.ready === "1"`)
		if err != nil {
			b.Fatal(err)
		}
		usable += d
		var ms float64
		if err := p.Eval(ctx, `(() => { const t = performance.now(); tcpflowReport.open(1); return performance.now() - t; })()`, &ms); err != nil {
			b.Fatal(err)
		}
		open += time.Duration(ms * float64(time.Millisecond))
		// Sort by duration, descending (two clicks), then filter by text.
		if err := p.Eval(ctx, `(() => { const t = performance.now();
			const h = document.querySelectorAll("#thead button")[7]; h.click(); h.click();
			const f = document.getElementById("f-text"); f.value = "1"; f.dispatchEvent(new Event("input"));
			f.value = ""; f.dispatchEvent(new Event("input"));
			return performance.now() - t; })()`, &ms); err != nil {
			b.Fatal(err)
		}
		sort += time.Duration(ms * float64(time.Millisecond))
		if errs := p.ConsoleErrors(); len(errs) > 0 {
			b.Fatalf("console errors: %q", errs)
		}
		p.Close(ctx)
		n++
	}
	b.ReportMetric(float64(usable.Milliseconds())/float64(n), "ms-to-usable")
	b.ReportMetric(float64(open.Milliseconds())/float64(n), "ms-to-open")
	b.ReportMetric(float64(sort.Milliseconds())/float64(n), "ms-to-sort-and-filter")
}

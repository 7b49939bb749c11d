package main

// The HTML report in a real browser (headless Chromium, report/browser):
// reports of the kernel's captures open with no console error, draw what
// their data says (an arrow a segment, a band a state, a row a
// connection), step through every segment, follow the theme, print, and
// look as the reviewed golden screenshots do. Without Chromium these tests
// skip, saying so; CI sets TCPFLOW_BROWSER_REQUIRED=1 to make that a
// failure. The corpus captures' reports are opened in TestHTMLCorpus.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/report/browser"
)

// writeReport writes the report of capture (with args) into dir.
func writeReport(t *testing.T, dir, capture string, args ...string) string {
	t.Helper()
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(capture), filepath.Ext(capture))+".html")
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"-r", capture, "--summary", "--workers", "1", "--html", out}, args...), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	return out
}

// openReport opens a report in a new page and waits until it is usable.
func openReport(t *testing.T, b *browser.Browser, path string) *browser.Page {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	reopen(t, p, path)
	return p
}

// reopen opens a report in page p, which may have shown another (a page
// is cheaper to reuse than to make), and waits until it is usable.
func reopen(t *testing.T, p *browser.Page, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p.ClearConsole()
	if err := p.Open(ctx, browser.FileURL(path)); err != nil {
		t.Fatal(err)
	}
	// Ready, or failed: a script error stops the wait at once.
	for i := 0; ; i++ {
		err := p.WaitFor(ctx, `document.documentElement.dataset.ready === "1"`, 500*time.Millisecond)
		if err == nil {
			break
		}
		if errs := p.ConsoleErrors(); len(errs) > 0 || i == 60 {
			t.Fatalf("the page never became ready: %v; console: %q", err, errs)
		}
	}
}

func eval(t *testing.T, p *browser.Page, js string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.Eval(ctx, js, out); err != nil {
		t.Fatalf("%v\nin: %s", err, js)
	}
}

// connCheck is what the page drew of one connection.
type connCheck struct {
	Segments int
	Drawn    int // arrows in the ladder
	Limit    int // rows the ladder draws before asking
	// States of each side's pieces, in order: in the ladder's bands and
	// in the state timeline; and as the events say.
	LadderBands, TimelineBands, Want [2][]string
	// Steps that did not highlight exactly their own arrow, and steps
	// whose transitions lit no table cell or no diagram edge.
	BadArrow, NoCell, NoEdge []int
	Explanations             []string
}

const checkConnJS = `(() => {
  const r = window.tcpflowReport;
  r.open(%d);
  const c = r.current();
  const out = {Segments: c.segments, Drawn: document.querySelectorAll("#ladder .seg").length, Limit: 400,
    LadderBands: [[], []], TimelineBands: [[], []], Want: [[], []], BadArrow: [], NoCell: [], NoEdge: [], Explanations: []};
  const sides = ["client", "server"];
  document.querySelectorAll("#ladder rect.band").forEach((b) => out.LadderBands[sides.indexOf(b.dataset.side)].push(b.dataset.state));
  document.querySelectorAll("#bands rect.band").forEach((b) => out.TimelineBands[sides.indexOf(b.dataset.side)].push(b.dataset.state));
  const states = JSON.parse(document.getElementById("meta").textContent).states;
  [0, 1].forEach((s) => {
    const first = c.events.find((e) => e.kind === 0 && e.side === s);
    out.Want[s].push(states[first ? first.from : 0]);
    c.events.forEach((e) => { if (e.kind === 0 && e.side === s) out.Want[s].push(states[e.to]); });
  });
  c.events.forEach((e) => out.Explanations.push(e.expl));
  for (let k = 0; k < Math.min(c.segments, out.Limit); k++) {
    r.step(k);
    const cur = document.querySelectorAll("#ladder .seg.cur");
    if (cur.length !== 1 || +cur[0].dataset.i !== k) out.BadArrow.push(k);
    if (c.events.some((e) => e.at === k + 1 && e.kind === 0)) {
      if (!document.querySelector("#rules td.cur")) out.NoCell.push(k);
      if (!document.querySelector("#fsm .edge.cur")) out.NoEdge.push(k);
    }
  }
  return out;
})()`

// TestHTMLInBrowser opens the report of every kernel capture.
func TestHTMLInBrowser(t *testing.T) {
	b := browser.Start(t)
	files, _ := filepath.Glob("../../testdata/kernel/*.pcap")
	if len(files) < 30 {
		t.Fatalf("only %d kernel captures", len(files))
	}
	space := regexp.MustCompile(`\s+`)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rep, _ := readHTML(t, "-r", f, "--summary", "--workers", "1")
			p := openReport(t, b, rep.path)
			var table struct{ Rows, Aria, Drawn int }
			eval(t, p, `({Rows: tcpflowReport.rows(), Aria: +document.getElementById("table").getAttribute("aria-rowcount"),
				Drawn: document.querySelectorAll("#spacer .row").length})`, &table)
			n := len(rep.conns.ID)
			if table.Rows != n || table.Aria != n+1 {
				t.Errorf("the table has %d rows (aria-rowcount %d) for %d connections", table.Rows, table.Aria, n)
			}
			if table.Drawn < min(n, 10) || table.Drawn > min(n, 40) {
				t.Errorf("%d rows drawn for %d connections: the table should draw a screenful", table.Drawn, n)
			}
			// The --explain sentences, with the text's wrapping undone.
			var text bytes.Buffer
			run([]string{"-r", f, "--explain", "--workers", "1"}, nil, &text, &bytes.Buffer{})
			explained := space.ReplaceAllString(text.String(), " ")
			ids := rep.conns.ID
			if len(ids) > 6 {
				ids = append(ids[:5:5], ids[len(ids)-1])
			}
			for _, id := range ids {
				var c connCheck
				eval(t, p, fmt.Sprintf(checkConnJS, id), &c)
				want := min(c.Segments, c.Limit)
				if c.Drawn != want {
					t.Errorf("conn %d: %d arrows in the ladder for %d segments", id, c.Drawn, want)
				}
				for s := range 2 {
					if c.Segments <= c.Limit && !equalStrings(c.LadderBands[s], c.Want[s]) {
						t.Errorf("conn %d side %d: ladder bands %v, transitions say %v", id, s, c.LadderBands[s], c.Want[s])
					}
					if !equalStrings(c.TimelineBands[s], c.Want[s]) {
						t.Errorf("conn %d side %d: state timeline %v, transitions say %v", id, s, c.TimelineBands[s], c.Want[s])
					}
				}
				if len(c.BadArrow) > 0 || len(c.NoCell) > 0 || len(c.NoEdge) > 0 {
					t.Errorf("conn %d: stepping: arrow not highlighted at %v; no table cell at %v; no diagram edge at %v", id, c.BadArrow, c.NoCell, c.NoEdge)
				}
				for _, e := range c.Explanations {
					if !strings.Contains(explained, space.ReplaceAllString(e, " ")) {
						t.Errorf("conn %d: explanation %q is not one --explain gives", id, e)
					}
				}
			}
			if errs := p.ConsoleErrors(); len(errs) > 0 {
				t.Errorf("console errors: %q", errs)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHTMLInteraction: the time-sequence graph has a bar for each segment of the
// direction shown that carries data, a SYN or a FIN, retransmissions
// marked; the filter narrows the table; Enter on a row opens it.
func TestHTMLInteraction(t *testing.T) {
	b := browser.Start(t)
	dir := t.TempDir()
	p := openReport(t, b, writeReport(t, dir, "../../testdata/kernel/loss.pcap"))
	var g struct{ Bars, Rx, Marks int }
	eval(t, p, `(tcpflowReport.open(1), {Bars: document.querySelectorAll("#tsg svg[role=img] line.tsg-seg").length,
		Rx: document.querySelectorAll("#tsg svg[role=img] line.tsg-seg.rx").length,
		Marks: document.querySelectorAll("#tsg svg[role=img] path.tsg-rxmark").length})`, &g)
	rep, _ := readHTML(t, "-r", "../../testdata/kernel/loss.pcap", "--summary", "--workers", "1")
	want, wantRx := 0, 0
	d := rep.detail[0]
	for k := 0; k+8 <= len(d.P); k += 8 {
		side, flags, n, ev := d.P[k+1]>>8, d.P[k+1]&0xff, d.P[k+5], d.P[k+6]
		if side != 0 || n == 0 && flags&0x03 == 0 { // 0x01 FIN, 0x02 SYN
			continue
		}
		want++
		if ev&(1<<1|1<<2|1<<3) != 0 {
			wantRx++
		}
	}
	if g.Bars != want || g.Rx != wantRx || g.Marks != wantRx {
		t.Errorf("time-sequence graph: %d bars, %d retransmissions (%d marked); the data has %d and %d", g.Bars, g.Rx, g.Marks, want, wantRx)
	}
	if wantRx == 0 {
		t.Error("loss.pcap has no retransmission from the client: the test checks nothing")
	}
	var z struct{ Before, After int }
	eval(t, p, `(() => {
		const before = document.querySelectorAll("#tsg svg[role=img] line.tsg-seg").length;
		const s = document.querySelector("#tsg svg"), r = s.getBoundingClientRect();
		const ev = (type, x, y) => s.dispatchEvent(new MouseEvent(type, {clientX: r.left + x, clientY: r.top + y, bubbles: true}));
		ev("mousedown", 100, 40); ev("mousemove", 300, 200); ev("mouseup", 300, 200);
		const visible = [...document.querySelectorAll("#tsg svg[role=img] line.tsg-seg")].filter((l) => {
			const x = +l.getAttribute("x1"); return x >= 80 && x <= 960; }).length;
		return {Before: before, After: visible};
	})()`, &z)
	if z.Before == 0 || z.After >= z.Before {
		t.Errorf("zoom: %d bars before, %d in view after zooming in", z.Before, z.After)
	}
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}

	// The table: filters and keyboard.
	many := openReport(t, b, writeReport(t, dir, "../../testdata/kernel/time-wait-pileup.pcap"))
	var f struct{ All, Port, None int }
	eval(t, many, `(() => {
		const all = tcpflowReport.rows();
		const set = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event("input")); };
		const port = +document.querySelector("#spacer .row span:nth-child(3)").textContent.split(":").pop();
		set("f-port", String(port));
		const byPort = tcpflowReport.rows();
		set("f-port", "1");
		const none = tcpflowReport.rows();
		set("f-port", "");
		const row = document.querySelector("#spacer .row");
		row.focus();
		row.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
		return {All: all, Port: byPort, None: none};
	})()`, &f)
	var opened struct{ ID int }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := many.WaitFor(ctx, `tcpflowReport.current() !== null`, 10*time.Second); err != nil {
		t.Errorf("Enter on a row opened no connection: %v", err)
	} else {
		eval(t, many, `({ID: tcpflowReport.current().id})`, &opened)
	}
	if f.All < 20 || f.Port != f.All || f.None != 0 || opened.ID == 0 {
		t.Errorf("filters: %d rows, %d on the server's port, %d on port 1; Enter opened %d", f.All, f.Port, f.None, opened.ID)
	}
	if errs := many.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// TestHTMLThemesAndPrint: the page follows a dark preference and its
// toggle, every colour in the figures comes with a name, and it prints.
func TestHTMLThemesAndPrint(t *testing.T) {
	b := browser.Start(t)
	p := openReport(t, b, writeReport(t, t.TempDir(), "../../testdata/kernel/simultaneous-close.pcap"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bg := func() string {
		var s string
		eval(t, p, `getComputedStyle(document.body).backgroundColor`, &s)
		return s
	}
	light := bg()
	if err := p.SetColorScheme(ctx, "dark"); err != nil {
		t.Fatal(err)
	}
	dark := bg()
	eval(t, p, `document.getElementById("theme").click(), 0`, nil)
	toggled := bg()
	if light != "rgb(255, 255, 255)" || dark == light || toggled != light {
		t.Errorf("backgrounds: light %s, dark %s, dark toggled to light %s", light, dark, toggled)
	}
	// Colour is never alone: each band has a title naming its state and
	// each swatch sits beside its state's name.
	var a struct{ Bands, Untitled, Swatches, Unnamed int }
	eval(t, p, `(() => {
		tcpflowReport.open(1);
		const bands = [...document.querySelectorAll("rect.band")];
		const sw = [...document.querySelectorAll(".swatch")];
		return {Bands: bands.length, Untitled: bands.filter((b) => !b.querySelector("title") || !b.dataset.state).length,
			Swatches: sw.length, Unnamed: sw.filter((s) => !s.parentElement.textContent.trim()).length};
	})()`, &a)
	if a.Bands == 0 || a.Untitled > 0 || a.Swatches == 0 || a.Unnamed > 0 {
		t.Errorf("%d bands, %d without a title or state; %d swatches, %d without a name", a.Bands, a.Untitled, a.Swatches, a.Unnamed)
	}
	if err := p.SetMedia(ctx, "print"); err != nil {
		t.Fatal(err)
	}
	var hidden struct{ Filters, Buttons string }
	eval(t, p, `({Filters: getComputedStyle(document.getElementById("filters")).display,
		Buttons: getComputedStyle(document.getElementById("s-next")).display})`, &hidden)
	if hidden.Filters != "none" || hidden.Buttons != "none" {
		t.Errorf("printed, the controls show: filters %s, step buttons %s", hidden.Filters, hidden.Buttons)
	}
	pdf, err := p.PrintPDF(ctx)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("printing: %v (%d bytes)", err, len(pdf))
	}
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// TestHTMLScreenshots keeps the reviewable golden screenshots: the
// simultaneous open, the simultaneous close and a lossy transfer, as a
// reader sees each connection; and the figures the README shows. After a
// change that is meant to change them: go test ./cmd/tcpflow-fsm -run
// TestHTMLScreenshots -update, and look at every image before committing.
func TestHTMLScreenshots(t *testing.T) {
	b := browser.StartWith(t, browser.Options{Width: 1280, Height: 900})
	dir := t.TempDir()
	shots := []struct {
		capture, golden, selector, scheme string
		step                              int
	}{
		{"simultaneous-open", "simultaneous-open.conn.png", "#conn-sec", "light", -1},
		{"simultaneous-close", "simultaneous-close.conn.png", "#conn-sec", "light", 8},
		{"simultaneous-close", "simultaneous-close.dark.png", "#ladder", "dark", 8},
		{"loss", "loss.conn.png", "#ladder", "light", -1},
		// The README's figures.
		{"simultaneous-close", "readme-ladder.png", "#ladder svg", "light", 8},
		{"simultaneous-close", "readme-states.png", "#bands", "light", 8},
		{"loss", "readme-tsg.png", "#tsg", "light", -1},
		{"simultaneous-close", "readme-diagram.png", "#fsm svg", "light", 8},
		{"time-wait-pileup", "readme-overview.png", "#overview", "light", -1},
	}
	for _, s := range shots {
		t.Run(s.golden, func(t *testing.T) {
			p := openReport(t, b, writeReport(t, dir, "../../testdata/kernel/"+s.capture+".pcap"))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := p.SetColorScheme(ctx, s.scheme); err != nil {
				t.Fatal(err)
			}
			eval(t, p, fmt.Sprintf(`(tcpflowReport.open(1), tcpflowReport.step(%d), window.scrollTo(0, 0), 0)`, s.step), nil)
			png, err := p.ScreenshotElement(ctx, s.selector)
			if err != nil {
				t.Fatal(err)
			}
			browser.CheckGolden(t, filepath.Join("../../testdata/html", s.golden), png, browser.DefaultTolerance, *update)
			if errs := p.ConsoleErrors(); len(errs) > 0 {
				t.Errorf("console errors: %q", errs)
			}
		})
	}
	// The standalone SVG figures, as a browser shows them.
	for _, s := range []struct {
		args   []string
		golden string
	}{
		{[]string{"-r", "../../testdata/kernel/simultaneous-open.pcap", "--ladder", "--conn", "1", "--svg"}, "readme-svg-ladder.png"},
		{[]string{"fsm-dot", "--svg", "-r", "../../testdata/kernel/close-client-first.pcap"}, "readme-svg-diagram.png"},
	} {
		t.Run(s.golden, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(s.args, nil, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			svgFile := filepath.Join(dir, strings.TrimSuffix(s.golden, ".png")+".svg")
			if err := os.WriteFile(svgFile, stdout.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p, err := b.NewPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close(ctx)
			if err := p.SetColorScheme(ctx, "light"); err != nil {
				t.Fatal(err)
			}
			if err := p.Open(ctx, browser.FileURL(svgFile)); err != nil {
				t.Fatal(err)
			}
			png, err := p.ScreenshotElement(ctx, "svg")
			if err != nil {
				t.Fatal(err)
			}
			browser.CheckGolden(t, filepath.Join("../../testdata/html", s.golden), png, browser.DefaultTolerance, *update)
			if errs := p.ConsoleErrors(); len(errs) > 0 {
				t.Errorf("console errors: %q", errs)
			}
		})
	}
	if *update {
		t.Log("golden screenshots written to testdata/html: look at each before committing")
	}
}

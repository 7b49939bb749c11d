package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// svgElem is one element of an SVG, with its attributes and, for a <g>,
// the elements in it.
type svgElem struct {
	name  string
	attr  map[string]string
	kids  []*svgElem
	text  string
	class map[string]bool
}

// parseSVG parses an SVG as XML into a tree; the test fails on a syntax
// error.
func parseSVG(t *testing.T, b []byte) *svgElem {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := &svgElem{}
	stack := []*svgElem{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &svgElem{name: tok.Name.Local, attr: map[string]string{}, class: map[string]bool{}}
			for _, a := range tok.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			for _, c := range strings.Fields(e.attr["class"]) {
				e.class[c] = true
			}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, e)
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(tok)
		}
	}
	return root
}

// all returns the elements under e that match.
func (e *svgElem) all(match func(*svgElem) bool) []*svgElem {
	var out []*svgElem
	for _, k := range e.kids {
		if match(k) {
			out = append(out, k)
		}
		out = append(out, k.all(match)...)
	}
	return out
}

// first returns the first element under e named name.
func (e *svgElem) first(name string) *svgElem {
	if l := e.all(func(k *svgElem) bool { return k.name == name }); len(l) > 0 {
		return l[0]
	}
	return nil
}

func (e *svgElem) num(t *testing.T, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attr[attr], 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", e.name, attr, e.attr[attr], err)
	}
	return v
}

func runOK(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
	}
	return stdout.Bytes()
}

var dotEdge = regexp.MustCompile(`^  "([^"]+)" -> "([^"]+)" \[label="([^"]*)"`)

type box struct{ x0, y0, x1, y1 float64 }

// onBorder reports whether (x, y) lies on b's border, within tol.
func (b box) onBorder(x, y, tol float64) bool {
	in := x >= b.x0-tol && x <= b.x1+tol && y >= b.y0-tol && y <= b.y1+tol
	near := math.Abs(x-b.x0) <= tol || math.Abs(x-b.x1) <= tol || math.Abs(y-b.y0) <= tol || math.Abs(y-b.y1) <= tol
	return in && near
}

var pathPoints = regexp.MustCompile(`-?[0-9.]+,-?[0-9.]+`)

// TestFsmDotSVG checks the SVG state diagram against the DOT one: the same
// edges (from, to, label), one node a state, no two boxes overlapping,
// each edge starting on its state's box and ending on a box of the state it
// goes to; with -r the same counts as the DOT's.
func TestFsmDotSVG(t *testing.T) {
	for _, args := range [][]string{nil, {"-r", filepath.Join(goldenDir, "close-client-first.pcap")}} {
		dot := runOK(t, append([]string{"fsm-dot"}, args...)...)
		svg := runOK(t, append([]string{"fsm-dot", "--svg"}, args...)...)
		want := map[string]bool{}
		for _, line := range strings.Split(string(dot), "\n") {
			if m := dotEdge.FindStringSubmatch(line); m != nil {
				want[m[1]+" -> "+m[2]+" "+m[3]] = true
			}
		}
		root := parseSVG(t, svg)
		boxes := map[string][]box{}
		var all []box
		states := map[string]int{}
		for _, n := range root.all(func(e *svgElem) bool { return e.name == "g" && e.class["node"] }) {
			r := n.first("rect")
			b := box{r.num(t, "x"), r.num(t, "y"), r.num(t, "x") + r.num(t, "width"), r.num(t, "y") + r.num(t, "height")}
			for _, o := range all {
				if b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1 {
					t.Errorf("%s's box %v overlaps %v", n.attr["data-state"], b, o)
				}
			}
			all = append(all, b)
			boxes[n.attr["data-state"]] = append(boxes[n.attr["data-state"]], b)
			if !n.class["sink"] {
				states[n.attr["data-state"]]++
			} else if n.attr["data-state"] != "CLOSED" {
				t.Errorf("a sink of %s", n.attr["data-state"])
			}
		}
		if len(states) != 11 {
			t.Errorf("%d states drawn, want 11: %v", len(states), states)
		}
		for s, n := range states {
			if n != 1 {
				t.Errorf("%s drawn %d times", s, n)
			}
		}
		got := map[string]bool{}
		for _, e := range root.all(func(e *svgElem) bool { return e.name == "g" && e.class["edge"] }) {
			from, to, label := e.attr["data-from"], e.attr["data-to"], e.attr["data-label"]
			key := from + " -> " + to + " " + label
			if args != nil {
				key += " (" + e.attr["data-count"] + ")"
			}
			if got[key] {
				t.Errorf("edge %s twice", key)
			}
			got[key] = true
			if e.first("title") == nil || !strings.Contains(e.first("title").text, label) {
				t.Errorf("edge %s: no title with its label", key)
			}
			pts := pathPoints.FindAllString(e.first("path").attr["d"], -1)
			start, end := pts[0], pts[len(pts)-1]
			onSome := func(state, p string) bool {
				x, _ := strconv.ParseFloat(strings.Split(p, ",")[0], 64)
				y, _ := strconv.ParseFloat(strings.Split(p, ",")[1], 64)
				for _, b := range boxes[state] {
					if b.onBorder(x, y, 1) {
						return true
					}
				}
				return false
			}
			if !onSome(from, start) {
				t.Errorf("edge %s starts at %s, not on %s's box", key, start, from)
			}
			if !onSome(to, end) {
				t.Errorf("edge %s ends at %s, not on a box of %s", key, end, to)
			}
		}
		if len(got) != len(want) || len(want) < 40 {
			t.Errorf("%d edges drawn, the DOT has %d", len(got), len(want))
		}
		for k := range want {
			if !got[k] {
				t.Errorf("edge %s of the DOT not drawn", k)
			}
		}
	}
}

// TestGoldenSVG pins the SVG figures: the state diagram, alone and counted
// in a capture, and the ladders of a handshake and close and of a
// simultaneous open. go test ./cmd/tcpflow-fsm -run TestGoldenSVG -update
// rewrites them; look at them in a browser before committing.
func TestGoldenSVG(t *testing.T) {
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"fsm-dot.svg.golden", []string{"fsm-dot", "--svg"}},
		{"close-client-first.fsm-dot.svg.golden", []string{"fsm-dot", "--svg", "-r", filepath.Join(goldenDir, "close-client-first.pcap")}},
		{"close-client-first.ladder.svg.golden", []string{"-r", filepath.Join(goldenDir, "close-client-first.pcap"), "--ladder", "--conn", "1", "--svg"}},
		{"simultaneous-open.ladder.svg.golden", []string{"-r", filepath.Join(goldenDir, "simultaneous-open.pcap"), "--ladder", "--conn", "1", "--svg"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			checkGolden(t, filepath.Join(goldenDir, c.golden), runOK(t, c.args...))
		})
	}
}

// TestLadderSVG draws connection 1 of each kernel capture as SVG and checks
// it against the text ladder and the JSON records: one arrow a segment,
// one band boundary a transition on its side, in order, and each arrow
// crossing the capture line at its row's y.
func TestLadderSVG(t *testing.T) {
	captures, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	for _, pcap := range captures {
		name := strings.TrimSuffix(filepath.Base(pcap), ".pcap")
		if bulkCaptures[name] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			root := parseSVG(t, runOK(t, "-r", pcap, "--ladder", "--conn", "1", "--svg"))
			text := runOK(t, "-r", pcap, "--ladder", "--conn", "1", "--ascii")
			segs := strings.Count(string(text), "<SEQ=")
			arrows := root.all(func(e *svgElem) bool { return e.name == "g" && e.class["seg"] })
			if len(arrows) != segs {
				t.Errorf("%d arrows, the text ladder has %d segments", len(arrows), segs)
			}
			// The transitions of connection 1, by side, from the JSON.
			want := map[string][]string{}
			for _, line := range strings.Split(string(runOK(t, "-r", pcap, "--json")), "\n") {
				var rec struct {
					Type, Endpoint, From, To string
					Conn                     int
				}
				if json.Unmarshal([]byte(line), &rec) != nil || rec.Type != "transition" || rec.Conn != 1 {
					continue
				}
				if len(want[rec.Endpoint]) == 0 {
					want[rec.Endpoint] = []string{rec.From}
				}
				want[rec.Endpoint] = append(want[rec.Endpoint], rec.To)
			}
			for _, side := range []string{"client", "server"} {
				var got []string
				for _, b := range root.all(func(e *svgElem) bool { return e.name == "rect" && e.class["band"] && e.attr["data-side"] == side }) {
					got = append(got, b.attr["data-state"])
				}
				if len(want[side]) == 0 {
					want[side] = got[:1] // no transition: one band, whatever its state
				}
				if strings.Join(got, " ") != strings.Join(want[side], " ") {
					t.Errorf("%s's bands %v, its transitions %v", side, got, want[side])
				}
			}
			capLine := root.all(func(e *svgElem) bool { return e.name == "g" && e.class["capture"] })[0].first("line")
			cx := capLine.num(t, "x1")
			for _, a := range arrows {
				l := a.first("line")
				x1, y1, x2, y2 := l.num(t, "x1"), l.num(t, "y1"), l.num(t, "x2"), l.num(t, "y2")
				y := y1 + (cx-x1)/(x2-x1)*(y2-y1)
				if row := a.num(t, "data-y"); math.Abs(y-row) > 0.3 {
					t.Errorf("arrow %s crosses the capture line at y=%.2f, its row is at %.1f", a.attr["data-i"], y, row)
				}
			}
		})
	}
}

// TestSVGFlags checks the flags --svg goes with.
func TestSVGFlags(t *testing.T) {
	pcap := filepath.Join(goldenDir, "close-client-first.pcap")
	const msg = "tcpflow-fsm: --svg draws one connection's ladder: it goes with --ladder and one --conn N\n"
	for _, c := range []struct {
		args   []string
		stderr string
		code   int
	}{
		{[]string{"-r", pcap, "--svg"}, msg, exitUsage},
		{[]string{"-r", pcap, "--ladder", "--svg"}, msg, exitUsage},
		{[]string{"-r", pcap, "--ladder", "--conn", "1,2", "--svg"}, msg, exitUsage},
		{[]string{"-r", pcap, "--ladder", "--conn", "1", "--svg", "--json"}, msg, exitUsage},
		{[]string{"-r", pcap, "--ladder", "--conn", "1", "--svg", "--summary"}, msg, exitUsage},
		{[]string{"-i", "lo", "--ladder", "--conn", "1", "--svg"}, msg, exitUsage},
		{[]string{"-r", pcap, "--ladder", "--conn", "2", "--svg"}, "tcpflow-fsm: no connection 2 in the capture (it has 1 connection)\n", exitUsage},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, nil, &stdout, &stderr)
		if code != c.code || stderr.String() != c.stderr {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", c.args, code, stderr.String(), c.code, c.stderr)
		}
		if code != 0 && stdout.Len() > 0 {
			t.Errorf("%v: wrote %q", c.args, stdout.String())
		}
	}
}

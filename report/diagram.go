package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"tcpflow-fsm/fsm"
)

// DiagramOptions say how WriteStateDiagram draws.
type DiagramOptions struct {
	// Embed leaves out the XML prolog and the <style>, for a page that
	// puts the <svg> element in its own markup and styles it with
	// FigureCSS or its own rules for the same class names.
	Embed bool
}

// The diagram's layout, fixed by hand in the spirit of RFC 9293 Figure 5:
// the opening states at the top, ESTABLISHED in the centre, the active
// close down the left and the passive close down the right. Edges into
// CLOSED would cross the whole figure from every state (any state is
// aborted by a RST), so they do not go to the CLOSED at the top: each
// state's edges into CLOSED end on a small CLOSED box of its own beside
// it (a .sink), and TIME-WAIT's and LAST-ACK's on one CLOSED at the
// bottom, where the figure has it.
const (
	diagramWidth  = 1200
	diagramHeight = 960
	nodeW, nodeH  = 150.0, 40.0
	sinkW, sinkH  = 84.0, 26.0
	labelLine     = 13.0 // the pitch of an edge label's lines
)

type point struct{ x, y float64 }

// rect is a box by its centre and size.
type rect struct {
	c    point
	w, h float64
}

var nodeAt = [fsm.NumStates]point{
	fsm.Closed:      {600, 60},
	fsm.Listen:      {600, 180},
	fsm.SynReceived: {250, 320},
	fsm.SynSent:     {950, 320},
	fsm.Established: {600, 470},
	fsm.FinWait1:    {250, 620},
	fsm.CloseWait:   {950, 620},
	fsm.FinWait2:    {250, 770},
	fsm.Closing:     {480, 770},
	fsm.LastAck:     {950, 770},
	fsm.TimeWait:    {250, 910},
}

// bottomClosed is the CLOSED box at the bottom, under LAST-ACK.
var bottomClosed = point{950, 910}

// sinkAt is where the edges into CLOSED of a state end: a small box beside
// it, on the side no other edge leaves it by.
func sinkAt(from fsm.State) rect {
	switch from {
	case fsm.TimeWait, fsm.LastAck:
		return rect{bottomClosed, nodeW, nodeH}
	case fsm.Established:
		p := nodeAt[from]
		return rect{point{p.x, p.y + nodeH/2 + 60 + sinkH/2}, sinkW, sinkH}
	case fsm.Closing:
		p := nodeAt[from]
		return rect{point{p.x + nodeW/2 + 70 + sinkW/2, p.y}, sinkW, sinkH}
	}
	p := nodeAt[from]
	if p.x < diagramWidth/2 {
		return rect{point{p.x - nodeW/2 - 80 - sinkW/2, p.y}, sinkW, sinkH}
	}
	return rect{point{p.x + nodeW/2 + 80 + sinkW/2, p.y}, sinkW, sinkH}
}

// target is the box an edge ends on.
func target(e edge) rect {
	if e.to == fsm.Closed && e.from != fsm.Closed {
		return sinkAt(e.from)
	}
	return rect{nodeAt[e.to], nodeW, nodeH}
}

// bends are the edges drawn curved apart from the pairs of opposite
// edges: CLOSED → ESTABLISHED (a connection picked up mid-stream) goes
// round LISTEN. Positive bends to the left of the direction of travel.
var bends = map[[2]fsm.State]float64{
	{fsm.Closed, fsm.Established}: 230,
}

// labelAt moves the label of a pair along its path, away from others
// (the fraction of the way, 1/2 when not listed).
var labelAt = map[[2]fsm.State]float64{
	{fsm.Closed, fsm.SynReceived}: 0.3,
	{fsm.Closed, fsm.Established}: 0.56,
	{fsm.Closing, fsm.TimeWait}:   0.3,
}

// pairBend is how far apart the edges A → B and B → A are drawn.
const pairBend = 60

// clip returns where the ray from r's centre toward p leaves r.
func clip(r rect, p point) point {
	dx, dy := p.x-r.c.x, p.y-r.c.y
	t := math.Inf(1)
	if dx != 0 {
		t = math.Min(t, r.w/2/math.Abs(dx))
	}
	if dy != 0 {
		t = math.Min(t, r.h/2/math.Abs(dy))
	}
	if math.IsInf(t, 1) {
		return r.c
	}
	return point{r.c.x + dx*t, r.c.y + dy*t}
}

// edgeShape is how one from → to pair is drawn: its path, and where its
// label's lines go.
type edgeShape struct {
	start, ctrl, end point
	curved           bool
	label            point  // the first line's anchor
	anchor           string // text-anchor: start, middle, end
	step             float64
}

func shapeOf(e edge, reverse bool) edgeShape {
	from := rect{nodeAt[e.from], nodeW, nodeH}
	to := target(e)
	a, b := from.c, to.c
	bend := bends[[2]fsm.State{e.from, e.to}]
	if bend == 0 && reverse {
		bend = pairBend
	}
	dx, dy := b.x-a.x, b.y-a.y
	l := math.Hypot(dx, dy)
	// n is the left of the direction of travel, on the screen (y down).
	n := point{dy / l, -dx / l}
	mid := point{(a.x + b.x) / 2, (a.y + b.y) / 2}
	t := labelAt[[2]fsm.State{e.from, e.to}]
	if t == 0 {
		t = 0.5
	}
	s := edgeShape{}
	var m point // the middle of the path
	if bend != 0 {
		s.curved = true
		s.ctrl = point{mid.x + n.x*bend, mid.y + n.y*bend}
		s.start, s.end = clip(from, s.ctrl), clip(to, s.ctrl)
		// The quadratic curve's point at t.
		u := 1 - t
		m = point{u*u*s.start.x + 2*u*t*s.ctrl.x + t*t*s.end.x, u*u*s.start.y + 2*u*t*s.ctrl.y + t*t*s.end.y}
	} else {
		s.start, s.end = clip(from, b), clip(to, a)
		m = point{s.start.x + t*(s.end.x-s.start.x), s.start.y + t*(s.end.y-s.start.y)}
		// Labels of straight edges go above a level edge, right of a
		// steep one, and above a slanted one on the side it rises to,
		// so that the text runs away from the line.
		switch {
		case math.Abs(dy) > 0.2*math.Abs(dx) && math.Abs(dx) > 0.2*math.Abs(dy):
			s.anchor, s.label, s.step = "start", point{m.x + 6, m.y - 6}, labelLine
			if dx*dy < 0 {
				s.anchor, s.label.x = "end", m.x-6
			}
			return s
		case math.Abs(dx) >= math.Abs(dy):
			n = point{0, -1}
		default:
			n = point{1, 0}
		}
		bend = 1
	}
	if bend < 0 {
		n = point{-n.x, -n.y}
	}
	// The label sits on the outer side of the curve, its block beside
	// the path's middle.
	switch {
	case math.Abs(n.x) > math.Abs(n.y) && n.x > 0:
		s.anchor, s.label = "start", point{m.x + 6, m.y + 4}
	case math.Abs(n.x) > math.Abs(n.y):
		s.anchor, s.label = "end", point{m.x - 6, m.y + 4}
	case n.y < 0:
		s.anchor, s.label = "middle", point{m.x, m.y - 6}
	default:
		s.anchor, s.label = "middle", point{m.x, m.y + 14}
	}
	s.step = labelLine
	return s
}

// WriteStateDiagram writes the state machine's diagram as SVG: every
// transition the table allows (the edges of Dot's DOT), laid out by hand.
// counts, when not nil, are the times each edge was taken in a capture:
// each edge then shows its count, and the edges never taken are faint.
//
// Each state is a <g class="node st-..." data-state="ESTABLISHED">
// holding a rect and a text; a second CLOSED box that edges into CLOSED
// end on is a <g class="node sink st-closed" data-state="CLOSED"
// data-for="SYN-SENT"> (data-for: the state whose edges end there; "" for
// the one at the bottom). Each edge is a <g class="edge"
// data-from="SYN-SENT" data-to="ESTABLISHED" data-label="rcvd SYN,ACK">
// holding a <title> (the label, and with counts "taken N times"), a
// path and its line of the label; with counts it also has the class
// taken or untaken and a data-count. The labels of the edges of one
// from → to pair are the lines of one block, their paths one curve.
// FigureCSS lists the class names.
func WriteStateDiagram(w io.Writer, counts map[edge]int, opt DiagramOptions) error {
	bw := bufio.NewWriter(w)
	edges := tableEdges()
	drawn := map[[2]rect]bool{}
	for _, e := range edges {
		drawn[[2]rect{{nodeAt[e.from], nodeW, nodeH}, target(e)}] = true
	}
	// line is each edge's line in its pair's label.
	line := make([]int, len(edges))
	for i := range edges {
		if i > 0 && edges[i].from == edges[i-1].from && edges[i].to == edges[i-1].to {
			line[i] = line[i-1] + 1
		}
	}
	lines := map[[2]fsm.State]int{}
	for i, e := range edges {
		lines[[2]fsm.State{e.from, e.to}] = line[i] + 1
	}

	if !opt.Embed {
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" class="fig state-diagram" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="RFC 9293 TCP state diagram">`+"\n",
		diagramWidth, diagramHeight, diagramWidth, diagramHeight)
	if !opt.Embed {
		bw.WriteString("<style>\n" + FigureCSS() + "</style>\n")
	}
	bw.WriteString(`<defs><marker id="sd-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,1 L10,5 L0,9 z"/></marker></defs>` + "\n")
	fmt.Fprintf(bw, `<rect class="bg" width="%d" height="%d"/>`+"\n", diagramWidth, diagramHeight)
	caption := "RFC 9293 state machine: every transition the table allows"
	if counts != nil {
		caption += "; bold: taken in the capture (times), faint: never taken"
	}
	fmt.Fprintf(bw, `<text class="title" x="16" y="24">%s</text>`+"\n", esc(caption))

	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		writeNode(bw, rect{nodeAt[s], nodeW, nodeH}, s, "node "+stateClass(s), "")
	}
	sinks := map[fsm.State]bool{}
	for _, e := range edges {
		if e.to == fsm.Closed && e.from != fsm.Closed {
			sinks[e.from] = true
		}
	}
	bottom := false
	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		if !sinks[s] {
			continue
		}
		r := sinkAt(s)
		if r.c == bottomClosed {
			if !bottom {
				writeNode(bw, r, fsm.Closed, "node sink "+stateClass(fsm.Closed), "")
			}
			bottom = true
			continue
		}
		writeNode(bw, r, fsm.Closed, "node sink "+stateClass(fsm.Closed), s.String())
	}

	// With counts, the edges taken are drawn last: on top of the faint
	// ones they share a curve with.
	order := make([]int, len(edges))
	for i := range order {
		order[i] = i
	}
	if counts != nil {
		slices.SortStableFunc(order, func(a, b int) int {
			ta, tb := counts[edges[a]] > 0, counts[edges[b]] > 0
			switch {
			case ta == tb:
				return 0
			case tb:
				return -1
			}
			return 1
		})
	}
	for _, i := range order {
		e := edges[i]
		from := rect{nodeAt[e.from], nodeW, nodeH}
		rev := drawn[[2]rect{target(e), from}]
		s := shapeOf(e, rev)
		class := "edge"
		title := e.label
		text := e.label
		countAttr := ""
		if counts != nil {
			n := counts[e]
			countAttr = ` data-count="` + strconv.Itoa(n) + `"`
			text = fmt.Sprintf("%s (%d)", e.label, n)
			if n > 0 {
				class += " taken"
				title += fmt.Sprintf(": taken %d times", n)
			} else {
				class += " untaken"
				title += ": never taken"
			}
		}
		fmt.Fprintf(bw, `<g class="%s" data-from="%s" data-to="%s" data-label="%s"%s><title>%s → %s: %s</title>`,
			class, e.from, e.to, esc(e.label), countAttr, e.from, e.to, esc(title))
		if s.curved {
			fmt.Fprintf(bw, `<path d="M%s,%s Q%s,%s %s,%s" marker-end="url(#sd-arrow)"/>`,
				num(s.start.x), num(s.start.y), num(s.ctrl.x), num(s.ctrl.y), num(s.end.x), num(s.end.y))
		} else {
			fmt.Fprintf(bw, `<path d="M%s,%s L%s,%s" marker-end="url(#sd-arrow)"/>`,
				num(s.start.x), num(s.start.y), num(s.end.x), num(s.end.y))
		}
		// The block of the pair's lines: above the path it grows
		// upward, elsewhere downward, centred on the path beside it.
		n := lines[[2]fsm.State{e.from, e.to}]
		y := s.label.y
		switch {
		case !s.curved && s.anchor != "middle" && s.label.y < (s.start.y+s.end.y)/2:
			y -= float64(n-1-line[i]) * s.step
		case s.anchor == "middle" && s.label.y < (s.start.y+s.end.y)/2:
			y -= float64(n-1-line[i]) * s.step
		case s.anchor == "middle":
			y += float64(line[i]) * s.step
		default:
			y += (float64(line[i]) - float64(n-1)/2) * s.step
		}
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="%s">%s</text></g>`+"\n", num(s.label.x), num(y), s.anchor, esc(text))
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// writeNode writes a state's box.
func writeNode(w *bufio.Writer, r rect, s fsm.State, class, forState string) {
	forAttr := ""
	if class != "node "+stateClass(s) {
		forAttr = ` data-for="` + forState + `"`
	}
	name := s.String()
	size := ""
	if r.h < nodeH {
		size = ` style="font-size:11px"`
	}
	fmt.Fprintf(w, `<g class="%s" data-state="%s"%s><title>%s</title><rect x="%s" y="%s" width="%s" height="%s" rx="8"/><text x="%s" y="%s" text-anchor="middle"%s>%s</text></g>`+"\n",
		class, name, forAttr, name, num(r.c.x-r.w/2), num(r.c.y-r.h/2), num(r.w), num(r.h), num(r.c.x), num(r.c.y+4.5), size, name)
}

package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// edge is one arrow of the state diagram: a state change on a cause.
type edge struct {
	from, to fsm.State
	label    string // "rcvd SYN,ACK", "sent FIN", "2MSL timeout"
}

// Dot writes the state machine's diagram as Graphviz DOT: every
// transition the table allows, labelled with what causes it. Fed a
// capture (as a flow.Sink), each edge also carries how many times it was
// taken there, and edges never taken are drawn faint.
type Dot struct {
	w      *bufio.Writer
	counts map[edge]int
	seen   bool // a capture was read
	svg    bool // draw as SVG (WriteStateDiagram), not DOT
}

// NewDot returns a DOT renderer.
func NewDot(w io.Writer) *Dot { return &Dot{w: bufio.NewWriter(w), counts: map[edge]int{}} }

// NewDotSVG returns a renderer of the same diagram as a standalone SVG
// (see WriteStateDiagram), laid out by hand: no Graphviz needed.
func NewDotSVG(w io.Writer) *Dot {
	d := NewDot(w)
	d.svg = true
	return d
}

// Segment does nothing: the diagram counts transitions.
func (*Dot) Segment(*flow.Conn, *flow.SegmentEvent) {}

// Event counts a transition taken in the capture.
func (d *Dot) Event(_ *flow.Conn, e *flow.Event) {
	if e.Kind == fsm.Transition {
		d.counts[edge{e.From, e.To, cellLabel(e.Dir, e.SegKind)}]++
	}
}

// Done is part of flow.Sink.
func (d *Dot) Done(*flow.Conn) { d.seen = true }

func cellLabel(dir fsm.Dir, k fsm.Kind) string {
	if k == fsm.KindTimeout {
		return k.String()
	}
	return dir.String() + " " + k.String()
}

// tableEdges returns every transition the table allows, once each, by
// from state then to state.
func tableEdges() []edge {
	var edges []edge
	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		for dir := fsm.Send; dir < fsm.NumDirs; dir++ {
			for k := fsm.Kind(0); int(k) < fsm.NumKinds; k++ {
				r := fsm.Rules(dir, k, s)
				for _, to := range []fsm.State{r.Next, r.Alt} {
					if to != fsm.Keep && to != s {
						edges = append(edges, edge{s, to, cellLabel(dir, k)})
					}
				}
			}
		}
	}
	slices.SortStableFunc(edges, func(a, b edge) int {
		if a.from != b.from {
			return int(a.from) - int(b.from)
		}
		return int(a.to) - int(b.to)
	})
	return slices.Compact(edges)
}

// Close writes the graph.
func (d *Dot) Close(*Totals) error {
	if d.svg {
		var counts map[edge]int
		if d.seen {
			counts = d.counts
		}
		if err := WriteStateDiagram(d.w, counts, DiagramOptions{}); err != nil {
			return err
		}
		return d.w.Flush()
	}
	edges := tableEdges()
	w := d.w
	fmt.Fprintln(w, "digraph rfc9293 {")
	fmt.Fprintln(w, "  rankdir=TB;")
	fmt.Fprintln(w, `  node [shape=box, style=rounded, fontname="Helvetica"];`)
	fmt.Fprintln(w, `  edge [fontname="Helvetica", fontsize=10];`)
	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		fmt.Fprintf(w, "  %q;\n", s.String())
	}
	for _, e := range edges {
		label := e.label
		attrs := ""
		if d.seen {
			n := d.counts[e]
			label = fmt.Sprintf("%s (%d)", e.label, n)
			if n == 0 {
				attrs = ", color=gray80, fontcolor=gray60"
			} else {
				attrs = ", penwidth=2"
			}
		}
		fmt.Fprintf(w, "  %q -> %q [label=%q%s];\n", e.from.String(), e.to.String(), label, attrs)
	}
	fmt.Fprintln(w, "}")
	return w.Flush()
}

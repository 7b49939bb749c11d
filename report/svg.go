package report

import (
	"fmt"
	"strconv"
	"strings"

	"tcpflow-fsm/fsm"
)

// What the SVG figures (the state diagram of WriteStateDiagram and the
// ladder of LadderSVG) have in common: escaping, numbers written the same
// way every time (the golden files compare bytes), the colours of the
// states, and the style sheet.

// xmlText escapes s for an XML attribute value or text.
var xmlText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// esc returns s escaped for XML, with what a capture can put in a name
// (control bytes, invalid UTF-8) made printable first: XML 1.0 has no
// escape for most control characters.
func esc(s string) string { return xmlText.Replace(printable(s)) }

// num writes a coordinate with at most one decimal: "12", "12.5".
func num(v float64) string {
	return strconv.FormatFloat(float64(int64(v*10+sign(v)*0.5))/10, 'f', -1, 64)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// mix returns colour a moved toward colour b by frac (0: a, 1: b), both
// "#rrggbb".
func mix(a, b string, frac float64) string {
	pa, pb := rgb(a), rgb(b)
	var out [3]int
	for i := range out {
		out[i] = int(float64(pa[i])*(1-frac) + float64(pb[i])*frac + 0.5)
	}
	return fmt.Sprintf("#%02x%02x%02x", out[0], out[1], out[2])
}

func rgb(c string) [3]int {
	var p [3]int
	if len(c) == 7 && c[0] == '#' {
		for i := range p {
			v, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
			p[i] = int(v)
		}
	}
	return p
}

// The backgrounds the figures are drawn on, light and dark.
const (
	lightBG = "#ffffff"
	darkBG  = "#1b1e23"
)

// FigureCSS returns the style sheet of the SVG figures, light with a
// `@media (prefers-color-scheme: dark)` part: what a standalone figure
// carries in its <style>, for a page that embeds figures drawn without it
// (DiagramOptions.Embed). Its class names:
//
//	.fig              the figure's <svg>
//	.st-closed ...    a state (stateClass: "st-" and the state's name in
//	                  lower case: st-syn-received, st-time-wait)
//	.node, .sink      a state of the diagram; .sink a second CLOSED box
//	                  that edges into CLOSED end on (rect, text)
//	.edge             an edge of the diagram (path, text, title);
//	                  .taken and .untaken when counted from a capture
//	.band             a piece of a ladder's lifeline (rect), with the state
//	.state            a state's name beside a lifeline
//	.abbrev           its short name down a long piece of band
//	.seg              one segment's arrow in a ladder (line, text);
//	                  .retrans dashed
//	.notation         the segment in RFC 9293's notation (monospace)
//	.tag              a segment event or note after the notation
//	.violation        a violation mark (polygon, text)
//	.capture          the capture point's dashed line and its label
//	.time, .title, .subtitle, .who, .gap, .timer   the other text
func FigureCSS() string {
	var b strings.Builder
	b.WriteString(`.fig{font-family:system-ui,"DejaVu Sans",sans-serif;font-size:12px;background:` + lightBG + `}
.fig .bg{fill:` + lightBG + `}
.fig text{fill:#1a1a1a}
.fig .notation,.fig .time{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:11px}
.fig .title{font-size:14px;font-weight:600}
.fig .subtitle,.fig .tag,.fig .gap,.fig .timer{fill:#5f6368;font-size:11px}
.fig .who{font-weight:600}
.fig .state{font-size:11px}
.fig .abbrev{font-size:9px;font-weight:600;fill:#111111;paint-order:stroke;stroke:#ffffff;stroke-width:2px;stroke-opacity:.7}
.fig .node rect{stroke:#3c4043;stroke-width:1.2}
.fig .node text{font-size:13px;font-weight:600}
.fig .sink rect{stroke-dasharray:4 3}
.fig .edge path{fill:none;stroke:#3c4043;stroke-width:1.2}
.fig .edge text{font-size:11px;paint-order:stroke;stroke:` + lightBG + `;stroke-width:3px;stroke-linejoin:round}
.fig .edge.taken path{stroke:#000000;stroke-width:2.6}
.fig .edge.taken text{font-weight:600}
.fig .edge.untaken{opacity:.35}
.fig marker path{fill:#3c4043}
.fig .seg line{stroke:#202124;stroke-width:1.3}
.fig .seg.retrans line{stroke-dasharray:6 4}
.fig .tag{font-style:italic}
.fig .violation polygon{fill:#d32f2f}
.fig .violation text{fill:#b71c1c;font-weight:600;font-size:11px}
.fig .violation text.bang{fill:#ffffff;font-size:10px}
.fig .capture line{stroke:#5f6368;stroke-dasharray:5 4}
.fig .capture text{fill:#5f6368;font-size:11px}
.fig .gap{paint-order:stroke;stroke:` + lightBG + `;stroke-width:4px}
`)
	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		fmt.Fprintf(&b, ".fig .node.%s rect{fill:%s}.fig .band.%s{fill:%s}\n",
			stateClass(s), mix(StateColor(s), lightBG, 0.7), stateClass(s), StateColor(s))
	}
	b.WriteString(`@media (prefers-color-scheme: dark){
.fig{background:` + darkBG + `}
.fig .bg{fill:` + darkBG + `}
.fig text{fill:#e8eaed}
.fig .subtitle,.fig .tag,.fig .gap,.fig .timer,.fig .capture text{fill:#9aa0a6}
.fig .node rect{stroke:#bdc1c6}
.fig .edge path{stroke:#bdc1c6}
.fig .edge text{stroke:` + darkBG + `}
.fig .edge.taken path{stroke:#ffffff}
.fig .edge.untaken{opacity:.3}
.fig marker path{fill:#bdc1c6}
.fig .seg line{stroke:#e8eaed}
.fig .violation text{fill:#ff8a80}
.fig .capture line{stroke:#9aa0a6}
.fig .gap{stroke:` + darkBG + `}
`)
	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		fmt.Fprintf(&b, ".fig .node.%s rect{fill:%s}\n", stateClass(s), mix(StateColor(s), darkBG, 0.6))
	}
	b.WriteString("}\n")
	return b.String()
}

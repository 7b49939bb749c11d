package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// LadderSVG draws one connection's ladder as a standalone SVG, for slides:
// the ladder of Ladder, with the endpoints' states as coloured lifelines
// and each segment slanted by where the capture point sits between them.
//
// The drawing, which the HTML report's ladder follows too:
//
//   - The client's lifeline at x = L, the server's at R (560 px apart),
//     bands 14 px wide filled with the colour of the endpoint's state
//     (<rect class="band st-..." data-side="client|server"
//     data-state="...">), the state's name beside the band where it
//     changes (.state: left of the client's, right of the server's).
//   - One row a segment of the timeline, 34 px apart; its time since the
//     first packet at the far left (.time).
//   - The capture point: a dashed line (.capture) at
//     x = L + (R-L)·dc/(dc+ds), dc and ds the one-way delays to the
//     client and to the server (OneWayDelays); in the middle when they
//     are not known, and then a line under the title says so.
//   - A segment is an arrow (<g class="seg" data-i="K" data-y="Y"
//     data-from="client|server">, K from 0) from the sender's lifeline at
//     y - H·fs to the receiver's at y + H·fr, H = 22, fs the sender's
//     delay to the capture point over dc+ds, fr = 1 - fs: it crosses the
//     capture line at its row's y (data-y), when it was captured. Above
//     it its RFC 9293 notation (.notation) and, after it, its segment
//     events and notes (.tag); a violation is a red triangle with "!" and
//     the code (.violation) beside the receiver's lifeline. Its <title>
//     holds the notation, the tags and the sentence Explanation gives for
//     each of its events. A retransmission's arrow is dashed (.retrans).
//   - A state change the segment caused moves the sender's band at the
//     arrow's start, the receiver's at its end. Timers after the last
//     segment (2MSL) get a row of their own (.timer).
//   - A gap of more than 1 s and ten times the median between two rows
//     is marked in the gap ("⋯ 3.2 s", .gap).
type LadderSVG struct {
	w     *bufio.Writer
	conn  int
	drawn bool
}

// NewLadderSVG returns a renderer that draws connection conn (numbered
// from 1) as SVG, and nothing when the capture has no such connection.
func NewLadderSVG(w io.Writer, conn int) *LadderSVG {
	return &LadderSVG{w: bufio.NewWriter(w), conn: conn}
}

// Segment does nothing: the timeline's packets carry the segment events.
func (*LadderSVG) Segment(*flow.Conn, *flow.SegmentEvent) {}

// Event is part of flow.Sink; the ladder is drawn per connection.
func (*LadderSVG) Event(*flow.Conn, *flow.Event) {}

// Close flushes.
func (l *LadderSVG) Close(*Totals) error { return l.w.Flush() }

// The ladder's geometry, in px.
const (
	lsL        = 380.0 // the client's lifeline
	lsR        = 940.0 // the server's
	lsWidth    = 1240
	lsBand     = 14.0 // a lifeline's width
	lsPitch    = 34.0 // between rows
	lsSlant    = 22.0 // H: how far an arrow falls from lifeline to lifeline
	lsFirstRow = 112.0
	lsBandTop  = 80.0
	lsMarkCol  = 104.0 // from a band's edge to its violation marks
	monoChar   = 6.7   // the width of a character of 11 px monospace
	sansChar   = 5.9   // about, of 11 px sans-serif
)

// bandChange is where a side's band changes state.
type bandChange struct {
	y     float64
	state fsm.State
}

// Done draws the connection, when it is the one asked for.
func (l *LadderSVG) Done(c *flow.Conn) {
	if c.ID != l.conn || l.drawn {
		return
	}
	l.drawn = true
	writeLadderSVG(l.w, c)
}

func writeLadderSVG(w *bufio.Writer, c *flow.Conn) {
	r := rolesOf(c)
	evs := ordered(c)
	timeline := c.Timeline()
	xOf := func(s fsm.Side) float64 {
		if s == r.client {
			return lsL
		}
		return lsR
	}
	nameOf := func(s fsm.Side) string { return r.name(s) }

	// Where the capture point sits, and each side's share of the way.
	dc, ds, known := OneWayDelays(c)
	share := [2]float64{0.5, 0.5} // by side: its delay to the capture point over the whole
	if known && dc+ds > 0 {
		share[r.client] = float64(dc) / float64(dc+ds)
		share[r.server] = float64(ds) / float64(dc+ds)
	}
	capX := lsL + (lsR-lsL)*share[r.client]

	// The rows: a segment each, then the timers after the last one.
	var timers []*flow.Event
	nseg := len(timeline)
	for i := range evs {
		if evs[i].At > nseg && evs[i].Kind == fsm.Transition {
			timers = append(timers, &evs[i])
		}
	}
	rowY := func(k int) float64 { return lsFirstRow + lsPitch*float64(k) }
	extra := 0
	if c.TimelineDropped() > 0 {
		extra = 1
	}
	bottom := rowY(nseg+extra+len(timers)-1) + lsPitch
	height := int(bottom + 16)

	// The states before the first segment, as Ladder has them.
	var bands [2][]bandChange
	for s, st := range initialStates(evs) {
		bands[s] = []bandChange{{lsBandTop, st}}
	}

	var body strings.Builder
	figW := float64(lsWidth) // widened by violation marks right of the server
	i := 0
	for n := range timeline {
		p := &timeline[n]
		y := rowY(n)
		snd, rcv := p.From, p.From.Other()
		fs := share[snd]
		y0, y1 := y-lsSlant*fs, y+lsSlant*(1-fs)
		var viol, tags, why []string
		for ; i < len(evs) && evs[i].At <= n+1; i++ {
			e := &evs[i]
			switch e.Kind {
			case fsm.Transition:
				at := y1
				switch {
				case e.Seg == 0: // a timer between two segments
					at = y + lsPitch/2
				case e.Side == snd:
					at = y0
				}
				bands[e.Side] = append(bands[e.Side], bandChange{at, e.To})
				why = append(why, fmt.Sprintf("%s %s → %s (%s): %s", nameOf(e.Side), e.From, e.To, e.Cause, Explanation(e)))
			case fsm.Violation:
				viol = append(viol, e.Code.String())
				why = append(why, fmt.Sprintf("! %s (%s): %s", e.Code, nameOf(e.Side), Explanation(e)))
			case fsm.Note:
				tags = append(tags, e.Code.String())
				why = append(why, fmt.Sprintf("%s (%s): %s", e.Code, nameOf(e.Side), Explanation(e)))
			}
		}
		var labels []string
		p.Events.Each(func(e flow.SegEvent) { labels = append(labels, segLabel(e, p.DupAck)) })
		tags = append(labels, tags...)
		retrans := p.Events.Retransmitted()
		seg := notation(c, p)

		// The time, at the far left of the row.
		fmt.Fprintf(&body, `<text class="time" x="12" y="%s">%s</text>`+"\n", num(y+4), rel(p.Time.Sub(c.First())))
		class := "seg"
		if retrans {
			class += " retrans"
		}
		fmt.Fprintf(&body, `<g class="%s" data-i="%d" data-y="%s" data-from="%s">`, class, n, num(y), nameOf(snd))
		title := seg
		if len(tags) > 0 {
			title += " [" + strings.Join(tags, "] [") + "]"
		}
		for _, s := range why {
			title += "\n" + s
		}
		fmt.Fprintf(&body, "<title>%s</title>", esc(title))
		// The arrow lies on the line from (xs, y0) to (xr, y1), drawn
		// from band edge to band edge.
		xs, xr := xOf(snd), xOf(rcv)
		at := func(u float64) (float64, float64) { return xs + u*(xr-xs), y0 + u*(y1-y0) }
		u := lsBand / 2 / (lsR - lsL)
		ax, ay := at(u)
		bx, by := at(1 - u)
		fmt.Fprintf(&body, `<line x1="%s" y1="%s" x2="%s" y2="%s" marker-end="url(#ls-arrow)"/>`, num(ax), num(ay), num(bx), num(by))
		// The notation and the tags after it, centred above the arrow.
		width := float64(len(seg)) * monoChar
		for _, t := range tags {
			width += 8 + float64(len(t)+2)*sansChar
		}
		tx := (lsL+lsR)/2 - width/2
		yAt := func(x float64) float64 { return y0 + (x-xs)/(xr-xs)*(y1-y0) }
		ty := min(yAt(tx), yAt(tx+width)) - 5
		fmt.Fprintf(&body, `<text class="notation" x="%s" y="%s">%s</text>`, num(tx), num(ty), esc(seg))
		tx += float64(len(seg)) * monoChar
		for _, t := range tags {
			tx += 8
			fmt.Fprintf(&body, `<text class="tag" x="%s" y="%s">[%s]</text>`, num(tx), num(ty), esc(t))
			tx += float64(len(t)+2) * sansChar
		}
		if len(viol) > 0 {
			codes := strings.Join(viol, ", ")
			writeViolation(&body, rcv == r.client, by, codes)
			if rcv != r.client {
				// Marks right of the server's lifeline widen the figure.
				figW = max(figW, lsR+lsBand/2+lsMarkCol+18+float64(len(codes))*sansChar*1.15+12)
			}
		}
		body.WriteString("</g>\n")
	}

	// Long idle gaps between rows.
	if nseg > 2 {
		gaps := make([]time.Duration, nseg-1)
		for n := 1; n < nseg; n++ {
			gaps[n-1] = timeline[n].Time.Sub(timeline[n-1].Time)
		}
		sorted := slices.Clone(gaps)
		slices.Sort(sorted)
		median := sorted[len(sorted)/2]
		for n, g := range gaps {
			if g > time.Second && g > 10*median {
				fmt.Fprintf(&body, `<text class="gap" x="%s" y="%s" text-anchor="middle">⋯ %s s</text>`+"\n",
					num(capX), num(rowY(n)+lsPitch/2+4), strconv.FormatFloat(g.Seconds(), 'f', 1, 64))
			}
		}
	}

	k := nseg
	if c.TimelineDropped() > 0 {
		fmt.Fprintf(&body, `<text class="timer" x="%s" y="%s" text-anchor="middle">… %d more segments (--timeline-max)</text>`+"\n",
			num((lsL+lsR)/2), num(rowY(k)+4), c.TimelineDropped())
		k++
	}
	for _, e := range timers {
		y := rowY(k)
		k++
		bands[e.Side] = append(bands[e.Side], bandChange{y, e.To})
		fmt.Fprintf(&body, `<g class="timer-row" data-side="%s"><title>%s</title><text class="time" x="12" y="%s">%s</text><text class="timer" x="%s" y="%s" text-anchor="middle">(%s)</text></g>`+"\n",
			nameOf(e.Side), esc(fmt.Sprintf("%s %s → %s (%s): %s", nameOf(e.Side), e.From, e.To, e.Cause, Explanation(e))),
			num(y+4), rel(e.Time.Sub(c.First())), num((lsL+lsR)/2), num(y+4), e.Cause)
	}

	// The document.
	w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" class="fig ladder" width="%s" height="%d" viewBox="0 0 %s %d" role="img" aria-label="conn %d ladder">`+"\n",
		num(figW), height, num(figW), height, c.ID)
	w.WriteString("<style>\n" + FigureCSS() + "</style>\n")
	w.WriteString(`<defs><marker id="ls-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,1 L10,5 L0,9 z"/></marker></defs>` + "\n")
	fmt.Fprintf(w, `<rect class="bg" width="%s" height="%d"/>`+"\n", num(figW), height)
	title := fmt.Sprintf("conn %d: client %s, server %s%s", c.ID, c.Addr(r.client), c.Addr(r.server), zoneSuffix(c))
	if c.FSM.Self() {
		title = fmt.Sprintf("conn %d: self-connect %s (one socket)", c.ID, c.Addr(r.client))
	}
	fmt.Fprintf(w, `<text class="title" x="12" y="24">%s</text>`+"\n", esc(title))
	if !known {
		w.WriteString(`<text class="subtitle" x="12" y="42">(one-way delays unknown: no handshake seen)</text>` + "\n")
	}
	fmt.Fprintf(w, `<text class="who" x="%s" y="66" text-anchor="middle">client</text><text class="who" x="%s" y="66" text-anchor="middle">server</text>`+"\n", num(lsL), num(lsR))
	fmt.Fprintf(w, `<g class="capture"><line x1="%s" y1="%s" x2="%s" y2="%s"/><text x="%s" y="50" text-anchor="middle">capture point</text></g>`+"\n",
		num(capX), num(lsBandTop-6), num(capX), num(bottom), num(capX))
	for _, s := range []fsm.Side{r.client, r.server} {
		x := xOf(s)
		bs := bands[s]
		lastY := 0.0 // the last name's, that the next must not cover
		for j, b := range bs {
			end := bottom
			if j+1 < len(bs) {
				end = bs[j+1].y
			}
			fmt.Fprintf(w, `<rect class="band %s" data-side="%s" data-state="%s" x="%s" y="%s" width="%s" height="%s"><title>%s: %s</title></rect>`,
				stateClass(b.state), nameOf(s), b.state, num(x-lsBand/2), num(b.y), num(lsBand), num(max(end-b.y, 0)), nameOf(s), b.state)
			// A long piece also carries the state's short name, written
			// down the band.
			if h := end - b.y; h >= float64(len(stateAbbrev(b.state)))*7+16 {
				cy := b.y + h/2
				fmt.Fprintf(w, `<text class="abbrev" x="%s" y="%s" text-anchor="middle" transform="rotate(-90 %s %s)">%s</text>`,
					num(x), num(cy+3), num(x), num(cy), stateAbbrev(b.state))
			}
			tx, anchor := x-lsBand/2-6, "end"
			if s == r.server {
				tx, anchor = x+lsBand/2+6, "start"
			}
			ty := b.y + 4
			if j == 0 {
				ty = b.y + 12
			}
			if j > 0 && ty < lastY+12 {
				ty = lastY + 12
			}
			lastY = ty
			fmt.Fprintf(w, `<text class="state" x="%s" y="%s" text-anchor="%s">%s</text>`+"\n", num(tx), num(ty), anchor, b.state)
		}
	}
	w.WriteString(body.String())
	w.WriteString("</svg>\n")
}

// writeViolation writes a violation mark beside the receiver's lifeline,
// outside the ladder: a red triangle with "!" and the codes.
func writeViolation(b *strings.Builder, left bool, y float64, codes string) {
	x := lsR + lsBand/2 + lsMarkCol // the triangle's left corner
	tx, anchor := x+18, "start"
	if left {
		x = lsL - lsBand/2 - lsMarkCol - 14
		tx, anchor = x-4, "end"
	}
	fmt.Fprintf(b, `<g class="violation"><polygon points="%s,%s %s,%s %s,%s"/><text class="bang" x="%s" y="%s" text-anchor="middle">!</text><text x="%s" y="%s" text-anchor="%s">%s</text></g>`,
		num(x), num(y+6), num(x+14), num(y+6), num(x+7), num(y-7), num(x+7), num(y+5), num(tx), num(y+4), anchor, esc(codes))
}

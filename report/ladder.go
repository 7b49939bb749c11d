package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// Ladder draws each connection as RFC 9293's figures do: the two
// endpoints as columns with their states, time on the left, each segment an
// arrow in the figures' notation, e.g.
//
//	SYN-SENT    --> <SEQ=0><CTL=SYN>                 --> SYN-RECEIVED
//
// so that a capture of a handshake, a simultaneous open or a simultaneous
// close reads like figures 6, 7 and 13. Violations are marked on the arrow
// of the segment that broke the rule.
type Ladder struct {
	w     *bufio.Writer
	ascii bool
	only  map[int]bool // connections to draw; nil draws all
}

// NewLadder returns a ladder renderer. ascii draws with plain characters
// instead of Unicode box drawing; conns, when not empty, picks the
// connections to draw by number.
func NewLadder(w io.Writer, ascii bool, conns []int) *Ladder {
	l := &Ladder{w: bufio.NewWriter(w), ascii: ascii}
	if len(conns) > 0 {
		l.only = map[int]bool{}
		for _, id := range conns {
			l.only[id] = true
		}
	}
	return l
}

// Segment does nothing: the segment events are in the timeline's
// packets and the connection's counts.
func (*Ladder) Segment(*flow.Conn, *flow.SegmentEvent) {}

// Event is part of flow.Sink; the ladder is drawn per connection.
func (l *Ladder) Event(*flow.Conn, *flow.Event) {}

// stateWidth is the width of a state column: "SYN-RECEIVED".
const stateWidth = 12

// Done draws the connection.
func (l *Ladder) Done(c *flow.Conn) {
	if l.only != nil && !l.only[c.ID] {
		return
	}
	r := rolesOf(c)
	left, right := r.client, r.server
	evs := ordered(c)
	state := initialStates(evs)
	arrowR, arrowL, bar := "-->", "<--", "|"
	if !l.ascii {
		arrowR, arrowL, bar = "──>", "<──", "│"
	}
	title := fmt.Sprintf("conn %d: client %s, server %s%s", c.ID, c.Addr(left), c.Addr(right), zoneSuffix(c))
	if c.FSM.Self() {
		title = fmt.Sprintf("conn %d: self-connect %s (one socket)", c.ID, c.Addr(left))
	}
	fmt.Fprintln(l.w, title)
	fmt.Fprintf(l.w, "%10s  %-*s %s %-38s %s %s\n", "time", stateWidth, "client", strings.Repeat(" ", 3), "", strings.Repeat(" ", 3), "server")
	fmt.Fprintf(l.w, "%10s  %-*s %s %-38s %s %s\n", "", stateWidth, state[left], bar, "", bar, state[right])
	i := 0
	for n, p := range c.Timeline() {
		var marks []string
		for ; i < len(evs) && evs[i].At <= n+1; i++ {
			e := &evs[i]
			switch e.Kind {
			case fsm.Transition:
				state[e.Side] = e.To
			case fsm.Violation:
				marks = append(marks, "! "+e.Code.String())
			case fsm.Note:
				marks = append(marks, "- "+e.Code.String())
			}
		}
		seg := notation(c, &p)
		arrow := arrowR
		if p.From == right {
			arrow = arrowL
		}
		line := fmt.Sprintf("%10s  %-*s %s %-38s %s %s", rel(p.Time.Sub(c.First())), stateWidth, state[left], arrow, seg, arrow, state[right])
		var notes []string
		if labels := strings.TrimSpace(segLabels(&p)); labels != "" {
			notes = append(notes, labels)
		}
		notes = append(notes, marks...)
		note := strings.Join(notes, " ")
		line = strings.TrimRight(line, " ")
		// Keep within 100 columns: long notes go on the next line,
		// under the arrow.
		if note != "" && len(line)+2+len(note) <= 100 {
			line += "  " + note
			note = ""
		}
		fmt.Fprintln(l.w, line)
		if note != "" {
			fmt.Fprintf(l.w, "%*s%s\n", 10+2+stateWidth+1+4, "", note)
		}
	}
	if c.TimelineDropped() > 0 {
		fmt.Fprintf(l.w, "%10s  ... %d more segments (--timeline-max)\n", "", c.TimelineDropped())
	}
	// Timers after the last segment (2MSL).
	for ; i < len(evs); i++ {
		e := &evs[i]
		if e.Kind == fsm.Transition {
			state[e.Side] = e.To
			fmt.Fprintf(l.w, "%10s  %-*s %s %-38s %s %s\n", rel(e.Time.Sub(c.First())), stateWidth, state[left], bar,
				"("+e.Cause.String()+")", bar, state[right])
		}
	}
	fmt.Fprintln(l.w)
}

// notation writes a segment as RFC 9293's figures do:
// <SEQ=0><ACK=1><CTL=SYN,ACK><DATA=6>, with relative sequence numbers.
func notation(c *flow.Conn, p *flow.Packet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<SEQ=%d>", p.Seq.Sub(base(c, p.From)))
	if p.Flags&fsm.ACK != 0 {
		fmt.Fprintf(&b, "<ACK=%d>", p.Ack.Sub(base(c, p.From.Other())))
	}
	if ctl := p.Flags &^ (fsm.PSH | fsm.ECE | fsm.CWR); ctl != 0 {
		fmt.Fprintf(&b, "<CTL=%s>", ctl)
	}
	if p.Len > 0 {
		fmt.Fprintf(&b, "<DATA=%d>", p.Len)
	}
	return b.String()
}

// Close flushes.
func (l *Ladder) Close(*Totals) error { return l.w.Flush() }

package report

import (
	"strings"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// The figures (the HTML report, the SVG ladder and the SVG state diagram)
// share one look: each state has a colour, always drawn with the state's
// name or initials beside it, so that nothing depends on telling colours
// apart. The colours are the Okabe–Ito palette, which readers with the
// common colour-vision deficiencies can tell apart, and read on both a
// light and a dark background.
var stateColors = [fsm.NumStates]string{
	fsm.Closed:      "#9e9e9e",
	fsm.Listen:      "#b0bec5",
	fsm.SynSent:     "#e69f00",
	fsm.SynReceived: "#f0c419",
	fsm.Established: "#009e73",
	fsm.FinWait1:    "#56b4e9",
	fsm.FinWait2:    "#0072b2",
	fsm.CloseWait:   "#cc79a7",
	fsm.Closing:     "#8e6cc8",
	fsm.LastAck:     "#d55e00",
	fsm.TimeWait:    "#5d6d7e",
}

// StateColor returns the colour the figures give state s.
func StateColor(s fsm.State) string {
	if s.Valid() {
		return stateColors[s]
	}
	return "#000000"
}

// stateClass returns the CSS class of state s: "st-syn-received".
func stateClass(s fsm.State) string {
	return "st-" + strings.ToLower(s.String())
}

// stateAbbrev returns the short name the figures write inside a narrow
// band: "ESTAB", "FW1", "TW".
func stateAbbrev(s fsm.State) string {
	if s.Valid() {
		return stateAbbrevs[s]
	}
	return "?"
}

var stateAbbrevs = [fsm.NumStates]string{"CLOSED", "LISTEN", "SYN-S", "SYN-R", "ESTAB", "FW1", "FW2", "CW", "CLOSING", "LA", "TW"}

// OneWayDelays estimates how long a segment takes between the capture
// point and each endpoint: half the round trip the handshake shows on each
// side of it. The client's SYN and the server's SYN,ACK, both seen at the
// capture point, are a round trip to the server and back; the SYN,ACK and
// the client's ACK of it a round trip to the client and back. ok is false
// when the capture holds no such handshake (it began mid-connection, or
// the ACK was lost), and then nothing is known of where the capture point
// sits.
func OneWayDelays(c *flow.Conn) (toClient, toServer time.Duration, ok bool) {
	client, _ := c.Client()
	server := client.Other()
	var syn, synack fsm.Time
	var haveSYN, haveSYNACK bool
	for _, p := range c.Timeline() {
		switch {
		case p.From == client && p.Flags&(fsm.SYN|fsm.ACK|fsm.RST) == fsm.SYN:
			// The last SYN before the SYN,ACK: a retransmitted SYN is
			// the one the SYN,ACK answers.
			if !haveSYNACK {
				syn, haveSYN = p.Time, true
			}
		case p.From == server && p.Flags&(fsm.SYN|fsm.ACK|fsm.RST) == fsm.SYN:
			// A simultaneous open: each SYN,ACK answers the other's
			// SYN, and no one round trip shows either side's delay.
			return 0, 0, false
		case p.From == server && p.Flags&(fsm.SYN|fsm.ACK|fsm.RST) == fsm.SYN|fsm.ACK:
			if haveSYN && !haveSYNACK {
				synack, haveSYNACK = p.Time, true
			}
		case p.From == client && haveSYNACK && p.Flags&(fsm.SYN|fsm.ACK|fsm.RST) == fsm.ACK:
			return p.Time.Sub(synack) / 2, synack.Sub(syn) / 2, true
		}
	}
	return 0, 0, false
}

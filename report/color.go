package report

import (
	"tcpflow-fsm/flow/findings"
	"tcpflow-fsm/fsm"
)

// ANSI colours for a terminal. Renderers use them only when asked: the
// command turns colour on for a terminal and off when output is piped or
// NO_COLOR is set (no-color.org).
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
)

// painter colours text when on.
type painter bool

func (p painter) paint(color, s string) string {
	if !p {
		return s
	}
	return color + s + ansiReset
}

// state colours a state: green when data flows, yellow while closing,
// cyan while opening, plain when closed.
func (p painter) state(s fsm.State) string {
	switch s {
	case fsm.Established:
		return p.paint(ansiGreen, s.String())
	case fsm.SynSent, fsm.SynReceived, fsm.Listen:
		return p.paint(ansiCyan, s.String())
	case fsm.Closed:
		return s.String()
	}
	return p.paint(ansiYellow, s.String())
}

// severity colours a violation's code by its severity.
func (p painter) severity(sev fsm.Severity, s string) string {
	switch sev {
	case fsm.SevError:
		return p.paint(ansiBold+ansiRed, s)
	case fsm.SevWarning:
		return p.paint(ansiYellow, s)
	}
	return p.paint(ansiBlue, s)
}

// finding paints s by a finding's severity: critical in bold red, warning
// in yellow, info as it is.
func (p painter) finding(severity, s string) string {
	switch severity {
	case findings.Critical:
		return p.paint(ansiBold+ansiRed, s)
	case findings.Warning:
		return p.paint(ansiYellow, s)
	}
	return s
}

package report

import (
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// Explanation is one plain sentence saying what happened and why the RFC
// requires it, with the section: for a transition, the reason of the table
// cell it followed; for a violation, the catalog's explanation.
func Explanation(e *flow.Event) string {
	switch e.Kind {
	case fsm.Transition:
		return fsm.Rules(e.Dir, e.SegKind, e.From).Note
	case fsm.Violation, fsm.Note:
		info := e.Code.Info()
		return info.Explain + " (" + info.RFC + ")"
	}
	return ""
}

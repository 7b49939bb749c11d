package report

import (
	"bufio"
	"fmt"
	"io"

	"tcpflow-fsm/fsm"
)

// WriteTable prints the state machine's transition table: for each state,
// what each kind of segment sent or received does, under which condition,
// and why. Cells that change nothing are listed too, with their reason, so
// the table reads as the whole of RFC 9293's event processing for an
// observer.
func WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for s := fsm.State(0); int(s) < fsm.NumStates; s++ {
		fmt.Fprintf(bw, "%s\n", s)
		for d := fsm.Send; d < fsm.NumDirs; d++ {
			for k := fsm.Kind(0); int(k) < fsm.NumKinds; k++ {
				if d == fsm.Send && k == fsm.KindTimeout {
					continue
				}
				r := fsm.Rules(d, k, s)
				event := d.String() + " " + k.String()
				if k == fsm.KindTimeout {
					event = k.String()
				}
				fmt.Fprintf(bw, "  %-14s %s\n", event, outcome(r))
				for _, l := range wrap(r.Note, 80) {
					fmt.Fprintf(bw, "  %-14s   %s\n", "", l)
				}
			}
		}
	}
	return bw.Flush()
}

func outcome(r fsm.Rule) string {
	s := ""
	if r.Next != fsm.Keep {
		s = "-> " + r.Next.String()
		if r.When != "" {
			s += " if " + r.When
		}
	}
	if r.Alt != fsm.Keep {
		if s != "" {
			s += "; "
		}
		s += "-> " + r.Alt.String()
		if r.AltWhen != "" {
			s += " if " + r.AltWhen
		}
	}
	if s == "" {
		s = "= (no change)"
	}
	return s
}

package flow

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestSegEventsInREADME keeps the README's list of segment events equal to
// the one in segevent.go: every event has its row, word for word.
func TestSegEventsInREADME(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for e := SegEvent(1); e < NumSegEvents; e++ {
		i := e.Info()
		if row := fmt.Sprintf("| `%s` | %s |", i.Name, i.Definition); !strings.Contains(string(b), row) {
			t.Errorf("README lacks the segment event row:\n%s", row)
		}
	}
}

// TestSegEventNames checks that every event has a distinct snake_case
// name, a short form and a label, and that names round-trip.
func TestSegEventNames(t *testing.T) {
	seen := map[string]bool{}
	for e := SegEvent(1); e < NumSegEvents; e++ {
		i := e.Info()
		if i.Name == "" || i.Short == "" || i.Label == "" || i.Definition == "" || seen[i.Name] {
			t.Errorf("event %d: %+v", e, i)
		}
		seen[i.Name] = true
		if strings.ToLower(i.Name) != i.Name || strings.ContainsAny(i.Name, " -") {
			t.Errorf("event %d: name %q is not snake_case", e, i.Name)
		}
	}
	if SegEvent(0).String() != "unknown" || NumSegEvents.String() != "unknown" {
		t.Error("out-of-range events must say unknown")
	}
	var s SegEvents
	s.add(DuplicateAck)
	s.add(Retransmission)
	if s.String() != "retransmission,duplicate_ack" || !s.Has(DuplicateAck) || s.Has(ZeroWindow) {
		t.Errorf("set %v", s)
	}
}

package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/fsm"
)

// TestStreamCounts: --stats in the text stream, each role's states and
// the interval's counts under one another, in 100 columns however many
// states there are.
func TestStreamCounts(t *testing.T) {
	var out bytes.Buffer
	st := NewStream(&out, time.UTC)
	sc := StateCounts{Time: fsm.TimeOf(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)), Interval: 5 * time.Second,
		Tally: Tally{Opened: 4, Closed: 1}}
	for s := range fsm.NumStates {
		sc.Client[s] = 100000 + int(s)
	}
	sc.Server[fsm.Established] = 3
	st.Counts(&sc)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) < 5 || lines[1] != "12:00:00.000000 states: client CLOSED 100000, LISTEN 100001, SYN-SENT 100002, SYN-RECEIVED 100003," ||
		lines[len(lines)-2] != "                        server ESTABLISHED 3" ||
		lines[len(lines)-1] != "                        last 5s: opened 4 (0 mid-stream), closed 1, reset 0, refused 0" {
		t.Errorf("state counts:\n%s", out.String())
	}
	for _, l := range lines {
		if len(l) > 100 {
			t.Errorf("line of %d columns: %s", len(l), l)
		}
	}
}

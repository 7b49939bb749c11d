package flow_test

import (
	"testing"

	"tcpflow-fsm/fsm"
)

// TestZeekLowPortClient reads real connects from port 1001 to a higher
// port (testdata/zeek/README.md says how they were made). Zeek's originator
// is the SYN's sender whatever the ports, so conn_state reads the refusal
// as REJ and the silence as S0, not as the responder's RST (RSTR) or as
// mid-stream traffic (OTH).
func TestZeekLowPortClient(t *testing.T) {
	for _, tc := range []struct{ file, state, history string }{
		{"refused-low-port.pcap", "REJ", "Sr"},
		{"unanswered-low-port.pcap", "S0", "S"},
	} {
		conns := zeekReplay(t, "../testdata/zeek/"+tc.file, false)
		if len(conns) != 1 {
			t.Fatalf("%s: %d connections, want 1", tc.file, len(conns))
		}
		c := conns[0]
		if o, _ := c.Zeek.Originator(); c.Addr(o).Port() != 1001 || c.Addr(o^1).Port() == 1001 {
			t.Errorf("%s: Zeek's originator %s, want the client on port 1001", tc.file, c.Addr(o))
		}
		if got := c.Zeek.ConnState(fsm.A); got != tc.state {
			t.Errorf("%s: conn_state %s, want %s", tc.file, got, tc.state)
		}
		if got := c.Zeek.History(fsm.A); got != tc.history {
			t.Errorf("%s: history %q, want %q", tc.file, got, tc.history)
		}
	}
}

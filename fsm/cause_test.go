package fsm

import "testing"

// TestCauseOfCell: a table cell's cause names the segment sent or received
// in the kind's own words, and the 2MSL timer for its expiry; every cause
// has words but NoCause.
func TestCauseOfCell(t *testing.T) {
	for d := Send; int(d) < NumDirs; d++ {
		for k := Kind(0); int(k) < NumKinds; k++ {
			want := map[Dir]string{Send: "sent ", Rcvd: "rcvd "}[d] + k.String()
			switch {
			case k == KindTimeout && d == Rcvd:
				want = "2MSL timeout"
			case k == KindTimeout:
				want = ""
			}
			if got := causeOf(d, k).String(); got != want {
				t.Errorf("causeOf(%v, %v) = %q, want %q", d, k, got, want)
			}
		}
	}
	for c := NoCause + 1; c < numCauses; c++ {
		if c.String() == "" {
			t.Errorf("cause %d has no words", c)
		}
	}
	for d := NoDetail + 1; d < numDetails; d++ {
		if d.String() == "" {
			t.Errorf("detail %d has no words", d)
		}
	}
}

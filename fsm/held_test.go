package fsm

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// corpusInputs returns the inputs of FuzzConn's committed corpus.
func corpusInputs(t *testing.T) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzConn", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no FuzzConn corpus: %v", err)
	}
	var inputs [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		lit, ok := strings.CutPrefix(lines[len(lines)-1], "[]byte(")
		if len(lines) != 2 || !ok {
			t.Fatalf("%s: not a one-[]byte corpus file", f)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		inputs = append(inputs, []byte(s))
	}
	return inputs
}

// A Conn is a value: a copy made at any point and driven elsewhere leaves
// the original as it was, held records included (they live outside the
// struct and are shared by copies, so they must never change in place).
// Every FuzzConn corpus input is forked at every segment; the copy is fed
// the rest backwards and from the other side, interleaved with the
// original, whose events must be those of a run never copied.
func TestConnCopiesAreIndependent(t *testing.T) {
	for _, data := range corpusInputs(t) {
		sides, segs := decodeSegments(data)
		for _, self := range []bool{false, true} {
			from := func(i int, flip bool) Side {
				if self {
					return A
				}
				if flip {
					return sides[i].Other()
				}
				return sides[i]
			}
			var want [][]Event
			ref := NewConn(Config{}, self)
			for i := range segs {
				want = append(want, slices.Clone(ref.Step(from(i, false), &segs[i])))
			}
			want = append(want, slices.Clone(ref.Finish()))

			for fork := 0; fork <= len(segs); fork++ {
				c := NewConn(Config{}, self)
				for i := range fork {
					c.Step(from(i, false), &segs[i])
				}
				d := *c
				d.Lend(nil) // the event buffer is shared too; it is reused anyway
				for i := fork; i < len(segs); i++ {
					j := len(segs) - 1 - (i - fork)
					d.Step(from(j, true), &segs[j])
					checkHeld(t, &d)
					if got := c.Step(from(i, false), &segs[i]); !slices.Equal(got, want[i]) {
						t.Fatalf("self %v, forked at %d: segment %d gave\n%v\nwant\n%v", self, fork, i, got, want[i])
					}
					checkHeld(t, c)
				}
				d.Finish()
				if got := c.Finish(); !slices.Equal(got, want[len(segs)]) {
					t.Fatalf("self %v, forked at %d: Finish gave\n%v\nwant\n%v", self, fork, got, want[len(segs)])
				}
				checkHeld(t, c)
			}
		}
	}
}

// checkHeld checks c's list of held records: at most one of each kind for
// each endpoint.
func checkHeld(t *testing.T, c *Conn) {
	t.Helper()
	var seen [2][numHeld]bool
	for h := c.rec; h != nil; h = h.next {
		if h.at > B || h.kind >= numHeld || seen[h.at][h.kind] {
			t.Fatalf("held records out of shape: endpoint %d, kind %d, seen %v", h.at, h.kind, seen)
		}
		seen[h.at][h.kind] = true
	}
}

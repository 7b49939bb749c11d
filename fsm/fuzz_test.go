package fsm

import (
	"encoding/binary"
	"testing"
	"time"
)

// segmentSize is how many fuzz bytes make one segment: side and flags,
// then SEQ and ACK as offsets from each side's ISN, payload length,
// window, and option bits.
const segmentSize = 12

// decodeSegments turns fuzz bytes into segments, ISNs near 2^32 so that
// every input crosses the wrap.
func decodeSegments(data []byte) ([]Side, []Segment) {
	var sides []Side
	var segs []Segment
	t := TimeOf(time.Unix(1700000000, 0))
	isn := [2]uint32{0xFFFFFF00, 0x7FFFFFF0}
	for len(data) >= segmentSize {
		b := data[:segmentSize]
		data = data[segmentSize:]
		side := Side(b[0] & 1)
		from, to := isn[side], isn[side^1]
		t = t.Add(time.Duration(b[11]) * 10 * time.Millisecond)
		seg := Segment{
			Time:       t,
			Flags:      Flags(b[1]),
			Seq:        Seq(from + uint32(int32(int16(binary.BigEndian.Uint16(b[2:]))))),
			Ack:        Seq(to + uint32(int32(int16(binary.BigEndian.Uint16(b[4:]))))),
			PayloadLen: int(binary.BigEndian.Uint16(b[6:]) % 3000),
			Window:     binary.BigEndian.Uint16(b[8:]),
		}
		o := b[10]
		seg.Opts.HasTimestamps = o&1 != 0
		seg.Opts.TSVal = uint32(t.Time().UnixMilli())
		seg.Opts.HasWScale, seg.Opts.WScale = o&2 != 0, o>>4
		seg.Opts.HasMSS = o&4 != 0
		seg.Opts.HasFastOpen = o&8 != 0
		if b[0]&2 != 0 {
			seg.Malformed = Malformed(b[0] >> 2 & 7)
		}
		sides = append(sides, side)
		segs = append(segs, seg)
	}
	return sides, segs
}

// encodeSegment is decodeSegments' inverse for seeds.
func encodeSegment(side Side, f Flags, seq, ack int16, n uint16, win uint16, opts byte, gap byte) []byte {
	b := make([]byte, segmentSize)
	b[0], b[1] = byte(side), byte(f)
	binary.BigEndian.PutUint16(b[2:], uint16(seq))
	binary.BigEndian.PutUint16(b[4:], uint16(ack))
	binary.BigEndian.PutUint16(b[6:], n)
	binary.BigEndian.PutUint16(b[8:], win)
	b[10], b[11] = opts, gap
	return b
}

func seed(segs ...[]byte) []byte {
	var out []byte
	for _, s := range segs {
		out = append(out, s...)
	}
	return out
}

// FuzzConn drives the state machine with any sequence of segments in both
// directions, a self-connect too, and checks that it never panics, that
// every state is one of the eleven, that every transition is one its table
// cell allows, that held records are dropped once none is held, that an
// endpoint has a 2MSL timer exactly while in TIME-WAIT and the timer fires
// when due, that every segment is counted, and that the timers and Finish
// keep those promises.
func FuzzConn(f *testing.F) {
	// Seeds: the RFC figures' exchanges.
	open := [][]byte{
		encodeSegment(A, SYN, 0, 0, 0, 64240, 7, 0),
		encodeSegment(B, SYN|ACK, 0, 1, 0, 65160, 7, 1),
		encodeSegment(A, ACK, 1, 1, 0, 502, 1, 1),
	}
	f.Add(seed(open...))
	f.Add(seed(append(open,
		encodeSegment(A, FIN|ACK, 1, 1, 0, 502, 1, 1),
		encodeSegment(B, ACK, 1, 2, 0, 509, 1, 1),
		encodeSegment(B, FIN|ACK, 1, 2, 0, 509, 1, 1),
		encodeSegment(A, ACK, 2, 2, 0, 502, 1, 1))...))
	f.Add(seed(
		encodeSegment(A, SYN, 0, 0, 0, 1000, 0, 0),
		encodeSegment(B, SYN, 0, 0, 0, 1000, 0, 0),
		encodeSegment(A, SYN|ACK, 0, 1, 0, 1000, 0, 0),
		encodeSegment(B, SYN|ACK, 0, 1, 0, 1000, 0, 0)))
	f.Add(seed(append(open,
		encodeSegment(A, FIN|ACK, 1, 1, 0, 502, 1, 1),
		encodeSegment(B, FIN|ACK, 1, 1, 0, 509, 1, 0),
		encodeSegment(A, ACK, 2, 2, 0, 502, 1, 1),
		encodeSegment(B, ACK, 2, 2, 0, 509, 1, 1),
		encodeSegment(A, SYN, 3000, 0, 0, 1000, 1, 255))...))
	f.Add(seed(encodeSegment(A, SYN, 0, 0, 0, 1000, 0, 0), encodeSegment(B, RST|ACK, 0, 1, 0, 0, 0, 0)))
	// A closes first and waits in TIME-WAIT; then B sends a RST at the
	// right number, or an old SYN.
	closed := append(open,
		encodeSegment(A, FIN|ACK, 1, 1, 0, 502, 1, 1),
		encodeSegment(B, ACK, 1, 2, 0, 509, 1, 1),
		encodeSegment(B, FIN|ACK, 1, 2, 0, 509, 1, 1),
		encodeSegment(A, ACK, 2, 2, 0, 502, 1, 1))
	f.Add(seed(append(closed, encodeSegment(B, RST, 2, 0, 0, 0, 0, 1))...))
	f.Add(seed(append(closed, encodeSegment(B, SYN, 0, 0, 0, 1000, 0, 1))...))
	// The handshake ACK is lost: B sends its SYN,ACK again, then data.
	f.Add(seed(append(open,
		encodeSegment(B, SYN|ACK, 0, 1, 0, 65160, 7, 100),
		encodeSegment(A, ACK, 1, 1, 0, 502, 1, 1),
		encodeSegment(B, PSH|ACK, 1, 1, 100, 509, 1, 1))...))
	// Mid-stream, data with no ACK flag, then a RST: nothing to judge
	// the RST's number by.
	f.Add(seed(encodeSegment(A, PSH, 1, 0, 10, 1000, 0, 0), encodeSegment(B, RST, 5, 0, 0, 0, 0, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		sides, segs := decodeSegments(data)
		for _, self := range []bool{false, true} {
			c := NewConn(Config{TimeWait: time.Second}, self)
			check := func(evs []Event) {
				for _, e := range evs {
					if e.Kind != Transition {
						if e.Code.Info().Name == "unknown" {
							t.Fatalf("violation with no catalog entry: %+v", e)
						}
						continue
					}
					if !e.From.Valid() || !e.To.Valid() || e.From == e.To {
						t.Fatalf("bad transition %+v", e)
					}
					if !Rules(e.Dir, e.SegKind, e.From).Allows(e.To) {
						t.Fatalf("transition %v -> %v on %v %v is not in its table cell", e.From, e.To, e.Dir, e.SegKind)
					}
				}
				for s := A; s <= B; s++ {
					st := c.Endpoint(s).State
					if !st.Valid() {
						t.Fatalf("side %v in invalid state %d", s, st)
					}
					if _, ok := c.TimeWaitEnds(s); ok != (st == TimeWait) {
						t.Fatalf("side %v in %v has a 2MSL timer: %v", s, st, ok)
					}
				}
				if c.Ended(false) && !c.Ended(true) {
					t.Fatal("ended unless TIME-WAIT counts, not ended if it does")
				}
				checkHeld(t, c)
			}
			// expired fails if a 2MSL timer due by now has not fired.
			expired := func(now Time) {
				for s := A; s <= B; s++ {
					if end, ok := c.TimeWaitEnds(s); ok && !end.After(now) {
						t.Fatalf("side %v still in TIME-WAIT at %v, its timer due at %v", s, now, end)
					}
				}
			}
			steps := 0
			for i := range segs {
				side := sides[i]
				if self {
					side = A
				}
				if c.Reopens(side, &segs[i]) {
					check(c.Reopen(side, &segs[i]))
					c, steps = NewConn(Config{TimeWait: time.Second}, self), 0
				}
				check(c.Advance(segs[i].Time))
				expired(segs[i].Time)
				check(c.Step(side, &segs[i]))
				if steps++; c.Segments() != steps {
					t.Fatalf("%d segments counted of %d", c.Segments(), steps)
				}
			}
			if len(segs) > 0 {
				end := segs[len(segs)-1].Time.Add(time.Hour)
				check(c.Advance(end))
				expired(end)
			}
			check(c.Finish())
		}
	})
}

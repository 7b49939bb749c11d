package flow

import (
	"math"
	"time"
)

// JumpBound is how far a timestamp may lie ahead of the capture clock, or
// behind it, and still be followed at once. A time further off is a jump:
// one wrong stamp (a packet dated 2106 amid packets of today) or a step of
// the capturing host's clock, or a silence of the capture. The clock does
// not follow it until JumpConfirm more show which.
const JumpBound = time.Minute

// JumpConfirm is how many timestamps after a jump must lie on the same side
// of the clock, and none back near it, for the jump to be taken as real: a
// long silence (ahead), or the capturing host's clock set back (behind).
const JumpConfirm = 2

// maxTrailingGap is the longest jump ahead, unresolved when the capture
// ends, that is followed as a silence: beyond it, a last packet alone is a
// wrong stamp.
const maxTrailingGap = 24 * time.Hour

// captureClock is the capture clock the timers run on (TIME-WAIT, linger, idle
// timeout), in nanoseconds. It follows the timestamps of the segments (and,
// live, of the wall clock) as they come, except that it never runs back and
// no single timestamp can drag it: a time more than JumpBound from the clock
// is a jump, taken for now as if it were the clock's time (stamp.Held), until
// the next JumpConfirm timestamps show what it was.
//
//   - Followed by a time near the clock again, it was a stray, and stays
//     taken as the clock's time; the clock has not moved.
//   - Followed by JumpConfirm times as far ahead, it ends a silence of the
//     capture: the clock moves to the earliest of them, and timers due in
//     the silence fire. The segments held are put back at their own times.
//   - Followed by JumpConfirm times as far behind, the host's clock was set
//     back: the timestamps from there on are read on a base shifted so that
//     the first of them is now, and the clock keeps running forward.
//
// Strays and steps back are counted in Jumps. A segment's own times, as the
// reports show them, stay its timestamps; only the timers read the clock.
type captureClock struct {
	now     int64 // the clock
	offset  int64 // a timestamp on the current base plus offset is on the clock
	started bool
	held    []int64 // the timestamps of the jump not yet resolved, in order
	ahead   bool    // the jump is ahead of the clock (else behind)
	// Jumps counts the timestamps the clock would not follow: strays (runs
	// of at most JumpConfirm followed by a time near the clock again) and
	// steps back.
	Jumps int
}

// stamp says when a segment is taken on the capture clock.
type stamp struct {
	Clock int64 // the capture clock: the timers due by then fire first
	Shift int64 // what to add to the segment's own times to put them on the clock
	// Held says that the segment's time is a jump not yet resolved: it is
	// taken as the clock's time, and a resolution may move it.
	Held bool
}

// resolution says what the segments stamped Held turned out to be.
type resolution struct {
	Done bool // a jump was resolved
	// Confirmed says that it was real: the held segments take Shift. A
	// stray's keep the stamp they had.
	Confirmed bool
	Shift     int64
}

// Observe reads the next timestamp, of a segment or (live) of the wall
// clock, and says when to take it. A jump it resolves is in res, which
// applies to what was held before, and so first.
func (k *captureClock) Observe(at int64) (st stamp, res resolution) {
	if !k.started {
		k.started, k.now = true, at
		return stamp{Clock: at}, res
	}
	m := addSat(at, k.offset)
	if len(k.held) > 0 {
		switch side := k.side(m); {
		case side == 0, side > 0 != k.ahead:
			res = k.stray()
		case len(k.held) <= JumpConfirm-1:
			k.held = append(k.held, at)
			return k.hold(at), res
		default:
			res = k.confirm(m)
			m = addSat(at, k.offset)
		}
	}
	if side := k.side(m); side != 0 {
		k.held, k.ahead = append(k.held, at), side > 0
		return k.hold(at), res
	}
	k.now = max(k.now, m)
	return stamp{Clock: k.now, Shift: k.offset}, res
}

// Flush resolves what is held when the capture ends: a jump ahead of less
// than a day is a last silence, followed; anything else is a stray.
func (k *captureClock) Flush() resolution {
	if len(k.held) == 0 {
		return resolution{}
	}
	m := addSat(k.held[len(k.held)-1], k.offset)
	if k.ahead && subSat(m, k.now) <= int64(maxTrailingGap) {
		return k.confirm(m)
	}
	return k.stray()
}

// Now returns the capture clock.
func (k *captureClock) Now() int64 { return k.now }

// hold stamps a timestamp of the jump not yet resolved: taken now.
func (k *captureClock) hold(at int64) stamp {
	return stamp{Clock: k.now, Shift: subSat(k.now, at), Held: true}
}

// side says where the time m (on the clock's base) lies: near the clock
// (0), more than JumpBound ahead (1) or behind (-1).
func (k *captureClock) side(m int64) int {
	switch {
	case m > addSat(k.now, int64(JumpBound)):
		return 1
	case m < subSat(k.now, int64(JumpBound)):
		return -1
	}
	return 0
}

// stray resolves the jump held as wrong.
func (k *captureClock) stray() resolution {
	k.Jumps++
	k.held = k.held[:0]
	return resolution{Done: true}
}

// confirm resolves the jump held as real, m (on the current base) being
// the time that confirms it.
func (k *captureClock) confirm(m int64) resolution {
	if k.ahead {
		// A silence: the clock moves to the earliest of the times that
		// agree, so that one wrong among them cannot take it further.
		for _, at := range k.held {
			m = min(m, addSat(at, k.offset))
		}
		k.now = max(k.now, m)
	} else {
		// A step back: the first time held is now, on a new base.
		k.Jumps++
		k.offset = subSat(k.now, k.held[0])
	}
	k.held = k.held[:0]
	return resolution{Done: true, Confirmed: true, Shift: k.offset}
}

// addSat returns a+b, or the nearest end of int64's range when that
// overflows: no duration added to a time can wrap it round.
func addSat(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

// subSat returns a-b, saturated as addSat.
func subSat(a, b int64) int64 {
	s := a - b
	switch {
	case b < 0 && s < a:
		return math.MaxInt64
	case b > 0 && s > a:
		return math.MinInt64
	}
	return s
}

// nanosOf returns t in nanoseconds since the epoch, or the nearest end of
// int64's range (years 1677 and 2262) for a time beyond it, where
// time.Time.UnixNano is undefined.
func nanosOf(t time.Time) int64 {
	s := t.Unix()
	switch {
	case s >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	case s <= math.MinInt64/int64(time.Second):
		return math.MinInt64
	}
	return t.UnixNano()
}

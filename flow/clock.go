package flow

import (
	"math"
	"time"

	"tcpflow-fsm/fsm"
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
// timeout). It follows the timestamps of the segments (and, live, of the
// wall clock) as they come, except that it never runs back and
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
	now     fsm.Time      // the clock
	offset  time.Duration // a timestamp on the current base plus offset is on the clock
	started bool
	held    []fsm.Time // the timestamps of the jump not yet resolved, in order
	ahead   bool       // the jump is ahead of the clock (else behind)
	// Jumps counts the timestamps the clock would not follow: strays (runs
	// of at most JumpConfirm followed by a time near the clock again) and
	// steps back.
	Jumps int
}

// stamp says when a segment is taken on the capture clock.
type stamp struct {
	Clock fsm.Time      // the capture clock: the timers due by then fire first
	Shift time.Duration // what to add to the segment's own times to put them on the clock
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
	Shift     time.Duration
}

// Observe reads the next timestamp, of a segment or (live) of the wall
// clock, and says when to take it. A jump it resolves is in res, which
// applies to what was held before, and so first.
func (k *captureClock) Observe(at fsm.Time) (st stamp, res resolution) {
	if !k.started {
		k.started, k.now = true, at
		return stamp{Clock: at}, res
	}
	m := at.Add(k.offset)
	if len(k.held) > 0 {
		switch side := k.side(m); {
		case side == 0, side > 0 != k.ahead:
			res = k.stray()
		case len(k.held) <= JumpConfirm-1:
			k.held = append(k.held, at)
			return k.hold(at), res
		default:
			res = k.confirm(m)
			m = at.Add(k.offset)
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
	m := k.held[len(k.held)-1].Add(k.offset)
	if k.ahead && m.Sub(k.now) <= maxTrailingGap {
		return k.confirm(m)
	}
	return k.stray()
}

// Now returns the capture clock: fsm.MinTime before it has read a time,
// so that timers run to it fire none.
func (k *captureClock) Now() fsm.Time {
	if !k.started {
		return fsm.MinTime
	}
	return k.now
}

// hold stamps a timestamp of the jump not yet resolved: taken now.
func (k *captureClock) hold(at fsm.Time) stamp {
	return stamp{Clock: k.now, Shift: k.now.Sub(at), Held: true}
}

// side says where the time m (on the clock's base) lies: near the clock
// (0), more than JumpBound ahead (1) or behind (-1).
func (k *captureClock) side(m fsm.Time) int {
	switch {
	case m.After(k.now.Add(JumpBound)):
		return 1
	case m.Before(k.now.Add(-JumpBound)):
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
func (k *captureClock) confirm(m fsm.Time) resolution {
	if k.ahead {
		// A silence: the clock moves to the earliest of the times that
		// agree, so that one wrong among them cannot take it further.
		for _, at := range k.held {
			m = min(m, at.Add(k.offset))
		}
		k.now = max(k.now, m)
	} else {
		// A step back: the first time held is now, on a new base.
		k.Jumps++
		k.offset = k.now.Sub(k.held[0])
	}
	k.held = k.held[:0]
	return resolution{Done: true, Confirmed: true, Shift: k.offset}
}

// back returns t-d, saturated as fsm.Time.Add is: it takes the clock's
// offset or a connection's shift (stamp.Shift) off a time on the clock,
// and either may be the most negative duration, whose negation
// time.Duration does not hold.
func back(t fsm.Time, d time.Duration) fsm.Time {
	if d == math.MinInt64 {
		return t.Add(math.MaxInt64).Add(1)
	}
	return t.Add(-d)
}

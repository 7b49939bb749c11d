package fsm

// Cause says what made a transition happen: the kind of segment sent or
// received (the table's cell: causeOf), the 2MSL timer, or a cause the
// analysis names itself, such as a FIN that crossed the endpoint's own or a
// handshake the capture did not show. It is a number, so that an Event
// holds no pointer (a JSON or text report keeps every connection's events
// until the connection ends); String gives its words.
type Cause uint8

// The causes. The first two runs follow the kinds, one for each direction
// (causeOf).
const (
	NoCause Cause = iota
	CauseSentSYN
	CauseSentSYNACK
	CauseSentFIN
	CauseSentACK
	CauseSentRST
	CauseSentNone
	CauseRcvdSYN
	CauseRcvdSYNACK
	CauseRcvdFIN
	CauseRcvdACK
	CauseRcvdRST
	CauseRcvdNone
	CauseTimeout
	CauseFINCrossed
	CauseReopenRcvd
	CauseReopenSent
	CauseSYNCrossed
	CauseMidSend
	CauseMidRcvd
	CauseSYNNotSeen
	CauseSYNACKNotSeen
	CauseOwnSYNNotSeen
	CauseACKNotSeen
	CauseACKLost
	CauseSYNACKLost
	CauseACKArrived
	numCauses
)

var causeNames = [numCauses]string{
	"",
	"sent SYN", "sent SYN,ACK", "sent FIN", "sent ACK", "sent RST", "sent no flags",
	"rcvd SYN", "rcvd SYN,ACK", "rcvd FIN", "rcvd ACK", "rcvd RST", "rcvd no flags",
	"2MSL timeout",
	"rcvd FIN (crossed its own)",
	"rcvd SYN of a new connection on the 4-tuple",
	"sent SYN of a new connection on the 4-tuple",
	"rcvd SYN (crossed its own)",
	"sent ACK (mid-stream: handshake not captured)",
	"rcvd ACK (mid-stream: handshake not captured)",
	"sent SYN,ACK (the SYN was not captured)",
	"sent ACK (the SYN,ACK was not captured)",
	"rcvd SYN,ACK (its SYN was not captured)",
	"sent ACK (the peer's ACK of its SYN was not captured)",
	"resent SYN,ACK: the ACK was lost",
	"resent SYN: the SYN,ACK never arrived",
	"sent ACK (a handshake ACK did arrive)",
}

// String writes the cause as the reports do: "rcvd SYN,ACK", "sent FIN",
// "2MSL timeout"; "" for NoCause.
func (c Cause) String() string {
	if c < numCauses {
		return causeNames[c]
	}
	return "cause?"
}

// RST reports whether the cause is a RST sent or received.
func (c Cause) RST() bool { return c == CauseSentRST || c == CauseRcvdRST }

// causeOf is the cause a table cell gives a transition: the kind of
// segment sent or received, or the 2MSL timer.
func causeOf(d Dir, k Kind) Cause {
	switch {
	case k == KindTimeout && d == Rcvd:
		return CauseTimeout
	case k == KindTimeout:
		return NoCause
	case d == Send:
		return CauseSentSYN + Cause(k)
	}
	return CauseRcvdSYN + Cause(k)
}

// Detail says what followed a violation, where that matters to it: for a
// segment that calls for a challenge ACK (RFC 5961), whether one came. A
// number, as Cause is; String gives its words.
type Detail uint8

// The details.
const (
	NoDetail Detail = iota
	ChallengeSeen
	NoChallengeSeen
	NoChallengeBeforeEnd
	NoChallengeBeforeNext
	numDetails
)

var detailNames = [numDetails]string{
	"",
	"challenge ACK seen",
	"no challenge ACK seen",
	"no challenge ACK seen before the capture ended",
	"no challenge ACK seen before the next one was due",
}

// String writes the detail as the reports do; "" for NoDetail.
func (d Detail) String() string {
	if d < numDetails {
		return detailNames[d]
	}
	return "detail?"
}

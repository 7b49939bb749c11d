package fsm

// State is the RFC 9293 §3.3.2 state of one endpoint of a connection.
type State uint8

// The eleven states of RFC 9293 §3.3.2, in the order the RFC lists them
// after CLOSED. Code never relies on this order: state groups are the
// explicit methods below.
const (
	Closed State = iota
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait

	// NumStates is the number of real states.
	NumStates = int(TimeWait) + 1

	// Keep is not a state: in a transition table cell it means "no change".
	Keep State = 0xff
)

var stateNames = [NumStates]string{
	Closed:      "CLOSED",
	Listen:      "LISTEN",
	SynSent:     "SYN-SENT",
	SynReceived: "SYN-RECEIVED",
	Established: "ESTABLISHED",
	FinWait1:    "FIN-WAIT-1",
	FinWait2:    "FIN-WAIT-2",
	CloseWait:   "CLOSE-WAIT",
	Closing:     "CLOSING",
	LastAck:     "LAST-ACK",
	TimeWait:    "TIME-WAIT",
}

// String returns the RFC 9293 spelling: "SYN-RECEIVED", "FIN-WAIT-1".
func (s State) String() string {
	if int(s) < NumStates {
		return stateNames[s]
	}
	if s == Keep {
		return "="
	}
	return "INVALID"
}

// Valid reports whether s is one of the eleven states.
func (s State) Valid() bool { return int(s) < NumStates }

// Synchronized reports whether the endpoint has exchanged SYNs with its peer
// and holds a synchronized connection (RFC 9293 §3.5.2): ESTABLISHED and
// every state after it.
func (s State) Synchronized() bool {
	switch s {
	case Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait:
		return true
	}
	return false
}

// Ended reports whether the endpoint holds no live connection: CLOSED,
// LISTEN (a passive endpoint back to listening), or TIME-WAIT (only
// lingering for stray duplicates).
func (s State) Ended() bool {
	switch s {
	case Closed, Listen, TimeWait:
		return true
	}
	return false
}

// Kind is a segment reduced to the control bits that drive the state
// machine, classified in the order Linux nf_conntrack uses
// (get_conntrack_index): RST first, then SYN (SYN,ACK when ACK is also set),
// then FIN, then ACK. Timeout is the 2MSL timer, not a segment.
type Kind uint8

// The segment kinds.
const (
	KindSYN Kind = iota
	KindSYNACK
	KindFIN
	KindACK
	KindRST
	KindNone    // no usable control bits, or a combination receivers drop
	KindTimeout // the TIME-WAIT 2MSL timer expired

	// NumKinds is the number of kinds.
	NumKinds = int(KindTimeout) + 1
)

var kindNames = [NumKinds]string{"SYN", "SYN,ACK", "FIN", "ACK", "RST", "no flags", "2MSL timeout"}

// String names the kind as RFC 9293 writes control bits: "SYN,ACK".
func (k Kind) String() string {
	if int(k) < NumKinds {
		return kindNames[k]
	}
	return "INVALID"
}

// Classify reduces a segment's flags to its kind. SYN with FIN or RST, FIN
// without ACK, and segments with none of SYN, FIN, RST, ACK are KindNone:
// receivers drop them (Linux discards SYN,FIN in LISTEN; RFC 9293
// §3.10.7.4 fifth check drops segments without ACK), and the analysis
// reports them as violations. KindFIN and KindACK always carry ACK.
func Classify(f Flags) Kind {
	switch {
	case f&SYN != 0 && f&(FIN|RST) != 0:
		return KindNone
	case f&RST != 0:
		return KindRST
	case f&SYN != 0 && f&ACK != 0:
		return KindSYNACK
	case f&SYN != 0:
		return KindSYN
	case f&FIN != 0 && f&ACK != 0:
		return KindFIN
	case f&ACK != 0:
		return KindACK
	}
	return KindNone
}

// Side names one of the two endpoints of a connection. Side A is the sender
// of the first segment seen; roles (client, server) are decided separately.
type Side uint8

// The two sides.
const (
	A Side = 0
	B Side = 1
)

// Other returns the opposite side.
func (s Side) Other() Side { return s ^ 1 }

// Dir says whether a table row is what an endpoint's own sending implies
// about it, or what its receiving does to it. A segment from X to Y is a
// send for X and a receive for Y.
type Dir uint8

// The two directions.
const (
	Send Dir = iota
	Rcvd
	NumDirs = 2
)

// String returns "sent" or "rcvd", the words used in transition causes.
func (d Dir) String() string {
	if d == Send {
		return "sent"
	}
	return "rcvd"
}

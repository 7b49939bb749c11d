// Package fsm is the RFC 9293 state machine of one connection's two
// endpoints, as a passive observer at one point on the path sees them.
// Conn.Step takes each segment of the connection in capture order and
// returns events: the state changes it caused and the rules it broke. It is
// pure: no I/O and no clock but the segments' own times.
//
// A segment is a send for its sender and a receive for its peer. The
// receive side follows RFC 9293 §3.10.7, one file for each check of
// §3.10.7.4 that the analysis makes, so that the code reads beside the RFC:
//
//	conn.go       Conn, Endpoint and Event; Step, which applies a segment as a
//	              send and then as a receive (receive dispatches to the checks)
//	check_seq.go  first check, sequence number: the receive window
//	check_rst.go  second check, RST bit (RFC 5961 §3.2); RST in SYN-SENT,
//	              LISTEN and CLOSED (§3.10.7.1-3)
//	check_syn.go  fourth check, SYN bit; SYN and SYN,ACK in CLOSED, LISTEN and
//	              SYN-SENT (§3.10.7.1-3); a new SYN in TIME-WAIT (§3.6.1)
//	check_ack.go  fifth check, ACK field
//	check_fin.go  eighth check, FIN bit
//	send.go       what an endpoint's own segments prove about it (§3.10.1-5,
//	              Figure 5), and the rules a segment breaks by itself
//	table.go      the transition table, each conditional cell naming the
//	              guard function that decides it; take, the one place where
//	              an endpoint's state changes
//	held.go       segments whose meaning only a later segment decides
//	state.go      states, segment kinds, sides and directions
//	segment.go    the segment as captured, classified once (Segment.Classify)
//	time.go       Time, a capture time in the one form it has from the decoder
//	              to the renderers
//	cause.go      what made a transition, and what followed a violation
//	seq.go        sequence number arithmetic
//	violation.go  the catalog of violation and note codes
//
// The third check (security and precedence), the sixth (URG) and the
// seventh (segment text) change no state, and an observer cannot see them
// applied: they are not modelled.
package fsm

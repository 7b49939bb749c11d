package main

// The races a passive observer must not call violations: segments that
// cross a RST, a RST that crosses a RST or a FIN. A capture point near one
// end sees segments of the far end arrive after the near end's RST went
// out; the far end sent them before that RST reached it, broke no rule, and
// the near end's kernel answers each with a RST of its own.
//
// On a veth pair every segment is received in the softirq that sends it, so
// nothing is ever in flight and nothing crosses. gen.sh gives the path from a
// to b a queue (a tbf qdisc on veth-a, installed at the driver's STEP delay):
// a segment of a that finds the token bucket empty waits there for tens of
// milliseconds, in flight, while b's segments reach a at once. Each scenario
// sends one segment of a that empties the bucket (it reaches b at once),
// then queues what is to cross, then has b do what the crossing segments
// then meet. Both ends are in one process (-role pair, on CPU 0), so the
// order of the system calls is the program's, microseconds apart, well
// within the queue's delay; the capture on veth-b then has the crossing
// segments after b's RST, in the order a sent them.
//
// The synack-lost-at-client scenario is a plain client/server one (gen.sh
// drops the SYN-ACKs in a's INPUT): its client is syn-dropped's,
// connectPending.

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

// raceSegments is how many segments a queues in rst-race-after-close and
// data-crossing-rst: the first reaches b at once, the others cross b's RST.
// Fewer than the initial congestion window (10), so all go out at once.
const raceSegments = 5

func init() {
	// The server closes with data it has not read (RFC 9293 §3.6.1: a
	// host that closes with received data pending "SHOULD send a RST to
	// show that data was lost"; Linux does)
	// while the client's next segments are in flight: each reaches b after
	// the connection is gone, and b's kernel answers each with a RST of its
	// own, SEQ = the segment's ACK (RFC 9293 §3.10.7.1). The client got the
	// first RST and is CLOSED; the later RSTs find no socket at a.
	scenarios["rst-race-after-close"] = scenario{pair: func(a, b pairEnd) {
		fa, fb := racePair(a, b)
		for i := 1; i <= raceSegments; i++ {
			send(fa, fmt.Sprintf("data %d\n", i))
		}
		waitReadable(fb, len("data 1\n"))
		logf("b: closing with %d octets unread", readable(fb))
		closeFD(fb)
		expectResetState(fa)
	}}

	// Data both ways when the server aborts (SO_LINGER {1,0}, having read
	// all it got): the server's last data ("bye") reaches the client, whose
	// ACK of it queues behind the client's segments sent before "bye"
	// arrived. Those carry the older ACK, so the RSTs b's kernel answers
	// them with have a SEQ below that of b's abort RST; the ACK of "bye"
	// comes last, and its RST has the abort RST's SEQ.
	scenarios["data-crossing-rst"] = scenario{pair: func(a, b pairEnd) {
		fa, fb := racePair(a, b)
		for i := 1; i <= raceSegments; i++ {
			send(fa, fmt.Sprintf("data %d\n", i))
		}
		expect(fb, "data 1\n")
		send(fb, "bye\n")
		waitReadable(fa, len("bye\n"))
		abort(fb)
		expectResetState(fa)
	}}

	// Both ends abort at once: a's RST waits in the queue, b's reaches a,
	// which has no socket any more and drops it; then a's RST reaches b,
	// which has none either. Each RST crossed the other.
	scenarios["rst-crossing"] = scenario{pair: func(a, b pairEnd) {
		fa, fb := racePair(a, b)
		send(fa, "data 1\n")
		expect(fb, "data 1\n")
		abort(fa)
		abort(fb)
	}}

	// The client half-closes (its FIN waits in the queue) while the server
	// aborts: b's RST reaches a in FIN-WAIT-1 (CLOSED), then a's FIN reaches
	// b, which has no socket and answers it with a RST, SEQ = the FIN's ACK.
	scenarios["fin-crossing-rst"] = scenario{pair: func(a, b pairEnd) {
		fa, fb := racePair(a, b)
		send(fa, "data 1\n")
		expect(fb, "data 1\n")
		shutdownWrite(fa)
		abort(fb)
		expectResetState(fa)
	}}

	// The client's SYN reaches the server, whose SYN-ACK is dropped in a's
	// INPUT (gen.sh), after the capture point: the capture has the SYN-ACK,
	// the client never gets it and sends its SYN again after 1 s, still in
	// SYN-SENT. The server's request stays in SYN-RECEIVED (gen.sh keeps its
	// SYN-ACK retransmissions off the wire).
	scenarios["synack-lost-at-client"] = scenario{
		client: connectPending,
		server: func(e endpoint) { e.listen() },
	}
}

// racePair connects a to b's listener, exchanges hello/world, sets
// TCP_NODELAY on a (each write is a segment of its own) and waits at STEP
// delay, for gen.sh to put the queue on a's path to b. The listener stays
// open: the RSTs that answer segments for a connection b no longer has come
// from the kernel whether or not there is one.
func racePair(a, b pairEnd) (fa, fb int) {
	lfd, err := inNetns(b.netns, func() (int, error) { return listenOn(b.addr) })
	check(err)
	fa, err = inNetns(a.netns, func() (int, error) { return boundSocket(a.addr, true) })
	check(err)
	check(startConnect(fa, b.addr))
	check(finishConnect(fa))
	fb, err = accept(lfd)
	check(err)
	send(fa, "hello\n")
	serverHello(fb)
	expect(fa, "world\n")
	check(syscall.SetsockoptInt(fa, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1))
	logf("a: TCP_NODELAY = 1")
	pause()
	step("delay")
	return fa, fb
}

// readable is the number of octets waiting in fd's receive queue (SIOCINQ, the same as FIONREAD).
func readable(fd int) int {
	var n int32
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		fatal(fmt.Errorf("ioctl SIOCINQ: %w", e))
	}
	return int(n)
}

// waitReadable waits until fd has at least n octets to read, without reading
// them. The segment is usually received before the send that carries it
// returns; on a busy host the softirq can run later.
func waitReadable(fd, n int) {
	deadline := time.Now().Add(5 * time.Second)
	for readable(fd) < n {
		if time.Now().After(deadline) {
			fatal(fmt.Errorf("fewer than %d octets to read after 5 s", n))
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// expectResetState waits until the peer's RST has closed fd (CLOSE, error
// ECONNRESET) and closes the descriptor, which sends nothing.
func expectResetState(fd int) {
	_, err := waitState(fd, 5*time.Second, func(s int) bool { return s == tcpClose })
	check(err)
	soerr, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	check(err)
	if syscall.Errno(soerr) != syscall.ECONNRESET {
		fatal(fmt.Errorf("closed with error %v, expected ECONNRESET", syscall.Errno(soerr)))
	}
	logf("reset by the peer (as expected)")
	closeFD(fd)
}

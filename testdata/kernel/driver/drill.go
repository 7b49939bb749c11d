package main

// The scenarios only the live drills make (gen.sh with DRILL_TOOL set, see
// ../README.md, "Drills"): a server process that crashes, a transfer
// through 10 % loss, a connection left idle. They are not among the
// committed captures; gen.sh makes them into DEST.

import "errors"

// Transfer sizes of loss-heavy: less than loss's, so that ten times its
// losses (and the retransmission timeouts of the retransmissions lost
// again) keep the transfer within seconds and its capture under 1 MiB.
const (
	lossHeavyUp   = 64 << 10
	lossHeavyDown = 1 << 20
)

// crashRequest is what the crash-server client sends and the server never
// reads.
const crashRequest = "request\n"

func init() {
	// A server process killed while it holds a connection with data it
	// has not read: gen.sh sends it SIGKILL at its STEP crash (as the OOM
	// killer or a segfault would end it). The kernel closes the process's
	// sockets as it exits; the one with unread data is closed with a RST
	// (RFC 9293 §3.6.1: a host that closes with received data pending
	// "SHOULD send a RST to show that data was lost"; Linux does), the
	// listener goes too. A process that crashes with nothing unread closes
	// with a FIN, which no observer can tell from a normal close.
	scenarios["server-crash"] = scenario{
		client: func(e endpoint) {
			fd := e.dial()
			clientHello(fd)
			send(fd, crashRequest)
			expectReset(fd)
			closeFD(fd)
		},
		server: func(e endpoint) {
			fd := e.acceptOne()
			serverHello(fd)
			waitReadable(fd, len(crashRequest))
			logf("fd %d: %d octets unread", fd, readable(fd))
			step("crash")
			fatal(errors.New("went on after STEP crash: gen.sh kills the server there"))
		},
	}

	// As loss, smaller, through 10 % loss (gen.sh's rules): a transfer
	// that completes, slowly.
	scenarios["loss-heavy"] = bulkTransfer(lossHeavyUp, lossHeavyDown)

	// Handshake and hello/world, then nothing: no data, no keep-alive,
	// both ends ESTABLISHED and quiet (the live tests' "established").
	scenarios["idle"] = scenarios["established"]
}

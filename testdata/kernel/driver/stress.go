package main

// The scenarios of the kernel under stress: loss, zero windows, keep-alives,
// a firewall that drops SYNs, a peer that vanishes (and one whose answers to
// keep-alives are lost), a server that loses the connection; and
// applications that misbehave: a server that never accepts (syn-flood,
// listen-overflow), one that never closes (close-wait-leak), a client that
// never reads (client-never-reads), a client that opens and closes a
// thousand connections (time-wait-pileup). gen.sh sets up what the network
// does (iptables rules, sysctls); the driver only does what an application
// would.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
	"time"
	"unsafe"
)

// Bulk transfer sizes of the loss scenario.
const (
	lossUp   = 256 << 10 // client to server
	lossDown = 3 << 20   // server to client
)

// Buffer sizes of the zero-window scenarios (the kernel doubles them): the
// server's receive buffer bounds what it accepts before its window closes,
// the client's send buffer what it can queue behind the closed window.
const (
	zwRcvbuf = 16 << 10
	zwSndbuf = 32 << 10
	// zwStuck is how long the zero-window client leaves its data stuck
	// behind the zero window before it closes: zero-window probes go out
	// meanwhile, at growing intervals (RTO backoff: ~0.2, 0.4, 0.8 s ...).
	zwStuck = 1500 * time.Millisecond
)

// bulkTransfer is a scenario that sends up octets to the server, up to
// down back, then closes from the client; gen.sh's firewall rules make
// the loss.
func bulkTransfer(up, down int) scenario {
	return scenario{
		client: func(e endpoint) {
			fd := e.dial()
			sendBulk(fd, up)
			readBulk(fd, down)
			pause()
			closeFD(fd)
		},
		server: func(e endpoint) {
			fd := e.acceptOne()
			readBulk(fd, up)
			sendBulk(fd, down)
			expectEOF(fd)
			pause()
			closeFD(fd)
		},
	}
}

func init() {
	scenarios["loss"] = bulkTransfer(lossUp, lossDown)

	// The server never reads: its window closes. The client writes until
	// its send buffer is full too (data stuck behind the zero window), waits
	// while zero-window probes go out, and close()s: FIN-WAIT-1 with the FIN
	// queued behind unsent data, never on the wire.
	scenarios["zero-window"] = scenario{
		client: func(e endpoint) {
			fd := e.dial(sockopt{syscall.SOL_SOCKET, syscall.SO_SNDBUF, zwSndbuf, "SO_SNDBUF"})
			fillSendBuffer(fd)
			time.Sleep(zwStuck)
			logTCPInfo(fd)
			closeFD(fd)
		},
		server: zeroWindowServer,
	}

	// As zero-window, but the client writes exactly what the server's
	// window takes, waits until all of it is acknowledged and the window is
	// zero, and close()s with nothing but the FIN left to send. Linux does
	// not send a FIN that does not fit in the window: it stays queued, and
	// the zero-window probes (which a zero window with nothing queued does
	// not get) start only now.
	scenarios["zero-window-fin"] = scenario{
		client: func(e endpoint) {
			fd := e.dial()
			fillWindow(fd, 0)
			logTCPInfo(fd)
			closeFD(fd)
		},
		server: zeroWindowServer,
	}

	// As zero-window-fin, but the client leaves one octet of the window
	// free: the FIN fits, goes out, and the server accepts it (CLOSE-WAIT)
	// and ACKs it with a zero window.
	scenarios["zero-window-fin-fits"] = scenario{
		client: func(e endpoint) {
			fd := e.dial()
			fillWindow(fd, 1)
			logTCPInfo(fd)
			closeFD(fd)
		},
		server: zeroWindowServer,
	}

	// An idle connection with keep-alives every second (client side only).
	scenarios["keepalive"] = scenario{
		client: func(e endpoint) {
			fd := e.dial()
			clientHello(fd)
			keepAlive(fd, 5)
		},
		server: func(e endpoint) { fd := e.acceptOne(); serverHello(fd) },
	}

	// As keepalive, but the path back from the server is broken first
	// (gen.sh: iptables in b's OUTPUT drops everything b sends on the
	// connection): the server gets the keep-alives, its ACKs never arrive,
	// and after TCP_KEEPCNT (3) unanswered ones the client's kernel gives
	// up: a RST, ETIMEDOUT, CLOSED. The server, idle, gets that RST and is
	// reset (CLOSED) without the application doing anything.
	scenarios["keepalive-timeout"] = scenario{
		client: func(e endpoint) {
			fd := e.dial()
			clientHello(fd)
			step("vanish")
			keepAlive(fd, 3)
			expectTimedOut(fd)
		},
		server: func(e endpoint) { fd := e.acceptOne(); serverHello(fd) },
	}

	// The server listens but a firewall (gen.sh: iptables in b's INPUT)
	// drops the client's SYNs: the client stays in SYN-SENT, retransmitting.
	scenarios["syn-dropped"] = scenario{
		client: connectPending,
		server: func(e endpoint) { e.listen() },
	}

	// After the exchange the server's host drops everything (gen.sh:
	// iptables in b); the client's data is retransmitted with backoff until
	// tcp_retries2 (gen.sh: 3 in a) makes the client give up: ETIMEDOUT,
	// CLOSED, nothing sent.
	scenarios["peer-vanishes"] = scenario{
		client: func(e endpoint) {
			fd := e.dial()
			clientHello(fd)
			step("vanish")
			send(fd, "anyone there?\n")
			expectTimedOut(fd)
		},
		server: func(e endpoint) { fd := e.acceptOne(); serverHello(fd) },
	}

	// The server aborts (SO_LINGER {1,0}) while its RST is dropped (gen.sh:
	// iptables in b's OUTPUT): the client does not know. The client then
	// sends, and the server's kernel, which has no socket for it any more,
	// answers with a RST.
	scenarios["server-lost"] = scenario{
		client: func(e endpoint) {
			fd := e.dial()
			clientHello(fd)
			step("send")
			send(fd, "still there?\n")
			expectReset(fd)
			closeFD(fd)
		},
		server: func(e endpoint) {
			fd := e.acceptOne()
			serverHello(fd)
			step("abort")
			abort(fd)
		},
	}

	// A server whose application is stuck: it listens with a backlog of 1
	// and never calls accept() (gen.sh: SYN cookies off in b). One client
	// connects first and waits in the accept queue; then a burst of
	// connects from the next ports. Of these, the first sets TCP_QUICKACK
	// to 0 before its connect(): Linux then delays the handshake's final
	// ACK like any delayed ACK (200 ms, TCP_DELACK_MAX), a stand-in for a
	// slow path the veth does not have. The second completes its handshake
	// at once and fills the accept queue; the SYNs of all the others are
	// dropped, and so is the late ACK when it comes: the server keeps that
	// handshake in SYN-RECEIVED and retransmits its SYN-ACK, while the
	// client is ESTABLISHED.
	scenarios["syn-flood"] = scenario{
		client: func(e endpoint) {
			n := *flagConns
			if n < 4 {
				fatal(fmt.Errorf("-conns %d: syn-flood needs 4 or more", n))
			}
			fds := make([]int, n)
			fds[0] = e.dial() // waits in the accept queue
			for i := 1; i < n; i++ {
				var opts []sockopt
				if i == 1 {
					opts = append(opts, sockopt{syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 0, "TCP_QUICKACK"})
				}
				fd, err := boundSocket(portPlus(e.local, i), true, opts...)
				check(err)
				check(startConnect(fd, e.peer))
				fds[i] = fd
			}
			logf("%d connects issued", n-1)
			// Past the delayed ACK (200 ms), not yet at the first SYN
			// retransmission (1 s).
			time.Sleep(400 * time.Millisecond)
			counts := map[string]int{}
			for i, fd := range fds {
				st, err := tcpState(fd)
				check(err)
				counts[stateName(st)]++
				want := tcpSynSent
				if i <= 2 {
					want = tcpEstablished
				}
				if st != want {
					fatal(fmt.Errorf("connection from %v: %s, expected %s", portPlus(e.local, i), stateName(st), stateName(want)))
				}
			}
			logf("client states: %v", counts)
		},
		server: func(e endpoint) {
			_, err := listenBacklog(e.local, 1)
			check(err)
			say("LISTENING")
			logf("never accepting")
		},
	}

	// A server whose application is stuck, seen from clients that come one
	// after the other: it listens with a backlog of 1 and never calls
	// accept(). The first two clients complete their handshakes and fill
	// the accept queue (full when it holds more than the backlog); the SYNs
	// of the others are dropped, and they send them again. Meanwhile the
	// same host serves a short connection on a second listener (-local2,
	// -peer2), which accepts.
	scenarios["listen-overflow"] = scenario{
		client: func(e endpoint) {
			n := *flagConns
			if n < 3 {
				fatal(fmt.Errorf("-conns %d: listen-overflow needs 3 or more", n))
			}
			for i := range n {
				fd, err := boundSocket(portPlus(e.local, i), true)
				check(err)
				check(startConnect(fd, e.peer))
				pause()
				st, err := tcpState(fd)
				check(err)
				want := tcpSynSent
				if i < overflowBacklog+1 {
					want = tcpEstablished
				}
				if st != want {
					fatal(fmt.Errorf("connection from %v: %s, expected %s", portPlus(e.local, i), stateName(st), stateName(want)))
				}
				logf("connection from %v: %s", portPlus(e.local, i), stateName(st))
			}
			// The other listener serves, the overflow going on.
			fd, err := dial(parseAddr("local2", *flagLocal2), parseAddr("peer2", *flagPeer2))
			check(err)
			clientHello(fd)
			pause()
			closeFD(fd)
		},
		server: func(e endpoint) {
			_, err := listenBacklog(e.local, overflowBacklog)
			check(err)
			logf("never accepting on %v", e.local)
			// The other listener serves as close-client-first's does.
			serverClosesSecond(endpoint{local: parseAddr("local2", *flagLocal2)})
		},
	}

	// A client that opens -conns connections to one server port one after
	// the other, each with one small request and response, and closes each
	// first (shutdown(SHUT_WR), then the server's FIN, then close()): every
	// client end is left in TIME-WAIT (60 s), every server end CLOSED. The
	// next connection starts once the one before is in TIME-WAIT, so the
	// connections do not overlap in the capture.
	scenarios["time-wait-pileup"] = scenario{
		client: func(e endpoint) {
			n := *flagConns
			logf("%d connections, one after the other (not logged)", n)
			quiet = true
			for i := range n {
				fd, err := dial(portPlus(e.local, i), e.peer)
				check(err)
				send(fd, pileupRequest)
				expect(fd, pileupResponse)
				shutdownWrite(fd)
				expectEOF(fd)
				closeFD(fd)
			}
			quiet = false
			logf("%d connections closed", n)
		},
		server: func(e endpoint) {
			lfd := e.listen()
			n := *flagConns
			quiet = true
			for range n {
				fd, err := accept(lfd)
				check(err)
				expect(fd, pileupRequest)
				send(fd, pileupResponse)
				expectEOF(fd)
				closeFD(fd)
			}
			quiet = false
			logf("%d connections served", n)
		},
	}

	// The server application leaks its sockets: -conns clients connect one
	// after the other, exchange hello/world and close(); the server reads
	// each EOF and never closes. Every server end stays in CLOSE-WAIT, every
	// client end in FIN-WAIT-2.
	scenarios["close-wait-leak"] = scenario{
		client: func(e endpoint) {
			for i := range *flagConns {
				fd, err := dial(portPlus(e.local, i), e.peer)
				check(err)
				clientHello(fd)
				pause()
				closeFD(fd)
				pause()
			}
		},
		server: func(e endpoint) {
			lfd := e.listen()
			for range *flagConns {
				fd, err := accept(lfd)
				check(err)
				serverHello(fd)
				expectEOF(fd)
				logf("fd %d: not closing it", fd)
			}
		},
	}

	// The client never reads (SO_RCVBUF 16 KiB): the server (SO_SNDBUF
	// 32 KiB) writes until its send buffer is full behind the client's
	// zero window, waits while its zero-window probes go out, and close()s:
	// FIN-WAIT-1 with the FIN queued behind unsent data, never on the wire.
	// The mirror of zero-window, with the server as the sender.
	scenarios["client-never-reads"] = scenario{
		client: func(e endpoint) {
			fd := e.dial(sockopt{syscall.SOL_SOCKET, syscall.SO_RCVBUF, zwRcvbuf, "SO_RCVBUF"})
			logf("connected fd %d; never reading", fd)
		},
		server: func(e endpoint) {
			fd := e.acceptOne(sockopt{syscall.SOL_SOCKET, syscall.SO_SNDBUF, zwSndbuf, "SO_SNDBUF"})
			fillSendBuffer(fd)
			time.Sleep(zwStuck)
			logTCPInfo(fd)
			closeFD(fd)
		},
	}
}

// overflowBacklog is listen-overflow's listen() backlog: the accept queue
// takes overflowBacklog + 1 connections.
const overflowBacklog = 1

// The request and response of each time-wait-pileup connection: a few
// octets, so that a thousand connections make a small capture.
const (
	pileupRequest  = "get\n"
	pileupResponse = "ok\n"
)

// keepAlive turns keep-alive on for fd: the first probe 1 s after the last
// segment received, the next ones 1 s apart, and cnt unanswered probes
// before the kernel gives up.
func keepAlive(fd, cnt int) {
	for _, o := range []sockopt{
		{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 1, "TCP_KEEPINTVL"},
		{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, cnt, "TCP_KEEPCNT"},
		{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 1, "TCP_KEEPIDLE"},
		{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1, "SO_KEEPALIVE"},
	} {
		check(syscall.SetsockoptInt(fd, o.level, o.name, o.value))
		logf("%s = %d", o.label, o.value)
	}
}

// expectTimedOut waits until the kernel has given up on fd (CLOSE) and
// checks that it did so for a timeout (ETIMEDOUT).
func expectTimedOut(fd int) {
	_, err := waitState(fd, 20*time.Second, func(s int) bool { return s == tcpClose })
	check(err)
	soerr, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	check(err)
	if syscall.Errno(soerr) != syscall.ETIMEDOUT {
		fatal(fmt.Errorf("socket closed with error %v, expected ETIMEDOUT", syscall.Errno(soerr)))
	}
	logf("gave up: %v", syscall.Errno(soerr))
}

// connectPending issues a non-blocking connect() that nothing answers (the
// SYN, or the SYN-ACK, is dropped): the socket stays in SYN-SENT and the
// kernel sends its SYN again.
func connectPending(e endpoint) {
	fd, err := boundSocket(e.local, true)
	check(err)
	check(startConnect(fd, e.peer))
	s, err := tcpState(fd)
	check(err)
	if s != tcpSynSent {
		fatal(fmt.Errorf("state %s after connect, expected SYN-SENT", stateName(s)))
	}
	logf("connect() in progress: %s", stateName(s))
}

// portPlus is ap with its port increased by i: the i-th client of the
// scenarios with several clients.
func portPlus(ap netip.AddrPort, i int) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr(), ap.Port()+uint16(i))
}

// zeroWindowServer accepts with a small receive buffer and never reads.
func zeroWindowServer(e endpoint) {
	fd := e.acceptOne(sockopt{syscall.SOL_SOCKET, syscall.SO_RCVBUF, zwRcvbuf, "SO_RCVBUF"})
	logf("accepted fd %d; never reading", fd)
}

// bulkByte is the byte at offset i of a bulk transfer.
func bulkByte(i int) byte { return byte(i % 251) }

func sendBulk(fd, n int) {
	buf := make([]byte, 64<<10)
	for off := 0; off < n; {
		m := min(len(buf), n-off)
		for i := range m {
			buf[i] = bulkByte(off + i)
		}
		var w int
		err := retryEINTR(func() (err error) { w, err = syscall.Write(fd, buf[:m]); return err })
		check(err)
		off += w
	}
	logf("sent %d bytes", n)
}

func readBulk(fd, n int) {
	buf := make([]byte, 64<<10)
	for off := 0; off < n; {
		var r int
		err := retryEINTR(func() (err error) { r, err = syscall.Read(fd, buf[:min(len(buf), n-off)]); return err })
		check(err)
		if r == 0 {
			fatal(fmt.Errorf("EOF after %d of %d bytes", off, n))
		}
		for i := range r {
			if buf[i] != bulkByte(off+i) {
				fatal(fmt.Errorf("byte %d: got %d, expected %d", off+i, buf[i], bulkByte(off+i)))
			}
		}
		off += r
	}
	logf("received %d bytes", n)
}

// tcpInfo is the part of struct tcp_info the zero-window scenarios need.
type tcpInfo struct {
	state, probes, backoff int
	notsent, sndWnd        uint32
}

func getTCPInfo(fd int) tcpInfo {
	var buf [232]byte // struct tcp_info up to tcpi_snd_wnd (Linux >= 5.4)
	l := uint32(len(buf))
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.IPPROTO_TCP, syscall.TCP_INFO,
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		fatal(fmt.Errorf("getsockopt TCP_INFO: %w", e))
	}
	if l < uint32(len(buf)) {
		fatal(fmt.Errorf("TCP_INFO is %d bytes, no tcpi_snd_wnd (Linux < 5.4)", l))
	}
	return tcpInfo{
		state: int(buf[0]), probes: int(buf[3]), backoff: int(buf[4]),
		notsent: binary.NativeEndian.Uint32(buf[144:]), // tcpi_notsent_bytes
		sndWnd:  binary.NativeEndian.Uint32(buf[228:]), // tcpi_snd_wnd
	}
}

// outq is the number of bytes written to fd and not yet acknowledged.
func outq(fd int) int {
	var n int32
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		fatal(fmt.Errorf("ioctl SIOCOUTQ: %w", e))
	}
	return int(n)
}

func logTCPInfo(fd int) {
	ti := getTCPInfo(fd)
	logf("%s: snd_wnd %d, unacked+unsent %d, unsent %d, probes %d, backoff %d",
		stateName(ti.state), ti.sndWnd, outq(fd), ti.notsent, ti.probes, ti.backoff)
}

// fillSendBuffer writes without blocking until the send buffer is full.
func fillSendBuffer(fd int) {
	check(syscall.SetNonblock(fd, true))
	buf := make([]byte, 4096)
	total := 0
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := syscall.Write(fd, buf)
		if err == syscall.EAGAIN {
			// The window may still be open and the buffer draining; stop
			// once the window is closed and nothing more fits.
			if ti := getTCPInfo(fd); ti.sndWnd == 0 {
				break
			}
			if time.Now().After(deadline) {
				fatal(fmt.Errorf("the window did not close (wrote %d bytes)", total))
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if err == syscall.EINTR {
			continue
		}
		check(err)
		total += n
	}
	check(syscall.SetNonblock(fd, false))
	logf("wrote %d bytes until EAGAIN with the window closed", total)
	logTCPInfo(fd)
}

// fillWindow writes what the peer's window takes but spare octets: it waits
// for each write to be acknowledged and writes what the window then offers,
// until everything is acknowledged and the window has stayed at spare
// octets for 50 ms (it grows no more: the peer's buffer is full).
func fillWindow(fd, spare int) {
	buf := make([]byte, 64<<10)
	total := 0
	deadline := time.Now().Add(5 * time.Second)
	var stable time.Time
	for {
		ti, q := getTCPInfo(fd), outq(fd)
		room := int(ti.sndWnd) - q
		switch {
		case q == 0 && room > spare:
			stable = time.Time{}
			n, err := syscall.Write(fd, buf[:min(room-spare, len(buf))])
			if err != syscall.EINTR {
				check(err)
				total += n
			}
			continue
		case q == 0 && room == spare:
			if stable.IsZero() {
				stable = time.Now()
			} else if time.Since(stable) > 50*time.Millisecond {
				logf("wrote %d bytes, all acknowledged, window %d", total, room)
				return
			}
		}
		if time.Now().After(deadline) {
			fatal(fmt.Errorf("the window did not close (wrote %d bytes, %d unacknowledged, window %d)", total, q, ti.sndWnd))
		}
		time.Sleep(time.Millisecond)
	}
}

package main

// The scenarios of the kernel under stress: loss, zero windows, keep-alives,
// a firewall that drops SYNs, a peer that vanishes, a server that loses the
// connection. gen.sh sets up what the network does (iptables rules, sysctls);
// the driver only does what an application would.

import (
	"encoding/binary"
	"fmt"
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

func init() {
	scenarios["loss"] = scenario{
		client: func(e endpoint) {
			fd := e.dial()
			sendBulk(fd, lossUp)
			readBulk(fd, lossDown)
			pause()
			closeFD(fd)
		},
		server: func(e endpoint) {
			fd := e.acceptOne()
			readBulk(fd, lossUp)
			sendBulk(fd, lossDown)
			expectEOF(fd)
			pause()
			closeFD(fd)
		},
	}

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
			for _, o := range []sockopt{
				{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 1, "TCP_KEEPINTVL"},
				{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, 5, "TCP_KEEPCNT"},
				{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 1, "TCP_KEEPIDLE"},
				{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1, "SO_KEEPALIVE"},
			} {
				check(syscall.SetsockoptInt(fd, o.level, o.name, o.value))
				logf("%s = %d", o.label, o.value)
			}
		},
		server: func(e endpoint) { fd := e.acceptOne(); serverHello(fd) },
	}

	// The server listens but a firewall (gen.sh: iptables in b's INPUT)
	// drops the client's SYNs: the client stays in SYN-SENT, retransmitting.
	scenarios["syn-dropped"] = scenario{
		client: func(e endpoint) {
			fd, err := boundSocket(e.local, true)
			check(err)
			check(startConnect(fd, e.peer))
			s, err := tcpState(fd)
			check(err)
			if s != tcpSynSent {
				fatal(fmt.Errorf("state %s after connect, expected SYN-SENT", stateName(s)))
			}
			logf("connect() in progress: %s", stateName(s))
		},
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
			_, err := waitState(fd, 20*time.Second, func(s int) bool { return s == tcpClose })
			check(err)
			soerr, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
			check(err)
			if syscall.Errno(soerr) != syscall.ETIMEDOUT {
				fatal(fmt.Errorf("socket closed with error %v, expected ETIMEDOUT", syscall.Errno(soerr)))
			}
			logf("gave up: %v", syscall.Errno(soerr))
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

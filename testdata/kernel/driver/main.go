// Command driver plays one side of one kernel test-capture scenario for
// tcpflow-fsm (see ../README.md and ../gen.sh). The live-capture tests
// (cmd/tcpflow-fsm/live_test.go) run it too, with one more scenario,
// "established" (a connection left open), that gen.sh does not make.
//
// It drives real Linux TCP sockets with plain system calls, so that every
// socket operation (bind to a fixed port, shutdown(SHUT_WR), close, SO_LINGER
// {1,0}, a non-blocking connect that is left in SYN-SENT, ...) is exactly the
// one the scenario names. The scenarios of the kernel under stress (loss,
// zero windows, keep-alives, ...) are in stress.go, the races (segments
// crossing a RST, a lost SYN-ACK) in race.go, those only the live drills
// make (a server process killed, 10 % loss, an idle connection) in
// drill.go.
//
// Roles:
//
//	-role server   run inside the server namespace (ip netns exec NS driver ...)
//	-role client   run inside the client namespace (self-connect*: -peer is
//	               -local, the socket connects to itself)
//	-role pair     both ends in one process (simultaneous-open,
//	               simultaneous-close, the races of race.go): each socket is
//	               created inside its own namespace with setns(2) on a
//	               dedicated thread, and the two connect()s or shutdown()s are
//	               then issued back to back from one thread, microseconds
//	               apart, so that the kernel arms the two SYN or FIN
//	               retransmission timers in the same timer tick (the races:
//	               both ends act in the program's order, well within the
//	               delay of the queue gen.sh puts on a's path).
//
// Protocol with the script, one line per event on stdout:
//
//	LISTENING        the server's listening socket exists (start the client)
//	SYN-SENT         pair: both connects issued (the iptables rules that keep
//	                 the SYNs off the wire expire at one instant in both
//	                 namespaces: gen.sh's drop_until)
//	STEP <name>      waiting for SIGUSR1 before going on
//	FIN-QUEUED       pair: both shutdown(SHUT_WR)s issued (the rules that
//	                 keep the FINs off the wire expire as the SYNs' do)
//	READY            the scenario is done; the sockets stay open
//	ERROR <text>     the scenario failed; the process exits with status 1
//
// After READY the driver keeps every socket it still holds open until it gets
// SIGTERM or SIGINT (or -timeout passes), then exits; the kernel closes what is
// left. Diagnostics go to stderr.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

var (
	flagRole     = flag.String("role", "", "client, server or pair")
	flagScenario = flag.String("scenario", "", "scenario name (see ../README.md)")
	flagLocal    = flag.String("local", "", "client/server: local address:port (server: listen on it; client: bind to it)")
	flagPeer     = flag.String("peer", "", "client/server: the other end's address:port")
	flagNetnsA   = flag.String("netns-a", "", "pair: named network namespace (/run/netns/NAME) of end a")
	flagNetnsB   = flag.String("netns-b", "", "pair: named network namespace of end b")
	flagA        = flag.String("a", "", "pair: address:port of end a")
	flagB        = flag.String("b", "", "pair: address:port of end b")
	flagConns    = flag.Int("conns", 1, "client/server: number of connections of the scenarios with several clients (syn-flood, close-wait-leak, listen-overflow, time-wait-pileup); the client binds -local's port, then the next ones up")
	flagLocal2   = flag.String("local2", "", "listen-overflow: local address:port of the second connection (server: its second listener; client: bind to it)")
	flagPeer2    = flag.String("peer2", "", "listen-overflow: the other end's address:port of the second connection")
	flagPause    = flag.Duration("pause", 100*time.Millisecond, "pause between the steps of a scenario (lets ACKs go out first)")
	flagTimeout  = flag.Duration("timeout", 60*time.Second, "exit after this long whatever happens")
)

var (
	start = time.Now()
	usr1  = make(chan os.Signal, 8)
)

func say(format string, args ...any) {
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

// quiet mutes logf (not fatal) while time-wait-pileup's thousand
// connections go by, each of which would log every step.
var quiet bool

func logf(format string, args ...any) {
	if quiet {
		return
	}
	fmt.Fprintf(os.Stderr, "[%7.3f] %s %s: %s\n", time.Since(start).Seconds(), *flagScenario, *flagRole, fmt.Sprintf(format, args...))
}

func fatal(err error) {
	say("ERROR %v", err)
	quiet = false
	logf("ERROR %v", err)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		fatal(err)
	}
}

func pause() { time.Sleep(*flagPause) }

// step announces a wait point and blocks until the script sends SIGUSR1.
func step(name string) {
	say("STEP %s", name)
	logf("waiting for SIGUSR1 (%s)", name)
	<-usr1
}

// --- sockets -----------------------------------------------------------------

// Kernel TCP states as reported in tcp_info.tcpi_state.
const (
	tcpEstablished = 1
	tcpSynSent     = 2
	tcpSynRecv     = 3
	tcpFinWait1    = 4
	tcpFinWait2    = 5
	tcpTimeWait    = 6
	tcpClose       = 7
	tcpCloseWait   = 8
	tcpLastAck     = 9
	tcpListen      = 10
	tcpClosing     = 11
)

var stateNames = map[int]string{
	tcpEstablished: "ESTABLISHED", tcpSynSent: "SYN-SENT", tcpSynRecv: "SYN-RECEIVED",
	tcpFinWait1: "FIN-WAIT-1", tcpFinWait2: "FIN-WAIT-2", tcpTimeWait: "TIME-WAIT",
	tcpClose: "CLOSE", tcpCloseWait: "CLOSE-WAIT", tcpLastAck: "LAST-ACK",
	tcpListen: "LISTEN", tcpClosing: "CLOSING",
}

func stateName(s int) string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state-%d", s)
}

func parseAddr(name, s string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		fatal(fmt.Errorf("-%s %q: %v", name, s, err))
	}
	return ap
}

func sockaddr(ap netip.AddrPort) syscall.Sockaddr {
	if ap.Addr().Is4() {
		return &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func retryEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

// sockopt is an integer socket option a scenario sets before bind.
type sockopt struct {
	level, name, value int
	label              string // for the log: "SO_RCVBUF"
}

// boundSocket returns a TCP socket with SO_REUSEADDR and opts bound to local.
func boundSocket(local netip.AddrPort, nonblock bool, opts ...sockopt) (int, error) {
	domain := syscall.AF_INET6
	if local.Addr().Is4() {
		domain = syscall.AF_INET
	}
	typ := syscall.SOCK_STREAM | syscall.SOCK_CLOEXEC
	if nonblock {
		typ |= syscall.SOCK_NONBLOCK
	}
	fd, err := syscall.Socket(domain, typ, syscall.IPPROTO_TCP)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("SO_REUSEADDR: %w", err)
	}
	for _, o := range opts {
		if err := syscall.SetsockoptInt(fd, o.level, o.name, o.value); err != nil {
			syscall.Close(fd)
			return -1, fmt.Errorf("%s: %w", o.label, err)
		}
		logf("%s = %d", o.label, o.value)
	}
	if err := syscall.Bind(fd, sockaddr(local)); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("bind %v: %w", local, err)
	}
	return fd, nil
}

func listenOn(local netip.AddrPort, opts ...sockopt) (int, error) {
	return listenBacklog(local, 16, opts...)
}

// listenBacklog is listenOn with the given listen() backlog.
func listenBacklog(local netip.AddrPort, backlog int, opts ...sockopt) (int, error) {
	fd, err := boundSocket(local, false, opts...)
	if err != nil {
		return -1, err
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("listen %v: %w", local, err)
	}
	logf("listening on %v (backlog %d)", local, backlog)
	return fd, nil
}

func accept(lfd int) (int, error) {
	var nfd int
	err := retryEINTR(func() (err error) {
		nfd, _, err = syscall.Accept4(lfd, syscall.SOCK_CLOEXEC)
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("accept: %w", err)
	}
	logf("accepted fd %d", nfd)
	return nfd, nil
}

// tcpState returns tcp_info.tcpi_state of fd.
func tcpState(fd int) (int, error) {
	var buf [8]byte // tcpi_state is the first byte of struct tcp_info
	l := uint32(len(buf))
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.IPPROTO_TCP, syscall.TCP_INFO,
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return -1, fmt.Errorf("getsockopt TCP_INFO: %w", e)
	}
	return int(buf[0]), nil
}

// waitState polls fd until done(state) or the timeout; it returns the last state.
func waitState(fd int, timeout time.Duration, done func(int) bool) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := tcpState(fd)
		if err != nil {
			return s, err
		}
		if done(s) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("still %s after %v", stateName(s), timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// startConnect issues a non-blocking connect on fd.
func startConnect(fd int, peer netip.AddrPort) error {
	err := syscall.Connect(fd, sockaddr(peer))
	if err == nil || err == syscall.EINPROGRESS {
		return nil
	}
	return fmt.Errorf("connect %v: %w", peer, err)
}

// finishConnect waits until a connect started on fd is over and makes fd
// blocking again; the error is the connect's (e.g. ECONNREFUSED).
func finishConnect(fd int) error {
	s, err := waitState(fd, 10*time.Second, func(s int) bool { return s != tcpSynSent && s != tcpSynRecv })
	if err != nil {
		return err
	}
	if s != tcpEstablished && s != tcpCloseWait {
		soerr, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
		if err != nil {
			return fmt.Errorf("SO_ERROR: %w", err)
		}
		if soerr != 0 {
			return fmt.Errorf("connect: %w", syscall.Errno(soerr))
		}
		return fmt.Errorf("connect: socket in state %s", stateName(s))
	}
	return syscall.SetNonblock(fd, false)
}

// dial connects from local (a fixed port, SO_REUSEADDR) to peer.
func dial(local, peer netip.AddrPort, opts ...sockopt) (int, error) {
	fd, err := boundSocket(local, true, opts...)
	if err != nil {
		return -1, err
	}
	if err := startConnect(fd, peer); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	if err := finishConnect(fd); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	logf("connected %v -> %v (fd %d)", local, peer, fd)
	return fd, nil
}

func send(fd int, msg string) {
	b := []byte(msg)
	for len(b) > 0 {
		var n int
		err := retryEINTR(func() (err error) { n, err = syscall.Write(fd, b); return err })
		check(err)
		b = b[n:]
	}
	logf("sent %q", msg)
}

// expect reads exactly len(msg) bytes and checks they are msg.
func expect(fd int, msg string) {
	buf := make([]byte, len(msg))
	got := 0
	for got < len(buf) {
		var n int
		err := retryEINTR(func() (err error) { n, err = syscall.Read(fd, buf[got:]); return err })
		check(err)
		if n == 0 {
			fatal(fmt.Errorf("EOF after %q, expected %q", buf[:got], msg))
		}
		got += n
	}
	if !bytes.Equal(buf, []byte(msg)) {
		fatal(fmt.Errorf("received %q, expected %q", buf, msg))
	}
	logf("received %q", msg)
}

// expectEOF reads and checks that the peer has sent its FIN and nothing more.
func expectEOF(fd int) {
	buf := make([]byte, 512)
	var n int
	err := retryEINTR(func() (err error) { n, err = syscall.Read(fd, buf); return err })
	check(err)
	if n != 0 {
		fatal(fmt.Errorf("received %q, expected EOF", buf[:n]))
	}
	logf("received EOF")
}

// expectReset reads and checks that the connection was reset by the peer.
func expectReset(fd int) {
	buf := make([]byte, 512)
	var n int
	err := retryEINTR(func() (err error) { n, err = syscall.Read(fd, buf); return err })
	if err != syscall.ECONNRESET {
		fatal(fmt.Errorf("read returned %d, %v; expected ECONNRESET", n, err))
	}
	logf("read: %v (as expected)", err)
}

func shutdownWrite(fd int) {
	check(syscall.Shutdown(fd, syscall.SHUT_WR))
	logf("shutdown(SHUT_WR)")
}

func closeFD(fd int) {
	check(syscall.Close(fd))
	logf("close()")
}

// abort closes fd with SO_LINGER {1, 0}, which makes the kernel send a RST.
func abort(fd int) {
	check(syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0}))
	check(syscall.Close(fd))
	logf("close() with SO_LINGER {1, 0}")
}

// --- scenarios: client and server ---------------------------------------------

type endpoint struct {
	local, peer netip.AddrPort
}

// listen creates the server's listening socket (with opts, which accepted
// sockets inherit) and tells the script.
func (e endpoint) listen(opts ...sockopt) int {
	lfd, err := listenOn(e.local, opts...)
	check(err)
	say("LISTENING")
	return lfd
}

func (e endpoint) acceptOne(opts ...sockopt) int {
	lfd := e.listen(opts...)
	fd, err := accept(lfd)
	check(err)
	return fd
}

func (e endpoint) dial(opts ...sockopt) int {
	fd, err := dial(e.local, e.peer, opts...)
	check(err)
	return fd
}

// Request and response of the small exchange most scenarios start with.
func clientHello(fd int) { send(fd, "hello\n"); expect(fd, "world\n") }
func serverHello(fd int) { expect(fd, "hello\n"); send(fd, "world\n") }

type scenario struct {
	client, server func(endpoint)
	pair           func(a, b pairEnd)
}

var scenarios = map[string]scenario{
	// Active close by the client: client TIME-WAIT, server CLOSED.
	"close-client-first": {client: clientClosesFirst, server: serverClosesSecond},
	"ipv6-close":         {client: clientClosesFirst, server: serverClosesSecond},
	"any-sll2":           {client: clientClosesFirst, server: serverClosesSecond},

	// As close-client-first without data: handshake, FIN, ACK, FIN, ACK.
	"time-wait": {
		client: func(e endpoint) { fd := e.dial(); pause(); closeFD(fd) },
		server: func(e endpoint) { fd := e.acceptOne(); expectEOF(fd); pause(); closeFD(fd) },
	},

	// Active close by the server: server TIME-WAIT, client CLOSED.
	"close-server-first": {
		client: func(e endpoint) { fd := e.dial(); clientHello(fd); expectEOF(fd); pause(); closeFD(fd) },
		server: func(e endpoint) { fd := e.acceptOne(); serverHello(fd); pause(); closeFD(fd) },
	},

	// No listener: SYN answered by RST.
	"refused": {
		client: func(e endpoint) {
			fd, err := dial(e.local, e.peer)
			if err == nil {
				syscall.Close(fd)
				fatal(errors.New("connect succeeded, expected ECONNREFUSED"))
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				fatal(fmt.Errorf("%v, expected ECONNREFUSED", err))
			}
			logf("%v (as expected)", err)
		},
		server: func(e endpoint) { logf("no listener on %v", e.local) },
	},

	// Handshake and hello/world, then both ends keep the connection open
	// (ESTABLISHED). Not a gen.sh scenario: the live-capture tests
	// (cmd/tcpflow-fsm/live_test.go) use it for a connection held open.
	"established": {
		client: func(e endpoint) { fd := e.dial(); clientHello(fd) },
		server: func(e endpoint) { fd := e.acceptOne(); serverHello(fd) },
	},

	// Client shutdown(SHUT_WR); the server keeps sending and never closes.
	"half-close": {
		client: clientHalfCloses,
		server: func(e endpoint) { serverSendsAfterEOF(e) },
	},

	// As half-close, then the server sends a last message and closes.
	"half-close-then-close": {
		client: clientHalfCloses,
		server: func(e endpoint) {
			fd := serverSendsAfterEOF(e)
			pause()
			send(fd, "bye\n")
			pause()
			closeFD(fd)
		},
	},

	// Abortive close (RST) by the client, then by the server.
	"rst-abort": {
		client: func(e endpoint) { fd := e.dial(); clientHello(fd); pause(); abort(fd) },
		server: func(e endpoint) { fd := e.acceptOne(); serverHello(fd); expectReset(fd); closeFD(fd) },
	},
	"rst-abort-server": {
		client: func(e endpoint) { fd := e.dial(); clientHello(fd); expectReset(fd); closeFD(fd) },
		server: func(e endpoint) { fd := e.acceptOne(); serverHello(fd); pause(); abort(fd) },
	},

	// The client closes first (TIME-WAIT), then connects again from the same
	// port while its TIME-WAIT socket still exists: the kernel reuses it
	// (explicit bind + timestamps) and the server sees a new SYN on a 4-tuple
	// it has just closed. Both ends of the second connection stay ESTABLISHED.
	"time-wait-reuse": {
		client: func(e endpoint) {
			fd := e.dial()
			clientHello(fd)
			pause()
			shutdownWrite(fd) // the first FIN
			expectEOF(fd)     // server's FIN: now in TIME-WAIT
			closeFD(fd)
			pause()
			fd = e.dial() // same local port, SO_REUSEADDR
			clientHello(fd)
		},
		server: func(e endpoint) {
			lfd := e.listen()
			fd, err := accept(lfd)
			check(err)
			serverHello(fd)
			expectEOF(fd)
			pause()
			closeFD(fd)
			fd, err = accept(lfd)
			check(err)
			serverHello(fd)
		},
	},

	// The server closes first (TIME-WAIT); the client reconnects from the
	// same port and its SYN reaches the server's TIME-WAIT socket, which
	// hands it to the listener. Both ends of the second connection stay
	// ESTABLISHED.
	"time-wait-reuse-server": {
		client: func(e endpoint) {
			fd := e.dial()
			clientHello(fd)
			expectEOF(fd)
			pause()
			closeFD(fd) // LAST-ACK, then CLOSED when the server ACKs
			pause()
			fd = e.dial()
			clientHello(fd)
		},
		server: func(e endpoint) {
			lfd := e.listen()
			fd, err := accept(lfd)
			check(err)
			serverHello(fd)
			pause()
			closeFD(fd) // the first FIN
			fd, err = accept(lfd)
			check(err)
			serverHello(fd)
		},
	},

	"simultaneous-open":  {pair: simultaneousOpen},
	"simultaneous-close": {pair: simultaneousClose},

	// One socket connects to its own address and port (run as -role client
	// with -peer equal to -local): it receives its own SYN in SYN-SENT, goes
	// to SYN-RECEIVED, answers with a SYN-ACK, receives that and is
	// ESTABLISHED. It then sends "hello" to itself and reads it back; the
	// socket stays open.
	"self-connect": {
		client: func(e endpoint) { fd := e.dial(); selfHello(fd) },
	},

	// As self-connect, then shutdown(SHUT_WR): the socket receives its own
	// FIN, reads EOF, and close()s.
	"self-connect-close": {
		client: func(e endpoint) {
			fd := e.dial()
			selfHello(fd)
			pause()
			shutdownWrite(fd)
			expectEOF(fd)
			pause()
			closeFD(fd)
		},
	},
}

// selfHello sends "hello" on a self-connected socket and reads it back.
func selfHello(fd int) {
	send(fd, "hello\n")
	expect(fd, "hello\n")
}

func clientClosesFirst(e endpoint) {
	fd := e.dial()
	clientHello(fd)
	pause()
	closeFD(fd)
}

func serverClosesSecond(e endpoint) {
	fd := e.acceptOne()
	serverHello(fd)
	expectEOF(fd)
	pause()
	closeFD(fd)
}

func clientHalfCloses(e endpoint) {
	fd := e.dial()
	clientHello(fd)
	pause()
	shutdownWrite(fd)
	// Keep reading (and logging) whatever the server sends; the socket
	// stays open after READY.
	go func() {
		buf := make([]byte, 512)
		for {
			n, err := syscall.Read(fd, buf)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				logf("read: %v", err)
				return
			}
			if n == 0 {
				logf("received EOF")
				return
			}
			logf("received %q", buf[:n])
		}
	}()
}

func serverSendsAfterEOF(e endpoint) int {
	fd := e.acceptOne()
	serverHello(fd)
	expectEOF(fd)
	for i := 1; i <= 3; i++ {
		pause()
		send(fd, fmt.Sprintf("data %d\n", i))
	}
	return fd
}

// --- scenarios: both ends in one process ------------------------------------

type pairEnd struct {
	name  string // "a" or "b"
	netns string
	addr  netip.AddrPort
}

// setnsSyscall is the setns(2) system call number, which package syscall
// does not define.
func setnsSyscall() uintptr {
	switch runtime.GOARCH {
	case "amd64":
		return 308
	case "arm64", "riscv64", "loong64":
		return 268
	case "386":
		return 346
	case "arm":
		return 375
	case "ppc64", "ppc64le":
		return 350
	case "s390x":
		return 339
	}
	fatal(fmt.Errorf("setns: unknown system call number on %s", runtime.GOARCH))
	return 0
}

// inNetns runs f on a fresh OS thread that has joined the named network
// namespace; sockets f creates belong to that namespace for good. The
// thread is never unlocked, so the Go runtime discards it when f returns.
func inNetns(name string, f func() (int, error)) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread()
		nsfd, err := syscall.Open("/run/netns/"+name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{-1, fmt.Errorf("open netns %s: %w", name, err)}
			return
		}
		_, _, e := syscall.RawSyscall(setnsSyscall(), uintptr(nsfd), syscall.CLONE_NEWNET, 0)
		syscall.Close(nsfd)
		if e != 0 {
			ch <- result{-1, fmt.Errorf("setns %s: %w", name, e)}
			return
		}
		fd, err := f()
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

func logStates(fds map[string]int) {
	for _, name := range []string{"a", "b"} {
		if fd, ok := fds[name]; ok {
			s, err := tcpState(fd)
			check(err)
			logf("%s: %s", name, stateName(s))
		}
	}
}

// simultaneousOpen: both ends bind their fixed port and connect() to each
// other, no listener. The script has installed iptables rules in both
// namespaces that drop each end's outgoing bare SYN in OUTPUT until one same
// instant, so the first SYNs never reach the wire. The two SYN
// retransmission timers were armed microseconds apart on one CPU, so they
// fire in the same timer run and both retransmitted SYNs are on the wire
// before either is received: RFC 9293 Figure 7.
func simultaneousOpen(a, b pairEnd) {
	fa, err := inNetns(a.netns, func() (int, error) { return boundSocket(a.addr, true) })
	check(err)
	fb, err := inNetns(b.netns, func() (int, error) { return boundSocket(b.addr, true) })
	check(err)

	runtime.LockOSThread()
	check(startConnect(fa, b.addr))
	check(startConnect(fb, a.addr))
	runtime.UnlockOSThread()
	logStates(map[string]int{"a": fa, "b": fb})
	say("SYN-SENT")

	check(finishConnect(fa))
	check(finishConnect(fb))
	logStates(map[string]int{"a": fa, "b": fb})
}

// simultaneousClose: a connects to b's listener, they exchange a message each
// way, then (after the script has installed rules dropping both ends'
// outgoing FINs in OUTPUT) both call shutdown(SHUT_WR) microseconds apart.
// The FINs stay queued until the rules expire, at one instant in both
// namespaces, and the two retransmission timers, armed in the same tick,
// send both FINs before either arrives. Expected: FIN-WAIT-1 -> CLOSING -> TIME-WAIT on both.
func simultaneousClose(a, b pairEnd) {
	lfd, err := inNetns(b.netns, func() (int, error) { return listenOn(b.addr) })
	check(err)
	fa, err := inNetns(a.netns, func() (int, error) { return boundSocket(a.addr, true) })
	check(err)
	check(startConnect(fa, b.addr))
	check(finishConnect(fa))
	fb, err := accept(lfd)
	check(err)
	send(fa, "hello\n")
	serverHello(fb)
	expect(fa, "world\n")
	pause()
	fds := map[string]int{"a": fa, "b": fb}
	logStates(fds)

	step("close")
	runtime.LockOSThread()
	check(syscall.Shutdown(fa, syscall.SHUT_WR))
	check(syscall.Shutdown(fb, syscall.SHUT_WR))
	runtime.UnlockOSThread()
	logf("both shutdown(SHUT_WR)")
	logStates(fds)
	say("FIN-QUEUED")

	// Once an end reaches TIME-WAIT the kernel moves the connection to a
	// timewait socket and the socket behind the fd goes to CLOSE.
	for name, fd := range fds {
		_, err := waitState(fd, 10*time.Second, func(s int) bool { return s == tcpClose })
		if err != nil {
			fatal(fmt.Errorf("%s: %w", name, err))
		}
	}
	expectEOF(fa)
	expectEOF(fb)
	logStates(fds)
}

// --- main ----------------------------------------------------------------------

func main() {
	flag.Parse()
	signal.Notify(usr1, syscall.SIGUSR1)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)

	sc, ok := scenarios[*flagScenario]
	if !ok {
		fatal(fmt.Errorf("unknown scenario %q", *flagScenario))
	}
	var run func()
	switch *flagRole {
	case "client", "server":
		f := sc.client
		if *flagRole == "server" {
			f = sc.server
		}
		if f == nil {
			fatal(fmt.Errorf("scenario %s has no role %s", *flagScenario, *flagRole))
		}
		e := endpoint{local: parseAddr("local", *flagLocal), peer: parseAddr("peer", *flagPeer)}
		run = func() { f(e) }
	case "pair":
		if sc.pair == nil {
			fatal(fmt.Errorf("scenario %s has no role pair", *flagScenario))
		}
		if *flagNetnsA == "" || *flagNetnsB == "" {
			fatal(errors.New("-role pair needs -netns-a and -netns-b"))
		}
		a := pairEnd{"a", *flagNetnsA, parseAddr("a", *flagA)}
		b := pairEnd{"b", *flagNetnsB, parseAddr("b", *flagB)}
		run = func() { sc.pair(a, b) }
	default:
		fatal(fmt.Errorf("-role must be client, server or pair, not %q", *flagRole))
	}

	done := make(chan struct{})
	go func() {
		run()
		close(done)
	}()
	timeout := time.After(*flagTimeout)
	select {
	case <-done:
		logf("scenario done")
		say("READY")
	case sig := <-term:
		logf("%v before the scenario was done", sig)
		os.Exit(2)
	case <-timeout:
		fatal(fmt.Errorf("timeout (%v) before the scenario was done", *flagTimeout))
	}
	select {
	case sig := <-term:
		logf("%v: exiting", sig)
	case <-timeout:
		logf("timeout (%v): exiting", *flagTimeout)
	}
}

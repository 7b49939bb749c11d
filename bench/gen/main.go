// Command gen writes the benchmark's captures: a classic pcap (Ethernet,
// microsecond timestamps) of TCP traffic with a realistic mix of
// connections, the same bytes for the same flags. By default, connections
// with responses of up to 1 MB, 720 bytes a packet on average; with
// -small, many short request/response connections: with -n 1000000 and
// -c 4000, about 64,000 connections, half of them IPv6, in 1,000,000
// packets of 205 bytes on average, counted from the IP header (IP header,
// TCP header with options, payload; 14 more with the Ethernet header).
//
//	go run ./bench/gen -n 1000000 -c 5000 -seed 1 -o bench/out/bench.pcap
//	go run ./bench/gen -small -n 1000000 -c 4000 -seed 1 -o bench/out/small.pcap
//
// Thousands of connections are open at once (-c), their packets
// interleaved in time as a capture point near the clients would see them
// (a switch's mirror port, say): the clients' segments when they leave,
// the servers' one round trip later. Every connection is played out with
// correct sequence and acknowledgment numbers, windows that never shrink
// and never overflow, and timestamps once negotiated: handshakes with MSS,
// window scale, SACK-permitted and timestamps options (three option styles),
// requests and responses in slow-start flights with delayed ACKs, some
// requests lost past the capture point and resent after an RTO, some
// response segments lost before it (duplicate ACKs with SACK blocks, then
// a fast retransmission), and the endings: a normal close from either
// side, RST aborts from either side, refused connections (SYN, RST-ACK),
// unanswered SYNs (resent with backoff), half-closes (the client shuts
// its side and still receives the response) and simultaneous closes
// (FINs crossing). IPv4 and IPv6. Part of the first connections were
// already open when the capture started, and the connections still running
// when the packet budget is spent are cut, as in any real capture.
//
// -small keeps all of that and changes the mix to what a busy API or web
// front end sees: mostly normal closes (client first 40%, server first
// 32%), RST aborts 12% (half by each side), refused 5%, unanswered SYNs
// 2%, half-closes 6%, simultaneous closes 3%; keep-alive connections of
// 3.7 request/response exchanges on average (another follows with
// probability 73%, after an exponential think time of 100 ms mean), each
// a request (40–340 bytes, one segment; 4% are 500–2,500 bytes) and a
// response of one segment or a few (80% 40–600 bytes, 18% 600–2,400, 2%
// 2,400–9,600, log-uniform in each band); IPv6 for half the connections
// (-v6 50); 16,000 clients (8,000 IPv4, 8,000 IPv6) to three server ports
// (443 for 60% of the connections, 80 for 30%, 8080 for 10%) on 32
// servers. Retransmissions follow the default mix's rules (1% of one-segment
// requests resent after an RTO, unanswered SYNs resent, a fast
// retransmission now and then in a flight of five segments or more), so
// with these sizes they are mostly the first two.
//
// The summary of what was written goes to standard error.
package main

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// TCP flags as the builder uses them.
const (
	fFIN = 1 << iota
	fSYN
	fRST
	fPSH
	fACK
)

// Options a packet carries.
const (
	optNone = iota
	optSYN  // the handshake options of the connection's style
	optTS   // NOP NOP TS, once negotiated
	optSACK // TS when negotiated, and a SACK block
)

// What a packet is, for the summary.
const (
	noteNone = iota
	noteSYNRetx
	noteRTORetx
	noteFastRetx
	noteDupAck
)

type kind int

const (
	kCloseClient kind = iota
	kCloseServer
	kAbortClient
	kAbortServer
	kRefused
	kUnanswered
	kHalfClose
	kSimClose
	nKinds
)

var kindNames = [nKinds]string{
	"normal close, client first",
	"normal close, server first",
	"RST abort by the client",
	"RST abort by the server",
	"refused (SYN, RST-ACK)",
	"unanswered SYN (resent)",
	"half-close",
	"simultaneous close",
}

// profile is a mix of traffic: the default, or -small's many short
// connections.
type profile struct {
	small    bool
	weights  [nKinds]int // percentages of new connections of each kind
	ports    []uint16    // listening ports, drawn uniformly (repeats weigh)
	clients4 int         // client hosts
	clients6 int
	more     int // percentage: another exchange follows on a connection
}

var defaultProfile = profile{
	weights:  [nKinds]int{34, 28, 5, 5, 8, 6, 8, 6},
	ports:    []uint16{443, 443, 443, 80, 80, 8080, 5432, 6379, 9000},
	clients4: 2000,
	clients6: 600,
	more:     45,
}

var smallProfile = profile{
	small:    true,
	weights:  [nKinds]int{40, 32, 6, 6, 5, 2, 6, 3},
	ports:    []uint16{443, 443, 443, 443, 443, 443, 80, 80, 80, 8080},
	clients4: 8000,
	clients6: 8000,
	more:     73,
}

// pkt is one segment of a connection's script; 0 is the client, 1 the server.
type pkt struct {
	t            int64 // µs since the capture's start
	seq, ack     uint32
	tsval, tsecr uint32
	sackL, sackR uint32
	win          uint16
	plen         uint16
	side         uint8
	flags        uint8
	opt          uint8
	note         uint8
}

// style is how a connection's endpoints negotiate options.
type style struct {
	ts, sack bool
	ws       int // shift count; -1: no window scale option
	windows  bool
}

type conn struct {
	id        int
	kind      kind
	v6        bool
	addr      [2]net.IP
	port      [2]uint16
	mac       [2]net.HardwareAddr
	flow      [2]uint32
	ipid      [2]uint16
	style     style
	mss       uint16
	synWin    [2]uint16
	pkts      []pkt
	next      int
	midstream bool
}

type builder struct {
	r      *rand.Rand
	prof   *profile
	c      *conn
	t      int64
	rtt    int64
	snd    [2]uint32 // next sequence number each side sends
	rcv    [2]uint32 // next sequence number each side expects
	lack   [2]uint32 // last ACK each side sent
	win    [2]uint16 // window field after the handshake
	tsBase [2]uint32
	tsRcvd [2]uint32 // last TSval each side received
	seg    int       // payload of a full segment
}

func (b *builder) wait(d int64) { b.t += d }

// uniform returns a duration in [lo, hi) µs.
func (b *builder) uniform(lo, hi int64) int64 { return lo + b.r.Int64N(hi-lo) }

// gap is the time between back-to-back segments of one sender.
func (b *builder) gap() int64 { return b.uniform(8, 40) }

// turn is how long an endpoint takes to answer what it just received.
func (b *builder) turn() int64 { return b.uniform(15, 80) }

// emit appends a segment with an explicit sequence number; deliver says
// whether the receiver gets it.
func (b *builder) emit(side int, fl uint8, seq uint32, n int, deliver bool, note uint8) *pkt {
	c := b.c
	p := pkt{t: b.t, side: uint8(side), flags: fl, seq: seq, plen: uint16(n), note: note}
	if fl&fACK != 0 {
		p.ack = b.rcv[side]
		b.lack[side] = p.ack
	}
	switch {
	case fl&fRST != 0:
		// RSTs carry no window and no options, as Linux sends them.
	case fl&fSYN != 0:
		p.win = c.synWin[side]
		p.opt = optSYN
	default:
		p.win = b.win[side]
		if c.style.ts {
			p.opt = optTS
		}
	}
	if c.style.ts && fl&fRST == 0 {
		p.tsval = b.tsBase[side] + uint32(b.t/1000)
		if fl&fACK != 0 {
			p.tsecr = b.tsRcvd[side]
		}
	}
	if deliver {
		peer := 1 - side
		adv := uint32(n)
		if fl&(fSYN|fFIN) != 0 {
			adv++
		}
		if fl&fSYN != 0 {
			b.rcv[peer] = seq + 1
		} else if seq == b.rcv[peer] {
			b.rcv[peer] += adv
		}
		if c.style.ts && fl&fRST == 0 {
			b.tsRcvd[peer] = p.tsval
		}
	}
	c.pkts = append(c.pkts, p)
	return &c.pkts[len(c.pkts)-1]
}

// send appends a new segment of side's sequence space.
func (b *builder) send(side int, fl uint8, n int, deliver bool) *pkt {
	seq := b.snd[side]
	adv := uint32(n)
	if fl&(fSYN|fFIN) != 0 {
		adv++
	}
	b.snd[side] += adv
	return b.emit(side, fl, seq, n, deliver, noteNone)
}

func (b *builder) ack(side int) { b.send(side, fACK, 0, true) }

func (b *builder) syn() { b.send(0, fSYN, 0, true) }

func (b *builder) handshake() {
	b.syn()
	b.wait(b.rtt)
	b.send(1, fSYN|fACK, 0, true)
	b.wait(b.turn())
	b.ack(0)
}

// request sends n octets from the client. A one-segment request is now and
// then lost past the capture point and resent after an RTO.
func (b *builder) request(n int) {
	segs := (n + b.seg - 1) / b.seg
	if segs == 1 && b.r.IntN(100) == 0 {
		seq := b.snd[0]
		b.send(0, fACK|fPSH, n, false)
		b.wait(200_000 + b.rtt)
		b.emit(0, fACK|fPSH, seq, n, true, noteRTORetx)
		return
	}
	for n > 0 {
		k := min(n, b.seg)
		n -= k
		fl := uint8(fACK)
		if n == 0 {
			fl |= fPSH
		}
		b.send(0, fl, k, true)
		if n > 0 {
			b.wait(b.gap())
		}
	}
	if segs > 1 {
		// The server's ACK of the request (one per two segments; the
		// request is short, so one ACK covers it).
		b.wait(b.rtt)
		b.ack(1)
	}
}

// serve waits for the server to answer the request the client just sent:
// a round trip and the server's processing time, with a delayed ACK first
// when that is long.
func (b *builder) serve() {
	proc := b.procTime()
	if proc > 40_000 && b.lack[1] != b.rcv[1] {
		b.wait(b.rtt + 40_000)
		b.ack(1)
		b.wait(proc - 40_000)
		return
	}
	b.wait(b.rtt + proc)
}

// response sends n octets from the server in slow-start flights; the client
// ACKs every second segment and the last of a flight. Now and then a
// segment is lost before the capture point: the client answers each later
// segment with a duplicate ACK (with a SACK block when negotiated) and the
// server resends the lost one.
func (b *builder) response(n int) {
	cwnd := 10
	for n > 0 {
		k := min(cwnd, (n+b.seg-1)/b.seg)
		lost := -1
		if k >= 5 && b.r.IntN(400) < k {
			lost = b.r.IntN(k - 3)
		}
		var holeSeq uint32
		var holeLen int
		var holeFl uint8
		pend, firstAck := 0, int64(-1)
		for i := 0; i < k; i++ {
			sz := min(n, b.seg)
			n -= sz
			fl := uint8(fACK)
			if n == 0 {
				fl |= fPSH
			}
			if i == lost {
				holeSeq, holeLen, holeFl = b.snd[1], sz, fl
				b.snd[1] += uint32(sz)
				b.wait(b.gap())
				continue
			}
			b.send(1, fl, sz, true)
			if lost >= 0 && i > lost {
				b.wait(b.turn())
				p := b.send(0, fACK, 0, true)
				p.note = noteDupAck
				if b.c.style.sack {
					p.opt = optSACK
					p.sackL, p.sackR = holeSeq+uint32(holeLen), b.snd[1]
				}
			} else {
				pend++
				if pend == 2 || i == k-1 {
					b.wait(b.turn())
					b.ack(0)
					pend = 0
					if firstAck < 0 {
						firstAck = b.t
					}
				}
			}
			if i < k-1 {
				b.wait(b.gap())
			}
		}
		if lost >= 0 {
			b.wait(b.rtt)
			b.emit(1, holeFl, holeSeq, holeLen, true, noteFastRetx)
			b.rcv[0] = b.snd[1] // the segments after the hole were kept
			b.wait(b.turn())
			b.ack(0)
			cwnd = max(cwnd/2, 4)
			firstAck = b.t
		} else {
			cwnd = min(cwnd*2, 40)
		}
		if n > 0 {
			b.t = max(b.t+b.gap(), firstAck+b.rtt)
		}
	}
}

func (b *builder) exchange() {
	b.request(b.requestSize())
	b.serve()
	b.response(b.responseSize())
}

// exchanges plays a keep-alive connection's requests, with think time
// between them.
func (b *builder) exchanges() {
	for {
		b.exchange()
		if b.r.IntN(100) >= b.prof.more {
			return
		}
		b.wait(b.thinkTime())
	}
}

func (b *builder) requestSize() int {
	if b.prof.small {
		// Mostly one segment: a query or a GET; now and then a POST.
		if b.r.IntN(100) < 4 {
			return 500 + b.r.IntN(2000)
		}
		return 40 + b.r.IntN(300)
	}
	if b.r.IntN(10) == 0 {
		return 2000 + b.r.IntN(8000)
	}
	return 80 + b.r.IntN(1100)
}

// responseSize: mostly small, some medium, a few large (log-uniform in
// each band).
func (b *builder) responseSize() int {
	logU := func(lo, hi float64) int {
		return int(math.Exp(math.Log(lo) + b.r.Float64()*(math.Log(hi)-math.Log(lo))))
	}
	if b.prof.small {
		switch x := b.r.IntN(100); {
		case x < 80:
			return logU(40, 600)
		case x < 98:
			return logU(600, 2400)
		default:
			return logU(2400, 9600)
		}
	}
	switch x := b.r.IntN(100); {
	case x < 60:
		return logU(100, 2000)
	case x < 90:
		return logU(2000, 16000)
	case x < 99:
		return logU(16000, 128000)
	default:
		return logU(128000, 1000000)
	}
}

func (b *builder) procTime() int64 {
	if b.r.IntN(10) == 0 {
		return b.uniform(20_000, 150_000)
	}
	return b.uniform(50, 5_000)
}

func (b *builder) thinkTime() int64 {
	return int64(b.r.ExpFloat64()*100_000) + 100
}

// Closes. The client's segments are seen when sent, the server's a round
// trip after what they answer.

func (b *builder) closeClientFirst() {
	b.wait(b.uniform(100, 5_000))
	b.send(0, fFIN|fACK, 0, true)
	b.wait(b.rtt)
	if b.r.IntN(2) == 0 {
		b.send(1, fFIN|fACK, 0, true)
	} else {
		b.ack(1)
		b.wait(b.uniform(50, 2_000))
		b.send(1, fFIN|fACK, 0, true)
	}
	b.wait(b.turn())
	b.ack(0)
}

func (b *builder) closeServerFirst() {
	b.wait(b.gap())
	b.send(1, fFIN|fACK, 0, true)
	b.wait(b.turn())
	if b.r.IntN(2) == 0 {
		b.ack(0)
		b.wait(b.uniform(50, 3_000))
	}
	b.send(0, fFIN|fACK, 0, true)
	b.wait(b.rtt)
	b.ack(1)
}

func (b *builder) abort(side int) {
	if side == 0 {
		b.wait(b.uniform(100, 20_000))
	} else {
		b.wait(b.rtt + b.uniform(100, 20_000))
	}
	b.send(side, fRST|fACK, 0, true)
}

func (b *builder) refused() {
	b.syn()
	b.wait(b.rtt)
	b.emit(1, fRST|fACK, 0, 0, true, noteNone)
}

func (b *builder) unanswered() {
	isn := b.snd[0]
	b.send(0, fSYN, 0, false)
	retries := 2 + b.r.IntN(2)
	for i, d := 0, int64(1_000_000); i < retries; i, d = i+1, d*2 {
		b.wait(d)
		b.emit(0, fSYN, isn, 0, false, noteSYNRetx)
	}
}

// halfClose: the client sends its request and shuts down its sending side
// at once (shutdown(SHUT_WR)); the server ACKs the FIN, answers, and closes.
func (b *builder) halfClose() {
	b.request(b.requestSize())
	b.wait(b.gap())
	b.send(0, fFIN|fACK, 0, true)
	b.wait(b.rtt)
	b.ack(1)
	b.wait(b.procTime())
	b.response(b.responseSize())
	b.wait(b.gap())
	b.send(1, fFIN|fACK, 0, true)
	b.wait(b.turn())
	b.ack(0)
}

// simultaneousClose: each side sends its FIN before it receives the
// other's (RFC 9293 Figure 13).
func (b *builder) simultaneousClose() {
	b.wait(b.uniform(100, 5_000))
	c, s := b.snd[0], b.snd[1]
	b.send(0, fFIN|fACK, 0, false)
	b.wait(b.uniform(1, b.rtt))
	b.send(1, fFIN|fACK, 0, false)
	b.rcv[0], b.rcv[1] = s+1, c+1
	b.tsRcvd[0] = b.c.pkts[len(b.c.pkts)-1].tsval
	b.tsRcvd[1] = b.c.pkts[len(b.c.pkts)-2].tsval
	b.wait(b.turn())
	b.ack(0)
	b.wait(b.rtt)
	b.ack(1)
}

// gen holds the generator's state.
type gen struct {
	r        *rand.Rand
	prof     *profile
	conns    int
	v6Pct    int
	portNext map[string]uint16
	clients4 []net.IP
	clients6 []net.IP
	servers4 []net.IP
	servers6 []net.IP
	dark4    []net.IP
	dark6    []net.IP
}

func ip4(a, b, c, d byte) net.IP { return net.IPv4(a, b, c, d).To4() }

func ip6(prefix uint16, host int) net.IP {
	ip := make(net.IP, 16)
	binary.BigEndian.PutUint16(ip, 0xfd00)
	binary.BigEndian.PutUint16(ip[2:], prefix)
	binary.BigEndian.PutUint32(ip[12:], uint32(host))
	return ip
}

func newGen(seed uint64, v6Pct int, prof *profile) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x7463_7066_6c6f_77)), prof: prof, v6Pct: v6Pct, portNext: map[string]uint16{}}
	for h := 1; h <= prof.clients4; h++ {
		g.clients4 = append(g.clients4, ip4(10, 1, byte(h>>8), byte(h)))
	}
	for h := 1; h <= prof.clients6; h++ {
		g.clients6 = append(g.clients6, ip6(1, h))
	}
	for h := 1; h <= 24; h++ {
		g.servers4 = append(g.servers4, ip4(10, 200, 0, byte(h)))
		g.dark4 = append(g.dark4, ip4(10, 201, 0, byte(h)))
	}
	for h := 1; h <= 8; h++ {
		g.servers6 = append(g.servers6, ip6(2, h))
		g.dark6 = append(g.dark6, ip6(3, h))
	}
	return g
}

func mac(ip net.IP) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0x00, ip[len(ip)-4], ip[len(ip)-3], ip[len(ip)-2], ip[len(ip)-1]}
}

var closedPorts = []uint16{81, 8081, 3307, 9999}

func (g *gen) pickKind() kind {
	x := g.r.IntN(100)
	for k, w := range g.prof.weights {
		if x < w {
			return kind(k)
		}
		x -= w
	}
	return kCloseClient
}

// newConn scripts a connection whose first segment is at time start.
func (g *gen) newConn(start int64) *conn {
	r := g.r
	g.conns++
	c := &conn{id: g.conns, kind: g.pickKind(), v6: r.IntN(100) < g.v6Pct}
	var cli, srv net.IP
	switch {
	case c.v6 && c.kind == kUnanswered:
		cli, srv = g.clients6[r.IntN(len(g.clients6))], g.dark6[r.IntN(len(g.dark6))]
	case c.v6:
		cli, srv = g.clients6[r.IntN(len(g.clients6))], g.servers6[r.IntN(len(g.servers6))]
	case c.kind == kUnanswered:
		cli, srv = g.clients4[r.IntN(len(g.clients4))], g.dark4[r.IntN(len(g.dark4))]
	default:
		cli, srv = g.clients4[r.IntN(len(g.clients4))], g.servers4[r.IntN(len(g.servers4))]
	}
	// Ephemeral ports go up per client host: a 4-tuple is never reused.
	p, ok := g.portNext[string(cli)]
	if !ok {
		p = uint16(32768 + r.IntN(20000))
	}
	p += uint16(1 + r.IntN(7))
	if p > 60999 {
		p = 32768
	}
	g.portNext[string(cli)] = p
	c.addr = [2]net.IP{cli, srv}
	c.port = [2]uint16{p, g.prof.ports[r.IntN(len(g.prof.ports))]}
	if c.kind == kRefused {
		c.port[1] = closedPorts[r.IntN(len(closedPorts))]
	}
	c.mac = [2]net.HardwareAddr{mac(cli), mac(srv)}
	c.flow = [2]uint32{r.Uint32() & 0xfffff, r.Uint32() & 0xfffff}
	c.ipid = [2]uint16{uint16(r.Uint32()), uint16(r.Uint32())}
	switch x := r.IntN(100); {
	case x < 75: // Linux
		c.style = style{ts: true, sack: true, ws: 7}
	case x < 95: // Windows
		c.style = style{sack: true, ws: 8, windows: true}
	default: // an old or embedded stack: MSS only
		c.style = style{ws: -1}
	}
	c.mss = 1460
	if c.v6 {
		c.mss = 1440
	}
	b := &builder{r: r, prof: g.prof, c: c, rtt: rtt(r)}
	b.snd = [2]uint32{r.Uint32(), r.Uint32()}
	b.tsBase = [2]uint32{r.Uint32(), r.Uint32()}
	b.seg = int(c.mss)
	if c.style.ts {
		b.seg -= 12
	}
	if c.style.ws >= 0 {
		c.synWin = [2]uint16{64240, 65160}
		b.win = [2]uint16{uint16(int(64512) >> c.style.ws), uint16(int(65536) >> c.style.ws)}
		if c.v6 {
			c.synWin = [2]uint16{64800, 64800}
		}
	} else {
		c.synWin = [2]uint16{64240, 65160}
		b.win = c.synWin
	}
	c.pkts = make([]pkt, 0, 32)
	switch c.kind {
	case kRefused:
		b.refused()
	case kUnanswered:
		b.unanswered()
	case kHalfClose:
		b.handshake()
		b.wait(b.turn())
		b.halfClose()
	default:
		b.handshake()
		b.wait(b.turn())
		b.exchanges()
		switch c.kind {
		case kCloseClient:
			b.closeClientFirst()
		case kCloseServer:
			b.closeServerFirst()
		case kAbortClient:
			b.abort(0)
		case kAbortServer:
			b.abort(1)
		case kSimClose:
			b.simultaneousClose()
		}
	}
	for i := range c.pkts {
		c.pkts[i].t += start
	}
	return c
}

// rtt: half the clients in the data centre, the rest across the internet.
func rtt(r *rand.Rand) int64 {
	switch x := r.IntN(100); {
	case x < 50:
		return 100 + r.Int64N(900)
	case x < 85:
		return 5_000 + r.Int64N(35_000)
	default:
		return 40_000 + r.Int64N(110_000)
	}
}

// The scheduler: connections ordered by their next packet's time.
type sched []*conn

func (s sched) Len() int { return len(s) }
func (s sched) Less(i, j int) bool {
	a, b := s[i].pkts[s[i].next].t, s[j].pkts[s[j].next].t
	return a < b || a == b && s[i].id < s[j].id
}
func (s sched) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s *sched) Push(x any)   { *s = append(*s, x.(*conn)) }
func (s *sched) Pop() any {
	old := *s
	c := old[len(old)-1]
	*s = old[:len(old)-1]
	return c
}

// writer writes the pcap file.
type writer struct {
	w       *bufio.Writer
	base    int64 // capture start, µs since the epoch
	buf     gopacket.SerializeBuffer
	sopts   gopacket.SerializeOptions
	eth     layers.Ethernet
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	opts    [8]layers.TCPOption
	optData [40]byte
	payload []byte
	rec     [16]byte
	bytes   int64
	ipBytes int64 // IP packets' lengths (no Ethernet header, no pcap record)
}

const snaplen = 262144

func newWriter(f *os.File, base time.Time) (*writer, error) {
	w := &writer{
		w:     bufio.NewWriterSize(f, 1<<20),
		base:  base.UnixMicro(),
		buf:   gopacket.NewSerializeBuffer(),
		sopts: gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
	}
	// Payloads are bytes that look encrypted, as most traffic is.
	pr := rand.New(rand.NewPCG(1, 2))
	w.payload = make([]byte, 8192)
	for i := range w.payload {
		w.payload[i] = byte(pr.Uint32())
	}
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snaplen)
	binary.LittleEndian.PutUint32(h[20:], 1) // LINKTYPE_ETHERNET
	_, err := w.w.Write(h[:])
	w.bytes = 24
	w.ip4 = layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, Flags: layers.IPv4DontFragment}
	w.ip6 = layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP}
	return w, err
}

func (w *writer) option(n int, kind layers.TCPOptionKind, data []byte) int {
	w.opts[n] = layers.TCPOption{OptionType: kind, OptionData: data}
	return n + 1
}

func (w *writer) nop(n int) int { return w.option(n, layers.TCPOptionKindNop, nil) }

func (w *writer) ts(n int, d []byte, p *pkt) int {
	binary.BigEndian.PutUint32(d, p.tsval)
	binary.BigEndian.PutUint32(d[4:], p.tsecr)
	return w.option(n, layers.TCPOptionKindTimestamps, d[:8])
}

func (w *writer) write(c *conn, p *pkt) error {
	side, peer := int(p.side), 1-int(p.side)
	w.eth.SrcMAC, w.eth.DstMAC = c.mac[side], c.mac[peer]
	var nl gopacket.SerializableLayer
	if c.v6 {
		w.eth.EthernetType = layers.EthernetTypeIPv6
		w.ip6.SrcIP, w.ip6.DstIP = c.addr[side], c.addr[peer]
		w.ip6.FlowLabel = c.flow[side]
		nl = &w.ip6
	} else {
		w.eth.EthernetType = layers.EthernetTypeIPv4
		w.ip4.SrcIP, w.ip4.DstIP = c.addr[side], c.addr[peer]
		w.ip4.Id = c.ipid[side]
		c.ipid[side]++
		nl = &w.ip4
	}
	t := &w.tcp
	*t = layers.TCP{
		SrcPort: layers.TCPPort(c.port[side]), DstPort: layers.TCPPort(c.port[peer]),
		Seq: p.seq, Ack: p.ack, Window: p.win,
		FIN: p.flags&fFIN != 0, SYN: p.flags&fSYN != 0, RST: p.flags&fRST != 0,
		PSH: p.flags&fPSH != 0, ACK: p.flags&fACK != 0,
		Options: w.opts[:0],
	}
	if c.v6 {
		t.SetNetworkLayerForChecksum(&w.ip6)
	} else {
		t.SetNetworkLayerForChecksum(&w.ip4)
	}
	n, d := 0, w.optData[:]
	st := c.style
	switch p.opt {
	case optSYN:
		binary.BigEndian.PutUint16(d, c.mss)
		n = w.option(n, layers.TCPOptionKindMSS, d[:2])
		d = d[2:]
		if st.windows || st.ws < 0 {
			if st.ws >= 0 {
				n = w.nop(n)
				d[0] = byte(st.ws)
				n = w.option(n, layers.TCPOptionKindWindowScale, d[:1])
			}
			if st.sack {
				n = w.nop(w.nop(n))
				n = w.option(n, layers.TCPOptionKindSACKPermitted, nil)
			}
		} else {
			n = w.option(n, layers.TCPOptionKindSACKPermitted, nil)
			n = w.ts(n, d, p)
			d = d[8:]
			n = w.nop(n)
			d[0] = byte(st.ws)
			n = w.option(n, layers.TCPOptionKindWindowScale, d[:1])
		}
	case optTS:
		n = w.ts(w.nop(w.nop(n)), d, p)
	case optSACK:
		if st.ts {
			n = w.ts(w.nop(w.nop(n)), d, p)
			d = d[8:]
		}
		binary.BigEndian.PutUint32(d, p.sackL)
		binary.BigEndian.PutUint32(d[4:], p.sackR)
		n = w.option(w.nop(w.nop(n)), layers.TCPOptionKindSACK, d[:8])
	}
	t.Options = w.opts[:n]
	off := int(p.seq % 4096)
	err := gopacket.SerializeLayers(w.buf, w.sopts, &w.eth, nl, t, gopacket.Payload(w.payload[off:off+int(p.plen)]))
	if err != nil {
		return err
	}
	data := w.buf.Bytes()
	ts := w.base + p.t
	binary.LittleEndian.PutUint32(w.rec[0:], uint32(ts/1e6))
	binary.LittleEndian.PutUint32(w.rec[4:], uint32(ts%1e6))
	binary.LittleEndian.PutUint32(w.rec[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(w.rec[12:], uint32(len(data)))
	w.w.Write(w.rec[:])
	_, err = w.w.Write(data)
	w.bytes += 16 + int64(len(data))
	w.ipBytes += int64(len(data)) - 14
	return err
}

// counts gathers the summary.
type counts struct {
	inFile, cut [nKinds]int
	v4, v6      int
	midstream   int
	open, peak  int
	notes       [5]int
	pkts6       int
}

func main() {
	n := flag.Int("n", 1_000_000, "packets to write")
	conc := flag.Int("c", 5000, "connections open at once")
	seed := flag.Uint64("seed", 1, "seed of the pseudo-random generator")
	v6 := flag.Int("v6", -1, "percentage of connections over IPv6 (default 30, or 50 with -small)")
	mid := flag.Int("midstream", 50, "percentage of the connections open at the start whose beginning is before the capture")
	small := flag.Bool("small", false, "many short connections of small packets instead of the default mix")
	out := flag.String("o", "", "output pcap file (required)")
	flag.Parse()
	prof := &defaultProfile
	if *small {
		prof = &smallProfile
	}
	if *v6 == -1 {
		*v6 = 30
		if *small {
			*v6 = 50
		}
	}
	if *out == "" || *n < 1 || *conc < 1 || *v6 < 0 || *v6 > 100 || *mid < 0 || *mid > 100 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -o FILE [-small] [-n packets] [-c concurrency] [-seed N] [-v6 PCT] [-midstream PCT]")
		os.Exit(2)
	}
	began := time.Now()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	base := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	w, err := newWriter(f, base)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	g := newGen(*seed, *v6, prof)
	var cnt counts
	s := &sched{}
	// start opens a connection in a free slot. An unanswered SYN holds no
	// slot (no server works on it), so another connection starts as well.
	start := func(at int64) {
		for {
			c := g.newConn(at)
			heap.Push(s, c)
			if c.kind != kUnanswered {
				return
			}
			at += g.r.Int64N(1000)
		}
	}
	// The connections open when the capture starts: half of them began
	// before it (their first segments are not in the file).
	for i := 0; i < *conc; i++ {
		at := g.r.Int64N(100_000)
		start(at)
	}
	for _, c := range *s {
		if len(c.pkts) > 1 && g.r.IntN(100) < *mid {
			k := 1 + g.r.IntN(len(c.pkts)-1)
			shift := c.pkts[0].t - c.pkts[k].t
			c.pkts = c.pkts[k:]
			for i := range c.pkts {
				c.pkts[i].t += shift
			}
			c.midstream = true
		}
	}
	heap.Init(s)
	var last int64
	for i := 0; i < *n; i++ {
		c := (*s)[0]
		p := &c.pkts[c.next]
		if err := w.write(c, p); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		last = p.t
		cnt.notes[p.note]++
		if c.v6 {
			cnt.pkts6++
		}
		if c.next == 0 {
			cnt.inFile[c.kind]++
			cnt.open++
			cnt.peak = max(cnt.peak, cnt.open)
			if c.v6 {
				cnt.v6++
			} else {
				cnt.v4++
			}
			if c.midstream {
				cnt.midstream++
			}
		}
		c.next++
		if c.next < len(c.pkts) {
			heap.Fix(s, 0)
			continue
		}
		cnt.open--
		heap.Pop(s)
		start(last + g.r.Int64N(2000))
	}
	for _, c := range *s {
		if c.next > 0 {
			cnt.cut[c.kind]++
		}
	}
	if err := w.w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	report(os.Stderr, *out, *n, *seed, *conc, w, last, base, &cnt, time.Since(began))
}

func report(o *os.File, name string, n int, seed uint64, conc int, w *writer, last int64, base time.Time, c *counts, took time.Duration) {
	total := 0
	for _, v := range c.inFile {
		total += v
	}
	fmt.Fprintf(o, "%s: %d packets (IPv6 %d), %.1f MB, %.3f s of traffic from %s, seed %d, -c %d; written in %.1f s\n",
		name, n, c.pkts6, float64(w.bytes)/1e6, float64(last)/1e6, base.Format("2006-01-02 15:04:05 UTC"), seed, conc, took.Seconds())
	fmt.Fprintf(o, "mean packet: %.1f bytes from the IP header (IP + TCP + payload), %.1f with Ethernet\n",
		float64(w.ipBytes)/float64(n), float64(w.ipBytes)/float64(n)+14)
	fmt.Fprintf(o, "connections: %d (IPv4 %d, IPv6 %d); at most %d open at once; %d already open when the capture starts\n",
		total, c.v4, c.v6, c.peak, c.midstream)
	fmt.Fprintf(o, "  %-28s %8s %8s\n", "kind", "conns", "cut")
	for k := range nKinds {
		fmt.Fprintf(o, "  %-28s %8d %8d\n", kindNames[k], c.inFile[k], c.cut[k])
	}
	fmt.Fprintf(o, "  (cut: still running when the capture ends)\n")
	fmt.Fprintf(o, "segments: %d SYNs resent, %d requests resent after an RTO, %d fast retransmissions after %d duplicate ACKs\n",
		c.notes[noteSYNRetx], c.notes[noteRTORetx], c.notes[noteFastRetx], c.notes[noteDupAck])
}

// Command hostile writes captures of hostile traffic for bench/hostile.sh:
// a classic pcap (Ethernet, IPv4, microsecond timestamps, correct
// checksums), the same bytes for the same flags.
//
//	go run ./bench/hostile -kind synflood -n 1000000 -seed 1 -o bench/out/synflood.pcap
//
// Four kinds, each spread over -dur of capture time, as a capture point
// beside the attacked hosts sees it (their answers follow what they answer
// by a few tens of microseconds):
//
//   - synflood: -n bare SYNs (default 1,000,000) from random IPv4
//     addresses and ports to one server, 10.0.0.1:80, arriving as a
//     Poisson process. The server answers -answer percent of them with a
//     SYN,ACK, as a server with SYN cookies whose answers are rate limited
//     would, and never gets the ACK: the sources are spoofed. Among the
//     flood, -legit real clients (default 1000) complete a handshake,
//     send a request, get a response and close. With -session, an
//     interactive session to port 22, open from the capture's first
//     millisecond, types a keystroke every 20-100 ms until the flood
//     ends: the long-lived connection any real server has open.
//   - scan: one scanner, 10.9.9.9, sweeps ports 1-65535 on -hosts hosts
//     (10.0.1.1 and up) with SYNs from one source port, in a random port
//     order with the hosts interleaved, as nmap -sS does: -n probes in all
//     (default every port of every host). Closed ports answer RST,ACK; the
//     few open ones answer SYN,ACK and the scanner's kernel, which did not
//     send the SYN, answers that with a RST. Every fourth host is behind a
//     firewall that drops the probes to all its ports but 443.
//   - rststorm: -conns connections to 8 servers (10.0.2.1-8:443) open with
//     a handshake and one request and response, then stay idle. Then a
//     storm of -n RSTs (default 1,000,000) from spoofed peers: a quarter
//     blind, on 4-tuples that never existed; the rest on the connections,
//     in either direction, with random sequence numbers (35%), in the
//     receiver's window but not at RCV.NXT (30%), just outside the window
//     (9%) or exactly at RCV.NXT (1%), which kills the connection. The
//     receivers answer in-window RSTs with challenge ACKs (RFC 5961 §3.2),
//     at most 1000 a second, as Linux's tcp_challenge_ack_limit did.
//   - closes: no attack, -n real clients' short connections (default
//     100,000) to 10.0.0.1:80, arriving as a Poisson process: each a
//     handshake, a request, a response and a close from the client, which
//     is left in TIME-WAIT.
//
// With -stray, of any kind, the packet in the middle of the file is stamped
// 2106-01-01 00:00:00 UTC, a far-future time amid today's packets, as a
// broken clock or a corrupted record writes one.
//
// The summary of what was written goes to standard error; its first line
// ends with "P packets, S s of traffic" for bench/hostile.sh.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// TCP flags as pkt.flags holds them.
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
	optMSS  // MSS 1460: a SYN,ACK, or a SYN-cookie answer
	optSYN  // MSS 1460, SACK-permitted: a real client's SYN
)

// pkt is one packet of the capture. Addresses are IPv4, as uint32.
type pkt struct {
	t            int64 // µs since the capture's start
	src, dst     uint32
	sport, dport uint16
	seq, ack     uint32
	win          uint16
	plen         uint16
	ipid         uint16
	ttl          uint8
	flags        uint8
	opt          uint8
}

func ip(a, b, c, d byte) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }

func ipString(a uint32) string {
	return fmt.Sprintf("%d.%d.%d.%d", a>>24, a>>16&0xff, a>>8&0xff, a&0xff)
}

// gen holds what every kind needs.
type gen struct {
	r     *rand.Rand
	pkts  []pkt
	dur   int64 // µs over which the attack is spread
	lines []string
}

// add appends p with a random IP ID, and a TTL of 64 unless p has one.
func (g *gen) add(p pkt) {
	if p.ttl == 0 {
		p.ttl = 64
	}
	p.ipid = uint16(g.r.Uint32())
	g.pkts = append(g.pkts, p)
}

func (g *gen) note(format string, a ...any) { g.lines = append(g.lines, fmt.Sprintf(format, a...)) }

// public returns a random unicast IPv4 address, outside 0/8, 10/8 (the
// captures' own hosts), 127/8, 172/8 and 192/8 (private blocks, roughly)
// and 224/3 (multicast and reserved).
func (g *gen) public() uint32 {
	for {
		a := g.r.Uint32()
		switch o := a >> 24; {
		case o == 0, o == 10, o == 127, o == 172, o == 192, o >= 224:
			continue
		}
		return a
	}
}

func (g *gen) ephemeral() uint16 { return uint16(1024 + g.r.IntN(65536-1024)) }

// span returns the times of n events spread over length µs from start, as
// a Poisson process with that mean rate.
func (g *gen) span(start, length int64, n int) []int64 {
	ts := make([]int64, n)
	mean := float64(length) / float64(max(n, 1))
	t := float64(start)
	for i := range ts {
		ts[i] = int64(t)
		t += g.r.ExpFloat64() * mean
	}
	return ts
}

// legit plays a real client's short connection to srv:port starting at t,
// as seen beside the server: SYN, SYN,ACK, ACK after a round trip, a
// request, the response, and a close from the client.
func (g *gen) legit(t int64, cli uint32, srv uint32, port uint16) {
	r := g.r
	cp := g.ephemeral()
	rtt := 5_000 + r.Int64N(95_000)
	c, s := r.Uint32(), r.Uint32()
	up := func(fl uint8, n int) { // client to server
		g.add(pkt{t: t, src: cli, dst: srv, sport: cp, dport: port, seq: c, ack: s, win: 64240, plen: uint16(n), flags: fl, ttl: 52})
		c += uint32(n)
		if fl&(fSYN|fFIN) != 0 {
			c++
		}
	}
	down := func(fl uint8, n int) {
		g.add(pkt{t: t, src: srv, dst: cli, sport: port, dport: cp, seq: s, ack: c, win: 65160, plen: uint16(n), flags: fl})
		s += uint32(n)
		if fl&(fSYN|fFIN) != 0 {
			s++
		}
	}
	g.add(pkt{t: t, src: cli, dst: srv, sport: cp, dport: port, seq: c, win: 64240, flags: fSYN, opt: optSYN, ttl: 52})
	c++
	t += 20 + r.Int64N(100)
	g.add(pkt{t: t, src: srv, dst: cli, sport: port, dport: cp, seq: s, ack: c, win: 65160, flags: fSYN | fACK, opt: optMSS})
	s++
	t += rtt
	up(fACK, 0)
	t += 10 + r.Int64N(50)
	up(fACK|fPSH, 200+r.IntN(400))
	t += 100 + r.Int64N(2_000)
	down(fACK|fPSH, 500+r.IntN(900))
	t += rtt
	up(fACK, 0)
	t += 100 + r.Int64N(5_000)
	up(fFIN|fACK, 0)
	t += 20 + r.Int64N(100)
	down(fFIN|fACK, 0)
	t += rtt
	up(fACK, 0)
}

// session plays an interactive session (ssh, say) from cli to srv:port
// from the capture's start to g.dur: its handshake first, then a
// keystroke, its echo and the ACK every 20-100 ms, and no close.
func (g *gen) session(cli, srv uint32, port uint16) {
	r := g.r
	cp := g.ephemeral()
	c, s := r.Uint32(), r.Uint32()
	g.add(pkt{t: 0, src: cli, dst: srv, sport: cp, dport: port, seq: c, win: 64240, flags: fSYN, opt: optSYN})
	g.add(pkt{t: 30, src: srv, dst: cli, sport: port, dport: cp, seq: s, ack: c + 1, win: 65160, flags: fSYN | fACK, opt: optMSS})
	c, s = c+1, s+1
	g.add(pkt{t: 300, src: cli, dst: srv, sport: cp, dport: port, seq: c, ack: s, win: 64240, flags: fACK})
	for t := int64(1_000); t < g.dur; t += 20_000 + r.Int64N(80_000) {
		g.add(pkt{t: t, src: cli, dst: srv, sport: cp, dport: port, seq: c, ack: s, win: 64240, plen: 36, flags: fACK | fPSH})
		c += 36
		g.add(pkt{t: t + 40 + r.Int64N(200), src: srv, dst: cli, sport: port, dport: cp, seq: s, ack: c, win: 65160, plen: 36, flags: fACK | fPSH})
		s += 36
		g.add(pkt{t: t + 300 + r.Int64N(300), src: cli, dst: srv, sport: cp, dport: port, seq: c, ack: s, win: 64240, flags: fACK})
	}
}

func (g *gen) synflood(n, answerPct, legit int, session bool) {
	r := g.r
	srv, port := ip(10, 0, 0, 1), uint16(80)
	wins := []uint16{512, 1024, 5840, 8192, 29200, 64240, 65535}
	sources := make(map[uint32]struct{}, n)
	tuples := make(map[uint64]struct{}, n)
	answered := 0
	for _, t := range g.span(0, g.dur, n) {
		src, sp, isn := g.public(), g.ephemeral(), r.Uint32()
		sources[src] = struct{}{}
		tuples[uint64(src)<<16|uint64(sp)] = struct{}{}
		g.add(pkt{t: t, src: src, dst: srv, sport: sp, dport: port, seq: isn,
			win: wins[r.IntN(len(wins))], flags: fSYN, ttl: uint8(32 + r.IntN(224))})
		if r.IntN(100) < answerPct {
			answered++
			// The SYN cookie is the ISN: random enough for this.
			g.add(pkt{t: t + 20 + r.Int64N(150), src: srv, dst: src, sport: port, dport: sp,
				seq: r.Uint32(), ack: isn + 1, win: 64240, flags: fSYN | fACK, opt: optMSS})
		}
	}
	for _, t := range g.span(0, g.dur, legit) {
		g.legit(t, g.public(), srv, port)
	}
	if session {
		g.session(ip(10, 3, 0, 7), ip(10, 0, 0, 1), 22)
	}
	g.note("flood: %d SYNs to %s:%d from %d sources on %d distinct 4-tuples; %d (%.1f%%) answered with SYN,ACK, none completed",
		n, ipString(srv), port, len(sources), len(tuples), answered, 100*float64(answered)/float64(max(n, 1)))
	g.note("legit: %d real clients' connections to %s:%d (handshake, request, response, close: 9 packets each)",
		legit, ipString(srv), port)
	if session {
		g.note("session: one interactive session to %s:22 from the start to the end of the flood, a keystroke every 20-100 ms", ipString(srv))
	}
}

func (g *gen) scan(n, hosts int) {
	r := g.r
	scanner := ip(10, 9, 9, 9)
	sp := uint16(40000 + r.IntN(20000))
	// Open ports, by host number modulo 4; host 3 mod 4 is firewalled.
	open := [4][]uint16{{22, 80, 443}, {22, 5432}, {22, 3306, 8080}, {443}}
	ports := make([]uint16, 65535)
	for i := range ports {
		ports[i] = uint16(i + 1)
	}
	r.Shuffle(len(ports), func(i, j int) { ports[i], ports[j] = ports[j], ports[i] })
	var closed, opened, dropped int
	for i, t := range g.span(0, g.dur, n) {
		h := i % hosts
		dst := ip(10, 0, 1, byte(1+h))
		port := ports[(i/hosts)%len(ports)]
		isn := r.Uint32()
		g.add(pkt{t: t, src: scanner, dst: dst, sport: sp, dport: port, seq: isn, win: 1024, flags: fSYN, opt: optMSS, ttl: 40})
		at := t + 200 + r.Int64N(600)
		switch {
		case slices.Contains(open[h%4], port):
			opened++
			g.add(pkt{t: at, src: dst, dst: scanner, sport: port, dport: sp, seq: r.Uint32(), ack: isn + 1, win: 64240, flags: fSYN | fACK, opt: optMSS})
			g.add(pkt{t: at + 10 + r.Int64N(40), src: scanner, dst: dst, sport: sp, dport: port, seq: isn + 1, flags: fRST})
		case h%4 == 3:
			dropped++
		default:
			closed++
			g.add(pkt{t: at, src: dst, dst: scanner, sport: port, dport: sp, ack: isn + 1, flags: fRST | fACK})
		}
	}
	g.note("scan: %d SYN probes from %s:%d to %d hosts (%s and up), ports in random order",
		n, ipString(scanner), sp, hosts, ipString(ip(10, 0, 1, 1)))
	g.note("answers: %d closed (RST,ACK), %d open (SYN,ACK, then the scanner's RST), %d dropped by a firewall (no answer)",
		closed, opened, dropped)
}

// estab is an established connection of the RST storm.
type estab struct {
	cli, srv uint32
	cp       uint16
	nxt      [2]uint32 // next sequence number of the client (0) and the server (1)
	dead     bool
}

func (g *gen) rststorm(n, conns int) {
	r := g.r
	const port, win = 443, 65160
	cs := make([]estab, conns)
	// The connections open during the first second; the storm follows.
	for i, t := range g.span(0, 1_000_000, conns) {
		c := &cs[i]
		c.cli, c.srv, c.cp = g.public(), ip(10, 0, 2, byte(1+r.IntN(8))), g.ephemeral()
		c.nxt = [2]uint32{r.Uint32(), r.Uint32()}
		rtt := 5_000 + r.Int64N(95_000)
		send := func(side int, fl uint8, n int) {
			p := pkt{t: t, src: c.cli, dst: c.srv, sport: c.cp, dport: port, seq: c.nxt[side], ack: c.nxt[1-side], win: win, plen: uint16(n), flags: fl, ttl: 52}
			if side == 1 {
				p.src, p.dst, p.sport, p.dport, p.ttl = c.srv, c.cli, port, c.cp, 64
			}
			if fl&fACK == 0 {
				p.ack = 0
			}
			if fl&fSYN != 0 {
				p.opt = optSYN
				if side == 1 {
					p.opt = optMSS
				}
			}
			g.add(p)
			c.nxt[side] += uint32(n)
			if fl&fSYN != 0 {
				c.nxt[side]++
			}
		}
		send(0, fSYN, 0)
		t += 20 + r.Int64N(100)
		send(1, fSYN|fACK, 0)
		t += rtt
		send(0, fACK, 0)
		t += 10 + r.Int64N(50)
		send(0, fACK|fPSH, 100+r.IntN(400))
		t += 100 + r.Int64N(2_000)
		send(1, fACK|fPSH, 200+r.IntN(1000))
		t += rtt
		send(0, fACK, 0)
	}
	start := int64(1_500_000) // after the last handshake's round trips
	var blind, random, inWin, outWin, exact, killed, challenges, capped int
	second, budget := int64(-1), 0
	for _, t := range g.span(start, g.dur, n) {
		x := r.IntN(100)
		fl := uint8(fRST)
		if r.IntN(2) == 0 {
			fl |= fACK
		}
		if x < 25 {
			blind++
			dst := ip(10, 0, 2, byte(1+r.IntN(8)))
			p := pkt{t: t, src: g.public(), dst: dst, sport: g.ephemeral(), dport: port, seq: r.Uint32(), flags: fl, ttl: uint8(32 + r.IntN(224))}
			if fl&fACK != 0 {
				p.ack = r.Uint32()
			}
			g.add(p)
			continue
		}
		c := &cs[r.IntN(len(cs))]
		side := r.IntN(2) // the spoofed sender: 0 the client, 1 the server
		rcvNxt := c.nxt[side]
		var seq uint32
		inWindow := false
		switch {
		case x < 60:
			random++
			seq = r.Uint32()
			inWindow = seq-rcvNxt < win
		case x < 90:
			inWin++
			seq = rcvNxt + 1 + uint32(r.IntN(win-1))
			inWindow = true
		case x < 99:
			outWin++
			if r.IntN(2) == 0 {
				seq = rcvNxt + win + uint32(r.IntN(1<<20))
			} else {
				seq = rcvNxt - 1 - uint32(r.IntN(1<<20))
			}
		default:
			exact++
			seq = rcvNxt
		}
		p := pkt{t: t, src: c.cli, dst: c.srv, sport: c.cp, dport: port, seq: seq, flags: fl, ttl: uint8(32 + r.IntN(224))}
		if side == 1 {
			p.src, p.dst, p.sport, p.dport = c.srv, c.cli, port, c.cp
		}
		if fl&fACK != 0 {
			p.ack = r.Uint32()
		}
		g.add(p)
		switch {
		case c.dead:
		case seq == rcvNxt:
			c.dead = true
			killed++
		case inWindow:
			// RFC 5961 §3.2: a RST in the window but not at RCV.NXT gets a
			// challenge ACK; Linux limited them to 1000 a second.
			if s := t / 1_000_000; s != second {
				second, budget = s, 1000
			}
			if budget == 0 {
				capped++
				break
			}
			budget--
			challenges++
			a := pkt{t: t + 5 + r.Int64N(30), src: p.dst, dst: p.src, sport: p.dport, dport: p.sport,
				seq: c.nxt[1-side], ack: c.nxt[side], win: win, flags: fACK}
			if side == 0 {
				a.ttl = 64
			} else {
				a.ttl = 52
			}
			g.add(a)
		}
	}
	g.note("connections: %d to %s-%d:%d, each a handshake, a request and a response, then idle",
		conns, ipString(ip(10, 0, 2, 1)), 8, port)
	g.note("storm: %d RSTs from %.1f s: %d blind (4-tuples that never existed), %d random seq, %d in window (not RCV.NXT), %d just outside the window, %d at RCV.NXT",
		n, float64(start)/1e6, blind, random, inWin, outWin, exact)
	g.note("effect: %d connections killed; %d challenge ACKs, %d more left unanswered by the 1000/s limit",
		killed, challenges, capped)
}

func (g *gen) closes(n int) {
	srv, port := ip(10, 0, 0, 1), uint16(80)
	for _, t := range g.span(0, g.dur, n) {
		g.legit(t, g.public(), srv, port)
	}
	g.note("closes: %d real clients' connections to %s:%d (handshake, request, response, close from the client: 9 packets each)",
		n, ipString(srv), port)
}

// strayAt is the time -stray stamps a packet with.
var strayAt = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)

// writer writes the pcap file.
type writer struct {
	w       *bufio.Writer
	base    int64 // capture start, µs since the epoch
	buf     gopacket.SerializeBuffer
	sopts   gopacket.SerializeOptions
	eth     layers.Ethernet
	ip4     layers.IPv4
	tcp     layers.TCP
	opts    [3]layers.TCPOption
	mss     [2]byte
	src     net.IP
	dst     net.IP
	payload []byte
	rec     [16]byte
	bytes   int64
}

const snaplen = 262144

// The router's MAC: packets from outside 10.0.0.0/8 come through it.
var routerMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}

func newWriter(f *os.File, base time.Time) (*writer, error) {
	w := &writer{
		w:     bufio.NewWriterSize(f, 1<<20),
		base:  base.UnixMicro(),
		buf:   gopacket.NewSerializeBuffer(),
		sopts: gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		src:   make(net.IP, 4),
		dst:   make(net.IP, 4),
	}
	pr := rand.New(rand.NewPCG(3, 4))
	w.payload = make([]byte, 4096)
	for i := range w.payload {
		w.payload[i] = byte(pr.Uint32())
	}
	binary.BigEndian.PutUint16(w.mss[:], 1460)
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snaplen)
	binary.LittleEndian.PutUint32(h[20:], 1) // LINKTYPE_ETHERNET
	_, err := w.w.Write(h[:])
	w.bytes = 24
	w.ip4 = layers.IPv4{Version: 4, IHL: 5, Protocol: layers.IPProtocolTCP, Flags: layers.IPv4DontFragment}
	return w, err
}

func macOf(a uint32) net.HardwareAddr {
	if a>>24 != 10 {
		return routerMAC
	}
	return net.HardwareAddr{0x02, 0x00, byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}
}

func (w *writer) write(p *pkt) error {
	binary.BigEndian.PutUint32(w.src, p.src)
	binary.BigEndian.PutUint32(w.dst, p.dst)
	w.eth = layers.Ethernet{SrcMAC: macOf(p.src), DstMAC: macOf(p.dst), EthernetType: layers.EthernetTypeIPv4}
	w.ip4.SrcIP, w.ip4.DstIP, w.ip4.Id, w.ip4.TTL = w.src, w.dst, p.ipid, p.ttl
	n := 0
	switch p.opt {
	case optMSS:
		w.opts[0] = layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionData: w.mss[:]}
		n = 1
	case optSYN:
		w.opts[0] = layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionData: w.mss[:]}
		w.opts[1] = layers.TCPOption{OptionType: layers.TCPOptionKindNop}
		w.opts[2] = layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted}
		n = 3
	}
	t := &w.tcp
	*t = layers.TCP{
		SrcPort: layers.TCPPort(p.sport), DstPort: layers.TCPPort(p.dport),
		Seq: p.seq, Ack: p.ack, Window: p.win,
		FIN: p.flags&fFIN != 0, SYN: p.flags&fSYN != 0, RST: p.flags&fRST != 0,
		PSH: p.flags&fPSH != 0, ACK: p.flags&fACK != 0,
		Options: w.opts[:n],
	}
	t.SetNetworkLayerForChecksum(&w.ip4)
	off := int(p.seq % 2048)
	err := gopacket.SerializeLayers(w.buf, w.sopts, &w.eth, &w.ip4, t, gopacket.Payload(w.payload[off:off+int(p.plen)]))
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
	return err
}

func main() {
	kind := flag.String("kind", "", "synflood, scan, rststorm or closes (required)")
	n := flag.Int("n", 0, "SYNs of the flood (default 1000000), probes of the scan (default every port of every host), RSTs of the storm (default 1000000), connections of closes (default 100000)")
	seed := flag.Uint64("seed", 1, "seed of the pseudo-random generator")
	dur := flag.Duration("dur", 4*time.Second, "capture time the flood, scan, storm or connections are spread over")
	answer := flag.Int("answer", 25, "synflood: percentage of the SYNs the server answers")
	legit := flag.Int("legit", 1000, "synflood: real clients' connections among the flood")
	session := flag.Bool("session", false, "synflood: add an interactive session, open from the start to the end of the flood")
	hosts := flag.Int("hosts", 4, "scan: hosts scanned")
	conns := flag.Int("conns", 20000, "rststorm: established connections")
	stray := flag.Bool("stray", false, "stamp the packet in the middle of the file "+strayAt.Format(time.DateTime)+" UTC")
	out := flag.String("o", "", "output pcap file (required)")
	flag.Parse()
	if *n == 0 {
		switch *kind {
		case "scan":
			*n = *hosts * 65535
		case "closes":
			*n = 100_000
		default:
			*n = 1_000_000
		}
	}
	bad := *out == "" || *n < 1 || *dur <= 0 || *answer < 0 || *answer > 100 || *legit < 0 ||
		*hosts < 1 || *hosts > 254 || *conns < 1 || flag.NArg() > 0
	switch *kind {
	case "synflood", "scan", "rststorm", "closes":
	default:
		bad = true
	}
	if bad {
		fmt.Fprintln(os.Stderr, "usage: hostile -kind synflood|scan|rststorm|closes -o FILE [-n N] [-seed S] [-dur D]\n"+
			"               [-answer PCT] [-legit N] [-session] [-hosts N] [-conns N] [-stray]")
		os.Exit(2)
	}
	began := time.Now()
	g := &gen{r: rand.New(rand.NewPCG(*seed, 0x686f_7374_696c_65)), dur: dur.Microseconds()}
	switch *kind {
	case "synflood":
		g.synflood(*n, *answer, *legit, *session)
	case "scan":
		g.scan(*n, *hosts)
	case "rststorm":
		g.rststorm(*n, *conns)
	case "closes":
		g.closes(*n)
	}
	base := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	slices.SortStableFunc(g.pkts, func(a, b pkt) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
	last := int64(0)
	if len(g.pkts) > 0 {
		last = g.pkts[len(g.pkts)-1].t
	}
	if *stray {
		// After the sort, so that the stray keeps its place in the file.
		i := len(g.pkts) / 2
		p := &g.pkts[i]
		g.note("stray: packet %d of %d (%s:%d > %s:%d) stamped %s UTC, %.3f s into the capture",
			i+1, len(g.pkts), ipString(p.src), p.sport, ipString(p.dst), p.dport,
			strayAt.Format(time.DateTime), float64(p.t)/1e6)
		p.t = strayAt.UnixMicro() - base.UnixMicro()
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	w, err := newWriter(f, base)
	if err != nil {
		fail(err)
	}
	for i := range g.pkts {
		if err := w.write(&g.pkts[i]); err != nil {
			fail(err)
		}
	}
	if err := w.w.Flush(); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "%s: %s, seed %d, %.1f MB, written in %.1f s; %d packets, %.3f s of traffic\n",
		*out, *kind, *seed, float64(w.bytes)/1e6, time.Since(began).Seconds(), len(g.pkts), float64(last)/1e6)
	for _, l := range g.lines {
		fmt.Fprintln(os.Stderr, "  "+l)
	}
}

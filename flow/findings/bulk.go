package findings

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"net/netip"
	"slices"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// Findings about traffic in bulk rather than one connection: a SYN flood,
// a port scan, a RST storm. Each is read from connections as they end,
// with memory that does not grow with the flood: at most maxTracked
// servers and clients are counted, and distinct sources and ports are
// estimated, not listed. When the servers or the clients fill their
// table, those seen in one connection only are dropped: a flood's spoofed
// sources go, a scanner (or a flood's target) stays.

const (
	// maxTracked bounds the servers and clients counted.
	maxTracked = 4096
	// floodMin is the least number of connections a pattern needs.
	floodMin = 1000
	// scanMin is the least number of ports and hosts a scanner probes.
	scanMin = 100
)

var bulkInfo = []struct{ code, meaning string }{
	{"syn_flood", "handshakes to one server that never completed, most of its connections, in bulk: a SYN flood (with many sources, spoofed) or a server that cannot keep up"},
	{"port_scan", "one address tried many ports, mostly refused or unanswered: a port scan"},
	{"rst_storm", "RSTs in bulk: on 4-tuples with no connection (blind) or judged by RFC 5961 against the receiver's window, as an attack or a broken middlebox sends them"},
}

// bulk counts what the bulk findings need.
type bulk struct {
	servers tracked[netip.AddrPort, floodCount, *floodCount]
	clients tracked[netip.Addr, scanCount, *scanCount]
	// RST storm: connections seen only as RSTs, and connections whose
	// receiver judged RSTs by their window.
	blind, inWindow, outOfWindow int
}

type floodCount struct {
	conns, unanswered, halfOpen int
	sources                     sketch
}

type scanCount struct {
	conns, refused, unanswered, open int
	targets, hosts                   sketch
}

func newBulk() *bulk {
	return &bulk{servers: newTracked[netip.AddrPort, floodCount, *floodCount](), clients: newTracked[netip.Addr, scanCount, *scanCount]()}
}

// hash is FNV-1a with a final mix: fixed, so that estimates are the same
// from run to run.
func hash(addr [16]byte, port uint16) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range addr {
		h = (h ^ uint64(c)) * 1099511628211
	}
	h = (h ^ uint64(port)) * 1099511628211
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

// observe takes in a connection that has ended; unanswered and halfOpen
// say what the per-connection findings made of it.
func (b *bulk) observe(c *flow.Conn, r roles, unanswered, halfOpen bool) {
	if c.FSM.Self() {
		return
	}
	client, server := c.Addr(r.client), c.Addr(r.server)
	if c.Zeek.OnlyResets() {
		b.blind++
		return
	}
	for _, code := range c.NoteCodes() {
		switch code {
		case fsm.RstInWindow:
			b.inWindow++
		case fsm.RstOutOfWindow:
			b.outOfWindow++
		}
	}
	if _, known := c.FSM.Client(); !known {
		return // no SYN seen: not an attempt to open
	}
	if fc := b.servers.get(server); fc != nil {
		fc.conns++
		if unanswered || halfOpen {
			if unanswered {
				fc.unanswered++
			} else {
				fc.halfOpen++
			}
			fc.sources.add(hash(client.Addr().As16(), 0))
		}
	}
	if sc := b.clients.get(client.Addr()); sc != nil {
		sc.conns++
		switch {
		case c.Refused[r.client]:
			sc.refused++
		case unanswered:
			sc.unanswered++
		case c.FSM.Endpoint(r.server).HasISS:
			sc.open++
		}
		sc.targets.add(hash(server.Addr().As16(), server.Port()))
		sc.hosts.add(hash(server.Addr().As16(), 0))
	}
}

// tracked holds the counts of at most maxTracked keys, servers or
// clients. When it is full, a new key makes room by dropping the keys seen
// in one connection only (a flood's spoofed sources); if none is, the new
// key is not counted. A count never falls, so only keys added since room
// was last made can be dropped: tracked remembers those (fresh) and looks
// at them alone, so that making room costs what was added since, not the
// whole table, on every new key of a table full of keys seen twice.
type tracked[K comparable, V any, P counted[V]] struct {
	m     map[K]*V
	fresh []K  // keys added since room was last made
	spare []*V // the values of dropped keys, for reuse
	// looked counts the entries looked at to make room (for tests).
	looked int
}

// counted is what tracked counts: a count of connections.
type counted[V any] interface {
	*V
	connections() int
}

func (fc *floodCount) connections() int { return fc.conns }
func (sc *scanCount) connections() int  { return sc.conns }

func newTracked[K comparable, V any, P counted[V]]() tracked[K, V, P] {
	return tracked[K, V, P]{m: map[K]*V{}}
}

// get returns k's counts, new ones (zero) if k is not counted yet and
// there is room or room can be made; nil otherwise.
func (t *tracked[K, V, P]) get(k K) *V {
	if v := t.m[k]; v != nil {
		return v
	}
	if len(t.m) >= maxTracked {
		for _, f := range t.fresh {
			t.looked++
			if v := t.m[f]; v != nil && P(v).connections() < 2 {
				delete(t.m, f)
				t.spare = append(t.spare, v)
			}
		}
		t.fresh = t.fresh[:0]
	}
	if len(t.m) >= maxTracked {
		return nil
	}
	var v *V
	if n := len(t.spare); n > 0 {
		v, t.spare = t.spare[n-1], t.spare[:n-1]
		var zero V
		*v = zero
	} else {
		v = new(V)
	}
	t.m[k] = v
	t.fresh = append(t.fresh, k)
	return v
}

// list returns the bulk findings that hold.
func (b *bulk) list() []Finding {
	var out []Finding
	// The server with the most handshakes never completed.
	// In order of address, not the maps' own order, so that the same
	// capture takes the same steps every run (and ties go to the first).
	var top netip.AddrPort
	var tf *floodCount
	for _, s := range slices.SortedFunc(maps.Keys(b.servers.m), netip.AddrPort.Compare) {
		if fc := b.servers.m[s]; tf == nil || fc.unanswered+fc.halfOpen > tf.unanswered+tf.halfOpen {
			top, tf = s, fc
		}
	}
	if failed := 0; tf != nil {
		failed = tf.unanswered + tf.halfOpen
		if failed >= floodMin && 2*failed >= tf.conns {
			out = append(out, Finding{Code: "syn_flood", Target: top.String(), Count: failed,
				Meaning: bulkInfo[0].meaning,
				Detail: fmt.Sprintf("%d of %d connection attempts to %s never completed: %d SYNs unanswered, %d SYN,ACKs never acknowledged; from about %s source addresses",
					failed, tf.conns, top, tf.unanswered, tf.halfOpen, about(tf.sources.estimate(), failed))})
		}
	}
	var scanner netip.Addr
	var ts *scanCount
	for _, a := range slices.SortedFunc(maps.Keys(b.clients.m), netip.Addr.Compare) {
		if sc := b.clients.m[a]; ts == nil || sc.targets.estimate() > ts.targets.estimate() {
			scanner, ts = a, sc
		}
	}
	if ts != nil && ts.targets.estimate() >= scanMin && 2*(ts.refused+ts.unanswered) >= ts.conns {
		out = append(out, Finding{Code: "port_scan", Target: scanner.String(), Count: ts.conns,
			Meaning: bulkInfo[1].meaning,
			Detail: fmt.Sprintf("%s tried %d connections to about %s ports (host and port) on about %s hosts: %d refused, %d unanswered, %d answered",
				scanner, ts.conns, about(ts.targets.estimate(), ts.conns), about(ts.hosts.estimate(), ts.conns), ts.refused, ts.unanswered, ts.open)})
	}
	if n := b.blind + b.inWindow + b.outOfWindow; n >= floodMin {
		out = append(out, Finding{Code: "rst_storm", Count: n, Meaning: bulkInfo[2].meaning,
			Detail: fmt.Sprintf("%d 4-tuples seen only as RSTs; %d connections got RSTs inside the window but not at RCV.NXT, %d outside it",
				b.blind, b.inWindow, b.outOfWindow)})
	}
	return out
}

// about rounds an estimate to three significant digits, never past most,
// the number of values it was made from.
func about(n float64, most int) string {
	n = min(n, float64(most))
	if n >= 1000 {
		p := math.Pow(10, math.Floor(math.Log10(n))-2)
		n = math.Round(n/p) * p
	}
	return fmt.Sprintf("%.0f", n)
}

// sketch estimates how many distinct values it was given, in 64 bytes: a
// HyperLogLog of 64 registers (about 13% error), exact counting being
// what a flood of a million sources would make unbounded. Up to sketchSmall
// distinct values it counts exactly.
type sketch struct {
	reg   [64]uint8
	small [sketchSmall]uint64
	n     int // distinct values in small, or -1 when past it
}

const sketchSmall = 8

func (s *sketch) add(h uint64) {
	if s.n >= 0 {
		for _, v := range s.small[:s.n] {
			if v == h {
				return
			}
		}
		if s.n < sketchSmall {
			s.small[s.n] = h
			s.n++
		} else {
			s.n = -1
		}
	}
	i := h & 63
	rank := uint8(bits.LeadingZeros64(h|63) + 1)
	if rank > s.reg[i] {
		s.reg[i] = rank
	}
}

func (s *sketch) estimate() float64 {
	if s.n >= 0 {
		return float64(s.n)
	}
	const m = 64
	sum, zeros := 0.0, 0
	for _, r := range s.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.709 * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(float64(m)/float64(zeros)) // linear counting
	}
	return e
}

package findings

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// A Finding names a pattern on-call engineers look for, with the
// connections that show it and one sentence of what it usually means.
type Finding struct {
	Code    string // stable snake_case name, part of the JSON schema
	Conns   []int
	Detail  string // counts that sharpen the finding, when any
	Meaning string
	// Target and Count are for findings about traffic in bulk (a flood,
	// a scan), which list no connections: the server or address the
	// pattern centres on, when one, and how many connections show it.
	// Target also names the server of a pile-up (time_wait).
	Target string
	Count  int
	// Severity is how urgent it is: "critical" (a service or a host is
	// failing), "warning" (something to look into), "info" (worth
	// knowing, usually harmless).
	Severity string
	// Check is the one thing to check next, for the engineer on call.
	Check string
	// Oldest is, for a state that lasts (close_wait, fin_wait_2), how
	// long the oldest endpoint had been quiet in it at the end.
	Oldest time.Duration
	// Latest is the connection a live alert names (Fired).
	Latest ConnRef
}

// Severities, most urgent first.
const (
	Critical = "critical"
	Warning  = "warning"
	Info     = "info"
)

// findingAdvice is each finding's severity and what to check next.
var findingAdvice = map[string]struct{ severity, check string }{
	"refused":           {Warning, "is the service running and listening on that port (ss -ltn on the server), or does a firewall reject it?"},
	"unanswered_syn":    {Warning, "is the server host up, and do firewalls on the path (DROP rules, security groups) let the SYNs through?"},
	"half_open":         {Warning, "on the server, ss -ltn (Recv-Q against Send-Q) and nstat -az TcpExtListenOverflows TcpExtListenDrops; the clients' path back for SYN,ACKs"},
	"time_wait":         {Warning, "ss -tan state time-wait on the host named; reuse connections (keep-alive, pooling) or let the server close first"},
	"close_wait":        {Warning, "the application is not calling close(): ss -tanp state close-wait shows the process holding the sockets"},
	"fin_wait_2":        {Info, "the peer application has not closed its side; the kernel drops an orphan after net.ipv4.tcp_fin_timeout"},
	"aborted":           {Info, "which side sent the RST, and its logs (a crash, a timeout, SO_LINGER 0), or a middlebox's idle timeout"},
	"zero_window":       {Warning, "the receiving application stopped reading: its CPU, its blocking calls, its Recv-Q in ss -tn"},
	"dead_peer":         {Critical, "is the peer host up (ping, its console), and the path to it (routes, firewall and NAT state)?"},
	"keepalive":         {Info, "nothing: the probes keep an idle connection open, and the peer answers them"},
	"keepalive_timeout": {Critical, "is the peer host up, and did a firewall or NAT on the path drop the idle connection's state?"},
	"listen_overflow":   {Critical, "ss -ltn on the server: a Recv-Q at its Send-Q (the backlog) says the queue is full; nstat -az TcpExtListenOverflows; is the application calling accept()?"},
	"syn_flood":         {Critical, "nstat -az TcpExtSyncookiesSent TcpExtListenOverflows on the server; filter or rate-limit the sources upstream"},
	"port_scan":         {Warning, "who owns the scanning address; block it unless the scan is authorised"},
	"rst_storm":         {Critical, "a middlebox or an attacker forging RSTs; the receivers' challenge ACKs (RFC 5961, tcp_challenge_ack_limit) protect the connections"},
}

// N returns how many connections show the finding.
func (f *Finding) N() int {
	if f.Conns == nil {
		return f.Count
	}
	return len(f.Conns)
}

// findingInfo is the catalog of findings, in report order.
var findingInfo = []struct{ code, meaning string }{
	{"refused", "SYNs answered by RST: nothing listens on that port (or a firewall rejects it)"},
	{"unanswered_syn", "SYNs that got no answer: the port is filtered, the packets blackholed, or the host is down"},
	{"listen_overflow", listenOverflowMeaning},
	{"half_open", "servers left in SYN-RECEIVED by handshakes never completed: with many, a SYN flood or a full accept queue"},
	{"time_wait", "endpoints of one host piling up in TIME-WAIT toward one server port: the side that closes first keeps each 4-tuple for 2MSL (Linux: 60 s), and thousands of them exhaust a client's ephemeral ports (connect() fails with EADDRNOTAVAIL)"},
	{"close_wait", "endpoints left in CLOSE-WAIT: the peer closed, but the application is not calling close() on its socket (a leak if they accumulate)"},
	{"fin_wait_2", "endpoints left in FIN-WAIT-2: they closed and wait for a peer that does not close its side"},
	{"aborted", "connections ended by a RST from an established endpoint: an abort, a crash, or a middlebox (a storm when many)"},
	{"zero_window", "a receiver's window stayed zero for --stall or longer: its application stopped reading; a sender that closes then waits in FIN-WAIT-1 behind the data it cannot send, its FIN unsent"},
	{"dead_peer", "a sender retransmitted one segment three times or more and heard nothing back until the end (a timeout, its RST, or the capture's end): the peer vanished (host down, path broken)"},
	{"keepalive", "idle connections kept open by keep-alive probes that the peer answers"},
	{"keepalive_timeout", "keep-alive probes went unanswered until the prober gave up (a RST) or the connection ended: the peer host is down or the path to it broken"},
}

// listenOverflowMeaning is what listen_overflow usually means.
const listenOverflowMeaning = "SYNs to a port that completed handshakes before went unanswered and were resent, while its host answered other traffic: most likely the listener's accept queue is full (the application is not calling accept() fast enough) and the kernel drops new SYNs"

// Thresholds are the counts from which states that are normal in small
// numbers become findings.
type Thresholds struct {
	// PileUp is how many endpoints of one host in TIME-WAIT toward one
	// server port make the time_wait finding.
	PileUp int
	// Stuck is how long an endpoint must have been quiet in CLOSE-WAIT or
	// FIN-WAIT-2 at the end of the capture to make close_wait or
	// fin_wait_2: an application closes its socket within milliseconds of
	// reading the peer's FIN, and a capture stopped during a close shows
	// both states for a moment. Live (Watch), it is also how long a SYN
	// unanswered, a handshake not completed and a peer silent to
	// retransmissions must last before they are counted.
	Stuck time.Duration
	// Stall is how long a receiver's window must stay zero to make
	// zero_window: a busy receiver closes it for moments in a healthy
	// bulk transfer.
	Stall time.Duration
}

// DefaultStall is the default of Thresholds.Stall.
const DefaultStall = time.Second

// DefaultStuck is the default of Thresholds.Stuck.
const DefaultStuck = 10 * time.Second

// DefaultPileUp is the default of Thresholds.PileUp: a thousand, far below
// the 28,232 ephemeral ports of Linux's default range, far above what one
// busy client leaves behind in a minute of pooled connections.
const DefaultPileUp = 1000

// Collector collects findings from connections: as they end (Observe),
// as a RST settles them (Early) and, live, as they last (Watch).
type Collector struct {
	Thresholds
	conns map[string][]int
	// timeWait holds the connections in TIME-WAIT at their end, by the
	// host of the endpoint in TIME-WAIT and the server's endpoint: at
	// most maxTracked such pairs, those with one connection dropped when
	// full.
	timeWait map[twKey][]int
	// twFresh holds the pairs added to timeWait since room was last made
	// in it: a list never shrinks, so only they can hold one connection.
	twFresh []twKey
	// stuck holds the connections that ended with an endpoint in
	// CLOSE-WAIT or FIN-WAIT-2, and their last segment's time; latest is
	// the latest segment of any connection (fsm.MinTime before the first):
	// the end of the capture.
	stuck  map[string][]connAt
	latest fsm.Time
	// stall is the longest zero-window stall of zero_window's
	// connections, stallOpen how many of them ended with a window zero.
	stall     time.Duration
	stallOpen int
	// nextAlert is, by code, the count at which Fired reports it next.
	nextAlert map[string]int
	// early holds, for the connections not ended yet, the findings Early
	// counted when a RST settled them, and those Watch counted.
	early map[int][]string
	// live holds, by code, what the latest Watch counted for the
	// findings judged over many connections (close_wait, fin_wait_2,
	// time_wait); List counts them as the connections end instead.
	live map[string][]int
	// latestOf is, by code, the connection a live alert names: the one
	// counted last.
	latestOf map[string]ConnRef
	listens  listens
	bulk     *bulk
}

// listens is what listen_overflow needs, for at most maxTracked servers
// and hosts: when each server first completed a handshake, its
// connections whose SYNs were resent unanswered, and when each server's
// host last sent anything.
type listens struct {
	firstAnswer map[netip.AddrPort]fsm.Time
	dropped     map[netip.AddrPort]*drops
	hostLast    map[netip.Addr]fsm.Time
}

// drops are a server's connections whose SYNs went unanswered: each one's
// client and first SYN's time, and the earliest of those times (of all
// that were ever added: one answered later is taken out, the time stays).
type drops struct {
	conns map[int]droppedSYN
	first fsm.Time
	last  ConnRef // the connection added last, which live alerts name
}

// droppedSYN is a connection whose SYNs went unanswered: its client and
// its first SYN's time.
type droppedSYN struct {
	client netip.AddrPort
	at     fsm.Time
}

// observe takes in c, at its end or (Watch) as it stands, again and again:
// what it adds is the same each time, and a connection answered since it
// was added is taken out.
func (l *listens) observe(c *flow.Conn, r roles, unanswered bool) {
	if l.firstAnswer == nil {
		l.firstAnswer, l.dropped, l.hostLast = map[netip.AddrPort]fsm.Time{}, map[netip.AddrPort]*drops{}, map[netip.Addr]fsm.Time{}
	}
	srv := c.Addr(r.server)
	if c.Packets[r.server] > 0 {
		if t, ok := l.hostLast[srv.Addr()]; (ok || len(l.hostLast) < maxTracked) && (!ok || c.Last().After(t)) {
			l.hostLast[srv.Addr()] = c.Last()
		}
	}
	if c.SentSYNACK(r.server) {
		if t, ok := l.firstAnswer[srv]; (ok || len(l.firstAnswer) < maxTracked) && (!ok || c.First().Before(t)) {
			l.firstAnswer[srv] = c.First()
		}
	}
	d, ok := l.dropped[srv]
	switch {
	case unanswered && c.Packets[r.client] >= 2 && (ok || len(l.dropped) < maxTracked):
		if !ok {
			d = &drops{conns: map[int]droppedSYN{}, first: c.First()}
			l.dropped[srv] = d
		}
		d.conns[c.ID] = droppedSYN{c.Addr(r.client), c.First()}
		if c.First().Before(d.first) {
			d.first = c.First()
		}
		if c.ID >= d.last.ID {
			d.last = ConnRef{c.ID, c.Addr(r.client), srv}
		}
	case ok:
		delete(d.conns, c.ID)
	}
}

// overflowing returns, in address order, the servers whose SYNs went
// unanswered, and were resent, after they had completed a handshake,
// while their host still sent other traffic after the first of them: a
// listener whose accept queue is full drops new SYNs, and the rest of the
// host goes on. (A firewall that began to drop SYNs to that one port
// looks the same; the finding says what is most likely.) Also how many
// connections they have: it costs a look at each server, not at each
// connection.
func (l *listens) overflowing() (servers []netip.AddrPort, conns int) {
	for srv, d := range l.dropped {
		answered, ok := l.firstAnswer[srv]
		last, sent := l.hostLast[srv.Addr()]
		if len(d.conns) == 0 || !ok || !answered.Before(d.first) || !sent || !last.After(d.first) {
			continue
		}
		servers = append(servers, srv)
		conns += len(d.conns)
	}
	slices.SortFunc(servers, netip.AddrPort.Compare)
	return servers, conns
}

// overflows returns a listen_overflow finding for each server of
// overflowing, naming its latest connection.
func (l *listens) overflows() []Finding {
	servers, _ := l.overflowing()
	var out []Finding
	for _, srv := range servers {
		d := l.dropped[srv]
		ids := slices.Sorted(maps.Keys(d.conns))
		out = append(out, Finding{Code: "listen_overflow", Conns: ids, Target: srv.String(), Meaning: listenOverflowMeaning,
			Latest: d.last,
			Detail: fmt.Sprintf("%d connections to %s resent their SYNs unanswered after it had completed handshakes, while %s still sent other traffic",
				len(ids), srv, srv.Addr())})
	}
	return out
}

// connAt is a connection and a time of it: its last segment's (stuck),
// its first SYN's (listens).
type connAt struct {
	id int
	at fsm.Time
}

type twKey struct {
	host   netip.Addr
	server netip.AddrPort
}

// New returns an empty collector.
func New() *Collector {
	return &Collector{Thresholds: Thresholds{PileUp: DefaultPileUp, Stuck: DefaultStuck, Stall: DefaultStall}, conns: map[string][]int{},
		timeWait: map[twKey][]int{}, stuck: map[string][]connAt{}, latest: fsm.MinTime, latestOf: map[string]ConnRef{}, bulk: newBulk()}
}

func (f *Collector) add(code string, c *flow.Conn, r roles) {
	list := f.conns[code]
	if len(list) == 0 || list[len(list)-1] != c.ID {
		f.conns[code] = append(list, c.ID)
	}
	f.latestOf[code] = refOf(c, r)
}

// SetEnd says when a live capture stopped, when that is later than its
// latest segment: how long the states that last (close_wait, fin_wait_2)
// have lasted is counted to it.
func (f *Collector) SetEnd(t fsm.Time) {
	if t.After(f.latest) {
		f.latest = t
	}
}

// Observe takes in a connection that has ended.
func (f *Collector) Observe(c *flow.Conn) {
	r := sidesOf(c)
	if c.Last().After(f.latest) {
		f.latest = c.Last()
	}
	// What Early or Watch counted may have changed since (more segments
	// came, or none): the connection's end decides, as without them.
	codes := f.connCodes(c, r, atEnd)
	for _, code := range f.early[c.ID] {
		if !slices.Contains(codes, code) {
			if i := slices.Index(f.conns[code], c.ID); i >= 0 {
				f.conns[code] = slices.Delete(f.conns[code], i, i+1)
			}
		}
	}
	for _, code := range codes {
		if !slices.Contains(f.early[c.ID], code) {
			f.add(code, c, r)
		}
	}
	delete(f.early, c.ID)
	if slices.Contains(codes, "zero_window") {
		stall, open := c.ZeroWindowStall()
		f.stall = max(f.stall, stall)
		if open {
			f.stallOpen++
		}
	}
	for _, s := range []fsm.Side{r.client, r.server} {
		switch c.FSM.Endpoint(s).State {
		case fsm.CloseWait:
			if f.closeWaits(c, s) {
				f.stuckIn("close_wait", c)
			}
		case fsm.FinWait2:
			if !deadPeer(c) {
				f.stuckIn("fin_wait_2", c)
			}
		case fsm.TimeWait:
			f.waitsIn(twKey{c.Addr(s).Addr(), c.Addr(r.server)}, c.ID)
		}
	}
	unanswered := slices.Contains(codes, "unanswered_syn")
	f.listens.observe(c, r, unanswered)
	f.bulk.observe(c, r, unanswered, slices.Contains(codes, "half_open"))
}

// moment is when findings are judged: at a connection's end, or live, at
// a time while it is still tracked.
type moment struct {
	live bool
	now  fsm.Time // when live
}

// atEnd is the moment a connection ends.
var atEnd = moment{}

// liveAt is the moment now, with the connection still tracked.
func liveAt(now fsm.Time) moment { return moment{live: true, now: now} }

// connCodes returns the findings about c alone: at its end (Observe);
// otherwise as a live view can tell them while c is still tracked, at
// time now (Watch), where what lasts counts once it has lasted: a SYN
// unanswered, a handshake not completed, a peer silent to retransmissions
// for Stuck; a window zero for Stall.
func (f *Collector) connCodes(c *flow.Conn, r roles, m moment) []string {
	live, now := m.live, m.now
	// Live, a handshake is judged once it has lasted Stuck and something
	// was sent again (a SYN, a SYN,ACK): also with --stuck 0s, one merely
	// in flight is not.
	lasted := !live || now.Sub(c.First()) >= f.Stuck
	var codes []string
	if unansweredSYN(c, r) && lasted && (!live || c.Packets[r.client] >= 2) {
		codes = append(codes, "unanswered_syn")
	}
	switch {
	case !live:
		codes = append(codes, resetCodes(c, r)...)
	case !c.Aborted && !c.Refused[r.client] && !c.Refused[r.server]:
		// What a RST settles, Early has judged. Before one: a peer
		// silent to retransmissions for Stuck, or to keep-alive probes.
		if deadPeerAt(c, m, f.Stuck) {
			codes = append(codes, "dead_peer")
		} else if probes(c) && !deadPeer(c) && keepaliveTimedOut(c) {
			codes = append(codes, "keepalive_timeout")
		}
	}
	at := c.Last()
	if live {
		at = now
	}
	if stall, _ := c.ZeroWindowStallAt(at); c.SegCount(flow.ZeroWindow) > 0 && stall >= f.Stall {
		codes = append(codes, "zero_window")
	}
	if !live && probes(c) && !deadPeer(c) && !keepaliveTimedOut(c) && c.SegCount(flow.KeepAliveAck) > 0 {
		codes = append(codes, "keepalive")
	}
	for _, s := range []fsm.Side{r.client, r.server} {
		// Live, only while the client has sent nothing but SYNs: a
		// client that went on (its ACK, then a SYN,ACK resent) makes the
		// server's state an inference.
		if c.FSM.Endpoint(s).State == fsm.SynReceived && lasted &&
			(!live || c.Packets[r.client]+c.Packets[r.server] >= 3 && c.FSM.Endpoint(r.client).OnlySYNs()) {
			codes = append(codes, "half_open")
			break
		}
	}
	return codes
}

// unansweredSYN reports whether c's client sent SYNs and its server
// nothing.
func unansweredSYN(c *flow.Conn, r roles) bool {
	return !c.FSM.Self() && c.FSM.Endpoint(r.client).State == fsm.SynSent && c.Packets[r.server] == 0
}

// closeWaits reports whether side s of c waits in CLOSE-WAIT for its
// application. A dead peer's CLOSE-WAIT is inferred from a FIN it never
// acknowledged, and its peer waits for it, not for an application. So is
// one whose acknowledgment of the FIN was not captured (a one-sided
// capture): the wire must show the FIN received.
func (f *Collector) closeWaits(c *flow.Conn, s fsm.Side) bool {
	e, peer := c.FSM.Endpoint(s), c.FSM.Endpoint(s^1)
	return !deadPeer(c) && e.HasAck && peer.FinSent && e.AckSnt.GreaterThan(peer.FinSeq)
}

// Watch looks, at time now, at the connections a live capture still
// tracks (each calls its function for every one), for the findings that
// show while they last: those of connCodes, close_wait and fin_wait_2
// quiet for Stuck, a pile-up in TIME-WAIT, listen_overflow. What it
// counts alerts through Fired; each connection's end judges it again
// (Observe), and List has what the ends say.
func (f *Collector) Watch(now fsm.Time, each func(func(*flow.Conn))) {
	f.live = map[string][]int{}
	tw := map[twKey]*twLive{}
	for code, list := range f.stuck { // the connections that ended there
		for _, q := range list {
			if now.Sub(q.at) >= f.Stuck {
				f.live[code] = append(f.live[code], q.id)
			}
		}
	}
	var dropping map[netip.Addr]bool // the server hosts of SYNs unanswered now
	each(func(c *flow.Conn) {
		if calm(c) {
			return
		}
		r := sidesOf(c)
		codes := f.connCodes(c, r, liveAt(now))
		f.countEarly(c, r, codes)
		if slices.Contains(codes, "unanswered_syn") {
			if dropping == nil {
				dropping = map[netip.Addr]bool{}
			}
			dropping[c.Addr(r.server).Addr()] = true
		}
		quiet := now.Sub(c.Last()) >= f.Stuck
		for _, s := range []fsm.Side{r.client, r.server} {
			code := ""
			switch c.FSM.Endpoint(s).State {
			case fsm.CloseWait:
				if quiet && f.closeWaits(c, s) {
					code = "close_wait"
				}
			case fsm.FinWait2:
				if quiet && !deadPeer(c) {
					code = "fin_wait_2"
				}
			case fsm.TimeWait:
				k := twKey{c.Addr(s).Addr(), c.Addr(r.server)}
				if tw[k] == nil && len(tw) < maxTracked {
					tw[k] = &twLive{}
				}
				if w := tw[k]; w != nil {
					w.ids = append(w.ids, c.ID)
					w.named = refOf(c, r)
				}
			}
			if code != "" && !slices.Contains(f.live[code], c.ID) {
				f.live[code] = append(f.live[code], c.ID)
				f.latestOf[code] = refOf(c, r)
			}
		}
	})
	if len(dropping) > 0 {
		// listen_overflow: what the hosts of the SYNs unanswered answered,
		// and when, on the connections still tracked.
		each(func(c *flow.Conn) {
			r := sidesOf(c)
			if dropping[c.Addr(r.server).Addr()] {
				f.listens.observe(c, r, unansweredSYN(c, r) && now.Sub(c.First()) >= f.Stuck)
			}
		})
	}
	for _, w := range tw {
		if len(w.ids) >= max(f.PileUp, 1) {
			f.live["time_wait"] = append(f.live["time_wait"], w.ids...)
			f.latestOf["time_wait"] = w.named
		}
	}
}

// calm reports whether Watch can find nothing on c: no endpoint in a
// state that lasts or passes (SYN-SENT, SYN-RECEIVED, CLOSE-WAIT,
// FIN-WAIT-2, TIME-WAIT), and no retransmission unanswered, keep-alive
// probe unanswered or window zero. Most tracked connections are, and
// this reads few of their fields: a look at 100,000 costs little.
func calm(c *flow.Conn) bool {
	for s := fsm.A; s <= fsm.B; s++ {
		switch c.FSM.Endpoint(s).State {
		case fsm.SynSent, fsm.SynReceived, fsm.CloseWait, fsm.FinWait2, fsm.TimeWait:
			return false
		}
		if n, _ := c.SilentProbes(s); n > 0 || c.SilentRetrans(s) > 0 {
			return false
		}
	}
	_, zero := c.ZeroWindowStall()
	return !zero
}

// twLive is what Watch counts of one host's endpoints in TIME-WAIT toward
// one server port: their connections, and the one it saw last.
type twLive struct {
	ids   []int
	named ConnRef
}

// ConnRef is a connection as a live alert names it.
type ConnRef struct {
	ID             int
	Client, Server netip.AddrPort
}

func refOf(c *flow.Conn, r roles) ConnRef {
	return ConnRef{c.ID, c.Addr(r.client), c.Addr(r.server)}
}

// stuckIn notes that c ended with an endpoint in the state of code.
func (f *Collector) stuckIn(code string, c *flow.Conn) {
	list := f.stuck[code]
	if n := len(list); n > 0 && list[n-1].id == c.ID {
		return
	}
	f.stuck[code] = append(list, connAt{c.ID, c.Last()})
}

// stuckFinding returns the finding of code: the connections quiet in its
// state for Stuck or longer at the end of the capture, how many, and how
// long the oldest has been.
func (f *Collector) stuckFinding(code string) (Finding, bool) {
	var ids []int
	var oldest time.Duration
	for _, q := range f.stuck[code] {
		if age := f.latest.Sub(q.at); age >= f.Stuck {
			ids = append(ids, q.id)
			oldest = max(oldest, age)
		}
	}
	if len(ids) == 0 {
		return Finding{}, false
	}
	slices.Sort(ids)
	return Finding{Code: code, Conns: ids, Oldest: oldest,
		Detail: fmt.Sprintf("%d quiet there for %s or more at the end of the capture, the oldest for %s",
			len(ids), f.Stuck, oldest.Round(time.Millisecond))}, true
}

// waitsIn counts connection id in TIME-WAIT under k.
func (f *Collector) waitsIn(k twKey, id int) {
	if _, ok := f.timeWait[k]; !ok {
		if len(f.timeWait) >= maxTracked {
			for _, fk := range f.twFresh {
				if len(f.timeWait[fk]) < 2 {
					delete(f.timeWait, fk)
				}
			}
			f.twFresh = f.twFresh[:0]
			if len(f.timeWait) >= maxTracked {
				return
			}
		}
		f.twFresh = append(f.twFresh, k)
	}
	f.timeWait[k] = append(f.timeWait[k], id)
}

// pileUps returns the time_wait finding: the connections of every host and
// server port with PileUp endpoints in TIME-WAIT or more, the largest
// named.
func (f *Collector) pileUps() (Finding, bool) {
	var keys []twKey
	for k, ids := range f.timeWait {
		if len(ids) >= max(f.PileUp, 1) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return Finding{}, false
	}
	slices.SortFunc(keys, func(a, b twKey) int {
		if d := len(f.timeWait[b]) - len(f.timeWait[a]); d != 0 {
			return d
		}
		if d := a.host.Compare(b.host); d != 0 {
			return d
		}
		return a.server.Compare(b.server)
	})
	var ids []int
	for _, k := range keys {
		ids = append(ids, f.timeWait[k]...)
	}
	slices.Sort(ids)
	top := keys[0]
	side := "client"
	if top.host == top.server.Addr() {
		side = "server"
	}
	detail := fmt.Sprintf("%d endpoints of %s (the %s, which closed first) in TIME-WAIT toward %s",
		len(f.timeWait[top]), top.host, side, top.server)
	if len(keys) > 1 {
		detail += fmt.Sprintf("; %d more hosts or ports past %d", len(keys)-1, f.PileUp)
	}
	return Finding{Code: "time_wait", Conns: ids, Detail: detail, Target: top.server.String()}, true
}

// Early takes in a connection that a RST has just closed, before it ends
// (a connection lingers a few seconds after), so that a live view can
// alert on what the RST settles at once: refused, aborted, dead_peer and
// keepalive_timeout (see resetCodes). Observe counts them once, as the
// connection's end has them.
func (f *Collector) Early(c *flow.Conn) {
	r := sidesOf(c)
	f.countEarly(c, r, resetCodes(c, r))
}

// countEarly counts c, before its end, in each of codes it is not counted
// in yet; Observe judges it again at its end.
func (f *Collector) countEarly(c *flow.Conn, r roles, codes []string) {
	if f.early == nil {
		f.early = map[int][]string{}
	}
	for _, code := range codes {
		if !slices.Contains(f.early[c.ID], code) {
			f.early[c.ID] = append(f.early[c.ID], code)
			f.add(code, c, r)
		}
	}
}

// resetCodes returns the findings about c that a RST settles: a refused
// connect, an abort, or a sender giving up on a silent peer (dead_peer,
// keepalive_timeout), whose RST is its timer running out, not an abort.
func resetCodes(c *flow.Conn, r roles) []string {
	var codes []string
	if c.Refused[r.client] {
		codes = append(codes, "refused")
	}
	dead := deadPeer(c)
	if dead {
		codes = append(codes, "dead_peer")
	}
	gaveUp := dead
	// Zero-window probes below SND.UNA look like keep-alives on the wire,
	// and so does a one-byte segment resent to a dead peer: the
	// retransmissions say it first.
	if probes(c) && !dead && keepaliveTimedOut(c) {
		codes = append(codes, "keepalive_timeout")
		gaveUp = true
	}
	if c.Aborted && !gaveUp {
		codes = append(codes, "aborted")
	}
	return codes
}

// probes reports whether c has keep-alive probes that are not a zero
// window's probes.
func probes(c *flow.Conn) bool {
	return c.SegCount(flow.KeepAlive) > 0 && c.SegCount(flow.ZeroWindow) == 0
}

// deadPeer reports whether one side of c retransmitted one segment three
// times or more and heard nothing from its peer until the connection
// ended (by a timeout, a RST from that side, or the capture's end): a
// peer that answers, even after loss, is not dead. A handshake's SYN or
// SYN,ACK resent with no answer is unanswered_syn or half_open instead.
func deadPeer(c *flow.Conn) bool { return deadPeerAt(c, atEnd, 0) }

// deadPeerAt is deadPeer at moment m: live, while c is tracked, the peer
// silent to the retransmissions for quiet or longer by then.
func deadPeerAt(c *flow.Conn, m moment, quiet time.Duration) bool {
	for s := fsm.A; s <= fsm.B; s++ {
		switch c.FSM.Endpoint(s).State {
		case fsm.SynSent, fsm.SynReceived:
			continue
		}
		if c.SilentRetrans(s) < 3 {
			continue
		}
		if since, _ := c.SilentSince(s); !m.live || m.now.Sub(since) >= quiet {
			return true
		}
	}
	return false
}

// keepaliveTimedOut reports whether one side of c sent keep-alive probes
// that went unanswered until it gave up with a RST, or three or more of
// them with nothing back as the connection ended.
func keepaliveTimedOut(c *flow.Conn) bool {
	for s := fsm.A; s <= fsm.B; s++ {
		if n, gaveUp := c.SilentProbes(s); gaveUp || n >= 3 {
			return true
		}
	}
	return false
}

// Fired returns the findings whose count has reached 1, 10, 100, ...
// since the last call: what a live view alerts on as it happens, once
// when a finding first fires and again each time it grows tenfold. What
// counts is what Current counts; a finding that fires comes with its
// connections. Between firings a call costs a look at each finding, not
// at each connection: a live view calls it as each connection ends.
func (f *Collector) Fired() []Finding {
	var out []Finding
	var overflows []Finding
	for _, fd := range f.Current() {
		if fd.Count < f.nextAlert[fd.Code] {
			continue
		}
		next := 1
		for next <= fd.Count {
			next *= 10
		}
		if f.nextAlert == nil {
			f.nextAlert = map[string]int{}
		}
		f.nextAlert[fd.Code] = next
		switch fd.Code {
		case "listen_overflow", "unanswered_syn":
			if overflows == nil {
				overflows = f.listens.overflows()
			}
			if fd.Code == "listen_overflow" {
				for _, o := range overflows {
					fd.Conns = append(fd.Conns, o.Conns...)
				}
			} else {
				fd.Conns = withoutConns(f.conns[fd.Code], overflowedConns(overflows))
			}
		case "close_wait", "fin_wait_2", "time_wait":
			fd.Conns = f.live[fd.Code]
		default:
			fd.Conns = f.conns[fd.Code]
		}
		fd.Conns, fd.Count = slices.Sorted(slices.Values(fd.Conns)), 0
		out = append(out, fd)
	}
	return out
}

// Current returns the findings about connections that show now, in
// catalog order, with how many connections show each (Count; Conns is
// nil) and the connection a live alert names: those about single
// connections as Observe, Early and Watch found them; close_wait,
// fin_wait_2 and time_wait as the latest Watch counted them (without
// Watch, as offline, they are in List only). The findings about traffic
// in bulk are in List only.
func (f *Collector) Current() []Finding {
	servers, overflowed := f.listens.overflowing()
	var out []Finding
	for _, info := range findingInfo {
		fd := Finding{Code: info.code, Latest: f.latestOf[info.code]}
		switch info.code {
		case "listen_overflow":
			if len(servers) > 0 {
				srv := servers[len(servers)-1]
				fd.Target, fd.Latest = srv.String(), f.listens.dropped[srv].last
			}
			fd.Count = overflowed
		case "close_wait", "fin_wait_2", "time_wait":
			fd.Count = len(f.live[info.code])
		case "unanswered_syn":
			// The connections of listen_overflow are among them.
			fd.Count = max(len(f.conns[info.code])-overflowed, 0)
		default:
			fd.Count = len(f.conns[info.code])
		}
		if fd.Count == 0 {
			continue
		}
		a := findingAdvice[info.code]
		fd.Meaning, fd.Severity, fd.Check = info.meaning, a.severity, a.check
		out = append(out, fd)
	}
	return out
}

// overflowedConns returns the connections of listen_overflow findings.
func overflowedConns(overflows []Finding) map[int]bool {
	overflowed := map[int]bool{}
	for _, fd := range overflows {
		for _, id := range fd.Conns {
			overflowed[id] = true
		}
	}
	return overflowed
}

// withoutConns returns ids without those in drop; ids itself when none
// is (the connections of listen_overflow are not unanswered_syn, whose
// meaning, filtered, blackholed or host down, would mislead).
func withoutConns(ids []int, drop map[int]bool) []int {
	if len(drop) == 0 {
		return ids
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id int) bool { return drop[id] })
}

// List returns the findings, in catalog order.
func (f *Collector) List() []Finding {
	var out []Finding
	overflows := f.listens.overflows()
	overflowed := overflowedConns(overflows)
	for _, info := range findingInfo {
		switch info.code {
		case "time_wait":
			if fd, ok := f.pileUps(); ok {
				fd.Meaning = info.meaning
				out = append(out, fd)
			}
			continue
		case "listen_overflow":
			out = append(out, overflows...)
			continue
		case "close_wait", "fin_wait_2":
			if fd, ok := f.stuckFinding(info.code); ok {
				fd.Meaning = info.meaning
				out = append(out, fd)
			}
			continue
		}
		ids := f.conns[info.code]
		if info.code == "unanswered_syn" {
			ids = withoutConns(ids, overflowed)
		}
		if len(ids) == 0 {
			continue
		}
		// Live, connections end out of order.
		slices.Sort(ids)
		fd := Finding{Code: info.code, Conns: ids, Meaning: info.meaning}
		if info.code == "zero_window" {
			fd.Oldest = f.stall
			fd.Detail = fmt.Sprintf("the longest stall %s", f.stall.Round(time.Millisecond))
			if f.stallOpen > 0 {
				fd.Detail += fmt.Sprintf("; %d still zero at the connection's last segment", f.stallOpen)
			}
		}
		out = append(out, fd)
	}
	out = append(out, f.bulk.list()...)
	for i := range out {
		a := findingAdvice[out[i].Code]
		out[i].Severity, out[i].Check = a.severity, a.check
	}
	return out
}

// roles are a connection's client and server sides (flow.Conn.Client).
type roles struct{ client, server fsm.Side }

func sidesOf(c *flow.Conn) roles {
	cl, _ := c.Client()
	return roles{cl, cl.Other()}
}

// Known reports whether code names a finding.
func Known(code string) bool {
	_, ok := findingAdvice[code]
	return ok
}

package flow_test

// Zeek's conn_state and history, checked against what Zeek itself wrote for
// the corpus captures that come from its test suite: the baselines of its
// btests (zeek/zeek, testing/btest/Baseline/<test>/...). The values in the
// table are copied from those files as facts; the path of each is beside
// its rows.

import (
	"path/filepath"
	"testing"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// zeekBaseline is one connection of a Zeek baseline.
type zeekBaseline struct {
	file       string // in the corpus, zeek/...
	orig, resp string // Zeek's id.orig_h:id.orig_p and id.resp_h:id.resp_p
	// state and history as the baseline has them; "" where it does not
	// log that field.
	state, history string
	verify         bool // Zeek verified checksums (no -C)
	// differs, when set, says why ours is not Zeek's, with the Zeek rule
	// or script that explains it; the row then only checks that the
	// connection is there.
	differs string
}

var zeekBaselines = []zeekBaseline{
	// core.tcp.miss-end-data/conn.log. The responder's data was never
	// captured; the originator's ACK of it is a content gap: g.
	{file: "tcp_miss_end_data.pcap", orig: "192.168.122.230:60648", resp: "77.238.160.184:80",
		state: "SF", history: "ShADafgF"},
	// core.tcp.rxmit-history/conn-1.log.
	{file: "tcp_retransmit-fast009.pcap", orig: "10.0.88.85:50368", resp: "192.168.0.27:80",
		state: "RSTO", history: "ShADaGdgtR"},
	// core.tcp.rxmit-history/conn-2.log (its TCP rows). 6705: a lone
	// SYN,ACK from port 80, a likely server port: flipped, ^h.
	{file: "wikipedia.pcap", orig: "141.142.220.118:35634", resp: "208.80.152.2:80", state: "OTH", history: "DdA"},
	{file: "wikipedia.pcap", orig: "141.142.220.118:35642", resp: "208.80.152.2:80", state: "S1", history: "ShADad"},
	{file: "wikipedia.pcap", orig: "141.142.220.118:49996", resp: "208.80.152.3:80", state: "S1", history: "ShADad"},
	{file: "wikipedia.pcap", orig: "141.142.220.118:49997", resp: "208.80.152.3:80", state: "S1", history: "ShADad"},
	{file: "wikipedia.pcap", orig: "141.142.220.118:49998", resp: "208.80.152.3:80", state: "S1", history: "ShADad"},
	{file: "wikipedia.pcap", orig: "141.142.220.118:49999", resp: "208.80.152.3:80", state: "S1", history: "ShADad"},
	{file: "wikipedia.pcap", orig: "141.142.220.118:50000", resp: "208.80.152.3:80", state: "S1", history: "ShADad"},
	{file: "wikipedia.pcap", orig: "141.142.220.118:50001", resp: "208.80.152.3:80", state: "S1", history: "ShADad"},
	{file: "wikipedia.pcap", orig: "141.142.220.118:48649", resp: "208.80.152.118:80", state: "S1", history: "ShADad"},
	{file: "wikipedia.pcap", orig: "141.142.220.235:6705", resp: "173.192.163.128:80", state: "OTH", history: "^h"},
	// core.tcp.missing-syn/conn.log and core.history-flip/conn.log: the
	// first packet is the SYN,ACK from port 80.
	{file: "tcp_missing-syn.pcap", orig: "141.42.64.125:56730", resp: "125.190.109.199:80",
		state: "SF", history: "^hADdFaf"},
	// core.tcp.flip-without-syn/conn.log: a SYN,ACK from 80 to 6669, both
	// likely server ports, so not flipped at once; flipped at the ACK
	// that follows (Zeek pull request 2191).
	{file: "tcp_http-on-irc-port-missing-syn.pcapng", orig: "141.142.228.5:6669", resp: "192.150.187.43:80",
		state: "SF", history: "^hADadFf"},
	// core.conn-size-flip/conn.log.ctu and conn.log.one-sided (history
	// only). One-sided: SYN,ACK, ACK, FIN from the server side only, on
	// ports no Zeek script names: flipped at the ACK.
	{file: "tcp_ctu-64702-888.pcap", orig: "192.168.1.108:64702", resp: "185.33.86.224:888", history: "^hAfdtFr"},
	{file: "tcp_one-sided-2745.pcap", orig: "247.180.123.139:2745", resp: "245.181.165.133:1433", history: "^haf"},
	{file: "tcp_one-sided-2745.pcap", orig: "91.189.148.149:2745", resp: "245.181.165.131:281", history: "^haf"},
	// scripts.base.protocols.conn.conn_state-RST-behavior/out: "history,
	// conn_state" for four captures of one connection each.
	{file: "tcp_single-rst.pcap", orig: "10.0.0.10:48777", resp: "10.0.0.80:80", state: "OTH", history: "R"},
	{file: "tcp_syn-then-rst.pcap", orig: "1.1.1.1:13131", resp: "1.1.1.2:31313", state: "RSTOS0", history: "SR"},
	{file: "tcp_syn-then-ack-then-rst.pcap", orig: "1.1.1.1:13131", resp: "1.1.1.2:31313", state: "RSTOS0", history: "SaR"},
	{file: "tcp_syn-then-stuff-then-rst.pcap", orig: "1.1.1.1:13131", resp: "1.1.1.2:31313", state: "OTH", history: "SaFR"},
	// core.tcp.tcp-dups/out, the REMOVE line (history only). The copies
	// our table drops as capture duplicates are retransmissions to Zeek.
	{file: "tcp_ssh-dups.pcap", orig: "192.168.0.102:53206", resp: "192.168.0.112:22", history: "ShADTadtTtFf"},
	// core.expire-all-timers/conn-limited.log.
	{file: "tcp_retransmit-timeout.pcapng", orig: "10.0.0.1:51889", resp: "192.168.0.1:80", state: "OTH", history: "DaT"},
	// Zeek's documentation, "Connection Handling", Checksum Behavior: the
	// conn.log Zeek writes for this capture (and a btest baselines it),
	// checksums verified: the SYN's bad checksum is C, the segment is
	// dropped, nothing else happens.
	{file: "tcp_syn-bad.pcap", orig: "141.142.228.5:59856", resp: "192.150.187.43:80", state: "OTH", history: "C",
		verify: true},
	// core.print-bpf-filters/conn.log: read with the filter "vlan", so
	// only this capture's VLAN-tagged connection is in it.
	{file: "mixed-vlan-mpls.pcap", orig: "141.42.64.125:56730", resp: "125.190.109.199:80",
		state: "SF", history: "ShADdFaf"},
	// core.tcp.rst-after-syn/.stdout prints the endpoints: orig state=1
	// (SYN_SENT), resp state=6 (RESET), which conn_state's first rule
	// makes REJ: the injected RST came first, and Zeek ignores the
	// SYN,ACK of an endpoint already reset.
	{file: "tcp_rst-inject-rae.pcap", orig: "1.2.0.2:2527", resp: "1.2.0.3:6649", state: "REJ"},
	// core.tcp.fin-retransmit/out prints the endpoints: orig state=5
	// (CLOSED), resp state=6 (RESET): RSTR by conn_state's first rule.
	{file: "tcp_fin_retransmission.pcap", orig: "10.1.30.117:55344", resp: "17.167.193.62:443", state: "RSTR"},
	// core.tcp.options/out-27 prints is_orig T for the SYN,ACK's sender
	// 172.17.0.2:1234: port 1234 is no likely server port, so Zeek keeps
	// the first packet's sender as originator (orientation only).
	{file: "tcp_option-27.pcap", orig: "172.17.0.2:1234", resp: "72.14.207.99:80"},
	// core.conn-size-endpoint-update/out prints the endpoints of the lone
	// SYN at connection_state_remove: orig state=1 (SYN_SENT), resp
	// state=0 (INACTIVE), which conn_state makes S0.
	{file: "tcp_syn.pcap", orig: "141.142.228.5:59856", resp: "192.150.187.43:80", state: "S0",
		verify: true},
	// core.connection_flipped/out prints the history at
	// connection_state_remove. The SYN,ACK from 80 comes before the SYN.
	{file: "tcp_handshake-reorder.pcap", orig: "141.142.228.5:59856", resp: "192.150.187.43:80",
		history: "Hs^ADadFf", verify: true,
		differs: "zeek -b: likely_server_ports is empty without the protocol scripts, so the " +
			"first SYN,ACK is not flipped by its port 80 (ours: ^h); the SYN answering it " +
			"flips the roles instead (Connection::FlipRoles), giving Hs^. With no likely " +
			"server ports our model gives Zeek's Hs^ADadFf"},

	// Traces of the corpus whose Zeek tests log neither conn_state nor
	// history (checked against zeek/zeek testing/btest):
	//   chksums_ip4-tcp-bad-chksum.pcap, chksums_ip6-tcp-bad-chksum.pcap:
	//     core.checksums (weird.log), plugins.tap-analyzer (packets);
	//   communityid_ipv6.pcap, communityid_tcp.pcap: community ID bif
	//     test (c$id and the ID);
	//   http-qinq-0.pcap, vlan-collisions.pcap: conn.log cut to VLAN,
	//     id, packet and service columns; http-vlan-0.pcap: no test
	//     reading it found;
	//   ipv6-http-atomic-frag.pcap (c$id), irc-353.pcap (weird.log),
	//     nflog-http.pcap (http.log);
	//   tcp_no-handshake.pcap, tcp_syn-synack.pcap:
	//     core.connection-successful (c$successful only);
	//   tcp_options.pcap, tcp_option-sack.pcap: core.tcp.options (options
	//     and is_orig only);
	//   tcp_payload-syn.pcap, tcp_payload-synack.pcap,
	//     tcp_tcp-fast-open.pcap: signature matches;
	//   tcp_qi_internet_SYNACK_curl_jsonip.pcap, tcp_reassembly.pcap:
	//     rexmit_inconsistency and weirds;
	//   tcp_timeout-with-pings.pcap (timeout hooks), tcp_timestamp.pcap
	//     (SYN_packet), tcp_truncated-header.pcap (c$id),
	//     tcp_window-scale-range.pcap (weird.log);
	//   trunc_ipv4-internally-truncated-header.pcap,
	//     trunc_ipv4-truncated-broken-header.pcap, trunc_trunc-hdr.pcap:
	//     core.truncation (weird.log).
}

// TestZeekBaselines compares our conn_state and history with Zeek's own
// baselines, connection by connection (matched by address pair; every
// capture here holds one connection per pair), and checks that our model
// takes Zeek's originator.
func TestZeekBaselines(t *testing.T) {
	needCorpus(t)
	conns := map[string][]*flow.Conn{}
	for _, b := range zeekBaselines {
		key := b.file
		if b.verify {
			key += " verify"
		}
		if _, ok := conns[key]; !ok {
			conns[key] = zeekReplay(t, filepath.Join(corpusDir, "zeek", b.file), b.verify)
		}
		c := findConn(conns[key], b.orig, b.resp)
		if c == nil {
			t.Errorf("%s: no connection %s - %s", b.file, b.orig, b.resp)
			continue
		}
		if b.differs != "" {
			t.Logf("%s %s: differs from Zeek: %s", b.file, b.orig, b.differs)
			continue
		}
		if o, ok := c.Zeek.Originator(); !ok || c.Addr(o).String() != b.orig {
			t.Errorf("%s: Zeek's originator is %s, ours %s", b.file, b.orig, c.Addr(o))
		}
		if got := c.Zeek.ConnState(0); b.state != "" && got != b.state {
			t.Errorf("%s %s: conn_state %s, Zeek %s", b.file, b.orig, got, b.state)
		}
		if got := c.Zeek.History(0); b.history != "" && got != b.history {
			t.Errorf("%s %s: history %q, Zeek %q", b.file, b.orig, got, b.history)
		}
	}
}

// zeekReplay reads a capture into a table, checking TCP checksums if
// verify, and returns its connections.
func zeekReplay(t *testing.T, path string, verify bool) []*flow.Conn {
	t.Helper()
	var sink collector
	tb := flow.NewTable(flow.Config{}, &sink)
	for _, seg := range decodeAll(t, path, verify) {
		tb.Add(&seg)
	}
	tb.Close()
	return sink.conns
}

// findConn returns the connection between a and b, either way round.
func findConn(conns []*flow.Conn, a, b string) *flow.Conn {
	for _, c := range conns {
		x, y := c.Addr(fsm.A).String(), c.Addr(fsm.B).String()
		if x == a && y == b || x == b && y == a {
			return c
		}
	}
	return nil
}

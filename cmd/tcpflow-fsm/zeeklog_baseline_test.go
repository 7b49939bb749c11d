package main

// Our conn.log rows against the rows Zeek itself wrote for the corpus
// captures that come from its test suite: the baselines of its btests
// (zeek/zeek, testing/btest/Baseline/<test>/<file>), and one log of its
// documentation. The rows are copied from those files as facts, with the
// #fields line they go with; the path of each is beside it. Every field is
// compared but uid (Zeek's are random), service (we do no protocol
// detection) and tunnel_parents (we name no tunnel connections); ts where
// the baseline masks it (btest's canonifier writes XXXXXXXXXX.XXXXXX);
// local_orig and local_resp where the baseline has "-": Zeek versions
// before Site::private_address_space_is_local (Zeek 6) left them unset
// without Site::local_nets, where ours follow today's default.

import (
	"path/filepath"
	"strings"
	"testing"
)

// zeekRow is one connection of a Zeek log.
type zeekRow struct {
	file   string   // in the corpus, zeek/...
	args   []string // more arguments: --verify-checksums where Zeek ran without -C, a filter
	fields string   // the baseline's #fields, tab-separated, without "#fields"
	row    string   // the baseline's row
	// differs gives, by field, why ours is not Zeek's: the field is then
	// logged, not compared.
	differs map[string]string
}

// conn.log's fields in Zeek 6 and 7 (and ours).
const zeekConnFields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents"

// afterClose is why our duration is longer where both sides sent a FIN:
// Zeek moves a connection's last time on at each packet only while one
// endpoint has not closed (TCPSessionAdapter, "if ( ! orig->did_close ||
// ! resp->did_close ) Conn()->SetLastTime"), so the ACKs after the second
// FIN are not in its duration. Our duration is the last packet's time
// (as tshark's conversation table has it); the model keeps no time of
// its own for this, a connection having no room left for one.
const afterClose = "Zeek's last time stops once both endpoints closed (TCPSessionAdapter, did_close); ours is the last packet's"

var zeekRows = []zeekRow{
	// core.tcp.miss-end-data/conn.log
	{file: "tcp_miss_end_data.pcap", fields: zeekConnFields, differs: map[string]string{"duration": afterClose},
		row: "XXXXXXXXXX.XXXXXX\tCHhAvVGS1DHFjwGM9\t192.168.122.230\t60648\t77.238.160.184\t80\ttcp\thttp\t10.048360\t538\t2902\tSF\tT\tF\t2902\tShADafgF\t5\t750\t4\t172\t-"},
	// core.tcp.rxmit-history/conn-1.log
	{file: "tcp_retransmit-fast009.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCHhAvVGS1DHFjwGM9\t10.0.88.85\t50368\t192.168.0.27\t80\ttcp\t-\t60.991770\t474\t23783\tRSTO\t-\t-\t24257\tShADaGdgtR\t17\t1250\t22\t28961\t-"},
	// core.tcp.rxmit-history/conn-2.log, its TCP rows (its last field,
	// ip_proto, left out).
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCtPZjS20MLrsMUOJi2\t141.142.220.118\t35634\t208.80.152.2\t80\ttcp\t-\t0.061329\t463\t350\tOTH\tF\tF\t0\tDdA\t2\t567\t1\t402\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCiyBAq1bBLNaTiTAc\t141.142.220.118\t35642\t208.80.152.2\t80\ttcp\thttp\t0.120041\t534\t412\tS1\tF\tF\t0\tShADad\t4\t750\t3\t576\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tC3eiCBGOLw3VtHfOj\t141.142.220.118\t49996\t208.80.152.3\t80\ttcp\thttp\t0.218501\t1171\t733\tS1\tF\tF\t0\tShADad\t6\t1491\t4\t949\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCwjjYJ2WqgTbAqiHl6\t141.142.220.118\t49997\t208.80.152.3\t80\ttcp\thttp\t0.219720\t1125\t734\tS1\tF\tF\t0\tShADad\t6\t1445\t4\t950\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCk51lg1bScffFj34Ri\t141.142.220.118\t49998\t208.80.152.3\t80\ttcp\thttp\t0.215893\t1130\t734\tS1\tF\tF\t0\tShADad\t6\t1450\t4\t950\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCykQaM33ztNt0csB9a\t141.142.220.118\t49999\t208.80.152.3\t80\ttcp\thttp\t0.220961\t1137\t733\tS1\tF\tF\t0\tShADad\t6\t1457\t4\t949\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCtxTCR2Yer0FR1tIBg\t141.142.220.118\t50000\t208.80.152.3\t80\ttcp\thttp\t0.229603\t1148\t734\tS1\tF\tF\t0\tShADad\t6\t1468\t4\t950\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCLNN1k2QMum1aexUK7\t141.142.220.118\t50001\t208.80.152.3\t80\ttcp\thttp\t0.227284\t1178\t734\tS1\tF\tF\t0\tShADad\t6\t1498\t4\t950\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCUM0KZ3MLUfNB0cl11\t141.142.220.118\t48649\t208.80.152.118\t80\ttcp\thttp\t0.119905\t525\t232\tS1\tF\tF\t0\tShADad\t4\t741\t3\t396\t-"},
	{file: "wikipedia.pcap", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCFSwNi4CNGxcuffo49\t141.142.220.235\t6705\t173.192.163.128\t80\ttcp\t-\t-\t-\t-\tOTH\tF\tF\t0\t^h\t0\t0\t1\t48\t-"},
	// core.tcp.missing-syn/conn.log (core.history-flip/conn.log has the
	// same row).
	{file: "tcp_missing-syn.pcap", fields: zeekConnFields, differs: map[string]string{"duration": afterClose},
		row: "1128727435.633408\tCHhAvVGS1DHFjwGM9\t141.42.64.125\t56730\t125.190.109.199\t80\ttcp\thttp\t1.550793\t98\t9417\tSF\t-\t-\t0\t^hADdFaf\t11\t670\t10\t9945\t-"},
	// core.tcp.flip-without-syn/conn.log
	{file: "tcp_http-on-irc-port-missing-syn.pcapng", fields: zeekConnFields, differs: map[string]string{
		"duration": afterClose,
		// The packet counts agree; 8 octets, what the first SYN,ACK is
		// longer than an ACK, sit on the other side in Zeek's counts.
		// Zeek flips the roles at the ACK after that SYN,ACK (pull
		// request 2191) and its conn size analyzer's counters do not
		// follow the flip octet for octet; we count each packet for its
		// sender. Not modelled.
		"orig_ip_bytes": "8 octets on the other side around Zeek's late flip (see above)",
		"resp_ip_bytes": "8 octets on the other side around Zeek's late flip (see above)",
	},
		row: "XXXXXXXXXX.XXXXXX\tCHhAvVGS1DHFjwGM9\t141.142.228.5\t6669\t192.150.187.43\t80\ttcp\thttp\t0.141744\t136\t5007\tSF\tF\tF\t0\t^hADadFf\t6\t456\t7\t5371\t-"},
	// core.conn-size-flip/conn.log.ctu, cut by zeek-cut to these fields.
	{file: "tcp_ctu-64702-888.pcap",
		fields: "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes",
		row:    "XXXXXXXXXX.XXXXXX\tCHhAvVGS1DHFjwGM9\t192.168.1.108\t64702\t185.33.86.224\t888\t^hAfdtFr\t8\t320\t8\t370"},
	// core.conn-size-flip/conn.log.one-sided, cut likewise.
	{file: "tcp_one-sided-2745.pcap",
		fields: "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes",
		row:    "XXXXXXXXXX.XXXXXX\tCHhAvVGS1DHFjwGM9\t247.180.123.139\t2745\t245.181.165.133\t1433\t^haf\t0\t0\t3\t140"},
	{file: "tcp_one-sided-2745.pcap",
		fields: "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes",
		row:    "XXXXXXXXXX.XXXXXX\tClEkJM2Vm5giqnMf4h\t91.189.148.149\t2745\t245.181.165.131\t281\t^haf\t0\t0\t3\t140"},
	// core.expire-all-timers/conn-limited.log
	{file: "tcp_retransmit-timeout.pcapng", fields: zeekConnFields,
		row: "XXXXXXXXXX.XXXXXX\tCHhAvVGS1DHFjwGM9\t10.0.0.1\t51889\t192.168.0.1\t80\ttcp\t-\t300.000010\t18\t0\tOTH\tT\tT\t0\tDaT\t2\t116\t1\t40\t-"},
	// core.print-bpf-filters/conn.log, an old baseline (Bro 2.1: no
	// local_resp, tunnel_parents a table), read with the filter "vlan";
	// ours reads the whole capture (libpcap's "vlan" there picks another
	// connection) and finds the row by its endpoints.
	{file: "mixed-vlan-mpls.pcap", differs: map[string]string{"duration": afterClose},
		fields: "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
		row:    "1128727435.450898\tUWkUyAuUGXf\t141.42.64.125\t56730\t125.190.109.199\t80\ttcp\thttp\t1.733303\t98\t9417\tSF\t-\t0\tShADdFaf\t12\t730\t10\t9945\t(empty)"},
	// Zeek's documentation, "Connection Handling", Checksum Behavior: the
	// conn.log (as JSON) of zeek -b -r Traces/tcp/syn-bad.pcap, checksums
	// verified: the SYN's bad checksum is C, and the packet is counted
	// nowhere. Its fields as the page shows them.
	{file: "tcp_syn-bad.pcap", args: []string{"--verify-checksums"},
		fields: "ts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts",
		row:    "1362692526.869344\t141.142.228.5\t59856\t192.150.187.43\t80\ttcp\tOTH\tF\tF\t0\tC\t0\t0\t0"},
}

// zeekNotCompared are the fields that differ by design (see above).
var zeekNotCompared = map[string]bool{"uid": true, "service": true, "tunnel_parents": true}

func TestZeekLogBaselines(t *testing.T) {
	needCorpus(t)
	logs := map[string]zeekLog{}
	matched := 0
	for _, b := range zeekRows {
		key := b.file + " " + strings.Join(b.args, " ")
		z, ok := logs[key]
		if !ok {
			args := []string{"-r", filepath.Join(corpusDir, "zeek", b.file), "--summary"}
			_, log := runZeekLog(t, append(args, b.args...)...)
			z = parseZeekLog(t, log)
			logs[key] = z
		}
		names, vals := strings.Split(b.fields, "\t"), strings.Split(b.row, "\t")
		if len(names) != len(vals) {
			t.Fatalf("%s: %d fields, %d values", b.file, len(names), len(vals))
		}
		want := map[string]string{}
		for i, n := range names {
			want[n] = vals[i]
		}
		var got map[string]string
		for _, r := range z.rows {
			if r["id.orig_h"] == want["id.orig_h"] && r["id.orig_p"] == want["id.orig_p"] &&
				r["id.resp_h"] == want["id.resp_h"] && r["id.resp_p"] == want["id.resp_p"] {
				got = r
			}
		}
		id := b.file + " " + want["id.orig_h"] + ":" + want["id.orig_p"]
		if got == nil {
			t.Errorf("%s: no row from Zeek's originator to %s:%s", id, want["id.resp_h"], want["id.resp_p"])
			continue
		}
		same := true
		for _, n := range names {
			w, g := want[n], got[n]
			switch {
			case zeekNotCompared[n], strings.HasPrefix(w, "X"), (n == "local_orig" || n == "local_resp") && w == "-":
				continue
			case b.differs[n] != "":
				t.Logf("%s: %s %q, Zeek %q: %s", id, n, g, w, b.differs[n])
				same = false
			case g != w:
				t.Errorf("%s: %s %q, Zeek %q", id, n, g, w)
				same = false
			}
		}
		if same {
			matched++
		}
	}
	t.Logf("%d of %d Zeek rows matched field by field", matched, len(zeekRows))
}

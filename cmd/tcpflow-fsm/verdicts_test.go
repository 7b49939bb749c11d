package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// verdict is one violation the tool reports on the real-capture corpus,
// judged by hand against the RFC's text and the capture's packets.
type verdict struct {
	file     string
	conn     int
	endpoint string // who is at fault
	code     string
	proven   bool // the wire proves the rule broken
	why      string
}

// corpusVerdicts is every violation reported on ../shared/corpus/real,
// each judged by reading the packets (tshark -V) against the clause the
// catalog names. TestCorpusVerdicts fails when one appears or disappears,
// so a change to a guard or a rule is judged here again; none may be false.
var corpusVerdicts = []verdict{
	{"chrissanders-packets/activeosfingerprinting.pcapng", 8, "client", "no_flags", true,
		"nmap's OS probe T2: a segment with no flag at all, to an open port; RFC 9293 §3.1 gives every segment but the first SYN an ACK"},
	{"chrissanders-packets/activeosfingerprinting.pcapng", 8, "client", "syn_option_outside_syn", true,
		"the same T2 probe carries window scale and MSS options, which RFC 7323 §2.2 and RFC 9293 §3.7.1 allow only on a SYN"},
	{"chrissanders-packets/activeosfingerprinting.pcapng", 9, "client", "syn_fin", true,
		"nmap's T3 probe sets SYN, FIN, URG and PSH on one segment: no TCP sends it (RFC 9293 §3.10.7)"},
	{"chrissanders-packets/activeosfingerprinting.pcapng", 10, "client", "syn_option_outside_syn", true,
		"nmap's T4 probe: a bare ACK carrying window scale and MSS options"},
	{"chrissanders-packets/activeosfingerprinting.pcapng", 12, "client", "syn_option_outside_syn", true,
		"nmap's T6 probe: a bare ACK carrying window scale and MSS options"},
	{"chrissanders-packets/activeosfingerprinting.pcapng", 13, "client", "fin_without_ack", true,
		"nmap's T7 probe (FIN, PSH, URG): a FIN without ACK, which RFC 9293 §3.4 rules out after the SYN"},
	{"chrissanders-packets/activeosfingerprinting.pcapng", 13, "client", "syn_option_outside_syn", true,
		"the same T7 probe carries window scale and MSS options without SYN"},
	{"chrissanders-packets/sessionhijacking.pcapng", 4, "client", "timestamps_dropped", true,
		"macOS negotiated timestamps in both SYNs, then sends keep-alives without the option: RFC 7323 §3.2 MUST send it on every segment"},
	{"chrissanders-packets/sessionhijacking.pcapng", 5, "client", "timestamps_dropped", true,
		"as conn 4: keep-alives without TSopt after both SYNs carried it"},
	{"chrissanders-packets/sessionhijacking.pcapng", 6, "client", "timestamps_dropped", true,
		"as conn 4: keep-alives without TSopt after both SYNs carried it"},
	{"suricata-verify/bug-6875-01.pcap", 1, "client", "bad_data_offset", true,
		"its one packet's data offset points past the end of the segment (RFC 9293 §3.1)"},
	{"suricata-verify/bug-76.pcap", 1, "client", "bad_data_offset", true,
		"a mangled fixture: frame 46's data offset (40 octets) runs past the end of the segment its IP length gives"},
	{"suricata-verify/bug-76.pcap", 1, "client", "options_overrun", true,
		"frame 4's option kind 0xaa claims 170 octets in a 12-octet option space (RFC 9293 §3.1)"},
	{"suricata-verify/bug-76.pcap", 1, "server", "fin_without_ack", true,
		"frame 20 sets FIN, URG and ECE without ACK in an established connection"},
	{"suricata-verify/bug-76.pcap", 1, "server", "timestamps_dropped", true,
		"both SYNs carried timestamps; a later data segment of the server carries none (RFC 7323 §3.2 MUST)"},
	{"suricata-verify/drop-protocol-change.pcap", 1, "client", "bad_data_offset", true,
		"frame 7's data offset says 8 octets, below the 20 of any TCP header"},
	{"suricata-verify/issue-3341-tcphdr-01.pcap", 1, "client", "syn_fin", true,
		"a crafted segment with SYN and FIN"},
	{"suricata-verify/tcp-empty-sack.pcap", 1, "server", "window_shrunk", true,
		"macOS offered about 1 MiB, then a window ending 1 MiB lower with a larger ACK, so the later offer is proven: RFC 9293 §3.8.6 SHLD-14"},
	{"suricata-verify/util-action-tests_util-action-03.pcap", 1, "client", "data_before_handshake", true,
		"scapy sends data while its SYN is unacknowledged, on a segment whose ACK field does not acknowledge the peer's SYN: the data is not on the SYN, and no SYN,ACK covers it (RFC 9293 §3.10.7.3)"},
	{"tcpdump/tcp_eight_lowest_weight_flags_set.pcap", 1, "client", "syn_fin", true,
		"a crafted segment with all eight low flags, SYN and FIN among them"},
}

func (v verdict) key() string {
	return fmt.Sprintf("%s conn %d %s %s", v.file, v.conn, v.endpoint, v.code)
}

// TestCorpusVerdicts runs the command over every real capture and checks
// that the violations it reports are exactly the judged ones, all true,
// each naming the endpoint at fault.
func TestCorpusVerdicts(t *testing.T) {
	manifest := needCorpus(t)
	judged := map[string]verdict{}
	for _, v := range corpusVerdicts {
		if !v.proven {
			t.Errorf("%s is judged false: a false violation may not stand (%s)", v.key(), v.why)
		}
		if v.why == "" {
			t.Errorf("%s has no reason", v.key())
		}
		judged[v.key()] = v
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:] {
		file := strings.Split(line, "\t")[0]
		var stdout, stderr bytes.Buffer
		run([]string{"-r", filepath.Join(corpusDir, file), "--json"}, nil, &stdout, &stderr)
		for _, r := range parseRecords(t, stdout.Bytes()) {
			if r["type"] != "violation" {
				continue
			}
			who, _ := r["endpoint"].(string)
			if who != "client" && who != "server" {
				t.Errorf("%s: violation record %v names no endpoint at fault", file, r)
			}
			got = append(got, verdict{file: file, conn: int(r["conn"].(float64)), endpoint: who,
				code: r["code"].(string)}.key())
		}
	}
	slices.Sort(got)
	for _, k := range slices.Compact(got) {
		if _, ok := judged[k]; !ok {
			t.Errorf("new violation, not judged yet: %s", k)
		}
	}
	for k := range judged {
		if !slices.Contains(got, k) {
			t.Errorf("judged violation no longer reported: %s", k)
		}
	}
	t.Logf("%d violations on the corpus, all judged true", len(judged))
}

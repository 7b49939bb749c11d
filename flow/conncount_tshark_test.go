package flow_test

import (
	"fmt"
	"slices"
	"testing"
)

// connCountDifferences lists the captures of the corpus where we count
// another number of connections than tshark 4.0.17 counts streams, each
// 4-tuple that differs and why. In each, tshark is the one that is wrong
// by RFC 9293 and by Zeek, or counts a stream for packets we refuse.
var connCountDifferences = map[string]struct {
	why   string
	diffs []string
}{
	"stopddos/amp.TCP.reflection.SYNACK.pcap": {
		why:   "139 ICMP errors quote the TCP header of a packet that provoked them: tshark makes a stream of each quoted header, which never crossed the wire as a segment; we count them as ICMP",
		diffs: []string{"139 streams begin at a frame that is no TCP segment to us"},
	},
	"suricata-verify/bug-6875-01.pcap": {
		why:   "its one packet's TCP data offset points past the segment: we report bad_data_offset on its 4-tuple, tshark makes no stream of it",
		diffs: []string{"0.0.16.64:0 192.168.0.0:256: tshark 0 ours 1"},
	},
	"tcpdump/bigtcp-ipv6.pcap": {
		why:   "IPv6 payload length 0 (BIG TCP): we take the captured length as tcpdump does; tshark makes no stream of it",
		diffs: []string{"[2604:1380:4091:ce00::b]:43267 [2604:1380:4091:ce00::d]:41219: tshark 0 ours 1"},
	},
	"suricata-verify/bug-76.pcap": {
		why:   "a mangled fixture: frame 46 sets SYN with RST, URG, PSH and CWR and a new sequence number; tshark starts a stream at any SYN with a new sequence number, but a segment with RST and SYN opens nothing, so it stays in its connection",
		diffs: []string{"10.10.10.2:53104 10.20.10.99:80: tshark 2 ours 1"},
	},
	"suricata-verify/drop-protocol-change.pcap": {
		why:   "frame 7 has a TCP data offset of 8 octets: tshark cannot read its header and makes a stream of it; its 4-tuple is the connection's, so we keep it there and report bad_data_offset",
		diffs: []string{"10.9.0.2:58038 139.162.123.134:80: tshark 2 ours 1"},
	},
	"suricata-verify/tcp-split-handshake-02-5whs.pcap": {
		why:   "a split handshake: the server answers the client's SYN (ISN 1000) with a bare ACK and then a SYN of its own, which the client answers with a SYN,ACK from the same ISN 1000; tshark starts a stream at the server's SYN, but the client's sequence space goes on, so it is one connection (a simultaneous open in RFC 9293's terms)",
		diffs: []string{"1.1.1.1:12345 2.2.2.2:80: tshark 2 ours 1"},
	},
	"zeek/vlan-collisions.pcap": {
		why:   "the same 4-tuple talks untagged, on VLAN 42 and on QinQ 10/20: three connections, as Zeek logs them; tshark ignores VLANs and makes one stream",
		diffs: []string{"141.142.228.5:59856 192.150.187.43:80: tshark 1 ours 3"},
	},
}

// TestConnectionCountsAgainstTshark compares, for every capture of the
// corpus, how many connections each 4-tuple makes with how many streams
// tshark makes of it: equal but where connCountDifferences says why not.
func TestConnectionCountsAgainstTshark(t *testing.T) {
	agree := 0
	compared, seen := eachTsharkCapture(t, func(t *testing.T, file string, ts *tsharkView, us *ourView) {
		theirs, ours := map[string]int{}, map[string]int{}
		undecoded := 0 // streams whose first frame we take for no TCP segment
		for _, f := range ts.first {
			if k, ok := us.tuple[f]; ok {
				theirs[k]++
			} else {
				undecoded++
			}
		}
		for _, c := range us.conns {
			ours[us.key[c.ID]]++
		}
		var got []string
		for k, n := range theirs {
			if ours[k] != n {
				got = append(got, fmt.Sprintf("%s: tshark %d ours %d", k, n, ours[k]))
			}
		}
		for k, n := range ours {
			if _, ok := theirs[k]; !ok {
				got = append(got, fmt.Sprintf("%s: tshark 0 ours %d", k, n))
			}
		}
		slices.Sort(got)
		if undecoded > 0 {
			got = append(got, fmt.Sprintf("%d streams begin at a frame that is no TCP segment to us", undecoded))
		}
		known := connCountDifferences[file]
		if len(got) == 0 && known.why == "" {
			agree++
		}
		if !slices.Equal(got, known.diffs) {
			t.Errorf("connection counts differ from tshark's streams otherwise than documented\ngot:\n\t%q\nwant (%s):\n\t%q",
				got, known.why, known.diffs)
		}
	})
	for file := range connCountDifferences {
		if !seen[file] {
			t.Errorf("connCountDifferences lists %s, which is not in the corpus", file)
		}
	}
	t.Logf("%d of %d captures: as many connections as tshark has streams, 4-tuple by 4-tuple", agree, compared)
}

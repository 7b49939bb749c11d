package flow_test

// tsharkDifferences lists, for each capture of the corpus where our
// segment events and tshark 4.0.17's tcp.analysis flags differ, every count
// that differs and why. Every other capture agrees on every flag of every
// stream. The reasons, by kind:
//
//   - Capture duplicates: the same packet recorded twice is a copy, which
//     Table.Add drops before the analysis when the capture proves it one
//     (DuplicateWindow); tshark takes the copy for a retransmission, a
//     duplicate ACK or a keep-alive (REFERENCE §6.5, Wireshark GitLab
//     #19463).
//   - Frames we do not decode (a link type or encapsulation we lack):
//     tshark analyses segments we never see.
//   - Malformed packets we decode and tshark does not, or decode to another
//     length.
//   - A SYN,ACK with a new initial sequence number: tshark calls it ports
//     reused (its user's guide says a SYN "not SYN+ACK") and keeps one
//     sequence space across it (a gap, ACKs of unseen segments,
//     retransmissions); we start the sender's sequence space afresh.
//   - Crafted segments that hit tshark's own conventions (zero taken for
//     "not yet seen", the ACK field read without the ACK bit).
var tsharkDifferences = map[string]struct {
	why   string
	diffs []string
}{
	// Capture duplicates: copies the table proves (DuplicateWindow) and
	// drops, which tshark counts as sent again. What it cannot prove a copy
	// it counts as tshark does.
	"zeek/tcp_ssh-dups.pcap": {
		why: "every packet but the handshake's recorded 4 times at one point (same MACs, TTL and time): the 182 copies of the client's data (sent back to back with nothing from the server between: rule 3) and of the server's numbered packets but its first (rule 2) are dropped, tshark's retransmissions, fast retransmissions and duplicate ACKs; the client's pure ACKs and FINs (identification 0) and the server's first ACK (not yet seen numbering) are kept, 96 duplicate ACKs and 2 retransmissions for both (TestCorpusCaptureDuplicates)",
		diffs: []string{
			"stream 0 = conn 1: retransmission tshark 166 ours 2",
			"stream 0 = conn 1: fast_retransmission tshark 92 ours 0",
			"stream 0 = conn 1: duplicate_ack tshark 114 ours 96",
		},
	},
	"zeek/tcp_ctu-64702-888.pcap": {
		why: "every packet recorded twice at one point: the 4 copies the table proves (the server's data, the client's numbered ACKs after its first) are dropped, 1 of tshark's retransmissions, 2 of its duplicate ACKs and 1 of its out-of-order segments; the copies of the SYN,ACK and RST (identification 0), of the server's FIN and the client's first ACK (neither yet seen numbering) are kept and counted as tshark counts them",
		diffs: []string{
			"stream 0 = conn 1: retransmission tshark 3 ours 2",
			"stream 0 = conn 1: out_of_order tshark 2 ours 1",
			"stream 0 = conn 1: duplicate_ack tshark 4 ours 2",
		},
	},
	"wireshark-samplecaptures/telnet-raw.pcap": {
		why: "each data segment from 192.168.0.2 recorded again 1.3 ms later, one octet short (25 copies; the sender numbers its packets: rule 2): a copy of a one-octet segment is one octet below the next expected sequence number, which tshark calls a keep-alive",
		diffs: []string{
			"stream 0 = conn 1: keep_alive tshark 22 ours 0",
		},
	},

	// Frames we do not decode.
	"wireshark-samplecaptures/dns-remoteshell.pcap": {
		why: "every packet is captured twice, once on Ethernet and once in Intel Centrino wireless encapsulation (ethertype 0x2452), with the same IP identification, 0.7 to 18 ms apart: the pairs within DuplicateWindow (5 ms) are copies to us (rule 1 of the copy rule), tshark calls every second sighting a retransmission or a duplicate ACK",
		diffs: []string{
			"stream 2 = conn 3: retransmission tshark 5 ours 4",
			"stream 7 = conn 8: retransmission tshark 11 ours 5",
			"stream 7 = conn 8: duplicate_ack tshark 5 ours 3",
			"stream 1 = conn 2: retransmission tshark 7 ours 3",
			"stream 1 = conn 2: duplicate_ack tshark 4 ours 3",
			"stream 8 = conn 9: retransmission tshark 7 ours 3",
			"stream 8 = conn 9: duplicate_ack tshark 3 ours 2",
		},
	},
	"zeek/vlan-collisions.pcap": {
		why: "the same 4-tuple talks untagged, on VLAN 42 and on QinQ 10/20: three connections to us and to Zeek, one stream to tshark, which ignores VLANs and reads the other two as sent again",
		diffs: []string{
			"141.142.228.5:59856 192.150.187.43:80: streams [0] = conns [1 2 3]: retransmission tshark 18 ours 0",
			"141.142.228.5:59856 192.150.187.43:80: streams [0] = conns [1 2 3]: spurious_retransmission tshark 4 ours 0",
			"141.142.228.5:59856 192.150.187.43:80: streams [0] = conns [1 2 3]: duplicate_ack tshark 1 ours 0",
			"141.142.228.5:59856 192.150.187.43:80: streams [0] = conns [1 2 3]: keep_alive tshark 4 ours 0",
		},
	},

	// Malformed packets.
	"suricata-verify/firewall_tcp-session-decode-malformed-ipv4.pcap": {
		why: "frame 8 has an IPv4 security option of length 2 (RFC 1108 wants at least 3): tshark stops there, we decode the TCP segment behind the options, which moves the sender's next expected sequence number, so its FIN reads as sent again",
		diffs: []string{
			"stream 0 = conn 1: retransmission tshark 0 ours 1",
		},
	},
	"zeek/tcp_reassembly.pcap": {
		why: "frames 7 and 85 declare an IPv4 total length 8 octets beyond the frame on the wire: we take the segment's length from the IP header (1448), tshark from the frame (1440), and the 8 octets shift the comparisons after each (gaps, ACKs of unseen segments, and tshark's fast retransmissions that follow an ACK of an unseen segment)",
		diffs: []string{
			"stream 0 = conn 1: fast_retransmission tshark 3 ours 0",
			"stream 0 = conn 1: lost_segment tshark 8 ours 6",
			"stream 0 = conn 1: ack_lost_segment tshark 7 ours 4",
		},
	},

	// SYN,ACKs with a new initial sequence number.
	"suricata-verify/bug-3286-02-linux-evasion.pcap": {
		why: "the server sends RST and FIN from sequence number 0, then a SYN,ACK from 26175: tshark reports ports reused, a gap before the SYN,ACK and an ACK of unseen data after it; the SYN,ACK starts the server's sequence space for us",
		diffs: []string{
			"stream 0 = conn 1: lost_segment tshark 1 ours 0",
			"stream 0 = conn 1: ack_lost_segment tshark 1 ours 0",
			"stream 0 = conn 1: reused_ports tshark 1 ours 0",
		},
	},
	"suricata-verify/bug-3286-03-windows-evasion.pcap": {
		why: "as bug-3286-02: a SYN,ACK after the server's RST and FIN from another sequence number",
		diffs: []string{
			"stream 0 = conn 1: lost_segment tshark 1 ours 0",
			"stream 0 = conn 1: ack_lost_segment tshark 1 ours 0",
			"stream 0 = conn 1: reused_ports tshark 1 ours 0",
		},
	},
	"suricata-verify/tcp-fastopen-10-syn-data-ignore.pcap": {
		why: "two SYN,ACKs with different ISNs alternate (3212050950 and 97572840, each sent again): tshark calls each change ports reused and keeps one sequence space, so each SYN,ACK after the first reads as a retransmission (and one as a gap); we restart the server's sequence space at each change, so they read as new, and the client's ACK of the other space as an ACK of unseen data",
		diffs: []string{
			"stream 0 = conn 1: retransmission tshark 20 ours 17",
			"stream 0 = conn 1: ack_lost_segment tshark 1 ours 2",
			"stream 0 = conn 1: reused_ports tshark 4 ours 0",
		},
	},
	"zeek/tcp_rst-inject-rae.pcap": {
		why: "a SYN,ACK follows the server's RST from another sequence number: tshark's ports reused",
		diffs: []string{
			"stream 0 = conn 1: reused_ports tshark 1 ours 0",
		},
	},

	// Crafted segments.
	"chrissanders-packets/activeosfingerprinting.pcapng": {
		why: "nmap's OS probes: segments with no flags at all repeat the same acknowledgment field; tshark reads the field without the ACK bit and calls them duplicate ACKs, we take a segment without ACK for no ACK",
		diffs: []string{
			"stream 7 = conn 8: duplicate_ack tshark 3 ours 0",
		},
	},
	"zeek/tcp_syn-then-ack-then-rst.pcap": {
		why: "crafted with sequence and acknowledgment numbers 0: tshark takes 0 for 'not seen yet', so the responder's first segment (seq 0, ack 0) matches its 'next expected' and 'last' values and reads as a window update",
		diffs: []string{
			"stream 0 = conn 1: window_update tshark 1 ours 0",
		},
	},
	"zeek/tcp_syn-then-stuff-then-rst.pcap": {
		why: "as tcp_syn-then-ack-then-rst: numbers 0 that tshark takes for 'not seen yet'",
		diffs: []string{
			"stream 0 = conn 1: window_update tshark 1 ours 0",
		},
	},
}

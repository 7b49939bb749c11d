package capture

import (
	"bufio"
	"errors"
	"io"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"tcpflow-fsm/fsm"
)

// The real-capture corpus lives beside the repository, in
// ../shared/corpus/real from the module root. It is third-party data: read
// in place, never copied here. Tests that need it skip when it is absent.

// corpusDir returns the corpus directory or skips the test.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Skip(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus", "real")
	if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err != nil {
		if os.Getenv("TCPFLOW_CORPUS_REQUIRED") != "" {
			t.Fatalf("TCPFLOW_CORPUS_REQUIRED is set, but the real-capture corpus is missing: %v", err)
		}
		t.Skipf("SKIPPED: the real-capture corpus is not beside the repository (%v); TCPFLOW_CORPUS_REQUIRED=1 makes this a failure", err)
	}
	return c
}

// manifestRow is one row of MANIFEST.tsv.
type manifestRow struct {
	file     string
	linkType string
	packets  int // as tshark 4.0.17 read them
}

func readManifest(t testing.TB, dir string) []manifestRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var rows []manifestRow
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 8 || c[0] == "file" {
			continue
		}
		n, err := strconv.Atoi(c[5])
		if err != nil {
			t.Fatalf("manifest row %q: %v", c[0], err)
		}
		rows = append(rows, manifestRow{file: c[0], linkType: c[4], packets: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// corpusDamage is how a damaged corpus file must end: after packets
// packets, with a FormatError at record and offset saying msg. open means
// the error comes from Open.
type corpusDamage struct {
	open    bool
	packets int
	record  int64
	offset  int64
	msg     string
}

var corpusDamaged = map[string]corpusDamage{
	// Record headers claiming packets of gigabytes or megabytes.
	"suricata-verify/smtp-to-comma.pcap": {false, 18, 19, 3695, "record length 3925868813 exceeds the 256 MiB limit"},
	"suricata-verify/bug-1450-04.pcap":   {false, 6, 7, 5035, "record length 4325376 exceeds the snapshot length 262144"},
	// tshark counts 2 packets here: for a file whose second record is
	// garbage, Wireshark's pcap reader tries the old variants of the format
	// (Kuznetsov's and Nokia's longer record headers) and reads one more
	// bogus packet (1048576 bytes on the wire, 1 captured, a negative
	// time). libpcap (tcpdump) stops at record 2 as we do: "invalid packet
	// capture length 1409179648".
	"suricata-verify/bug-6875-01.pcap": {false, 1, 2, 228, "record length 1409179648 exceeds the 256 MiB limit"},
	// A second section with version 2.0, after one good packet.
	"gopacket/pcapgo_le_test901.pcapng": {false, 1, 2, 480, "unsupported pcapng version 2.0"},
	// Refused at the file header.
	"libpcap/pcap-invalid-version-1.pcap":  {true, 0, 0, 0, "unsupported pcap version 1.4"},
	"libpcap/pcapng-invalid-vers-1.pcapng": {true, 0, 0, 0, "unsupported pcapng version 0.1"},
	"libpcap/pcapng-invalid-vers-2.pcapng": {true, 0, 0, 0, "unsupported pcapng version 1.1"},
	// The first SHB's options overrun it, and so does its trailing length,
	// which we check first.
	"libpcap/shb-option-too-long.pcapng": {true, 0, 0, 0, "block length 52 does not match its trailing copy 808464432"},
}

// corpusCountDiffers lists intact files whose packet count is not the
// manifest's, and why; the count is ours.
var corpusCountDiffers = map[string]int{
	// Link type 182 (MFR): tshark refuses the file, so the manifest says
	// 0. The file is intact; we read its one record and the decoder counts
	// it as unsupported_link_type 182.
	"tcpdump/kday6.pcap": 1,
}

// corpusTCP is how many frames `tshark -r F -Y "tcp && !icmp && !icmpv6"
// | wc -l` counted, for files that exercise each link type, encapsulation
// and oddity; we decode the same.
var corpusTCP = map[string]uint64{
	"zeek/nflog-http.pcap":                          13,
	"suricata-verify/decode-chdlc-01.pcap":          17,
	"libpcap/filter_http_PPI.pcap":                  1,   // and 2 DNS, 2 control frames
	"wireshark-samplecaptures/dns-remoteshell.pcap": 118, // 66 of them in Centrino 802.11 frames
	"zeek/vlan-collisions.pcap":                     42,
	"suricata-verify/bug-4376.pcap":                 254,
	"suricata-verify/bug-3844.pcap":                 8,
	"suricata-verify/decode-too-small.pcap":         0, // GRE headers cut short, on IPv4 and IPv6
	"tcpreplay/test.pcap":                           116,
	"suricata-verify/decode-sll2-01.pcap":           5,
	"pcapplusplus/sll2.pcap":                        3,
	"pcapplusplus/pcapng-example.pcapng":            159,
	"pcapplusplus/many_interfaces-1.pcapng":         32,
	"zeek/http-qinq-0.pcap":                         14,
	"zeek/http-vlan-0.pcap":                         14,
	"zeek/mixed-vlan-mpls.pcap":                     47,
	"pcapplusplus/one_http_stream_rst.pcap":         10, // double VLAN, then PPPoE
	"zeek/irc-353.pcap":                             12,
	"suricata-verify/http-ipv6.pcap":                14,
	"pcapplusplus/nanosecs_big_endian.pcap":         10,
	"suricata-verify/linktype-228.pcap":             7,
	"pcapplusplus/linktype_ipv6.pcap":               1,
	"tcpdump/beep-oobr.pcap":                        1,
	"pcapplusplus/one_ipv6_http_stream.pcap":        19,
	"suricata-verify/tcp-fastopen-05.pcap":          16,
	"tcpdump/tcp-handshake-nano.pcap":               3,
	"zeek/tcp_truncated-header.pcap":                24,
	"zeek/tcp_timestamp.pcap":                       878,
	"zeek/ipv6-http-atomic-frag.pcap":               36,
	"tcpdump/bigtcp-ipv4.pcap":                      1,
	"tcpdump/gso-ipv4.pcap":                         1,
	"zeek/tcp_timeout-with-pings.pcap":              3,
	"wireshark-samplecaptures/vlan.pcap":            185,
	"wireshark-samplecaptures/nfs_bad_stalls.pcap":  7032,
}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	rows := readManifest(t, dir)
	if len(rows) != 182 {
		t.Errorf("manifest has %d rows, want 182", len(rows))
	}
	var total Stats
	full := 0
	for _, row := range rows {
		t.Run(row.file, func(t *testing.T) {
			dmg, damaged := corpusDamaged[row.file]
			r, err := Open(filepath.Join(dir, row.file))
			if damaged && dmg.open {
				checkCorpusError(t, err, dmg)
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer r.Close()
			d := NewDecoder()
			var p Packet
			var s fsm.Segment
			n := 0
			for {
				if err = r.Next(&p); err != nil {
					break
				}
				n++
				if p.Record != int64(n) {
					t.Fatalf("record %d numbered %d", n, p.Record)
				}
				d.Decode(&p, &s)
			}
			st := d.Stats()
			total.Add(&st)
			sum := st.TCP
			for _, c := range st.NotTCP {
				sum += c
			}
			for r, c := range st.Reasons {
				if Reason(r).Dropped() {
					sum += c
				}
			}
			if sum != st.Packets || st.Packets != uint64(n) {
				t.Errorf("%d packets read, %d decoded, outcomes sum to %d", n, st.Packets, sum)
			}
			if damaged {
				if n != dmg.packets {
					t.Errorf("%d packets before the error, want %d", n, dmg.packets)
				}
				checkCorpusError(t, err, dmg)
				return
			}
			if err != io.EOF {
				t.Fatalf("after %d packets: %v", n, err)
			}
			full++
			want := row.packets
			if c, ok := corpusCountDiffers[row.file]; ok {
				want = c
			}
			if n != want {
				t.Errorf("read %d packets, manifest says %d", n, want)
			}
			if want, ok := corpusTCP[row.file]; ok && st.TCP != want {
				t.Errorf("decoded %d TCP segments, tshark %d (counters %v)", st.TCP, want, st.Counters())
			}
		})
	}
	if want := len(rows) - len(corpusDamaged); full != want {
		t.Errorf("%d files read to a clean end, want %d", full, want)
	}
	t.Logf("%d files read fully; totals: %v", full, total.Counters())
}

func checkCorpusError(t *testing.T, err error, dmg corpusDamage) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v, want a *FormatError", err)
	}
	if fe.Record != dmg.record || fe.Offset != dmg.offset || fe.Msg != dmg.msg {
		t.Errorf("error %q\nwant record %d at byte %d: %s", err, dmg.record, dmg.offset, dmg.msg)
	}
}

// corpusZones is, for captures with VLAN tags, how many TCP segments
// tshark 4.0.17 shows with each set of tags (`tshark -r F -Y "tcp &&
// !icmp" -T fields -e vlan.id | sort | uniq -c`), in the zone's words:
// tags outermost first, ID 0 (a priority tag) left out.
var corpusZones = map[string]map[string]int{
	// The same 5-tuple untagged, on VLAN 42 and on QinQ 10/20: Zeek logs
	// three connections.
	"zeek/vlan-collisions.pcap": {"": 14, "vlan 42": 14, "vlan 10.20": 14},
	// VLAN 0 and QinQ 0/0: priority tags only.
	"zeek/http-vlan-0.pcap":                 {"": 14},
	"zeek/http-qinq-0.pcap":                 {"": 14},
	"zeek/mixed-vlan-mpls.pcap":             {"": 33, "vlan 4093": 14},
	"pcapplusplus/one_http_stream_rst.pcap": {"vlan 939.744": 10},
	"wireshark-samplecaptures/vlan.pcap":    {"vlan 32": 185},
	"suricata-verify/bug-3844.pcap":         {"vlan 6": 8},
	// One connection whose client-to-server packets carry VLAN 3136 and
	// whose replies are untagged (a mirror port that tags one direction):
	// Suricata's test of it turns vlan.use-for-tracking off.
	"suricata-verify/bug-4376.pcap": {"": 148, "vlan 3136": 106},
}

// TestCorpusZones decodes the captures of corpusZones and counts their
// segments by zone.
func TestCorpusZones(t *testing.T) {
	dir := corpusDir(t)
	for file, want := range corpusZones {
		t.Run(file, func(t *testing.T) {
			r, err := Open(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			d := NewDecoder()
			got := map[string]int{}
			var p Packet
			var s fsm.Segment
			for r.Next(&p) == nil {
				if d.Decode(&p, &s) {
					got[s.Zone.String()]++
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("segments by zone %v, tshark %v", got, want)
			}
		})
	}
}

// TestCorpusSpotChecks compares a few packets and segments field by field
// with what tshark 4.0.17 shows for them.
func TestCorpusSpotChecks(t *testing.T) {
	dir := corpusDir(t)
	// nth returns record n of a file, decoded if it is TCP.
	nth := func(t *testing.T, file string, n int64) (Packet, fsm.Segment, bool) {
		t.Helper()
		r, err := Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var p Packet
		for {
			if err := r.Next(&p); err != nil {
				t.Fatalf("record %d: %v", n, err)
			}
			if p.Record == n {
				break
			}
		}
		var s fsm.Segment
		ok := NewDecoder().Decode(&p, &s)
		p.Data = nil
		return p, s, ok
	}
	ap := netip.MustParseAddrPort

	t.Run("sll2-syn", func(t *testing.T) {
		p, s, ok := nth(t, "suricata-verify/decode-sll2-01.pcap", 1)
		want := fsm.Segment{Time: p.Time, Src: ap("192.168.1.253:56478"), Dst: ap("192.168.1.21:80"),
			Seq: 2332771219, Flags: fsm.SYN, Window: 64240,
			Opts:  fsm.Options{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, HasTimestamps: true, TSVal: 3317596243},
			Ident: s.Ident, Tap: s.Tap, IPID: 17833, // Ident and Tap are hashes: TestIdent and TestTap test them
			IPLen: 60, // tshark: ip.len 60
			TTL:   64} // tshark: ip.ttl 64
		want.Classify()
		if !ok || p.LinkType != 276 || s != want || s.Ident == 0 || s.Tap == 0 {
			t.Errorf("link type %d, %v:\n got  %+v\n want %+v", p.LinkType, ok, s, want)
		}
	})
	t.Run("null-ipv6-syn", func(t *testing.T) {
		_, s, ok := nth(t, "suricata-verify/http-ipv6.pcap", 1)
		if !ok || s.Src != ap("[::1]:55717") || s.Dst != ap("[::1]:8000") || s.Seq != 296797504 ||
			s.Opts.MSS != 16324 || s.Opts.WScale != 5 || s.Opts.TSVal != 770775250 {
			t.Errorf("%v %+v", ok, s)
		}
	})
	t.Run("snaplen-68-syn", func(t *testing.T) {
		// SYN with ECE and CWR whose options the snapshot length cut
		// after the MSS.
		_, s, ok := nth(t, "zeek/tcp_truncated-header.pcap", 1)
		if !ok || s.Flags != fsm.SYN|fsm.ECE|fsm.CWR || !s.Opts.HasMSS || s.Opts.MSS != 1460 || s.Seq != 1041724894 {
			t.Errorf("%v %+v", ok, s)
		}
	})
	t.Run("pcapng-many-interfaces", func(t *testing.T) {
		p, _, _ := nth(t, "pcapplusplus/many_interfaces-1.pcapng", 3)
		if p.Interface != 10 || p.Time != unix(1439753725, 701568000) || p.OrigLen != 168 {
			t.Errorf("%+v", brief(p))
		}
	})
	t.Run("pcap-nanosecond-big-endian", func(t *testing.T) {
		p, _, _ := nth(t, "pcapplusplus/nanosecs_big_endian.pcap", 1)
		if p.Time != unix(1766361926, 167647291) || p.OrigLen != 74 {
			t.Errorf("%+v", brief(p))
		}
	})
	t.Run("pcapng-example-odd-time", func(t *testing.T) {
		// The file's second packet really is stamped in 2061.
		p, _, _ := nth(t, "pcapplusplus/pcapng-example.pcapng", 2)
		if p.Time != unix(2894531997, 938836488) {
			t.Errorf("%+v", brief(p))
		}
	})
	// One segment of each link type added for issue 14, as tshark shows
	// it (ip.src, tcp.srcport, ip.dst, tcp.dstport, tcp.seq_raw,
	// tcp.len).
	for _, tc := range []struct {
		name, file string
		record     int64
		src, dst   string
		seq        fsm.Seq
		payload    int
	}{
		{"nflog", "zeek/nflog-http.pcap", 1, "10.0.2.15:49762", "93.184.216.34:80", 1060289233, 0},
		{"cisco-hdlc", "suricata-verify/decode-chdlc-01.pcap", 1, "192.168.2.7:4938", "65.55.116.183:80", 2620655980, 0},
		// PPI, 802.11-Common saying the QoS Data frame ends with an FCS.
		{"ppi-80211", "libpcap/filter_http_PPI.pcap", 5, "192.168.1.132:3827", "130.192.73.1:80", 888888568, 0},
		// Ethernet type 0x2452: a protected 802.11 frame the driver
		// decrypted, its WEP IV still in place.
		{"centrino", "wireshark-samplecaptures/dns-remoteshell.pcap", 6, "192.168.1.2:1026", "140.112.253.189:22604", 1395209549, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, s, ok := nth(t, tc.file, tc.record)
			if !ok || s.Src != ap(tc.src) || s.Dst != ap(tc.dst) || s.Seq != tc.seq || s.PayloadLen != tc.payload || !s.Zone.IsZero() {
				t.Errorf("%v %+v", ok, s)
			}
		})
	}
	t.Run("telnet-ip-length-exceeds-frame", func(t *testing.T) {
		// A one-octet keystroke whose frame lost that octet: the IP
		// length says 1 and the next segment starts one octet later.
		_, s, ok := nth(t, "wireshark-samplecaptures/telnet-raw.pcap", 37)
		_, next, _ := nth(t, "wireshark-samplecaptures/telnet-raw.pcap", 41)
		if !ok || s.PayloadLen != 1 || s.Captured != 0 || s.End() != next.Seq {
			t.Errorf("%v %+v, next seq %d", ok, s, next.Seq)
		}
	})
}

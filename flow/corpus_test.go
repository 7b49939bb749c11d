package flow_test

// Capture duplicates in real captures. These tests read files with package
// capture, which package flow itself never imports.

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// corpusDir holds real captures from other projects' test suites, each
// with tshark's view; it lives beside the repository, never inside it.
const corpusDir = "../../shared/corpus/real"

// needCorpus skips the test when the corpus is absent, saying so, or fails
// it when TCPFLOW_CORPUS_REQUIRED is set (CI sets it).
func needCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(corpusDir, "MANIFEST.tsv")); err != nil {
		if os.Getenv("TCPFLOW_CORPUS_REQUIRED") != "" {
			t.Fatalf("TCPFLOW_CORPUS_REQUIRED is set, but the real-capture corpus is missing: %v", err)
		}
		t.Skipf("SKIPPED: the real-capture corpus is not beside the repository (%v); TCPFLOW_CORPUS_REQUIRED=1 makes this a failure", err)
	}
}

type collector struct{ conns []*flow.Conn }

func (c *collector) Event(*flow.Conn, *flow.Event)        {}
func (*collector) Segment(*flow.Conn, *flow.SegmentEvent) {}
func (c *collector) Done(conn *flow.Conn)                 { c.conns = append(c.conns, conn) }

// dropped is a segment the table took for a copy, with the segments its
// sender sent just before it.
type dropped struct {
	seg    fsm.Segment
	before []fsm.Segment
}

// replay reads a capture, passes the packets keep accepts (all if nil) to
// a table and returns the table, its finished connections and the
// segments it dropped as copies.
func replay(t *testing.T, file string, keep func(*capture.Packet) bool) (*flow.Table, []*flow.Conn, []dropped) {
	t.Helper()
	needCorpus(t)
	rd, err := capture.Open(filepath.Join(corpusDir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var (
		sink   collector
		tb     = flow.NewTable(flow.Config{Timeline: true}, &sink)
		dec    = capture.NewDecoder()
		p      capture.Packet
		seg    fsm.Segment
		drops  []dropped
		recent []fsm.Segment
	)
	for {
		if err := rd.Next(&p); err != nil {
			break // the end, or damage: what was read is analysed
		}
		if keep != nil && !keep(&p) || !dec.Decode(&p, &seg) {
			continue
		}
		n := tb.Stats.Duplicates
		tb.Add(&seg)
		if tb.Stats.Duplicates > n {
			drops = append(drops, dropped{seg, slices.Clone(recent)})
			continue
		}
		recent = append(recent, seg)
		if len(recent) > 8 {
			recent = recent[1:]
		}
	}
	tb.Close()
	return tb, sink.conns, drops
}

// frameCopies is an oracle independent of the Ident: it keeps an Ethernet
// frame unless its IPv4 packet repeats one of the 4 packets before it (as
// editcap -d compares frames), the TTL and header checksum aside, or is
// such a packet cut short by one or more octets at its end. It counts the
// frames it rejects.
type frameCopies struct {
	prev    [][]byte
	removed int
}

func (f *frameCopies) keep(p *capture.Packet) bool {
	if p.LinkType != capture.LinkTypeEthernet || len(p.Data) < 14+20 {
		return true
	}
	ip := bytes.Clone(p.Data[14:])
	ip[8], ip[10], ip[11] = 0, 0, 0 // TTL, header checksum
	for _, q := range f.prev {
		if len(ip) <= len(q) && bytes.Equal(ip, q[:len(ip)]) && bytes.Equal(ip[2:4], q[2:4]) {
			f.removed++
			return false
		}
	}
	f.prev = append(f.prev, ip)
	if len(f.prev) > 4 {
		f.prev = f.prev[1:]
	}
	return true
}

// TestCorpusCaptureDuplicates runs captures whose packets were recorded
// more than once, each at one point (the same MAC addresses, TTL and, but
// in telnet-raw, time): the frame oracle rejects every repeat. The table
// drops only the repeats the capture proves copies (DuplicateWindow), each
// one of the oracle's; the others it counts as sendings, as tshark does.
//
//   - zeek/tcp_ctu-64702-888.pcap: every packet twice, 0 or 1 µs apart but
//     the last RST, 241 µs. Copies: the server's data (both rule 2 and 3)
//     and the client's ACKs after its first (it numbers its packets, 19829,
//     19830...: rule 2). Kept: the SYN,ACK and the RST (identification 0,
//     no data), the client's first ACK and the server's FIN (each the
//     first numbered packet of its sender: nothing shows it numbering yet).
//   - zeek/tcp_ssh-dups.pcap: every packet but the handshake's 4 times (the
//     FINs 3 times), at the same microsecond. Copies: the macOS client's
//     data (identification 0, but data sent back to back with nothing from
//     the server between: rule 3), the server's packets after its first
//     ACK (rule 2). Kept: the client's pure ACKs and FIN, the server's
//     first ACK.
//   - wireshark-samplecaptures/telnet-raw.pcap: each data segment from
//     192.168.0.2 again 1.2 to 1.3 ms later, one octet short of it (the
//     frame was cut on the wire), with the same identification (the
//     sender numbers its packets: rule 2) and TSval. All are copies, and
//     the connection reads as it does with them removed.
func TestCorpusCaptureDuplicates(t *testing.T) {
	for _, tc := range []struct {
		file          string
		repeats, kept int
	}{
		{"zeek/tcp_ctu-64702-888.pcap", 8, 4},
		{"zeek/tcp_ssh-dups.pcap", 280, 98},
		{"wireshark-samplecaptures/telnet-raw.pcap", 25, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tb, got, drops := replay(t, tc.file, nil)
			var oracle frameCopies
			rejected := map[string]int{}
			dec := capture.NewDecoder()
			clean, want, _ := replay(t, tc.file, func(p *capture.Packet) bool {
				if oracle.keep(p) {
					return true
				}
				var s fsm.Segment
				if dec.Decode(p, &s) {
					rejected[segKey(&s)]++
				}
				return false
			})
			copies := tc.repeats - tc.kept
			if oracle.removed != tc.repeats || tb.Stats.Duplicates != copies || len(drops) != copies {
				t.Errorf("the table dropped %d copies, the oracle %d repeats; want %d and %d", tb.Stats.Duplicates, oracle.removed, copies, tc.repeats)
			}
			for _, d := range drops {
				if k := segKey(&d.seg); rejected[k] > 0 {
					rejected[k]--
				} else {
					t.Errorf("dropped %+v, which the oracle keeps", d.seg)
				}
			}
			if clean.Stats.Duplicates != 0 {
				t.Errorf("%d duplicates left once the repeats are removed", clean.Stats.Duplicates)
			}
			sum := 0
			for _, g := range got {
				sum += int(g.Duplicates)
			}
			if sum != copies {
				t.Errorf("connections count %d duplicates, want %d", sum, copies)
			}
			if tc.kept > 0 {
				return
			}
			if len(got) != len(want) {
				t.Fatalf("%d connections, %d without the copies", len(got), len(want))
			}
			for i, g := range got {
				w := want[i]
				for _, s := range []fsm.Side{fsm.A, fsm.B} {
					if g.FSM.Endpoint(s).State != w.FSM.Endpoint(s).State {
						t.Errorf("conn %d side %v ends %v, %v without the copies", g.ID, s, g.FSM.Endpoint(s).State, w.FSM.Endpoint(s).State)
					}
				}
				if g.Packets != w.Packets || g.Bytes != w.Bytes || g.Violations != w.Violations {
					t.Errorf("conn %d: packets %v bytes %v violations %d; without the copies %v %v %d",
						g.ID, g.Packets, g.Bytes, g.Violations, w.Packets, w.Bytes, w.Violations)
				}
				if !slices.Equal(g.Events(), w.Events()) || !slices.Equal(g.Timeline(), w.Timeline()) {
					t.Errorf("conn %d: events or timeline differ from those without the copies", g.ID)
				}
			}
		})
	}
}

// segKey names a segment by its time, sender and Ident.
func segKey(s *fsm.Segment) string {
	return s.Time.String() + " " + s.Src.String() + " " + strconv.FormatUint(s.Ident, 16)
}

// TestCorpusIdenticalSendingsAreNotCopies runs captures in which a sender
// sent identical segments for real, which the table once dropped as copies:
// none may be taken for one, and the retransmissions and duplicate ACKs
// must be counted as tshark counts them. Each file must hold segments
// repeating one of their sender's last 4 within DuplicateWindow, or the
// test proves nothing.
//
//   - suricata-verify/http-range-multiflows.pcap: macOS on loopback
//     (DLT_NULL: BPF records each packet once), identification 0. In its
//     simultaneous closes an end sends its FIN,ACK three times and its
//     ACK of the peer's FIN three times, 4 to 15 µs apart (12 repeats):
//     tshark's retransmissions and duplicate ACKs.
//   - stopddos/amp.TCP.reflection.SYNACK.pcap: a SYN,ACK sent twice 5 µs
//     apart, identification 0, no options to tell them apart (a reflector
//     answering a SYN flood's repeated SYNs).
//   - stopddos/amp.TCP.syn.optionallyACK.optionallysamePort.pcap: a SYN,ACK
//     sent twice 1 µs apart with identification 56748, the only packets of
//     that sender on the connection: nothing shows that it numbers its
//     packets, so the capture cannot prove the second a copy.
func TestCorpusIdenticalSendingsAreNotCopies(t *testing.T) {
	for _, tc := range []struct {
		file    string
		repeats int
	}{
		{"suricata-verify/http-range-multiflows.pcap", 12},
		{"stopddos/amp.TCP.reflection.SYNACK.pcap", 1},
		{"stopddos/amp.TCP.syn.optionallyACK.optionallysamePort.pcap", 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			recent := map[string][]fsm.Segment{} // by sender: its last 4
			n := 0
			tb, _, _ := replay(t, tc.file, func(p *capture.Packet) bool {
				var s fsm.Segment
				if !capture.NewDecoder().Decode(p, &s) {
					return true
				}
				k := s.Src.String() + " " + s.Dst.String()
				if slices.ContainsFunc(recent[k], func(b fsm.Segment) bool { return repeats(&s, &b) }) {
					n++
				}
				recent[k] = append(recent[k], s)
				if len(recent[k]) > 4 {
					recent[k] = recent[k][1:]
				}
				return true
			})
			if n != tc.repeats {
				t.Errorf("%d segments repeat one of their sender's, want %d", n, tc.repeats)
			}
			if tb.Stats.Duplicates != 0 {
				t.Errorf("%d segments taken for copies", tb.Stats.Duplicates)
			}
			path := filepath.Join(corpusDir, tc.file)
			ts, err := readTsharkTxt(strings.TrimSuffix(path, filepath.Ext(path)) + ".tshark.txt")
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]bool{}
			for _, f := range ts.first {
				want[f] = true
			}
			if d := compareViews(ts, replayFrames(t, path, want), newTally()); len(d) > 0 {
				t.Errorf("differences from tshark: %q", d)
			}
		})
	}
}

// TestCorpusRetransmissionsAreNotDuplicates runs captures of real
// retransmissions: none may be taken for a copy. Each file must hold a
// segment sent again (the same sequence space from the same sender), or
// the test proves nothing.
//
//   - chrissanders-packets/tcp_retransmissions.pcapng: a data segment sent
//     5 times with exponential backoff, a new identification each time;
//   - chrissanders-packets/nowebaccess2.pcapng: a SYN sent again 0.5 s later;
//   - zeek/tcp_reassembly.pcap: data sent again 80 to 90 ms later, without
//     timestamps, with a new identification;
//   - zeek/tcp_retransmit-timeout.pcapng: a data segment repeated to the bit,
//     identification included, 300 s later, after the peer's ACK;
//   - zeek/tcp_fin_retransmission.pcap: a FIN sent again, with ACK this time;
//   - suricata-verify/bug-4376.pcap: a SYN sent again with a new TSval, and
//     data sent again after SACKs;
//   - wireshark-samplecaptures/v6.pcap: IPv6 (no identification), FINs sent
//     again 13.5 and 42.8 ms later with the TSval of the first sending and
//     even the same checksum (the ACK went up by one, the window down by
//     one); the ACK and window themselves differ;
//   - pcapplusplus/sll2.pcap: a FIN sent again, in a LINUX_SLL2 capture.
//
// In zeek/tcp_retransmit-timeout.pcapng the segment sent again has the
// Ident of its first sending (the test checks that this is so): the time
// between them, and the peer's ACK between them, each tell them apart.
func TestCorpusRetransmissionsAreNotDuplicates(t *testing.T) {
	for _, tc := range []struct {
		file      string
		sameIdent bool // some segment sent again has its first sending's Ident
	}{
		{"chrissanders-packets/tcp_retransmissions.pcapng", false},
		{"chrissanders-packets/nowebaccess2.pcapng", false},
		{"zeek/tcp_reassembly.pcap", false},
		{"zeek/tcp_retransmit-timeout.pcapng", true},
		{"zeek/tcp_fin_retransmission.pcap", false},
		{"suricata-verify/bug-4376.pcap", false},
		{"wireshark-samplecaptures/v6.pcap", false},
		{"pcapplusplus/sll2.pcap", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			type space struct {
				src string
				seq fsm.Seq
				n   uint32
			}
			first := map[space]uint64{} // the Ident of the first sending
			again, sameIdent := 0, 0
			tb, conns, _ := replay(t, tc.file, func(p *capture.Packet) bool {
				var s fsm.Segment
				if capture.NewDecoder().Decode(p, &s) && s.LEN() > 0 {
					k := space{s.Src.String(), s.Seq, s.LEN()}
					if id, ok := first[k]; ok {
						again++
						if id == s.Ident {
							sameIdent++
						}
					} else {
						first[k] = s.Ident
					}
				}
				return true
			})
			if again == 0 {
				t.Fatal("no segment is sent again: the file proves nothing")
			}
			if (sameIdent > 0) != tc.sameIdent {
				t.Errorf("%d of %d segments sent again have the Ident of the first sending", sameIdent, again)
			}
			if tb.Stats.Duplicates != 0 {
				t.Errorf("%d of %d segments sent again taken for copies", tb.Stats.Duplicates, again)
			}
			for _, c := range conns {
				if c.Duplicates != 0 {
					t.Errorf("conn %d counts %d duplicates", c.ID, c.Duplicates)
				}
			}
		})
	}
}

// TestCorpusDroppedAreRepeats runs every capture of the corpus: each segment
// dropped as a copy repeats, in every field the decoder fills, a segment
// its sender sent at most DuplicateWindow before (or after: the copy may
// come first in time) among the few before it. The Ident stands for those
// fields; this checks that it never joins two that differ.
func TestCorpusDroppedAreRepeats(t *testing.T) {
	needCorpus(t)
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.pcap*"))
	if len(files) < 100 {
		t.Fatalf("only %d captures in the corpus", len(files))
	}
	total := 0
	for _, path := range files {
		file, _ := filepath.Rel(corpusDir, path)
		rd, err := capture.Open(path)
		if err != nil {
			continue // damaged files are the command's tests' business
		}
		rd.Close()
		t.Run(file, func(t *testing.T) {
			_, _, drops := replay(t, file, nil)
			total += len(drops)
			for _, d := range drops {
				if !slices.ContainsFunc(d.before, func(b fsm.Segment) bool { return repeats(&d.seg, &b) }) {
					t.Errorf("dropped %+v, which repeats none of the segments before it", d.seg)
				}
			}
		})
	}
	if total == 0 {
		t.Error("no copy in the whole corpus: the test proves nothing")
	}
}

// repeats reports whether s repeats b: the same sender and receiver, the
// same decoded fields, captured within the window of each other.
func repeats(s, b *fsm.Segment) bool {
	d := s.Time.Sub(b.Time)
	return s.Src == b.Src && s.Dst == b.Dst && s.Seq == b.Seq && s.Ack == b.Ack && s.Flags == b.Flags &&
		s.Window == b.Window && s.PayloadLen == b.PayloadLen && s.Opts == b.Opts && s.Ident == b.Ident &&
		max(d, -d) <= flow.DuplicateWindow
}

package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"tcpflow-fsm/capture"
)

// records returns the byte offsets of a little-endian classic pcap's
// packet records.
func records(b []byte) []int {
	var offs []int
	for off := 24; off+16 <= len(b); {
		offs = append(offs, off)
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
	}
	return offs
}

// TestDamagedFiles: each kind of damage a capture file can have. A file
// that cannot be read to its end gets one line on stderr naming the file,
// the record and the byte offset, exit status 1, and everything read
// before the damage still analysed and reported (with "capture
// incomplete"); damage the reader can step over is analysed to the end.
// The README's table of damaged files lists these cases.
func TestDamagedFiles(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(goldenDir, "close-client-first.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	offs := records(good) // 11 records
	with := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	le := binary.LittleEndian
	for _, tc := range []struct {
		name    string
		data    []byte
		exit    int
		stderr  string // what the one line says, "" for none
		packets int    // packets analysed
	}{
		{"bad magic", with(func(b []byte) []byte { b[0] = 0; return b }), 1, "x.pcap: at byte 0: ", 0},
		{"file header cut short", good[:10], 1, "x.pcap: at byte 0: ", 0},
		{"cut in the middle of a record", good[:len(good)-30], 1,
			"x.pcap: record 11 at byte 872: ", 10},
		{"cut in a record header", good[:offs[6]+8], 1, "x.pcap: record 7 at byte 544: ", 6},
		{"garbage after a valid header", append(good[:24:24], []byte(strings.Repeat("garbage!", 40))...), 1,
			"x.pcap: record 1 at byte 24: ", 0},
		{"record longer than 256 MiB", with(func(b []byte) []byte { le.PutUint32(b[offs[4]+8:], 300<<20); return b }), 1,
			"x.pcap: record 5 at byte 374: ", 4},
		{"record longer than the snapshot length", with(func(b []byte) []byte {
			le.PutUint32(b[16:], 64) // snaplen 64, records up to 74 octets
			le.PutUint32(b[offs[3]+8:], 300000)
			return b
		}), 1, "x.pcap: record 4 at byte 286: ", 3},
		{"zero-length record", with(func(b []byte) []byte {
			rec := make([]byte, 16)
			copy(rec, b[offs[2]:offs[2]+8])
			return append(b[:offs[3]:offs[3]], append(rec, b[offs[3]:]...)...)
		}), 0, "", 12},
		{"timestamps going backwards", with(func(b []byte) []byte {
			le.PutUint32(b[offs[5]:], le.Uint32(b[offs[0]:])-100)
			return b
		}), 0, "", 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.pcap")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCmd([]string{"-r", path}, nil)
			if code != tc.exit {
				t.Errorf("exit %d, want %d", code, tc.exit)
			}
			if tc.stderr == "" {
				if stderr != "" {
					t.Errorf("stderr %q, want none", stderr)
				}
			} else if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q, want one line with %q", stderr, tc.stderr)
			}
			if tc.packets > 0 || tc.exit == 0 {
				want := "capture: " + strconv.Itoa(tc.packets) + " packets read"
				if !strings.Contains(stdout, want) {
					t.Errorf("want %q in:\n%s", want, stdout)
				}
				if (tc.exit == 1) != strings.Contains(stdout, "capture incomplete: ") {
					t.Errorf("the report must say the capture is incomplete exactly when it is")
				}
			}
		})
	}
}

// A pcapng block whose length lies: the error names the packet record and
// the block's offset; the packets before it are analysed.
func TestPcapngBlockLengthLies(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(goldenDir, "any-sll2.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	// Walk the blocks to the third Enhanced Packet Block (type 6).
	off, epb := 0, 0
	for off+8 <= len(b) {
		if le.Uint32(b[off:]) == 6 {
			if epb++; epb == 3 {
				break
			}
		}
		off += int(le.Uint32(b[off+4:]))
	}
	le.PutUint32(b[off+4:], le.Uint32(b[off+4:])+4)
	path := filepath.Join(t.TempDir(), "x.pcapng")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd([]string{"-r", path}, nil)
	want := "x.pcapng: record 3 at byte " + strconv.Itoa(off) + ": "
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
	if !strings.Contains(stdout, "capture: 2 packets read") {
		t.Errorf("the two packets before the damage must be analysed:\n%s", stdout)
	}
}

// A pcapng packet whose 64-bit stamp lies centuries away: analysed at the
// nearest time the analysis holds, and counted as the note
// timestamp_out_of_range, in text and JSON.
func TestPcapngTimestampOutOfRange(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(goldenDir, "any-sll2.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	epbs := 0
	for off := 0; off+8 <= len(b); off += int(le.Uint32(b[off+4:])) {
		if le.Uint32(b[off:]) == 6 {
			if epbs++; epbs == 3 {
				le.PutUint32(b[off+12:], 0xFFFFFFFF) // the stamp's high word
			}
		}
	}
	path := filepath.Join(t.TempDir(), "x.pcapng")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd([]string{"-r", path, "--summary"}, nil)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := "capture: " + strconv.Itoa(epbs) + " packets read"
	if !strings.Contains(stdout, want) || !regexp.MustCompile(`note +timestamp_out_of_range +1\n`).MatchString(stdout) {
		t.Errorf("want %q and the note counted once in:\n%s", want, stdout)
	}
	code, stdout, _ = runCmd([]string{"-r", path, "--json"}, nil)
	if code != 0 || !strings.Contains(stdout, `"timestamp_out_of_range":1`) {
		t.Errorf("exit %d; JSON without the note:\n%s", code, stdout)
	}
}

// ngBlock appends a little-endian pcapng block of the given type and body
// (a multiple of 4 bytes long) to b.
func ngBlock(b []byte, btype uint32, body []byte) []byte {
	le := binary.LittleEndian
	total := uint32(12 + len(body))
	b = le.AppendUint32(le.AppendUint32(b, btype), total)
	return le.AppendUint32(append(b, body...), total)
}

// Issue 15: a filter valid for one interface of a pcapng file but not for
// another's link type (no Ethernet addresses on raw IP) once failed
// midway with "bad filter", exit 2, losing what was analysed. The other
// interface's packets are now skipped, counted as filter_not_applicable,
// and said once.
func TestFilterNotApplicableToAnInterface(t *testing.T) {
	rd, err := capture.Open(filepath.Join(goldenDir, "any-sll2.eth.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	le := binary.LittleEndian
	// A section, interface 0 Ethernet, interface 1 raw IP (LINKTYPE_RAW).
	shb := le.AppendUint16(le.AppendUint16(le.AppendUint32(nil, 0x1a2b3c4d), 1), 0)
	ng := ngBlock(nil, 0x0a0d0d0a, le.AppendUint64(shb, ^uint64(0)))
	ng = ngBlock(ng, 1, le.AppendUint32(le.AppendUint32(nil, capture.LinkTypeEthernet), 0))
	ng = ngBlock(ng, 1, le.AppendUint32(le.AppendUint32(nil, capture.LinkTypeRaw), 0))
	epb := func(ifid uint32, p *capture.Packet, data []byte) {
		us := uint64(p.Time.Time().UnixMicro())
		b := le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, ifid), uint32(us>>32)), uint32(us))
		b = le.AppendUint32(le.AppendUint32(b, uint32(len(data))), uint32(len(data)))
		b = append(b, data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		ng = ngBlock(ng, 6, b)
	}
	var p capture.Packet
	n := 0
	for rd.Next(&p) == nil {
		if et := binary.BigEndian.Uint16(p.Data[12:]); p.LinkType != capture.LinkTypeEthernet || et != 0x0800 && et != 0x86dd {
			t.Fatalf("packet %d is not bare Ethernet", p.Record)
		}
		// Each packet on both interfaces: the raw IP copy comes second,
		// midway through the file from the first on.
		epb(0, &p, p.Data)
		epb(1, &p, p.Data[14:])
		n++
	}
	path := filepath.Join(t.TempDir(), "two-links.pcapng")
	if err := os.WriteFile(path, ng, 0o644); err != nil {
		t.Fatal(err)
	}
	filter := []string{"not", "ether", "broadcast", "and", "tcp", "port", "9014"}
	code, stdout, stderr := runCmd(append([]string{"-r", path, "--summary"}, filter...), nil)
	want := "tcpflow-fsm: the filter does not apply to link type 101 ("
	if code != 0 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "filter_not_applicable") {
		t.Errorf("exit %d, stderr %q; want 0 and one line %q...", code, stderr, want)
	}
	if !strings.Contains(stdout, "capture: "+strconv.Itoa(2*n)+" packets read, "+strconv.Itoa(n)+" TCP segments, "+strconv.Itoa(n)+" not decoded; connections: 1\n") ||
		!regexp.MustCompile(`dropped +filter_not_applicable +`+strconv.Itoa(n)+`\n`).MatchString(stdout) {
		t.Errorf("want the Ethernet interface's %d packets analysed, the raw IP one's counted:\n%s", n, stdout)
	}
	code, stdout, _ = runCmd(append([]string{"-r", path, "--json"}, filter...), nil)
	if code != 0 || !strings.Contains(stdout, `"filter_not_applicable":`+strconv.Itoa(n)) || strings.Count(stdout, `"type":"conn"`) != 1 {
		t.Errorf("JSON: exit %d:\n%s", code, stdout)
	}
}

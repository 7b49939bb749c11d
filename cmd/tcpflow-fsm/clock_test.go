package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 15, item 5: a duration flag out of its range is a usage error that
// says the range, not a loop or a wrapped timer.
func TestDurationFlagRanges(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-r", "x", "--time-wait", "2500000h"}, "--time-wait takes a duration above 0 and at most 24h"},
		{[]string{"-r", "x", "--time-wait", "600000h"}, "--time-wait takes a duration above 0 and at most 24h"},
		{[]string{"-r", "x", "--time-wait", "-1s"}, "--time-wait takes a duration above 0 and at most 24h"},
		{[]string{"-r", "x", "--idle-timeout", "2500000h"}, "--idle-timeout takes a duration from 0 to 168h (a week)"},
		{[]string{"-r", "x", "--idle-timeout", "-5m"}, "--idle-timeout takes a duration from 0 to 168h (a week)"},
		{[]string{"-i", "lo", "--stats", "25h"}, "--stats takes an interval from 10ms to 24h"},
		{[]string{"-i", "lo", "--stats", "1ms"}, "--stats takes an interval from 10ms to 24h"},
	} {
		code, _, stderr := runCmd(tc.args, nil)
		if code != 2 || stderr != "tcpflow-fsm: "+tc.want+"\n" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and the one line %q", tc.args, code, stderr, tc.want)
		}
	}
	// The largest values are taken.
	name := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(name, closesPcap(5, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--time-wait", "24h"}, {"--idle-timeout", "168h"}} {
		code, out, stderr := runCmd(append([]string{"-r", name, "--summary"}, args...), nil)
		if code != 0 || !strings.Contains(out, "connections") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// Issue 15, item 2, through the command: a packet stamped 2106 amid 2,000
// short connections leaves the summary as the clean capture's but for the
// note clock_jump, with one worker or several.
func TestStrayTimestampSummary(t *testing.T) {
	dir := t.TempDir()
	clean, stray := filepath.Join(dir, "clean.pcap"), filepath.Join(dir, "stray.pcap")
	const n = 2000
	if err := os.WriteFile(clean, closesPcap(n, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stray, closesPcap(n, map[int]uint32{3*n + 2: 0xffffffff}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []string{"1", "4"} {
		_, want, _ := runCmd([]string{"-r", clean, "--summary", "--workers", workers}, nil)
		code, got, stderr := runCmd([]string{"-r", stray, "--summary", "--workers", workers}, nil)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(want, "TIME-WAIT") {
			t.Fatalf("clean summary without TIME-WAIT:\n%s", want)
		}
		note := regexpLine(got, "clock_jump")
		if !strings.HasSuffix(strings.TrimSpace(note), " 1") {
			t.Errorf("workers %s: clock_jump line %q", workers, note)
		}
		// The stray packet's own time shows in its connection's row;
		// everything else is as in the clean capture.
		if d := diffLines(want, got); d > 3 {
			t.Errorf("workers %s: %d lines differ from the clean capture's summary:\n%s", workers, d, got)
		}
	}
}

func regexpLine(s, word string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, word) {
			return line
		}
	}
	return ""
}

// diffLines counts the lines of b not in a.
func diffLines(a, b string) int {
	have := map[string]int{}
	for line := range strings.Lines(a) {
		have[line]++
	}
	d := 0
	for line := range strings.Lines(b) {
		if have[line] > 0 {
			have[line]--
		} else {
			d++
		}
	}
	return d
}

// closesPcap returns a pcap (Ethernet, IPv4) of n connections, 100 ms
// apart, each opened and closed by its client in 6 segments 1 ms apart;
// stamp sets the seconds of the packets it names (by index from 0).
func closesPcap(n int, stamp map[int]uint32) []byte {
	b := pcapHeader()
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	idx := 0
	put := func(at time.Time, src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte) {
		sec := uint32(at.Unix())
		if s, ok := stamp[idx]; ok {
			sec = s
		}
		idx++
		b = appendTCPRecord(b, sec, uint32(at.Nanosecond()/1000), src, dst, sport, dport, seq, ack, flags)
	}
	const syn, fin, ack = 0x02, 0x01, 0x10
	server := [4]byte{192, 168, 0, 1}
	for i := range n {
		client := [4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}
		cp := uint16(1024 + i)
		iss, irs := uint32(i)*7919, uint32(i)*104729
		at := start.Add(time.Duration(i) * 100 * time.Millisecond)
		ms := func(k int) time.Time { return at.Add(time.Duration(k) * time.Millisecond) }
		put(ms(0), client, server, cp, 80, iss, 0, syn)
		put(ms(1), server, client, 80, cp, irs, iss+1, syn|ack)
		put(ms(2), client, server, cp, 80, iss+1, irs+1, ack)
		put(ms(3), client, server, cp, 80, iss+1, irs+1, fin|ack)
		put(ms(4), server, client, 80, cp, irs+1, iss+2, fin|ack)
		put(ms(5), client, server, cp, 80, iss+2, irs+2, ack)
	}
	return b
}

// pcapHeader is the file header of a pcap of Ethernet frames, in
// microseconds, with a snapshot length of 262144.
func pcapHeader() []byte {
	var hdr [24]byte
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], 1) // Ethernet
	return hdr[:]
}

// appendTCPRecord appends a pcap record of an Ethernet frame holding an
// IPv4 TCP segment without payload or options, window 65535, stamped
// sec and usec.
func appendTCPRecord(b []byte, sec, usec uint32, src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte) []byte {
	var rec [16 + 54]byte
	binary.LittleEndian.PutUint32(rec[0:], sec)
	binary.LittleEndian.PutUint32(rec[4:], usec)
	binary.LittleEndian.PutUint32(rec[8:], 54)
	binary.LittleEndian.PutUint32(rec[12:], 54)
	eth := rec[16:]
	copy(eth[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(eth[6:12], []byte{2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(eth[12:], 0x0800)
	ip := eth[14:34]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], 40)
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	binary.BigEndian.PutUint16(ip[10:], ipSum(ip))
	tcp := eth[34:54]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12], tcp[13] = 5<<4, flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	return append(b, rec[:]...)
}

// ipSum is the IPv4 header checksum (memory_test.go, built without
// -race only, uses it too).
func ipSum(h []byte) uint16 {
	var s uint32
	for i := 0; i < len(h); i += 2 {
		s += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

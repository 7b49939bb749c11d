package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clientClosesPcap returns a pcap of n connections to 192.168.0.1:80, 20 ms
// apart, each a handshake and a close from the client in 6 segments, so
// that the client ends in TIME-WAIT; the clients are hosts 10.1.0.1 and
// up, connection i from host i%hosts, port 20000+i.
func clientClosesPcap(n, hosts int) []byte {
	b := pcapHeader()
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	server := [4]byte{192, 168, 0, 1}
	const syn, fin, ack = 0x02, 0x01, 0x10
	for i := range n {
		h := i % hosts
		client := [4]byte{10, 1, byte(h / 250), byte(h%250 + 1)}
		cp := uint16(20000 + i)
		iss, irs := uint32(i)*7919, uint32(i)*104729
		at := start.Add(time.Duration(i) * 20 * time.Millisecond)
		put := func(k int, src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte) {
			t := at.Add(time.Duration(k) * time.Millisecond)
			b = appendTCPRecord(b, uint32(t.Unix()), uint32(t.Nanosecond()/1000), src, dst, sport, dport, seq, ack, flags)
		}
		put(0, client, server, cp, 80, iss, 0, syn)
		put(1, server, client, 80, cp, irs, iss+1, syn|ack)
		put(2, client, server, cp, 80, iss+1, irs+1, ack)
		put(3, client, server, cp, 80, iss+1, irs+1, fin|ack)
		put(4, server, client, 80, cp, irs+1, iss+2, fin|ack)
		put(5, client, server, cp, 80, iss+2, irs+2, ack)
	}
	return b
}

// TestTimeWaitPileUp checks that time_wait is a finding only when the
// TIME-WAIT endpoints of one host toward one server port reach --pileup:
// a thousand from one client fires it, naming the client and the server;
// 999 does not, nor do a thousand spread over a thousand clients.
func TestTimeWaitPileUp(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n, hosts int) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, clientClosesPcap(n, hosts), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	one1000, one999, many := write("one1000.pcap", 1000, 1), write("one999.pcap", 999, 1), write("many.pcap", 1000, 1000)
	timeWait := func(args ...string) map[string]any {
		recs, _ := analyseJSON(t, args...)
		for _, r := range recs {
			if r["type"] == "finding" && r["code"] == "time_wait" {
				return r
			}
		}
		return nil
	}
	f := timeWait("-r", one1000)
	if f == nil {
		t.Fatal("1000 endpoints of one client in TIME-WAIT toward one port: no time_wait finding")
	}
	detail, _ := f["detail"].(string)
	if f["count"] != 1000.0 || f["target"] != "192.168.0.1:80" || !strings.Contains(detail, "1000 endpoints of 10.1.0.1 (the client") {
		t.Errorf("finding %v", f)
	}
	if f := timeWait("-r", one999); f != nil {
		t.Errorf("999 endpoints, under --pileup's default: %v", f)
	}
	if f := timeWait("-r", many); f != nil {
		t.Errorf("1000 endpoints of 1000 clients: %v", f)
	}
	if f := timeWait("-r", one999, "--pileup", "999"); f == nil || f["count"] != 999.0 {
		t.Errorf("--pileup 999 on 999 endpoints: %v", f)
	}
	if code, _, stderr := runCmd([]string{"-r", one999, "--pileup", "0"}, nil); code != exitUsage || !strings.Contains(stderr, "--pileup") {
		t.Errorf("--pileup 0: exit %d, %q", code, stderr)
	}
}

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

// halfClosePcap returns a pcap in which a client closes its side of a
// connection and the server acknowledges the FIN but never closes its own
// (CLOSE-WAIT; the client FIN-WAIT-2), and another connection's handshake
// comes quiet later: the end of the capture.
func halfClosePcap(quiet time.Duration) []byte {
	b := pcapHeader()
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	client, other, server := [4]byte{10, 1, 0, 1}, [4]byte{10, 1, 0, 2}, [4]byte{192, 168, 0, 1}
	const syn, fin, ack = 0x02, 0x01, 0x10
	put := func(at time.Duration, src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte) {
		t := start.Add(at)
		b = appendTCPRecord(b, uint32(t.Unix()), uint32(t.Nanosecond()/1000), src, dst, sport, dport, seq, ack, flags)
	}
	ms := time.Millisecond
	put(0, client, server, 30000, 80, 100, 0, syn)
	put(1*ms, server, client, 80, 30000, 900, 101, syn|ack)
	put(2*ms, client, server, 30000, 80, 101, 901, ack)
	put(3*ms, client, server, 30000, 80, 101, 901, fin|ack)
	put(4*ms, server, client, 80, 30000, 901, 102, ack)
	put(4*ms+quiet, other, server, 30001, 80, 500, 0, syn)
	put(5*ms+quiet, server, other, 80, 30001, 700, 501, syn|ack)
	put(6*ms+quiet, other, server, 30001, 80, 501, 701, ack)
	return b
}

// TestStuckInCloseWait checks that close_wait and fin_wait_2 are findings
// only for endpoints quiet in those states for --stuck (default 10 s) at
// the end of the capture, with the oldest one's age: a socket the
// application does not close, not one caught in the middle of a close.
func TestStuckInCloseWait(t *testing.T) {
	dir := t.TempDir()
	findings := func(quiet time.Duration, args ...string) map[string]map[string]any {
		path := filepath.Join(dir, quiet.String()+".pcap")
		if err := os.WriteFile(path, halfClosePcap(quiet), 0o644); err != nil {
			t.Fatal(err)
		}
		recs, _ := analyseJSON(t, append([]string{"-r", path}, args...)...)
		got := map[string]map[string]any{}
		for _, r := range recs {
			if r["type"] == "finding" {
				got[r["code"].(string)] = r
			}
		}
		return got
	}
	got := findings(20 * time.Second)
	cw, fw := got["close_wait"], got["fin_wait_2"]
	if cw == nil || fw == nil || len(got) != 2 {
		t.Fatalf("quiet 20 s: findings %v, want close_wait and fin_wait_2", got)
	}
	if cw["oldest_s"] != 20.002 || cw["count"] != 1.0 || !strings.Contains(cw["detail"].(string), "the oldest for 20.002s") {
		t.Errorf("close_wait %v", cw)
	}
	if got := findings(5 * time.Second); len(got) != 0 {
		t.Errorf("quiet 5 s, under --stuck's default: %v", got)
	}
	if got := findings(5*time.Second, "--stuck", "5s"); got["close_wait"] == nil {
		t.Errorf("quiet 5 s with --stuck 5s: %v", got)
	}
	if code, _, stderr := runCmd([]string{"-r", filepath.Join(dir, "5s.pcap"), "--stuck", "25h"}, nil); code != exitUsage || !strings.Contains(stderr, "--stuck") {
		t.Errorf("--stuck 25h: exit %d, %q", code, stderr)
	}
}

// TestZeroWindowStall checks that zero_window fires on a stall of --stall
// or more, with its length: the kernel's zero-window capture holds the
// window closed for about 1.5 s, to the end of the connection.
func TestZeroWindowStall(t *testing.T) {
	zeroWindow := func(args ...string) map[string]any {
		recs, _ := analyseJSON(t, append([]string{"-r", filepath.Join(goldenDir, "zero-window.pcap")}, args...)...)
		for _, r := range recs {
			if r["type"] == "finding" && r["code"] == "zero_window" {
				return r
			}
		}
		return nil
	}
	f := zeroWindow()
	if f == nil {
		t.Fatal("no zero_window finding with the default --stall")
	}
	stall, _ := f["oldest_s"].(float64)
	if stall < 1 || stall > 3 || !strings.Contains(f["detail"].(string), "1 still zero at the connection's last segment") {
		t.Errorf("finding %v", f)
	}
	if f := zeroWindow("--stall", "5s"); f != nil {
		t.Errorf("--stall 5s, a stall of %.3f s: %v", stall, f)
	}
}

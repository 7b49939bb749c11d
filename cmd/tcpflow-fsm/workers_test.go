package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWorkersSameOutput checks that --workers N writes exactly what one
// worker writes, in every output mode, for every kernel capture and every
// capture of the real corpus (when present): connections numbered and
// ordered alike, timers fired at the same points, the same counters and
// the same errors.
func TestWorkersSameOutput(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	if len(files) == 0 {
		t.Fatal("no kernel captures")
	}
	if manifest, err := os.ReadFile(filepath.Join(corpusDir, "MANIFEST.tsv")); err == nil || os.Getenv("TCPFLOW_CORPUS_REQUIRED") != "" {
		if err != nil {
			t.Fatalf("TCPFLOW_CORPUS_REQUIRED is set, but the real-capture corpus is missing: %v", err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:] {
			files = append(files, filepath.Join(corpusDir, strings.Split(line, "\t")[0]))
		}
	} else {
		t.Logf("real-capture corpus not present: kernel captures only (%v)", err)
	}
	modes := [][]string{nil, {"--json"}, {"--summary"}, {"--ladder", "--ascii"}}
	if testing.Short() {
		modes = modes[:2]
	}
	differ := 0
	for _, file := range files {
		for _, mode := range modes {
			output := func(workers string) (string, int) {
				var stdout, stderr bytes.Buffer
				code := run(slices.Concat([]string{"-r", file, "--workers", workers}, mode), nil, &stdout, &stderr)
				return stdout.String() + "\x00" + stderr.String(), code
			}
			one, code1 := output("1")
			three, code3 := output("3")
			if one != three || code1 != code3 {
				differ++
				t.Errorf("%s %v: --workers 3 (exit %d) differs from --workers 1 (exit %d)", file, mode, code3, code1)
			}
		}
	}
	t.Logf("%d captures, %d modes: %d differences", len(files), len(modes), differ)
}

// TestShardHashSymmetric checks that both directions of a connection go
// to the same worker.
func TestShardHashSymmetric(t *testing.T) {
	a, b := mustAddrPort("10.0.0.1:40000"), mustAddrPort("10.0.0.2:80")
	c, d := mustAddrPort("[2001:db8::1]:5000"), mustAddrPort("[2001:db8::2]:443")
	if shardHash(a, b) != shardHash(b, a) || shardHash(c, d) != shardHash(d, c) {
		t.Error("the two directions of a 4-tuple hash differently")
	}
	if shardHash(a, b) == shardHash(a, mustAddrPort("10.0.0.2:81")) {
		t.Error("two 4-tuples that differ in a port hash alike")
	}
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

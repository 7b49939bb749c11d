package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenDir holds the committed captures and their golden outputs.
const goldenDir = "../../testdata/kernel"

// TestGolden renders every kernel-made capture as text and as JSON and
// compares with testdata/kernel/<scenario>.<renderer>.golden. After a
// deliberate change, run go test ./cmd/tcpflow-fsm -run TestGolden -update
// and read the diff before committing it.
func TestGolden(t *testing.T) {
	captures, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	if len(captures) == 0 {
		t.Fatal("no captures")
	}
	for _, pcap := range captures {
		name := strings.TrimSuffix(filepath.Base(pcap), ".pcap")
		for _, r := range []struct {
			name  string
			flags []string
		}{{"text", nil}, {"json", []string{"--json"}}, {"ladder", []string{"--ladder", "--ascii"}}, {"summary", []string{"--summary"}}} {
			t.Run(name+"/"+r.name, func(t *testing.T) {
				args := append([]string{"-r", pcap}, r.flags...)
				var stdout, stderr bytes.Buffer
				if code := run(args, nil, &stdout, &stderr); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				golden := filepath.Join(goldenDir, name+"."+r.name+".golden")
				if *update {
					if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(stdout.Bytes(), want) {
					t.Errorf("output differs from %s; run with -update and read the diff\ngot:\n%s", golden, stdout.String())
				}
			})
		}
	}
}

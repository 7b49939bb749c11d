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

// TestGolden renders every kernel-made capture as text, JSON, ladder and
// summary, with the live renderers (text stream with --explain, JSON
// stream, --problems), and as the --top view's last screen, and compares with testdata/kernel/<scenario>.<renderer>.golden. After a
// deliberate change, run go test ./cmd/tcpflow-fsm -run TestGolden -update
// and read the diff before committing it.
// bulkCaptures are the kernel captures of the same connection many times
// over (a thousand TIME-WAIT endpoints): their summary is pinned, and the
// other modes, a thousand times what one connection's goldens show, are not.
var bulkCaptures = map[string]bool{"time-wait-pileup": true}

func TestGolden(t *testing.T) {
	captures, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	if len(captures) == 0 {
		t.Fatal("no captures")
	}
	for _, pcap := range captures {
		name := strings.TrimSuffix(filepath.Base(pcap), ".pcap")
		// The --top view's last screen.
		t.Run(name+"/top", func(t *testing.T) {
			checkGolden(t, filepath.Join(goldenDir, name+".top.golden"), []byte(strings.Join(topScreen(t, pcap, "any: "+name+".pcap"), "\n")+"\n"))
		})
		if bulkCaptures[name] {
			t.Run(name+"/summary", func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				if code := run([]string{"-r", pcap, "--summary"}, nil, &stdout, &stderr); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				checkGolden(t, filepath.Join(goldenDir, name+".summary.golden"), stdout.Bytes())
			})
			continue
		}
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
				checkGolden(t, filepath.Join(goldenDir, name+"."+r.name+".golden"), stdout.Bytes())
			})
		}
		// The live renderers, fed the capture as live capture feeds them:
		// live output pinned without a network.
		for _, r := range liveRenderers {
			t.Run(name+"/"+r.name, func(t *testing.T) {
				var out bytes.Buffer
				streamCapture(t, pcap, r.make(&out))
				checkGolden(t, filepath.Join(goldenDir, name+"."+r.name+".golden"), out.Bytes())
			})
		}
	}
}

// checkGolden compares got with the golden file, or with -update writes it.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s; run with -update and read the diff\ngot:\n%s", golden, got)
	}
}

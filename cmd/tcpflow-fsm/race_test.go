package main

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/fsm"
)

// kernelSegments decodes every TCP segment of a kernel capture, in capture
// order.
func kernelSegments(t *testing.T, path string) []fsm.Segment {
	t.Helper()
	rd, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	dec := capture.NewDecoder()
	var (
		p    capture.Packet
		seg  fsm.Segment
		segs []fsm.Segment
	)
	for {
		if err := rd.Next(&p); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			return segs
		}
		if dec.Decode(&p, &seg) {
			segs = append(segs, seg)
		}
	}
}

// The races of testdata/kernel (gen.sh, driver/race.go): the client's
// segments, RST or FIN sent before the server's RST reached it arrive, at
// the capture point near the server, after that RST; the server's kernel
// answers each segment for the connection it no longer has with a RST,
// SEQ = the segment's ACK (RFC 9293 §3.10.7.1). A passive observer cannot
// tell when the client got the RST; nobody broke a rule.
var kernelRaces = []struct {
	name string
	// crossing is how many of the client's segments come after the
	// server's first RST: the capture must hold the race, or the test
	// proves nothing.
	crossing int
}{
	{"rst-race-after-close", 4}, // 4 data segments, each answered by a RST
	{"data-crossing-rst", 5},    // 4 data segments and the ACK of the server's last data
	{"rst-crossing", 1},         // the client's own RST
	{"fin-crossing-rst", 1},     // the client's FIN
}

// TestKernelRacesNoViolation: on each race capture, both ends end CLOSED
// (as ss said: TestKernelFinalStates checks that too) and no violation is
// reported, of any endpoint. Each capture is checked first to hold its
// race: the client's segments after the server's first RST, and each RST
// the server's kernel sends without ACK carrying the ACK of the client's
// segment before it.
func TestKernelRacesNoViolation(t *testing.T) {
	for _, race := range kernelRaces {
		t.Run(race.name, func(t *testing.T) {
			pcap := filepath.Join(kernelDir, race.name+".pcap")
			segs := kernelSegments(t, pcap)
			if len(segs) == 0 || !segs[0].Flags.Has(fsm.SYN) || segs[0].Flags.Has(fsm.ACK) {
				t.Fatal("the capture does not start with the client's SYN")
			}
			client := segs[0].Src
			firstRST, crossing := -1, 0
			var lastAck fsm.Seq
			for i, s := range segs {
				fromClient := s.Src == client
				switch {
				case fromClient:
					lastAck = s.Ack
					if firstRST >= 0 {
						crossing++
					}
				case s.Flags.Has(fsm.RST):
					if firstRST < 0 {
						firstRST = i
					} else if !s.Flags.Has(fsm.ACK) && s.Seq != lastAck {
						t.Errorf("packet %d: the server's RST has SEQ %d, not the ACK %d of the segment it answers", i+1, s.Seq, lastAck)
					}
				}
			}
			if firstRST < 0 || crossing != race.crossing {
				t.Fatalf("not the race: %d segments of the client after the server's first RST (packet %d), want %d",
					crossing, firstRST+1, race.crossing)
			}

			recs, conns := analyseJSON(t, "-r", pcap)
			if len(conns) != 1 {
				t.Fatalf("%d connections, want 1", len(conns))
			}
			c := conns[0]
			if c.ClientState != "CLOSED" || c.ServerState != "CLOSED" {
				t.Errorf("client %s, server %s; both are CLOSED", c.ClientState, c.ServerState)
			}
			if len(c.Violations) > 0 {
				t.Errorf("conn violations %v; a race breaks no rule", c.Violations)
			}
			for _, r := range recs {
				if r["type"] == "violation" {
					t.Errorf("violation %v of the %v at %v: a race breaks no rule", r["code"], r["endpoint"], r["ts"])
				}
			}
		})
	}
}

// TestKernelSynAckLostAtClient: the server's SYN-ACK is in the capture, but
// the client never got it (dropped in its INPUT, after the capture point)
// and sends its SYN again. A client that resends its SYN (same ISN) after
// the SYN-ACK has not received it: it is SYN-SENT, as ss said, not
// ESTABLISHED; and nothing is a violation.
func TestKernelSynAckLostAtClient(t *testing.T) {
	pcap := filepath.Join(kernelDir, "synack-lost-at-client.pcap")
	segs := kernelSegments(t, pcap)
	if len(segs) < 3 {
		t.Fatalf("%d packets, want the SYN, the SYN-ACK and the SYN again", len(segs))
	}
	syn, synack := segs[0], segs[1]
	if !syn.Flags.Has(fsm.SYN) || syn.Flags.Has(fsm.ACK) ||
		!synack.Flags.Has(fsm.SYN|fsm.ACK) || synack.Src != syn.Dst || synack.Ack != syn.Seq.Add(1) {
		t.Fatal("the capture does not start with a SYN and its SYN-ACK")
	}
	for i, s := range segs[2:] {
		if s.Src != syn.Src || s.Flags != fsm.SYN || s.Seq != syn.Seq {
			t.Fatalf("packet %d is not the client's SYN again", i+3)
		}
	}

	recs, conns := analyseJSON(t, "-r", pcap)
	if len(conns) != 1 {
		t.Fatalf("%d connections, want 1", len(conns))
	}
	c := conns[0]
	ss := ssStates(t, filepath.Join(kernelDir, "synack-lost-at-client.ss"))
	if want := kernelState(ss, syn.Src.String(), syn.Dst.String()); want != "SYN-SENT" || c.ClientState != want {
		t.Errorf("client %s, the kernel said %s (want SYN-SENT)", c.ClientState, want)
	}
	if want := kernelState(ss, syn.Dst.String(), syn.Src.String()); want != "SYN-RECEIVED" || c.ServerState != want {
		t.Errorf("server %s, the kernel said %s (want SYN-RECEIVED)", c.ServerState, want)
	}
	for _, r := range recs {
		if r["type"] == "violation" {
			t.Errorf("violation %v of the %v at %v: a lost SYN-ACK breaks no rule", r["code"], r["endpoint"], r["ts"])
		}
	}
}

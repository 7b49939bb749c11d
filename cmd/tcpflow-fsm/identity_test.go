package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
)

// TestCorpusConnectionIdentity checks, on the real captures that hold
// them, the cases where one connection used to be split or several merged
// (issue: "one connection is one connection"). Connection counts against
// tshark's streams, capture by capture, are in flow's
// TestConnectionCountsAgainstTshark.
func TestCorpusConnectionIdentity(t *testing.T) {
	needCorpus(t)
	type conn struct {
		ClientState string                       `json:"client_state"`
		ServerState string                       `json:"server_state"`
		VLAN        []int                        `json:"vlan"`
		ReplyVLAN   *[]int                       `json:"reply_vlan"`
		ConnState   string                       `json:"conn_state"`
		Events      struct{ Retransmission int } `json:"events"`
	}
	read := func(t *testing.T, file string) (conns []conn, findings map[string]bool) {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-r", filepath.Join(corpusDir, file), "--json"}, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		findings = map[string]bool{}
		for _, line := range bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n")) {
			var rec struct {
				Type string `json:"type"`
				Code string `json:"code"`
			}
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatal(err)
			}
			switch rec.Type {
			case "conn":
				var c conn
				if err := json.Unmarshal(line, &c); err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			case "finding":
				findings[rec.Code] = true
			}
		}
		return conns, findings
	}
	t.Run("same 4-tuple in three VLANs", func(t *testing.T) {
		conns, _ := read(t, "zeek/vlan-collisions.pcap")
		if len(conns) != 3 {
			t.Fatalf("%d connections, want 3 (untagged, VLAN 42, QinQ 10/20)", len(conns))
		}
		want := [][]int{nil, {42}, {10, 20}}
		for i, c := range conns {
			if !slices.Equal(c.VLAN, want[i]) || c.Events.Retransmission != 0 || c.ConnState != "SF" {
				t.Errorf("conn %d: vlan %v, %d retransmissions, %s; want vlan %v, none, SF",
					i+1, c.VLAN, c.Events.Retransmission, c.ConnState, want[i])
			}
		}
	})
	t.Run("one direction tagged", func(t *testing.T) {
		conns, findings := read(t, "suricata-verify/bug-4376.pcap")
		if len(conns) != 1 {
			t.Fatalf("%d connections, want 1", len(conns))
		}
		c := conns[0]
		if !slices.Equal(c.VLAN, []int{3136}) || c.ReplyVLAN == nil || len(*c.ReplyVLAN) != 0 {
			t.Errorf("vlan %v, reply_vlan %v; want [3136] and []", c.VLAN, c.ReplyVLAN)
		}
		if c.ClientState != "TIME-WAIT" || c.ServerState != "CLOSED" {
			t.Errorf("states %s/%s, want TIME-WAIT/CLOSED", c.ClientState, c.ServerState)
		}
		if findings["dead_peer"] {
			t.Error("a burst of loss recovery taken for a dead peer")
		}
	})
	t.Run("SYN,ACK captured before its SYN", func(t *testing.T) {
		conns, _ := read(t, "zeek/tcp_handshake-reorder.pcap")
		if len(conns) != 1 || conns[0].ServerState != "CLOSED" || conns[0].ClientState != "TIME-WAIT" {
			t.Errorf("connections %+v; want one, client TIME-WAIT, server CLOSED", conns)
		}
	})
	t.Run("refused connect retried with the same ISN", func(t *testing.T) {
		conns, _ := read(t, "chrissanders-packets/nowebaccess2.pcapng")
		if len(conns) != 1 || conns[0].ConnState != "REJ" || conns[0].Events.Retransmission != 2 {
			t.Errorf("connections %+v; want one REJ with its SYN sent again twice", conns)
		}
	})
	t.Run("new ISN after a RST that SYN-SENT ignores", func(t *testing.T) {
		conns, _ := read(t, "suricata-verify/bug-3844.pcap")
		if len(conns) != 2 || conns[0].ClientState != "SYN-SENT" || conns[1].ConnState != "RSTO" {
			t.Errorf("connections %+v; want the ignored refusal, then a new connection the client resets", conns)
		}
	})
}

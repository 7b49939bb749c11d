package flow

import (
	"net/netip"
	"testing"
)

// TestShardHashSymmetric checks that both directions of a connection go
// to the same worker.
func TestShardHashSymmetric(t *testing.T) {
	ap := netip.MustParseAddrPort
	a, b := ap("10.0.0.1:40000"), ap("10.0.0.2:80")
	c, d := ap("[2001:db8::1]:5000"), ap("[2001:db8::2]:443")
	if shardHash(a, b) != shardHash(b, a) || shardHash(c, d) != shardHash(d, c) {
		t.Error("the two directions of a 4-tuple hash differently")
	}
	if shardHash(a, b) == shardHash(a, ap("10.0.0.2:81")) {
		t.Error("two 4-tuples that differ in a port hash alike")
	}
}

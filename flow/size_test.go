package flow

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps a connection within the allocator's 768-byte size
// class: a million are tracked at once (docs/PERFORMANCE.md, "Memory"),
// and an object with pointers of more than 512 bytes carries an 8-byte
// header, so 760 bytes is the most that fits. One byte more costs 128.
func TestConnSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are for 64-bit platforms")
	}
	if got := unsafe.Sizeof(Conn{}); got > 760 {
		t.Errorf("Conn is %d bytes, over 760: the next size class is 896", got)
	}
}

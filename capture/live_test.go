package capture

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// liveSkip skips a test that needs root and network namespaces where they
// are missing, or fails it when TCPFLOW_LIVE_REQUIRED is set (as the cmd
// package's live tests do).
func liveSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("TCPFLOW_LIVE_REQUIRED") != "" {
		t.Fatalf("TCPFLOW_LIVE_REQUIRED is set, but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// openInNetns opens a live capture on lo in a network namespace of its own,
// and a UDP socket to send packets there. The namespace goes when they are
// closed.
func openInNetns(t *testing.T) (*Live, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		liveSkip(t, "a live capture in a network namespace needs root")
	}
	type opened struct {
		l    *Live
		sock int
		err  error
	}
	ch := make(chan opened)
	go func() {
		// This thread enters the namespace and is never unlocked: it ends
		// with the goroutine, and no other goroutine runs in the namespace.
		// The sockets made here stay in it, whichever thread uses them.
		runtime.LockOSThread()
		var o opened
		defer func() { ch <- o }()
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			o.err = err
			return
		}
		if o.sock, o.err = syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0); o.err != nil {
			return
		}
		// ip link set lo up: struct ifreq, the name then the flags.
		var ifr [40]byte
		copy(ifr[:], "lo")
		for _, req := range []uintptr{syscall.SIOCGIFFLAGS, syscall.SIOCSIFFLAGS} {
			if req == syscall.SIOCSIFFLAGS {
				ifr[16] |= syscall.IFF_UP
			}
			if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(o.sock), req, uintptr(unsafe.Pointer(&ifr))); e != 0 {
				o.err = fmt.Errorf("lo up: %v", e)
				return
			}
		}
		o.l, o.err = OpenLive(LiveConfig{Interface: "lo"})
	}()
	o := <-ch
	if o.sock > 0 {
		t.Cleanup(func() { syscall.Close(o.sock) })
	}
	if errors.Is(o.err, syscall.EPERM) {
		liveSkip(t, "no network namespaces here: %v", o.err)
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.l, o.sock
}

// TestLive_IdleCaptureSleeps: a live capture on a link with no packets
// waits for them without waking. It counts the capture goroutine's turns
// without a packet while the link is idle (before: one per 20 ms read
// timeout, 50 a second); a packet still comes through, and Stop ends the
// idle capture at once.
func TestLive_IdleCaptureSleeps(t *testing.T) {
	l, sock := openInNetns(t)
	f := l.Start(FeedConfig{})
	got := make(chan time.Time, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range f.Batches() {
			for range b.Packets {
				got <- time.Now()
			}
			f.Release(b)
		}
	}()
	defer func() {
		f.Stop()
		<-done
		l.Close()
	}()

	// Idle: the first turn without a packet comes after one read timeout;
	// then there should be no other.
	for deadline := time.Now().Add(5 * time.Second); f.quiet.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the capture goroutine did not find the link quiet within 5 s")
		}
	}
	const idle = time.Second
	before := f.quiet.Load()
	time.Sleep(idle)
	if n := f.quiet.Load() - before; n > 2 {
		t.Errorf("%d turns without a packet in %v of an idle link, want none: the capture polls", n, idle)
	}

	// A packet wakes it.
	sent := time.Now()
	to := &syscall.SockaddrInet4{Port: 9, Addr: [4]byte{127, 0, 0, 1}}
	if err := syscall.Sendto(sock, []byte("wake"), 0, to); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-got:
		t.Logf("a packet on the idle link delivered after %v", at.Sub(sent).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("a packet sent on the idle link was not delivered within 5 s")
	}

	// Stop ends the idle capture at once.
	for len(got) > 0 {
		<-got
	}
	time.Sleep(100 * time.Millisecond) // quiet again
	stop := time.Now()
	f.Stop()
	select {
	case <-done:
		t.Logf("Batches closed %v after Stop", time.Since(stop).Round(time.Microsecond))
	case <-time.After(time.Second):
		t.Fatal("Batches not closed within 1 s of Stop on an idle link")
	}
	if f.Err() != nil {
		t.Errorf("Err() = %v after Stop", f.Err())
	}
	if s, err := l.Stats(); err != nil || s.Captured == 0 {
		t.Errorf("Stats() = %+v, %v; want the packet counted", s, err)
	}
}

package capture

import (
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fakeLive stands in for a live capture: packet i (from 1) carries i in
// its first 8 bytes and is 8+i%60 bytes long. Like libpcap's ring, every
// packet is in the same buffer, overwritten by the next call, so a feed
// that kept Data without copying would deliver garbage. After n packets it
// returns err, or ErrNoPacket (a quiet link) when err is nil. With a gate,
// the packets after the first gateAt wait for the gate to open (atGate is
// closed when they start to), and then come slowly, one a millisecond.
// Wait, as on a quiet link, returns only when woken.
type fakeLive struct {
	n, i   int
	err    error
	gate   chan struct{}
	atGate chan struct{}
	gateAt int
	buf    [128]byte

	wakeOnce sync.Once
	wake     chan struct{} // made by wakeup
}

func (s *fakeLive) Wait() error {
	<-s.wakeup()
	return nil
}

func (s *fakeLive) Wake() {
	select {
	case s.wakeup() <- struct{}{}:
	default: // woken already
	}
}

func (s *fakeLive) wakeup() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

func (s *fakeLive) Next(p *Packet) error {
	if s.i == s.n {
		if s.err != nil {
			return s.err
		}
		time.Sleep(time.Millisecond)
		return ErrNoPacket
	}
	if s.gate != nil && s.i >= s.gateAt {
		if s.i == s.gateAt {
			close(s.atGate)
		}
		<-s.gate
		time.Sleep(time.Millisecond)
	}
	s.i++
	size := 8 + s.i%60
	binary.BigEndian.PutUint64(s.buf[:], uint64(s.i))
	for j := 8; j < size; j++ {
		s.buf[j] = byte(s.i + j)
	}
	*p = Packet{Time: unix(1700000000, 0).Add(time.Duration(s.i) * time.Microsecond),
		LinkType: LinkTypeEthernet, Data: s.buf[:size], OrigLen: size + 10, Record: int64(s.i)}
	return nil
}

// checkPacket checks that p is packet want of fakeLive, bytes and all.
func checkPacket(t *testing.T, p *Packet, want int) {
	t.Helper()
	if len(p.Data) < 8 {
		t.Fatalf("packet %d: %d bytes", want, len(p.Data))
	}
	got := int(binary.BigEndian.Uint64(p.Data))
	if got != want || p.Record != int64(want) || len(p.Data) != 8+want%60 || p.OrigLen != len(p.Data)+10 {
		t.Fatalf("got packet %d (record %d, %d bytes, orig %d), want packet %d", got, p.Record, len(p.Data), p.OrigLen, want)
	}
	for j := 8; j < len(p.Data); j++ {
		if p.Data[j] != byte(want+j) {
			t.Fatalf("packet %d: byte %d is %d, want %d: overwritten", want, j, p.Data[j], byte(want+j))
		}
	}
}

// drain receives every batch until the feed ends, checks that the packets
// are in order, with no gap but where a packet was dropped, and returns
// how many it got.
func drain(t *testing.T, f *Feed, next *int) int {
	t.Helper()
	got := 0
	for b := range f.Batches() {
		for i := range b.Packets {
			p := &b.Packets[i]
			if int(p.Record) < *next {
				t.Fatalf("packet %d after packet %d", p.Record, *next-1)
			}
			*next = int(p.Record)
			checkPacket(t, p, *next)
			*next++
			got++
		}
		f.Release(b)
	}
	return got
}

// TestFeed_NeverWaitsForTheAnalysis: with the analysis stalled, the
// capture goroutine still reads every packet to the end: what the queue
// cannot hold is dropped and counted, never waited for.
func TestFeed_NeverWaitsForTheAnalysis(t *testing.T) {
	const n = 100_000
	f := newFeed(&fakeLive{n: n}, FeedConfig{Count: n, QueueBytes: 4 * batchBytes}, 128)
	ended := make(chan struct{})
	go func() {
		f.run()
		close(ended)
	}()
	// Nobody receives: the capture must still read all n packets and end.
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatalf("the capture did not end within 10 s with nobody taking its batches: it waits for the analysis")
	}
	next := 1
	got := drain(t, f, &next)
	if f.read != n || f.Err() != nil {
		t.Fatalf("read %d, error %v; want %d, nil", f.read, f.Err(), n)
	}
	if got+int(f.Dropped()) != n {
		t.Errorf("%d delivered + %d dropped != %d read", got, f.Dropped(), n)
	}
	// Every batch but the first (handed over alone, the analysis being
	// idle) is full.
	if least := (cap(f.queue)-1)*batchPackets + 1; got < least {
		t.Errorf("%d packets delivered, want at least %d: the queue holds %d batches of %d", got, least, cap(f.queue), batchPackets)
	}
	if f.Dropped() == 0 {
		t.Errorf("no packet dropped")
	}
	t.Logf("%d delivered, %d dropped (queue full)", got, f.Dropped())
}

// TestFeed_RecoversWhenTheAnalysisCatchesUp: a stalled analysis loses
// packets while the queue is full, and none once it has caught up; the
// packets it gets are intact and in order.
func TestFeed_RecoversWhenTheAnalysisCatchesUp(t *testing.T) {
	const burst, n = 50_000, 50_200
	src := &fakeLive{n: n, gate: make(chan struct{}), atGate: make(chan struct{}), gateAt: burst}
	f := newFeed(src, FeedConfig{Count: n, QueueBytes: 4 * batchBytes}, 128)
	go f.run()
	time.Sleep(50 * time.Millisecond) // stalled while the burst comes
	var (
		next, got      = 1, 0
		waiting        = src.atGate
		atGate, opened bool
		droppedInBurst uint64
		batches        = f.Batches()
	)
	for batches != nil {
		select {
		case b, ok := <-batches:
			if !ok {
				batches = nil
				continue
			}
			for i := range b.Packets {
				p := &b.Packets[i]
				if int(p.Record) < next {
					t.Fatalf("packet %d after packet %d", p.Record, next-1)
				}
				if next > burst && int(p.Record) != next {
					t.Fatalf("packet %d lost after the analysis caught up", next)
				}
				next = int(p.Record)
				checkPacket(t, p, next)
				next++
				got++
			}
			f.Release(b)
		case <-waiting:
			atGate, waiting = true, nil
		}
		if atGate && !opened && len(batches) == 0 {
			// Caught up, and the source waits at the gate: every packet
			// of the burst has been queued or dropped.
			droppedInBurst = f.Dropped()
			close(src.gate)
			opened = true
		}
	}
	if droppedInBurst == 0 {
		t.Errorf("no packet of the burst dropped")
	}
	if f.Dropped() != droppedInBurst || next != n+1 {
		t.Errorf("%d dropped in the burst, %d in all, last packet %d; want no drop after the burst, last packet %d",
			droppedInBurst, f.Dropped(), next-1, n)
	}
	if f.Err() != nil || got+int(f.Dropped()) != n {
		t.Errorf("%d delivered + %d dropped, error %v; want %d, nil", got, f.Dropped(), f.Err(), n)
	}
}

// TestFeed_NoAllocationPerPacket: in steady state the capture goroutine
// reuses its batches: the allocations of a run do not grow with the
// packets.
func TestFeed_NoAllocationPerPacket(t *testing.T) {
	allocs := func(n int) uint64 {
		src := &fakeLive{n: n}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f := newFeed(src, FeedConfig{Count: uint64(n), QueueBytes: 8 * batchBytes}, 128)
		go f.run()
		for b := range f.Batches() {
			f.Release(b)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs
	}
	small, large := allocs(1_000), allocs(200_000)
	t.Logf("allocations: %d for 1000 packets, %d for 200000", small, large)
	if large > small+200 {
		t.Errorf("%d allocations for 200000 packets, %d for 1000: allocation per packet", large, small)
	}
}

// TestFeed_EndsWithTheCaptureError: packets read before the capture
// failed are delivered, then Batches closes and Err says why.
func TestFeed_EndsWithTheCaptureError(t *testing.T) {
	gone := errors.New("capture on veth0 stopped: The interface disappeared")
	f := newFeed(&fakeLive{n: 3000, err: gone}, FeedConfig{}, 128)
	go f.run()
	next := 1
	if got := drain(t, f, &next); got != 3000 || f.Dropped() != 0 {
		t.Errorf("%d delivered, %d dropped; want 3000, 0", got, f.Dropped())
	}
	if f.Err() != gone {
		t.Errorf("Err() = %v, want %v", f.Err(), gone)
	}
}

// TestFeed_StopOnQuietLink: Stop ends a capture that gets no packets.
func TestFeed_StopOnQuietLink(t *testing.T) {
	f := newFeed(&fakeLive{n: 5}, FeedConfig{}, 128)
	go f.run()
	done := make(chan int)
	go func() {
		got := 0
		for b := range f.Batches() {
			got += len(b.Packets)
			f.Release(b)
		}
		done <- got
	}()
	time.Sleep(20 * time.Millisecond)
	f.Stop()
	select {
	case got := <-done:
		if got != 5 || f.Err() != nil {
			t.Errorf("%d packets, error %v; want 5, nil", got, f.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Batches not closed 5 s after Stop")
	}
}

// TestFeed_SavesEveryPacketRead: -w gets every packet the capture read,
// those the queue dropped too: the file is what the kernel delivered.
func TestFeed_SavesEveryPacketRead(t *testing.T) {
	const n = 20_000
	path := filepath.Join(t.TempDir(), "saved.pcap")
	w, err := CreateWriter(path, LinkTypeEthernet, 262144)
	if err != nil {
		t.Fatal(err)
	}
	f := newFeed(&fakeLive{n: n}, FeedConfig{Count: n, QueueBytes: 2 * batchBytes, Save: w, SaveName: path}, 128)
	go f.run()
	time.Sleep(100 * time.Millisecond) // stalled: the queue overflows
	next := 1
	got := drain(t, f, &next)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Dropped() == 0 || got+int(f.Dropped()) != n {
		t.Fatalf("%d delivered, %d dropped; want some dropped, %d in all", got, f.Dropped(), n)
	}
	rd, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var p Packet
	for i := 1; ; i++ {
		err := rd.Next(&p)
		if err == io.EOF {
			if i != n+1 {
				t.Fatalf("the file has %d packets, want %d", i-1, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p.Record = int64(i)
		checkPacket(t, &p, i)
	}
}

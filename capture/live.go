package capture

/*
#cgo LDFLAGS: -lpcap
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <pcap/pcap.h>

// wait_capture polls the capture's socket and the wake eventfd. Without
// limit, unless libpcap requires a timeout (1 ms while the interface is
// down: it learns only by asking whether the interface went away); then
// limit, in milliseconds, bounds it. A wake read is consumed.
static int wait_capture(pcap_t *p, int fd, int wake, int limit) {
	struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = wake, .events = POLLIN}};
	int ms = pcap_get_required_select_timeout(p) != NULL ? limit : -1;
	int n = poll(fds, 2, ms);
	if (n > 0 && (fds[1].revents & POLLIN)) {
		uint64_t v;
		if (read(wake, &v, sizeof v) < 0 && errno != EAGAIN) {
			return -1;
		}
	}
	return n;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/gopacket/pcap"

	"tcpflow-fsm/fsm"
)

// LiveConfig describes a live capture, in tcpdump's terms.
type LiveConfig struct {
	Interface string // "any", "lo", "eth0", ...
	Snaplen   int    // bytes kept of each packet; 0 means 262144
	BufferKiB int    // kernel buffer; 0 means libpcap's default
	Promisc   bool   // put the interface in promiscuous mode
	Direction string // "in", "out" or "inout" ("" is inout)
	Filter    string // BPF filter, tcpdump syntax
	// ReadTimeout is how long the kernel may hold packets before it hands
	// them over (the buffer timeout), and so also how long Next waits for a
	// packet on a quiet link (Wait then waits without limit). 0 means
	// DefaultReadTimeout.
	ReadTimeout time.Duration
}

// DefaultReadTimeout is the buffer timeout of a live capture: a packet
// reaches the analysis at most this long after the kernel has it.
const DefaultReadTimeout = 20 * time.Millisecond

// Live is an open live capture.
//
// It is not in libpcap's immediate mode. On Linux, immediate mode means
// TPACKET_V2, a ring of fixed-size slots, each as large as the largest
// packet the interface may deliver: 64 KiB on Ethernet as soon as the
// interface has segmentation offload (veths, most NICs), the whole
// snapshot length (256 KiB) on other link types (-i any), so that a 4 MiB
// buffer holds 64 packets or 16, whatever their size. Buffered mode is
// TPACKET_V3, as tcpdump uses when it writes a file: packets packed one
// after another in blocks of 256 KiB, so the same buffer holds thousands.
// The kernel hands a block over when it is full or ReadTimeout after its
// first packet.
type Live struct {
	h        *pcap.Handle
	iface    string
	linkType uint16
	snaplen  int
	timeout  time.Duration
	captured uint64

	// For Wait: libpcap's handle inside gopacket's (nil if it could not be
	// found), its socket, and an eventfd that Wake writes.
	p      *C.pcap_t
	fd     C.int
	wakeMu sync.Mutex // Wake against Close
	wake   C.int      // -1 once closed
}

// ErrNoPacket is returned by Live.Next when the read timeout passed with
// no packet.
var ErrNoPacket = errors.New("no packet before the read timeout")

// OpenLive starts a live capture. Its errors are written for a person to
// act on: missing privileges, an unknown interface (with the real ones
// listed), or libpcap's reason for a bad filter.
func OpenLive(cfg LiveConfig) (*Live, error) {
	if cfg.Snaplen <= 0 {
		cfg.Snaplen = 262144
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	dir, err := direction(cfg.Direction)
	if err != nil {
		return nil, err
	}
	if err := checkInterface(cfg.Interface); err != nil {
		return nil, err
	}
	in, err := pcap.NewInactiveHandle(cfg.Interface)
	if err != nil {
		return nil, liveError(cfg.Interface, err)
	}
	defer in.CleanUp()
	settings := []error{
		in.SetSnapLen(cfg.Snaplen),
		in.SetPromisc(cfg.Promisc),
		in.SetTimeout(cfg.ReadTimeout),
		in.SetImmediateMode(false), // TPACKET_V3: see Live
	}
	if cfg.BufferKiB > 0 {
		settings = append(settings, in.SetBufferSize(cfg.BufferKiB*1024))
	}
	if err := errors.Join(settings...); err != nil {
		return nil, liveError(cfg.Interface, err)
	}
	h, err := in.Activate()
	if err != nil {
		return nil, liveError(cfg.Interface, err)
	}
	l := &Live{h: h, iface: cfg.Interface, linkType: uint16(h.LinkType()), snaplen: cfg.Snaplen,
		timeout: cfg.ReadTimeout, wake: -1}
	if err := l.openWait(); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture on %s: %v", cfg.Interface, err)
	}
	if cfg.Direction != "" && cfg.Direction != "inout" {
		if err := h.SetDirection(dir); err != nil {
			h.Close()
			return nil, fmt.Errorf("capture on %s: cannot select direction %q: %v", cfg.Interface, cfg.Direction, err)
		}
	}
	if cfg.Filter != "" {
		if err := h.SetBPFFilter(cfg.Filter); err != nil {
			h.Close()
			return nil, &FilterError{Expr: cfg.Filter, LinkType: l.linkType, Reason: strings.TrimSpace(err.Error())}
		}
	}
	return l, nil
}

func direction(d string) (pcap.Direction, error) {
	switch d {
	case "", "inout":
		return pcap.DirectionInOut, nil
	case "in":
		return pcap.DirectionIn, nil
	case "out":
		return pcap.DirectionOut, nil
	}
	return 0, fmt.Errorf("-Q takes in, out or inout, not %q", d)
}

// checkInterface fails with the list of real interfaces when name is not
// one of them.
func checkInterface(name string) error {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil // let Activate say what is wrong
	}
	names := make([]string, 0, len(devs))
	for _, d := range devs {
		if d.Name == name {
			return nil
		}
		names = append(names, d.Name)
	}
	slices.Sort(names)
	return fmt.Errorf("no interface named %q; interfaces: %s (tcpflow-fsm -D lists them)", name, strings.Join(names, ", "))
}

// liveError turns libpcap's activation errors into a line a person can act
// on.
func liveError(iface string, err error) error {
	msg := err.Error()
	low := strings.ToLower(msg)
	if strings.Contains(low, "permission") || strings.Contains(low, "not permitted") {
		return fmt.Errorf("capture on %s needs root or CAP_NET_RAW: run as root, or grant it once with "+
			"setcap cap_net_raw,cap_net_admin=eip $(command -v tcpflow-fsm) (libpcap: %s)", iface, msg)
	}
	return fmt.Errorf("capture on %s: %s", iface, msg)
}

// LinkType returns the capture's link type.
func (l *Live) LinkType() uint16 { return l.linkType }

// Next reads the next packet into p; p.Data is valid until the next call.
// It returns ErrNoPacket when the read timeout passes, and any other error
// when the capture cannot go on (the interface went away).
func (l *Live) Next(p *Packet) error {
	data, ci, err := l.h.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, pcap.NextErrorTimeoutExpired) {
			return ErrNoPacket
		}
		// gopacket's error says only "Read Error"; libpcap's says why,
		// e.g. "The interface disappeared".
		if why := l.h.Error(); why != nil && why.Error() != "" {
			err = why
		}
		return fmt.Errorf("capture on %s stopped: %v", l.iface, err)
	}
	l.captured++
	*p = Packet{
		Time: fsm.TimeOf(ci.Timestamp), LinkType: l.linkType, Data: data, OrigLen: ci.Length,
		Record: int64(l.captured), Interface: ci.InterfaceIndex,
	}
	return nil
}

// LiveStats are libpcap's counters, as tcpdump prints them at exit.
type LiveStats struct {
	Captured         uint64 // packets read by us
	ReceivedByFilter uint64 // ps_recv
	DroppedByKernel  uint64 // ps_drop: no room in the capture buffer
	DroppedByIface   uint64 // ps_ifdrop
}

// Stats returns libpcap's counters.
func (l *Live) Stats() (LiveStats, error) {
	s, err := l.h.Stats()
	if err != nil {
		return LiveStats{Captured: l.captured}, err
	}
	return LiveStats{
		Captured:         l.captured,
		ReceivedByFilter: uint64(s.PacketsReceived),
		DroppedByKernel:  uint64(s.PacketsDropped),
		DroppedByIface:   uint64(s.PacketsIfDropped),
	}, nil
}

// Close ends the capture. Call it once no Next or Wait runs.
func (l *Live) Close() {
	l.h.Close()
	l.wakeMu.Lock()
	defer l.wakeMu.Unlock()
	if l.wake >= 0 {
		syscall.Close(int(l.wake))
		l.wake = -1
	}
}

// Waiting for packets on a quiet link. gopacket's handle waits for a packet
// (poll) at most its timeout, and that timeout is also the kernel's block
// timeout: pcap.InactiveHandle.SetTimeout sets both. A capture that hands
// packets over within 20 ms so also returns from Next 50 times a second on
// an idle link, and the Go runtime wakes with it: 5% of a core doing
// nothing, where tcpdump, blocked in libpcap's poll until the kernel hands
// a block over, uses none. The ways out considered:
//
//   - pcap.BlockForever, as tcpdump blocks: then nothing ends a read on a
//     link that stays quiet. gopacket 1.1.19 has no pcap_breakloop, and
//     Handle.Close waits for the mutex the blocked reader holds. With
//     pcap_breakloop (libpcap 1.10 wakes the poll through an eventfd)
//     Stop would work, but a blocked reader also cannot tell that the link
//     went quiet, when the last batch and the -w file must go out.
//   - A longer read timeout: Next would wake less often, but the kernel
//     would hold packets as long.
//   - Next as it is, returning ErrNoPacket once the link has been quiet for
//     the read timeout, and then Wait: a poll without limit of libpcap's
//     socket (pcap_get_selectable_fd) and of an eventfd of ours that Wake
//     writes. The socket is readable when the kernel hands libpcap a block,
//     full or at the block timeout, or has an error for libpcap to read:
//     libpcap itself polls it so, without limit, when it blocks on
//     TPACKET_V3 (Linux 3.19 and later). This keeps every property of the
//     20 ms capture, and costs one Next/Wait pair per quiet period.
//
// gopacket does not export its libpcap handle, so openWait takes it from
// gopacket's Handle by reflection (field cptr, a *C.struct_pcap, in 1.1.19).
// Should a later gopacket lack it, Wait returns at once and the capture
// polls as before: TestLive_IdleCaptureSleeps fails.

// openWait finds libpcap's handle and makes the wake eventfd.
func (l *Live) openWait() error {
	f := reflect.ValueOf(l.h).Elem().FieldByName("cptr")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil
	}
	p := (*C.pcap_t)(f.UnsafePointer())
	fd := C.pcap_get_selectable_fd(p)
	if fd < 0 {
		return nil
	}
	wake, err := C.eventfd(0, C.EFD_CLOEXEC|C.EFD_NONBLOCK)
	if wake < 0 {
		return fmt.Errorf("eventfd: %v", err)
	}
	l.p, l.fd, l.wake = p, fd, wake
	return nil
}

// Wait blocks until the kernel hands over packets, the capture has an
// error for Next to report, or Wake is called (now or since the last Wait).
// Call it after Next returned ErrNoPacket: Next then has what there is to
// read. A spurious return is possible.
func (l *Live) Wait() error {
	if l.p == nil {
		return nil
	}
	limit := max(1, int(l.timeout/time.Millisecond))
	if n, err := C.wait_capture(l.p, l.fd, l.wake, C.int(limit)); n < 0 && err != syscall.EINTR {
		return fmt.Errorf("capture on %s stopped: waiting for packets: %v", l.iface, err)
	}
	return nil
}

// Wake makes Wait return. It may be called from any goroutine, also after
// Close.
func (l *Live) Wake() {
	l.wakeMu.Lock()
	defer l.wakeMu.Unlock()
	if l.wake >= 0 {
		one := [8]byte{1} // the eventfd adds a native-endian uint64; any non-zero will do
		syscall.Write(int(l.wake), one[:])
	}
}

// The queue between the capture goroutine and the analysis. A batch holds
// at most batchPackets packets in batchBytes of memory (more if the snapshot
// length is larger, so that any packet fits an empty batch); the queue is
// DefaultQueueBytes of batches. Batches are made as the backlog first needs
// them and reused from then on.
const (
	batchPackets      = 1024
	batchBytes        = 1 << 20
	DefaultQueueBytes = 64 << 20
)

// FeedConfig says how the capture goroutine runs.
type FeedConfig struct {
	// Count stops the capture after this many packets read; 0 reads on.
	Count uint64
	// QueueBytes bounds the memory of the packets waiting for the
	// analysis; 0 means DefaultQueueBytes.
	QueueBytes int
	// Save, when set, gets every packet read, written by the capture
	// goroutine before the packet is queued (-w), so that the file has
	// what the kernel delivered even when the analysis falls behind.
	// SaveName names it in errors. The capture goroutine flushes it when
	// the link is quiet and at least once a second of packet time; the
	// caller closes it once Batches is closed.
	Save     *Writer
	SaveName string
}

// Batch is packets read one after another, copied out of libpcap's buffer
// into memory of the batch's own: their Data stay valid until Release.
type Batch struct {
	Packets []Packet
	buf     []byte
}

// add copies p into the batch, or reports that it does not fit.
func (b *Batch) add(p *Packet) bool {
	n := len(p.Data)
	if len(b.Packets) == cap(b.Packets) || cap(b.buf)-len(b.buf) < n {
		return false
	}
	at := len(b.buf)
	b.buf = append(b.buf, p.Data...)
	b.Packets = append(b.Packets, *p)
	b.Packets[len(b.Packets)-1].Data = b.buf[at : at+n : at+n]
	return true
}

func (b *Batch) full() bool { return len(b.Packets) == cap(b.Packets) }

// packetSource is what the capture goroutine reads: a Live, or a test's
// stand-in.
type packetSource interface {
	Next(*Packet) error
	// Wait blocks, after Next returned ErrNoPacket, until Next may have
	// more, or Wake is called.
	Wait() error
	Wake()
}

// Feed is a capture goroutine: it only reads packets, copies them into
// batches and queues the batches for the analysis. It never waits for the
// analysis: when every batch of the queue is taken, a packet is dropped and
// counted (Dropped), as the kernel counts what finds its buffer full.
//
// The analysis receives from Batches, and gives each batch back with
// Release once done with its packets. Batches is closed when the capture
// ends: after Stop, after Count packets, or when reading fails (Err).
type Feed struct {
	src      packetSource
	cfg      FeedConfig
	queue    chan *Batch // to the analysis
	free     chan *Batch // back from it
	made     int         // batches allocated so far
	most     int         // batches allowed
	batchCap int         // bytes of a batch
	stopping atomic.Bool
	dropped  atomic.Uint64
	quiet    atomic.Uint64 // times Next found no packet: the loop's turns without one
	read     uint64        // packets read, dropped ones included
	err      error
}

// captureNice is the nice value of the capture goroutine's thread.
const captureNice = -10

// Start starts the capture goroutine. Close the capture only after
// Batches is closed.
//
// The goroutine has an OS thread of its own, at nice -10 when the process
// may raise its priority (root, CAP_SYS_NICE; otherwise it stays at the
// process's): when the CPUs are busy, with the analysis among others, the
// kernel then runs it first as soon as packets wake it, and the analysis is
// what falls behind, into the queue. It needs little CPU, copying packets
// out of libpcap's buffer. The thread is never unlocked, so it ends with
// the goroutine and its priority goes nowhere else.
func (l *Live) Start(cfg FeedConfig) *Feed {
	f := newFeed(l, cfg, l.snaplen)
	go func() {
		runtime.LockOSThread()
		syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), captureNice) // on Linux, this thread only
		f.run()
	}()
	return f
}

// newFeed sizes the queue for packets of up to maxPacket bytes.
func newFeed(src packetSource, cfg FeedConfig, maxPacket int) *Feed {
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	size := max(batchBytes, maxPacket)
	most := max(2, cfg.QueueBytes/size)
	return &Feed{src: src, cfg: cfg, most: most, batchCap: size,
		queue: make(chan *Batch, most), free: make(chan *Batch, most)}
}

// Batches delivers the packets read, in order.
func (f *Feed) Batches() <-chan *Batch { return f.queue }

// Release gives a batch back for reuse; its packets' Data are then
// overwritten.
func (f *Feed) Release(b *Batch) {
	b.Packets, b.buf = b.Packets[:0], b.buf[:0]
	f.free <- b // never blocks: the channel has room for every batch
}

// Stop asks the capture goroutine to end; it does at once when it waits on
// a quiet link, within the read timeout otherwise, and Batches is then
// closed after the last packets read.
func (f *Feed) Stop() {
	f.stopping.Store(true)
	f.src.Wake()
}

// Dropped returns the number of packets read but dropped because the
// queue was full. It is final once Batches is closed.
func (f *Feed) Dropped() uint64 { return f.dropped.Load() }

// Err returns why the capture ended early: the capture could not go on, or
// writing Save failed. It is nil after Stop or Count. Call it once Batches
// is closed.
func (f *Feed) Err() error { return f.err }

// take returns an empty batch: a released one, a new one while the queue
// may still grow, or nil when every batch is taken.
func (f *Feed) take() *Batch {
	select {
	case b := <-f.free:
		return b
	default:
	}
	if f.made == f.most {
		return nil
	}
	f.made++
	return &Batch{Packets: make([]Packet, 0, batchPackets), buf: make([]byte, 0, f.batchCap)}
}

func (f *Feed) run() {
	defer close(f.queue)
	var (
		p         Packet
		cur       *Batch        // being filled
		lastFlush = fsm.MinTime // the file's last flush: before the first packet
	)
	// send queues the batch being filled. It never blocks: the queue has
	// room for every batch there is.
	send := func() {
		if cur != nil && len(cur.Packets) > 0 {
			f.queue <- cur
			cur = nil
		}
	}
	defer send()
	for !f.stopping.Load() && (f.cfg.Count == 0 || f.read < f.cfg.Count) {
		err := f.src.Next(&p)
		if err == ErrNoPacket {
			// A quiet link: what was read goes now, and so does the file;
			// then nothing is to be done until packets come or Stop.
			f.quiet.Add(1)
			send()
			if f.cfg.Save != nil {
				if err := f.cfg.Save.Flush(); err != nil {
					f.err = fmt.Errorf("writing %s: %v", f.cfg.SaveName, err)
					return
				}
			}
			if err := f.src.Wait(); err != nil {
				f.err = err
				return
			}
			continue
		}
		if err != nil {
			f.err = err
			return
		}
		f.read++
		if w := f.cfg.Save; w != nil {
			err := w.Write(&p)
			if err == nil && p.Time.Sub(lastFlush) >= time.Second {
				err, lastFlush = w.Flush(), p.Time
			}
			if err != nil {
				f.err = fmt.Errorf("writing %s: %v", f.cfg.SaveName, err)
				return
			}
		}
		if cur == nil {
			cur = f.take()
		}
		if cur != nil && !cur.add(&p) {
			if len(cur.Packets) == 0 {
				// Larger than a batch: libpcap keeps to the snapshot
				// length, which a batch holds, so this cannot happen.
				f.dropped.Add(1)
				continue
			}
			send()
			if cur = f.take(); cur != nil {
				cur.add(&p) // an empty batch holds any packet
			}
		}
		if cur == nil {
			f.dropped.Add(1)
			continue
		}
		// Hand over at once when the analysis has nothing queued, so that
		// a packet waits for no other; while it is busy, packets gather
		// into the batch and are handed over together.
		if len(f.queue) == 0 || cur.full() {
			send()
		}
	}
}

// Interface is one capture device, as tcpdump -D lists it.
type Interface struct {
	Name        string
	Description string
	Flags       []string // "Up", "Running", "Loopback", "Wireless", "Connected", ...
}

// libpcap's PCAP_IF_* flags.
const (
	ifLoopback     = 0x1
	ifUp           = 0x2
	ifRunning      = 0x4
	ifWireless     = 0x8
	ifStatusMask   = 0x30
	ifConnected    = 0x10
	ifDisconnected = 0x20
)

// Interfaces lists the capture devices in libpcap's order.
func Interfaces() ([]Interface, error) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(devs))
	for _, d := range devs {
		var fl []string
		for _, f := range []struct {
			bit  uint32
			name string
		}{{ifUp, "Up"}, {ifRunning, "Running"}, {ifWireless, "Wireless"}, {ifLoopback, "Loopback"}} {
			if d.Flags&f.bit != 0 {
				fl = append(fl, f.name)
			}
		}
		if d.Flags&ifLoopback == 0 {
			switch d.Flags & ifStatusMask {
			case ifConnected:
				fl = append(fl, "Connected")
			case ifDisconnected:
				fl = append(fl, "Disconnected")
			}
		}
		out = append(out, Interface{Name: d.Name, Description: d.Description, Flags: fl})
	}
	return out, nil
}

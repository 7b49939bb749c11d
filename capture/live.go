package capture

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/gopacket/pcap"
)

// LiveConfig describes a live capture, in tcpdump's terms.
type LiveConfig struct {
	Interface string // "any", "lo", "eth0", ...
	Snaplen   int    // bytes kept of each packet; 0 means 262144
	BufferKiB int    // kernel buffer; 0 means libpcap's default
	Promisc   bool   // put the interface in promiscuous mode
	Direction string // "in", "out" or "inout" ("" is inout)
	Filter    string // BPF filter, tcpdump syntax
	// ReadTimeout bounds how long Next waits for a packet, so that the
	// caller's timers and signals are served while the link is quiet.
	ReadTimeout time.Duration
}

// Live is an open live capture. Packets are delivered as soon as the kernel
// has them (immediate mode): nothing waits in the kernel buffer.
type Live struct {
	h        *pcap.Handle
	iface    string
	linkType uint16
	captured uint64
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
		cfg.ReadTimeout = 100 * time.Millisecond
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
		in.SetImmediateMode(true),
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
	l := &Live{h: h, iface: cfg.Interface, linkType: uint16(h.LinkType())}
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
		Time: ci.Timestamp, LinkType: l.linkType, Data: data, OrigLen: ci.Length,
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

// Close ends the capture.
func (l *Live) Close() { l.h.Close() }

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

package flow_test

// Scenario tests of the segment events: each scenario is a list of
// segments with the events each must show. The segments are made into
// packets and run through the decoder and the table, as a capture is; the
// same packets written as a pcap file are given to tshark, when installed,
// and its tcp.analysis flags must be the events the scenarios expect. The
// initial sequence numbers are near 2^32, so every scenario crosses the
// wrap.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// step is one segment of a scenario. seq and ack are relative to the
// sender's and the receiver's initial sequence numbers; want lists the
// segment's events (tshark's flag names), dup a duplicate ACK's number.
type step struct {
	ms     float64
	from   byte // 'c' client, 's' server
	flags  string
	seq    uint32
	ack    uint32
	len    int
	win    uint16
	opts   []byte
	want   string
	dupAck uint32
}

type scenario struct {
	name     string
	iss, irs uint32 // client's and server's ISN
	steps    []step
}

var (
	client = netip.MustParseAddrPort("10.1.0.1:40000")
	server = netip.MustParseAddrPort("10.1.0.2:80")
	epoch  = fsm.TimeOf(time.Unix(1700000000, 0)) // not zero: tshark takes time zero for unset
)

// wscale is a window-scale option (with a NOP before it).
func wscale(shift byte) []byte { return []byte{1, 3, 3, shift} }

// sackOpt is a SACK option with one block, relative to base.
func sackOpt(base, left, right uint32) []byte {
	b := []byte{1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[4:], base+left)
	binary.BigEndian.PutUint32(b[8:], base+right)
	return b
}

// The ISNs: the client's data crosses 2^32 after 256 octets, the server's
// after 96.
const (
	iss = 0xffffff00
	irs = 0xffffffa0
)

// handshake opens a connection: the SYN,ACK 10 ms after the SYN, the ACK
// 10 ms later (an initial RTT of 20 ms). Windows are not scaled.
func handshake(cwin, swin uint16) []step {
	return []step{
		{ms: 0, from: 'c', flags: "S", seq: 0, win: cwin},
		{ms: 10, from: 's', flags: "SA", seq: 0, ack: 1, win: swin},
		{ms: 20, from: 'c', flags: "A", seq: 1, ack: 1, win: cwin},
	}
}

var scenarios = []scenario{
	{"clean exchange", iss, irs, append(handshake(64000, 64000),
		step{ms: 30, from: 'c', flags: "PA", seq: 1, ack: 1, len: 300, win: 64000},
		step{ms: 40, from: 's', flags: "A", seq: 1, ack: 301, win: 64000},
		step{ms: 41, from: 's', flags: "PA", seq: 1, ack: 301, len: 1000, win: 64000},
		step{ms: 42, from: 'c', flags: "A", seq: 301, ack: 1001, win: 64000},
		step{ms: 50, from: 'c', flags: "FA", seq: 301, ack: 1001, win: 64000},
		step{ms: 51, from: 's', flags: "FA", seq: 1001, ack: 302, win: 64000},
		step{ms: 52, from: 'c', flags: "A", seq: 302, ack: 1002, win: 64000},
	)},
	{"loss, duplicate ACKs, fast retransmission", iss, irs, append(handshake(64000, 64000),
		step{ms: 30, from: 's', flags: "A", seq: 1, ack: 1, len: 1000, win: 64000},
		step{ms: 31, from: 'c', flags: "A", seq: 1, ack: 1001, win: 64000},
		// 1001-2001 is lost before the capture point.
		step{ms: 32, from: 's', flags: "A", seq: 2001, ack: 1, len: 1000, win: 64000, want: "lost_segment"},
		step{ms: 33, from: 'c', flags: "A", seq: 1, ack: 1001, win: 64000, opts: sackOpt(irs, 2001, 3001), want: "duplicate_ack", dupAck: 1},
		step{ms: 34, from: 's', flags: "A", seq: 3001, ack: 1, len: 1000, win: 64000},
		step{ms: 35, from: 'c', flags: "A", seq: 1, ack: 1001, win: 64000, opts: sackOpt(irs, 2001, 4001), want: "duplicate_ack", dupAck: 2},
		step{ms: 36, from: 'c', flags: "A", seq: 1, ack: 1001, win: 64000, opts: sackOpt(irs, 2001, 4001), want: "duplicate_ack", dupAck: 3},
		step{ms: 37, from: 's', flags: "A", seq: 1001, ack: 1, len: 1000, win: 64000, want: "fast_retransmission"},
		step{ms: 38, from: 'c', flags: "A", seq: 1, ack: 4001, win: 64000},
		// A new window with SACK blocks is an update for tshark 4.0.
		step{ms: 39, from: 'c', flags: "A", seq: 1, ack: 4001, win: 65000, opts: sackOpt(irs, 5001, 6001), want: "window_update"},
	)},
	{"timeout, then spurious", iss, irs, append(handshake(64000, 64000),
		step{ms: 30, from: 'c', flags: "PA", seq: 1, ack: 1, len: 500, win: 64000},
		step{ms: 330, from: 'c', flags: "PA", seq: 1, ack: 1, len: 500, win: 64000, want: "retransmission"},
		step{ms: 340, from: 's', flags: "A", seq: 1, ack: 501, win: 64000},
		step{ms: 640, from: 'c', flags: "PA", seq: 1, ack: 1, len: 500, win: 64000, want: "spurious_retransmission"},
		// One octet below the next expected sequence number, more than
		// one long: new data after a dropped probe, not sent again.
		step{ms: 650, from: 'c', flags: "PA", seq: 500, ack: 1, len: 100, win: 64000},
	)},
	{"out of order within the initial RTT", iss, irs, append(handshake(64000, 64000),
		step{ms: 30, from: 's', flags: "A", seq: 1001, ack: 1, len: 1000, win: 64000, want: "lost_segment"},
		step{ms: 35, from: 's', flags: "A", seq: 1, ack: 1, len: 1000, win: 64000, want: "out_of_order"},
		step{ms: 36, from: 'c', flags: "A", seq: 1, ack: 2001, win: 64000},
		// 60 ms after the next expected sequence number moved: later
		// than the initial RTT, so sent again.
		step{ms: 90, from: 's', flags: "A", seq: 1, ack: 1, len: 500, win: 64000, want: "spurious_retransmission"},
	)},
	{"window full, zero window, probes, update", iss, irs, append(handshake(64000, 2000),
		step{ms: 30, from: 'c', flags: "A", seq: 1, ack: 1, len: 1000, win: 64000},
		step{ms: 31, from: 'c', flags: "PA", seq: 1001, ack: 1, len: 1000, win: 64000, want: "window_full"},
		step{ms: 40, from: 's', flags: "A", seq: 1, ack: 2001, win: 0, want: "zero_window"},
		step{ms: 240, from: 'c', flags: "A", seq: 2001, ack: 1, len: 1, win: 64000, want: "zero_window_probe"},
		step{ms: 241, from: 's', flags: "A", seq: 1, ack: 2001, win: 0, want: "zero_window,zero_window_probe_ack"},
		step{ms: 640, from: 'c', flags: "A", seq: 2001, ack: 1, len: 1, win: 64000, want: "zero_window_probe"},
		step{ms: 700, from: 's', flags: "A", seq: 1, ack: 2001, win: 3000, want: "window_update"},
		step{ms: 701, from: 'c', flags: "PA", seq: 2001, ack: 1, len: 1000, win: 64000},
	)},
	{"keep-alives", iss, irs, append(handshake(64000, 64000),
		step{ms: 30, from: 'c', flags: "PA", seq: 1, ack: 1, len: 10, win: 64000},
		step{ms: 40, from: 's', flags: "A", seq: 1, ack: 11, win: 64000},
		step{ms: 7200030, from: 'c', flags: "A", seq: 10, ack: 1, win: 64000, want: "keep_alive"},
		step{ms: 7200040, from: 's', flags: "A", seq: 1, ack: 11, win: 64000, want: "keep_alive_ack"},
		step{ms: 7275030, from: 'c', flags: "A", seq: 10, ack: 1, len: 1, win: 64000, want: "keep_alive"},
		step{ms: 7275040, from: 's', flags: "A", seq: 1, ack: 11, win: 64000, want: "keep_alive_ack"},
	)},
	{"ACK of a segment the capture missed", iss, irs, append(handshake(64000, 64000),
		step{ms: 30, from: 's', flags: "PA", seq: 1, ack: 1, len: 100, win: 64000},
		// 101-201 was sent and not captured.
		step{ms: 40, from: 'c', flags: "A", seq: 1, ack: 201, win: 64000, want: "ack_lost_segment"},
		step{ms: 41, from: 's', flags: "PA", seq: 201, ack: 1, len: 100, win: 64000, want: "lost_segment"},
		step{ms: 50, from: 'c', flags: "A", seq: 1, ack: 301, win: 64000, want: "ack_lost_segment"},
	)},
	{"scaled windows", iss, irs, []step{
		{ms: 0, from: 'c', flags: "S", seq: 0, win: 64240, opts: wscale(7)},
		{ms: 10, from: 's', flags: "SA", seq: 0, ack: 1, win: 100, opts: wscale(7)},
		{ms: 20, from: 'c', flags: "A", seq: 1, ack: 1, win: 502},
		// 8 << 7: a 1024-octet window, after the SYN,ACK's unscaled 100.
		{ms: 21, from: 's', flags: "A", seq: 1, ack: 1, win: 8, want: "window_update"},
		{ms: 30, from: 'c', flags: "PA", seq: 1, ack: 1, len: 1024, win: 502, want: "window_full"},
	}},
	{"SYN sent again, SYN,ACK sent again", iss, irs, []step{
		{ms: 0, from: 'c', flags: "S", seq: 0, win: 64240},
		{ms: 1000, from: 'c', flags: "S", seq: 0, win: 64240, want: "retransmission"},
		{ms: 1010, from: 's', flags: "SA", seq: 0, ack: 1, win: 64240},
		{ms: 2010, from: 's', flags: "SA", seq: 0, ack: 1, win: 64240, want: "retransmission"},
		{ms: 2020, from: 'c', flags: "A", seq: 1, ack: 1, win: 64240},
		{ms: 2021, from: 'c', flags: "A", seq: 1, ack: 1, win: 64240, want: "duplicate_ack", dupAck: 1},
	}},
	{"SYN sent again after a SYN,ACK that never arrived", iss, irs, []step{
		{ms: 0, from: 'c', flags: "S", seq: 0, win: 64240},
		{ms: 2, from: 's', flags: "SA", seq: 0, ack: 1, win: 64240},
		// The client never got that SYN,ACK: the initial RTT is timed
		// from this SYN (4 ms), not the first (1004 ms).
		{ms: 1000, from: 'c', flags: "S", seq: 0, win: 64240, want: "retransmission"},
		{ms: 1002, from: 's', flags: "SA", seq: 0, ack: 1, win: 64240, want: "retransmission"},
		{ms: 1004, from: 'c', flags: "A", seq: 1, ack: 1, win: 64240},
		{ms: 1010, from: 's', flags: "A", seq: 1001, ack: 1, len: 1000, win: 64240, want: "lost_segment"},
		// 20 ms after the next expected sequence number moved, beyond
		// the 4 ms initial RTT: sent again, not out of order.
		{ms: 1030, from: 's', flags: "A", seq: 1, ack: 1, len: 1000, win: 64240, want: "retransmission"},
	}},
	{"refused, the same SYN again", iss, irs, []step{
		{ms: 0, from: 'c', flags: "S", seq: 0, win: 8192},
		{ms: 1, from: 's', flags: "RA", seq: 0, ack: 1, win: 0},
		{ms: 500, from: 'c', flags: "S", seq: 0, win: 8192, want: "retransmission"},
		{ms: 501, from: 's', flags: "RA", seq: 0, ack: 1, win: 0},
	}},
	{"ports reused after TIME-WAIT", iss, irs, append(handshake(64000, 64000),
		step{ms: 30, from: 'c', flags: "FA", seq: 1, ack: 1, win: 64000},
		step{ms: 31, from: 's', flags: "FA", seq: 1, ack: 2, win: 64000},
		step{ms: 32, from: 'c', flags: "A", seq: 2, ack: 2, win: 64000},
		// A new connection on the 4-tuple, 30 s later, from a new ISN.
		step{ms: 30032, from: 'c', flags: "S", seq: 1 << 20, win: 64000, want: "reused_ports"},
		step{ms: 30033, from: 's', flags: "SA", seq: 1 << 21, ack: 1<<20 + 1, win: 64000},
		step{ms: 30034, from: 'c', flags: "A", seq: 1<<20 + 1, ack: 1<<21 + 1, win: 64000},
	)},
}

// packet makes step s of sc into a raw IPv4 packet.
func (sc *scenario) packet(i int, s *step) capture.Packet {
	src, dst, seq, ack := client, server, sc.iss+s.seq, sc.irs+s.ack
	if s.from == 's' {
		src, dst, seq, ack = server, client, sc.irs+s.seq, sc.iss+s.ack
	}
	opts := slices.Clone(s.opts)
	for len(opts)%4 != 0 {
		opts = append(opts, 1)
	}
	tcpLen := 20 + len(opts) + s.len
	b := make([]byte, 20+tcpLen)
	be := binary.BigEndian
	b[0], b[8], b[9] = 0x45, 64, 6
	be.PutUint16(b[2:], uint16(len(b)))
	be.PutUint16(b[4:], uint16(i+1)) // identification: every packet its own
	copy(b[12:], src.Addr().AsSlice())
	copy(b[16:], dst.Addr().AsSlice())
	be.PutUint16(b[10:], checksum(b[:20], 0))
	t := b[20:]
	be.PutUint16(t[0:], src.Port())
	be.PutUint16(t[2:], dst.Port())
	be.PutUint32(t[4:], seq)
	if strings.Contains(s.flags, "A") {
		be.PutUint32(t[8:], ack)
	}
	t[12] = byte((20+len(opts))/4) << 4
	for _, c := range s.flags {
		t[13] |= map[rune]byte{'F': 1, 'S': 2, 'R': 4, 'P': 8, 'A': 16}[c]
	}
	be.PutUint16(t[14:], s.win)
	copy(t[20:], opts)
	var pseudo [12]byte
	copy(pseudo[0:], b[12:20])
	pseudo[9] = 6
	be.PutUint16(pseudo[10:], uint16(tcpLen))
	be.PutUint16(t[16:], checksum(t, sum(pseudo[:], 0)))
	at := epoch.Add(time.Duration(s.ms * float64(time.Millisecond)))
	return capture.Packet{Time: at, LinkType: capture.LinkTypeRaw, Data: b, OrigLen: len(b), Record: int64(i + 1)}
}

func sum(b []byte, s uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

func checksum(b []byte, s uint32) uint16 {
	s = sum(b, s)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// recordSink keeps the segment events of the segment being added.
type recordSink struct {
	cur    int
	events map[int][]string
}

func (r *recordSink) Event(*flow.Conn, *flow.Event) {}

func (r *recordSink) Segment(_ *flow.Conn, e *flow.SegmentEvent) {
	name := e.SegEvent.String()
	if e.SegEvent == flow.DuplicateAck {
		name += "#" + strconv.Itoa(int(e.Count))
	}
	r.events[r.cur] = append(r.events[r.cur], name)
}
func (r *recordSink) Done(*flow.Conn) {}

// wantOf writes a step's expected events as the sink records them.
func wantOf(s *step) []string {
	var want []string
	for _, w := range strings.Split(s.want, ",") {
		switch {
		case w == "":
		case w == "duplicate_ack":
			want = append(want, fmt.Sprintf("%s#%d", w, s.dupAck))
		default:
			want = append(want, w)
		}
	}
	return want
}

func TestSegEventScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			sink := &recordSink{events: map[int][]string{}}
			tb := flow.NewTable(flow.Config{}, sink)
			dec := capture.NewDecoder()
			var seg fsm.Segment
			for i := range sc.steps {
				p := sc.packet(i, &sc.steps[i])
				if !dec.Decode(&p, &seg) {
					t.Fatalf("step %d does not decode", i+1)
				}
				sink.cur = i
				tb.Add(&seg)
			}
			tb.Close()
			for i := range sc.steps {
				s := &sc.steps[i]
				want := wantOf(s)
				if got := sink.events[i]; !slices.Equal(got, want) {
					t.Errorf("step %d (%c %s seq %d ack %d len %d): events %q, want %q",
						i+1, s.from, s.flags, s.seq, s.ack, s.len, got, want)
				}
			}
		})
	}
}

// TestSegEventScenariosAgainstTshark gives the scenarios to tshark: its
// flags on each frame must be the events the scenario expects (tshark's
// retransmission flag left out of its fast and spurious ones).
func TestSegEventScenariosAgainstTshark(t *testing.T) {
	needTshark(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "scenario.pcap")
			w, err := capture.CreateWriter(path, capture.LinkTypeRaw, 65535)
			if err != nil {
				t.Fatal(err)
			}
			for i := range sc.steps {
				p := sc.packet(i, &sc.steps[i])
				if err := w.Write(&p); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			args := []string{"-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f", "-e", "frame.number",
				"-e", "tcp.analysis.duplicate_ack_num"}
			for _, f := range tsharkFlags {
				args = append(args, "-e", "tcp.analysis."+f.flag)
			}
			out, err := exec.Command("tshark", args...).Output()
			if err != nil {
				t.Fatal(err)
			}
			for line := range strings.Lines(string(out)) {
				cols := strings.Split(strings.TrimRight(line, "\n"), "\t")
				frame, _ := strconv.Atoi(cols[0])
				if frame < 1 || frame > len(sc.steps) || len(cols) < 2+len(tsharkFlags) {
					t.Fatalf("tshark printed %q", line)
				}
				var got []string
				for i, f := range tsharkFlags {
					if cols[2+i] == "" {
						continue
					}
					name := f.flag
					if name == "retransmission" && (cols[3] != "" || cols[4] != "") {
						continue // also fast or spurious
					}
					if name == "duplicate_ack" {
						name += "#" + cols[1]
					}
					got = append(got, name)
				}
				s := &sc.steps[frame-1]
				// Both list events in the order of tsharkFlags, which is
				// SegEvent order.
				if want := wantOf(s); !slices.Equal(got, want) {
					t.Errorf("frame %d (%c %s seq %d ack %d len %d): tshark %q, the scenario %q",
						frame, s.from, s.flags, s.seq, s.ack, s.len, got, want)
				}
			}
		})
	}
}

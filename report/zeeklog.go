package report

import (
	"bufio"
	"encoding/binary"
	"hash/fnv"
	"io"
	"net/netip"
	"strconv"
	"time"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
)

// ZeekLog writes Zeek's conn.log in Zeek's ASCII format (the logging
// framework's ASCII writer), as zeek-cut and the tools that read Zeek logs
// take it: a header of '#' lines naming the separator, the fields and
// their types, then a tab-separated row per TCP connection, and a #close
// line. The fields are those of Zeek 6 and 7's conn.log without the
// optional ones its later releases append, with Zeek's meanings; all the
// connection's values come from flow's model of Zeek (flow.Zeek) and its
// counters.
//
// Rows come in our connection order, the order connections reach Done;
// Zeek writes a row when it removes the connection, so its rows can come
// in another order.
//
// What differs from Zeek's own log, by design:
//   - uid: Zeek draws it at random; ours is "C" and base62 digits made from
//     a hash of the connection (4-tuple, zone, first time, number) and its
//     number, so that one capture always gives the same uids and no two
//     rows of a log share one.
//   - service is always unset: we do no protocol detection.
//   - tunnel_parents is always unset: we name no tunnel connections.
//   - local_orig and local_resp are T for an address in Zeek's default
//     Site::private_address_space, which Zeek copies into Site::local_nets
//     unless told otherwise (Site::private_address_space_is_local), F for
//     any other; there is no flag for a site's own networks.
//   - duration runs to the connection's last packet; Zeek's stops at the
//     last packet before both endpoints closed, so after two FINs ours is
//     longer by the closing ACKs.
//   - #open and #close hold the first and the latest packet time of the
//     connections logged, in UTC (Zeek writes its clock's local time when
//     it opens and closes the file), so that one capture always gives the
//     same file; a log of no connection takes the time it was written.
//     Zeek 2.x (Bro) wrote the trace's time there too when reading one.
type ZeekLog struct {
	w           *bufio.Writer
	row         []byte
	open        bool     // the header is written
	first, last fsm.Time // #open and #close
}

// NewZeekLog returns a conn.log writer to w.
func NewZeekLog(w io.Writer) *ZeekLog { return &ZeekLog{w: bufio.NewWriter(w)} }

// zeekFields and zeekTypes are conn.log's #fields and #types.
const (
	zeekFields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t" +
		"orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t" +
		"orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents"
	zeekTypes = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\t" +
		"count\tcount\tstring\tbool\tbool\tcount\tstring\t" +
		"count\tcount\tcount\tcount\tset[string]"
	// zeekUnset is the #unset_field mark.
	zeekUnset = "-"
)

// Event does nothing: a row is made of the finished connection.
func (*ZeekLog) Event(*flow.Conn, *flow.Event) {}

// Segment does nothing, as Event.
func (*ZeekLog) Segment(*flow.Conn, *flow.SegmentEvent) {}

// Done writes the connection's row. None of the values can hold a tab, a
// newline or a non-printable octet, which Zeek would escape: they are
// numbers, addresses, Zeek's own words and history letters.
func (z *ZeekLog) Done(c *flow.Conn) {
	if !z.open {
		z.header(c.First())
	}
	if c.Last().After(z.last) {
		z.last = c.Last()
	}
	o, ok := c.Zeek.Originator()
	if !ok {
		o = fsm.A // no segment reached Zeek's model: nothing says
	}
	r := o ^ 1
	orig, resp := c.Addr(o), c.Addr(r)
	b := z.row[:0]
	b = appendZeekTime(b, c.First())
	b = append(b, '\t')
	b = appendUID(b, c)
	b = append(b, '\t')
	b = append(b, orig.Addr().String()...)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(orig.Port()), 10)
	b = append(b, '\t')
	b = append(b, resp.Addr().String()...)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(resp.Port()), 10)
	b = append(b, "\ttcp\t"...)
	b = append(b, zeekUnset...) // service
	b = append(b, '\t')
	// Zeek sets duration and the two sizes only when the duration is above
	// zero (conn/main.zeek, set_conn): a one-packet connection has none.
	if d := micros(c.Last()) - micros(c.First()); d > 0 {
		b = appendMicros(b, d)
		b = append(b, '\t')
		b = strconv.AppendUint(b, c.Zeek.Size(o), 10)
		b = append(b, '\t')
		b = strconv.AppendUint(b, c.Zeek.Size(r), 10)
	} else {
		b = append(b, zeekUnset+"\t"+zeekUnset+"\t"+zeekUnset...)
	}
	b = append(b, '\t')
	b = append(b, c.Zeek.ConnState(o)...)
	b = append(b, '\t')
	b = appendBool(b, zeekLocal(orig.Addr()))
	b = append(b, '\t')
	b = appendBool(b, zeekLocal(resp.Addr()))
	b = append(b, '\t')
	b = strconv.AppendUint(b, c.Zeek.MissedBytes(), 10)
	b = append(b, '\t')
	// An empty history is unset (set_conn writes it only when not "").
	n := len(b)
	if b = c.Zeek.AppendHistory(b, o); len(b) == n {
		b = append(b, zeekUnset...)
	}
	for _, s := range []fsm.Side{o, r} {
		pkts, ipBytes := c.ZeekPackets(s)
		b = append(b, '\t')
		b = strconv.AppendUint(b, pkts, 10)
		b = append(b, '\t')
		b = strconv.AppendUint(b, ipBytes, 10)
	}
	b = append(b, '\t')
	b = append(b, zeekUnset...) // tunnel_parents
	b = append(b, '\n')
	z.w.Write(b)
	z.row = b
}

// header writes the lines before the rows, opened at t.
func (z *ZeekLog) header(t fsm.Time) {
	z.open, z.first, z.last = true, t, t
	w := z.w
	// The separator line names the tab in the escaped form and is itself
	// separated by a space: it has to be read before the separator is
	// known.
	w.WriteString("#separator \\x09\n")
	w.WriteString("#set_separator\t,\n")
	w.WriteString("#empty_field\t(empty)\n")
	w.WriteString("#unset_field\t" + zeekUnset + "\n")
	w.WriteString("#path\tconn\n")
	w.WriteString("#open\t" + zeekDate(t) + "\n")
	w.WriteString("#fields\t" + zeekFields + "\n")
	w.WriteString("#types\t" + zeekTypes + "\n")
}

// Close writes the #close line and flushes.
func (z *ZeekLog) Close(*Totals) error {
	if !z.open {
		z.header(fsm.TimeOf(time.Now()))
	}
	z.w.WriteString("#close\t" + zeekDate(z.last) + "\n")
	return z.w.Flush()
}

// zeekDate writes t as Zeek's #open and #close do, to the second, in UTC.
func zeekDate(t fsm.Time) string { return t.Time().Format("2006-01-02-15-04-05") }

// micros returns t in microseconds since the epoch, rounded: Zeek's times
// are seconds with six decimals.
func micros(t fsm.Time) int64 {
	ns := int64(t)
	if ns < 0 {
		return -((-ns + 500) / 1000)
	}
	return (ns + 500) / 1000
}

// appendZeekTime appends t as Zeek writes a time: epoch seconds with six
// decimals.
func appendZeekTime(b []byte, t fsm.Time) []byte { return appendMicros(b, micros(t)) }

// appendMicros appends us microseconds as seconds with six decimals.
func appendMicros(b []byte, us int64) []byte {
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := us % 1e6
	for d := int64(1e5); d > 0; d /= 10 {
		b = append(b, byte('0'+frac/d%10))
	}
	return b
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 'T')
	}
	return append(b, 'F')
}

// appendUID appends the connection's uid: "C", 11 base62 digits of a hash
// of the connection, then its number in base62. The number makes it
// unique in the log, the hash makes uids of two captures unlike.
func appendUID(b []byte, c *flow.Conn) []byte {
	h := fnv.New64a()
	var buf [8]byte
	for _, s := range []fsm.Side{fsm.A, fsm.B} {
		a := c.Addr(s)
		ip := a.Addr().As16()
		h.Write(ip[:])
		binary.BigEndian.PutUint16(buf[:2], a.Port())
		h.Write(buf[:2])
	}
	z := c.Zone()
	binary.BigEndian.PutUint16(buf[:2], z.VLAN[0])
	binary.BigEndian.PutUint16(buf[2:4], z.VLAN[1])
	binary.BigEndian.PutUint32(buf[4:], z.TunnelID)
	h.Write(buf[:])
	h.Write([]byte{byte(z.Tunnel)})
	binary.BigEndian.PutUint64(buf[:], uint64(c.First()))
	h.Write(buf[:])
	binary.BigEndian.PutUint64(buf[:], uint64(c.ID))
	h.Write(buf[:])
	b = append(b, 'C')
	x := h.Sum64()
	for range 11 { // 62^11 > 2^64
		b = append(b, base62[x%62])
		x /= 62
	}
	n := uint64(c.ID)
	for {
		b = append(b, base62[n%62])
		if n /= 62; n == 0 {
			return b
		}
	}
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// zeekPrivate is Zeek's default Site::private_address_space
// (base/utils/site.zeek): IANA's special-purpose blocks that are not
// routed on the Internet, and their 6to4 forms.
var zeekPrivate = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "2002::/24",
		"10.0.0.0/8", "2002:a00::/24",
		"100.64.0.0/10", "2002:6440::/26",
		"127.0.0.0/8", "2002:7f00::/24",
		"169.254.0.0/16", "2002:a9fe::/32",
		"172.16.0.0/12", "2002:ac10::/28",
		"192.0.0.0/24", "2002:c000::/40",
		"192.0.2.0/24", "2002:c000:200::/40",
		"192.168.0.0/16", "2002:c0a8::/32",
		"198.18.0.0/15", "2002:c612::/31",
		"198.51.100.0/24", "2002:c633:6400::/40",
		"203.0.113.0/24", "2002:cb00:7100::/40",
		"240.0.0.0/4", "2002:f000::/20",
		"255.255.255.255/32", "2002:ffff:ffff::/48",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23",
		"2001:2::/48", "2001:db8::/32", "fc00::/7", "fe80::/10",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// zeekLocal is Zeek's Site::is_local_addr with Site::local_nets left as
// Zeek starts it: the private address space.
func zeekLocal(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range zeekPrivate {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

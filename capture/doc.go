// Package capture reads packets from pcap and pcapng files and decodes the
// TCP segments among them into fsm.Segment values.
//
// It has three parts:
//
//   - Reader, our own reader of classic pcap (microsecond and nanosecond,
//     either byte order, optionally gzip-compressed) and pcapng (several
//     sections and interfaces, per-interface link type and timestamp
//     resolution). It keeps the true 16-bit link type, which gopacket
//     truncates to 8 bits (LINKTYPE_LINUX_SLL2 276 would arrive as 20), and
//     reports damage as a *FormatError naming the record and byte offset.
//   - Decoder, which walks the link, IP and TCP headers by hand without
//     allocating, follows tunnels (IP in IP, GRE, ERSPAN, VXLAN, Geneve),
//     records each segment's zone (VLAN tags, innermost tunnel), and counts
//     every packet it cannot turn into a segment.
//   - Filter and FilterSet, BPF filters compiled by libpcap for the real
//     link type of each packet, applied to packets read from files.
//
// The decoder is a passive observer: it reports what the capture point saw.
// The payload length of a segment comes from the IP header, not from the
// captured length, so that a capture cut short by its snapshot length still
// accounts for the sequence space each segment used.
package capture

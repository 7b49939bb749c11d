package main

import (
	"errors"
	"fmt"
	"io"

	"tcpflow-fsm/capture"
	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

// analysis is what takes the segments decoded, in capture order: a
// flow.Table (live), or a flow.Pool (offline, on --workers cores).
type analysis interface {
	Add(*fsm.Segment)
}

// packets is what every capture does with each packet read, offline and
// live: count it, pass it through the filter, decode it and hand the
// segment to the analysis. Live, libpcap filters before the packet comes
// (filters is nil); a file's packets are filtered here.
type packets struct {
	to      analysis
	dec     *capture.Decoder
	seg     fsm.Segment
	filters *capture.FilterSet // nil: every packet is kept
	stderr  io.Writer          // where a filter that does not apply is said
	// unfiltered holds the link types the filter does not apply to.
	unfiltered map[uint16]bool
	// Packets read, those the filter left out, and those it kept.
	read, filtered, kept uint64
}

// newPackets returns the packet step of a capture, handing segments to to.
func newPackets(o *options, to analysis) packets {
	dec := capture.NewDecoder()
	dec.VerifyChecksums = o.verifySums
	return packets{to: to, dec: dec}
}

// filter has the packets matched against filters; a link type they do not
// apply to is said once on stderr.
func (ps *packets) filter(filters *capture.FilterSet, stderr io.Writer) {
	ps.filters, ps.stderr, ps.unfiltered = filters, stderr, map[uint16]bool{}
}

// packet analyses one packet.
func (ps *packets) packet(p *capture.Packet) {
	ps.read++
	if ps.filters != nil && !ps.match(p) {
		return
	}
	ps.kept++
	if ps.dec.Decode(p, &ps.seg) {
		ps.to.Add(&ps.seg)
	}
}

// match reports whether the filter keeps p, and counts it if not.
func (ps *packets) match(p *capture.Packet) bool {
	ok, err := ps.filters.Match(p)
	if err != nil {
		// Valid (it compiled for Ethernet), but not for this link type,
		// another interface of a pcapng file: skip its packets, count
		// them, say so once per link type.
		if fe := (*capture.FilterError)(nil); errors.As(err, &fe) && !ps.unfiltered[p.LinkType] {
			ps.unfiltered[p.LinkType] = true
			fmt.Fprintf(ps.stderr, "tcpflow-fsm: the filter does not apply to link type %d (%s): its packets are skipped, counted as filter_not_applicable\n", p.LinkType, fe.Reason)
		}
		ps.dec.Skip(capture.ReasonFilterNotApplicable)
		return false
	}
	if !ok {
		ps.filtered++
	}
	return ok
}

// totals gathers the counters printed last, with the analysis' st.
func (ps *packets) totals(st flow.Stats) report.Totals {
	return totals(ps.read, ps.filtered, ps.dec, st)
}

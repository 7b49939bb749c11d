package capture

/*
#cgo LDFLAGS: -lpcap
#cgo noescape pcap_offline_filter
#cgo nocallback pcap_offline_filter
#include <stdlib.h>
#include <pcap/pcap.h>
*/
import "C"

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// FilterError is a filter expression libpcap would not compile.
type FilterError struct {
	Expr     string // the expression as given
	LinkType uint16 // the link type it was compiled for
	Reason   string // libpcap's reason
}

// Error returns one line: `bad filter "port nine": <libpcap's reason>`.
func (e *FilterError) Error() string {
	return "bad filter " + strconv.Quote(e.Expr) + ": " + e.Reason
}

// Filter is a BPF program compiled by libpcap for one link type, applied to
// packets read from files. It holds C memory: Close it. A Filter is not safe
// for concurrent use.
type Filter struct {
	expr     string
	linkType uint16
	mem      *filterMem
	cleanup  runtime.Cleanup
}

// filterMem is the C memory of a Filter.
type filterMem struct {
	prog *C.struct_bpf_program
	hdr  *C.struct_pcap_pkthdr
}

func (m *filterMem) free() {
	C.pcap_freecode(m.prog)
	C.free(unsafe.Pointer(m.prog))
	C.free(unsafe.Pointer(m.hdr))
}

// compileMu serialises pcap_compile, whose parser is not reentrant in
// libpcap releases before 1.8.
var compileMu sync.Mutex

// dlt returns the DLT_ value libpcap's code generator knows for a LINKTYPE_
// value. They are the same number but for a few; of those we decode, the
// raw IP ones (LINKTYPE_RAW 101, and 12 and 14 as some writers store it)
// are DLT_RAW, whose value depends on the platform.
func dlt(linkType uint16) C.int {
	switch linkType {
	case LinkTypeRaw, LinkTypeRawOld, LinkTypeRawOpenBSD:
		return C.DLT_RAW
	case 100: // LINKTYPE_ATM_RFC1483
		return C.DLT_ATM_RFC1483
	}
	return C.int(linkType)
}

// CompileFilter compiles a tcpdump filter expression for packets of the
// given link type (the full 16-bit LINKTYPE_ value, so 276 works) and
// snapshot length (0 means 262144). The error is a *FilterError.
func CompileFilter(expr string, linkType uint16, snaplen int) (*Filter, error) {
	if snaplen <= 0 {
		snaplen = lenientSnaplen
	}
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))

	compileMu.Lock()
	defer compileMu.Unlock()
	h := C.pcap_open_dead(dlt(linkType), C.int(snaplen))
	if h == nil {
		return nil, &FilterError{Expr: expr, LinkType: linkType, Reason: "libpcap cannot open link type " + strconv.Itoa(int(linkType))}
	}
	defer C.pcap_close(h)
	m := &filterMem{
		prog: (*C.struct_bpf_program)(C.calloc(1, C.sizeof_struct_bpf_program)),
		hdr:  (*C.struct_pcap_pkthdr)(C.calloc(1, C.sizeof_struct_pcap_pkthdr)),
	}
	if C.pcap_compile(h, m.prog, cexpr, 1, C.PCAP_NETMASK_UNKNOWN) != 0 {
		reason := strings.TrimSpace(C.GoString(C.pcap_geterr(h)))
		m.free()
		return nil, &FilterError{Expr: expr, LinkType: linkType, Reason: reason}
	}
	f := &Filter{expr: expr, linkType: linkType, mem: m}
	// Free the program if the Filter is dropped without Close.
	f.cleanup = runtime.AddCleanup(f, (*filterMem).free, m)
	return f, nil
}

// Match reports whether the filter accepts a packet whose captured bytes
// are data and whose length on the wire was origLen. A closed Filter
// matches nothing.
func (f *Filter) Match(data []byte, origLen int) bool {
	if f == nil || f.mem == nil {
		return false
	}
	if origLen < len(data) {
		origLen = len(data)
	}
	hdr := f.mem.hdr
	hdr.caplen = C.bpf_u_int32(len(data))
	hdr.len = C.bpf_u_int32(origLen)
	// With no data, every load the program tries fails its bounds check
	// before touching the pointer, so nil is safe.
	var pkt *C.u_char
	if len(data) > 0 {
		pkt = (*C.u_char)(unsafe.Pointer(&data[0]))
	}
	return C.pcap_offline_filter(f.mem.prog, hdr, pkt) != 0
}

// Expr returns the filter expression.
func (f *Filter) Expr() string { return f.expr }

// LinkType returns the link type the filter was compiled for.
func (f *Filter) LinkType() uint16 { return f.linkType }

// Close frees the compiled program. It is safe to call more than once.
func (f *Filter) Close() error {
	if f == nil || f.mem == nil {
		return nil
	}
	f.cleanup.Stop()
	f.mem.free()
	f.mem = nil
	return nil
}

// FilterSet applies one filter expression to packets of any link type,
// compiling it for each link type the first time a packet of that type
// comes, as pcapng files may mix link types. An empty expression matches
// every packet without calling libpcap. A FilterSet is not safe for
// concurrent use.
type FilterSet struct {
	expr    string
	snaplen int
	all     bool

	last    *Filter // the filter of the last link type seen
	lastErr error
	lastLT  uint16
	hasLast bool

	filters map[uint16]*Filter
	errs    map[uint16]error
}

// NewFilterSet returns a FilterSet for expr, whose filters will be compiled
// for the given snapshot length (0 means 262144).
func NewFilterSet(expr string, snaplen int) *FilterSet {
	return &FilterSet{
		expr:    expr,
		snaplen: snaplen,
		all:     strings.TrimSpace(expr) == "",
		filters: make(map[uint16]*Filter),
		errs:    make(map[uint16]error),
	}
}

// Expr returns the filter expression.
func (s *FilterSet) Expr() string { return s.expr }

// Match reports whether the filter accepts p, compiling it for p's link
// type if this is the first packet of that type. When the expression does
// not compile for that link type, Match returns false and the
// *FilterError, every time a packet of that type comes: such a packet is
// neither kept nor rejected, and the command skips it and counts it
// (Decoder.Skip with ReasonFilterNotApplicable).
func (s *FilterSet) Match(p *Packet) (bool, error) {
	if s.all {
		return true, nil
	}
	if !s.hasLast || s.lastLT != p.LinkType {
		f, ok := s.filters[p.LinkType]
		err := s.errs[p.LinkType]
		if !ok && err == nil {
			f, err = CompileFilter(s.expr, p.LinkType, s.snaplen)
			if err != nil {
				s.errs[p.LinkType] = err
			} else {
				s.filters[p.LinkType] = f
			}
		}
		s.last, s.lastErr, s.lastLT, s.hasLast = f, err, p.LinkType, true
	}
	if s.lastErr != nil {
		return false, s.lastErr
	}
	return s.last.Match(p.Data, p.OrigLen), nil
}

// Close frees every compiled filter. It is safe to call more than once;
// the set then compiles afresh if used again.
func (s *FilterSet) Close() error {
	for lt, f := range s.filters {
		f.Close()
		delete(s.filters, lt)
	}
	s.last, s.lastErr, s.hasLast = nil, nil, false
	return nil
}

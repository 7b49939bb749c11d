package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tcpflow-fsm/fsm"
)

// TopFrame is one refresh of the --top view: what Top.Tick counted.
type TopFrame struct {
	Time fsm.Time // the capture clock at the refresh
	// Interval is the time since the previous frame, which the rates are
	// over; 0 for the first.
	Interval time.Duration
	Source   string
	Packets  uint64
	Dropped  uint64
	Tracked  int // connections tracked
	Servers  int // server endpoints tracked
	Rows     []TopRow
	Findings []TopFinding
}

// TopRow is a server endpoint's row: its connections tracked, and what
// happened in the interval.
type TopRow struct {
	Server string
	Conns  int
	// States counts the connections with an endpoint, the client's or
	// the server's, in each state: a connection counts in each of its
	// endpoints' states, once.
	States [fsm.NumStates]int
	// FinWait counts the connections with an endpoint in FIN-WAIT-1 or
	// FIN-WAIT-2.
	FinWait int
	// Oldest is how long the oldest endpoint has been in SYN-RECEIVED,
	// CLOSE-WAIT, and FIN-WAIT-1 or FIN-WAIT-2.
	Oldest                                  [numAged]time.Duration
	Opened, Closed, Reset, Refused, Retrans int
	// Handshakes is how many handshake times P50 and P99 are of.
	Handshakes int
	P50, P99   time.Duration
}

// TopFinding is a finding as the view lists it.
type TopFinding struct {
	Severity, Code string
	Count          int
	Target         string
	Latest         bool // Target is the server of the latest connection that showed it
}

// TopSort is the order of the view's rows.
type TopSort int

// The orders, in the order the s key goes through them.
const (
	SortConns     TopSort = iota // connections tracked
	SortOpened                   // connections opened
	SortErrors                   // connections reset and refused
	SortRetrans                  // retransmissions
	SortHandshake                // handshake time, p99
	SortOldest                   // the oldest in SYN-RECEIVED, CLOSE-WAIT or FIN-WAIT
	numTopSorts
)

var sortNames = [numTopSorts]string{"conns", "open/s", "reset+refused/s", "retr/s", "hs p99", "oldest"}

func (s TopSort) String() string { return sortNames[s] }

// Next is the order after s.
func (s TopSort) Next() TopSort { return (s + 1) % numTopSorts }

func (s TopSort) key(r *TopRow) int64 {
	switch s {
	case SortOpened:
		return int64(r.Opened)
	case SortErrors:
		return int64(r.Reset + r.Refused)
	case SortRetrans:
		return int64(r.Retrans)
	case SortHandshake:
		return int64(r.P99)
	case SortOldest:
		return int64(slices.Max(r.Oldest[:]))
	}
	return int64(r.Conns)
}

// TopView is how a frame is drawn: the terminal's size and what the keys
// chose.
type TopView struct {
	Width, Height int
	Sort          TopSort
	Paused        bool
	Help          bool
	Color         bool
	Loc           *time.Location
}

// Columns of the rows. The states go first, then the rates: on a
// terminal narrower than both, a row takes two lines.
const (
	topServerWidth  = 21
	topStatesFormat = "%-21s%5s%6s%6s%6s%7s%5s%7s%5s%7s%5s"
	topRatesFormat  = "%8s%8s%8s%10s%8s%8s%8s"
)

var (
	topStatesHead = fmt.Sprintf(topStatesFormat, "SERVER", "CONN", "EST", "T-W", "SYN-S", "SYN-R", "age", "CL-W", "age", "F-W", "age")
	topRatesHead  = fmt.Sprintf(topRatesFormat, "open/s", "close/s", "reset/s", "refused/s", "retr/s", "hs p50", "hs p99")
	topGap        = strings.Repeat(" ", topServerWidth) // under SERVER, before a row's second line
)

// The most findings listed above the rows.
const topFindingLines = 3

// Lines draws the frame: at most v.Height lines of at most v.Width
// columns (colour codes aside), without newlines.
func (f *TopFrame) Lines(v *TopView) []string {
	var ls []string
	add := func(s string) { ls = append(ls, s) }

	// The header: what is captured and when, then the counts.
	right := f.Time.Time().In(v.loc()).Format("15:04:05")
	if v.Paused {
		right = "PAUSED  " + right
	}
	add(spread("tcpflow-fsm --top  "+printable(f.Source), right, v.Width))
	add(fmt.Sprintf("%d packets, %d dropped; %s tracked, %s; sort: %s",
		f.Packets, f.Dropped, plural(f.Tracked, "connection"), plural(f.Servers, "server"), v.Sort))

	if v.Help {
		ls = append(ls, topHelp...)
		ls = append(ls[:min(len(ls), max(v.Height-1, 0))], "h back to the view")
		return fit(ls, v)
	}

	// The findings, the most severe first.
	switch fs := f.Findings; {
	case len(fs) == 0:
		add("no findings")
	default:
		n := len(fs)
		if n > topFindingLines {
			n = topFindingLines - 1
		}
		for _, fd := range fs[:n] {
			add(findingLine(&fd, v))
		}
		if n < len(fs) {
			add(fmt.Sprintf("... and %d more findings (all in the summary at q)", len(fs)-n))
		}
	}

	// The rows, as many as fit above the keys' line.
	add("")
	wide := v.Width >= len(topStatesHead)+len(topRatesHead)
	per := 2
	if wide {
		add(topStatesHead + topRatesHead)
		per = 1
	} else {
		add(topStatesHead)
		add(topGap + topRatesHead)
	}
	rows := slices.Clone(f.Rows)
	slices.SortFunc(rows, func(a, b TopRow) int {
		if d := cmp.Compare(v.Sort.key(&b), v.Sort.key(&a)); d != 0 {
			return d
		}
		if d := cmp.Compare(b.Conns, a.Conns); d != 0 {
			return d
		}
		return strings.Compare(a.Server, b.Server)
	})
	room := max(v.Height-len(ls)-1, 0) / per
	shown := min(room, len(rows))
	for i := range shown {
		states, rates := rowLines(&rows[i], f.Interval)
		if wide {
			add(states + rates)
		} else {
			add(states)
			add(topGap + rates)
		}
	}

	keys := "q quit  p pause  s sort  h help"
	if v.Paused {
		keys = "q quit  p resume  s sort  h help"
	}
	more := ""
	if hidden := len(rows) - shown; hidden > 0 {
		more = strconv.Itoa(hidden) + " more servers"
	}
	add(spread(keys, more, v.Width))
	return fit(ls, v)
}

// rowLines formats a row: its states, then its rates and handshake times.
func rowLines(r *TopRow, interval time.Duration) (states, rates string) {
	aged := func(n, i int) (string, string) {
		if n == 0 {
			return "0", "-"
		}
		return count(n), age(r.Oldest[i])
	}
	srN, srAge := aged(r.States[fsm.SynReceived], agedSynReceived)
	cwN, cwAge := aged(r.States[fsm.CloseWait], agedCloseWait)
	fwN, fwAge := aged(r.FinWait, agedFinWait)
	states = fmt.Sprintf(topStatesFormat, elide(r.Server, topServerWidth), count(r.Conns),
		count(r.States[fsm.Established]), count(r.States[fsm.TimeWait]), count(r.States[fsm.SynSent]), srN, srAge, cwN, cwAge, fwN, fwAge)
	p50, p99 := "-", "-"
	if r.Handshakes > 0 {
		p50, p99 = handshakeTime(r.P50), handshakeTime(r.P99)
	}
	rates = fmt.Sprintf(topRatesFormat, rate(r.Opened, interval), rate(r.Closed, interval),
		rate(r.Reset, interval), rate(r.Refused, interval), rate(r.Retrans, interval), p50, p99)
	return states, rates
}

// findingLine is a finding as the view lists it: its severity in words
// (painted when colour is on), code, count and target.
func findingLine(f *TopFinding, v *TopView) string {
	label := fmt.Sprintf("%-8s", strings.ToUpper(f.Severity))
	target := f.Target
	if f.Latest {
		target = "latest " + target
	}
	rest := fmt.Sprintf(" %-17s %7d  %s", f.Code, f.Count, target)
	if v.Width < len(label) {
		return label[:max(v.Width, 0)]
	}
	rest = cut(rest, v.Width-len(label))
	return painter(v.Color).finding(f.Severity, label) + rest
}

// topHelp explains the columns and the keys.
var topHelp = []string{
	"A row per server endpoint: its connections tracked, counted in the state of each",
	"endpoint, client's and server's (a connection may count twice: a leak shows in",
	"CLOSE-WAIT and in its peer's FIN-WAIT-2), and what happened since the previous",
	"refresh (every second).",
	"  CONN   connections tracked       EST    ESTABLISHED     T-W  TIME-WAIT",
	"  SYN-S  SYN-SENT                  SYN-R  SYN-RECEIVED    CL-W CLOSE-WAIT",
	"  F-W    FIN-WAIT-1 and FIN-WAIT-2 age    how long the oldest has been in it",
	"  open/s close/s reset/s refused/s  connections opened, closed (no endpoint",
	"         synchronized any more), reset, refused (SYN answered by RST) per second",
	"  retr/s retransmissions per second (fast and spurious ones too)",
	"  hs p50 hs p99  handshake time, the client's first SYN to the server's SYN,ACK",
	"         at the capture point: median and 99th percentile of the latest 512",
	"Findings: what shows now (what lasts, once it has lasted --stuck), the most",
	"severe first; \"latest\" names the server of the latest connection in it.",
	"Keys: q or Ctrl-C quit and print the summary; p or space pause the refresh (the",
	"capture goes on); s sort by the next column; h or ? this help.",
}

// fit cuts the lines to the view's size.
func fit(ls []string, v *TopView) []string {
	if len(ls) > v.Height {
		ls = ls[:max(v.Height, 0)]
	}
	for i, l := range ls {
		if !strings.Contains(l, "\x1b") {
			ls[i] = cut(l, v.Width)
		}
	}
	return ls
}

func (v *TopView) loc() *time.Location {
	if v.Loc == nil {
		return time.Local
	}
	return v.Loc
}

// spread puts left and right on one line of width columns, right at its
// end, left cut short if both do not fit.
func spread(left, right string, width int) string {
	room := width - len(right) - 1
	if right == "" {
		room = width
	}
	if room < 0 {
		return cut(left, width)
	}
	left = cut(left, room)
	if right == "" {
		return left
	}
	return left + strings.Repeat(" ", width-len(left)-len(right)) + right
}

// cut shortens s to at most n bytes, at the start of a character. The
// view's text is ASCII but for the interface and the filter, whose bytes
// are as many as their columns or more (printable escapes the rest).
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n = max(n, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// elide shortens s to n bytes, a ~ standing for its middle: an IPv6
// endpoint keeps its start and its port.
func elide(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head := (n - 1) / 2
	return s[:head] + "~" + s[len(s)-(n-1-head):]
}

// plural is "1 server", "2 servers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// count formats a count in at most 4 columns: 9999, 300k, 12M.
func count(n int) string {
	switch {
	case n < 10_000:
		return strconv.Itoa(n)
	case n < 10_000_000:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n/1_000_000) + "M"
}

// age formats how long something has lasted in at most 4 columns: 0.3s,
// 45s, 2m05, 12m, 3h20, 40h, 5d.
func age(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return strconv.FormatFloat(max(d, 0).Seconds(), 'f', 1, 64) + "s"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < 10*time.Minute:
		return fmt.Sprintf("%dm%02d", d/time.Minute, d%time.Minute/time.Second)
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 10*time.Hour:
		return fmt.Sprintf("%dh%02d", d/time.Hour, d%time.Hour/time.Minute)
	case d < 100*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// rate formats n per second over interval, "-" for the first frame.
func rate(n int, interval time.Duration) string {
	if interval <= 0 {
		return "-"
	}
	r := float64(n) / interval.Seconds()
	switch {
	case n == 0:
		return "0"
	case r < 1000:
		return strconv.FormatFloat(r, 'f', 1, 64)
	case r < 1e6:
		return strconv.FormatFloat(r/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(r/1e6, 'f', 1, 64) + "M"
}

// handshakeTime formats a handshake time in at most 7 columns.
func handshakeTime(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d < time.Millisecond:
		return strconv.Itoa(int(d/time.Microsecond)) + "us"
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case d < 100*time.Millisecond:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	case d < time.Second:
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	case d < 100*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 0, 64) + "s"
}

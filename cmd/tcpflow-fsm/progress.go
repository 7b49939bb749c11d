package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress writes one line on a terminal while a large capture is read:
// bytes read, packets per second, time left. It writes nothing when stderr
// is not a terminal, for standard input, or for small files.
type progress struct {
	w       io.Writer
	size    int64
	start   time.Time
	next    time.Time
	packets uint64
	shown   bool
}

// progressMinSize is the file size below which reading is too quick to
// need a progress line.
var progressMinSize int64 = 32 << 20

// progressEvery is how often the line is rewritten.
var progressEvery = 250 * time.Millisecond

func newProgress(path string, stderr io.Writer) *progress {
	if path == "-" || !isTerminal(stderr) {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() < progressMinSize {
		return nil
	}
	now := time.Now()
	return &progress{w: stderr, size: st.Size(), start: now, next: now.Add(progressEvery)}
}

// packet notes one more packet read, with off bytes of the file read
// (compressed bytes for a gzip file, whose size counts those).
func (p *progress) packet(off int64) {
	if p == nil {
		return
	}
	p.packets++
	if p.packets%4096 != 0 {
		return
	}
	now := time.Now()
	if now.Before(p.next) {
		return
	}
	p.next = now.Add(progressEvery)
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(p.packets) / elapsed
	eta := "?"
	if off > 0 && off <= p.size {
		eta = (time.Duration(elapsed*float64(p.size-off)/float64(off)) * time.Second).Truncate(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\x1b[Kread %d of %d MiB (%d%%), %.2f M packets/s, %s left",
		off>>20, p.size>>20, off*100/p.size, rate/1e6, eta)
	p.shown = true
}

// done clears the line.
func (p *progress) done() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

package main

import (
	"fmt"
	"io"
	"os"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/report"
)

// tee feeds one event stream to several renderers: the one writing to
// standard output and those writing to files (--html).
type tee struct {
	rs     []renderer
	files  []*os.File
	closed bool
}

func (t *tee) Event(c *flow.Conn, e *flow.Event) {
	for _, r := range t.rs {
		r.Event(c, e)
	}
}

func (t *tee) Segment(c *flow.Conn, e *flow.SegmentEvent) {
	for _, r := range t.rs {
		r.Segment(c, e)
	}
}

func (t *tee) Done(c *flow.Conn) {
	for _, r := range t.rs {
		r.Done(c)
	}
}

// Close closes every renderer, then the files, and returns the first
// error.
func (t *tee) Close(tot *report.Totals) error {
	t.closed = true
	var first error
	for _, r := range t.rs {
		if err := r.Close(tot); err != nil && first == nil {
			first = err
		}
	}
	for _, f := range t.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// abandon removes the files when nothing was written to them: the
// capture could not be opened, so there is nothing to report.
func (t *tee) abandon() {
	if t.closed {
		return
	}
	for _, f := range t.files {
		f.Close()
		os.Remove(f.Name())
	}
}

// finish abandons out's files if analyse returned before closing it.
func finish(out renderer) {
	if t, ok := out.(*tee); ok {
		t.abandon()
	}
}

// withFiles returns out with the renderers of the files the flags ask for
// (--html) beside it, the files created; or out alone when none is asked.
// A file that cannot be created is an error before anything is read.
func withFiles(o *options, out renderer) (renderer, error) {
	if o.html == "" {
		return out, nil
	}
	t := &tee{rs: []renderer{out}}
	create := func(name string) (io.Writer, error) {
		f, err := os.Create(name)
		if err != nil {
			for _, g := range t.files {
				g.Close()
			}
			return nil, fmt.Errorf("cannot write the report: %w", err)
		}
		t.files = append(t.files, f)
		return f, nil
	}
	if o.html != "" {
		f, err := create(o.html)
		if err != nil {
			return nil, err
		}
		h := report.NewHTML(f, captureName(o.file))
		h.SetThresholds(o.thresholds())
		t.rs = append(t.rs, h)
	}
	return t, nil
}

// captureName is how a report names the capture it was made of.
func captureName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

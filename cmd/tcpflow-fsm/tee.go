package main

import (
	"errors"
	"fmt"
	"os"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/report"
)

// tee is a renderer that hands everything to each of its renderers in
// turn: the output on standard output and the files written beside it
// (--zeek-log, --html).
type tee []renderer

func (t tee) Event(c *flow.Conn, e *flow.Event) {
	for _, r := range t {
		r.Event(c, e)
	}
}

func (t tee) Segment(c *flow.Conn, e *flow.SegmentEvent) {
	for _, r := range t {
		r.Segment(c, e)
	}
}

func (t tee) Done(c *flow.Conn) {
	for _, r := range t {
		r.Done(c)
	}
}

// Close closes every renderer, also after one has failed, and returns
// their errors.
func (t tee) Close(tot *report.Totals) error {
	var errs []error
	for _, r := range t {
		errs = append(errs, r.Close(tot))
	}
	return errors.Join(errs...)
}

// fileOut is a renderer writing to a file of its own, which Close closes.
type fileOut struct {
	renderer
	f      *os.File
	closed bool
}

// createFileOut creates the file name and returns the renderer that newRenderer
// makes of it.
func createFileOut(name string, newRenderer func(*os.File) renderer) (*fileOut, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	return &fileOut{renderer: newRenderer(f), f: f}, nil
}

func (o *fileOut) Close(tot *report.Totals) error {
	o.closed = true
	err := o.renderer.Close(tot)
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", o.f.Name(), err)
	}
	return nil
}

// abandon removes the file when the analysis ended before it was written
// (the capture could not be opened): an empty file is no log.
func (o *fileOut) abandon() {
	if !o.closed {
		o.f.Close()
		os.Remove(o.f.Name())
	}
}

// withFiles returns out teed to the files the flags ask for, or out alone.
func withFiles(out renderer, files []*fileOut) renderer {
	if len(files) == 0 {
		return out
	}
	t := tee{out}
	for _, f := range files {
		t = append(t, f)
	}
	return t
}

// createFiles creates the files the flags ask for, before any analysis,
// so that a path that cannot be written fails at once.
func (o *options) createFiles() ([]*fileOut, error) {
	var files []*fileOut
	if o.zeekLog != "" {
		f, err := createFileOut(o.zeekLog, func(f *os.File) renderer { return report.NewZeekLog(f) })
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if o.html != "" {
		f, err := createFileOut(o.html, func(f *os.File) renderer {
			h := report.NewHTML(f, captureName(o.file))
			h.SetThresholds(o.thresholds())
			return h
		})
		if err != nil {
			for _, g := range files {
				g.abandon()
			}
			return nil, fmt.Errorf("cannot write the report: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// captureName is how a report names the capture it was made of.
func captureName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalWhileReading: a SIGINT or SIGTERM while a capture is read from
// a pipe (standard input, as in tcpdump -w - | tcpflow-fsm -r -, or a
// FIFO) stops the reading; what was read is analysed and reported, the
// report says it is incomplete, and the exit status is the signal's.
//
// No sleep decides the outcome: the capture is larger than a pipe's
// buffer, so the test's write returns only once the tool has read from
// the pipe (its signal handler is set before it reads), and the pipe is
// then held open, so that the tool would wait for more for ever.
func TestSignalWhileReading(t *testing.T) {
	tool, _ := liveBinaries(t)
	capture, err := os.ReadFile("../../testdata/kernel/loss.pcap")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		fifo   bool
		sig    syscall.Signal
		status int
		word   string
	}{
		{"stdin, SIGINT", false, syscall.SIGINT, 130, "SIGINT"},
		{"FIFO, SIGTERM", true, syscall.SIGTERM, 143, "SIGTERM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			var w *os.File
			cmd := exec.Command(tool, "-r", "-", "--summary")
			if tc.fifo {
				path := filepath.Join(t.TempDir(), "capture.fifo")
				if err := syscall.Mkfifo(path, 0o600); err != nil {
					t.Fatal(err)
				}
				cmd = exec.Command(tool, "-r", path, "--summary")
				defer func() {
					if w != nil {
						w.Close()
					}
				}()
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if w, err = os.OpenFile(path, os.O_WRONLY, 0); err != nil {
					t.Fatal(err)
				}
			} else {
				r, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				w = pw
				defer w.Close()
				cmd.Stdin, cmd.Stdout, cmd.Stderr = r, &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				r.Close()
			}
			if _, err := w.Write(capture); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatal("the tool did not stop within a minute of the signal")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.status {
				t.Errorf("exit %v, want status %d; stderr %q", err, tc.status, stderr.String())
			}
			out := stdout.String()
			if !strings.Contains(out, "connections: 1") {
				t.Errorf("the analysis of what was read is missing:\n%s", out)
			}
			if !strings.Contains(out, "capture incomplete: ") || !strings.Contains(out, "stopped by "+tc.word) {
				t.Errorf("the report does not say the reading was stopped:\n%s", out)
			}
			if got := strings.TrimSpace(stderr.String()); strings.Count(got, "\n") != 0 || !strings.Contains(got, "stopped by "+tc.word) {
				t.Errorf("stderr %q: want one line saying the reading was stopped", got)
			}
		})
	}
}

// TestLiveOutputFails: a live run whose output cannot be written exits 1,
// as an offline one does, after saying so once.
func TestLiveOutputFails(t *testing.T) {
	ln := newLiveNet(t)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	tool := ln.startToolWith(full, "--json", "port", "9100")
	tool.signal(t, syscall.SIGINT)
	if !tool.wait(10 * time.Second) {
		t.Fatalf("no exit within 10 s of SIGINT; stderr:\n%s", tool.err)
	}
	if got := tool.state.ExitCode(); got != 1 {
		t.Errorf("exit %d with stdout on /dev/full, want 1; stderr:\n%s", got, tool.err)
	}
	if !tool.err.has("tcpflow-fsm: writing output: ") {
		t.Errorf("stderr does not say the output failed:\n%s", tool.err)
	}
}

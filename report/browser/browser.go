package browser

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Names looked up on PATH by Find, in order.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// EnvBrowser names a browser binary to use instead of searching PATH.
const EnvBrowser = "TCPFLOW_BROWSER"

// EnvRequired, when set to 1, turns Require's skip into a failure; CI sets
// it so that browser tests cannot pass by not running.
const EnvRequired = "TCPFLOW_BROWSER_REQUIRED"

// Find returns the path of a Chromium-family browser: $TCPFLOW_BROWSER if
// set, else the first of chromium, chromium-browser, google-chrome and
// google-chrome-stable on PATH.
func Find() (string, error) {
	if p := os.Getenv(EnvBrowser); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBrowser, p, err)
		}
		return path, nil
	}
	for _, name := range browserNames {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no browser on PATH (looked for %s; Debian: apt-get install chromium)", strings.Join(browserNames, ", "))
}

// Require returns the browser's path, or skips the test when there is none;
// with TCPFLOW_BROWSER_REQUIRED=1 it fails the test instead.
func Require(t testing.TB) string {
	t.Helper()
	path, err := Find()
	if err != nil {
		if os.Getenv(EnvRequired) == "1" {
			t.Fatalf("%s=1, but %v", EnvRequired, err)
		}
		t.Skipf("SKIPPED: %v; %s=1 makes this a failure", err, EnvRequired)
	}
	return path
}

// Start is Require and Launch for one test: the browser is closed when the
// test ends, whether it passed, failed or panicked.
func Start(t testing.TB) *Browser {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opt Options) *Browser {
	t.Helper()
	opt.Path = Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := LaunchWith(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("closing the browser: %v", err)
		}
	})
	return b
}

// Options change how Launch starts the browser; the zero value is the
// default.
type Options struct {
	// Path of the browser binary; empty means Find's.
	Path string
	// Width and Height of the window and of every page's viewport in CSS
	// pixels (at device scale factor 1); zero means 1280×800.
	Width, Height int
	// Args are more command-line flags, after ours.
	Args []string
}

// Browser is a running headless Chromium and the DevTools connection to it.
type Browser struct {
	cmd     *exec.Cmd
	dir     string   // the profile (--user-data-dir), removed by Close
	stderr  *os.File // read end of the browser's stderr
	conn    *cdpConn
	wsURL   string
	width   int
	height  int
	exited  chan struct{} // closed when the process has been waited for
	waitErr error

	logMu sync.Mutex
	log   []string // stderr's last lines, for error messages

	closeOnce sync.Once
	closeErr  error
}

// Launch starts headless Chromium with the default Options. ctx bounds the
// start only; the browser runs until Close.
func Launch(ctx context.Context) (*Browser, error) {
	return LaunchWith(ctx, Options{})
}

// LaunchWith starts headless Chromium with opt: a fresh profile in a
// temporary directory, DevTools on a port the kernel picks, and the flags
// that keep rendering deterministic and the browser off the network.
func LaunchWith(ctx context.Context, opt Options) (*Browser, error) {
	if opt.Path == "" {
		p, err := Find()
		if err != nil {
			return nil, err
		}
		opt.Path = p
	}
	if opt.Width <= 0 || opt.Height <= 0 {
		opt.Width, opt.Height = 1280, 800
	}
	dir, err := os.MkdirTemp("", "tcpflow-browser-")
	if err != nil {
		return nil, err
	}
	args := []string{
		"--headless=new",
		"--remote-debugging-port=0",
		"--remote-debugging-address=127.0.0.1",
		"--user-data-dir=" + dir,
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-gpu",
		"--disable-dev-shm-usage", // /dev/shm is small in containers
		"--window-size=" + strconv.Itoa(opt.Width) + "," + strconv.Itoa(opt.Height),
		"--force-device-scale-factor=1",
		"--hide-scrollbars",
		"--font-render-hinting=none",
		"--force-color-profile=srgb",
		"--disable-lcd-text",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-default-apps",
		"--disable-extensions",
		"--disable-sync",
		"--disable-breakpad",
		"--disable-crash-reporter",
		"--disable-client-side-phishing-detection",
		"--disable-domain-reliability",
		"--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,InterestFeedContentSuggestions",
		"--disable-background-timer-throttling",
		"--disable-backgrounding-occluded-windows",
		"--disable-renderer-backgrounding",
		"--disable-hang-monitor",
		"--disable-popup-blocking",
		"--disable-prompt-on-repost",
		"--metrics-recording-only",
		"--no-pings",
		"--password-store=basic",
		"--use-mock-keychain",
		"--mute-audio",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox") // Chromium refuses to run as root with its sandbox
	}
	args = append(args, opt.Args...)
	args = append(args, "about:blank")

	pr, pw, err := os.Pipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(opt.Path, args...)
	cmd.Stderr = pw
	cmd.Dir = dir
	// Its own process group, so that Close can end the renderers and
	// helpers with the browser; and killed if this process dies first
	// (a test binary killed by its -timeout runs no cleanup).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	pw.Close()
	b := &Browser{cmd: cmd, dir: dir, stderr: pr, width: opt.Width, height: opt.Height, exited: make(chan struct{})}
	go func() {
		b.waitErr = cmd.Wait()
		close(b.exited)
	}()

	found := make(chan string, 1)
	go b.readStderr(found)
	select {
	case b.wsURL = <-found:
	case <-b.exited:
		b.Close()
		return nil, fmt.Errorf("%s exited before DevTools listened (%v):\n%s", opt.Path, b.waitErr, b.stderrTail())
	case <-ctx.Done():
		b.Close()
		return nil, fmt.Errorf("waiting for DevTools: %w; stderr:\n%s", ctx.Err(), b.stderrTail())
	}
	ws, err := dialWS(ctx, b.wsURL)
	if err != nil {
		b.Close()
		return nil, err
	}
	b.conn = newCDPConn(ws)
	return b, nil
}

// readStderr keeps the last lines of the browser's stderr and sends the
// DevTools URL on found when it appears.
func (b *Browser) readStderr(found chan<- string) {
	const prefix = "DevTools listening on "
	sc := bufio.NewScanner(b.stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		if !sent {
			if rest, ok := strings.CutPrefix(line, prefix); ok && strings.HasPrefix(rest, "ws://") {
				found <- strings.TrimSpace(rest)
				sent = true
				continue
			}
		}
		b.logMu.Lock()
		b.log = append(b.log, line)
		if len(b.log) > 50 {
			b.log = b.log[len(b.log)-50:]
		}
		b.logMu.Unlock()
	}
}

func (b *Browser) stderrTail() string {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	return strings.Join(b.log, "\n")
}

// PID is the browser's process id; its helpers are in the process group of
// the same id.
func (b *Browser) PID() int { return b.cmd.Process.Pid }

// ProfileDir is the temporary --user-data-dir, which Close removes.
func (b *Browser) ProfileDir() string { return b.dir }

// Version returns the browser's product string, such as
// "Chrome/126.0.6478.126".
func (b *Browser) Version(ctx context.Context) (string, error) {
	var v struct {
		Product string `json:"product"`
	}
	err := b.conn.call(ctx, "", "Browser.getVersion", nil, &v)
	return v.Product, err
}

// Close ends the browser and every process it started, and removes its
// profile directory. It is safe to call more than once.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *Browser) close() error {
	if b.conn != nil {
		b.conn.close()
	}
	// The whole group at once: the browser, its zygotes and renderers.
	pgid := b.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGKILL)
	var errs []error
	select {
	case <-b.exited:
	case <-time.After(30 * time.Second):
		errs = append(errs, fmt.Errorf("browser %d did not exit 30 s after SIGKILL", pgid))
	}
	// Helpers that outlived the browser for a moment: wait until none of
	// the group is left but zombies (which a container's init may never
	// reap, and which hold nothing).
	deadline := time.Now().Add(30 * time.Second)
	for {
		live := groupMembers(pgid)
		if len(live) == 0 {
			break
		}
		if time.Now().After(deadline) {
			errs = append(errs, fmt.Errorf("processes %v of group %d still alive 30 s after SIGKILL", live, pgid))
			break
		}
		syscall.Kill(-pgid, syscall.SIGKILL)
		time.Sleep(20 * time.Millisecond)
	}
	b.stderr.Close()
	if err := os.RemoveAll(b.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// groupMembers lists the processes of group pgid that are not zombies, from
// /proc/PID/stat: "pid (comm) state ppid pgrp ...", where comm may hold
// spaces and parentheses, so the fields are counted after its last ')'.
func groupMembers(pgid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

package main

import (
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"tcpflow-fsm/flow"
	"tcpflow-fsm/fsm"
	"tcpflow-fsm/report"
)

// The --top view: report.Top counts, and a goroutine of this file draws
// its frames on the terminal, in the alternate screen buffer, and reads
// the keys. The terminal is given back (its modes, the normal screen, the
// cursor) on every way out: q, Ctrl-C, a signal, the end of the capture,
// an error, a panic unwinding live, and a second signal's exit at once;
// the summary is then written on the normal screen.

// ticker is a live renderer that wants the tracked connections about once
// a second (--top).
type ticker interface {
	Tick(now fsm.Time, each func(func(*flow.Conn)), st report.TopStatus)
}

// topView is the --top renderer.
type topView struct {
	*report.Top
	out   *os.File // the terminal drawn on: standard output
	color bool
	scr   *screen // from the first Tick
}

func newTopView(o *options, stdout io.Writer) *topView {
	t := report.NewTop(stdout)
	t.SetThresholds(o.thresholds())
	t.Color = colorFor(stdout)
	t.Source = o.iface
	if o.filter != "" {
		t.Source += ": " + o.filter
	}
	f, _ := stdout.(*os.File) // run checked that it is a terminal
	return &topView{Top: t, out: f, color: t.Color}
}

// Tick counts, and hands the frame to the screen, which takes the
// terminal over the first time: after the listening line, which stays on
// the normal screen above the summary.
func (v *topView) Tick(now fsm.Time, each func(func(*flow.Conn)), st report.TopStatus) {
	f := v.Top.Tick(now, each, st)
	if v.scr == nil {
		v.scr = openScreen(v.out, v.color)
	}
	v.scr.show(f)
}

// Close gives the terminal back, then writes the summary.
func (v *topView) Close(t *report.Totals) error {
	v.restore()
	return v.Top.Close(t)
}

// restore gives the terminal back, if the view took it.
func (v *topView) restore() {
	if v.scr != nil {
		v.scr.close()
	}
}

// screen draws frames on a terminal and reads its keys.
type screen struct {
	out   *os.File
	in    *os.File // the keys' terminal (/dev/tty, or standard input), nil when none
	saved *syscall.Termios
	color bool

	frames   chan *report.TopFrame // the latest frame not drawn yet
	done     chan struct{}
	drawn    chan struct{} // closed when the drawing goroutine has returned
	reader   sync.WaitGroup
	once     sync.Once
	giveBack func() // the terminal's modes and screen as they were
	unhook   func()
}

// Escape sequences (ECMA-48, and xterm's private modes that every
// terminal emulator in use and tmux follow).
const (
	enterScreen = "\x1b[?1049h\x1b[?25l\x1b[2J" // the alternate screen, the cursor hidden, cleared
	leaveScreen = "\x1b[?25h\x1b[?1049l"        // the cursor shown, the normal screen back
	clearLine   = "\x1b[2K"                     // the whole line
	clearBelow  = "\x1b[J"                      // from the cursor to the end of the screen
)

// openScreen takes the terminal over: keys unbuffered and not echoed, the
// alternate screen, the cursor hidden. Keys come from the controlling
// terminal (/dev/tty), else standard input when it is a terminal; with
// neither, the view is drawn without keys (a signal still stops it).
func openScreen(out *os.File, color bool) *screen {
	s := &screen{out: out, color: color, frames: make(chan *report.TopFrame, 1), done: make(chan struct{}), drawn: make(chan struct{})}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		s.in = tty
	} else if isTerminal(os.Stdin) {
		s.in = os.Stdin
	}
	if s.in != nil {
		if t, err := termios(s.in, syscall.TCGETS, nil); err == nil {
			s.saved = t
			raw := *t
			// No line editing, echo or signal keys: Ctrl-C is read as a
			// key, and quits as q does; no flow control (Ctrl-S).
			raw.Lflag &^= syscall.ICANON | syscall.ECHO | syscall.ISIG | syscall.IEXTEN
			raw.Iflag &^= syscall.IXON | syscall.ICRNL
			raw.Cc[syscall.VMIN], raw.Cc[syscall.VTIME] = 1, 0
			termios(s.in, syscall.TCSETS, &raw)
		}
	}
	io.WriteString(s.out, enterScreen)
	var giveBack sync.Once
	s.giveBack = func() {
		giveBack.Do(func() {
			io.WriteString(s.out, leaveScreen)
			if s.saved != nil {
				termios(s.in, syscall.TCSETS, s.saved)
			}
		})
	}
	s.unhook = atExit(s.giveBack)
	keys := make(chan byte, 16)
	if s.in != nil {
		s.reader.Add(1)
		go s.readKeys(keys)
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		defer close(s.drawn)
		defer signal.Stop(winch)
		s.run(keys, winch)
	}()
	return s
}

// show hands a frame to the drawing goroutine, in place of one it has
// not drawn yet.
func (s *screen) show(f *report.TopFrame) {
	for {
		select {
		case s.frames <- f:
			return
		default:
		}
		select {
		case <-s.frames:
		default:
		}
	}
}

// run draws: each new frame unless paused, and again on a key or a
// change of the terminal's size.
func (s *screen) run(keys <-chan byte, winch <-chan os.Signal) {
	v := report.TopView{Color: s.color}
	var latest, shown *report.TopFrame
	for {
		select {
		case f := <-s.frames:
			latest = f
			if !v.Paused || shown == nil {
				shown = f
			}
		case k := <-keys:
			switch k {
			case 'q', 'Q', 0x03, 0x1c: // Ctrl-C, Ctrl-\
				// As Ctrl-C in the other views: the capture stops, the
				// summary follows; a second one exits at once.
				syscall.Kill(os.Getpid(), syscall.SIGINT)
				continue
			case 'p', 'P', ' ':
				v.Paused = !v.Paused
				if !v.Paused {
					shown = latest
				}
			case 's':
				v.Sort = v.Sort.Next()
			case 'h', '?':
				v.Help = !v.Help
			case 0x0c: // Ctrl-L: redraw
			default:
				continue
			}
		case <-winch:
		case <-s.done:
			return
		}
		if shown != nil {
			s.draw(shown, &v)
		}
	}
}

// draw writes the frame over the screen in one write: each line cleared
// and written at its row, the screen below the last cleared. (Clearing
// first: a line as wide as the terminal leaves the cursor on its last
// column, which a clear to the end of the line would erase.)
func (s *screen) draw(f *report.TopFrame, v *report.TopView) {
	v.Width, v.Height = termSize(s.out)
	lines := f.Lines(v)
	var b []byte
	at := func(row int) {
		b = append(b, "\x1b["...)
		b = strconv.AppendInt(b, int64(row), 10)
		b = append(b, ";1H"...)
	}
	for i, l := range lines {
		at(i + 1)
		b = append(b, clearLine...)
		b = append(b, l...)
	}
	if len(lines) < v.Height {
		at(len(lines) + 1)
		b = append(b, clearBelow...)
	}
	s.out.Write(b)
}

// readKeys passes on the bytes typed until close.
func (s *screen) readKeys(keys chan<- byte) {
	defer s.reader.Done()
	buf := make([]byte, 64)
	for {
		n, err := s.in.Read(buf)
		for _, k := range buf[:n] {
			select {
			case keys <- k:
			case <-s.done:
				return
			}
		}
		if err != nil {
			return // closed, or the terminal went away
		}
	}
}

// close stops drawing and gives the terminal back.
func (s *screen) close() {
	s.once.Do(func() {
		close(s.done)
		<-s.drawn // no frame drawn after the terminal is given back
		if s.in != nil && s.in != os.Stdin {
			// Unblocks the read: /dev/tty, opened by us, is served by
			// the runtime's poller. Standard input is not; its reader,
			// blocked, is left to the process's exit.
			s.in.SetReadDeadline(time.Now())
			s.reader.Wait()
		}
		s.giveBack()
		s.unhook()
		if s.in != nil && s.in != os.Stdin {
			s.in.Close()
		}
	})
}

// termios gets (TCGETS) or sets (TCSETS) a terminal's modes. It goes
// through the descriptor's raw form: File.Fd would make the file
// blocking and cost its read deadline.
func termios(f *os.File, req uintptr, set *syscall.Termios) (*syscall.Termios, error) {
	t := set
	if t == nil {
		t = new(syscall.Termios)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var errno syscall.Errno
	rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(t)))
	})
	if errno != 0 {
		return nil, errno
	}
	return t, nil
}

// termSize returns the terminal's columns and rows, 80×24 when it does
// not say.
func termSize(f *os.File) (cols, rows int) {
	var ws struct{ Row, Col, X, Y uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws)))
	if errno != 0 || ws.Col == 0 || ws.Row == 0 {
		return 80, 24
	}
	return int(ws.Col), int(ws.Row)
}

// exitHooks are run before the process exits at once, on a second
// signal: the --top view gives the terminal back.
var exitHooks struct {
	mu  sync.Mutex
	n   int
	fns map[int]func()
}

// atExit adds f to the exit hooks; the function returned removes it.
func atExit(f func()) (remove func()) {
	exitHooks.mu.Lock()
	defer exitHooks.mu.Unlock()
	if exitHooks.fns == nil {
		exitHooks.fns = map[int]func(){}
	}
	exitHooks.n++
	id := exitHooks.n
	exitHooks.fns[id] = f
	return func() {
		exitHooks.mu.Lock()
		defer exitHooks.mu.Unlock()
		delete(exitHooks.fns, id)
	}
}

// runExitHooks runs the exit hooks.
func runExitHooks() {
	exitHooks.mu.Lock()
	defer exitHooks.mu.Unlock()
	for _, f := range exitHooks.fns {
		f()
	}
}

// topTerminal says why --top cannot draw on stdout, or "".
func topTerminal(stdout io.Writer) string {
	if !isTerminal(stdout) {
		return "--top draws a full-screen view and needs a terminal: standard output is not one (for a pipe or a file, --stats counts states every interval)"
	}
	if os.Getenv("TERM") == "dumb" {
		return "--top draws with escape sequences, which TERM=dumb does not take"
	}
	return ""
}

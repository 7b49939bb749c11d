package browser

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests below share one browser, as a package of report tests would: a
// launch costs most of a second. Each test has its own page. TestClose
// starts its own browser to watch it go.

var (
	sharedOnce sync.Once
	shared     *Browser
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

// timeout is generous: the machine is shared and -race slows everything.
const timeout = 60 * time.Second

// newPage skips (or fails, with TCPFLOW_BROWSER_REQUIRED=1) without a
// browser, and otherwise opens a page of the shared browser on html, which
// it writes to a file in the test's temporary directory.
func newPage(t *testing.T, html string) (context.Context, *Page) {
	t.Helper()
	path := Require(t)
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		shared, sharedErr = LaunchWith(ctx, Options{Path: path, Width: 800, Height: 600})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	p, err := shared.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	if html != "" {
		file := filepath.Join(t.TempDir(), "page.html")
		if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := p.Open(ctx, FileURL(file)); err != nil {
			t.Fatal(err)
		}
	}
	return ctx, p
}

func TestConsoleError(t *testing.T) {
	_, p := newPage(t, `<!doctype html><title>t</title><script>console.log("fine"); console.error("x")</script>`)
	if got, want := p.ConsoleErrors(), []string{"console.error: x"}; !slices.Equal(got, want) {
		t.Errorf("console errors %q, want %q", got, want)
	}
}

func TestConsoleWarning(t *testing.T) {
	_, p := newPage(t, `<!doctype html><title>t</title><script>console.warn("careful", 2)</script>`)
	if got := p.ConsoleErrors(); len(got) != 0 {
		t.Errorf("console errors %q, want none", got)
	}
	if got, want := p.ConsoleWarnings(), []string{"console.warn: careful 2"}; !slices.Equal(got, want) {
		t.Errorf("console warnings %q, want %q", got, want)
	}
}

func TestUncaughtException(t *testing.T) {
	ctx, p := newPage(t, `<!doctype html><title>t</title><script>
		function init() { throw new TypeError("boom") }
		init();
	</script>`)
	errs := p.ConsoleErrors()
	if len(errs) != 1 || !strings.Contains(errs[0], "Uncaught TypeError: boom") || !strings.Contains(errs[0], "page.html:2:") {
		t.Errorf("console errors %q, want one: Uncaught TypeError: boom at page.html:2", errs)
	}
	// A rejection nobody handles comes later, from a microtask.
	p.ClearConsole()
	if err := p.Eval(ctx, `Promise.reject(new Error("later")), 0`, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, "true", timeout); err != nil { // a round trip
		t.Fatal(err)
	}
	if errs := p.ConsoleErrors(); len(errs) != 1 || !strings.Contains(errs[0], "(in promise) Error: later") {
		t.Errorf("console errors %q, want one: Uncaught (in promise) Error: later", errs)
	}
}

func TestFailedResourceLoad(t *testing.T) {
	_, p := newPage(t, `<!doctype html><title>t</title><img src="missing.png" alt="">`)
	errs := p.ConsoleErrors()
	if len(errs) != 1 || !strings.Contains(errs[0], "ERR_FILE_NOT_FOUND") || !strings.Contains(errs[0], "missing.png") {
		t.Errorf("console errors %q, want one about missing.png not found", errs)
	}
}

func TestEval(t *testing.T) {
	ctx, p := newPage(t, `<!doctype html><title>Report</title><body><p id=a>one</p><p>two</p>`)
	var n int
	if err := p.Eval(ctx, "document.querySelectorAll('p').length", &n); err != nil || n != 2 {
		t.Errorf("count: %d, %v; want 2", n, err)
	}
	var s string
	if err := p.Eval(ctx, "document.title", &s); err != nil || s != "Report" {
		t.Errorf("title: %q, %v", s, err)
	}
	var obj struct {
		ID   string
		Tags []string
	}
	if err := p.Eval(ctx, `({ID: document.getElementById("a").id, Tags: [...document.querySelectorAll("p")].map(e => e.tagName)})`, &obj); err != nil ||
		obj.ID != "a" || !slices.Equal(obj.Tags, []string{"P", "P"}) {
		t.Errorf("object: %+v, %v", obj, err)
	}
	if err := p.Eval(ctx, `new Promise(r => setTimeout(() => r(42), 20))`, &n); err != nil || n != 42 {
		t.Errorf("promise: %d, %v; want 42", n, err)
	}
	if err := p.Eval(ctx, `(() => { throw new RangeError("out of range") })()`, nil); err == nil || !strings.Contains(err.Error(), "RangeError: out of range") {
		t.Errorf("exception: %v, want an error with RangeError: out of range", err)
	}
	if err := p.Eval(ctx, `Promise.reject(new Error("no"))`, nil); err == nil || !strings.Contains(err.Error(), "Error: no") {
		t.Errorf("rejection: %v, want an error with Error: no", err)
	}
	if err := p.Eval(ctx, `undefined`, &n); err == nil {
		t.Error("undefined decoded without error")
	}
	if err := p.Eval(ctx, `1/0`, &n); err == nil || !strings.Contains(err.Error(), "Infinity") {
		t.Errorf("Infinity: %v, want an error", err)
	}
	if errs := p.ConsoleErrors(); len(errs) != 0 {
		t.Errorf("Eval's own exceptions reached the console errors: %q", errs)
	}
}

func TestWaitFor(t *testing.T) {
	ctx, p := newPage(t, `<!doctype html><title>t</title><script>setTimeout(() => { window.done = true }, 50)</script>`)
	if err := p.WaitFor(ctx, "window.done", timeout); err != nil {
		t.Fatal(err)
	}
	// Not defined yet is "not yet", and never is a timeout that says so.
	err := p.WaitFor(ctx, "notDefinedAnywhere.x", 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "deadline") || !strings.Contains(err.Error(), "notDefinedAnywhere") {
		t.Errorf("got %v, want a timeout naming the condition and its last error", err)
	}
}

func TestColorScheme(t *testing.T) {
	ctx, p := newPage(t, `<!doctype html><title>t</title><style>
		body { color: rgb(1, 2, 3) }
		@media (prefers-color-scheme: dark) { body { color: rgb(250, 251, 252) } }
		@media print { body { color: rgb(9, 9, 9) } }
	</style><body>text`)
	color := func() string {
		t.Helper()
		var c string
		if err := p.Eval(ctx, "getComputedStyle(document.body).color", &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := p.SetColorScheme(ctx, "light"); err != nil {
		t.Fatal(err)
	}
	if c := color(); c != "rgb(1, 2, 3)" {
		t.Errorf("light: %s", c)
	}
	if err := p.SetColorScheme(ctx, "dark"); err != nil {
		t.Fatal(err)
	}
	if c := color(); c != "rgb(250, 251, 252)" {
		t.Errorf("dark: %s", c)
	}
	if err := p.SetMedia(ctx, "print"); err != nil {
		t.Fatal(err)
	}
	if c := color(); c != "rgb(9, 9, 9)" {
		t.Errorf("print: %s", c)
	}
	var dark bool // the scheme stays while the media type changes
	if err := p.Eval(ctx, "matchMedia('(prefers-color-scheme: dark)').matches", &dark); err != nil || !dark {
		t.Errorf("dark after SetMedia: %v, %v", dark, err)
	}
}

func TestScreenshot(t *testing.T) {
	ctx, p := newPage(t, `<!doctype html><title>t</title><style>
		body { margin: 0; background: #fff }
		#box { position: absolute; left: 30px; top: 1500px; width: 100px; height: 50px; background: rgb(255, 0, 0) }
		#tall { height: 2000px }
	</style><div id=tall></div><div id=box></div>`)
	size := func(name string, b []byte, err error, w, h int) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.Width != w || cfg.Height != h {
			t.Errorf("%s: %dx%d, want %dx%d", name, cfg.Width, cfg.Height, w, h)
		}
	}
	b, err := p.Screenshot(ctx)
	size("viewport", b, err, 800, 600)
	b, err = p.ScreenshotFullPage(ctx)
	size("full page", b, err, 800, 2000)
	b, err = p.ScreenshotElement(ctx, "#box")
	size("element", b, err, 100, 50)
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, bl, _ := img.At(50, 25).RGBA(); r>>8 != 255 || g>>8 != 0 || bl>>8 != 0 {
		t.Errorf("element's middle pixel is %d,%d,%d, want red", r>>8, g>>8, bl>>8)
	}
	if _, err := p.ScreenshotElement(ctx, "#nothing"); err == nil || !strings.Contains(err.Error(), "no element matches") {
		t.Errorf("missing element: %v", err)
	}
}

func TestPrintPDF(t *testing.T) {
	ctx, p := newPage(t, `<!doctype html><title>t</title><h1>Report</h1>`)
	pdf, err := p.PrintPDF(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("PrintPDF returned %d bytes beginning %q, want %%PDF", len(pdf), pdf[:min(len(pdf), 8)])
	}
}

func TestClickAndKeys(t *testing.T) {
	ctx, p := newPage(t, `<!doctype html><title>t</title>
		<button id=one onclick="window.log.push('one')">one</button>
		<button id=two onclick="window.log.push('two')">two</button>
		<input id=field>
		<script>window.log = []; window.keys = [];
		document.addEventListener("keydown", e => window.keys.push(e.key));</script>`)
	if err := p.Click(ctx, "#two"); err != nil {
		t.Fatal(err)
	}
	if err := p.Click(ctx, "#three"); err == nil || !strings.Contains(err.Error(), "no element matches #three") {
		t.Errorf("click on nothing: %v", err)
	}
	active := func() string {
		t.Helper()
		var id string
		if err := p.Eval(ctx, "document.activeElement.id", &id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	for _, step := range []struct{ key, focus string }{
		{"Tab", "one"}, {"Tab", "two"}, {"Shift+Tab", "one"}, {"Enter", "one"}, {"Tab", "two"}, {"Space", "two"}, {"Tab", "field"},
	} {
		if err := p.Key(ctx, step.key); err != nil {
			t.Fatal(err)
		}
		if got := active(); got != step.focus {
			t.Fatalf("after %s focus is on %q, want %q", step.key, got, step.focus)
		}
	}
	for _, k := range []string{"a", "B", "7", "Backspace", "."} {
		if err := p.Key(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	var state struct {
		Log   []string
		Keys  []string
		Value string
	}
	if err := p.Eval(ctx, `({Log: window.log, Keys: window.keys, Value: document.getElementById("field").value})`, &state); err != nil {
		t.Fatal(err)
	}
	if want := []string{"two", "one", "two"}; !slices.Equal(state.Log, want) {
		t.Errorf("clicks %q, want %q (Click, then Enter and Space on focused buttons)", state.Log, want)
	}
	if state.Value != "aB." {
		t.Errorf("typed %q, want %q", state.Value, "aB.")
	}
	if want := []string{"Tab", "Tab", "Tab", "Enter", "Tab", " ", "Tab", "a", "B", "7", "Backspace", "."}; !slices.Equal(state.Keys[len(state.Keys)-len(want):], want) {
		t.Errorf("keydown keys %q, want to end with %q", state.Keys, want)
	}
	if err := p.Key(ctx, "Hyper+a"); err == nil {
		t.Error("an unknown modifier was accepted")
	}
}

func TestMeasureUsable(t *testing.T) {
	ctx, p := newPage(t, "")
	file := filepath.Join(t.TempDir(), "slow.html")
	os.WriteFile(file, []byte(`<!doctype html><title>t</title><script>
		setTimeout(() => { window.__ready = performance.now() }, 100);
	</script>`), 0o644)
	for range 2 { // the second time the first document's mark must not count
		d, err := p.MeasureUsable(ctx, FileURL(file), "window.__ready !== undefined")
		if err != nil {
			t.Fatal(err)
		}
		var mark float64
		if err := p.Eval(ctx, "window.__ready", &mark); err != nil {
			t.Fatal(err)
		}
		// The timer cannot fire sooner than 100 ms after navigation
		// started, and the poller sees it no sooner than the page's own
		// mark; no upper bound but the context, on a busy machine.
		if d < 100*time.Millisecond || d.Seconds()*1000 < mark {
			t.Errorf("usable after %v, page's own mark %.1f ms; want at least 100 ms and not before the mark", d, mark)
		}
	}
}

func TestOpenMissingFile(t *testing.T) {
	ctx, p := newPage(t, "")
	err := p.Open(ctx, FileURL(filepath.Join(t.TempDir(), "absent.html")))
	if err == nil || !strings.Contains(err.Error(), "ERR_FILE_NOT_FOUND") {
		t.Errorf("got %v, want ERR_FILE_NOT_FOUND", err)
	}
}

// TestClose starts a browser of its own and checks that Close leaves no
// process of it and no profile directory.
func TestClose(t *testing.T) {
	path := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	b, err := LaunchWith(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.NewPage(ctx)
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	if err := p.Open(ctx, "data:text/html,<title>t</title>hello"); err != nil {
		b.Close()
		t.Fatal(err)
	}
	dir := b.ProfileDir()
	before := processesUsing(dir)
	if len(before) < 2 {
		t.Errorf("before Close, %d processes name the profile %s; want the browser and its helpers", len(before), dir)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if left := processesUsing(dir); len(left) != 0 {
		t.Errorf("after Close, processes %v still name the profile", left)
	}
	if left := groupMembers(b.PID()); len(left) != 0 {
		t.Errorf("after Close, processes %v are still in the browser's group", left)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("profile %s still there after Close (%v)", dir, err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Screenshot(ctx); err == nil {
		t.Error("a page of a closed browser took a screenshot")
	}
}

// processesUsing lists the live processes whose command line mentions s.
func processesUsing(s string) []string {
	ents, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range ents {
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z")) {
			continue
		}
		found = append(found, e.Name())
	}
	return found
}

func TestStartSkipsOrFails(t *testing.T) {
	t.Setenv(EnvBrowser, filepath.Join(t.TempDir(), "no-such-browser"))
	if _, err := Find(); err == nil {
		t.Fatal("Find found a browser that is not there")
	}
	t.Setenv(EnvRequired, "")
	r := &skipRecorder{recorder: recorder{TB: t}}
	func() {
		defer func() { recover() }()
		Require(r)
	}()
	if !r.skipped || r.failed {
		t.Errorf("without %s: skipped %v, failed %v; want a skip", EnvRequired, r.skipped, r.failed)
	}
	t.Setenv(EnvRequired, "1")
	r = &skipRecorder{recorder: recorder{TB: t}}
	func() {
		defer func() { recover() }()
		Require(r)
	}()
	if r.skipped || !r.failed {
		t.Errorf("with %s=1: skipped %v, failed %v; want a failure", EnvRequired, r.skipped, r.failed)
	}
}

// skipRecorder notes Skipf and Fatalf and stops the caller as they would,
// by panicking (the real ones call runtime.Goexit).
type skipRecorder struct {
	recorder
	skipped, failed bool
}

func (r *skipRecorder) Skipf(string, ...any)  { r.skipped = true; panic("skip") }
func (r *skipRecorder) Fatalf(string, ...any) { r.failed = true; panic("fatal") }

// BenchmarkLaunchOpenScreenshot is what a test pays for a browser of its
// own: launch, open a small page, take a screenshot, close.
func BenchmarkLaunchOpenScreenshot(b *testing.B) {
	path := Require(b)
	file := filepath.Join(b.TempDir(), "page.html")
	os.WriteFile(file, []byte(`<!doctype html><title>t</title><h1>Report</h1>`), 0o644)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		br, err := LaunchWith(ctx, Options{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		p, err := br.NewPage(ctx)
		if err == nil {
			err = p.Open(ctx, FileURL(file))
		}
		if err == nil {
			_, err = p.Screenshot(ctx)
		}
		br.Close()
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenScreenshot is the same on a page of a running browser.
func BenchmarkOpenScreenshot(b *testing.B) {
	path := Require(b)
	file := filepath.Join(b.TempDir(), "page.html")
	os.WriteFile(file, []byte(`<!doctype html><title>t</title><h1>Report</h1>`), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 5*timeout)
	defer cancel()
	br, err := LaunchWith(ctx, Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	for b.Loop() {
		p, err := br.NewPage(ctx)
		if err == nil {
			err = p.Open(ctx, FileURL(file))
		}
		if err == nil {
			_, err = p.Screenshot(ctx)
		}
		if err == nil {
			err = p.Close(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

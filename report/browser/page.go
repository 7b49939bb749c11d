package browser

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Page is one tab of the browser, attached over a flattened session. Its
// viewport is the browser's Width×Height at device scale factor 1.
type Page struct {
	b         *Browser
	targetID  string
	sessionID string

	mu       sync.Mutex
	errs     []string        // console errors, in arrival order
	warns    []string        // console warnings
	loads    map[string]bool // loaderIds whose "load" lifecycle event came
	loadWake chan struct{}   // closed and replaced on each lifecycle event

	media    string            // emulated CSS media type; "" is the page's own
	features map[string]string // emulated media features
}

// NewPage opens a blank tab with the Runtime, Log and Page domains enabled,
// so that console errors are collected from the start.
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.conn.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.conn.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &Page{
		b:         b,
		targetID:  created.TargetID,
		sessionID: attached.SessionID,
		loads:     make(map[string]bool),
		loadWake:  make(chan struct{}),
		features:  make(map[string]string),
	}
	b.conn.handle(p.sessionID, p.event)
	for _, c := range []struct {
		method string
		params any
	}{
		{"Page.enable", nil},
		{"Page.setLifecycleEventsEnabled", map[string]any{"enabled": true}},
		{"Runtime.enable", nil},
		{"Log.enable", nil},
		{"Emulation.setDeviceMetricsOverride", map[string]any{
			"width": b.width, "height": b.height, "deviceScaleFactor": 1, "mobile": false,
		}},
		// Focus and focus events as in a window the user is looking at,
		// which keyboard checks need.
		{"Emulation.setFocusEmulationEnabled", map[string]any{"enabled": true}},
	} {
		if err := p.call(ctx, c.method, c.params, nil); err != nil {
			p.Close(ctx)
			return nil, err
		}
	}
	return p, nil
}

// Close closes the tab.
func (p *Page) Close(ctx context.Context) error {
	p.b.conn.handle(p.sessionID, nil)
	return p.b.conn.call(ctx, "", "Target.closeTarget", map[string]any{"targetId": p.targetID}, nil)
}

func (p *Page) call(ctx context.Context, method string, params, result any) error {
	return p.b.conn.call(ctx, p.sessionID, method, params, result)
}

// remoteObject is the part of Runtime.RemoteObject that we read.
type remoteObject struct {
	Type                string          `json:"type"`
	Subtype             string          `json:"subtype"`
	Value               json.RawMessage `json:"value"`
	UnserializableValue string          `json:"unserializableValue"`
	Description         string          `json:"description"`
}

// exceptionDetails is the part of Runtime.ExceptionDetails that we read.
type exceptionDetails struct {
	Text         string        `json:"text"`
	URL          string        `json:"url"`
	LineNumber   int           `json:"lineNumber"`
	ColumnNumber int           `json:"columnNumber"`
	Exception    *remoteObject `json:"exception"`
}

// String is "Uncaught Error: boom (file:///r.html:3:9)": the text, the
// first line of the exception's description (its message; the stack
// follows it) and where it was thrown, 1-based.
func (e *exceptionDetails) String() string {
	s := e.Text
	if e.Exception != nil {
		desc := e.Exception.Description
		if desc == "" {
			desc = string(e.Exception.Value)
		}
		first, _, _ := strings.Cut(desc, "\n")
		if first != "" {
			s = strings.TrimSuffix(s, ":") + " " + first
		}
	}
	if e.URL != "" {
		s += fmt.Sprintf(" (%s:%d:%d)", e.URL, e.LineNumber+1, e.ColumnNumber+1)
	}
	return s
}

// event runs on the connection's reader goroutine.
func (p *Page) event(method string, params json.RawMessage) {
	switch method {
	case "Runtime.exceptionThrown":
		var ev struct {
			ExceptionDetails exceptionDetails `json:"exceptionDetails"`
		}
		if json.Unmarshal(params, &ev) == nil {
			p.addConsole(&p.errs, "exception: "+ev.ExceptionDetails.String())
		}
	case "Runtime.consoleAPICalled":
		var ev struct {
			Type string         `json:"type"`
			Args []remoteObject `json:"args"`
		}
		if json.Unmarshal(params, &ev) != nil {
			return
		}
		switch ev.Type {
		case "error", "assert":
			p.addConsole(&p.errs, "console."+ev.Type+": "+formatArgs(ev.Args))
		case "warning":
			p.addConsole(&p.warns, "console.warn: "+formatArgs(ev.Args))
		}
	case "Log.entryAdded":
		var ev struct {
			Entry struct {
				Source string `json:"source"`
				Level  string `json:"level"`
				Text   string `json:"text"`
				URL    string `json:"url"`
			} `json:"entry"`
		}
		if json.Unmarshal(params, &ev) != nil {
			return
		}
		msg := "log " + ev.Entry.Source + ": " + ev.Entry.Text
		if u := ev.Entry.URL; u != "" {
			if len(u) > 120 { // a data: URL holds the whole page
				u = u[:117] + "..."
			}
			msg += " (" + u + ")"
		}
		switch ev.Entry.Level {
		case "error":
			p.addConsole(&p.errs, msg)
		case "warning":
			p.addConsole(&p.warns, msg)
		}
	case "Inspector.targetCrashed":
		p.addConsole(&p.errs, "the page crashed")
	case "Page.lifecycleEvent":
		var ev struct {
			LoaderID string `json:"loaderId"`
			Name     string `json:"name"`
		}
		if json.Unmarshal(params, &ev) != nil || ev.Name != "load" {
			return
		}
		p.mu.Lock()
		p.loads[ev.LoaderID] = true
		close(p.loadWake)
		p.loadWake = make(chan struct{})
		p.mu.Unlock()
	}
}

func (p *Page) addConsole(list *[]string, msg string) {
	p.mu.Lock()
	*list = append(*list, msg)
	p.mu.Unlock()
}

// formatArgs prints console arguments as the console would, roughly:
// strings bare, other values as JSON, objects by their description.
func formatArgs(args []remoteObject) string {
	parts := make([]string, len(args))
	for i, a := range args {
		var s string
		switch {
		case a.Type == "string" && json.Unmarshal(a.Value, &s) == nil:
		case a.UnserializableValue != "":
			s = a.UnserializableValue
		case a.Description != "":
			s = a.Description
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = a.Type
		}
		parts[i] = s
	}
	return strings.Join(parts, " ")
}

// ConsoleErrors returns what the page reported as errors so far, one
// string each: uncaught exceptions and unhandled rejections ("exception:
// ..."), console.error and console.assert calls ("console.error: ..."), and
// the browser's own error entries such as failed resource loads ("log
// network: ..."). Open, Eval and the other calls that round-trip to the page
// return only after the messages the page sent before them have arrived.
func (p *Page) ConsoleErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

// ConsoleWarnings returns console.warn calls and the browser's warning
// entries so far.
func (p *Page) ConsoleWarnings() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.warns...)
}

// ClearConsole forgets the errors and warnings collected so far.
func (p *Page) ClearConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs, p.warns = nil, nil
}

// FileURL is the file:// URL of a local path.
func FileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// Open navigates to url (file://, data: or http://127.0.0.1) and waits for
// its load event.
func (p *Page) Open(ctx context.Context, url string) error {
	loaderID, err := p.navigate(ctx, url)
	if err != nil {
		return err
	}
	if loaderID != "" { // "" is a same-document navigation: nothing loads
		if err := p.waitLoad(ctx, loaderID); err != nil {
			return fmt.Errorf("open %s: %w", url, err)
		}
	}
	// A round trip, so that console messages sent during the load are in.
	return p.Eval(ctx, "0", nil)
}

func (p *Page) navigate(ctx context.Context, url string) (loaderID string, err error) {
	var nav struct {
		LoaderID  string `json:"loaderId"`
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return "", err
	}
	if nav.ErrorText != "" {
		return "", fmt.Errorf("open %s: %s", url, nav.ErrorText)
	}
	return nav.LoaderID, nil
}

// waitLoad waits for the load lifecycle event of one navigation; it may
// have come before the answer to Page.navigate did.
func (p *Page) waitLoad(ctx context.Context, loaderID string) error {
	for {
		p.mu.Lock()
		done, wake := p.loads[loaderID], p.loadWake
		p.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-wake:
		case <-p.b.conn.done:
			return errors.New("devtools connection lost")
		case <-ctx.Done():
			return fmt.Errorf("waiting for the load event: %w", ctx.Err())
		}
	}
}

// Eval evaluates the JavaScript expression js in the page, awaits it if it
// is a promise, and decodes its value as JSON into out (unless out is nil).
// A thrown exception or rejected promise is an error with its message. A
// result of undefined, or one that JSON cannot carry (NaN, Infinity, a
// BigInt), is an error when out is not nil.
func (p *Page) Eval(ctx context.Context, js string, out any) error {
	var res struct {
		Result           remoteObject      `json:"result"`
		ExceptionDetails *exceptionDetails `json:"exceptionDetails"`
	}
	err := p.call(ctx, "Runtime.evaluate", map[string]any{
		"expression":    js,
		"returnByValue": true,
		"awaitPromise":  true,
		"userGesture":   true,
	}, &res)
	if err != nil {
		return err
	}
	if res.ExceptionDetails != nil {
		return fmt.Errorf("eval %s: %s", abbrev(js), res.ExceptionDetails)
	}
	if out == nil {
		return nil
	}
	switch {
	case res.Result.UnserializableValue != "":
		return fmt.Errorf("eval %s: result %s has no JSON form", abbrev(js), res.Result.UnserializableValue)
	case res.Result.Type == "undefined" || len(res.Result.Value) == 0:
		return fmt.Errorf("eval %s: result is %s, not a value", abbrev(js), res.Result.Type)
	}
	if err := json.Unmarshal(res.Result.Value, out); err != nil {
		return fmt.Errorf("eval %s: %w", abbrev(js), err)
	}
	return nil
}

func abbrev(js string) string {
	js = strings.Join(strings.Fields(js), " ")
	if len(js) > 60 {
		js = js[:57] + "..."
	}
	return fmt.Sprintf("%q", js)
}

// WaitFor evaluates cond until it is truthy, every 10 ms, for at most
// timeout (or until ctx is done). An exception in cond counts as not yet:
// the page may still be defining what it reads; the last one is in the
// error on timeout.
func (p *Page) WaitFor(ctx context.Context, cond string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var ok bool
		err := p.Eval(ctx, "!!("+cond+")", &ok)
		if err == nil && ok {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			last = err
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting %v for %s: %w (last: %v)", timeout, abbrev(cond), ctx.Err(), last)
			}
			return fmt.Errorf("waiting %v for %s: %w", timeout, abbrev(cond), ctx.Err())
		}
	}
}

// Click clicks the first element that matches a CSS selector, through its
// click() method: the handlers run as for a mouse click, without the mouse.
func (p *Page) Click(ctx context.Context, selector string) error {
	sel, _ := json.Marshal(selector)
	return p.Eval(ctx, `(() => {
		const el = document.querySelector(`+string(sel)+`);
		if (!el) throw new Error("no element matches " + `+string(sel)+`);
		el.click();
	})()`, nil)
}

// A key that Key can press: its DOM key and code values, the Windows
// virtual key code that Chromium's input pipeline acts on, and the text it
// types, if any.
type keyDef struct {
	key, code string
	vk        int
	text      string
}

var namedKeys = map[string]keyDef{
	"Enter":      {"Enter", "Enter", 13, "\r"},
	"Tab":        {"Tab", "Tab", 9, ""},
	"Escape":     {"Escape", "Escape", 27, ""},
	"Backspace":  {"Backspace", "Backspace", 8, ""},
	"Delete":     {"Delete", "Delete", 46, ""},
	"Space":      {" ", "Space", 32, " "},
	" ":          {" ", "Space", 32, " "},
	"ArrowLeft":  {"ArrowLeft", "ArrowLeft", 37, ""},
	"ArrowUp":    {"ArrowUp", "ArrowUp", 38, ""},
	"ArrowRight": {"ArrowRight", "ArrowRight", 39, ""},
	"ArrowDown":  {"ArrowDown", "ArrowDown", 40, ""},
	"Home":       {"Home", "Home", 36, ""},
	"End":        {"End", "End", 35, ""},
	"PageUp":     {"PageUp", "PageUp", 33, ""},
	"PageDown":   {"PageDown", "PageDown", 34, ""},
}

// Modifier bits of Input.dispatchKeyEvent.
var modifierBits = map[string]int{"Alt": 1, "Control": 2, "Ctrl": 2, "Meta": 4, "Shift": 8}

// Key presses and releases a key on the focused element, as a keyboard
// does (Input.dispatchKeyEvent), so that focus moves on Tab and a focused
// button activates on Enter or Space. key is a DOM key name ("Enter",
// "Tab", "Escape", "ArrowDown", "Space", ...) or one ASCII letter, digit or
// punctuation character, optionally after modifiers: "Shift+Tab",
// "Control+f".
func (p *Page) Key(ctx context.Context, key string) error {
	parts := strings.Split(key, "+")
	if strings.HasSuffix(key, "++") || key == "+" { // the plus key itself
		parts = append(parts[:len(parts)-2], "+")
	}
	mods := 0
	for _, m := range parts[:len(parts)-1] {
		bit, ok := modifierBits[m]
		if !ok {
			return fmt.Errorf("key %q: unknown modifier %q", key, m)
		}
		mods |= bit
	}
	name := parts[len(parts)-1]
	def, ok := namedKeys[name]
	if !ok {
		if len(name) != 1 || name[0] < 0x21 || name[0] > 0x7e {
			return fmt.Errorf("key %q: unknown key %q", key, name)
		}
		def = printableKey(name[0])
	}
	if mods&^8 != 0 { // with Alt, Control or Meta a key types nothing
		def.text = ""
	}
	down := map[string]any{
		"type": "rawKeyDown", "modifiers": mods, "key": def.key, "code": def.code,
		"windowsVirtualKeyCode": def.vk, "nativeVirtualKeyCode": def.vk,
	}
	if def.text != "" {
		down["type"] = "keyDown"
		down["text"] = def.text
		down["unmodifiedText"] = def.text
	}
	if err := p.call(ctx, "Input.dispatchKeyEvent", down, nil); err != nil {
		return err
	}
	return p.call(ctx, "Input.dispatchKeyEvent", map[string]any{
		"type": "keyUp", "modifiers": mods, "key": def.key, "code": def.code,
		"windowsVirtualKeyCode": def.vk, "nativeVirtualKeyCode": def.vk,
	}, nil)
}

func printableKey(c byte) keyDef {
	s := string(c)
	switch {
	case c >= 'a' && c <= 'z':
		return keyDef{s, "Key" + strings.ToUpper(s), int(c - 'a' + 'A'), s}
	case c >= 'A' && c <= 'Z':
		return keyDef{s, "Key" + s, int(c), s}
	case c >= '0' && c <= '9':
		return keyDef{s, "Digit" + s, int(c), s}
	}
	// Punctuation: the DOM key and text are the character; the code and
	// virtual key differ by layout, and pages read the key.
	return keyDef{s, "", 0, s}
}

// SetColorScheme emulates prefers-color-scheme: "dark", "light", or "" for
// the browser's own.
func (p *Page) SetColorScheme(ctx context.Context, scheme string) error {
	return p.SetMediaFeature(ctx, "prefers-color-scheme", scheme)
}

// SetMediaFeature emulates one CSS media feature, such as
// prefers-reduced-motion: reduce; "" stops emulating it. The others set
// before stay.
func (p *Page) SetMediaFeature(ctx context.Context, name, value string) error {
	p.mu.Lock()
	if value == "" {
		delete(p.features, name)
	} else {
		p.features[name] = value
	}
	p.mu.Unlock()
	return p.emulateMedia(ctx)
}

// SetMedia emulates a CSS media type: "print", "screen", or "" for the
// page's own. Screenshots then show the print styles.
func (p *Page) SetMedia(ctx context.Context, media string) error {
	p.mu.Lock()
	p.media = media
	p.mu.Unlock()
	return p.emulateMedia(ctx)
}

// emulateMedia sends the media type and every feature together:
// Emulation.setEmulatedMedia replaces both each time.
func (p *Page) emulateMedia(ctx context.Context) error {
	p.mu.Lock()
	features := []map[string]string{}
	for name, value := range p.features {
		features = append(features, map[string]string{"name": name, "value": value})
	}
	sort.Slice(features, func(i, j int) bool { return features[i]["name"] < features[j]["name"] })
	params := map[string]any{"media": p.media, "features": features}
	p.mu.Unlock()
	return p.call(ctx, "Emulation.setEmulatedMedia", params, nil)
}

// Screenshot returns a PNG of the viewport, Width×Height pixels.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	return p.capture(ctx, map[string]any{"format": "png"})
}

// ScreenshotElement returns a PNG of the first element that matches a
// CSS selector: its border box, rounded out to whole pixels, even where it
// lies beyond the viewport.
func (p *Page) ScreenshotElement(ctx context.Context, selector string) ([]byte, error) {
	sel, _ := json.Marshal(selector)
	var r struct{ X, Y, W, H float64 }
	err := p.Eval(ctx, `(() => {
		const el = document.querySelector(`+string(sel)+`);
		if (!el) throw new Error("no element matches " + `+string(sel)+`);
		const r = el.getBoundingClientRect();
		return {X: r.left + window.scrollX, Y: r.top + window.scrollY, W: r.width, H: r.height};
	})()`, &r)
	if err != nil {
		return nil, err
	}
	x, y := math.Floor(r.X), math.Floor(r.Y)
	w, h := math.Ceil(r.X+r.W)-x, math.Ceil(r.Y+r.H)-y
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("screenshot of %s: the element is %gx%g, empty", selector, r.W, r.H)
	}
	return p.capture(ctx, clip(x, y, w, h))
}

// ScreenshotFullPage returns a PNG of the whole document: the viewport's
// width (or the document's, if wider) and the document's height.
func (p *Page) ScreenshotFullPage(ctx context.Context) ([]byte, error) {
	var size struct{ W, H float64 }
	err := p.Eval(ctx, `({
		W: Math.max(document.documentElement.scrollWidth, window.innerWidth),
		H: Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0, window.innerHeight),
	})`, &size)
	if err != nil {
		return nil, err
	}
	return p.capture(ctx, clip(0, 0, math.Ceil(size.W), math.Ceil(size.H)))
}

func clip(x, y, w, h float64) map[string]any {
	return map[string]any{
		"format":                "png",
		"captureBeyondViewport": true,
		"clip":                  map[string]any{"x": x, "y": y, "width": w, "height": h, "scale": 1},
	}
}

func (p *Page) capture(ctx context.Context, params map[string]any) ([]byte, error) {
	var res struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.captureScreenshot", params, &res); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.Data)
}

// PrintPDF prints the page as the browser's print dialog would, with
// backgrounds, and returns the PDF.
func (p *Page) PrintPDF(ctx context.Context) ([]byte, error) {
	var res struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.printToPDF", map[string]any{"printBackground": true}, &res); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.Data)
}

// MeasureUsable navigates to url and returns how long after the start of
// that navigation readyJS first held, by the page's own clock
// (performance.now(), whose zero is the navigation's start). A script
// installed before the page's own checks readyJS about every 5 ms while
// the page's main thread is free, so the figure includes the time the page
// kept that thread busy and errs late by at most one check. An exception
// in readyJS counts as not yet. A page that marks its own moment, say
// window.__ready = performance.now(), can be read with Eval afterwards.
func (p *Page) MeasureUsable(ctx context.Context, url, readyJS string) (time.Duration, error) {
	var nonce [8]byte
	rand.Read(nonce[:])
	token := hex.EncodeToString(nonce[:])
	// The token tells this navigation's document from the one before it,
	// which is still there while the new one is fetched.
	script := `(() => {
		const check = () => { try { return !!(` + readyJS + `); } catch (e) { return false; } };
		const poll = () => {
			if (check()) { window.__tcpflowUsable = {token: "` + token + `", at: performance.now()}; return; }
			setTimeout(poll, 5);
		};
		poll();
	})();`
	var added struct {
		Identifier string `json:"identifier"`
	}
	if err := p.call(ctx, "Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": script}, &added); err != nil {
		return 0, err
	}
	defer p.call(context.WithoutCancel(ctx), "Page.removeScriptToEvaluateOnNewDocument", map[string]any{"identifier": added.Identifier}, nil)

	if _, err := p.navigate(ctx, url); err != nil {
		return 0, err
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	read := `(() => { const u = window.__tcpflowUsable; return u && u.token === "` + token + `" ? u.at : -1; })()`
	for {
		var at float64
		// Errors are expected while the old document gives way to the new.
		if err := p.Eval(ctx, read, &at); err == nil && at >= 0 {
			return time.Duration(at * float64(time.Millisecond)), nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return 0, fmt.Errorf("measuring %s until %s: %w", url, abbrev(readyJS), ctx.Err())
		}
	}
}

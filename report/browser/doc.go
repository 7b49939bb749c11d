// Package browser drives headless Chromium over the Chrome DevTools Protocol
// for the tests and benchmarks of the HTML report. It is a test helper:
// nothing in the tool imports it, and it needs nothing but the standard
// library and a Chromium binary (Debian's chromium package).
//
// A test starts a browser, opens the report and asks the page questions:
//
//	func TestReportOpens(t *testing.T) {
//		b := browser.Start(t) // skips without Chromium; closed when t ends
//		ctx := context.Background()
//		p, err := b.NewPage(ctx)
//		if err != nil {
//			t.Fatal(err)
//		}
//		if err := p.Open(ctx, browser.FileURL(htmlPath)); err != nil {
//			t.Fatal(err)
//		}
//		if errs := p.ConsoleErrors(); len(errs) > 0 {
//			t.Errorf("console errors: %q", errs)
//		}
//		png, err := p.Screenshot(ctx)
//		if err != nil {
//			t.Fatal(err)
//		}
//		browser.CheckGolden(t, "testdata/report.png", png, browser.DefaultTolerance, *update)
//	}
//
// Without a browser the tests skip, saying so; with
// TCPFLOW_BROWSER_REQUIRED=1 (CI sets it) they fail instead.
// TCPFLOW_BROWSER names a binary to use instead of the one on PATH.
//
// A launch costs most of a second, a page a few milliseconds: a package
// with many browser tests can share one Browser, launched on first use and
// closed in TestMain after m.Run, and give each test its own Page, as this
// package's tests do.
//
// The browser runs with a fresh profile in a temporary directory, a fixed
// window, device scale factor 1, no GPU, no extensions and no background
// network traffic, so that screenshots depend on the page and the fonts
// installed, not on the machine's state. Close kills its whole process
// group; the group is also killed if the test binary dies first.
//
// The protocol runs over a WebSocket client of its own (RFC 6455, client
// side, no extensions), as the project takes no dependency for it.
package browser

// Package browser drives headless Chromium over the Chrome DevTools Protocol
// for tests and benchmarks of the HTML report. It is a test helper: nothing
// in the tool imports it.
package browser

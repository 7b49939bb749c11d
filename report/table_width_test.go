package report

import (
	"bytes"
	"strings"
	"testing"
)

// A cell longer than maxColumnWidth (the Zeek history of a connection
// under a RST storm: one letter a RST) runs past its column in its own row
// and pads no other row: before, 250,000 connections beside one such
// history made 82 GB of text.
func TestLongCellPadsNoOtherRow(t *testing.T) {
	var rows rowStore
	short := summaryRow{cols: [2][]string{
		{"1", "10.0.0.1:1", "10.0.0.2:80", "00:00:00.000000", "1.000000s", "1/1", "0/0"},
		{"", "CLOSED", "CLOSED", "REJ", "Sr", "0", "0", ""},
	}}
	long := short
	long.cols[1] = []string{"", "CLOSED", "CLOSED", "RSTR", strings.Repeat("rR", 5000), "0", "0", ""}
	rows.add(&short)
	rows.add(&long)
	rows.add(&short)
	var out bytes.Buffer
	if err := writeTable(&out, summaryHeader, &rows); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if len(line) > 200 && !strings.Contains(line, "rRrR") {
			t.Errorf("a row padded to the long cell's width (%d bytes): %.80q...", len(line), line)
		}
	}
}

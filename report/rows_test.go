package report

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// TestRowStoreSpills checks that the summary rows come back whole and in
// order, with the same column widths, when most of them went to the
// temporary file.
func TestRowStoreSpills(t *testing.T) {
	var mem, spilled rowStore
	spilled.inMemory = 2
	const n = 40_000
	for i := range n {
		r := summaryRow{cols: [2][]string{
			{strconv.Itoa(i + 1), fmt.Sprintf("10.%d.%d.%d:%d", i>>16&255, i>>8&255, i&255, 1024+i%60000), "192.0.2.1:80",
				"12:00:00.000000", "0.000100s", "3/2", "0/0"},
			{"", "SYN-SENT", "SYN-RECEIVED", "S1", "Sh", "0", strconv.Itoa(i % 7), ""},
		}}
		if i%5 == 0 {
			r.events = "retrans " + strconv.Itoa(i)
		}
		mem.add(&r)
		spilled.add(&r)
	}
	if spilled.spill == nil || len(spilled.spilled) == 0 || len(spilled.chunks) > 2 {
		t.Fatalf("nothing spilled: %d chunks in memory, %d in the file", len(spilled.chunks), len(spilled.spilled))
	}
	if mem.spill != nil {
		t.Fatal("a store under the limit spilled")
	}
	var want, got []string
	collect := func(out *[]string) func(r *summaryRow) {
		return func(r *summaryRow) {
			*out = append(*out, fmt.Sprint(r.cols, r.events))
		}
	}
	if err := mem.each(collect(&want)); err != nil {
		t.Fatal(err)
	}
	if err := spilled.each(collect(&got)); err != nil {
		t.Fatal(err)
	}
	if len(got) != n || !slices.Equal(got, want) {
		t.Fatalf("%d rows back from the spilled store, want %d the same as in memory", len(got), n)
	}
	if fmt.Sprint(mem.width) != fmt.Sprint(spilled.width) {
		t.Errorf("widths %v, want %v", spilled.width, mem.width)
	}
}

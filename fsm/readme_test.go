package fsm

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// catalogRow is how a code stands in the README's catalog: its kind and
// whom it is about, then what and why, then what guards it.
func catalogRow(c Code) string {
	i := c.Info()
	kind := "violation of the sender"
	switch {
	case i.Fault == FaultNone && i.NoteOfSender:
		kind = "note of the sender"
	case i.Fault == FaultNone:
		kind = "note of the receiver"
	}
	return fmt.Sprintf("| `%s` | %s | %s | %s | %s. %s. | %s. |", i.Name, kind, i.Severity, i.RFC, upper(i.Summary), upper(i.Explain), upper(i.Guard))
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// TestCatalogInREADME keeps the README's violation catalog equal to the
// one in violation.go: every code has its row, word for word.
func TestCatalogInREADME(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes() {
		if row := catalogRow(c); !strings.Contains(string(b), row) {
			t.Errorf("README lacks the catalog row:\n%s", row)
		}
	}
}

// TestPrintCatalog prints the catalog rows, for pasting into the README
// after a change: go test ./fsm -run TestPrintCatalog -v -args -catalog.
func TestPrintCatalog(t *testing.T) {
	if !*printCatalog {
		t.Skip("-catalog not given")
	}
	for _, c := range Codes() {
		fmt.Println(catalogRow(c))
	}
}

var printCatalog = flag.Bool("catalog", false, "print the README's catalog rows")

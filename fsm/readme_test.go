package fsm

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// catalogRow is how a violation code stands in the README's catalog.
func catalogRow(c Code) string {
	i := c.Info()
	return fmt.Sprintf("| `%s` | %s | %s | %s. %s. |", i.Name, i.Severity, i.RFC, upper(i.Summary), upper(i.Explain))
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

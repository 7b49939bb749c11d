package findings

import "testing"

// Every finding has a severity and something to check next.
func TestFindingAdvice(t *testing.T) {
	codes := map[string]bool{}
	for _, f := range findingInfo {
		codes[f.code] = true
	}
	for _, f := range bulkInfo {
		codes[f.code] = true
	}
	for code := range codes {
		a, ok := findingAdvice[code]
		if !ok || a.check == "" {
			t.Errorf("%s: no advice", code)
		}
		switch a.severity {
		case Critical, Warning, Info:
		default:
			t.Errorf("%s: severity %q", code, a.severity)
		}
	}
	if len(findingAdvice) != len(codes) {
		t.Errorf("advice for %d codes, %d findings", len(findingAdvice), len(codes))
	}
}

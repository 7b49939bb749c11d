package report

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppendStringIsValidJSON(t *testing.T) {
	for _, s := range []string{
		"plain", `quote " and \ backslash`, "ctl \x00\x01\x1f\x7f", "tab\tnewline\n",
		"invalid \xff\xfe utf-8", "ümlaut and 日本", "\xed\xa0\x80 surrogate half",
	} {
		b := appendString(nil, s)
		if !utf8.Valid(b) {
			t.Errorf("%q: output is not UTF-8", s)
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("%q: %s does not parse: %v", s, b, err)
			continue
		}
		if utf8.ValidString(s) && back != s {
			t.Errorf("%q round-tripped to %q", s, back)
		}
	}
}

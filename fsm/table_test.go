package fsm

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every conditional cell of the table names the one function that decides
// it, and that function is in the package: a reader goes from the cell to
// the code. A cell that cannot but take its one outcome names none.
func TestTableNamesGuards(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				funcs[fd.Name.Name] = true
			}
		}
	}
	for d := Send; d < NumDirs; d++ {
		for k := Kind(0); int(k) < NumKinds; k++ {
			for s := State(0); int(s) < NumStates; s++ {
				r := Rules(d, k, s)
				conditional := r.When != "" || r.AltWhen != "" || r.Alt != Keep
				switch {
				case conditional && r.Guard == "":
					t.Errorf("%v %v in %v: a condition without the guard that decides it", d, k, s)
				case !conditional && r.Guard != "":
					t.Errorf("%v %v in %v: guard %s for a cell without a condition", d, k, s, r.Guard)
				case r.Guard != "" && !funcs[r.Guard]:
					t.Errorf("%v %v in %v: guard %s is no function of the package", d, k, s, r.Guard)
				}
			}
		}
	}
}

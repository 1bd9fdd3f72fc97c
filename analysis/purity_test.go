package analysis_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/internal/testenv"
)

const module = "github.com/donkeyls/donkeyls/"

// forbidden are the imports through which code reaches the disk or starts
// a process. The analysis reads only through project.Source, whose OS
// implementation lives in internal/ossource.
var forbidden = map[string]string{
	"os":                         "file calls",
	"os/exec":                    "processes",
	"syscall":                    "system calls",
	"golang.org/x/sys/unix":      "system calls",
	module + "internal/srcfile":  "the disk reader",
	module + "internal/pseudofs": "file-system probes",
	module + "internal/ossource": "the OS Source",
}

// TestAnalysisIsPure: no package under analysis/ (tests aside) imports a
// file, system-call or process package, directly or through another
// package of this module, so the analysis cannot touch the world except
// through the Source its caller hands it. (The standard library's own
// packages, which use os inside, are not followed: fmt reaches no file.)
func TestAnalysisIsPure(t *testing.T) {
	root := testenv.RepoRoot()
	imports := map[string][]string{} // module package dir -> imports
	load := func(dir string) []string {
		if imps, ok := imports[dir]; ok {
			return imps
		}
		imports[dir] = nil
		fset := token.NewFileSet()
		matches, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(dir), "*.go"))
		var imps []string
		for _, m := range matches {
			if strings.HasSuffix(m, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, m, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				imps = append(imps, p)
			}
		}
		imports[dir] = imps
		return imps
	}
	var check func(dir string, chain []string)
	checked := map[string]bool{}
	check = func(dir string, chain []string) {
		if checked[dir] {
			return
		}
		checked[dir] = true
		for _, imp := range load(dir) {
			if why, bad := forbidden[imp]; bad {
				t.Errorf("%s imports %s (%s)", strings.Join(append(chain, dir), " → "), imp, why)
				continue
			}
			if after, ok := strings.CutPrefix(imp, module); ok {
				check(after, append(chain, dir))
			}
		}
	}
	n := 0
	err := filepath.WalkDir(filepath.Join(root, "analysis"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			check(filepath.ToSlash(rel), nil)
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Fatalf("only %d packages checked", n)
	}
}

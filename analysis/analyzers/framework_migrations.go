package analyzers

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Migration codes: an order the runtime's string sort gets wrong, and
// already-committed migrations edited in place.
const (
	CodeMigrationOrder  = "migration-order"
	CodeMigrationEdited = "migration-edited"
)

func init() {
	register(&Analyzer{
		Name:  "migrations",
		Doc:   "checks plugin migrations: file names the runtime sorts out of numeric order, shared numbers, and committed migrations edited in place",
		Codes: []string{CodeMigrationOrder, CodeMigrationEdited},
		Run:   runMigrations,
	})
}

type migrationFile struct {
	Path   string
	Name   string // base name
	Digits string // the leading number as written; "" when none
	Num    uint64
}

func runMigrations(p *Pass) {
	dirs := map[string][]migrationFile{}
	for _, path := range p.Project.Files() {
		f := p.Project.File(path)
		if f == nil || f.Kind != facts.KindMigration || f.Missing {
			continue
		}
		reportEdited(p, f)
		// The runtime only runs .ts files of the migrations folder.
		name := filepath.Base(path)
		if filepath.Ext(name) != ".ts" || strings.HasSuffix(name, ".d.ts") {
			continue
		}
		mf := migrationFile{Path: path, Name: name}
		i := 0
		for i < len(name) && name[i] >= '0' && name[i] <= '9' {
			i++
		}
		if i > 0 {
			n, err := strconv.ParseUint(name[:i], 10, 64)
			if err == nil {
				mf.Digits, mf.Num = name[:i], n
			}
		}
		dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], mf)
	}
	dirNames := make([]string, 0, len(dirs))
	for d := range dirs {
		dirNames = append(dirNames, d)
	}
	sort.Strings(dirNames)
	for _, d := range dirNames {
		checkOrder(p, dirs[d])
	}
}

// jsLess is JavaScript's default Array.prototype.sort order: UTF-16 code
// units, which is what the runtime sorts migration names by.
func jsLess(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

// checkOrder reports, for one migrations folder, every numbered migration
// that runs after one with a higher number, and numbers used twice.
func checkOrder(p *Pass, files []migrationFile) {
	sort.Slice(files, func(i, j int) bool { return jsLess(files[i].Name, files[j].Name) })
	var numbered []migrationFile
	width := 0
	var maxNum uint64
	for _, f := range files {
		if f.Digits == "" {
			continue
		}
		numbered = append(numbered, f)
		width = max(width, len(f.Digits))
		maxNum = max(maxNum, f.Num)
	}
	for i, f := range numbered {
		// The highest-numbered migration that the runtime runs before f.
		var before *migrationFile
		var same *migrationFile
		for j := 0; j < i; j++ {
			o := &numbered[j]
			if o.Num > f.Num && (before == nil || o.Num > before.Num) {
				before = o
			}
			if o.Num == f.Num && same == nil {
				same = o
			}
		}
		loc := analysis.Location{Path: f.Path}
		switch {
		case before != nil:
			fixed := fmt.Sprintf("%0*d", width, f.Num) + f.Name[len(f.Digits):]
			p.Report(analysis.Finding{
				Code:     CodeMigrationOrder,
				Severity: analysis.SeverityWarning,
				Location: loc,
				Message: fmt.Sprintf("migration %s runs after %s: the server sorts migration file names as text, not as numbers; pad the numbers to the same width (rename this file to %s, and any others that are shorter)",
					f.Name, before.Name, fixed),
				Related: []analysis.Related{{
					Location: analysis.Location{Path: before.Path},
					Message:  fmt.Sprintf("%s sorts first", before.Name),
				}},
			})
		case same != nil:
			next := fmt.Sprintf("%0*d", len(f.Digits), maxNum+1) + f.Name[len(f.Digits):]
			p.Report(analysis.Finding{
				Code:     CodeMigrationOrder,
				Severity: analysis.SeverityWarning,
				Location: loc,
				Message: fmt.Sprintf("migrations %s and %s share the number %d: they run in name order, which a rename silently changes; give this one the next free number (%s)",
					same.Name, f.Name, f.Num, next),
				Related: []analysis.Related{{
					Location: analysis.Location{Path: same.Path},
					Message:  fmt.Sprintf("%s has the same number", same.Name),
				}},
			})
		}
	}
}

// reportEdited says when a migration differs from the committed one: a
// database that already ran it records it by file name and never runs it
// again, so the change reaches only fresh databases.
func reportEdited(p *Pass, f *facts.File) {
	if !p.Project.InGit() || f.GitBlob == "" {
		return
	}
	head, ok := p.Project.GitHeadBlob(f.Path)
	if !ok || head == f.GitBlob {
		return // new since HEAD, or unchanged
	}
	p.Report(analysis.Finding{
		Code:     CodeMigrationEdited,
		Severity: analysis.SeverityInformation,
		Location: analysis.Location{Path: f.Path},
		Message: fmt.Sprintf("%s was changed since the last commit: a database that already ran it will not run it again (the server records applied migrations by file name), so this change reaches only fresh databases; to change a schema that may be deployed, add a new migration instead",
			filepath.Base(f.Path)),
	})
}

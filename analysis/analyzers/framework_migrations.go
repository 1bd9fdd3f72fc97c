package analyzers

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Migration codes: an order the runtime's string sort gets wrong,
// already-committed migrations edited in place, and files the generator runs
// but the server never does.
const (
	CodeMigrationOrder  = "migration-order"
	CodeMigrationEdited = "migration-edited"
	CodeMigrationNotRun = "migration-not-run"
)

func migrationsAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "migrations",
		Doc:   "checks plugin migrations: file names the runtime sorts out of numeric order, shared numbers, committed migrations edited in place, and files the server never runs",
		Codes: []string{CodeMigrationOrder, CodeMigrationEdited, CodeMigrationNotRun},
		Run:   runMigrations,
	}
}

type migrationFile struct {
	Path   string
	Name   string // base name
	Digits string // the leading number as written; "" when none
	Num    uint64
}

type migrationsKey struct{}

func runMigrations(p *Pass) {
	migrations := migrationFolders(p.Project).files
	p.reportReused(migrationsKey{}, migrations, func(p *Pass) { checkMigrations(p, migrations) })
}

// migrationIndex is what the two migration analyzers read of a snapshot's
// migrations folders, found in one walk over its files instead of one per
// analyzer and pass.
type migrationIndex struct {
	// files are the migrations the generator reads (KindMigration, present),
	// in path order.
	files []*facts.File
	// dirs maps each folder whose migrations/ holds .ts files the server
	// would run (of any kind: a plugin outside the scan folders has them
	// too) to how many it holds, keyed by that folder so the keystroke path
	// looks plugins up without building paths.
	dirs map[string]int
}

type migrationIndexKey struct{}

// migrationFolders finds the snapshot's migrations in one walk, or takes
// the parent snapshot's index with the changed files' new facts when every
// change leaves it the same (sameMigrationIndex): walking the paths of
// every file at each keystroke was 0.3 ms of an edit at 1,000 plugins.
func migrationFolders(proj *project.Project) *migrationIndex {
	return proj.MemoSince(migrationIndexKey{}, sameMigrationIndex, func(prev any, changes []project.Change) any {
		if prev, _ := prev.(*migrationIndex); prev != nil {
			// dirs counts paths, which a change of an existing path keeps.
			return &migrationIndex{files: patchFiles(prev.files, changes), dirs: prev.dirs}
		}
		ix := &migrationIndex{dirs: map[string]int{}}
		for _, path := range proj.Files() {
			if !inMigrationsFolder(path) {
				continue
			}
			f := proj.File(path)
			if f == nil || f.Missing {
				continue
			}
			if f.Kind == facts.KindMigration {
				ix.files = append(ix.files, f)
			}
			if strings.HasSuffix(path, ".ts") {
				ix.dirs[cleanDir(cleanDir(path))]++
			}
		}
		return ix
	}).(*migrationIndex)
}

// inMigrationsFolder reports whether path's folder is named migrations:
// every migration's is (KindOf), so the test on the name leaves the other
// files without a lookup.
func inMigrationsFolder(path string) bool {
	return strings.HasSuffix(cleanDir(path), string(filepath.Separator)+"migrations")
}

// sameMigrationIndex reports whether two versions of a file read the same
// to migrationFolders: outside a migrations folder nothing is read; inside,
// whether it is present and whether it is a migration.
func sameMigrationIndex(a, b *facts.File) bool {
	if !inMigrationsFolder(a.Path) {
		return true
	}
	return a.Missing == b.Missing && (a.Kind == facts.KindMigration) == (b.Kind == facts.KindMigration)
}

func checkMigrations(p *Pass, migrations []*facts.File) {
	dirs := map[string][]migrationFile{}
	for _, f := range migrations {
		path := f.Path
		name := filepath.Base(path)
		if !project.ServerRunsMigration(name) || (f.Migration != nil && f.Migration.DefaultUp) {
			reportNotRun(p, f)
			continue // no database ran it: its order and edits are moot
		}
		reportEdited(p, f)
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
	slices.Sort(dirNames)
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
// the runtime runs before one with a lower number (it sorts names as text,
// so "10_" comes before "2_"), and numbers used more than once.
func checkOrder(p *Pass, files []migrationFile) {
	sort.Slice(files, func(i, j int) bool { return jsLess(files[i].Name, files[j].Name) })
	var numbered []migrationFile
	var maxNum uint64
	for _, f := range files {
		if f.Digits == "" {
			continue
		}
		numbered = append(numbered, f)
		maxNum = max(maxNum, f.Num)
	}
	for i, f := range numbered {
		var after []migrationFile // lower numbers that run later
		for _, o := range numbered[i+1:] {
			if o.Num < f.Num {
				after = append(after, o)
			}
		}
		if len(after) == 0 {
			continue
		}
		last := after[len(after)-1]
		fd := analysis.Finding{
			Code:     CodeMigrationOrder,
			Severity: analysis.SeverityWarning,
			Location: analysis.Location{Path: f.Path},
			Message: fmt.Sprintf("migration %s runs before %s: the server sorts migration file names as text, not as numbers, so a fresh database gets them out of order; rename this one so it sorts after %s, or pad the numbers to one width (%s → %s); %s",
				f.Name, joinNames(after), last.Name, after[0].Name, padded(after[0], numbered), renameWarning),
		}
		for _, o := range after {
			fd.Related = append(fd.Related, analysis.Related{
				Location: analysis.Location{Path: o.Path},
				Message:  fmt.Sprintf("%s has a lower number but runs later", o.Name),
			})
		}
		p.Report(fd)
	}
	byNum := map[uint64][]migrationFile{}
	var nums []uint64
	for _, f := range numbered {
		if len(byNum[f.Num]) == 0 {
			nums = append(nums, f.Num)
		}
		byNum[f.Num] = append(byNum[f.Num], f)
	}
	for _, n := range nums {
		group := byNum[n]
		if len(group) < 2 {
			continue
		}
		// In git, the migrations not committed yet are the ones that are
		// safe to renumber.
		var fresh []migrationFile
		if p.Project.InGit() {
			for _, f := range group {
				if _, ok := p.Project.GitHeadBlob(f.Path); !ok {
					fresh = append(fresh, f)
				}
			}
		}
		for _, f := range group {
			advice := "renumber the one no database has run yet; " + renameWarning
			switch {
			case len(fresh) > 0 && containsMigration(fresh, f):
				advice = fmt.Sprintf("this one is not committed yet: give it the next free number (%s)", withNumber(f, maxNum+1))
			case len(fresh) > 0:
				advice = fmt.Sprintf("renumber %s, which is not committed yet", joinNames(fresh))
			}
			fd := analysis.Finding{
				Code:     CodeMigrationOrder,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: f.Path},
				Message: fmt.Sprintf("%s share the number %d: the server runs them in name order, which a rename silently changes; %s",
					joinNames(group), n, advice),
			}
			for _, o := range group {
				if o.Path != f.Path {
					fd.Related = append(fd.Related, analysis.Related{
						Location: analysis.Location{Path: o.Path},
						Message:  fmt.Sprintf("%s has the same number", o.Name),
					})
				}
			}
			p.Report(fd)
		}
	}
}

const renameWarning = "renaming a migration a database already ran makes the server run it again, since it records migrations by file name"

func joinNames(fs []migrationFile) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func containsMigration(fs []migrationFile, f migrationFile) bool {
	for _, o := range fs {
		if o.Path == f.Path {
			return true
		}
	}
	return false
}

// withNumber renames f to number n, keeping its zero padding width.
func withNumber(f migrationFile, n uint64) string {
	return fmt.Sprintf("%0*d", len(f.Digits), n) + f.Name[len(f.Digits):]
}

// padded is f's name with its number padded to the widest number in use.
func padded(f migrationFile, all []migrationFile) string {
	width := 0
	for _, o := range all {
		width = max(width, len(o.Digits))
	}
	return fmt.Sprintf("%0*d", width, f.Num) + f.Name[len(f.Digits):]
}

// reportEdited says when a migration differs from the committed one: a
// database that already ran it records it by file name and never runs it
// again, so the change reaches only fresh databases.
func reportEdited(p *Pass, f *facts.File) {
	if !p.Project.InGit() || f.GitBlob == "" {
		return
	}
	head, ok := p.Project.GitHeadBlob(f.Path)
	if !ok || head == f.GitBlob || head == f.GitBlobLF {
		return // new since HEAD, or unchanged (perhaps up to CRLF line ends)
	}
	p.Report(analysis.Finding{
		Code:     CodeMigrationEdited,
		Severity: analysis.SeverityInformation,
		Location: analysis.Location{Path: f.Path},
		Message: fmt.Sprintf("%s was changed since the last commit: a database that already ran it will not run it again (the server records applied migrations by file name), so this change reaches only fresh databases; to change a schema that may be deployed, add a new migration instead",
			filepath.Base(f.Path)),
	})
}

// reportNotRun reports a migration the server never runs: a file it does not
// import (only .ts), or a .ts file whose up is not a named export (the
// server calls migration.up on the module; Kysely, which the generator uses,
// also takes the default export's up).
func reportNotRun(p *Pass, f *facts.File) {
	name := filepath.Base(f.Path)
	tables := createdTables(f)
	var what string
	if len(tables) > 0 {
		noun := "table "
		if len(tables) > 1 {
			noun = "tables "
		}
		what = " (" + noun + strings.Join(tables, ", ") + ")"
	}
	// schema.ts is generated only for a folder with a .ts migration.
	typed := ""
	if p.Project.IsExpected(filepath.Join(filepath.Dir(filepath.Dir(f.Path)), "schema.ts")) {
		typed = ", while the generator does run it, so schema.ts types what it creates and queries on it fail with \"no such table\""
	}
	fd := analysis.Finding{
		Code:     CodeMigrationNotRun,
		Severity: analysis.SeverityWarning,
		Location: analysis.Location{Path: f.Path},
	}
	if !project.ServerRunsMigration(name) {
		base := strings.TrimSuffix(name, filepath.Ext(name))
		fd.Message = fmt.Sprintf("the server never runs %s: it imports only the .ts files of a plugin's migrations folder, so the database never gets what this migration creates%s%s; rename it to %s.ts",
			name, what, typed, base)
		p.Report(fd)
		return
	}
	m := f.Migration
	fd.Location.Range = m.UpRange
	fd.Message = fmt.Sprintf("the server never runs %s: it calls only a named `up` export and this file has up on its default export, so at every start it logs \"Executing migration: %s\", runs nothing and records nothing; the database never gets what it creates%s%s; export up by name (`export async function up(db)`)",
		name, name, what, typed)
	if m.NamedForm != "" {
		fd.Fixes = []analysis.Fix{{
			Title: "Export the migration's functions by name",
			Edit:  analysis.WorkspaceEdit{Edits: []analysis.TextEdit{{Path: f.Path, Range: m.Export, NewText: m.NamedForm}}},
		}}
	}
	p.Report(fd)
}

// createdTables lists the tables a migration creates, in order.
func createdTables(f *facts.File) []string {
	if f.Migration == nil {
		return nil
	}
	var out []string
	for _, op := range f.Migration.Ops {
		if op.Kind == facts.OpCreateTable {
			out = append(out, op.Table)
		}
	}
	return out
}

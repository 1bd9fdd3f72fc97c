package analyzers

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Entry-run codes: what `donkeylabs generate` gets when it runs the server
// entry with DONKEYLABS_GENERATE=1 (commands/generate-utils.ts).
const (
	CodeEntryMissing    = "entry-missing"
	CodeEntryRunEmpty   = "entry-run-empty"
	CodeUnmountedRouter = "unmounted-router"
)

func entryAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "entry",
		Doc:   "models the generator's run of the server entry: a missing entry, a run that prints nothing usable, routers no server.use reaches",
		Codes: []string{CodeEntryMissing, CodeEntryRunEmpty, CodeUnmountedRouter},
		Run:   runEntry,
	}
}

func runEntry(p *Pass) {
	proj := p.Project
	run := proj.Entry()
	switch run.Status {
	case project.EntryMissing:
		reportEntryMissing(p, run)
	case project.EntryEmpty:
		for _, c := range run.Causes {
			f := analysis.Finding{
				Code:     CodeEntryRunEmpty,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: c.Path, Range: c.Range},
				Message: c.Message + "; the generator then writes the client without routes, processes.ts without processes and events.ts without the core events, and still exits 0 (" +
					proj.Rel(run.Path) + " is the entry it runs)",
			}
			if fix, ok := stderrFix(proj, c); ok {
				f.Fixes = append(f.Fixes, fix)
			}
			p.Report(f)
		}
	}
	if run.Status == project.EntryRuns || run.Status == project.EntryEmpty {
		reportUnmounted(p, run)
	}
	if run.Status == project.EntryRuns {
		reportLastRunEmpty(p)
		reportCoreEventsMissing(p)
	}
}

// reportCoreEventsMissing: the generator writes the framework's core events
// (workflow.*, job.*, ...) into events.ts from what the entry run prints
// (coreEvents), so an events.ts without any is the trace of a run that
// printed nothing (verified: the init project's events.ts had none until
// entry was set, then 4 workflow.* entries among the rest).
func reportCoreEventsMissing(p *Pass) {
	proj := p.Project
	evPath := filepath.Join(proj.Config().OutPath(), "events.ts")
	ef := generated(proj, evPath)
	if ef == nil {
		return
	}
	for _, e := range ef.Generated.Events {
		ns, _, _ := strings.Cut(e.Name, ".")
		if coreEventNamespaces[ns] {
			return
		}
	}
	p.Report(analysis.Finding{
		Code:     CodeEntryRunEmpty,
		Severity: analysis.SeverityWarning,
		Location: analysis.Location{Path: evPath},
		Message: fmt.Sprintf("the generated events.ts has none of the framework's core events (workflow.*, job.*, cron.*, ...): the last generate run of the entry %s printed nothing usable; donkeyls sees no such cause now, so regenerating should bring them back",
			proj.Rel(proj.Config().EntryPath())),
		Commands: []analysis.CommandRef{p.regenerate()},
		Remedy:   analysis.RemedyRegenerate,
	})
}

// lastRunEmpty reports whether the outputs show that the last generate run
// of the entry gave nothing although it serves routes now: a client with no
// route at all. One finding says so instead of one stale-client per route.
func lastRunEmpty(proj *project.Project) (clientPath string, mounted int, ok bool) {
	clientPath = proj.Config().ClientPath()
	if clientPath == "" {
		return "", 0, false
	}
	cf := generated(proj, clientPath)
	exp := proj.Expected()
	if cf == nil || len(cf.Generated.ClientRoutes) > 0 || len(exp.Routes) == 0 || exp.RoutesUncertain {
		return "", 0, false
	}
	return clientPath, len(exp.Routes), true
}

func reportLastRunEmpty(p *Pass) {
	proj := p.Project
	clientPath, n, ok := lastRunEmpty(proj)
	if !ok {
		return
	}
	p.Report(analysis.Finding{
		Code:     CodeEntryRunEmpty,
		Severity: analysis.SeverityWarning,
		Location: analysis.Location{Path: clientPath},
		Message: fmt.Sprintf("the generated client has no routes although the entry %s mounts %d: the last generate run of the entry printed nothing usable (an import-time console.log, a failed import, a crash or a run over 10 s then); donkeyls sees no such cause now, so regenerating should bring them back",
			proj.Rel(proj.Config().EntryPath()), n),
		Commands: []analysis.CommandRef{p.regenerate()},
		Remedy:   analysis.RemedyRegenerate,
	})
}

// lastRunMessage says what the generator does when the entry run gives it
// nothing, in the words of its own warning.
const lastRunMessage = `"donkeylabs generate" warns "Entry file not found" and writes the client without routes, processes.ts without processes and events.ts without the core events, and exits 0: regenerating cannot change that`

func reportEntryMissing(p *Pass, run *project.EntryRun) {
	proj := p.Project
	cfg := proj.Config()
	if cfg.Facts == nil || cfg.ConfigPath == "" {
		return // the flat layout runs its own scripts
	}
	if len(run.ServerFiles) == 0 && !hasRoutes(proj) {
		return // nothing the run would serve
	}
	how := "the config's entry"
	if cfg.Facts.Entry == "" {
		how = "the default: the config sets no entry"
	}
	f := analysis.Finding{
		Code:     CodeEntryMissing,
		Severity: analysis.SeverityWarning,
		Location: analysis.Location{Path: cfg.ConfigPath, Range: configAnchor(cfg)},
		Message:  fmt.Sprintf("the entry the generator runs, %s (%s), does not exist: %s", cfg.Entry, how, lastRunMessage),
	}
	if len(run.ServerFiles) == 1 {
		spec := "./" + proj.Rel(run.ServerFiles[0])
		f.Message += fmt.Sprintf("; %s constructs the AppServer", proj.Rel(run.ServerFiles[0]))
		if fix, ok := setEntryFix(proj, spec); ok {
			f.Fixes = append(f.Fixes, fix)
		}
	}
	p.Report(f)
}

// configAnchor is where config findings point: the config object's first
// character, or the start of the file.
func configAnchor(cfg *project.Config) analysis.Range {
	if cfg.Facts != nil && !cfg.Facts.Range.IsZero() {
		return at(cfg.Facts.Range.Start)
	}
	return analysis.Range{}
}

// setEntryFix adds `entry: "<spec>",` as the config object's first key; a
// config that already names an entry is left to the user.
func setEntryFix(proj *project.Project, spec string) (analysis.Fix, bool) {
	cfg := proj.Config()
	f := proj.File(cfg.ConfigPath)
	if cfg.Facts.Entry != "" || cfg.Facts.Range.IsZero() || f == nil || f.SyntaxErrors {
		return analysis.Fix{}, false
	}
	open := cfg.Facts.Range.Start
	after := analysis.Pos{Offset: open.Offset + 1, Line: open.Line, Col: open.Col + 1}
	return analysis.Fix{
		Title: "Set entry to " + spec,
		Edit: analysis.WorkspaceEdit{Edits: []analysis.TextEdit{{
			Path: cfg.ConfigPath, Range: at(after), NewText: "\n  entry: " + quote(spec) + ",",
		}}},
	}, true
}

// stderrFix turns an import-time console write into console.error, which
// Bun writes to stderr, where the generator does not look.
func stderrFix(proj *project.Project, c project.EntryCause) (analysis.Fix, bool) {
	f := proj.File(c.Path)
	if !editable(f) {
		return analysis.Fix{}, false
	}
	for _, w := range f.StdoutWrites() {
		if w.Range != c.Range {
			continue
		}
		n := int32(len(w.Call))
		end := analysis.Pos{Offset: w.Range.Start.Offset + n, Line: w.Range.Start.Line, Col: w.Range.Start.Col + n}
		return replaceFix("Write it to stderr (console.error)", c.Path, analysis.Range{Start: w.Range.Start, End: end}, "console.error"), true
	}
	return analysis.Fix{}, false
}

func hasRoutes(proj *project.Project) bool {
	found := false
	proj.EachFile(func(f *facts.File) {
		if f.Kind == facts.KindSource && len(f.Routes) > 0 {
			found = true
		}
	})
	return found
}

// reportUnmounted reports routers with routes that no server.use reaches.
// A file's findings read the file, the entry run and the routers merged
// into others; positions elsewhere (where the fix adds a mount) only when
// there is a finding. A keystroke that keeps the run and the merged set
// then reuses every other file's verdict (reportEach) instead of looking
// ten thousand routers up in the run's mounts again.
func reportUnmounted(p *Pass, run *project.EntryRun) {
	if run.Uncertain {
		return
	}
	proj := p.Project
	merged := mergedRouters(proj)
	files := routeFiles(proj)
	items := make([]unmountedItem, len(files))
	for i, f := range files {
		items[i] = unmountedItem{file: f, run: run, merged: merged}
	}
	reportEach(p, unmountedKey{}, items, func(prev, now *unmountedItem) bool {
		return !prev.found && prev.file == now.file && prev.run == now.run && prev.merged == now.merged
	}, func(p *Pass, it *unmountedItem) {
		checkUnmounted(p, run, merged.m, it.file)
		it.found = len(p.findings) > 0
	})
}

type (
	unmountedKey     struct{}
	mergedRoutersKey struct{}
	routeFilesKey    struct{}
)

// unmountedItem is one file with routes and what its verdict read; found
// is set when it reported something, whose positions may reach other
// files (the mount fix): such a verdict is checked again.
type unmountedItem struct {
	file   *facts.File
	run    *project.EntryRun
	merged *routerSet
	found  bool
}

// routerSet is a set of router variables, shared from snapshot to snapshot
// while it is the same.
type routerSet struct{ m map[string]bool }

// mergedRouters is the routers copied into another with parent.router(x),
// the parent's set while no change adds or removes such a call.
func mergedRouters(proj *project.Project) *routerSet {
	return proj.MemoSince(mergedRoutersKey{}, func(a, b *facts.File) bool {
		return slices.Equal(routerMerges(a), routerMerges(b))
	}, func(prev any, _ []project.Change) any {
		if prev != nil {
			return prev
		}
		merged := map[string]bool{}
		proj.EachFile(func(f *facts.File) {
			for _, id := range routerMerges(f) {
				merged[id] = true
			}
		})
		return &routerSet{m: merged}
	}).(*routerSet)
}

// routerMerges lists the routers f merges into another, in order.
func routerMerges(f *facts.File) []string {
	var out []string
	for _, m := range f.Mounts() {
		if m.Method == "router" && m.Ident != "" {
			out = append(out, m.Ident)
		}
	}
	return out
}

// isRouteFile is what reportUnmounted checks.
func isRouteFile(f *facts.File) bool {
	return f.Kind == facts.KindSource && !f.Missing && len(f.Routes) > 0 && !isTestFile(f.Path)
}

// routeFiles lists the files with routes (isRouteFile) by path, the
// parent's list with the changed files' new facts while each change keeps
// its file in or out of it.
func routeFiles(proj *project.Project) []*facts.File {
	return proj.MemoSince(routeFilesKey{}, func(a, b *facts.File) bool { return isRouteFile(a) == isRouteFile(b) }, func(prev any, changes []project.Change) any {
		if prev, _ := prev.([]*facts.File); prev != nil {
			return patchFiles(prev, changes)
		}
		var out []*facts.File
		proj.EachFile(func(f *facts.File) {
			if isRouteFile(f) {
				out = append(out, f)
			}
		})
		return out
	}).([]*facts.File)
}

// checkUnmounted reports f's routers that no server.use reaches.
func checkUnmounted(p *Pass, run *project.EntryRun, merged map[string]bool, f *facts.File) {
	proj := p.Project
	for _, r := range f.Routers {
		if r.Var == "" || r.Parent != "" || merged[r.Var] || run.Mounted[project.RouterRef{Path: f.Path, Var: r.Var}] {
			continue
		}
		n := routesOf(f, r.Var)
		if n == 0 {
			continue
		}
		where := "no server.use() call the entry " + proj.Rel(run.Path) + " runs passes it"
		if !run.Reached[f.Path] {
			where = "the entry " + proj.Rel(run.Path) + " never imports " + proj.Rel(f.Path)
		}
		fd := analysis.Finding{
			Code:     CodeUnmountedRouter,
			Severity: analysis.SeverityWarning,
			Location: analysis.Location{Path: f.Path, Range: r.Range},
			Message: fmt.Sprintf("router %s (prefix %q) is never mounted: %s, so its %d route(s) answer 404 and the generator leaves them out of the client",
				r.Var, r.Prefix, where, n),
		}
		if fix, ok := mountFix(proj, run, f, r); ok {
			fd.Fixes = append(fd.Fixes, fix)
		}
		p.Report(fd)
	}
}

// routesOf counts the routes defined on router v of f and on its children.
func routesOf(f *facts.File, v string) int {
	vars := map[string]bool{v: true}
	for changed := true; changed; {
		changed = false
		for _, r := range f.Routers {
			if r.Var != "" && vars[r.Parent] && !vars[r.Var] {
				vars[r.Var], changed = true, true
			}
		}
	}
	n := 0
	for _, rt := range f.Routes {
		if vars[rt.RouterVar] {
			n++
		}
	}
	return n
}

// mountFix adds `<server>.use(<router>);` after the last server.use
// statement the entry run executes (the entry's own first), and the import.
func mountFix(proj *project.Project, run *project.EntryRun, f *facts.File, r facts.Router) (analysis.Fix, bool) {
	var lastPath string
	var last *facts.Mount
	paths := make([]string, 0, len(run.Reached))
	for path := range run.Reached {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	for _, path := range paths {
		mf := proj.File(path)
		for i := range mf.Mounts() {
			m := &mf.Mounts()[i]
			if m.Method != "use" || m.Stmt.IsZero() {
				continue
			}
			if last == nil || (path == run.Path && lastPath != run.Path) ||
				(path == lastPath && m.Stmt.End.Offset > last.Stmt.End.Offset) {
				last, lastPath = m, path
			}
		}
	}
	if last == nil {
		return analysis.Fix{}, false
	}
	target := proj.File(lastPath)
	if !editable(target) {
		return analysis.Fix{}, false
	}
	if lastPath != f.Path && !exportsName(f, r.Var) {
		return analysis.Fix{}, false
	}
	edits := []analysis.TextEdit{{
		Path: lastPath, Range: at(last.Stmt.End),
		NewText: "\n" + indent(last.Stmt.Start.Col) + last.Receiver + ".use(" + r.Var + ");",
	}}
	if lastPath != f.Path && !importsName(target.Imports, r.Var) {
		stmt := fmt.Sprintf("import { %s } from %s;", r.Var, quote(importSpec(lastPath, f.Path)))
		if n := len(target.Imports); n > 0 {
			edits = append(edits, analysis.TextEdit{Path: lastPath, Range: at(target.Imports[n-1].Range.End), NewText: "\n" + stmt})
		} else {
			edits = append(edits, analysis.TextEdit{Path: lastPath, Range: analysis.Range{}, NewText: stmt + "\n"})
		}
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].Range.Start.Offset < edits[j].Range.Start.Offset })
	return analysis.Fix{
		Title: fmt.Sprintf("Mount %s: add %s.use(%s) to %s", r.Var, last.Receiver, r.Var, proj.Rel(lastPath)),
		Edit:  analysis.WorkspaceEdit{Edits: edits},
	}, true
}

func exportsName(f *facts.File, name string) bool {
	for _, d := range f.TopLevel {
		if d.Name == name && d.Exported {
			return true
		}
	}
	for _, re := range f.ReExports {
		for _, n := range re.Names {
			if re.Spec == "" && n.Name == name {
				return true
			}
		}
	}
	return false
}

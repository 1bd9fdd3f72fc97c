package project

import (
	"sort"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// EntryStatus is what running the entry in generate mode gives the
// generator (packages/cli commands/generate-utils.ts, extractRoutesFromServer).
type EntryStatus int

const (
	// EntryUnknown: the model cannot tell (an entry that is not TypeScript).
	EntryUnknown EntryStatus = iota
	// EntryMissing: the entry file does not exist; the generator warns
	// "Entry file not found" and goes on with no routes, exit status 0.
	EntryMissing
	// EntryEmpty: the entry exists but its run prints nothing the
	// generator can parse (Causes say why); again no routes, exit 0.
	EntryEmpty
	// EntryRuns: the run prints the mounted routes.
	EntryRuns
)

// EntryCause is why a run prints nothing usable, at its place.
type EntryCause struct {
	Path    string
	Range   analysis.Range
	Message string
}

// EntryRun models `DONKEYLABS_GENERATE=1 bun <entry>`: which files it
// imports, which routers it mounts with server.use, and whether its stdout
// is the one JSON document the generator parses.
type EntryRun struct {
	Path   string
	Status EntryStatus
	Causes []EntryCause
	// Reached are the project files the run imports, the entry included.
	Reached map[string]bool
	// Mounted are the routers (file and variable) that server.use reaches,
	// with their child routers; InlineMounted the files where a router
	// chain written inside server.use(...) is mounted.
	Mounted       map[RouterRef]bool
	InlineMounted map[string]bool
	// Copies are the parent.router(child) calls on served routers: the
	// child's routes, as they are at that call, served again under the
	// parent's prefix (router.ts: the routes are copied, not linked).
	Copies []RouteCopy
	// Uncertain is set when some mount could not be followed: a router not
	// found mounted may then be mounted after all.
	Uncertain bool
	// ServerFiles are the project files that construct an AppServer.
	ServerFiles []string
	// Processes are the process definitions the run prints (registered at
	// import time with stdout silenced, the only way one reaches the
	// output under server 2.5.1); Registrations every processes.register
	// call in the files the run reaches.
	Processes     []string
	Registrations []ProcessReg
}

// ProcessReg is a processes.register call and its file.
type ProcessReg struct {
	Path string
	facts.ProcessRegistration
}

// RouteCopy is one parent.router(child) call: child's routes (and its
// children's) are copied into the served router under Prefix. When the
// child lives in the file of the call, only the routes defined before the
// call exist then (Before, a byte offset; -1 when every route does, the
// child's module having been evaluated before the importer's body).
type RouteCopy struct {
	From   RouterRef
	Prefix string
	Before int
}

// RouterRef names a router by its file and variable.
type RouterRef struct {
	Path string
	Var  string
}

// RouteMounted reports whether the run serves route r of file path.
func (e *EntryRun) RouteMounted(path string, r *facts.Route) bool {
	if r.RouterVar == "" {
		return e.InlineMounted[path]
	}
	return e.Mounted[RouterRef{path, r.RouterVar}]
}

// Entry returns the model of the entry run, computed once per snapshot.
func (p *Project) Entry() *EntryRun {
	return p.Expected().Entry
}

func (p *Project) computeEntry() *EntryRun {
	e := &EntryRun{Path: p.config.EntryPath(), Reached: map[string]bool{}, Mounted: map[RouterRef]bool{}, InlineMounted: map[string]bool{}}
	for _, path := range p.Files() {
		if f := p.files[path]; f.Kind == facts.KindSource && !f.Missing && len(f.Servers) > 0 {
			e.ServerFiles = append(e.ServerFiles, path)
		}
	}
	if !isTypeScript(e.Path) {
		return e
	}
	entry := p.File(e.Path)
	if entry == nil || entry.Missing {
		if _, err := p.src.Stat(e.Path); err == nil {
			return e // there, but not a file we analyze (a skipped directory)
		}
		e.Status = EntryMissing
		return e
	}
	queue := []*facts.File{entry}
	e.Reached[entry.Path] = true
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if f.SyntaxErrors && !f.StaleFacts {
			e.Uncertain = true
		}
		for _, r := range f.ProcessRegistrations {
			e.Registrations = append(e.Registrations, ProcessReg{f.Path, r})
			switch {
			case r.AtImport && r.StdoutMuted:
				e.Processes = append(e.Processes, r.Name)
			case r.AtImport:
				name := r.Name
				if name == "" {
					name = "<name>"
				}
				e.Causes = append(e.Causes, EntryCause{Path: f.Path, Range: r.Range,
					Message: "processes.register runs when the entry is imported and the server logs it to stdout (\"[Processes] Registered process definition: " + name + "\"), so the generator cannot parse the routes the run prints"})
			}
		}
		for _, w := range f.StdoutWrites {
			e.Causes = append(e.Causes, EntryCause{Path: f.Path, Range: w.Range,
				Message: w.Call + " writes to stdout when the entry is imported, so the generator cannot parse the routes the run prints"})
		}
		// visit follows one resolved import; a missing target breaks the
		// run only when the import is kept for sure: Bun drops imports
		// whose bindings are used only as types or not at all (verified:
		// an unused `import { x } from "./gone"` runs fine).
		visit := func(spec string, rng analysis.Range, t *facts.File, ok, surelyKept bool) {
			if !ok {
				if surelyKept {
					e.Causes = append(e.Causes, EntryCause{Path: f.Path, Range: rng,
						Message: "import \"" + spec + "\" does not resolve to a file, so the entry run fails before it prints any route"})
				}
				return
			}
			if t != nil && !e.Reached[t.Path] {
				e.Reached[t.Path] = true
				queue = append(queue, t)
			}
		}
		var used map[string]bool // built only when an import does not resolve
		for _, imp := range f.Imports {
			if imp.TypeOnly || allTypeOnly(imp) {
				continue
			}
			t, ok, local := p.resolveLocal(f.Path, imp.Spec)
			if !local {
				continue
			}
			if !ok && used == nil {
				used = boundByServer(f)
			}
			visit(imp.Spec, imp.SpecRange, t, ok, !ok && keptForSure(used, imp))
		}
		for _, re := range f.ReExports {
			if t, ok, local := p.resolveLocal(f.Path, re.Spec); local {
				visit(re.Spec, re.Range, t, ok, false)
			}
		}
	}
	for path := range e.Reached {
		f := p.files[path]
		for _, m := range f.Mounts {
			if m.Method != "use" || !p.isServer(f, m.Receiver) {
				continue
			}
			switch {
			case m.Inline:
				e.InlineMounted[path] = true
			case m.Ident == "":
				e.Uncertain = true
			default:
				if ref, ok := p.followBinding(f, m.Ident, map[RouterRef]bool{}); ok {
					p.mount(e, ref)
				} else {
					e.Uncertain = true
				}
			}
		}
	}
	p.copyMounted(e)
	if len(e.Causes) > 0 {
		e.Status = EntryEmpty
	} else {
		e.Status = EntryRuns
	}
	return e
}

// mount marks a router and the child routers made from it as served.
func (p *Project) mount(e *EntryRun, ref RouterRef) {
	if e.Mounted[ref] {
		return
	}
	e.Mounted[ref] = true
	f := p.files[ref.Path]
	for _, r := range f.Routers {
		if r.Parent == ref.Var && r.Var != "" {
			p.mount(e, RouterRef{ref.Path, r.Var})
		}
	}
}

// copyMounted records the parent.router(child) calls of the files the run
// reaches whose parent is a served router, wherever the call is written.
func (p *Project) copyMounted(e *EntryRun) {
	for path := range e.Reached {
		f := p.files[path]
		for _, m := range f.Mounts {
			if m.Method != "router" {
				continue
			}
			ref, ok := p.followBinding(f, m.Receiver, map[RouterRef]bool{})
			if !ok {
				e.Uncertain = true // a router we cannot follow: its copies are unknown
				continue
			}
			if e.Mounted[ref] {
				p.copyRoutes(e, f, ref, m, "", 0)
			}
		}
	}
	sort.Slice(e.Copies, func(i, j int) bool {
		a, b := e.Copies[i], e.Copies[j]
		if a.From != b.From {
			return a.From.Path < b.From.Path || (a.From.Path == b.From.Path && a.From.Var < b.From.Var)
		}
		return a.Prefix < b.Prefix
	})
}

// copyRoutes records parent.router(child) (m, in f, on router ref) with
// the prefix the copies get, following copies into the child made before
// the call. outer is the prefix of an enclosing copy; depth bounds cycles.
func (p *Project) copyRoutes(e *EntryRun, f *facts.File, ref RouterRef, m facts.Mount, outer string, depth int) {
	if depth > 8 {
		e.Uncertain = true
		return
	}
	prefix, ok := routerPrefix(p.files[ref.Path], ref.Var)
	if m.Ident == "" || !ok {
		e.Uncertain = true
		return
	}
	prefix = joinPrefix(outer, prefix)
	child, ok := p.followBinding(f, m.Ident, map[RouterRef]bool{})
	if !ok {
		e.Uncertain = true
		return
	}
	before := -1
	if child.Path == f.Path {
		before = int(m.Call.Start.Offset)
	}
	e.Copies = append(e.Copies, RouteCopy{From: child, Prefix: prefix, Before: before})
	cf := p.files[child.Path]
	for _, cm := range cf.Mounts {
		if cm.Method == "router" && cm.Receiver == child.Var && (before < 0 || int(cm.Call.Start.Offset) < before) {
			p.copyRoutes(e, cf, child, cm, prefix, depth+1)
		}
	}
}

// routerPrefix is the full prefix of router v of f.
func routerPrefix(f *facts.File, v string) (string, bool) {
	for _, r := range f.Routers {
		if r.Var == v {
			return r.Prefix, r.PrefixKnown
		}
	}
	return "", false
}

// joinPrefix joins name segments as Router does: an empty prefix adds
// nothing.
func joinPrefix(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// isServer reports whether name, in f, is an AppServer: one constructed in
// f, or a binding imported from another file (`import { server }`).
func (p *Project) isServer(f *facts.File, name string) bool {
	for _, s := range f.Servers {
		if s.Name == name {
			return true
		}
	}
	for _, imp := range f.Imports {
		if imp.Default == name || imp.Namespace == name {
			return true
		}
		for _, n := range imp.Names {
			if n.Alias == name {
				return true
			}
		}
	}
	return false
}

// followBinding finds the router a name of f denotes: a router variable of
// f, or an import followed through re-exports to the file defining it. seen
// holds the (file, name) pairs already asked about: barrels that re-export
// each other (`export * from` in a cycle) would otherwise be walked once per
// path through them, exponentially many when the name is found nowhere.
func (p *Project) followBinding(f *facts.File, name string, seen map[RouterRef]bool) (RouterRef, bool) {
	key := RouterRef{f.Path, name}
	if seen[key] {
		return RouterRef{}, false
	}
	seen[key] = true
	for _, r := range f.Routers {
		if r.Var == name {
			return RouterRef{f.Path, name}, true
		}
	}
	for _, a := range f.Aliases {
		if a.Alias == name {
			return p.followBinding(f, a.Name, seen)
		}
	}
	for _, re := range f.ReExports {
		for _, n := range re.Names {
			if n.Alias != name {
				continue
			}
			if re.Spec == "" {
				if n.Name != name {
					return p.followBinding(f, n.Name, seen)
				}
				continue
			}
			if t, ok, _ := p.resolveLocal(f.Path, re.Spec); ok && t != nil {
				return p.followBinding(t, n.Name, seen)
			}
		}
	}
	for _, imp := range f.Imports {
		for _, n := range imp.Names {
			if n.Alias == name {
				if t, ok, _ := p.resolveLocal(f.Path, imp.Spec); ok && t != nil {
					return p.followBinding(t, n.Name, seen)
				}
			}
		}
	}
	// `export * from "./x"` forwards every name x exports.
	for _, re := range f.ReExports {
		if re.Star {
			if t, ok, _ := p.resolveLocal(f.Path, re.Spec); ok && t != nil {
				if ref, ok := p.followBinding(t, name, seen); ok {
					return ref, true
				}
			}
		}
	}
	return RouterRef{}, false
}

// boundByServer lists the names a file mounts or registers.
func boundByServer(f *facts.File) map[string]bool {
	used := map[string]bool{}
	for _, m := range f.Mounts {
		used[m.Ident] = true
	}
	for _, r := range f.Registrations {
		used[r.Ident] = true
	}
	delete(used, "")
	return used
}

// keptForSure reports whether the transpiler keeps an import whatever the
// rest of the file does with it: a side-effect import, or one binding a
// name the file mounts or registers (used).
func keptForSure(used map[string]bool, imp facts.Import) bool {
	if imp.Default == "" && imp.Namespace == "" && len(imp.Names) == 0 {
		return true // import "./x"
	}
	if used[imp.Default] || used[imp.Namespace] {
		return true
	}
	for _, n := range imp.Names {
		if !n.TypeOnly && used[n.Alias] {
			return true
		}
	}
	return false
}

func allTypeOnly(imp facts.Import) bool {
	if imp.Default != "" || imp.Namespace != "" || len(imp.Names) == 0 {
		return false
	}
	for _, n := range imp.Names {
		if !n.TypeOnly {
			return false
		}
	}
	return true
}

// resolveLocal resolves an import that names a project file; local is
// false for packages. ok is false only when nothing exists there at all; a
// file that exists but is not analyzed (JavaScript, JSON) gives ok with a
// nil file.
func (p *Project) resolveLocal(from, spec string) (f *facts.File, ok, local bool) {
	r := p.ResolveImport(from, spec)
	if r.File != nil && r.File.Kind == facts.KindConfig {
		return nil, false, true
	}
	return r.File, r.Path != "", r.Local
}

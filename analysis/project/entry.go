package project

import (
	"os"
	"path/filepath"
	"strings"

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
	// Uncertain is set when some mount could not be followed: a router not
	// found mounted may then be mounted after all.
	Uncertain bool
	// ServerFiles are the project files that construct an AppServer.
	ServerFiles []string
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
		if _, err := os.Stat(e.Path); err == nil {
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
			if imp.TypeOnly || allTypeOnly(imp) || !isRelative(imp.Spec) {
				continue
			}
			t, ok := p.resolveRelative(f.Path, imp.Spec)
			if !ok && used == nil {
				used = boundByServer(f)
			}
			visit(imp.Spec, imp.SpecRange, t, ok, !ok && keptForSure(used, imp))
		}
		for _, re := range f.ReExports {
			if isRelative(re.Spec) {
				t, ok := p.resolveRelative(f.Path, re.Spec)
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
	for _, m := range f.Mounts {
		// parent.router(child) copies child's routes under the parent's
		// prefix: their names change, which this model does not follow.
		if m.Method == "router" && m.Receiver == ref.Var {
			e.Uncertain = true
		}
	}
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
			if t, ok := p.resolveRelative(f.Path, re.Spec); ok && t != nil {
				return p.followBinding(t, n.Name, seen)
			}
		}
	}
	for _, imp := range f.Imports {
		for _, n := range imp.Names {
			if n.Alias == name && isRelative(imp.Spec) {
				if t, ok := p.resolveRelative(f.Path, imp.Spec); ok && t != nil {
					return p.followBinding(t, n.Name, seen)
				}
			}
		}
	}
	// `export * from "./x"` forwards every name x exports.
	for _, re := range f.ReExports {
		if re.Star && isRelative(re.Spec) {
			if t, ok := p.resolveRelative(f.Path, re.Spec); ok && t != nil {
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

func isRelative(spec string) bool {
	return strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../")
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

// resolveRelative finds the file a relative import names, trying the
// extensions and index files Bun's resolution tries. ok is false only when
// nothing exists there at all; a file that exists but is not analyzed
// (JavaScript, JSON) gives ok with a nil file.
func (p *Project) resolveRelative(from, spec string) (*facts.File, bool) {
	base := filepath.Join(filepath.Dir(from), filepath.FromSlash(spec))
	stem := base
	for _, ext := range []string{".js", ".ts", ".mjs", ".mts", ".tsx", ".jsx"} {
		if strings.HasSuffix(stem, ext) {
			stem = strings.TrimSuffix(stem, ext)
			break
		}
	}
	// Candidates are built one at a time: nearly every import is found at
	// the first or second, and the entry of a large project has thousands.
	for i := 0; i < 6; i++ {
		var cand string
		switch i {
		case 0:
			if stem == base {
				continue // no extension: base itself is a directory or nothing
			}
			cand = base
		case 1:
			cand = stem + ".ts"
		case 2:
			cand = stem + string(filepath.Separator) + "index.ts"
		case 3:
			cand = stem + ".tsx"
		case 4:
			cand = stem + ".mts"
		case 5:
			cand = stem + string(filepath.Separator) + "index.tsx"
		}
		if f := p.File(cand); f != nil && !f.Missing && f.Kind != facts.KindConfig {
			return f, true
		}
	}
	for _, cand := range []string{base, stem + ".js", stem + ".mjs", stem + ".cjs", stem + ".jsx", stem + ".json", filepath.Join(stem, "index.js")} {
		if st, err := os.Stat(cand); err == nil && !st.IsDir() {
			return nil, true
		}
	}
	return nil, false
}

// ResolveImport is the analyzed file a relative import specifier names, as
// Bun resolves it; nil for a package import or a file not analyzed.
func (p *Project) ResolveImport(from, spec string) *facts.File {
	if !isRelative(spec) {
		return nil
	}
	f, _ := p.resolveRelative(from, spec)
	return f
}

package project

import (
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"sync/atomic"

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

// computeEntry models the entry run of this snapshot, or takes the model of
// an earlier snapshot of the same Load when every file changed since reads
// the same to the model (entrySame) and that run asked the Source nothing
// but the tsconfig, which is unchanged: most keystrokes edit a body the
// entry run never sees, and following every import of a 1,000-plugin
// project again was a third of each edit.
func (p *Project) computeEntry() *EntryRun {
	ts := p.tsconfig()
	m := p.m()
	if run := m.earlierEntry(ts); run != nil {
		m.entry.Store(&entryMemo{run: run, ts: ts})
		return run
	}
	// The run sees the Source only through a copy of p whose Source
	// counts what it is asked (p.src is fixed for a snapshot).
	probe := &probeSource{Source: p.src}
	pe := *p
	pe.src = probe
	run := pe.buildEntry()
	m.entry.Store(&entryMemo{run: run, probed: probe.asked.Load() > 0, ts: ts})
	return run
}

// entryMemo is a snapshot's entry model with what it read besides facts.
type entryMemo struct {
	run *EntryRun
	// probed is set when the run asked the Source whether a file exists:
	// what it found may have changed since, so the model is not reused.
	probed bool
	ts     *tsPaths
}

// memoLink ties a snapshot's memo to the one it was made from by WithFile
// on an existing path (the same paths), with that path's facts before and
// after.
type memoLink struct {
	memo     *memo
	old, new *facts.File
	// depth counts the links up to a snapshot that computed its model (or
	// has no link): WithFile links no further than maxEntryLinks, so a run
	// of snapshots never analysed keeps at most that many memos alive.
	depth int
}

// maxEntryLinks bounds how many WithFile steps back an entry model is
// looked for; the server applies the files changed since its last analysis
// one by one, rarely more than a few.
const maxEntryLinks = 16

// earlierEntry is the entry model of the nearest earlier snapshot that
// computed one, when every step since changed a file in no way the model
// reads and that model can be reused; nil otherwise.
func (m *memo) earlierEntry(ts *tsPaths) *EntryRun {
	v, _ := m.earlier(func(m *memo) (any, bool) {
		c := m.entry.Load()
		return c, c != nil
	}, entrySame)
	c, _ := v.(*entryMemo)
	if c == nil || c.probed || !reflect.DeepEqual(*c.ts, *ts) {
		return nil
	}
	return c.run
}

// entrySame reports whether two versions of a file read the same to the
// entry model: the facts buildEntry and resolveLocal read, with the places
// it reports or compares (an import's specifier, a router call's offset)
// but not the others, which move with every edit above them. A fact read
// there must be compared here too. Of a file that does not parse it reads
// only whether its facts are uncertain: a broken keystroke that keeps the
// last good facts (StaleFacts) reads the same as the version that parsed.
func entrySame(a, b *facts.File) bool {
	return a.Path == b.Path && a.Kind == b.Kind && a.Missing == b.Missing &&
		uncertain(a) == uncertain(b) &&
		slices.EqualFunc(a.Imports, b.Imports, func(x, y facts.Import) bool {
			return x.Spec == y.Spec && x.SpecRange == y.SpecRange && x.TypeOnly == y.TypeOnly &&
				x.Default == y.Default && x.Namespace == y.Namespace && slices.Equal(x.Names, y.Names)
		}) &&
		slices.EqualFunc(a.ReExports, b.ReExports, func(x, y facts.ReExport) bool {
			return x.Spec == y.Spec && x.Star == y.Star && slices.Equal(x.Names, y.Names)
		}) &&
		slices.EqualFunc(a.Mounts(), b.Mounts(), func(x, y facts.Mount) bool {
			return x.Method == y.Method && x.Receiver == y.Receiver && x.Ident == y.Ident &&
				x.Inline == y.Inline && x.Call.Start.Offset == y.Call.Start.Offset
		}) &&
		slices.Equal(a.Aliases(), b.Aliases()) &&
		slices.EqualFunc(a.Routers, b.Routers, func(x, y facts.Router) bool {
			return x.Var == y.Var && x.Prefix == y.Prefix && x.PrefixKnown == y.PrefixKnown && x.Parent == y.Parent
		}) &&
		slices.EqualFunc(a.Servers(), b.Servers(), func(x, y facts.Key) bool { return x.Name == y.Name }) &&
		slices.EqualFunc(a.Registrations(), b.Registrations(), func(x, y facts.Registration) bool { return x.Ident == y.Ident }) &&
		reflect.DeepEqual(a.StdoutWrites(), b.StdoutWrites()) &&
		reflect.DeepEqual(a.ProcessRegistrations(), b.ProcessRegistrations())
}

// probeSource counts the existence checks a Source is asked.
type probeSource struct {
	Source
	asked atomic.Int32
}

func (s *probeSource) Stat(path string) (fs.FileInfo, error) {
	s.asked.Add(1)
	return s.Source.Stat(path)
}

func (s *probeSource) ReadFile(path string) ([]byte, error) {
	s.asked.Add(1)
	return s.Source.ReadFile(path)
}

func (s *probeSource) ReadDir(path string) ([]fs.DirEntry, error) {
	s.asked.Add(1)
	return s.Source.ReadDir(path)
}

func (s *probeSource) SameFile(a, b string) bool {
	s.asked.Add(1)
	return s.Source.SameFile(a, b)
}

// buildEntry follows the entry's imports and mounts. It reads the facts
// entrySame compares and, through resolveLocal, which paths exist.
func (p *Project) buildEntry() *EntryRun {
	e := &EntryRun{Path: p.config.EntryPath(), Reached: map[string]bool{}, Mounted: map[RouterRef]bool{}, InlineMounted: map[string]bool{}}
	for _, f := range p.sortedFiles() {
		if f.Kind == facts.KindSource && !f.Missing && len(f.Servers()) > 0 {
			e.ServerFiles = append(e.ServerFiles, f.Path)
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
		if uncertain(f) {
			e.Uncertain = true
		}
		for _, r := range f.ProcessRegistrations() {
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
		for _, w := range f.StdoutWrites() {
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
	b := &binder{}
	for path := range e.Reached {
		f := p.file(path)
		for _, m := range f.Mounts() {
			if m.Method != "use" || !p.isServer(f, m.Receiver) {
				continue
			}
			switch {
			case m.Inline:
				e.InlineMounted[path] = true
			case m.Ident == "":
				e.Uncertain = true
			default:
				if ref, ok := p.follow(b, f, m.Ident); ok {
					p.mount(e, ref)
				} else {
					e.Uncertain = true
				}
			}
		}
	}
	p.copyMounted(e, b)
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
	f := p.file(ref.Path)
	for _, r := range f.Routers {
		if r.Parent == ref.Var && r.Var != "" {
			p.mount(e, RouterRef{ref.Path, r.Var})
		}
	}
}

// copyMounted records the parent.router(child) calls of the files the run
// reaches whose parent is a served router, wherever the call is written.
func (p *Project) copyMounted(e *EntryRun, b *binder) {
	for path := range e.Reached {
		f := p.file(path)
		for _, m := range f.Mounts() {
			if m.Method != "router" {
				continue
			}
			ref, ok := p.follow(b, f, m.Receiver)
			if !ok {
				e.Uncertain = true // a router we cannot follow: its copies are unknown
				continue
			}
			if e.Mounted[ref] {
				p.copyRoutes(e, b, f, ref, m, "", 0)
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
func (p *Project) copyRoutes(e *EntryRun, b *binder, f *facts.File, ref RouterRef, m facts.Mount, outer string, depth int) {
	if depth > 8 {
		e.Uncertain = true
		return
	}
	prefix, ok := routerPrefix(p.file(ref.Path), ref.Var)
	if m.Ident == "" || !ok {
		e.Uncertain = true
		return
	}
	prefix = joinPrefix(outer, prefix)
	child, ok := p.follow(b, f, m.Ident)
	if !ok {
		e.Uncertain = true
		return
	}
	before := -1
	if child.Path == f.Path {
		before = int(m.Call.Start.Offset)
	}
	e.Copies = append(e.Copies, RouteCopy{From: child, Prefix: prefix, Before: before})
	cf := p.file(child.Path)
	for _, cm := range cf.Mounts() {
		if cm.Method == "router" && cm.Receiver == child.Var && (before < 0 || int(cm.Call.Start.Offset) < before) {
			p.copyRoutes(e, b, cf, child, cm, prefix, depth+1)
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
	for _, s := range f.Servers() {
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

// follow is followBinding from a fresh start.
func (p *Project) follow(b *binder, f *facts.File, name string) (RouterRef, bool) {
	if b.seen == nil {
		b.seen = map[RouterRef]bool{}
	}
	clear(b.seen)
	return p.followBinding(b, f, name, b.seen)
}

// followBinding finds the router a name of f denotes: a router variable of
// f, or an import followed through re-exports to the file defining it. seen
// holds the (file, name) pairs already asked about: barrels that re-export
// each other (`export * from` in a cycle) would otherwise be walked once per
// path through them, exponentially many when the name is found nowhere.
func (p *Project) followBinding(b *binder, f *facts.File, name string, seen map[RouterRef]bool) (RouterRef, bool) {
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
	for _, c := range b.bindings(f, name) {
		switch {
		case c.alias:
			return p.followBinding(b, f, c.name, seen)
		case c.spec == "":
			// export { x as name }: the same file under another name.
			if c.name != name {
				return p.followBinding(b, f, c.name, seen)
			}
		default:
			if t, ok, _ := p.resolveLocal(f.Path, c.spec); ok && t != nil {
				return p.followBinding(b, t, c.name, seen)
			}
		}
	}
	// `export * from "./x"` forwards every name x exports.
	for _, re := range f.ReExports {
		if re.Star {
			if t, ok, _ := p.resolveLocal(f.Path, re.Spec); ok && t != nil {
				if ref, ok := p.followBinding(b, t, name, seen); ok {
					return ref, true
				}
			}
		}
	}
	return RouterRef{}, false
}

// binding is one way a file binds a name to another: a top-level alias
// (`const name = other`), a re-export or an import of name from spec.
type binding struct {
	alias bool
	spec  string
	name  string // the name it stands for in the file spec resolves to (or in f)
}

// eachBinding calls fn for every alias, re-exported and imported name of f,
// in the order followBinding tries them: the first alias wins, then the
// first re-export or import that resolves.
func eachBinding(f *facts.File, fn func(local string, b binding)) {
	for _, a := range f.Aliases() {
		fn(a.Alias, binding{alias: true, name: a.Name})
	}
	for _, re := range f.ReExports {
		for _, n := range re.Names {
			fn(n.Alias, binding{spec: re.Spec, name: n.Name})
		}
	}
	for _, imp := range f.Imports {
		for _, n := range imp.Names {
			fn(n.Alias, binding{spec: imp.Spec, name: n.Name})
		}
	}
}

// binder indexes by name the bindings of the files one entry model asks
// about often. The entry of a large project imports every plugin and
// router and mounts each of them, so scanning its imports once per mount
// was quadratic: half of each keystroke's analysis at 1,000 plugins.
type binder struct {
	index map[*facts.File]map[string][]binding
	seen  map[RouterRef]bool // follow's, reused from one mount to the next
}

// indexAt is how many bindings a file needs before an index pays for
// itself; most files have a handful, scanned faster than hashed.
const indexAt = 16

func (b *binder) bindings(f *facts.File, name string) []binding {
	if idx, ok := b.index[f]; ok {
		return idx[name]
	}
	n := len(f.Aliases())
	for _, re := range f.ReExports {
		n += len(re.Names)
	}
	for _, imp := range f.Imports {
		n += len(imp.Names)
	}
	if n < indexAt {
		var out []binding
		eachBinding(f, func(local string, c binding) {
			if local == name {
				out = append(out, c)
			}
		})
		return out
	}
	idx := make(map[string][]binding, n)
	eachBinding(f, func(local string, c binding) { idx[local] = append(idx[local], c) })
	if b.index == nil {
		b.index = map[*facts.File]map[string][]binding{}
	}
	b.index[f] = idx
	return idx[name]
}

// boundByServer lists the names a file mounts or registers.
func boundByServer(f *facts.File) map[string]bool {
	used := map[string]bool{}
	for _, m := range f.Mounts() {
		used[m.Ident] = true
	}
	for _, r := range f.Registrations() {
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

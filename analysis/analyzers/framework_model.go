package analyzers

import (
	"fmt"
	"hash/fnv"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// The framework analyzers (framework_*.go) share one view of the plugins a
// project defines and registers. It is built from facts alone, per pass; it
// costs one loop over the files.

// pluginDef is one createPlugin...define({...}) with the file it is in.
type pluginDef struct {
	Path string
	File *facts.File
	Def  *facts.Plugin
}

// Name is the plugin's runtime name ("" when it cannot be read).
func (d *pluginDef) Name() string {
	if d.Def.NameKnown {
		return d.Def.Name
	}
	return ""
}

// NameLoc points at the plugin's name, or its export when the name is not
// written as a literal.
func (d *pluginDef) NameLoc() analysis.Location {
	if d.Def.NameKnown {
		return analysis.Location{Path: d.Path, Range: d.Def.NameRange}
	}
	return analysis.Location{Path: d.Path, Range: d.Def.ExportRange}
}

// registration is one registerPlugin call and the definition it registers.
type registration struct {
	Path string
	Reg  *facts.Registration // into the file's facts, which never change
	Def  *pluginDef          // nil when it could not be followed
}

// pluginModel is what the framework analyzers know about plugins.
type pluginModel struct {
	proj *project.Project
	defs []*pluginDef
	// byName lists the definitions of each known name.
	byName map[string][]*pluginDef
	// sortedNames are byName's keys, sorted: five analyzers walk them in
	// every pass, and sorting a thousand names each time was a tenth of
	// the framework analyzers' time.
	sortedNames []string
	// byDef finds the pluginDef of a facts.Plugin.
	byDef map[*facts.Plugin]*pluginDef
	// byExport lists the exported definitions of each export name.
	byExport map[string][]*pluginDef
	// genNames are the names the generator gives the plugins it finds;
	// genOrder lists them as it finds them.
	genNames map[string]bool
	genOrder []string
	// discovered are the plugins the generator puts in the registry.
	discovered []*pluginDef
	regs       []registration
	// registered maps definitions to their registrations.
	registered map[*pluginDef][]registration
	// open is set when a plugin may exist that no project file names
	// (a plugin from a package, a name held in a variable): "no plugin is
	// named x" is then unknowable and those findings stay quiet.
	open bool
	// regsKnown is set when every registration was followed to its
	// definition, so a plugin without one is really never registered.
	regsKnown bool
	// patched says the model was derived from an earlier snapshot's
	// (tests read it).
	patched bool
	// universeHash is universe(sortedNames), hashed once per model built
	// (a patched model has the same names, counts and generator names).
	universeHash uint64
}

// isTestFile reports files that build their own servers and plugins for
// tests; what they register or define says nothing about the app.
func isTestFile(path string) bool {
	base := filepath.Base(path)
	if strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") {
		return true
	}
	sep := string(filepath.Separator)
	return strings.Contains(path, sep+"__tests__"+sep) || strings.Contains(path, sep+"__mocks__"+sep)
}

// cleanDir is filepath.Dir of a clean path without Dir's Clean: the
// analyzers take the folder of thousands of clean paths, and cleaning each
// again was most of what some of them cost.
func cleanDir(path string) string {
	if i := strings.LastIndexByte(path, filepath.Separator); i > len(filepath.VolumeName(path)) {
		return path[:i]
	}
	return filepath.Dir(path)
}

type pluginModelKey struct{}

// pluginModelOf builds the plugin model once per snapshot; several
// analyzers read it and none modifies it. A snapshot takes its parent's
// model, pointed at the new facts, when every file changed since reads the
// same to it (modelSame): a keystroke in a handler or a service body
// changes no plugin's name, export or registration, and building the model
// again was a third of each edit's analysis.
func pluginModelOf(proj *project.Project) *pluginModel {
	return proj.MemoSince(pluginModelKey{}, modelSame, func(prev any, changes []project.Change) any {
		if prev, _ := prev.(*pluginModel); prev != nil {
			if m := prev.patch(proj, changes); m != nil {
				return m
			}
		}
		return newPluginModel(proj)
	}).(*pluginModel)
}

// sourceFiles lists the project's own source files that contribute to the
// app: not generated, not tests, readable. A snapshot takes its parent's
// list with the changed files' new facts when they are still such files.
func sourceFiles(proj *project.Project) []*facts.File {
	return proj.MemoSince(sourceFilesKey{}, sourceSame, func(prev any, changes []project.Change) any {
		if prev, _ := prev.([]*facts.File); prev != nil {
			return patchFiles(prev, changes)
		}
		return collectSourceFiles(proj)
	}).([]*facts.File)
}

// isSource is what collectSourceFiles keeps.
func isSource(f *facts.File) bool {
	// Generated outputs have their own kinds, so KindSource excludes them.
	return f.Kind == facts.KindSource && !f.Missing && !f.Unreadable && !isTestFile(f.Path)
}

// sourceSame reports whether two versions of a file are both kept by
// collectSourceFiles or both left out.
func sourceSame(a, b *facts.File) bool { return isSource(a) == isSource(b) }

// patchFiles is files, sorted by path, with each change's new facts in
// place of its old ones.
func patchFiles(files []*facts.File, changes []project.Change) []*facts.File {
	var out []*facts.File
	for _, c := range changes {
		i, ok := slices.BinarySearchFunc(files, c.Old.Path, func(f *facts.File, path string) int { return strings.Compare(f.Path, path) })
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(files)
			files = out
		}
		out[i] = c.New
	}
	return files
}

type sourceFilesKey struct{}

func collectSourceFiles(proj *project.Project) []*facts.File {
	var out []*facts.File
	proj.EachFile(func(f *facts.File) {
		if isSource(f) {
			out = append(out, f)
		}
	})
	return out
}

// editable reports whether a fix may edit f: its facts must be those of
// its current text, or the fix's positions would land in the wrong place
// of a buffer that is mid-edit.
func editable(f *facts.File) bool { return f != nil && !f.SyntaxErrors && !f.StaleFacts && !f.Missing }

// brokenFile reports a file whose facts may be missing things: it does not
// parse and there is no earlier version that did.
func brokenFile(f *facts.File) bool { return f.SyntaxErrors && !f.StaleFacts }

func newPluginModel(proj *project.Project) *pluginModel {
	files := sourceFiles(proj)
	// Sized up front: the model is rebuilt at every keystroke, and growing
	// maps of a thousand plugins was most of its garbage.
	n := 0
	for _, f := range files {
		n += len(f.Plugins)
	}
	m := &pluginModel{
		proj:       proj,
		defs:       make([]*pluginDef, 0, n),
		byName:     make(map[string][]*pluginDef, n),
		byDef:      make(map[*facts.Plugin]*pluginDef, n),
		byExport:   make(map[string][]*pluginDef, n),
		genNames:   make(map[string]bool, n),
		genOrder:   make([]string, 0, n),
		registered: make(map[*pluginDef][]registration, n),
		regsKnown:  true,
	}
	for _, f := range files {
		for i := range f.Plugins {
			d := &pluginDef{Path: f.Path, File: f, Def: &f.Plugins[i]}
			m.defs = append(m.defs, d)
			m.byDef[d.Def] = d
			if d.Def.Exported && d.Def.ExportName != "" {
				m.byExport[d.Def.ExportName] = append(m.byExport[d.Def.ExportName], d)
			}
			if name := d.Name(); name != "" {
				m.byName[name] = append(m.byName[name], d)
			} else {
				m.open = true
			}
		}
	}
	for _, gp := range proj.Expected().Plugins {
		m.genNames[gp.Name] = true
		m.genOrder = append(m.genOrder, gp.Name)
		if gp.Def != nil {
			if d := m.byDef[gp.Def]; d != nil {
				m.discovered = append(m.discovered, d)
			}
			continue
		}
		// The generator found an export we cannot match to a definition:
		// its name is known only as the generator reads it.
		m.open = true
	}
	entry := proj.Config().EntryPath()
	entrySeen := false
	for _, f := range files {
		if f.Path == entry {
			entrySeen = true
			if brokenFile(f) {
				m.regsKnown = false
			}
		}
		if len(f.Registrations()) > 0 && brokenFile(f) {
			m.regsKnown = false
		}
		var imports map[string]importedName
		if len(f.Registrations()) > 0 {
			imports = proj.Reuse(importsKey{f.Path}, []*facts.File{f}, func() any { return importedNames(f) }).(map[string]importedName)
		}
		for i := range f.Registrations() {
			reg := &f.Registrations()[i]
			r := registration{Path: f.Path, Reg: reg, Def: m.resolve(f, imports, reg)}
			if r.Def == nil {
				m.open = true
				m.regsKnown = false
			} else {
				m.registered[r.Def] = append(m.registered[r.Def], r)
			}
			m.regs = append(m.regs, r)
		}
	}
	if len(m.regs) == 0 || !entrySeen {
		// No registration at all (or no entry): the server is started some
		// way we cannot see.
		m.regsKnown = false
	}
	m.sortedNames = make([]string, 0, len(m.byName))
	for n := range m.byName {
		m.sortedNames = append(m.sortedNames, n)
	}
	slices.Sort(m.sortedNames)
	m.universeHash = m.universe(m.sortedNames)
	return m
}

type importsKey struct{ path string }

// modelSame reports whether two versions of a file read the same to
// newPluginModel: whether it is a source file and parses, the generator's
// view of its plugin, its definitions' names and exports, its
// registrations and the imports they are followed through. Positions are
// not compared: the model keeps pointers into the facts, which patch moves
// to the new ones. A fact read there must be compared here too.
func modelSame(a, b *facts.File) bool {
	if isSource(a) != isSource(b) || a.Kind != b.Kind || a.Missing != b.Missing || brokenFile(a) != brokenFile(b) {
		return false
	}
	return a.Generator().PluginExport == b.Generator().PluginExport && a.Generator().PluginName == b.Generator().PluginName &&
		slices.EqualFunc(a.Plugins, b.Plugins, func(x, y facts.Plugin) bool {
			return x.ExportName == y.ExportName && x.Exported == y.Exported && x.Name == y.Name && x.NameKnown == y.NameKnown
		}) &&
		slices.EqualFunc(a.Registrations(), b.Registrations(), func(x, y facts.Registration) bool { return x.Ident == y.Ident }) &&
		slices.EqualFunc(a.Imports, b.Imports, func(x, y facts.Import) bool {
			return x.Spec == y.Spec && x.TypeOnly == y.TypeOnly && x.Default == y.Default && slices.Equal(x.Names, y.Names)
		})
}

// patch is m for proj, whose files differ from m's by changes that read
// the same to the model (modelSame): every definition and registration of
// a changed file is replaced by one pointing into its new facts, and so is
// every reference to them. m itself is shared with its snapshot and is not
// modified. It returns nil when a change adds or removes a definition or
// a registration, which modelSame never lets through.
func (m *pluginModel) patch(proj *project.Project, changes []project.Change) *pluginModel {
	for _, c := range changes {
		if len(c.Old.Plugins) != len(c.New.Plugins) || len(c.Old.Registrations()) != len(c.New.Registrations()) {
			return nil
		}
	}
	q := *m
	q.proj, q.patched = proj, true
	defs := map[*pluginDef]*pluginDef{}
	// regs maps each of m's registrations that changed to its latest
	// version, composed as the changes follow one another: a file's
	// second change starts from the registrations its first one made,
	// found through origin. Facts carried over while a file does not parse
	// (keepLastGood) share their registrations with the parent, so a
	// registration can map to itself, or a chain of changes return to
	// where it began; a map followed until it has no entry would never
	// end then.
	regs := map[*facts.Registration]*facts.Registration{}
	origin := map[*facts.Registration]*facts.Registration{}
	for _, c := range changes {
		for i := range c.Old.Plugins {
			d := q.byDef[&c.Old.Plugins[i]]
			if d == nil {
				continue
			}
			if len(defs) == 0 {
				q.byDef = maps.Clone(q.byDef)
			}
			// byDef is updated at once: a later change of the same file
			// finds the definition this one made.
			nd := &pluginDef{Path: d.Path, File: c.New, Def: &c.New.Plugins[i]}
			defs[d] = nd
			delete(q.byDef, d.Def)
			q.byDef[nd.Def] = nd
		}
		oldRegs, newRegs := c.Old.Registrations(), c.New.Registrations()
		for i := range oldRegs {
			from := &oldRegs[i]
			if o, ok := origin[from]; ok {
				delete(origin, from)
				from = o
			}
			regs[from] = &newRegs[i]
			origin[&newRegs[i]] = from
		}
	}
	if len(defs) == 0 && len(regs) == 0 {
		return &q
	}
	def := func(d *pluginDef) *pluginDef {
		// A definition replaced twice (two changes of one file) is
		// followed to its last version.
		for {
			nd, ok := defs[d]
			if !ok {
				return d
			}
			d = nd
		}
	}
	replace := func(ds []*pluginDef) []*pluginDef {
		var out []*pluginDef
		for i, d := range ds {
			if nd := def(d); nd != d {
				if out == nil {
					out = slices.Clone(ds)
				}
				out[i] = nd
			}
		}
		if out == nil {
			return ds
		}
		return out
	}
	q.defs = replace(q.defs)
	q.discovered = replace(q.discovered)
	q.byName = maps.Clone(q.byName)
	q.byExport = maps.Clone(q.byExport)
	for d := range defs {
		if name := d.Name(); name != "" {
			q.byName[name] = replace(q.byName[name])
		}
		if d.Def.Exported && d.Def.ExportName != "" {
			q.byExport[d.Def.ExportName] = replace(q.byExport[d.Def.ExportName])
		}
	}
	// Only the registrations that changed (their facts or their
	// definition) are replaced, and only their definitions' entries of
	// registered rebuilt: rebuilding the whole map at each keystroke
	// allocated a slice per registered plugin.
	var affected map[*pluginDef]bool
	for i := range q.regs {
		r := q.regs[i]
		if nr, ok := regs[r.Reg]; ok {
			r.Reg = nr
		}
		if r.Def != nil {
			r.Def = def(r.Def)
		}
		if r == q.regs[i] {
			continue
		}
		if affected == nil {
			affected = map[*pluginDef]bool{}
			q.regs = slices.Clone(q.regs)
		}
		q.regs[i] = r
		if r.Def != nil {
			affected[r.Def] = true
		}
	}
	if affected == nil && len(defs) == 0 {
		return &q
	}
	q.registered = maps.Clone(q.registered)
	for d := range defs {
		delete(q.registered, d)
	}
	for d := range affected {
		delete(q.registered, d)
	}
	for _, r := range q.regs {
		if affected[r.Def] {
			q.registered[r.Def] = append(q.registered[r.Def], r)
		}
	}
	return &q
}

// importedName is what one local name of a file is imported as.
type importedName struct {
	Spec      string
	Name      string // the exported name; "" for a default import
	IsDefault bool
	// Targets are the paths a relative Spec may name, in the order
	// importTarget tries them: they depend on the file's path and the
	// specifier alone, so they are kept with the file's other import
	// facts instead of joined and cleaned again for every registration
	// at every keystroke (a third of the plugin model's own time).
	Targets []string
}

// importedNames maps a file's local value bindings to their imports, so
// following a thousand registrations costs a thousand lookups.
func importedNames(f *facts.File) map[string]importedName {
	out := map[string]importedName{}
	for _, imp := range f.Imports {
		if imp.TypeOnly {
			continue
		}
		targets := importCandidates(f.Path, imp.Spec)
		if imp.Default != "" {
			out[imp.Default] = importedName{Spec: imp.Spec, IsDefault: true, Targets: targets}
		}
		for _, n := range imp.Names {
			if !n.TypeOnly {
				out[n.Alias] = importedName{Spec: imp.Spec, Name: n.Name, Targets: targets}
			}
		}
	}
	return out
}

// resolve follows a registration's argument to the plugin it registers:
// a definition in the same file, then the import's target file, then the
// one definition anywhere exported under that name (barrels, path aliases).
func (m *pluginModel) resolve(f *facts.File, imports map[string]importedName, reg *facts.Registration) *pluginDef {
	if reg.Ident == "" {
		return nil
	}
	for i := range f.Plugins {
		if f.Plugins[i].ExportName == reg.Ident {
			return m.byDef[&f.Plugins[i]]
		}
	}
	imp, ok := imports[reg.Ident]
	if !ok {
		return nil
	}
	if target := m.importTarget(imp.Targets); target != nil {
		for i := range target.Plugins {
			pl := &target.Plugins[i]
			if (imp.IsDefault && pl.ExportName == "") || (!imp.IsDefault && pl.ExportName == imp.Name) {
				return m.byDef[pl]
			}
		}
	}
	if imp.IsDefault {
		return nil
	}
	if ds := m.byExport[imp.Name]; len(ds) == 1 {
		return ds[0]
	}
	return nil // no such export, or ambiguous
}

// importCandidates lists the paths a relative import from the file at
// from may name, trying the extensions and index files TypeScript's
// bundler resolution would; nil for a bare specifier.
func importCandidates(from, spec string) []string {
	if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
		return nil
	}
	base := filepath.Join(filepath.Dir(from), filepath.FromSlash(spec))
	stem := base
	for _, ext := range []string{".js", ".ts", ".mjs", ".mts"} {
		if before, ok := strings.CutSuffix(stem, ext); ok {
			stem = before
			break
		}
	}
	return []string{stem + ".ts", filepath.Join(stem, "index.ts"), base, stem + ".tsx", stem + ".mts", filepath.Join(stem, "index.tsx")}
}

// importTarget is the first of an import's candidate paths (see
// importCandidates) that is a project source file.
func (m *pluginModel) importTarget(candidates []string) *facts.File {
	for _, cand := range candidates {
		if f := m.proj.File(cand); f != nil && !f.Missing && f.Kind == facts.KindSource {
			return f
		}
	}
	return nil
}

// known reports whether some plugin is named name.
func (m *pluginModel) known(name string) bool {
	return len(m.byName[name]) > 0 || m.genNames[name]
}

// unique returns the single definition named name, nil when there is none
// or more than one.
func (m *pluginModel) unique(name string) *pluginDef {
	if ds := m.byName[name]; len(ds) == 1 {
		return ds[0]
	}
	return nil
}

// names lists every known plugin name, sorted. The slice is shared by the
// analyzers of a snapshot, which run in parallel: do not modify it.
func (m *pluginModel) names() []string { return m.sortedNames }

// universe fingerprints what "is there a plugin named x, and only one?"
// answers from: every name with its number of definitions, the names the
// generator gives, and whether the set is open. names is m.names(). The
// generator's names are hashed in its scan order, not sorted: the same set
// in another order only costs a recheck.
func (m *pluginModel) universe(names []string) uint64 {
	h := fnv.New64a()
	var buf []byte
	for _, n := range names {
		buf = append(buf[:0], n...)
		buf = strconv.AppendInt(append(buf, 0), int64(len(m.byName[n])), 10)
		h.Write(append(buf, 0))
	}
	h.Write([]byte{1})
	for _, n := range m.genOrder {
		h.Write(append(append(buf[:0], n...), 0))
	}
	if m.open {
		h.Write([]byte{2})
	}
	return h.Sum64()
}

// nearest returns the candidate closest to s by edit distance when it is
// close enough to be a typo (at most 2 edits, and fewer than half of s);
// ties go to the first candidate in order.
func nearest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := editDistance(s, c)
		if d < bestD && 2*d <= len([]rune(s)) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// quote writes a TypeScript string literal for a plugin or method name.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// replaceFix is a fix that replaces one range with text.
// suggestNear ends msg with the candidate nearest to name, if any, and gives
// fd the quick fix that writes it over rng (a quoted string) when f can be
// edited; it sets fd.Message either way.
func suggestNear(fd *analysis.Finding, f *facts.File, msg, name string, candidates []string, rng analysis.Range) {
	if near := nearest(name, candidates); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
		if editable(f) {
			fd.Fixes = []analysis.Fix{replaceFix(fmt.Sprintf("Change to %q", near), f.Path, rng, quote(near))}
		}
	}
	fd.Message = msg
}

func replaceFix(title, path string, rng analysis.Range, text string) analysis.Fix {
	return analysis.Fix{Title: title, Edit: analysis.WorkspaceEdit{Edits: []analysis.TextEdit{{Path: path, Range: rng, NewText: text}}}}
}

// at is a zero-width range at p.
func at(p analysis.Pos) analysis.Range { return analysis.Range{Start: p, End: p} }

// indent is col spaces: edits that add a line copy the column of the line
// they follow.
func indent(col int32) string {
	if col < 0 || col > 200 {
		return ""
	}
	return strings.Repeat(" ", int(col))
}

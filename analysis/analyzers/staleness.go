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

// Staleness codes: a generated output no longer matches what the generator
// would write for the current sources.
const (
	CodeTypesMissing   = "types-missing"
	CodeStaleRegistry  = "stale-registry"
	CodeStaleContext   = "stale-context"
	CodeStaleSchema    = "stale-schema"
	CodeStaleEvents    = "stale-events"
	CodeStaleClient    = "stale-client"
	CodeStaleProcesses = "stale-processes"
	CodeSchemaUnknown  = "schema-unknown"
)

// StalenessCodes are the codes whose fix is to regenerate types.
var StalenessCodes = []string{CodeTypesMissing, CodeStaleRegistry, CodeStaleContext, CodeStaleSchema, CodeStaleEvents, CodeStaleClient, CodeStaleProcesses}

func stalenessAnalyzers() []*Analyzer {
	return []*Analyzer{
		{Name: "outputs", Doc: "reports generated outputs that do not exist yet", Codes: []string{CodeTypesMissing}, Run: runTypesMissing},
		{Name: "registry", Doc: "compares registry.d.ts with the plugins, handlers and middleware the generator would find", Codes: []string{CodeStaleRegistry}, Run: runStaleRegistry},
		{Name: "context", Doc: "compares context.d.ts with the plugins' schemas and the defineService calls", Codes: []string{CodeStaleContext}, Run: runStaleContext},
		{Name: "schema", Doc: "compares each plugin's schema.ts with what its migrations create", Codes: []string{CodeStaleSchema, CodeSchemaUnknown}, Run: runStaleSchema},
		{Name: "events", Doc: "compares events.ts with defineEvents", Codes: []string{CodeStaleEvents}, Run: runStaleEvents},
		{Name: "client", Doc: "compares the generated client with the routes (only when an adapter is configured)", Codes: []string{CodeStaleClient}, Run: runStaleClient},
		{Name: "processes", Doc: "compares processes.ts with the process definitions the entry run prints", Codes: []string{CodeStaleProcesses}, Run: runStaleProcesses},
	}
}

// stale builds a staleness finding at a source location, pointing at the
// generated file that is out of date and offering regeneration.
func (p *Pass) stale(code, path string, rng analysis.Range, genPath string, genRange analysis.Range, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f := analysis.Finding{
		Code:     code,
		Severity: analysis.SeverityWarning,
		Location: analysis.Location{Path: path, Range: rng},
		Message:  msg,
		Commands: []analysis.CommandRef{p.regenerate()},
		Remedy:   analysis.RemedyRegenerate,
	}
	if code == CodeStaleSchema {
		f.Remedy = analysis.RemedyMigrate
	}
	if genPath != "" && genPath != path {
		f.Related = append(f.Related, analysis.Related{
			Location: analysis.Location{Path: genPath, Range: genRange},
			Message:  p.Project.Rel(genPath) + " is out of date",
		})
	}
	p.Report(f)
}

func (p *Pass) regenerate() analysis.CommandRef {
	// The language server titles it with the command that will run, which
	// its settings may choose (project.TypegenCommand).
	return analysis.CommandRef{Title: "Regenerate types", Command: analysis.CommandRegenerate, Root: p.Project.Root()}
}

// generated returns the facts of a generated output that exists and has the
// shape we understand; nil otherwise (missing outputs are types-missing's).
func generated(p *project.Project, path string) *facts.File {
	f := p.File(path)
	if f == nil || f.Missing || f.Unreadable || f.Generated == nil || !f.Generated.Parsed {
		return nil
	}
	return f
}

func runTypesMissing(p *Pass) {
	// The findings read which outputs are missing and, for a missing
	// schema, where its plugin's export is: a snapshot takes its parent's
	// while every change reads the same to them (typesMissingSame),
	// instead of looking a thousand generated paths up again.
	found := p.Project.MemoSince(typesMissingKey{}, typesMissingSame, func(prev any, _ []project.Change) any {
		if prev, ok := prev.([]analysis.Finding); ok {
			return prev
		}
		sub := &Pass{Context: p.Context, Project: p.Project}
		checkTypesMissing(sub)
		return sub.findings
	}).([]analysis.Finding)
	p.findings = append(p.findings, found...)
}

type typesMissingKey struct{}

// typesMissingSame reports whether two versions of a file read the same to
// checkTypesMissing: whether it is missing, and for a plugin's index.ts
// (a missing schema's finding points at its export) its plugins' exports.
// The generated paths and the config are fixed for a Load.
func typesMissingSame(a, b *facts.File) bool {
	return a.Missing == b.Missing && a.Kind == b.Kind &&
		(filepath.Base(a.Path) != "index.ts" || slices.EqualFunc(a.Plugins, b.Plugins, func(x, y facts.Plugin) bool { return x.ExportRange == y.ExportRange }))
}

// checkTypesMissing reports the generated outputs that do not exist.
func checkTypesMissing(p *Pass) {
	proj := p.Project
	cfg := proj.Config()
	for _, path := range generatedPaths(proj) {
		f := proj.File(path)
		if f == nil || !f.Missing {
			continue
		}
		at, rng := cfg.ConfigPath, analysis.Range{}
		what := "the generator writes " + proj.Rel(path) + ", which does not exist yet"
		if f.Kind == facts.KindSchema {
			// Point at the plugin whose migrations it is generated from.
			at = filepath.Join(filepath.Dir(path), "index.ts")
			if pf := proj.File(at); pf != nil {
				for _, pl := range pf.Plugins {
					rng = pl.ExportRange
				}
			}
			what = "this plugin has migrations but " + proj.Rel(path) + " has not been generated: ctx.db has no table types"
		} else if at == "" {
			at = path
		} else if cfg.Facts != nil {
			rng = cfg.Facts.Range
			rng.End = rng.Start
		}
		p.Report(analysis.Finding{
			Code:     CodeTypesMissing,
			Severity: analysis.SeverityWarning,
			Location: analysis.Location{Path: at, Range: rng},
			Message:  what + "; run the generator",
			Related:  []analysis.Related{{Location: analysis.Location{Path: path}, Message: "missing output"}},
			Commands: []analysis.CommandRef{p.regenerate()},
			Remedy:   analysis.RemedyRegenerate,
		})
	}
}

// generatedPaths is proj.GeneratedPaths(), listed and sorted once per
// Load: the outputs the generator writes are fixed for a Load (a new
// plugin folder or migration needs a reload), and MemoSince links only
// snapshots of one Load, so a snapshot takes its parent's list instead of
// sorting a thousand paths again at each keystroke.
func generatedPaths(proj *project.Project) []string {
	return proj.MemoSince(generatedPathsKey{}, anyStep, func(prev any, _ []project.Change) any {
		if prev, ok := prev.([]string); ok {
			return prev
		}
		return proj.GeneratedPaths()
	}).([]string)
}

type generatedPathsKey struct{}

func runStaleRegistry(p *Pass) {
	proj := p.Project
	regPath := filepath.Join(proj.Config().OutPath(), "registry.d.ts")
	reg := generated(proj, regPath)
	if reg == nil {
		return
	}
	exp := proj.Expected()
	// Three parts, each reused on its own: a plugin's verdict reads that
	// plugin and the registry; the registry's leftover plugins read every
	// plugin's name and export; the keys read every key. A keystroke that
	// adds a handler key then compares the keys again, not a thousand
	// plugins (whose import paths cost a filepath.Rel each).
	items := make([]registryItem, len(exp.Plugins))
	for i := range exp.Plugins {
		items[i] = registryItem{gp: &exp.Plugins[i], reg: reg}
	}
	reportEach(p, staleRegistryPluginsKey{}, items, sameRegistryItem, func(p *Pass, it *registryItem) {
		checkRegistryPlugin(p, regPath, it)
	})
	in := &registryInputs{reg: reg, exp: exp}
	p.reportSince(staleRegistryGoneKey{}, in, sameRegistryPlugins, func(p *Pass) { checkRegistryGone(p, regPath, in) })
	p.reportSince(staleRegistryKey{}, in, sameRegistryKeys, func(p *Pass) { checkRegistryKeys(p, regPath, in) })
}

type (
	staleRegistryKey        struct{}
	staleRegistryGoneKey    struct{}
	staleRegistryPluginsKey struct{}
)

// registryInputs is what the registry's whole-project parts read: the
// registry's facts and the plugins and keys the generator would write.
type registryInputs struct {
	reg *facts.File
	exp *project.Expected
}

// registryItem is one plugin the generator would write with the registry
// it is compared with. probed is set when its check asked where an import
// resolves, which may look at the disk: that verdict is not reused.
type registryItem struct {
	gp     *project.GenPlugin
	reg    *facts.File
	probed bool
}

// sameRegistryItem reports whether checkRegistryPlugin reads the same of
// two items: the same registry facts, and the plugin's name, export, path
// and the two places its findings point at.
func sameRegistryItem(a, b *registryItem) bool {
	x, y := a.gp, b.gp
	return !a.probed && a.reg == b.reg && x.Name == y.Name && x.ExportName == y.ExportName && x.Path == y.Path &&
		x.ExportRange() == y.ExportRange() && x.NameRange() == y.NameRange()
}

// sameRegistryPlugins reports whether checkRegistryGone reads the same in
// now as in prev: the same registry facts and the plugins' names and
// exports in the same order.
func sameRegistryPlugins(prev, now any, _ []analysis.Finding) bool {
	a, b := prev.(*registryInputs), now.(*registryInputs)
	return a.reg == b.reg && slices.EqualFunc(a.exp.Plugins, b.exp.Plugins, func(x, y project.GenPlugin) bool {
		return x.Name == y.Name && x.ExportName == y.ExportName
	})
}

// sameRegistryKeys reports whether checkRegistryKeys reads the same in
// now as in prev: the same registry facts, the same keys by name, plugin,
// file and parse state, at the same places except in files where prev
// found nothing (a finding is the only thing a position reaches).
func sameRegistryKeys(prev, now any, found []analysis.Finding) bool {
	a, b := prev.(*registryInputs), now.(*registryInputs)
	if a.reg != b.reg || a.exp.KeysUncertain != b.exp.KeysUncertain {
		return false
	}
	posOK := func(path string, x, y analysis.Range) bool { return x == y || !reportsIn(found, path) }
	return sameKeys(a.exp.Handlers, b.exp.Handlers, posOK) && sameKeys(a.exp.Middleware, b.exp.Middleware, posOK)
}

func sameKeys(a, b []project.GenKey, posOK func(string, analysis.Range, analysis.Range) bool) bool {
	return slices.EqualFunc(a, b, func(x, y project.GenKey) bool {
		return x.Name == y.Name && x.Plugin.Path == y.Plugin.Path && x.Plugin.Name == y.Plugin.Name &&
			brokenFile(x.Plugin.File) == brokenFile(y.Plugin.File) && posOK(x.Plugin.Path, x.Range, y.Range)
	})
}

// registryIndexOf is the registry's entries by name and export, kept while
// its facts are the same.
func registryIndexOf(proj *project.Project, reg *facts.File) *registryIndex {
	return proj.Reuse(registryIndexKey{}, []*facts.File{reg}, func() any { return newRegistryIndex(reg.Generated) }).(*registryIndex)
}

// checkRegistryPlugin compares one plugin the generator would write with
// the generated registry's entry for it.
func checkRegistryPlugin(p *Pass, regPath string, it *registryItem) {
	proj, gp := p.Project, it.gp
	idx := registryIndexOf(proj, it.reg)
	e, ok := idx.byName[gp.Name]
	switch {
	case ok && e.ExportName != gp.ExportName:
		p.stale(CodeStaleRegistry, gp.Path, gp.ExportRange(), regPath, e.Range,
			"plugin %q is exported as %s, but the generated registry still imports %s: regenerate types", gp.Name, gp.ExportName, e.ExportName)
	case ok && e.ImportPath != "" && e.ImportPath != registryImportPath(regPath, gp.Path):
		// An output written on another machine (or before the project
		// moved) imports a path that is not this plugin's: the
		// generator writes the relative path from the output dir.
		missing := ""
		// The resolver may ask the disk, which can change under a
		// snapshot: the verdict is not reused.
		it.probed = true
		if proj.ResolveImport(regPath, e.ImportPath).Path == "" {
			missing = ", which does not exist here (an output written on another machine or before the project moved), so TypeScript cannot load the plugin and ctx.plugins." + gp.Name + " is untyped"
		}
		p.stale(CodeStaleRegistry, regPath, e.Range, "", analysis.Range{},
			"the generated registry imports plugin %q from %q%s; the generator writes %q, relative to the output directory: regenerate types", gp.Name, e.ImportPath, missing, registryImportPath(regPath, gp.Path))
	case ok:
	case idx.byExport[gp.ExportName].Name != "":
		old := idx.byExport[gp.ExportName]
		p.stale(CodeStaleRegistry, gp.Path, gp.NameRange(), regPath, old.Range,
			"plugin %s is now named %q, but the generated registry still calls it %q (ctx.plugins.%s): regenerate types", gp.ExportName, gp.Name, old.Name, old.Name)
	default:
		p.stale(CodeStaleRegistry, gp.Path, gp.ExportRange(), regPath, analysis.Range{},
			"plugin %q is not in the generated registry: ctx.plugins.%s is untyped until you regenerate types", gp.Name, gp.Name)
	}
}

// checkRegistryGone reports the registry's plugins the generator would no
// longer write.
func checkRegistryGone(p *Pass, regPath string, in *registryInputs) {
	exp, g := in.exp, in.reg.Generated
	expectedNames := make(map[string]bool, len(exp.Plugins))
	exports := make(map[string]bool, len(exp.Plugins))
	for _, gp := range exp.Plugins {
		expectedNames[gp.Name] = true
		exports[gp.ExportName] = true
	}
	for _, e := range g.RegistryPlugins {
		if expectedNames[e.Name] || exports[e.ExportName] {
			continue
		}
		p.stale(CodeStaleRegistry, regPath, e.Range, "", analysis.Range{},
			"the generated registry lists plugin %q (%s), which no longer exists in the sources: regenerate types", e.Name, e.ExportName)
	}
}

// checkRegistryKeys compares the registry's handler and middleware keys
// with the ones the generator would write.
func checkRegistryKeys(p *Pass, regPath string, in *registryInputs) {
	exp, g := in.exp, in.reg.Generated
	idx := registryIndexOf(p.Project, in.reg)
	p.compareKeys(regPath, g.HandlersRange, "handler", exp.Handlers, g.Handlers, idx.handlers, exp.KeysUncertain)
	p.compareKeys(regPath, g.MiddlewareRange, "middleware", exp.Middleware, g.Middleware, idx.middleware, exp.KeysUncertain)
}

// registryImportPath is the specifier the generator writes for a plugin:
// the path from the output directory to the plugin file without ".ts",
// starting with "./" or "../".
func registryImportPath(regPath, pluginPath string) string {
	rel, err := filepath.Rel(filepath.Dir(regPath), strings.TrimSuffix(pluginPath, ".ts"))
	if err != nil {
		return ""
	}
	rel = filepath.ToSlash(rel)
	if !strings.HasPrefix(rel, ".") {
		rel = "./" + rel
	}
	return rel
}

// registryIndex is the generated registry's entries by name and by export,
// kept while registry.d.ts is unchanged (it changes only when the generator
// runs, not at each keystroke).
type registryIndex struct {
	byName, byExport     map[string]facts.RegistryEntry
	handlers, middleware map[string]bool
}

type registryIndexKey struct{}

func newRegistryIndex(g *facts.Generated) *registryIndex {
	idx := &registryIndex{
		byName:     make(map[string]facts.RegistryEntry, len(g.RegistryPlugins)),
		byExport:   make(map[string]facts.RegistryEntry, len(g.RegistryPlugins)),
		handlers:   toSet(g.Handlers),
		middleware: toSet(g.Middleware),
	}
	for _, e := range g.RegistryPlugins {
		idx.byName[e.Name] = e
		idx.byExport[e.ExportName] = e
	}
	return idx
}

func (p *Pass) compareKeys(regPath string, union analysis.Range, what string, expected []project.GenKey, have []string, haveSet map[string]bool, uncertain bool) {
	expSet := make(map[string]bool, len(expected))
	for _, k := range expected {
		expSet[k.Name] = true
		if haveSet[k.Name] {
			continue
		}
		if k.Plugin.File.SyntaxErrors && !k.Plugin.File.StaleFacts {
			// Keys read from a file that never parsed are guesses; a buffer
			// mid-edit keeps its last good keys (StaleFacts) instead.
			continue
		}
		unionName := "AvailableHandlers"
		hint := fmt.Sprintf("routes cannot use .%s(...) until you regenerate types", k.Name)
		if what == "middleware" {
			unionName = "AvailableMiddleware"
			hint = fmt.Sprintf("routers cannot use .middleware.%s() until you regenerate types", k.Name)
		}
		p.stale(CodeStaleRegistry, k.Plugin.Path, k.Range, regPath, union,
			"%s %q of plugin %q is not in the generated registry (%s): %s", what, k.Name, k.Plugin.Name, unionName, hint)
	}
	if uncertain {
		return // a key may only be hidden by a syntax error
	}
	var gone []string
	for _, h := range have {
		if !expSet[h] {
			gone = append(gone, h)
		}
	}
	for _, h := range gone {
		p.stale(CodeStaleRegistry, regPath, union, "", analysis.Range{},
			"the generated registry still offers %s %q, which no plugin defines any more: regenerate types", what, h)
	}
}

func toSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func runStaleContext(p *Pass) {
	proj := p.Project
	ctxPath := filepath.Join(proj.Config().OutPath(), "context.d.ts")
	cf := generated(proj, ctxPath)
	if cf == nil {
		return
	}
	in := &contextInputs{cf: cf, exp: proj.Expected()}
	// Building the sets of a thousand plugin names at each keystroke was
	// most of this pass; the findings read nothing but in.
	p.reportSince(staleContextKey{}, in, sameContextInputs, func(p *Pass) { checkContext(p, ctxPath, in) })
}

type staleContextKey struct{}

// contextInputs is what the context comparison reads: the generated
// context.d.ts, and the plugins (names and where they are named) and
// services the generator would write.
type contextInputs struct {
	cf  *facts.File
	exp *project.Expected
}

// sameContextInputs reports whether checkContext reads the same in now as
// in prev: the same context facts, the plugins' names and files and the
// services' names and files, at the same places except in files where
// prev found nothing.
func sameContextInputs(prev, now any, found []analysis.Finding) bool {
	a, b := prev.(*contextInputs), now.(*contextInputs)
	posOK := func(path string, x, y analysis.Range) bool { return x == y || !reportsIn(found, path) }
	return a.cf == b.cf && slices.EqualFunc(a.exp.Plugins, b.exp.Plugins, func(x, y project.GenPlugin) bool {
		return x.Name == y.Name && x.Path == y.Path && posOK(x.Path, x.NameRange(), y.NameRange())
	}) && slices.EqualFunc(a.exp.Services, b.exp.Services, func(x, y project.GenService) bool {
		return x.Name == y.Name && x.Path == y.Path && posOK(x.Path, x.Range, y.Range)
	})
}

// checkContext compares context.d.ts with the plugins' schemas and the
// services the generator would write.
func checkContext(p *Pass, ctxPath string, in *contextInputs) {
	cf, exp := in.cf, in.exp
	terms := toSet(cf.Generated.SchemaTerms)
	expNames := map[string]bool{}
	for _, gp := range exp.Plugins {
		expNames[gp.Name] = true
		if !terms[gp.Name] {
			p.stale(CodeStaleContext, gp.Path, gp.NameRange(), ctxPath, cf.Generated.SchemaRange,
				"plugin %q's schema is not part of DatabaseSchema in the generated context: regenerate types", gp.Name)
		}
	}
	for _, t := range cf.Generated.SchemaTerms {
		if !expNames[t] {
			p.stale(CodeStaleContext, ctxPath, cf.Generated.SchemaRange, "", analysis.Range{},
				"the generated context still merges the schema of plugin %q, which no longer exists: regenerate types", t)
		}
	}
	have := toSet(cf.Generated.Services)
	expServices := map[string]bool{}
	for _, s := range exp.Services {
		expServices[s.Name] = true
		if !have[s.Name] {
			p.stale(CodeStaleContext, s.Path, s.Range, ctxPath, cf.Generated.ServicesRange,
				"service %q is not in AppServices in the generated context: ctx.services.%s is untyped until you regenerate types", s.Name, s.Name)
		}
	}
	for _, s := range cf.Generated.Services {
		if !expServices[s] {
			p.stale(CodeStaleContext, ctxPath, cf.Generated.ServicesRange, "", analysis.Range{},
				"the generated context still declares service %q, which no defineService creates any more: regenerate types", s)
		}
	}
}

func runStaleSchema(p *Pass) {
	proj := p.Project
	schemas := proj.Expected().Schemas
	files := schemaFiles(proj, schemas)
	items := make([]schemaItem, 0, len(schemas))
	for i := range schemas {
		if sf := files.facts[i]; sf != nil {
			items = append(items, schemaItem{&schemas[i], sf})
		}
	}
	// A plugin's verdict reads its schema.ts and the migrations its
	// tables are built from, nothing else: a keystroke elsewhere (a
	// plugin's own index.ts included) reuses it instead of comparing a
	// thousand schemas again, which was the largest analyzer's time.
	reportEach(p, staleSchemasKey{}, items, sameSchemaItem, func(p *Pass, it *schemaItem) {
		gs, sf := it.gs, it.sf
		inputs := make([]*facts.File, 0, 1+len(gs.Migrations))
		inputs = append(inputs, sf)
		for _, m := range gs.Migrations {
			inputs = append(inputs, proj.File(m))
		}
		p.reportReused(staleSchemaKey{gs.SchemaPath}, inputs, func(p *Pass) { checkSchema(p, gs, sf) })
	})
}

type (
	staleSchemaKey  struct{ schemaPath string }
	staleSchemasKey struct{}
	schemaFilesKey  struct{}
)

// schemaList is the generated facts (see generated) of each expected
// schema.ts, index for index with paths.
type schemaList struct {
	paths []string
	facts []*facts.File
}

// schemaFiles looks each expected schema.ts up, taking the parent
// snapshot's answer for a path at the same index that no change since
// touched: looking a thousand paths up at each keystroke was most of this
// pass's own time.
func schemaFiles(proj *project.Project, schemas []project.GenSchema) *schemaList {
	return proj.MemoSince(schemaFilesKey{}, anyStep, func(prev any, changes []project.Change) any {
		old, _ := prev.(*schemaList)
		l := &schemaList{paths: make([]string, len(schemas)), facts: make([]*facts.File, len(schemas))}
		for i := range schemas {
			path := schemas[i].SchemaPath
			l.paths[i] = path
			if old != nil && i < len(old.paths) && old.paths[i] == path && !slices.ContainsFunc(changes, func(c project.Change) bool { return c.New.Path == path }) {
				l.facts[i] = old.facts[i]
				continue
			}
			l.facts[i] = generated(proj, path)
		}
		return l
	}).(*schemaList)
}

// schemaItem is one plugin's schema.ts with what its migrations create.
type schemaItem struct {
	gs *project.GenSchema
	sf *facts.File
}

// sameSchemaItem reports whether checkSchema reads the same of two items:
// the same schema.ts facts, and the same tables, unknowns and migrations,
// which the expected outputs share from snapshot to snapshot while the
// migrations are unchanged (project's expectedSchemas reuses them).
func sameSchemaItem(a, b *schemaItem) bool {
	return a.sf == b.sf && a.gs.SchemaPath == b.gs.SchemaPath &&
		sameBacking(a.gs.Tables, b.gs.Tables) && sameBacking(a.gs.Unknown, b.gs.Unknown) && sameBacking(a.gs.Migrations, b.gs.Migrations)
}

// sameBacking reports whether two slices are the very same elements.
func sameBacking[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// checkSchema compares one plugin's generated schema.ts (sf) with what its
// migrations create (gs).
func checkSchema(p *Pass, gs *project.GenSchema, sf *facts.File) {
	proj := p.Project
	if len(gs.Unknown) > 0 {
		u := gs.Unknown[0]
		p.Report(analysis.Finding{
			Code:     CodeSchemaUnknown,
			Severity: analysis.SeverityInformation,
			Location: analysis.Location{Path: u.Path, Range: u.Range},
			Message: fmt.Sprintf("donkeyls cannot follow this migration (%s), so it cannot tell whether %s is up to date; regenerate types after changing migrations",
				u.Reason, proj.Rel(gs.SchemaPath)),
			Related:  []analysis.Related{{Location: analysis.Location{Path: gs.SchemaPath}, Message: "generated from these migrations"}},
			Commands: []analysis.CommandRef{p.regenerate()},
		})
		return
	}
	have := map[string]facts.Table{}
	for _, t := range sf.Generated.Tables {
		have[t.Name] = t
	}
	expTables := map[string]bool{}
	for _, t := range gs.Tables {
		expTables[t.Name] = true
		ht, ok := have[t.Name]
		if !ok {
			p.stale(CodeStaleSchema, t.Path, t.Range, gs.SchemaPath, analysis.Range{},
				"table %q is created by this migration but is not in %s: regenerate types", t.Name, proj.Rel(gs.SchemaPath))
			continue
		}
		haveCols := map[string]bool{}
		for _, c := range ht.Columns {
			haveCols[c.Name] = true
		}
		expCols := map[string]bool{}
		for _, c := range t.Columns {
			expCols[c.Name] = true
			if !haveCols[c.Name] {
				p.stale(CodeStaleSchema, c.Path, c.Range, gs.SchemaPath, ht.Range,
					"column %s.%s is added by this migration but is not in %s: regenerate types", t.Name, c.Name, proj.Rel(gs.SchemaPath))
			}
		}
		for _, c := range ht.Columns {
			if !expCols[c.Name] {
				last := gs.Migrations[len(gs.Migrations)-1]
				p.stale(CodeStaleSchema, gs.SchemaPath, c.Range, last, analysis.Range{},
					"column %s.%s is in the generated schema but the migrations no longer create it: regenerate types", t.Name, c.Name)
			}
		}
	}
	for _, t := range sf.Generated.Tables {
		if !expTables[t.Name] {
			p.stale(CodeStaleSchema, gs.SchemaPath, t.Range, "", analysis.Range{},
				"table %q is in the generated schema but the migrations no longer create it: regenerate types", t.Name)
		}
	}
}

// coreEventNamespaces are the framework's own event families; events.ts lists
// them beside the user's, so they are neither "missing" nor "removed".
var coreEventNamespaces = map[string]bool{"cron": true, "job": true, "log": true, "process": true, "workflow": true}

func runStaleEvents(p *Pass) {
	proj := p.Project
	evPath := filepath.Join(proj.Config().OutPath(), "events.ts")
	ef := generated(proj, evPath)
	if ef == nil {
		return
	}
	in := &eventsInputs{ef: ef, file: proj.Expected().EventsFile, events: proj.Expected().Events}
	// Normalizing a thousand event types at each keystroke was most of
	// this pass; the findings read nothing but in.
	p.reportSince(staleEventsKey{}, in, sameEventsInputs, func(p *Pass) { checkStaleEvents(p, evPath, in) })
}

type staleEventsKey struct{}

// eventsInputs is what the stale-events comparison reads: the generated
// events.ts and the events the generator would write, from file.
type eventsInputs struct {
	ef     *facts.File
	file   string
	events []project.GenEvent
}

// sameEventsInputs reports whether the comparison reads the same in now as
// in prev: the same events.ts facts and events file, the same events by
// name, type and file, at the same places except in files where prev
// found nothing.
func sameEventsInputs(prev, now any, found []analysis.Finding) bool {
	a, b := prev.(*eventsInputs), now.(*eventsInputs)
	return a.ef == b.ef && a.file == b.file && slices.EqualFunc(a.events, b.events, func(x, y project.GenEvent) bool {
		return x.Name == y.Name && x.Type == y.Type && x.Path == y.Path && (x.Range == y.Range || !reportsIn(found, x.Path))
	})
}

// checkStaleEvents compares events.ts with the events the generator would write.
func checkStaleEvents(p *Pass, evPath string, in *eventsInputs) {
	ef, file, expected := in.ef, in.file, in.events
	have := map[string]facts.GeneratedEvent{}
	for _, e := range ef.Generated.Events {
		have[e.Name] = e
	}
	exp := map[string]bool{}
	for _, e := range expected {
		exp[e.Name] = true
		h, ok := have[e.Name]
		switch {
		case !ok:
			p.stale(CodeStaleEvents, e.Path, e.Range, evPath, analysis.Range{},
				"event %q is not in the generated events.ts: emit/on are untyped for it until you regenerate types", e.Name)
		case !strings.Contains(e.Type, "\n") && h.Type != "" && normalizeType(h.Type) != normalizeType(e.Type):
			p.stale(CodeStaleEvents, e.Path, e.Range, evPath, h.Range,
				"event %q changed: the generated events.ts says %s, the generator would now write %s: regenerate types", e.Name, h.Type, e.Type)
		}
	}
	for _, e := range ef.Generated.Events {
		ns := e.Name
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[:i]
		}
		if exp[e.Name] || coreEventNamespaces[ns] {
			continue
		}
		p.stale(CodeStaleEvents, evPath, e.Range, file, analysis.Range{},
			"the generated events.ts still declares event %q, which defineEvents no longer defines: regenerate types", e.Name)
	}
}

func normalizeType(t string) string { return strings.Join(strings.Fields(t), " ") }

func runStaleClient(p *Pass) {
	proj := p.Project
	clientPath := proj.Config().ClientPath()
	if clientPath == "" {
		return
	}
	cf := generated(proj, clientPath)
	if cf == nil {
		return
	}
	exp := proj.Expected()
	if st := exp.Entry.Status; st == project.EntryMissing || st == project.EntryEmpty {
		// The run gives the generator no routes: regenerating writes a
		// client without any, so no route difference is the user's to fix
		// by regenerating. entry-missing or entry-run-empty says why.
		return
	}
	if _, _, empty := lastRunEmpty(proj); empty {
		return // entry-run-empty says it once, for the whole client
	}
	p.reportSince(staleClientKey{}, &clientInputs{client: cf, exp: exp}, sameClientInputs, func(p *Pass) {
		checkClient(p, clientPath, cf, exp)
	})
}

type staleClientKey struct{}

// clientInputs is what checkClient reads besides what is fixed for the
// Load (the zod version): the client's facts and the routes the entry run
// serves.
type clientInputs struct {
	client *facts.File
	exp    *project.Expected
}

// sameClientInputs reports whether the client and the served routes are
// the very same as before: the routes are one slice shared from snapshot
// to snapshot until a file with routes changes (see project's
// patchExpected), and then compared file by file in checkClient.
func sameClientInputs(prev, now any, _ []analysis.Finding) bool {
	a, b := prev.(*clientInputs), now.(*clientInputs)
	return a.client == b.client && a.exp.RoutesUncertain == b.exp.RoutesUncertain &&
		len(a.exp.Routes) == len(b.exp.Routes) && (len(a.exp.Routes) == 0 || &a.exp.Routes[0] == &b.exp.Routes[0])
}

// checkClient compares the generated client with the routes the entry run
// serves, one route file at a time.
func checkClient(p *Pass, clientPath string, cf *facts.File, exp *project.Expected) {
	routes := cf.Generated.ClientRoutes
	// The index of client routes by name is only needed when some route
	// file changed since the last pass; on a keystroke elsewhere every file's
	// comparison is reused as it was.
	var have map[string]int
	index := func() map[string]int {
		if have == nil {
			have = make(map[string]int, len(routes))
			for i := range routes {
				have[routes[i].Name] = i
			}
		}
		return have
	}
	// matched marks the client routes some source route still defines; the
	// others are gone.
	matched := make([]bool, len(routes))
	for _, res := range clientGroupsOf(p, clientPath, cf, exp, index) {
		for _, i := range res.matched {
			matched[i] = true
		}
		p.findings = append(p.findings, res.findings...)
	}
	if exp.RoutesUncertain {
		return
	}
	var gone []facts.ClientRoute
	for i := range routes {
		// By index: a client route is large, and copying ten thousand of
		// them to find the few unmatched was a third of this function.
		if !matched[i] {
			gone = append(gone, routes[i])
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Name < gone[j].Name })
	for _, r := range gone {
		p.stale(CodeStaleClient, clientPath, r.Range, "", analysis.Range{},
			"the generated client still calls route %q, which no router defines any more: regenerate types", r.Name)
	}
}

type clientGroupsKey struct{}

// clientGroupsOf compares the client with each route file's served
// routes, taking a file's comparison from the parent snapshot's at the
// same index, else from the one remembered under its path, when it was
// made for the same client and zod version and the same routes (the very
// same facts) under the same names: a keystroke then costs a few
// pointers per route file instead of a lookup under a lock.
func clientGroupsOf(p *Pass, clientPath string, cf *facts.File, exp *project.Expected, index func() map[string]int) []*clientComparison {
	proj := p.Project
	zod := proj.ZodMajor()
	return proj.MemoSince(clientGroupsKey{}, anyStep, func(prev any, _ []project.Change) any {
		old, _ := prev.([]*clientComparison)
		var out []*clientComparison
		for start := 0; start < len(exp.Routes); {
			end := start + 1
			for end < len(exp.Routes) && exp.Routes[end].Path == exp.Routes[start].Path {
				end++
			}
			group := exp.Routes[start:end]
			start = end
			k := len(out)
			if k < len(old) && old[k].client == cf && old[k].zod == zod && old[k].sameGroup(group) {
				out = append(out, old[k])
				continue
			}
			key := clientCompareKey{group[0].Path, zod}
			if v, ok := proj.Recall(key); ok {
				if r := v.(*clientComparison); r.client == cf && r.zod == zod && r.sameGroup(group) {
					out = append(out, r)
					continue
				}
			}
			res := compareClientRoutes(p, group, cf.Generated.ClientRoutes, index(), clientPath)
			res.client, res.zod = cf, zod
			res.routes = make([]*facts.Route, len(group))
			res.names = make([]string, len(group))
			for i, gr := range group {
				res.routes[i], res.names[i] = gr.Route, gr.Name
			}
			proj.Remember(key, res)
			out = append(out, res)
		}
		return out
	}).([]*clientComparison)
}

// clientCompareKey: a comparison is kept while the route file, the client
// and the file's served routes with their names are unchanged, for one zod
// major version.
type clientCompareKey struct {
	path string
	zod  int
}

// clientComparison is one route file compared with the client: its findings
// and the client routes it defines, with what it read. The routes the file
// serves and their names are the entry run's (a router merged into another
// takes its prefix), so they are compared, not only the file: keyed on the
// file and the client alone, a router merged in the entry kept its old
// names' verdicts. They are copied, not kept as a slice of the expected
// routes, which would hold an earlier snapshot's routes alive.
type clientComparison struct {
	findings []analysis.Finding
	matched  []int
	client   *facts.File
	zod      int
	// routes point into the route file's facts, which never change: the
	// same pointers are the same routes (a buffer mid-edit keeps its last
	// good routes, which read the same).
	routes []*facts.Route
	names  []string
}

// sameGroup reports whether group serves the routes c was computed for,
// under the same names.
func (c *clientComparison) sameGroup(group []project.GenRoute) bool {
	if len(group) != len(c.routes) {
		return false
	}
	for i := range group {
		if group[i].Route != c.routes[i] || group[i].Name != c.names[i] {
			return false
		}
	}
	return true
}

// compareClientRoutes compares the routes of one file with the client. It
// reads only that file's routes and the client, so its result can be reused
// while neither changes.
func compareClientRoutes(p *Pass, group []project.GenRoute, routes []facts.ClientRoute, have map[string]int, clientPath string) *clientComparison {
	proj := p.Project
	local := &Pass{Context: p.Context, Project: proj}
	zod4 := proj.ZodMajor() >= 4
	var matched []int
	for _, gr := range group {
		r := gr.Route
		idx, ok := have[gr.Name]
		if !ok {
			local.stale(CodeStaleClient, gr.Path, r.NameRange, clientPath, analysis.Range{},
				"route %q is not in the generated client (%s): regenerate types", gr.Name, proj.Rel(clientPath))
			continue
		}
		matched = append(matched, idx)
		h := &routes[idx]
		if kindOfRoute(r.Kind) != h.Kind && h.Kind != "" {
			local.stale(CodeStaleClient, gr.Path, r.KindRange, clientPath, h.Range,
				"route %q is now a %s route, but the generated client calls it as %s: regenerate types", gr.Name, r.Kind, h.Kind)
			continue
		}
		if diff := clientTypeDiff(r.Input, h.InputType, noInputType, zod4); diff != "" {
			local.stale(CodeStaleClient, gr.Path, schemaRange(r.Input, r.NameRange), clientPath, h.Range,
				"the input of route %q changed (%s), but the generated client has the old type: regenerate types", gr.Name, diff)
		}
		if k := kindOfRoute(r.Kind); k == "typed" || k == "formData" {
			if diff := clientTypeDiff(r.Output, h.OutputType, noOutputType, zod4); diff != "" {
				local.stale(CodeStaleClient, gr.Path, schemaRange(r.Output, r.NameRange), clientPath, h.Range,
					"the output of route %q changed (%s), but the generated client has the old type: regenerate types", gr.Name, diff)
			}
		}
	}
	return &clientComparison{findings: local.findings, matched: matched}
}

// kindOfRoute maps a route's handler kind to the client's method family;
// custom plugin handlers are called like typed routes.
func kindOfRoute(k string) string {
	switch k {
	case "raw", "stream", "sse", "formData", "html", "typed":
		return k
	}
	return "typed"
}

func schemaRange(s *facts.Schema, fallback analysis.Range) analysis.Range {
	if s != nil {
		return s.Range
	}
	return fallback
}

// The texts the adapter writes for a route without an input or an output
// schema.
const (
	noInputType  = "Record<string, never>"
	noOutputType = "unknown"
)

// clientTypeDiff compares the type text the generator would write for a
// route schema (the server's own zod-to-TS translation, facts.Schema.TSType)
// with the text in the client (have, "" when the client's type was not
// read). It says what changed, or "" when nothing did or the source does
// not decide it (a schema imported from another file). zod4 says the
// project runs zod 4, under which "zod" schemas all print as unknown.
func clientTypeDiff(s *facts.Schema, have, absent string, zod4 bool) string {
	if have == "" {
		return ""
	}
	// Nearly every route is unchanged: compare without building the
	// normalized texts, which only a message needs.
	if s != nil && s.TSKnown && !(zod4 && s.ZodMain) && sameIgnoringSpace(s.TSType, have) {
		return ""
	}
	have = normalizeType(have)
	switch {
	case s == nil && have != absent:
		return "schema removed"
	case s == nil:
		return ""
	case !s.TSKnown:
		// Any schema replaces the no-input placeholder; "unknown" may be
		// what an undecided output schema translates to.
		if absent == noInputType && have == noInputType {
			return "schema added"
		}
		return ""
	}
	want := normalizeType(s.TSType)
	if zod4 && s.ZodMain {
		want = "unknown" // zod 4 schemas have no _def.typeName
	}
	if want == have {
		return ""
	}
	if have == absent {
		return "schema added"
	}
	if hf, ok := topFields(have); ok {
		if wf, ok := topFields(want); ok {
			if d := fieldDiffs(wf, hf); d != "" {
				return d
			}
		}
	}
	return fmt.Sprintf("the client has %s, the generator now writes %s", clip(have), clip(want))
}

// sameIgnoringSpace reports whether a and b are equal once every run of
// white space is one space and the ends are trimmed (normalizeType).
func sameIgnoringSpace(a, b string) bool {
	i, j := 0, 0
	for first := true; ; first = false {
		for i < len(a) && isSpace(a[i]) {
			i++
		}
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		// Both are at a non-space: a run of spaces before it must be in
		// both or in neither (the start of the string counts as none).
		if !first && isSpace(a[i-1]) != isSpace(b[j-1]) {
			return false
		}
		for i < len(a) && j < len(b) && !isSpace(a[i]) && !isSpace(b[j]) {
			if a[i] != b[j] {
				return false
			}
			i++
			j++
		}
		if (i < len(a) && !isSpace(a[i])) || (j < len(b) && !isSpace(b[j])) {
			return false
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// typeField is one top-level member of an object type text.
type typeField struct {
	name, typ string
	optional  bool
}

// topFields splits `{ a: string; b?: { c: number; }; }` into its top-level
// members; ok is false for anything but a single object type.
func topFields(t string) ([]typeField, bool) {
	if !strings.HasPrefix(t, "{") || !strings.HasSuffix(t, "}") {
		return nil, false
	}
	body := t[1 : len(t)-1]
	var out []typeField
	depth, start := 0, 0
	flush := func(part string) bool {
		part = strings.TrimSpace(part)
		if part == "" {
			return true
		}
		colon := strings.Index(part, ":")
		if colon <= 0 {
			return false
		}
		name := strings.TrimSpace(part[:colon])
		f := typeField{typ: strings.TrimSpace(part[colon+1:])}
		if before, ok := strings.CutSuffix(name, "?"); ok {
			f.optional, name = true, strings.TrimSpace(before)
		}
		f.name = name
		out = append(out, f)
		return true
	}
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{', '<', '(', '[':
			depth++
		case '}', '>', ')', ']':
			if body[i] != '>' || i == 0 || body[i-1] != '=' {
				depth--
			}
			if depth < 0 {
				return nil, false // `{...} | {...}`: not one object
			}
		case ';':
			if depth == 0 {
				if !flush(body[start:i]) {
					return nil, false
				}
				start = i + 1
			}
		}
	}
	if depth != 0 || !flush(body[start:]) {
		return nil, false
	}
	return out, true
}

func fieldDiffs(want, have []typeField) string {
	find := func(fs []typeField, name string) (typeField, bool) {
		for _, f := range fs {
			if f.name == name {
				return f, true
			}
		}
		return typeField{}, false
	}
	var diffs []string
	for _, f := range want {
		h, ok := find(have, f.name)
		switch {
		case !ok:
			diffs = append(diffs, "new field "+f.name)
		case h.optional != f.optional && f.optional:
			diffs = append(diffs, "field "+f.name+" is now optional")
		case h.optional != f.optional:
			diffs = append(diffs, "field "+f.name+" is now required")
		case h.typ != f.typ:
			diffs = append(diffs, "field "+f.name+" is now "+clip(f.typ))
		}
	}
	for _, f := range have {
		if _, ok := find(want, f.name); !ok {
			diffs = append(diffs, "field "+f.name+" removed")
		}
	}
	return strings.Join(diffs, ", ")
}

// clip keeps a type text short enough for a diagnostic.
func clip(t string) string {
	if len(t) > 80 {
		return t[:77] + "..."
	}
	return t
}

// runStaleProcesses compares processes.ts with the processes the generate
// run of the entry prints. Under server 2.5.1 a definition reaches that
// output only when it is registered as the entry is imported, and then the
// server's own console.log of it breaks the output unless stdout is
// silenced; one registered in a plugin's init or onReady never runs in
// generate mode (start() prints and exits first). Verified: registered in
// onReady, the real generator wrote an empty ProcessRegistry.
func runStaleProcesses(p *Pass) {
	proj := p.Project
	path := filepath.Join(proj.Config().OutPath(), "processes.ts")
	pf := generated(proj, path)
	run := proj.Entry()
	if pf == nil || run.Status == project.EntryUnknown || (run.Status == project.EntryRuns && run.Uncertain) {
		return
	}
	printed := map[string]bool{}
	if run.Status == project.EntryRuns {
		for _, n := range run.Processes {
			printed[n] = true
		}
	}
	have := map[string]bool{}
	for _, k := range pf.Generated.Processes {
		have[k.Name] = true
		if printed[k.Name] {
			continue
		}
		p.stale(CodeStaleProcesses, path, k.Range, "", analysis.Range{},
			"processes.ts declares process %q, but the generator's run of the entry prints no such definition (%s): regenerating writes processes.ts without it, and ctx.core.processes.send() for it loses its types",
			k.Name, whyNotPrinted(proj, run, k.Name))
	}
	for _, n := range run.Processes {
		if n == "" || have[n] || run.Status != project.EntryRuns {
			continue
		}
		for _, r := range run.Registrations {
			if r.Name == n {
				p.stale(CodeStaleProcesses, r.Path, r.Range, path, analysis.Range{},
					"process %q is registered when the entry is imported, but processes.ts does not declare it: regenerate types", n)
				break
			}
		}
	}
}

// whyNotPrinted says why the run does not print process name.
func whyNotPrinted(proj *project.Project, run *project.EntryRun, name string) string {
	switch run.Status {
	case project.EntryMissing:
		return "the entry " + proj.Rel(run.Path) + " does not exist"
	case project.EntryEmpty:
		return "the run prints nothing usable: see entry-run-empty"
	}
	for _, r := range run.Registrations {
		if r.Name == name && !r.AtImport {
			return fmt.Sprintf("its processes.register at %s:%d runs only once the server starts, and in generate mode start() prints and exits first", proj.Rel(r.Path), r.Range.Start.Line+1)
		}
	}
	return "no processes.register call the entry reaches names it"
}

package project

import (
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Expected is what `donkeylabs generate` would write for the current
// sources, computed from facts alone, following the generator's own rules
// (file-system discovery, regular expressions, first events file wins).
type Expected struct {
	Plugins    []GenPlugin
	Handlers   []GenKey
	Middleware []GenKey
	// KeysUncertain is set when a plugin file does not parse: its keys are
	// unknown, so a key missing from the sources may only be hidden.
	KeysUncertain bool
	Services      []GenService
	// EventsFile is the events file the generator reads, "" when none.
	EventsFile string
	Events     []GenEvent
	Schemas    []GenSchema
	// Entry models the generate run of the server entry. Routes are the
	// routes that run prints (the client's input): the mounted ones when it
	// runs, none when it is predicted to print nothing, and every route in
	// the sources when the model cannot tell.
	Entry  *EntryRun
	Routes []GenRoute
	// RoutesUncertain is set when a source file with routes does not parse.
	RoutesUncertain bool
	// handlerDefs and middlewareDefs count, for each key name more than one
	// plugin defines, the plugins that do (nil when none): a patch dropping
	// a plugin's key learns from them whether another plugin defines it.
	handlerDefs, middlewareDefs map[string]int
}

// GenPlugin is one plugin the generator finds.
type GenPlugin struct {
	Name       string
	ExportName string
	Path       string // the index.ts
	File       *facts.File
	// Def is the plugin definition exported under ExportName, nil when the
	// file's define() could not be matched to the export.
	Def *facts.Plugin
	// NameFromFolder is set when the generator's regex missed the name.
	NameFromFolder bool
}

// NameRange is where the plugin's name is written, or its export.
func (g GenPlugin) NameRange() analysis.Range {
	if g.Def != nil && g.Def.NameKnown {
		return g.Def.NameRange
	}
	if g.Def != nil {
		return g.Def.ExportRange
	}
	return analysis.Range{}
}

// ExportRange is where the plugin export is named.
func (g GenPlugin) ExportRange() analysis.Range {
	if g.Def != nil {
		return g.Def.ExportRange
	}
	return analysis.Range{}
}

// GenKey is a handler or middleware key and where it is defined.
type GenKey struct {
	Name   string
	Plugin *GenPlugin
	Range  analysis.Range
}

// GenService is a defineService the generator picks up.
type GenService struct {
	Name       string
	ExportName string
	Path       string
	Range      analysis.Range
}

// GenEvent is one user event with the type text the generator writes.
type GenEvent struct {
	Name  string
	Type  string
	Path  string
	Range analysis.Range
}

// GenSchema is one plugin's schema.ts as its migrations define it.
type GenSchema struct {
	Plugin     *GenPlugin
	Dir        string
	SchemaPath string
	Migrations []string // in the order the runtime applies them
	Tables     []GenTable
	// Unknown lists what could not be followed; the verdict is unknown.
	Unknown []GenUnknown
}

// GenUnknown is an unanalyzable construct in a migration.
type GenUnknown struct {
	Path   string
	Range  analysis.Range
	Reason string
}

// GenTable is a table after every migration ran.
type GenTable struct {
	Name    string
	Columns []GenColumn
	// Where the table was created (or renamed to its name).
	Path  string
	Range analysis.Range
}

// GenColumn is a column and the migration statement that last added it.
type GenColumn struct {
	Name  string
	Path  string
	Range analysis.Range
	// Type is the SQL type as the migration writes it, lower-cased; NotNull
	// and PrimaryKey what its builder says (navigation shows them).
	Type       string
	NotNull    bool
	PrimaryKey bool
}

// GenRoute is a route and its file, with the name the run serves it
// under: its own full name, or for a copy made by parent.router(child)
// the parent's prefix joined to it.
type GenRoute struct {
	Route *facts.Route
	Path  string
	Name  string
}

var reIdentWord = regexp.MustCompile(`^\w+$`)

// Expected returns the generator's view of the current snapshot, computed
// once per snapshot.
func (p *Project) Expected() *Expected {
	m := p.m()
	m.expectedOnce.Do(func() {
		m.expected = p.computeExpected()
		m.expectedDone.Store(true)
	})
	return m.expected
}

// computeExpected derives the outputs from an earlier snapshot's when
// every file changed since reads the same to them (expectedSame) and the
// entry model is that snapshot's: a keystroke in a handler or a service
// body changes none of it, and walking 10,000 files and routes again was
// a quarter of each edit's analysis. Otherwise it computes them afresh.
func (p *Project) computeExpected() *Expected {
	prev, changes := p.m().earlier(func(m *memo) (any, bool) {
		if !m.expectedDone.Load() {
			return nil, false
		}
		return m.expected, true
	}, expectedSame)
	run := p.computeEntry()
	if prev, _ := prev.(*Expected); prev != nil && prev.Entry == run {
		if e := p.patchExpected(prev, changes); e != nil {
			p.m().expectedPatched = true
			return e
		}
	}
	return p.freshExpected(run)
}

func (p *Project) freshExpected(run *EntryRun) *Expected {
	e := &Expected{}
	paths, files := p.Files(), p.sortedFiles()
	// Plugins: index.ts files under each scan dir, in scan order.
	for _, base := range p.config.PluginScanDirs() {
		for i, path := range paths {
			if !strings.HasSuffix(path, string(filepath.Separator)+"index.ts") {
				continue
			}
			f := files[i]
			if f.Missing || f.Kind != facts.KindSource || !isWithin(base, path) {
				continue
			}
			if gp, ok := genPlugin(f); ok {
				e.Plugins = append(e.Plugins, gp)
			}
		}
	}
	// seen maps a key to 1 + the index of the last plugin counted as
	// defining it, so that a name twice in one plugin counts once.
	seenH, seenM := map[string]int{}, map[string]int{}
	for i := range e.Plugins {
		gp := &e.Plugins[i]
		if uncertain(gp.File) {
			e.KeysUncertain = true
		}
		e.Handlers = addKeys(e.Handlers, &e.handlerDefs, seenH, gp, i, true)
		e.Middleware = addKeys(e.Middleware, &e.middlewareDefs, seenM, gp, i, false)
	}
	e.Services = p.expectedServices()
	e.EventsFile, e.Events = p.expectedEvents()
	e.Schemas = p.expectedSchemas(e.Plugins)
	e.Entry = run
	// Sized first (an upper bound when the entry mounts only some): this
	// runs on every keystroke, and growing a slice of 10,000 routes by
	// appending allocated twice what it keeps.
	routes := 0
	for _, f := range files {
		if run.Status == EntryMissing || run.Status == EntryEmpty {
			break // no route is kept
		}
		if f.Kind == facts.KindSource && !f.Missing {
			routes += len(f.Routes)
		}
	}
	if routes > 0 {
		e.Routes = make([]GenRoute, 0, routes)
	}
	for _, f := range files {
		if f.Kind != facts.KindSource || f.Missing {
			continue
		}
		if routesUncertain(f) {
			e.RoutesUncertain = true
		}
		e.Routes = fileRoutes(e.Routes, run, f)
	}
	if run.Status == EntryRuns && len(run.Copies) > 0 {
		e.Routes = p.appendCopies(e.Routes, run.Copies)
	}
	if len(e.Routes) == 0 {
		// A patch cannot tell an empty list from none; neither can a reader.
		e.Routes = nil
	}
	if run.Status == EntryRuns && run.Uncertain {
		e.RoutesUncertain = true
	}
	return e
}

// genPlugin is the plugin the generator finds in f, an index.ts under a
// scan dir, and false when it finds none there.
func genPlugin(f *facts.File) (GenPlugin, bool) {
	export := f.Generator().PluginExport
	if export == "" {
		return GenPlugin{}, false
	}
	gp := GenPlugin{Name: f.Generator().PluginName, ExportName: export, Path: f.Path, File: f}
	if gp.Name == "" {
		gp.Name = filepath.Base(filepath.Dir(f.Path))
		gp.NameFromFolder = true
	}
	for i := range f.Plugins {
		if f.Plugins[i].ExportName == export {
			gp.Def = &f.Plugins[i]
		}
	}
	return gp, true
}

// pluginCount is how many times freshExpected lists f as a plugin: once
// for each scan dir holding it.
func (p *Project) pluginCount(f *facts.File) int {
	if f.Missing || f.Kind != facts.KindSource || f.Generator().PluginExport == "" ||
		!strings.HasSuffix(f.Path, string(filepath.Separator)+"index.ts") {
		return 0
	}
	n := 0
	for _, base := range p.config.PluginScanDirs() {
		if isWithin(base, f.Path) {
			n++
		}
	}
	return n
}

// addKeys appends the handler (or middleware) keys of plugin i the
// generator keeps, each name at the first plugin defining it, and counts in
// defs the names more than one plugin defines.
func addKeys(keys []GenKey, defs *map[string]int, seen map[string]int, gp *GenPlugin, i int, handlers bool) []GenKey {
	for _, k := range pluginKeys(gp.File, handlers) {
		last, ok := seen[k]
		switch {
		case !ok:
			keys = append(keys, GenKey{Name: k, Plugin: gp, Range: keyRange(gp, k, handlers)})
		case last == i+1:
			continue // twice in one plugin
		case *defs == nil:
			*defs = map[string]int{k: 2}
		default:
			(*defs)[k] = max((*defs)[k], 1) + 1
		}
		seen[k] = i + 1
	}
	return keys
}

func pluginKeys(f *facts.File, handlers bool) []string {
	if handlers {
		return f.Generator().HandlerKeys
	}
	return f.Generator().MiddlewareKeys
}

// uncertain reports whether f's facts may miss what the file holds: it does
// not parse and no version that did stands in for it.
func uncertain(f *facts.File) bool { return f.SyntaxErrors && !f.StaleFacts }

// routesUncertain reports whether f makes the routes uncertain: a source
// file that does not parse, with routes or named for them.
func routesUncertain(f *facts.File) bool {
	return uncertain(f) && (len(f.Routes) > 0 || strings.Contains(f.Path, "route"))
}

// fileRoutes appends the routes of f the run serves, in file order.
func fileRoutes(routes []GenRoute, run *EntryRun, f *facts.File) []GenRoute {
	if run.Status == EntryMissing || run.Status == EntryEmpty {
		return routes
	}
	// A file's routes are mostly on one router: whether it is served
	// is asked once per run of routes on the same variable, not once
	// per route (10,000 lookups of a file and variable per keystroke).
	mounted, onVar, asked := false, "", false
	for i := range f.Routes {
		r := &f.Routes[i]
		if run.Status == EntryRuns && !run.Uncertain {
			if !asked || r.RouterVar != onVar {
				mounted, onVar, asked = run.RouteMounted(f.Path, r), r.RouterVar, true
			}
			if !mounted {
				continue
			}
		}
		routes = append(routes, GenRoute{Route: r, Path: f.Path, Name: r.FullName})
	}
	return routes
}

// expectedSame reports whether patchExpected can derive the outputs after
// a change of a file from those before it. Everything else freshExpected
// reads of a file it takes from the new facts: a plugin's name, export,
// definition and keys, the routes, a migration's schema (see patchExpected).
// What it cannot patch is a file changing kind or existence, or whether its
// facts are certain, which flags the keys or routes of the whole project.
// The entry model is compared by identity (computeEntry).
func expectedSame(a, b *facts.File) bool {
	return a.Path == b.Path && a.Kind == b.Kind && a.Missing == b.Missing && uncertain(a) == uncertain(b)
}

// patchExpected is prev with the changed files' facts in place of the old,
// in the order they changed: a changed plugin is listed again with its
// keys, a changed route file's run of routes is read again, a changed
// migration's schema is replayed again, and the services and events are
// computed again; everything else is prev's. The work is the changed
// files', not the project's: a handler key typed in one plugin of 1,000
// made every keystroke compute the outputs afresh (2.4 ms of 8.5).
//
// It returns nil when a change is one it cannot follow, which
// freshExpected then computes: a changed file's routes copied by
// parent.router(child), whose copies depend on where each route stands; a
// plugin found or lost, or listed under two scan dirs; a key name a later
// plugin takes over; a broken file's routes changing.
func (p *Project) patchExpected(prev *Expected, changes []Change) *Expected {
	e := *prev
	for _, c := range changes {
		for _, cp := range e.Entry.Copies {
			if cp.From.Path == c.New.Path {
				return nil
			}
		}
	}
	for _, c := range changes {
		if !e.patchPlugin(p, c.Old, c.New) {
			return nil
		}
		switch {
		case c.New.Kind == facts.KindMigration:
			p.patchSchemas(&e, c.New.Path)
		case sameRoutes(c.Old, c.New):
			if len(c.Old.Routes) > 0 {
				e.Routes = patchRoutes(e.Routes, c.Old, c.New)
			}
		case uncertain(c.New):
			return nil // whether it flags the routes may change
		default:
			e.Routes = replaceRoutes(e.Routes, e.Entry, c.Old, c.New)
		}
	}
	e.Services = p.expectedServices()
	e.EventsFile, e.Events = p.expectedEvents()
	return &e
}

// sameRoutes reports whether two versions of a file define the same routes
// as freshExpected reads them.
func sameRoutes(a, b *facts.File) bool {
	return slices.EqualFunc(a.Routes, b.Routes, func(x, y facts.Route) bool {
		return x.RouterVar == y.RouterVar && x.FullName == y.FullName
	})
}

// patchPlugin lists the plugin old defines again from new, with everything
// that points at plugins: the keys, and the schemas. The slices are copies;
// prev's are shared with the snapshot it belongs to. It reports false when
// the change is one freshExpected must compute: new is listed a different
// number of times than old (a plugin found or lost), more than once, a key
// passes to a later plugin, or a key or schema points at no plugin of the
// list (which freshExpected never builds).
func (e *Expected) patchPlugin(p *Project, old, new *facts.File) bool {
	pi, n := -1, 0
	for i := range e.Plugins {
		if e.Plugins[i].File == old {
			pi, n = i, n+1
		}
	}
	if n != p.pluginCount(new) || n > 1 {
		return false
	}
	if n == 0 {
		return true
	}
	gp, _ := genPlugin(new)
	before := e.Plugins
	e.Plugins = slices.Clone(before)
	e.Plugins[pi] = gp
	var ok bool
	e.Handlers, e.handlerDefs, ok = patchKeys(before, e.Plugins, e.Handlers, e.handlerDefs, pi, old, new, true)
	if !ok {
		return false
	}
	e.Middleware, e.middlewareDefs, ok = patchKeys(before, e.Plugins, e.Middleware, e.middlewareDefs, pi, old, new, false)
	if !ok {
		return false
	}
	// Schemas were added in plugin order, so one cursor over the old
	// slice finds each one's plugin.
	e.Schemas = slices.Clone(e.Schemas)
	j := 0
	for i := range e.Schemas {
		for j < len(before) && &before[j] != e.Schemas[i].Plugin {
			j++
		}
		if j == len(before) {
			return false
		}
		e.Schemas[i].Plugin = &e.Plugins[j]
	}
	return true
}

// patchKeys is keys, built over the plugins before, pointed at the same
// plugins of after, where plugin pi's file changed from old to new: pi's
// keys are listed again in new's order, but for those an earlier plugin
// defines; a name pi now defines leaves the later plugin that listed it;
// the counts of names defined more than once follow (defs is copied when
// they change). It reports false when a name pi listed and no longer
// defines passes to a later plugin that also defines it, or a key points
// at no plugin of before.
func patchKeys(before, after []GenPlugin, keys []GenKey, defs map[string]int, pi int, old, new *facts.File, handlers bool) ([]GenKey, map[string]int, bool) {
	was, now := firstOnly(pluginKeys(old, handlers)), firstOnly(pluginKeys(new, handlers))
	at := indexOf(now)
	earlier := make([]bool, len(now)) // an earlier plugin lists now[i]
	found := make([]bool, len(now))   // another plugin defines now[i]
	var listed []string               // the names pi's keys had
	out := make([]GenKey, 0, len(keys)+len(now))
	emitted := false
	emit := func() {
		gp := &after[pi]
		for i, k := range now {
			if !earlier[i] {
				out = append(out, GenKey{Name: k, Plugin: gp, Range: keyRange(gp, k, handlers)})
			}
		}
		emitted = true
	}
	// Keys are in plugin order, so one cursor over before finds each
	// one's plugin.
	j := 0
	for _, k := range keys {
		for j < len(before) && &before[j] != k.Plugin {
			j++
		}
		if j == len(before) {
			return nil, nil, false
		}
		if j == pi {
			listed = append(listed, k.Name)
			continue
		}
		if j > pi && !emitted {
			emit()
		}
		if i := at(k.Name); i >= 0 {
			found[i] = true
			if j > pi {
				continue // pi lists it now
			}
			earlier[i] = true
		}
		k.Plugin = &after[j]
		out = append(out, k)
	}
	if !emitted {
		emit()
	}
	for _, k := range listed {
		if at(k) < 0 && defs[k] >= 2 {
			return nil, nil, false // a later plugin lists it now
		}
	}
	copied := false
	count := func(k string, n int) {
		if !copied {
			defs, copied = maps.Clone(defs), true
			if defs == nil {
				defs = map[string]int{}
			}
		}
		if n >= 2 {
			defs[k] = n
		} else {
			delete(defs, k)
		}
	}
	for i, k := range now {
		if slices.Contains(was, k) {
			continue
		}
		if n := defs[k]; n >= 2 {
			count(k, n+1)
		} else if found[i] {
			count(k, 2)
		}
	}
	for _, k := range was {
		if at(k) < 0 && defs[k] >= 2 {
			count(k, defs[k]-1)
		}
	}
	if len(defs) == 0 {
		defs = nil
	}
	if len(out) == 0 {
		out = nil
	}
	return out, defs, true
}

// firstOnly is names without repeats, each where it first stands; names
// itself when it has none.
func firstOnly(names []string) []string {
	for i := 1; i < len(names); i++ {
		if slices.Contains(names[:i], names[i]) {
			var out []string
			for j, k := range names {
				if !slices.Contains(names[:j], k) {
					out = append(out, k)
				}
			}
			return out
		}
	}
	return names
}

// indexOf returns a function giving the index of a name in names, or -1;
// a plugin has a few keys, so a short list is searched rather than hashed.
func indexOf(names []string) func(string) int {
	if len(names) <= 8 {
		return func(k string) int { return slices.Index(names, k) }
	}
	idx := make(map[string]int, len(names))
	for i, k := range names {
		if _, ok := idx[k]; !ok {
			idx[k] = i
		}
	}
	return func(k string) int {
		if i, ok := idx[k]; ok {
			return i
		}
		return -1
	}
}

// patchSchemas replays again the schema whose migrations folder holds
// path, a migration that changed.
func (p *Project) patchSchemas(e *Expected, path string) {
	dir := filepath.Dir(path)
	if filepath.Base(dir) != "migrations" {
		return
	}
	dir = filepath.Dir(dir)
	paths, files := p.Files(), p.sortedFiles()
	copied := false
	for i := range e.Schemas {
		if e.Schemas[i].Dir != dir {
			continue
		}
		if !copied {
			e.Schemas, copied = slices.Clone(e.Schemas), true
		}
		e.Schemas[i], _ = p.schemaOf(e.Schemas[i].Plugin, paths, files)
	}
}

// patchRoutes points old's routes in routes at new's (the same routes, in
// the same order: sameRoutes compared them). routes is sorted by path,
// so old's are one run of it.
func patchRoutes(routes []GenRoute, old, new *facts.File) []GenRoute {
	i := sort.Search(len(routes), func(i int) bool { return routes[i].Path >= old.Path })
	if i == len(routes) || routes[i].Path != old.Path {
		return routes
	}
	routes = slices.Clone(routes)
	for ; i < len(routes) && routes[i].Path == old.Path; i++ {
		for k := range old.Routes {
			if routes[i].Route == &old.Routes[k] {
				routes[i].Route = &new.Routes[k]
				break
			}
		}
	}
	return routes
}

// replaceRoutes is routes with old's run, which is none of a copy's,
// replaced by the routes of new the run serves. routes is sorted by path.
func replaceRoutes(routes []GenRoute, run *EntryRun, old, new *facts.File) []GenRoute {
	i := sort.Search(len(routes), func(i int) bool { return routes[i].Path >= old.Path })
	j := i
	for j < len(routes) && routes[j].Path == old.Path {
		j++
	}
	out := make([]GenRoute, 0, len(routes)-(j-i)+len(new.Routes))
	out = append(out, routes[:i]...)
	out = fileRoutes(out, run, new)
	out = append(out, routes[j:]...)
	if len(out) == 0 {
		return nil
	}
	return out
}

// appendCopies adds the routes parent.router(child) calls copy, kept in
// file order so that each file's routes stay one run.
func (p *Project) appendCopies(routes []GenRoute, copies []RouteCopy) []GenRoute {
	for _, c := range copies {
		f := p.file(c.From.Path)
		vars := map[string]bool{c.From.Var: true}
		for changed := true; changed; {
			changed = false
			for _, r := range f.Routers {
				if r.Var != "" && vars[r.Parent] && !vars[r.Var] {
					vars[r.Var], changed = true, true
				}
			}
		}
		for i := range f.Routes {
			r := &f.Routes[i]
			if !vars[r.RouterVar] || (c.Before >= 0 && int(r.CallRange.Start.Offset) >= c.Before) {
				continue
			}
			routes = append(routes, GenRoute{Route: r, Path: c.From.Path, Name: joinPrefix(c.Prefix, r.FullName)})
		}
	}
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].Path < routes[j].Path })
	return routes
}

func keyRange(gp *GenPlugin, key string, handlers bool) analysis.Range {
	if gp.Def != nil {
		keys := gp.Def.MiddlewareKeys
		if handlers {
			keys = gp.Def.HandlerKeys
		}
		for _, k := range keys {
			if k.Name == key {
				return k.Range
			}
		}
	}
	return gp.ExportRange()
}

// expectedServices: defineService in the entry, src/server/services/*.ts and
// src/lib/services/*.ts (not recursive), as the generator scans them.
func (p *Project) expectedServices() []GenService {
	var out []GenService
	add := func(path string) {
		f := p.file(path)
		if f == nil || f.Missing {
			return
		}
		for _, s := range f.Generator().Services {
			gs := GenService{Name: s.Name, ExportName: s.ExportName, Path: path}
			for _, fs := range f.Services() {
				if fs.Name == s.Name {
					gs.Range = fs.Range
				}
			}
			out = append(out, gs)
		}
	}
	add(p.config.EntryPath())
	for _, dir := range []string{"src/server/services", "src/lib/services"} {
		abs := filepath.Join(p.root, filepath.FromSlash(dir))
		paths := p.Files()
		// Paths are sorted, so the directory's files are one contiguous run.
		for i := sort.SearchStrings(paths, abs+string(filepath.Separator)); i < len(paths) && strings.HasPrefix(paths[i], abs+string(filepath.Separator)); i++ {
			path := paths[i]
			if filepath.Dir(path) == abs && strings.HasSuffix(path, ".ts") && path != p.config.EntryPath() {
				add(path)
			}
		}
	}
	return out
}

// EventsFile is the events file the generator reads: the first of
// src/events.ts, src/server/events.ts and src/lib/events.ts with entries
// in a defineEvents; "" when none has any.
func (p *Project) EventsFile() string {
	for _, rel := range []string{"src/events.ts", "src/server/events.ts", "src/lib/events.ts"} {
		path := filepath.Join(p.root, filepath.FromSlash(rel))
		if f := p.file(path); f != nil && !f.Missing && len(f.Events()) > 0 {
			return path
		}
	}
	return ""
}

// expectedEvents: the events of EventsFile, typed as the generator types them.
func (p *Project) expectedEvents() (string, []GenEvent) {
	path := p.EventsFile()
	if path == "" {
		return "", nil
	}
	f := p.file(path)
	events := p.Reuse(eventsKey{path}, []*facts.File{f}, func() any {
		var out []GenEvent
		for _, ev := range f.Events() {
			out = append(out, GenEvent{Name: ev.Name, Type: ZodSourceToType(ev.Schema), Path: path, Range: ev.Range})
		}
		return out
	}).([]GenEvent)
	return path, events
}

type eventsKey struct{ path string }

func (p *Project) expectedSchemas(plugins []GenPlugin) []GenSchema {
	out := make([]GenSchema, 0, len(plugins))
	paths, files := p.Files(), p.sortedFiles()
	for i := range plugins {
		if gs, ok := p.schemaOf(&plugins[i], paths, files); ok {
			out = append(out, gs)
		}
	}
	return out
}

// schemaOf is the schema.ts the generator writes for gp, replayed from its
// migrations, and false when it writes none; paths and files are the
// snapshot's, sorted.
func (p *Project) schemaOf(gp *GenPlugin, paths []string, files []*facts.File) (GenSchema, bool) {
	sep := string(filepath.Separator)
	dir := filepath.Dir(gp.Path)
	// dir is clean, so joining by hand gives filepath.Join's answer
	// without cleaning it again: this runs for every plugin at every
	// keystroke, and Join's Clean was a third of it.
	prefix := dir + sep
	switch {
	case dir == ".":
		prefix = ""
	case strings.HasSuffix(dir, sep):
		prefix = dir
	}
	schemaPath := prefix + "schema.ts"
	if _, ok := p.expected[schemaPath]; !ok {
		return GenSchema{}, false
	}
	// The folder's migrations are one run of the sorted paths, and
	// with no separator after migDir their path order is the order of
	// their names, the order the runtime sorts them in.
	var migrations []string
	var inputs []*facts.File
	migDir := prefix + "migrations" + sep
	for i := sort.SearchStrings(paths, migDir); i < len(paths) && strings.HasPrefix(paths[i], migDir); i++ {
		if f := files[i]; !strings.ContainsRune(paths[i][len(migDir):], filepath.Separator) && f.Kind == facts.KindMigration && !f.Missing {
			migrations = append(migrations, paths[i])
			inputs = append(inputs, f)
		}
	}
	built := p.Reuse(schemaKey{dir}, inputs, func() any { return buildSchema(migrations, inputs) }).(GenSchema)
	built.Plugin, built.Dir, built.SchemaPath = gp, dir, schemaPath
	return built, true
}

type schemaKey struct{ dir string }

// buildSchema replays one plugin's migrations, in order, into tables.
func buildSchema(migrations []string, files []*facts.File) GenSchema {
	gs := GenSchema{Migrations: migrations}
	type table struct {
		GenTable
	}
	var tables []*table
	find := func(name string) int {
		for i, t := range tables {
			if t.Name == name {
				return i
			}
		}
		return -1
	}
	for mi, mpath := range migrations {
		f := files[mi]
		m := f.Migration
		if f.Unreadable || m == nil {
			gs.Unknown = append(gs.Unknown, GenUnknown{Path: mpath, Reason: "file could not be read"})
			continue
		}
		if f.SyntaxErrors && !f.StaleFacts {
			gs.Unknown = append(gs.Unknown, GenUnknown{Path: mpath, Range: f.FirstError, Reason: "syntax error"})
		}
		for _, u := range m.Unknown {
			gs.Unknown = append(gs.Unknown, GenUnknown{Path: mpath, Range: u.Range, Reason: u.Reason})
		}
		for _, op := range m.Ops {
			idx := find(op.Table)
			switch op.Kind {
			case facts.OpCreateTable:
				if idx < 0 {
					tables = append(tables, &table{GenTable: GenTable{Name: op.Table, Path: mpath, Range: op.Range}})
					idx = len(tables) - 1
				}
			case facts.OpDropTable:
				if idx >= 0 {
					tables = append(tables[:idx], tables[idx+1:]...)
				}
				continue
			case facts.OpRenameTable:
				if idx >= 0 {
					tables[idx].Name = op.NewName
					tables[idx].Path, tables[idx].Range = mpath, op.Range
				}
				continue
			case facts.OpAlterTable:
				if idx < 0 {
					// Altering a table another plugin or an earlier,
					// unanalyzed step created: we cannot know its columns.
					gs.Unknown = append(gs.Unknown, GenUnknown{Path: mpath, Range: op.Range, Reason: "alters table " + op.Table + " that no earlier migration of this plugin creates"})
					continue
				}
			}
			t := tables[idx]
			for _, c := range op.Add {
				if j := colIndex(t.Columns, c.Name); j >= 0 {
					t.Columns[j] = genColumn(c, mpath)
					continue
				}
				t.Columns = append(t.Columns, genColumn(c, mpath))
			}
			for _, d := range op.Drop {
				if j := colIndex(t.Columns, d); j >= 0 {
					t.Columns = append(t.Columns[:j], t.Columns[j+1:]...)
				}
			}
			for _, r := range op.Rename {
				if j := colIndex(t.Columns, r[0]); j >= 0 {
					t.Columns[j].Name, t.Columns[j].Path, t.Columns[j].Range = r[1], mpath, op.Range
				}
			}
		}
	}
	for _, t := range tables {
		gs.Tables = append(gs.Tables, t.GenTable)
	}
	return gs
}

func genColumn(c facts.Column, path string) GenColumn {
	return GenColumn{Name: c.Name, Path: path, Range: c.Range, Type: c.Type, NotNull: c.NotNull, PrimaryKey: c.PrimaryKey}
}

func colIndex(cols []GenColumn, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

var (
	reZodField = regexp.MustCompile(`(\w+)\s*:\s*(z\.[^,}]+(?:\([^)]*\))?)`)
	reEnumList = regexp.MustCompile(`\[(.*)\]`)
)

// ZodSourceToType converts an event's zod source text into the TypeScript
// type text the generator writes for it in events.ts. It reproduces the
// generator's textual conversion, quirks included, because staleness is a
// comparison with what the generator would write, not with the truth.
func ZodSourceToType(src string) string {
	src = strings.TrimSpace(src)
	switch {
	case strings.HasPrefix(src, "z.object("):
		return zodObjectFieldsToType(jsSlice(src, len("z.object(")))
	case strings.HasPrefix(src, "z.string"):
		return "string"
	case strings.HasPrefix(src, "z.number"):
		return "number"
	case strings.HasPrefix(src, "z.boolean"):
		return "boolean"
	case strings.HasPrefix(src, "z.date"):
		return "Date"
	case strings.HasPrefix(src, "z.undefined"):
		return "undefined"
	case strings.HasPrefix(src, "z.null"):
		return "null"
	case strings.HasPrefix(src, "z.any"):
		return "any"
	case strings.HasPrefix(src, "z.unknown"):
		return "unknown"
	case strings.HasPrefix(src, "z.array("):
		return ZodSourceToType(jsSlice(src, len("z.array("))) + "[]"
	case strings.HasPrefix(src, "z.enum("):
		inner := jsSlice(src, len("z.enum("))
		if m := reEnumList.FindStringSubmatch(inner); m != nil && m[1] != "" {
			parts := strings.Split(m[1], ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return strings.Join(parts, " | ")
		}
	}
	return "unknown /* " + src + " */"
}

// jsSlice is JavaScript's s.slice(start, -1): empty when the end falls
// before the start.
func jsSlice(s string, start int) string {
	end := len(s) - 1
	if end <= start {
		return ""
	}
	return s[start:end]
}

func zodObjectFieldsToType(inner string) string {
	content := strings.TrimSpace(inner)
	content = strings.TrimPrefix(content, "{")
	content = strings.TrimSuffix(content, "}")
	var fields []string
	for _, m := range reZodField.FindAllStringSubmatch(content, -1) {
		schema := m[2]
		optional := strings.Contains(schema, ".optional()")
		schema = strings.Replace(schema, ".optional()", "", 1)
		q := ""
		if optional {
			q = "?"
		}
		fields = append(fields, m[1]+q+": "+ZodSourceToType(schema))
	}
	return "{ " + strings.Join(fields, "; ") + " }"
}

// IsIdentWord reports whether s is a plain word, as the generator's \w+ needs.
func IsIdentWord(s string) bool { return reIdentWord.MatchString(s) }

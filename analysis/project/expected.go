package project

import (
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
			export := f.Generator().PluginExport
			if export == "" {
				continue
			}
			gp := GenPlugin{Name: f.Generator().PluginName, ExportName: export, Path: path, File: f}
			if gp.Name == "" {
				gp.Name = filepath.Base(filepath.Dir(path))
				gp.NameFromFolder = true
			}
			for i := range f.Plugins {
				if f.Plugins[i].ExportName == export {
					gp.Def = &f.Plugins[i]
				}
			}
			e.Plugins = append(e.Plugins, gp)
		}
	}
	seenH, seenM := map[string]bool{}, map[string]bool{}
	for i := range e.Plugins {
		gp := &e.Plugins[i]
		if gp.File.SyntaxErrors && !gp.File.StaleFacts {
			e.KeysUncertain = true
		}
		for _, k := range gp.File.Generator().HandlerKeys {
			if !seenH[k] {
				seenH[k] = true
				e.Handlers = append(e.Handlers, GenKey{Name: k, Plugin: gp, Range: keyRange(gp, k, true)})
			}
		}
		for _, k := range gp.File.Generator().MiddlewareKeys {
			if !seenM[k] {
				seenM[k] = true
				e.Middleware = append(e.Middleware, GenKey{Name: k, Plugin: gp, Range: keyRange(gp, k, false)})
			}
		}
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
	for i, path := range paths {
		f := files[i]
		if f.Kind != facts.KindSource || f.Missing {
			continue
		}
		if f.SyntaxErrors && !f.StaleFacts && len(f.Routes) == 0 && strings.Contains(path, "route") {
			e.RoutesUncertain = true
		}
		if f.SyntaxErrors && !f.StaleFacts && len(f.Routes) > 0 {
			e.RoutesUncertain = true
		}
		// A file's routes are mostly on one router: whether it is served
		// is asked once per run of routes on the same variable, not once
		// per route (10,000 lookups of a file and variable per keystroke).
		mounted, onVar, asked := false, "", false
		for i := range f.Routes {
			r := &f.Routes[i]
			switch run.Status {
			case EntryMissing, EntryEmpty:
				continue
			case EntryRuns:
				if run.Uncertain {
					break
				}
				if !asked || r.RouterVar != onVar {
					mounted, onVar, asked = run.RouteMounted(path, r), r.RouterVar, true
				}
				if !mounted {
					continue
				}
			}
			e.Routes = append(e.Routes, GenRoute{Route: r, Path: path, Name: r.FullName})
		}
	}
	if run.Status == EntryRuns && len(run.Copies) > 0 {
		e.Routes = p.appendCopies(e.Routes, run.Copies)
	}
	if run.Status == EntryRuns && run.Uncertain {
		e.RoutesUncertain = true
	}
	return e
}

// expectedSame reports whether two versions of a file read the same to
// freshExpected, apart from what patchExpected takes from the new one: the
// pointers into its facts (a plugin's file and definition, its routes),
// the key ranges, and the services and events, which it computes again.
// The entry model is compared by identity (computeEntry). A fact read
// there must be compared here too.
func expectedSame(a, b *facts.File) bool {
	if a.Path != b.Path || a.Kind != b.Kind || a.Missing != b.Missing ||
		a.SyntaxErrors != b.SyntaxErrors || a.StaleFacts != b.StaleFacts {
		return false
	}
	if a.Kind == facts.KindMigration {
		return false // the schemas replay them
	}
	g, h := a.Generator(), b.Generator()
	return g.PluginExport == h.PluginExport && g.PluginName == h.PluginName &&
		slices.Equal(g.HandlerKeys, h.HandlerKeys) && slices.Equal(g.MiddlewareKeys, h.MiddlewareKeys) &&
		slices.EqualFunc(a.Plugins, b.Plugins, func(x, y facts.Plugin) bool { return x.ExportName == y.ExportName }) &&
		slices.EqualFunc(a.Routes, b.Routes, func(x, y facts.Route) bool {
			return x.RouterVar == y.RouterVar && x.FullName == y.FullName
		})
}

// patchExpected is prev with the changed files' facts in place of the old:
// their plugins, key ranges and routes point into the new facts, and the
// services and events are computed again. It returns nil when a changed
// file's routes are copied by parent.router(child), whose copies depend on
// where each route stands (freshExpected then computes them).
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
		if c.Old.Generator().PluginExport != "" && !e.patchPlugin(c.Old, c.New) {
			return nil
		}
		if len(c.Old.Routes) > 0 {
			e.Routes = patchRoutes(e.Routes, c.Old, c.New)
		}
	}
	e.Services = p.expectedServices()
	e.EventsFile, e.Events = p.expectedEvents()
	return &e
}

// patchPlugin points the plugins old defines that the generator finds
// at new, with everything that points at them: the keys, whose ranges are
// read again, and the schemas. The slices are copies; prev's are shared
// with the snapshot it belongs to. It reports false when a key or schema
// points at no plugin of the list, which freshExpected never builds.
func (e *Expected) patchPlugin(old, new *facts.File) bool {
	if !slices.ContainsFunc(e.Plugins, func(gp GenPlugin) bool { return gp.File == old }) {
		return true
	}
	before := e.Plugins
	e.Plugins = slices.Clone(before)
	for i := range e.Plugins {
		gp := &e.Plugins[i]
		if gp.File != old {
			continue
		}
		gp.File = new
		for k := range old.Plugins {
			if &old.Plugins[k] == gp.Def {
				gp.Def = &new.Plugins[k]
			}
		}
	}
	// Keys and schemas were added in plugin order, so one cursor over the
	// old slice finds each one's plugin.
	repoint := func(ptr **GenPlugin, j *int) bool {
		for *j < len(before) && &before[*j] != *ptr {
			*j++
		}
		if *j == len(before) {
			return false
		}
		*ptr = &e.Plugins[*j]
		return true
	}
	for _, handlers := range []bool{true, false} {
		keys := &e.Middleware
		if handlers {
			keys = &e.Handlers
		}
		*keys = slices.Clone(*keys)
		j := 0
		for i := range *keys {
			k := &(*keys)[i]
			if !repoint(&k.Plugin, &j) {
				return false
			}
			if k.Plugin.File == new {
				k.Range = keyRange(k.Plugin, k.Name, handlers)
			}
		}
	}
	e.Schemas = slices.Clone(e.Schemas)
	j := 0
	for i := range e.Schemas {
		if !repoint(&e.Schemas[i].Plugin, &j) {
			return false
		}
	}
	return true
}

// patchRoutes points old's routes in routes at new's (the same routes, in
// the same order: expectedSame compared them). routes is sorted by path,
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

// appendCopies adds the routes parent.router(child) calls copy, kept in
// file order so that each file's routes stay one run.
func (p *Project) appendCopies(routes []GenRoute, copies []RouteCopy) []GenRoute {
	for _, c := range copies {
		f := p.files[c.From.Path]
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
		f := p.files[path]
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
		if f := p.files[path]; f != nil && !f.Missing && len(f.Events()) > 0 {
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
	f := p.files[path]
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
	sep := string(filepath.Separator)
	for i := range plugins {
		gp := &plugins[i]
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
			continue
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
		out = append(out, built)
	}
	return out
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

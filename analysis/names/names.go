// Package names indexes every definition and use of the framework's names in
// one project snapshot: plugin names, service methods, middleware, routes and
// events. TypeScript cannot follow these well (they are strings, or reach code
// through generated types that may be stale), so navigation answers from this
// index instead. It is built from facts alone, once per snapshot.
package names

import (
	"sort"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Kind is the sort of name.
type Kind uint8

const (
	Plugin     Kind = iota + 1
	Method          // a service method; Name.Key is "plugin.method"
	Middleware      // a middleware key; middleware names are global at runtime
	Route           // a route; Name.Key is its full name
	Event           // an event name
)

func (k Kind) String() string {
	switch k {
	case Plugin:
		return "plugin"
	case Method:
		return "method"
	case Middleware:
		return "middleware"
	case Route:
		return "route"
	case Event:
		return "event"
	}
	return "unknown"
}

// Name identifies one framework name.
type Name struct {
	Kind Kind
	Key  string
}

// Via says what an occurrence is, for hover text and tests.
type Via string

const (
	ViaPluginName    Via = "name"           // name: "x" in define({...})
	ViaDependency    Via = "dependencies"   // an entry of dependencies: [...]
	ViaCtxPlugins    Via = "ctx.plugins"    // ctx.plugins.<x> in a route handler
	ViaCtxDeps       Via = "ctx.deps"       // ctx.deps.<x> in a plugin
	ViaRegistration  Via = "registerPlugin" // the export passed to registerPlugin
	ViaRegistry      Via = "registry"       // a PluginRegistry key in registry.d.ts
	ViaService       Via = "service"        // a key of the object service returns
	ViaMiddlewareKey Via = "middleware"     // a key of the plugin's middleware result
	ViaMiddlewareUse Via = ".middleware"    // <router>.middleware.<x>()
	ViaRoute         Via = "route"          // .route("x")
	ViaClient        Via = "client"         // a route method of the generated client
	ViaDefineEvents  Via = "defineEvents"   // a defineEvents key or a plugin's events key
	ViaEmit          Via = "emit/on"        // emit("x") / on("x")
	ViaEventMap      Via = "events.ts"      // an EventMap entry of the generated events
)

// Occurrence is one place a name is written.
type Occurrence struct {
	Name Name
	Path string
	// Range is the token: the identifier, or the string literal with its
	// quotes (Quoted).
	Range     analysis.Range
	Quoted    bool
	Def       bool
	Generated bool
	Via       Via
	// Renamable is set when rewriting this token renames the name: false
	// for generated files (typegen rewrites them) and for registerPlugin
	// arguments, which name the export, not the plugin.
	Renamable bool
}

// TextRange is the range of the name's own text: inside the quotes of a
// string literal. Quotes are one byte and one UTF-16 unit each.
func (o Occurrence) TextRange() analysis.Range {
	r := o.Range
	if o.Quoted && r.End.Offset-r.Start.Offset >= 2 {
		r.Start.Offset++
		r.Start.Col++
		r.End.Offset--
		r.End.Col--
	}
	return r
}

// PluginInfo is what hover says about a plugin.
type PluginInfo struct {
	Name       string
	Path       string
	Def        *facts.Plugin
	Dependents []string
	// Registered lists the registerPlugin arguments that name its export.
	Registered []analysis.Location
}

// RouteInfo is one route definition with its file.
type RouteInfo struct {
	Path  string
	Route *facts.Route
}

// EventInfo is one event declaration with its file.
type EventInfo struct {
	Path  string
	Event *facts.Event
}

// Index is every occurrence in one snapshot.
type Index struct {
	byName map[Name][]Occurrence
	byFile map[string][]Occurrence // sorted by start offset
	// Plugins by name; a name defined twice keeps the first in path order.
	Plugins map[string]*PluginInfo
	Routes  map[string][]RouteInfo
	Events  map[string][]EventInfo
	names   []Name // sorted, for symbol search
}

type memoKey struct{}

// For returns the index of p, built at most once per snapshot.
func For(p *project.Project) *Index {
	return p.Memo(memoKey{}, func() any { return Build(p) }).(*Index)
}

// Build indexes every file of p.
func Build(p *project.Project) *Index {
	ix := &Index{
		byName:  map[Name][]Occurrence{},
		byFile:  map[string][]Occurrence{},
		Plugins: map[string]*PluginInfo{},
		Routes:  map[string][]RouteInfo{},
		Events:  map[string][]EventInfo{},
	}
	byExport := map[string]*PluginInfo{}
	// First pass: definitions, so uses can be checked against them.
	p.EachFile(func(f *facts.File) {
		if f.Missing || f.Unreadable || f.Kind.IsGenerated() {
			return
		}
		for i := range f.Plugins {
			pl := &f.Plugins[i]
			if !pl.NameKnown || pl.Name == "" {
				continue
			}
			if _, dup := ix.Plugins[pl.Name]; !dup {
				info := &PluginInfo{Name: pl.Name, Path: f.Path, Def: pl}
				ix.Plugins[pl.Name] = info
				if pl.ExportName != "" {
					byExport[pl.ExportName] = info
				}
			}
		}
	})
	p.EachFile(func(f *facts.File) {
		if f.Missing || f.Unreadable {
			return
		}
		if f.Kind.IsGenerated() {
			ix.generated(f)
			return
		}
		ix.source(f, byExport)
	})
	for _, info := range ix.Plugins {
		sort.Strings(info.Dependents)
	}
	for _, occ := range ix.byFile {
		sort.SliceStable(occ, func(i, j int) bool { return occ[i].Range.Start.Offset < occ[j].Range.Start.Offset })
	}
	for n, occ := range ix.byName {
		sort.SliceStable(occ, func(i, j int) bool {
			if occ[i].Path != occ[j].Path {
				return occ[i].Path < occ[j].Path
			}
			return occ[i].Range.Start.Offset < occ[j].Range.Start.Offset
		})
		ix.names = append(ix.names, n)
	}
	sort.Slice(ix.names, func(i, j int) bool {
		if ix.names[i].Kind != ix.names[j].Kind {
			return ix.names[i].Kind < ix.names[j].Kind
		}
		return ix.names[i].Key < ix.names[j].Key
	})
	return ix
}

func (ix *Index) add(o Occurrence) {
	if o.Range.IsZero() || o.Name.Key == "" {
		return
	}
	ix.byName[o.Name] = append(ix.byName[o.Name], o)
	ix.byFile[o.Path] = append(ix.byFile[o.Path], o)
}

func (ix *Index) source(f *facts.File, byExport map[string]*PluginInfo) {
	for i := range f.Plugins {
		pl := &f.Plugins[i]
		if !pl.NameKnown || pl.Name == "" {
			continue
		}
		ix.add(Occurrence{Name: Name{Plugin, pl.Name}, Path: f.Path, Range: pl.NameRange, Quoted: true, Def: true, Via: ViaPluginName, Renamable: true})
		for _, d := range pl.Dependencies {
			ix.add(Occurrence{Name: Name{Plugin, d.Name}, Path: f.Path, Range: d.Range, Quoted: true, Via: ViaDependency, Renamable: true})
			if info := ix.Plugins[d.Name]; info != nil {
				info.Dependents = append(info.Dependents, pl.Name)
			}
		}
		for _, m := range pl.ServiceMethods {
			ix.add(Occurrence{Name: Name{Method, pl.Name + "." + m.Name}, Path: f.Path, Range: m.Range, Quoted: isQuoted(m.Range, len(m.Name)), Def: true, Via: ViaService, Renamable: true})
		}
		for _, m := range pl.MiddlewareKeys {
			ix.add(Occurrence{Name: Name{Middleware, m.Name}, Path: f.Path, Range: m.Range, Quoted: isQuoted(m.Range, len(m.Name)), Def: true, Via: ViaMiddlewareKey, Renamable: true})
		}
		for _, e := range pl.EventKeys {
			ix.add(Occurrence{Name: Name{Event, e.Name}, Path: f.Path, Range: e.Range, Quoted: isQuoted(e.Range, len(e.Name)), Def: true, Via: ViaDefineEvents, Renamable: true})
		}
		for _, u := range pl.DepUses {
			ix.memberUse(f.Path, ViaCtxDeps, u.Plugin, u.PluginRange, u.Method, u.MethodRange)
		}
	}
	for i := range f.Routes {
		r := &f.Routes[i]
		ix.add(Occurrence{Name: Name{Route, r.FullName}, Path: f.Path, Range: r.NameRange, Quoted: true, Def: true, Via: ViaRoute, Renamable: r.PrefixKnown})
		ix.Routes[r.FullName] = append(ix.Routes[r.FullName], RouteInfo{Path: f.Path, Route: r})
		for _, u := range r.CtxUses {
			if u.Member == "plugins" && u.Plugin != "" {
				ix.memberUse(f.Path, ViaCtxPlugins, u.Plugin, u.PluginRange, u.Method, u.MethodRange)
			}
		}
	}
	for i := range f.Registrations {
		reg := &f.Registrations[i]
		info := byExport[reg.Ident]
		if info == nil {
			continue
		}
		loc := analysis.Location{Path: f.Path, Range: reg.Range}
		info.Registered = append(info.Registered, loc)
		rng := reg.Range
		if reg.Factory {
			// registerPlugin(x({...})): only the callee names the export.
			rng.End = rng.Start
			rng.End.Offset += len(reg.Ident)
			rng.End.Col += len(reg.Ident)
		}
		ix.add(Occurrence{Name: Name{Plugin, info.Name}, Path: f.Path, Range: rng, Via: ViaRegistration})
	}
	for i := range f.Events {
		e := &f.Events[i]
		ix.add(Occurrence{Name: Name{Event, e.Name}, Path: f.Path, Range: e.Range, Quoted: isQuoted(e.Range, len(e.Name)), Def: true, Via: ViaDefineEvents, Renamable: true})
		ix.Events[e.Name] = append(ix.Events[e.Name], EventInfo{Path: f.Path, Event: e})
	}
	for _, u := range f.EventUses {
		ix.add(Occurrence{Name: Name{Event, u.Name}, Path: f.Path, Range: u.Range, Quoted: true, Via: ViaEmit, Renamable: true})
	}
	for _, u := range f.MiddlewareUses {
		ix.add(Occurrence{Name: Name{Middleware, u.Name}, Path: f.Path, Range: u.Range, Via: ViaMiddlewareUse, Renamable: true})
	}
}

// isQuoted tells a string-literal key from an identifier key by its length:
// the facts keep the key's range, and a literal is its text plus quotes.
func isQuoted(r analysis.Range, nameLen int) bool {
	return r.End.Offset-r.Start.Offset == nameLen+2
}

func (ix *Index) memberUse(path string, via Via, plugin string, prng analysis.Range, method string, mrng analysis.Range) {
	ix.add(Occurrence{Name: Name{Plugin, plugin}, Path: path, Range: prng, Via: via, Renamable: true})
	if method != "" {
		ix.add(Occurrence{Name: Name{Method, plugin + "." + method}, Path: path, Range: mrng, Via: via, Renamable: true})
	}
}

func (ix *Index) generated(f *facts.File) {
	g := f.Generated
	if g == nil {
		return
	}
	for _, e := range g.RegistryPlugins {
		ix.add(Occurrence{Name: Name{Plugin, e.Name}, Path: f.Path, Range: e.Range, Quoted: isQuoted(e.Range, len(e.Name)), Generated: true, Via: ViaRegistry})
	}
	for _, c := range g.ClientRoutes {
		ix.add(Occurrence{Name: Name{Route, c.Name}, Path: f.Path, Range: c.Range, Quoted: isQuoted(c.Range, len(c.Name)), Generated: true, Via: ViaClient})
	}
	for _, e := range g.Events {
		ix.add(Occurrence{Name: Name{Event, e.Name}, Path: f.Path, Range: e.Range, Quoted: isQuoted(e.Range, len(e.Name)), Generated: true, Via: ViaEventMap})
	}
}

// At returns the occurrence under the byte offset in path. A cursor just
// after a token still counts as on it, as editors place it there after a
// double click or at the end of a word.
func (ix *Index) At(path string, offset int) (Occurrence, bool) {
	occ := ix.byFile[path]
	i := sort.Search(len(occ), func(i int) bool { return occ[i].Range.Start.Offset > offset })
	// Nested ranges do not occur (tokens do not overlap), so the last one
	// starting at or before offset is the only candidate, bar one ending
	// exactly where the next starts.
	for j := i - 1; j >= 0 && j >= i-2; j-- {
		if occ[j].Range.Contains(offset) {
			return occ[j], true
		}
	}
	return Occurrence{}, false
}

// Occurrences lists every occurrence of n, in path and offset order. The
// slice is shared: do not modify it.
func (ix *Index) Occurrences(n Name) []Occurrence { return ix.byName[n] }

// Defs lists the definitions of n.
func (ix *Index) Defs(n Name) []Occurrence {
	var out []Occurrence
	for _, o := range ix.byName[n] {
		if o.Def {
			out = append(out, o)
		}
	}
	return out
}

// InFile lists the occurrences in path by offset. Shared: do not modify.
func (ix *Index) InFile(path string) []Occurrence { return ix.byFile[path] }

// Names lists every name that has an occurrence, by kind then key.
func (ix *Index) Names() []Name { return ix.names }

// Symbol is a match of a workspace symbol query.
type Symbol struct {
	Name  Name
	Def   Occurrence
	Score int
}

// Search returns the definitions whose key fuzzily matches query (its
// characters in order, case-insensitively), best first, at most limit.
// Contiguous matches, matches at word starts and shorter keys rank higher.
func (ix *Index) Search(query string, limit int) []Symbol {
	q := strings.ToLower(query)
	var out []Symbol
	for _, n := range ix.names {
		score, ok := fuzzy(q, n.Key)
		if !ok {
			continue
		}
		for _, d := range ix.byName[n] {
			if d.Def {
				out = append(out, Symbol{Name: n, Def: d, Score: score})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if len(out[i].Name.Key) != len(out[j].Name.Key) {
			return len(out[i].Name.Key) < len(out[j].Name.Key)
		}
		return out[i].Name.Key < out[j].Name.Key
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// fuzzy scores key against a lower-case query; ok is false when the
// query's characters do not all appear in order.
func fuzzy(q, key string) (int, bool) {
	if q == "" {
		return 0, true
	}
	k := strings.ToLower(key)
	if k == q {
		return 1000, true
	}
	if strings.HasPrefix(k, q) {
		return 800 - len(k), true
	}
	if i := strings.Index(k, q); i >= 0 {
		bonus := 0
		if k[i-1] == '.' || k[i-1] == '-' || k[i-1] == '_' {
			bonus = 100
		}
		return 500 + bonus - len(k), true
	}
	score, qi, prev := 0, 0, -2
	for i := 0; i < len(k) && qi < len(q); i++ {
		if k[i] != q[qi] {
			continue
		}
		switch {
		case i == prev+1:
			score += 5
		case i == 0 || k[i-1] == '.' || k[i-1] == '-' || k[i-1] == '_':
			score += 3
		default:
			score++
		}
		prev = i
		qi++
	}
	if qi < len(q) {
		return 0, false
	}
	return score, true
}

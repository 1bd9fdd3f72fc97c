// Package names indexes every definition and use of the framework's names in
// one project snapshot: plugin names, service methods, middleware, routes and
// events. TypeScript cannot follow these well (they are strings, or reach code
// through generated types that may be stale), so navigation answers from this
// index instead. It is built from facts alone, once per snapshot.
package names

import (
	"slices"
	"sort"
	"strings"
	"sync"

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
	Handler         // a handler kind: typed, raw, ... or a plugin's handlers key
	Table           // a database table
	Column          // a table's column; Name.Key is "table.column"
	Error           // a custom error: a plugin's customErrors key, ctx.errors.<Name>
	Job             // a job name of the core jobs service
	Process         // a process name of the core processes service
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
	case Handler:
		return "handler"
	case Table:
		return "table"
	case Column:
		return "column"
	case Error:
		return "error"
	case Job:
		return "job"
	case Process:
		return "process"
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
	ViaHandlerKey    Via = "handlers"       // a key of a plugin's handlers
	ViaHandlerUse    Via = ".handler"       // .route("x").<kind>({...})
	ViaMigration     Via = "migration"      // createTable/addColumn in a migration
	ViaQuery         Via = "query"          // a table or column string in a Kysely query on ctx.db
	ViaClientCall    Via = "client call"    // api.<route>(...) in app code
	ViaListen        Via = "on"             // on("x"): a listener (ViaEmit is the emit)
	ViaErrorKey      Via = "customErrors"   // a key of a plugin's customErrors
	ViaErrorUse      Via = "ctx.errors"     // ctx.errors.<Name>
	ViaRegister      Via = "register"       // jobs.register("x") / processes.register({ name: "x" })
	ViaNamedUse      Via = "call"           // jobs.enqueue("x"), processes.spawn("x"), ...
)

// BuiltinErrors are the errors the server's ctx.errors always has.
var BuiltinErrors = []string{"BadRequest", "Unauthorized", "Forbidden", "NotFound", "MethodNotAllowed", "Conflict", "Gone",
	"UnprocessableEntity", "TooManyRequests", "InternalServer", "NotImplemented", "BadGateway", "ServiceUnavailable", "GatewayTimeout"}

// IsBuiltinError reports whether name is one of BuiltinErrors.
func IsBuiltinError(name string) bool {
	return slices.Contains(BuiltinErrors, name)
}

// BuiltinHandlers are the handler kinds the server itself provides.
var BuiltinHandlers = []string{"typed", "raw", "stream", "sse", "formData", "html"}

// IsBuiltinHandler reports whether kind is one of BuiltinHandlers.
func IsBuiltinHandler(kind string) bool {
	return slices.Contains(BuiltinHandlers, kind)
}

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
	// Export is the plugin export a registerPlugin argument names.
	Export string
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

// Index is every occurrence in one snapshot. Each file's occurrences depend
// on that file's facts alone, so they are kept across the snapshots of one
// Load while the file is unchanged (project.Reuse): after an edit, building
// the index costs one file's occurrences and a pass over the plugins, not
// every file's. Queries by name scan the per-file lists; that is a few
// hundred thousand comparisons on the largest projects, cheaper than
// building a map of every name per snapshot.
type Index struct {
	files []*fileOccurrences // by path; shared with later snapshots: read only
	// byPath finds a file's entry in files.
	byPath map[string]int
	// Plugins by name; a name defined twice keeps the first in path order.
	Plugins  map[string]*PluginInfo
	byExport map[string]*PluginInfo
	// clientNames maps the name a client call spells (ClientSpelling) to
	// the route's full name; only client calls found there are routes.
	// Built on first use from routeFiles: most requests never need it.
	clientOnce  sync.Once
	clientNames map[string]string
	routeFiles  []*facts.File
}

type fileOccurrences struct {
	path string
	occ  []Occurrence // sorted by start offset
	// keys has two bits set per key written in the file (a name, or the
	// export a registration names): a query skips every file whose keys
	// lack its bits, so it reads the few files that may hold the name
	// instead of every occurrence of the project.
	keys keySet
}

// keySet is a 256-bit Bloom filter of the keys of one file: with the few
// dozen distinct keys of a route file, about 1 file in 25 that lacks a key
// still has to be read.
type keySet [4]uint64

func keyBits(key string) (uint8, uint8) {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return uint8(h), uint8(h >> 8)
}

func (k *keySet) add(key string) {
	a, b := keyBits(key)
	k[a>>6] |= 1 << (a & 63)
	k[b>>6] |= 1 << (b & 63)
}

// keyProbe is a key's two bits, hashed once per query rather than once
// per file.
type keyProbe struct {
	a, b uint8
	ok   bool
}

func probe(key string) keyProbe {
	if key == "" {
		return keyProbe{}
	}
	a, b := keyBits(key)
	return keyProbe{a, b, true}
}

func (k *keySet) mayHave(q keyProbe) bool {
	return q.ok && k[q.a>>6]&(1<<(q.a&63)) != 0 && k[q.b>>6]&(1<<(q.b&63)) != 0
}

type memoKey struct{}

type fileKey struct{ path string }

// For returns the index of p, built at most once per snapshot.
func For(p *project.Project) *Index {
	return p.Memo(memoKey{}, func() any { return Build(p) }).(*Index)
}

// Build indexes every file of p.
func Build(p *project.Project) *Index {
	ix := &Index{
		byPath:   map[string]int{},
		Plugins:  map[string]*PluginInfo{},
		byExport: map[string]*PluginInfo{},
	}
	p.EachFile(func(f *facts.File) {
		if f.Missing || f.Unreadable || f.Kind.IsGenerated() {
			return
		}
		if len(f.Routes) > 0 {
			ix.routeFiles = append(ix.routeFiles, f)
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
					ix.byExport[pl.ExportName] = info
				}
			}
		}
	})
	p.EachFile(func(f *facts.File) {
		if f.Missing || f.Unreadable {
			return
		}
		for i := range f.Plugins {
			pl := &f.Plugins[i]
			for _, d := range pl.Dependencies {
				if info := ix.Plugins[d.Name]; info != nil && pl.NameKnown {
					info.Dependents = append(info.Dependents, pl.Name)
				}
			}
		}
		for i := range f.Registrations() {
			reg := &f.Registrations()[i]
			if info := ix.byExport[reg.Ident]; info != nil {
				info.Registered = append(info.Registered, analysis.Location{Path: f.Path, Range: reg.Range})
			}
		}
		fo := p.Reuse(fileKey{f.Path}, []*facts.File{f}, func() any { return fileOccurrencesOf(f) }).(*fileOccurrences)
		if len(fo.occ) > 0 {
			ix.byPath[f.Path] = len(ix.files)
			ix.files = append(ix.files, fo)
		}
	})
	for _, info := range ix.Plugins {
		slices.Sort(info.Dependents)
	}
	return ix
}

// fileOccurrencesOf lists one file's occurrences by offset. Registrations
// are kept with the export they name (Name.Key empty): which plugin that
// is depends on other files, so it is resolved per query.
func fileOccurrencesOf(f *facts.File) *fileOccurrences {
	b := &builder{path: f.Path}
	if f.Kind.IsGenerated() {
		b.generated(f)
	} else {
		b.source(f)
	}
	sort.SliceStable(b.occ, func(i, j int) bool { return b.occ[i].Range.Start.Offset < b.occ[j].Range.Start.Offset })
	fo := &fileOccurrences{path: f.Path, occ: b.occ}
	for i := range b.occ {
		fo.keys.add(b.occ[i].Name.Key)
		if b.occ[i].Export != "" {
			fo.keys.add(b.occ[i].Export)
		}
	}
	return fo
}

type builder struct {
	path string
	occ  []Occurrence
}

func (b *builder) add(o Occurrence) {
	if o.Range.IsZero() || (o.Name.Key == "" && o.Export == "") {
		return
	}
	o.Path = b.path
	b.occ = append(b.occ, o)
}

func (b *builder) source(f *facts.File) {
	for i := range f.Plugins {
		pl := &f.Plugins[i]
		if !pl.NameKnown || pl.Name == "" {
			continue
		}
		b.add(Occurrence{Name: Name{Plugin, pl.Name}, Range: pl.NameRange, Quoted: true, Def: true, Via: ViaPluginName, Renamable: true})
		for _, d := range pl.Dependencies {
			b.add(Occurrence{Name: Name{Plugin, d.Name}, Range: d.Range, Quoted: true, Via: ViaDependency, Renamable: true})
		}
		for _, m := range pl.ServiceMethods {
			b.add(Occurrence{Name: Name{Method, pl.Name + "." + m.Name}, Range: m.Range, Quoted: isQuoted(m.Range, len(m.Name)), Def: true, Via: ViaService, Renamable: true})
		}
		for _, m := range pl.MiddlewareKeys {
			b.add(Occurrence{Name: Name{Middleware, m.Name}, Range: m.Range, Quoted: isQuoted(m.Range, len(m.Name)), Def: true, Via: ViaMiddlewareKey, Renamable: true})
		}
		for _, h := range pl.HandlerKeys {
			b.add(Occurrence{Name: Name{Handler, h.Name}, Range: h.Range, Quoted: isQuoted(h.Range, len(h.Name)), Def: true, Via: ViaHandlerKey, Renamable: true})
		}
		for _, e := range pl.EventKeys {
			b.add(Occurrence{Name: Name{Event, e.Name}, Range: e.Range, Quoted: isQuoted(e.Range, len(e.Name)), Def: true, Via: ViaDefineEvents, Renamable: true})
		}
		for _, u := range pl.DepUses {
			b.memberUse(ViaCtxDeps, u.Plugin, u.PluginRange, u.Method, u.MethodRange)
		}
		for _, k := range pl.CustomErrors {
			b.add(Occurrence{Name: Name{Error, k.Name}, Range: k.Range, Quoted: isQuoted(k.Range, len(k.Name)), Def: true, Via: ViaErrorKey, Renamable: true})
		}
		for _, k := range pl.ErrorUses {
			b.add(Occurrence{Name: Name{Error, k.Name}, Range: k.Range, Via: ViaErrorUse, Renamable: true})
		}
	}
	for i := range f.Routes {
		r := &f.Routes[i]
		b.add(Occurrence{Name: Name{Route, r.FullName}, Range: r.NameRange, Quoted: true, Def: true, Via: ViaRoute, Renamable: r.PrefixKnown})
		if r.Kind != "" {
			b.add(Occurrence{Name: Name{Handler, r.Kind}, Range: r.KindRange, Via: ViaHandlerUse, Renamable: true})
		}
		for _, u := range r.CtxUses {
			switch {
			case u.Member == "plugins" && u.Plugin != "":
				b.memberUse(ViaCtxPlugins, u.Plugin, u.PluginRange, u.Method, u.MethodRange)
			case (u.Member == "errors" || u.Member == "core") && u.Method != "":
				b.add(Occurrence{Name: Name{Error, u.Method}, Range: u.MethodRange, Via: ViaErrorUse, Renamable: true})
			}
		}
	}
	for i := range f.Registrations() {
		reg := &f.Registrations()[i]
		if reg.Ident == "" {
			continue
		}
		rng := reg.Range
		if reg.Factory {
			// registerPlugin(x({...})): only the callee names the export.
			rng.End = rng.Start
			rng.End.Offset += int32(len(reg.Ident))
			rng.End.Col += int32(len(reg.Ident))
		}
		b.add(Occurrence{Name: Name{Kind: Plugin}, Export: reg.Ident, Range: rng, Via: ViaRegistration})
	}
	for i := range f.Events() {
		e := &f.Events()[i]
		b.add(Occurrence{Name: Name{Event, e.Name}, Range: e.Range, Quoted: isQuoted(e.Range, len(e.Name)), Def: true, Via: ViaDefineEvents, Renamable: true})
	}
	for _, u := range f.EventUses() {
		via := ViaEmit
		if u.Method == "on" {
			via = ViaListen
		}
		b.add(Occurrence{Name: Name{Event, u.Name}, Range: u.Range, Quoted: true, Via: via, Renamable: true})
	}
	for _, u := range f.TableUses() {
		n := Name{Table, u.Table}
		if u.Column != "" {
			n = Name{Column, u.Table + "." + u.Column}
		}
		b.add(Occurrence{Name: n, Range: u.Range, Quoted: isQuoted(u.Range, len(u.Column)) || isQuoted(u.Range, len(u.Table)), Via: ViaQuery})
	}
	for _, k := range f.Jobs().Registered {
		b.add(Occurrence{Name: Name{Job, k.Name}, Range: k.Range, Quoted: true, Def: true, Via: ViaRegister, Renamable: true})
	}
	for _, u := range f.Jobs().Used {
		b.add(Occurrence{Name: Name{Job, u.Name}, Range: u.Range, Quoted: true, Via: ViaNamedUse, Renamable: true})
	}
	for _, c := range f.NamedCalls() {
		k, via := Job, ViaNamedUse
		if c.Kind == "process" {
			k = Process
		}
		if c.Def {
			via = ViaRegister
		}
		b.add(Occurrence{Name: Name{k, c.Name}, Range: c.Range, Quoted: true, Def: c.Def, Via: via, Renamable: true})
	}
	for _, c := range f.ClientCalls {
		segs := make([]string, len(c.Segs))
		for i, s := range c.Segs {
			segs[i] = s.Name
		}
		rng := c.Segs[0].Range
		rng.End = c.Segs[len(c.Segs)-1].Range.End
		b.add(Occurrence{Name: Name{Route, strings.Join(segs, ".")}, Range: rng, Via: ViaClientCall, Renamable: true})
	}
	if m := f.Migration; m != nil {
		for _, op := range m.Ops {
			if op.Kind == facts.OpCreateTable {
				r := op.TableRange
				if r.IsZero() {
					r = op.Range
				}
				b.add(Occurrence{Name: Name{Table, op.Table}, Range: r, Quoted: isQuoted(r, len(op.Table)), Def: true, Via: ViaMigration})
			}
			if op.Kind == facts.OpCreateTable || op.Kind == facts.OpAlterTable {
				for _, c := range op.Add {
					b.add(Occurrence{Name: Name{Column, op.Table + "." + c.Name}, Range: c.Range, Quoted: isQuoted(c.Range, len(c.Name)), Def: true, Via: ViaMigration})
				}
			}
		}
	}
	for _, u := range f.MiddlewareUses() {
		b.add(Occurrence{Name: Name{Middleware, u.Name}, Range: u.Range, Via: ViaMiddlewareUse, Renamable: true})
	}
}

// isQuoted tells a string-literal key from an identifier key by its length:
// the facts keep the key's range, and a literal is its text plus quotes.
func isQuoted(r analysis.Range, nameLen int) bool {
	return int(r.End.Offset-r.Start.Offset) == nameLen+2
}

func (b *builder) memberUse(via Via, plugin string, prng analysis.Range, method string, mrng analysis.Range) {
	b.add(Occurrence{Name: Name{Plugin, plugin}, Range: prng, Via: via, Renamable: true})
	if method != "" {
		b.add(Occurrence{Name: Name{Method, plugin + "." + method}, Range: mrng, Via: via, Renamable: true})
	}
}

func (b *builder) generated(f *facts.File) {
	g := f.Generated
	if g == nil {
		return
	}
	for _, e := range g.RegistryPlugins {
		b.add(Occurrence{Name: Name{Plugin, e.Name}, Range: e.Range, Quoted: isQuoted(e.Range, len(e.Name)), Generated: true, Via: ViaRegistry})
	}
	for _, c := range g.ClientRoutes {
		b.add(Occurrence{Name: Name{Route, c.Name}, Range: c.Range, Quoted: isQuoted(c.Range, len(c.Name)), Generated: true, Via: ViaClient})
	}
	for _, e := range g.Events {
		b.add(Occurrence{Name: Name{Event, e.Name}, Range: e.Range, Quoted: isQuoted(e.Range, len(e.Name)), Generated: true, Via: ViaEventMap})
	}
}

// clients maps client spellings to route full names, built once.
func (ix *Index) clients() map[string]string {
	ix.clientOnce.Do(func() {
		ix.clientNames = map[string]string{}
		for _, f := range ix.routeFiles {
			for i := range f.Routes {
				if full := f.Routes[i].FullName; full != "" {
					ix.clientNames[ClientSpelling(full)] = full
				}
			}
		}
	})
	return ix.clientNames
}

// ClientSpelling is how the generated client spells a route's full name:
// the adapter's generator (adapter-sveltekit, buildRouteTree) nests an
// object per dot-separated segment, keeping the segments before the last as
// written, and names the method with toCamelCase of the last one (split on
// "-" and "_", each word capitalised, the first letter lower-cased): route
// `books.list-all` is called as api.books.listAll.
func ClientSpelling(full string) string {
	dot := strings.LastIndexByte(full, '.')
	ns, last := full[:dot+1], full[dot+1:]
	if !strings.ContainsAny(last, "-_") && (last == "" || last[0] < 'A' || last[0] > 'Z') {
		return full
	}
	var b strings.Builder
	b.WriteString(ns)
	for _, w := range strings.FieldsFunc(last, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	out := b.String()
	if len(out) > len(ns) {
		out = ns + strings.ToLower(out[len(ns):len(ns)+1]) + out[len(ns)+1:]
	}
	return out
}

// resolve names the plugin a registration registers; ok is false when its
// export is no plugin of the project.
func (ix *Index) resolve(o Occurrence) (Occurrence, bool) {
	if o.Via == ViaClientCall {
		full, ok := ix.clients()[o.Name.Key]
		o.Name.Key = full
		return o, ok
	}
	if o.Via != ViaRegistration {
		return o, true
	}
	info := ix.byExport[o.Export]
	if info == nil {
		return o, false
	}
	o.Name.Key = info.Name
	return o, true
}

// At returns the occurrence under the byte offset in path. A cursor just
// after a token still counts as on it, as editors place it there after a
// double click or at the end of a word.
func (ix *Index) At(path string, offset int) (Occurrence, bool) {
	i, ok := ix.byPath[path]
	if !ok {
		return Occurrence{}, false
	}
	occ := ix.files[i].occ
	n := sort.Search(len(occ), func(i int) bool { return int(occ[i].Range.Start.Offset) > offset })
	// Tokens do not overlap, so the last one starting at or before offset
	// is the candidate, or the one before it when a token ends exactly
	// where the next starts.
	for j := n - 1; j >= 0 && j >= n-2; j-- {
		if occ[j].Range.Contains(offset) {
			return ix.resolve(occ[j])
		}
	}
	return Occurrence{}, false
}

// each calls fn for every occurrence, registrations resolved, in path and
// offset order, until fn returns false.
func (ix *Index) each(fn func(Occurrence) bool) {
	for _, f := range ix.files {
		for _, o := range f.occ {
			if o.Via == ViaRegistration || o.Via == ViaClientCall {
				var ok bool
				if o, ok = ix.resolve(o); !ok {
					continue
				}
			}
			if !fn(o) {
				return
			}
		}
	}
}

// Occurrences lists every occurrence of n, in path and offset order.
func (ix *Index) Occurrences(n Name) []Occurrence {
	var out []Occurrence
	ix.EachOccurrence(n, func(o Occurrence) { out = append(out, o) })
	return out
}

// CountUses is the number of occurrences of n that are neither its
// definitions nor in generated files.
func (ix *Index) CountUses(n Name) int {
	uses := 0
	ix.EachOccurrence(n, func(o Occurrence) {
		if !o.Def && !o.Generated {
			uses++
		}
	})
	return uses
}

// EachOccurrence calls fn for every occurrence of n, in path and offset
// order, registrations and client calls resolved to n.
func (ix *Index) EachOccurrence(n Name, fn func(Occurrence)) {
	var export string
	if n.Kind == Plugin {
		if info := ix.Plugins[n.Key]; info != nil {
			export = info.Def.ExportName
		}
	}
	client := ""
	if n.Kind == Route {
		client = ClientSpelling(n.Key)
		if ix.clients()[client] != n.Key {
			client = ""
		}
	}
	pk, pe, pc := probe(n.Key), probe(export), probe(client)
	for _, f := range ix.files {
		if !f.keys.mayHave(pk) && !f.keys.mayHave(pe) && !f.keys.mayHave(pc) {
			continue
		}
		for _, o := range f.occ {
			switch {
			case o.Via == ViaClientCall:
				if client != "" && o.Name.Key == client {
					o.Name.Key = n.Key
					fn(o)
				}
			case o.Name == n:
				fn(o)
			case o.Via == ViaRegistration && export != "" && o.Export == export && ix.byExport[export].Name == n.Key:
				o.Name.Key = n.Key
				fn(o)
			}
		}
	}
}

// Defs lists the definitions of n.
func (ix *Index) Defs(n Name) []Occurrence {
	var out []Occurrence
	pk := probe(n.Key)
	for _, f := range ix.files {
		if !f.keys.mayHave(pk) {
			continue
		}
		for _, o := range f.occ {
			if o.Def && o.Name == n {
				out = append(out, o)
			}
		}
	}
	return out
}

// DefNames lists the keys of every defined name of a kind, sorted, once each.
func (ix *Index) DefNames(k Kind) []string {
	seen := map[string]bool{}
	var out []string
	ix.each(func(o Occurrence) bool {
		if o.Def && o.Name.Kind == k && !seen[o.Name.Key] {
			seen[o.Name.Key] = true
			out = append(out, o.Name.Key)
		}
		return true
	})
	slices.Sort(out)
	return out
}

// InFile lists the occurrences in path by offset, registrations unresolved.
// Shared: do not modify.
func (ix *Index) InFile(path string) []Occurrence {
	if i, ok := ix.byPath[path]; ok {
		return ix.files[i].occ
	}
	return nil
}

// RoutesNamed lists the definitions of the route with this full name.
func (ix *Index) RoutesNamed(p *project.Project, full string) []RouteInfo {
	var out []RouteInfo
	for _, d := range ix.Defs(Name{Route, full}) {
		if f := p.File(d.Path); f != nil {
			for i := range f.Routes {
				if f.Routes[i].NameRange == d.Range {
					out = append(out, RouteInfo{Path: d.Path, Route: &f.Routes[i]})
				}
			}
		}
	}
	return out
}

// EventsNamed lists the defineEvents declarations of an event.
func (ix *Index) EventsNamed(p *project.Project, name string) []EventInfo {
	var out []EventInfo
	for _, d := range ix.Defs(Name{Event, name}) {
		if f := p.File(d.Path); f != nil {
			for i := range f.Events() {
				if f.Events()[i].Range == d.Range {
					out = append(out, EventInfo{Path: d.Path, Event: &f.Events()[i]})
				}
			}
		}
	}
	return out
}

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
	ix.each(func(o Occurrence) bool {
		if !o.Def {
			return true
		}
		if score, ok := fuzzy(q, o.Name.Key); ok {
			out = append(out, Symbol{Name: o.Name, Def: o, Score: score})
		}
		return true
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if len(out[i].Name.Key) != len(out[j].Name.Key) {
			return len(out[i].Name.Key) < len(out[j].Name.Key)
		}
		if out[i].Name.Key != out[j].Name.Key {
			return out[i].Name.Key < out[j].Name.Key
		}
		return out[i].Name.Kind < out[j].Name.Kind
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

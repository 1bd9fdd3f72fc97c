// Package impact classifies an edit by what it requires of a running
// development setup, following the framework's hot-reload table: nothing,
// regenerate types, restart the server, both, or migrate and regenerate.
//
// Typegen is decided by comparing what the generator would write before and
// after the edit, never by file type, so an edit that does not change the
// generator's output (a service body, a comment) never asks for it. Restart
// is decided by the code a running server loaded: plugin, service, events and
// entry code, and anything they import, compared without comments.
package impact

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Action is a set of things an edit requires.
type Action uint8

const (
	// Typegen: the generator's outputs no longer match the sources.
	Typegen Action = 1 << iota
	// Restart: the running server holds code that changed (plugins are built once at start).
	Restart
	// Migrate: a migration was added or changed; the server runs migrations at start.
	Migrate
	// RouteReload: route code changed; a server that reloads routes itself
	// (bun --hot, the SvelteKit adapter) needs nothing, any other needs a restart.
	RouteReload
)

// Has reports whether a includes any action of b.
func (a Action) Has(b Action) bool { return a&b != 0 }

func (a Action) String() string {
	if a == 0 {
		return "nothing"
	}
	var parts []string
	for _, x := range []struct {
		a    Action
		name string
	}{{Migrate, "migrate"}, {Typegen, "typegen"}, {Restart, "restart"}, {RouteReload, "route reload"}} {
		if a.Has(x.a) {
			parts = append(parts, x.name)
		}
	}
	return strings.Join(parts, "+")
}

// Reason explains one part of a verdict.
type Reason struct {
	// Path is the file the reason is about; "" for a project-wide reason
	// (the generated client's route list, the services, the schemas).
	Path   string
	Action Action
	// What changed, in words a developer reads in a log line: `handler key "xml" added`.
	What string
	// ServiceOnly is set when the edit to a plugin file is inside that
	// plugin's service function and nowhere else (the rest of the file is the
	// same code: handler and middleware keys, name, dependencies, init,
	// events, customErrors, imports, module-level code), so the running
	// server can rebuild the service in place instead of restarting.
	ServiceOnly *ServiceEdit
}

// ServiceEdit names the plugin whose service body alone changed.
type ServiceEdit struct {
	Plugin string // its name: the key of the runtime's services map
	Export string // the exported const holding its definition (or config factory)
}

// Verdict is the classification of a set of changed files.
type Verdict struct {
	Action  Action
	Reasons []Reason
}

func (v *Verdict) add(path string, a Action, format string, args ...any) {
	v.Action |= a
	v.Reasons = append(v.Reasons, Reason{Path: path, Action: a, What: fmt.Sprintf(format, args...)})
}

// Classify compares two snapshots of the same project over the changed paths.
func Classify(before, after *project.Project, changed []string) Verdict {
	var v Verdict
	if before == nil || after == nil {
		return v
	}
	root := after.Root()
	graph := newImportGraph(after)
	for _, p := range dedupe(changed) {
		p = filepath.Clean(p)
		old, cur := before.File(p), after.File(p)
		base := filepath.Base(p)
		switch {
		case p == filepath.Join(root, project.ConfigFile):
			v.add(p, Typegen|Restart, "donkeylabs.config.ts changed")
			continue
		case p == filepath.Join(root, "package.json"):
			v.add(p, Restart, "package.json changed")
			continue
		case filepath.Dir(p) == root && (base == ".env" || strings.HasPrefix(base, ".env.")):
			v.add(p, Restart, "%s changed", base)
			continue
		}
		if isGeneratedKind(old) || isGeneratedKind(cur) || after.IsGenerated(p) {
			continue // outputs only: types, no runtime effect
		}
		if same(old, cur) {
			continue
		}
		if cur != nil && cur.SyntaxErrors {
			// Restarting into a file that does not parse only trades one
			// error for another; the edit is classified once it parses.
			v.Reasons = append(v.Reasons, Reason{Path: p, What: base + " does not parse yet; waiting"})
			continue
		}
		kind := kindOf(old, cur)
		if kind == facts.KindMigration {
			if cur == nil || cur.Missing {
				// Nothing runs for a deleted migration: the database keeps
				// what it created, only the types change.
				v.add(p, Typegen|Restart, "migration %s removed", base)
				continue
			}
			v.add(p, Migrate|Typegen|Restart, "migration %s %s", base, verb(old, cur))
			continue
		}
		if kind != facts.KindSource {
			continue
		}
		if codeSame(old, cur) {
			continue // comments or formatting only
		}
		plugins := hasPlugins(old) || hasPlugins(cur)
		switch {
		case plugins:
			if e := serviceOnly(old, cur); e != nil {
				if holder := initHolder(after, e.Plugin); holder != "" {
					v.add(p, Restart, "plugin %q: only its service body changed, but plugin %q has an init, which holds the service built at start", e.Plugin, holder)
					continue
				}
				v.add(p, Restart, "plugin %q: only its service body changed", e.Plugin)
				v.Reasons[len(v.Reasons)-1].ServiceOnly = e
				continue
			}
			v.add(p, Restart, "%s", describePlugin(old, cur))
		case defines(old, cur, func(f *facts.File) bool {
			return len(f.Services()) > 0 || len(f.Events()) > 0 || len(f.Registrations()) > 0
		}):
			v.add(p, Restart, "%s changed (services, events or registrations are read at start)", filepath.Base(p))
		case hasRoutes(old) || hasRoutes(cur):
			v.add(p, RouteReload, "route code in %s changed", base)
		case p == after.Config().EntryPath():
			v.add(p, Restart, "the server entry changed")
		default:
			switch graph.reach(p) {
			case reachStart:
				v.add(p, Restart, "%s changed; the server loads it at start", base)
			case reachRoutes:
				v.add(p, RouteReload, "%s changed; only routes use it", base)
			}
		}
	}
	for _, d := range outputDiffs(before.Expected(), after.Expected(), after.Config().ClientPath() != "") {
		// One reason per change: a file already explained gains the typegen
		// action instead of a second line saying the same thing.
		merged := false
		for i := range v.Reasons {
			if d.path != "" && v.Reasons[i].Path == d.path {
				v.Reasons[i].Action |= Typegen
				merged = true
				break
			}
		}
		if merged {
			v.Action |= Typegen
			continue
		}
		v.add(d.path, Typegen, "%s", d.what)
	}
	return v
}

func dedupe(ps []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func isGeneratedKind(f *facts.File) bool { return f != nil && f.Kind.IsGenerated() }

func same(a, b *facts.File) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Missing == b.Missing && a.Hash == b.Hash
}

func codeSame(a, b *facts.File) bool {
	return a != nil && b != nil && !a.Missing && !b.Missing && a.CodeHash == b.CodeHash
}

func kindOf(a, b *facts.File) facts.Kind {
	if b != nil {
		return b.Kind
	}
	return a.Kind
}

func verb(old, cur *facts.File) string {
	switch {
	case old == nil || old.Missing:
		return "added"
	case cur == nil || cur.Missing:
		return "removed"
	}
	return "changed"
}

func hasPlugins(f *facts.File) bool { return f != nil && len(f.Plugins) > 0 }
func hasRoutes(f *facts.File) bool  { return f != nil && len(f.Routes) > 0 }

func defines(a, b *facts.File, pred func(*facts.File) bool) bool {
	return (a != nil && pred(a)) || (b != nil && pred(b))
}

// serviceOnly reports the plugin whose service function holds the only
// code change between old and cur: one plugin in both, named and exported
// the same, its service a function in both, everything outside that
// function the same tokens.
func serviceOnly(old, cur *facts.File) *ServiceEdit {
	if old == nil || cur == nil || old.Missing || cur.Missing || len(old.Plugins) != 1 || len(cur.Plugins) != 1 {
		return nil
	}
	a, b := old.Plugins[0], cur.Plugins[0]
	if !a.NameKnown || !b.NameKnown || a.Name != b.Name || a.ExportName == "" || a.ExportName != b.ExportName || !b.Exported {
		return nil
	}
	if a.OutsideServiceHash == 0 || a.OutsideServiceHash != b.OutsideServiceHash {
		return nil
	}
	return &ServiceEdit{Plugin: b.Name, Export: b.ExportName}
}

// initHolder names a plugin with an init among name and the plugins that
// depend on it, directly or not: rebuilding name's service rebuilds theirs,
// and an init keeps the one it was given at start. "" when there is none.
func initHolder(p *project.Project, name string) string {
	type node struct {
		init bool
		deps []string
	}
	plugins := map[string]node{}
	p.EachFile(func(f *facts.File) {
		for _, pl := range f.Plugins {
			if pl.Name == "" {
				continue
			}
			n := node{init: pl.HasInit}
			for _, d := range pl.Dependencies {
				n.deps = append(n.deps, d.Name)
			}
			plugins[pl.Name] = n
		}
	})
	affected := map[string]bool{name: true}
	for changed := true; changed; {
		changed = false
		for pn, n := range plugins {
			if affected[pn] {
				continue
			}
			for _, d := range n.deps {
				if affected[d] {
					affected[pn], changed = true, true
					break
				}
			}
		}
	}
	var holders []string
	for pn := range affected {
		if plugins[pn].init {
			holders = append(holders, pn)
		}
	}
	if len(holders) == 0 {
		return ""
	}
	slices.Sort(holders)
	if slices.Contains(holders, name) {
		return name
	}
	return holders[0]
}

// describePlugin says what changed in a plugin file, most structural first.
func describePlugin(old, cur *facts.File) string {
	name := func(f *facts.File) string {
		if f != nil && len(f.Plugins) > 0 {
			if f.Plugins[0].Name != "" {
				return f.Plugins[0].Name
			}
			return f.Plugins[0].ExportName
		}
		return ""
	}
	switch {
	case !hasPlugins(old):
		return fmt.Sprintf("plugin %q added", name(cur))
	case !hasPlugins(cur):
		return fmt.Sprintf("plugin %q removed", name(old))
	}
	a, b := old.Plugins[0], cur.Plugins[0]
	var what []string
	if a.Name != b.Name {
		what = append(what, fmt.Sprintf("name %q -> %q", a.Name, b.Name))
	}
	if a.ExportName != b.ExportName {
		what = append(what, fmt.Sprintf("export %s -> %s", a.ExportName, b.ExportName))
	}
	what = append(what, keyDiff("dependency", a.Dependencies, b.Dependencies)...)
	what = append(what, keyDiff("handler key", a.HandlerKeys, b.HandlerKeys)...)
	what = append(what, keyDiff("middleware key", a.MiddlewareKeys, b.MiddlewareKeys)...)
	what = append(what, keyDiff("service method", a.ServiceMethods, b.ServiceMethods)...)
	if len(what) == 0 {
		return fmt.Sprintf("plugin %q code changed; plugins are built once at start", b.Name)
	}
	return fmt.Sprintf("plugin %q: %s", b.Name, strings.Join(what, ", "))
}

func keyDiff(what string, a, b []facts.Key) []string {
	in := func(ks []facts.Key, n string) bool {
		for _, k := range ks {
			if k.Name == n {
				return true
			}
		}
		return false
	}
	var out []string
	for _, k := range b {
		if !in(a, k.Name) {
			out = append(out, fmt.Sprintf("%s %q added", what, k.Name))
		}
	}
	for _, k := range a {
		if !in(b, k.Name) {
			out = append(out, fmt.Sprintf("%s %q removed", what, k.Name))
		}
	}
	return out
}

type outputDiff struct{ path, what string }

// outputDiffs compares what the generator would write before and after.
func outputDiffs(a, b *project.Expected, client bool) []outputDiff {
	var out []outputDiff
	pluginSig := func(e *project.Expected) map[string]string {
		m := map[string]string{}
		for _, p := range e.Plugins {
			m[p.Path] = p.Name + "\x00" + p.ExportName
		}
		return m
	}
	pa, pb := pluginSig(a), pluginSig(b)
	for path, sig := range pb {
		if pa[path] != sig {
			out = append(out, outputDiff{path, "the plugin list the generator writes changed"})
		}
	}
	for path := range pa {
		if _, ok := pb[path]; !ok {
			out = append(out, outputDiff{path, "a plugin the registry lists is gone"})
		}
	}
	if d := setDiff(keyNames(a.Handlers), keyNames(b.Handlers)); d != "" && !b.KeysUncertain {
		out = append(out, outputDiff{firstKeyPath(a.Handlers, b.Handlers), "handler keys " + d})
	}
	if d := setDiff(keyNames(a.Middleware), keyNames(b.Middleware)); d != "" && !b.KeysUncertain {
		out = append(out, outputDiff{firstKeyPath(a.Middleware, b.Middleware), "middleware keys " + d})
	}
	if d := setDiff(serviceNames(a), serviceNames(b)); d != "" {
		out = append(out, outputDiff{"", "services " + d})
	}
	if d := setDiff(eventSigs(a), eventSigs(b)); d != "" {
		out = append(out, outputDiff{b.EventsFile, "events " + d})
	}
	if d := setDiff(schemaSigs(a), schemaSigs(b)); d != "" {
		out = append(out, outputDiff{"", "plugin schemas " + d})
	}
	if client && !b.RoutesUncertain {
		if d := setDiff(routeSigs(a), routeSigs(b)); d != "" {
			out = append(out, outputDiff{"", "client routes " + d})
		}
	}
	return out
}

func keyNames(ks []project.GenKey) []string {
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.Name)
	}
	return out
}

func firstKeyPath(a, b []project.GenKey) string {
	for _, k := range b {
		return k.Plugin.Path
	}
	for _, k := range a {
		return k.Plugin.Path
	}
	return ""
}

func serviceNames(e *project.Expected) []string {
	var out []string
	for _, s := range e.Services {
		out = append(out, s.Name)
	}
	return out
}

func eventSigs(e *project.Expected) []string {
	var out []string
	for _, ev := range e.Events {
		out = append(out, ev.Name+": "+strings.Join(strings.Fields(ev.Type), " "))
	}
	return out
}

func schemaSigs(e *project.Expected) []string {
	var out []string
	for _, s := range e.Schemas {
		if len(s.Unknown) > 0 {
			// Unknown content: any change to the migrations counts, and the
			// migration rule above already asks for typegen.
			continue
		}
		for _, t := range s.Tables {
			cols := make([]string, 0, len(t.Columns))
			for _, c := range t.Columns {
				cols = append(cols, c.Name)
			}
			slices.Sort(cols)
			out = append(out, s.Plugin.Name+"."+t.Name+"("+strings.Join(cols, ",")+")")
		}
	}
	return out
}

func routeSigs(e *project.Expected) []string {
	var out []string
	for _, r := range e.Routes {
		var sig strings.Builder
		sig.WriteString(r.Route.FullName + " " + r.Route.Kind)
		for _, s := range []*facts.Schema{r.Route.Input, r.Route.Output} {
			sig.WriteString(" |")
			if s == nil {
				continue
			}
			if !s.FieldsKnown {
				sig.WriteString(strings.Join(strings.Fields(s.Text), " "))
				continue
			}
			for _, f := range s.Fields {
				sig.WriteString(fmt.Sprintf(" %s:%s:%v", f.Name, f.Type, f.Optional))
			}
		}
		out = append(out, sig.String())
	}
	return out
}

// setDiff describes the difference of two string sets, "" when equal.
func setDiff(a, b []string) string {
	as, bs := map[string]bool{}, map[string]bool{}
	for _, x := range a {
		as[x] = true
	}
	for _, x := range b {
		bs[x] = true
	}
	var added, removed []string
	for x := range bs {
		if !as[x] {
			added = append(added, firstWord(x))
		}
	}
	for x := range as {
		if !bs[x] {
			removed = append(removed, firstWord(x))
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return ""
	}
	slices.Sort(added)
	slices.Sort(removed)
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added/changed: "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed/changed: "+strings.Join(removed, ", "))
	}
	return strings.Join(parts, "; ")
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " :("); i > 0 {
		return s[:i]
	}
	return s
}

// importGraph answers whether the server start (entry, plugins, services)
// reaches a file through relative imports.
type importGraph struct {
	proj      *project.Project
	importers map[string][]string // file -> files that import it
}

func newImportGraph(p *project.Project) *importGraph {
	g := &importGraph{proj: p, importers: map[string][]string{}}
	for _, path := range p.Files() {
		f := p.File(path)
		if f == nil || f.Kind != facts.KindSource {
			continue
		}
		for _, imp := range f.Imports {
			if imp.TypeOnly {
				continue
			}
			if target := p.ResolveImport(path, imp.Spec).Path; target != "" {
				g.importers[target] = append(g.importers[target], path)
			}
		}
	}
	return g
}

type reach int

const (
	reachNone reach = iota
	reachRoutes
	reachStart
)

// reach walks importers upwards: a file imported (transitively) by the
// entry, a plugin, a service or an events file is loaded at start.
func (g *importGraph) reach(file string) reach {
	seen := map[string]bool{file: true}
	queue := []string{file}
	best := reachNone
	entry := g.proj.Config().EntryPath()
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, imp := range g.importers[cur] {
			if seen[imp] {
				continue
			}
			seen[imp] = true
			f := g.proj.File(imp)
			switch {
			case imp == entry || len(f.Plugins) > 0 || len(f.Services()) > 0 || len(f.Events()) > 0:
				return reachStart
			case len(f.Routes) > 0:
				// Routes are reloaded in place; what only they import goes
				// with them, even though the entry imports the routes.
				best = reachRoutes
				continue
			}
			queue = append(queue, imp)
		}
	}
	return best
}

package analyzers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Handler and middleware resolution at request time (server 2.5.1,
// verified under Bun): a route's handler kind is looked up in the core
// handlers first, then in every registered plugin's `handlers`, in the
// order the plugins were registered, the first that has it winning; a
// middleware name likewise in the registered plugins' resolved middleware.
// Nothing checks for duplicates, so a second provider is silently unused.
const (
	CodeHandlerShadowed   = "handler-shadowed"
	CodeHandlerUnresolved = "handler-unresolved"
)

// builtinHandler reports the core handler kinds, always found before any
// plugin's (handlers.ts Handlers), and the only methods the route builder
// has at runtime (router.ts RouteBuilder). A switch, not a map: it is asked
// about every route at every keystroke.
func builtinHandler(kind string) bool {
	switch kind {
	case "typed", "raw", "stream", "sse", "formData", "html":
		return true
	}
	return false
}

func handlersAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "handlers",
		Doc:   "checks that each route's handler kind resolves at runtime and that no plugin's handler or middleware is hidden by another provider",
		Codes: []string{CodeHandlerShadowed, CodeHandlerUnresolved},
		Run:   runHandlers,
	}
}

// orderedReg is a registered plugin with where its registration is, in
// the order the server registers them.
type orderedReg struct {
	def *pluginDef
	reg registration
}

type regOrderKey struct{}

// registrationOrder lists the registered plugins in the order
// registerPlugin runs, as far as that is known: registrations of one file
// in source order. sameFile is false when they are spread over files (the
// order then follows imports this model does not sequence).
func registrationOrder(proj *project.Project) (order []orderedReg, sameFile bool) {
	type result struct {
		order    []orderedReg
		sameFile bool
	}
	r := proj.Memo(regOrderKey{}, func() any {
		m := pluginModelOf(proj)
		// Only the registrations the server's run reaches count (a seed
		// script building its own server does not), when that is known.
		e := proj.Entry()
		reach := e != nil && (e.Status == project.EntryRuns || e.Status == project.EntryEmpty) && !e.Uncertain
		var out result
		out.sameFile = true
		// Sized up front: it is filled with every registration at each
		// keystroke, and growing it was most of this function.
		seen := make(map[*pluginDef]bool, len(m.regs))
		// Registrations mostly sit in one file: its reach is looked up
		// once, not hashed again for each of a thousand.
		lastPath, lastReached := "", false
		for _, reg := range m.regs {
			if reg.Def == nil || seen[reg.Def] {
				continue
			}
			if reach {
				if reg.Path != lastPath {
					lastPath, lastReached = reg.Path, e.Reached[reg.Path]
				}
				if !lastReached {
					continue
				}
			}
			seen[reg.Def] = true
			if len(out.order) > 0 && out.order[0].reg.Path != reg.Path {
				out.sameFile = false
			}
			out.order = append(out.order, orderedReg{def: reg.Def, reg: reg})
		}
		return out
	}).(result)
	return r.order, r.sameFile
}

func runHandlers(p *Pass) {
	m := pluginModelOf(p.Project)
	order, sameFile := registrationOrder(p.Project)
	reportShadowed(p, m, order, sameFile)
	reportUnresolved(p, m, order)
}

// reportShadowed reports each handler or middleware key a registered plugin
// provides that an earlier registered plugin (or the core, for handlers)
// already provides: at request time that one answers, never this one.
func reportShadowed(p *Pass, m *pluginModel, order []orderedReg, sameFile bool) {
	for _, d := range m.defs {
		for _, k := range d.Def.HandlerKeys {
			if builtinHandler(k.Name) {
				p.Report(analysis.Finding{
					Code:     CodeHandlerShadowed,
					Severity: analysis.SeverityWarning,
					Location: analysis.Location{Path: d.Path, Range: k.Range},
					Message: fmt.Sprintf("plugin %q's handler %q never runs: the server looks a route's handler kind up in its own handlers first, and %q is a built-in one, so every .%s(...) route gets the core handler; give this handler another name",
						d.Name(), k.Name, k.Name, k.Name),
				})
			}
		}
	}
	if !sameFile || len(order) < 2 {
		return
	}
	nh, nm := 0, 0
	for _, o := range order {
		nh += len(o.def.Def.HandlerKeys)
		nm += len(o.def.Def.MiddlewareKeys)
	}
	if nh+nm < 2 {
		return
	}
	firstHandler := make(map[string]orderedReg, nh)
	firstMiddleware := make(map[string]orderedReg, nm)
	for _, o := range order {
		d := o.def
		for _, k := range d.Def.HandlerKeys {
			if builtinHandler(k.Name) {
				continue
			}
			if w, ok := firstHandler[k.Name]; ok {
				reportLoser(p, d, k, w, "handler", fmt.Sprintf("routes of kind %q run plugin %q's handler", k.Name, w.def.Name()))
				continue
			}
			firstHandler[k.Name] = o
		}
		if d.Def.MiddlewareObject.End.Offset != 0 {
			continue // never applied at all: middleware-object-ignored
		}
		for _, k := range d.Def.MiddlewareKeys {
			if w, ok := firstMiddleware[k.Name]; ok {
				reportLoser(p, d, k, w, "middleware", fmt.Sprintf(".middleware.%s() runs plugin %q's", k.Name, w.def.Name()))
				continue
			}
			firstMiddleware[k.Name] = o
		}
	}
}

func reportLoser(p *Pass, d *pluginDef, k facts.Key, winner orderedReg, what, effect string) {
	var wk analysis.Range
	keys := winner.def.Def.HandlerKeys
	if what == "middleware" {
		keys = winner.def.Def.MiddlewareKeys
	}
	for _, x := range keys {
		if x.Name == k.Name {
			wk = x.Range
		}
	}
	p.Report(analysis.Finding{
		Code:     CodeHandlerShadowed,
		Severity: analysis.SeverityWarning,
		Location: analysis.Location{Path: d.Path, Range: k.Range},
		Message: fmt.Sprintf("plugin %q's %s %q never runs: plugin %q, registered before it, provides the same name, and the server takes the first registered plugin that has it (nothing warns), so %s; rename one of them",
			d.Name(), what, k.Name, winner.def.Name(), effect),
		Related: []analysis.Related{
			{Location: analysis.Location{Path: winner.def.Path, Range: wk}, Message: fmt.Sprintf("the %s %q that runs", what, k.Name)},
			{Location: analysis.Location{Path: winner.reg.Path, Range: winner.reg.Reg.Range}, Message: fmt.Sprintf("plugin %q is registered first here", winner.def.Name())},
		},
	})
}

// reportUnresolved reports routes whose handler kind nothing gives them at
// runtime.
func reportUnresolved(p *Pass, m *pluginModel, order []orderedReg) {
	customs := customKindRoutes(p.Project)
	if len(customs) == 0 {
		return
	}
	// Providers of custom kinds among the registered plugins; "unknown"
	// when some registered plugin's handlers cannot be read, or a plugin
	// may be registered that no file shows.
	provided := map[string]bool{}
	unknown := m.open || !m.regsKnown
	for _, o := range order {
		if !o.def.Def.HandlersKnown {
			unknown = true
		}
		for _, k := range o.def.Def.HandlerKeys {
			provided[k.Name] = true
		}
	}
	kinds := make([]string, 0, len(provided))
	for k := range provided {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	entry := p.Project.Entry()
	patched := false
	for _, f := range sourceFiles(p.Project) {
		patched = patched || f.PatchesRouteBuilder()
	}
	for _, c := range customs {
		f, r := c.f, &c.f.Routes[c.i]
		if !r.AddHandler {
			if runsAtStart(entry, f) && !patched {
				reportMethodHandler(p, m, f, r)
			}
			continue
		}
		if unknown || provided[r.Kind] {
			continue
		}
		msg := fmt.Sprintf("no registered plugin provides handler %q: the route is served, and every request to %s answers 500 \"Handler Not Found\" (the server logs `Handler not found {\"handler\":%q,\"route\":%q}`)",
			r.Kind, r.FullName, r.Kind, r.FullName)
		if ds := providersOf(m, r.Kind); len(ds) > 0 {
			msg += fmt.Sprintf("; plugin %q has it but the entry never registers that plugin", ds[0].Name())
		}
		fd := analysis.Finding{
			Code:     CodeHandlerUnresolved,
			Severity: analysis.SeverityError,
			Location: analysis.Location{Path: f.Path, Range: r.KindRange},
		}
		suggestNear(&fd, f, msg, r.Kind, kinds, r.KindRange)
		p.Report(fd)
	}
}

type customKindsKey struct{}

// customRoute is a route whose handler kind is not a built-in one.
type customRoute struct {
	f *facts.File
	i int
}

// customKindRoutes lists the donkeylabs routes with a kind that is not
// built in, reused while no route file changes: ten thousand routes are
// not walked again at every keystroke in a plugin.
func customKindRoutes(proj *project.Project) []customRoute {
	var files []*facts.File
	for _, f := range sourceFiles(proj) {
		if len(f.Routes) > 0 {
			files = append(files, f)
		}
	}
	return proj.Reuse(customKindsKey{}, files, func() any {
		var out []customRoute
		for _, f := range files {
			for i := range f.Routes {
				r := &f.Routes[i]
				if r.Kind != "" && !builtinHandler(r.Kind) && donkeylabsRoute(f, r) {
					out = append(out, customRoute{f, i})
				}
			}
		}
		return out
	}).([]customRoute)
}

// reportMethodHandler: `.route("n").<kind>(...)` for a plugin's kind
// type-checks through the generated registry.d.ts, but the runtime route
// builder has only the built-in methods, so the call throws when the file
// is imported.
func reportMethodHandler(p *Pass, m *pluginModel, f *facts.File, r *facts.Route) {
	what := "no plugin provides it either"
	if ds := providersOf(m, r.Kind); len(ds) > 0 {
		what = fmt.Sprintf("plugin %q's handler %q is only reached through `.addHandler(%q, {...})`", ds[0].Name(), r.Kind, r.Kind)
	}
	p.Report(analysis.Finding{
		Code:     CodeHandlerUnresolved,
		Severity: analysis.SeverityError,
		Location: analysis.Location{Path: f.Path, Range: r.KindRange},
		Message: fmt.Sprintf("the route builder has no method %q at runtime, only typed, raw, stream, sse, formData and html (the generated registry.d.ts declares %q for the type checker, and nothing adds it to the builder), so importing this file throws `TypeError: %s.route(%q).%s is not a function`: the server never starts and `donkeylabs generate` gets no routes; %s: write `(%s.route(%q) as any).addHandler(%q, {...})`",
			r.Kind, r.Kind, routerText(r), r.Name, r.Kind, what, routerText(r), r.Name, r.Kind),
	})
}

func routerText(r *facts.Route) string {
	if r.RouterVar != "" {
		return r.RouterVar
	}
	return "router"
}

// providersOf lists the plugins whose handlers have kind.
func providersOf(m *pluginModel, kind string) []*pluginDef {
	var out []*pluginDef
	for _, d := range m.defs {
		for _, k := range d.Def.HandlerKeys {
			if k.Name == kind {
				out = append(out, d)
			}
		}
	}
	return out
}

// donkeylabsRoute reports whether r hangs on a router this file makes with
// createRouter (or a child of one): `app.route("/x").get(...)` of another
// framework is not a donkeylabs route.
func donkeylabsRoute(f *facts.File, r *facts.Route) bool {
	if r.RouterVar == "" {
		return r.Prefix != "" || strings.Contains(r.FullName, ".")
	}
	for _, rt := range f.Routers {
		if rt.Var == r.RouterVar {
			return true
		}
	}
	return false
}

// runsAtStart reports whether the server's run imports f: always when the
// entry cannot be modelled.
func runsAtStart(e *project.EntryRun, f *facts.File) bool {
	if e == nil || (e.Status != project.EntryRuns && e.Status != project.EntryEmpty) || e.Uncertain {
		return true
	}
	return e.Reached[f.Path]
}

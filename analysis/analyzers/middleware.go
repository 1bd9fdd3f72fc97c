package analyzers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Middleware traps: code that type-checks and starts, then runs routes with
// other middleware than it shows (server 2.5.1, verified under Bun; see
// facts/middleware.go for how the router builds stacks).
const (
	CodeMiddlewareShared        = "middleware-shared"
	CodeUnknownMiddleware       = "unknown-middleware"
	CodeMiddlewareObjectIgnored = "middleware-object-ignored"
)

func middlewareAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "middleware",
		Doc:   "checks the middleware routes really run: shared router stacks, names no plugin provides, object-form plugin middleware",
		Codes: []string{CodeMiddlewareShared, CodeUnknownMiddleware, CodeMiddlewareObjectIgnored},
		Run:   runMiddleware,
	}
}

func runMiddleware(p *Pass) {
	files := sourceFiles(p.Project)
	m := pluginModelOf(p.Project)
	for _, d := range m.defs {
		reportObjectMiddleware(p, d)
	}
	var useFiles []*facts.File
	for _, f := range files {
		if len(f.MiddlewarePushes()) > 0 {
			useFiles = append(useFiles, f)
		}
	}
	foreign := foreignRouters(useFiles)
	if len(useFiles) == 0 {
		return
	}
	prov := middlewareProvidersOf(p.Project, m)
	for _, f := range useFiles {
		for i := range f.MiddlewarePushes() {
			reportUnknownMiddleware(p, f, &f.MiddlewarePushes()[i], prov)
		}
		for i := range f.RouteStacks() {
			if rs := &f.RouteStacks()[i]; !foreign[rs.Router] && !foreign[rs.MergedInto] {
				reportSharedStack(p, f, rs)
			}
		}
	}
}

func reportObjectMiddleware(p *Pass, d *pluginDef) {
	obj := d.Def.MiddlewareObject
	if obj.End.Offset == 0 {
		return
	}
	f := analysis.Finding{
		Code:     CodeMiddlewareObjectIgnored,
		Severity: analysis.SeverityWarning,
		Location: analysis.Location{Path: d.Path, Range: obj},
		Message: fmt.Sprintf("plugin %q gives `middleware` as an object: the generator lists its keys, but the server only applies a function `(ctx, service) => ({...})`, so at request time it logs \"Middleware '<name>' not found, skipping\" and runs the route without it; wrap the object in a function",
			d.Name()),
	}
	if editable(d.File) {
		f.Fixes = []analysis.Fix{{
			Title: "Make the middleware a function: () => ({...})",
			Edit: analysis.WorkspaceEdit{Edits: []analysis.TextEdit{
				{Path: d.Path, Range: at(obj.Start), NewText: "() => ("},
				{Path: d.Path, Range: at(obj.End), NewText: ")"},
			}},
		}}
	}
	p.Report(f)
}

// providers is what the server resolves middleware names from: the
// function-form `middleware` results of the registered plugins.
type providers struct {
	// open is set when some plugin's names cannot be read (a package
	// plugin, a result built at runtime): "not found" is then unknowable.
	open  bool
	names map[string]bool
	// elsewhere says why a name that resolves nowhere is still written in
	// some plugin: never registered, or object-form.
	elsewhere map[string]string
	sorted    []string
}

type providersKey struct{}

// middlewareProvidersOf is middlewareProviders(m), the parent snapshot's
// while every change reads the same to the plugin model and keeps its
// plugins' middleware: a keystroke in a handler or a service body then
// walks no definition.
func middlewareProvidersOf(proj *project.Project, m *pluginModel) *providers {
	return proj.MemoSince(providersKey{}, func(a, b *facts.File) bool {
		return modelSame(a, b) && slices.EqualFunc(a.Plugins, b.Plugins, func(x, y facts.Plugin) bool {
			return x.MiddlewareKnown == y.MiddlewareKnown && (x.MiddlewareObject.End.Offset != 0) == (y.MiddlewareObject.End.Offset != 0) &&
				slices.EqualFunc(x.MiddlewareKeys, y.MiddlewareKeys, func(a, b facts.Key) bool { return a.Name == b.Name })
		})
	}, func(prev any, _ []project.Change) any {
		if prev, ok := prev.(*providers); ok {
			return prev
		}
		return middlewareProviders(m)
	}).(*providers)
}

func middlewareProviders(m *pluginModel) *providers {
	pr := &providers{open: m.open, names: map[string]bool{}, elsewhere: map[string]string{}}
	for _, d := range m.defs {
		if !d.Def.MiddlewareKnown {
			pr.open = true
			continue
		}
		if len(d.Def.MiddlewareKeys) == 0 {
			continue
		}
		registered := !m.regsKnown || len(m.registered[d]) > 0
		for _, k := range d.Def.MiddlewareKeys {
			switch {
			case d.Def.MiddlewareObject.End.Offset != 0:
				pr.elsewhere[k.Name] = fmt.Sprintf("plugin %q declares it in an object-form `middleware`, which the server never applies", d.Name())
			case !registered:
				pr.elsewhere[k.Name] = fmt.Sprintf("plugin %q provides it but the entry never registers that plugin", d.Name())
			default:
				pr.names[k.Name] = true
			}
		}
	}
	for n := range pr.names {
		pr.sorted = append(pr.sorted, n)
	}
	slices.Sort(pr.sorted)
	return pr
}

func reportUnknownMiddleware(p *Pass, f *facts.File, u *facts.MiddlewareUse, pr *providers) {
	if pr.open || pr.names[u.Name] {
		return
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "no registered plugin provides middleware %q: at request time the server logs \"[Server] Middleware '%s' not found, skipping\" and runs the route without it", u.Name, u.Name)
	if why := pr.elsewhere[u.Name]; why != "" {
		fmt.Fprintf(&msg, " (%s)", why)
	}
	fd := analysis.Finding{
		Code:     CodeUnknownMiddleware,
		Severity: analysis.SeverityError,
		Location: analysis.Location{Path: f.Path, Range: u.Range},
	}
	if near := nearest(u.Name, pr.sorted); near != "" {
		fmt.Fprintf(&msg, "; did you mean %q?", near)
		if editable(f) {
			fd.Fixes = []analysis.Fix{replaceFix(fmt.Sprintf("Change to %q", near), f.Path, u.Range, near)}
		}
	}
	fd.Message = msg.String()
	p.Report(fd)
}

func reportSharedStack(p *Pass, f *facts.File, rs *facts.RouteStack) {
	if rs.Route < 0 || rs.Route >= len(f.Routes) {
		return
	}
	r := &f.Routes[rs.Route]
	var extra []int
	for _, u := range rs.Runs {
		if !containsUse(rs.Shown, u) && !containsUse(extra, u) {
			extra = append(extra, u)
		}
	}
	if len(extra) == 0 {
		return
	}
	names := make([]string, 0, len(rs.Runs))
	for _, u := range rs.Runs {
		names = append(names, f.MiddlewarePushes()[u].Name)
	}
	extraNames := make([]string, 0, len(extra))
	for _, u := range extra {
		extraNames = append(extraNames, f.MiddlewarePushes()[u].Name)
	}
	loc := analysis.Location{Path: f.Path, Range: r.NameRange}
	subject := fmt.Sprintf("route %q", r.FullName)
	if rs.MergedInto != "" {
		loc.Range = rs.MergeRange
		subject = fmt.Sprintf("the copy of route %q that %s.router(%s) makes", r.FullName, rs.MergedInto, rs.Router)
	}
	fd := analysis.Finding{
		Code:     CodeMiddlewareShared,
		Severity: analysis.SeverityWarning,
		Location: loc,
		Message: fmt.Sprintf("%s runs middleware %s, not only what its code shows: a router keeps one middleware stack, and every route added after its first .middleware call runs every middleware pushed on that router, before or after the route (here also %s); put the routes that need different middleware on routers of their own",
			subject, strings.Join(names, ", "), strings.Join(extraNames, ", ")),
	}
	for _, u := range extra {
		mu := f.MiddlewarePushes()[u]
		where := "pushed here, in another route's chain"
		if mu.Range.Start.Offset > r.NameRange.Start.Offset && rs.MergedInto == "" {
			where = "pushed here, after this route was added"
		}
		fd.Related = append(fd.Related, analysis.Related{
			Location: analysis.Location{Path: f.Path, Range: mu.Range},
			Message:  fmt.Sprintf("%s is %s", mu.Name, where),
		})
	}
	p.Report(fd)
}

func containsUse(s []int, v int) bool {
	return slices.Contains(s, v)
}

// RouteMiddleware is the middleware one route runs at request time, as the
// router builds it: the same model the middleware-shared and
// unknown-middleware findings come from, for navigation to show.
type RouteMiddleware struct {
	// Known is false when its file alone does not decide the stack: the
	// router is imported, handed to a function, or pushed on elsewhere.
	Known bool
	Runs  []MiddlewareStep
}

// MiddlewareStep is one middleware a route runs.
type MiddlewareStep struct {
	Name string
	// At is the .middleware.<name>() push it comes from.
	At analysis.Location
	// Shown is set when the route's own chain, or a standalone push on its
	// router before it, shows it; unset when it comes from another route's
	// chain (the shared stack).
	Shown bool
	// Skipped says why the server skips it ("[Server] Middleware 'x' not
	// found, skipping"); "" when a registered plugin provides it.
	Skipped string
}

// EffectiveMiddleware is what route (an index into f.Routes) runs.
func EffectiveMiddleware(p *project.Project, f *facts.File, route int) RouteMiddleware {
	var rs *facts.RouteStack
	for i := range f.RouteStacks() {
		if s := &f.RouteStacks()[i]; s.Route == route && s.MergedInto == "" {
			rs = s
			break
		}
	}
	if rs == nil {
		// A file that never pushes middleware runs none on its own
		// routers, unless another file pushes on them.
		r := &f.Routes[route]
		if len(f.MiddlewarePushes()) == 0 && r.PrefixKnown && r.RouterVar != "" && !f.SyntaxErrors && !foreignRouters(sourceFiles(p))[r.RouterVar] {
			return RouteMiddleware{Known: true}
		}
		return RouteMiddleware{}
	}
	if foreign := foreignRouters(sourceFiles(p)); foreign[rs.Router] {
		return RouteMiddleware{}
	}
	prov := middlewareProviders(pluginModelOf(p))
	out := RouteMiddleware{Known: true}
	for _, i := range rs.Runs {
		if i < 0 || i >= len(f.MiddlewarePushes()) {
			continue
		}
		u := f.MiddlewarePushes()[i]
		step := MiddlewareStep{Name: u.Name, At: analysis.Location{Path: f.Path, Range: u.Range}, Shown: containsUse(rs.Shown, i)}
		if !prov.open && !prov.names[u.Name] {
			step.Skipped = "no registered plugin provides it"
			if why := prov.elsewhere[u.Name]; why != "" {
				step.Skipped = why
			}
		}
		out.Runs = append(out.Runs, step)
	}
	return out
}

// foreignRouters are the router variables some file pushes middleware on
// without creating them (an imported router): their routes get middleware
// the creating file's order does not show.
func foreignRouters(files []*facts.File) map[string]bool {
	foreign := map[string]bool{}
	for _, f := range files {
		for _, u := range f.MiddlewarePushes() {
			if !u.Local {
				foreign[u.Receiver] = true
			}
		}
	}
	return foreign
}

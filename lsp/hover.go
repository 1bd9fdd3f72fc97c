package lsp

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/names"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// hoverListCap bounds the places a hover lists: a name used in a thousand
// files must not make a screenful of Markdown.
const hoverListCap = 8

// hoverText is the Markdown shown for a name. findings are the snapshot's,
// for what hover says about a plugin's generated types.
func hoverText(p *project.Project, ix *names.Index, occ names.Occurrence, findings []analysis.Finding) string {
	h := &hoverBuilder{p: p}
	occs := ix.Occurrences(occ.Name)
	uses := 0
	for _, o := range occs {
		if !o.Def && !o.Generated {
			uses++
		}
	}
	if occ.Name.Kind == names.Handler {
		uses = 0
		for _, o := range occs {
			if o.Via == names.ViaHandlerUse {
				uses++
			}
		}
	}
	b := &h.b
	switch occ.Name.Kind {
	case names.Plugin:
		info := ix.Plugins[occ.Name.Key]
		if info == nil {
			fmt.Fprintf(b, "plugin `%s` is not defined in this project\n", occ.Name.Key)
			return b.String()
		}
		h.plugin(info, uses, findings)
	case names.Method:
		plugin, method, _ := strings.Cut(occ.Name.Key, ".")
		defs := ix.Defs(occ.Name)
		if len(defs) == 0 {
			fmt.Fprintf(b, "plugin `%s` has no service method `%s`\n", plugin, method)
			return b.String()
		}
		fmt.Fprintf(b, "**service method `%s`** of plugin `%s` · `%s`\n\n%s\n", method, plugin, h.at(defs[0].Path, defs[0].Range), count(uses, "use"))
	case names.Middleware:
		defs := ix.Defs(occ.Name)
		if len(defs) == 0 {
			fmt.Fprintf(b, "no plugin defines middleware `%s`: at runtime it is skipped and the route runs unguarded\n", occ.Name.Key)
			return b.String()
		}
		fmt.Fprintf(b, "**middleware `%s`**", occ.Name.Key)
		if by := definingPlugins(p, defs); len(by) > 0 {
			fmt.Fprintf(b, " of plugin `%s`", strings.Join(by, "`, `"))
		}
		fmt.Fprintf(b, "\n\n%s\n", count(uses, "use"))
	case names.Handler:
		defs := ix.Defs(occ.Name)
		switch {
		case len(defs) > 0:
			fmt.Fprintf(b, "**handler `%s`**", occ.Name.Key)
			if by := definingPlugins(p, defs); len(by) > 0 {
				fmt.Fprintf(b, " of plugin `%s`", strings.Join(by, "`, `"))
			}
			fmt.Fprintf(b, " · `%s`\n", h.at(defs[0].Path, defs[0].Range))
		case names.IsBuiltinHandler(occ.Name.Key):
			fmt.Fprintf(b, "**handler `%s`**, built into the server\n", occ.Name.Key)
		default:
			fmt.Fprintf(b, "no plugin defines handler `%s`, and the server has no such built-in kind: `.%s(...)` fails when the route is added\n", occ.Name.Key, occ.Name.Key)
			return b.String()
		}
		fmt.Fprintf(b, "\n%s\n", count(uses, "route"))
	case names.Route:
		routes := ix.RoutesNamed(p, occ.Name.Key)
		if len(routes) == 0 {
			fmt.Fprintf(b, "route `%s` is not defined in the sources\n", occ.Name.Key)
			return b.String()
		}
		h.route(routes, occs)
	case names.Event:
		evs := ix.EventsNamed(p, occ.Name.Key)
		if len(evs) == 0 && len(ix.Defs(occ.Name)) == 0 {
			fmt.Fprintf(b, "event `%s` is not declared: emitting it type-checks and does nothing at runtime\n", occ.Name.Key)
			return b.String()
		}
		fmt.Fprintf(b, "**event `%s`**\n", occ.Name.Key)
		if len(evs) > 0 {
			fmt.Fprintf(b, "\n```ts\n%s\n```\n", evs[0].Event.Schema)
		}
		var emits, listens []analysis.Location
		for _, o := range occs {
			switch o.Via {
			case names.ViaEmit:
				emits = append(emits, analysis.Location{Path: o.Path, Range: o.Range})
			case names.ViaListen:
				listens = append(listens, analysis.Location{Path: o.Path, Range: o.Range})
			}
		}
		h.places("Emitted at", emits, "nowhere")
		h.places("Listened to at", listens, "nowhere")
	case names.Error:
		defs := ix.Defs(occ.Name)
		switch {
		case len(defs) > 0:
			fmt.Fprintf(b, "**custom error `%s`**", occ.Name.Key)
			if by := definingPlugins(p, defs); len(by) > 0 {
				fmt.Fprintf(b, " of plugin `%s`", strings.Join(by, "`, `"))
			}
			fmt.Fprintf(b, " · `%s`\n\n%s\n", h.at(defs[0].Path, defs[0].Range), count(uses, "use"))
		case names.IsBuiltinError(occ.Name.Key):
			fmt.Fprintf(b, "**error `%s`**, built into the server's `ctx.errors`\n\n%s\n", occ.Name.Key, count(uses, "use"))
		default:
			fmt.Fprintf(b, "no plugin declares custom error `%s` in `customErrors`, and the server has no such error: `ctx.errors.%s` is undefined at runtime, so calling it throws a TypeError\n", occ.Name.Key, occ.Name.Key)
		}
	case names.Job, names.Process:
		var regs, calls []analysis.Location
		for _, o := range occs {
			if o.Def {
				regs = append(regs, analysis.Location{Path: o.Path, Range: o.Range})
			} else {
				calls = append(calls, analysis.Location{Path: o.Path, Range: o.Range})
			}
		}
		if len(regs) == 0 {
			if occ.Name.Kind == names.Job {
				fmt.Fprintf(b, "no `jobs.register(%q, ...)` in the project: `enqueue` throws `No handler registered for job %q` unless it is registered outside the sources or external\n", occ.Name.Key, occ.Name.Key)
			} else {
				fmt.Fprintf(b, "no `processes.register({ name: %q })` in the project: `spawn` throws `Process definition '%s' not found`\n", occ.Name.Key, occ.Name.Key)
			}
			return b.String()
		}
		fmt.Fprintf(b, "**%s `%s`**\n", occ.Name.Kind, occ.Name.Key)
		h.places("Registered at", regs, "")
		h.places("Used at", calls, "nowhere")
	case names.Table:
		h.table(occ.Name.Key, ix)
	case names.Column:
		h.column(occ.Name.Key, ix)
	}
	return b.String()
}

type hoverBuilder struct {
	p *project.Project
	b strings.Builder
}

func (h *hoverBuilder) at(path string, r analysis.Range) string {
	return fmt.Sprintf("%s:%d", h.p.Rel(path), r.Start.Line+1)
}

func (h *hoverBuilder) list(title string, items []string) {
	if len(items) == 0 {
		fmt.Fprintf(&h.b, "\n**%s:** none\n", title)
		return
	}
	fmt.Fprintf(&h.b, "\n**%s:** %s\n", title, "`"+strings.Join(items, "`, `")+"`")
}

// places lists locations as file:line, at most hoverListCap of them.
func (h *hoverBuilder) places(title string, locs []analysis.Location, none string) {
	if len(locs) == 0 {
		fmt.Fprintf(&h.b, "\n**%s:** %s\n", title, none)
		return
	}
	var at []string
	for i, l := range locs {
		if i == hoverListCap {
			at = append(at, fmt.Sprintf("and %d more", len(locs)-i))
			break
		}
		at = append(at, "`"+h.at(l.Path, l.Range)+"`")
	}
	fmt.Fprintf(&h.b, "\n**%s:** %s\n", title, strings.Join(at, ", "))
}

func definingPlugins(p *project.Project, defs []names.Occurrence) []string {
	var by []string
	for _, d := range defs {
		if f := p.File(d.Path); f != nil {
			for i := range f.Plugins {
				if f.Plugins[i].ObjectRange.Contains(int(d.Range.Start.Offset)) && f.Plugins[i].Name != "" {
					by = append(by, f.Plugins[i].Name)
				}
			}
		}
	}
	return by
}

func isStaleness(code string) bool {
	return slices.Contains(analyzers.StalenessCodes, code)
}

// typesOf reports whether a finding is about the generated types a plugin's
// uses are checked against: in its folder, or the shared registry and
// context files missing.
func typesOf(f analysis.Finding, dir string) bool {
	if strings.HasPrefix(f.Location.Path, dir) {
		return true
	}
	if f.Code != analyzers.CodeTypesMissing {
		return false
	}
	// Reported at the config, with the missing output as related.
	for _, r := range append([]analysis.Related{{Location: f.Location}}, f.Related...) {
		switch filepath.Base(r.Location.Path) {
		case "registry.d.ts", "context.d.ts":
			return true
		}
	}
	return false
}

func (h *hoverBuilder) plugin(info *names.PluginInfo, uses int, findings []analysis.Finding) {
	b := &h.b
	pl := info.Def
	fmt.Fprintf(b, "**plugin `%s`** · `%s`\n", info.Name, h.p.Rel(info.Path))
	var deps, methods, mw, handlers []string
	for _, d := range pl.Dependencies {
		if d.Name != "" {
			deps = append(deps, d.Name)
		}
	}
	for _, m := range pl.ServiceMethods {
		methods = append(methods, m.Name)
	}
	for _, m := range pl.MiddlewareKeys {
		mw = append(mw, m.Name)
	}
	for _, k := range pl.HandlerKeys {
		handlers = append(handlers, k.Name)
	}
	h.list("Dependencies", deps)
	h.list("Dependents", info.Dependents)
	h.list("Service methods", methods)
	h.list("Middleware", mw)
	h.list("Handlers", handlers)
	if len(info.Registered) == 0 {
		fmt.Fprintf(b, "\n**Not registered:** no `registerPlugin(%s)` in the project; at runtime `ctx.plugins.%s` is undefined\n", pl.ExportName, info.Name)
	} else {
		h.places("Registered", info.Registered, "")
	}
	// Findings on the plugin: those in its folder (index.ts, migrations).
	dir := filepath.Dir(info.Path) + string(filepath.Separator)
	var stale, other []analysis.Finding
	for _, f := range findings {
		switch {
		case !typesOf(f, dir):
		case isStaleness(f.Code):
			stale = append(stale, f)
		default:
			other = append(other, f)
		}
	}
	if len(stale) == 0 {
		b.WriteString("\n**Generated types:** fresh\n")
	} else {
		codes := map[string]bool{}
		var list []string
		for _, f := range stale {
			if !codes[f.Code] {
				codes[f.Code] = true
				list = append(list, f.Code)
			}
		}
		what := "stale"
		if len(list) == 1 && list[0] == analyzers.CodeTypesMissing {
			what = "missing"
		}
		fmt.Fprintf(b, "\n**Generated types:** %s (`%s`): run **Regenerate types**\n", what, strings.Join(list, "`, `"))
	}
	if len(other) > 0 {
		b.WriteString("\n**Findings:**\n")
		for i, f := range other {
			if i == hoverListCap {
				fmt.Fprintf(b, "- and %d more\n", len(other)-i)
				break
			}
			fmt.Fprintf(b, "- `%s` %s (`%s`)\n", f.Code, firstSentence(f.Message), h.at(f.Location.Path, f.Location.Range))
		}
	}
	fmt.Fprintf(b, "\n%s\n", count(uses, "use"))
}

// firstSentence shortens a finding's message for a hover line.
func firstSentence(msg string) string {
	if i := strings.Index(msg, ": "); i > 0 && i < 160 {
		return msg[:i]
	}
	if len(msg) > 160 {
		return msg[:160] + "…"
	}
	return msg
}

func (h *hoverBuilder) route(routes []names.RouteInfo, occs []names.Occurrence) {
	b := &h.b
	ri := routes[0]
	r := ri.Route
	fmt.Fprintf(b, "**route `%s`** · `.%s` · `%s`\n", r.FullName, r.Kind, h.at(ri.Path, r.NameRange))
	h.effectiveMiddleware(ri)
	if r.Input != nil {
		fmt.Fprintf(b, "\n**Input:**\n```ts\n%s\n```\n", r.Input.Text)
	} else {
		b.WriteString("\n**Input:** none\n")
	}
	if r.Output != nil {
		fmt.Fprintf(b, "\n**Output:**\n```ts\n%s\n```\n", r.Output.Text)
	} else {
		b.WriteString("\n**Output:** none\n")
	}
	if len(routes) > 1 {
		fmt.Fprintf(b, "\nDefined %d times\n", len(routes))
	}
	var callers []analysis.Location
	inClient := false
	for _, o := range occs {
		switch o.Via {
		case names.ViaClientCall:
			callers = append(callers, analysis.Location{Path: o.Path, Range: o.Range})
		case names.ViaClient:
			inClient = true
		}
	}
	switch client := h.p.Config().ClientPath(); {
	case client == "":
		b.WriteString("\n**Client:** none generated (no `adapter` in the config)\n")
	case inClient:
		fmt.Fprintf(b, "\n**Client:** in `%s`\n", h.p.Rel(client))
	default:
		fmt.Fprintf(b, "\n**Client:** not in `%s` (regenerate types, and check that its router is mounted with `server.use`)\n", h.p.Rel(client))
	}
	h.places("Called from", callers, "no client call in the app code")
}

// effectiveMiddleware says what the route runs at request time: the
// middleware-shared model, not only the chain its code shows.
func (h *hoverBuilder) effectiveMiddleware(ri names.RouteInfo) {
	b := &h.b
	f := h.p.File(ri.Path)
	idx := -1
	if f != nil {
		for i := range f.Routes {
			if &f.Routes[i] == ri.Route {
				idx = i
			}
		}
	}
	var eff analyzers.RouteMiddleware
	if idx >= 0 {
		eff = analyzers.EffectiveMiddleware(h.p, f, idx)
	}
	if len(ri.Route.Middleware) > 0 {
		fmt.Fprintf(b, "\n**Middleware in its chain:** `%s`\n", strings.Join(ri.Route.Middleware, "`, `"))
	}
	if !eff.Known {
		b.WriteString("\n**Runs middleware:** decided outside this file (its router is imported, passed around or pushed on elsewhere)\n")
		return
	}
	if len(eff.Runs) == 0 {
		b.WriteString("\n**Runs middleware:** none\n")
		return
	}
	b.WriteString("\n**Runs middleware** (in order, as the router's shared stack runs it):\n")
	for _, s := range eff.Runs {
		fmt.Fprintf(b, "- `%s`", s.Name)
		if !s.Shown {
			fmt.Fprintf(b, " — not in its chain: pushed at `%s` on the same router", h.at(s.At.Path, s.At.Range))
		}
		if s.Skipped != "" {
			fmt.Fprintf(b, " — skipped at request time: %s", s.Skipped)
		}
		b.WriteString("\n")
	}
}

// schemaTable is the table as the migrations build it, from the model the
// stale-schema finding compares against.
func schemaTable(p *project.Project, table string) (*project.GenTable, *project.GenSchema) {
	e := p.Expected()
	for i := range e.Schemas {
		s := &e.Schemas[i]
		for j := range s.Tables {
			if s.Tables[j].Name == table {
				return &s.Tables[j], s
			}
		}
	}
	return nil, nil
}

func columnText(c project.GenColumn) string {
	t := c.Type
	if t == "" {
		t = "unknown type"
	}
	if c.PrimaryKey {
		t += " primary key"
	} else if c.NotNull {
		t += " not null"
	}
	return t
}

func (h *hoverBuilder) table(name string, ix *names.Index) {
	b := &h.b
	t, s := schemaTable(h.p, name)
	if t == nil {
		if len(ix.Defs(names.Name{Kind: names.Table, Key: name})) > 0 {
			fmt.Fprintf(b, "**table `%s`**: a migration creates it and a later one drops or renames it\n", name)
		} else {
			fmt.Fprintf(b, "no migration of this project creates table `%s`: the query fails at runtime (`no such table`) unless something outside the plugins' migrations creates it\n", name)
		}
		return
	}
	fmt.Fprintf(b, "**table `%s`** · created in `%s`", name, h.at(t.Path, t.Range))
	if s.Plugin != nil {
		fmt.Fprintf(b, " (plugin `%s`)", s.Plugin.Name)
	}
	b.WriteString("\n\n```ts\n")
	for _, c := range t.Columns {
		fmt.Fprintf(b, "%s: %s\n", c.Name, columnText(c))
	}
	b.WriteString("```\n")
	if len(s.Unknown) > 0 {
		fmt.Fprintf(b, "\nSome of its migrations cannot be followed (`%s`): the columns may differ\n", h.at(s.Unknown[0].Path, s.Unknown[0].Range))
	}
}

func (h *hoverBuilder) column(key string, ix *names.Index) {
	b := &h.b
	table, col, _ := strings.Cut(key, ".")
	t, _ := schemaTable(h.p, table)
	if t != nil {
		for _, c := range t.Columns {
			if c.Name == col {
				fmt.Fprintf(b, "**column `%s.%s`**: `%s` · `%s`\n", table, col, columnText(c), h.at(c.Path, c.Range))
				return
			}
		}
		fmt.Fprintf(b, "table `%s` has no column `%s` as its migrations build it: the query fails at runtime\n", table, col)
		return
	}
	if len(ix.Defs(names.Name{Kind: names.Column, Key: key})) > 0 {
		fmt.Fprintf(b, "**column `%s.%s`**: its table is dropped or renamed by a later migration\n", table, col)
		return
	}
	fmt.Fprintf(b, "no migration of this project creates table `%s`\n", table)
}

package analyzers

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Plugin set codes: the same name twice, and plugins the server never gets.
const (
	CodeDuplicatePlugin    = "duplicate-plugin"
	CodeUnregisteredPlugin = "unregistered-plugin"
)

func pluginsAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "plugins",
		Doc:   "checks the plugin set: two plugins with one name, and plugins the server entry never registers",
		Codes: []string{CodeDuplicatePlugin, CodeUnregisteredPlugin},
		Run:   runPlugins,
	}
}

func runPlugins(p *Pass) {
	m := pluginModelOf(p.Project)
	reportDuplicatePlugins(p, m)
	reportUnregistered(p, m)
}

// reportDuplicatePlugins looks at the plugins that reach the registry or
// the server: a test double or an unused definition with the same name
// conflicts with nothing.
func reportDuplicatePlugins(p *Pass, m *pluginModel) {
	// Built only for a name defined twice, which a correct project has
	// none of.
	var discovered map[*pluginDef]bool
	for _, name := range m.names() {
		defs := m.byName[name]
		if len(defs) < 2 {
			continue
		}
		if discovered == nil {
			discovered = make(map[*pluginDef]bool, len(m.discovered))
			for _, d := range m.discovered {
				discovered[d] = true
			}
		}
		var group []*pluginDef
		for _, d := range defs {
			if discovered[d] || len(m.registered[d]) > 0 {
				group = append(group, d)
			}
		}
		if len(group) < 2 {
			continue
		}
		registered := 0
		for _, d := range group {
			if len(m.registered[d]) > 0 {
				registered++
			}
		}
		why := "the generated registry gets the name twice, so ctx.plugins." + name + " and ctx.deps." + name + " cannot be typed"
		if registered >= 2 {
			why = fmt.Sprintf("the server refuses to start (\"Plugin %s is already registered\")", name)
		}
		for _, d := range group {
			f := analysis.Finding{
				Code:     CodeDuplicatePlugin,
				Severity: analysis.SeverityError,
				Location: d.NameLoc(),
				Message:  fmt.Sprintf("%d plugins are named %q: %s; give each plugin its own name", len(group), name, why),
			}
			for _, o := range group {
				if o != d {
					f.Related = append(f.Related, analysis.Related{Location: o.NameLoc(), Message: fmt.Sprintf("the other plugin named %q (%s)", name, p.Project.Rel(o.Path))})
				}
			}
			p.Report(f)
		}
	}
}

// reportUnregistered reports plugins the generator puts in the registry
// (so ctx.plugins.x type-checks) that no registerPlugin call registers (so
// it is undefined at runtime). It stays quiet unless every registration
// could be followed to its plugin.
func reportUnregistered(p *Pass, m *pluginModel) {
	if !m.regsKnown {
		return
	}
	// The runtime resolves dependencies by name: a copy of a registered
	// plugin (same name, another folder) is unused, but what depends on
	// that name still starts.
	var registeredNames map[string]*pluginDef // built at the first unregistered plugin
	for _, d := range m.discovered {
		if len(m.registered[d]) > 0 {
			continue
		}
		if registeredNames == nil {
			registeredNames = make(map[string]*pluginDef, len(m.registered))
			for rd := range m.registered {
				if n := rd.Name(); n != "" {
					registeredNames[n] = rd
				}
			}
		}
		name := d.Name()
		if other := registeredNames[name]; name != "" && other != nil {
			p.Report(analysis.Finding{
				Code:     CodeUnregisteredPlugin,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: d.Path, Range: d.Def.ExportRange},
				Message: fmt.Sprintf("plugin %s is never registered; the plugin registered under its name %q is the one in %s, so this definition is unused at runtime (a copied folder?)",
					pluginLabel(d), name, p.Project.Rel(other.Path)),
				Related: []analysis.Related{{Location: other.NameLoc(), Message: "the registered plugin named " + strconv.Quote(name)}},
			})
			continue
		}
		label := pluginLabel(d)
		f := analysis.Finding{
			Code:     CodeUnregisteredPlugin,
			Severity: analysis.SeverityWarning,
			Location: analysis.Location{Path: d.Path, Range: d.Def.ExportRange},
			Message: fmt.Sprintf("plugin %s is never registered: the generated types offer ctx.plugins.%s, but at runtime it is undefined and its migrations never run; add %s to %s",
				label, displayName(d), registerCall(m, d), p.Project.Rel(p.Project.Config().EntryPath())),
		}
		// A registered plugin that depends on it makes start-up fail.
		if name != "" {
			var dependents []string
			for rd := range m.registered {
				if dep, ok := findDep(rd.Def, name); ok {
					dependents = append(dependents, pluginLabel(rd))
					f.Related = append(f.Related, analysis.Related{
						Location: analysis.Location{Path: rd.Path, Range: dep.Range},
						Message:  fmt.Sprintf("%s depends on it", pluginLabel(rd)),
					})
				}
			}
			if len(dependents) > 0 {
				slices.Sort(dependents)
				sortRelated(f.Related)
				f.Severity = analysis.SeverityError
				f.Message = fmt.Sprintf("plugin %s is never registered, but %s depends on it: the server will refuse to start (\"depends on '%s', but it is not registered\"); add %s to %s",
					label, strings.Join(dependents, " and "), name, registerCall(m, d), p.Project.Rel(p.Project.Config().EntryPath()))
			}
		}
		if fix, ok := registerFix(p, m, d); ok {
			f.Fixes = append(f.Fixes, fix)
		}
		p.Report(f)
	}
}

func displayName(d *pluginDef) string {
	if n := d.Name(); n != "" {
		return n
	}
	return "<" + d.Def.ExportName + ">"
}

// registerArg is what registerPlugin is called with: the export, or a call
// of it for plugins that take a config.
func registerArg(d *pluginDef) string {
	if d.Def.WithConfig {
		return d.Def.ExportName + "({ /* config */ })"
	}
	return d.Def.ExportName
}

// receiver is what the project calls registerPlugin on: the root of the
// last registration's receiver (registrations may chain), "" for a bare
// registerPlugin(...) call, and ok false when it is not a plain name.
func receiver(r *registration) (recv string, ok bool) {
	recv = r.Reg.Receiver
	if i := strings.Index(recv, ".registerPlugin("); i >= 0 {
		recv = strings.TrimSpace(recv[:i])
	}
	return recv, !strings.ContainsAny(recv, "()")
}

// registerCall is the statement that registers d, for messages.
func registerCall(m *pluginModel, d *pluginDef) string {
	recv := "server"
	if n := len(m.regs); n > 0 {
		if r, ok := receiver(&m.regs[n-1]); ok && r != "" {
			recv = r
		}
	}
	return recv + ".registerPlugin(" + registerArg(d) + ")"
}

func sortRelated(rs []analysis.Related) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Location.Path != rs[j].Location.Path {
			return rs[i].Location.Path < rs[j].Location.Path
		}
		return rs[i].Location.Range.Start.Offset < rs[j].Location.Range.Start.Offset
	})
}

// registerFix adds `<receiver>.registerPlugin(x);` after the last
// registration statement of the entry (or of whichever file registers
// plugins), and the import when the file lacks one.
func registerFix(p *Pass, m *pluginModel, d *pluginDef) (analysis.Fix, bool) {
	if d.Def.ExportName == "" || !d.Def.Exported {
		return analysis.Fix{}, false
	}
	entry := p.Project.Config().EntryPath()
	var last *registration
	for i := range m.regs {
		r := &m.regs[i]
		if r.Reg.Stmt.IsZero() {
			continue
		}
		if last == nil || (r.Path == entry && last.Path != entry) ||
			(r.Path == last.Path && r.Reg.Stmt.End.Offset > last.Reg.Stmt.End.Offset) {
			last = r
		}
	}
	if last == nil {
		return analysis.Fix{}, false
	}
	file := p.Project.File(last.Path)
	if !editable(file) {
		return analysis.Fix{}, false
	}
	call := "registerPlugin(" + registerArg(d) + ");"
	// registerPlugin returns the server, so registrations chain:
	// `server.registerPlugin(a).registerPlugin(b)`; the new one goes on the
	// chain's root, never after a call that registers a again.
	recv, ok := receiver(last)
	if !ok {
		return analysis.Fix{}, false
	}
	if recv != "" {
		call = recv + "." + call
	}
	edits := []analysis.TextEdit{{
		Path:    last.Path,
		Range:   at(last.Reg.Stmt.End),
		NewText: "\n" + indent(last.Reg.Stmt.Start.Col) + call,
	}}
	if d.Path != last.Path && !importsName(file.Imports, d.Def.ExportName) {
		spec := importSpec(last.Path, d.Path)
		stmt := fmt.Sprintf("import { %s } from %s;", d.Def.ExportName, quote(spec))
		if n := len(file.Imports); n > 0 {
			edits = append(edits, analysis.TextEdit{Path: last.Path, Range: at(file.Imports[n-1].Range.End), NewText: "\n" + stmt})
		} else {
			edits = append(edits, analysis.TextEdit{Path: last.Path, Range: analysis.Range{}, NewText: stmt + "\n"})
		}
	}
	// Both edits are relative to the current text, as LSP edits are; file
	// order only keeps the output stable.
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].Range.Start.Offset < edits[j].Range.Start.Offset })
	title := fmt.Sprintf("Register %s in %s", d.Def.ExportName, p.Project.Rel(last.Path))
	if d.Def.WithConfig {
		title += " (then fill in its config)"
	}
	return analysis.Fix{Title: title, Edit: analysis.WorkspaceEdit{Edits: edits}}, true
}

func importsName(imps []facts.Import, name string) bool {
	for _, imp := range imps {
		for _, n := range imp.Names {
			if n.Alias == name && !n.TypeOnly && !imp.TypeOnly {
				return true
			}
		}
	}
	return false
}

// importSpec is the relative module specifier from one file to another, in
// the extension-less style donkeylabs projects use (`./plugins/users`).
func importSpec(from, to string) string {
	rel, err := filepath.Rel(filepath.Dir(from), to)
	if err != nil {
		return to
	}
	rel = filepath.ToSlash(rel)
	rel = strings.TrimSuffix(rel, filepath.Ext(rel))
	rel = strings.TrimSuffix(rel, "/index")
	if !strings.HasPrefix(rel, "../") {
		rel = "./" + rel
	}
	return rel
}

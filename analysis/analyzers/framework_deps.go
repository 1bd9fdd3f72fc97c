package analyzers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Plugin dependency codes: what AppServer.start refuses, and what is
// undefined at runtime although it type-checks.
const (
	CodeUnknownDependency    = "unknown-dependency"
	CodeDependencyCycle      = "dependency-cycle"
	CodeUndeclaredDependency = "undeclared-dependency"
)

func dependenciesAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "dependencies",
		Doc:   "checks plugins' dependencies: names no plugin has, cycles, and ctx.deps uses the list does not declare",
		Codes: []string{CodeUnknownDependency, CodeDependencyCycle, CodeUndeclaredDependency},
		Run:   runDependencies,
	}
}

func runDependencies(p *Pass) {
	m := pluginModelOf(p.Project)
	names := m.names()
	for _, d := range m.defs {
		for _, dep := range d.Def.Dependencies {
			if m.known(dep.Name) || m.open {
				continue
			}
			f := analysis.Finding{
				Code:     CodeUnknownDependency,
				Severity: analysis.SeverityError,
				Location: analysis.Location{Path: d.Path, Range: dep.Range},
				Message: fmt.Sprintf("plugin %s depends on %q, but no plugin is named %q: the server will refuse to start (\"depends on '%s', but it is not registered\")",
					pluginLabel(d), dep.Name, dep.Name, dep.Name),
			}
			if s := nearest(dep.Name, names); s != "" {
				f.Message += fmt.Sprintf("; did you mean %q?", s)
				if sd := m.unique(s); sd != nil {
					f.Related = append(f.Related, analysis.Related{Location: sd.NameLoc(), Message: fmt.Sprintf("plugin %q is defined here", s)})
				}
				if editable(d.File) {
					f.Fixes = append(f.Fixes, replaceFix(fmt.Sprintf("Change to %q", s), d.Path, dep.Range, quote(s)))
				}
			}
			p.Report(f)
		}
	}
	reportCycles(p, m)
	for _, d := range m.defs {
		reportUndeclared(p, m, d)
	}
}

func pluginLabel(d *pluginDef) string {
	if n := d.Name(); n != "" {
		return fmt.Sprintf("%q", n)
	}
	return d.Def.ExportName
}

// reportCycles finds the strongly connected components of the dependency
// graph (by name) and reports each plugin in a cycle at the dependency that
// leads around it, naming the whole cycle in order.
func reportCycles(p *Pass, m *pluginModel) {
	graph := map[string][]string{}
	for _, name := range m.names() {
		seen := map[string]bool{}
		for _, d := range m.byName[name] {
			for _, dep := range d.Def.Dependencies {
				if len(m.byName[dep.Name]) > 0 && !seen[dep.Name] {
					seen[dep.Name] = true
					graph[name] = append(graph[name], dep.Name)
				}
			}
		}
	}
	for _, comp := range sccs(m.names(), graph) {
		inComp := map[string]bool{}
		for _, n := range comp {
			inComp[n] = true
		}
		if len(comp) == 1 && !contains(graph[comp[0]], comp[0]) {
			continue
		}
		for _, name := range comp {
			cycle := shortestCycle(name, graph, inComp)
			if len(cycle) < 2 {
				continue
			}
			next := cycle[1]
			for _, d := range m.byName[name] {
				dep, ok := findDep(d.Def, next)
				if !ok {
					continue
				}
				f := analysis.Finding{
					Code:     CodeDependencyCycle,
					Severity: analysis.SeverityError,
					Location: analysis.Location{Path: d.Path, Range: dep.Range},
					Message: fmt.Sprintf("plugins depend on each other in a cycle: %s; the server initialises a plugin only after its dependencies, so it will refuse to start (\"Circular dependency detected\"); remove one of these dependencies",
						strings.Join(cycle, " → ")),
				}
				for i := 1; i+1 < len(cycle); i++ {
					for _, od := range m.byName[cycle[i]] {
						if odep, ok := findDep(od.Def, cycle[i+1]); ok {
							f.Related = append(f.Related, analysis.Related{
								Location: analysis.Location{Path: od.Path, Range: odep.Range},
								Message:  fmt.Sprintf("%q depends on %q here", cycle[i], cycle[i+1]),
							})
						}
					}
				}
				p.Report(f)
			}
		}
	}
}

func findDep(pl *facts.Plugin, name string) (facts.Key, bool) {
	for _, k := range pl.Dependencies {
		if k.Name == name {
			return k, true
		}
	}
	return facts.Key{}, false
}

func contains(xs []string, s string) bool {
	return slices.Contains(xs, s)
}

// sccs is Tarjan's algorithm, iterative so that a long dependency chain in a
// generated project cannot exhaust the stack. Components come out with
// their members sorted.
func sccs(nodes []string, graph map[string][]string) [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	type frame struct {
		node string
		edge int
	}
	for _, start := range nodes {
		if _, seen := index[start]; seen {
			continue
		}
		calls := []frame{{node: start}}
		index[start], low[start] = next, next
		next++
		stack = append(stack, start)
		onStack[start] = true
		for len(calls) > 0 {
			top := &calls[len(calls)-1]
			v := top.node
			if top.edge < len(graph[v]) {
				w := graph[v][top.edge]
				top.edge++
				if _, seen := index[w]; !seen {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					calls = append(calls, frame{node: w})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				parent := calls[len(calls)-1].node
				low[parent] = min(low[parent], low[v])
			}
			if low[v] == index[v] {
				var comp []string
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				slices.Sort(comp)
				out = append(out, comp)
			}
		}
	}
	return out
}

// shortestCycle returns start, the nodes of a shortest path back to it
// inside its component, and start again: [a b c a].
func shortestCycle(start string, graph map[string][]string, inComp map[string]bool) []string {
	prev := map[string]string{}
	queue := []string{start}
	visited := map[string]bool{}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range graph[v] {
			if !inComp[w] {
				continue
			}
			if w == start {
				path := []string{start}
				for at := v; at != start; at = prev[at] {
					path = append(path, at)
				}
				// path is start, then the nodes from v back to start's successor.
				cycle := []string{start}
				for i := len(path) - 1; i >= 1; i-- {
					cycle = append(cycle, path[i])
				}
				return append(cycle, start)
			}
			if !visited[w] {
				visited[w] = true
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return nil
}

// reportUndeclared reports ctx.deps.<name> uses for plugins the dependencies
// list leaves out: the runtime passes only the listed ones, so the access is
// undefined.
func reportUndeclared(p *Pass, m *pluginModel, d *pluginDef) {
	pl := d.Def
	if !pl.DepsKnown {
		return // a spread or a computed entry may list it
	}
	declared := map[string]bool{}
	for _, k := range pl.Dependencies {
		declared[k.Name] = true
	}
	for _, use := range pl.DepUses {
		if declared[use.Plugin] || use.Plugin == d.Name() {
			continue
		}
		if !m.known(use.Plugin) && !m.open {
			continue // unknown-plugin says it better
		}
		f := analysis.Finding{
			Code:     CodeUndeclaredDependency,
			Severity: analysis.SeverityError,
			Location: analysis.Location{Path: d.Path, Range: use.PluginRange},
			Message: fmt.Sprintf("ctx.deps.%s is undefined at runtime: plugin %s does not list %q in its dependencies, and the server passes a plugin only the services it declares",
				use.Plugin, pluginLabel(d), use.Plugin),
		}
		if other := m.unique(use.Plugin); other != nil {
			f.Related = append(f.Related, analysis.Related{Location: other.NameLoc(), Message: fmt.Sprintf("plugin %q is defined here", use.Plugin)})
		}
		if edit, ok := addDependencyEdit(d.Path, pl, use.Plugin); ok && editable(d.File) {
			f.Fixes = append(f.Fixes, analysis.Fix{
				Title: fmt.Sprintf("Add %q to the dependencies of %s", use.Plugin, pluginLabel(d)),
				Edit:  analysis.WorkspaceEdit{Edits: []analysis.TextEdit{edit}},
			})
		}
		p.Report(f)
	}
}

// addDependencyEdit adds name to a plugin's dependencies: after the last
// entry, into an empty list, or as a new key after `name` when there is no
// list yet. Only positions read from facts are used.
func addDependencyEdit(path string, pl *facts.Plugin, name string) (analysis.TextEdit, bool) {
	switch {
	case !pl.DepsRange.IsZero() && len(pl.Dependencies) > 0:
		last := pl.Dependencies[len(pl.Dependencies)-1]
		return analysis.TextEdit{Path: path, Range: at(last.Range.End), NewText: ", " + quote(name)}, true
	case !pl.DepsRange.IsZero():
		// An empty list: `[]` (the `as const` around it is left alone).
		return analysis.TextEdit{Path: path, Range: pl.DepsRange, NewText: "[" + quote(name) + "]"}, true
	case pl.NameKnown && !pl.NameKeyRange.IsZero():
		key := "dependencies: [" + quote(name) + "] as const"
		if pl.NameKeyRange.Start.Line == pl.ObjectRange.Start.Line {
			return analysis.TextEdit{Path: path, Range: at(pl.NameRange.End), NewText: ", " + key}, true
		}
		return analysis.TextEdit{Path: path, Range: at(pl.NameRange.End), NewText: ",\n" + indent(pl.NameKeyRange.Start.Col) + key}, true
	}
	return analysis.TextEdit{}, false
}

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
	// Every finding here reads the plugins' names and dependency lists,
	// the names the generator gives and whether the set is open; the
	// positions only where a finding is. A keystroke that changes none of
	// them (a handler key, a service body) reuses the findings instead of
	// building the graph and running Tarjan's algorithm over a thousand
	// plugins again.
	p.reportSince(dependenciesKey{}, m, sameDependencyInputs, func(p *Pass) { checkDependencies(p, m) })
}

type dependenciesKey struct{}

// sameDependencyInputs reports whether checkDependencies reads the same of
// the model now as of prev: the same definitions in the same order, each
// the very same facts or with the same names, exports and dependencies,
// and in a file where prev found something, the very same facts.
func sameDependencyInputs(prev, now any, found []analysis.Finding) bool {
	a, b := prev.(*pluginModel), now.(*pluginModel)
	if a.open != b.open || len(a.defs) != len(b.defs) || !slices.Equal(a.genOrder, b.genOrder) {
		return false
	}
	for i, x := range a.defs {
		y := b.defs[i]
		if x.Def == y.Def {
			continue
		}
		if x.Path != y.Path || !sameDependencyFacts(x.Def, y.Def) || reportsIn(found, x.Path) {
			return false
		}
	}
	return true
}

// sameDependencyFacts compares what checkDependencies reads of a
// definition apart from positions.
func sameDependencyFacts(x, y *facts.Plugin) bool {
	return x.Name == y.Name && x.NameKnown == y.NameKnown && x.ExportName == y.ExportName && x.DepsKnown == y.DepsKnown &&
		slices.EqualFunc(x.Dependencies, y.Dependencies, func(a, b facts.Key) bool { return a.Name == b.Name }) &&
		slices.EqualFunc(x.DepUses, y.DepUses, func(a, b facts.MemberUse) bool { return a.Plugin == b.Plugin })
}

// checkDependencies reports unknown dependencies, cycles and undeclared
// ctx.deps uses.
func checkDependencies(p *Pass, m *pluginModel) {
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
	names := m.names()
	g := dependencyGraph(m, names)
	for _, comp := range cycles(g) {
		inComp := make(map[int32]bool, len(comp))
		for _, v := range comp {
			inComp[v] = true
		}
		for _, v := range comp {
			path := shortestCycle(v, g, inComp)
			if len(path) < 2 {
				continue
			}
			cycle := make([]string, len(path))
			for i, w := range path {
				cycle[i] = names[w]
			}
			name, next := cycle[0], cycle[1]
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

// depGraph is the dependency graph over indices into the sorted plugin
// names, its edges in one slice: the edges of node v are
// edges[start[v]:start[v+1]], each once, in the order the definitions list
// them. Maps keyed by name made this analysis the framework analyzers'
// largest cost on a thousand plugins.
type depGraph struct {
	start []int32
	edges []int32
}

func (g *depGraph) out(v int32) []int32 { return g.edges[g.start[v]:g.start[v+1]] }

// dependencyGraph links each name to the names its definitions depend on
// that some plugin has (names is m.names()).
func dependencyGraph(m *pluginModel, names []string) *depGraph {
	g := &depGraph{start: make([]int32, len(names)+1)}
	for i, name := range names {
		g.start[i] = int32(len(g.edges))
		for _, d := range m.byName[name] {
			for _, dep := range d.Def.Dependencies {
				w, ok := slices.BinarySearch(names, dep.Name)
				if ok && !slices.Contains(g.edges[g.start[i]:], int32(w)) {
					g.edges = append(g.edges, int32(w))
				}
			}
		}
	}
	g.start[len(names)] = int32(len(g.edges))
	return g
}

func findDep(pl *facts.Plugin, name string) (facts.Key, bool) {
	for _, k := range pl.Dependencies {
		if k.Name == name {
			return k, true
		}
	}
	return facts.Key{}, false
}

// cycles returns the strongly connected components of g that hold a cycle
// (more than one node, or one that depends on itself), each sorted, by
// Tarjan's algorithm; iterative so that a long dependency chain in a
// generated project cannot exhaust the stack.
func cycles(g *depGraph) [][]int32 {
	n := len(g.start) - 1
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int32
	var out [][]int32
	var next int32
	type frame struct {
		node int32
		edge int32
	}
	var calls []frame
	for s := range int32(n) {
		if index[s] >= 0 {
			continue
		}
		calls = append(calls[:0], frame{node: s})
		index[s], low[s] = next, next
		next++
		stack = append(stack, s)
		onStack[s] = true
		for len(calls) > 0 {
			top := &calls[len(calls)-1]
			v := top.node
			if es := g.out(v); int(top.edge) < len(es) {
				w := es[top.edge]
				top.edge++
				if index[w] < 0 {
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
			if low[v] != index[v] {
				continue
			}
			i := len(stack) - 1
			for stack[i] != v {
				i--
			}
			comp := stack[i:]
			stack = stack[:i]
			for _, w := range comp {
				onStack[w] = false
			}
			if len(comp) == 1 && !slices.Contains(g.out(v), v) {
				continue
			}
			comp = slices.Clone(comp)
			slices.Sort(comp)
			out = append(out, comp)
		}
	}
	return out
}

// shortestCycle returns start, the nodes of a shortest path back to it
// inside its component, and start again: [a b c a].
func shortestCycle(start int32, g *depGraph, inComp map[int32]bool) []int32 {
	prev := map[int32]int32{}
	queue := []int32{start}
	visited := map[int32]bool{}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.out(v) {
			if !inComp[w] {
				continue
			}
			if w == start {
				path := []int32{start}
				for at := v; at != start; at = prev[at] {
					path = append(path, at)
				}
				// path is start, then the nodes from v back to start's successor.
				cycle := []int32{start}
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
	for _, use := range pl.DepUses {
		// A plugin lists a few dependencies: a scan is cheaper than a map
		// per plugin per pass.
		if _, declared := findDep(pl, use.Plugin); declared || use.Plugin == d.Name() {
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

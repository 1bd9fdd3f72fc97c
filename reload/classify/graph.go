package classify

import (
	"github.com/donkeyls/donkeyls/analysis/project"
)

// importGraph is the set of files the server entry loads, following its
// imports through the snapshot's facts with the project's one resolver
// (relative paths and tsconfig aliases; packages are not project source).
func importGraph(p *project.Project) map[string]bool {
	seen := map[string]bool{}
	if p == nil || p.Config() == nil {
		return seen
	}
	queue := []string{p.Config().EntryPath()}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		f := p.File(path)
		if f == nil {
			continue // JSON, JavaScript: a leaf as far as we can tell
		}
		for _, imp := range f.Imports {
			if imp.TypeOnly {
				continue // erased at runtime: the server never loads it
			}
			if target := p.ResolveImport(path, imp.Spec).Path; target != "" && !seen[target] {
				queue = append(queue, target)
			}
		}
	}
	return seen
}

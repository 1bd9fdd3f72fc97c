package classify

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/project"
)

// importGraph is the set of files the server entry loads, following relative
// imports through the snapshot's facts. Bare specifiers (packages, path
// aliases) are not followed: their changes are not project source.
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
			if target := resolve(p, filepath.Dir(path), imp.Spec); target != "" && !seen[target] {
				queue = append(queue, target)
			}
		}
	}
	return seen
}

// resolve finds the file a relative specifier names, the way Bun does for
// TypeScript: the exact file, then with an extension, then an index file;
// "./x.js" may name x.ts.
func resolve(p *project.Project, dir, spec string) string {
	if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") && spec != "." && spec != ".." && !filepath.IsAbs(spec) {
		return ""
	}
	if i := strings.IndexAny(spec, "?#"); i >= 0 {
		spec = spec[:i]
	}
	base := spec
	if !filepath.IsAbs(base) {
		base = filepath.Join(dir, filepath.FromSlash(spec))
	}
	candidates := []string{base}
	switch ext := filepath.Ext(base); ext {
	case ".js", ".mjs", ".jsx":
		stem := strings.TrimSuffix(base, ext)
		candidates = append(candidates, stem+".ts", stem+".tsx", stem+".mts")
	}
	for _, ext := range []string{".ts", ".tsx", ".mts", ".js", ".mjs", ".json"} {
		candidates = append(candidates, base+ext)
	}
	for _, idx := range []string{"index.ts", "index.tsx", "index.js"} {
		candidates = append(candidates, filepath.Join(base, idx))
	}
	for _, c := range candidates {
		if f := p.File(c); f != nil && !f.Missing {
			return c
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	return ""
}

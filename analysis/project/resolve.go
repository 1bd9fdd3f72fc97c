package project

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Resolved is where an import specifier leads, as Bun resolves it when it
// runs the project (relative and absolute paths, then the tsconfig
// `paths` aliases and `baseUrl`; anything else is a package).
type Resolved struct {
	// Path is the file, "" when nothing exists there.
	Path string
	// File is its facts, nil for files we do not analyze (JavaScript, JSON).
	File *facts.File
	// Local is set when the specifier names a project file (a relative or
	// absolute path, or a tsconfig alias that matched): a Local import
	// without a Path fails when the module is loaded.
	Local bool
}

// ResolveImport resolves spec imported from file from. It is the one
// resolver of the entry model, the change classifier and the impact graph.
func (p *Project) ResolveImport(from, spec string) Resolved {
	if spec == "" {
		return Resolved{}
	}
	if i := strings.IndexAny(spec, "?#"); i >= 0 {
		spec = spec[:i]
	}
	switch {
	case strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || spec == "." || spec == "..":
		f, path := p.resolvePath(filepath.Join(filepath.Dir(from), filepath.FromSlash(spec)))
		return Resolved{Path: path, File: f, Local: true}
	case filepath.IsAbs(spec):
		f, path := p.resolvePath(filepath.FromSlash(spec))
		return Resolved{Path: path, File: f, Local: true}
	}
	ts := p.tsconfig()
	if targets, ok := ts.match(spec); ok {
		for _, t := range targets {
			if f, path := p.resolvePath(t); path != "" {
				return Resolved{Path: path, File: f, Local: true}
			}
		}
		return Resolved{Local: true}
	}
	if ts.baseURL != "" {
		// baseUrl makes bare names resolve from it first; a miss falls
		// through to node_modules, so only a hit is local.
		if f, path := p.resolvePath(filepath.Join(ts.baseURL, filepath.FromSlash(spec))); path != "" {
			return Resolved{Path: path, File: f, Local: true}
		}
	}
	return Resolved{}
}

// resolvePath finds the file base names, trying the extensions and index
// files Bun tries ("./x.js" may name x.ts). An analyzed file is returned
// with its facts; a file on disk we do not analyze with nil facts.
func (p *Project) resolvePath(base string) (*facts.File, string) {
	stem := base
	for _, ext := range []string{".js", ".ts", ".mjs", ".mts", ".tsx", ".jsx"} {
		if before, ok := strings.CutSuffix(stem, ext); ok {
			stem = before
			break
		}
	}
	// Candidates are built one at a time: nearly every import is found at
	// the first or second, and the entry of a large project has thousands.
	for i := range 6 {
		var cand string
		switch i {
		case 0:
			if stem == base {
				continue // no extension: base itself is a directory or nothing
			}
			cand = base
		case 1:
			cand = stem + ".ts"
		case 2:
			cand = stem + string(filepath.Separator) + "index.ts"
		case 3:
			cand = stem + ".tsx"
		case 4:
			cand = stem + ".mts"
		case 5:
			cand = stem + string(filepath.Separator) + "index.tsx"
		}
		if f := p.File(cand); f != nil && !f.Missing && f.Kind != facts.KindConfig {
			return f, cand
		}
	}
	for _, cand := range []string{base, stem + ".js", stem + ".mjs", stem + ".cjs", stem + ".jsx", stem + ".json", filepath.Join(stem, "index.js")} {
		if st, err := p.src.Stat(cand); err == nil && !st.IsDir() {
			return nil, cand
		}
	}
	return nil, ""
}

// tsPaths is the `paths` and `baseUrl` of the project's tsconfig.json,
// after its `extends` chain.
type tsPaths struct {
	baseURL string
	rules   []pathRule
}

// pathRule is one `paths` entry: "prefix*suffix" (or an exact name) and
// its targets, absolute.
type pathRule struct {
	prefix, suffix string
	wildcard       bool
	targets        []string
}

// match returns the targets of the rule TypeScript picks for spec: an
// exact name first, else the wildcard with the longest prefix.
func (t *tsPaths) match(spec string) ([]string, bool) {
	best := -1
	var out []string
	for _, r := range t.rules {
		if !r.wildcard {
			if spec == r.prefix {
				return r.targets, true
			}
			continue
		}
		if len(spec) < len(r.prefix)+len(r.suffix) || !strings.HasPrefix(spec, r.prefix) || !strings.HasSuffix(spec, r.suffix) || len(r.prefix) <= best {
			continue
		}
		best = len(r.prefix)
		star := spec[len(r.prefix) : len(spec)-len(r.suffix)]
		out = out[:0]
		for _, tg := range r.targets {
			out = append(out, strings.Replace(tg, "*", star, 1))
		}
	}
	return out, best >= 0
}

type tsconfigKey struct{}

// tsconfig reads the root tsconfig.json once per snapshot. A missing or
// unreadable one has no aliases.
func (p *Project) tsconfig() *tsPaths {
	return p.Memo(tsconfigKey{}, func() any {
		t := &tsPaths{}
		readTSConfig(p.src, filepath.Join(p.root, "tsconfig.json"), t, 0)
		return t
	}).(*tsPaths)
}

// readTSConfig applies the config at path to t, its `extends` first.
func readTSConfig(src Source, path string, t *tsPaths, depth int) {
	if depth > 8 {
		return
	}
	b, err := src.ReadFile(path)
	if err != nil {
		return
	}
	var cfg struct {
		Extends         json.RawMessage `json:"extends"`
		CompilerOptions struct {
			BaseURL *string             `json:"baseUrl"`
			Paths   map[string][]string `json:"paths"`
		} `json:"compilerOptions"`
	}
	if json.Unmarshal(stripJSONC(b), &cfg) != nil {
		return
	}
	dir := filepath.Dir(path)
	var parents []string
	if len(cfg.Extends) > 0 {
		var one string
		if json.Unmarshal(cfg.Extends, &one) == nil {
			parents = []string{one}
		} else {
			_ = json.Unmarshal(cfg.Extends, &parents)
		}
	}
	for _, ext := range parents {
		// Only file paths: a package's tsconfig (@tsconfig/...) holds no
		// aliases of this project.
		if strings.HasPrefix(ext, ".") || filepath.IsAbs(ext) {
			parent := ext
			if !filepath.IsAbs(parent) {
				parent = filepath.Join(dir, filepath.FromSlash(ext))
			}
			if !strings.HasSuffix(parent, ".json") {
				parent += ".json"
			}
			readTSConfig(src, parent, t, depth+1)
		}
	}
	if cfg.CompilerOptions.BaseURL != nil {
		t.baseURL = filepath.Join(dir, filepath.FromSlash(*cfg.CompilerOptions.BaseURL))
	}
	if cfg.CompilerOptions.Paths != nil {
		// Targets are relative to baseUrl when there is one, else to the
		// file that declares them.
		base := dir
		if t.baseURL != "" {
			base = t.baseURL
		}
		t.rules = t.rules[:0]
		for pat, targets := range cfg.CompilerOptions.Paths {
			r := pathRule{prefix: pat}
			if before, after, ok := strings.Cut(pat, "*"); ok {
				r.prefix, r.suffix, r.wildcard = before, after, true
			}
			for _, tg := range targets {
				if !filepath.IsAbs(tg) {
					tg = filepath.Join(base, filepath.FromSlash(tg))
				}
				r.targets = append(r.targets, tg)
			}
			t.rules = append(t.rules, r)
		}
		sort.Slice(t.rules, func(i, j int) bool {
			return t.rules[i].prefix+"*"+t.rules[i].suffix < t.rules[j].prefix+"*"+t.rules[j].suffix
		})
	}
}

// stripJSONC removes comments and trailing commas, which tsconfig files
// may hold and encoding/json rejects.
func stripJSONC(b []byte) []byte {
	var out bytes.Buffer
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out.WriteByte(c)
			if c == '\\' && i+1 < len(b) {
				i++
				out.WriteByte(b[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
			out.WriteByte(c)
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			out.WriteByte('\n')
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			i += 2
			for i+1 < len(b) && !(b[i] == '*' && b[i+1] == '/') {
				i++
			}
			i++
		case c == ',':
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				continue
			}
			out.WriteByte(c)
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}

type zodMajorKey struct{}

// ZodMajor is the major version of the zod the project runs (the one
// installed under node_modules, else the range package.json asks for); 0
// when unknown. The server translates schemas through zod 3's
// _def.typeName, so under zod 4 "zod" itself gives schemas it prints as
// unknown (verified with zod/v4: {"inputType":"unknown"}).
func (p *Project) ZodMajor() int {
	return p.Memo(zodMajorKey{}, func() any {
		var pkg struct {
			Version         string            `json:"version"`
			Dependencies    map[string]string `json:"dependencies"`
			DevDependencies map[string]string `json:"devDependencies"`
		}
		if b, err := p.src.ReadFile(filepath.Join(p.root, "node_modules", "zod", "package.json")); err == nil && json.Unmarshal(b, &pkg) == nil && pkg.Version != "" {
			return leadingMajor(pkg.Version)
		}
		if b, err := p.src.ReadFile(filepath.Join(p.root, "package.json")); err == nil && json.Unmarshal(b, &pkg) == nil {
			if v, ok := pkg.Dependencies["zod"]; ok {
				return leadingMajor(v)
			}
			if v, ok := pkg.DevDependencies["zod"]; ok {
				return leadingMajor(v)
			}
		}
		return 0
	}).(int)
}

// leadingMajor reads the first number of a version or a simple range
// ("^3.24.0", "~4.1", ">=4", "3.25.76").
func leadingMajor(v string) int {
	v = strings.TrimLeft(strings.TrimSpace(v), "^~>=v ")
	n := 0
	for i := 0; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		n = n*10 + int(v[i]-'0')
	}
	return n
}

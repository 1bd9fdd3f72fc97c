package refactor

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/syntax"
	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// module is one parsed file the refactoring reads or edits.
type module struct {
	path  string
	src   []byte
	tree  *syntax.Tree
	lines *textpos.Table
	// imports maps each local name an import binds to how it is bound.
	imports map[string]*binding
	// importStmts are the import statements in order.
	importStmts []syntax.Node
	// top maps each top-level declared name to its declaration.
	top map[string]*topDecl
	// exportedNames are names listed in `export { a, b as c }` clauses.
	exportedNames map[string]bool
}

// binding is one name an import statement binds.
type binding struct {
	Local    string
	Imported string // "default", "*" or the exported name
	Spec     string // the module specifier as written
	TypeOnly bool
	Stmt     syntax.Node
}

// topDecl is a top-level declaration.
type topDecl struct {
	Name     string
	Kind     string // const, let, var, function, class, type, interface, enum
	Exported bool
	Stmt     syntax.Node // the statement (the export statement when exported)
}

func parseModule(ctx context.Context, parser *syntax.Parser, path string, src []byte) (*module, error) {
	dialect := syntax.TypeScript
	if strings.EqualFold(filepath.Ext(path), ".tsx") {
		dialect = syntax.TSX
	}
	tree, err := parser.Parse(ctx, src, dialect)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	m := &module{
		path: path, src: src, tree: tree, lines: textpos.New(src),
		imports: map[string]*binding{}, top: map[string]*topDecl{}, exportedNames: map[string]bool{},
	}
	m.index()
	return m, nil
}

func (m *module) index() {
	facts.WalkTopLevel(m.tree.Root(), facts.TopLevel{
		Import: m.addImport,
		Var: func(binding, _ syntax.Node, kind string, exported bool, st syntax.Node) {
			for _, id := range patternNames(binding) {
				m.top[id.Text()] = &topDecl{Name: id.Text(), Kind: kind, Exported: exported, Stmt: st}
			}
		},
		Decl: func(name syntax.Node, kind string, exported bool, st syntax.Node) {
			m.top[name.Text()] = &topDecl{Name: name.Text(), Kind: kind, Exported: exported, Stmt: st}
		},
		Export: func(st syntax.Node) {
			if !st.Field("source").IsNull() {
				return // export { a } from "x" re-exports, declares nothing here
			}
			st.Walk(func(n syntax.Node) bool {
				if n.Is("export_specifier") {
					m.exportedNames[n.Field("name").Text()] = true
				}
				return true
			})
		},
	})
	for name := range m.exportedNames {
		if d := m.top[name]; d != nil {
			d.Exported = true
		}
	}
}

func (m *module) addImport(n syntax.Node) {
	m.importStmts = append(m.importStmts, n)
	spec := unquote(n.Field("source").Text())
	imp := facts.ReadImport(n)
	if imp.Default != "" {
		m.imports[imp.Default] = &binding{Local: imp.Default, Imported: "default", Spec: spec, TypeOnly: imp.TypeOnly, Stmt: n}
	}
	if imp.Namespace != "" {
		m.imports[imp.Namespace] = &binding{Local: imp.Namespace, Imported: "*", Spec: spec, TypeOnly: imp.TypeOnly, Stmt: n}
	}
	for _, name := range imp.Names {
		m.imports[name.Alias] = &binding{Local: name.Alias, Imported: name.Name, Spec: spec, TypeOnly: imp.TypeOnly || name.TypeOnly, Stmt: n}
	}
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'' || s[0] == '`') {
		return s[1 : len(s)-1]
	}
	return s
}

// lineStart is the offset of the start of the line holding off.
func (m *module) lineStart(off int) int {
	for off > 0 && m.src[off-1] != '\n' {
		off--
	}
	return off
}

// lineEnd is the offset just past the newline ending the line holding off
// (or the end of the file).
func (m *module) lineEnd(off int) int {
	for off < len(m.src) && m.src[off] != '\n' {
		off++
	}
	if off < len(m.src) {
		off++
	}
	return off
}

// indentAt is the leading whitespace of the line holding off.
func (m *module) indentAt(off int) string {
	start := m.lineStart(off)
	end := start
	for end < len(m.src) && (m.src[end] == ' ' || m.src[end] == '\t') {
		end++
	}
	return string(m.src[start:end])
}

// nodeAt finds the node spanning exactly r whose kind satisfies ok.
func (m *module) nodeAt(r analysis.Range, ok func(syntax.Node) bool) syntax.Node {
	start, end := int(r.Start.Offset), int(r.End.Offset)
	var found syntax.Node
	m.tree.Root().Walk(func(n syntax.Node) bool {
		if !found.IsNull() || n.End() < start || n.Start() > end {
			return false
		}
		if n.Start() == start && n.End() == end && ok(n) {
			found = n
			return false
		}
		return true
	})
	return found
}

// resolveSpec turns a relative specifier of this module into a clean
// slash path without extension, or returns the bare specifier unchanged.
func resolveSpec(fromFile, spec string) (resolved string, relative bool) {
	if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") && spec != "." && spec != ".." {
		return spec, false
	}
	p := path.Join(filepath.ToSlash(filepath.Dir(fromFile)), spec)
	return trimModuleExt(p), true
}

// trimModuleExt drops a TypeScript/JavaScript extension and a trailing
// /index, so "./a/index.ts", "./a/index" and "./a" compare equal.
func trimModuleExt(p string) string {
	for _, ext := range []string{".ts", ".tsx", ".js", ".mjs", ".mts", ".jsx"} {
		if before, ok := strings.CutSuffix(p, ext); ok {
			p = before
			break
		}
	}
	return strings.TrimSuffix(p, "/index")
}

// relSpec is the specifier that imports target (a slash path without
// extension, as resolveSpec returns) from a file at fromFile.
func relSpec(fromFile, target string) string {
	rel, err := filepath.Rel(filepath.Dir(fromFile), filepath.FromSlash(target))
	if err != nil {
		return target
	}
	rel = filepath.ToSlash(rel)
	if !strings.HasPrefix(rel, ".") {
		rel = "./" + rel
	}
	return rel
}

// sameFile reports whether a resolved specifier names the module at file.
func sameFile(resolved, file string) bool {
	return resolved == trimModuleExt(filepath.ToSlash(file))
}

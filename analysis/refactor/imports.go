package refactor

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// importNeed is one binding a file must import.
type importNeed struct {
	// target is the module: a clean absolute slash path without extension
	// for project files, the bare specifier otherwise.
	target   string
	relative bool
	imported string // "default", "*" or the exported name
	local    string
	typeOnly bool
}

// needFromBinding re-targets an import of the module at from.
func needFromBinding(from string, b *binding) importNeed {
	target, rel := resolveSpec(from, b.Spec)
	return importNeed{target: target, relative: rel, imported: b.Imported, local: b.Local, typeOnly: b.TypeOnly}
}

// needFromFile imports a named export of a project file.
func needFromFile(file, name string, typeOnly bool) importNeed {
	return importNeed{target: trimModuleExt(filepath.ToSlash(file)), relative: true, imported: name, local: name, typeOnly: typeOnly}
}

func needFromPackage(pkg, name string, typeOnly bool) importNeed {
	return importNeed{target: pkg, imported: name, local: name, typeOnly: typeOnly}
}

// specFor is the specifier that imports the need's module from file.
func (n importNeed) specFor(file string) string {
	if !n.relative {
		return n.target
	}
	return relSpec(file, n.target)
}

func (n importNeed) specifier() string {
	s := n.imported
	if n.local != n.imported {
		s += " as " + n.local
	}
	return s
}

// importNeeds is an ordered set of needs, one per local name.
type importNeeds struct {
	list []importNeed
}

func (ns *importNeeds) add(n importNeed) error {
	for i, have := range ns.list {
		if have.local != n.local {
			continue
		}
		if have.target != n.target || have.imported != n.imported {
			return fmt.Errorf("two different things would be imported as %s", n.local)
		}
		if !n.typeOnly {
			ns.list[i].typeOnly = false
		}
		return nil
	}
	ns.list = append(ns.list, n)
	return nil
}

// statements renders the needs as import statements for a new file at
// file: the framework first, then packages, then project files, each
// module once.
func (ns *importNeeds) statements(file string, st style) string {
	type group struct {
		target   string
		need     []importNeed
		relative bool
	}
	var groups []*group
	byTarget := map[string]*group{}
	for _, n := range ns.list {
		key := n.target
		if n.imported == "*" || n.imported == "default" {
			key += "\x00" + n.local // default and namespace imports stand alone
		}
		g := byTarget[key]
		if g == nil {
			g = &group{target: n.target, relative: n.relative}
			byTarget[key] = g
			groups = append(groups, g)
		}
		g.need = append(g.need, n)
	}
	rank := func(g *group) int {
		switch {
		case g.target == "@donkeylabs/server":
			return 0
		case !g.relative:
			return 1
		}
		return 2
	}
	var b strings.Builder
	for r := range 3 {
		for _, g := range groups {
			if rank(g) != r {
				continue
			}
			b.WriteString(renderImport(g.need, g.need[0].specFor(file), st))
			b.WriteString("\n")
		}
	}
	return b.String()
}

// renderImport writes one import statement for needs of one module.
func renderImport(needs []importNeed, spec string, st style) string {
	n0 := needs[0]
	switch n0.imported {
	case "*":
		return fmt.Sprintf("import %s* as %s from %s%s", typeKw(n0.typeOnly), n0.local, st.str(spec), st.end())
	case "default":
		return fmt.Sprintf("import %s%s from %s%s", typeKw(n0.typeOnly), n0.local, st.str(spec), st.end())
	}
	allType := true
	for _, n := range needs {
		allType = allType && n.typeOnly
	}
	var parts []string
	for _, n := range needs {
		p := n.specifier()
		if n.typeOnly && !allType {
			p = "type " + p
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("import %s{ %s } from %s%s", typeKw(allType), strings.Join(parts, ", "), st.str(spec), st.end())
}

func typeKw(b bool) string {
	if b {
		return "type "
	}
	return ""
}

// importStmt describes an import statement for merging.
type importStmt struct {
	target   string
	typeOnly bool
	named    syntax.Node // the named_imports clause, null when none
	ns       bool
}

func (m *module) importStmtInfo(n syntax.Node) importStmt {
	spec := unquote(n.Field("source").Text())
	target, _ := resolveSpec(m.path, spec)
	is := importStmt{target: target}
	for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c.Kind() == "type" {
			is.typeOnly = true
		}
		if c.Is("import_clause") {
			for _, part := range c.NamedChildren() {
				switch part.Kind() {
				case "named_imports":
					is.named = part
				case "namespace_import":
					is.ns = true
				}
			}
		}
	}
	return is
}

// addImports makes module m import every need, merging into an existing
// import of the same module where it can and adding statements after the
// last import otherwise. skip lists statements being deleted.
func (x *extraction) addImports(m *module, needs []importNeed, skip map[syntax.Node]bool) error {
	var fresh importNeeds
	for _, n := range needs {
		if b := m.imports[n.local]; b != nil {
			have := needFromBinding(m.path, b)
			if have.target == n.target && have.imported == n.imported && !skip[b.Stmt] {
				if b.TypeOnly && !n.typeOnly {
					return fmt.Errorf("%s imports %s as a type only, and the moved code uses it as a value", filepath.Base(m.path), n.local)
				}
				continue // already imported
			}
			if !skip[b.Stmt] {
				return fmt.Errorf("%s already imports a different %s", filepath.Base(m.path), n.local)
			}
		}
		if sameFile(n.target, m.path) {
			// The module itself: the name must be one of its own.
			if d := m.top[n.imported]; d != nil && n.local == n.imported {
				continue
			}
			return fmt.Errorf("%s does not declare %s", filepath.Base(m.path), n.imported)
		}
		if d := m.top[n.local]; d != nil {
			return fmt.Errorf("%s already declares its own %s", filepath.Base(m.path), n.local)
		}
		merged := false
		if n.imported != "*" && n.imported != "default" {
			for _, st := range m.importStmts {
				if skip[st] {
					continue
				}
				info := m.importStmtInfo(st)
				if info.target != n.target || info.named.IsNull() || info.ns || (info.typeOnly && !n.typeOnly) {
					continue
				}
				spec := n.specifier()
				if n.typeOnly && !info.typeOnly {
					spec = "type " + spec
				}
				specs := info.named.NamedChildren()
				if len(specs) == 0 {
					x.edits.insert(m, info.named.Start()+1, " "+spec+" ")
				} else {
					x.edits.insert(m, specs[len(specs)-1].End(), ", "+spec)
				}
				merged = true
				break
			}
		}
		if !merged {
			if err := fresh.add(n); err != nil {
				return err
			}
		}
	}
	// Packages go after the file's last package import, project files
	// after its last import, as people group them.
	var pkgs, files importNeeds
	for _, n := range fresh.list {
		if n.relative {
			files.list = append(files.list, n)
		} else {
			pkgs.list = append(pkgs.list, n)
		}
	}
	var lastPkg syntax.Node
	for _, st := range m.importStmts {
		if _, rel := resolveSpec(m.path, unquote(st.Field("source").Text())); !rel {
			lastPkg = st
		}
	}
	if !lastPkg.IsNull() && len(pkgs.list) > 0 {
		x.edits.insert(m, m.lineEnd(lastPkg.End()), pkgs.statements(m.path, x.st))
		pkgs.list = nil
	}
	rest := append(pkgs.list, files.list...)
	if len(rest) == 0 {
		return nil
	}
	text := (&importNeeds{list: rest}).statements(m.path, x.st)
	at := 0
	if k := len(m.importStmts); k > 0 {
		at = m.lineEnd(m.importStmts[k-1].End())
		if at == len(m.src) && (len(m.src) == 0 || m.src[len(m.src)-1] != '\n') {
			text = "\n" + text
		}
	} else {
		text += "\n"
	}
	x.edits.insert(m, at, text)
	return nil
}

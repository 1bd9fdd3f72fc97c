package facts

import "github.com/donkeyls/donkeyls/analysis/syntax"

// TopLevel receives a module's top-level statements from WalkTopLevel, the
// one reading of them that the fact extractor and the refactorings share. A
// nil field skips that kind of statement. stmt is always the whole
// top-level statement: the export statement when the declaration is
// exported.
type TopLevel struct {
	// Import sees each import statement.
	Import func(stmt syntax.Node)
	// Var sees each declarator of a const, let or var declaration: binding
	// is its name, an identifier or a destructuring pattern; value is its
	// initializer (null when there is none).
	Var func(binding, value syntax.Node, kind string, exported bool, stmt syntax.Node)
	// Decl sees each named function, class, type, interface or enum
	// declaration (kind as declKind says).
	Decl func(name syntax.Node, kind string, exported bool, stmt syntax.Node)
	// Export sees each export statement that declares nothing:
	// `export { a, b as c }`, with or without `from "x"`, and `export * ...`.
	Export func(stmt syntax.Node)
}

// WalkTopLevel hands every top-level statement of root to the matching
// field of v, in source order.
func WalkTopLevel(root syntax.Node, v TopLevel) {
	for _, st := range root.NamedChildren() {
		exported := false
		decl := st
		if st.Is("export_statement") {
			exported = true
			decl = st.Field("declaration")
			if decl.IsNull() {
				if v.Export != nil {
					v.Export(st)
				}
				continue
			}
		}
		switch decl.Kind() {
		case "import_statement":
			if v.Import != nil {
				v.Import(decl)
			}
		case "lexical_declaration", "variable_declaration":
			if v.Var == nil {
				continue
			}
			kind := "const"
			if fc := decl.FirstChild(); !fc.IsNull() {
				kind = fc.Text()
			}
			for _, d := range decl.NamedChildren() {
				if d.Is("variable_declarator") {
					v.Var(d.Field("name"), d.Field("value"), kind, exported, st)
				}
			}
		default:
			kind := declKind(decl.Kind())
			if kind == "" || v.Decl == nil {
				continue
			}
			if name := decl.Field("name"); !name.IsNull() {
				v.Decl(name, kind, exported, st)
			}
		}
	}
}

// declKind names the declaration a named top-level node introduces
// ("function", "class", "type", "interface", "enum"), "" for other nodes.
func declKind(nodeKind string) string {
	switch nodeKind {
	case "function_declaration", "generator_function_declaration":
		return "function"
	case "class_declaration", "abstract_class_declaration":
		return "class"
	case "type_alias_declaration":
		return "type"
	case "interface_declaration":
		return "interface"
	case "enum_declaration":
		return "enum"
	}
	return ""
}

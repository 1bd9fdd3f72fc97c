package refactor

import (
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// scopes is a small binding analysis over one subtree: which names each
// scope declares, so that a reference can be resolved to the innermost
// scope declaring it, or found free (an import, a top-level declaration of
// the file, or a global).
type scopes struct {
	root  syntax.Node
	decls map[syntax.Node]map[string]bool
	// sites are the identifier nodes that declare rather than reference.
	sites map[syntax.Node]bool
}

// ref is one reference to a name.
type ref struct {
	Name string
	Node syntax.Node
	// Type is set for names in type positions.
	Type bool
}

func isFunctionNode(n syntax.Node) bool {
	switch n.Kind() {
	case "arrow_function", "function_expression", "function", "function_declaration",
		"generator_function", "generator_function_declaration", "method_definition":
		return true
	}
	return false
}

func isScopeNode(n syntax.Node) bool {
	if isFunctionNode(n) {
		return true
	}
	switch n.Kind() {
	case "statement_block", "program", "for_statement", "for_in_statement", "catch_clause",
		"switch_body", "class_declaration", "class", "abstract_class_declaration",
		"type_alias_declaration", "interface_declaration":
		return true
	}
	return false
}

// nearestScope is the innermost scope strictly above n (or n itself when
// self is set and n is a scope).
func nearestScope(n syntax.Node, self bool, stop syntax.Node) syntax.Node {
	if !self {
		n = n.Parent()
	}
	for !n.IsNull() {
		if isScopeNode(n) {
			return n
		}
		if n == stop {
			return n
		}
		n = n.Parent()
	}
	return syntax.Node{}
}

// nearestFunction is the innermost function strictly above n, or stop.
func nearestFunction(n syntax.Node, stop syntax.Node) syntax.Node {
	for n = n.Parent(); !n.IsNull(); n = n.Parent() {
		if isFunctionNode(n) || n == stop {
			return n
		}
	}
	return syntax.Node{}
}

// analyzeScopes collects every declaration under root.
func analyzeScopes(root syntax.Node) *scopes {
	s := &scopes{root: root, decls: map[syntax.Node]map[string]bool{}, sites: map[syntax.Node]bool{}}
	declare := func(scope syntax.Node, id syntax.Node) {
		if scope.IsNull() || id.IsNull() {
			return
		}
		m := s.decls[scope]
		if m == nil {
			m = map[string]bool{}
			s.decls[scope] = m
		}
		m[id.Text()] = true
		s.sites[id] = true
	}
	root.Walk(func(n syntax.Node) bool {
		switch n.Kind() {
		case "variable_declarator":
			var scope syntax.Node
			if decl := n.Parent(); decl.Is("variable_declaration") {
				scope = nearestFunction(n, root) // var is function-scoped
			} else {
				scope = nearestScope(n, false, root)
			}
			for _, id := range patternNames(n.Field("name")) {
				declare(scope, id)
			}
		case "function_declaration", "generator_function_declaration", "class_declaration", "abstract_class_declaration",
			"type_alias_declaration", "interface_declaration", "enum_declaration":
			// The name belongs to the enclosing block.
			declare(nearestScope(n, false, root), n.Field("name"))
		case "function_expression", "function", "generator_function", "class":
			if name := n.Field("name"); !name.IsNull() {
				declare(n, name)
			}
		case "formal_parameters":
			fn := n.Parent()
			for _, p := range n.NamedChildren() {
				for _, id := range patternNames(p.Field("pattern")) {
					declare(fn, id)
				}
			}
		case "arrow_function":
			if p := n.Field("parameter"); !p.IsNull() {
				declare(n, p)
			}
		case "catch_clause":
			for _, id := range patternNames(n.Field("parameter")) {
				declare(n, id)
			}
		case "for_in_statement":
			if !n.Field("kind").IsNull() {
				for _, id := range patternNames(n.Field("left")) {
					declare(n, id)
				}
			}
		case "type_parameter":
			declare(nearestScope(n, false, root), n.Field("name"))
		}
		return true
	})
	return s
}

// patternNames lists the identifiers a binding pattern declares.
func patternNames(p syntax.Node) []syntax.Node {
	var out []syntax.Node
	var walk func(n syntax.Node)
	walk = func(n syntax.Node) {
		switch n.Kind() {
		case "identifier", "shorthand_property_identifier_pattern":
			out = append(out, n)
		case "object_pattern", "array_pattern", "rest_pattern":
			for _, c := range n.NamedChildren() {
				walk(c)
			}
		case "pair_pattern":
			walk(n.Field("value"))
		case "assignment_pattern", "object_assignment_pattern":
			walk(n.Field("left"))
		}
	}
	if !p.IsNull() {
		walk(p)
	}
	return out
}

// refs lists every reference under n (n must lie under the analyzed root).
func (s *scopes) refs(n syntax.Node) []ref {
	var out []ref
	n.Walk(func(c syntax.Node) bool {
		switch c.Kind() {
		case "identifier":
			if s.sites[c] || !isValueRef(c) {
				return false
			}
			out = append(out, ref{Name: c.Text(), Node: c})
		case "shorthand_property_identifier":
			out = append(out, ref{Name: c.Text(), Node: c})
		case "type_identifier":
			if s.sites[c] || c.Parent().Is("nested_type_identifier") {
				return false
			}
			out = append(out, ref{Name: c.Text(), Node: c, Type: true})
		}
		return true
	})
	return out
}

// isValueRef filters identifier positions that name nothing in scope.
func isValueRef(id syntax.Node) bool {
	p := id.Parent()
	switch p.Kind() {
	case "import_specifier", "export_specifier", "namespace_import", "import_clause":
		return false
	case "required_parameter", "optional_parameter":
		// `this: T` parameters and the like are not references.
		return id.FieldName() != "pattern"
	}
	return true
}

// resolve returns the scope that declares the name ref uses, searching from
// the reference outwards up to the root; the zero Node when it is free.
func (s *scopes) resolve(r ref) syntax.Node {
	for n := r.Node.Parent(); !n.IsNull(); n = n.Parent() {
		if m := s.decls[n]; m != nil && m[r.Name] {
			return n
		}
		if n == s.root {
			break
		}
	}
	return syntax.Node{}
}

// declaredAnywhere reports whether any scope under the root declares name.
func (s *scopes) declaredAnywhere(name string) bool {
	for _, m := range s.decls {
		if m[name] {
			return true
		}
	}
	return false
}

package refactor

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// editRoute rewrites the handler to call the service method, replaces an
// inline input schema by its new constant, and fixes the imports.
func (x *extraction) editRoute() error {
	rm := x.rm
	ctxName := x.ctxName
	if ctxName == "" {
		ctxName = "ctx"
	}
	var args []string
	if x.inputUsed {
		pat := paramPattern(x.inputNode)
		if pat.Is("identifier") {
			args = append(args, pat.Text())
		} else {
			// A destructured input: the method destructures it now, and
			// the route passes it whole.
			x.edits.add(rm, pat.Start(), pat.End(), "input")
			args = append(args, "input")
		}
	}
	for _, p := range x.params {
		args = append(args, ctxName+"."+p.Member)
	}
	call := fmt.Sprintf("%s.plugins.%s.%s(%s)", ctxName, x.plugin, x.method, strings.Join(args, ", "))
	if x.handler.Is("arrow_function") {
		x.edits.add(rm, x.body.Start(), x.body.End(), call)
	} else {
		x.edits.add(rm, x.body.Start(), x.body.End(), "{ return "+call+x.st.end()+" }")
	}
	if x.ctxName == "" {
		if err := x.addCtxParam(); err != nil {
			return err
		}
	}

	removed := [][2]int{{x.body.Start(), x.body.End()}}
	var routeNeeds []importNeed
	if !x.inlineSchema.IsNull() {
		n := x.inlineSchema
		x.edits.add(rm, n.Start(), n.End(), x.schemaName)
		if x.schemaInPlugin {
			removed = append(removed, [2]int{n.Start(), n.End()})
			routeNeeds = append(routeNeeds, needFromFile(x.pluginPath, x.schemaName, false))
		} else {
			x.insertRouteConst()
		}
	}
	if d := x.exportInRoute; d != nil {
		x.edits.insert(rm, d.Stmt.Start(), "export ")
	}

	// Imports the moved code used that nothing left in the file uses.
	candidates := map[string]*binding{}
	maps.Copy(candidates, x.movedImports)
	if x.schemaInPlugin {
		sc := analyzeScopes(x.inlineSchema)
		for _, rf := range sc.refs(x.inlineSchema) {
			if b := rm.imports[rf.Name]; b != nil && sc.resolve(rf).IsNull() {
				candidates[rf.Name] = b
			}
		}
	}
	unused := map[syntax.Node][]string{}
	for name, b := range candidates {
		if !x.stillUsed(name, removed) {
			unused[b.Stmt] = append(unused[b.Stmt], name)
		}
	}
	deleted := map[syntax.Node]bool{}
	stmts := make([]syntax.Node, 0, len(unused))
	for st := range unused {
		stmts = append(stmts, st)
	}
	sort.Slice(stmts, func(i, j int) bool { return stmts[i].Start() < stmts[j].Start() })
	for _, st := range stmts {
		if x.pruneImport(st, unused[st]) {
			deleted[st] = true
		}
	}
	if len(routeNeeds) > 0 {
		if err := x.addImports(rm, routeNeeds, deleted); err != nil {
			return refuse(x.route, "%v", err)
		}
	}
	return nil
}

// addCtxParam gives a handler without a context parameter one.
func (x *extraction) addCtxParam() error {
	rm, fn := x.rm, x.handler
	if p := fn.Field("parameter"); !p.IsNull() {
		x.edits.add(rm, p.Start(), p.End(), "("+p.Text()+", ctx)")
		return nil
	}
	ps := fn.Field("parameters")
	if ps.IsNull() {
		return refuse(x.route, "its handler's parameter list could not be read")
	}
	params := handlerParams(fn)
	if len(params) == 0 {
		first := "_input"
		if x.route.Kind == "raw" {
			first = "_req"
		}
		x.edits.add(rm, ps.Start(), ps.End(), "("+first+", ctx)")
		return nil
	}
	x.edits.insert(rm, params[0].End(), ", ctx")
	return nil
}

// insertRouteConst puts the inline schema, as an exported constant, before
// the route file's statement that holds the route.
func (x *extraction) insertRouteConst() {
	rm := x.rm
	n := x.inlineSchema
	var stmt syntax.Node
	for _, st := range rm.tree.Root().NamedChildren() {
		if st.Start() <= n.Start() && n.End() <= st.End() {
			stmt = st
		}
	}
	anchor := stmt
	for prev := prevSibling(anchor); prev.Is("comment"); prev = prevSibling(anchor) {
		if rm.lines.Pos(anchor.Start()).Line-rm.lines.Pos(prev.End()).Line > 1 {
			break
		}
		anchor = prev
	}
	x.edits.insert(rm, rm.lineStart(anchor.Start()), x.schemaConst()+"\n")
}

// stillUsed reports whether name is referenced in the route file outside
// the removed spans and outside import statements. It counts every
// identifier with that text, so a local that shadows the import keeps it:
// an unused import left behind is harmless, a missing one is not.
func (x *extraction) stillUsed(name string, removed [][2]int) bool {
	used := false
	x.rm.tree.Root().Walk(func(n syntax.Node) bool {
		if used || n.Is("import_statement") {
			return false
		}
		for _, r := range removed {
			if n.Start() >= r[0] && n.End() <= r[1] {
				return false
			}
		}
		switch n.Kind() {
		case "identifier", "type_identifier", "shorthand_property_identifier":
			if n.Text() == name && !x.rm.isImportSite(n) {
				used = true
			}
		}
		return true
	})
	return used
}

func (m *module) isImportSite(n syntax.Node) bool {
	for p := n.Parent(); !p.IsNull(); p = p.Parent() {
		if p.Is("import_statement") {
			return true
		}
	}
	return false
}

// pruneImport removes the named bindings from an import statement,
// deleting the statement when nothing is left; it reports the deletion.
func (x *extraction) pruneImport(st syntax.Node, names []string) bool {
	rm := x.rm
	drop := map[string]bool{}
	for _, n := range names {
		drop[n] = true
	}
	var def, ns string
	var kept []string
	stmtType := false
	for c := st.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c.Kind() == "type" {
			stmtType = true
		}
		if !c.Is("import_clause") {
			continue
		}
		for _, part := range c.NamedChildren() {
			switch part.Kind() {
			case "identifier":
				if !drop[part.Text()] {
					def = part.Text()
				}
			case "namespace_import":
				for _, id := range part.NamedChildren() {
					if id.Is("identifier") && !drop[id.Text()] {
						ns = id.Text()
					}
				}
			case "named_imports":
				for _, sp := range part.NamedChildren() {
					if !sp.Is("import_specifier") {
						continue
					}
					local := sp.Field("alias").Text()
					if local == "" {
						local = sp.Field("name").Text()
					}
					if !drop[local] {
						kept = append(kept, sp.Text())
					}
				}
			}
		}
	}
	if def == "" && ns == "" && len(kept) == 0 {
		start, end := rm.lineStart(st.Start()), rm.lineEnd(st.End())
		if strings.TrimSpace(string(rm.src[start:st.Start()])) != "" || strings.TrimSpace(string(rm.src[st.End():end])) != "" {
			start, end = st.Start(), st.End() // shares its line with other code
		}
		x.edits.add(rm, start, end, "")
		return true
	}
	var parts []string
	if def != "" {
		parts = append(parts, def)
	}
	if ns != "" {
		parts = append(parts, "* as "+ns)
	}
	if len(kept) > 0 {
		parts = append(parts, "{ "+strings.Join(kept, ", ")+" }")
	}
	text := "import " + typeKw(stmtType) + strings.Join(parts, ", ") + " from " + st.Field("source").Text()
	if strings.HasSuffix(st.Text(), ";") {
		text += ";"
	}
	x.edits.add(rm, st.Start(), st.End(), text)
	return false
}

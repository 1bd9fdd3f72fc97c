package refactor

import (
	"fmt"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// schemaKinds are the built-in handler kinds whose first parameter is the
// validated input (formData wraps it in ParsedFormData).
var schemaKinds = map[string]bool{"typed": true, "stream": true, "sse": true, "html": true, "formData": true}

// analyzeInput decides the method's input parameter type and where the
// input schema it names lives.
func (x *extraction) analyzeInput() error {
	x.needs = &importNeeds{}
	r := x.route
	// In order of first use, so the plugin's imports read like the code.
	for _, rf := range x.sc.refs(x.body) {
		if !x.sc.resolve(rf).IsNull() {
			continue
		}
		if b := x.movedImports[rf.Name]; b != nil {
			if err := x.needs.add(needFromBinding(x.routePath, b)); err != nil {
				return refuse(r, "%v", err)
			}
		} else if d := x.rm.top[rf.Name]; d != nil && x.rm.imports[rf.Name] == nil {
			if err := x.needs.add(needFromFile(x.routePath, rf.Name, isTypeDecl(d))); err != nil {
				return refuse(r, "%v", err)
			}
		}
	}
	if !x.inputUsed {
		return nil
	}
	if ann := x.inputNode.Field("type"); !ann.IsNull() {
		// The handler spells out its input type: the method uses the same.
		x.inputType = strings.TrimSpace(strings.TrimPrefix(ann.Text(), ":"))
		return x.needTypeRefs(ann)
	}
	switch {
	case r.Kind == "raw":
		x.inputType = "Request"
		return nil
	case !schemaKinds[r.Kind]:
		return refuse(r, "its handler kind %q comes from a plugin, so the type of its input cannot be named; annotate the handler's first parameter and try again", r.Kind)
	}
	if r.Input == nil {
		x.inputType = "unknown"
		if r.Kind == "formData" {
			x.inputType = "ParsedFormData"
			return x.addNeed(needFromPackage("@donkeylabs/server", "ParsedFormData", true))
		}
		return nil
	}
	if r.Input.Ident != "" {
		if err := x.namedSchema(r.Input.Ident); err != nil {
			return err
		}
	} else if err := x.inlineSchemaPlan(); err != nil {
		return err
	}
	zLocal, err := x.zodNamespace()
	if err != nil {
		return err
	}
	x.inputType = fmt.Sprintf("%s.infer<typeof %s>", zLocal, x.schemaName)
	if r.Kind == "formData" {
		x.inputType = "ParsedFormData<" + x.inputType + ">"
		return x.addNeed(needFromPackage("@donkeylabs/server", "ParsedFormData", true))
	}
	return nil
}

func isTypeDecl(d *topDecl) bool {
	return d.Kind == "type" || d.Kind == "interface"
}

func (x *extraction) addNeed(n importNeed) error {
	if err := x.needs.add(n); err != nil {
		return refuse(x.route, "%v", err)
	}
	return nil
}

// needTypeRefs adds the imports the names in a type annotation need.
func (x *extraction) needTypeRefs(n syntax.Node) error {
	for _, rf := range x.sc.refs(n) {
		if !x.sc.resolve(rf).IsNull() {
			continue
		}
		if b := x.rm.imports[rf.Name]; b != nil {
			if err := x.addNeed(needFromBinding(x.routePath, b)); err != nil {
				return err
			}
			continue
		}
		if d := x.rm.top[rf.Name]; d != nil {
			if !d.Exported {
				return refuse(x.route, "the handler's input type uses %s, which %s does not export", rf.Name, baseName(x.routePath))
			}
			x.importsRoute = true
			if err := x.addNeed(needFromFile(x.routePath, rf.Name, true)); err != nil {
				return err
			}
		}
	}
	return nil
}

// namedSchema: the input schema is already a named constant; it stays
// where it is and the plugin imports it.
func (x *extraction) namedSchema(name string) error {
	r := x.route
	x.schemaName = name
	if b := x.rm.imports[name]; b != nil {
		return x.addNeed(needFromBinding(x.routePath, b))
	}
	d := x.rm.top[name]
	if d == nil {
		return refuse(r, "its input schema %s is not declared or imported in %s", name, baseName(x.routePath))
	}
	if !d.Exported {
		if d.Stmt.Parent().Is("program") && (d.Stmt.Is("lexical_declaration") || d.Stmt.Is("variable_declaration")) {
			x.exportInRoute = d
		} else {
			return refuse(r, "its input schema %s cannot be exported from %s", name, baseName(x.routePath))
		}
	}
	x.importsRoute = true
	return x.addNeed(needFromFile(x.routePath, name, false))
}

// inlineSchemaPlan: the input schema is written inline; it becomes an
// exported constant, in the plugin unless the plugin already has to import
// the route file (then in the route file, so no import cycle appears).
func (x *extraction) inlineSchemaPlan() error {
	r := x.route
	n := x.rm.nodeAt(r.Input.Range, func(syntax.Node) bool { return true })
	if n.IsNull() {
		return refuse(r, "its input schema could not be found in the file")
	}
	x.inlineSchema = n
	sc := analyzeScopes(n)
	usesRouteLocals := false
	var schemaNeeds []importNeed
	for _, rf := range sc.refs(n) {
		if !sc.resolve(rf).IsNull() {
			continue
		}
		if b := x.rm.imports[rf.Name]; b != nil {
			schemaNeeds = append(schemaNeeds, needFromBinding(x.routePath, b))
			continue
		}
		if x.rm.top[rf.Name] != nil {
			usesRouteLocals = true
		}
	}
	x.schemaName = x.uniqueName(pascal(x.method) + "Input")
	if usesRouteLocals || x.importsRoute {
		x.importsRoute = true
		return x.addNeed(needFromFile(x.routePath, x.schemaName, false))
	}
	x.schemaInPlugin = true
	for _, sn := range schemaNeeds {
		if err := x.addNeed(sn); err != nil {
			return err
		}
	}
	return nil
}

// uniqueName returns base, or base with a suffix, unused in the route file
// and the plugin file.
func (x *extraction) uniqueName(base string) string {
	used := func(n string) bool {
		for _, m := range []*module{x.rm, x.pm} {
			if m == nil {
				continue
			}
			if m.top[n] != nil || m.imports[n] != nil {
				return true
			}
		}
		return x.sc.declaredAnywhere(n)
	}
	if !used(base) {
		return base
	}
	if !used(base + "Schema") {
		return base + "Schema"
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s%d", base, i)
		if !used(n) {
			return n
		}
	}
}

// zodNamespace is the name z.infer is reached through: the route file's
// own import of zod's z when it has one, else a new `import { z } from "zod"`.
func (x *extraction) zodNamespace() (string, error) {
	var best *binding
	for _, b := range x.rm.imports {
		if b.Spec == "zod" && (b.Imported == "z" || b.Imported == "*" || b.Imported == "default") && !b.TypeOnly {
			if best == nil || b.Stmt.Start() < best.Stmt.Start() {
				best = b
			}
		}
	}
	if best != nil {
		return best.Local, x.addNeed(needFromBinding(x.routePath, best))
	}
	return "z", x.addNeed(needFromPackage("zod", "z", false))
}

// checkCycles refuses a move that would make the plugin and the route
// file import each other: at start-up one of them would read the other's
// exports before they exist.
func (x *extraction) checkCycles() error {
	if !x.importsRoute {
		return nil
	}
	if x.target == nil {
		return nil // a new plugin is imported by nobody yet
	}
	for _, st := range x.rm.importStmts {
		info := x.rm.importStmtInfo(st)
		if !info.typeOnly && sameFile(info.target, x.pluginPath) {
			return refuse(x.route, "%s already imports plugin '%s', and the moved code needs the plugin to import %s back: the two modules would import each other",
				baseName(x.routePath), x.plugin, baseName(x.routePath))
		}
	}
	return nil
}

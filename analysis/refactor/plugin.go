package refactor

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

func baseName(path string) string { return filepath.Base(path) }

// service is the existing plugin's service factory.
type service struct {
	fn  syntax.Node
	obj syntax.Node // the object literal it returns
	// addCtx is set when the factory takes no parameter and needs one.
	addCtx bool
}

// readService finds the existing plugin's service factory, the object it
// returns and the name of its context parameter.
func (x *extraction) readService() error {
	r, def := x.route, x.target.Def
	if def.ServiceRange.IsZero() {
		return refuse(r, "plugin '%s' has no service function to add the method to", x.plugin)
	}
	for _, m := range def.ServiceMethods {
		if m.Name == x.method {
			return refuse(r, "plugin '%s' already has a method '%s'; choose another method name", x.plugin, x.method)
		}
	}
	fn := x.pm.nodeAt(def.ServiceRange, isFunctionNode)
	if fn.IsNull() {
		return refuse(r, "the service function of plugin '%s' could not be found in %s", x.plugin, baseName(x.pluginPath))
	}
	obj, ok := returnedObject(fn)
	if !ok {
		return refuse(r, "the service of plugin '%s' does not return one object literal, so there is no place to add a method", x.plugin)
	}
	x.svc = &service{fn: fn, obj: obj}
	ps := handlerParams(fn)
	switch {
	case len(ps) == 0:
		x.svcCtx = "ctx"
		x.svc.addCtx = true
	case paramPattern(ps[0]).Is("identifier"):
		x.svcCtx = paramPattern(ps[0]).Text()
	default:
		return refuse(r, "the service of plugin '%s' destructures its context; name the parameter (ctx) to move code into it", x.plugin)
	}
	return nil
}

// returnedObject finds the object literal a function returns: its
// expression body, or the only return of its block.
func returnedObject(fn syntax.Node) (syntax.Node, bool) {
	body := fn.Field("body")
	if body.IsNull() {
		return syntax.Node{}, false
	}
	if !body.Is("statement_block") {
		b := body.Unwrap()
		return b, b.Is("object")
	}
	var found syntax.Node
	returns := 0
	body.Walk(func(n syntax.Node) bool {
		if n != body && (isFunctionNode(n) || n.Is("class_body")) {
			return false
		}
		if n.Is("return_statement") {
			returns++
			for _, c := range n.NamedChildren() {
				found = c.Unwrap()
			}
			return false
		}
		return true
	})
	return found, returns == 1 && found.Is("object")
}

// methodText renders the new service method at indent, ending with ",".
func (x *extraction) methodText(indent string) string {
	u := x.st.indent
	var params []string
	if x.inputUsed {
		p := paramPattern(x.inputNode).Text()
		if x.inputType != "" {
			p += ": " + x.inputType
		}
		params = append(params, p)
	}
	for _, p := range x.params {
		params = append(params, fmt.Sprintf("%s: ServerContext[%s]", p.Name, x.st.str(p.Member)))
	}
	async := ""
	if x.route.Handle.Async {
		async = "async "
	}
	routeUnit := indentUnit(x.rm.src)
	handlerIndent := x.rm.indentAt(x.handler.Start())
	var block string
	if x.body.Is("statement_block") {
		block = x.transform(x.body.Start(), x.body.End(), handlerIndent, indent, routeUnit, u)
	} else {
		expr := x.transform(x.body.Start(), x.body.End(), handlerIndent+routeUnit, indent+u, routeUnit, u)
		block = "{\n" + indent + u + "return " + expr + x.st.end() + "\n" + indent + "}"
	}
	return fmt.Sprintf("%s%s%s(%s) %s,", indent, async, x.method, strings.Join(params, ", "), block)
}

// transform copies the route file's [start, end) with the planned
// rewrites applied, moving lines from indentation from to to (converting
// indentation units) except inside multi-line strings, whose whitespace is
// content.
func (x *extraction) transform(start, end int, from, to, fromUnit, toUnit string) string {
	src := x.rm.src
	var reps []rawEdit
	for _, r := range x.rewrites {
		if r.start >= start && r.end <= end {
			reps = append(reps, r)
		}
	}
	sort.Slice(reps, func(i, j int) bool { return reps[i].start < reps[j].start })
	var keep [][2]int
	x.rm.tree.Root().Walk(func(n syntax.Node) bool {
		if n.End() < start || n.Start() > end {
			return false
		}
		if n.Is("template_string") || n.Is("string") {
			if strings.Contains(n.Text(), "\n") {
				keep = append(keep, [2]int{n.Start(), n.End()})
			}
			return false
		}
		return true
	})
	inKeep := func(off int) bool {
		for _, k := range keep {
			if off > k[0] && off < k[1] {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	i, ri := start, 0
	lineStart := false
	for i < end {
		if lineStart {
			lineStart = false
			if !inKeep(i) {
				j := i
				for j < end && (src[j] == ' ' || src[j] == '\t') {
					j++
				}
				if j >= end || src[j] == '\n' || src[j] == '\r' {
					i = j // a blank line keeps no indentation
					continue
				}
				ws := string(src[i:j])
				if strings.HasPrefix(ws, from) {
					ws = to + convertLeading(ws[len(from):], fromUnit, toUnit)
				}
				b.WriteString(ws)
				i = j
				continue
			}
		}
		if ri < len(reps) && reps[ri].start == i {
			b.WriteString(reps[ri].text)
			i = reps[ri].end
			ri++
			continue
		}
		c := src[i]
		b.WriteByte(c)
		i++
		if c == '\n' {
			lineStart = true
		}
	}
	return b.String()
}

// schemaConst renders `export const Name = <schema>;` at the top level.
func (x *extraction) schemaConst() string {
	n := x.inlineSchema
	text := x.transformPlain(n.Start(), n.End(), x.rm.indentAt(n.Start()), "")
	return fmt.Sprintf("export const %s = %s%s\n", x.schemaName, text, x.st.end())
}

// transformPlain re-indents a span without rewrites.
func (x *extraction) transformPlain(start, end int, from, to string) string {
	saved := x.rewrites
	x.rewrites = nil
	defer func() { x.rewrites = saved }()
	return x.transform(start, end, from, to, indentUnit(x.rm.src), x.st.indent)
}

func (x *extraction) exportName() string { return x.plugin + "Plugin" }

// createPlugin writes the new plugin file.
func (x *extraction) createPlugin() error {
	u := x.st.indent
	if err := x.addNeed(needFromPackage("@donkeylabs/server", "createPlugin", false)); err != nil {
		return err
	}
	if len(x.params) > 0 {
		if err := x.addNeed(needFromPackage("@donkeylabs/server", "ServerContext", true)); err != nil {
			return err
		}
	}
	for _, n := range x.needs.list {
		if n.local == x.exportName() || n.local == x.schemaName && x.schemaInPlugin {
			return refuse(x.route, "the moved code imports %s, which the new plugin file declares itself", n.local)
		}
	}
	var b strings.Builder
	b.WriteString(x.needs.statements(x.pluginPath, x.st))
	b.WriteString("\n")
	if x.schemaInPlugin {
		b.WriteString(x.schemaConst())
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "export const %s = createPlugin.define({\n", x.exportName())
	fmt.Fprintf(&b, "%sname: %s,\n", u, x.st.str(x.plugin))
	if len(x.deps) > 0 {
		fmt.Fprintf(&b, "%sdependencies: %s as const,\n", u, x.depsList(x.deps))
	}
	fmt.Fprintf(&b, "\n%sservice: async (%s) => ({\n", u, x.svcCtx)
	b.WriteString(x.methodText(u + u))
	fmt.Fprintf(&b, "\n%s}),\n})%s\n", u, x.st.end())
	x.edits.creates = append(x.edits.creates, analysis.FileCreate{Path: x.pluginPath, Content: b.String()})
	return nil
}

func (x *extraction) depsList(deps []string) string {
	q := make([]string, len(deps))
	for i, d := range deps {
		q[i] = x.st.str(d)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// extendPlugin adds the method (and what it needs) to an existing plugin.
func (x *extraction) extendPlugin() error {
	pm := x.pm
	if len(x.params) > 0 {
		if err := x.addNeed(needFromPackage("@donkeylabs/server", "ServerContext", true)); err != nil {
			return err
		}
	}
	// Names the method uses at module level must not be shadowed inside
	// the service factory.
	fsc := analyzeScopes(x.svc.fn)
	local := func(name string) bool {
		return fsc.decls[x.svc.fn][name] || fsc.decls[x.svc.fn.Field("body")][name]
	}
	for _, n := range x.needs.list {
		if local(n.local) && n.local != x.svcCtx {
			return refuse(x.route, "the service of plugin '%s' declares its own %s, which would hide the %s the moved code uses", x.plugin, n.local, n.local)
		}
	}
	if x.schemaName != "" && local(x.schemaName) {
		return refuse(x.route, "the service of plugin '%s' declares its own %s", x.plugin, x.schemaName)
	}
	// The method, after the last member of the returned object.
	obj := x.svc.obj
	members := obj.NamedChildren()
	if len(members) == 0 {
		ind := pm.indentAt(obj.Start())
		x.edits.insert(pm, obj.Start()+1, "\n"+x.methodText(ind+x.st.indent)+"\n"+ind)
	} else {
		last := members[len(members)-1]
		ind := pm.indentAt(members[0].Start())
		sep := "\n"
		if len(members) > 1 && strings.Contains(string(pm.src[members[0].End():members[1].Start()]), "\n\n") {
			sep = "\n\n"
		}
		at, prefix := last.End(), ","
		if next := last.NextSibling(); next.Kind() == "," {
			at, prefix = next.End(), ""
		}
		x.edits.insert(pm, at, prefix+sep+x.methodText(ind))
	}
	if x.svc.addCtx {
		if err := x.addServiceParam(); err != nil {
			return err
		}
	}
	if err := x.addDependencies(); err != nil {
		return err
	}
	if x.schemaInPlugin {
		if err := x.insertSchemaConst(); err != nil {
			return err
		}
	}
	if err := x.addImports(pm, x.needs.list, nil); err != nil {
		return refuse(x.route, "%v", err)
	}
	return nil
}

// addServiceParam gives a parameterless service factory its context.
func (x *extraction) addServiceParam() error {
	fn := x.svc.fn
	ps := fn.Field("parameters")
	if ps.IsNull() || len(ps.NamedChildren()) != 0 {
		return refuse(x.route, "the service function of plugin '%s' has an unexpected parameter list", x.plugin)
	}
	x.edits.add(x.pm, ps.Start(), ps.End(), "("+x.svcCtx+")")
	return nil
}

// addDependencies adds the plugins the moved code needs to the target's
// dependencies, refusing a dependency cycle.
func (x *extraction) addDependencies() error {
	def, pm := x.target.Def, x.pm
	have := map[string]bool{}
	for _, d := range def.Dependencies {
		have[d.Name] = true
	}
	var add []string
	for _, d := range x.deps {
		if !have[d] {
			add = append(add, d)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if !def.DepsKnown {
		return refuse(x.route, "the dependencies of plugin '%s' are not a plain list, so %s cannot be added", x.plugin, strings.Join(add, ", "))
	}
	for _, d := range add {
		if path := x.dependsOn(d, x.plugin); path != nil {
			return refuse(x.route, "plugin '%s' would depend on '%s', which already depends on it (%s): a circular dependency", x.plugin, d, strings.Join(path, " -> "))
		}
	}
	if !def.DepsRange.IsZero() {
		arr := pm.nodeAt(def.DepsRange, func(n syntax.Node) bool { return n.Is("array") })
		if arr.IsNull() {
			return refuse(x.route, "the dependencies of plugin '%s' could not be found", x.plugin)
		}
		elems := arr.NamedChildren()
		q := make([]string, len(add))
		for i, d := range add {
			q[i] = x.st.str(d)
		}
		if len(elems) == 0 {
			x.edits.add(pm, arr.Start(), arr.End(), "["+strings.Join(q, ", ")+"]")
		} else {
			x.edits.insert(pm, elems[len(elems)-1].End(), ", "+strings.Join(q, ", "))
		}
		return nil
	}
	// No dependencies yet: a new property after name (and version).
	obj := pm.nodeAt(def.ObjectRange, func(n syntax.Node) bool { return n.Is("object") })
	var anchor syntax.Node
	for _, m := range obj.NamedChildren() {
		if m.Is("pair") {
			switch unquote(m.Field("key").Text()) {
			case "name", "version":
				anchor = m
			}
		}
	}
	if anchor.IsNull() {
		return refuse(x.route, "the definition of plugin '%s' has no name property to put dependencies after", x.plugin)
	}
	at, prefix := anchor.End(), ","
	if next := anchor.NextSibling(); next.Kind() == "," {
		at, prefix = next.End(), ""
	}
	x.edits.insert(pm, at, fmt.Sprintf("%s\n%sdependencies: %s as const,", prefix, pm.indentAt(anchor.Start()), x.depsList(add)))
	return nil
}

// dependsOn returns the dependency path from plugin a to plugin b, nil
// when a does not (transitively) depend on b.
func (x *extraction) dependsOn(a, b string) []string {
	deps := map[string][]string{}
	for _, gp := range x.p.Expected().Plugins {
		if gp.Def == nil {
			continue
		}
		for _, d := range gp.Def.Dependencies {
			deps[gp.Name] = append(deps[gp.Name], d.Name)
		}
	}
	seen := map[string]bool{}
	var walk func(n string, path []string) []string
	walk = func(n string, path []string) []string {
		path = append(path, n)
		if n == b {
			return path
		}
		if seen[n] {
			return nil
		}
		seen[n] = true
		for _, d := range deps[n] {
			if p := walk(d, path); p != nil {
				return p
			}
		}
		return nil
	}
	return walk(a, nil)
}

// insertSchemaConst puts the input schema constant before the plugin's
// definition (and the comments above it) in an existing plugin file.
func (x *extraction) insertSchemaConst() error {
	pm, def := x.pm, x.target.Def
	var stmt syntax.Node
	for _, st := range pm.tree.Root().NamedChildren() {
		if st.Start() <= int(def.DefineRange.Start.Offset) && int(def.DefineRange.End.Offset) <= st.End() {
			stmt = st
		}
	}
	if stmt.IsNull() {
		return refuse(x.route, "the definition of plugin '%s' is not a top-level statement", x.plugin)
	}
	anchor := stmt
	for prev := prevSibling(anchor); prev.Is("comment"); prev = prevSibling(anchor) {
		if pm.lines.Pos(anchor.Start()).Line-pm.lines.Pos(prev.End()).Line > 1 {
			break
		}
		anchor = prev
	}
	x.edits.insert(pm, pm.lineStart(anchor.Start()), x.schemaConst()+"\n")
	return nil
}

func prevSibling(n syntax.Node) syntax.Node {
	var prev syntax.Node
	for c := n.Parent().FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c == n {
			return prev
		}
		prev = c
	}
	return syntax.Node{}
}

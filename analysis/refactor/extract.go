package refactor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// extraction is one run of Extract.
type extraction struct {
	ctx    context.Context
	p      *project.Project
	src    project.Source
	parser *syntax.Parser
	opts   Options

	routePath string
	offset    int
	route     *facts.Route
	rm        *module
	handler   syntax.Node
	body      syntax.Node
	sc        *scopes
	ctxName   string
	inputName string
	inputNode syntax.Node // the input parameter, null when absent

	plugin     string
	method     string
	target     *project.GenPlugin // nil for a new plugin
	pluginPath string
	pm         *module // the existing plugin's module
	svc        *service
	st         style

	// What the moved code needs.
	svcCtx     string
	rewrites   []rawEdit // offsets in the route file
	params     []param
	deps       []string
	needs      *importNeeds // imports of the plugin file
	inputUsed  bool
	inputType  string
	schemaName string // the constant the method's input type refers to
	// inlineSchema is the inline schema node that becomes a constant.
	inlineSchema   syntax.Node
	schemaInPlugin bool
	// exportInRoute is a route-file declaration that needs `export`.
	exportInRoute *topDecl
	// movedImports are route-file import bindings the moved code uses.
	movedImports map[string]*binding
	importsRoute bool // the plugin imports the route file

	edits *editSet
}

// param is an explicit parameter of the new method: a request-scoped
// context member the route passes along.
type param struct {
	Member string // ctx.<Member>
	Name   string
}

func refuse(r *facts.Route, format string, args ...any) error {
	name := ""
	if r != nil {
		name = r.FullName
	}
	return &RefusalError{Route: name, Reason: fmt.Sprintf(format, args...)}
}

func newExtraction(ctx context.Context, p *project.Project, src project.Source, path string, offset int, opts Options) *extraction {
	if src == nil {
		src = p.Source()
	}
	return &extraction{ctx: ctx, p: p, src: src, opts: opts, routePath: path, offset: offset, edits: newEditSet(), movedImports: map[string]*binding{}}
}

// read returns a file's content and a snapshot whose facts describe it.
func (x *extraction) read(path string) ([]byte, *facts.File, error) {
	b, err := x.src.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	f := x.p.File(path)
	if f == nil || f.Missing || f.Hash != facts.HashBytes(b) {
		x.p = x.p.WithFile(path, b)
		f = x.p.File(path)
	}
	return b, f, nil
}

func (x *extraction) run() (analysis.WorkspaceEdit, error) {
	x.parser = syntax.NewParser()
	defer x.parser.Close()
	if err := x.loadRoute(); err != nil {
		return analysis.WorkspaceEdit{}, err
	}
	if err := x.chooseTarget(); err != nil {
		return analysis.WorkspaceEdit{}, err
	}
	if err := x.analyzeBody(); err != nil {
		return analysis.WorkspaceEdit{}, err
	}
	if err := x.analyzeInput(); err != nil {
		return analysis.WorkspaceEdit{}, err
	}
	if err := x.checkCycles(); err != nil {
		return analysis.WorkspaceEdit{}, err
	}
	if err := x.editRoute(); err != nil {
		return analysis.WorkspaceEdit{}, err
	}
	if x.target == nil {
		if err := x.createPlugin(); err != nil {
			return analysis.WorkspaceEdit{}, err
		}
		if err := x.registerInEntry(); err != nil {
			return analysis.WorkspaceEdit{}, err
		}
	} else if err := x.extendPlugin(); err != nil {
		return analysis.WorkspaceEdit{}, err
	}
	return x.edits.workspaceEdit()
}

// loadRoute finds the route and its handler in the route file.
func (x *extraction) loadRoute() error {
	b, f, err := x.read(x.routePath)
	if err != nil {
		return err
	}
	if f == nil || f.Kind != facts.KindSource {
		return refuse(nil, "%s is not a source file of the project", x.p.Rel(x.routePath))
	}
	if f.SyntaxErrors {
		// Facts of a file mid-edit may be those of its last good version,
		// whose offsets no longer match the text.
		return refuse(nil, "%s has syntax errors; fix them first", x.p.Rel(x.routePath))
	}
	r, ok := RouteAt(f, x.offsetIn(b))
	if !ok {
		return refuse(nil, "the cursor is not on a route")
	}
	x.route = r
	if r.Handle == nil {
		return refuse(r, "its handler is not an inline function (a class or a value defined elsewhere), so there is no body to move")
	}
	x.rm, err = parseModule(x.ctx, x.parser, x.routePath, b)
	if err != nil {
		return err
	}
	x.handler = x.rm.nodeAt(r.Handle.Range, isFunctionNode)
	if x.handler.IsNull() {
		return refuse(r, "its handler function could not be found in the file")
	}
	x.body = x.handler.Field("body")
	params := handlerParams(x.handler)
	if len(params) > 2 {
		return refuse(r, "its handler takes %d parameters; only (input, ctx) can be passed to a service", len(params))
	}
	if len(params) >= 1 {
		x.inputNode = params[0]
		if id := paramPattern(params[0]); id.Is("identifier") {
			x.inputName = id.Text()
		}
	}
	if len(params) == 2 {
		pat := paramPattern(params[1])
		if !pat.Is("identifier") {
			return refuse(r, "its handler destructures the context (%s); name the parameter (ctx) to extract it", pat.Text())
		}
		x.ctxName = pat.Text()
	}
	x.sc = analyzeScopes(x.handler)
	return nil
}

// offsetIn clamps the requested offset to the content.
func (x *extraction) offsetIn(b []byte) int {
	return max(0, min(x.offset, len(b)))
}

// handlerParams are the parameter nodes of a function (required_parameter,
// optional_parameter, or the bare identifier of `x => ...`).
func handlerParams(fn syntax.Node) []syntax.Node {
	if p := fn.Field("parameter"); !p.IsNull() {
		return []syntax.Node{p}
	}
	ps := fn.Field("parameters")
	if ps.IsNull() {
		return nil
	}
	var out []syntax.Node
	for _, c := range ps.NamedChildren() {
		if c.Is("required_parameter") || c.Is("optional_parameter") {
			out = append(out, c)
		}
	}
	return out
}

// paramPattern is the binding part of a parameter.
func paramPattern(p syntax.Node) syntax.Node {
	if p.Is("identifier") {
		return p
	}
	return p.Field("pattern")
}

// chooseTarget settles the plugin and method names and reads the target.
func (x *extraction) chooseTarget() error {
	defPlugin, defMethod := DefaultNames(*x.route, x.routePath)
	x.plugin, x.method = x.opts.PluginName, x.opts.MethodName
	if x.plugin == "" {
		x.plugin = defPlugin
	}
	if x.method == "" {
		x.method = defMethod
	}
	if err := validPluginName(x.plugin); err != nil {
		return refuse(x.route, "%v", err)
	}
	if err := validIdent(x.method); err != nil {
		return refuse(x.route, "method name: %v", err)
	}
	var samples []*module
	if gp := findPlugin(x.p, x.plugin); gp != nil {
		x.target = gp
		x.pluginPath = gp.Path
		b, f, err := x.read(gp.Path)
		if err != nil {
			return err
		}
		if f.SyntaxErrors {
			return refuse(x.route, "plugin file %s has syntax errors; fix them first", x.p.Rel(gp.Path))
		}
		x.pm, err = parseModule(x.ctx, x.parser, gp.Path, b)
		if err != nil {
			return err
		}
		// The snapshot may have been refreshed: take the definition again.
		x.target = findPlugin(x.p, x.plugin)
		if x.target == nil || x.target.Def == nil {
			return refuse(x.route, "the definition of plugin '%s' in %s could not be read", x.plugin, x.p.Rel(gp.Path))
		}
		samples = append(samples, x.pm)
	} else {
		x.pluginPath = newPluginPath(x.p, x.plugin)
		if f := x.p.File(x.pluginPath); f != nil && !f.Missing {
			return refuse(x.route, "%s already exists but is not a plugin the generator finds; choose another name", x.p.Rel(x.pluginPath))
		}
		if _, err := x.src.ReadFile(x.pluginPath); err == nil {
			return refuse(x.route, "%s already exists; choose another name", x.p.Rel(x.pluginPath))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking %s: %w", x.pluginPath, err)
		}
		// Sibling plugins show the project's style.
		for _, gp := range x.p.Expected().Plugins {
			if b, err := x.src.ReadFile(gp.Path); err == nil {
				if m, err := parseModule(x.ctx, x.parser, gp.Path, b); err == nil {
					samples = append(samples, m)
				}
			}
			if len(samples) >= 2 {
				break
			}
		}
	}
	samples = append(samples, x.rm)
	x.st = detectStyle(samples...)
	return nil
}

// tableMethods take a table name as their first argument.
var tableMethods = map[string]bool{
	"selectFrom": true, "insertInto": true, "updateTable": true, "deleteFrom": true,
	"replaceInto": true, "mergeInto": true, "innerJoin": true, "leftJoin": true,
	"rightJoin": true, "fullJoin": true, "crossJoin": true, "using": true,
}

// analyzeBody reads what the handler body touches and plans its rewrites.
func (x *extraction) analyzeBody() error {
	r := x.route
	if x.target != nil {
		if err := x.readService(); err != nil {
			return err
		}
	} else {
		x.svcCtx = "ctx"
	}
	if x.svcCtx != x.ctxName && x.sc.declaredAnywhere(x.svcCtx) {
		return refuse(r, "the handler declares its own '%s', which the plugin's service uses for its context", x.svcCtx)
	}
	// this and arguments belong to the handler; a method would see others.
	var bad error
	x.body.Walk(func(n syntax.Node) bool {
		if bad != nil {
			return false
		}
		switch n.Kind() {
		case "function_expression", "function", "function_declaration", "generator_function",
			"generator_function_declaration", "method_definition", "class", "class_declaration":
			return false // their own this and arguments
		case "this":
			bad = refuse(r, "the handler uses `this` (%s), which would mean something else inside a service method", lineCol(x.rm, n))
		case "identifier":
			if n.Text() == "arguments" && x.sc.resolve(ref{Name: "arguments", Node: n}).IsNull() {
				bad = refuse(r, "the handler uses `arguments` (%s), which would mean something else inside a service method", lineCol(x.rm, n))
			}
		}
		return true
	})
	if bad != nil {
		return bad
	}
	deps := map[string]bool{}
	memberParam := map[string]string{}
	for _, rf := range x.sc.refs(x.body) {
		scope := x.sc.resolve(rf)
		switch {
		case scope == x.handler && rf.Name == x.ctxName:
			if err := x.ctxUse(rf.Node, deps, memberParam); err != nil {
				return err
			}
		case scope == x.handler && rf.Name == x.inputName:
			x.inputUsed = true
		case scope == x.handler:
			// Another parameter bound by a pattern of the input: it is
			// part of the input and travels with it.
			x.inputUsed = true
		case scope.IsNull():
			if err := x.freeName(rf); err != nil {
				return err
			}
		}
	}
	// Tables the moved queries name: their owners' schemas must be in the
	// plugin's ctx.db, which sees only its own and its dependencies'.
	certain := schemasCertain(x.p)
	for _, t := range x.tables() {
		owners := tableOwners(x.p, t)
		if len(owners) == 0 {
			if certain && x.target == nil {
				return refuse(r, "it queries table %q, which no plugin's migrations create, so the new plugin's ctx.db would not know it", t)
			}
			if certain && !x.targetHasTable(t) {
				return refuse(r, "it queries table %q, which no plugin's migrations create, so plugin '%s''s ctx.db would not know it", t, x.plugin)
			}
			continue
		}
		for _, o := range owners {
			if o != x.plugin {
				deps[o] = true
			}
		}
	}
	for d := range deps {
		x.deps = append(x.deps, d)
	}
	slices.Sort(x.deps)
	return nil
}

func (x *extraction) targetHasTable(t string) bool {
	return slices.Contains(tableOwners(x.p, t), x.plugin)
}

// ctxUse plans the rewrite of one reference to the handler's context.
func (x *extraction) ctxUse(id syntax.Node, deps map[string]bool, memberParam map[string]string) error {
	r := x.route
	mem := id.Parent()
	if !mem.Is("member_expression") || mem.Field("object") != id {
		return refuse(r, "the handler uses its context as a whole (%s at %s); a service only receives what it needs", strings.TrimSpace(clip(mem.Text())), lineCol(x.rm, id))
	}
	prop := mem.Field("property")
	if !prop.Is("property_identifier") {
		return refuse(r, "the handler reads the context dynamically (%s)", clip(mem.Text()))
	}
	if writes(mem) {
		return refuse(r, "the handler changes ctx.%s (%s); a service method would change only its own copy", prop.Text(), lineCol(x.rm, mem))
	}
	switch name := prop.Text(); name {
	case "db", "core":
		if x.svcCtx != x.ctxName {
			x.rewrite(id.Start(), id.End(), x.svcCtx)
		}
	case "errors":
		// A route's ctx.errors is the core's error factories, which a
		// plugin reaches as ctx.core.errors.
		x.rewrite(mem.Start(), mem.End(), x.svcCtx+".core.errors")
	case "plugins":
		outer := mem.Parent()
		if !outer.Is("member_expression") || outer.Field("object") != mem || !outer.Field("property").Is("property_identifier") {
			return refuse(r, "the handler uses ctx.plugins as a whole (%s); name the plugin (ctx.plugins.<name>)", clip(outer.Text()))
		}
		dep := outer.Field("property").Text()
		if dep == x.plugin {
			return refuse(r, "the handler calls plugin '%s' itself; a service cannot reach its own methods through ctx.deps", dep)
		}
		deps[dep] = true
		x.rewrite(mem.Start(), mem.End(), x.svcCtx+".deps")
	default:
		// Request-scoped data (user, ip, requestId, config, services,
		// signal, ...) becomes a parameter the route passes.
		pname, ok := memberParam[name]
		if !ok {
			pname = x.paramName(name)
			memberParam[name] = pname
			x.params = append(x.params, param{Member: name, Name: pname})
		}
		x.rewrite(mem.Start(), mem.End(), pname)
	}
	return nil
}

// paramName picks a parameter name for ctx.<member> that nothing in the
// moved code already means.
func (x *extraction) paramName(member string) string {
	taken := func(n string) bool {
		if n == x.inputName || n == x.svcCtx || n == x.ctxName || reserved[n] || x.sc.declaredAnywhere(n) {
			return true
		}
		for _, rf := range x.sc.refs(x.body) {
			if rf.Name == n {
				return true
			}
		}
		for _, p := range x.params {
			if p.Name == n {
				return true
			}
		}
		return false
	}
	for _, n := range []string{member, "request" + pascal(member), member + "Value"} {
		if reIdent.MatchString(n) && !taken(n) {
			return n
		}
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s%d", member, i)
		if !taken(n) {
			return n
		}
	}
}

func (x *extraction) rewrite(start, end int, text string) {
	x.rewrites = append(x.rewrites, rawEdit{start: start, end: end, text: text, seq: len(x.rewrites)})
}

// freeName decides what a name the body uses but does not declare needs.
func (x *extraction) freeName(rf ref) error {
	r := x.route
	if b := x.rm.imports[rf.Name]; b != nil {
		x.movedImports[rf.Name] = b
		return nil
	}
	if d := x.rm.top[rf.Name]; d != nil {
		if !d.Exported {
			what := d.Kind
			switch d.Kind {
			case "const", "let", "var":
				what = "variable"
			}
			return refuse(r, "the handler uses %s %s, which %s declares without exporting it, so the plugin cannot import it; export it or move it first",
				what, rf.Name, filepath.Base(x.routePath))
		}
		x.importsRoute = true
		return nil
	}
	if rf.Name == "Response" && !rf.Type {
		return refuse(r, "the handler builds an HTTP Response (%s); a plugin service returns data, and the route turns it into a response", lineCol(x.rm, rf.Node))
	}
	return nil // a global
}

// tables lists the string-literal table names the body's queries use.
func (x *extraction) tables() []string {
	seen := map[string]bool{}
	var out []string
	addLit := func(n syntax.Node) {
		n = n.Unwrap()
		if !n.Is("string") {
			return
		}
		t := unquote(n.Text())
		if i := strings.IndexAny(t, " \t"); i > 0 {
			t = t[:i] // "orders as o"
		}
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	x.body.Walk(func(n syntax.Node) bool {
		if !n.Is("call_expression") {
			return true
		}
		fn := n.Field("function")
		if !fn.Is("member_expression") || !tableMethods[fn.Field("property").Text()] {
			return true
		}
		args := n.Field("arguments").NamedChildren()
		if len(args) == 0 {
			return true
		}
		a := args[0].Unwrap()
		if a.Is("array") {
			for _, e := range a.NamedChildren() {
				addLit(e)
			}
		} else {
			addLit(a)
		}
		return true
	})
	return out
}

// lineCol is a 1-based position for messages.
func lineCol(m *module, n syntax.Node) string {
	p := m.lines.Pos(n.Start())
	return fmt.Sprintf("line %d", p.Line+1)
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// writes reports whether an expression is assigned, updated or deleted.
func writes(n syntax.Node) bool {
	p := n.Parent()
	switch p.Kind() {
	case "assignment_expression", "augmented_assignment_expression":
		return p.Field("left") == n
	case "update_expression":
		return true
	case "unary_expression":
		return p.FirstChild().Text() == "delete"
	}
	return false
}

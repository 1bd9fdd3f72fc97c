package facts

import (
	"bytes"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// Mount is `<receiver>.use(x)`, which serves router x, or
// `<router>.router(x)` with a router argument, which copies x's routes into
// the receiver under its prefix.
type Mount struct {
	Method string // "use" or "router"
	// Receiver is the identifier the call chain starts from ("server").
	Receiver string
	// Ident is the argument when it is a plain identifier.
	Ident string
	// Inline is set when the argument is a createRouter(...) chain written
	// in place: the file's routers without a variable are then mounted.
	Inline bool
	Range  analysis.Range // the argument
	Call   analysis.Range
	Stmt   analysis.Range // the statement the call forms, zero inside an expression
}

// ReExport is `export { a as b } from "spec"` or `export * from "spec"`.
type ReExport struct {
	Spec  string
	Names []ImportName // Name is the imported name, Alias the exported one
	Star  bool
	Range analysis.Range
}

// StdoutWrite is a console call that writes to stdout (under Bun: log,
// info, debug, trace, dir, table, ...) and runs when the file is imported:
// it is not inside a function, and no awaited start() that exits in
// generate mode comes before it.
type StdoutWrite struct {
	Call  string // "console.log"
	Range analysis.Range
}

// stdoutMethods are the console methods Bun writes to stdout (verified with
// Bun 1.4.5: warn and error go to stderr, trace does not).
var stdoutMethods = map[string]bool{
	"log": true, "info": true, "debug": true, "trace": true, "dir": true,
	"dirxml": true, "table": true, "count": true, "timeEnd": true, "timeLog": true,
}

// mount records a `.use(x)` or `.router(x)` call.
func (x *extractor) mount(call, fn syntax.Node, method string) {
	a := args(call)
	if len(a) != 1 {
		return
	}
	arg := a[0].Unwrap()
	if method == "router" && isStringLit(arg) {
		return // a child router by prefix, recorded as a Router
	}
	m := Mount{Method: method, Receiver: chainRoot(fn.Field("object")), Range: x.rng(a[0]), Call: x.rng(call)}
	switch {
	case arg.Is("identifier"):
		m.Ident = arg.Text()
	case chainRoot(arg) == "createRouter":
		m.Inline = true
	}
	if m.Receiver == "" {
		return
	}
	m.Stmt = x.stmtRange(call)
	x.f.rare().Mounts = append(x.f.rare().Mounts, m)
}

// childRouter records `const c = parent.router("seg")`: a router whose
// prefix extends its parent's.
func (x *extractor) childRouter(call, fn syntax.Node, routers map[string]string) {
	a := args(call)
	if len(a) != 1 || !isStringLit(a[0]) {
		return
	}
	d := call.Parent()
	for i := 0; i < 16 && isWrapper(d); i++ {
		d = d.Parent()
	}
	if !d.Is("variable_declarator") || !d.Field("name").Is("identifier") {
		return
	}
	parent := fn.Field("object").Unwrap()
	if !parent.Is("identifier") {
		return
	}
	r := Router{Var: d.Field("name").Text(), Parent: parent.Text(), Range: x.rng(call)}
	seg := stringValue(a[0])
	known := false
	for _, p := range x.f.Routers {
		if p.Var == r.Parent {
			known = p.PrefixKnown
			r.Versioned = p.Versioned
			r.Prefix = seg
			if p.Prefix != "" {
				r.Prefix = p.Prefix + "." + seg
			}
		}
	}
	r.PrefixKnown = known
	routers[r.Var] = r.Prefix
	x.f.Routers = append(x.f.Routers, r)
}

// newServer records `const server = new AppServer(...)`.
func (x *extractor) newServer(n syntax.Node) {
	if n.Field("constructor").Text() != "AppServer" {
		return
	}
	k := Key{Range: x.rng(n)}
	d := n.Parent()
	for i := 0; i < 16 && isWrapper(d); i++ {
		d = d.Parent()
	}
	if d.Is("variable_declarator") {
		k.Name = d.Field("name").Text()
	}
	x.f.rare().Servers = append(x.f.rare().Servers, k)
}

// stdoutWrite records a console call that writes to stdout at import time.
func (x *extractor) stdoutWrite(call, fn syntax.Node) {
	if !fn.Is("member_expression") || fn.Field("object").Text() != "console" {
		return
	}
	method := fn.Field("property").Text()
	if !stdoutMethods[method] {
		return
	}
	// The generator trims stdout before parsing it: an empty line is harmless.
	if a := args(call); len(a) == 0 || (len(a) == 1 && isStringLit(a[0]) && stringValue(a[0]) == "" && method == "log") {
		return
	}
	if !runsAtImport(call) {
		return
	}
	x.f.rare().StdoutWrites = append(x.f.rare().StdoutWrites, StdoutWrite{Call: "console." + method, Range: x.rng(call)})
}

// runsAtImport reports whether n runs when its module is evaluated: it is
// not inside a function or class body, and no earlier statement of an
// enclosing block awaits a start() (which, in generate mode, prints the
// routes and exits before anything after it runs).
func runsAtImport(n syntax.Node) bool {
	for p := n; !p.IsNull(); p = p.Parent() {
		if isFunction(p) || p.Is("function_declaration") || p.Is("generator_function_declaration") || p.Is("method_definition") || p.Is("class_body") {
			return false
		}
		if p.Is("program") || p.Is("statement_block") {
			continue
		}
		if parent := p.Parent(); parent.Is("program") || parent.Is("statement_block") {
			for s := p.Parent().FirstChild(); !s.IsNull() && s.Start() < p.Start(); s = s.NextSibling() {
				if awaitsStart(s) {
					return false
				}
			}
		}
	}
	return true
}

// awaitsStart reports whether a statement is `await <x>.start()`.
func awaitsStart(st syntax.Node) bool {
	if !st.Is("expression_statement") {
		return false
	}
	var e syntax.Node
	for c := st.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c.IsNamed() {
			e = c.Unwrap()
			break
		}
	}
	if !e.Is("await_expression") {
		return false
	}
	var call syntax.Node
	for c := e.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c.IsNamed() {
			call = c.Unwrap()
		}
	}
	if !call.Is("call_expression") {
		return false
	}
	fn, name := callee(call)
	return name == "start" && fn.Is("member_expression")
}

// reExport reads an export statement without a declaration.
func (x *extractor) reExport(st syntax.Node) {
	src := st.Field("source")
	re := ReExport{Range: x.rng(st)}
	if !src.IsNull() {
		re.Spec = stringValue(src)
	}
	for c := st.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		switch {
		case c.Kind() == "*":
			re.Star = true
		case c.Is("namespace_export"):
			// export * as ns from "x": binds one name, not the module's names.
			for _, id := range c.NamedChildren() {
				re.Names = append(re.Names, ImportName{Name: "*", Alias: strings.Trim(id.Text(), `"'`)})
			}
			re.Star = false
		case c.Is("export_clause"):
			for _, spec := range c.NamedChildren() {
				if !spec.Is("export_specifier") {
					continue
				}
				name := spec.Field("name").Text()
				alias := spec.Field("alias").Text()
				if alias == "" {
					alias = name
				}
				re.Names = append(re.Names, ImportName{Name: name, Alias: alias})
			}
		}
	}
	if re.Star || len(re.Names) > 0 {
		x.f.ReExports = append(x.f.ReExports, re)
	}
}

// ProcessRegistration is `<x>.processes.register({ name: "..." })`.
type ProcessRegistration struct {
	Name  string // "" when not a string literal
	Range analysis.Range
	// AtImport is set when the call runs as the module is imported: the
	// server's register() then writes "[Processes] Registered process
	// definition: <name>" to stdout (core/processes.ts, console.log) ahead
	// of the generate-mode JSON, which the generator then cannot parse.
	AtImport bool
	// StdoutMuted is set when the file reassigns console.log.
	StdoutMuted bool
}

// processRegistration records a process definition registered on the
// core processes service.
func (x *extractor) processRegistration(call, fn syntax.Node) {
	obj := fn.Field("object").Unwrap()
	if !obj.Is("member_expression") || obj.Field("property").Text() != "processes" {
		return
	}
	reg := ProcessRegistration{Range: x.rng(call), AtImport: runsAtImport(call)}
	// A file that reassigns console.log may silence the server's line;
	// its registrations are then read as printed, not as a broken run.
	reg.StdoutMuted = bytes.Contains(x.src, []byte("console.log ="))
	if a := args(call); len(a) == 1 && a[0].Unwrap().Is("object") {
		if ms, _ := objectMembers(a[0].Unwrap()); len(ms) > 0 {
			if m, ok := member(ms, "name"); ok && m.kind == "pair" && isStringLit(m.value) {
				reg.Name = stringValue(m.value)
			}
		}
	}
	x.f.rare().ProcessRegistrations = append(x.f.rare().ProcessRegistrations, reg)
}

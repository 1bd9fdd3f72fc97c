package facts

import (
	"bytes"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// calls walks the file once and dispatches the calls donkeylabs cares about.
func (x *extractor) calls(root syntax.Node) {
	routers := map[string]string{} // variable -> prefix
	var routeCalls []syntax.Node
	// Most files construct no server and log nothing: the checks for those
	// run only where the words occur, not at every node of every file.
	hasServer := bytes.Contains(x.src, []byte("AppServer"))
	hasConsole := bytes.Contains(x.src, []byte("console"))
	root.Walk(func(n syntax.Node) bool {
		if !n.Is("call_expression") {
			if hasServer && n.Is("new_expression") {
				x.newServer(n)
			}
			return true
		}
		fn, name := callee(n)
		switch name {
		case "use":
			if fn.Is("member_expression") {
				x.mount(n, fn, "use")
			}
		case "router":
			if fn.Is("member_expression") {
				x.childRouter(n, fn, routers)
				x.mount(n, fn, "router")
			}
		case "define":
			if chainRoot(fn.Field("object")) == "createPlugin" {
				x.plugin(n)
			}
		case "createRouter":
			if fn.Is("identifier") {
				r := Router{Range: x.rng(n)}
				if a := args(n); len(a) > 0 {
					r.Prefix = stringValue(a[0])
				}
				// `const r = createRouter("p").route(...).typed(...)` still
				// assigns the router: chained calls return it.
				d := n.Parent()
				for i := 0; i < 4096 && (d.Is("member_expression") || d.Is("call_expression") || isWrapper(d)); i++ {
					d = d.Parent()
				}
				if d.Is("variable_declarator") {
					r.Var = d.Field("name").Text()
					routers[r.Var] = r.Prefix
				}
				x.routerExtras(n, &r)
				x.f.Routers = append(x.f.Routers, r)
			}
		case "registerPlugin":
			if a := args(n); len(a) > 0 {
				arg := a[0].Unwrap()
				reg := Registration{Range: x.rng(a[0])}
				if arg.Is("call_expression") {
					reg.Factory = true
					arg = arg.Field("function")
				}
				if arg.Is("identifier") {
					reg.Ident = arg.Text()
				}
				// Registrations of anything else are kept with no Ident:
				// they register some plugin, so "never registered" is
				// then unknowable.
				x.registrationExtras(n, &reg)
				x.f.rare().Registrations = append(x.f.rare().Registrations, reg)
			}
		case "defineEvents":
			if fn.Is("identifier") {
				if a := args(n); len(a) > 0 && a[0].Unwrap().Is("object") {
					ms, _ := objectMembers(a[0].Unwrap())
					for _, m := range ms {
						if m.kind != "pair" {
							continue
						}
						ev := Event{Name: m.name, Range: x.rng(m.key), Schema: m.value.Text(), SchemaRange: x.rng(m.value)}
						ev.TSType, ev.TSKnown = x.zodEvaluator().TypeText(m.value)
						x.f.rare().Events = append(x.f.rare().Events, ev)
					}
				}
			}
		case "defineService":
			if fn.Is("identifier") {
				s := Service{Range: x.rng(n), NameRange: x.rng(fn)}
				if a := args(n); len(a) > 0 {
					s.Name = stringValue(a[0])
					s.NameRange = x.rng(a[0])
				}
				if ta := n.Field("type_arguments"); !ta.IsNull() {
					s.TypeArgs = x.rng(ta)
				}
				if d := n.Parent(); d.Is("variable_declarator") {
					s.ExportName = d.Field("name").Text()
					s.Exported = d.Parent().Parent().Is("export_statement")
				}
				x.f.rare().Services = append(x.f.rare().Services, s)
			}
		case "register":
			if fn.Is("member_expression") {
				x.processRegistration(n, fn)
				// The name's own range, for navigation.
				x.namedCall(n, fn, name)
			}
		case "emit", "on":
			if fn.Is("member_expression") {
				if a := args(n); len(a) > 0 && isStringLit(a[0]) {
					x.f.rare().EventUses = append(x.f.rare().EventUses, EventUse{Name: stringValue(a[0]), Range: x.rng(a[0]), Method: name})
				}
			}
		default:
			if fn.Is("member_expression") {
				obj := fn.Field("object")
				// `(r.route("n") as any).addHandler("kind", cfg)` is how a
				// plugin handler is reached (see Route.AddHandler).
				if name == "addHandler" && isRouteCall(obj.Unwrap()) {
					routeCalls = append(routeCalls, n)
				} else if isRouteCall(obj) {
					routeCalls = append(routeCalls, n)
				} else if obj.Is("member_expression") && obj.Field("property").Text() == "middleware" {
					prop := fn.Field("property")
					x.f.rare().MiddlewareUses = append(x.f.rare().MiddlewareUses, Key{Name: prop.Text(), Range: x.rng(prop)})
				} else if !x.namedCall(n, fn, name) {
					x.clientCall(fn)
				}
			}
			if hasConsole && stdoutMethods[name] {
				x.stdoutWrite(n, fn)
			}
		}
		return true
	})
	for _, c := range routeCalls {
		x.route(c, routers)
	}
}

// notClientRoots are globals whose member chains are never API calls.
var notClientRoots = map[string]bool{
	"console": true, "Math": true, "JSON": true, "Object": true, "Array": true, "Promise": true,
	"Date": true, "Number": true, "String": true, "Reflect": true, "z": true, "Bun": true, "process": true,
}

// ctxMembers are the framework context's members: `ctx.plugins.x.y()`
// is a service call, never the client.
var ctxMembers = map[string]bool{
	"plugins": true, "deps": true, "db": true, "core": true, "errors": true, "services": true,
	"middleware": true, "events": true, "jobs": true, "cron": true, "cache": true, "logger": true,
	"sse": true, "schema": true, "processes": true, "workflows": true,
}

// namedMethods are the core processes' methods that take a name, and
// whether the call defines it (jobs are read by runtimeNames).
var namedMethods = map[string]map[string]bool{
	"processes": {"register": true, "spawn": false, "getByName": false},
}

// namedCall records a job or process name at `<...>.jobs.<m>("x")` or
// `<...>.processes.<m>(...)`; false when the call is none of those.
func (x *extractor) namedCall(call, fn syntax.Node, method string) bool {
	obj := fn.Field("object").Unwrap()
	service := ""
	switch {
	case obj.Is("identifier"):
		service = obj.Text()
	case obj.Is("member_expression"):
		service = obj.Field("property").Text()
	}
	methods := namedMethods[service]
	def, ok := methods[method]
	if !ok {
		return false
	}
	kind := "job"
	if service == "processes" {
		kind = "process"
	}
	a := args(call)
	if len(a) == 0 {
		return true
	}
	lit := a[0].Unwrap()
	if kind == "process" && method == "register" {
		// register({ name: "x", ... })
		if !lit.Is("object") {
			return true
		}
		ms, _ := objectMembers(lit)
		m, found := member(ms, "name")
		if !found || m.kind != "pair" {
			return true
		}
		lit = m.value.Unwrap()
	}
	if isStringLit(lit) {
		if name := stringValue(lit); name != "" {
			x.f.rare().NamedCalls = append(x.f.rare().NamedCalls, NamedCall{Kind: kind, Name: name, Range: x.rng(lit), Method: method, Def: def})
		}
	}
	return true
}

// clientCall records `root.a.b(...)`, a plain-name chain of at least two
// segments, as a candidate client call.
func (x *extractor) clientCall(fn syntax.Node) {
	var segs []Key
	n := fn
	for i := 0; i < 16 && n.Is("member_expression"); i++ {
		prop := n.Field("property")
		if !prop.Is("property_identifier") {
			return
		}
		segs = append(segs, Key{Name: prop.Text(), Range: x.rng(prop)})
		n = n.Field("object")
	}
	if len(segs) < 2 || !n.Is("identifier") || notClientRoots[n.Text()] {
		return
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	if ctxMembers[segs[0].Name] {
		return
	}
	x.f.ClientCalls = append(x.f.ClientCalls, ClientCall{Root: n.Text(), Segs: segs})
}

// chainRoot follows `a.b(...).c` chains down to the identifier they start
// from: createPlugin.withSchema<DB>().withConfig<C>() gives "createPlugin".
func chainRoot(n syntax.Node) string {
	for i := 0; i < 64 && !n.IsNull(); i++ {
		n = n.Unwrap()
		switch n.Kind() {
		case "identifier":
			return n.Text()
		case "member_expression":
			n = n.Field("object")
		case "call_expression":
			n = n.Field("function")
		default:
			return ""
		}
	}
	return ""
}

// chainHas reports whether a call chain below n calls a method named name.
func chainHas(n syntax.Node, name string) bool {
	for i := 0; i < 64 && !n.IsNull(); i++ {
		n = n.Unwrap()
		switch n.Kind() {
		case "member_expression":
			if n.Field("property").Text() == name {
				return true
			}
			n = n.Field("object")
		case "call_expression":
			n = n.Field("function")
		default:
			return false
		}
	}
	return false
}

// isRouteCall reports whether n is `<something>.route("name")`.
func isRouteCall(n syntax.Node) bool {
	if !n.Is("call_expression") {
		return false
	}
	fn, name := callee(n)
	if name != "route" || !fn.Is("member_expression") {
		return false
	}
	a := args(n)
	return len(a) >= 1 && isStringLit(a[0])
}

func (x *extractor) plugin(call syntax.Node) {
	pl := Plugin{DefineRange: x.rng(call)}
	fn := call.Field("function")
	pl.WithSchema = chainHas(fn.Field("object"), "withSchema")
	pl.WithConfig = chainHas(fn.Field("object"), "withConfig")
	// Find the exported const this define() is assigned to.
	for p := call.Parent(); !p.IsNull(); p = p.Parent() {
		if p.Is("variable_declarator") {
			name := p.Field("name")
			pl.ExportName = name.Text()
			pl.ExportRange = x.rng(name)
			if decl := p.Parent(); decl.Parent().Is("export_statement") {
				pl.Exported = true
			}
			break
		}
		if !isWrapper(p) {
			break
		}
	}
	a := args(call)
	if len(a) == 0 || !a[0].Unwrap().Is("object") {
		x.f.Plugins = append(x.f.Plugins, pl)
		return
	}
	obj := a[0].Unwrap()
	pl.ObjectRange = x.rng(obj)
	members, _ := objectMembers(obj)
	if m, ok := member(members, "name"); ok && m.kind == "pair" && isStringLit(m.value) {
		pl.Name = stringValue(m.value)
		pl.NameRange = x.rng(m.value)
		pl.NameKnown = !m.value.HasError()
		pl.NameKeyRange = x.rng(m.key)
	}
	if m, ok := member(members, "dependencies"); ok && m.kind == "pair" {
		pl.Dependencies, pl.DepsKnown, pl.DepsRange = x.stringArray(m.value)
	} else {
		pl.DepsKnown = !obj.HasError()
	}
	if m, ok := member(members, "handlers"); ok {
		pl.HandlerKeys, pl.HandlersKnown = x.keysOf(m)
	} else {
		pl.HandlersKnown = !obj.HasError()
	}
	if m, ok := member(members, "middleware"); ok {
		pl.MiddlewareKeys, pl.MiddlewareKnown = x.keysOf(m)
		if v := m.value.Unwrap(); m.kind == "pair" && v.Is("object") {
			pl.MiddlewareObject = x.rng(v)
		}
	} else {
		pl.MiddlewareKnown = !obj.HasError()
	}
	if m, ok := member(members, "events"); ok {
		var known bool
		pl.EventKeys, known = x.keysOf(m)
		pl.EventsUnknown = !known
	}
	if m, ok := member(members, "customErrors"); ok {
		if v := m.value.Unwrap(); m.kind == "pair" && v.Is("object") {
			pl.CustomErrors, pl.CustomErrorsKnown = x.customErrors(v)
		}
	} else {
		pl.CustomErrorsKnown = !obj.HasError()
	}
	h := fnv.New64a()
	for _, name := range []string{"service", "init"} {
		m, ok := member(members, name)
		if !ok {
			continue
		}
		if name == "init" {
			pl.HasInit = true
		}
		fnNode := m.value
		if m.kind == "pair" {
			fnNode = m.value.Unwrap()
		}
		var hv [8]byte
		c := codeHash(fnNode)
		for i := range hv {
			hv[i] = byte(c >> (8 * i))
		}
		h.Write([]byte(name))
		h.Write(hv[:])
		if name != "service" || !isFunction(fnNode) {
			continue
		}
		pl.ServiceRange = x.rng(fnNode)
		pl.OutsideServiceHash = codeHashExcept(x.tree.Root(), fnNode)
		if ret, ok := returnedObject(fnNode); ok {
			ms, known := objectMembers(ret)
			pl.ServiceKnown = known
			for _, sm := range ms {
				pl.ServiceMethods = append(pl.ServiceMethods, Key{Name: sm.name, Range: x.rng(sm.key)})
			}
		}
	}
	pl.ServiceHash = h.Sum64()
	// ctx.deps and ctx.db uses, through the context parameter of every
	// function member (service, init, middleware), never a stray `ctx`.
	for _, m := range members {
		fnNode := m.value.Unwrap()
		if !isFunction(fnNode) {
			continue
		}
		ps := params(fnNode)
		if len(ps) == 0 || ps[0] == "" {
			continue
		}
		uses := x.ctxUses(fnNode.Field("body"), ps[0])
		for _, u := range uses {
			switch u.Member {
			case "deps":
				if u.Plugin != "" {
					pl.DepUses = append(pl.DepUses, MemberUse{Plugin: u.Plugin, PluginRange: u.PluginRange, Method: u.Method, MethodRange: u.MethodRange})
				}
			case "core":
				if u.Method != "" {
					pl.ErrorUses = append(pl.ErrorUses, Key{Name: u.Method, Range: u.MethodRange})
				}
			}
		}
		pl.DBTables = append(pl.DBTables, x.dbTables(fnNode.Field("body"), ps[0])...)
	}
	x.f.Plugins = append(x.f.Plugins, pl)
}

// customErrors reads a plugin's customErrors object.
func (x *extractor) customErrors(obj syntax.Node) ([]CustomError, bool) {
	ms, known := objectMembers(obj)
	out := make([]CustomError, 0, len(ms))
	for _, m := range ms {
		ce := CustomError{Name: m.name, Range: x.rng(m.key)}
		if v := m.value.Unwrap(); m.kind == "pair" && v.Is("object") {
			fields, ok := objectMembers(v)
			var def strings.Builder
			for _, k := range []string{"status", "code", "defaultMessage"} {
				f, has := member(fields, k)
				switch {
				case !has:
					def.WriteString(k + "=;")
				case f.kind == "pair" && (f.value.Is("number") || isStringLit(f.value)):
					def.WriteString(k + "=" + f.value.Text() + ";")
				default:
					ok = false
				}
			}
			if ok {
				ce.Def = def.String()
			}
		}
		out = append(out, ce)
	}
	return out, known
}

func isWrapper(n syntax.Node) bool {
	switch n.Kind() {
	case "parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression":
		return true
	}
	return false
}

// stringArray reads an array of string literals, possibly `as const` or held
// in a top-level constant.
func (x *extractor) stringArray(v syntax.Node) (keys []Key, known bool, rng analysis.Range) {
	v = v.Unwrap()
	if v.Is("identifier") {
		if init, ok := x.consts[v.Text()]; ok {
			v = init.Unwrap()
		}
	}
	if !v.Is("array") {
		return nil, false, x.rng(v)
	}
	known = !v.HasError()
	for _, e := range v.NamedChildren() {
		if isStringLit(e) {
			keys = append(keys, Key{Name: stringValue(e), Range: x.rng(e)})
		} else {
			known = false
		}
	}
	return keys, known, x.rng(v)
}

// keysOf reads the keys of `handlers: {...}` or `middleware: (ctx) => ({...})`.
func (x *extractor) keysOf(m objectMember) ([]Key, bool) {
	v := m.value
	if m.kind == "pair" {
		v = v.Unwrap()
	}
	var obj syntax.Node
	switch {
	case v.Is("object"):
		obj = v
	case isFunction(v):
		o, ok := returnedObject(v)
		if !ok {
			return nil, false
		}
		obj = o
	default:
		return nil, false
	}
	ms, known := objectMembers(obj)
	keys := make([]Key, 0, len(ms))
	for _, k := range ms {
		keys = append(keys, Key{Name: k.name, Range: x.rng(k.key)})
	}
	return keys, known
}

// ctxUses lists `<ctxName>.<member>...` accesses inside body, skipping nested
// functions that shadow ctxName.
func (x *extractor) ctxUses(body syntax.Node, ctxName string) []CtxUse {
	var out []CtxUse
	if body.IsNull() || ctxName == "" {
		return nil
	}
	body.Walk(func(n syntax.Node) bool {
		if isFunction(n) && n != body {
			return !slices.Contains(params(n), ctxName)
		}
		if !n.Is("member_expression") {
			return true
		}
		obj := n.Field("object").Unwrap()
		if !obj.Is("identifier") || obj.Text() != ctxName {
			return true
		}
		prop := n.Field("property")
		u := CtxUse{Member: prop.Text(), Range: x.rng(n)}
		// ctx.errors.<Name> (a route's context) and ctx.core.errors.<Name>
		// (any context: a plugin's has no errors member, verified under
		// Bun: "undefined is not an object (evaluating 'ctx.errors.X')").
		errs := n
		if u.Member == "core" {
			if p := n.Parent(); p.Is("member_expression") && p.Field("object") == n && p.Field("property").Text() == "errors" {
				errs = p
			} else {
				errs = syntax.Node{}
			}
		} else if u.Member != "errors" {
			errs = syntax.Node{}
		}
		if !errs.IsNull() {
			if p := errs.Parent(); p.Is("member_expression") && p.Field("object") == errs {
				pp := p.Field("property")
				u.Method, u.MethodRange = pp.Text(), x.rng(pp)
			}
		}
		if u.Member == "plugins" || u.Member == "deps" {
			if p := n.Parent(); p.Is("member_expression") && p.Field("object") == n {
				pp := p.Field("property")
				u.Plugin, u.PluginRange = pp.Text(), x.rng(pp)
				if q := p.Parent(); q.Is("member_expression") && q.Field("object") == p {
					qp := q.Field("property")
					u.Method, u.MethodRange = qp.Text(), x.rng(qp)
				}
			}
		}
		out = append(out, u)
		return true
	})
	return out
}

// dbTables lists the table names of `<ctx>.db.selectFrom("t")` and friends.
func (x *extractor) dbTables(body syntax.Node, ctxName string) []Key {
	var out []Key
	if body.IsNull() {
		return nil
	}
	body.Walk(func(n syntax.Node) bool {
		if !n.Is("call_expression") {
			return true
		}
		fn, name := callee(n)
		switch name {
		case "selectFrom", "insertInto", "updateTable", "deleteFrom", "replaceInto", "mergeInto":
		default:
			return true
		}
		obj := fn.Field("object").Unwrap()
		if !obj.Is("member_expression") || obj.Field("property").Text() != "db" {
			return true
		}
		if base := obj.Field("object").Unwrap(); !base.Is("identifier") || base.Text() != ctxName {
			return true
		}
		if a := args(n); len(a) > 0 {
			t := stringValue(a[0])
			if t == "" {
				return true
			}
			// "users as u" aliases the table.
			alias := ""
			if i := indexSpace(t); i > 0 {
				t, alias = t[:i], aliasOf(t[i:])
			}
			out = append(out, Key{Name: t, Range: x.rng(a[0])})
			x.f.rare().TableUses = append(x.f.rare().TableUses, TableUse{Table: t, Range: x.rng(a[0])})
			x.queryColumns(n, t, alias)
		}
		return true
	})
	return out
}

// aliasOf reads the alias of " as u".
func aliasOf(rest string) string {
	f := strings.Fields(rest)
	if len(f) == 2 && strings.EqualFold(f[0], "as") {
		return f[1]
	}
	return ""
}

// columnMethods take column names as their first string argument (or an
// array of them); whereRef and friends as their third too.
var columnMethods = map[string]bool{
	"where": true, "orWhere": true, "having": true, "orderBy": true, "groupBy": true,
	"select": true, "returning": true, "distinctOn": true, "whereRef": true, "orWhereRef": true,
}

var joinMethods = map[string]bool{"innerJoin": true, "leftJoin": true, "rightJoin": true, "fullJoin": true}

// queryColumns follows the method chain above a selectFrom/insertInto/...
// call and records the columns its string arguments name. Qualified names
// ("b.author") are resolved through the table and its alias; after a join
// an unqualified name could be either table's, so it is left out.
func (x *extractor) queryColumns(from syntax.Node, table, alias string) {
	quals := map[string]string{table: table}
	if alias != "" {
		quals[alias] = table
	}
	joined := false
	col := func(lit syntax.Node) {
		if !isStringLit(lit) {
			return
		}
		c := stringValue(lit)
		if i := indexSpace(c); i > 0 {
			c = c[:i]
		}
		t := table
		if q, name, ok := strings.Cut(c, "."); ok {
			if t, ok = quals[q]; !ok {
				return
			}
			c = name
		} else if joined {
			return
		}
		if c == "" || c == "*" || strings.ContainsAny(c, " ()") {
			return
		}
		x.f.rare().TableUses = append(x.f.rare().TableUses, TableUse{Table: t, Column: c, Range: x.rng(lit)})
	}
	cur := from
	for range 64 {
		m := cur.Parent()
		if !m.Is("member_expression") || m.Field("object") != cur {
			return
		}
		call := m.Parent()
		if !call.Is("call_expression") || call.Field("function") != m {
			return
		}
		method := m.Field("property").Text()
		a := args(call)
		switch {
		case columnMethods[method] && len(a) > 0:
			first := a[0].Unwrap()
			if first.Is("array") {
				for _, e := range first.NamedChildren() {
					col(e)
				}
			} else {
				col(first)
			}
			if (method == "whereRef" || method == "orWhereRef") && len(a) > 2 {
				col(a[2].Unwrap())
			}
		case (method == "values" || method == "set") && len(a) > 0 && a[0].Unwrap().Is("object"):
			ms, _ := objectMembers(a[0].Unwrap())
			for _, om := range ms {
				if om.name != "" && (om.kind == "pair" || om.kind == "shorthand") {
					x.f.rare().TableUses = append(x.f.rare().TableUses, TableUse{Table: table, Column: om.name, Range: x.rng(om.key)})
				}
			}
		case joinMethods[method] && len(a) > 0:
			joined = true
			if j := stringValue(a[0].Unwrap()); j != "" {
				jt, ja := j, ""
				if k := indexSpace(j); k > 0 {
					jt, ja = j[:k], aliasOf(j[k:])
				}
				quals[jt] = jt
				if ja != "" {
					quals[ja] = jt
				}
				x.f.rare().TableUses = append(x.f.rare().TableUses, TableUse{Table: jt, Range: x.rng(a[0])})
			}
		}
		cur = call
	}
}

func indexSpace(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			return i
		}
	}
	return -1
}

// route reads `<chain>.route("name").<kind>(config)`.
func (x *extractor) route(call syntax.Node, routers map[string]string) {
	fn := call.Field("function")
	routeCall := fn.Field("object").Unwrap()
	kindNode := fn.Field("property")
	ra := args(routeCall)
	r := Route{
		Name:      stringValue(ra[0]),
		NameRange: x.rng(ra[0]),
		Kind:      kindNode.Text(),
		KindRange: x.rng(kindNode),
	}
	a := args(call)
	if kindNode.Text() == "addHandler" {
		r.AddHandler = true
		r.Kind, r.KindRange = "", analysis.Range{}
		if len(a) > 0 && isStringLit(a[0]) {
			r.Kind, r.KindRange = stringValue(a[0]), x.rng(a[0])
		}
		if len(a) > 0 {
			a = a[1:]
		}
	}
	r.CallRange = x.lines.Range(routeCall.Field("function").Field("property").Start(), call.End())
	// Walk the chain below .route(...) to find the router and middleware.
	n := routeCall.Field("function").Field("object")
	for i := 0; i < 256 && !n.IsNull(); i++ {
		n = n.Unwrap()
		switch n.Kind() {
		case "identifier":
			r.RouterVar = n.Text()
			r.Prefix = routers[r.RouterVar]
			n = syntax.Node{}
		case "call_expression":
			f, name := callee(n)
			if name == "createRouter" && f.Is("identifier") {
				if a := args(n); len(a) > 0 {
					r.Prefix = stringValue(a[0])
				}
				// `const r = createRouter("p").route(...)`: the route
				// belongs to r, which is what gets mounted.
				at := x.rng(n)
				for _, rt := range x.f.Routers {
					if rt.Range == at {
						r.RouterVar = rt.Var
					}
				}
				n = syntax.Node{}
				continue
			}
			if f.Is("member_expression") {
				if obj := f.Field("object").Unwrap(); obj.Is("member_expression") && obj.Field("property").Text() == "middleware" {
					r.Middleware = append([]string{name}, r.Middleware...)
				}
			}
			n = f
		case "member_expression":
			n = n.Field("object")
		default:
			n = syntax.Node{}
		}
	}
	x.routeExtras(routeCall, &r)
	if r.Prefix != "" {
		r.FullName = r.Prefix + "." + r.Name
	} else {
		r.FullName = r.Name
	}
	if len(a) > 0 {
		cfg := a[0].Unwrap()
		r.ConfigRange = x.rng(cfg)
		if cfg.Is("call_expression") {
			if _, name := callee(cfg); name == "defineRoute" {
				if ca := args(cfg); len(ca) > 0 {
					cfg = ca[0].Unwrap()
				}
			}
		}
		if cfg.Is("identifier") {
			if init, ok := x.consts[cfg.Text()]; ok {
				cfg = init.Unwrap()
				if cfg.Is("call_expression") {
					if _, name := callee(cfg); name == "defineRoute" {
						if ca := args(cfg); len(ca) > 0 {
							cfg = ca[0].Unwrap()
						}
					}
				}
			}
		}
		if cfg.Is("object") {
			ms, _ := objectMembers(cfg)
			if m, ok := member(ms, "input"); ok && m.kind == "pair" {
				r.Input = x.schema(m.value)
			}
			if m, ok := member(ms, "output"); ok && m.kind == "pair" {
				r.Output = x.schema(m.value)
			}
			if m, ok := member(ms, "handle"); ok {
				h := m.value
				if m.kind == "pair" {
					h = h.Unwrap()
				}
				if isFunction(h) {
					r.Handle = x.function(h)
					ps := params(h)
					if len(ps) >= 2 && ps[1] != "" {
						r.CtxUses = x.ctxUses(h.Field("body"), ps[1])
						r.DBTables = x.dbTables(h.Field("body"), ps[1])
					}
				}
			}
		}
	}
	x.f.Routes = append(x.f.Routes, r)
}

func (x *extractor) function(fn syntax.Node) *Func {
	f := &Func{Range: x.rng(fn), Params: params(fn)}
	for c := fn.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c.Kind() == "async" {
			f.Async = true
		}
	}
	body := fn.Field("body")
	f.BodyRange = x.rng(body)
	f.ExprBody = !body.Is("statement_block")
	return f
}

// schema reads an input/output schema expression.
func (x *extractor) schema(v syntax.Node) *Schema {
	s := &Schema{Text: v.Text(), Range: x.rng(v)}
	u := v.Unwrap()
	if u.Is("identifier") {
		s.Ident = u.Text()
		if init, ok := x.consts[s.Ident]; ok {
			u = init.Unwrap()
		}
	}
	s.Fields, s.FieldsKnown = zodObjectFields(u)
	s.TSType, s.TSKnown = x.zodEvaluator().TypeText(v)
	s.ZodMain = x.zodEvaluator().FromMain(v)
	return s
}

// zodObjectFields reads `z.object({ a: z.string(), b: z.number().optional() })`.
func zodObjectFields(n syntax.Node) ([]Field, bool) {
	if !n.Is("call_expression") {
		return nil, false
	}
	fn, name := callee(n)
	if name != "object" || !fn.Is("member_expression") || fn.Field("object").Text() != "z" {
		return nil, false
	}
	a := args(n)
	if len(a) != 1 || !a[0].Unwrap().Is("object") {
		return nil, false
	}
	ms, known := objectMembers(a[0].Unwrap())
	fields := make([]Field, 0, len(ms))
	for _, m := range ms {
		if m.kind != "pair" {
			return nil, false
		}
		fields = append(fields, zodField(m.name, m.value))
	}
	return fields, known
}

// zodField reads the base type and optionality of one zod chain as the
// server's generator (generator/zod-to-ts.ts) translates it: a property is
// optional only when its outermost schema is a ZodOptional, so
// `.optional().default(10)` is required (`limit: number`, verified against
// the real generator) and `.default(10).optional()` is optional.
func zodField(name string, v syntax.Node) Field {
	f := Field{Name: name}
	nonPrimitive := false
	n := v.Unwrap()
	outer := true
	for i := 0; i < 32 && n.Is("call_expression"); i++ {
		if fn, method := callee(n); outer && fn.Is("member_expression") && method != "describe" {
			// .describe() clones the schema with its class; any other
			// method decides the outermost class.
			outer = false
			f.Optional = method == "optional" || method == "nullish"
		}
		fn, method := callee(n)
		if !fn.Is("member_expression") {
			break
		}
		obj := fn.Field("object").Unwrap()
		if obj.Is("identifier") && obj.Text() == "z" {
			switch method {
			case "string", "number", "boolean", "bigint":
				f.Type = method
			case "date":
				f.Type = "date"
			}
			break
		}
		switch method {
		case "nullish", "nullable", "array", "or", "and", "catch", "pipe", "brand", "readonly":
			// `T | null`, `T[]`, unions and the classes the generator
			// turns into unknown are no longer the primitive type.
			nonPrimitive = true
		}
		n = obj
	}
	if nonPrimitive {
		f.Type = ""
	}
	return f
}

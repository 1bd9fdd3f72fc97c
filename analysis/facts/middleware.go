package facts

import (
	"bytes"
	"slices"
	"sort"
	"strconv"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// Middleware as the router really applies it (server 2.5.1, router.ts,
// verified under Bun): `router.middleware.x()` pushes onto the router's one
// stack and returns the router; `.route()` hands that same array to the
// route, and `addRoute` keeps it by reference when it is not empty. So a
// route added after the first push runs every middleware ever pushed on its
// router, later ones included; a route added while the stack was empty runs
// none. `router.router("seg")` gives the child a copy of the stack at that
// moment; `router.router(other)` copies other's routes with the receiver's
// stack, as it is then, in front of theirs.

// MiddlewareUse is one `<router>.middleware.<name>(...)` call.
type MiddlewareUse struct {
	Name  string
	Range analysis.Range // the name
	// Receiver is the identifier the chain starts from ("" for a router
	// created inline); Local is set when it is a router this file creates.
	Receiver string
	Local    bool
	// Standalone is set when the chain it is in adds no route: the push
	// reads as meant for the router as a whole (`admin.middleware.staff();`).
	Standalone bool
}

// RouteStack is the middleware one route really runs (Runs empty: none),
// computed only for routes whose router this file creates and orders
// completely (every push, route, child and merge on it at the top level,
// the router never handed to a function).
type RouteStack struct {
	Route int // index into File.Routes
	// Router is the variable of the route's router ("" for an inline one).
	Router string
	// Runs are the uses (indices into File.MiddlewarePushes) it runs, in
	// order; Shown those its own chain shows plus the standalone pushes on
	// its router before it (and those its router inherited when copied).
	Runs  []int
	Shown []int
	// MergedInto is set for the copy `<MergedInto>.router(<Router>)` makes
	// of the route; MergeRange is that call's argument.
	MergedInto string
	MergeRange analysis.Range
}

type routerOpKind int

const (
	opPush routerOpKind = iota
	opRoute
	opChild
	opMerge
)

type routerOp struct {
	pos    int
	kind   routerOpKind
	router string      // the router operated on
	use    int         // opPush: index into MiddlewarePushes
	route  int         // opRoute: index into Routes
	other  string      // opChild: the child; opMerge: the merged router
	chain  syntax.Node // opRoute: the route call's receiver, whose pushes it shows
	arg    analysis.Range
}

type routerState struct {
	stack []int
	wide  map[int]bool
	// routes added so far, for merges: index into Routes and whether it
	// holds the shared stack.
	routes []routeAdd
}

type routeAdd struct {
	route  int
	shared bool
	shown  []int
}

// middlewareStacks fills MiddlewarePushes and RouteStacks. Files that never
// say "middleware" cannot push any, and every route in them runs none.
func (x *extractor) middlewareStacks(root syntax.Node) {
	if !bytes.Contains(x.src, []byte("middleware")) {
		return
	}
	routeAt := make(map[int]int, len(x.f.Routes))
	for i, r := range x.f.Routes {
		routeAt[int(r.NameRange.Start.Offset)] = i
	}
	local := map[string]bool{}
	for _, r := range x.f.Routers {
		if r.Var != "" {
			local[r.Var] = true
		}
	}
	pushAt := map[int]int{} // name offset -> use
	unordered := map[string]bool{}
	escaped := map[string]bool{}
	var ops []routerOp
	root.Walk(func(n syntax.Node) bool {
		if !n.Is("call_expression") {
			return true
		}
		fn := n.Field("function")
		a := args(n)
		method := ""
		if fn.Is("member_expression") {
			method = fn.Field("property").Text()
		}
		// A router handed to anything but use()/router() may get routes or
		// middleware where we cannot order them.
		if method != "use" && method != "router" {
			for _, arg := range a {
				if arg = arg.Unwrap(); arg.Is("identifier") {
					escaped[arg.Text()] = true
				}
			}
		}
		if method == "" {
			return true
		}
		obj := fn.Field("object").Unwrap()
		ordered := topLevelOrdered(n)
		switch {
		case obj.Is("member_expression") && obj.Field("property").Text() == "middleware":
			id, recv := x.routerID(obj.Field("object"))
			u := MiddlewareUse{Name: method, Range: x.rng(fn.Field("property")), Receiver: recv, Standalone: !inRouteChain(n)}
			pushAt[fn.Field("property").Start()] = len(x.f.MiddlewarePushes())
			ops = append(ops, routerOp{pos: fn.Field("property").Start(), kind: opPush, router: id, use: len(x.f.MiddlewarePushes())})
			x.f.rare().MiddlewarePushes = append(x.f.rare().MiddlewarePushes, u)
			if !ordered {
				unordered[id] = true
			}
		case method == "route" && len(a) >= 1 && isStringLit(a[0]):
			i, ok := routeAt[int(x.rng(a[0]).Start.Offset)]
			if !ok {
				return true
			}
			id, _ := x.routerID(obj)
			ops = append(ops, routerOp{pos: fn.Field("property").Start(), kind: opRoute, router: id, route: i, chain: obj})
			if !ordered {
				unordered[id] = true
			}
		case method == "router" && len(a) == 1:
			id, _ := x.routerID(obj)
			if isStringLit(a[0]) {
				child := objectID(n)
				local[child] = true
				ops = append(ops, routerOp{pos: fn.Field("property").Start(), kind: opChild, router: id, other: child})
				if !ordered {
					unordered[id], unordered[child] = true, true
				}
				return true
			}
			if arg := a[0].Unwrap(); arg.Is("identifier") {
				ops = append(ops, routerOp{pos: fn.Field("property").Start(), kind: opMerge, router: id, other: arg.Text(), arg: x.rng(a[0])})
				if !ordered {
					unordered[id] = true
				}
			}
		}
		return true
	})
	for i := range x.f.MiddlewarePushes() {
		u := &x.f.Rare.MiddlewarePushes[i]
		u.Local = u.Receiver == "" || local[u.Receiver]
	}
	if x.tree.HasErrors() {
		return // a half-parsed chain would give routes a stack they do not have
	}
	known := func(id string) bool {
		return id != "" && local[id] && !unordered[id] && !escaped[id]
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].pos < ops[j].pos })
	states := map[string]*routerState{}
	state := func(id string) *routerState {
		s := states[id]
		if s == nil {
			s = &routerState{wide: map[int]bool{}}
			states[id] = s
		}
		return s
	}
	// Children of a merged router bring their routes along; merges of
	// routers with children are left unmodelled.
	hasChildren := map[string]bool{}
	for _, op := range ops {
		if op.kind == opChild {
			hasChildren[op.router] = true
		}
	}
	var shared []routeAdd // routes holding their router's final stack
	var sharedRouter []string
	for _, op := range ops {
		s := state(op.router)
		switch op.kind {
		case opPush:
			s.stack = append(s.stack, op.use)
			if x.f.Rare.MiddlewarePushes[op.use].Standalone {
				s.wide[op.use] = true
			}
		case opChild:
			c := state(op.other)
			c.stack = append([]int(nil), s.stack...)
			for _, u := range s.stack {
				if s.wide[u] {
					c.wide[u] = true
				}
			}
		case opRoute:
			ra := routeAdd{route: op.route, shared: len(s.stack) > 0}
			// The walk visits a route call before the pushes in its own
			// chain, so those are looked up only now.
			ra.shown = x.chainPushes(op.chain, pushAt)
			for _, u := range s.stack {
				if s.wide[u] && !containsInt(ra.shown, u) {
					ra.shown = append(ra.shown, u)
				}
			}
			s.routes = append(s.routes, ra)
			switch {
			case ra.shared && known(op.router):
				shared = append(shared, ra)
				sharedRouter = append(sharedRouter, op.router)
			case known(op.router):
				// Added while its router's stack was empty: it keeps
				// an empty stack of its own and runs nothing.
				x.f.rare().RouteStacks = append(x.f.rare().RouteStacks, RouteStack{Route: op.route, Router: routerVar(op.router)})
			}
		case opMerge:
			m := states[op.other]
			if m == nil || !known(op.router) || !known(op.other) || hasChildren[op.other] {
				continue
			}
			for _, ra := range m.routes {
				rs := RouteStack{Route: ra.route, Router: routerVar(op.other), MergedInto: routerVar(op.router), MergeRange: op.arg}
				rs.Runs = append(rs.Runs, s.stack...)
				for _, u := range s.stack {
					if s.wide[u] {
						rs.Shown = append(rs.Shown, u)
					}
				}
				if ra.shared {
					rs.Runs = append(rs.Runs, m.stack...)
					rs.Shown = append(rs.Shown, ra.shown...)
				}
				x.f.rare().RouteStacks = append(x.f.rare().RouteStacks, rs)
			}
		}
	}
	for i, ra := range shared {
		id := sharedRouter[i]
		x.f.rare().RouteStacks = append(x.f.rare().RouteStacks, RouteStack{
			Route: ra.route, Router: routerVar(id),
			Runs: append([]int(nil), states[id].stack...), Shown: ra.shown,
		})
	}
}

// routerVar is the variable a router identity names, "" for an inline one.
func routerVar(id string) string {
	if len(id) > 0 && id[0] == '@' {
		return ""
	}
	return id
}

func containsInt(s []int, v int) bool {
	return slices.Contains(s, v)
}

// routerID names the router object a chain operates on: the variable it
// starts from, or the router a createRouter(...) / .router("seg") call in
// it creates. recv is the identifier the chain starts from, if any.
func (x *extractor) routerID(n syntax.Node) (id, recv string) {
	for i := 0; i < 256 && !n.IsNull(); i++ {
		n = n.Unwrap()
		switch n.Kind() {
		case "identifier":
			return n.Text(), n.Text()
		case "call_expression":
			f, name := callee(n)
			if name == "createRouter" && f.Is("identifier") {
				return objectID(n), ""
			}
			if !f.Is("member_expression") {
				return "", ""
			}
			if a := args(n); name == "router" && len(a) == 1 && isStringLit(a[0]) {
				return objectID(n), ""
			}
			n = f.Field("object")
		case "member_expression":
			n = n.Field("object")
		default:
			return "", ""
		}
	}
	return "", ""
}

// objectID names the router a createRouter(...) or .router("seg") call
// creates: the variable its chain is assigned to (chained calls return the
// router), else its offset.
func objectID(call syntax.Node) string {
	d := call.Parent()
	for i := 0; i < 4096 && (d.Is("member_expression") || d.Is("call_expression") || isWrapper(d)); i++ {
		d = d.Parent()
	}
	if d.Is("variable_declarator") {
		return d.Field("name").Text()
	}
	return "@" + strconv.Itoa(call.Start())
}

// inRouteChain reports whether the chain above a push goes on to add a
// route: `r.middleware.auth().route("me")`.
func inRouteChain(call syntax.Node) bool {
	n := call
	for range 4096 {
		p := n.Parent()
		switch {
		case isWrapper(p):
		case p.Is("member_expression") && p.Field("object").Start() == n.Start():
			if p.Field("property").Text() == "route" {
				return true
			}
		case p.Is("call_expression") && p.Field("function").Start() == n.Start():
		default:
			return false
		}
		n = p
	}
	return false
}

// chainPushes lists the pushes in the chain below a route call's receiver.
func (x *extractor) chainPushes(n syntax.Node, pushAt map[int]int) []int {
	var out []int
	for i := 0; i < 256 && !n.IsNull(); i++ {
		n = n.Unwrap()
		switch n.Kind() {
		case "call_expression":
			f := n.Field("function")
			if !f.Is("member_expression") {
				return out
			}
			if obj := f.Field("object").Unwrap(); obj.Is("member_expression") && obj.Field("property").Text() == "middleware" {
				if u, ok := pushAt[f.Field("property").Start()]; ok {
					out = append(out, u)
				}
			}
			n = f.Field("object")
		case "member_expression":
			n = n.Field("object")
		default:
			return out
		}
	}
	return out
}

// topLevelOrdered reports whether a call runs once, in source order, when
// the module loads: it is in a top-level statement, outside any function,
// branch or loop.
func topLevelOrdered(n syntax.Node) bool {
	for range 4096 {
		p := n.Parent()
		if p.IsNull() || p.Is("program") {
			return true
		}
		if isFunction(p) {
			return false
		}
		switch p.Kind() {
		case "function_declaration", "generator_function_declaration":
			return false
		case "if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",
			"try_statement", "switch_statement", "ternary_expression", "class_body", "statement_block",
			"binary_expression":
			return false
		}
		n = p
	}
	return false
}

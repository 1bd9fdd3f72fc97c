package facts

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"

	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// The extra facts the framework diagnostics need (issue 3): where a
// registration statement ends and what it is called on, whether a router is
// versioned, the real prefix of routes on nested routers, and the git blob id
// of a migration. Kept apart from the main extractor so that file stays about
// the shapes every analyzer needs.

// gitBlobID is git's object id of content as a blob, so a migration can be
// compared with HEAD without reading the old version.
func gitBlobID(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// registrationExtras fills where a registerPlugin call sits: the receiver it
// is called on and the statement it forms, so a fix can add a sibling
// registration right after it.
func (x *extractor) registrationExtras(call syntax.Node, reg *Registration) {
	reg.Call = x.rng(call)
	if fn := call.Field("function"); fn.Is("member_expression") {
		reg.Receiver = fn.Field("object").Text()
	}
	reg.Stmt = x.stmtRange(call)
}

// routerExtras reads createRouter's arguments beyond the prefix: whether the
// prefix is a literal, and whether an options object may give the router a
// version (versioned routers may repeat route names across versions).
func (x *extractor) routerExtras(call syntax.Node, r *Router) {
	a := args(call)
	r.PrefixKnown = len(a) == 0 || isStringLit(a[0])
	if len(a) < 2 {
		return
	}
	opts := a[1].Unwrap()
	if !opts.Is("object") {
		r.Versioned = true // a variable: it may hold a version
		return
	}
	ms, known := objectMembers(opts)
	if !known {
		r.Versioned = true
		return
	}
	if _, ok := member(ms, "version"); ok {
		r.Versioned = true
	}
}

// routeExtras follows the chain below `.route("name")` once more for what
// the prefix alone does not say: nested `.router("sub")` segments (which
// extend the prefix), whether the router is versioned, and whether the
// prefix is known at all. It runs before the full name is computed.
func (x *extractor) routeExtras(routeCall syntax.Node, r *Route) {
	var segs []string
	known := true
	n := routeCall.Field("function").Field("object")
	for i := 0; i < 256 && !n.IsNull(); i++ {
		n = n.Unwrap()
		switch n.Kind() {
		case "identifier":
			found := false
			for _, rt := range x.f.Routers {
				if rt.Var == n.Text() && rt.Var != "" {
					found = true
					known = known && rt.PrefixKnown
					r.Versioned = r.Versioned || rt.Versioned
				}
			}
			known = known && found
			n = syntax.Node{}
		case "call_expression":
			f, name := callee(n)
			if name == "createRouter" && f.Is("identifier") {
				var rt Router
				x.routerExtras(n, &rt)
				known = known && rt.PrefixKnown
				r.Versioned = r.Versioned || rt.Versioned
				n = syntax.Node{}
				continue
			}
			if name == "router" && f.Is("member_expression") {
				a := args(n)
				if len(a) == 1 && isStringLit(a[0]) {
					segs = append([]string{stringValue(a[0])}, segs...)
				} else {
					known = false
				}
			}
			n = f
		case "member_expression":
			n = n.Field("object")
		default:
			known = false
			n = syntax.Node{}
		}
	}
	for _, s := range segs {
		if r.Prefix == "" {
			r.Prefix = s
		} else {
			r.Prefix += "." + s
		}
	}
	r.PrefixKnown = known
}

package facts

import (
	"bytes"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// EventUse is `<x>.events.emit("name", ...)` (or on, once, off) with a
// literal name; names built at runtime or held in constants are not kept.
type EventUse struct {
	Name   string
	Range  analysis.Range // the string literal
	Method string         // emit, on, once, off
}

var eventMethods = map[string]bool{"emit": true, "on": true, "once": true, "off": true}

// eventUses fills EventCalls and EventsUnknown; files that never say
// "events" are not walked again.
func (x *extractor) eventUses(root syntax.Node) {
	if !bytes.Contains(x.src, []byte("vents")) {
		return
	}
	root.Walk(func(n syntax.Node) bool {
		if !n.Is("call_expression") {
			return true
		}
		fn, name := callee(n)
		a := args(n)
		if name == "defineEvents" && fn.Is("identifier") {
			if len(a) == 0 || !a[0].Unwrap().Is("object") {
				x.f.rare().EventsUnknown = true
			} else if _, known := objectMembers(a[0].Unwrap()); !known {
				x.f.rare().EventsUnknown = true
			}
			return true
		}
		if !eventMethods[name] || !fn.Is("member_expression") {
			return true
		}
		obj := fn.Field("object").Unwrap()
		if !(obj.Is("identifier") && obj.Text() == "events") && !(obj.Is("member_expression") && obj.Field("property").Text() == "events") {
			return true
		}
		if len(a) > 0 && isStringLit(a[0]) {
			x.f.rare().EventCalls = append(x.f.rare().EventCalls, EventUse{Name: stringValue(a[0]), Range: x.rng(a[0]), Method: name})
		}
		return true
	})
}

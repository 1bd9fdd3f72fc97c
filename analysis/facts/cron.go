package facts

import (
	"bytes"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// CronSchedule is `<x>.cron.schedule("expr", ...)` (or `cron.schedule`)
// with a literal expression; expressions built at runtime are not kept.
type CronSchedule struct {
	Expr  string
	Range analysis.Range // the string literal
	// Second is the second argument when it is a string literal too: the
	// framework's own images plugin passes (name, expression, handler).
	Second string
}

// cronSchedules fills CronSchedules; files that never call schedule( are
// not walked again.
func (x *extractor) cronSchedules(root syntax.Node) {
	if !bytes.Contains(x.src, []byte("schedule(")) {
		return
	}
	root.Walk(func(n syntax.Node) bool {
		if !n.Is("call_expression") {
			return true
		}
		fn, name := callee(n)
		if name != "schedule" || !fn.Is("member_expression") {
			return true
		}
		obj := fn.Field("object").Unwrap()
		if !(obj.Is("identifier") && obj.Text() == "cron") && !(obj.Is("member_expression") && obj.Field("property").Text() == "cron") {
			return true
		}
		if a := args(n); len(a) > 0 && isStringLit(a[0]) {
			cs := CronSchedule{Expr: stringValue(a[0]), Range: x.rng(a[0])}
			if len(a) > 1 && isStringLit(a[1]) {
				cs.Second = stringValue(a[1])
			}
			x.f.rare().CronSchedules = append(x.f.rare().CronSchedules, cs)
		}
		return true
	})
}

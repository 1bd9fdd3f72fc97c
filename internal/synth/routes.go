package synth

import (
	"fmt"
	"strings"
)

// routeSpec is what a route template needs and produces.
type routeSpec struct {
	input  *zt // nil: no input schema
	output *zt // nil: raw route
	handle string
}

func (r *router) itemSchemaName() string { return r.plugin.entity + "Schema" }

func (r *router) itemSchema() *zt {
	var fs []zfield
	for _, f := range r.plugin.fields() {
		fs = append(fs, req(f.name, f.zod))
	}
	return zObject(fs...)
}

func (r *router) spec(rt *route) routeSpec {
	pl := r.plugin
	item := zRef(r.itemSchemaName(), r.itemSchema())
	call := "ctx.plugins." + pl.name
	id := zObject(req("id", zString()))
	switch rt.tmpl {
	case tmplList:
		return routeSpec{
			input:  zObject(opt("limit", zNumber())),
			output: zArray(item),
			handle: fmt.Sprintf("async (input, ctx) => %s.list(input.limit)", call),
		}
	case tmplGet:
		return routeSpec{
			input:  id,
			output: item,
			handle: fmt.Sprintf(`async (input, ctx) => {
    const found = await %s.getById(input.id);
    if (!found) {
      throw ctx.errors.NotFound(%s);
    }
    return found;
  }`, call, "`No "+pl.singular+" ${input.id}`"),
		}
	case tmplCreate:
		var fs []zfield
		for _, f := range pl.fields() {
			if f.required {
				t := f.zod
				if f.name == "name" {
					t = &zt{kind: "string", refine: ".min(1)"}
				}
				fs = append(fs, req(f.name, t))
			}
		}
		return routeSpec{
			input:  zObject(fs...),
			output: item,
			handle: fmt.Sprintf("async (input, ctx) => %s.create(input)", call),
		}
	case tmplCount:
		return routeSpec{
			output: zObject(req("total", zNumber())),
			handle: fmt.Sprintf("async (_input, ctx) => ({ total: await %s.count() })", call),
		}
	case tmplRemove:
		return routeSpec{
			input:  id,
			output: zObject(req("removed", zBool())),
			handle: fmt.Sprintf("async (input, ctx) => ({ removed: await %s.remove(input.id) })", call),
		}
	case tmplSearch:
		return routeSpec{
			input:  zObject(req("query", &zt{kind: "string", refine: ".min(1)"})),
			output: zArray(item),
			handle: fmt.Sprintf("async (input, ctx) => %s.search(input.query)", call),
		}
	case tmplRecent:
		return routeSpec{
			output: zArray(item),
			handle: fmt.Sprintf("async (_input, ctx) => %s.list(5)", call),
		}
	case tmplExists:
		return routeSpec{
			input:  id,
			output: zObject(req("exists", zBool())),
			handle: fmt.Sprintf("async (input, ctx) => ({ exists: (await %s.getById(input.id)) !== null })", call),
		}
	case tmplSummary:
		fs := []zfield{req("total", zNumber())}
		for _, d := range pl.deps {
			fs = append(fs, req(d.name, zNumber()))
		}
		return routeSpec{
			output: zObject(fs...),
			handle: fmt.Sprintf("async (_input, ctx) => %s.summary()", call),
		}
	default: // tmplPing
		return routeSpec{
			handle: `async (_req, ctx) => {
    ctx.services.metrics.hit();
    return new Response(String(ctx.services.metrics.uptimeSeconds()), {
      headers: { "Content-Type": "text/plain" },
    });
  }`,
		}
	}
}

// config renders the object passed to .typed(...) or .raw(...), starting on
// a line indented by indent.
func (r *router) config(rt *route, indent string) string {
	s := r.spec(rt)
	var b strings.Builder
	b.WriteString("{\n")
	if s.input != nil {
		b.WriteString(indent + "  input: " + s.input.source(indent+"  ") + ",\n")
	}
	if s.output != nil {
		b.WriteString(indent + "  output: " + s.output.source(indent+"  ") + ",\n")
	}
	// Templates are written for a config at column 0.
	handle := strings.ReplaceAll(s.handle, "\n", "\n"+indent)
	b.WriteString(indent + "  handle: " + handle + ",\n")
	b.WriteString(indent + "}")
	out := b.String()
	if rt.kind == "typed" && rt.style == 1 {
		out = "defineRoute(" + out + ")"
	}
	return out
}

func (r *router) source(p *project) string {
	var b strings.Builder
	usesDefine := false
	for _, rt := range r.routes {
		if rt.kind == "typed" && rt.style == 1 {
			usesDefine = true
		}
	}
	imports := "createRouter"
	if usesDefine {
		imports += ", defineRoute"
	}
	fmt.Fprintf(&b, "import { %s } from \"@donkeylabs/server\";\nimport { z } from \"zod\";\n\n", imports)
	fmt.Fprintf(&b, "const %s = %s;\n\n", r.itemSchemaName(), r.itemSchema().source(""))

	var open, guarded []*route
	for _, rt := range r.routes {
		if rt.guarded {
			guarded = append(guarded, rt)
		} else {
			open = append(open, rt)
		}
	}
	chain := func(rs []*route) {
		for _, rt := range rs {
			fmt.Fprintf(&b, "\n  .route(%q).%s(%s)", rt.name, rt.kind, r.config(rt, "  "))
		}
	}
	if r.chained && len(open) > 0 {
		fmt.Fprintf(&b, "export const %s = createRouter(%q)", r.varName, r.prefix)
		chain(open)
		b.WriteString(";\n")
	} else {
		fmt.Fprintf(&b, "export const %s = createRouter(%q);\n", r.varName, r.prefix)
		for _, rt := range open {
			fmt.Fprintf(&b, "\n%s.route(%q).%s(%s);\n", r.varName, rt.name, rt.kind, r.config(rt, ""))
		}
	}
	if len(guarded) > 0 {
		fmt.Fprintf(&b, "\n// Routes below require %s.\n%s.middleware\n  .%s()", r.middleware, r.varName, r.middleware)
		chain(guarded)
		b.WriteString(";\n")
	}
	return b.String()
}

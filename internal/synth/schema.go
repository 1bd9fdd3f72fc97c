package synth

import "strings"

// zt is a zod schema small enough to render both as zod source and as the
// TypeScript text the framework's runtime zodSchemaToTs produces from it.
type zt struct {
	kind     string // string, number, boolean, object, array, enum, ref
	fields   []zfield
	elem     *zt
	values   []string
	nullable bool
	refine   string // e.g. ".min(1)", kept in source, invisible in types
	ref      string // identifier of a named schema (kind "ref")
	target   *zt    // what a ref names
}

type zfield struct {
	name     string
	t        *zt
	optional bool
}

func zString() *zt            { return &zt{kind: "string"} }
func zNumber() *zt            { return &zt{kind: "number"} }
func zBool() *zt              { return &zt{kind: "boolean"} }
func zArray(e *zt) *zt        { return &zt{kind: "array", elem: e} }
func zObject(f ...zfield) *zt { return &zt{kind: "object", fields: f} }
func zRef(name string, t *zt) *zt {
	return &zt{kind: "ref", ref: name, target: t}
}
func req(name string, t *zt) zfield { return zfield{name: name, t: t} }
func opt(name string, t *zt) zfield { return zfield{name: name, t: t, optional: true} }

// source renders zod source; indent is the indentation of the line the
// expression starts on.
func (t *zt) source(indent string) string {
	var s string
	switch t.kind {
	case "string":
		s = "z.string()"
	case "number":
		s = "z.number()"
	case "boolean":
		s = "z.boolean()"
	case "ref":
		s = t.ref
	case "array":
		s = "z.array(" + t.elem.source(indent) + ")"
	case "enum":
		q := make([]string, len(t.values))
		for i, v := range t.values {
			q[i] = `"` + v + `"`
		}
		s = "z.enum([" + strings.Join(q, ", ") + "])"
	case "object":
		if len(t.fields) <= 2 && allPrimitive(t.fields) {
			parts := make([]string, len(t.fields))
			for i, f := range t.fields {
				parts[i] = f.name + ": " + f.source(indent)
			}
			s = "z.object({ " + strings.Join(parts, ", ") + " })"
		} else {
			var b strings.Builder
			b.WriteString("z.object({\n")
			for _, f := range t.fields {
				b.WriteString(indent + "  " + f.name + ": " + f.source(indent+"  ") + ",\n")
			}
			b.WriteString(indent + "})")
			s = b.String()
		}
	}
	s += t.refine
	if t.nullable {
		s += ".nullable()"
	}
	return s
}

func (f zfield) source(indent string) string {
	s := f.t.source(indent)
	if f.optional {
		s += ".optional()"
	}
	return s
}

func allPrimitive(fs []zfield) bool {
	for _, f := range fs {
		switch f.t.kind {
		case "string", "number", "boolean":
		default:
			return false
		}
	}
	return true
}

// ts renders what zodSchemaToTs (packages/server/src/generator/zod-to-ts.ts)
// returns: objects as "{\n  key: type;\n}" with nested objects inserted
// without re-indenting, nullable as "T | null", optional keys with "?".
func (t *zt) ts() string {
	var s string
	switch t.kind {
	case "string", "number", "boolean":
		s = t.kind
	case "ref":
		s = t.target.ts()
	case "array":
		s = t.elem.ts() + "[]"
	case "enum":
		q := make([]string, len(t.values))
		for i, v := range t.values {
			q[i] = `"` + v + `"`
		}
		s = strings.Join(q, " | ")
	case "object":
		props := make([]string, len(t.fields))
		for i, f := range t.fields {
			q := ""
			if f.optional {
				q = "?"
			}
			props[i] = "  " + f.name + q + ": " + f.t.ts() + ";"
		}
		s = "{\n" + strings.Join(props, "\n") + "\n}"
	}
	if t.nullable {
		s += " | null"
	}
	return s
}

package facts

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// The server prints each mounted route's input and output as TypeScript
// text built from the zod schema object at run time (server
// generator/zod-to-ts.ts, convertZodType over zod 3's _def.typeName), and
// the adapter writes that text into the client verbatim. This file
// reproduces that translation from the schema's source, quirks included
// (`z.array(z.string().nullable())` is `string | null[]`, a nested object is
// not re-indented, `.catch`, `.pipe`, `.brand` and many classes become
// `unknown`), because the client is stale exactly when the text it holds
// differs from the text the next run would print. What the source does not
// decide (a schema imported from another file, a method this table does not
// know) gives no text, and the comparison is then skipped rather than
// guessed. Every form here was checked against the real run (see
// testdata/zodts.txtar).

// zodClass is the zod 3 class a schema expression evaluates to, as far as
// the translation needs it.
type zodClass int

const (
	zodOther zodClass = iota // a class translated to its text and no more methods known
	zodString
	zodNumber
	zodBoolean
	zodDate
	zodBigInt
	zodObject
	zodArray
	zodOptional
	zodNullable
	zodDefault
	zodEffects
	zodUnion
	zodEnum
	zodTuple
	zodSet
	zodLiteral
)

// zodValue is an evaluated schema: its class, the text convertZodType gives
// it, and for objects the properties in Object.entries order.
type zodValue struct {
	class zodClass
	text  string
	props []zodProp
	// enum holds a z.enum's values (for exclude/extract/keyof results).
	enum []string
}

type zodProp struct {
	name string
	v    zodValue
}

// zodEval evaluates zod schema expressions of one file.
type zodEval struct {
	x *extractor
	// zodNames are the local names bound to zod 3 (`import { z } from
	// "zod"`); v4Names those bound to zod 4, whose schemas have no
	// _def.typeName, so the server prints every one of them as unknown.
	zodNames map[string]bool
	v4Names  map[string]bool
	// mainNames are the zodNames bound by "zod" itself.
	mainNames map[string]bool
	// consts memoizes named schemas: one item schema is used by most of a
	// router's routes.
	consts map[string]constValue
	depth  int
}

type constValue struct {
	v  zodValue
	ok bool
}

func (x *extractor) zodEvaluator() *zodEval {
	if x.zod != nil {
		return x.zod
	}
	e := &zodEval{x: x, zodNames: map[string]bool{}, v4Names: map[string]bool{}, mainNames: map[string]bool{}}
	for _, imp := range x.f.Imports {
		var set map[string]bool
		switch imp.Spec {
		case "zod", "zod/v3":
			set = e.zodNames
		case "zod/v4", "zod/mini", "zod/v4-mini", "zod/v4/mini":
			set = e.v4Names
		default:
			continue
		}
		if imp.Namespace != "" {
			set[imp.Namespace] = true
		}
		for _, n := range imp.Names {
			if n.Name == "z" || n.Name == "default" {
				set[n.Alias] = true
			}
		}
		if imp.Default != "" {
			set[imp.Default] = true
		}
		if imp.Spec == "zod" {
			for n := range set {
				e.mainNames[n] = true
			}
		}
	}
	x.zod = e
	return e
}

// FromMain reports whether a schema expression starts from zod's main
// entry.
func (e *zodEval) FromMain(n syntax.Node) bool {
	return e.mainNames[zodRoot(n)]
}

// TypeText translates a schema expression to the server's text; ok is
// false when the source does not decide it.
func (e *zodEval) TypeText(n syntax.Node) (string, bool) {
	if root := zodRoot(n); root != "" && e.v4Names[root] && !e.zodNames[root] {
		return "unknown", true
	}
	v, ok := e.eval(n)
	if !ok {
		return "", false
	}
	return v.text, true
}

// zodRoot is the identifier a call chain starts from.
func zodRoot(n syntax.Node) string {
	for range 256 {
		n = n.Unwrap()
		switch n.Kind() {
		case "identifier":
			return n.Text()
		case "call_expression":
			n = n.Field("function")
		case "member_expression":
			n = n.Field("object")
		default:
			return ""
		}
	}
	return ""
}

func leaf(c zodClass, text string) zodValue { return zodValue{class: c, text: text} }

func (e *zodEval) eval(n syntax.Node) (zodValue, bool) {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > 64 {
		return zodValue{}, false
	}
	n = n.Unwrap()
	switch n.Kind() {
	case "identifier":
		name := n.Text()
		if c, ok := e.consts[name]; ok {
			return c.v, c.ok
		}
		init, ok := e.x.consts[name]
		if !ok {
			return zodValue{}, false
		}
		if e.consts == nil {
			e.consts = map[string]constValue{}
		}
		e.consts[name] = constValue{} // a self-reference is undecided
		v, ok := e.eval(init)
		e.consts[name] = constValue{v, ok}
		return v, ok
	case "call_expression":
	default:
		return zodValue{}, false
	}
	fn := n.Field("function")
	if fn.Is("call_expression") || !fn.Is("member_expression") {
		return zodValue{}, false
	}
	method := fn.Field("property").Text()
	obj := fn.Field("object").Unwrap()
	a := args(n)
	if obj.Is("identifier") && e.zodNames[obj.Text()] {
		return e.construct(method, a)
	}
	if obj.Is("member_expression") && obj.Field("property").Text() == "coerce" {
		if root := obj.Field("object").Unwrap(); root.Is("identifier") && e.zodNames[root.Text()] {
			switch method {
			case "string", "number", "boolean", "date", "bigint":
				return e.construct(method, nil)
			}
			return zodValue{}, false
		}
	}
	base, ok := e.eval(obj)
	if !ok {
		return zodValue{}, false
	}
	return e.apply(base, method, a)
}

// construct evaluates z.<method>(args).
func (e *zodEval) construct(method string, a []syntax.Node) (zodValue, bool) {
	switch method {
	case "string":
		return leaf(zodString, "string"), true
	case "number":
		return leaf(zodNumber, "number"), true
	case "boolean":
		return leaf(zodBoolean, "boolean"), true
	case "date":
		return leaf(zodDate, "Date"), true
	case "bigint":
		return leaf(zodBigInt, "unknown"), true
	case "undefined", "null", "any", "unknown", "void", "never":
		return leaf(zodOther, method), true
	case "symbol", "nan", "map", "discriminatedUnion":
		return leaf(zodOther, "unknown"), true
	case "set":
		return leaf(zodSet, "unknown"), true
	case "instanceof", "custom":
		// z.custom is a ZodAny (refined when a check is given): "any".
		return leaf(zodOther, "any"), true
	case "nativeEnum":
		return leaf(zodOther, "number | string"), true
	case "literal":
		if len(a) < 1 {
			return zodValue{}, false
		}
		t, ok := literalText(a[0])
		return leaf(zodLiteral, t), ok
	case "array":
		if len(a) < 1 {
			return zodValue{}, false
		}
		item, ok := e.eval(a[0])
		return leaf(zodArray, item.text+"[]"), ok
	case "promise":
		if len(a) < 1 {
			return zodValue{}, false
		}
		inner, ok := e.eval(a[0])
		return leaf(zodOther, "Promise<"+inner.text+">"), ok
	case "lazy":
		if len(a) < 1 {
			return zodValue{}, false
		}
		body := a[0].Unwrap()
		if !body.Is("arrow_function") || body.Field("body").Is("statement_block") {
			return zodValue{}, false
		}
		return e.eval(body.Field("body"))
	case "preprocess":
		if len(a) < 2 {
			return zodValue{}, false
		}
		inner, ok := e.eval(a[1])
		return leaf(zodEffects, inner.text), ok
	case "object", "strictObject", "looseObject":
		if method != "object" || len(a) < 1 {
			return zodValue{}, false
		}
		props, ok := e.shape(a[0])
		if !ok {
			return zodValue{}, false
		}
		return objectValue(props), true
	case "union":
		items, ok := e.list(a)
		if !ok {
			return zodValue{}, false
		}
		texts := make([]string, len(items))
		for i, it := range items {
			texts[i] = it.text
		}
		return leaf(zodUnion, strings.Join(texts, " | ")), true
	case "intersection":
		if len(a) < 2 {
			return zodValue{}, false
		}
		l, ok1 := e.eval(a[0])
		r, ok2 := e.eval(a[1])
		return leaf(zodOther, l.text+" & "+r.text), ok1 && ok2
	case "enum":
		vals, ok := e.stringList(a)
		if !ok {
			return zodValue{}, false
		}
		return enumValue(vals), true
	case "record":
		switch len(a) {
		case 1:
			v, ok := e.eval(a[0])
			return leaf(zodOther, "Record<string, "+v.text+">"), ok
		case 2, 3:
			if a[1].Unwrap().Is("object") {
				// record(valueSchema, params): the second argument is options.
				v, ok := e.eval(a[0])
				return leaf(zodOther, "Record<string, "+v.text+">"), ok
			}
			k, ok1 := e.eval(a[0])
			v, ok2 := e.eval(a[1])
			return leaf(zodOther, "Record<"+k.text+", "+v.text+">"), ok1 && ok2
		}
		return zodValue{}, false
	case "tuple":
		items, ok := e.list(a)
		if !ok {
			return zodValue{}, false
		}
		texts := make([]string, len(items))
		for i, it := range items {
			texts[i] = it.text
		}
		return leaf(zodTuple, "["+strings.Join(texts, ", ")+"]"), true
	case "function":
		return leaf(zodOther, "unknown"), true
	}
	return zodValue{}, false
}

// apply evaluates base.<method>(args).
func (e *zodEval) apply(base zodValue, method string, a []syntax.Node) (zodValue, bool) {
	switch method {
	case "optional":
		return zodValue{class: zodOptional, text: base.text}, true
	case "nullable":
		return leaf(zodNullable, base.text+" | null"), true
	case "nullish":
		return zodValue{class: zodOptional, text: base.text + " | null"}, true
	case "default":
		return leaf(zodDefault, base.text), true
	case "describe":
		return base, true // a clone of the same class
	case "catch", "pipe", "brand", "readonly":
		return leaf(zodOther, "unknown"), true
	case "array":
		return leaf(zodArray, base.text+"[]"), true
	case "promise":
		return leaf(zodOther, "Promise<"+base.text+">"), true
	case "or":
		if len(a) < 1 {
			return zodValue{}, false
		}
		o, ok := e.eval(a[0])
		return leaf(zodUnion, base.text+" | "+o.text), ok
	case "and":
		if len(a) < 1 {
			return zodValue{}, false
		}
		o, ok := e.eval(a[0])
		return leaf(zodOther, base.text+" & "+o.text), ok
	case "transform", "refine", "superRefine", "refinement":
		return leaf(zodEffects, base.text), true
	}
	if zodChecks[base.class][method] {
		return base, true
	}
	switch base.class {
	case zodObject:
		return e.objectMethod(base, method, a)
	case zodEnum:
		if method == "exclude" || method == "extract" {
			vals, ok := e.stringList(a)
			if !ok {
				return zodValue{}, false
			}
			drop := toStringSet(vals)
			var keep []string
			for _, v := range base.enum {
				if drop[v] == (method == "exclude") {
					continue
				}
				keep = append(keep, v)
			}
			return enumValue(keep), true
		}
	case zodTuple:
		if method == "rest" {
			return base, true
		}
	}
	return zodValue{}, false
}

// zodChecks are the methods that return a schema of the same class (checks
// and formats), which the translation does not see.
var zodChecks = map[zodClass]map[string]bool{
	zodString: toStringSet(strings.Fields(`min max length email url emoji uuid nanoid cuid cuid2 ulid regex includes startsWith endsWith datetime date time duration ip cidr base64 base64url jwt trim toLowerCase toUpperCase nonempty`)),
	zodNumber: toStringSet(strings.Fields(`min max gt gte lt lte int positive negative nonpositive nonnegative multipleOf step finite safe`)),
	zodBigInt: toStringSet(strings.Fields(`min max gt gte lt lte positive negative nonpositive nonnegative multipleOf`)),
	zodDate:   toStringSet(strings.Fields(`min max`)),
	zodArray:  toStringSet(strings.Fields(`min max length nonempty`)),
	zodSet:    toStringSet(strings.Fields(`min max size nonempty`)),
	zodObject: toStringSet(strings.Fields(`strict passthrough strip catchall nonstrict`)),
}

func (e *zodEval) objectMethod(base zodValue, method string, a []syntax.Node) (zodValue, bool) {
	switch method {
	case "extend", "augment", "merge":
		if len(a) < 1 {
			return zodValue{}, false
		}
		var add []zodProp
		var ok bool
		if method == "merge" {
			var o zodValue
			o, ok = e.eval(a[0])
			ok = ok && o.class == zodObject
			add = o.props
		} else {
			add, ok = e.shape(a[0])
		}
		if !ok {
			return zodValue{}, false
		}
		props := append([]zodProp(nil), base.props...)
		for _, p := range add {
			replaced := false
			for i := range props {
				if props[i].name == p.name {
					props[i].v, replaced = p.v, true
				}
			}
			if !replaced {
				props = append(props, p)
			}
		}
		return objectValue(props), true
	case "pick", "omit", "partial", "required":
		var mask map[string]bool
		if len(a) > 0 {
			members, ok := objectMembers(a[0].Unwrap())
			if !ok || !a[0].Unwrap().Is("object") {
				return zodValue{}, false
			}
			mask = map[string]bool{}
			for _, m := range members {
				if m.kind != "pair" || m.value.Unwrap().Kind() != "true" {
					return zodValue{}, false
				}
				mask[m.name] = true
			}
		} else if method == "pick" || method == "omit" {
			return zodValue{}, false
		}
		var props []zodProp
		for _, p := range base.props {
			in := mask == nil || mask[p.name]
			switch method {
			case "pick":
				if !in {
					continue
				}
			case "omit":
				if in {
					continue
				}
			case "partial":
				if in {
					p.v = zodValue{class: zodOptional, text: p.v.text}
				}
			case "required":
				if in && p.v.class == zodOptional {
					p.v = leaf(zodOther, p.v.text)
				}
			}
			props = append(props, p)
		}
		return objectValue(props), true
	case "deepPartial":
		// Only flat shapes: deepPartial also rewrites nested objects,
		// arrays and tuples, which this does not follow.
		var props []zodProp
		for _, p := range base.props {
			switch p.v.class {
			case zodString, zodNumber, zodBoolean, zodDate, zodBigInt, zodLiteral, zodEnum:
			case zodOptional:
				if strings.ContainsAny(p.v.text, "{[") {
					return zodValue{}, false
				}
			default:
				return zodValue{}, false
			}
			props = append(props, zodProp{name: p.name, v: zodValue{class: zodOptional, text: p.v.text}})
		}
		return objectValue(props), true
	case "keyof":
		names := make([]string, len(base.props))
		for i, p := range base.props {
			names[i] = p.name
		}
		return enumValue(names), true
	}
	return zodValue{}, false
}

// shape evaluates a z.object shape: an object literal of schemas.
func (e *zodEval) shape(n syntax.Node) ([]zodProp, bool) {
	n = n.Unwrap()
	if n.Is("identifier") {
		init, ok := e.x.consts[n.Text()]
		if !ok {
			return nil, false
		}
		n = init.Unwrap()
	}
	if !n.Is("object") {
		return nil, false
	}
	members, known := objectMembers(n)
	if !known {
		return nil, false
	}
	props := make([]zodProp, 0, len(members))
	intKeys := false
	for _, m := range members {
		if m.kind != "pair" {
			return nil, false
		}
		v, ok := e.eval(m.value)
		if !ok {
			return nil, false
		}
		// A repeated key keeps its first position and its last value.
		dup := false
		for i := range props {
			if props[i].name == m.name {
				props[i].v, dup = v, true
			}
		}
		if !dup {
			props = append(props, zodProp{name: m.name, v: v})
		}
		if _, ok := arrayIndex(m.name); ok {
			intKeys = true
		}
	}
	if intKeys {
		// Object.entries lists integer-like keys first, ascending.
		sort.SliceStable(props, func(i, j int) bool {
			ai, aok := arrayIndex(props[i].name)
			bi, bok := arrayIndex(props[j].name)
			if aok && bok {
				return ai < bi
			}
			return aok && !bok
		})
	}
	return props, true
}

func arrayIndex(s string) (uint64, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + uint64(s[i]-'0')
	}
	return v, v < math.MaxUint32
}

// arrayArg is the array literal the first argument is, written in place or
// held in a const of the same file.
func (e *zodEval) arrayArg(a []syntax.Node) (syntax.Node, bool) {
	if len(a) < 1 {
		return syntax.Node{}, false
	}
	arr := a[0].Unwrap()
	if arr.Is("identifier") {
		init, ok := e.x.consts[arr.Text()]
		if !ok {
			return syntax.Node{}, false
		}
		arr = init.Unwrap()
	}
	if !arr.Is("array") || arr.HasError() {
		return syntax.Node{}, false
	}
	return arr, true
}

// list evaluates a single array-literal argument of schemas.
func (e *zodEval) list(a []syntax.Node) ([]zodValue, bool) {
	arr, ok := e.arrayArg(a)
	if !ok {
		return nil, false
	}
	var out []zodValue
	for _, el := range arr.NamedChildren() {
		if el.Is("comment") {
			continue
		}
		v, ok := e.eval(el)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// stringList reads `["a", "b"]` (directly or through a const).
func (e *zodEval) stringList(a []syntax.Node) ([]string, bool) {
	arr, ok := e.arrayArg(a)
	if !ok {
		return nil, false
	}
	var out []string
	for _, el := range arr.NamedChildren() {
		if el.Is("comment") {
			continue
		}
		if !isStringLit(el) {
			return nil, false
		}
		out = append(out, stringValue(el))
	}
	return out, true
}

func objectValue(props []zodProp) zodValue {
	lines := make([]string, len(props))
	for i, p := range props {
		q := ""
		if p.v.class == zodOptional {
			q = "?"
		}
		lines[i] = "  " + p.name + q + ": " + p.v.text + ";"
	}
	return zodValue{class: zodObject, text: "{\n" + strings.Join(lines, "\n") + "\n}", props: props}
}

func enumValue(vals []string) zodValue {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = `"` + v + `"`
	}
	return zodValue{class: zodEnum, text: strings.Join(q, " | "), enum: vals}
}

// literalText is String(value) for numbers and booleans and the value in
// double quotes (unescaped) for strings, as convertZodType writes them.
func literalText(n syntax.Node) (string, bool) {
	n = n.Unwrap()
	switch n.Kind() {
	case "string", "template_string":
		if !isStringLit(n) {
			return "", false
		}
		return `"` + stringValue(n) + `"`, true
	case "true", "false", "null", "undefined":
		return n.Kind(), true
	case "number":
		return jsNumber(n.Text())
	case "unary_expression":
		if n.Field("operator").Text() == "-" {
			if t, ok := jsNumber(n.Field("argument").Unwrap().Text()); ok && n.Field("argument").Unwrap().Is("number") {
				if t == "0" {
					return "0", true
				}
				return "-" + t, true
			}
		}
	}
	return "", false
}

// jsNumber formats a decimal literal as JavaScript's String(number) does,
// for the magnitudes where that is plain positional notation.
func jsNumber(lit string) (string, bool) {
	lit = strings.ReplaceAll(lit, "_", "")
	var f float64
	if strings.HasPrefix(lit, "0x") || strings.HasPrefix(lit, "0X") || strings.HasPrefix(lit, "0o") || strings.HasPrefix(lit, "0b") {
		v, err := strconv.ParseInt(lit, 0, 64)
		if err != nil {
			return "", false
		}
		f = float64(v)
	} else {
		v, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return "", false
		}
		f = v
	}
	if a := math.Abs(f); a != 0 && (a >= 1e21 || a < 1e-6) {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

func toStringSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

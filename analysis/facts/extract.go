package facts

import (
	"bytes"
	"context"
	"hash/fnv"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/syntax"
	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// Extract reads the facts of one file version. It never fails: content that
// cannot be analyzed yields a File marked Unreadable, and a parse that
// recovered from errors yields partial facts with SyntaxErrors set.
func Extract(ctx context.Context, p *syntax.Parser, path string, src []byte, kind Kind) *File {
	f := &File{Path: path, Kind: kind, Size: len(src), Hash: HashBytes(src)}
	if kind == KindMigration || (kind == KindSource && filepath.Base(path) == "index.ts") {
		f.GitBlob = gitBlobID(src)
		if bytes.Contains(src, []byte("\r\n")) {
			f.GitBlobLF = gitBlobID(bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")))
		}
	}
	if isBinary(src) {
		f.Unreadable = true
		return f
	}
	if kind.IsGenerated() {
		f.CodeHash = f.Hash
		f.Generated = scanGenerated(kind, src, textpos.New(src))
		return f
	}
	dialect := syntax.TypeScript
	if strings.EqualFold(filepath.Ext(path), ".tsx") {
		dialect = syntax.TSX
	}
	tree, err := p.ParseTransient(ctx, src, dialect)
	if err != nil {
		f.Unreadable = true
		return f
	}
	x := &extractor{f: f, src: src, lines: textpos.New(src), tree: tree}
	x.run(kind)
	return f
}

// isBinary treats a NUL byte in the first 8 KiB as "not text", as git does.
func isBinary(src []byte) bool {
	head := src
	if len(head) > 8192 {
		head = head[:8192]
	}
	return bytes.IndexByte(head, 0) >= 0
}

// HashBytes is the content fingerprint File.Hash holds.
func HashBytes(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

type extractor struct {
	f     *File
	src   []byte
	lines *textpos.Table
	tree  *syntax.Tree
	// consts maps top-level const names to their initializers, so a schema
	// or dependency list held in a named constant can still be read.
	consts map[string]syntax.Node
	// zod translates schema expressions, built on first use.
	zod *zodEval
}

// stmtRange is the statement call forms, through wrappers (parentheses,
// `as`, `!`) and one await; the zero range when the call sits inside a
// larger expression.
func (x *extractor) stmtRange(call syntax.Node) analysis.Range {
	stmt := call.Parent()
	for i := 0; i < 16 && isWrapper(stmt); i++ {
		stmt = stmt.Parent()
	}
	if stmt.Is("await_expression") {
		stmt = stmt.Parent()
	}
	if stmt.Is("expression_statement") {
		return x.rng(stmt)
	}
	return analysis.Range{}
}

func (x *extractor) rng(n syntax.Node) analysis.Range {
	return x.lines.Range(n.Start(), n.End())
}

func (x *extractor) run(kind Kind) {
	f := x.f
	root := x.tree.Root()
	if x.tree.HasErrors() {
		f.SyntaxErrors = true
		if e, ok := x.tree.FirstError(); ok {
			f.FirstError = x.rng(e)
		}
	}
	f.CodeHash = codeHash(root)
	x.topLevel(root)
	switch kind {
	case KindMigration:
		f.Migration = x.migration(root)
		return
	case KindConfig:
		f.Config = x.config(root)
		return
	}
	if v := generatorView(f.Path, x.src, root); !reflect.ValueOf(v).IsZero() {
		f.Gen = &v
	}
	x.calls(root)
	x.middlewareStacks(root)
	x.cronSchedules(root)
	x.eventUses(root)
	x.runtimeNames(root)
}

// codeHash hashes every token but comments, separated so that adjacent
// tokens cannot merge into the same byte string.
func codeHash(root syntax.Node) uint64 {
	return codeHashExcept(root, syntax.Node{})
}

// codeHashExcept is codeHash with the node skip (the zero Node for none)
// counted as one placeholder token, whatever it holds.
func codeHashExcept(root, skip syntax.Node) uint64 {
	h := fnv.New64a()
	skipping := !skip.IsNull()
	root.Walk(func(n syntax.Node) bool {
		if n.Kind() == "comment" {
			return false
		}
		if skipping && n.Start() == skip.Start() && n.End() == skip.End() && n.Kind() == skip.Kind() {
			h.Write([]byte{0, 0})
			return false
		}
		if n.FirstChild().IsNull() || n.Kind() == "string" || n.Kind() == "template_string" {
			h.Write([]byte(n.Text()))
			h.Write([]byte{0})
			return false
		}
		return true
	})
	return h.Sum64()
}

// topLevel records imports and top-level declarations, and the initializers
// of top-level variables, which later reads resolve names through.
func (x *extractor) topLevel(root syntax.Node) {
	x.consts = map[string]syntax.Node{}
	WalkTopLevel(root, TopLevel{
		Import: func(st syntax.Node) { x.f.Imports = append(x.f.Imports, x.importDecl(st)) },
		Var: func(binding, value syntax.Node, kind string, exported bool, st syntax.Node) {
			if !binding.Is("identifier") {
				return // destructuring binds no name the facts follow
			}
			x.f.TopLevel = append(x.f.TopLevel, Decl{Name: binding.Text(), Kind: kind, Exported: exported, Range: x.rng(st)})
			if !value.IsNull() {
				x.consts[binding.Text()] = value
				if kind == "const" && value.Unwrap().Is("identifier") {
					x.f.rare().Aliases = append(x.f.rare().Aliases, ImportName{Name: value.Unwrap().Text(), Alias: binding.Text()})
				}
			}
		},
		Decl: func(name syntax.Node, kind string, exported bool, st syntax.Node) {
			x.f.TopLevel = append(x.f.TopLevel, Decl{Name: name.Text(), Kind: kind, Exported: exported, Range: x.rng(st)})
		},
		Export: x.reExport,
	})
}

func (x *extractor) importDecl(n syntax.Node) Import {
	imp := ReadImport(n)
	imp.Range = x.rng(n)
	if src := n.Field("source"); !src.IsNull() {
		imp.SpecRange = x.rng(src)
	}
	return imp
}

// ReadImport reads what an import_statement binds: its specifier, the
// default, namespace and named bindings, and which are type-only. Ranges are
// left zero; the refactorings, which hold the tree, read them from nodes.
func ReadImport(n syntax.Node) Import {
	var imp Import
	if src := n.Field("source"); !src.IsNull() {
		imp.Spec = stringValue(src)
	}
	for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c.Kind() == "type" {
			imp.TypeOnly = true
		}
		if !c.Is("import_clause") {
			continue
		}
		for _, part := range c.NamedChildren() {
			switch part.Kind() {
			case "identifier":
				imp.Default = part.Text()
			case "namespace_import":
				for _, id := range part.NamedChildren() {
					if id.Is("identifier") {
						imp.Namespace = id.Text()
					}
				}
			case "named_imports":
				for _, spec := range part.NamedChildren() {
					if !spec.Is("import_specifier") {
						continue
					}
					name := spec.Field("name").Text()
					alias := spec.Field("alias").Text()
					if alias == "" {
						alias = name
					}
					typeOnly := false
					if fc := spec.FirstChild(); fc.Kind() == "type" {
						typeOnly = true
					}
					imp.Names = append(imp.Names, ImportName{Name: name, Alias: alias, TypeOnly: typeOnly})
				}
			}
		}
	}
	return imp
}

// stringValue returns the value of a string literal or a template string
// without substitutions; "" otherwise.
func stringValue(n syntax.Node) string {
	n = n.Unwrap()
	switch n.Kind() {
	case "string":
		var b strings.Builder
		for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
			switch c.Kind() {
			case "string_fragment":
				b.WriteString(c.Text())
			case "escape_sequence":
				b.WriteString(unescape(c.Text()))
			}
		}
		return b.String()
	case "template_string":
		var b strings.Builder
		for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
			switch c.Kind() {
			case "template_substitution":
				return ""
			case "string_fragment":
				b.WriteString(c.Text())
			case "escape_sequence":
				b.WriteString(unescape(c.Text()))
			}
		}
		// Older grammars put the raw text directly under the node.
		if b.Len() == 0 {
			t := n.Text()
			if len(t) >= 2 {
				return t[1 : len(t)-1]
			}
		}
		return b.String()
	}
	return ""
}

func isStringLit(n syntax.Node) bool {
	n = n.Unwrap()
	if n.Is("string") {
		return true
	}
	if n.Is("template_string") {
		for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
			if c.Is("template_substitution") {
				return false
			}
		}
		return true
	}
	return false
}

func unescape(s string) string {
	if len(s) == 2 {
		switch s[1] {
		case 'n':
			return "\n"
		case 't':
			return "\t"
		default:
			return s[1:]
		}
	}
	return s
}

// propName returns the static name of an object key: identifiers, strings,
// numbers; "" for computed keys.
func propName(key syntax.Node) string {
	switch key.Kind() {
	case "property_identifier", "identifier", "shorthand_property_identifier", "private_property_identifier":
		return key.Text()
	case "string":
		return stringValue(key)
	case "number":
		return key.Text()
	}
	return ""
}

// objectMember is one member of an object literal.
type objectMember struct {
	name  string
	key   syntax.Node
	value syntax.Node // the value; for methods, the method node itself
	kind  string      // pair, method, shorthand
}

// objectMembers lists an object literal's members and whether every one of
// them is statically known (no spread, no computed key, no error).
func objectMembers(obj syntax.Node) (members []objectMember, known bool) {
	known = !obj.HasError()
	for _, c := range obj.NamedChildren() {
		switch c.Kind() {
		case "pair":
			key := c.Field("key")
			name := propName(key)
			if name == "" {
				known = false
				continue
			}
			members = append(members, objectMember{name: name, key: key, value: c.Field("value"), kind: "pair"})
		case "method_definition":
			key := c.Field("name")
			name := propName(key)
			if name == "" {
				known = false
				continue
			}
			members = append(members, objectMember{name: name, key: key, value: c, kind: "method"})
		case "shorthand_property_identifier":
			members = append(members, objectMember{name: c.Text(), key: c, value: c, kind: "shorthand"})
		default:
			known = false
		}
	}
	return members, known
}

func member(members []objectMember, name string) (objectMember, bool) {
	for _, m := range members {
		if m.name == name {
			return m, true
		}
	}
	return objectMember{}, false
}

// returnedObject finds the object literal a function returns: an expression
// body, or the single return of a block body. ok is false when the shape is
// anything else (several returns, a variable, a call).
func returnedObject(fn syntax.Node) (obj syntax.Node, ok bool) {
	if fn.Is("object") {
		return fn, true
	}
	body := fn.Field("body")
	if body.IsNull() {
		return syntax.Node{}, false
	}
	if !body.Is("statement_block") {
		b := body.Unwrap()
		if b.Is("object") {
			return b, true
		}
		return syntax.Node{}, false
	}
	var found syntax.Node
	returns := 0
	body.Walk(func(n syntax.Node) bool {
		switch n.Kind() {
		case "function_declaration", "function_expression", "arrow_function", "method_definition", "class_body":
			return n == body // nested functions' returns are theirs
		case "return_statement":
			returns++
			for _, c := range n.NamedChildren() {
				found = c.Unwrap()
			}
			return false
		}
		return true
	})
	if returns == 1 && found.Is("object") {
		return found, true
	}
	return syntax.Node{}, false
}

func isFunction(n syntax.Node) bool {
	switch n.Kind() {
	case "arrow_function", "function_expression", "function", "method_definition", "generator_function":
		return true
	}
	return false
}

// params lists a function's parameter names (identifiers only; patterns are
// recorded as "").
func params(fn syntax.Node) []string {
	ps := fn.Field("parameters")
	if ps.IsNull() {
		if p := fn.Field("parameter"); !p.IsNull() {
			return []string{p.Text()}
		}
		return nil
	}
	var out []string
	for _, p := range ps.NamedChildren() {
		pat := p.Field("pattern")
		if pat.Is("identifier") {
			out = append(out, pat.Text())
		} else {
			out = append(out, "")
		}
	}
	return out
}

// callee returns the function part of a call and the name it is called by:
// `foo(...)` gives "foo", `a.b.foo(...)` gives "foo".
func callee(call syntax.Node) (fn syntax.Node, name string) {
	fn = call.Field("function")
	switch fn.Kind() {
	case "identifier":
		return fn, fn.Text()
	case "member_expression":
		return fn, fn.Field("property").Text()
	}
	return fn, ""
}

// args returns a call's argument expressions.
func args(call syntax.Node) []syntax.Node {
	a := call.Field("arguments")
	if a.IsNull() {
		return nil
	}
	return a.NamedChildren()
}

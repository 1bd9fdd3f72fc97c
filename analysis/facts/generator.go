package facts

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// The generator finds plugins and reads their names with regular
// expressions, not a parser; these reproduce its behaviour (including its
// blind spots, which the trap analyzers explain to the user).
var (
	rePluginExport = regexp.MustCompile(`export\s+const\s+(\w+Plugin)\s*=`)
	// The name regex cannot cross a "}": a name after a nested object is missed.
	rePluginName     = regexp.MustCompile(`createPlugin(?:\.[\w<>(),\s]+)*\.define\s*\(\s*\{[^}]*name:\s*["'](\w+)["']`)
	rePluginChain    = regexp.MustCompile(`createPlugin(?:\.[\w<>(),\s]+)*\.define\s*\(\s*\{`)
	rePluginNameKey  = regexp.MustCompile(`createPlugin(?:\.[\w<>(),\s]+)*\.define\s*\(\s*\{[^}]*name:\s*["']`)
	reService        = regexp.MustCompile(`export\s+const\s+(\w+)\s*=\s*defineService\s*\(\s*["'](\w+)["']`)
	reServiceGeneric = regexp.MustCompile(`defineService\s*<\s*["']\w+["']\s*,\s*([^>]+)>`)
	reServiceFactory = regexp.MustCompile(`,\s*(?:async\s*)?\([^)]*\)\s*(?::\s*(?:Promise\s*<\s*)?([A-Z]\w+))?`)
	reHandlersBlock  = regexp.MustCompile(`handlers:\s*\{([^}]+)\}`)
	reKeyColon       = regexp.MustCompile(`(\w+)\s*:`)
	reCreateMw       = regexp.MustCompile(`(\w+)\s*:\s*createMiddleware\s*(?:<[^>]+>)?\s*\(`)
	reMwObject       = regexp.MustCompile(`middleware\s*:\s*\{`)
	reMwArrowObject  = regexp.MustCompile(`middleware\s*:\s*\([^)]*\)\s*=>\s*\(\s*\{`)
	reMwArrowBlock   = regexp.MustCompile(`middleware\s*:\s*\([^)]*\)\s*=>\s*\{`)
	reReturnObject   = regexp.MustCompile(`return\s*\{`)
	reSafeIdent      = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
)

// pluginNameMiss says which part of the generator's name regex fails.
func pluginNameMiss(src []byte) NameMiss {
	switch {
	case !bytes.Contains(src, []byte("createPlugin.")):
		return MissNoDot
	case !rePluginChain.Match(src):
		return MissChain
	case !rePluginNameKey.Match(src):
		return MissBrace
	}
	return MissNotWord
}

// generatorView is computed for every source file, since any index.ts under
// a plugins glob may be a plugin, but the costly parts only run where the
// generator would look: a file without `export const xPlugin =` is never
// read for keys, one without defineService never for services.
func generatorView(path string, src []byte, root syntax.Node) GeneratorView {
	var v GeneratorView
	if filepath.Base(path) == "index.ts" && bytes.Contains(src, []byte("Plugin")) {
		if m := rePluginExport.FindSubmatch(src); m != nil {
			v.PluginExport = string(m[1])
		}
	}
	if v.PluginExport != "" {
		if m := rePluginName.FindSubmatch(src); m != nil {
			v.PluginName = string(m[1])
		} else {
			v.PluginNameMiss = pluginNameMiss(src)
		}
		v.HandlerKeys = generatorKeys(root, "handlers")
		if len(v.HandlerKeys) == 0 {
			v.HandlerKeys = handlersFallback(src)
		}
		v.MiddlewareKeys = generatorKeys(root, "middleware")
		if len(v.MiddlewareKeys) == 0 {
			v.MiddlewareKeys = middlewareFallback(src)
		}
	}
	if !bytes.Contains(src, []byte("defineService")) {
		return v
	}
	for _, m := range reService.FindAllSubmatchIndex(src, -1) {
		s := GeneratorService{ExportName: string(src[m[2]:m[3]]), Name: string(src[m[4]:m[5]]), TypeAt: -1}
		if g := reServiceGeneric.FindSubmatchIndex(src[m[0]:]); g != nil {
			s.ReturnType = strings.TrimSpace(string(src[m[0]+g[2] : m[0]+g[3]]))
			s.TypeAt = int32(m[0] + g[0])
		}
		if s.ReturnType == "" {
			end := min(m[0]+500, len(src))
			if f := reServiceFactory.FindSubmatch(src[m[0]:end]); f != nil && len(f[1]) > 0 {
				s.ReturnType = string(f[1])
			}
		}
		v.Services = append(v.Services, s)
	}
	return v
}

// generatorKeys mirrors the generator's syntax-tree reading: every property
// assignment named prop anywhere in the file contributes the keys of its
// object, or of the object its function returns.
func generatorKeys(root syntax.Node, prop string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(obj syntax.Node) {
		for _, c := range obj.NamedChildren() {
			var key syntax.Node
			switch c.Kind() {
			case "pair":
				key = c.Field("key")
			case "method_definition":
				key = c.Field("name")
			default:
				continue
			}
			name := propName(key)
			if name != "" && reSafeIdent.MatchString(name) && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	root.Walk(func(n syntax.Node) bool {
		if !n.Is("pair") || propName(n.Field("key")) != prop {
			return true
		}
		v := n.Field("value")
		switch {
		case v.Is("object"):
			add(v)
		case v.Is("arrow_function") || v.Is("function_expression") || v.Is("function"):
			body := v.Field("body")
			if b := stripParens(body); b.Is("object") {
				add(b)
				break
			}
			if body.Is("statement_block") {
				for _, st := range body.NamedChildren() {
					if !st.Is("return_statement") {
						continue
					}
					var expr syntax.Node
					for _, c := range st.NamedChildren() {
						expr = c
					}
					if e := stripParens(expr); e.Is("object") {
						add(e)
						break
					}
				}
			}
		}
		return true
	})
	return out
}

// stripParens removes one level of parentheses only, as the generator does.
func stripParens(n syntax.Node) syntax.Node {
	if n.Is("parenthesized_expression") {
		for _, c := range n.NamedChildren() {
			return c
		}
	}
	return n
}

func handlersFallback(src []byte) []string {
	m := reHandlersBlock.FindSubmatch(src)
	if m == nil {
		return nil
	}
	var out []string
	for _, k := range reKeyColon.FindAllSubmatch(m[1], -1) {
		out = append(out, string(k[1]))
	}
	return out
}

func middlewareFallback(src []byte) []string {
	// Every pattern below names middleware; most plugins have none, and
	// scanning for the patterns' leading \w+ costs more than the parse.
	if !bytes.Contains(src, []byte("iddleware")) {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, m := range reCreateMw.FindAllSubmatch(src, -1) {
		add(string(m[1]))
	}
	for _, re := range []*regexp.Regexp{reMwObject, reMwArrowObject} {
		for _, m := range re.FindAllIndex(src, -1) {
			for _, k := range topLevelKeys(balanced(src, m[1]-1)) {
				add(k)
			}
		}
	}
	for _, m := range reMwArrowBlock.FindAllIndex(src, -1) {
		body := balanced(src, m[1]-1)
		r := reReturnObject.FindIndex(body)
		if r == nil {
			continue
		}
		for _, k := range topLevelKeys(balanced(body, r[1]-1)) {
			add(k)
		}
	}
	return out
}

// balanced returns src[from:] up to the brace matching the first "{" at or
// after from, counting braces naively (strings included), like the generator.
func balanced(src []byte, from int) []byte {
	depth, start := 0, -1
	for i := from; i < len(src); i++ {
		switch src[i] {
		case '{':
			if depth == 0 {
				start = i
			}
			depth++
		case '}':
			depth--
			if depth == 0 && start >= 0 {
				return src[start : i+1]
			}
		}
	}
	return nil
}

// topLevelKeys lists `key:` and `key(` members at depth zero of a "{...}"
// block, skipping strings and comments.
func topLevelKeys(block []byte) []string {
	if len(block) < 2 || block[0] != '{' || block[len(block)-1] != '}' {
		return nil
	}
	s := block[1 : len(block)-1]
	var keys []string
	depth := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i++
			for i < len(s) && s[i] != c {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			i += 2
			for i+1 < len(s) && !(s[i] == '*' && s[i+1] == '/') {
				i++
			}
			i += 2
		case c == '{' || c == '[' || c == '(':
			depth++
			i++
		case c == '}' || c == ']' || c == ')':
			if depth > 0 {
				depth--
			}
			i++
		case depth == 0 && isIdentStart(c):
			start := i
			for i < len(s) && isIdentPart(s[i]) {
				i++
			}
			key := string(s[start:i])
			j := i
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '?' {
				j++
				for j < len(s) && isSpace(s[j]) {
					j++
				}
			}
			if j < len(s) && (s[j] == ':' || s[j] == '(') {
				keys = append(keys, key)
			}
		default:
			i++
		}
	}
	return keys
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }
func isSpace(c byte) bool     { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

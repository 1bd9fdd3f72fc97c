package refactor

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// A plugin name becomes a folder, an export (`<name>Plugin`, which the
// generator only finds if it matches \w+Plugin) and a property of
// ctx.plugins, so it must be a plain word; a method name must be an
// identifier.
var (
	rePluginName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	reIdent      = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
)

// reserved words cannot name a binding, so a parameter is never one.
var reserved = map[string]bool{
	"break": true, "case": true, "catch": true, "class": true, "const": true, "continue": true,
	"debugger": true, "default": true, "delete": true, "do": true, "else": true, "enum": true,
	"export": true, "extends": true, "false": true, "finally": true, "for": true, "function": true,
	"if": true, "import": true, "in": true, "instanceof": true, "new": true, "null": true,
	"return": true, "super": true, "switch": true, "this": true, "throw": true, "true": true,
	"try": true, "typeof": true, "var": true, "void": true, "while": true, "with": true,
	"yield": true, "let": true, "static": true, "await": true, "implements": true,
	"interface": true, "package": true, "private": true, "protected": true, "public": true,
}

// validPluginName checks a name that becomes a directory and an export.
func validPluginName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the plugin name is empty")
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("plugin name %q contains a path separator", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("plugin name %q contains \"..\"", name)
	case !rePluginName.MatchString(name):
		return fmt.Errorf("plugin name %q is not an identifier (letters, digits and _, not starting with a digit)", name)
	}
	return nil
}

// validIdent checks a method name. Reserved words are fine: a method is a
// property (`async delete() {}`, `ctx.plugins.x.delete()`), never a binding.
func validIdent(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the name is empty")
	case !reIdent.MatchString(name):
		return fmt.Errorf("%q is not an identifier", name)
	}
	return nil
}

// DefaultNames derives the plugin and method from a route: "stats.popular"
// in router "library" gives plugin "stats", method "popular"; a one-segment
// name "popular" in router "library" gives plugin "library". Segments are
// turned into identifiers (kebab-case becomes camelCase).
func DefaultNames(r facts.Route, routePath string) (plugin, method string) {
	segs := strings.Split(r.Name, ".")
	if len(segs) > 1 {
		plugin = identFrom(segs[0], false)
		method = identFrom(strings.Join(segs[1:], "-"), false)
		return plugin, method
	}
	method = identFrom(r.Name, false)
	prefix := r.Prefix
	if i := strings.LastIndex(prefix, "."); i >= 0 {
		prefix = prefix[i+1:]
	}
	if prefix == "" {
		// An anonymous router: the route file's name is the best guess.
		prefix = strings.TrimSuffix(filepath.Base(routePath), filepath.Ext(routePath))
	}
	return identFrom(prefix, false), method
}

// identFrom turns "sales-report" or "sales_report " into "salesReport";
// upper capitalizes the first letter too.
func identFrom(s string, upper bool) string {
	var b strings.Builder
	up := upper
	for _, r := range s {
		if r == '-' || r == ' ' || r == '.' || r == '/' {
			up = b.Len() > 0 || upper
			continue
		}
		if !(r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)) || r > unicode.MaxASCII {
			continue
		}
		if b.Len() == 0 && unicode.IsDigit(r) {
			b.WriteByte('_')
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pascal capitalizes the first letter.
func pascal(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// newPluginPath is where a new plugin's index.ts goes: beside the existing
// plugins when they share one folder, else under the first plugins glob's
// base, which is where the generator looks.
func newPluginPath(p *project.Project, name string) string {
	return filepath.Join(pluginsDir(p), name, "index.ts")
}

func pluginsDir(p *project.Project) string {
	dirs := map[string]bool{}
	var first string
	for _, gp := range p.Expected().Plugins {
		d := filepath.Dir(filepath.Dir(gp.Path))
		if first == "" {
			first = d
		}
		dirs[d] = true
	}
	if len(dirs) == 1 {
		return first
	}
	cfg := p.Config()
	if len(cfg.Plugins) > 0 {
		return filepath.Join(cfg.Root, filepath.FromSlash(globBase(cfg.Plugins[0])))
	}
	return filepath.Join(cfg.Root, "src", "server", "plugins")
}

// globBase is the part of a plugins glob before its first wildcard segment:
// "./src/server/plugins/**/index.ts" and "./src/server/plugins/*/index.ts"
// both give "./src/server/plugins".
func globBase(g string) string {
	parts := strings.Split(g, "/")
	for i, part := range parts {
		if strings.ContainsAny(part, "*?[{") {
			return path.Clean(strings.Join(parts[:i], "/"))
		}
	}
	return path.Dir(path.Clean(g))
}

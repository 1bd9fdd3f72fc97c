package analyzers

import (
	"fmt"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Plugin use codes: ctx.plugins.x / ctx.deps.x naming no plugin, or a
// method the plugin's service does not have.
const (
	CodeUnknownPlugin       = "unknown-plugin"
	CodeUnknownPluginMethod = "unknown-plugin-method"
)

func init() {
	register(&Analyzer{
		Name:  "plugin-uses",
		Doc:   "checks ctx.plugins.<name> in routes and ctx.deps.<name> in plugins against the plugins and their service methods",
		Codes: []string{CodeUnknownPlugin, CodeUnknownPluginMethod},
		Run:   runPluginUses,
	})
}

// pluginUse is one ctx.plugins / ctx.deps access, whichever kind of code
// it is in.
type pluginUse struct {
	Path string
	File *facts.File
	Via  string // "plugins" or "deps"
	Use  facts.MemberUse
	// Route or Plugin is the code the use is in.
	Route  *facts.Route
	Plugin *pluginDef
}

// parent names the code a use is in, for messages.
func (u pluginUse) parent() string {
	if u.Route != nil {
		return fmt.Sprintf("route %q", u.Route.FullName)
	}
	return "plugin " + pluginLabel(u.Plugin)
}

func runPluginUses(p *Pass) {
	m := pluginModelOf(p.Project)
	c := &useChecker{p: p, m: m, names: m.names(), methods: map[*pluginDef]map[string]bool{}}
	for _, f := range sourceFiles(p.Project) {
		for ri := range f.Routes {
			r := &f.Routes[ri]
			for _, u := range r.CtxUses {
				if u.Member != "plugins" || u.Plugin == "" {
					continue
				}
				c.check(pluginUse{
					Path:  f.Path,
					File:  f,
					Via:   "plugins",
					Use:   facts.MemberUse{Plugin: u.Plugin, PluginRange: u.PluginRange, Method: u.Method, MethodRange: u.MethodRange},
					Route: r,
				})
			}
		}
		for i := range f.Plugins {
			d := m.byDef[&f.Plugins[i]]
			for _, u := range f.Plugins[i].DepUses {
				c.check(pluginUse{Path: f.Path, File: f, Via: "deps", Use: u, Plugin: d})
			}
		}
	}
}

// useChecker checks uses one at a time; a large project has tens of
// thousands, so nothing is collected and method sets are built once per
// plugin.
type useChecker struct {
	p       *Pass
	m       *pluginModel
	names   []string
	methods map[*pluginDef]map[string]bool
}

func (c *useChecker) check(u pluginUse) {
	m := c.m
	if !m.known(u.Use.Plugin) {
		if !m.open {
			reportUnknownPlugin(c.p, m, u, c.names)
		}
		return
	}
	if u.Use.Method == "" {
		return
	}
	d := m.unique(u.Use.Plugin)
	if d == nil || !d.Def.ServiceKnown || brokenFile(d.File) {
		return
	}
	set, ok := c.methods[d]
	if !ok {
		set = make(map[string]bool, len(d.Def.ServiceMethods))
		for _, k := range d.Def.ServiceMethods {
			set[k.Name] = true
		}
		c.methods[d] = set
	}
	if set[u.Use.Method] {
		return
	}
	methods := make([]string, 0, len(d.Def.ServiceMethods))
	for _, k := range d.Def.ServiceMethods {
		methods = append(methods, k.Name)
	}
	list := "an empty object"
	if len(methods) > 0 {
		list = strings.Join(methods, ", ")
	}
	f := analysis.Finding{
		Code:     CodeUnknownPluginMethod,
		Severity: analysis.SeverityWarning,
		Location: analysis.Location{Path: u.Path, Range: u.Use.MethodRange},
		Message: fmt.Sprintf("plugin %q has no service method %q (its service returns %s): ctx.%s.%s.%s is undefined at runtime",
			u.Use.Plugin, u.Use.Method, list, u.Via, u.Use.Plugin, u.Use.Method),
		Related: []analysis.Related{{
			Location: analysis.Location{Path: d.Path, Range: d.Def.ServiceRange},
			Message:  fmt.Sprintf("the service of plugin %q", u.Use.Plugin),
		}},
	}
	if s := nearest(u.Use.Method, methods); s != "" {
		f.Message += fmt.Sprintf("; did you mean %q?", s)
		if editable(u.File) {
			f.Fixes = append(f.Fixes, replaceFix(fmt.Sprintf("Change to %s", s), u.Path, u.Use.MethodRange, s))
		}
	}
	c.p.Report(f)
}

func reportUnknownPlugin(p *Pass, m *pluginModel, u pluginUse, names []string) {
	f := analysis.Finding{
		Code:     CodeUnknownPlugin,
		Severity: analysis.SeverityError,
		Location: analysis.Location{Path: u.Path, Range: u.Use.PluginRange},
		Message: fmt.Sprintf("no plugin is named %q: ctx.%s.%s in %s is undefined at runtime",
			u.Use.Plugin, u.Via, u.Use.Plugin, u.parent()),
	}
	if s := nearest(u.Use.Plugin, names); s != "" {
		f.Message += fmt.Sprintf("; did you mean %q?", s)
		if d := m.unique(s); d != nil {
			f.Related = append(f.Related, analysis.Related{Location: d.NameLoc(), Message: fmt.Sprintf("plugin %q is defined here", s)})
		}
		if editable(u.File) {
			f.Fixes = append(f.Fixes, replaceFix(fmt.Sprintf("Change to %s", s), u.Path, u.Use.PluginRange, s))
		}
	}
	p.Report(f)
}

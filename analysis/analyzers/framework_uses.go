package analyzers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Plugin use codes: ctx.plugins.x / ctx.deps.x naming no plugin, or a
// method the plugin's service does not have.
const (
	CodeUnknownPlugin       = "unknown-plugin"
	CodeUnknownPluginMethod = "unknown-plugin-method"
)

func pluginUsesAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "plugin-uses",
		Doc:   "checks ctx.plugins.<name> in routes and ctx.deps.<name> in plugins against the plugins and their service methods",
		Codes: []string{CodeUnknownPlugin, CodeUnknownPluginMethod},
		Run:   runPluginUses,
	}
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

// usesKey and usesResult keep each file's findings across snapshots, with
// what they were computed from: the plugin universe (names, how many
// definitions each has, whether the set is open), the file itself and the
// plugin files its uses consulted. A keystroke in one plugin then rechecks
// only the files that use that plugin, unless it changes the universe (a
// plugin renamed, added or removed), which rechecks every file.
type usesKey struct{ path string }

type usesResult struct {
	universe uint64
	read     []*facts.File // the file itself, then the plugin files consulted
	findings []analysis.Finding
}

func runPluginUses(p *Pass) {
	proj := p.Project
	m := pluginModelOf(proj)
	names := m.names()
	universe := m.universeHash
	var c *useChecker // built for the first file checked
	files := usesFiles(proj)
	items := make([]usesItem, len(files))
	for i, f := range files {
		items[i] = usesItem{file: f, universe: universe}
	}
	// Item by item against the parent's pass, which costs a few pointers
	// per file; a file whose uses changed, or one at another index (a file
	// that gains or loses uses shifts the rest), falls back to the findings
	// remembered under its path.
	reportEach(p, usesPassKey{}, items, func(prev, now *usesItem) bool {
		if prev.file != now.file || prev.universe != now.universe || !proj.Current(prev.read[1:]) {
			return false
		}
		now.read = prev.read // what the next snapshot compares
		return true
	}, func(p *Pass, it *usesItem) {
		f := it.file
		key := usesKey{f.Path}
		if v, ok := proj.Recall(key); ok {
			if r := v.(*usesResult); r.universe == universe && r.read[0] == f && proj.Current(r.read[1:]) {
				it.read = r.read
				p.findings = append(p.findings, r.findings...)
				return
			}
		}
		if c == nil {
			c = &useChecker{m: m, names: names, methods: map[*pluginDef]map[string]bool{}}
		}
		c.p = &Pass{Context: p.Context, Project: proj}
		c.read = []*facts.File{f}
		c.checkFile(f)
		it.read = c.read
		proj.Remember(key, &usesResult{universe: universe, read: c.read, findings: c.p.findings})
		p.findings = append(p.findings, c.p.findings...)
	})
}

type (
	usesPassKey  struct{}
	usesFilesKey struct{}
)

// usesItem is one file with plugin uses, the universe its findings are
// checked against, and (once checked) the files they read: the file
// itself, then the plugin files consulted.
type usesItem struct {
	file     *facts.File
	universe uint64
	read     []*facts.File
}

// usesFiles lists the source files with plugin uses, sorted by path. A
// snapshot takes its parent's list with the changed files' new facts
// while each change keeps the file in or out of it: walking every route's
// ctx uses of ten thousand routes at every keystroke was half of this
// analyzer's time.
func usesFiles(proj *project.Project) []*facts.File {
	return proj.MemoSince(usesFilesKey{}, func(a, b *facts.File) bool {
		return (isSource(a) && hasPluginUses(a)) == (isSource(b) && hasPluginUses(b))
	}, func(prev any, changes []project.Change) any {
		if prev, _ := prev.([]*facts.File); prev != nil {
			return patchFiles(prev, changes)
		}
		var out []*facts.File
		for _, f := range sourceFiles(proj) {
			if hasPluginUses(f) {
				out = append(out, f)
			}
		}
		return out
	}).([]*facts.File)
}

func hasPluginUses(f *facts.File) bool {
	for ri := range f.Routes {
		// By index: a CtxUse is near 200 bytes, and copying each one of
		// every route in every pass was most of this loop.
		uses := f.Routes[ri].CtxUses
		for i := range uses {
			if u := &uses[i]; u.Member == "plugins" && u.Plugin != "" {
				return true
			}
		}
	}
	for i := range f.Plugins {
		if len(f.Plugins[i].DepUses) > 0 {
			return true
		}
	}
	return false
}

func (c *useChecker) checkFile(f *facts.File) {
	m := c.m
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

// useChecker checks uses one at a time; a large project has tens of
// thousands, so nothing is collected and method sets are built once per
// plugin.
type useChecker struct {
	p       *Pass
	m       *pluginModel
	names   []string
	methods map[*pluginDef]map[string]bool
	// read collects the files the current file's findings depend on.
	read []*facts.File
}

// consult records that the findings being computed read d's file.
func (c *useChecker) consult(d *pluginDef) {
	if d == nil {
		return
	}
	c.consultFile(d.File)
}

// consultFile records that the findings being computed read f.
func (c *useChecker) consultFile(f *facts.File) {
	if !slices.Contains(c.read, f) {
		c.read = append(c.read, f)
	}
}

func (c *useChecker) check(u pluginUse) {
	m := c.m
	if !m.known(u.Use.Plugin) {
		if !m.open {
			c.consult(reportUnknownPlugin(c.p, m, u, c.names))
		}
		return
	}
	if len(m.byName[u.Use.Plugin]) == 0 && u.Via == "plugins" {
		if gp := folderNamed(c.p, u.Use.Plugin); gp != nil {
			// The finding points at the plugin's name: its file is read.
			c.consultFile(gp.File)
			reportFolderKeyUse(c.p, u, gp)
			return
		}
	}
	if u.Use.Method == "" {
		return
	}
	d := m.unique(u.Use.Plugin)
	c.consult(d)
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

// reportUnknownPlugin returns the definition it suggests instead, if any.
func reportUnknownPlugin(p *Pass, m *pluginModel, u pluginUse, names []string) (suggested *pluginDef) {
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
			suggested = d
			f.Related = append(f.Related, analysis.Related{Location: d.NameLoc(), Message: fmt.Sprintf("plugin %q is defined here", s)})
		}
		if editable(u.File) {
			f.Fixes = append(f.Fixes, replaceFix(fmt.Sprintf("Change to %s", s), u.Path, u.Use.PluginRange, s))
		}
	}
	p.Report(f)
	return suggested
}

// folderNamed returns the plugin the generator registered under name only
// because it could not read the plugin's own name (its folder is name).
func folderNamed(p *Pass, name string) *project.GenPlugin {
	exp := p.Project.Expected()
	for i := range exp.Plugins {
		gp := &exp.Plugins[i]
		if gp.Name == name && gp.NameFromFolder && gp.Def != nil && gp.Def.NameKnown && gp.Def.Name != name {
			return gp
		}
	}
	return nil
}

// reportFolderKeyUse: ctx.plugins.<folder> type-checks against the registry
// the generator wrote (keyed by the folder after it misread the name), but
// the server registers the plugin by its name, so the use is undefined
// (verified: {"folderKey":false,"nameKey":true} from a route returning
// both checks).
func reportFolderKeyUse(p *Pass, u pluginUse, gp *project.GenPlugin) {
	p.Report(analysis.Finding{
		Code:     CodeUnknownPlugin,
		Severity: analysis.SeverityError,
		Location: analysis.Location{Path: u.Path, Range: u.Use.PluginRange},
		Message: fmt.Sprintf("ctx.plugins.%s in %s type-checks only because the generator could not read the plugin's name and registered it under its folder %q; the server registers it as %q, so ctx.plugins.%s is undefined at runtime: fix the name the generator reads (see plugin-name-misread), regenerate, and use ctx.plugins.%s",
			u.Use.Plugin, u.parent(), u.Use.Plugin, gp.Def.Name, u.Use.Plugin, gp.Def.Name),
		Related: []analysis.Related{{Location: analysis.Location{Path: gp.Path, Range: gp.Def.NameRange}, Message: fmt.Sprintf("the plugin's name is %q", gp.Def.Name)}},
	})
}

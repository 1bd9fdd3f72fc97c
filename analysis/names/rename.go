package names

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// RefusalError says why a name cannot be renamed safely; its text is shown
// to the user as is.
type RefusalError struct{ Reason string }

func (e *RefusalError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &RefusalError{Reason: fmt.Sprintf(format, args...)}
}

// ChangedSinceAnalyzed refuses a rename that would edit rel (a path relative
// to the project) whose text differs from what the snapshot analyzed: the
// edit's positions are the analyzed text's.
func ChangedSinceAnalyzed(rel string) *RefusalError {
	return &RefusalError{Reason: fmt.Sprintf("%s changed since it was last analyzed (or does not parse now): try the rename again when it does", rel)}
}

// Target is the name a rename would change and the part of it the user
// edits (a method's own name, not "plugin.method").
type Target struct {
	Occurrence Occurrence
	// Placeholder is the current text of the part being renamed.
	Placeholder string
	// Range is where that text stands under the cursor.
	Range analysis.Range
}

// PrepareRename finds the renamable name at offset in path, or says why
// there is none.
func PrepareRename(p *project.Project, ix *Index, path string, offset int) (Target, error) {
	occ, ok := ix.At(path, offset)
	if !ok {
		if f := p.File(path); f != nil {
			for i := range f.Plugins {
				pl := &f.Plugins[i]
				if pl.ObjectRange.Contains(offset) && !pl.NameKnown {
					return Target{}, refuse("this plugin's name is not a string literal: it is built at runtime, so donkeyls cannot find its uses to rename them")
				}
			}
		}
		return Target{}, refuse("no framework name here (plugin, service method, middleware, handler, route, event, custom error, job or process)")
	}
	if occ.Via == ViaRegistration {
		return Target{}, refuse("registerPlugin(...) names the plugin's export, a TypeScript binding: TypeScript renames it; rename the plugin itself at its `name:` string")
	}
	t := Target{Occurrence: occ, Placeholder: occ.Name.Key, Range: occ.TextRange()}
	if occ.Via == ViaQuery || occ.Via == ViaMigration {
		return Target{}, refuse("tables and columns are named by the migrations that already ran on every database: renaming one needs a new migration (alterTable(...).renameColumn / renameTo), not a text edit")
	}
	switch occ.Name.Kind {
	case Plugin:
		info := ix.Plugins[occ.Name.Key]
		if info == nil {
			return Target{}, refuse("plugin %q is not defined in this project (a plugin from a package, or a typo): donkeyls renames only plugins whose define({ name }) it can edit", occ.Name.Key)
		}
		if err := ix.dependentsKnown(p, occ.Name.Key); err != nil {
			return Target{}, err
		}
	case Method:
		plugin, method, _ := strings.Cut(occ.Name.Key, ".")
		t.Placeholder = method
		info := ix.Plugins[plugin]
		if info == nil {
			return Target{}, refuse("plugin %q is not defined in this project: donkeyls cannot rename its service methods", plugin)
		}
		if !info.Def.ServiceKnown {
			return Target{}, refuse("plugin %q's service does not return a plain object literal (spreads, computed keys or a variable): donkeyls cannot rename its methods safely", plugin)
		}
		if len(ix.Defs(occ.Name)) == 0 {
			return Target{}, refuse("plugin %q's service has no method %q to rename", plugin, method)
		}
	case Middleware:
		if len(ix.Defs(occ.Name)) == 0 {
			return Target{}, refuse("no plugin in this project defines middleware %q", occ.Name.Key)
		}
	case Error:
		if IsBuiltinError(occ.Name.Key) && len(ix.Defs(occ.Name)) == 0 {
			return Target{}, refuse("%q is an error of the server itself: it cannot be renamed", occ.Name.Key)
		}
		if len(ix.Defs(occ.Name)) == 0 {
			return Target{}, refuse("no plugin in this project declares custom error %q", occ.Name.Key)
		}
	case Job, Process:
		if len(ix.Defs(occ.Name)) == 0 {
			return Target{}, refuse("%s %q is never registered in this project: donkeyls renames names it can follow to their register call", occ.Name.Kind, occ.Name.Key)
		}
	case Handler:
		if IsBuiltinHandler(occ.Name.Key) {
			return Target{}, refuse("%q is a handler kind of the server itself: it cannot be renamed", occ.Name.Key)
		}
		if len(ix.Defs(occ.Name)) == 0 {
			return Target{}, refuse("no plugin in this project defines handler %q", occ.Name.Key)
		}
	case Event:
		if len(ix.Defs(occ.Name)) == 0 {
			return Target{}, refuse("event %q is not declared by defineEvents or a plugin's events in this project", occ.Name.Key)
		}
	case Route:
		routes := ix.RoutesNamed(p, occ.Name.Key)
		switch {
		case len(routes) == 0:
			return Target{}, refuse("route %q is not defined in the sources (only the generated client names it): donkeyls renames routes at their .route(...) call", occ.Name.Key)
		case len(routes) > 1:
			return Target{}, refuse("route %q is defined %d times (versioned routers?): donkeyls cannot tell which one a client call reaches", occ.Name.Key, len(routes))
		case !routes[0].Route.PrefixKnown:
			return Target{}, refuse("the router of route %q cannot be followed in %s (imported or built by a function), so its full name and client calls are unknown", occ.Name.Key, p.Rel(routes[0].Path))
		}
		r := routes[0].Route
		t.Placeholder = r.Name
		if occ.Via == ViaClientCall || occ.Via == ViaClient {
			// The cursor is on the client's spelling of the full name:
			// the route's own name is its last segments.
			if occ.Via == ViaClient {
				return Target{}, refuse("this is the generated client, which typegen rewrites: rename the route at its .route(%q) call or at a call of the client", r.Name)
			}
			sub, ok := clientNameRange(p, occ, strings.Count(r.Name, ".")+1)
			if !ok {
				return Target{}, refuse("cannot find this client call's segments in %s: try again once it is analyzed", p.Rel(occ.Path))
			}
			t.Range = sub
		}
	}
	return t, nil
}

// clientNameRange is the range of the last n segments of the client call at
// o: the part that spells the route's own name.
func clientNameRange(p *project.Project, o Occurrence, n int) (analysis.Range, bool) {
	f := p.File(o.Path)
	if f == nil {
		return analysis.Range{}, false
	}
	for _, c := range f.ClientCalls {
		if len(c.Segs) < n || c.Segs[0].Range.Start != o.Range.Start {
			continue
		}
		r := c.Segs[len(c.Segs)-n].Range
		r.End = c.Segs[len(c.Segs)-1].Range.End
		return r, true
	}
	return analysis.Range{}, false
}

var routeSegment = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*$`)

// dependentsKnown refuses a plugin rename when some plugin's dependencies
// are not all literals: one of them may name the plugin, and it would be
// left behind.
func (ix *Index) dependentsKnown(p *project.Project, plugin string) error {
	var bad error
	p.EachFile(func(f *facts.File) {
		if bad != nil || f.Kind.IsGenerated() {
			return
		}
		for i := range f.Plugins {
			pl := &f.Plugins[i]
			if !pl.DepsKnown && !pl.DepsRange.IsZero() {
				bad = refuse("the dependencies of plugin %q (%s:%d) are computed: donkeyls cannot tell whether they name %q, so it will not rename it", pl.Name, p.Rel(f.Path), pl.DepsRange.Start.Line+1, plugin)
				return
			}
		}
	})
	return bad
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// Rename computes the edits that rename the target to newName: every
// renamable occurrence, never a generated file (the generator rewrites
// those; the staleness findings then say so). src reads the files the
// facts came from (open buffers first); it is consulted only for keys
// written in shorthand (`{ list }`), which must become `renamed: list`.
func Rename(p *project.Project, ix *Index, t Target, newName string, src project.Source) (analysis.WorkspaceEdit, error) {
	n := t.Occurrence.Name
	var full string
	switch n.Kind {
	case Error:
		if !identifier.MatchString(newName) {
			return analysis.WorkspaceEdit{}, refuse("%q is not a valid identifier: errors are called as ctx.errors.<Name>(...)", newName)
		}
	case Plugin, Method, Middleware:
		if !identifier.MatchString(newName) {
			return analysis.WorkspaceEdit{}, refuse("%q is not a valid identifier: %s names are used as ctx.plugins.<name> and must be one", newName, n.Kind)
		}
	case Handler:
		if !identifier.MatchString(newName) || IsBuiltinHandler(newName) {
			return analysis.WorkspaceEdit{}, refuse("%q cannot be a handler kind: routes call it as .%s({...}), so it must be an identifier other than the built-in kinds", newName, newName)
		}
	case Event, Job, Process:
		if newName == "" || strings.ContainsAny(newName, "\"'`\\\n\r") {
			return analysis.WorkspaceEdit{}, refuse("%q cannot be %s name", newName, article(n.Kind))
		}
	case Route:
		for seg := range strings.SplitSeq(newName, ".") {
			if !routeSegment.MatchString(seg) {
				return analysis.WorkspaceEdit{}, refuse("%q cannot be a route name: the client calls it as api.<prefix>.<name>(...), so each dot-separated part must be a name", newName)
			}
		}
	}
	switch n.Kind {
	case Plugin:
		full = newName
		if ix.Plugins[newName] != nil {
			return analysis.WorkspaceEdit{}, refuse("a plugin named %q already exists", newName)
		}
	case Method:
		plugin, _, _ := strings.Cut(n.Key, ".")
		full = plugin + "." + newName
	case Route:
		full = newName
		if r := ix.RoutesNamed(p, n.Key); len(r) == 1 && r[0].Route.Prefix != "" {
			full = r[0].Route.Prefix + "." + newName
		}
	default:
		full = newName
	}
	if full != n.Key && len(ix.Defs(Name{n.Kind, full})) > 0 {
		return analysis.WorkspaceEdit{}, refuse("%s %q already exists", n.Kind, full)
	}
	var edit analysis.WorkspaceEdit
	for _, o := range ix.Occurrences(n) {
		if !o.Renamable || o.Generated {
			continue
		}
		if f := p.File(o.Path); f != nil && (f.StaleFacts || f.SyntaxErrors) {
			// Stale facts have the ranges of an older text, so edits
			// would land in the wrong places; partial facts may miss
			// the uses inside the broken region.
			return analysis.WorkspaceEdit{}, refuse("%s does not parse now, and it uses %s %q: fix its syntax error first", p.Rel(o.Path), n.Kind, n.Key)
		}
		text := newName
		rng := o.TextRange()
		if o.Via == ViaClientCall {
			old := t.Placeholder
			sub, ok := clientNameRange(p, o, strings.Count(old, ".")+1)
			if !ok {
				return analysis.WorkspaceEdit{}, refuse("cannot find the client call's segments in %s: try again once it is analyzed", p.Rel(o.Path))
			}
			rng, text = sub, ClientSpelling(newName)
		}
		if o.Def && !o.Quoted && (o.Via == ViaService || o.Via == ViaMiddlewareKey || o.Via == ViaHandlerKey || o.Via == ViaErrorKey) {
			short, err := isShorthand(p, src, o)
			if err != nil {
				return analysis.WorkspaceEdit{}, err
			}
			if short {
				// { list } names a variable too: keep it, rename the key.
				_, old, _ := strings.Cut(n.Key, ".")
				if n.Kind != Method {
					old = n.Key
				}
				text = newName + ": " + old
			}
		}
		edit.Edits = append(edit.Edits, analysis.TextEdit{Path: o.Path, Range: rng, NewText: text})
	}
	// A broken file with no known use may still hold one in its broken part.
	if broken := brokenFileNaming(p, n, src); broken != "" {
		return analysis.WorkspaceEdit{}, refuse("%s does not parse now and mentions %q, perhaps a use inside the broken part that no rename could see: fix its syntax error first", p.Rel(broken), shortName(n))
	}
	return edit, nil
}

func article(k Kind) string {
	if k == Event {
		return "an event"
	}
	return "a " + k.String()
}

// isShorthand reports whether the object key at o is a shorthand property:
// nothing but a comma or the closing brace follows it.
func isShorthand(p *project.Project, src project.Source, o Occurrence) (bool, error) {
	f := p.File(o.Path)
	if src == nil || f == nil {
		return false, nil
	}
	b, err := src.ReadFile(o.Path)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", p.Rel(o.Path), err)
	}
	if f.StaleFacts || facts.HashBytes(b) != f.Hash {
		return false, ChangedSinceAnalyzed(p.Rel(o.Path))
	}
	for i := int(o.Range.End.Offset); i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			continue
		case ',', '}':
			return true, nil
		}
		return false, nil
	}
	return false, nil
}

// Warning is what a rename changes beyond the code.
type Warning struct {
	Text string // "" when nothing
	// Committed is set when the plugin's migrations are in git's HEAD:
	// then other databases have most likely applied them, and renaming
	// makes each of them run every one again, so the user is asked first.
	Committed bool
}

// RenameWarning says what a rename changes beyond the code. Two things
// follow a plugin's name outside the code: the server finds its migrations
// under plugins/<name>/migrations and records applied ones by name, and
// the generator, when its regular expression cannot read the name (it
// stops at the first "}" in the file), names the plugin after its folder.
func RenameWarning(p *project.Project, ix *Index, t Target, newName string) Warning {
	if t.Occurrence.Name.Kind != Plugin {
		return Warning{}
	}
	info := ix.Plugins[t.Occurrence.Name.Key]
	if info == nil {
		return Warning{}
	}
	var parts []string
	folder := filepath.Base(filepath.Dir(info.Path))
	if f := p.File(info.Path); f != nil && f.Generator().PluginName == "" && folder == info.Name {
		parts = append(parts, fmt.Sprintf("the generator cannot read this plugin's name and uses its folder, %s, so rename the folder to %s too or the generated types keep the old name", folder, newName))
	}
	dir := filepath.Join(filepath.Dir(info.Path), "migrations")
	n := 0
	p.EachFile(func(f *facts.File) {
		if f.Kind == facts.KindMigration && !f.Missing && filepath.Dir(f.Path) == dir {
			n++
		}
	})
	// The same model as the plugin-rename finding: only migrations a
	// database built from the committed code ran are recorded.
	committed := len(p.RecordedMigrations()[info.Path].Files)
	if n > 0 {
		what := "1 migration"
		if n != 1 {
			what = fmt.Sprintf("%d migrations", n)
		}
		part := fmt.Sprintf("it has %s in %s, which the server looks for under plugins/<name>/migrations: move the folder to plugins/%s", what, p.Rel(dir), newName)
		if committed > 0 {
			recorded := "1 of them is"
			if committed != 1 {
				recorded = fmt.Sprintf("%d of them are", committed)
			}
			part += fmt.Sprintf("; %s committed, and the server records applied migrations by plugin name, so every database that ran them will run them again as %q's", recorded, newName)
		} else if !p.InGit() {
			// No version control to say whether any database ran them.
			part += fmt.Sprintf("; the server records applied migrations by plugin name, so a database that already ran them will run them again as %q's", newName)
		}
		parts = append(parts, part)
	}
	if folder == info.Name || info.Def.ExportName == info.Name+"Plugin" {
		parts = append(parts, fmt.Sprintf("afterwards the code action \"Rename plugin %q's export and folder\" on its name renames %s and moves %s", newName, info.Def.ExportName, p.Rel(filepath.Dir(info.Path))))
	}
	if len(parts) == 0 {
		return Warning{}
	}
	return Warning{Text: fmt.Sprintf("renaming plugin %q to %q: %s", info.Name, newName, strings.Join(parts, "; ")), Committed: committed > 0}
}

// shortName is the name as it is written in the source: a method's own
// name, without its plugin.
func shortName(n Name) string {
	switch n.Kind {
	case Method:
		_, m, _ := strings.Cut(n.Key, ".")
		return m
	case Route:
		return n.Key[strings.LastIndexByte(n.Key, '.')+1:]
	}
	return n.Key
}

// brokenFileNaming finds a source file that does not parse and whose text
// holds the name: its facts may lack uses inside the broken region, so a
// rename would leave them behind. Only broken files are read, so a healthy
// project pays nothing.
func brokenFileNaming(p *project.Project, n Name, src project.Source) string {
	word := shortName(n)
	for _, path := range p.Files() {
		f := p.File(path)
		if f == nil || !f.SyntaxErrors || f.Kind.IsGenerated() {
			continue
		}
		if src == nil {
			return path // cannot read it: it may hold a use
		}
		b, err := src.ReadFile(path)
		if err != nil || strings.Contains(string(b), word) {
			return path
		}
	}
	return ""
}

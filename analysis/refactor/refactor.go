// Package refactor computes the "extract route logic into a plugin"
// refactoring: from a project snapshot, a route file and a cursor offset, one
// analysis.WorkspaceEdit that creates (or extends) a plugin, moves the route
// handler's body into a service method, rewrites the handler to call it and
// registers the plugin in the server entry. Nothing is written here; the
// language server hands the edit to the editor, which applies it as one
// undoable step.
//
// The move is refused, with a RefusalError saying why and no edit at all,
// whenever the result could not be correct: code that uses a local of the
// route file another module cannot import, `this` or `arguments`, an HTTP
// Response a service has no business returning, a plugin name that would
// not be a safe folder name, and the other cases listed in the errors below.
package refactor

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Options choose the target. Empty fields take the defaults Candidates shows.
type Options struct {
	PluginName string
	MethodName string
}

// Candidate is one way to extract the route under the cursor.
type Candidate struct {
	RoutePath string
	Route     facts.Route
	Plugin    string
	Method    string
	// Existing is set when a plugin of that name exists: the method is
	// added to its service ("Move into plugin") instead of a new plugin.
	Existing bool
	// PluginPath is the plugin's index.ts, existing or to be created.
	PluginPath string
}

// Title is the code action title the editor shows.
func (c Candidate) Title() string {
	if c.Existing {
		return fmt.Sprintf("Move into plugin '%s'", c.Plugin)
	}
	return fmt.Sprintf("Extract into new plugin '%s'", c.Plugin)
}

// Options returns the options that select this candidate.
func (c Candidate) Options() Options { return Options{PluginName: c.Plugin, MethodName: c.Method} }

// RefusalError explains why a route cannot be moved safely. Extract returns
// it (and no edit) for every case the issue lists; other errors are
// failures to read the project.
type RefusalError struct {
	Route  string // the route's full name, "" when no route was found
	Reason string
}

func (e *RefusalError) Error() string {
	if e.Route == "" {
		return "cannot extract into a plugin: " + e.Reason
	}
	return fmt.Sprintf("cannot extract route %s into a plugin: %s", e.Route, e.Reason)
}

// IsRefusal reports whether err is a RefusalError.
func IsRefusal(err error) bool {
	var r *RefusalError
	return errors.As(err, &r)
}

// RouteAt returns the route whose call (`.route("x").kind({...})`) or
// handler contains offset in the file at path; the innermost one wins.
func RouteAt(f *facts.File, offset int) (*facts.Route, bool) {
	if f == nil {
		return nil, false
	}
	var best *facts.Route
	for i := range f.Routes {
		r := &f.Routes[i]
		in := r.CallRange.Contains(offset) || (r.Handle != nil && r.Handle.Range.Contains(offset))
		if !in {
			continue
		}
		if best == nil || span(r.CallRange) < span(best.CallRange) {
			best = r
		}
	}
	return best, best != nil
}

func span(r analysis.Range) int32 { return r.End.Offset - r.Start.Offset }

// Candidates lists the extractions offered for the route at offset: the
// default target named after the route, then the existing plugins that own
// the tables the handler queries. It reads facts only; Extract does the
// work (and may still refuse). A route without an inline handler function
// has no candidates.
func Candidates(p *project.Project, path string, offset int) []Candidate {
	path = filepath.Clean(path)
	f := p.File(path)
	r, ok := RouteAt(f, offset)
	if !ok || r.Handle == nil {
		return nil
	}
	var out []Candidate
	seen := map[string]bool{}
	add := func(plugin, method string) {
		if seen[plugin] || validIdent(plugin) != nil || validIdent(method) != nil {
			return
		}
		seen[plugin] = true
		c := Candidate{RoutePath: path, Route: *r, Plugin: plugin, Method: method}
		if gp := findPlugin(p, plugin); gp != nil {
			c.Existing = true
			c.PluginPath = gp.Path
		} else {
			c.PluginPath = newPluginPath(p, plugin)
		}
		out = append(out, c)
	}
	plugin, method := DefaultNames(*r, path)
	add(plugin, method)
	owners := map[string]bool{}
	for _, t := range r.DBTables {
		for _, o := range tableOwners(p, t.Name) {
			owners[o] = true
		}
	}
	names := make([]string, 0, len(owners))
	for o := range owners {
		names = append(names, o)
	}
	slices.Sort(names)
	for _, o := range names {
		add(o, method)
	}
	return out
}

// Extract computes the workspace edit that moves the route at offset into
// the plugin opts names (or the default one). src reads file contents (the
// language server passes one that prefers open buffers); nil means the
// disk. When a file's content differs from the snapshot's facts, the facts
// are recomputed from the content, so the edit always matches the text it
// applies to.
func Extract(ctx context.Context, p *project.Project, src project.Source, path string, offset int, opts Options) (we analysis.WorkspaceEdit, err error) {
	// The language server calls this on every code action request over
	// whatever the buffers hold: a bug must cost one action, not the server.
	defer func() {
		if r := recover(); r != nil {
			we, err = analysis.WorkspaceEdit{}, fmt.Errorf("internal error extracting the route at %s:%d: %v", filepath.Base(path), offset, r)
		}
	}()
	return newExtraction(ctx, p, src, filepath.Clean(path), offset, opts).run()
}

// findPlugin returns the plugin the generator knows by name.
func findPlugin(p *project.Project, name string) *project.GenPlugin {
	e := p.Expected()
	for i := range e.Plugins {
		gp := &e.Plugins[i]
		if gp.Name == name || (gp.Def != nil && gp.Def.NameKnown && gp.Def.Name == name) {
			return gp
		}
	}
	return nil
}

// tableOwners lists the plugins whose migrations create table.
func tableOwners(p *project.Project, table string) []string {
	var out []string
	for _, s := range p.Expected().Schemas {
		for _, t := range s.Tables {
			if t.Name == table && s.Plugin != nil {
				out = append(out, s.Plugin.Name)
			}
		}
	}
	return out
}

// schemasCertain reports whether every plugin schema was fully analyzed,
// so a table no migration creates is really owned by no plugin.
func schemasCertain(p *project.Project) bool {
	for _, s := range p.Expected().Schemas {
		if len(s.Unknown) > 0 {
			return false
		}
	}
	return true
}

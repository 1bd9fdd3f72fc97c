package lsp

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/names"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/lsp/rpc"
)

// Completion of framework names where TypeScript cannot do it right: inside
// strings (dependencies entries, event names), which no type offers, and
// after ctx.plugins. / ctx.deps. / .middleware. only while the generated
// registry is missing or stale; when it is fresh tsserver already offers
// exactly these names and a second copy would only clutter the list.

var (
	reMemberPlugin = regexp.MustCompile(`\b[A-Za-z_$][\w$]*\.(plugins|deps)\.([\w$]*)$`)
	reMemberMethod = regexp.MustCompile(`\b[A-Za-z_$][\w$]*\.(?:plugins|deps)\.([A-Za-z_$][\w$]*)\.([\w$]*)$`)
	reMiddleware   = regexp.MustCompile(`\.middleware\.([\w$]*)$`)
	reEventString  = regexp.MustCompile(`\.(?:emit|on)\(\s*["'` + "`" + `]([^"'` + "`" + `]*)$`)
	reDepsOpen     = regexp.MustCompile(`dependencies\s*:\s*\[([^\]]*)$`)
	reOpenString   = regexp.MustCompile(`["']([\w$.-]*)$`)
	// .route("x").<kind> on a route builder; the chain may span lines.
	reHandlerKind = regexp.MustCompile(`\.route\(\s*["'][^"'\n]*["']\s*\)\s*\.([\w$]*)$`)
	// A table string of a query on a context's db.
	reQueryTable = regexp.MustCompile(`\.db\s*\.\s*(?:selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(\s*["']([\w]*)$`)
	// A column string of a later method of that query: the last table the
	// query names, then a column method's open string (or an array of them).
	reQueryFrom   = regexp.MustCompile(`\.db\s*\.\s*(?:selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(\s*["'](\w+)`)
	reQueryColumn = regexp.MustCompile(`\.(?:where|orWhere|having|orderBy|groupBy|select|returning|distinctOn|whereRef|orWhereRef)\(\s*(?:\[[^\]]*?)?["'](?:\w+\.)?([\w]*)$`)
)

func (s *Server) completion(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.CompletionParams
	return s.positionRequest(req, &p, func() *protocol.TextDocumentPositionParams { return &p.TextDocumentPositionParams }, nil,
		func(ctx context.Context, t navTarget) (any, error) {
			src, ok := t.content()
			if !ok {
				return nil, nil
			}
			off, _ := t.offset()
			fresh := freshness{registry: registryTrusted(t.proj, t.findings), schema: schemaTrusted(t.findings)}
			items := completionItems(t.proj, names.For(t.proj), t.path, src, off, fresh)
			if items == nil {
				return nil, nil
			}
			return protocol.CompletionList{IsIncomplete: false, Items: items}, nil
		})
}

// registryTrusted reports whether tsserver's completions of plugin members
// are right: the generated registry exists and no finding says it or the
// context types are stale.
func registryTrusted(p *project.Project, findings []analysis.Finding) bool {
	found := false
	for _, path := range p.GeneratedPaths() {
		if f := p.File(path); f != nil && f.Kind == facts.KindRegistry {
			if f.Missing || f.Generated == nil || !f.Generated.Parsed {
				return false
			}
			found = true
		}
	}
	if !found {
		return false
	}
	for _, f := range findings {
		if f.Code == analyzers.CodeStaleRegistry || f.Code == analyzers.CodeStaleContext {
			return false
		}
	}
	return true
}

// schemaTrusted reports whether tsserver's completions of table and column
// strings are right: Kysely types them from the generated schema.ts and
// context.d.ts, so only when no finding says those are stale or missing.
func schemaTrusted(findings []analysis.Finding) bool {
	for _, f := range findings {
		switch f.Code {
		case analyzers.CodeStaleSchema, analyzers.CodeStaleContext, analyzers.CodeTypesMissing:
			return false
		}
	}
	return true
}

// freshness says which generated types tsserver completes from correctly.
type freshness struct {
	registry bool // registry.d.ts and context.d.ts: plugins, methods, middleware, handlers
	schema   bool // schema.ts files: tables and columns
}

// completionItems answers for the text before offset; nil means "not a
// place for framework names".
func completionItems(p *project.Project, ix *names.Index, path, src string, offset int, fresh freshness) []protocol.CompletionItem {
	typesFresh := fresh.registry
	if offset < 0 || offset > len(src) {
		return nil
	}
	before := src[:offset]
	lineStart := strings.LastIndexByte(before, '\n') + 1
	line := before[lineStart:]
	if len(line) > 512 {
		// Every pattern ends at the cursor within a few dozen bytes; a
		// minified line must not cost a scan of megabytes per keystroke.
		line = line[len(line)-512:]
	}
	switch {
	case reMemberMethod.MatchString(line):
		if typesFresh {
			return nil
		}
		m := reMemberMethod.FindStringSubmatch(line)
		info := ix.Plugins[m[1]]
		if info == nil {
			return []protocol.CompletionItem{}
		}
		var items []protocol.CompletionItem
		for _, k := range info.Def.ServiceMethods {
			items = append(items, protocol.CompletionItem{Label: k.Name, Kind: protocol.CompletionItemKindMethod, Detail: "service method of " + info.Name})
		}
		return nonNil(items)
	case reMemberPlugin.MatchString(line):
		if typesFresh {
			return nil
		}
		if m := reMemberPlugin.FindStringSubmatch(line); m[1] == "deps" {
			// Inside a plugin, ctx.deps holds only what it declares.
			if pl := pluginAt(p, path, offset); pl != nil {
				var items []protocol.CompletionItem
				for _, d := range pl.Dependencies {
					if info := ix.Plugins[d.Name]; info != nil {
						items = append(items, protocol.CompletionItem{Label: d.Name, Kind: protocol.CompletionItemKindModule, Detail: "dependency · " + p.Rel(info.Path)})
					}
				}
				return nonNil(items)
			}
		}
		return pluginItems(p, ix, "", nil, false)
	case reMiddleware.MatchString(line):
		if typesFresh {
			return nil
		}
		var items []protocol.CompletionItem
		for _, k := range ix.DefNames(names.Middleware) {
			items = append(items, protocol.CompletionItem{Label: k, Kind: protocol.CompletionItemKindFunction, Detail: "middleware"})
		}
		return nonNil(items)
	case reEventString.MatchString(line):
		var items []protocol.CompletionItem
		for _, k := range ix.DefNames(names.Event) {
			items = append(items, protocol.CompletionItem{Label: k, Kind: protocol.CompletionItemKindEvent, Detail: "event"})
		}
		return nonNil(items)
	}
	// dependencies: [ and query chains may span lines; look back a little.
	from := max(offset-2048, 0)
	window := src[from:offset]
	if m := reHandlerKind.FindStringSubmatch(window); m != nil {
		if typesFresh {
			return nil
		}
		// The built-in kinds come from the server's own types, which
		// tsserver offers whatever the registry says; the plugins' kinds
		// reach IRouteBuilder only through registry.d.ts.
		var items []protocol.CompletionItem
		for _, k := range ix.DefNames(names.Handler) {
			items = append(items, protocol.CompletionItem{Label: k, Kind: protocol.CompletionItemKindMethod, Detail: "handler kind"})
		}
		return nonNil(items)
	}
	// A query is one statement: a table named before the last ";" is
	// another query's.
	stmt := window[strings.LastIndexByte(window, ';')+1:]
	if reQueryTable.MatchString(stmt) {
		if fresh.schema {
			return nil
		}
		return tableItems(p)
	}
	if reQueryColumn.MatchString(stmt) {
		if from := reQueryFrom.FindAllStringSubmatch(stmt, -1); from != nil {
			if fresh.schema {
				return nil
			}
			return columnItems(p, from[len(from)-1][1])
		}
	}
	m := reDepsOpen.FindStringSubmatch(window)
	if m == nil {
		return nil
	}
	own, listed := "", map[string]bool{}
	if pl := pluginAt(p, path, offset); pl != nil {
		own = pl.Name
		for _, d := range pl.Dependencies {
			listed[d.Name] = true
		}
	}
	inString := reOpenString.MatchString(m[1])
	if !inString && strings.Count(m[1], `"`)%2 == 1 {
		return nil
	}
	return pluginItems(p, ix, own, listed, !inString)
}

// pluginItems lists the project's plugins, own and listed left out; quote
// wraps the inserted text in quotes for a place outside a string.
func pluginItems(p *project.Project, ix *names.Index, own string, listed map[string]bool, quote bool) []protocol.CompletionItem {
	var keys []string
	for name := range ix.Plugins {
		if name != own && !listed[name] {
			keys = append(keys, name)
		}
	}
	slices.Sort(keys)
	items := make([]protocol.CompletionItem, 0, len(keys))
	for _, k := range keys {
		info := ix.Plugins[k]
		it := protocol.CompletionItem{Label: k, Kind: protocol.CompletionItemKindModule, Detail: "plugin · " + p.Rel(info.Path)}
		if quote {
			it.InsertText = `"` + k + `"`
		}
		items = append(items, it)
	}
	return items
}

func nonNil(items []protocol.CompletionItem) []protocol.CompletionItem {
	if items == nil {
		return []protocol.CompletionItem{}
	}
	return items
}

// pluginAt is the plugin whose define({...}) object holds offset.
func pluginAt(p *project.Project, path string, offset int) *facts.Plugin {
	f := p.File(path)
	if f == nil {
		return nil
	}
	for i := range f.Plugins {
		if f.Plugins[i].ObjectRange.Contains(offset) {
			return &f.Plugins[i]
		}
	}
	return nil
}

// tableItems lists the tables the migrations build, once each.
func tableItems(p *project.Project) []protocol.CompletionItem {
	seen := map[string]bool{}
	var items []protocol.CompletionItem
	for _, s := range p.Expected().Schemas {
		for _, t := range s.Tables {
			if !seen[t.Name] {
				seen[t.Name] = true
				items = append(items, protocol.CompletionItem{Label: t.Name, Kind: protocol.CompletionItemKindStruct, Detail: "table · " + p.Rel(t.Path)})
			}
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Label < items[j].Label })
	return nonNil(items)
}

// columnItems lists a table's columns as its migrations build them.
func columnItems(p *project.Project, table string) []protocol.CompletionItem {
	t, _ := schemaTable(p, table)
	if t == nil {
		return []protocol.CompletionItem{}
	}
	items := make([]protocol.CompletionItem, 0, len(t.Columns))
	for _, c := range t.Columns {
		items = append(items, protocol.CompletionItem{Label: c.Name, Kind: protocol.CompletionItemKindField, Detail: table + " · " + columnText(c)})
	}
	return items
}

package analyzers

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Custom services (server 2.5.1, cli 2.3.0, verified under Bun): a
// defineService is only a value; the server has it in ctx.services only
// after `server.registerService(x)`, while the generator types every
// defineService it can read into AppServices, registered or not, with
// regular expressions that miss and mistype some of them.
const (
	CodeUnregisteredService = "unregistered-service"
	CodeServiceMisread      = "service-misread"
)

func servicesAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "services",
		Doc:   "checks that each defineService is registered, and that the generator reads it with its own name and type",
		Codes: []string{CodeUnregisteredService, CodeServiceMisread},
		Run:   runServices,
	}
}

func runServices(p *Pass) {
	var defs []*facts.File
	var regs []*facts.File
	for _, f := range sourceFiles(p.Project) {
		if len(f.Services()) > 0 {
			defs = append(defs, f)
		}
		if len(f.ServiceRegs()) > 0 {
			regs = append(regs, f)
		}
	}
	if len(defs) == 0 {
		return
	}
	reportUnregisteredServices(p, defs, regs)
	for _, f := range defs {
		if scannedForServices(p.Project, f.Path) {
			reportServiceMisreads(p, f)
		}
	}
}

func reportUnregisteredServices(p *Pass, defs, regs []*facts.File) {
	run := p.Project.Entry()
	if run == nil || len(run.ServerFiles) == 0 {
		return // no server here: the services are registered elsewhere
	}
	exports := map[string]bool{}
	names := map[string]bool{}
	for _, f := range regs {
		if brokenFile(f) {
			return
		}
		var imports map[string]importedName
		for _, r := range f.ServiceRegs() {
			if r.Ident != "" && imports == nil {
				imports = p.Project.Reuse(importsKey{f.Path}, []*facts.File{f}, func() any { return importedNames(f) }).(map[string]importedName)
			}
			switch {
			case r.Name != "":
				names[r.Name] = true
			case r.Ident != "":
				if imp, ok := imports[r.Ident]; ok && !imp.IsDefault {
					exports[imp.Name] = true
				} else if ok {
					return // a default import: which service is unknowable
				} else {
					exports[r.Ident] = true
				}
			default:
				return // registered through a variable or a call: unknowable
			}
		}
	}
	// A registration naming something no defineService exports is a
	// service this model cannot follow (a re-export, a factory result):
	// then any service may be the one registered.
	known := map[string]bool{}
	for _, f := range defs {
		for _, s := range f.Services() {
			known[s.ExportName] = true
		}
	}
	for e := range exports {
		if !known[e] {
			return
		}
	}
	for _, f := range defs {
		for _, s := range f.Services() {
			if s.Name == "" || s.ExportName == "" || exports[s.ExportName] || names[s.Name] {
				continue
			}
			fd := analysis.Finding{
				Code:     CodeUnregisteredService,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: f.Path, Range: s.NameRange},
				Message: fmt.Sprintf("service %q is defined but never registered: the server only knows services passed to registerService, so ctx.services.%s is undefined at runtime (calls on it throw), although the generated AppServices types it; add server.registerService(%s) to the entry",
					s.Name, s.Name, s.ExportName),
			}
			if fix, ok := registerServiceFix(p.Project, run, f, s); ok {
				fd.Fixes = []analysis.Fix{fix}
			}
			p.Report(fd)
		}
	}
}

// registerServiceFix adds `<server>.registerService(<export>);` after the
// entry's last registerPlugin statement, and the import.
func registerServiceFix(proj *project.Project, run *project.EntryRun, f *facts.File, s facts.Service) (analysis.Fix, bool) {
	entry := proj.File(run.Path)
	if !editable(entry) || !s.Exported {
		return analysis.Fix{}, false
	}
	// After the last registerService statement, else the last
	// registerPlugin one: services are started after the plugins.
	var stmt analysis.Range
	var recv string
	for _, r := range entry.ServiceRegs() {
		if r.Receiver != "" && !r.Stmt.IsZero() && r.Stmt.End.Offset > stmt.End.Offset {
			stmt, recv = r.Stmt, r.Receiver
		}
	}
	if recv == "" {
		for _, r := range entry.Registrations() {
			if r.Receiver != "" && !r.Stmt.IsZero() && r.Stmt.End.Offset > stmt.End.Offset {
				stmt, recv = r.Stmt, r.Receiver
			}
		}
	}
	if recv == "" {
		return analysis.Fix{}, false
	}
	edits := []analysis.TextEdit{{
		Path: entry.Path, Range: at(stmt.End),
		NewText: "\n" + indent(stmt.Start.Col) + recv + ".registerService(" + s.ExportName + ");",
	}}
	if entry.Path != f.Path && !importsName(entry.Imports, s.ExportName) {
		stmt := fmt.Sprintf("import { %s } from %s;", s.ExportName, quote(importSpec(entry.Path, f.Path)))
		if n := len(entry.Imports); n > 0 {
			edits = append(edits, analysis.TextEdit{Path: entry.Path, Range: at(entry.Imports[n-1].Range.End), NewText: "\n" + stmt})
		} else {
			edits = append(edits, analysis.TextEdit{Path: entry.Path, Range: analysis.Range{}, NewText: stmt + "\n"})
		}
	}
	if edits[0].Range.Start.Offset < edits[len(edits)-1].Range.Start.Offset {
		edits[0], edits[len(edits)-1] = edits[len(edits)-1], edits[0]
	}
	return analysis.Fix{
		Title: fmt.Sprintf("Register %s: add %s.registerService(%s) to %s", s.ExportName, recv, s.ExportName, proj.Rel(entry.Path)),
		Edit:  analysis.WorkspaceEdit{Edits: edits},
	}, true
}

// scannedForServices: the generator reads defineService in the entry and in
// the .ts files directly inside src/server/services and src/lib/services.
func scannedForServices(proj *project.Project, path string) bool {
	if path == proj.Config().EntryPath() {
		return true
	}
	if !strings.HasSuffix(path, ".ts") {
		return false
	}
	dir := filepath.Dir(path)
	for _, d := range []string{"src/server/services", "src/lib/services"} {
		if dir == filepath.Join(proj.Root(), filepath.FromSlash(d)) {
			return true
		}
	}
	return false
}

var (
	reTypeName = regexp.MustCompile(`^[A-Za-z_$][\w$]*$`)
	reWordName = regexp.MustCompile(`^\w+$`)
)

// globalTypes are type names a declaration file resolves without an
// import and that take no type arguments.
var globalTypes = map[string]bool{
	"Date": true, "RegExp": true, "Error": true, "URL": true, "URLSearchParams": true, "Response": true,
	"Request": true, "Headers": true, "Blob": true, "FormData": true, "AbortController": true, "WebSocket": true,
	"TextEncoder": true, "TextDecoder": true, "Function": true, "Object": true,
}

func reportServiceMisreads(p *Pass, f *facts.File) {
	gen := map[string]facts.GeneratorService{}
	for _, g := range f.Generator().Services {
		gen[g.ExportName] = g
	}
	for _, s := range f.Services() {
		if s.ExportName == "" {
			continue
		}
		g, found := gen[s.ExportName]
		if !found {
			var why string
			switch {
			case !s.Exported:
				why = "it only reads `export const x = defineService(...)`, and this one is not exported"
			case !s.TypeArgs.IsZero():
				why = "its regular expression needs `(` right after `defineService`, and the type arguments `<...>` come first"
			case s.Name == "" || !reWordName.MatchString(s.Name):
				why = "its regular expression only reads a literal name made of letters, digits and \"_\""
			default:
				continue
			}
			subject := fmt.Sprintf("service %q", s.Name)
			if s.Name == "" {
				subject = "service " + s.ExportName
			}
			fd := analysis.Finding{
				Code:     CodeServiceMisread,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: f.Path, Range: s.NameRange},
				Message: fmt.Sprintf("the generator leaves %s out of AppServices in context.d.ts: %s; so ctx.services.%s is a type error, though the server has it once registered",
					subject, why, orName(s.Name, s.ExportName)),
			}
			if !s.TypeArgs.IsZero() && s.Exported && reWordName.MatchString(s.Name) {
				fd.Message += "; without the type arguments the generator reads it and types it from the factory"
				if editable(f) {
					fd.Fixes = []analysis.Fix{replaceFix("Remove the type arguments the generator cannot read", f.Path, s.TypeArgs, "")}
				}
			}
			p.Report(fd)
			continue
		}
		if g.ReturnType == "" {
			continue
		}
		var msg string
		effect := serviceTypeEffect(g.ReturnType)
		if g.TypeAt >= 0 {
			from := "another defineService"
			for _, o := range f.Services() {
				if g.TypeAt >= o.Range.Start.Offset && g.TypeAt < o.Range.End.Offset && o.Name != "" {
					from = fmt.Sprintf("service %q's defineService<...>", o.Name)
				}
			}
			msg = fmt.Sprintf("the generator types service %q as `%s`, read from %s further down the file (after matching a defineService it takes the first `defineService<\"…\", T>` in the rest of the file as its type): %s",
				s.Name, g.ReturnType, from, effect)
		} else {
			if effect == "" {
				continue
			}
			msg = fmt.Sprintf("the generator types service %q as `%s`, the name it read from the factory's return type annotation: %s; leave the annotation out and it types the service from the factory",
				s.Name, g.ReturnType, effect)
		}
		if effect == "" {
			msg += fmt.Sprintf("ctx.services.%s has that type, not its own", s.Name)
		}
		p.Report(analysis.Finding{
			Code:     CodeServiceMisread,
			Severity: analysis.SeverityWarning,
			Location: analysis.Location{Path: f.Path, Range: s.NameRange},
			Message:  msg,
		})
	}
}

// genericGlobals are global types that are errors without type arguments.
var genericGlobals = map[string]bool{
	"Map": true, "Set": true, "WeakMap": true, "WeakSet": true, "Array": true, "ReadonlyArray": true,
	"Promise": true, "Record": true, "Partial": true, "Readonly": true, "ReadableStream": true,
}

// serviceTypeEffect says what a type text the generator writes into
// AppServices becomes there; "" when it resolves as written. (The services'
// exports it imports are values, never types, so they resolve nothing.)
func serviceTypeEffect(t string) string {
	switch {
	case strings.Count(t, "<") > strings.Count(t, ">"):
		return "its regular expression stops at the first `>`, so the text is cut and context.d.ts does not parse"
	case genericGlobals[t]:
		return fmt.Sprintf("its regular expression keeps only the name, and `%s` without its type arguments is an error in context.d.ts, so the service is typed `any`", t)
	case reTypeName.MatchString(t) && !globalTypes[t]:
		return fmt.Sprintf("context.d.ts imports only the services' exports, so `%s` does not resolve there and the service is typed `any`", t)
	}
	return ""
}

func orName(name, export string) string {
	if name != "" {
		return name
	}
	return "<name>"
}

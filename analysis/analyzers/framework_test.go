package analyzers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/memsource"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// frameworkCodes are the codes of the framework analyzers (issue 3).
var frameworkCodes = []string{
	analyzers.CodeUnknownDependency, analyzers.CodeDependencyCycle, analyzers.CodeUndeclaredDependency,
	analyzers.CodeDuplicatePlugin, analyzers.CodeUnregisteredPlugin,
	analyzers.CodeUnknownPlugin, analyzers.CodeUnknownPluginMethod,
	analyzers.CodeDuplicateRoute, analyzers.CodeRouteDirectDB,
	analyzers.CodeMigrationOrder, analyzers.CodeMigrationEdited,
}

func TestFramework(t *testing.T) { runFixtures(t, "framework") }

// Fixtures under testdata/framework/git are git work trees: their
// .git-head members are what HEAD holds, the rest is the work tree with the
// developer's uncommitted edits.
func TestFrameworkGit(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "framework", "git", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/framework/git")
	}
	for _, path := range paths {
		fx := fixture.Load(t, path)
		if fx.Codes == nil {
			t.Fatalf("%s: a git fixture must name its codes", path)
		}
		if src := fixture.Memory(t, fx); !isRepo(src) {
			t.Fatalf("%s: a git fixture must have .git-head members", path)
		}
	}
	runFixtures(t, filepath.Join("framework", "git"))
}

// isRepo reports whether src is a git work tree.
func isRepo(src project.Source) bool {
	_, ok := src.HeadBlobs(context.Background(), "", nil)
	return ok
}

// The shop base every overlay fixture starts from is fresh and realistic:
// none of the framework codes fires at warning level or above, and the
// route-direct-db hint is exactly where a route queries ctx.db directly
// (admin.salesReport). Every fixture that adds nothing relies on this.
func TestFrameworkCleanShop(t *testing.T) {
	src := fixture.Memory(t, fixture.Fixture{Name: "shop", Base: "shop", Arch: &txtar.Archive{}})
	ctx := context.Background()
	p := reload(t, src)
	dir := src.Root()
	codes := map[string]bool{}
	for _, c := range frameworkCodes {
		codes[c] = true
	}
	var hints []string
	for _, f := range analyzers.Run(ctx, p) {
		rel, _ := filepath.Rel(dir, f.Location.Path)
		where := fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), f.Location.Range.Start.Line+1, f.Location.Range.Start.Col+1)
		switch {
		case f.Code == analyzers.CodeRouteDirectDB:
			hints = append(hints, where)
			if f.Severity != analysis.SeverityHint {
				t.Errorf("%s: route-direct-db has severity %s, want hint", where, f.Severity)
			}
			if len(f.Commands) != 1 || f.Commands[0].Command != analysis.CommandExtractPlugin {
				t.Errorf("%s: route-direct-db offers %+v, want the extract-to-plugin command", where, f.Commands)
			}
		case f.Severity <= analysis.SeverityWarning:
			t.Errorf("%s: %s [%s]", where, f.Message, f.Code)
		}
	}
	want := []string{"src/server/routes/admin.ts:20:23"}
	if strings.Join(hints, "\n") != strings.Join(want, "\n") {
		t.Errorf("route-direct-db hints at\n  %s\nwant exactly\n  %s", strings.Join(hints, "\n  "), strings.Join(want, "\n  "))
	}
}

// loadFixture builds a framework fixture in memory and loads its one project.
func loadFixture(t *testing.T, name string) (*memsource.Source, *project.Project) {
	t.Helper()
	return loadMemory(t, filepath.Join("testdata", "framework", name))
}

// findingsWithCode runs the analyzers and keeps one code.
func findingsWithCode(p *project.Project, code string) []analysis.Finding {
	var out []analysis.Finding
	for _, f := range analyzers.Run(context.Background(), p) {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// applyEdits applies edits (all relative to the current text, as LSP
// edits are) to the files of src, checking that every range agrees with
// the file: the byte offset and the line/column must name the same place.
func applyEdits(t *testing.T, src *memsource.Source, edits []analysis.TextEdit) {
	t.Helper()
	byPath := map[string][]analysis.TextEdit{}
	for _, e := range edits {
		byPath[e.Path] = append(byPath[e.Path], e)
	}
	for path, es := range byPath {
		b := readMemory(t, src, path)
		for _, e := range es {
			for _, pos := range []analysis.Pos{e.Range.Start, e.Range.End} {
				if got := offsetOf(string(b), int(pos.Line), int(pos.Col)); got != int(pos.Offset) {
					t.Fatalf("%s: edit position %d:%d is byte %d, but the edit says byte %d", path, pos.Line+1, pos.Col+1, got, pos.Offset)
				}
			}
		}
		sort.SliceStable(es, func(i, j int) bool { return es[i].Range.Start.Offset > es[j].Range.Start.Offset })
		s := string(b)
		for _, e := range es {
			s = s[:e.Range.Start.Offset] + e.NewText + s[e.Range.End.Offset:]
		}
		writeMemory(t, src, path, []byte(s))
	}
}

// offsetOf converts a 0-based line and UTF-16 column into a byte offset.
func offsetOf(s string, line, col int) int {
	off := 0
	for range line {
		nl := strings.IndexByte(s[off:], '\n')
		if nl < 0 {
			return -1
		}
		off += nl + 1
	}
	units := 0
	for i, r := range s[off:] {
		if units >= col || r == '\n' {
			return off + i
		}
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
	}
	return len(s)
}

// Each quick fix, applied, must leave a file that parses, clear the finding
// it was offered for, and produce the text a developer would have typed.
func TestFrameworkFixes(t *testing.T) {
	cases := []struct {
		fixture string
		code    string
		// at is the file the finding is in; "" means file.
		at string
		// want are snippets the fixed file must contain.
		file string
		want []string
	}{
		{"undeclared-dependency.txtar", analyzers.CodeUndeclaredDependency, "", "src/server/plugins/orders/index.ts",
			[]string{`dependencies: ["books", "users"] as const,`}},
		{"undeclared-dependency-no-key.txtar", analyzers.CodeUndeclaredDependency, "", "src/server/plugins/books/index.ts",
			[]string{"    name: \"books\",\n    dependencies: [\"audit\"] as const,\n    version: \"2.1.0\","}},
		{"undeclared-dependency-empty.txtar", analyzers.CodeUndeclaredDependency, "", "src/server/plugins/books/index.ts",
			[]string{`dependencies: ["audit"] as const,`}},
		{"unregistered-plugin.txtar", analyzers.CodeUnregisteredPlugin, "src/server/plugins/reviews/index.ts", "src/server/index.ts",
			[]string{
				"import { reviewsPlugin } from \"./plugins/reviews\";\n",
				"server.registerPlugin(auditPlugin({ retentionDays: 90, ignoreActions: [\"admin.ping\"] }));\nserver.registerPlugin(reviewsPlugin);\n",
			}},
		{"unregistered-plugin-dependency.txtar", analyzers.CodeUnregisteredPlugin, "src/server/plugins/users/index.ts", "src/server/index.ts",
			[]string{"ignoreActions: [\"admin.ping\"] }));\nserver.registerPlugin(usersPlugin);\n\nserver.registerService(pricingService);"}},
		{"unregistered-plugin-factory.txtar", analyzers.CodeUnregisteredPlugin, "src/server/plugins/audit/index.ts", "src/server/index.ts",
			[]string{"server.registerPlugin(ordersPlugin);\nserver.registerPlugin(auditPlugin({ /* config */ }));\n"}},
		{"unregistered-plugin-chained.txtar", analyzers.CodeUnregisteredPlugin, "src/server/plugins/reviews/index.ts", "src/server/index.ts",
			[]string{"ignoreActions: [\"admin.ping\"] }));\nserver.registerPlugin(reviewsPlugin);\n", "import { reviewsPlugin } from \"./plugins/reviews\";"}},
		{"unknown-dependency.txtar", analyzers.CodeUnknownDependency, "", "src/server/plugins/orders/index.ts",
			[]string{`dependencies: ["users", "books"] as const,`}},
		{"unknown-plugin.txtar", analyzers.CodeUnknownPlugin, "", "src/server/routes/books.ts",
			[]string{`ctx.plugins.books.list({ author: input.author, limit: input.limit })`}},
		{"unknown-plugin-method.txtar", analyzers.CodeUnknownPluginMethod, "", "src/server/routes/books.ts",
			[]string{`ctx.plugins.books.getById(input.id)`}},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.fixture, ".txtar")+"/"+c.code, func(t *testing.T) {
			src, p := loadFixture(t, c.fixture)
			dir := src.Root()
			before := findingsWithCode(p, c.code)
			if len(before) == 0 {
				t.Fatalf("the fixture reports no %s", c.code)
			}
			path := filepath.Join(dir, filepath.FromSlash(c.file))
			at := path
			if c.at != "" {
				at = filepath.Join(dir, filepath.FromSlash(c.at))
			}
			var f analysis.Finding
			for _, b := range before {
				if b.Location.Path == at {
					f = b
					break
				}
			}
			if f.Code == "" {
				t.Fatalf("the fixture reports no %s in %s", c.code, p.Rel(at))
			}
			if len(f.Fixes) == 0 {
				t.Fatalf("%s at %s offers no fix", c.code, f.Location.Range)
			}
			applyEdits(t, src, f.Fixes[0].Edit.Edits)
			after := reload(t, src)
			if pf := after.File(path); pf == nil || pf.SyntaxErrors {
				t.Errorf("after %q, %s does not parse", f.Fixes[0].Title, c.file)
			}
			for _, g := range findingsWithCode(after, c.code) {
				if g.Location.Path == f.Location.Path && g.Location.Range.Start.Line == f.Location.Range.Start.Line {
					t.Errorf("after %q, %s is still reported: %s", f.Fixes[0].Title, c.code, g.Message)
				}
			}
			b := readMemory(t, src, path)
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("after %q, %s lacks\n%s\n--- file:\n%s", f.Fixes[0].Title, c.file, w, b)
				}
			}
		})
	}
}

// docSeverities reads the code tables of docs/diagnostics.md: code → the
// severity cell.
func docSeverities(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "diagnostics.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		code := strings.TrimSpace(cells[1])
		if !strings.HasPrefix(code, "`") || !strings.HasSuffix(code, "`") {
			continue
		}
		out[strings.Trim(code, "`")] = strings.TrimSpace(cells[2])
	}
	return out
}

// Every code an analyzer can report is documented, and the framework
// codes' findings have the severity the documentation promises.
func TestDiagnosticsDoc(t *testing.T) {
	doc := docSeverities(t)
	for _, a := range analyzers.All() {
		for _, c := range a.Codes {
			if _, ok := doc[c]; !ok {
				t.Errorf("code %s (analyzer %s) is missing from docs/diagnostics.md", c, a.Name)
			}
		}
	}
	paths, err := filepath.Glob(filepath.Join("testdata", "framework", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, path := range paths {
		fx := fixture.Load(t, path)
		if len(fx.Want) == 0 && len(fx.Marks) == 0 {
			continue
		}
		_, p := loadFixture(t, filepath.Base(path))
		for _, f := range analyzers.Run(context.Background(), p) {
			if !fx.Codes[f.Code] {
				continue
			}
			seen[f.Code] = true
			if cell := doc[f.Code]; !strings.Contains(cell, f.Severity.String()) {
				t.Errorf("%s: %s reported as %s, but docs/diagnostics.md says %q", fx.Name, f.Code, f.Severity, cell)
			}
		}
	}
	for _, c := range frameworkCodes {
		if !seen[c] && c != analyzers.CodeMigrationEdited {
			t.Errorf("no positive fixture under testdata/framework reports %s", c)
		}
	}
}

// While a buffer does not parse, its findings stay (from its last good
// facts) but no fix is offered for it: the fix's positions belong to the
// last good text, not the one in the editor.
func TestFrameworkNoFixWhileMidEdit(t *testing.T) {
	msrc, p := loadFixture(t, "unknown-plugin.txtar")
	path := filepath.Join(msrc.Root(), "src", "server", "routes", "books.ts")
	before := findingsWithCode(p, analyzers.CodeUnknownPlugin)
	hasFix := false
	for _, f := range before {
		if f.Location.Path == path && len(f.Fixes) > 0 {
			hasFix = true
		}
	}
	if !hasFix {
		t.Fatal("the fixture offers no fix in books.ts to begin with")
	}
	src := readMemory(t, msrc, path)
	midEdit := strings.Replace(string(src), "export const BookSchema", "\nexport const = \nexport const BookSchema", 1)
	q := p.WithFile(path, []byte(midEdit))
	if f := q.File(path); f == nil || !f.StaleFacts {
		t.Fatal("the edited buffer was expected to parse with errors and keep its last good facts")
	}
	found := false
	for _, f := range findingsWithCode(q, analyzers.CodeUnknownPlugin) {
		if f.Location.Path != path {
			continue
		}
		found = true
		if len(f.Fixes) > 0 {
			t.Errorf("fix %q offered for a buffer that does not parse", f.Fixes[0].Title)
		}
	}
	if !found {
		t.Error("the finding disappeared while the buffer was mid-edit")
	}
}

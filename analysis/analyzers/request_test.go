package analyzers_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

// requestCodes are the request-time trap codes (issue 13).
var requestCodes = []string{
	analyzers.CodeMiddlewareShared, analyzers.CodeUnknownMiddleware, analyzers.CodeMiddlewareObjectIgnored,
	analyzers.CodeMigrationsUnreachable, analyzers.CodeCronInvalid, analyzers.CodeUnknownEvent,
	analyzers.CodeMigrationNotRun,
	analyzers.CodeHandlerShadowed, analyzers.CodeHandlerUnresolved, analyzers.CodeCustomErrorConflict,
	analyzers.CodeUnregisteredService, analyzers.CodeServiceMisread, analyzers.CodeUnknownJob,
	analyzers.CodeWorkflowUnknownStep, analyzers.CodeEventTypeLossy, analyzers.CodePluginRenameRerunsMigrations,
}

// The request-time traps' quick fixes, applied, leave a file that parses,
// clear the finding, and hold what a developer would have typed.
func TestRequestFixes(t *testing.T) {
	cases := []struct {
		fixture, code, file string
		want                []string
		// edited is the file the fix writes, when not file.
		edited string
	}{
		{"unknown-middleware.txtar", analyzers.CodeUnknownMiddleware, "src/server/routes/api.ts",
			[]string{`typo.middleware.authRequired().route("secret")`}, ""},
		{"unknown-middleware.txtar", analyzers.CodeMiddlewareObjectIgnored, "src/server/plugins/objmw/index.ts",
			[]string{"  middleware: () => ({\n    objGuard: createMiddleware(", "{ status: 418 })),\n  }),\n  service"}, ""},
		{"handler-shadowed.txtar", analyzers.CodeHandlerUnresolved, "src/server/routes/api.ts",
			[]string{`(api.route("typo") as any).addHandler("xml", {`}, ""},
		{"unknown-job.txtar", analyzers.CodeUnknownJob, "src/server/routes/api.ts",
			[]string{`await ctx.core.jobs.enqueue("sendReceipt", {}) }) }); //@diag`}, ""},
		{"unknown-job.txtar", analyzers.CodeUnknownJob, "src/server/workflows.ts",
			[]string{`.task("send", { job: "sendReceipt" })`}, ""},
		{"unknown-job.txtar", analyzers.CodeWorkflowUnknownStep, "src/server/workflows.ts",
			[]string{`target: "start", maxIterations: 2 }`}, ""},
		{"services.txtar", analyzers.CodeUnregisteredService, "src/server/services/things.ts",
			[]string{"server.registerService(stampService);\nserver.registerService(lostService);\nserver.use(api);",
				"import { plainService, clockService, mailService, stampService } from \"./services/things\";\nimport { api } from \"./routes/api\";\nimport { lostService } from \"./services/things\";\n"},
			"src/server/index.ts"},
		{"migration-not-run.txtar", analyzers.CodeMigrationNotRun, "src/server/plugins/books/migrations/003_create_loans.ts",
			[]string{"import type { Kysely } from \"kysely\";\nexport async function up(db: Kysely<any>) { //@diag(migration-not-run)\n  await db.schema.createTable(\"loans\")",
				"execute();\n}\n\nexport const down = async (db: Kysely<any>) => {\n  await db.schema.dropTable(\"loans\").execute();\n};\n"}, ""},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.fixture, ".txtar")+"/"+c.code, func(t *testing.T) {
			src, p := loadMemory(t, filepath.Join("testdata", "request", c.fixture))
			path := filepath.Join(src.Root(), filepath.FromSlash(c.file))
			var f analysis.Finding
			for _, g := range findingsWithCode(p, c.code) {
				if g.Location.Path == path && len(g.Fixes) > 0 {
					f = g
					break
				}
			}
			if f.Code == "" {
				t.Fatalf("no %s with a fix in %s", c.code, c.file)
			}
			applyEdits(t, src, f.Fixes[0].Edit.Edits)
			after := reload(t, src)
			if pf := after.File(path); pf == nil || pf.SyntaxErrors {
				t.Errorf("after %q, %s does not parse", f.Fixes[0].Title, c.file)
			}
			for _, g := range findingsWithCode(after, c.code) {
				if g.Location.Path == path && g.Location.Range.Start.Line == f.Location.Range.Start.Line {
					t.Errorf("after %q, still reported: %s", f.Fixes[0].Title, g.Message)
				}
			}
			edited := c.file
			if c.edited != "" {
				edited = c.edited
			}
			b := readMemory(t, src, filepath.Join(src.Root(), filepath.FromSlash(edited)))
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("after %q, %s lacks\n%s\n--- file:\n%s", f.Fixes[0].Title, edited, w, b)
				}
			}
		})
	}
}

// A plugin folder reached through a symlink is where the server looks:
// silent with the symlink, reported without it.
func TestMigrationsThroughSymlink(t *testing.T) {
	src := fixture.Memory(t, fixture.Load(t, filepath.Join("testdata", "request-symlink", "migrations-symlink.txtar")))
	dir := src.Root()
	load := func() []analysis.Finding {
		return findingsWithCode(reload(t, src), analyzers.CodeMigrationsUnreachable)
	}
	if got := load(); len(got) != 1 {
		t.Fatalf("without the symlink: %d findings, want 1 (%v)", len(got), got)
	}
	if err := src.Symlink(filepath.Join("..", "..", "..", "modules", "notes"), filepath.Join(dir, "src", "server", "plugins", "notes")); err != nil {
		t.Fatal(err)
	}
	for _, f := range load() {
		t.Errorf("with the symlink: %s", f.Message)
	}
}

func TestUnknownEventFix(t *testing.T) {
	src, p := loadMemory(t, filepath.Join("testdata", "request", "unknown-event.txtar"))
	var fixes []analysis.Fix
	for _, f := range findingsWithCode(p, analyzers.CodeUnknownEvent) {
		fixes = append(fixes, f.Fixes...)
	}
	if len(fixes) != 1 {
		t.Fatalf("%d fixes, want 1 (order.creatd -> order.created; order.shipped has no near name)", len(fixes))
	}
	applyEdits(t, src, fixes[0].Edit.Edits)
	b := readMemory(t, src, filepath.Join(src.Root(), "src", "server", "plugins", "orders", "index.ts"))
	if !strings.Contains(string(b), `ctx.core.events.emit("order.created", { id });`) {
		t.Errorf("after the fix:\n%s", b)
	}
}

// The advice must be one that works: renaming the plugin to its folder's
// name helps only where that folder is already where the server looks.
func TestMigrationsUnreachableNamesAFixThatWorks(t *testing.T) {
	for _, tc := range []struct {
		fixture    string
		wantRename string // "" when renaming cannot help
	}{
		{filepath.Join("testdata", "request", "migrations-unreachable.txtar"), `rename the plugin to "bookstore"`},
		{filepath.Join("testdata", "request-symlink", "migrations-symlink.txtar"), ""},
	} {
		_, p := loadMemory(t, tc.fixture)
		got := findingsWithCode(p, analyzers.CodeMigrationsUnreachable)
		if len(got) != 1 {
			t.Fatalf("%s: %d findings, want 1", tc.fixture, len(got))
		}
		msg := got[0].Message
		switch {
		case tc.wantRename != "" && !strings.Contains(msg, tc.wantRename):
			t.Errorf("%s: the message does not offer %q: %s", tc.fixture, tc.wantRename, msg)
		case tc.wantRename == "" && strings.Contains(msg, "rename"):
			t.Errorf("%s: the message offers a rename that cannot help: %s", tc.fixture, msg)
		}
	}
}

// Removing the type arguments the generator cannot read, one fix at a
// time, ends with every service in AppServices under its own type: each
// fix can hand the next service's type argument to another one (its regex
// searches the rest of the file), so the findings move until none is left
// but the annotated factory's, which this fix does not touch.
func TestServiceTypeArgumentsFix(t *testing.T) {
	src := fixture.Memory(t, fixture.Load(t, filepath.Join("testdata", "request", "services.txtar")))
	path := filepath.Join(src.Root(), "src", "server", "services", "things.ts")
	for round := 0; ; round++ {
		p := reload(t, src)
		var fix *analysis.Fix
		var left []string
		for _, f := range findingsWithCode(p, analyzers.CodeServiceMisread) {
			left = append(left, f.Message)
			if len(f.Fixes) > 0 && fix == nil {
				fix = &f.Fixes[0]
			}
		}
		if fix == nil {
			if len(left) != 1 || !strings.Contains(left[0], `"stamp"`) {
				t.Errorf("after %d fixes, left: %q; want only stamp's annotation", round, left)
			}
			break
		}
		if round > 3 {
			t.Fatalf("still fixing after %d rounds: %q", round, left)
		}
		applyEdits(t, src, fix.Edit.Edits)
	}
	b := readMemory(t, src, path)
	for _, w := range []string{`export const clockService = defineService("clock", async`, `export const mailService = defineService("mail", async`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("after the fixes the file lacks %s:\n%s", w, b)
		}
	}
}

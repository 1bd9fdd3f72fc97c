package tsmodeltest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// tscTimeout bounds one compiler run; a hang fails the test with a message
// instead of stalling the suite.
const tscTimeout = 3 * time.Minute

// shopCopy writes a project of internal/fixture ("shop", every output
// fresh, or "shop-stale", whose registry and orders schema predate the
// books plugin's ndjson handler and the orders plugin's migration 003)
// with the model installed.
func shopCopy(t *testing.T, name string) string {
	t.Helper()
	dir := fixture.Project(t, name)
	if err := InstallModel(testenv.RepoRoot(), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func check(t *testing.T, tsc, dir string) []Diagnostic {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), tscTimeout)
	defer cancel()
	diags, err := Check(ctx, tsc, dir)
	if ctx.Err() != nil {
		t.Fatalf("tsc did not finish within %v on %s", tscTimeout, dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return diags
}

// lineOf is the 1-based line of the only occurrence of needle in the file.
func lineOf(t *testing.T, dir, rel, needle string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), needle); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want 1", rel, needle, n)
	}
	i := strings.Index(string(data), needle)
	return strings.Count(string(data[:i]), "\n") + 1
}

func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFreshShopTypeChecks(t *testing.T) {
	tsc := testenv.TSC(t)
	t.Parallel()
	dir := shopCopy(t, "shop")
	if diags := check(t, tsc, dir); len(diags) != 0 {
		t.Fatalf("the fresh shop should compile cleanly against the model; tsc says:\n%s", joinDiags(diags))
	}
}

// shop-stale has a schema.ts that misses migration 003's
// column: the orders service reads and writes `notes`, which the compiler
// rejects exactly where a developer would see it.
func TestStaleSchemaIsACompileError(t *testing.T) {
	tsc := testenv.TSC(t)
	t.Parallel()
	dir := shopCopy(t, "shop-stale")
	diags := check(t, tsc, dir)

	const file = "src/server/plugins/orders/index.ts"
	want := map[int]string{
		lineOf(t, dir, file, "notes: row.notes"):       "TS2339",
		lineOf(t, dir, file, "notes: notes ?? null }"): "TS2353",
	}
	got := map[int]string{}
	for _, d := range diags {
		if d.File != file || !strings.Contains(d.Message, "'notes'") {
			t.Errorf("unexpected error (only the stale orders schema should fail): %s", d)
			continue
		}
		got[d.Line] = d.Code
	}
	for line, code := range want {
		if got[line] != code {
			t.Errorf("want %s at %s:%d about 'notes', got %q\nall errors:\n%s", code, file, line, got[line], joinDiags(diags))
		}
	}
}

const ndjsonRoute = `import { createRouter } from "@donkeylabs/server";

export const exportsRouter = createRouter("exports")
  .route("catalogue").ndjson({
    handle: async (_input, ctx) => {
      const books = await ctx.plugins.books.list({ limit: 1000 });
      return books.map((b) => ({ isbn: b.isbn, title: b.title, stock: b.stock }));
    },
  });
`

// The books plugin's new ndjson handler is missing from the
// registry.d.ts of shop-stale: a route that uses it compiles only after
// regenerating.
func TestStaleRegistryHidesNewHandler(t *testing.T) {
	tsc := testenv.TSC(t)
	t.Parallel()

	stale := shopCopy(t, "shop-stale")
	writeFile(t, stale, "src/server/routes/exports.ts", ndjsonRoute)
	var found bool
	for _, d := range check(t, tsc, stale) {
		if d.File == "src/server/routes/exports.ts" && d.Code == "TS2339" && strings.Contains(d.Message, "'ndjson'") {
			found = true
		}
	}
	if !found {
		t.Errorf("with the stale registry, using .ndjson(...) should be TS2339 \"Property 'ndjson' does not exist\"")
	}

	fresh := shopCopy(t, "shop")
	writeFile(t, fresh, "src/server/routes/exports.ts", ndjsonRoute)
	if diags := check(t, tsc, fresh); len(diags) != 0 {
		t.Errorf("with the regenerated registry the ndjson route should compile; tsc says:\n%s", joinDiags(diags))
	}
}

// ctx.plugins is typed only through the generated PluginRegistry: a plugin
// the registry does not list is an error in every route that uses it.
func TestPluginMissingFromRegistryIsAnError(t *testing.T) {
	tsc := testenv.TSC(t)
	t.Parallel()
	dir := shopCopy(t, "shop")
	if err := ApplyEdits(dir, []Edit{{
		Path: ".@donkeylabs/server/registry.d.ts",
		Old:  "    audit: Register<InferService<typeof auditPlugin>, InferSchema<typeof auditPlugin>, InferHandlers<typeof auditPlugin>, InferDependencies<typeof auditPlugin>, InferMiddleware<typeof auditPlugin>>;\n",
		New:  "",
	}}); err != nil {
		t.Fatal(err)
	}
	diags := check(t, tsc, dir)
	files := map[string]bool{}
	for _, d := range diags {
		if d.Code == "TS2339" && strings.Contains(d.Message, "'audit'") {
			files[d.File] = true
		}
	}
	for _, f := range []string{"src/server/routes/admin.ts", "src/server/routes/books.ts", "src/server/routes/orders.ts"} {
		if !files[f] {
			t.Errorf("%s uses ctx.plugins.audit and should fail without it in the registry; tsc says:\n%s", f, joinDiags(diags))
		}
	}
}

func joinDiags(diags []Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString("  ")
		b.WriteString(d.String())
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return "  (no errors)\n"
	}
	return b.String()
}

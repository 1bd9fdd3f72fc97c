package project_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// expectedEdits chain edits of the shop base that change what the
// generator writes (plugin order: audit, books, orders, users): keys that
// two plugins define, keys taken over and given up, names, exports,
// events, services, migrations, routes, a broken buffer, a new plugin and
// its removal. patched says whether the outputs must be derived from the
// parent's; broken edits leave the file on disk broken, so only the
// computation on the same facts is compared (a cold load has no last good
// facts to keep).
var expectedEdits = []struct {
	name, path string
	old, new   string // "" old: a new file of new; both "": remove the file
	patched    bool
	broken     bool
	// same is set when the outputs read the same after the edit (only
	// their pointers move).
	same bool
	// reload loads the project again after the edit, as a server start
	// would, so the next edit starts from facts of the file as written.
	reload bool
}{
	{name: "a key an earlier plugin lists, in a later one", path: "src/server/plugins/orders/index.ts",
		old: `name: "orders",`, new: `name: "orders",` + "\n    handlers: { ndjson: createHandler(async () => new Response(\"\")) },", patched: true},
	{name: "a key of its own beside it", path: "src/server/plugins/orders/index.ts",
		old: "handlers: { ndjson:", new: `handlers: { xml: createHandler(async () => new Response("")), ndjson:`, patched: true},
	{name: "the earlier plugin gives the shared key up", path: "src/server/plugins/books/index.ts",
		old: "ndjson: createHandler<ExportFn>", new: "ndjsonx: createHandler<ExportFn>", patched: false},
	{name: "and takes it back", path: "src/server/plugins/books/index.ts",
		old: "ndjsonx: createHandler<ExportFn>", new: "ndjson: createHandler<ExportFn>", patched: true},
	{name: "a handler key renamed", path: "src/server/plugins/books/index.ts",
		old: "csv: createHandler<ExportFn>", new: "tsv: createHandler<ExportFn>", patched: true},
	{name: "a handler key added first", path: "src/server/plugins/books/index.ts",
		old: "tsv: createHandler<ExportFn>", new: "pdf: createHandler<ExportFn>(async () => new Response(\"\")),\n      tsv: createHandler<ExportFn>", patched: true},
	{name: "the later plugin's own key removed", path: "src/server/plugins/orders/index.ts",
		old: `xml: createHandler(async () => new Response("")), `, new: "", patched: true},
	{name: "the later plugin drops the shared key", path: "src/server/plugins/orders/index.ts",
		old: `ndjson: createHandler(async () => new Response(""))`, new: "", patched: true},
	{name: "a middleware key an earlier plugin takes", path: "src/server/plugins/audit/index.ts",
		old: `name: "audit",`, new: `name: "audit",` + "\n    middleware: (ctx, service) => ({ authRequired: createMiddleware(async (req, reqCtx, next) => next()) }),", patched: true},
	{name: "a second middleware key there", path: "src/server/plugins/audit/index.ts",
		old: "({ authRequired:", new: "({ audited: createMiddleware(async (req, reqCtx, next) => next()), authRequired:", patched: true},
	{name: "and given up to the later plugin", path: "src/server/plugins/audit/index.ts",
		old: "authRequired: createMiddleware(async (req, reqCtx, next) => next())", new: "", patched: false},
	{name: "a middleware key renamed", path: "src/server/plugins/orders/index.ts",
		old: "authRequired: createMiddleware", new: "authNeeded: createMiddleware", patched: true},
	{name: "a plugin renamed", path: "src/server/plugins/users/index.ts", old: `name: "users"`, new: `name: "people"`, patched: true},
	{name: "and named back", path: "src/server/plugins/users/index.ts", old: `name: "people"`, new: `name: "users"`, patched: true},
	{name: "a plugin's export renamed", path: "src/server/plugins/audit/index.ts", old: "export const auditPlugin", new: "export const auditPlugin2", patched: false},
	{name: "and back", path: "src/server/plugins/audit/index.ts", old: "export const auditPlugin2", new: "export const auditPlugin", patched: false},
	{name: "a plugin's export dropped", path: "src/server/plugins/books/index.ts", old: "export const booksPlugin = createPlugin", new: "const booksPlugin = createPlugin", patched: false},
	{name: "and exported again", path: "src/server/plugins/books/index.ts", old: "const booksPlugin = createPlugin", new: "export const booksPlugin = createPlugin", patched: false},
	{name: "a plugin event added", path: "src/server/plugins/orders/index.ts", old: `"orders.item_backordered": z.object({`, new: `"orders.cancel_requested": z.object({ orderId: z.string() }),` + "\n      " + `"orders.item_backordered": z.object({`, patched: true},
	{name: "a server event added", path: "src/server/events.ts", old: `"user.registered": z.object({`, new: `"user.deleted": z.object({ userId: z.string() }),` + "\n  " + `"user.registered": z.object({`, patched: true},
	{name: "a service's name", path: "src/server/services/pricing.ts", old: `"pricing"`, new: `"prices"`, patched: true},
	{name: "a column added by a migration", path: "src/server/plugins/orders/migrations/003_add_order_notes.ts", old: `.addColumn("notes", "text")`, new: `.addColumn("notes", "text").addColumn("gift", "text")`, patched: true},
	{name: "a table renamed by its migration", path: "src/server/plugins/users/migrations/001_create_users.ts", old: `.createTable("users")`, new: `.createTable("people")`, patched: true},
	{name: "a route renamed", path: "src/server/routes/books.ts", old: `.route("list")`, new: `.route("all")`, patched: true},
	{name: "a route added", path: "src/server/routes/books.ts", old: `  .route("search")`, new: "  .route(\"find\").typed({ handle: async () => [] })\n  .route(\"search\")", patched: true},
	{name: "a route removed", path: "src/server/routes/books.ts", old: "  .route(\"find\").typed({ handle: async () => [] })\n", new: "", patched: true},
	{name: "a broken keystroke in a plugin", path: "src/server/plugins/books/index.ts", old: "pdf: createHandler", new: "pdf: createHandler)(", patched: true, broken: true},
	{name: "a key typed while broken", path: "src/server/plugins/books/index.ts", old: "tsv: createHandler", new: "tsv2: createHandler", patched: true, broken: true},
	{name: "the plugin fixed", path: "src/server/plugins/books/index.ts", old: "pdf: createHandler)(", new: "pdf: createHandler", patched: true},
	{name: "a broken keystroke in a route file", path: "src/server/routes/books.ts", old: `.route("all")`, new: `.route("all"))(`, patched: true, broken: true, same: true},
	{name: "the route file fixed", path: "src/server/routes/books.ts", old: `.route("all"))(`, new: `.route("al")`, patched: true},
	{name: "a plugin broken at a load", path: "src/server/plugins/books/index.ts", old: "pdf: createHandler", new: "pdf: createHandler)(", patched: true, broken: true, reload: true},
	{name: "and fixed after it", path: "src/server/plugins/books/index.ts", old: "pdf: createHandler)(", new: "pdf: createHandler", patched: false},
	{name: "a route file broken at a load", path: "src/server/routes/books.ts", old: `.route("al")`, new: `.route("al"))(`, patched: true, broken: true, same: true, reload: true},
	{name: "and fixed after it", path: "src/server/routes/books.ts", old: `.route("al"))(`, new: `.route("al")`, patched: false},
	{name: "a route file no one imports, broken at a load", path: "src/server/routes/spare.ts", new: "import { createRouter } from \"@donkeylabs/server\";\nexport const spareRouter = createRouter(\"spare\")\n  .route(\"ping\")).typed({ handle: async () => ({}) });\n", patched: false, reload: true},
	{name: "and fixed after it", path: "src/server/routes/spare.ts", old: `.route("ping"))`, new: `.route("ping")`, patched: false},
	{name: "a new plugin", path: "src/server/plugins/extra/index.ts",
		new: "import { createPlugin, createHandler } from \"@donkeylabs/server\";\nexport const extraPlugin = createPlugin.define({\n  name: \"extra\",\n  handlers: { ndjson: createHandler(async () => new Response(\"\")) },\n  service: async () => ({}),\n});\n", patched: false},
	{name: "a key in the new plugin", path: "src/server/plugins/extra/index.ts", old: "handlers: { ndjson:", new: `handlers: { tsv: createHandler(async () => new Response("")), ndjson:`, patched: true},
	{name: "the new plugin deleted", path: "src/server/plugins/extra/index.ts", patched: false},
	{name: "a router unmounted", path: "src/server/index.ts", old: "server.use(adminRouter);\n", new: "", patched: false},
}

// TestExpectedFollowsKeyEdits: after each edit of expectedEdits, applied
// to the snapshot before it as the server applies it (a reload where the
// snapshot asks for one), the expected outputs are what a cold computation
// gives, value for value and pointer for pointer, and they are derived
// from the parent's exactly where the edit allows it. A patch that keeps a
// key at the plugin that gave it up, lists it twice, loses a plugin's new
// key or a route's new name fails here.
func TestExpectedFollowsKeyEdits(t *testing.T) {
	mem, dir, p := shop(t)
	p.Expected()
	for _, e := range expectedEdits {
		path := filepath.Join(dir, filepath.FromSlash(e.path))
		var q *project.Project
		switch {
		case e.old == "" && e.new == "":
			if err := mem.Remove(path); err != nil {
				t.Fatal(err)
			}
			q = p.WithoutFile(path)
		case e.old == "":
			write(t, mem, path, e.new)
			q = p.WithFile(path, []byte(e.new))
		default:
			b, err := mem.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), e.old) {
				t.Fatalf("%s: %q not in %s", e.name, e.old, e.path)
			}
			content := strings.Replace(string(b), e.old, e.new, 1)
			write(t, mem, path, content)
			q = p.WithFile(path, []byte(content))
		}
		if q == p {
			t.Fatalf("%s: the edit changed nothing", e.name)
		}
		got := q.Expected()
		if !e.same && reflect.DeepEqual(got, p.Expected()) {
			t.Errorf("%s: the edit does not change the expected outputs; the case tests nothing", e.name)
		}
		if fresh := project.FreshExpected(q); !reflect.DeepEqual(got, fresh) {
			t.Errorf("%s: the expected outputs differ from a fresh computation's\ngot:   %s\nfresh: %s", e.name, describeExpected(got), describeExpected(fresh))
		}
		if !e.broken {
			if cold := load(t, mem, dir).Expected(); !reflect.DeepEqual(got, cold) {
				t.Errorf("%s: the expected outputs differ from a cold load's\ngot:  %s\ncold: %s", e.name, describeExpected(got), describeExpected(cold))
			}
		}
		checkExpectedPointers(t, e.name, q, got)
		if patched := project.ExpectedPatched(q); patched != e.patched {
			t.Errorf("%s: derived from the previous snapshot's: %v, want %v", e.name, patched, e.patched)
		}
		q.ForgetEarlier()
		if q.NeedsReload() || e.reload {
			q = load(t, mem, dir) // as the server does
			q.Expected()
		}
		p = q
	}
}

// checkExpectedPointers checks what DeepEqual cannot: that the outputs
// point into this snapshot's facts and into their own plugin list, as a
// fresh computation's do.
func checkExpectedPointers(t *testing.T, name string, p *project.Project, e *project.Expected) {
	t.Helper()
	inPlugins := func(gp *project.GenPlugin) bool {
		for i := range e.Plugins {
			if &e.Plugins[i] == gp {
				return true
			}
		}
		return false
	}
	for _, gp := range e.Plugins {
		if gp.File != p.File(gp.Path) {
			t.Errorf("%s: plugin %s holds facts that are not the snapshot's", name, gp.Name)
			continue
		}
		if gp.Def != nil && !inFacts(gp.Def, gp.File.Plugins) {
			t.Errorf("%s: plugin %s's definition is not in its facts", name, gp.Name)
		}
	}
	for _, keys := range [][]project.GenKey{e.Handlers, e.Middleware} {
		for _, k := range keys {
			if !inPlugins(k.Plugin) {
				t.Errorf("%s: key %s points at no plugin of the list", name, k.Name)
			}
		}
	}
	for _, s := range e.Schemas {
		if !inPlugins(s.Plugin) {
			t.Errorf("%s: schema %s points at no plugin of the list", name, s.Dir)
		}
	}
	for _, r := range e.Routes {
		if f := p.File(r.Path); f == nil || !inFacts(r.Route, f.Routes) {
			t.Errorf("%s: route %s is not in the snapshot's facts of %s", name, r.Name, r.Path)
		}
	}
}

func inFacts[T any](x *T, xs []T) bool {
	for i := range xs {
		if &xs[i] == x {
			return true
		}
	}
	return false
}

// describeExpected names what the keys and routes are, for a failure.
func describeExpected(e *project.Expected) string {
	var b strings.Builder
	for _, gp := range e.Plugins {
		b.WriteString(" plugin " + gp.Name)
	}
	for _, k := range e.Handlers {
		b.WriteString(" handler " + k.Name + "@" + k.Plugin.Name)
	}
	for _, k := range e.Middleware {
		b.WriteString(" middleware " + k.Name + "@" + k.Plugin.Name)
	}
	for _, r := range e.Routes {
		b.WriteString(" route " + r.Name)
	}
	return b.String()
}

// TestExpectedFollowsSyntheticKeyEdits: on a synthetic project, a chain of
// edits that add, rename and remove handler and middleware keys in many
// plugins, with names other plugins also define, is patched at every step
// (but where a key passes to a later plugin) and equals a fresh
// computation on the same facts, pointers included, and every few steps a
// cold load.
func TestExpectedFollowsSyntheticKeyEdits(t *testing.T) {
	mem := fixture.Synth(t, synth.Options{Plugins: 60, Routes: 300, MigrationsPerPlugin: 2, Seed: 3})
	dir := mem.Root()
	p := load(t, mem, dir)
	var plugins []string
	var handlerNames, middlewareNames []string
	for _, path := range p.Files() {
		if filepath.Base(path) != "index.ts" || !strings.Contains(path, string(filepath.Separator)+"plugins"+string(filepath.Separator)) {
			continue
		}
		f := p.File(path)
		if f.Generator().PluginExport == "" {
			continue
		}
		plugins = append(plugins, path)
		handlerNames = append(handlerNames, f.Generator().HandlerKeys...)
		middlewareNames = append(middlewareNames, f.Generator().MiddlewareKeys...)
	}
	if len(plugins) < 40 || len(handlerNames) == 0 || len(middlewareNames) == 0 {
		t.Fatalf("synthetic project too thin: %d plugins, %d handler and %d middleware keys", len(plugins), len(handlerNames), len(middlewareNames))
	}
	pool := func(names []string, k int) string {
		switch k % 3 {
		case 0:
			return names[k%len(names)] // another plugin's
		case 1:
			return "shared" // several plugins' own
		}
		return fmt.Sprintf("own%d", k)
	}
	p.Expected()
	patched := 0
	const steps = 60
	for k := range steps {
		path := plugins[(k*37)%len(plugins)]
		b, err := mem.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		content := string(b)
		name := fmt.Sprintf("step %d (%s)", k, filepath.Base(filepath.Dir(path)))
		switch start := strings.Index(content, "    /*edit*/"); {
		case start >= 0 && k%4 == 3:
			end := start + strings.Index(content[start:], "\n") + 1
			content = content[:start] + content[end:]
		default:
			if start >= 0 {
				end := start + strings.Index(content[start:], "\n") + 1
				content = content[:start] + content[end:]
			}
			line := fmt.Sprintf("    /*edit*/ handlers: { %s: createHandler(async () => new Response(\"\")) },\n", pool(handlerNames, k))
			if k%2 == 1 {
				line = fmt.Sprintf("    /*edit*/ middleware: (ctx, service) => ({ %s: createMiddleware(async (req, reqCtx, next) => next()) }),\n", pool(middlewareNames, k))
			}
			at := strings.Index(content, "    name: \"")
			if at < 0 {
				t.Fatalf("%s: no name in %s", name, path)
			}
			content = content[:at] + line + content[at:]
		}
		write(t, mem, path, content)
		q := p.WithFile(path, []byte(content))
		if q == p || q.NeedsReload() {
			t.Fatalf("%s: the edit changed nothing or needs a reload", name)
		}
		got := q.Expected()
		if fresh := project.FreshExpected(q); !reflect.DeepEqual(got, fresh) {
			t.Errorf("%s: the expected outputs differ from a fresh computation's\ngot:   %s\nfresh: %s", name, describeExpected(got), describeExpected(fresh))
		}
		if k%10 == 9 {
			if cold := load(t, mem, dir).Expected(); !reflect.DeepEqual(got, cold) {
				t.Errorf("%s: the expected outputs differ from a cold load's", name)
			}
		}
		checkExpectedPointers(t, name, q, got)
		if project.ExpectedPatched(q) {
			patched++
		}
		q.ForgetEarlier()
		p = q
	}
	// Only a key given up by the first plugin listing it, while a later
	// one also defines it, is computed afresh.
	if patched < steps*3/4 {
		t.Errorf("%d of %d edits patched, want most", patched, steps)
	}
}

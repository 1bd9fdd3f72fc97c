package analyzers

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"golang.org/x/tools/txtar"
)

// TestPluginModelFollowsEdits: a snapshot derives the plugin model from its
// parent's when every file changed since reads the same to it (modelSame)
// and builds it again otherwise. After each edit of a chain, applied to the
// snapshot before it as the server applies it, the model (with the
// positions its pointers reach) and every finding must be a cold load's,
// and the model must be derived exactly where the edit reads the same:
// a "same" that always says yes keeps a renamed plugin or a registration
// that moved; one that always says no fails the reused cases.
func TestPluginModelFollowsEdits(t *testing.T) {
	src := fixture.Memory(t, fixture.Fixture{Name: "shop", Base: "shop", Arch: &txtar.Archive{}})
	dir := src.Root()
	edits := []struct {
		name, path string
		old, new   string // both "": remove the file; "" old: a new file
		reused     bool
		// fresh are the whole-project passes (reportSince keys) whose
		// findings are computed again; the others are the parent's.
		fresh []any
	}{
		{"a line above a plugin", "src/server/plugins/users/index.ts", "export interface", "// moved down a line\nexport interface", true, nil},
		{"a service body", "src/server/plugins/orders/index.ts", "const db = ctx.db;\n", "const db = ctx.db;\n      const started = Date.now();\n", true, nil},
		{"a dependency added", "src/server/plugins/orders/index.ts", `["users", "books"]`, `["users", "books", "audit"]`, true, []any{dependenciesKey{}}},
		{"a dependency on no plugin", "src/server/plugins/orders/index.ts", `"audit"]`, `"audits"]`, true, []any{dependenciesKey{}}},
		{"a line above the plugin a finding suggests", "src/server/plugins/audit/index.ts", "export const auditPlugin", "// moved down a line\nexport const auditPlugin", true, []any{dependenciesKey{}}},
		{"a cycle", "src/server/plugins/books/index.ts", `name: "books",`, `name: "books",` + "\n    dependencies: [\"orders\"] as const,", true, []any{dependenciesKey{}}},
		{"a line above the cycle", "src/server/plugins/books/index.ts", "export const booksPlugin", "// moved down a line\nexport const booksPlugin", true, []any{dependenciesKey{}}},
		{"a line above a plugin without findings", "src/server/plugins/users/index.ts", "export interface", "// moved down a line\nexport interface", true, nil},
		{"the cycle broken", "src/server/plugins/books/index.ts", "\n    dependencies: [\"orders\"] as const,", "", true, []any{dependenciesKey{}}},
		{"a route uses a misspelt plugin", "src/server/routes/users.ts", "ctx.plugins.users.register(input)", "ctx.plugins.userz.register(input)", true, []any{staleClientKey{}}},
		{"a line above the plugin it suggests", "src/server/plugins/users/index.ts", "export interface", "// moved down a line\nexport interface", true, nil},
		{"the plugin spelt right", "src/server/routes/users.ts", "ctx.plugins.userz.register(input)", "ctx.plugins.users.register(input)", true, []any{staleClientKey{}}},
		{"a service method renamed", "src/server/plugins/books/index.ts", "async adjustStock(", "async adjustStocks(", true, nil},
		{"a line above the service", "src/server/plugins/books/index.ts", "async getMany(", "// moved down a line\n        async getMany(", true, nil},
		{"the method named back", "src/server/plugins/books/index.ts", "async adjustStocks(", "async adjustStock(", true, nil},
		{"a route file loses its plugin uses", "src/server/routes/admin.ts", "ctx.plugins.audit.recent(input.limit)", "[]", true, []any{staleClientKey{}}},
		{"a misspelt use in the next file", "src/server/routes/books.ts", "ctx.plugins.audit.record(", "ctx.plugins.audits.record(", true, []any{staleClientKey{}}},
		{"and the uses back", "src/server/routes/admin.ts", "[]", "ctx.plugins.audit.recent(input.limit)", true, []any{staleClientKey{}}},
		{"a line above the use", "src/server/routes/books.ts", "export const BookSchema", "// moved down a line\nexport const BookSchema", true, []any{staleClientKey{}}},
		{"the use spelt right", "src/server/routes/books.ts", "ctx.plugins.audits.record(", "ctx.plugins.audit.record(", true, []any{staleClientKey{}}},
		{"a handler key renamed", "src/server/plugins/books/index.ts", "csv: createHandler", "csv2: createHandler", true, []any{staleRegistryKey{}}},
		{"a middleware key renamed", "src/server/plugins/orders/index.ts", "authRequired: createMiddleware", "authNeeded: createMiddleware", true, []any{staleRegistryKey{}, dependenciesKey{}}},
		{"a plugin event added", "src/server/plugins/orders/index.ts", `"orders.item_backordered": z.object({`, `"orders.cancel_requested": z.object({ orderId: z.string() }),` + "\n      " + `"orders.item_backordered": z.object({`, true, []any{staleRegistryKey{}, dependenciesKey{}}},
		{"a service renamed", "src/server/services/pricing.ts", `defineService("pricing"`, `defineService("prices"`, true, []any{staleContextKey{}}},
		{"a line above the service", "src/server/services/pricing.ts", "export interface Quote", "// moved down a line\nexport interface Quote", true, []any{staleContextKey{}}},
		{"the service named back", "src/server/services/pricing.ts", `defineService("prices"`, `defineService("pricing"`, true, []any{staleContextKey{}}},
		{"an emit of no event", "src/server/plugins/books/index.ts", `emit("book.restocked"`, `emit("book.restockd"`, true, nil},
		{"a line above the emit", "src/server/plugins/books/index.ts", "export const booksPlugin", "// moved down a line\nexport const booksPlugin", true, []any{staleRegistryKey{}}},
		{"the emit spelt right", "src/server/plugins/books/index.ts", `emit("book.restockd"`, `emit("book.restocked"`, true, nil},
		{"a server event added", "src/server/events.ts", `  "user.registered": z.object({`, `  "user.deleted": z.object({ userId: z.string() }),` + "\n" + `  "user.registered": z.object({`, true, []any{staleEventsKey{}}},
		{"a line above the events", "src/server/events.ts", "export const events", "// moved down a line\nexport const events", true, []any{staleEventsKey{}}},
		{"an event's type changed", "src/server/events.ts", "quantity: z.number(),", "quantity: z.string(),", true, []any{staleEventsKey{}}},
		{"a comment in another file", "src/server/plugins/users/index.ts", "export interface", "// moved down a line\nexport interface", true, nil},
		{"the events back", "src/server/events.ts", `  "user.deleted": z.object({ userId: z.string() }),` + "\n", "", true, []any{staleEventsKey{}}},
		{"the type back", "src/server/events.ts", "quantity: z.string(),", "quantity: z.number(),", true, []any{staleEventsKey{}}},
		{"a column added by a migration", "src/server/plugins/orders/migrations/003_add_order_notes.ts", `.addColumn("notes", "text")`, `.addColumn("notes", "text").addColumn("gift", "text")`, true, nil},
		{"a migration's up in its default export", "src/server/plugins/orders/migrations/003_add_order_notes.ts", "export async function up(", "export default { up: async (db: Kysely<any>) => {} };\nasync function oldUp(", true, []any{unmountedKey{}}},
		{"a line above the default export", "src/server/plugins/orders/migrations/003_add_order_notes.ts", "// Gift messages", "// moved down a line\n// Gift messages", true, []any{unmountedKey{}}},
		{"up a named export again", "src/server/plugins/orders/migrations/003_add_order_notes.ts", "export default { up: async (db: Kysely<any>) => {} };\nasync function oldUp(", "export async function up(", true, []any{unmountedKey{}}},
		{"a comment in a schema", "src/server/plugins/orders/schema.ts", "export interface DB {", "// regenerated\nexport interface DB {", true, nil},
		{"the registry edited", ".@donkeylabs/server/registry.d.ts", "audit: Register", "audits: Register", true, []any{staleRegistryKey{}, staleRegistryGoneKey{}, staleRegistryPluginsKey{}}},
		{"the client edited", "src/lib/api.ts", "export namespace Routes {", "// stale\nexport namespace Routes {", true, []any{staleClientKey{}}},
		{"a route renamed", "src/server/routes/books.ts", `.route("list")`, `.route("all")`, true, []any{staleClientKey{}}},
		{"a line above a router", "src/server/routes/books.ts", "export const BookSchema", "// moved down a line\nexport const BookSchema", true, []any{staleClientKey{}}},
		{"a plugin renamed", "src/server/plugins/books/index.ts", `name: "books"`, `name: "bookz"`, false, []any{dependenciesKey{}, usesPassKey{}}},
		{"a line above the renamed plugin", "src/server/plugins/books/index.ts", "export const booksPlugin", "// moved down a line\nexport const booksPlugin", true, []any{staleRegistryKey{}}},
		{"and named back", "src/server/plugins/books/index.ts", `name: "bookz"`, `name: "books"`, false, []any{dependenciesKey{}, usesPassKey{}}},
		{"a plugin's export renamed", "src/server/plugins/audit/index.ts", "export const auditPlugin", "export const auditPlugin2", false, []any{staleRegistryGoneKey{}, staleClientKey{}, dependenciesKey{}, usesPassKey{}, staleContextKey{}}},
		{"and back", "src/server/plugins/audit/index.ts", "export const auditPlugin2", "export const auditPlugin", false, []any{staleRegistryGoneKey{}, staleClientKey{}, dependenciesKey{}, usesPassKey{}, staleContextKey{}}},
		{"a router unmounted", "src/server/index.ts", "server.use(adminRouter);\n", "", true, []any{unmountedKey{}, staleClientKey{}}},
		{"the last mount's statement ends later", "src/server/index.ts", "server.use(usersRouter);", "server.use(usersRouter) ;", true, nil},
		{"the router merged into another", "src/server/index.ts", "server.use(booksRouter);", "booksRouter.router(adminRouter);\nserver.use(booksRouter);", true, []any{unmountedKey{}, staleClientKey{}}},
		{"and not merged", "src/server/index.ts", "booksRouter.router(adminRouter);\n", "", true, []any{unmountedKey{}, staleClientKey{}}},
		{"and mounted back", "src/server/index.ts", "server.use(usersRouter) ;", "server.use(usersRouter);\nserver.use(adminRouter);", true, []any{unmountedKey{}, staleClientKey{}}},
		{"a registration removed", "src/server/index.ts", "server.registerPlugin(ordersPlugin);\n", "", false, []any{staleClientKey{}, unmountedKey{}}},
		{"and back", "src/server/index.ts", "server.registerPlugin(booksPlugin);\n", "server.registerPlugin(booksPlugin);\nserver.registerPlugin(ordersPlugin);\n", false, []any{staleClientKey{}, unmountedKey{}}},
		{"a registration's import moves", "src/server/index.ts", `"./plugins/users"`, `"./plugins/users/index"`, false, []any{staleClientKey{}, unmountedKey{}}},
		{"a line above the registrations", "src/server/index.ts", "const server = new AppServer", "// moved down a line\nconst server = new AppServer", true, []any{staleClientKey{}, unmountedKey{}}},
		{"a new file in a plugin folder", "src/server/plugins/orders/extra.ts", "", "export const extra = 1;\n", false, []any{staleEventsKey{}, staleRegistryKey{}, staleRegistryGoneKey{}, staleClientKey{}, dependenciesKey{}, staleContextKey{}}},
		{"the file removed", "src/server/plugins/orders/extra.ts", "", "", false, []any{staleEventsKey{}, staleRegistryKey{}, staleRegistryGoneKey{}, staleClientKey{}, dependenciesKey{}, staleContextKey{}}},
		{"a comment after the removal", "src/server/plugins/orders/index.ts", "const started = Date.now();\n", "const started = Date.now(); // edited\n", true, []any{staleRegistryKey{}, dependenciesKey{}}},
	}
	ctx := context.Background()
	p := loadShop(t, src)
	_ = Run(ctx, p)
	itemsBefore := map[any]int{}
	for _, e := range edits {
		path := filepath.Join(dir, filepath.FromSlash(e.path))
		switch {
		case e.old == "" && e.new == "":
			if err := src.Remove(path); err != nil {
				t.Fatal(err)
			}
			p = p.WithoutFile(path)
		default:
			var content string
			if b, err := src.ReadFile(path); err == nil {
				content = string(b)
			}
			if e.old != "" && !strings.Contains(content, e.old) {
				t.Fatalf("%s: %q not in %s", e.name, e.old, e.path)
			}
			content = strings.Replace(content, e.old, e.new, 1)
			if e.old == "" {
				content = e.new
			}
			if err := src.WriteFile(path, []byte(content)); err != nil {
				t.Fatal(err)
			}
			p = p.WithFile(path, []byte(content))
		}
		if p.NeedsReload() {
			t.Fatalf("%s: the edit needs a reload", e.name)
		}
		got := Run(ctx, p)
		cold := loadShop(t, src)
		if want := Run(ctx, cold); !slices.EqualFunc(got, want, func(a, b analysis.Finding) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
			t.Errorf("%s: findings differ from a cold load\nincremental: %v\ncold: %v", e.name, got, want)
		}
		if m, c := describeModel(pluginModelOf(p)), describeModel(pluginModelOf(cold)); m != c {
			t.Errorf("%s: the plugin model differs from a cold load's\nincremental:\n%s\ncold:\n%s", e.name, m, c)
		}
		if got, want := generatedPaths(p), cold.GeneratedPaths(); !slices.Equal(got, want) {
			t.Errorf("%s: the generated paths are %v, want %v", e.name, got, want)
		}
		if m := pluginModelOf(p); m.patched != e.reused {
			t.Errorf("%s: derived from the previous snapshot's model: %v, want %v", e.name, m.patched, e.reused)
		}
		// Item by item, every item but the edited one is the parent's
		// after an edit of an existing file that keeps the list of items
		// (items are matched by index), unless the edit is one every item
		// reads (listed in fresh).
		for _, key := range []any{staleSchemasKey{}, trapsPassKey{}, staleRegistryPluginsKey{}, usesPassKey{}, unmountedKey{}} {
			var reused, items, consulting int
			switch r := p.Memo(key, func() any { return nil }).(type) {
			case *eachResult[schemaItem]:
				reused, items = r.reused, len(r.items)
			case *eachResult[registryItem]:
				reused, items = r.reused, len(r.items)
			case *eachResult[unmountedItem]:
				reused, items = r.reused, len(r.items)
			case *eachResult[usesItem]:
				// A file's uses read the plugin files they consult too:
				// those items are checked again with the edited one.
				reused, items = r.reused, len(r.items)
				for _, it := range r.items {
					if slices.ContainsFunc(it.read[1:], func(f *facts.File) bool { return f.Path == path }) {
						consulting++
					}
				}
			case *eachResult[*facts.File]:
				reused, items = r.reused, len(r.items)
			default:
				t.Fatalf("%s: %T never ran", e.name, key)
			}
			if e.old != "" && items == itemsBefore[key] && reused < items-1-consulting && !slices.Contains(e.fresh, key) {
				t.Errorf("%s: %T took %d of %d items from the previous snapshot, want all but the edited one at most", e.name, key, reused, items)
			}
			itemsBefore[key] = items
		}
		for _, key := range []any{staleRegistryKey{}, staleRegistryGoneKey{}, staleClientKey{}, dependenciesKey{}, staleEventsKey{}, staleContextKey{}} {
			r, ok := p.Memo(key, func() any { return nil }).(*sinceResult)
			if !ok {
				t.Fatalf("%s: %T never ran", e.name, key)
			}
			if want := !slices.Contains(e.fresh, key); r.reused != want {
				t.Errorf("%s: %T reused the previous snapshot's findings: %v, want %v", e.name, key, r.reused, want)
			}
		}
	}
}

func loadShop(t *testing.T, src project.Source) *project.Project {
	t.Helper()
	p, err := project.Load(context.Background(), fixture.MemoryRoot(fixture.Fixture{Name: "shop"}), src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// describeModel writes out everything the model holds, with what its
// pointers reach of the facts (positions included), in a stable order.
func describeModel(m *pluginModel) string {
	var b strings.Builder
	def := func(d *pluginDef) string {
		if d == nil {
			return "<nil>"
		}
		if m.byDef[d.Def] != d {
			return "<not in byDef> " + d.Path
		}
		return fmt.Sprintf("%s %s %v deps=%v handlers=%v middleware=%v service=%v", d.Path, d.Name(), d.NameLoc(), d.Def.Dependencies, d.Def.HandlerKeys, d.Def.MiddlewareKeys, d.Def.ServiceRange)
	}
	for _, d := range m.defs {
		fmt.Fprintf(&b, "def %s editable=%v\n", def(d), editable(d.File))
	}
	for _, n := range m.sortedNames {
		for _, d := range m.byName[n] {
			fmt.Fprintf(&b, "name %s: %s\n", n, def(d))
		}
	}
	exports := slices.Sorted(func(yield func(string) bool) {
		for k := range m.byExport {
			if !yield(k) {
				return
			}
		}
	})
	for _, n := range exports {
		for _, d := range m.byExport[n] {
			fmt.Fprintf(&b, "export %s: %s\n", n, def(d))
		}
	}
	fmt.Fprintf(&b, "generator %v\n", m.genOrder)
	for _, d := range m.discovered {
		fmt.Fprintf(&b, "discovered %s\n", def(d))
	}
	for _, r := range m.regs {
		fmt.Fprintf(&b, "reg %s %s %v -> %s\n", r.Path, r.Reg.Ident, *r.Reg, def(r.Def))
	}
	for _, d := range m.defs {
		for _, r := range m.registered[d] {
			fmt.Fprintf(&b, "registered %s at %s %v\n", d.Path, r.Path, *r.Reg)
		}
	}
	// Every key of registered, not only those of defs: analyzers range
	// over it, and a key left from an earlier snapshot would be found.
	var keys []string
	for d := range m.registered {
		keys = append(keys, def(d))
	}
	slices.Sort(keys)
	fmt.Fprintf(&b, "registered keys %q\n", keys)
	fmt.Fprintf(&b, "universe=%x (hashed %x)\n", m.universeHash, m.universe(m.sortedNames))
	fmt.Fprintf(&b, "open=%v regsKnown=%v\n", m.open, m.regsKnown)
	return b.String()
}

// TestTypesMissingFollowsEdits: types-missing's findings are the parent
// snapshot's while every change reads the same to them (typesMissingSame).
// A plugin's schema.ts is removed, then its export moves and the schema is
// written again; after each step the findings must be a cold load's.
func TestTypesMissingFollowsEdits(t *testing.T) {
	src := fixture.Memory(t, fixture.Fixture{Name: "shop", Base: "shop", Arch: &txtar.Archive{}})
	dir := src.Root()
	schema := filepath.Join(dir, "src/server/plugins/orders/schema.ts")
	plugin := filepath.Join(dir, "src/server/plugins/orders/index.ts")
	saved, err := src.ReadFile(schema)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := loadShop(t, src)
	_ = Run(ctx, p)
	edit := func(path, old, new string) {
		t.Helper()
		b, err := src.ReadFile(path)
		if err != nil || !strings.Contains(string(b), old) {
			t.Fatalf("%q not in %s (%v)", old, path, err)
		}
		content := []byte(strings.Replace(string(b), old, new, 1))
		if err := src.WriteFile(path, content); err != nil {
			t.Fatal(err)
		}
		p = p.WithFile(path, content)
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"the schema removed", func() {
			if err := src.Remove(schema); err != nil {
				t.Fatal(err)
			}
			p = p.WithoutFile(schema)
		}},
		{"a comment in the plugin", func() { edit(plugin, "const db = ctx.db;\n", "const db = ctx.db; // edited\n") }},
		{"a line above the plugin's export", func() { edit(plugin, "export const ordersPlugin", "// moved down a line\nexport const ordersPlugin") }},
		{"the schema written again", func() {
			if err := src.WriteFile(schema, saved); err != nil {
				t.Fatal(err)
			}
			p = p.WithFile(schema, saved)
		}},
		{"another line above the export", func() { edit(plugin, "export const ordersPlugin", "// moved down a line\nexport const ordersPlugin") }},
	}
	for _, s := range steps {
		s.do()
		if p.NeedsReload() {
			t.Fatalf("%s: the edit needs a reload", s.name)
		}
		got := Run(ctx, p)
		want := Run(ctx, loadShop(t, src))
		if !slices.EqualFunc(got, want, func(a, b analysis.Finding) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
			t.Errorf("%s: findings differ from a cold load\nincremental: %v\ncold: %v", s.name, got, want)
		}
		if s.name == "the schema removed" && !slices.ContainsFunc(got, func(f analysis.Finding) bool { return f.Code == CodeTypesMissing }) {
			t.Fatalf("%s: no %s finding", s.name, CodeTypesMissing)
		}
	}
}

// TestEntryMidEditKeepsAnswering: while the server entry does not parse,
// its snapshot keeps the last good facts (keepLastGood), whose
// registrations are the parent's own, so the plugin model is patched with
// every registration replaced by itself. The analyzers must still return,
// and once the entry parses again their findings must be a cold load's.
func TestEntryMidEditKeepsAnswering(t *testing.T) {
	src := fixture.Memory(t, fixture.Fixture{Name: "shop", Base: "shop", Arch: &txtar.Archive{}})
	entry := filepath.Join(src.Root(), "src/server/index.ts")
	good, err := src.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := loadShop(t, src)
	want := Run(ctx, p)
	run := func(step string, p *project.Project) []analysis.Finding {
		t.Helper()
		done := make(chan []analysis.Finding, 1)
		go func() { done <- Run(ctx, p) }()
		select {
		case fs := <-done:
			return fs
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the analyzers did not return in 30 s", step)
			return nil
		}
	}
	for _, broken := range []string{string(good) + "\nconst unfinished = (\n", string(good) + "\nserver.registerPlugin(\n"} {
		if err := src.WriteFile(entry, []byte(broken)); err != nil {
			t.Fatal(err)
		}
		p = p.WithFile(entry, []byte(broken))
		if f := p.File(entry); f == nil || !f.StaleFacts {
			t.Fatalf("the broken entry does not carry its last good facts")
		}
		got := run("the entry broken", p)
		if !slices.EqualFunc(got, want, func(a, b analysis.Finding) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
			t.Errorf("the entry broken: findings are not the last good ones\ngot: %v\nwant: %v", got, want)
		}
	}
	if err := src.WriteFile(entry, good); err != nil {
		t.Fatal(err)
	}
	p = p.WithFile(entry, good)
	got := run("the entry mended", p)
	if !slices.EqualFunc(got, want, func(a, b analysis.Finding) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
		t.Errorf("the entry mended: findings differ from a cold load\ngot: %v\nwant: %v", got, want)
	}
}

package analyzers

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
		{"a dependency added", "src/server/plugins/orders/index.ts", `["users", "books"]`, `["users", "books", "audit"]`, true, nil},
		{"a dependency on no plugin", "src/server/plugins/orders/index.ts", `"audit"]`, `"audits"]`, true, nil},
		{"a handler key renamed", "src/server/plugins/books/index.ts", "csv: createHandler", "csv2: createHandler", true, []any{staleRegistryKey{}}},
		{"a middleware key renamed", "src/server/plugins/orders/index.ts", "authRequired: createMiddleware", "authNeeded: createMiddleware", true, []any{staleRegistryKey{}}},
		{"a plugin event added", "src/server/plugins/orders/index.ts", `"orders.item_backordered": z.object({`, `"orders.cancel_requested": z.object({ orderId: z.string() }),` + "\n      " + `"orders.item_backordered": z.object({`, true, []any{staleRegistryKey{}}},
		{"a column added by a migration", "src/server/plugins/orders/migrations/003_add_order_notes.ts", `.addColumn("notes", "text")`, `.addColumn("notes", "text").addColumn("gift", "text")`, true, nil},
		{"a comment in a schema", "src/server/plugins/orders/schema.ts", "export interface DB {", "// regenerated\nexport interface DB {", true, nil},
		{"the registry edited", ".@donkeylabs/server/registry.d.ts", "audit: Register", "audits: Register", true, []any{staleRegistryKey{}}},
		{"the client edited", "src/lib/api.ts", "export namespace Routes {", "// stale\nexport namespace Routes {", true, []any{staleClientKey{}}},
		{"a route renamed", "src/server/routes/books.ts", `.route("list")`, `.route("all")`, true, []any{staleClientKey{}}},
		{"a line above a router", "src/server/routes/books.ts", "export const BookSchema", "// moved down a line\nexport const BookSchema", true, []any{staleClientKey{}}},
		{"a plugin renamed", "src/server/plugins/books/index.ts", `name: "books"`, `name: "bookz"`, false, nil},
		{"and named back", "src/server/plugins/books/index.ts", `name: "bookz"`, `name: "books"`, false, nil},
		{"a plugin's export renamed", "src/server/plugins/audit/index.ts", "export const auditPlugin", "export const auditPlugin2", false, []any{staleRegistryKey{}, staleClientKey{}}},
		{"and back", "src/server/plugins/audit/index.ts", "export const auditPlugin2", "export const auditPlugin", false, []any{staleRegistryKey{}, staleClientKey{}}},
		{"a registration removed", "src/server/index.ts", "server.registerPlugin(ordersPlugin);\n", "", false, []any{staleClientKey{}}},
		{"and back", "src/server/index.ts", "server.registerPlugin(booksPlugin);\n", "server.registerPlugin(booksPlugin);\nserver.registerPlugin(ordersPlugin);\n", false, []any{staleClientKey{}}},
		{"a registration's import moves", "src/server/index.ts", `"./plugins/users"`, `"./plugins/users/index"`, false, []any{staleClientKey{}}},
		{"a line above the registrations", "src/server/index.ts", "const server = new AppServer", "// moved down a line\nconst server = new AppServer", true, []any{staleClientKey{}}},
		{"a new file in a plugin folder", "src/server/plugins/orders/extra.ts", "", "export const extra = 1;\n", false, []any{staleRegistryKey{}, staleClientKey{}}},
		{"the file removed", "src/server/plugins/orders/extra.ts", "", "", false, []any{staleRegistryKey{}, staleClientKey{}}},
		{"a comment after the removal", "src/server/plugins/orders/index.ts", "const started = Date.now();\n", "const started = Date.now(); // edited\n", true, []any{staleRegistryKey{}}},
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
		if m := pluginModelOf(p); m.patched != e.reused {
			t.Errorf("%s: derived from the previous snapshot's model: %v, want %v", e.name, m.patched, e.reused)
		}
		// Item by item, every item but the edited one is the parent's
		// after an edit of an existing file that keeps the list of items
		// (items are matched by index).
		for _, key := range []any{staleSchemasKey{}, trapsPassKey{}} {
			var reused, items int
			switch r := p.Memo(key, func() any { return nil }).(type) {
			case *eachResult[schemaItem]:
				reused, items = r.reused, len(r.items)
			case *eachResult[*facts.File]:
				reused, items = r.reused, len(r.items)
			default:
				t.Fatalf("%s: %T never ran", e.name, key)
			}
			if e.old != "" && items == itemsBefore[key] && reused < items-1 {
				t.Errorf("%s: %T took %d of %d items from the previous snapshot, want all but the edited one at most", e.name, key, reused, items)
			}
			itemsBefore[key] = items
		}
		for _, key := range []any{staleRegistryKey{}, staleClientKey{}} {
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
	fmt.Fprintf(&b, "open=%v regsKnown=%v\n", m.open, m.regsKnown)
	return b.String()
}

package facts_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/syntax"
	"github.com/donkeyls/donkeyls/internal/testenv"
	"golang.org/x/tools/txtar"
)

// example is a file of the fixtures' shop base (internal/fixture).
func example(t testing.TB, rel string) []byte {
	t.Helper()
	arch, err := txtar.ParseFile(filepath.Join(testenv.RepoRoot(), "internal", "fixture", "testdata", "shop.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range arch.Files {
		if f.Name == rel {
			return f.Data
		}
	}
	t.Fatalf("the shop base has no %s", rel)
	return nil
}

func extract(t testing.TB, path string, src []byte, kind facts.Kind) *facts.File {
	t.Helper()
	p := syntax.NewParser()
	defer p.Close()
	return facts.Extract(context.Background(), p, path, src, kind)
}

func names(keys []facts.Key) string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Name)
	}
	return strings.Join(out, ",")
}

func TestPluginFacts(t *testing.T) {
	f := extract(t, "orders/index.ts", example(t, "src/server/plugins/orders/index.ts"), facts.KindSource)
	if len(f.Plugins) != 1 {
		t.Fatalf("want 1 plugin, got %d", len(f.Plugins))
	}
	pl := f.Plugins[0]
	checks := []struct{ what, got, want string }{
		{"export", pl.ExportName, "ordersPlugin"},
		{"name", pl.Name, "orders"},
		{"dependencies", names(pl.Dependencies), "users,books"},
		{"middleware", names(pl.MiddlewareKeys), "authRequired"},
		{"events", names(pl.EventKeys), "orders.item_backordered"},
		{"generator export", f.Generator().PluginExport, "ordersPlugin"},
		{"generator middleware", strings.Join(f.Generator().MiddlewareKeys, ","), "authRequired"},
		// createPlugin followed by a newline defeats the generator's name regex.
		{"generator name", f.Generator().PluginName, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if !pl.DepsKnown || !pl.NameKnown || !pl.MiddlewareKnown || !pl.WithSchema {
		t.Errorf("flags: %+v", pl)
	}
	if len(pl.ServiceMethods) == 0 {
		t.Error("no service methods read")
	}
}

func TestRouteFacts(t *testing.T) {
	f := extract(t, "books.ts", example(t, "src/server/routes/books.ts"), facts.KindSource)
	byName := map[string]facts.Route{}
	for _, r := range f.Routes {
		byName[r.FullName] = r
	}
	for _, name := range []string{"books.list", "books.search", "books.get", "books.restock"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("route %s not found; have %v", name, byName)
		}
	}
	get := byName["books.get"]
	if get.Kind != "typed" || get.Handle == nil || get.Input == nil || get.Output == nil || get.Output.Ident != "BookSchema" {
		t.Errorf("books.get: %+v", get)
	}
	restock := byName["books.restock"]
	var plugins []string
	for _, u := range restock.CtxUses {
		if u.Member == "plugins" {
			plugins = append(plugins, u.Plugin+"."+u.Method)
		}
	}
	if strings.Join(plugins, " ") != "books.adjustStock audit.record" {
		t.Errorf("ctx.plugins uses: %v", plugins)
	}
	if !restock.Input.FieldsKnown || len(restock.Input.Fields) != 2 || restock.Input.Fields[1].Type != "number" {
		t.Errorf("restock input fields: %+v", restock.Input)
	}
}

func TestMigrationFacts(t *testing.T) {
	src := []byte("import { sql, type Kysely } from \"kysely\";\n" +
		"export async function up(db: Kysely<any>) {\n" +
		"  await db.schema.createTable(\"loans\").addColumn(\"id\", \"text\", (c) => c.primaryKey()).addColumn(\"due\", \"text\", (c) => c.notNull()).execute();\n" +
		"  await db.schema.alterTable(\"loans\").renameColumn(\"due\", \"due_at\").dropColumn(\"id\").execute();\n" +
		"  await sql`ALTER TABLE loans ADD COLUMN fee INTEGER NOT NULL DEFAULT 0`.execute(db);\n" +
		"  await db.schema.createIndex(\"loans_due\").on(\"loans\").column(\"due_at\").execute();\n" +
		"}\n")
	f := extract(t, "m.ts", src, facts.KindMigration)
	m := f.Migration
	if m == nil || !m.HasUp || len(m.Unknown) != 0 {
		t.Fatalf("migration: %+v", m)
	}
	if len(m.Ops) != 3 || m.Ops[0].Kind != facts.OpCreateTable || len(m.Ops[0].Add) != 2 || !m.Ops[0].Add[1].NotNull {
		t.Fatalf("ops: %+v", m.Ops)
	}
	if r := m.Ops[1].Rename; len(r) != 1 || r[0] != [2]string{"due", "due_at"} || m.Ops[1].Drop[0] != "id" {
		t.Errorf("alter: %+v", m.Ops[1])
	}
	if a := m.Ops[2].Add; len(a) != 1 || a[0].Name != "fee" || a[0].Type != "integer" || !a[0].NotNull {
		t.Errorf("raw sql: %+v", m.Ops[2])
	}
	loop := []byte("export async function up(db) {\n  for (const t of tables) { await db.schema.alterTable(t).addColumn(\"x\", \"text\").execute(); }\n}\n")
	if f := extract(t, "m.ts", loop, facts.KindMigration); len(f.Migration.Unknown) == 0 {
		t.Error("a loop over tables must be unknown, not ignored")
	}
}

// A syntax error inside one member must not make the others disappear, and
// what sits inside the error is unknown rather than absent.
func TestSyntaxErrorKeepsReadableFacts(t *testing.T) {
	src := []byte(`import { createPlugin, createHandler } from "@donkeylabs/server";
export const notesPlugin = createPlugin.define({
  name: "notes",
  handlers: { md: createHandler(async () => new Response("")) },
  service: async (ctx) => ({
    async save(text: string) { return ctx.db.insertInto("notes").values({ text }).execute( },
  }),
});
`)
	f := extract(t, "notes/index.ts", src, facts.KindSource)
	if !f.SyntaxErrors {
		t.Fatal("syntax error not noticed")
	}
	if f.Generator().PluginExport != "notesPlugin" || f.Generator().PluginName != "notes" {
		t.Errorf("generator view lost: %+v", f.Generator())
	}
	if len(f.Plugins) != 1 || f.Plugins[0].Name != "notes" || names(f.Plugins[0].HandlerKeys) != "md" {
		t.Fatalf("plugin facts lost: %+v", f.Plugins)
	}
	if f.Plugins[0].ServiceKnown {
		t.Error("service methods inside a syntax error must be unknown")
	}
}

func TestHostileInputs(t *testing.T) {
	huge := bytes.Repeat([]byte("export const a = { b: [1, 2, 3] };\n"), (10<<20)/36)
	deep := append(bytes.Repeat([]byte("f("), 50000), bytes.Repeat([]byte(")"), 50000)...)
	inputs := map[string][]byte{
		"empty":      {},
		"binary":     {0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 3},
		"latin1":     []byte("export const n = \"caf\xe9\"; export const usersPlugin = createPlugin.define({ name: \"caf\xe9\" });"),
		"half typed": []byte("export const usersPlugin = createPlugin.define({ name: \"us"),
		"deep":       deep,
		"huge 10MB":  huge,
		"only }":     bytes.Repeat([]byte("}"), 10000),
	}
	for name, src := range inputs {
		for _, kind := range []facts.Kind{facts.KindSource, facts.KindMigration, facts.KindConfig, facts.KindRegistry, facts.KindClient, facts.KindSchema, facts.KindEvents} {
			f := extract(t, name+".ts", src, kind)
			if f.Size != len(src) {
				t.Errorf("%s/%s: size %d", name, kind, f.Size)
			}
		}
	}
	if f := extract(t, "x.ts", huge, facts.KindSource); !f.Unreadable {
		t.Error("a 10 MB file is not analyzed but must be marked unreadable")
	}
	if f := extract(t, "x.ts", inputs["binary"], facts.KindSource); !f.Unreadable {
		t.Error("binary content must be marked unreadable")
	}
}

func FuzzExtract(f *testing.F) {
	for _, rel := range []string{
		"src/server/plugins/orders/index.ts", "src/server/routes/books.ts",
		"src/server/plugins/books/migrations/001_create_books.ts", "donkeylabs.config.ts",
		".@donkeylabs/server/registry.d.ts", "src/lib/api.ts", "src/server/events.ts",
	} {
		f.Add(example(f, rel), uint8(0))
	}
	f.Add([]byte("createPlugin.define({ handlers: { a: 1, ...x }, middleware: () => { return { b } } })"), uint8(0))
	f.Add([]byte(`r.route("a").typed({ handle: async (i, ctx) => ctx.db.selectFrom("t as x").innerJoin("u", "u.id", "x.u").select(["x.a", "b"]).where("x.c", "=", 1).execute() })`), uint8(0))
	f.Add([]byte(`api.books.list({}); api.a.b.c-d(); x.y(`), uint8(0))
	f.Add([]byte(`workflow("w").task("a", { next: "b", job: "j" }).choice("c", { choices: [{ next: 1 }, x], default: "d" }).loop("l", { target: "a" }); jobs.enqueue("j"); x.registerService(y); (r.route("n") as any).addHandler("k", {}); createPlugin.define({ customErrors: { E: { status: 1, code: "E" }, ...o } })`), uint8(0))
	f.Fuzz(func(t *testing.T, src []byte, k uint8) {
		kind := facts.Kind(int(k) % 10)
		file := extract(t, "fuzz.ts", src, kind)
		inBounds := func(r analysis.Range) {
			if int(r.Start.Offset) > len(src) || int(r.End.Offset) > len(src) || r.Start.Offset > r.End.Offset {
				t.Fatalf("range out of bounds: %+v (len %d)", r, len(src))
			}
		}
		for _, u := range file.TableUses() {
			inBounds(u.Range)
		}
		for _, c := range file.ClientCalls {
			if len(c.Segs) < 2 {
				t.Fatalf("client call with %d segments", len(c.Segs))
			}
			for _, s := range c.Segs {
				inBounds(s.Range)
			}
		}
		for _, pl := range file.Plugins {
			for _, key := range pl.HandlerKeys {
				if int(key.Range.Start.Offset) > len(src) || int(key.Range.End.Offset) > len(src) || key.Range.Start.Offset > key.Range.End.Offset {
					t.Fatalf("range out of bounds: %+v (len %d)", key.Range, len(src))
				}
			}
		}
	})
}

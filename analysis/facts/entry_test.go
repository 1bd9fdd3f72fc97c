package facts_test

import (
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

func TestEntryRunFacts(t *testing.T) {
	src := `import { AppServer } from "@donkeylabs/server";
export { adminRouter as admin } from "./admin";
export * from "./more";
export { server };
const server = new AppServer({ db });
const api = createRouter("api");
const users = api.router("users");
users.route("list").typed({ handle: async () => [] });
api.router(otherRouter);
server.use(api);
server.use(createRouter("inline").route("x").typed({ handle: async () => 1 }));
console.log("import time");
console.error("stderr is fine");
console.log();
function later() { console.log("never at import"); }
server.onReady(() => console.info("after start"));
if (!globalThis.started) {
  await server.start();
  console.log("after start: generate mode has exited");
}
console.debug("still import time");
`
	f := extract(t, "src/server/index.ts", []byte(src), facts.KindSource)
	if len(f.Servers()) != 1 || f.Servers()[0].Name != "server" {
		t.Errorf("servers: %+v", f.Servers())
	}
	var mounts []string
	for _, m := range f.Mounts() {
		mounts = append(mounts, m.Method+":"+m.Receiver+":"+m.Ident)
		if m.Inline && m.Ident != "" {
			t.Errorf("inline mount with ident %+v", m)
		}
	}
	if got, want := len(mounts), 3; got != want {
		t.Fatalf("mounts %v, want %d", mounts, want)
	}
	if mounts[0] != "router:api:otherRouter" || mounts[1] != "use:server:api" || mounts[2] != "use:server:" || !f.Mounts()[2].Inline {
		t.Errorf("mounts %v", mounts)
	}
	var child *facts.Router
	for i := range f.Routers {
		if f.Routers[i].Var == "users" {
			child = &f.Routers[i]
		}
	}
	if child == nil || child.Prefix != "api.users" || child.Parent != "api" || !child.PrefixKnown {
		t.Fatalf("child router: %+v", child)
	}
	for _, r := range f.Routes {
		if r.Name == "list" && (r.FullName != "api.users.list" || !r.PrefixKnown) {
			t.Errorf("route on child router: %+v", r)
		}
	}
	var writes []string
	for _, w := range f.StdoutWrites() {
		writes = append(writes, textAt(t, src, w.Range))
	}
	if len(writes) != 2 || writes[0] != `console.log("import time")` || writes[1] != `console.debug("still import time")` {
		t.Errorf("stdout writes at import time: %q", writes)
	}
	if len(f.ReExports) != 3 {
		t.Fatalf("re-exports: %+v", f.ReExports)
	}
	if re := f.ReExports[0]; re.Spec != "./admin" || len(re.Names) != 1 || re.Names[0].Name != "adminRouter" || re.Names[0].Alias != "admin" {
		t.Errorf("named re-export: %+v", re)
	}
	if re := f.ReExports[1]; !re.Star || re.Spec != "./more" {
		t.Errorf("star re-export: %+v", re)
	}
	if re := f.ReExports[2]; re.Spec != "" || re.Names[0].Name != "server" {
		t.Errorf("local export: %+v", re)
	}
}

// Optionality as the server's zod-to-ts gives it: only an outermost
// ZodOptional makes the property optional. Verified for the first row with
// the real generator (cli 2.3.0, zod 3.25): `limit: number;` in the client.
func TestZodFieldOptionalityFollowsTheOutermostSchema(t *testing.T) {
	cases := []struct {
		schema   string
		optional bool
		typ      string
	}{
		{`z.number().optional().default(10)`, false, "number"},
		{`z.number().default(10).optional()`, true, "number"},
		{`z.string().optional()`, true, "string"},
		{`z.string().optional().describe("q")`, true, "string"},
		{`z.optional(z.string())`, true, ""},
		{`z.string().nullish()`, true, ""},
		{`z.string().optional().nullable()`, false, ""},
		{`z.string().optional().transform((s) => s)`, false, "string"},
		{`z.string().optional().refine((s) => true)`, false, "string"},
		{`z.string().min(1)`, false, "string"},
		{`z.string().optional().catch("x")`, false, ""},
	}
	for _, c := range cases {
		src := "r.route(\"x\").typed({ input: z.object({ f: " + c.schema + " }), handle: async () => 1 });\n"
		f := extract(t, "src/server/routes/x.ts", []byte(src), facts.KindSource)
		if len(f.Routes) != 1 || f.Routes[0].Input == nil || len(f.Routes[0].Input.Fields) != 1 {
			t.Fatalf("%s: no field read", c.schema)
		}
		got := f.Routes[0].Input.Fields[0]
		if got.Optional != c.optional || got.Type != c.typ {
			t.Errorf("%s: optional=%v type=%q, want optional=%v type=%q", c.schema, got.Optional, got.Type, c.optional, c.typ)
		}
	}
}

// Which part of the generator's name regex fails decides what the trap
// says and which fix it offers.
func TestPluginNameMiss(t *testing.T) {
	cases := []struct {
		src  string
		want facts.NameMiss
	}{
		{"export const booksPlugin = createPlugin\n  .withSchema<DB>()\n  .define({\n    name: \"books\",\n  });\n", facts.MissNoDot},
		{"export const booksPlugin = createPlugin.withConfig<{ a: string }>().define({ name: \"books\" });\n", facts.MissChain},
		{"export const booksPlugin = createPlugin.define({ events: { x: 1 }, name: \"books\" });\n", facts.MissBrace},
		{"export const booksPlugin = createPlugin.define({ name: \"book-shop\" });\n", facts.MissNotWord},
		{"export const booksPlugin = createPlugin.withSchema<DB>().define({ name: \"books\" });\n", facts.MissNone},
	}
	for _, c := range cases {
		f := extract(t, "src/server/plugins/shop/index.ts", []byte(c.src), facts.KindSource)
		if got := f.Generator().PluginNameMiss; got != c.want {
			t.Errorf("%q: miss %d, want %d", c.src, got, c.want)
		}
	}
}

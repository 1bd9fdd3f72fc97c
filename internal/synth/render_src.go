package synth

import (
	"fmt"
	"strings"
)

func (p *project) render() []File {
	var files []File
	add := func(path, content string) { files = append(files, File{Path: path, Content: []byte(content)}) }

	add("donkeylabs.config.ts", p.config())
	add("package.json", p.packageJSON())
	add("tsconfig.json", tsconfigJSON)
	add("bun.lock", p.bunLock())
	add(".gitignore", "node_modules/\ndata/\n.donkeylabs/\n.temp_schema_*.db\n")
	add("src/server/db.ts", dbTS)
	add("src/server/index.ts", p.entry())
	if len(p.events) > 0 {
		add("src/server/events.ts", p.eventsSource())
	}
	for _, s := range p.services {
		add(s.file, metricsServiceTS)
	}
	for _, pl := range p.plugins {
		dir := "src/server/plugins/" + pl.name + "/"
		add(dir+"index.ts", pl.source())
		for _, m := range pl.migrations {
			add(dir+"migrations/"+m.file, pl.migrationSource(m))
		}
		if pl.hasSchema() {
			add(dir+"schema.ts", pl.schemaTS())
		}
	}
	for _, r := range p.routers {
		add(r.file, r.source(p))
	}

	out := ".@donkeylabs/server/"
	add(out+"registry.d.ts", p.registryDTS())
	add(out+"context.d.ts", p.contextDTS())
	add(out+"routes.ts", routesTS)
	add(out+"events.ts", p.eventsTS())
	add(out+"processes.ts", processesTS)
	if p.opts.Adapter {
		add("src/lib/api.ts", p.client())
	}
	return files
}

func (p *project) config() string {
	var b strings.Builder
	b.WriteString(`import { defineConfig } from "@donkeylabs/server";

export default defineConfig({
  plugins: ["./src/server/plugins/**/index.ts"],
  routes: "./src/server/routes/**/*.ts",
  outDir: ".@donkeylabs/server",
  entry: "./src/server/index.ts",
`)
	if p.opts.Adapter {
		b.WriteString(`  adapter: "@donkeylabs/adapter-sveltekit",
  client: {
    output: "./src/lib/api.ts",
  },
`)
	}
	b.WriteString("});\n")
	return b.String()
}

func (p *project) name() string {
	return fmt.Sprintf("synthetic-%dp-%dr", p.opts.Plugins, p.opts.Routes)
}

func (p *project) packageJSON() string {
	adapter := ""
	if p.opts.Adapter {
		adapter = "    \"@donkeylabs/adapter-sveltekit\": \"^2.0.17\",\n"
	}
	return `{
  "name": "` + p.name() + `",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "scripts": {
    "dev": "bun --watch run src/server/index.ts",
    "start": "bun run src/server/index.ts",
    "gen:types": "donkeylabs generate",
    "typecheck": "tsc --noEmit"
  },
  "dependencies": {
` + adapter + `    "@donkeylabs/server": "^2.5.1",
    "kysely": "^0.27.6",
    "zod": "^3.24.0"
  },
  "devDependencies": {
    "@donkeylabs/cli": "^2.3.0",
    "@types/bun": "latest",
    "typescript": "^5.9.3"
  }
}
`
}

const tsconfigJSON = `{
  "compilerOptions": {
    "target": "ESNext",
    "module": "ESNext",
    "moduleResolution": "bundler",
    "lib": ["ESNext", "DOM", "DOM.Iterable"],
    "strict": true,
    "noEmit": true,
    "skipLibCheck": true,
    "esModuleInterop": true,
    "forceConsistentCasingInFileNames": true,
    "resolveJsonModule": true,
    "allowImportingTsExtensions": true
  },
  "include": [
    "donkeylabs.config.ts",
    ".@donkeylabs/server/**/*.ts",
    "src/**/*.ts"
  ]
}
`

func (p *project) bunLock() string {
	adapter := ""
	if p.opts.Adapter {
		adapter = "        \"@donkeylabs/adapter-sveltekit\": \"^2.0.17\",\n"
	}
	return `{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "` + p.name() + `",
      "dependencies": {
` + adapter + `        "@donkeylabs/server": "^2.5.1",
        "kysely": "^0.27.6",
        "zod": "^3.24.0",
      },
      "devDependencies": {
        "@donkeylabs/cli": "^2.3.0",
        "@types/bun": "latest",
        "typescript": "^5.9.3",
      },
    },
  },
  "packages": {
    "kysely": ["kysely@0.27.6", "", {}, "sha512-FIyV/64EkKhJmjgC0g2hygpBv5RNWVPyNCqSAD7eTCv6eFWNIi4PN1UvdSJGicN/o35bnevgis4Y0UDC0qi8jQ=="],

    "typescript": ["typescript@5.9.3", "", { "bin": { "tsc": "bin/tsc", "tsserver": "bin/tsserver" } }, "sha512-jl1vZzPDinLr9eUt3J/t7V6FgNEw9QjvBPdysz9KfQDD41fQrC2Y4vKQdiaUpFT4bXlb1RHhLpp8wtm6M5TgSw=="],

    "zod": ["zod@3.25.76", "", {}, "sha512-gzUt/qt81nXsFGKIFcC3YnfEAx5NkunCfnDlvuBSSFS02bcXu4Lmea0AFIUwbLWxWPx3d9p8S5QoaujKcNQxcQ=="],
  }
}
`
}

const dbTS = `import { Kysely, SqliteDialect } from "kysely";
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

const dbPath = process.env.DATABASE_URL || "./data/app.db";

if (dbPath !== ":memory:") {
  mkdirSync(dirname(dbPath), { recursive: true });
}

export const db = new Kysely<any>({
  dialect: new SqliteDialect({
    database: new Database(dbPath),
  }),
});
`

const metricsServiceTS = `import { defineService } from "@donkeylabs/server";

export const metricsService = defineService("metrics", async (ctx) => {
  const startedAt = Date.now();
  let requests = 0;

  return {
    hit(): number {
      requests += 1;
      return requests;
    },
    uptimeSeconds(): number {
      return Math.round((Date.now() - startedAt) / 1000);
    },
  };
});
`

func (p *project) entry() string {
	var b strings.Builder
	b.WriteString("import { AppServer } from \"@donkeylabs/server\";\nimport { db } from \"./db\";\n\n")
	for _, pl := range p.plugins {
		fmt.Fprintf(&b, "import { %s } from \"./plugins/%s\";\n", pl.export, pl.name)
	}
	b.WriteString("\n")
	for _, s := range p.services {
		fmt.Fprintf(&b, "import { %s } from \"./services/%s\";\n", s.export, s.name)
	}
	if len(p.services) > 0 {
		b.WriteString("\n")
	}
	for _, r := range p.routers {
		fmt.Fprintf(&b, "import { %s } from \"./routes/%s\";\n", r.varName, r.prefix)
	}
	if len(p.routers) > 0 {
		b.WriteString("\n")
	}
	b.WriteString(`const server = new AppServer({
  port: Number(process.env.PORT ?? 3000),
  db,
  logger: {
    level: process.env.NODE_ENV === "production" ? "info" : "debug",
    format: process.env.NODE_ENV === "production" ? "json" : "pretty",
  },
});

`)
	for _, pl := range p.plugins {
		if pl.withConfig {
			fmt.Fprintf(&b, "server.registerPlugin(%s({ pageSize: 25 }));\n", pl.export)
		} else {
			fmt.Fprintf(&b, "server.registerPlugin(%s);\n", pl.export)
		}
	}
	if len(p.plugins) > 0 {
		b.WriteString("\n")
	}
	for _, s := range p.services {
		fmt.Fprintf(&b, "server.registerService(%s);\n", s.export)
	}
	if len(p.services) > 0 {
		b.WriteString("\n")
	}
	for _, r := range p.routers {
		fmt.Fprintf(&b, "server.use(%s);\n", r.varName)
	}
	if len(p.routers) > 0 {
		b.WriteString("\n")
	}
	b.WriteString(`server.onReady((ctx) => {
  ctx.core.logger.info("server ready", { plugins: Object.keys(ctx.plugins).length });
});

await server.start();
`)
	return b.String()
}

func (p *project) eventsSource() string {
	var b strings.Builder
	b.WriteString("import { defineEvents } from \"@donkeylabs/server\";\nimport { z } from \"zod\";\n\nexport const events = defineEvents({\n")
	for _, e := range p.events {
		fmt.Fprintf(&b, "  %q: z.object({\n    id: z.string(),\n    name: z.string(),\n  }),\n", e.name)
	}
	b.WriteString("});\n")
	return b.String()
}

// ---------------------------------------------------------------------------
// Plugins
// ---------------------------------------------------------------------------

type field struct {
	col      string // column name, "" for in-memory plugins
	name     string // camelCase property
	ts       string // TypeScript type
	zod      *zt
	required bool // in the create input
}

// fields are the domain object's properties, in column order.
func (pl *plugin) fields() []field {
	if !pl.hasSchema() {
		return []field{
			{name: "id", ts: "string", zod: zString()},
			{name: "name", ts: "string", zod: zString(), required: true},
			{name: "createdAt", ts: "string", zod: zString()},
		}
	}
	var fs []field
	for _, c := range pl.main.columns {
		f := field{col: c.name, name: camelFromSnake(c.name), ts: c.tsType()}
		if c.sqlType == "text" {
			f.zod = zString()
		} else {
			f.zod = zNumber()
		}
		if !c.notNull {
			f.ts += " | null"
			f.zod = &zt{kind: f.zod.kind, nullable: true}
		}
		f.required = c.notNull && !c.hasDflt && !c.pk
		fs = append(fs, f)
	}
	return fs
}

func (pl *plugin) configType() string { return serverPascal(pl.name) + "Config" }

func (pl *plugin) source() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	fs := pl.fields()
	rowType := kyselyPascal(pl.name)

	w("/**\n * %s plugin: %s records and their lookups.\n */\n\n", upperFirst(pl.name), pl.singular)
	imports := []string{}
	if len(pl.handlerKeys) > 0 {
		imports = append(imports, "createHandler")
	}
	if len(pl.middlewareKeys) > 0 {
		imports = append(imports, "createMiddleware")
	}
	imports = append(imports, "createPlugin")
	if len(pl.handlerKeys) > 0 {
		imports = append(imports, "type ServerContext")
	}
	w("import { %s } from \"@donkeylabs/server\";\n", strings.Join(imports, ", "))
	if pl.hasSchema() {
		w("import type { Selectable } from \"kysely\";\n")
		w("import type { DB, %s } from \"./schema\";\n", rowType)
	}
	w("\nexport interface %s {\n", pl.entity)
	for _, f := range fs {
		w("  %s: %s;\n", f.name, f.ts)
	}
	w("}\n\nexport interface Create%sInput {\n", pl.entity)
	for _, f := range fs {
		if f.required {
			w("  %s: %s;\n", f.name, f.ts)
		}
	}
	w("}\n")
	if pl.withConfig {
		w("\nexport interface %s {\n  pageSize: number;\n}\n", pl.configType())
	}
	if len(pl.handlerKeys) > 0 {
		w("\n/** A route handler that streams %s records as newline-delimited JSON. */\n", pl.singular)
		w("export type %sFeedFn = (input: Record<string, string>, ctx: ServerContext) => Promise<%s[]>;\n", pl.entity, pl.entity)
	}
	if pl.hasSchema() {
		w("\nfunction to%s(row: Selectable<%s>): %s {\n  return {\n", pl.entity, rowType, pl.entity)
		for _, f := range fs {
			w("    %s: row.%s,\n", f.name, f.col)
		}
		w("  };\n}\n")
	}

	w("\nexport const %s = createPlugin", pl.export)
	if pl.hasSchema() {
		w("\n  .withSchema<DB>()")
	}
	if pl.withConfig {
		w("\n  .withConfig<%s>()", pl.configType())
	}
	w("\n  .define({\n    name: %q,\n    version: %q,\n", pl.name, pl.version)
	if len(pl.deps) > 0 {
		q := make([]string, len(pl.deps))
		for i, d := range pl.deps {
			q[i] = fmt.Sprintf("%q", d.name)
		}
		w("    dependencies: [%s] as const,\n", strings.Join(q, ", "))
	}
	if len(pl.handlerKeys) > 0 {
		w("\n    handlers: {\n")
		for _, k := range pl.handlerKeys {
			w("      %s: createHandler<%sFeedFn>(async (req, _def, handle, ctx) => {\n", k, pl.entity)
			w("        const params = Object.fromEntries(new URL(req.url).searchParams);\n")
			w("        const rows = await handle(params, ctx);\n")
			w("        return new Response(rows.map((r) => JSON.stringify(r)).join(\"\\n\"), {\n")
			w("          headers: { \"Content-Type\": \"application/x-ndjson\" },\n        });\n      }),\n")
		}
		w("    },\n")
	}
	w("\n    service: async (ctx) => {\n")
	if pl.hasSchema() {
		pl.writeDBService(w, fs)
	} else {
		pl.writeMemoryService(w, fs)
	}
	w("    },\n")
	if len(pl.middlewareKeys) > 0 {
		w("\n    middleware: (ctx, service) => ({\n")
		for _, k := range pl.middlewareKeys {
			w("      %s: createMiddleware(async (req, reqCtx, next) => {\n", k)
			w("        if (!req.headers.get(\"authorization\")) {\n")
			w("          throw reqCtx.errors.Unauthorized(\"Missing credentials\");\n        }\n")
			w("        return next();\n      }),\n")
		}
		w("    }),\n")
	}
	w("  });\n")
	if pl.hasSchema() {
		w("\nexport type { DB } from \"./schema\";\n")
	}
	return b.String()
}

func (pl *plugin) defaultLimit() string {
	if pl.withConfig {
		return "ctx.config.pageSize"
	}
	return "50"
}

func (pl *plugin) summaryType() string {
	parts := []string{"total: number"}
	for _, d := range pl.deps {
		parts = append(parts, d.name+": number")
	}
	return "{ " + strings.Join(parts, "; ") + " }"
}

func (pl *plugin) writeSummary(w func(string, ...any)) {
	w("        async summary(): Promise<%s> {\n", pl.summaryType())
	w("          return {\n            total: await countAll(),\n")
	for _, d := range pl.deps {
		w("            %s: await ctx.deps.%s.count(),\n", d.name, d.name)
	}
	w("          };\n        },\n")
}

func (pl *plugin) writeEmit(w func(string, ...any), row string) {
	if pl.emitsEvent {
		w("          await ctx.core.events.emit(%q, { id: %s.id, name: %s.name });\n", pl.name+".created", row, row)
	}
}

func (pl *plugin) writeDBService(w func(string, ...any), fs []field) {
	t := pl.name
	w("      const db = ctx.db;\n\n")
	w("      async function countAll(): Promise<number> {\n")
	w("        const row = await db\n          .selectFrom(%q)\n          .select((eb) => [eb.fn.countAll<number>().as(\"total\")])\n          .executeTakeFirstOrThrow();\n", t)
	w("        return Number(row.total);\n      }\n\n")
	w("      return {\n")
	w("        async list(limit = %s): Promise<%s[]> {\n", pl.defaultLimit(), pl.entity)
	w("          const rows = await db\n            .selectFrom(%q)\n            .selectAll()\n            .orderBy(\"created_at\", \"desc\")\n            .limit(limit)\n            .execute();\n", t)
	w("          return rows.map(to%s);\n        },\n\n", pl.entity)
	w("        async search(query: string): Promise<%s[]> {\n", pl.entity)
	w("          const rows = await db\n            .selectFrom(%q)\n            .selectAll()\n            .where(\"name\", \"like\", `%%${query}%%`)\n            .limit(20)\n            .execute();\n", t)
	w("          return rows.map(to%s);\n        },\n\n", pl.entity)
	w("        async getById(id: string): Promise<%s | null> {\n", pl.entity)
	w("          const row = await db.selectFrom(%q).selectAll().where(\"id\", \"=\", id).executeTakeFirst();\n", t)
	w("          return row ? to%s(row) : null;\n        },\n\n", pl.entity)
	w("        async create(input: Create%sInput): Promise<%s> {\n", pl.entity, pl.entity)
	w("          const row = await db\n            .insertInto(%q)\n            .values({\n              id: crypto.randomUUID(),\n", t)
	for _, f := range fs {
		if f.required {
			w("              %s: input.%s,\n", f.col, f.name)
		}
	}
	w("            })\n            .returningAll()\n            .executeTakeFirstOrThrow();\n")
	pl.writeEmit(w, "row")
	w("          return to%s(row);\n        },\n\n", pl.entity)
	w("        count: countAll,\n\n")
	w("        async remove(id: string): Promise<boolean> {\n")
	w("          const result = await db.deleteFrom(%q).where(\"id\", \"=\", id).executeTakeFirst();\n", t)
	w("          return result.numDeletedRows > 0n;\n        },\n\n")
	pl.writeSummary(w)
	w("      };\n")
}

func (pl *plugin) writeMemoryService(w func(string, ...any), fs []field) {
	w("      // Kept in memory: this plugin has no tables.\n")
	w("      const items = new Map<string, %s>();\n\n", pl.entity)
	w("      async function countAll(): Promise<number> {\n        return items.size;\n      }\n\n")
	w("      return {\n")
	w("        async list(limit = %s): Promise<%s[]> {\n", pl.defaultLimit(), pl.entity)
	w("          return [...items.values()].slice(0, limit);\n        },\n\n")
	w("        async search(query: string): Promise<%s[]> {\n", pl.entity)
	w("          return [...items.values()].filter((item) => item.name.includes(query)).slice(0, 20);\n        },\n\n")
	w("        async getById(id: string): Promise<%s | null> {\n", pl.entity)
	w("          return items.get(id) ?? null;\n        },\n\n")
	w("        async create(input: Create%sInput): Promise<%s> {\n", pl.entity, pl.entity)
	w("          const item: %s = { id: crypto.randomUUID(), name: input.name, createdAt: new Date().toISOString() };\n", pl.entity)
	w("          items.set(item.id, item);\n")
	pl.writeEmit(w, "item")
	w("          return item;\n        },\n\n")
	w("        count: countAll,\n\n")
	w("        async remove(id: string): Promise<boolean> {\n          return items.delete(id);\n        },\n\n")
	pl.writeSummary(w)
	w("      };\n")
}

func (pl *plugin) migrationSource(m migration) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("import type { Kysely } from \"kysely\";\n\nexport async function up(db: Kysely<any>): Promise<void> {\n")
	var down string
	switch m.kind {
	case migCreateMain:
		writeCreateTable(w, pl.main.name, pl.main.columns[:len(pl.main.columns)-len(pl.extraCols)])
		down = fmt.Sprintf("  await db.schema.dropTable(%q).ifExists().execute();\n", pl.main.name)
	case migCreateNotes:
		writeCreateTable(w, pl.notes.name, pl.notes.columns)
		down = fmt.Sprintf("  await db.schema.dropTable(%q).ifExists().execute();\n", pl.notes.name)
	case migAddColumn:
		w("  await db.schema\n    .alterTable(%q)\n    .addColumn(%q, %q%s)\n    .execute();\n", pl.main.name, m.col.name, m.col.sqlType, columnBuilder(m.col))
		down = fmt.Sprintf("  await db.schema.alterTable(%q).dropColumn(%q).execute();\n", pl.main.name, m.col.name)
	case migIndex:
		idx := fmt.Sprintf("idx_%s_created_at_%s", pl.main.name, m.file[:3])
		w("  await db.schema\n    .createIndex(%q)\n    .ifNotExists()\n    .on(%q)\n    .column(\"created_at\")\n    .execute();\n", idx, pl.main.name)
		down = fmt.Sprintf("  await db.schema.dropIndex(%q).ifExists().execute();\n", idx)
	}
	w("}\n\nexport async function down(db: Kysely<any>): Promise<void> {\n%s}\n", down)
	return b.String()
}

func writeCreateTable(w func(string, ...any), name string, cols []*column) {
	w("  await db.schema\n    .createTable(%q)\n    .ifNotExists()\n", name)
	for _, c := range cols {
		w("    .addColumn(%q, %q%s)\n", c.name, c.sqlType, columnBuilder(c))
	}
	w("    .execute();\n")
}

func columnBuilder(c *column) string {
	var calls []string
	if c.pk {
		calls = append(calls, "primaryKey()")
	}
	if c.autoInc {
		calls = append(calls, "autoIncrement()")
	}
	if c.notNull {
		calls = append(calls, "notNull()")
	}
	if c.hasDflt {
		calls = append(calls, "defaultTo("+c.dfltExpr+")")
	}
	if len(calls) == 0 {
		return ""
	}
	return ", (col) => col." + strings.Join(calls, ".")
}

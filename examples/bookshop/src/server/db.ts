import { Kysely, SqliteDialect } from "kysely";
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

// Plugins bring their own typed schema (createPlugin.withSchema<DB>()), so
// the server-wide instance stays untyped.
const dbPath = process.env.DATABASE_URL || "./data/bookshop.db";

if (dbPath !== ":memory:") {
  mkdirSync(dirname(dbPath), { recursive: true });
}

export const db = new Kysely<any>({
  dialect: new SqliteDialect({
    database: new Database(dbPath),
  }),
});

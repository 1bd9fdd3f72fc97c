import type { Kysely } from "kysely";

// Gift messages and delivery instructions typed at checkout.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("orders").addColumn("notes", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("orders").dropColumn("notes").execute();
}

/**
 * Users plugin: customer accounts and staff logins.
 */

import { createPlugin } from "@donkeylabs/server";
import type { Selectable } from "kysely";
import type { DB, Users } from "./schema";

export type Role = "customer" | "staff";

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

function toUser(row: Selectable<Users>): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role === "staff" ? "staff" : "customer",
    createdAt: row.created_at,
  };
}

export const usersPlugin = createPlugin
  .withSchema<DB>()
  .define({
    name: "users",
    version: "1.2.0",

    service: async (ctx) => {
      const db = ctx.db;

      return {
        async getById(id: string): Promise<User | null> {
          const row = await db
            .selectFrom("users")
            .selectAll()
            .where("id", "=", id)
            .executeTakeFirst();
          return row ? toUser(row) : null;
        },

        async getByEmail(email: string): Promise<User | null> {
          const row = await db
            .selectFrom("users")
            .selectAll()
            .where("email", "=", email.trim().toLowerCase())
            .executeTakeFirst();
          return row ? toUser(row) : null;
        },

        async register(input: { email: string; name: string; password: string }): Promise<User> {
          const row = await db
            .insertInto("users")
            .values({
              id: crypto.randomUUID(),
              email: input.email.trim().toLowerCase(),
              name: input.name,
              password_hash: await Bun.password.hash(input.password),
            })
            .returningAll()
            .executeTakeFirstOrThrow();

          await ctx.core.events.emit("user.registered", { userId: row.id, email: row.email });
          return toUser(row);
        },

        async list(limit = 50): Promise<User[]> {
          const rows = await db
            .selectFrom("users")
            .selectAll()
            .orderBy("created_at", "desc")
            .limit(limit)
            .execute();
          return rows.map(toUser);
        },
      };
    },
  });

export type { DB } from "./schema";

/**
 * Books plugin: the catalogue, stock levels and catalogue exports.
 */

import { createHandler, createPlugin, type ServerContext } from "@donkeylabs/server";
import type { Selectable } from "kysely";
import type { Books, DB } from "./schema";

export interface Book {
  id: string;
  isbn: string;
  title: string;
  author: string;
  priceCents: number;
  publishedYear: number | null;
  stock: number;
}

export interface ListBooksParams {
  author?: string;
  search?: string;
  limit?: number;
}

/** A route handler that turns rows into a downloadable file. */
export type ExportFn = (input: Record<string, string>, ctx: ServerContext) => Promise<Record<string, unknown>[]>;

function toBook(row: Selectable<Books>): Book {
  return {
    id: row.id,
    isbn: row.isbn,
    title: row.title,
    author: row.author,
    priceCents: row.price_cents,
    publishedYear: row.published_year,
    stock: row.stock,
  };
}

function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "";
  const header = Object.keys(rows[0]!);
  const escape = (v: unknown) => `"${String(v ?? "").replaceAll('"', '""')}"`;
  return [header.join(","), ...rows.map((r) => header.map((h) => escape(r[h])).join(","))].join("\n");
}

export const booksPlugin = createPlugin
  .withSchema<DB>()
  .define({
    name: "books",
    version: "2.1.0",

    handlers: {
      csv: createHandler<ExportFn>(async (req, _def, handle, ctx) => {
        const params = Object.fromEntries(new URL(req.url).searchParams);
        const rows = await handle(params, ctx);
        return new Response(toCsv(rows), {
          headers: { "Content-Type": "text/csv; charset=utf-8" },
        });
      }),
      ndjson: createHandler<ExportFn>(async (req, _def, handle, ctx) => {
        const params = Object.fromEntries(new URL(req.url).searchParams);
        const rows = await handle(params, ctx);
        return new Response(rows.map((r) => JSON.stringify(r)).join("\n"), {
          headers: { "Content-Type": "application/x-ndjson" },
        });
      }),
    },

    service: async (ctx) => {
      const db = ctx.db;

      return {
        async list(params: ListBooksParams = {}): Promise<Book[]> {
          let query = db.selectFrom("books").selectAll();
          if (params.author) {
            query = query.where("author", "=", params.author);
          }
          if (params.search) {
            query = query.where("title", "like", `%${params.search}%`);
          }
          const rows = await query.orderBy("title").limit(params.limit ?? 50).execute();
          return rows.map(toBook);
        },

        async getById(id: string): Promise<Book | null> {
          const row = await db
            .selectFrom("books")
            .selectAll()
            .where("id", "=", id)
            .executeTakeFirst();
          return row ? toBook(row) : null;
        },

        async getMany(ids: string[]): Promise<Book[]> {
          if (ids.length === 0) return [];
          const rows = await db.selectFrom("books").selectAll().where("id", "in", ids).execute();
          return rows.map(toBook);
        },

        async create(input: Omit<Book, "id" | "stock">): Promise<Book> {
          const row = await db
            .insertInto("books")
            .values({
              id: crypto.randomUUID(),
              isbn: input.isbn,
              title: input.title,
              author: input.author,
              price_cents: input.priceCents,
              published_year: input.publishedYear,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return toBook(row);
        },

        async adjustStock(id: string, delta: number): Promise<number> {
          const row = await db
            .updateTable("books")
            .set((eb) => ({ stock: eb("stock", "+", delta) }))
            .where("id", "=", id)
            .returning("stock")
            .executeTakeFirst();
          if (!row) {
            throw ctx.core.errors.NotFound(`Book ${id} not found`);
          }
          if (delta > 0) {
            await ctx.core.events.emit("book.restocked", { bookId: id, quantity: delta });
          }
          return row.stock;
        },
      };
    },
  });

export type { DB } from "./schema";

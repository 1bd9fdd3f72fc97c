/**
 * Orders plugin: checkout, order history and the session check that guards
 * every order route.
 */

import { createMiddleware, createPlugin } from "@donkeylabs/server";
import type { Selectable } from "kysely";
import { z } from "zod";
import type { DB, Orders } from "./schema";

export type OrderStatus = "pending" | "paid" | "shipped" | "cancelled";

export interface OrderLine {
  bookId: string;
  quantity: number;
}

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  totalCents: number;
  notes: string | null;
  createdAt: string;
}

function toOrder(row: Selectable<Orders>): Order {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status as OrderStatus,
    totalCents: row.total_cents,
    notes: row.notes,
    createdAt: row.created_at,
  };
}

export const ordersPlugin = createPlugin
  .withSchema<DB>()
  .define({
    name: "orders",
    version: "1.4.0",
    dependencies: ["users", "books"] as const,

    events: {
      "orders.item_backordered": z.object({
        orderId: z.string(),
        bookId: z.string(),
      }),
    },

    service: async (ctx) => {
      const db = ctx.db;
      const { users, books } = ctx.deps;

      return {
        async place(userId: string, lines: OrderLine[], notes?: string): Promise<Order> {
          const user = await users.getById(userId);
          if (!user) {
            throw ctx.core.errors.NotFound("Unknown customer");
          }
          const catalogue = await books.getMany(lines.map((l) => l.bookId));
          const priceOf = new Map(catalogue.map((b) => [b.id, b.priceCents]));
          const totalCents = lines.reduce(
            (sum, l) => sum + (priceOf.get(l.bookId) ?? 0) * l.quantity,
            0,
          );

          const order = await db
            .insertInto("orders")
            .values({ id: crypto.randomUUID(), user_id: userId, total_cents: totalCents, notes: notes ?? null })
            .returningAll()
            .executeTakeFirstOrThrow();

          for (const line of lines) {
            await db
              .insertInto("order_items")
              .values({
                order_id: order.id,
                book_id: line.bookId,
                quantity: line.quantity,
                unit_price_cents: priceOf.get(line.bookId) ?? 0,
              })
              .execute();
            await books.adjustStock(line.bookId, -line.quantity);
          }

          await ctx.core.events.emit("order.placed", { orderId: order.id, userId, totalCents });
          return toOrder(order);
        },

        async getById(id: string): Promise<Order | null> {
          const row = await db.selectFrom("orders").selectAll().where("id", "=", id).executeTakeFirst();
          return row ? toOrder(row) : null;
        },

        async listForUser(userId: string): Promise<Order[]> {
          const rows = await db
            .selectFrom("orders")
            .selectAll()
            .where("user_id", "=", userId)
            .orderBy("created_at", "desc")
            .execute();
          return rows.map(toOrder);
        },

        async cancel(id: string, reason?: string): Promise<void> {
          await db.updateTable("orders").set({ status: "cancelled" }).where("id", "=", id).execute();
          await ctx.core.events.emit("order.cancelled", { orderId: id, reason });
        },
      };
    },

    middleware: (ctx, service) => ({
      authRequired: createMiddleware(async (req, reqCtx, next) => {
        const userId = req.headers.get("x-user-id");
        const user = userId ? await ctx.deps.users.getById(userId) : null;
        if (!user) {
          throw reqCtx.errors.Unauthorized("Sign in to continue");
        }
        reqCtx.user = user;
        return next();
      }),
    }),
  });

export type { DB } from "./schema";

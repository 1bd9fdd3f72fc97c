import { createRouter } from "@donkeylabs/server";
import { z } from "zod";

const OrderSchema = z.object({
  id: z.string(),
  status: z.enum(["pending", "paid", "shipped", "cancelled"]),
  totalCents: z.number(),
  notes: z.string().nullable(),
  createdAt: z.string(),
});

export const ordersRouter = createRouter("orders");

// Every route below runs behind the orders plugin's session check.
ordersRouter.middleware
  .authRequired()
  .route("place").typed({
    input: z.object({
      lines: z.array(z.object({ bookId: z.string(), quantity: z.number() })),
      notes: z.string().optional(),
    }),
    output: OrderSchema,
    handle: async (input, ctx) => {
      const order = await ctx.plugins.orders.place(ctx.user.id, input.lines, input.notes);
      await ctx.plugins.audit.record("orders.place", order.id, ctx.user.id);
      return order;
    },
  })
  .route("mine").typed({
    output: z.array(OrderSchema),
    handle: async (_input, ctx) => ctx.plugins.orders.listForUser(ctx.user.id),
  })
  .route("quote").typed({
    input: z.object({
      lines: z.array(z.object({ bookId: z.string(), quantity: z.number() })),
    }),
    output: z.object({
      subtotalCents: z.number(),
      shippingCents: z.number(),
      totalCents: z.number(),
    }),
    handle: async (input, ctx) => {
      const books = await ctx.plugins.books.getMany(input.lines.map((l) => l.bookId));
      const price = new Map(books.map((b) => [b.id, b.priceCents]));
      return ctx.services.pricing.quote(
        input.lines.map((l) => ({ unitPriceCents: price.get(l.bookId) ?? 0, quantity: l.quantity })),
      );
    },
  })
  .route("cancel").typed({
    input: z.object({ id: z.string(), reason: z.string().optional() }),
    output: z.object({ ok: z.boolean() }),
    handle: async (input, ctx) => {
      const order = await ctx.plugins.orders.getById(input.id);
      if (!order || order.userId !== ctx.user.id) {
        throw ctx.errors.NotFound("Order not found");
      }
      await ctx.plugins.orders.cancel(input.id, input.reason);
      return { ok: true };
    },
  });

import { createRouter } from "@donkeylabs/server";
import { z } from "zod";

export const adminRouter = createRouter("admin");

// Plain-text liveness probe for the load balancer; no JSON envelope.
adminRouter.route("ping").raw({
  handle: async () => new Response("ok", { headers: { "Content-Type": "text/plain" } }),
});

// Quick report written straight against the database while the numbers
// settle; it belongs in the orders plugin once the shape is agreed.
adminRouter.route("salesReport").typed({
  input: z.object({ since: z.string() }),
  output: z.object({
    orders: z.number(),
    revenueCents: z.number(),
  }),
  handle: async (input, ctx) => {
    const row = await ctx.db
      .selectFrom("orders")
      .select((eb) => [
        eb.fn.countAll<number>().as("orders"),
        eb.fn.sum<number>("total_cents").as("revenueCents"),
      ])
      .where("created_at", ">=", input.since)
      .where("status", "!=", "cancelled")
      .executeTakeFirstOrThrow();
    return { orders: Number(row.orders), revenueCents: Number(row.revenueCents ?? 0) };
  },
});

adminRouter.route("audit").typed({
  input: z.object({ limit: z.number().optional() }),
  output: z.array(z.object({
    action: z.string(),
    target: z.string(),
    createdAt: z.string(),
  })),
  handle: async (input, ctx) => ctx.plugins.audit.recent(input.limit),
});

import { defineEvents } from "@donkeylabs/server";
import { z } from "zod";

// Server-level events: `donkeylabs generate` turns these into
// .@donkeylabs/server/events.ts so ctx.core.events.emit/on are typed.
export const events = defineEvents({
  "order.placed": z.object({
    orderId: z.string(),
    userId: z.string(),
    totalCents: z.number(),
  }),
  "order.cancelled": z.object({
    orderId: z.string(),
    reason: z.string().optional(),
  }),
  "book.restocked": z.object({
    bookId: z.string(),
    quantity: z.number(),
  }),
  "user.registered": z.object({
    userId: z.string(),
    email: z.string(),
  }),
});

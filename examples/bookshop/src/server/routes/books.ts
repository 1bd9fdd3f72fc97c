import { createRouter, defineRoute } from "@donkeylabs/server";
import { z } from "zod";

export const BookSchema = z.object({
  id: z.string(),
  isbn: z.string(),
  title: z.string(),
  author: z.string(),
  priceCents: z.number(),
  publishedYear: z.number().nullable(),
  stock: z.number(),
});

export const booksRouter = createRouter("books")
  .route("list").typed({
    input: z.object({
      author: z.string().optional(),
      limit: z.number().optional(),
    }),
    output: z.array(BookSchema),
    handle: async (input, ctx) => {
      return ctx.plugins.books.list({ author: input.author, limit: input.limit });
    },
  })
  .route("search").typed({
    input: z.object({ query: z.string() }),
    output: z.array(BookSchema),
    handle: async (input, ctx) => ctx.plugins.books.list({ search: input.query, limit: 20 }),
  })
  .route("get").typed(defineRoute({
    input: z.object({ id: z.string() }),
    output: BookSchema,
    handle: async (input, ctx) => {
      const book = await ctx.plugins.books.getById(input.id);
      if (!book) {
        throw ctx.errors.NotFound(`No book ${input.id}`);
      }
      return book;
    },
  }))
  .route("restock").typed({
    input: z.object({ id: z.string(), quantity: z.number() }),
    output: z.object({ stock: z.number() }),
    handle: async (input, ctx) => {
      const stock = await ctx.plugins.books.adjustStock(input.id, input.quantity);
      await ctx.plugins.audit.record("books.restock", input.id, ctx.user?.id, { quantity: input.quantity });
      return { stock };
    },
  });

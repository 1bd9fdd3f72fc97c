import { createRouter, defineRoute } from "@donkeylabs/server";
import { z } from "zod";

const UserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(["customer", "staff"]),
});

export const usersRouter = createRouter("users");

usersRouter.route("register").typed(defineRoute({
  input: z.object({
    email: z.string().email(),
    name: z.string().min(1),
    password: z.string().min(8),
  }),
  output: UserSchema,
  handle: async (input, ctx) => {
    const existing = await ctx.plugins.users.getByEmail(input.email);
    if (existing) {
      throw ctx.errors.Conflict("An account with this email already exists");
    }
    return ctx.plugins.users.register(input);
  },
}));

usersRouter.middleware.authRequired().route("me").typed({
  output: UserSchema,
  handle: async (_input, ctx) => ctx.user,
});

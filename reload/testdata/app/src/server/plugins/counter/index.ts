import { createMiddleware, createPlugin } from "../../donkeylabs";

export const counterPlugin = createPlugin.define({
  name: "counter",
  dependencies: ["greeter"] as const,
  service: async (ctx) => {
    let count = 0;
    return {
      next: () => ++count,
      // Through ctx.deps, which the manager builds once per plugin: what a
      // hot reload of greeter must rebuild.
      viaDeps: () => ctx.deps.greeter.greet("deps"),
    };
  },
  // Resolved once with the service: a hot reload of greeter must resolve it
  // again for the header to come from the new code.
  middleware: (ctx, service) => ({
    stamp: createMiddleware(async (req, reqCtx, next) => {
      const res = await next();
      res.headers.set("x-stamp", service.viaDeps());
      return res;
    }),
  }),
});

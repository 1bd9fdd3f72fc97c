import { createRouter } from "../donkeylabs";

export const apiRouter = createRouter("api");

apiRouter.route("hello").typed({
  handle: async (input, ctx) => ({
    pid: process.pid,
    greeting: ctx.plugins.greeter.greet("world"),
    viaDeps: ctx.plugins.counter.viaDeps(),
    notes: ctx.plugins.notes.count(),
    route: "route v1",
  }),
});

apiRouter.route("count").typed({
  handle: async (input, ctx) => ({ count: ctx.plugins.counter.next() }),
});

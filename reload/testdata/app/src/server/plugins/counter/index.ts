import { createPlugin } from "../../donkeylabs";

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
});

import { createPlugin } from "../../donkeylabs";

export const counterPlugin = createPlugin.define({
  name: "counter",
  dependencies: ["greeter"] as const,
  service: async (ctx) => {
    let count = 0;
    return {
      next: () => ++count,
    };
  },
});

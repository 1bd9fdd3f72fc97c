import { createHandler, createPlugin } from "../../donkeylabs";

export const greeterPlugin = createPlugin.define({
  name: "greeter",
  handlers: {
    echo: createHandler("echo"),
  },
  service: async (ctx) => ({
    greet(who: string) {
      return `hello ${who} (service v1)`;
    },
  }),
});

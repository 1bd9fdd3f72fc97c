import { createPlugin } from "../../donkeylabs";

// State that lives in the process: an in-memory SQLite table created at
// start. A restart loses its rows; a reload in place keeps them.
export const notesPlugin = createPlugin.define({
  name: "notes",
  service: async (ctx) => ({
    count: () => (ctx.db.query("SELECT count(*) AS n FROM notes").get() as { n: number }).n,
  }),
  init: async (ctx) => {
    ctx.db.run("CREATE TABLE notes (body TEXT)");
    ctx.db.run("INSERT INTO notes (body) VALUES ('one'), ('two'), ('three')");
  },
});

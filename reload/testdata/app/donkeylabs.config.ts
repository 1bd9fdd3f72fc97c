import { defineConfig } from "@donkeylabs/server";

export default defineConfig({
  plugins: ["./src/server/plugins/**/index.ts"],
  routes: "./src/server/routes/**/*.ts",
  outDir: ".@donkeylabs/server",
  entry: "./src/server/index.ts",
});

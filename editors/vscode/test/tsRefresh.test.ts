import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decideTsRestart, enabledPatterns, generatedOutputs } from '../src/tsRefresh';

// VS Code's default files.watcherExclude.
const defaults = enabledPatterns({
  '**/.git/objects/**': true,
  '**/.git/subtree-cache/**': true,
  '**/node_modules/*/**': true,
  '**/.hg/store/**': true,
  '**/disabled/**': false,
});

test('enabledPatterns keeps only patterns set to true', () => {
  assert.deepEqual(defaults, ['**/.git/objects/**', '**/.git/subtree-cache/**', '**/node_modules/*/**', '**/.hg/store/**']);
  assert.deepEqual(enabledPatterns(undefined), []);
});

test('the default outDir is .@donkeylabs/server in the project', () => {
  const outs = generatedOutputs('/w/shop', 'export default defineConfig({ plugins: ["./src/server/plugins/**/index.ts"] });');
  assert.ok(outs.includes('/w/shop/.@donkeylabs/server/registry.d.ts'));
  assert.ok(outs.includes('/w/shop/.@donkeylabs/server/context.d.ts'));
  assert.ok(outs.every((o) => o.startsWith('/w/shop/.@donkeylabs/server/')));
});

test('outDir and client.output are read from the config, comments ignored', () => {
  const config = `import { defineConfig } from "@donkeylabs/server";
// outDir: "commented/out",
export default defineConfig({
  plugins: ["./src/server/plugins/**/index.ts"],
  outDir: ".@donkeylabs",
  adapter: "@donkeylabs/adapter-sveltekit",
  client: { output: "./src/lib/api.ts" },
});`;
  const outs = generatedOutputs('/w/shop', config);
  assert.ok(outs.includes('/w/shop/.@donkeylabs/registry.d.ts'));
  assert.ok(outs.includes('/w/shop/src/lib/api.ts'));
  assert.ok(!outs.some((o) => o.includes('commented')));
});

test('watched outputs need no TypeScript restart', () => {
  const d = decideTsRestart({
    mode: 'auto',
    outputs: generatedOutputs('/w/shop', 'export default {}'),
    watcherExclude: defaults,
    workspaceFolders: ['/w/shop'],
  });
  assert.equal(d.restart, false);
});

test('an output inside node_modules needs a restart', () => {
  const d = decideTsRestart({ mode: 'auto', outputs: ['/w/shop/node_modules/.donkeylabs/registry.d.ts'], watcherExclude: [], workspaceFolders: ['/w/shop'] });
  assert.equal(d.restart, true);
  assert.match(d.reason, /node_modules/);
});

test('an output excluded from file watching needs a restart (relative or absolute patterns)', () => {
  const outs = generatedOutputs('/w/shop', 'export default {}');
  const rel = decideTsRestart({ mode: 'auto', outputs: outs, watcherExclude: [...defaults, '.@donkeylabs/**'], workspaceFolders: ['/w/shop'] });
  assert.equal(rel.restart, true);
  assert.match(rel.reason, /files\.watcherExclude "\.@donkeylabs\/\*\*"/);
  const folder = decideTsRestart({ mode: 'auto', outputs: outs, watcherExclude: ['**/.@donkeylabs'], workspaceFolders: [] });
  assert.equal(folder.restart, true);
});

test('"never" and "always" override the decision', () => {
  const outs = ['/w/shop/node_modules/.x/registry.d.ts'];
  assert.equal(decideTsRestart({ mode: 'never', outputs: outs, watcherExclude: [], workspaceFolders: [] }).restart, false);
  assert.equal(decideTsRestart({ mode: 'always', outputs: [], watcherExclude: [], workspaceFolders: [] }).restart, true);
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Event, FAILURE_WINDOW_MS, Model, devItem, devView, initialModel, reduce, staleCount, typesItem, typesView } from '../src/status';

function run(events: Event[], trusted = true): Model {
  return events.reduce(reduce, initialModel(trusted));
}

const running: Event = { kind: 'server', phase: 'running' };
const diag = (uri: string, ...codes: string[]): Event => ({ kind: 'diagnostics', uri, codes });

test('starting, then fresh once the server runs', () => {
  assert.equal(typesView(initialModel(true)), 'starting');
  assert.equal(typesItem(initialModel(true)).text, '$(loading~spin) donkeyls');
  const m = run([running]);
  assert.equal(typesView(m), 'fresh');
  assert.equal(typesItem(m).text, '$(check) types');
});

test('stale (N) counts staleness diagnostics across files, not other codes', () => {
  const m = run([
    running,
    diag('file:///w/src/server/plugins/orders/index.ts', 'stale-registry', 'unregistered-plugin'),
    diag('file:///w/.@donkeylabs/server/registry.d.ts', 'stale-registry', 'stale-context'),
    diag('file:///w/src/server/events.ts', 'stale-events'),
  ]);
  assert.equal(staleCount(m), 4);
  assert.equal(typesItem(m).text, '$(warning) types: stale (4)');
  assert.equal(typesItem(m).tone, 'warning');
  assert.equal(typesItem(m).actions[0].id, 'regenerate');
});

test('a file whose diagnostics are cleared stops counting', () => {
  const m = run([running, diag('a', 'stale-schema'), diag('b', 'types-missing'), diag('a')]);
  assert.equal(typesItem(m).text, '$(warning) types: stale (1)');
  assert.equal(typesView(reduce(m, diag('b'))), 'fresh');
});

test('progress begin shows generating; end returns to what the diagnostics say', () => {
  let m = run([running, diag('a', 'stale-client')]);
  m = reduce(m, { kind: 'progressBegin', token: '1', title: 'Generating types', now: 0 });
  assert.equal(typesItem(m).text, '$(sync~spin) types: generating');
  assert.match(typesItem(m).tooltip, /Generating types/);
  m = reduce(m, { kind: 'progressEnd', token: '1', now: 500 });
  assert.equal(typesView(m), 'stale');
  m = reduce(m, diag('a'));
  assert.equal(typesView(m), 'fresh');
});

test('an error message during or just after generation marks it failed until the next run', () => {
  let m = run([running, { kind: 'progressBegin', token: 't', title: 'Generating types', now: 0 }, { kind: 'progressEnd', token: 't', now: 1000 }]);
  m = reduce(m, { kind: 'errorMessage', message: 'bun run gen:types exited with status 1', now: 1000 + FAILURE_WINDOW_MS });
  assert.equal(typesView(m), 'failed');
  assert.equal(typesItem(m).text, '$(error) types: failed');
  assert.equal(typesItem(m).tone, 'error');
  assert.deepEqual(typesItem(m).actions.map((a) => a.id), ['showOutput', 'regenerate', 'showProblems']);
  // Fixing diagnostics does not hide a failure; a new run does.
  m = reduce(m, diag('a'));
  assert.equal(typesView(m), 'failed');
  m = reduce(m, { kind: 'progressBegin', token: 'u', title: 'Generating types', now: 20000 });
  assert.equal(typesView(m), 'generating');
  m = reduce(m, { kind: 'progressEnd', token: 'u', now: 21000 });
  assert.equal(typesView(m), 'fresh');
});

test('an unrelated error long after generation does not mark types failed', () => {
  let m = run([running, { kind: 'progressBegin', token: 't', title: 'Generating types', now: 0 }, { kind: 'progressEnd', token: 't', now: 1000 }]);
  m = reduce(m, { kind: 'errorMessage', message: 'could not read tsconfig.json', now: 1001 + FAILURE_WINDOW_MS });
  assert.equal(typesView(m), 'fresh');
  // ...unless it names type generation.
  m = reduce(m, { kind: 'errorMessage', message: 'typegen timed out after 120s', now: 90000 });
  assert.equal(typesView(m), 'failed');
});

test('the server stopping withdraws its diagnostics, progress and failure', () => {
  let m = run([running, diag('a', 'stale-registry', 'restart-required'), { kind: 'progressBegin', token: 't', title: 'x', now: 0 }]);
  m = reduce(m, { kind: 'server', phase: 'crashed', detail: 'restarting in 2s' });
  assert.equal(typesView(m), 'offline');
  assert.match(typesItem(m).tooltip, /restarting in 2s/);
  assert.equal(typesItem(m).tone, 'error');
  assert.equal(typesItem(m).actions[0].id, 'restartServer');
  m = reduce(m, running);
  assert.equal(typesView(m), 'fresh');
  assert.equal(devView(m), 'stopped');
});

test('dev server: stopped, running, restart needed', () => {
  let m = run([running]);
  assert.equal(devItem(m).text, '$(debug-start) dev: stopped');
  assert.deepEqual(devItem(m).actions.map((a) => a.id), ['startDev']);
  m = reduce(m, { kind: 'dev', running: true });
  assert.equal(devItem(m).text, '$(vm-running) dev: running');
  m = reduce(m, diag('file:///w/src/server/plugins/orders/index.ts', 'restart-required'));
  assert.equal(devItem(m).text, '$(debug-restart) dev: restart needed');
  assert.equal(devItem(m).tone, 'warning');
  assert.equal(devItem(m).actions[0].id, 'restartDev');
  m = reduce(m, diag('file:///w/src/server/plugins/orders/index.ts'));
  assert.equal(devView(m), 'running');
  m = reduce(m, { kind: 'dev', running: false });
  assert.equal(devView(m), 'stopped');
});

test('restart needed is shown for a dev server started outside this window', () => {
  const m = run([running, diag('a', 'restart-required')]);
  assert.equal(devView(m), 'restartNeeded');
  assert.deepEqual(devItem(m).actions.map((a) => a.id), ['restartDev', 'showProblems']);
});

test('Restricted Mode never offers actions that run project code', () => {
  const m = run([running, diag('a', 'stale-registry', 'restart-required')], false);
  for (const item of [typesItem(m), devItem(m)]) {
    const ids = item.actions.map((a) => a.id);
    assert.ok(!ids.includes('regenerate') && !ids.includes('startDev') && !ids.includes('restartDev'), ids.join());
    assert.equal(ids[0], 'manageTrust');
    assert.match(item.tooltip, /Restricted Mode/);
  }
  // Trusting the workspace brings them back.
  const t = reduce(m, { kind: 'trust', trusted: true });
  assert.equal(typesItem(t).actions[0].id, 'regenerate');
  assert.equal(devItem(t).actions[0].id, 'restartDev');
});

test('a progress end for an unknown token changes nothing', () => {
  const m = run([running]);
  assert.equal(reduce(m, { kind: 'progressEnd', token: 'nope', now: 1 }), m);
});

test('indexing progress is busy, not generating, and cannot fail types', () => {
  let m = run([running, { kind: 'progressBegin', token: 'i', title: 'donkeyls: indexing bookshop', now: 0 }]);
  assert.equal(typesView(m), 'busy');
  assert.equal(typesItem(m).tooltip, 'donkeyls: indexing bookshop');
  m = reduce(m, { kind: 'progressEnd', token: 'i', now: 100 });
  m = reduce(m, { kind: 'errorMessage', message: 'donkeyls could not read the project in /w: permission denied', now: 200 });
  assert.equal(typesView(m), 'fresh');
  // Stale diagnostics say more than an indexing spinner.
  m = reduce(m, { kind: 'progressBegin', token: 'j', title: 'donkeyls: indexing bookshop', now: 300 });
  m = reduce(m, diag('a', 'stale-registry'));
  assert.equal(typesView(m), 'stale');
});

test('the server\'s real sequence: "regenerating types" ends "failed", then the reason arrives', () => {
  let m = run([running, { kind: 'progressBegin', token: 't', title: 'donkeyls: regenerating types', now: 0 }]);
  assert.equal(typesItem(m).tooltip, 'donkeyls: regenerating types');
  m = reduce(m, { kind: 'progressEnd', token: 't', now: 10, message: 'failed' });
  assert.equal(typesView(m), 'failed');
  m = reduce(m, { kind: 'errorMessage', message: 'donkeyls: type generation failed in shop: `bun run gen:types` exited with status 1: boom. The full output is in the donkeyls log.', now: 20 });
  assert.equal(typesItem(m).tooltip, 'donkeyls: type generation failed: type generation failed in shop: `bun run gen:types` exited with status 1: boom. The full output is in the donkeyls log.');
  m = reduce(m, { kind: 'progressBegin', token: 'u', title: 'donkeyls: regenerating types', now: 30 });
  m = reduce(m, { kind: 'progressEnd', token: 'u', now: 40, message: 'done in 0.5s' });
  assert.equal(typesView(m), 'fresh');
});

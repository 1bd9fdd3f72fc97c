import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  Event,
  Model,
  ProjectStatus,
  devItem,
  devView,
  finishedGenerating,
  initialModel,
  parseStatus,
  reduce,
  staleCount,
  typesItem,
  typesView,
} from '../src/status';

function run(events: Event[], trusted = true): Model {
  return events.reduce(reduce, initialModel(trusted));
}

const running: Event = { kind: 'server', phase: 'running' };

/** A donkeyls/status event as the server sends it (docs/protocol.md). */
function st(types: Partial<ProjectStatus['types']>, dev: Partial<ProjectStatus['dev']> = {}, root = '/w/shop', trusted = true): Event {
  return {
    kind: 'status',
    status: { root, types: { state: 'fresh', stale: 0, findings: {}, ...types }, dev: { state: 'stopped', restart: 0, ...dev }, trusted },
  };
}

test('starting, then fresh once the server runs', () => {
  assert.equal(typesView(initialModel(true)), 'starting');
  assert.equal(typesItem(initialModel(true)).text, '$(loading~spin) donkeyls');
  const m = run([running]);
  assert.equal(typesView(m), 'fresh');
  assert.equal(typesItem(m).text, '$(check) types');
});

test('a project being read is busy, with its name', () => {
  const m = run([running, st({ state: 'indexing' })]);
  assert.equal(typesView(m), 'busy');
  assert.equal(typesItem(m).tooltip, 'donkeyls: reading shop');
});

test('stale (N) is the sum of the stale counts of every project', () => {
  const m = run([running, st({ state: 'stale', stale: 3 }), st({ state: 'stale', stale: 1 }, {}, '/w/admin')]);
  assert.equal(staleCount(m), 4);
  assert.equal(typesItem(m).text, '$(warning) types: stale (4)');
  assert.equal(typesItem(m).tone, 'warning');
  assert.equal(typesItem(m).actions[0].id, 'regenerate');
});

test('a newer status of a project replaces its last one; a removed project stops counting', () => {
  let m = run([running, st({ state: 'stale', stale: 1 }), st({ state: 'stale', stale: 2 }, {}, '/w/admin')]);
  m = reduce(m, st({ state: 'fresh' }));
  assert.equal(typesItem(m).text, '$(warning) types: stale (2)');
  m = reduce(m, { kind: 'status', status: { ...(st({}, {}, '/w/admin') as { status: ProjectStatus }).status, removed: true } });
  assert.equal(typesView(m), 'fresh');
});

test('generating wins over stale, with the command that runs; then what the server says next', () => {
  let m = run([running, st({ state: 'stale', stale: 1 })]);
  m = reduce(m, st({ state: 'generating', stale: 1, command: 'bun run gen:types' }));
  assert.equal(typesItem(m).text, '$(sync~spin) types: generating');
  assert.equal(typesItem(m).tooltip, 'donkeyls: regenerating the types of shop (bun run gen:types)');
  const after = reduce(m, st({ state: 'fresh' }));
  assert.equal(typesView(after), 'fresh');
  assert.deepEqual(finishedGenerating(m, after), ['/w/shop']);
});

test('failed shows the server\'s message, until the server says otherwise', () => {
  const generating = run([running, st({ state: 'generating' })]);
  const m = reduce(generating, st({ state: 'failed', stale: 2, failure: 'donkeyls: type generation failed in shop: `bun run gen:types` exited with status 1: boom. The full output is in the donkeyls log.' }));
  assert.equal(typesView(m), 'failed');
  assert.equal(typesItem(m).text, '$(error) types: failed');
  assert.equal(typesItem(m).tone, 'error');
  assert.equal(typesItem(m).tooltip, 'donkeyls: type generation failed: type generation failed in shop: `bun run gen:types` exited with status 1: boom. The full output is in the donkeyls log.');
  assert.deepEqual(typesItem(m).actions.map((a) => a.id), ['showOutput', 'regenerate', 'showProblems']);
  // A failed run is not a finished one: no TypeScript refresh.
  assert.deepEqual(finishedGenerating(generating, m), []);
});

test('a project that cannot be read says why', () => {
  const m = run([running, st({ state: 'unknown', error: 'permission denied' })]);
  assert.equal(typesView(m), 'unknown');
  assert.match(typesItem(m).tooltip, /cannot read the project in \/w\/shop: permission denied/);
});

test('the server stopping withdraws what it reported', () => {
  let m = run([running, st({ state: 'stale', stale: 1 }, { state: 'restartNeeded', restart: 1 })]);
  m = reduce(m, { kind: 'server', phase: 'crashed', detail: 'restarting in 2s' });
  assert.equal(typesView(m), 'offline');
  assert.match(typesItem(m).tooltip, /restarting in 2s/);
  assert.equal(typesItem(m).tone, 'error');
  assert.equal(typesItem(m).actions[0].id, 'restartServer');
  m = reduce(m, running);
  assert.equal(typesView(m), 'fresh');
  assert.equal(devView(m), 'stopped');
});

test('dev server: stopped, running (our terminal or the supervisor), restart needed', () => {
  let m = run([running]);
  assert.equal(devItem(m).text, '$(debug-start) dev: stopped');
  assert.deepEqual(devItem(m).actions.map((a) => a.id), ['startDev']);
  m = reduce(m, { kind: 'dev', running: true });
  assert.equal(devItem(m).text, '$(vm-running) dev: running');
  assert.deepEqual(devItem(m).actions.map((a) => a.id), ['showDev', 'restartDev']);
  m = reduce(m, st({}, { state: 'restartNeeded', restart: 2, supervisor: 'running', pid: 42 }));
  assert.equal(devItem(m).text, '$(debug-restart) dev: restart needed');
  assert.match(devItem(m).tooltip, /2 changes need a restart/);
  assert.equal(devItem(m).tone, 'warning');
  assert.equal(devItem(m).actions[0].id, 'restartDev');
  m = reduce(m, st({}, { state: 'running', supervisor: 'running', pid: 43 }));
  assert.equal(devView(m), 'running');
  m = reduce(m, { kind: 'dev', running: false });
  // The supervisor still reports its server: it runs, outside this window.
  assert.equal(devView(m), 'running');
  assert.deepEqual(devItem(m).actions.map((a) => a.id), ['restartDev']);
  m = reduce(m, st({}, { state: 'stopped' }));
  assert.equal(devView(m), 'stopped');
});

test('restart needed is shown for a dev server started outside this window', () => {
  const m = run([running, st({}, { state: 'restartNeeded', restart: 1 })]);
  assert.equal(devView(m), 'restartNeeded');
  assert.deepEqual(devItem(m).actions.map((a) => a.id), ['restartDev', 'showProblems']);
});

test('Restricted Mode never offers actions that run project code', () => {
  const m = run([running, st({ state: 'stale', stale: 1 }, { state: 'restartNeeded', restart: 1 }, '/w/shop', false)], false);
  for (const item of [typesItem(m), devItem(m)]) {
    const ids = item.actions.map((a) => a.id);
    assert.ok(!ids.includes('regenerate') && !ids.includes('startDev') && !ids.includes('restartDev'), ids.join());
    assert.equal(ids[0], 'manageTrust');
    assert.match(item.tooltip, /Restricted Mode/);
  }
  // Trusting the workspace restarts the server, which then says trusted.
  const t = reduce(reduce(m, { kind: 'trust', trusted: true }), st({ state: 'stale', stale: 1 }, { state: 'restartNeeded', restart: 1 }));
  assert.equal(typesItem(t).actions[0].id, 'regenerate');
  assert.equal(devItem(t).actions[0].id, 'restartDev');
});

test('a server that says untrusted gates the actions even in a trusted window', () => {
  const m = run([running, st({ state: 'stale', stale: 1 }, {}, '/w/shop', false)]);
  assert.equal(typesItem(m).actions[0].id, 'manageTrust');
});

test('parseStatus takes the server\'s params and refuses anything else', () => {
  const raw = { root: '/w/shop', types: { state: 'stale', stale: 2, findings: { x: 2 }, command: 'c' }, dev: { state: 'running', restart: 0, supervisor: 'running', pid: 7 }, trusted: true };
  assert.deepEqual(parseStatus(raw), {
    root: '/w/shop',
    removed: false,
    types: { state: 'stale', stale: 2, findings: { x: 2 }, command: 'c', failure: undefined, error: undefined },
    dev: { state: 'running', restart: 0, supervisor: 'running', pid: 7 },
    trusted: true,
  });
  for (const bad of [null, 'x', {}, { root: '/w' }, { root: '/w', types: {} }, { root: 1, types: {}, dev: {} }]) {
    assert.equal(parseStatus(bad), undefined, JSON.stringify(bad));
  }
});

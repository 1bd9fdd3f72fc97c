// The vscode-facing glue with the vscode API stubbed: status bar items, the
// dev-server terminal, Workspace Trust gating and the client middleware.
import { strict as assert } from 'node:assert';
import { beforeEach, test } from 'node:test';
import { installVscodeStub, resetStub, settle } from './vscodeStub';

const stub = installVscodeStub();
// Loaded after the stub so that their require('vscode') gets it.
const { StatusBar, TYPES_CLICK, DEV_CLICK } = require('../src/statusBar') as typeof import('../src/statusBar');
const { DevTerminals } = require('../src/devServer') as typeof import('../src/devServer');
const { TrustGate } = require('../src/trust') as typeof import('../src/trust');
const { clientMiddleware } = require('../src/middleware') as typeof import('../src/middleware');
const { initialModel, reduce } = require('../src/status') as typeof import('../src/status');
const { statusFeature } = require('../src/clientConfig') as typeof import('../src/clientConfig');
import type { ProjectStatus } from '../src/status';

/** A donkeyls/status as the server sends it (docs/protocol.md). */
function status(types: Partial<ProjectStatus['types']>, dev: Partial<ProjectStatus['dev']> = {}): ProjectStatus {
  return {
    root: '/w/shop',
    types: { state: 'fresh', stale: 0, findings: {}, ...types },
    dev: { state: 'stopped', restart: 0, ...dev },
    trusted: true,
  };
}
const { devLaunch, SERVER_COMMANDS } = require('../src/clientConfig') as typeof import('../src/clientConfig');
const { serverSettings } = require('../src/settings') as typeof import('../src/settings');

beforeEach(() => resetStub(stub));

test('status bar: two items, clickable, rendered from the model with theme colours', () => {
  const bar = new StatusBar();
  let m = reduce(initialModel(true), { kind: 'server', phase: 'running' });
  m = reduce(m, { kind: 'status', status: status({ state: 'stale', stale: 2 }) });
  bar.render(m);
  const [types, dev] = stub.statusItems;
  assert.equal(types.text, '$(warning) types: stale (2)');
  assert.equal(types.command, TYPES_CLICK);
  assert.equal(types.backgroundColor?.id, 'statusBarItem.warningBackground');
  assert.ok(types.visible && dev.visible);
  assert.equal(dev.text, '$(debug-start) dev: stopped');
  assert.equal(dev.command, DEV_CLICK);
  assert.equal(dev.backgroundColor, undefined);

  m = reduce(m, { kind: 'status', status: status({ state: 'failed', stale: 2, failure: 'typegen failed: exit status 1' }) });
  bar.render(m);
  assert.equal(types.text, '$(error) types: failed');
  assert.equal(types.backgroundColor?.id, 'statusBarItem.errorBackground');
  bar.dispose();
  assert.ok(!types.visible && !dev.visible);
});

test('clicking an item offers its actions and returns the one picked', async () => {
  const bar = new StatusBar();
  let m = reduce(initialModel(true), { kind: 'server', phase: 'running' });
  m = reduce(m, { kind: 'status', status: status({ state: 'stale', stale: 1 }) });
  bar.render(m);
  stub.answers.push('$(sync) Regenerate Types');
  assert.equal(await bar.pick('types'), 'regenerate');
  assert.deepEqual(stub.quickPicks[0].items.map((i) => i.label), ['$(sync) Regenerate Types', '$(warning) Show Problems', '$(output) Show Output']);
  // Escape: nothing picked.
  assert.equal(await bar.pick('dev'), undefined);
  assert.deepEqual(stub.quickPicks[1].items.map((i) => i.label), ['$(play) Start Dev Server']);
  bar.dispose();
});

test('dev server: donkeyls dev runs as the terminal process, once per project', () => {
  const changes: boolean[] = [];
  const dev = new DevTerminals((running) => changes.push(running));
  const t = dev.start('/w/shop', devLaunch('/opt/donkeyls', '/w/shop', ['--port', '4000']));
  assert.equal(stub.terminals.length, 1);
  assert.equal(t.name, 'donkeyls dev: shop');
  const opts = stub.terminals[0].options;
  assert.equal(opts.shellPath, '/opt/donkeyls');
  assert.deepEqual(opts.shellArgs, ['dev', '--port', '4000', '/w/shop']);
  assert.equal(opts.cwd, '/w/shop');
  assert.ok(dev.running && dev.has('/w/shop'));

  // Starting again reveals the running one instead of a second server.
  dev.start('/w/shop', devLaunch('/opt/donkeyls', '/w/shop', []));
  assert.equal(stub.terminals.length, 1);
  assert.equal(stub.terminals[0].shown, 2);

  // The process exits: the status goes back to stopped.
  stub.terminals[0].exit(1);
  assert.equal(dev.running, false);
  assert.deepEqual(changes, [true, false]);

  // A new start after an exit opens a new terminal.
  dev.start('/w/shop', devLaunch('/opt/donkeyls', '/w/shop', []));
  assert.equal(stub.terminals.length, 2);
  assert.ok(dev.running);

  // stop ends that terminal (and with it donkeyls dev).
  dev.stop('/w/shop');
  assert.notEqual(stub.terminals[1].exitStatus, undefined);
  assert.equal(dev.running, false);
  assert.equal(dev.has('/w/shop'), false);
  dev.dispose();
});

test('trust gate: untrusted refuses with a way to trust; trusted allows silently', async () => {
  const logs: string[] = [];
  const gate = new TrustGate((m) => logs.push(m));
  stub.trusted = false;
  stub.answers.push('Manage Workspace Trust');
  assert.equal(gate.allows('Regenerate Types'), false);
  await settle();
  assert.equal(stub.messages.length, 1);
  assert.equal(stub.messages[0].kind, 'warning');
  assert.match(stub.messages[0].message, /Restricted Mode/);
  assert.deepEqual(stub.executed.map((e) => e.command), ['workbench.trust.manage']);
  assert.deepEqual(logs, ['refused in Restricted Mode: Regenerate Types']);

  stub.trusted = true;
  assert.equal(gate.allows('Regenerate Types'), true);
  assert.equal(stub.messages.length, 1);
});

function middlewareWith(trusted: boolean) {
  stub.trusted = trusted;
  let pushed = 0;
  const gate = new TrustGate(() => {});
  const mw = clientMiddleware({
    settingsFor: () => serverSettings(<T>(_k: string, f: T) => f, stub.trusted).settings,
    allows: (what) => gate.allows(what),
    pushSettings: async () => {
      pushed++;
    },
  });
  return { mw, pushes: () => pushed };
}

test('middleware: a code action cannot run project commands in Restricted Mode', async () => {
  const { mw } = middlewareWith(false);
  const sent: string[] = [];
  const next = async (command: string) => {
    sent.push(command);
    return 'ran';
  };
  assert.equal(await mw.executeCommand!(SERVER_COMMANDS.regenerate, ['/w/shop'], next), undefined);
  assert.equal(await mw.executeCommand!(SERVER_COMMANDS.restart, ['/w/shop'], next), undefined);
  // A refactoring only edits text: allowed.
  assert.equal(await mw.executeCommand!(SERVER_COMMANDS.extractToPlugin, [], next), 'ran');
  assert.deepEqual(sent, [SERVER_COMMANDS.extractToPlugin]);
  assert.equal(stub.messages.filter((m) => /Restricted Mode/.test(m.message)).length, 2);

  const trusted = middlewareWith(true);
  assert.equal(await trusted.mw.executeCommand!(SERVER_COMMANDS.regenerate, ['/w/shop'], next), 'ran');
});

test('the client announces that it renders donkeyls/status, keeping other experimental capabilities', () => {
  const caps: { experimental?: unknown } = { experimental: { other: 1 } };
  statusFeature.fillClientCapabilities(caps);
  assert.deepEqual(caps.experimental, { other: 1, donkeylsStatus: true });
  const none: { experimental?: unknown } = {};
  statusFeature.fillClientCapabilities(none);
  assert.deepEqual(none.experimental, { donkeylsStatus: true });
});

test('middleware: workspace/configuration answers donkeyls from the mapping and trust', async () => {
  const { mw } = middlewareWith(false);
  const next = async () => [{ from: 'vscode' }, { tabSize: 4 }];
  const answer = await mw.workspace!.configuration!({ items: [{ section: 'donkeyls' }, { section: 'editor' }] }, {} as never, next as never);
  assert.deepEqual(answer, [{ typegen: { command: '', onSave: 'off', timeout: '120s' }, trusted: false }, { tabSize: 4 }]);
});

test('middleware: didChangeConfiguration never sends the raw section, it pushes the mapped settings', async () => {
  const { mw, pushes } = middlewareWith(true);
  const raw: (string[] | undefined)[] = [];
  await mw.workspace!.didChangeConfiguration!(['donkeyls'], async (sections) => {
    raw.push(sections);
  });
  assert.deepEqual(raw, []);
  assert.equal(pushes(), 1);
});

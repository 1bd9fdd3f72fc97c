// The whole extension, vscode-languageclient included, against the real
// donkeyls binary on the shop-stale project of internal/fixture, with the vscode API
// stubbed: what the status bar shows as the server reports staleness, runs
// typegen, fails, and crashes.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { materialize } from './fixtureProject';
import { FakeStatusBarItem, installVscodeStub, resetStub } from './vscodeStub';

const stub = installVscodeStub();
const { DonkeyExtension, COMMANDS } = require('../src/extension') as typeof import('../src/extension');
const { bundledBinaryPath } = require('../src/binary') as typeof import('../src/binary');

const extensionDir = resolve(__dirname, '..', '..');
const binary = bundledBinaryPath(extensionDir, process.platform, process.arch);
const WAIT_MS = 30000;

async function waitFor<T>(check: () => T | undefined | false, what: () => string, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms / 1000}s waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The donkeyls processes this test process started. */
function serverPids(): number[] {
  const out = spawnSync('pgrep', ['-P', String(process.pid), '-f', binary], { encoding: 'utf8' });
  return out.stdout.split('\n').filter(Boolean).map(Number);
}

let dir = '';
let root = '';
let notBuilt = false;
let ext: InstanceType<typeof DonkeyExtension> | undefined;

before(() => {
  assert.ok(existsSync(binary), `${binary} is missing: run \`npm run build\` first`);
  dir = mkdtempSync(join(tmpdir(), 'donkeyls-e2e-'));
  root = materialize('shop-stale', dir);
  const probe = spawnSync(binary, ['serve'], { input: '', timeout: 10000, encoding: 'utf8' });
  notBuilt = /serve is not built yet/.test(probe.stderr ?? '');
});

after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  resetStub(stub);
  stub.workspaceFolders = [root];
  stub.files = [join(root, 'donkeylabs.config.ts')];
});

afterEach(async () => {
  if (ext !== undefined) {
    await ext.stop();
    ext.dispose();
    ext = undefined;
  }
  await waitFor(() => serverPids().length === 0, () => `every donkeyls serve to exit; still running: ${serverPids().join(', ')}`);
});

async function start(): Promise<{ types: FakeStatusBarItem; dev: FakeStatusBarItem }> {
  ext = new DonkeyExtension({ extensionPath: extensionDir, subscriptions: [] } as never);
  await ext.activate();
  const [types, dev] = stub.statusItems;
  return { types, dev };
}

const staleText = /^\$\(warning\) types: stale \((\d+)\)$/;

test('stale types, then Regenerate: the status shows generating and comes back; a failing run shows failed', async (t) => {
  if (notBuilt) return t.skip('donkeyls serve is not built yet');
  stub.config['donkeyls.typegen.command'] = 'touch typegen-ran';
  stub.config['donkeyls.typegen.onSave'] = 'off';
  const { types, dev } = await start();
  assert.ok(stub.output.some((l) => l.includes(`using ${binary} (from bundled)`)), stub.output.join('\n'));

  await waitFor(() => staleText.test(types.text), () => `"types: stale (N)"; the item showed ${JSON.stringify(types.history)}`);
  assert.equal(types.backgroundColor?.id, 'statusBarItem.warningBackground');
  assert.equal(dev.text, '$(debug-start) dev: stopped');
  // The diagnostics reached the Problems panel's collection as well, as
  // many as the status counts.
  const problems = stub.diagnosticCollections.flatMap((c) => [...c.entries.values()]).flatMap((e) => e.diagnostics);
  const stale = Number(staleText.exec(types.text)![1]);
  assert.ok(problems.length >= stale && stale > 0, `${problems.length} problems, ${stale} stale`);

  const before = types.history.length;
  const titles = stub.progressTitles.length;
  await stub.commands.get(COMMANDS.regenerate)!(root);
  assert.ok(existsSync(join(root, 'typegen-ran')), 'Regenerate Types did not run the configured command');
  await waitFor(() => staleText.test(types.text), () => `the item to come back to stale; it showed ${JSON.stringify(types.history)}`);
  assert.ok(types.history.slice(before).includes('$(sync~spin) types: generating'), JSON.stringify(types.history.slice(before)));
  // The language client showed the server's progress of the run.
  await waitFor(() => stub.progressTitles.length > titles, () => `a progress for the run; shown: ${JSON.stringify(stub.progressTitles)}`);

  // A failing command: the item turns red and the error offers the output.
  stub.config['donkeyls.typegen.command'] = 'echo "error: Cannot find module zod" >&2; exit 3';
  stub.changeConfiguration.fire({ affectsConfiguration: (s) => s === 'donkeyls' || s === 'donkeyls.typegen.command' });
  await stub.commands.get(COMMANDS.regenerate)!(root);
  await waitFor(() => types.text === '$(error) types: failed', () => `"types: failed"; it showed ${JSON.stringify(types.history)}`);
  assert.equal(types.backgroundColor?.id, 'statusBarItem.errorBackground');
  assert.match(String(types.tooltip), /Cannot find module zod/);
  const error = await waitFor(() => stub.messages.find((m) => m.kind === 'error'), () => `an error notification; got ${JSON.stringify(stub.messages)}`);
  assert.match(error.message, /^donkeyls: type generation failed in shop-stale/);
  assert.deepEqual(error.actions, ['Show Output']);
});

test('a crashed server is restarted and the status recovers', async (t) => {
  if (notBuilt) return t.skip('donkeyls serve is not built yet');
  const { types } = await start();
  await waitFor(() => staleText.test(types.text), () => `"types: stale (N)"; it showed ${JSON.stringify(types.history)}`);
  const [pid] = await waitFor(() => (serverPids().length === 1 ? serverPids() : undefined), () => `one donkeyls serve; found ${serverPids().join(', ')}`);

  process.kill(pid, 'SIGKILL');
  await waitFor(() => types.text === '$(circle-slash) donkeyls', () => `the offline item; it showed ${JSON.stringify(types.history)}`);
  assert.match(String(types.tooltip), /restarting in 1s/);
  await waitFor(() => staleText.test(types.text), () => `the restarted server's diagnostics; it showed ${JSON.stringify(types.history)}`);
  const [again] = serverPids();
  assert.notEqual(again, pid);
  assert.ok(stub.output.some((l) => /stopped unexpectedly \(crash 1\); restarting in 1s/.test(l)), stub.output.join('\n'));
});

test('Restart Language Server replaces the process', async (t) => {
  if (notBuilt) return t.skip('donkeyls serve is not built yet');
  const { types } = await start();
  await waitFor(() => staleText.test(types.text), () => `"types: stale (N)"; it showed ${JSON.stringify(types.history)}`);
  const [pid] = serverPids();
  await stub.commands.get(COMMANDS.restartServer)!();
  await waitFor(() => staleText.test(types.text), () => `stale again after the restart; it showed ${JSON.stringify(types.history)}`);
  const pids = serverPids();
  assert.equal(pids.length, 1, `expected one server, found ${pids.join(', ')}`);
  assert.notEqual(pids[0], pid);
  // The old process is gone, not orphaned.
  assert.throws(() => execFileSync('kill', ['-0', String(pid)], { stdio: 'ignore' }));
});

test('Restricted Mode: the server\'s own commands, as a quick fix runs them, are refused; granting trust restarts the server and they run', async (t) => {
  if (notBuilt) return t.skip('donkeyls serve is not built yet');
  stub.trusted = false;
  stub.config['donkeyls.typegen.command'] = 'touch typegen-trusted';
  const marker = join(root, 'typegen-trusted');
  rmSync(marker, { force: true });
  const { types } = await start();
  await waitFor(() => staleText.test(types.text), () => `"types: stale (N)"; it showed ${JSON.stringify(types.history)}`);
  // vscode-languageclient registered the server's commands as VS Code commands.
  const serverRegenerate = await waitFor(() => stub.commands.get('donkeyls.regenerate'), () => 'the client to register donkeyls.regenerate');
  await serverRegenerate(root);
  assert.equal(existsSync(marker), false, 'typegen ran in Restricted Mode');
  assert.ok(stub.messages.some((m) => m.kind === 'warning' && /Restricted Mode/.test(m.message)), JSON.stringify(stub.messages));
  const [untrustedPid] = serverPids();

  stub.trusted = true;
  stub.grantTrust.fire();
  await waitFor(() => serverPids().length === 1 && serverPids()[0] !== untrustedPid, () => `a new server after trust was granted; found ${serverPids().join(', ')}`);
  await waitFor(() => staleText.test(types.text), () => `stale again after the restart; it showed ${JSON.stringify(types.history)}`);
  await waitFor(() => stub.commands.get('donkeyls.regenerate'), () => 'the new client to register donkeyls.regenerate');
  await stub.commands.get('donkeyls.regenerate')!(root);
  assert.ok(existsSync(marker), 'typegen did not run once the workspace was trusted');
});

test('Start Dev Server runs donkeyls dev for the project in a terminal', async (t) => {
  if (notBuilt) return t.skip('donkeyls serve is not built yet');
  stub.config['donkeyls.dev.args'] = ['--port', '3000'];
  const { dev } = await start();
  await stub.commands.get(COMMANDS.startDev)!();
  assert.equal(stub.terminals.length, 1);
  assert.equal(stub.terminals[0].options.shellPath, binary);
  assert.deepEqual(stub.terminals[0].options.shellArgs, ['dev', '--port', '3000', root]);
  assert.equal(dev.text, '$(vm-running) dev: running');
  stub.terminals[0].exit(0);
  assert.equal(dev.text, '$(debug-start) dev: stopped');
});

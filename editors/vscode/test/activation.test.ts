// The extension's activation with the vscode API stubbed: what a user sees
// before any server runs (no project, no binary, Restricted Mode).
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { readManifest } from './manifest';
import { fileUri, installVscodeStub, resetStub, settle } from './vscodeStub';

const stub = installVscodeStub();
const { DonkeyExtension, COMMANDS } = require('../src/extension') as typeof import('../src/extension');

const manifest = readManifest(resolve(__dirname, '..', '..', 'package.json'));

let dir = '';
let shop = '';
let extensionPath = '';
let savedPath: string | undefined;
let ext: InstanceType<typeof DonkeyExtension> | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'donkeyls-activation-'));
  shop = join(dir, 'shop');
  mkdirSync(join(shop, 'src', 'server'), { recursive: true });
  writeFileSync(join(shop, 'donkeylabs.config.ts'), 'export default { plugins: ["./src/server/plugins/**/index.ts"] };\n');
  writeFileSync(join(shop, 'src', 'server', 'index.ts'), 'export {};\n');
  // An installed extension without a bundled binary for this platform.
  extensionPath = join(dir, 'extension');
  mkdirSync(extensionPath);
  // No donkeyls on PATH either.
  savedPath = process.env.PATH;
  process.env.PATH = join(dir, 'empty-bin');
});

after(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => resetStub(stub));

afterEach(() => {
  ext?.dispose();
  ext = undefined;
});

async function activate(): Promise<InstanceType<typeof DonkeyExtension>> {
  ext = new DonkeyExtension({ extensionPath, subscriptions: [] } as never);
  await ext.activate();
  await settle();
  return ext;
}

const visible = () => stub.statusItems.filter((i) => i.visible).map((i) => i.text);

test('every palette command of package.json is registered', async () => {
  await activate();
  const contributed = manifest.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(contributed, Object.values(COMMANDS).sort());
  for (const id of contributed) assert.ok(stub.commands.has(id), `${id} is not registered`);
});

test('a workspace without donkeylabs.config.ts shows nothing and starts nothing', async () => {
  stub.workspaceFolders = [join(dir, 'docs')];
  await activate();
  assert.deepEqual(visible(), []);
  assert.equal(stub.messages.length, 0, JSON.stringify(stub.messages));
  assert.ok(!stub.output.some((l) => /using|no donkeyls binary/.test(l)), stub.output.join('\n'));
});

test('a project but no binary: an error with Open Settings, and the status says the server is not running', async () => {
  stub.workspaceFolders = [dir];
  stub.files = [join(shop, 'donkeylabs.config.ts')];
  stub.answers.push('Open Settings');
  await activate();
  const error = stub.messages.find((m) => m.kind === 'error');
  assert.ok(error, `no error shown; messages: ${JSON.stringify(stub.messages)}`);
  assert.match(error.message, new RegExp(`no donkeyls binary for ${process.platform}-${process.arch}`));
  assert.deepEqual(error.actions, ['Open Settings', 'Show Output']);
  assert.deepEqual(stub.executed.find((e) => e.command === 'workbench.action.openSettings')?.args, ['donkeyls.path']);
  assert.deepEqual(visible(), ['$(circle-slash) donkeyls', '$(debug-start) dev: stopped']);
  // The output says where it looked.
  assert.ok(stub.output.some((l) => l.includes(join(extensionPath, 'bin'))), stub.output.join('\n'));
});

test('donkeyls.path pointing nowhere is reported as such', async () => {
  stub.workspaceFolders = [dir];
  stub.files = [join(shop, 'donkeylabs.config.ts')];
  stub.config['donkeyls.path'] = '/opt/nowhere/donkeyls';
  await activate();
  assert.match(stub.messages[0]?.message ?? '', /donkeyls\.path is set to "\/opt\/nowhere\/donkeyls", but .* does not exist/);
});

test('a project found later, by opening one of its TypeScript files, starts the server', async () => {
  stub.workspaceFolders = [join(dir, 'docs')];
  await activate();
  assert.equal(stub.messages.length, 0, JSON.stringify(stub.messages));
  stub.openDocument.fire({ uri: fileUri(join(shop, 'src', 'server', 'index.ts')), languageId: 'typescript' });
  await settle();
  assert.ok(stub.output.some((l) => l.includes(`found a donkeylabs project at ${shop}`)), stub.output.join('\n'));
  assert.match(stub.messages[0]?.message ?? '', /no donkeyls binary/);
});

test('Restricted Mode: project commands explain themselves and run nothing', async () => {
  stub.trusted = false;
  stub.workspaceFolders = [dir];
  stub.files = [join(shop, 'donkeylabs.config.ts')];
  await activate();
  stub.messages.length = 0;
  for (const id of [COMMANDS.regenerate, COMMANDS.startDev, COMMANDS.restartDev]) {
    await stub.commands.get(id)!();
  }
  await settle();
  assert.equal(stub.messages.length, 3, JSON.stringify(stub.messages));
  for (const m of stub.messages) {
    assert.equal(m.kind, 'warning');
    assert.match(m.message, /Restricted Mode/);
    assert.deepEqual(m.actions, ['Manage Workspace Trust']);
  }
  assert.equal(stub.terminals.length, 0);
  // The status items say so too.
  assert.match(stub.statusItems[0].tooltip ?? '', /Restricted Mode/);
});

test('a hand-edited donkeyls.path that is not a string reads as unset', async () => {
  stub.workspaceFolders = [dir];
  stub.files = [join(shop, 'donkeylabs.config.ts')];
  stub.config['donkeyls.path'] = { not: 'a path' };
  await activate();
  assert.match(stub.messages[0]?.message ?? '', /no donkeyls binary for/);
});

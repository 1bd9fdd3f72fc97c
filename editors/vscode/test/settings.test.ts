import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { readManifest } from './manifest';
import { SettingReader, answerConfiguration, didChangeConfigurationParams, serverSettings } from '../src/settings';

const root = join(__dirname, '..', '..');
const manifest = readManifest(join(root, 'package.json'));
const props = manifest.contributes.configuration.properties;

// Reads like WorkspaceConfiguration.get: user values over package.json defaults.
function reader(user: Record<string, unknown>): SettingReader {
  return <T>(key: string, fallback: T): T => {
    if (key in user) return user[key] as T;
    const decl = props[`donkeyls.${key}`];
    return (decl !== undefined ? decl.default : fallback) as T;
  };
}

test('defaults map to the server contract with the same defaults the server has', () => {
  const { settings, problems } = serverSettings(reader({}), true);
  assert.deepEqual(settings, { typegen: { command: '', onSave: 'whenStale', timeout: '120s' }, trusted: true });
  assert.deepEqual(problems, []);
});

test('user values pass through, trimmed', () => {
  const { settings } = serverSettings(reader({ 'typegen.command': '  bun run gen:types ', 'typegen.onSave': 'always', 'typegen.timeout': '2m30s' }), true);
  assert.deepEqual(settings.typegen, { command: 'bun run gen:types', onSave: 'always', timeout: '2m30s' });
});

test('Restricted Mode sends trusted:false and on-save generation off, whatever the user chose', () => {
  const { settings } = serverSettings(reader({ 'typegen.onSave': 'always' }), false);
  assert.equal(settings.trusted, false);
  assert.equal(settings.typegen.onSave, 'off');
});

test('invalid values fall back to defaults and are reported', () => {
  const { settings, problems } = serverSettings(reader({ 'typegen.onSave': 'sometimes', 'typegen.timeout': 'two minutes', 'typegen.command': 42 }), true);
  assert.deepEqual(settings.typegen, { command: '', onSave: 'whenStale', timeout: '120s' });
  assert.equal(problems.length, 3);
  assert.match(problems.join('\n'), /onSave.*"sometimes"/);
  assert.match(problems.join('\n'), /timeout.*"two minutes"/);
});

test('every setting the mapping reads is declared in package.json with the enum the server accepts', () => {
  assert.deepEqual(props['donkeyls.typegen.onSave'].enum, ['off', 'whenStale', 'always']);
  for (const key of ['donkeyls.path', 'donkeyls.typegen.command', 'donkeyls.typegen.timeout', 'donkeyls.trace.server', 'donkeyls.typescript.restartTsServer', 'donkeyls.dev.args', 'donkeyls.server.logFile']) {
    assert.ok(props[key], `${key} is not declared`);
    assert.ok((props[key] as { markdownDescription?: string }).markdownDescription, `${key} has no description`);
  }
});

test('settings that would run code are restricted in untrusted workspaces', () => {
  const cap = manifest.capabilities.untrustedWorkspaces;
  assert.equal(cap.supported, 'limited');
  for (const key of ['donkeyls.path', 'donkeyls.typegen.command', 'donkeyls.typegen.onSave', 'donkeyls.dev.args']) {
    assert.ok(cap.restrictedConfigurations.includes(key), `${key} is not restricted`);
  }
});

test('workspace/configuration: donkeyls items from the mapping, others from the defaults', () => {
  const s = serverSettings(reader({ 'typegen.onSave': 'off' }), true).settings;
  const scopes: (string | undefined)[] = [];
  const answer = answerConfiguration(
    [{ section: 'donkeyls', scopeUri: 'file:///w/shop' }, { section: 'editor' }, { section: 'donkeyls.typegen' }, { section: 'donkeyls.nope.deeper' }],
    (scope) => {
      scopes.push(scope);
      return s;
    },
    [{ ignored: true }, { tabSize: 2 }, null, null],
  );
  assert.deepEqual(answer, [s, { tabSize: 2 }, s.typegen, null]);
  assert.deepEqual(scopes, ['file:///w/shop', undefined, undefined]);
});

test('didChangeConfiguration carries the settings under the donkeyls section', () => {
  const s = serverSettings(reader({}), false).settings;
  assert.deepEqual(didChangeConfigurationParams(s), { settings: { donkeyls: s } });
});

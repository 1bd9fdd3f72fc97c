import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FileProbe, ResolveInput, bundledBinaryPath, resolveBinary } from '../src/binary';

// A file system of named files; executables are listed separately.
function fakeFs(files: string[], executable: string[] = files): FileProbe {
  return { isFile: (p) => files.includes(p), isExecutable: (p) => executable.includes(p) };
}

const base: ResolveInput = {
  configured: '',
  workspaceFolder: '/home/ana/shop',
  extensionPath: '/home/ana/.vscode/extensions/donkeyls.donkeyls-0.1.0',
  platform: 'linux',
  arch: 'x64',
  envPath: '/usr/local/bin:/usr/bin',
  home: '/home/ana',
};
const bundled = '/home/ana/.vscode/extensions/donkeyls.donkeyls-0.1.0/bin/linux-x64/donkeyls';

test('the donkeyls.path setting wins over the bundled binary and PATH', () => {
  const fs = fakeFs(['/opt/dl/donkeyls', bundled, '/usr/bin/donkeyls']);
  const r = resolveBinary({ ...base, configured: '/opt/dl/donkeyls' }, fs);
  assert.deepEqual(r, { ok: true, path: '/opt/dl/donkeyls', source: 'setting', needsChmod: false });
});

test('a setting with ~ or ${workspaceFolder} or a relative path is expanded', () => {
  const fs = fakeFs(['/home/ana/go/bin/donkeyls', '/home/ana/shop/tools/donkeyls']);
  const a = resolveBinary({ ...base, configured: '~/go/bin/donkeyls' }, fs);
  assert.ok(a.ok && a.path === '/home/ana/go/bin/donkeyls');
  const b = resolveBinary({ ...base, configured: '${workspaceFolder}/tools/donkeyls' }, fs);
  assert.ok(b.ok && b.path === '/home/ana/shop/tools/donkeyls');
  const c = resolveBinary({ ...base, configured: 'tools/donkeyls' }, fs);
  assert.ok(c.ok && c.path === '/home/ana/shop/tools/donkeyls');
});

test('a setting that points nowhere is an error, not a silent fallback', () => {
  const fs = fakeFs([bundled, '/usr/bin/donkeyls']);
  const r = resolveBinary({ ...base, configured: '/opt/missing/donkeyls' }, fs);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : '', /donkeyls\.path .*\/opt\/missing\/donkeyls does not exist/);
});

test('a setting that points at a non-executable file is an error', () => {
  const fs = fakeFs(['/opt/dl/donkeyls'], []);
  const r = resolveBinary({ ...base, configured: '/opt/dl/donkeyls' }, fs);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : '', /not executable/);
});

test('without a setting the bundled binary for this platform is used', () => {
  const fs = fakeFs([bundled, '/usr/bin/donkeyls']);
  assert.deepEqual(resolveBinary(base, fs), { ok: true, path: bundled, source: 'bundled', needsChmod: false });
});

test('a bundled binary that lost its mode bits is used and flagged for chmod', () => {
  const fs = fakeFs([bundled], []);
  assert.deepEqual(resolveBinary(base, fs), { ok: true, path: bundled, source: 'bundled', needsChmod: true });
});

test('another platform does not pick the linux-x64 binary', () => {
  const fs = fakeFs([bundled]);
  const r = resolveBinary({ ...base, platform: 'darwin', arch: 'arm64', envPath: '/usr/bin' }, fs);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : '', /darwin-arm64/);
  assert.ok(!r.ok && r.tried.includes(bundledBinaryPath(base.extensionPath, 'darwin', 'arm64')));
});

test('PATH is searched in order when nothing is bundled', () => {
  const fs = fakeFs(['/usr/local/bin/donkeyls', '/usr/bin/donkeyls']);
  const r = resolveBinary(base, fs);
  assert.deepEqual(r, { ok: true, path: '/usr/local/bin/donkeyls', source: 'PATH', needsChmod: false });
});

test('PATH entries that are not executable or relative are skipped', () => {
  const fs = fakeFs(['/usr/local/bin/donkeyls', '/usr/bin/donkeyls', 'node_modules/.bin/donkeyls'], ['/usr/bin/donkeyls', 'node_modules/.bin/donkeyls']);
  const r = resolveBinary({ ...base, envPath: 'node_modules/.bin:/usr/local/bin:/usr/bin' }, fs);
  assert.deepEqual(r, { ok: true, path: '/usr/bin/donkeyls', source: 'PATH', needsChmod: false });
});

test('Windows looks for donkeyls.exe along a ; separated PATH', () => {
  const fs = fakeFs(['C:\\tools\\donkeyls.exe'], []);
  const r = resolveBinary({ ...base, extensionPath: 'C:\\ext', platform: 'win32', envPath: 'C:\\nope;C:\\tools', workspaceFolder: undefined }, fs);
  assert.deepEqual(r, { ok: true, path: 'C:\\tools\\donkeyls.exe', source: 'PATH', needsChmod: false });
  assert.equal(bundledBinaryPath('C:\\ext', 'win32', 'x64'), 'C:\\ext\\bin\\win32-x64\\donkeyls.exe');
});

test('nothing anywhere: the message says how to get a binary and lists where it looked', () => {
  const r = resolveBinary(base, fakeFs([]));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.message, /set donkeyls\.path/);
    // The module is not published: the install command it names must work from a clone.
    assert.match(r.message, /go install \.\/cmd\/donkeyls in a clone/);
    assert.doesNotMatch(r.message, /@latest/);
    assert.deepEqual(r.tried, [bundled, '/usr/local/bin/donkeyls', '/usr/bin/donkeyls']);
  }
});

// Packages the extension with vsce, as CI does, and checks what the .vsix
// holds: exactly the bundle, the binary (executable), the manifest and the
// documents. Needs `npm run build` first.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { parseManifest } from './manifest';

const extensionDir = resolve(__dirname, '..', '..');
const platformDir = `${process.platform}-${process.arch}`;

interface Entry {
  name: string;
  /** Unix mode from the external attributes (0 when the zip has none). */
  mode: number;
  method: number;
  compressedSize: number;
  localHeader: number;
}

// Reads a zip's central directory (no zip64: a .vsix here is a few MB).
function readZip(buf: Buffer): Entry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, 'no end of central directory: not a zip');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const external = buf.readUInt32LE(p + 38);
    const localHeader = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.push({ name, mode: (external >>> 16) & 0o7777, method, compressedSize, localHeader });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function contents(buf: Buffer, e: Entry): Buffer {
  const h = e.localHeader;
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
  const data = buf.subarray(start, start + e.compressedSize);
  return e.method === 8 ? inflateRawSync(data) : Buffer.from(data);
}

let dir = '';
let vsix: Buffer;
let entries: Entry[];

before(() => {
  assert.ok(existsSync(join(extensionDir, 'dist', 'extension.js')), 'dist/extension.js is missing: run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'donkeyls-vsix-'));
  const out = join(dir, 'donkeyls.vsix');
  const vsce = join(extensionDir, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', out], { cwd: extensionDir, stdio: 'pipe' });
  vsix = readFileSync(out);
  entries = readZip(vsix);
});

after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('the .vsix holds exactly the bundle, the binary, the manifest and the documents', () => {
  const names = entries.map((e) => e.name).sort();
  assert.deepEqual(names, [
    '[Content_Types].xml',
    'extension.vsixmanifest',
    'extension/LICENSE.txt',
    `extension/bin/${platformDir}/donkeyls`,
    'extension/changelog.md',
    'extension/dist/extension.js',
    'extension/package.json',
    'extension/readme.md',
  ].sort());
});

test('the bundled binary is executable once unpacked', () => {
  const bin = entries.find((e) => e.name === `extension/bin/${platformDir}/donkeyls`)!;
  assert.equal(bin.mode & 0o111, 0o111, `mode ${bin.mode.toString(8)}`);
  // It is an ELF (or Mach-O) executable, not a stray text file.
  const head = contents(vsix, bin).subarray(0, 4);
  assert.ok(head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) || head.readUInt32LE(0) === 0xfeedfacf, `unexpected header ${head.toString('hex')}`);
});

test('the bundle needs nothing at run time but vscode and Node built-ins', () => {
  const js = contents(vsix, entries.find((e) => e.name === 'extension/dist/extension.js')!).toString('utf8');
  const required = new Set([...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const foreign = [...required].filter((r) => r !== 'vscode' && !builtins.has(r));
  assert.deepEqual(foreign, [], 'the bundle requires modules the .vsix does not carry');
  assert.ok(required.has('vscode'));
});

test('the packaged manifest activates on donkeylabs projects and declares limited trust support', () => {
  const pkg = parseManifest(contents(vsix, entries.find((e) => e.name === 'extension/package.json')!).toString('utf8'));
  assert.equal(pkg.main, './dist/extension.js');
  assert.ok(pkg.activationEvents.includes('workspaceContains:**/donkeylabs.config.ts'));
  assert.ok(pkg.activationEvents.includes('onLanguage:typescript'));
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  const titles = pkg.contributes.commands.map((c) => `${c.category}: ${c.title}`).sort();
  assert.deepEqual(titles, [
    'donkeyls: Regenerate Types',
    'donkeyls: Restart Dev Server',
    'donkeyls: Restart Language Server',
    'donkeyls: Show Output',
    'donkeyls: Start Dev Server',
  ]);
  assert.deepEqual(pkg.dependencies ?? {}, {}, 'runtime dependencies would make vsce pack node_modules');
});

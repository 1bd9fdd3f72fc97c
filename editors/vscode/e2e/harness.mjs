// The pieces the end-to-end test drives: a code-server (a real VS Code, the
// workbench served to a browser) in its own process group with every
// profile, config and cache directory inside one temporary folder, and
// Chromium through puppeteer-core, both on 127.0.0.1 only.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Waits at most this long for anything the UI should show. */
export const UI_TIMEOUT_MS = 30000;

/** A free port on 127.0.0.1 (the kernel picks; closed again before use). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls fn until it returns a truthy value or timeoutMs passes. */
export async function waitFor(what, fn, timeoutMs = UI_TIMEOUT_MS, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Environment that keeps every per-user directory inside root. */
export function isolatedEnv(root, extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k.startsWith('npm_')) delete env[k];
  const dirs = { HOME: 'home', XDG_CONFIG_HOME: 'config', XDG_DATA_HOME: 'data', XDG_CACHE_HOME: 'cache', XDG_STATE_HOME: 'state', TMPDIR: 'tmp' };
  for (const [k, d] of Object.entries(dirs)) {
    env[k] = join(root, d);
    mkdirSync(env[k], { recursive: true });
  }
  return { ...env, ...extra };
}

/** Kills a process group started with detached: true; never throws. */
export function killGroup(pid, signal = 'SIGTERM') {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after graceMs, to the whole group. */
export async function stopGroup(pid, graceMs = 3000) {
  if (!pid) return;
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
}

/**
 * One code-server. `install` installs a .vsix into its extensions dir;
 * `start` serves `folder` on 127.0.0.1 with the given user settings.
 */
export class CodeServer {
  constructor({ node, entry, root, log }) {
    this.node = node;
    this.entry = entry;
    this.root = root;
    this.userData = join(root, 'user-data');
    this.extensions = join(root, 'extensions');
    this.env = isolatedEnv(root);
    this.log = log;
    this.proc = undefined;
    this.output = '';
  }

  baseArgs() {
    return ['--user-data-dir', this.userData, '--extensions-dir', this.extensions, '--config', join(this.root, 'code-server.yaml')];
  }

  install(vsix) {
    writeFileSync(join(this.root, 'code-server.yaml'), 'auth: none\n');
    const res = spawnSync(this.node, [this.entry, ...this.baseArgs(), '--force', '--install-extension', vsix], {
      env: this.env,
      encoding: 'utf8',
      timeout: 120000,
    });
    if (res.status !== 0) throw new Error(`installing ${vsix} failed (${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`);
    this.log(res.stdout.trim());
  }

  /**
   * Writes the user settings, and the same as the remote machine's: in
   * code-server the extension host is "remote", where settings scoped
   * machine or machine-overridable (donkeyls.path, donkeyls.server.logFile)
   * are read from Machine/settings.json only.
   */
  writeUserSettings(settings) {
    for (const d of ['User', 'Machine']) {
      const dir = join(this.userData, d);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
    }
  }

  /** Writes the user's keybindings.json (read by the workbench in the browser). */
  writeKeybindings(bindings) {
    const dir = join(this.userData, 'User');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'keybindings.json'), JSON.stringify(bindings, null, 2));
  }

  async start(folder, { trustEnabled }) {
    const port = await freePort();
    const args = [
      this.entry,
      ...this.baseArgs(),
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ];
    if (!trustEnabled) args.push('--disable-workspace-trust');
    args.push(folder);
    this.output = '';
    // detached: its own process group, so the extension host, the language
    // server and any typegen it started go down with it.
    this.proc = spawn(this.node, args, { env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (b) => {
      this.output += b.toString();
      if (this.output.length > 1 << 20) this.output = this.output.slice(-(1 << 19));
    };
    this.proc.stdout.on('data', collect);
    this.proc.stderr.on('data', collect);
    const exited = new Promise((_, reject) => this.proc.once('exit', (c, s) => reject(new Error(`code-server exited (${c ?? s}):\n${this.output}`))));
    exited.catch(() => {});
    const url = `http://127.0.0.1:${port}/`;
    await Promise.race([
      exited,
      waitFor('code-server to listen', async () => {
        const res = await fetch(url + 'healthz', { signal: AbortSignal.timeout(2000) });
        return res.ok;
      }, 60000),
    ]);
    return `${url}?folder=${encodeURIComponent(folder)}`;
  }

  async stop() {
    const p = this.proc;
    this.proc = undefined;
    if (p) await stopGroup(p.pid);
  }
}

/** Chromium flags for a root user on a closed network. */
export function chromiumArgs(profile) {
  return [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    // 127.0.0.1 only: every other host goes to a proxy on a port nothing
    // listens on (port 9, discard), and no name resolves.
    '--proxy-server=http://127.0.0.1:9',
    '--proxy-bypass-list=127.0.0.1',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--window-size=1600,1000',
    `--user-data-dir=${profile}`,
  ];
}

export function findChromium() {
  for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean)) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

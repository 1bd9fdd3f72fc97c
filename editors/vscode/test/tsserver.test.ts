// Checks the TypeScript-restart rule of src/tsRefresh.ts against a real
// tsserver (TypeScript 5, the one VS Code's TypeScript extension runs):
// generated declarations it watches are re-read by itself, so no restart;
// declarations under node_modules/.something are not, so a restart (here:
// tsserver's reloadProjects, what a restart amounts to) is needed.
import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { decideTsRestart, enabledPatterns } from '../src/tsRefresh';

const tsserverJs = resolve(__dirname, '..', '..', 'node_modules', 'typescript', 'lib', 'tsserver.js');
// Bounds every wait for tsserver; generous because its first request
// builds the program, which takes tens of seconds on two busy shared cores
// (as the Go tests' lsptest.Timeout), and a wait that passes never costs it.
const WAIT_MS = 60000;
// How long a change that tsserver ignores is given to show up anyway.
const QUIET_MS = 5000;

// VS Code's default files.watcherExclude.
const vscodeDefaults = enabledPatterns({ '**/.git/objects/**': true, '**/.git/subtree-cache/**': true, '**/node_modules/*/**': true, '**/.hg/store/**': true });

interface Diagnostic {
  code: number;
  text: string;
}

// Every tsserver started, so the after hook can stop the ones a failed
// scenario left: a live child keeps this test file, and npm test, running
// forever.
const servers: TsServer[] = [];

class TsServer {
  private readonly proc: ChildProcess;
  private buf = Buffer.alloc(0);
  private seq = 0;
  private readonly waiting = new Map<number, (body: unknown) => void>();

  constructor(cwd: string) {
    this.proc = spawn(process.execPath, [tsserverJs, '--disableAutomaticTypingAcquisition', '--locale', 'en'], { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
    this.proc.stdout!.on('data', (d: Buffer) => this.read(d));
    servers.push(this);
  }

  private read(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const head = /Content-Length: (\d+)\r\n\r\n/.exec(this.buf.toString('latin1'));
      if (head === null) return;
      const start = head.index + head[0].length;
      const end = start + Number(head[1]);
      if (this.buf.length < end) return;
      const msg = JSON.parse(this.buf.subarray(start, end).toString('utf8')) as { type: string; request_seq: number; body: unknown };
      this.buf = this.buf.subarray(end);
      if (msg.type === 'response') {
        this.waiting.get(msg.request_seq)?.(msg.body);
        this.waiting.delete(msg.request_seq);
      }
    }
  }

  request<T>(command: string, args: unknown): Promise<T> {
    const seq = ++this.seq;
    this.proc.stdin!.write(JSON.stringify({ seq, type: 'request', command, arguments: args }) + '\n');
    return new Promise<T>((resolveBody, reject) => {
      const timer = setTimeout(() => reject(new Error(`tsserver did not answer ${command} within ${WAIT_MS / 1000}s`)), WAIT_MS);
      this.waiting.set(seq, (body) => {
        clearTimeout(timer);
        resolveBody(body as T);
      });
    });
  }

  diagnostics(file: string): Promise<Diagnostic[]> {
    return this.request<Diagnostic[]>('semanticDiagnosticsSync', { file });
  }

  /** Polls until the file's diagnostics satisfy ok, or the time is up; returns the last ones. */
  async until(file: string, ok: (d: Diagnostic[]) => boolean, ms: number): Promise<Diagnostic[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const d = await this.diagnostics(file);
      if (ok(d) || Date.now() > deadline) return d;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): void {
    this.proc.kill();
  }
}

const dirs: string[] = [];
after(() => {
  for (const s of servers) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A project whose source uses a global the generated declaration provides. */
function project(outDir: string, initial: string | undefined): { root: string; use: string; registry: string } {
  const root = mkdtempSync(join(tmpdir(), 'donkeyls-tsserver-'));
  dirs.push(root);
  mkdirSync(join(root, 'src'));
  writeFileSync(
    join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] }, include: ['src/**/*.ts', `${outDir}/**/*.d.ts`] }),
  );
  const use = join(root, 'src', 'routes.ts');
  writeFileSync(use, 'declare const plugins: PluginRegistry;\nexport const list = plugins.orders.list;\n');
  const registry = join(root, outDir, 'registry.d.ts');
  if (initial !== undefined) {
    mkdirSync(join(root, outDir), { recursive: true });
    writeFileSync(registry, initial);
  }
  return { root, use, registry };
}

const withoutOrders = 'export {};\ndeclare global { interface PluginRegistry { users: { get(): string } } }\n';
const withOrders = 'export {};\ndeclare global { interface PluginRegistry { users: { get(): string }; orders: { list(): string[] } } }\n';

async function scenario(outDir: string, initial: string | undefined) {
  const p = project(outDir, initial);
  const ts = new TsServer(p.root);
  try {
    await ts.request('open', { file: p.use, projectRootPath: p.root });
    const before = await ts.diagnostics(p.use);
    // What the generator does: (re)write the output in place.
    mkdirSync(join(p.registry, '..'), { recursive: true });
    writeFileSync(p.registry, withOrders);
    const decision = decideTsRestart({ mode: 'auto', outputs: [p.registry], watcherExclude: vscodeDefaults, workspaceFolders: [p.root] });
    return { ...p, ts, before, decision };
  } catch (err) {
    ts.close(); // the test's finally never sees a server it was not handed
    throw err;
  }
}

test('a rewritten declaration in .@donkeylabs/server is re-read by tsserver itself: no restart', async () => {
  const s = await scenario('.@donkeylabs/server', withoutOrders);
  try {
    assert.deepEqual(s.before.map((d) => d.code), [2339], 'the stale registry should hide orders');
    const after = await s.ts.until(s.use, (d) => d.length === 0, WAIT_MS);
    assert.deepEqual(after.map((d) => d.text), [], 'tsserver did not pick up the rewritten registry.d.ts');
    assert.equal(s.decision.restart, false, s.decision.reason);
  } finally {
    s.ts.close();
  }
});

test('an output directory created after tsserver started is noticed: no restart', async () => {
  const s = await scenario('.@donkeylabs/server', undefined);
  try {
    assert.deepEqual(s.before.map((d) => d.code), [2304], 'without the generated file PluginRegistry is unknown');
    const after = await s.ts.until(s.use, (d) => d.length === 0, WAIT_MS);
    assert.deepEqual(after.map((d) => d.text), [], 'tsserver did not notice the new registry.d.ts');
    assert.equal(s.decision.restart, false, s.decision.reason);
  } finally {
    s.ts.close();
  }
});

test('a rewritten declaration under node_modules/. is not re-read until the project reloads: restart', async () => {
  const s = await scenario('node_modules/.donkeylabs', withoutOrders);
  try {
    assert.deepEqual(s.before.map((d) => d.code), [2339]);
    const after = await s.ts.until(s.use, (d) => d.length === 0, QUIET_MS);
    assert.deepEqual(after.map((d) => d.code), [2339], 'tsserver now re-reads node_modules/. outputs by itself; the restart rule can be relaxed');
    assert.equal(s.decision.restart, true, s.decision.reason);
    // What typescript.restartTsServer achieves: the project is read again.
    await s.ts.request('reloadProjects', {});
    const reloaded = await s.ts.until(s.use, (d) => d.length === 0, WAIT_MS);
    assert.deepEqual(reloaded.map((d) => d.text), [], 'even a reload did not pick up the new registry');
  } finally {
    s.ts.close();
  }
});

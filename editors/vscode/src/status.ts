// The status bar's state machine: server events in, two status items and
// their click menus out. Pure (no vscode import, the clock is passed in) so
// every transition is unit-tested.

/** Diagnostic codes that mean "the generated types are out of date". */
export const STALENESS_CODES: ReadonlySet<string> = new Set([
  'stale-registry',
  'stale-context',
  'stale-schema',
  'stale-events',
  'stale-client',
  'types-missing',
]);

export const RESTART_CODE = 'restart-required';

/** An error shown this soon after generation ended still belongs to it. */
export const FAILURE_WINDOW_MS = 10000;

export type ServerPhase = 'starting' | 'running' | 'stopped' | 'crashed';

export type TypesView = 'starting' | 'offline' | 'busy' | 'fresh' | 'stale' | 'generating' | 'failed';
export type DevView = 'stopped' | 'running' | 'restartNeeded';

export type Event =
  | { kind: 'server'; phase: ServerPhase; detail?: string }
  | { kind: 'diagnostics'; uri: string; codes: string[] }
  | { kind: 'progressBegin'; token: string; title: string; now: number }
  | { kind: 'progressEnd'; token: string; now: number; message?: string }
  | { kind: 'errorMessage'; message: string; now: number }
  | { kind: 'dev'; running: boolean }
  | { kind: 'trust'; trusted: boolean };

export interface Model {
  phase: ServerPhase;
  phaseDetail?: string;
  trusted: boolean;
  /** Per document: how many staleness diagnostics it has. */
  stale: ReadonlyMap<string, number>;
  /** Per document: how many restart-required diagnostics it has. */
  restart: ReadonlyMap<string, number>;
  /** Progress tokens between begin and end, with their titles. */
  progress: ReadonlyMap<string, string>;
  /** When the last type generation ended. */
  lastTypegenEnd?: number;
  failure?: string;
  devRunning: boolean;
}

export function initialModel(trusted: boolean): Model {
  return { phase: 'starting', trusted, stale: new Map(), restart: new Map(), progress: new Map(), devRunning: false };
}

const typegenWords = /typegen|generat|gen:types/i;

/**
 * The server reports other work with progress too (indexing a project);
 * only progress titled as type generation is "generating".
 */
export function isTypegenTitle(title: string): boolean {
  return typegenWords.test(title);
}

function typegenRunning(m: Model): boolean {
  for (const title of m.progress.values()) if (isTypegenTitle(title)) return true;
  return false;
}

function withCount(m: ReadonlyMap<string, number>, uri: string, n: number): Map<string, number> {
  const out = new Map(m);
  if (n > 0) {
    out.set(uri, n);
  } else {
    out.delete(uri);
  }
  return out;
}

export function reduce(m: Model, e: Event): Model {
  switch (e.kind) {
    case 'server':
      if (e.phase === 'running') {
        return { ...m, phase: e.phase, phaseDetail: e.detail };
      }
      // A server that is gone has withdrawn its diagnostics and progress.
      return {
        ...m,
        phase: e.phase,
        phaseDetail: e.detail,
        stale: new Map(),
        restart: new Map(),
        progress: new Map(),
        failure: undefined,
      };
    case 'diagnostics': {
      let stale = 0;
      let restart = 0;
      for (const c of e.codes) {
        if (STALENESS_CODES.has(c)) stale++;
        else if (c === RESTART_CODE) restart++;
      }
      return { ...m, stale: withCount(m.stale, e.uri, stale), restart: withCount(m.restart, e.uri, restart) };
    }
    case 'progressBegin': {
      const progress = new Map(m.progress);
      progress.set(e.token, e.title);
      // A new generation supersedes the last failure.
      return { ...m, progress, failure: isTypegenTitle(e.title) ? undefined : m.failure };
    }
    case 'progressEnd': {
      const title = m.progress.get(e.token);
      if (title === undefined) return m;
      const progress = new Map(m.progress);
      progress.delete(e.token);
      if (!isTypegenTitle(title)) return { ...m, progress };
      // The server ends a failed run's progress with "failed" and then shows
      // the reason; the reason replaces this placeholder.
      const failed = e.message !== undefined && /fail/i.test(e.message);
      return { ...m, progress, lastTypegenEnd: e.now, failure: failed ? m.failure ?? 'see the donkeyls output' : m.failure };
    }
    case 'errorMessage': {
      const duringRun =
        typegenRunning(m) || (m.lastTypegenEnd !== undefined && e.now - m.lastTypegenEnd <= FAILURE_WINDOW_MS);
      if (duringRun || typegenWords.test(e.message)) {
        return { ...m, failure: e.message };
      }
      return m;
    }
    case 'dev':
      return { ...m, devRunning: e.running };
    case 'trust':
      return { ...m, trusted: e.trusted };
  }
}

function sum(m: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

export function staleCount(m: Model): number {
  return sum(m.stale);
}

export function typesView(m: Model): TypesView {
  if (m.phase === 'starting') return 'starting';
  if (m.phase !== 'running') return 'offline';
  if (typegenRunning(m)) return 'generating';
  if (m.failure !== undefined) return 'failed';
  if (staleCount(m) > 0) return 'stale';
  if (m.progress.size > 0) return 'busy';
  return 'fresh';
}

export function devView(m: Model): DevView {
  // restart-required comes from the server, which learns from the running
  // dev server what it loaded: it holds even for a dev server started outside
  // this window.
  if (m.phase === 'running' && sum(m.restart) > 0) return 'restartNeeded';
  return m.devRunning ? 'running' : 'stopped';
}

export type ActionId =
  | 'regenerate'
  | 'showOutput'
  | 'showProblems'
  | 'restartServer'
  | 'startDev'
  | 'restartDev'
  | 'showDev'
  | 'manageTrust';

export interface Action {
  id: ActionId;
  label: string;
}

export type Tone = 'normal' | 'warning' | 'error';

export interface ItemView {
  text: string;
  tooltip: string;
  tone: Tone;
  /** What clicking offers, the most relevant first. */
  actions: Action[];
}

const A = {
  regenerate: { id: 'regenerate', label: '$(sync) Regenerate Types' },
  showOutput: { id: 'showOutput', label: '$(output) Show Output' },
  showProblems: { id: 'showProblems', label: '$(warning) Show Problems' },
  restartServer: { id: 'restartServer', label: '$(debug-restart) Restart Language Server' },
  startDev: { id: 'startDev', label: '$(play) Start Dev Server' },
  restartDev: { id: 'restartDev', label: '$(debug-restart) Restart Dev Server' },
  showDev: { id: 'showDev', label: '$(terminal) Show Dev Server Terminal' },
  manageTrust: { id: 'manageTrust', label: '$(shield) Manage Workspace Trust' },
} as const satisfies Record<ActionId, Action>;

const restricted = ' Restricted Mode: donkeyls runs no project commands until you trust this workspace.';

/**
 * Actions that run project code are never offered untrusted; Manage
 * Workspace Trust takes their place.
 */
function gate(trusted: boolean, actions: Action[]): Action[] {
  if (trusted) return actions;
  const safe = actions.filter((a) => a.id !== 'regenerate' && a.id !== 'startDev' && a.id !== 'restartDev');
  return safe.length === actions.length ? safe : [A.manageTrust, ...safe];
}

/** A server text without the "donkeyls: " the item already says. */
export function bare(text: string): string {
  return text.replace(/^donkeyls:\s*/i, '');
}

export function typesItem(m: Model): ItemView {
  const n = staleCount(m);
  const trustNote = m.trusted ? '' : restricted;
  switch (typesView(m)) {
    case 'starting':
      return { text: '$(loading~spin) donkeyls', tooltip: `donkeyls: starting the language server.${trustNote}`, tone: 'normal', actions: [A.showOutput] };
    case 'offline':
      return {
        text: '$(circle-slash) donkeyls',
        tooltip: `donkeyls: the language server is not running${m.phaseDetail ? ` (${m.phaseDetail})` : ''}. Click to restart it.${trustNote}`,
        tone: m.phase === 'crashed' ? 'error' : 'normal',
        actions: [A.restartServer, A.showOutput],
      };
    case 'generating': {
      const title = [...m.progress.values()].filter(isTypegenTitle).pop() ?? 'regenerating types';
      return { text: '$(sync~spin) types: generating', tooltip: `donkeyls: ${bare(title)}`, tone: 'normal', actions: [A.showOutput] };
    }
    case 'busy': {
      const title = [...m.progress.values()].pop() ?? 'working';
      return { text: '$(loading~spin) types', tooltip: `donkeyls: ${bare(title)}`, tone: 'normal', actions: [A.showOutput] };
    }
    case 'failed':
      return {
        text: '$(error) types: failed',
        tooltip: `donkeyls: type generation failed: ${bare(m.failure ?? '')}${trustNote}`,
        tone: 'error',
        actions: gate(m.trusted, [A.showOutput, A.regenerate, A.showProblems]),
      };
    case 'stale':
      return {
        text: `$(warning) types: stale (${n})`,
        tooltip: `donkeyls: ${n} ${n === 1 ? 'problem says' : 'problems say'} the generated types are out of date. Click to regenerate.${trustNote}`,
        tone: 'warning',
        actions: gate(m.trusted, [A.regenerate, A.showProblems, A.showOutput]),
      };
    case 'fresh':
      return {
        text: '$(check) types',
        tooltip: `donkeyls: generated types are up to date.${trustNote}`,
        tone: 'normal',
        actions: gate(m.trusted, [A.regenerate, A.showOutput, A.restartServer]),
      };
  }
}

export function devItem(m: Model): ItemView {
  const trustNote = m.trusted ? '' : restricted;
  switch (devView(m)) {
    case 'restartNeeded': {
      const n = sum(m.restart);
      return {
        text: '$(debug-restart) dev: restart needed',
        tooltip: `donkeyls: the running dev server has old code loaded (${n} ${n === 1 ? 'change needs' : 'changes need'} a restart). Click to restart it.${trustNote}`,
        tone: 'warning',
        actions: gate(m.trusted, [A.restartDev, A.showProblems, ...(m.devRunning ? [A.showDev] : [])]),
      };
    }
    case 'running':
      return {
        text: '$(vm-running) dev: running',
        tooltip: `donkeyls: the dev server runs under donkeyls dev in a terminal.${trustNote}`,
        tone: 'normal',
        actions: gate(m.trusted, [A.showDev, A.restartDev]),
      };
    case 'stopped':
      return {
        text: '$(debug-start) dev: stopped',
        tooltip: `donkeyls: no dev server started from this window. Click to start donkeyls dev.${trustNote}`,
        tone: 'normal',
        actions: gate(m.trusted, [A.startDev]),
      };
  }
}

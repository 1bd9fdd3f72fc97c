// The status bar's state machine: the server's donkeyls/status notifications
// (docs/protocol.md) and the extension's own events in, two status items and
// their click menus out. Pure (no vscode import) so every transition is
// unit-tested. It knows no diagnostic code and reads no server text: what is
// stale, generating, failed or needs a restart is the server's data.

/** The donkeyls/status notification. */
export const STATUS_METHOD = 'donkeyls/status';

export type TypesState = 'indexing' | 'unknown' | 'fresh' | 'stale' | 'generating' | 'failed';
export type DevState = 'stopped' | 'running' | 'restartNeeded';

/** The params of donkeyls/status: one project's state. */
export interface ProjectStatus {
  root: string;
  removed?: boolean;
  types: {
    state: TypesState;
    stale: number;
    findings: Record<string, number>;
    command?: string;
    failure?: string;
    error?: string;
  };
  dev: { state: DevState; restart: number; supervisor?: string; pid?: number };
  trusted: boolean;
}

export type ServerPhase = 'starting' | 'running' | 'stopped' | 'crashed';

export type TypesView = 'starting' | 'offline' | 'busy' | 'unknown' | 'fresh' | 'stale' | 'generating' | 'failed';
export type DevView = 'stopped' | 'running' | 'restartNeeded';

export type Event =
  | { kind: 'server'; phase: ServerPhase; detail?: string }
  | { kind: 'status'; status: ProjectStatus }
  | { kind: 'dev'; running: boolean }
  | { kind: 'trust'; trusted: boolean };

export interface Model {
  phase: ServerPhase;
  phaseDetail?: string;
  /** Workspace Trust, as this window knows it. */
  trusted: boolean;
  /** The last status of every project the server serves, by root. */
  projects: ReadonlyMap<string, ProjectStatus>;
  /** A donkeyls dev terminal of this window runs. */
  devRunning: boolean;
}

export function initialModel(trusted: boolean): Model {
  return { phase: 'starting', trusted, projects: new Map(), devRunning: false };
}

/** Decodes a donkeyls/status params object; undefined for anything else. */
export function parseStatus(params: unknown): ProjectStatus | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const p = params as Partial<ProjectStatus>;
  if (typeof p.root !== 'string' || typeof p.types !== 'object' || p.types === null || typeof p.dev !== 'object' || p.dev === null) {
    return undefined;
  }
  return {
    root: p.root,
    removed: p.removed === true,
    types: {
      state: p.types.state,
      stale: Number(p.types.stale) || 0,
      findings: typeof p.types.findings === 'object' && p.types.findings !== null ? p.types.findings : {},
      command: p.types.command,
      failure: p.types.failure,
      error: p.types.error,
    },
    dev: { state: p.dev.state, restart: Number(p.dev.restart) || 0, supervisor: p.dev.supervisor, pid: p.dev.pid },
    trusted: p.trusted === true,
  };
}

export function reduce(m: Model, e: Event): Model {
  switch (e.kind) {
    case 'server':
      if (e.phase === 'running') {
        return { ...m, phase: e.phase, phaseDetail: e.detail };
      }
      // A server that is gone has withdrawn what it reported.
      return { ...m, phase: e.phase, phaseDetail: e.detail, projects: new Map() };
    case 'status': {
      const projects = new Map(m.projects);
      if (e.status.removed) {
        projects.delete(e.status.root);
      } else {
        projects.set(e.status.root, e.status);
      }
      return { ...m, projects };
    }
    case 'dev':
      return { ...m, devRunning: e.running };
    case 'trust':
      return { ...m, trusted: e.trusted };
  }
}

function statuses(m: Model): ProjectStatus[] {
  return [...m.projects.values()].sort((a, b) => a.root.localeCompare(b.root));
}

export function staleCount(m: Model): number {
  return statuses(m).reduce((n, s) => n + s.types.stale, 0);
}

function restartCount(m: Model): number {
  return statuses(m).reduce((n, s) => n + s.dev.restart, 0);
}

/** The project whose types are in a state, the first by root. */
function inState(m: Model, state: TypesState): ProjectStatus | undefined {
  return statuses(m).find((s) => s.types.state === state);
}

export function typesView(m: Model): TypesView {
  if (m.phase === 'starting') return 'starting';
  if (m.phase !== 'running') return 'offline';
  // The most pressing state of any project wins.
  for (const state of ['generating', 'failed', 'stale', 'unknown'] as const) {
    if (inState(m, state) !== undefined) return state;
  }
  // No project reported yet is fresh, as it was before the server said
  // anything: a folder it finds no project in must not spin forever.
  if (inState(m, 'indexing') !== undefined) return 'busy';
  return 'fresh';
}

export function devView(m: Model): DevView {
  // The server learns from the project's donkeyls dev supervisor what its
  // server loaded and runs: this holds even for a dev server started outside
  // this window. A terminal of ours whose supervisor is not up yet counts
  // as running too.
  if (m.phase === 'running') {
    const all = statuses(m);
    if (all.some((s) => s.dev.state === 'restartNeeded')) return 'restartNeeded';
    if (all.some((s) => s.dev.state === 'running')) return 'running';
  }
  return m.devRunning ? 'running' : 'stopped';
}

/** Whether project commands may run: this window's trust and the server's. */
function mayRun(m: Model): boolean {
  return m.trusted && statuses(m).every((s) => s.trusted);
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

function baseName(root: string): string {
  return root.split(/[\\/]/).filter(Boolean).pop() ?? root;
}

export function typesItem(m: Model): ItemView {
  const n = staleCount(m);
  const trusted = mayRun(m);
  const trustNote = trusted ? '' : restricted;
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
      const p = inState(m, 'generating');
      const command = p?.types.command ? ` (${p.types.command})` : '';
      return {
        text: '$(sync~spin) types: generating',
        tooltip: `donkeyls: regenerating the types of ${baseName(p?.root ?? '')}${command}`,
        tone: 'normal',
        actions: [A.showOutput],
      };
    }
    case 'busy': {
      const p = inState(m, 'indexing');
      return {
        text: '$(loading~spin) types',
        tooltip: `donkeyls: reading ${baseName(p?.root ?? '')}`,
        tone: 'normal',
        actions: [A.showOutput],
      };
    }
    case 'unknown': {
      const p = inState(m, 'unknown');
      return {
        text: '$(question) types',
        tooltip: `donkeyls: cannot read the project in ${p?.root ?? ''}${p?.types.error ? `: ${p.types.error}` : ''}.${trustNote}`,
        tone: 'normal',
        actions: [A.showOutput, A.restartServer],
      };
    }
    case 'failed':
      return {
        text: '$(error) types: failed',
        tooltip: `donkeyls: type generation failed: ${bare(inState(m, 'failed')?.types.failure ?? 'see the donkeyls output')}${trustNote}`,
        tone: 'error',
        actions: gate(trusted, [A.showOutput, A.regenerate, A.showProblems]),
      };
    case 'stale':
      return {
        text: `$(warning) types: stale (${n})`,
        tooltip: `donkeyls: ${n} ${n === 1 ? 'problem says' : 'problems say'} the generated types are out of date. Click to regenerate.${trustNote}`,
        tone: 'warning',
        actions: gate(trusted, [A.regenerate, A.showProblems, A.showOutput]),
      };
    case 'fresh':
      return {
        text: '$(check) types',
        tooltip: `donkeyls: generated types are up to date.${trustNote}`,
        tone: 'normal',
        actions: gate(trusted, [A.regenerate, A.showOutput, A.restartServer]),
      };
  }
}

export function devItem(m: Model): ItemView {
  const trusted = mayRun(m);
  const trustNote = trusted ? '' : restricted;
  switch (devView(m)) {
    case 'restartNeeded': {
      const n = restartCount(m);
      return {
        text: '$(debug-restart) dev: restart needed',
        tooltip: `donkeyls: the running dev server has old code loaded (${n} ${n === 1 ? 'change needs' : 'changes need'} a restart). Click to restart it.${trustNote}`,
        tone: 'warning',
        actions: gate(trusted, [A.restartDev, A.showProblems, ...(m.devRunning ? [A.showDev] : [])]),
      };
    }
    case 'running':
      return {
        text: '$(vm-running) dev: running',
        tooltip: m.devRunning
          ? `donkeyls: the dev server runs under donkeyls dev in a terminal.${trustNote}`
          : `donkeyls: the dev server runs under donkeyls dev, started outside this window.${trustNote}`,
        tone: 'normal',
        actions: gate(trusted, m.devRunning ? [A.showDev, A.restartDev] : [A.restartDev]),
      };
    case 'stopped':
      return {
        text: '$(debug-start) dev: stopped',
        tooltip: `donkeyls: no dev server runs under donkeyls dev. Click to start donkeyls dev.${trustNote}`,
        tone: 'normal',
        actions: gate(trusted, [A.startDev]),
      };
  }
}

/**
 * The projects whose run of the generator finished since the previous
 * model: generating before, fresh or stale now. A failed run is not one.
 */
export function finishedGenerating(before: Model, after: Model): string[] {
  const out: string[] = [];
  for (const [root, s] of after.projects) {
    const prev = before.projects.get(root);
    if (prev?.types.state === 'generating' && (s.types.state === 'fresh' || s.types.state === 'stale')) out.push(root);
  }
  return out.sort();
}

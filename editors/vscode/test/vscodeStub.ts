// A small stand-in for the `vscode` module, enough for the glue modules the
// unit tests load. It records what the extension shows and lets a test script
// the user's answers. install() must run before the module under test is
// required.
import Module = require('module');

type Listener<T> = (e: T) => void;

export class Emitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>) => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
}

export class ThemeColor {
  constructor(public readonly id: string) {}
}

export class ThemeIcon {
  constructor(public readonly id: string) {}
}

export interface FakeStatusBarItem {
  /** Every text the item showed, in order. */
  history: string[];
  id: string;
  alignment: number;
  priority: number;
  name?: string;
  text: string;
  tooltip?: string;
  command?: string;
  backgroundColor?: ThemeColor;
  visible: boolean;
  show(): void;
  hide(): void;
  dispose(): void;
}

export interface FakeTerminal {
  name: string;
  options: Record<string, unknown>;
  exitStatus: { code: number | undefined } | undefined;
  shown: number;
  show(): void;
  dispose(): void;
  /** Test helper: the terminal's process exits. */
  exit(code: number): void;
}

export interface Shown {
  kind: 'error' | 'warning' | 'info';
  message: string;
  actions: string[];
}

export interface FakeUri {
  scheme: string;
  path: string;
  fsPath: string;
  toString(): string;
  toJSON(): unknown;
}

export function fileUri(fsPath: string): FakeUri {
  const text = `file://${fsPath.split('/').map(encodeURIComponent).join('/')}`;
  return { scheme: 'file', path: fsPath, fsPath, toString: () => text, toJSON: () => ({ $mid: 1, scheme: 'file', path: fsPath }) };
}

function parseUri(value: string): FakeUri {
  const m = /^([a-z][a-z0-9+.-]*):(?:\/\/[^/]*)?(.*)$/i.exec(value);
  if (m === null || m[1] !== 'file') {
    const scheme = m?.[1] ?? 'file';
    const path = m?.[2] ?? value;
    return { scheme, path, fsPath: path, toString: () => value, toJSON: () => value };
  }
  return fileUri(decodeURIComponent(m[2]));
}

// The few vscode value classes the language client constructs.
export class Position {
  constructor(public readonly line: number, public readonly character: number) {}
}
export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    this.start = typeof a === 'number' ? new Position(a, b as number) : a;
    this.end = typeof a === 'number' ? new Position(c as number, d as number) : (b as Position);
  }
}
export class Location {
  constructor(public readonly uri: FakeUri, public readonly range: Range) {}
}
export class Diagnostic {
  code?: string | number | { value: string | number; target: FakeUri };
  source?: string;
  relatedInformation?: unknown[];
  tags?: number[];
  constructor(public readonly range: Range, public readonly message: string, public readonly severity = 0) {}
}
export class DiagnosticRelatedInformation {
  constructor(public readonly location: Location, public readonly message: string) {}
}
export class Disposable {
  constructor(private readonly fn: () => void) {}
  static from(...ds: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}
export class EventEmitter<T> extends Emitter<T> {
  dispose(): void {}
}
export class CancellationTokenSource {
  private readonly cancelled = new Emitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.cancelled.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.cancelled.fire();
  }
  dispose(): void {}
}
export class CancellationError extends Error {}
export class CodeActionKind {
  static readonly Empty = new CodeActionKind('');
  static readonly QuickFix = new CodeActionKind('quickfix');
  static readonly Refactor = new CodeActionKind('refactor');
  static readonly RefactorExtract = new CodeActionKind('refactor.extract');
  static readonly RefactorInline = new CodeActionKind('refactor.inline');
  static readonly RefactorRewrite = new CodeActionKind('refactor.rewrite');
  static readonly Source = new CodeActionKind('source');
  static readonly SourceOrganizeImports = new CodeActionKind('source.organizeImports');
  static readonly SourceFixAll = new CodeActionKind('source.fixAll');
  constructor(public readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value === '' ? part : `${this.value}.${part}`);
  }
  contains(other: CodeActionKind): boolean {
    return this.value === '' || other.value === this.value || other.value.startsWith(`${this.value}.`);
  }
  intersects(other: CodeActionKind): boolean {
    return this.contains(other) || other.contains(this);
  }
}

const noopEvent = () => ({ dispose() {} });

/** A namespace whose unknown onXxx are events and registerXxx return disposables. */
function namespace(explicit: Record<string, unknown>): Record<string, unknown> {
  return new Proxy(explicit, {
    get(target, key) {
      if (typeof key !== 'string' || key in target) return target[key as string];
      if (/^on[A-Z]/.test(key)) return noopEvent;
      if (/^register[A-Z]/.test(key)) return () => ({ dispose() {} });
      return undefined;
    },
  });
}

export class VscodeStub {
  statusItems: FakeStatusBarItem[] = [];
  /** Files the workspace holds, for findFiles (absolute paths). */
  files: string[] = [];
  workspaceFolders: string[] = [];
  /** Settings by full key ("donkeyls.path"). */
  config: Record<string, unknown> = {};
  output: string[] = [];
  commands = new Map<string, (...args: unknown[]) => unknown>();
  readonly grantTrust = new Emitter<void>();
  readonly openDocument = new Emitter<{ uri: FakeUri; languageId: string }>();
  readonly changeConfiguration = new Emitter<{ affectsConfiguration(section: string): boolean }>();
  readonly configCreated = new Emitter<FakeUri>();
  terminals: FakeTerminal[] = [];
  messages: Shown[] = [];
  executed: { command: string; args: unknown[] }[] = [];
  quickPicks: { items: { label: string }[]; placeHolder?: string }[] = [];
  /** Answers the next message or quick pick gets (by label), in order. */
  answers: (string | undefined)[] = [];
  trusted = true;
  progressTitles: string[] = [];
  diagnosticCollections: { name: string; entries: Map<string, { uri: FakeUri; diagnostics: Diagnostic[] }> }[] = [];
  private readonly closeTerminal = new Emitter<FakeTerminal>();

  module(): Record<string, unknown> {
    // The fake module's functions are called with the module as `this`;
    // they reach the stub through this name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const stub = this;
    const message = (kind: Shown['kind']) => (msg: string, ...actions: string[]) => {
      stub.messages.push({ kind, message: msg, actions });
      return Promise.resolve(stub.answers.shift());
    };
    const explicit: Record<string, unknown> = {
      StatusBarAlignment: { Left: 1, Right: 2 },
      Uri: { file: fileUri, parse: parseUri },
      Position,
      Range,
      Location,
      Diagnostic,
      DiagnosticRelatedInformation,
      DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
      DiagnosticTag: { Unnecessary: 1, Deprecated: 2 },
      Disposable,
      CodeActionKind,
      EventEmitter,
      CancellationTokenSource,
      CancellationError,
      version: '1.82.0',
      env: { language: 'en', appName: 'vscode-stub', machineId: 'stub', openExternal: () => Promise.resolve(false) },
      languages: namespace({
        createDiagnosticCollection(name: string) {
          const entries = new Map<string, { uri: FakeUri; diagnostics: Diagnostic[] }>();
          stub.diagnosticCollections.push({ name, entries });
          return {
            name,
            set(uri: FakeUri, diagnostics: Diagnostic[] | undefined) {
              if (diagnostics === undefined || diagnostics.length === 0) entries.delete(uri.toString());
              else entries.set(uri.toString(), { uri, diagnostics });
            },
            delete: (uri: FakeUri) => entries.delete(uri.toString()),
            clear: () => entries.clear(),
            get: (uri: FakeUri) => entries.get(uri.toString())?.diagnostics,
            has: (uri: FakeUri) => entries.has(uri.toString()),
            forEach: (fn: (uri: FakeUri, d: Diagnostic[]) => void) => entries.forEach((e) => fn(e.uri, e.diagnostics)),
            dispose: () => entries.clear(),
          };
        },
        match(selector: { language?: string; scheme?: string }[], doc: { languageId: string; uri: FakeUri }) {
          return selector.some((s) => (s.language === undefined || s.language === doc.languageId) && (s.scheme === undefined || s.scheme === doc.uri.scheme)) ? 10 : 0;
        },
      }),
      ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
      ThemeColor,
      ThemeIcon,
      window: namespace({
        withProgress(options: { title?: string }, task: (p: unknown, t: unknown) => Promise<unknown>) {
          stub.progressTitles.push(options.title ?? '');
          return task({ report() {} }, new CancellationTokenSource().token);
        },
        tabGroups: { all: [], onDidChangeTabs: noopEvent, onDidChangeTabGroups: noopEvent },
        createStatusBarItem(id: string, alignment: number, priority: number): FakeStatusBarItem {
          let text = '';
          const item: FakeStatusBarItem = {
            history: [],
            id,
            alignment,
            priority,
            get text() {
              return text;
            },
            set text(t: string) {
              if (t !== text) item.history.push(t);
              text = t;
            },
            visible: false,
            show() {
              item.visible = true;
            },
            hide() {
              item.visible = false;
            },
            dispose() {
              item.visible = false;
            },
          };
          stub.statusItems.push(item);
          return item;
        },
        showErrorMessage: message('error'),
        showWarningMessage: message('warning'),
        showInformationMessage: message('info'),
        showQuickPick(items: { label: string }[], options?: { placeHolder?: string }) {
          stub.quickPicks.push({ items, placeHolder: options?.placeHolder });
          const label = stub.answers.shift();
          return Promise.resolve(items.find((i) => i.label === label));
        },
        createTerminal(options: Record<string, unknown>): FakeTerminal {
          const t: FakeTerminal = {
            name: String(options.name),
            options,
            exitStatus: undefined,
            shown: 0,
            show() {
              t.shown++;
            },
            dispose() {
              if (t.exitStatus === undefined) t.exitStatus = { code: undefined };
              stub.closeTerminal.fire(t);
            },
            exit(code: number) {
              t.exitStatus = { code };
              stub.closeTerminal.fire(t);
            },
          };
          stub.terminals.push(t);
          return t;
        },
        onDidCloseTerminal: this.closeTerminal.event,
        createOutputChannel(name: string) {
          return {
            name,
            appendLine: (line: string) => stub.output.push(line),
            append: (text: string) => stub.output.push(text),
            show() {},
            dispose() {},
          };
        },
        activeTextEditor: undefined,
      }),
      workspace: namespace({
        get isTrusted() {
          return stub.trusted;
        },
        get workspaceFolders() {
          return stub.workspaceFolders.map((f, index) => ({ uri: fileUri(f), name: f.split('/').pop(), index }));
        },
        textDocuments: [],
        findFiles(include: string) {
          const name = include.split('/').pop() ?? '';
          return Promise.resolve(stub.files.filter((f) => f.endsWith(`/${name}`) && !f.includes('/node_modules/')).map(fileUri));
        },
        createFileSystemWatcher() {
          const none = new Emitter<FakeUri>();
          return { onDidCreate: stub.configCreated.event, onDidDelete: none.event, onDidChange: none.event, dispose() {} };
        },
        getConfiguration(section: string | undefined) {
          const full = (key: string) => (section === undefined ? key : `${section}.${key}`);
          return {
            get: <T>(key: string, fallback?: T): T => (full(key) in stub.config ? stub.config[full(key)] : fallback) as T,
            has: (key: string) => full(key) in stub.config,
          };
        },
        onDidGrantWorkspaceTrust: this.grantTrust.event,
        onDidChangeConfiguration: this.changeConfiguration.event,
        onDidOpenTextDocument: this.openDocument.event,
        applyEdit: () => Promise.resolve(false),
      }),
      commands: namespace({
        registerCommand(id: string, fn: (...args: unknown[]) => unknown) {
          stub.commands.set(id, fn);
          return { dispose: () => stub.commands.delete(id) };
        },
        executeCommand(command: string, ...args: unknown[]) {
          stub.executed.push({ command, args });
          const own = stub.commands.get(command);
          return Promise.resolve(own !== undefined ? own(...args) : undefined);
        },
      }),
    };
    // vscode-languageclient subclasses a few vscode classes when it loads;
    // any other capitalised name is a plain class here.
    const classes = new Map<string, unknown>();
    return new Proxy(explicit, {
      get(target, key) {
        if (typeof key !== 'string' || key in target) return target[key as string];
        if (/^[A-Z]/.test(key)) {
          if (!classes.has(key)) classes.set(key, class {});
          return classes.get(key);
        }
        return undefined;
      },
    });
  }
}

let installed: VscodeStub | undefined;

/** Makes require('vscode') return the stub; returns it (one per process). */
export function installVscodeStub(): VscodeStub {
  if (installed !== undefined) return installed;
  const stub = new VscodeStub();
  const mod = stub.module();
  const m = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = m._load;
  m._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') return mod;
    return original.call(this, request, ...rest);
  };
  installed = stub;
  return stub;
}

/** Clears what the stub recorded between tests. */
export function resetStub(stub: VscodeStub): void {
  stub.statusItems = [];
  stub.terminals = [];
  stub.messages = [];
  stub.executed = [];
  stub.quickPicks = [];
  stub.answers = [];
  stub.trusted = true;
  stub.files = [];
  stub.workspaceFolders = [];
  stub.config = {};
  stub.output = [];
  stub.commands.clear();
  stub.progressTitles = [];
  stub.diagnosticCollections = [];
}

/** Lets pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

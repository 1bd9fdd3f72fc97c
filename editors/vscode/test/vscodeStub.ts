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
  fsPath: string;
  toString(): string;
}

export function fileUri(fsPath: string): FakeUri {
  return { scheme: 'file', fsPath, toString: () => `file://${fsPath}` };
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
  private readonly closeTerminal = new Emitter<FakeTerminal>();

  module(): Record<string, unknown> {
    const stub = this;
    const message = (kind: Shown['kind']) => (msg: string, ...actions: string[]) => {
      stub.messages.push({ kind, message: msg, actions });
      return Promise.resolve(stub.answers.shift());
    };
    const explicit: Record<string, unknown> = {
      StatusBarAlignment: { Left: 1, Right: 2 },
      Uri: { file: fileUri, parse: (s: string) => fileUri(s.replace(/^file:\/\//, '')) },
      ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
      ThemeColor,
      ThemeIcon,
      window: {
        createStatusBarItem(id: string, alignment: number, priority: number): FakeStatusBarItem {
          const item: FakeStatusBarItem = {
            id,
            alignment,
            priority,
            text: '',
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
      },
      workspace: {
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
        getConfiguration(section: string) {
          return {
            get: <T>(key: string, fallback: T): T => {
              const full = `${section}.${key}`;
              return (full in stub.config ? stub.config[full] : fallback) as T;
            },
          };
        },
        onDidGrantWorkspaceTrust: this.grantTrust.event,
        onDidChangeConfiguration: this.changeConfiguration.event,
        onDidOpenTextDocument: this.openDocument.event,
      },
      commands: {
        registerCommand(id: string, fn: (...args: unknown[]) => unknown) {
          stub.commands.set(id, fn);
          return { dispose: () => stub.commands.delete(id) };
        },
        executeCommand(command: string, ...args: unknown[]) {
          stub.executed.push({ command, args });
          const own = stub.commands.get(command);
          return Promise.resolve(own !== undefined ? own(...args) : undefined);
        },
      },
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
}

/** Lets pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

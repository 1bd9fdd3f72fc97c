// The donkeyls VS Code extension: starts `donkeyls serve` for workspaces that
// hold a donkeylabs project, keeps it running, maps settings and Workspace
// Trust onto it, and shows what it reports in two status bar items.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  CloseAction,
  CloseHandlerResult,
  DidChangeConfigurationNotification,
  ErrorAction,
  ErrorHandlerResult,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  MessageType,
  RevealOutputChannelOn,
  ServerOptions,
  ShowMessageNotification,
  State,
} from 'vscode-languageclient/node';
import { CrashBackoff } from './backoff';
import { FileProbe, resolveBinary } from './binary';
import {
  CLIENT_ID,
  CLIENT_NAME,
  DOCUMENT_SELECTOR,
  SERVER_COMMANDS,
  devLaunch,
  initializationOptions,
  serverLaunch,
  statusFeature,
} from './clientConfig';
import { DevTerminals } from './devServer';
import { clientMiddleware } from './middleware';
import { CONFIG_FILE, chooseProject, projectRootOf } from './project';
import { ServerSettings, didChangeConfigurationParams, serverSettings } from './settings';
import { ActionId, Event, Model, STATUS_METHOD, bare, finishedGenerating, initialModel, parseStatus, reduce, typesView } from './status';
import { DEV_CLICK, StatusBar, TYPES_CLICK } from './statusBar';
import { TrustGate } from './trust';
import { RestartMode, decideTsRestart, enabledPatterns, generatedOutputs } from './tsRefresh';

/** Palette commands (package.json contributes.commands). */
export const COMMANDS = {
  regenerate: 'donkeyls.regenerateTypes',
  restartDev: 'donkeyls.restartDevServer',
  startDev: 'donkeyls.startDevServer',
  showOutput: 'donkeyls.showOutput',
  restartServer: 'donkeyls.restartLanguageServer',
} as const;

/** What a caught value says, for a log line or a message. */
function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const nodeProbe: FileProbe = {
  isFile: (p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  },
  isExecutable: (p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

function config(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('donkeyls', scope);
}

/** A string setting; anything else a hand-edited settings.json holds reads as unset. */
function stringSetting(key: string): string {
  const v = config().get<unknown>(key, '');
  return typeof v === 'string' ? v : '';
}

export class DonkeyExtension implements vscode.Disposable {
  private readonly output: vscode.OutputChannel;
  private readonly status = new StatusBar();
  private readonly dev: DevTerminals;
  private readonly backoff = new CrashBackoff();
  private readonly trust = new TrustGate((m) => this.log(m));
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly projects = new Set<string>();
  private readonly reportedProblems = new Set<string>();
  private model: Model;
  private client: LanguageClient | undefined;
  private clientHooks: vscode.Disposable[] = [];
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private binaryPath: string | undefined;
  // Each start attempt's death is counted once, whether the close handler or
  // the failed start() notices it first.
  private attempt = 0;
  private crashCounted = -1;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('donkeyls');
    this.model = initialModel(vscode.workspace.isTrusted);
    this.dev = new DevTerminals((running) => this.dispatch({ kind: 'dev', running }));
  }

  async activate(): Promise<void> {
    const cmd = (id: string, fn: (...args: unknown[]) => unknown) =>
      this.subscriptions.push(vscode.commands.registerCommand(id, fn));
    cmd(COMMANDS.regenerate, (root?: unknown) => this.regenerate(typeof root === 'string' ? root : undefined));
    cmd(COMMANDS.restartDev, () => this.restartDev());
    cmd(COMMANDS.startDev, () => this.startDev());
    cmd(COMMANDS.showOutput, () => this.output.show(true));
    cmd(COMMANDS.restartServer, () => this.restartServer());
    cmd(TYPES_CLICK, async () => this.runAction(await this.status.pick('types')));
    cmd(DEV_CLICK, async () => this.runAction(await this.status.pick('dev')));

    this.subscriptions.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.log('workspace trusted: restarting the language server with project commands enabled');
        this.dispatch({ kind: 'trust', trusted: true });
        // The server takes trust from initializationOptions only (a workspace
        // setting must not be able to raise it), so it has to start again.
        if (this.client !== undefined) void this.restartServer();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => this.configurationChanged(e)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.noticeDocument(doc)),
    );
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${CONFIG_FILE}`, false, true, false);
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate((uri) => this.addProject(path.dirname(uri.fsPath))),
      watcher.onDidDelete((uri) => this.projects.delete(path.dirname(uri.fsPath))),
    );

    for (const uri of await vscode.workspace.findFiles(`**/${CONFIG_FILE}`, '**/node_modules/**', 50)) {
      this.projects.add(path.dirname(uri.fsPath));
    }
    for (const doc of vscode.workspace.textDocuments) {
      const root = this.projectOfDocument(doc);
      if (root !== undefined) this.projects.add(root);
    }
    if (this.projects.size > 0) await this.startClient();
  }

  // ---- projects -------------------------------------------------------

  private projectOfDocument(doc: vscode.TextDocument): string | undefined {
    if (doc.uri.scheme !== 'file' || !/^typescript(react)?$/.test(doc.languageId)) return undefined;
    return projectRootOf(doc.uri.fsPath, nodeProbe.isFile);
  }

  private noticeDocument(doc: vscode.TextDocument): void {
    const root = this.projectOfDocument(doc);
    if (root !== undefined) this.addProject(root);
  }

  private addProject(root: string): void {
    if (root.split(path.sep).includes('node_modules')) return;
    const isNew = !this.projects.has(root);
    this.projects.add(root);
    if (isNew && this.client === undefined && !this.stopping) {
      this.log(`found a donkeylabs project at ${root}`);
      void this.startClient();
    }
  }

  private async pickProject(): Promise<string | undefined> {
    const active = vscode.window.activeTextEditor?.document.uri;
    const root = chooseProject(active?.scheme === 'file' ? active.fsPath : undefined, [...this.projects], nodeProbe.isFile);
    if (root !== undefined || this.projects.size === 0) return root;
    const picked = await vscode.window.showQuickPick(
      [...this.projects].sort().map((p) => ({ label: path.basename(p), description: p, root: p })),
      { placeHolder: 'Which donkeylabs project?' },
    );
    return picked?.root;
  }

  // ---- settings -------------------------------------------------------

  private settingsFor(scopeUri: string | undefined): ServerSettings {
    const scope = scopeUri !== undefined ? vscode.Uri.parse(scopeUri) : undefined;
    const c = config(scope);
    const { settings, problems } = serverSettings(<T>(key: string, fallback: T) => c.get<T>(key, fallback), vscode.workspace.isTrusted);
    for (const p of problems) {
      // Asked for on every configuration request: say each problem once.
      if (this.reportedProblems.has(p)) continue;
      this.reportedProblems.add(p);
      this.log(`settings: ${p}`);
    }
    return settings;
  }

  private async pushSettings(): Promise<void> {
    const client = this.client;
    if (client === undefined || client.state !== State.Running) return;
    try {
      await client.sendNotification(DidChangeConfigurationNotification.type, didChangeConfigurationParams(this.settingsFor(undefined)));
    } catch (e) {
      this.log(`could not send settings: ${errorText(e)}`);
    }
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration('donkeyls')) return;
    if (e.affectsConfiguration('donkeyls.path') || e.affectsConfiguration('donkeyls.server.logFile')) {
      this.log('donkeyls.path or donkeyls.server.logFile changed: restarting the language server');
      void this.restartServer();
      return;
    }
    // Everything else reaches the server through the language client's
    // didChangeConfiguration (the server registers for the section), which
    // the middleware turns into a push of the mapped settings; trace.server
    // is applied by the language client itself.
  }

  // ---- language client ------------------------------------------------

  private resolveBinary(): string | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const res = resolveBinary(
      {
        configured: stringSetting('path'),
        workspaceFolder: folder,
        extensionPath: this.context.extensionPath,
        platform: process.platform,
        arch: process.arch,
        envPath: process.env.PATH ?? '',
        home: os.homedir(),
      },
      nodeProbe,
    );
    if (!res.ok) {
      this.log(`${res.message}\n  looked at: ${res.tried.join(', ')}`);
      this.dispatch({ kind: 'server', phase: 'stopped', detail: 'no donkeyls binary' });
      void vscode.window.showErrorMessage(`donkeyls: ${res.message}.`, 'Open Settings', 'Show Output').then((choice) => {
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'donkeyls.path');
        if (choice === 'Show Output') this.output.show(true);
      });
      return undefined;
    }
    if (res.needsChmod) {
      try {
        fs.chmodSync(res.path, 0o755);
      } catch (e) {
        this.log(`could not make ${res.path} executable: ${errorText(e)}`);
      }
    }
    this.log(`using ${res.path} (from ${res.source})`);
    return res.path;
  }

  private createClient(binary: string): LanguageClient {
    const launch = serverLaunch(binary, stringSetting('server.logFile'));
    const serverOptions: ServerOptions = {
      run: { command: launch.command, args: launch.args },
      debug: { command: launch.command, args: launch.args },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: 'donkeyls',
      initializationOptions: () => initializationOptions(this.settingsFor(undefined)),
      errorHandler: {
        error: (_error, _message, count): ErrorHandlerResult => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        }),
        closed: (): CloseHandlerResult => this.crashed(),
      },
      middleware: clientMiddleware({
        settingsFor: (scope) => this.settingsFor(scope),
        allows: (what) => this.trust.allows(what),
        pushSettings: () => this.pushSettings(),
      }),
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client.registerFeature(statusFeature);
    // Before the start, so the first status cannot arrive ahead of its
    // handler; the client keeps it across its own restarts.
    client.onNotification(STATUS_METHOD, (params: unknown) => {
      if (this.client !== client) return;
      const status = parseStatus(params);
      if (status !== undefined) this.dispatch({ kind: 'status', status });
    });
    return client;
  }

  private async startClient(): Promise<void> {
    if (this.stopping) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.client === undefined) {
      const binary = this.resolveBinary();
      if (binary === undefined) return;
      this.binaryPath = binary;
      this.client = this.createClient(binary);
    }
    const client = this.client;
    this.attempt++;
    this.dispatch({ kind: 'server', phase: 'starting' });
    try {
      await client.start();
    } catch (e) {
      this.log(`the language server did not start: ${errorText(e)}`);
      // The close handler has already scheduled a restart when the process
      // died; a server that answered initialize with an error gets one here.
      if (this.client === client) this.crashed();
      return;
    }
    if (this.client !== client) return;
    this.backoff.started(Date.now());
    this.hookClient(client);
    this.dispatch({ kind: 'server', phase: 'running' });
  }

  /** The server died: restart it after a growing delay, or give up. */
  private crashed(): CloseHandlerResult {
    if (this.stopping || this.crashCounted === this.attempt) return { action: CloseAction.DoNotRestart, handled: true };
    this.crashCounted = this.attempt;
    this.unhookClient();
    const decision = this.backoff.crashed(Date.now());
    if ('giveUp' in decision) {
      this.dispatch({ kind: 'server', phase: 'crashed', detail: `crashed ${decision.crashes} times in a row` });
      const message = `donkeyls: the language server crashed ${decision.crashes} times in a row and was not restarted again.`;
      this.log(message);
      void vscode.window.showErrorMessage(message, 'Show Output', 'Restart Language Server').then((choice) => {
        if (choice === 'Show Output') this.output.show(true);
        if (choice === 'Restart Language Server') void this.restartServer();
      });
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    const seconds = decision.restartInMs / 1000;
    this.dispatch({ kind: 'server', phase: 'crashed', detail: `restarting in ${seconds}s` });
    this.log(`the language server stopped unexpectedly (crash ${decision.crashes}); restarting in ${seconds}s`);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.startClient();
    }, decision.restartInMs);
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  /**
   * Shows the server's messages our way. Must run after every start: a
   * start re-installs the client's own handler. Progress is the language
   * client's own.
   */
  private hookClient(client: LanguageClient): void {
    this.unhookClient();
    this.clientHooks.push(
      client.onNotification(ShowMessageNotification.type, (params) => this.showServerMessage(params.type, params.message)),
    );
  }

  private unhookClient(): void {
    for (const d of this.clientHooks) d.dispose();
    this.clientHooks = [];
  }

  private showServerMessage(type: MessageType, message: string): void {
    switch (type) {
      case MessageType.Error:
        void vscode.window.showErrorMessage(`donkeyls: ${bare(message)}`, 'Show Output').then((c) => {
          if (c === 'Show Output') this.output.show(true);
        });
        break;
      case MessageType.Warning:
        void vscode.window.showWarningMessage(`donkeyls: ${bare(message)}`);
        break;
      default:
        void vscode.window.showInformationMessage(`donkeyls: ${bare(message)}`);
    }
  }

  private async restartServer(): Promise<void> {
    this.backoff.reset();
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const old = this.client;
    this.client = undefined;
    this.unhookClient();
    if (old !== undefined) {
      this.stopping = true;
      try {
        await old.dispose(5000);
      } catch (e) {
        this.log(`stopping the language server: ${errorText(e)}`);
      } finally {
        this.stopping = false;
      }
    }
    this.dispatch({ kind: 'server', phase: 'stopped' });
    if (this.projects.size === 0) {
      void vscode.window.showInformationMessage('donkeyls: no donkeylabs.config.ts in this workspace, so there is nothing to serve.');
      return;
    }
    await this.startClient();
  }

  // ---- commands ------------------------------------------------------

  private runningClient(): LanguageClient | undefined {
    if (this.client !== undefined && this.client.state === State.Running) return this.client;
    void vscode.window.showWarningMessage('donkeyls: the language server is not running.', 'Restart Language Server', 'Show Output').then((c) => {
      if (c === 'Restart Language Server') void this.restartServer();
      if (c === 'Show Output') this.output.show(true);
    });
    return undefined;
  }

  private async regenerate(root?: string): Promise<void> {
    if (!this.trust.allows('Regenerate Types')) return;
    const client = this.runningClient();
    if (client === undefined) return;
    root ??= await this.pickProject();
    if (root === undefined) return;
    this.log(`Regenerate Types: ${root}`);
    // The server shows the run's progress and reports it in donkeyls/status
    // (generating until the new outputs were read), however fast it is.
    try {
      await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_COMMANDS.regenerate, arguments: [root] });
    } catch (e) {
      this.log(`regenerate failed: ${errorText(e)}`);
      void vscode.window.showErrorMessage(`donkeyls: Regenerate Types failed: ${errorText(e)}`, 'Show Output').then((c) => {
        if (c === 'Show Output') this.output.show(true);
      });
    }
  }

  private async startDev(chosen?: string): Promise<void> {
    if (!this.trust.allows('Start Dev Server')) return;
    const root = chosen ?? (await this.pickProject());
    if (root === undefined) {
      void vscode.window.showInformationMessage('donkeyls: open a file of a donkeylabs project (a folder with donkeylabs.config.ts) first.');
      return;
    }
    const binary = this.binaryPath ?? this.resolveBinary();
    if (binary === undefined) return;
    const args = config(vscode.Uri.file(root)).get<string[]>('dev.args', []);
    this.dev.start(root, devLaunch(binary, root, Array.isArray(args) ? args.map(String) : []));
  }

  private async restartDev(): Promise<void> {
    if (!this.trust.allows('Restart Dev Server')) return;
    const root = await this.pickProject();
    if (root === undefined) return;
    const client = this.client?.state === State.Running ? this.client : undefined;
    if (client !== undefined) {
      // The server asks the project's donkeyls dev supervisor over its control
      // socket, so this also restarts a dev server started outside VS Code;
      // the server tells the user how it went.
      try {
        await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_COMMANDS.restart, arguments: [root] });
      } catch (e) {
        this.log(`donkeyls.restart failed: ${errorText(e)}`);
      }
      return;
    }
    if (this.dev.has(root)) {
      // No language server to ask: restart our own terminal's supervisor.
      this.log(`restarting donkeyls dev for ${root} by restarting its terminal`);
      this.dev.stop(root);
      await this.startDev(root);
      return;
    }
    const c = await vscode.window.showInformationMessage('donkeyls: no dev server is running for this project.', 'Start Dev Server');
    if (c === 'Start Dev Server') await this.startDev(root);
  }

  private async runAction(id: ActionId | undefined): Promise<void> {
    switch (id) {
      case 'regenerate':
        return this.regenerate();
      case 'showOutput':
        return this.output.show(true);
      case 'showProblems':
        await vscode.commands.executeCommand('workbench.actions.view.problems');
        return;
      case 'restartServer':
        return this.restartServer();
      case 'startDev':
        return this.startDev();
      case 'restartDev':
        return this.restartDev();
      case 'showDev':
        this.dev.show();
        return;
      case 'manageTrust':
        await vscode.commands.executeCommand('workbench.trust.manage');
        return;
    }
  }

  // ---- TypeScript refresh ----------------------------------------------

  /** After a successful run in roots (the server said so in donkeyls/status). */
  private async refreshTypeScript(roots: string[]): Promise<void> {
    if (typesView(this.model) === 'generating') return;
    const outputs: string[] = [];
    for (const root of roots) {
      try {
        outputs.push(...generatedOutputs(root, fs.readFileSync(path.join(root, CONFIG_FILE), 'utf8')));
      } catch {
        // A config deleted meanwhile has no outputs to refresh.
      }
    }
    const decision = decideTsRestart({
      mode: config().get<RestartMode>('typescript.restartTsServer', 'auto'),
      outputs,
      watcherExclude: enabledPatterns(vscode.workspace.getConfiguration('files').get('watcherExclude')),
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    });
    this.log(`after typegen: ${decision.restart ? 'restarting' : 'not restarting'} the TypeScript server: ${decision.reason}`);
    if (!decision.restart) return;
    try {
      await vscode.commands.executeCommand('typescript.restartTsServer');
    } catch (e) {
      // The TypeScript extension may be disabled; nothing to refresh then.
      this.log(`typescript.restartTsServer: ${errorText(e)}`);
    }
  }

  // ---- plumbing --------------------------------------------------------

  private dispatch(e: Event): void {
    const before = this.model;
    this.model = reduce(this.model, e);
    this.status.render(this.model);
    const done = finishedGenerating(before, this.model);
    if (done.length > 0) void this.refreshTypeScript(done);
  }

  private log(message: string): void {
    this.output.appendLine(`[${new Date().toISOString()}] ${message}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.unhookClient();
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      try {
        await client.dispose(5000);
      } catch {
        // Already stopped.
      }
    }
  }

  dispose(): void {
    void this.stop();
    for (const d of this.subscriptions) d.dispose();
    this.dev.dispose();
    this.status.dispose();
    this.output.dispose();
  }
}

let extension: DonkeyExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new DonkeyExtension(context);
  context.subscriptions.push(extension);
  await extension.activate();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
  extension = undefined;
}

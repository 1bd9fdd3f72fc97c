// Runs `donkeyls dev` in integrated terminals, one per project, and reports
// whether any is running.
import * as path from 'path';
import * as vscode from 'vscode';
import type { Launch } from './clientConfig';

export class DevTerminals implements vscode.Disposable {
  private readonly terminals = new Map<string, vscode.Terminal>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly changed: (running: boolean) => void) {
    this.subscriptions.push(
      vscode.window.onDidCloseTerminal((t) => {
        for (const [root, term] of this.terminals) {
          if (term === t) this.terminals.delete(root);
        }
        this.changed(this.running);
      }),
    );
  }

  /** True while a terminal started here still has its process. */
  get running(): boolean {
    for (const t of this.terminals.values()) {
      if (t.exitStatus === undefined) return true;
    }
    return false;
  }

  has(root: string): boolean {
    const t = this.terminals.get(root);
    return t !== undefined && t.exitStatus === undefined;
  }

  /** Starts donkeyls dev for root, or reveals the terminal already running it. */
  start(root: string, launch: Launch): vscode.Terminal {
    const existing = this.terminals.get(root);
    if (existing !== undefined && existing.exitStatus === undefined) {
      existing.show();
      return existing;
    }
    existing?.dispose();
    const terminal = vscode.window.createTerminal({
      name: `donkeyls dev: ${path.basename(root)}`,
      // The terminal's process is donkeyls itself, not a shell: when it
      // exits the terminal's exit status tells us so.
      shellPath: launch.command,
      shellArgs: launch.args,
      cwd: root,
      iconPath: new vscode.ThemeIcon('server-process'),
    });
    this.terminals.set(root, terminal);
    terminal.show();
    this.changed(this.running);
    return terminal;
  }

  /** Ends the terminal of root (and so its donkeyls dev and dev server). */
  stop(root: string): void {
    const t = this.terminals.get(root);
    this.terminals.delete(root);
    t?.dispose();
  }

  show(root?: string): boolean {
    const t = root !== undefined ? this.terminals.get(root) : [...this.terminals.values()][0];
    t?.show();
    return t !== undefined;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    // The terminals stay: closing the window ends them, and a reload of the
    // extension must not kill the user's dev server.
    this.terminals.clear();
  }
}

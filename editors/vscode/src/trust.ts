// Workspace Trust gating: project commands (typegen, the dev server) run
// project code, so in Restricted Mode they are refused with an explanation
// and a way to trust the workspace.
import * as vscode from 'vscode';

export class TrustGate {
  constructor(private readonly log: (message: string) => void) {}

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** True when `what` may run; otherwise explains why not and returns false. */
  allows(what: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    this.log(`refused in Restricted Mode: ${what}`);
    void vscode.window
      .showWarningMessage(
        `donkeyls: "${what}" runs this project's own code, and this workspace is in Restricted Mode. Trust the workspace to allow it.`,
        'Manage Workspace Trust',
      )
      .then((choice) => {
        if (choice === 'Manage Workspace Trust') void vscode.commands.executeCommand('workbench.trust.manage');
      });
    return false;
  }
}

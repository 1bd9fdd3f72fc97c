// Renders the status model into two status bar items and offers each item's
// actions when it is clicked.
import * as vscode from 'vscode';
import { ActionId, ItemView, Model, devItem, typesItem } from './status';

export const TYPES_CLICK = 'donkeyls.status.types';
export const DEV_CLICK = 'donkeyls.status.dev';

function background(view: ItemView): vscode.ThemeColor | undefined {
  switch (view.tone) {
    case 'warning':
      return new vscode.ThemeColor('statusBarItem.warningBackground');
    case 'error':
      return new vscode.ThemeColor('statusBarItem.errorBackground');
    default:
      return undefined;
  }
}

function apply(item: vscode.StatusBarItem, view: ItemView): void {
  item.text = view.text;
  item.tooltip = view.tooltip;
  item.backgroundColor = background(view);
}

export class StatusBar implements vscode.Disposable {
  private readonly types: vscode.StatusBarItem;
  private readonly dev: vscode.StatusBarItem;
  private last: Model | undefined;

  constructor() {
    this.types = vscode.window.createStatusBarItem('donkeyls.types', vscode.StatusBarAlignment.Left, 10);
    this.types.name = 'donkeyls: Generated Types';
    this.types.command = TYPES_CLICK;
    this.dev = vscode.window.createStatusBarItem('donkeyls.dev', vscode.StatusBarAlignment.Left, 9);
    this.dev.name = 'donkeyls: Dev Server';
    this.dev.command = DEV_CLICK;
  }

  render(m: Model): void {
    this.last = m;
    apply(this.types, typesItem(m));
    apply(this.dev, devItem(m));
    this.types.show();
    this.dev.show();
  }

  /** Shows the item's actions in a quick pick and returns the chosen one. */
  async pick(which: 'types' | 'dev'): Promise<ActionId | undefined> {
    if (this.last === undefined) return undefined;
    const view = which === 'types' ? typesItem(this.last) : devItem(this.last);
    if (view.actions.length === 0) return undefined;
    const chosen = await vscode.window.showQuickPick(
      view.actions.map((a) => ({ label: a.label, id: a.id })),
      { placeHolder: view.tooltip },
    );
    return chosen?.id;
  }

  dispose(): void {
    this.types.dispose();
    this.dev.dispose();
  }
}

// Reads and drives the VS Code workbench the way a user does: keyboard,
// command palette, mouse over text, and what is on screen.
import { UI_TIMEOUT_MS, waitFor } from './harness.mjs';

export class Workbench {
  constructor(page) {
    this.page = page;
  }

  async ready() {
    await this.page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60000 });
    await this.page.waitForSelector('.monaco-workbench .part.editor', { timeout: 60000 });
  }

  /** The texts of the status bar items, left to right. */
  statusItems() {
    return this.page.$$eval('.part.statusbar .statusbar-item', (els) => els.map((e) => (e.textContent ?? '').trim()).filter(Boolean));
  }

  async statusItem(pattern, timeoutMs = UI_TIMEOUT_MS) {
    return waitFor(`a status bar item matching ${pattern}`, async () => (await this.statusItems()).find((t) => pattern.test(t)), timeoutMs);
  }

  /** Every notification toast's message text (visible toasts and the center). */
  toasts() {
    return this.page.$$eval('.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message', (els) =>
      els.map((e) => (e.textContent ?? '').trim()),
    );
  }

  async toast(pattern, timeoutMs = UI_TIMEOUT_MS) {
    return waitFor(`a notification matching ${pattern}`, async () => (await this.toasts()).find((t) => pattern.test(t)), timeoutMs);
  }

  /** Every notification of this session, from the notification center. */
  async allNotifications() {
    await this.runCommand('Notifications: Show Notifications');
    await new Promise((r) => setTimeout(r, 300));
    const all = await this.toasts();
    await this.runCommand('Notifications: Hide Notifications');
    return all;
  }

  async dismissToasts() {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  async press(...keys) {
    for (const k of keys.slice(0, -1)) await this.page.keyboard.down(k);
    await this.page.keyboard.press(keys[keys.length - 1]);
    for (const k of keys.slice(0, -1).reverse()) await this.page.keyboard.up(k);
  }

  async quickInput(prefix, text) {
    await waitFor('the quick input', async () => {
      const box = await this.page.$('.quick-input-widget:not([style*="display: none"]) input');
      return box !== null;
    });
    const input = '.quick-input-widget input';
    await this.page.$eval(input, (el) => el.focus());
    await this.page.keyboard.type(prefix + text, { delay: 5 });
  }

  /** Runs a command from the palette by its label, as a user would. */
  async runCommand(label) {
    await this.press('F1');
    await this.quickInput('', label);
    // Enter runs the focused row of what the input holds: wait until the
    // input holds all of the label and the focused row is this command.
    await waitFor(`the command palette to hold ">${label}"`, () =>
      this.page.$eval('.quick-input-widget input', (el, want) => el.value === want, `>${label}`),
    );
    await waitFor(`"${label}" focused in the command palette`, () =>
      this.page.$$eval(
        '.quick-input-list .monaco-list-row.focused',
        (rows, l) => rows.some((r) => (r.getAttribute('aria-label') ?? r.textContent ?? '').startsWith(l)),
        label,
      ),
    );
    await this.page.keyboard.press('Enter');
    await waitFor('the palette to close', async () => !(await this.page.$('.quick-input-widget:not([style*="display: none"])')), 10000);
  }

  /** Opens a workspace file through Quick Open. */
  async openFile(relPath) {
    await this.press('Control', 'p');
    await this.quickInput('', relPath);
    const base = relPath.split('/').pop();
    const dir = relPath.split('/').slice(0, -1).join('/');
    // Enter opens the focused row, and results arrive in batches: wait
    // until the focused one is this file, not another index.ts.
    await waitFor(`${relPath} focused in quick open`, () =>
      this.page.$$eval(
        '.quick-input-list .monaco-list-row.focused',
        (rows, b, d) => rows.some((r) => (r.textContent ?? '').includes(b) && (r.textContent ?? '').includes(d)),
        base,
        dir,
      ),
    );
    await this.page.keyboard.press('Enter');
    await waitFor(`the editor tab of ${base}`, () =>
      this.page.$$eval('.tabs-container .tab.active', (tabs, b) => tabs.some((t) => (t.getAttribute('aria-label') ?? t.textContent ?? '').includes(b)), base),
    );
    await this.focusEditor();
  }

  /**
   * Focuses the active editor unless it has the focus already. VS Code
   * takes text input through an EditContext element in Chromium, through
   * a textarea elsewhere.
   */
  async focusEditor() {
    const editor = '.editor-group-container.active .editor-instance .monaco-editor';
    await this.page.waitForSelector(editor, { timeout: UI_TIMEOUT_MS });
    const focused = await this.page.$eval(editor, (ed) => {
      if (ed.contains(document.activeElement)) return true;
      const input = ed.querySelector('.native-edit-context, textarea.inputarea, textarea');
      input?.focus();
      return ed.contains(document.activeElement);
    });
    if (!focused) throw new Error('could not focus the editor');
  }

  /** Puts the cursor at a 1-based line:column with Go to Line. */
  async goTo(line, column) {
    await this.focusEditor();
    await this.press('Control', 'g');
    await this.quickInput('', `${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await waitFor(`the cursor at ${line}:${column}`, async () => {
      const s = await this.cursorStatus();
      return s === `Ln ${line}, Col ${column}`;
    }, 10000);
  }

  /** "Ln 61, Col 7" from the status bar. */
  async cursorStatus() {
    const items = await this.statusItems();
    return items.find((t) => /^Ln \d+, Col \d+/.test(t))?.replace(/\s*\(.*$/, '');
  }

  /** Squiggles of one kind ("warning", "error", "info", "hint") on the visible line with this 1-based number. */
  async squigglesOnLine(line, kind) {
    return this.page.evaluate(
      (line, kind) => {
        const editor = document.querySelector('.editor-group-container.active .editor-instance .monaco-editor');
        if (!editor) return 0;
        const numbers = [...editor.querySelectorAll('.margin-view-overlays .line-numbers')];
        const num = numbers.find((n) => n.textContent?.trim() === String(line));
        if (!num) return -1;
        const top = num.closest('[style*="top"]')?.style.top;
        const overlays = [...editor.querySelectorAll('.view-overlays > div')].filter((d) => d.style.top === top);
        let n = 0;
        for (const o of overlays) n += o.querySelectorAll(`.squiggly-${kind}`).length;
        return n;
      },
      line,
      kind,
    );
  }

  /** Moves the mouse over the first squiggle on a line and returns the hover's text. */
  async hoverSquiggle(line, kind) {
    const box = await this.page.evaluate(
      (line, kind) => {
        const editor = document.querySelector('.editor-group-container.active .editor-instance .monaco-editor');
        const num = [...editor.querySelectorAll('.margin-view-overlays .line-numbers')].find((n) => n.textContent?.trim() === String(line));
        const top = num?.closest('[style*="top"]')?.style.top;
        for (const o of editor.querySelectorAll('.view-overlays > div')) {
          if (o.style.top !== top) continue;
          const sq = o.querySelector(`.squiggly-${kind}`);
          if (sq) {
            const r = sq.getBoundingClientRect();
            return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
          }
        }
        return undefined;
      },
      line,
      kind,
    );
    if (!box) throw new Error(`no ${kind} squiggle on line ${line}`);
    await this.page.mouse.move(box.x - 40, box.y + 80);
    await this.page.mouse.move(box.x, box.y, { steps: 5 });
    return waitFor('the hover', () =>
      this.page.$$eval('.monaco-hover:not(.hidden)', (els) => els.map((e) => e.textContent ?? '').join('\n').trim()),
    );
  }

  async escape() {
    await this.page.keyboard.press('Escape');
  }

  /** Opens Problems, filters it, returns the rows' accessible labels. */
  async problems(filter) {
    await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const input = '.markers-panel-action-filter input, .viewpane-filter input';
    await this.page.waitForSelector(input, { timeout: UI_TIMEOUT_MS });
    await this.page.$eval(input, (el) => el.focus());
    await this.press('Control', 'a');
    await this.page.keyboard.type(filter, { delay: 5 });
    await new Promise((r) => setTimeout(r, 500));
    // The rows' text, as shown: message, source(code), position.
    return this.page.$$eval('.markers-panel .monaco-list-row', (rows) => rows.map((r) => (r.textContent ?? '').replace(/\s+/g, ' ').trim()));
  }

  /** Opens the code action menu at the cursor with Ctrl+. and returns its entries. */
  async codeActions() {
    // A key press that lands while the workbench is busy (a loaded machine,
    // a re-layout) can be dropped, and then waiting longer shows nothing:
    // press again, as a user would, until the menu is there (bounded).
    let pressed = 0;
    return waitFor('the code action menu', async () => {
      const items = await this.page.$$eval('.action-widget .monaco-list-row.action', (rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
      if (items.length > 0) return items;
      if (Date.now() - pressed > 10000) {
        await this.focusEditor();
        await this.press('Control', '.');
        pressed = Date.now();
      }
      return undefined;
    }, 4 * UI_TIMEOUT_MS);
  }

  /** Picks the code action whose label includes title, from the open menu. */
  async pickCodeAction(title) {
    const idx = await this.page.$$eval('.action-widget .monaco-list-row.action', (rows, t) => rows.findIndex((r) => (r.getAttribute('aria-label') ?? r.textContent ?? '').includes(t)), title);
    if (idx < 0) throw new Error(`no code action "${title}" in the menu: ${(await this.codeActionsOpen()).join(' | ')}`);
    const rows = await this.page.$$('.action-widget .monaco-list-row.action');
    await rows[idx].click();
    await waitFor('the code action menu to close', async () => !(await this.page.$('.action-widget .monaco-list-row.action')), 10000);
  }

  codeActionsOpen() {
    return this.page.$$eval('.action-widget .monaco-list-row.action', (rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
  }

  /** The text of the active editor's visible lines. */
  visibleText() {
    return this.page.$$eval('.editor-group-container.active .editor-instance .monaco-editor .view-lines .view-line', (ls) =>
      ls
        .map((l) => ({ top: parseFloat(l.style.top || '0'), text: (l.textContent ?? '').replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text)
        .join('\n'),
    );
  }

  async typeText(text) {
    await this.focusEditor();
    await this.page.keyboard.type(text, { delay: 10 });
  }
}

// Decides whether the TypeScript server must be restarted after types were
// regenerated. tsserver watches the files of its programs and re-reads them
// when they change, so a restart is needed only for outputs it cannot see
// change: paths VS Code's file watcher excludes (files.watcherExclude; the
// TypeScript extension gets its file events from that watcher) and paths
// inside node_modules, whose changes tsserver itself ignores for dot folders
// and VS Code excludes by default. See README.md, "Fresh types without
// restarting TypeScript". No vscode import.
import * as path from 'path';
import { minimatch } from 'minimatch';

export const DEFAULT_OUT_DIR = '.@donkeylabs/server';

/** Files the generator writes into outDir. */
export const OUT_DIR_FILES = ['registry.d.ts', 'context.d.ts', 'routes.ts', 'events.ts', 'processes.ts', 'client.ts'];

// Reads a string-literal property of the config. The config is TypeScript we
// do not evaluate; a value computed at run time is not seen, and the defaults
// apply, as the language server's own reading does.
function stringProperty(text: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[\\s{,])${name}\\s*:\\s*(["'\`])([^"'\`\\n]+)\\1`, 'm').exec(text);
  return m?.[2];
}

function clientBlock(text: string): string | undefined {
  const i = text.search(/(?:^|[\s{,])client\s*:\s*\{/m);
  if (i < 0) return undefined;
  const open = text.indexOf('{', i);
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return text.slice(open, j + 1);
  }
  return undefined;
}

/** The generated files of the project at root, read from its config text. */
export function generatedOutputs(root: string, configText: string): string[] {
  const withoutComments = configText.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const outDir = path.resolve(root, stringProperty(withoutComments, 'outDir') ?? DEFAULT_OUT_DIR);
  const outputs = OUT_DIR_FILES.map((f) => path.join(outDir, f));
  const client = clientBlock(withoutComments);
  const clientOutput = client !== undefined ? stringProperty(client, 'output') : undefined;
  if (clientOutput !== undefined) outputs.push(path.resolve(root, clientOutput));
  return outputs;
}

export type RestartMode = 'auto' | 'always' | 'never';

export interface RefreshInput {
  mode: RestartMode;
  outputs: readonly string[];
  /** Enabled files.watcherExclude patterns. */
  watcherExclude: readonly string[];
  /** Workspace folders, for patterns relative to a folder. */
  workspaceFolders: readonly string[];
}

export type RefreshDecision = { restart: false; reason: string } | { restart: true; reason: string };

function toSlash(p: string): string {
  return p.replace(/\\/g, '/');
}

function excludedBy(file: string, patterns: readonly string[], folders: readonly string[]): string | undefined {
  const abs = toSlash(file);
  for (const pattern of patterns) {
    const p = toSlash(pattern);
    if (minimatch(abs, p, { dot: true }) || minimatch(abs, `${p}/**`, { dot: true })) return pattern;
    for (const folder of folders) {
      const rel = toSlash(path.relative(folder, file));
      if (rel.startsWith('../') || path.isAbsolute(rel)) continue;
      if (minimatch(rel, p, { dot: true }) || minimatch(rel, `${p}/**`, { dot: true })) return pattern;
    }
  }
  return undefined;
}

export function decideTsRestart(input: RefreshInput): RefreshDecision {
  if (input.mode === 'never') return { restart: false, reason: 'donkeyls.typescript.restartTsServer is "never"' };
  if (input.mode === 'always') return { restart: true, reason: 'donkeyls.typescript.restartTsServer is "always"' };
  for (const out of input.outputs) {
    if (toSlash(out).split('/').includes('node_modules')) {
      return { restart: true, reason: `${out} is inside node_modules, whose changes tsserver does not pick up` };
    }
    const pattern = excludedBy(out, input.watcherExclude, input.workspaceFolders);
    if (pattern !== undefined) {
      return { restart: true, reason: `${out} matches files.watcherExclude "${pattern}", so no change event reaches tsserver` };
    }
  }
  return { restart: false, reason: 'every generated file is watched; tsserver reloads it by itself' };
}

/** The enabled patterns of a files.watcherExclude value ({pattern: boolean}). */
export function enabledPatterns(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>)
    .filter(([, on]) => on === true)
    .map(([p]) => p);
}

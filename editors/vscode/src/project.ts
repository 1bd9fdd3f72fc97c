// Finding donkeylabs projects: a project is a folder holding
// donkeylabs.config.ts. No vscode import.
import * as path from 'path';

export const CONFIG_FILE = 'donkeylabs.config.ts';

/** The nearest folder at or above `file`'s folder that holds the config, or undefined. */
export function projectRootOf(file: string, isFile: (p: string) => boolean): string | undefined {
  let dir = path.dirname(path.resolve(file));
  // A package's own config inside node_modules is not the user's project,
  // and files there belong to no project of the user's.
  if (dir.split(path.sep).includes('node_modules')) return undefined;
  for (;;) {
    if (isFile(path.join(dir, CONFIG_FILE))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The project a command acts on: the active editor's project when it has
 * one, else the only known project, else undefined (the caller asks).
 */
export function chooseProject(activeFile: string | undefined, known: readonly string[], isFile: (p: string) => boolean): string | undefined {
  if (activeFile !== undefined) {
    const root = projectRootOf(activeFile, isFile);
    if (root !== undefined) return root;
  }
  const unique = [...new Set(known)];
  return unique.length === 1 ? unique[0] : undefined;
}

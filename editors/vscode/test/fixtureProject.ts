// The test projects come from internal/fixture, never from examples/bookshop
// (the README's showcase, free to change for its readers): the Go helper
// writes one by name, as the Go and Neovim tests get theirs.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '..', '..', '..', '..');

/**
 * Writes the named project of internal/fixture ("shop": every output
 * fresh; "shop-stale": two outputs stale, its findings marked) into
 * parent/name and returns that root.
 */
export function materialize(name: string, parent: string): string {
  const root = join(parent, name);
  execFileSync('go', ['run', './internal/fixture/cmd/materialize', name, root], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  return root;
}

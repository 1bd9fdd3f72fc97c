// Finds the donkeyls executable: the donkeyls.path setting, then the binary
// bundled in the .vsix for this platform, then PATH. No vscode import, so the
// order is unit-tested and shared with the build script's output layout.
import * as path from 'path';

export type BinarySource = 'setting' | 'bundled' | 'PATH';

export type Resolution =
  | { ok: true; path: string; source: BinarySource; needsChmod: boolean }
  | { ok: false; message: string; tried: string[] };

/** What the resolver may ask of the file system. */
// Properties, not methods: callers pass probe.isFile around unbound.
export interface FileProbe {
  isFile: (p: string) => boolean;
  isExecutable: (p: string) => boolean;
}

export interface ResolveInput {
  /** The donkeyls.path setting, as typed by the user ("" when unset). */
  configured: string;
  /** Base for a relative donkeyls.path: the first workspace folder. */
  workspaceFolder?: string;
  extensionPath: string;
  platform: NodeJS.Platform;
  arch: string;
  /** The PATH environment variable. */
  envPath: string;
  home: string;
}

export function executableName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'donkeyls.exe' : 'donkeyls';
}

/** Where `npm run build` puts the binary and where the .vsix carries it. */
// Paths follow the target platform's rules, whatever the host running this.
function pathFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

export function bundledBinaryPath(extensionPath: string, platform: NodeJS.Platform, arch: string): string {
  return pathFor(platform).join(extensionPath, 'bin', `${platform}-${arch}`, executableName(platform));
}

export function expandUserPath(p: string, home: string, workspaceFolder?: string, platform: NodeJS.Platform = process.platform): string {
  const path = pathFor(platform);
  let out = p.trim();
  if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) {
    out = path.join(home, out.slice(1));
  }
  if (workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  if (!path.isAbsolute(out) && workspaceFolder !== undefined) {
    out = path.join(workspaceFolder, out);
  }
  return out;
}

export function resolveBinary(input: ResolveInput, fs: FileProbe): Resolution {
  const tried: string[] = [];

  // An explicit setting is never silently replaced by another binary: the
  // user pointed at a specific build and would be debugging the wrong one.
  if (input.configured.trim() !== '') {
    const p = expandUserPath(input.configured, input.home, input.workspaceFolder, input.platform);
    tried.push(p);
    if (!fs.isFile(p)) {
      return { ok: false, message: `donkeyls.path is set to "${input.configured}", but ${p} does not exist`, tried };
    }
    if (input.platform !== 'win32' && !fs.isExecutable(p)) {
      return { ok: false, message: `donkeyls.path is set to "${input.configured}", but ${p} is not executable`, tried };
    }
    return { ok: true, path: p, source: 'setting', needsChmod: false };
  }

  const bundled = bundledBinaryPath(input.extensionPath, input.platform, input.arch);
  tried.push(bundled);
  if (fs.isFile(bundled)) {
    // Some unzip paths drop the mode bits; the extension owns this file, so
    // restoring them is safe.
    const needsChmod = input.platform !== 'win32' && !fs.isExecutable(bundled);
    return { ok: true, path: bundled, source: 'bundled', needsChmod };
  }

  const path = pathFor(input.platform);
  const name = executableName(input.platform);
  const sep = input.platform === 'win32' ? ';' : ':';
  for (const dir of input.envPath.split(sep)) {
    if (dir === '' || !path.isAbsolute(dir)) {
      // A relative PATH entry would resolve inside the opened project:
      // running a binary from there is running project code.
      continue;
    }
    const candidate = path.join(dir, name);
    tried.push(candidate);
    if (fs.isFile(candidate) && (input.platform === 'win32' || fs.isExecutable(candidate))) {
      return { ok: true, path: candidate, source: 'PATH', needsChmod: false };
    }
  }

  return {
    ok: false,
    message: `no donkeyls binary for ${input.platform}-${input.arch}: set donkeyls.path, or put donkeyls on PATH (build it with go install ./cmd/donkeyls in a clone of the donkeyls repository)`,
    tried,
  };
}

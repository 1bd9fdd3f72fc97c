// The language-client configuration that does not need the vscode API: how
// donkeyls serve is launched and what it is told. The extension wraps it into
// vscode-languageclient options; the integration test drives the real binary
// with exactly these values.
import type { StaticFeature } from 'vscode-languageclient/node';
import type { ServerSettings } from './settings';

export const CLIENT_ID = 'donkeyls';
export const CLIENT_NAME = 'donkeyls';

/** Server-side command names (workspace/executeCommand). */
export const SERVER_COMMANDS = {
  regenerate: 'donkeyls.regenerate',
  restart: 'donkeyls.restart',
  extractToPlugin: 'donkeyls.extractToPlugin',
} as const;

/** Server commands that run project code and so need a trusted workspace. */
export const PROJECT_COMMANDS: ReadonlySet<string> = new Set([SERVER_COMMANDS.regenerate, SERVER_COMMANDS.restart]);

export interface Launch {
  command: string;
  args: string[];
}

export function serverLaunch(binary: string, logFile: string): Launch {
  const args = ['serve'];
  if (logFile.trim() !== '') args.push('--log', logFile.trim());
  return { command: binary, args };
}

export function devLaunch(binary: string, root: string, extraArgs: readonly string[]): Launch {
  return { command: binary, args: ['dev', ...extraArgs, root] };
}

/** The documents the server analyses. */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'typescript' },
  { scheme: 'file', language: 'typescriptreact' },
];

/** initializationOptions is the full settings object, as in workspace/configuration. */
export function initializationOptions(settings: ServerSettings): ServerSettings {
  return settings;
}

/**
 * Tells the server that this client renders donkeyls/status
 * (docs/protocol.md); the server sends it to no other client.
 */
export const statusFeature: StaticFeature = {
  fillClientCapabilities: (capabilities) => {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), donkeylsStatus: true };
  },
  initialize: () => undefined,
  getState: () => ({ kind: 'static' }),
  clear: () => undefined,
};

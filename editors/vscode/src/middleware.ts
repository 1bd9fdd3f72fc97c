// The language client middleware: answers workspace/configuration from our
// settings mapping (and makes didChangeConfiguration go through it too), and
// keeps project commands behind Workspace Trust even when a code action
// triggers them.
import type { Middleware } from 'vscode-languageclient/node';
import { PROJECT_COMMANDS } from './clientConfig';
import { ServerSettings, answerConfiguration } from './settings';

export interface MiddlewareDeps {
  settingsFor(scopeUri: string | undefined): ServerSettings;
  /** The trust gate; false refuses the command. */
  allows(what: string): boolean;
  /** Sends the mapped settings in a workspace/didChangeConfiguration. */
  pushSettings(): Promise<void>;
}

export function clientMiddleware(deps: MiddlewareDeps): Middleware {
  return {
    workspace: {
      configuration: async (params, token, next) => {
        const defaults = await next(params, token);
        if (!Array.isArray(defaults)) return defaults;
        return answerConfiguration(params.items, (scope) => deps.settingsFor(scope), defaults);
      },
      // The server registers didChangeConfiguration for the "donkeyls"
      // section, so the client would push that section raw: the editor's own
      // keys (path, dev, server, trace, typescript), which the server warns
      // about as unknown, and no trust. The mapped settings go instead, in
      // the same notification, so a command sent right after a change
      // already runs with it.
      didChangeConfiguration: () => deps.pushSettings(),
    },
    executeCommand: (command, args, next): unknown => {
      if (PROJECT_COMMANDS.has(command) && !deps.allows(command)) return undefined;
      return next(command, args) as unknown;
    },
  };
}

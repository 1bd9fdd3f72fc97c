// Maps the user's VS Code settings to the settings object donkeyls serve reads
// (initializationOptions, workspace/configuration section "donkeyls", and
// workspace/didChangeConfiguration). No vscode import: the integration test
// builds the server's settings with this same code.

export type OnSave = 'off' | 'whenStale' | 'always';

export const ON_SAVE_VALUES: readonly OnSave[] = ['off', 'whenStale', 'always'];

export const DEFAULT_TIMEOUT = '120s';

// The server's own default; package.json declares the same.
export const DEFAULT_ON_SAVE: OnSave = 'whenStale';

/** The settings contract of `donkeyls serve`. */
export interface ServerSettings {
  typegen: {
    command: string;
    onSave: OnSave;
    timeout: string;
  };
  trusted: boolean;
}

/** Reads one setting below "donkeyls."; returns fallback when unset. */
export type SettingReader = <T>(key: string, fallback: T) => T;

export interface MappedSettings {
  settings: ServerSettings;
  /** Human-readable problems with the user's values, for the output channel. */
  problems: string[];
}

// Go's time.ParseDuration accepts this shape; the server parses the value with it.
const durationPattern = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function serverSettings(read: SettingReader, trusted: boolean): MappedSettings {
  const problems: string[] = [];

  let command = read<unknown>('typegen.command', '');
  if (typeof command !== 'string') {
    problems.push('donkeyls.typegen.command must be a string; using the project default');
    command = '';
  }

  let onSave = read<unknown>('typegen.onSave', DEFAULT_ON_SAVE);
  if (!ON_SAVE_VALUES.includes(onSave as OnSave)) {
    problems.push(`donkeyls.typegen.onSave: ${JSON.stringify(onSave)} is not one of ${ON_SAVE_VALUES.join(', ')}; using "${DEFAULT_ON_SAVE}"`);
    onSave = DEFAULT_ON_SAVE;
  }

  let timeout = read<unknown>('typegen.timeout', DEFAULT_TIMEOUT);
  if (typeof timeout !== 'string' || !durationPattern.test(timeout.trim())) {
    problems.push(`donkeyls.typegen.timeout: ${JSON.stringify(timeout)} is not a duration like "120s" or "2m"; using "${DEFAULT_TIMEOUT}"`);
    timeout = DEFAULT_TIMEOUT;
  }

  // In Restricted Mode the server must not run project code on its own;
  // onSave is forced off as well as trusted:false so that a server that
  // honours either field stays inert.
  return {
    settings: {
      typegen: {
        command: (command as string).trim(),
        onSave: trusted ? (onSave as OnSave) : 'off',
        timeout: (timeout as string).trim(),
      },
      trusted,
    },
    problems,
  };
}

/** The parameters of workspace/didChangeConfiguration carrying new settings. */
export function didChangeConfigurationParams(settings: ServerSettings): { settings: { donkeyls: ServerSettings } } {
  return { settings: { donkeyls: settings } };
}

export interface ConfigurationItemLike {
  scopeUri?: string;
  section?: string;
}

/**
 * Answers a workspace/configuration request: the "donkeyls" items (or a
 * sub-section such as "donkeyls.typegen") from our mapping, every other item
 * from `defaults` (the language client's own answer, same order).
 */
export function answerConfiguration(
  items: ConfigurationItemLike[],
  settingsFor: (scopeUri: string | undefined) => ServerSettings,
  defaults: readonly unknown[] = [],
): unknown[] {
  return items.map((item, i) => {
    const section = item.section ?? '';
    if (section !== 'donkeyls' && !section.startsWith('donkeyls.')) {
      return defaults[i] ?? null;
    }
    let value: unknown = settingsFor(item.scopeUri);
    for (const part of section.split('.').slice(1)) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    }
    return value ?? null;
  });
}

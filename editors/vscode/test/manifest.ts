// The parts of package.json the tests read, typed.
import { readFileSync } from 'node:fs';

export interface Manifest {
  main: string;
  activationEvents: string[];
  dependencies?: Record<string, string>;
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
  contributes: {
    commands: { command: string; title: string; category: string }[];
    configuration: { properties: Record<string, { default: unknown; enum?: unknown[]; scope?: string }> };
  };
}

export function parseManifest(text: string): Manifest {
  return JSON.parse(text) as Manifest;
}

export function readManifest(path: string): Manifest {
  return parseManifest(readFileSync(path, 'utf8'));
}

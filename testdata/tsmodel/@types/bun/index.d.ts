// A hand-written model of the Bun and Node globals and modules donkeylabs
// projects touch. The DOM lib supplies fetch, Request, Response, URL and
// crypto; this file adds the server-side rest.

declare var process: {
  env: Record<string, string | undefined>;
  argv: string[];
  exit(code?: number): never;
  cwd(): string;
  uptime(): number;
  pid: number;
  on(event: "SIGINT" | "SIGTERM" | "exit" | "uncaughtException", listener: (...args: any[]) => void): void;
};

declare var Bun: {
  readonly version: string;
  env: Record<string, string | undefined>;
  password: {
    hash(password: string, options?: { algorithm?: "argon2id" | "bcrypt" }): Promise<string>;
    verify(password: string, hash: string): Promise<boolean>;
  };
  file(path: string): Blob & { exists(): Promise<boolean>; text(): Promise<string> };
  write(path: string, data: string | Blob | ArrayBuffer): Promise<number>;
  sleep(ms: number): Promise<void>;
};

interface ImportMeta {
  readonly dir: string;
  readonly path: string;
  readonly main: boolean;
}

declare module "bun:sqlite" {
  export class Database {
    constructor(filename?: string, options?: { readonly?: boolean; create?: boolean; strict?: boolean });
    query<R = unknown>(sql: string): { all(...params: unknown[]): R[]; get(...params: unknown[]): R | null; run(...params: unknown[]): void };
    prepare(sql: string): unknown;
    exec(sql: string): void;
    close(): void;
  }
  export default Database;
}

declare module "bun:test" {
  export function describe(name: string, fn: () => void): void;
  export function test(name: string, fn: () => void | Promise<void>): void;
  export function expect(value: unknown): any;
  export function beforeAll(fn: () => void | Promise<void>): void;
  export function afterAll(fn: () => void | Promise<void>): void;
}

declare module "node:fs" {
  export function mkdirSync(path: string, options?: { recursive?: boolean }): string | undefined;
  export function existsSync(path: string): boolean;
  export function readFileSync(path: string, encoding: "utf8" | "utf-8"): string;
  export function writeFileSync(path: string, data: string): void;
}
declare module "fs" {
  export * from "node:fs";
}

declare module "node:path" {
  export function dirname(path: string): string;
  export function basename(path: string, ext?: string): string;
  export function join(...parts: string[]): string;
  export function resolve(...parts: string[]): string;
  export function relative(from: string, to: string): string;
}
declare module "path" {
  export * from "node:path";
}

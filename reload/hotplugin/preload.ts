// donkeyls dev's hot plugin reload, on the server's side. `donkeyls dev`
// writes this file to the project's private .donkeyls/ directory and runs
// the dev server as `bun --preload=<this file> <entry>`; Bun evaluates it
// before the entry. It finds @donkeylabs/server the way the entry does,
// checks that the framework has the shape this relies on, wraps
// PluginManager.prototype.init to learn the running manager, and then
// answers reload requests from donkeyls dev over a Unix socket
// ($DONKEYLS_HOT_SOCKET): re-import one plugin module, build its service and
// its dependents' services the way PluginManager.init builds them, and swap
// them into the manager's services map, which every request reads as
// ctx.plugins. When anything is not as expected it says why and donkeyls dev
// restarts the server instead, as it would without this file.
//
// Protocol: JSON lines. To donkeyls dev: {type:"ready",pid,framework},
// {type:"off",pid,why}, {type:"result",id,ok,fallback?,error?,hash?,reloaded?}.
// From it: {type:"reload",id,plugin,export,file}.
import { createConnection, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

// Server 2.5.1 is what the shape below was read from and tested against;
// another major version may store services elsewhere.
const SUPPORTED_MAJOR = "2";

const socketPath = process.env.DONKEYLS_HOT_SOCKET ?? "";
// Processes the server spawns are not ours to patch.
delete process.env.DONKEYLS_HOT_SOCKET;

let sock: Socket | undefined;
let manager: any;
let PluginContext: any;
let framework = "";
let isOff = false;
let generation = 0;
let queue: Promise<unknown> = Promise.resolve();

function send(msg: Record<string, unknown>) {
  sock?.write(JSON.stringify({ pid: process.pid, ...msg }) + "\n");
}

function off(why: string) {
  if (isOff) return;
  isOff = true;
  send({ type: "off", why });
}

// The FNV-1a 64 of the bytes, as donkeyls fingerprints files
// (facts.HashBytes): what donkeyls dev compares with the file it classified.
function fnv1a64(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

// message is an error as the user needs it: their frames, not ours.
function message(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (!e.stack || !e.stack.includes(e.message)) return `${e.name}: ${e.message}`;
  return e.stack
    .split("\n")
    .filter((l) => !l.includes(import.meta.path))
    .join("\n");
}

async function findFramework(): Promise<string | undefined> {
  const root = process.cwd();
  let entry: string;
  try {
    entry = Bun.resolveSync("@donkeylabs/server", root + "/");
  } catch (e) {
    return `@donkeylabs/server cannot be resolved from ${root} (${(e as Error).message})`;
  }
  let pkg: any;
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    try {
      pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      break;
    } catch (e: any) {
      if (e?.code !== "ENOENT") return `the package.json above ${entry} cannot be read (${e?.message ?? e})`;
      if (dirname(dir) === dir) return `no package.json above ${entry}`;
    }
  }
  if (pkg?.name !== "@donkeylabs/server") {
    return `@donkeylabs/server resolves to ${entry}, whose package.json names ${JSON.stringify(pkg?.name)}`;
  }
  const version = String(pkg.version ?? "");
  if (version.split(".")[0] !== SUPPORTED_MAJOR) {
    return `@donkeylabs/server ${version}: hot plugins know the ${SUPPORTED_MAJOR}.x runtime (checked with 2.5.1)`;
  }
  let mod: any;
  try {
    mod = await import(entry);
  } catch (e) {
    return `@donkeylabs/server ${version} failed to load in the preload (${message(e)})`;
  }
  const PM = mod.PluginManager;
  if (typeof PM !== "function" || typeof PM.prototype?.init !== "function" || typeof PM.prototype?.getServices !== "function") {
    return `@donkeylabs/server ${version} exports no PluginManager with init() and getServices()`;
  }
  if (typeof mod.PluginContext !== "function") {
    return `@donkeylabs/server ${version} exports no PluginContext`;
  }
  PluginContext = mod.PluginContext;
  framework = `@donkeylabs/server ${version}`;
  const init = PM.prototype.init;
  PM.prototype.init = async function (this: any, ...args: unknown[]) {
    const result = await init.apply(this, args);
    adopt(this);
    return result;
  };
  return undefined;
}

// adopt checks one initialized manager against what reload relies on.
function adopt(m: any) {
  if (isOff) return;
  if (manager && manager !== m) {
    off("this process built a second PluginManager (a second AppServer): which one answers requests is unknown");
    return;
  }
  const problems: string[] = [];
  if (!(m.plugins instanceof Map)) problems.push("plugins is not a Map");
  if (!m.services || typeof m.services !== "object") problems.push("services is not an object");
  else if (m.getServices() !== m.services) problems.push("getServices() does not return the services object (requests would not see a swap)");
  if (!m.core || typeof m.core !== "object") problems.push("core is missing");
  if (m.plugins instanceof Map) {
    for (const [name, p] of m.plugins) {
      if (typeof p?.service !== "function") problems.push(`plugin ${name} has no service function`);
      if (typeof p?.middleware === "function" && !("_resolvedMiddleware" in p)) {
        problems.push(`plugin ${name}'s middleware was not resolved into _resolvedMiddleware`);
      }
    }
  }
  if (problems.length > 0) {
    off(`${framework}'s PluginManager is not shaped as expected: ${problems.join("; ")}`);
    return;
  }
  manager = m;
  send({ type: "ready", framework });
}

// order is the manager's init order (dependencies first) restricted to
// name and every plugin that depends on it, directly or not.
function order(name: string): any[] {
  const plugins: Map<string, any> = manager.plugins;
  const sorted: any[] = [];
  const seen = new Set<string>();
  const visit = (p: any) => {
    if (seen.has(p.name)) return;
    seen.add(p.name);
    for (const d of p.dependencies ?? []) {
      const dp = plugins.get(d);
      if (dp) visit(dp);
    }
    sorted.push(p);
  };
  for (const p of plugins.values()) visit(p);
  const affected = new Set([name]);
  return sorted.filter((p) => {
    if (affected.has(p.name)) return true;
    if ((p.dependencies ?? []).some((d: string) => affected.has(d))) {
      affected.add(p.name);
      return true;
    }
    return false;
  });
}

const keys = (o: unknown) => (o && typeof o === "object" ? Object.keys(o).sort().join(",") : "");

// sameShape lists what differs between the running definition and the new
// one beyond the service: donkeyls dev only asks when nothing does, so a
// difference means the file changed again or was misread.
function sameShape(a: any, b: any): string[] {
  const diff: string[] = [];
  if (a.name !== b.name) diff.push("name");
  if ((a.dependencies ?? []).join(",") !== (b.dependencies ?? []).join(",")) diff.push("dependencies");
  if (keys(a.handlers) !== keys(b.handlers)) diff.push("handlers");
  if (typeof a.middleware !== typeof b.middleware) diff.push("middleware");
  if (typeof a.init !== typeof b.init) diff.push("init");
  if (keys(a.events) !== keys(b.events)) diff.push("events");
  if (keys(a.customErrors) !== keys(b.customErrors)) diff.push("customErrors");
  return diff;
}

type Request = { id: number; plugin: string; export: string; file: string };

async function reload(req: Request): Promise<Record<string, unknown>> {
  const fallback = (why: string) => ({ ok: false, fallback: true, error: why });
  if (isOff) return fallback("hot plugins are off in this server");
  if (!manager) return fallback("the server has not initialized its plugins yet");
  const running = manager.plugins.get(req.plugin);
  if (!running) return fallback(`no plugin named "${req.plugin}" is registered in the running server`);
  const affected = order(req.plugin);
  for (const p of affected) {
    // init was handed the service built at start: its listeners and cron
    // jobs would keep calling the old code, and running it again would
    // schedule them twice.
    if (typeof p.init === "function") return fallback(`plugin "${p.name}" has an init, which holds the service built at start (init is never re-run)`);
  }

  const before = readFileSync(req.file);
  let mod: any;
  try {
    // A new specifier is a new module for Bun's loader; what it imports is
    // resolved as usual, so unchanged files are the instances already
    // running. (Bun 1.4.5 ignores the query of a file:// URL and returns the
    // cached module; of a plain path it does not.)
    mod = await import(`${req.file}?donkeyls-hot=${++generation}`);
  } catch (e) {
    return { ok: false, error: `loading ${req.file} failed: ${message(e)}` };
  }
  const after = readFileSync(req.file);
  if (!before.equals(after)) return { ok: false, error: `${req.file} changed while it was loading; the next save is applied` };

  let fresh = mod[req.export];
  if (typeof fresh === "function" && "_boundConfig" in running) {
    fresh = fresh(running._boundConfig); // withConfig: the export is the factory the entry called
  }
  if (!fresh || typeof fresh !== "object" || typeof fresh.service !== "function") {
    return fallback(`${req.file} exports no plugin definition named ${req.export}`);
  }
  const diff = sameShape(running, fresh);
  if (diff.length > 0) return fallback(`plugin "${req.plugin}" changed beyond its service (${diff.join(", ")})`);

  // Build everything first: on any throw nothing is replaced.
  const staged: Record<string, unknown> = {};
  const middleware = new Map<any, unknown>();
  const current = (n: string) => (n in staged ? staged[n] : manager.services[n]);
  for (const p of affected) {
    const deps: Record<string, unknown> = {};
    for (const d of p.dependencies ?? []) deps[d] = current(d);
    const ctx = new PluginContext(manager.core, deps, p._boundConfig, p.name);
    const factory = p === running ? fresh.service : p.service;
    let service: unknown;
    try {
      service = await factory(ctx);
    } catch (e) {
      const what = p === running ? `plugin "${p.name}"'s service threw` : `plugin "${p.name}" (depends on "${req.plugin}") threw when rebuilt`;
      return { ok: false, error: `${what}: ${message(e)}` };
    }
    if (!service) return { ok: false, error: `plugin "${p.name}"'s service returned ${String(service)}` };
    staged[p.name] = service;
    // The framework resolves function middleware once, right after the
    // service, with the same context, and looks the result up on the
    // plugin (_resolvedMiddleware) for every request: resolve it again so
    // it closes over the new service and deps.
    const mw = p === running ? fresh.middleware : p.middleware;
    if (typeof mw === "function") {
      try {
        middleware.set(p, mw(ctx, service));
      } catch (e) {
        return { ok: false, error: `plugin "${p.name}"'s middleware threw when rebuilt: ${message(e)}` };
      }
    }
  }
  for (const p of affected) {
    manager.services[p.name] = staged[p.name];
    if (middleware.has(p)) p._resolvedMiddleware = middleware.get(p);
  }
  if (typeof fresh.middleware === "function") running.middleware = fresh.middleware;
  // A later reload of a dependency rebuilds this plugin from its new code.
  running.service = fresh.service;
  return { ok: true, hash: fnv1a64(after), reloaded: affected.map((p) => p.name) };
}

function connect() {
  if (!socketPath) return;
  sock = createConnection(socketPath);
  sock.on("error", (e) => {
    console.error(`[donkeyls] hot plugins off: cannot reach donkeyls dev at ${socketPath} (${e.message})`);
    sock = undefined;
  });
  let buf = "";
  sock.on("data", (chunk) => {
    buf += chunk.toString("utf8");
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let req: any;
      try {
        req = JSON.parse(line);
      } catch {
        continue;
      }
      if (req?.type !== "reload") continue;
      // One reload at a time, in the order asked.
      queue = queue.then(async () => {
        let res: Record<string, unknown>;
        try {
          res = await reload(req);
        } catch (e) {
          res = { ok: false, error: `hot reload failed: ${message(e)}` };
        }
        send({ type: "result", id: req.id, ...res });
      });
    }
  });
  // The socket must never keep the server alive, nor its end stop it.
  sock.unref();
}

connect();
const why = await findFramework();
if (why) off(why);

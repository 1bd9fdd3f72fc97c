// A small stand-in for the parts of @donkeylabs/server this app uses. The
// real package is not installable in the test environment; this keeps the
// app's plugins and routes written exactly as they would be against it, and
// models the runtime shape `donkeyls dev`'s hot plugin reload relies on, as
// server 2.5.1 has it (packages/server/src/core.ts, PluginManager): a
// PluginManager whose `services` object is handed to every request as
// `ctx.plugins` (getServices() returns the object itself), and a `ctx.deps`
// built for each plugin at init from that object. Its version is in the
// package.json next to it, as the real package's is.
import { Database } from "bun:sqlite";

type ServiceFactory = (ctx: PluginContext) => unknown;

export interface CoreServices {
  db: Database;
  config: Record<string, unknown>;
}

export class PluginContext {
  constructor(
    private _core: CoreServices,
    public readonly deps: Record<string, any>,
    public readonly config: any,
    private _pluginName?: string,
  ) {}

  get core(): CoreServices {
    return this._core;
  }

  get db(): Database {
    return this._core.db;
  }
}

export interface PluginDefinition {
  name: string;
  version?: string;
  dependencies?: readonly string[];
  handlers?: Record<string, unknown>;
  middleware?: (ctx: PluginContext, service: any) => unknown;
  service: ServiceFactory;
  init?: (ctx: PluginContext, service: any) => void | Promise<void>;
}

export const createPlugin = {
  withSchema<_DB>() {
    return createPlugin;
  },
  withConfig<_C>() {
    return createPlugin;
  },
  define<D extends PluginDefinition>(definition: D): D {
    return definition;
  },
};

export function createHandler(kind: string) {
  return { kind };
}

type Next = () => Promise<Response>;

export interface MiddlewareRuntime {
  execute(req: Request, ctx: RouteContext, next: Next, config?: unknown): Promise<Response>;
}

export function createMiddleware(execute: (req: Request, ctx: RouteContext, next: Next, config?: unknown) => Promise<Response>): MiddlewareRuntime {
  return { execute };
}

export class PluginManager {
  private plugins: Map<string, PluginDefinition & { _boundConfig?: unknown }> = new Map();
  private services: Record<string, any> = {};
  private core: CoreServices;

  constructor(core: CoreServices) {
    this.core = core;
  }

  getServices(): any {
    return this.services;
  }

  getCore(): CoreServices {
    return this.core;
  }

  getPlugins(): PluginDefinition[] {
    return Array.from(this.plugins.values());
  }

  register(plugin: PluginDefinition) {
    if (this.plugins.has(plugin.name)) {
      throw new Error(`Plugin ${plugin.name} is already registered.`);
    }
    this.plugins.set(plugin.name, plugin);
  }

  // Plugins are built once, at start: the reason service edits need a
  // restart (or donkeyls dev's hot plugin reload).
  async init() {
    for (const plugin of this.resolveOrder()) {
      const deps: Record<string, unknown> = {};
      for (const dep of plugin.dependencies ?? []) deps[dep] = this.services[dep];
      const ctx = new PluginContext(this.core, deps, plugin._boundConfig, plugin.name);
      const service = await plugin.service(ctx);
      if (service) this.services[plugin.name] = service;
      // Function middleware is resolved once, with the service; requests
      // look it up on the plugin.
      if (typeof plugin.middleware === "function") {
        (plugin as any)._resolvedMiddleware = plugin.middleware(ctx, service);
      }
      if (plugin.init) await plugin.init(ctx, service);
    }
  }

  private resolveOrder(): PluginDefinition[] {
    const visited = new Set<string>();
    const sorted: PluginDefinition[] = [];
    const visit = (plugin: PluginDefinition) => {
      if (visited.has(plugin.name)) return;
      visited.add(plugin.name);
      for (const dep of plugin.dependencies ?? []) {
        const p = this.plugins.get(dep);
        if (p) visit(p);
      }
      sorted.push(plugin);
    };
    for (const plugin of this.plugins.values()) visit(plugin);
    return sorted;
  }
}

type Handle = (input: any, ctx: RouteContext) => unknown;

function resolveMiddleware(manager: PluginManager, name: string): MiddlewareRuntime | undefined {
  for (const plugin of manager.getPlugins()) {
    const resolved = (plugin as any)._resolvedMiddleware as Record<string, MiddlewareRuntime> | undefined;
    if (resolved && resolved[name]) return resolved[name];
  }
  return undefined;
}

export interface RouteContext {
  plugins: Record<string, any>;
  db: Database;
  requestId: string;
}

export function createRouter(prefix: string) {
  const routes = new Map<string, Handle>();
  const router = {
    prefix,
    routes,
    route(name: string) {
      return {
        typed(config: { input?: unknown; output?: unknown; handle: Handle }) {
          routes.set(`${prefix}.${name}`, config.handle);
          return router;
        },
      };
    },
  };
  return router;
}

export class AppServer {
  private manager: PluginManager;
  private core: CoreServices;
  private routers: ReturnType<typeof createRouter>[] = [];

  constructor(private options: { port: number }) {
    // In memory, as a dev database often is: it lives exactly as long as the process.
    this.core = { db: new Database(":memory:"), config: {} };
    this.manager = new PluginManager(this.core);
  }

  registerPlugin(plugin: PluginDefinition) {
    this.manager.register(plugin);
  }

  use(router: ReturnType<typeof createRouter>) {
    this.routers.push(router);
  }

  async start() {
    await this.manager.init();
    const handlers = new Map<string, Handle>();
    for (const router of this.routers) {
      for (const [name, handle] of router.routes) handlers.set(name, handle);
    }
    const manager = this.manager;
    const db = this.core.db;
    let requests = 0;
    const server = Bun.serve({
      port: this.options.port,
      hostname: "127.0.0.1",
      async fetch(req) {
        const name = new URL(req.url).pathname.slice(1);
        const handle = handlers.get(name);
        if (!handle) return new Response(`no route ${name}`, { status: 404 });
        const input = req.method === "POST" ? await req.json() : {};
        const ctx: RouteContext = { plugins: manager.getServices(), db, requestId: String(++requests) };
        let next: Next = async () => Response.json(await handle(input, ctx));
        // A route's middleware stack, here named by a header: resolved per
        // request from the plugins, as the real server does.
        for (const mwName of (req.headers.get("x-middleware") ?? "").split(",").filter(Boolean).reverse()) {
          const runtime = resolveMiddleware(manager, mwName);
          if (!runtime) return new Response(`no middleware ${mwName}`, { status: 500 });
          const inner = next;
          next = () => runtime.execute(req, ctx, inner);
        }
        return next();
      },
    });
    console.log(`listening on http://127.0.0.1:${server.port} (pid ${process.pid})`);
  }
}

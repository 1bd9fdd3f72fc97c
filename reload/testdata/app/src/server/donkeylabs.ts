// A small stand-in for the parts of @donkeylabs/server this app uses. The
// real package is not installable in the test environment; this keeps the
// app's plugins and routes written exactly as they would be against it.

type ServiceFactory = (ctx: PluginContext) => unknown;

export interface PluginContext {
  deps: Record<string, any>;
  config: Record<string, unknown>;
}

export interface PluginDefinition {
  name: string;
  version?: string;
  dependencies?: readonly string[];
  handlers?: Record<string, unknown>;
  service: ServiceFactory;
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

type Handle = (input: any, ctx: RouteContext) => unknown;

export interface RouteContext {
  plugins: Record<string, any>;
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
  private plugins: PluginDefinition[] = [];
  private routers: ReturnType<typeof createRouter>[] = [];

  constructor(private options: { port: number }) {}

  registerPlugin(plugin: PluginDefinition) {
    if (this.plugins.some((p) => p.name === plugin.name)) {
      throw new Error(`Plugin ${plugin.name} is already registered`);
    }
    this.plugins.push(plugin);
  }

  use(router: ReturnType<typeof createRouter>) {
    this.routers.push(router);
  }

  async start() {
    // Plugins are built once, at start: the reason service edits need a restart.
    const services: Record<string, unknown> = {};
    for (const plugin of this.plugins) {
      services[plugin.name] = await plugin.service({ deps: services, config: {} });
    }
    const handlers = new Map<string, Handle>();
    for (const router of this.routers) {
      for (const [name, handle] of router.routes) handlers.set(name, handle);
    }
    let requests = 0;
    const server = Bun.serve({
      port: this.options.port,
      hostname: "127.0.0.1",
      async fetch(req) {
        const name = new URL(req.url).pathname.slice(1);
        const handle = handlers.get(name);
        if (!handle) return new Response(`no route ${name}`, { status: 404 });
        const input = req.method === "POST" ? await req.json() : {};
        const output = await handle(input, { plugins: services, requestId: String(++requests) });
        return Response.json(output);
      },
    });
    console.log(`listening on http://127.0.0.1:${server.port} (pid ${process.pid})`);
  }
}

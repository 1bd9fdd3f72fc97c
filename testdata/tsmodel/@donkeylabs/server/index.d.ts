// A hand-written model of @donkeylabs/server 2.5's public types, small
// enough to read in one sitting. What matters for donkeyls's compiler checks
// is kept exact: the registries the generator augments (PluginRegistry,
// IRouteBuilder, IMiddlewareBuilder, ServiceRegistry, EventRegistry,
// ProcessRegistry), the Infer* helpers the generated registry.d.ts uses, and
// plugin/service inference, so `ctx.plugins.<name>` and custom handler and
// middleware methods exist only when the generated files say so. Core
// services are typed loosely where precision would cost pages.

import type { Kysely } from "kysely";
import type { ZodType, ZodTypeAny } from "zod";

// ---------------------------------------------------------------------------
// Registries (augmented by the generated registry.d.ts, context.d.ts,
// events.ts and processes.ts)
// ---------------------------------------------------------------------------

export interface PluginRegistry {}
export interface PluginHandlerRegistry {}
export interface PluginMiddlewareRegistry {}
export interface ServiceRegistry {}
export interface ProcessRegistry {}

export interface CoreEventMap {
  "workflow.started": { instanceId: string; workflowName: string; input: any };
  "workflow.completed": { instanceId: string; output: any };
  "workflow.failed": { instanceId: string; workflowName: string; error: string };
  "job.completed": { jobId: string; name: string; result: any };
  "job.failed": { jobId: string; name: string; error: string; attempts?: number; stack?: string };
  "process.spawned": { processId: string; name: string; pid: number };
  "process.stopped": { processId: string; name: string };
  "process.crashed": { processId: string; name: string; exitCode: number | null };
  "cron.event": { taskId: string; name: string; event: string; data?: any };
}
export interface EventRegistry extends CoreEventMap {}

export type EventSchemas = Record<string, ZodType<any>>;
export declare function defineEvents<T extends EventSchemas>(events: T): T;

export type Register<
  Service = void,
  Schema = {},
  Handlers = {},
  Dependencies extends readonly string[] = readonly [],
  Middleware = {},
  Config = void,
  Events extends EventSchemas = {},
> = {
  service: Service;
  schema: Schema;
  handlers: Handlers;
  _dependencies: Dependencies;
  middleware: Middleware;
  config: Config;
  events: Events;
};

// ---------------------------------------------------------------------------
// Core services
// ---------------------------------------------------------------------------

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string, data?: Record<string, any>): void;
  info(message: string, data?: Record<string, any>): void;
  warn(message: string, data?: Record<string, any>): void;
  error(message: string, data?: Record<string, any>): void;
  child(context: Record<string, any>): Logger;
  tag(name: string): Logger;
  scoped(source: string, sourceId: string): Logger;
}

export interface EventMetadata {
  traceId?: string;
  source?: string;
}
export interface Subscription {
  unsubscribe(): void;
}
export interface Events {
  emit<K extends keyof EventRegistry>(event: K, data: EventRegistry[K], metadata?: EventMetadata): Promise<void>;
  emit<T = any>(event: string, data: T, metadata?: EventMetadata): Promise<void>;
  on<K extends keyof EventRegistry>(event: K, handler: (data: EventRegistry[K]) => void | Promise<void>): Subscription;
  on<T = any>(event: string, handler: (data: T) => void | Promise<void>): Subscription;
}

export interface Cache {
  get<T = any>(key: string): Promise<T | null>;
  set<T = any>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  getOrSet<T>(key: string, factory: () => Promise<T>, ttlMs?: number): Promise<T>;
}

export interface Cron {
  schedule(
    expression: string,
    handler: (logger?: Logger) => void | Promise<void>,
    options?: { name?: string; enabled?: boolean },
  ): string;
  unschedule(taskId: string): boolean;
}

export interface Jobs {
  enqueue<T = any>(name: string, data: T, options?: { delayMs?: number; maxAttempts?: number }): Promise<string>;
  register<T = any, R = any>(name: string, handler: (data: T) => Promise<R>): void;
}

export interface SSE {
  broadcast(channel: string, event: string, data: unknown): void;
}

export interface RateLimiter {
  check(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; remaining: number; resetAt: Date }>;
}

export declare class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: Record<string, any>;
  constructor(status: number, code: string, message?: string, details?: Record<string, any>, cause?: Error);
}

export type ErrorFactory<T extends HttpError = HttpError> = (message?: string, details?: Record<string, any>, cause?: Error) => T;

export interface ErrorFactories {
  BadRequest: ErrorFactory;
  Unauthorized: ErrorFactory;
  Forbidden: ErrorFactory;
  NotFound: ErrorFactory;
  MethodNotAllowed: ErrorFactory;
  Conflict: ErrorFactory;
  Gone: ErrorFactory;
  UnprocessableEntity: ErrorFactory;
  TooManyRequests: ErrorFactory;
  InternalServer: ErrorFactory;
  NotImplemented: ErrorFactory;
  BadGateway: ErrorFactory;
  ServiceUnavailable: ErrorFactory;
  GatewayTimeout: ErrorFactory;
}

export interface CustomErrorDefinition {
  status: number;
  code: string;
  message?: string;
  defaultMessage?: string;
}
export type CustomErrorRegistry = Record<string, CustomErrorDefinition>;

export interface Errors extends ErrorFactories {
  custom(status: number, code: string, message: string, details?: Record<string, any>, cause?: Error): HttpError;
  isHttpError(error: unknown): error is HttpError;
  register(name: string, definition: CustomErrorDefinition): void;
}

export interface CoreServices {
  db: Kysely<any>;
  config: Record<string, any>;
  logger: Logger;
  cache: Cache;
  events: Events;
  cron: Cron;
  jobs: Jobs;
  sse: SSE;
  rateLimiter: RateLimiter;
  errors: Errors;
  // The remaining services are real but rarely touched by project code.
  workflows: any;
  processes: any;
  audit: any;
  websocket: any;
  storage: any;
  logs: any;
  health: any;
}

export interface GlobalContext {
  db: Kysely<any>;
  plugins: {
    [K in keyof PluginRegistry]: PluginRegistry[K]["service"];
  };
  core: Omit<CoreServices, "db" | "config" | "errors">;
  errors: Errors;
  config: Record<string, any>;
  services: ServiceRegistry;
  ip: string;
  requestId: string;
  traceId: string;
  user?: any;
  signal?: AbortSignal;
}
export type ServerContext = GlobalContext;

// ---------------------------------------------------------------------------
// Plugins
// ---------------------------------------------------------------------------

export declare class PluginContext<Deps = any, Schema = any, Config = void> {
  readonly deps: Deps;
  readonly config: Config;
  get core(): CoreServices;
  get db(): Kysely<Schema>;
}

type UnionToIntersection<U> = (U extends any ? (k: U) => void : never) extends (k: infer I) => void ? I : never;

type ExtractPluginSchema<K> = K extends keyof PluginRegistry
  ? PluginRegistry[K] extends { schema: infer S } ? S : {}
  : {};

type ExtractServices<T extends readonly (keyof PluginRegistry)[] | undefined> = T extends readonly []
  ? {}
  : T extends readonly (infer K)[]
    ? [K] extends [keyof PluginRegistry]
      ? { [P in K]: PluginRegistry[P] extends { service: infer S } ? S : unknown }
      : {}
    : {};

type ExtractSchemas<T extends readonly (keyof PluginRegistry)[] | undefined> = T extends readonly []
  ? {}
  : T extends readonly (infer K)[]
    ? UnionToIntersection<ExtractPluginSchema<K>>
    : {};

export interface ClientConfig {
  credentials?: "include" | "same-origin" | "omit";
}

/** What every plugin value carries at runtime. */
export interface Plugin {
  name: string;
  version?: string;
  dependencies?: readonly string[];
  handlers?: Record<string, any>;
  middleware?: (ctx: any, service: any) => Record<string, any>;
  events?: Record<string, any>;
  client?: ClientConfig;
  customErrors?: CustomErrorRegistry;
  service: (ctx: any) => any;
  init?: (ctx: any, service: any) => void | Promise<void>;
}

type DefinedPlugin<Name, Deps, LocalSchema, Handlers, Middleware, Events, CustomErrors, Service, Config> = Plugin & {
  name: Name;
  _dependencies: Deps;
  _schema: LocalSchema;
  _fullSchema: LocalSchema & ExtractSchemas<Deps & readonly (keyof PluginRegistry)[]>;
  service: (ctx: PluginContext<any, any, Config>) => Promise<Service> | Service;
  _service: Service;
  handlers?: Handlers;
  middleware?: (ctx: PluginContext<any, any, Config>, service: Service) => Middleware;
  events?: Events;
  client?: ClientConfig;
  customErrors?: CustomErrors;
};

type PluginDefinition<Name, Deps extends readonly (keyof PluginRegistry)[], LocalSchema, Handlers, Middleware, Events, CustomErrors, Service, Config> = {
  name: Name;
  version?: string;
  dependencies?: Deps;
  handlers?: Handlers;
  middleware?: (ctx: PluginContext<ExtractServices<Deps>, LocalSchema & ExtractSchemas<Deps>, Config>, service: Service) => Middleware;
  events?: Events;
  client?: ClientConfig;
  customErrors?: CustomErrors;
  service: (ctx: PluginContext<ExtractServices<Deps>, LocalSchema & ExtractSchemas<Deps>, Config>) => Promise<Service> | Service;
  init?: (ctx: PluginContext<ExtractServices<Deps>, LocalSchema & ExtractSchemas<Deps>, Config>, service: Service) => void | Promise<void>;
};

export type PluginFactory<Config, P extends Plugin = Plugin> = ((config: Config) => P) & { _configType: Config };

export declare class PluginBuilder<LocalSchema = {}> {
  withSchema<S>(): PluginBuilder<S>;
  withConfig<C>(): ConfiguredPluginBuilder<LocalSchema, C>;
  define<
    Name extends string,
    const Deps extends readonly (keyof PluginRegistry)[] = readonly [],
    const Handlers extends object = {},
    const Middleware extends object = {},
    const Events extends EventSchemas = {},
    const CustomErrors extends CustomErrorRegistry = {},
    Service = void,
  >(
    config: PluginDefinition<Name, Deps, LocalSchema, Handlers, Middleware, Events, CustomErrors, Service, void>,
  ): DefinedPlugin<Name, Deps, LocalSchema, Handlers, Middleware, Events, CustomErrors, Service, void>;
}

export declare class ConfiguredPluginBuilder<LocalSchema, Config> {
  withSchema<S>(): ConfiguredPluginBuilder<S, Config>;
  define<
    Name extends string,
    const Deps extends readonly (keyof PluginRegistry)[] = readonly [],
    const Handlers extends object = {},
    const Middleware extends object = {},
    const Events extends EventSchemas = {},
    const CustomErrors extends CustomErrorRegistry = {},
    Service = void,
  >(
    config: PluginDefinition<Name, Deps, LocalSchema, Handlers, Middleware, Events, CustomErrors, Service, Config>,
  ): PluginFactory<Config, DefinedPlugin<Name, Deps, LocalSchema, Handlers, Middleware, Events, CustomErrors, Service, Config>>;
}

export declare const createPlugin: PluginBuilder<{}>;

type UnwrapPluginFactory<T> = T extends (config: any) => infer P ? P : T;

export type InferService<T> = UnwrapPluginFactory<T> extends { _service: infer S } ? S : never;
export type InferSchema<T> = UnwrapPluginFactory<T> extends { _schema: infer S } ? S : never;
export type InferHandlers<T> = UnwrapPluginFactory<T> extends { handlers?: infer H } ? H : {};
export type InferMiddleware<T> = UnwrapPluginFactory<T> extends { middleware?: (ctx: any, service: any) => infer M } ? M : {};
export type InferDependencies<T> = UnwrapPluginFactory<T> extends { _dependencies: infer D } ? D : readonly [];
export type InferConfig<T> = T extends (config: infer C) => any ? C : void;
export type InferEvents<T> = UnwrapPluginFactory<T> extends { events?: infer E } ? E : {};

// ---------------------------------------------------------------------------
// Handlers and middleware
// ---------------------------------------------------------------------------

export interface HandlerRuntime<Fn extends Function = Function> {
  execute(req: Request, def: RouteDefinition, userHandle: Fn, ctx: ServerContext): Promise<Response>;
  readonly __signature: Fn;
}
export declare function createHandler<Fn extends Function>(
  execute: (req: Request, def: RouteDefinition, handle: Fn, ctx: ServerContext) => Promise<Response>,
): HandlerRuntime<Fn>;

export type NextFn = () => Promise<Response>;
export type MiddlewareFn<TConfig = void> = (req: Request, ctx: ServerContext, next: NextFn, config: TConfig) => Promise<Response>;
export interface MiddlewareRuntime<TConfig = void> {
  execute: MiddlewareFn<TConfig>;
  readonly __config: TConfig;
}
export declare function createMiddleware<TConfig = void>(execute: MiddlewareFn<TConfig>): MiddlewareRuntime<TConfig>;

// ---------------------------------------------------------------------------
// Routers
// ---------------------------------------------------------------------------

export interface RouteDefinition {
  name: string;
  handler: string;
  input?: ZodTypeAny;
  output?: ZodTypeAny;
  middleware?: { name: string; config: any }[];
}

export interface HandlerClass<I = any, O = any> {
  new (ctx: ServerContext): { handle(input: I): Promise<O> | O };
}

export interface TypedRouteConfig<I = any, O = any> {
  input?: ZodType<I>;
  output?: ZodType<O>;
  handle: ((input: I, ctx: ServerContext) => Promise<O> | O) | HandlerClass<I, O>;
}
export interface RawRouteConfig {
  handle: (req: Request, ctx: ServerContext) => Promise<Response> | Response;
}
export interface StreamRouteConfig<I = any> {
  input?: ZodType<I>;
  handle: (input: I, ctx: ServerContext) => Promise<Response> | Response;
}
export type SSEEventSchemas = Record<string, ZodType<any>>;
export interface SSERouteConfig<I = any, E extends SSEEventSchemas = SSEEventSchemas> {
  input?: ZodType<I>;
  events?: E;
  handle: (input: I, ctx: ServerContext) => string[] | Promise<string[]>;
}
export interface ParsedFormData<F = any> {
  fields: F;
  files: File[];
}
export interface FormDataRouteConfig<F = any, O = any> {
  input?: ZodType<F>;
  output?: ZodType<O>;
  files?: { maxSize?: number; accept?: string[] };
  handle: (data: ParsedFormData<F>, ctx: ServerContext) => Promise<O> | O;
}
export interface HTMLRouteConfig<I = any> {
  input?: ZodType<I>;
  handle: (input: I, ctx: ServerContext) => string | Response | Promise<string | Response>;
}

export interface IRouteBuilderBase<TRouter> {
  typed<I, O>(config: TypedRouteConfig<I, O>): TRouter;
  raw(config: RawRouteConfig): TRouter;
  stream<I>(config: StreamRouteConfig<I>): TRouter;
  sse<I, E extends SSEEventSchemas>(config: SSERouteConfig<I, E>): TRouter;
  formData<F, O>(config: FormDataRouteConfig<F, O>): TRouter;
  html<I>(config: HTMLRouteConfig<I>): TRouter;
}

/** Custom handler methods are merged in by the generated registry.d.ts. */
export interface IRouteBuilder<TRouter> extends IRouteBuilderBase<TRouter> {}

/** Middleware methods are merged in by the generated registry.d.ts. */
export interface IMiddlewareBuilder<TRouter> {}

export interface RouterOptions {
  version?: string;
  deprecated?: { sunsetDate?: string; message?: string; successor?: string };
}

export interface IRouter {
  route(name: string): IRouteBuilder<this>;
  router(prefixOrRouter: string | IRouter): IRouter;
  middleware: IMiddlewareBuilder<this>;
  getRoutes(): RouteDefinition[];
  getPrefix(): string;
}

export declare function createRouter(prefix?: string, options?: RouterOptions): IRouter;
export declare function defineRoute<I, O>(config: TypedRouteConfig<I, O>): TypedRouteConfig<I, O>;

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

export interface HookContext {
  db: Kysely<any>;
  core: CoreServices;
  plugins: Record<string, any>;
  config: Record<string, any>;
  services: Record<string, any>;
  setService: <T>(name: string, service: T) => void;
}

export type ServiceFactory<T> = (ctx: HookContext) => T | Promise<T>;
export interface ServiceDefinition<N extends string = string, T = any> {
  readonly name: N;
  readonly factory: ServiceFactory<T>;
  readonly __type?: T;
}
export declare function defineService<N extends string, T>(name: N, factory: ServiceFactory<T>): ServiceDefinition<N, T>;

export interface ServerConfig {
  port?: number;
  db: Kysely<any>;
  config?: Record<string, any>;
  logger?: { level?: LogLevel; format?: "json" | "pretty" };
  cache?: { defaultTtlMs?: number; maxSize?: number };
  admin?: { enabled?: boolean };
  shutdown?: { timeout?: number; drainTimeout?: number };
  [option: string]: unknown;
}

export declare class AppServer {
  constructor(options: ServerConfig);
  registerPlugin(plugin: Plugin): this;
  registerService<N extends string, T>(definition: ServiceDefinition<N, T>): this;
  registerService<T>(name: string, factory: ServiceFactory<T>): this;
  use(router: IRouter): this;
  onReady(handler: (ctx: HookContext) => void | Promise<void>): this;
  onShutdown(handler: (ctx: HookContext) => void | Promise<void>): this;
  onError(handler: (error: Error, ctx?: HookContext) => void | Promise<void>): this;
  getCore(): CoreServices;
  start(): Promise<void>;
  shutdown(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

export interface DonkeylabsConfig {
  plugins: string[];
  outDir: string;
  entry?: string;
  routes?: string;
  client?: { output: string };
  adapter?: string;
}
export declare function defineConfig(config: DonkeylabsConfig): DonkeylabsConfig;

// A hand-written model of @donkeylabs/adapter-sveltekit/client: the base
// class and types the generated client (client.output) builds on.

export interface RequestOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ClientOptions {
  baseUrl?: string;
  locals?: any;
  fetch?: typeof fetch;
}

export interface SSEOptions {
  onConnect?: () => void;
  onDisconnect?: () => void;
  onError?: (error: Event) => void;
  autoReconnect?: boolean;
  reconnectDelay?: number;
}

export interface SSEConnectionOptions {
  autoReconnect?: boolean;
  reconnectDelay?: number;
  onConnect?: () => void;
  onDisconnect?: () => void;
}

export interface SSESubscription {
  unsubscribe: () => void;
}

export declare class SSEConnection<TEvents extends Record<string, any> = Record<string, any>> {
  constructor(url: string, options?: SSEConnectionOptions);
  on<K extends keyof TEvents>(event: K & string, handler: (data: TEvents[K]) => void): () => void;
  off<K extends keyof TEvents>(event: K & string): void;
  onError(handler: (event: Event) => void): () => void;
  onOpen(handler: (event: Event) => void): () => void;
  get readyState(): number;
  get connected(): boolean;
  get reconnecting(): boolean;
  close(): void;
}

export declare class UnifiedApiClientBase {
  protected baseUrl: string;
  protected locals?: any;
  protected isSSR: boolean;
  constructor(options?: ClientOptions);
  protected request<TInput, TOutput>(route: string, input: TInput, options?: RequestOptions): Promise<TOutput>;
  protected rawRequest(route: string, init?: RequestInit): Promise<Response>;
  protected streamRequest<TInput>(route: string, input: TInput, options?: RequestOptions): Promise<Response>;
  protected streamUrl<TInput>(route: string, input?: TInput): string;
  protected streamGet<TInput>(route: string, input?: TInput, options?: RequestOptions): Promise<Response>;
  protected sseConnect<TInput, TEvents extends Record<string, any> = Record<string, any>>(
    route: string,
    input?: TInput,
    options?: SSEConnectionOptions,
  ): SSEConnection<TEvents>;
  protected connectToSSERoute<TEvents extends Record<string, any>>(
    route: string,
    input?: Record<string, any>,
    options?: Omit<SSEOptions, "endpoint" | "channels">,
  ): SSEConnection<TEvents>;
  protected formDataRequest<TFields, TOutput>(route: string, fields: TFields, files: File[], options?: RequestOptions): Promise<TOutput>;
  protected htmlRequest<TInput>(route: string, input?: TInput, options?: RequestOptions): Promise<string>;
}

export declare function createApiClient<T extends UnifiedApiClientBase>(ClientClass: new (options?: ClientOptions) => T, options?: ClientOptions): T;

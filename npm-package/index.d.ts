export interface InitOptions {
  /** Base URL of the Canopy ingest server, e.g. "https://rum.example.com". */
  endpoint: string;
  /** The project's public ingest key (from the server's configuration). */
  key: string;
  /** Name of the app that owns whatever no registered app claims. Default "shell". */
  shell?: string;
  /** How often queued events are sent, in ms (default 5000, at least 100). */
  flushIntervalMs?: number;
  /** Most bytes of events kept while the server is unreachable (default 262144). */
  maxQueueBytes?: number;
  /**
   * Query parameters kept in the URLs the agent sends (page, resources, stack
   * frames). Every other parameter and every fragment is removed. Default none.
   */
  keepQueryParams?: string[];
  /**
   * "summary" (default): per app and view, a count, bytes, cache hits and total
   * time of its resources, plus its 5 slowest. "all": every resource.
   */
  resources?: 'summary' | 'all';
  /** Gzip request bodies where the browser has CompressionStream. Default false. */
  compress?: boolean;
  /**
   * Sees every event last. Return it (changed or not) to send it, or null to
   * drop it; returning nothing keeps the object as the hook left it. If the hook
   * throws, the event is sent unchanged.
   */
  beforeSend?: (event: CanopyEvent) => CanopyEvent | null | void;
  /**
   * Which responses make a `fetch`/`XMLHttpRequest` call failed (an
   * `api_call` event of the app that made it). A network error always does;
   * "5xx" (default): also a status of 500 or more; "4xx+5xx": 400 or more.
   */
  apiErrorStatuses?: '5xx' | '4xx+5xx';
  /**
   * Origins (like "https://api.example.com"; compared as `URL` writes them,
   * so case and a default port do not matter) whose API calls get a W3C
   * `traceparent` header (unless the page set one); the trace id is stored
   * with a failed call. The origin's CORS must allow the header. Default none.
   */
  tracePropagationTargets?: string[];
  /** Where to load the agent's wasm from, if not next to this module. */
  wasmUrl?: string | URL;
}

/** How serious a captured error or message is. */
export type Level = 'fatal' | 'error' | 'warning' | 'info' | 'debug';

export interface CaptureOptions {
  /** Stored with this report (at most 16; values up to 256 characters). */
  attributes?: Record<string, string | number | boolean>;
  /** The app it belongs to; by default the app whose code made the call. */
  app?: string;
  /** Default "error" for captureError, "info" for captureMessage. */
  level?: Level;
}

/** An event as sent to the server (see wire/src/lib.rs for every kind's fields). */
export interface CanopyEvent {
  app: string;
  /** Epoch milliseconds. */
  at: number;
  kind: 'vital' | 'navigation' | 'resource' | 'resource_summary' | 'long_frame' | 'error' | 'app' | 'metric' | 'custom'
    | 'api_call' | 'api_summary';
  [field: string]: unknown;
}

export interface AppRegistration {
  /** Letters, digits, "-", "_" and "."; at most 64 characters. */
  name: string;
  version?: string;
  /**
   * Absolute URL prefixes the app's scripts and assets are served under; errors,
   * resources, long frames and stack frames under them are attributed to this
   * app. Default: the directory of the bundle that calls registerApp; in a
   * micro-app sub-app, the folder of its entry (`__MICRO_APP_PUBLIC_PATH__`).
   */
  assetPrefixes?: string[];
  /**
   * The element the app renders into (or a CSS selector of it), marked with
   * `data-canopy-app` for it: layout shifts, interactions and the LCP element
   * inside (shadow roots included) are the app's. Same as writing the
   * attribute on the container yourself. Default, in qiankun's (default)
   * sandbox: the element qiankun renders the app into.
   */
  container?: Element | string;
  /** Share of sessions (0 to 1) whose events of this app are sent. Default 1. */
  sampleRate?: number;
  /** Attributes stored with every event of this app (at most 16). */
  attributes?: Attrs;
  /** A URL the server may probe for the app's health (if its origin is allowed there). */
  healthCheck?: string;
  /** Apps this one depends on: their alerts explain this one's. */
  dependencies?: string[];
  /**
   * Alert rules the app asks for (see docs/ALERTING.md). Untrusted: the server
   * records them and applies them only where its configuration allows.
   */
  rules?: Array<Record<string, unknown>>;
}

/**
 * Starts the page's single agent. Resolves to false (and warns on the console)
 * if the options are invalid or the wasm cannot load; never rejects.
 */
export function init(options: InitOptions): Promise<boolean>;

/**
 * Registers a micro-frontend on the page. DOM-bound vitals (CLS, INP, LCP) are
 * attributed through the nearest `data-canopy-app="<name>"` container.
 * Returns false (and warns) for an invalid registration; never throws.
 */
export function registerApp(app: AppRegistration): boolean;

/** Reports a successful mount: a successful load in the availability metric. */
export function appMounted(name: string): boolean;

/**
 * Reports a failed mount: a failed load in the availability metric. The app
 * need not have registered (its code may never have loaded): the shell can
 * report it.
 */
export function appFailed(name: string, error?: unknown): boolean;

/**
 * Declares the apps the shell expects on this page: an app that reports
 * neither appMounted nor appFailed within `timeoutMs` (default 10000) is a
 * failed load of that app. Framework integrations: `@canopy/agent/module-federation`,
 * `@canopy/agent/single-spa`, `@canopy/agent/micro-app`.
 */
export function expectApps(names: string[], options?: { timeoutMs?: number }): boolean;

/** Attribute values: kept as text, at most 16 per call. */
export type Attrs = Record<string, string | number | boolean>;

/**
 * Records a number the app measured itself (e.g. "checkout_ms"), attributed to
 * the app whose bundle made the call. Alert rules can watch it
 * (`metric = "custom"`, `custom_metric = "<name>"`).
 */
export function pushMetric(name: string, value: number, attrs?: Attrs): boolean;

/** Records that something happened in the app. */
export function pushEvent(name: string, attrs?: Attrs): boolean;

/** Sends everything queued now. */
export function flush(): void;

export interface AgentStats {
  /** Events waiting to be sent, and their bytes. */
  queuedEvents: number;
  queuedBytes: number;
  /** Events lost: dropped from the full queue or refused by the server five times. */
  dropped: number;
  /** The agent's wasm memory, in bytes. */
  memoryBytes: number;
}

/**
 * Reports an error the app caught (an error boundary, a `catch` block), counted
 * in the error rate like an uncaught one. A value that is not an Error is
 * recorded as `String(value)`, typed by its constructor. Returns false if the
 * agent will never see it (the reason is on the console); never throws.
 */
export function captureError(error: unknown, options?: CaptureOptions): boolean;

/**
 * Reports a message (level "info" unless given). Only "fatal" and "error"
 * messages count in the error rate. Returns false as captureError does.
 */
export function captureMessage(message: string, options?: CaptureOptions): boolean;

/** What the agent holds and has lost, or null before it runs. */
export function stats(): AgentStats | null;

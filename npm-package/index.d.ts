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
  /** Where to load the agent's wasm from, if not next to this module. */
  wasmUrl?: string | URL;
}

export interface AppRegistration {
  /** Letters, digits, "-", "_" and "."; at most 64 characters. */
  name: string;
  version?: string;
  /**
   * Absolute URL prefixes the app's scripts and assets are served under; errors,
   * resources and stack frames under them are attributed to this app.
   */
  assetPrefixes?: string[];
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

/** Reports a failed mount: a failed load in the availability metric. */
export function appFailed(name: string, error?: unknown): boolean;

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

export interface CanopyMicroAppOptions {
  /** Canopy app names by micro-app name (the `name` of `<micro-app>`), where they differ. */
  apps?: Record<string, string>;
  /** A fetch of your own for micro-app (it should reject non-2xx answers). Default: `fetch`, rejecting non-2xx answers. */
  fetch?: (url: string, options: RequestInit | undefined, appName: string | null) => Promise<string>;
}

/** A micro-app lifecycle event: `detail.name` is the app, `detail.container` its element. */
export type MicroAppLifecycleEvent = CustomEvent<{ name: string; container: HTMLElement; error?: unknown }>;

/** Options for `microApp.start`, to spread into it (merge `plugins.global` with your own plugins). */
export interface CanopyMicroApp {
  /** `created`/`beforemount` mark the app's element with data-canopy-app; `mounted` → appMounted (appFailed if a fetch of it failed), `error` → appFailed. */
  lifeCycles: Record<'created' | 'beforemount' | 'mounted' | 'unmount' | 'error', (event: MicroAppLifecycleEvent) => void>;
  /** A loader that names each sub-app script by its URL (`//# sourceURL`), so stack frames point at it. */
  plugins: { global: Array<{ loader(code: string, url: string): string }> };
  /** micro-app's fetch: a sub-app whose entry, scripts or styles it could not fetch while loading failed to load. */
  fetch(url: string, options?: RequestInit, appName?: string | null): Promise<string>;
}

/**
 * What the agent needs from micro-app, for `microApp.start({ ...canopyMicroApp() })`
 * in the main app: sub-apps' errors, metrics and resources on their app, and
 * their mounts and failed loads for availability. Never throws.
 */
export function canopyMicroApp(options?: CanopyMicroAppOptions): CanopyMicroApp;

export interface CanopyMicroAppOptions {
  /** Canopy app names by micro-app name (the `name` of `<micro-app>`), where they differ. */
  apps?: Record<string, string>;
}

/** A micro-app lifecycle event: `detail.name` is the app, `detail.container` its element. */
export type MicroAppLifecycleEvent = CustomEvent<{ name: string; container: HTMLElement; error?: unknown }>;

/** Options for `microApp.start`, to spread into it (merge `plugins.global` with your own plugins). */
export interface CanopyMicroApp {
  /** `created`/`beforemount` mark the app's element with data-canopy-app; `mounted` → appMounted, `error` → appFailed. */
  lifeCycles: Record<'created' | 'beforemount' | 'mounted' | 'error', (event: MicroAppLifecycleEvent) => void>;
  /** A loader that names each sub-app script by its URL (`//# sourceURL`), so stack frames point at it. */
  plugins: { global: Array<{ loader(code: string, url: string): string }> };
  /** micro-app's fetch, failing a load whose answer is not 2xx (micro-app alone would render a 404 page). */
  fetch(url: string, options?: RequestInit): Promise<string>;
}

/**
 * What the agent needs from micro-app, for `microApp.start({ ...canopyMicroApp() })`
 * in the main app: sub-apps' errors, metrics and resources on their app, and
 * their mounts and failed loads for availability. Never throws.
 */
export function canopyMicroApp(options?: CanopyMicroAppOptions): CanopyMicroApp;

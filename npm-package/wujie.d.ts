/** The startApp options wujieOptions adds (wujie's lifecycle callbacks and a plugin). */
export interface WujieOptions {
  /** A successful load of the app: its __WUJIE_MOUNT ran. */
  afterMount(appWindow: Window): void;
  /** A successful load of an app that renders without __WUJIE_MOUNT (keep-alive). */
  activated(appWindow: Window): void;
  /** A failed load of the app: its entry, a script or a stylesheet did not load. */
  loadError(url: string, error: Error): void;
  /** A jsLoader naming each script wujie runs inline by its URL (`//# sourceURL`). */
  plugins: Array<{ jsLoader(code: string, url: string, base: string): string }>;
}

/**
 * Options to spread into wujie's startApp (or preloadApp, setupApp) for the
 * Canopy app `name`: its loads and failed loads for availability, and its
 * scripts named by their URL so its errors, frames and metrics are its own.
 */
export function wujieOptions(name: string): WujieOptions;

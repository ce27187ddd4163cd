export interface TrackQiankunOptions {
  /** Canopy app names by qiankun app name, where they differ. */
  apps?: Record<string, string>;
  /** Throw an app's errors again (asynchronously) after reporting them, as qiankun's single-spa does without handlers. Default true. */
  rethrow?: boolean;
  /** An app not mounted this many milliseconds after it loaded (or began a remount) is a failed load. Default 10000. */
  timeoutMs?: number;
}

/** qiankun's lifecycle hooks, as registerMicroApps and loadMicroApp take them. */
export interface QiankunLifeCycles {
  beforeLoad?: (app: { name: string }) => Promise<void>;
  beforeMount?: (app: { name: string; container?: string | Element }) => Promise<void>;
  afterMount?: (app: { name: string }) => Promise<void>;
}

/**
 * Reports qiankun micro apps that fail to load, bootstrap or mount, or do not
 * mount in time (`appFailed`), and that mount (`appMounted`); marks each app's
 * wrapper element with `data-canopy-app` before it mounts. Pass the result to
 * `registerMicroApps(apps, hooks)` or `loadMicroApp(app, configuration, hooks)`.
 * Returns no hooks (and warns) if `qiankun` is not the module.
 */
export function trackQiankun(
  qiankun: { addErrorHandler(handler: (error: Error & { appOrParcelName?: string }) => void): void },
  options?: TrackQiankunOptions,
): QiankunLifeCycles;

export interface TrackSingleSpaOptions {
  /** Canopy app names by single-spa application name, where they differ. */
  apps?: Record<string, string>;
  /** Throw an application's errors again (asynchronously) after reporting them, as single-spa does without handlers. Default true. */
  rethrow?: boolean;
}

/**
 * Reports single-spa applications that fail to load or mount (`appFailed`) and
 * that mount (`appMounted`). Returns false (and warns) if `singleSpa` is not the module.
 */
export function trackSingleSpa(
  singleSpa: { addErrorHandler(handler: (error: Error & { appOrParcelName?: string }) => void): void },
  options?: TrackSingleSpaOptions,
): boolean;

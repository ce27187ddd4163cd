// Frameworks that fetch a sub-app's scripts and run their text (wujie,
// micro-app) leave its stack frames naming the page or the main app's
// script; a `//# sourceURL` names them by the URL they came from, so
// attribution, asset prefixes and source maps point at the sub-app's deploy.

/** `code` named by `url` in stack traces; an inline script (no http(s) URL) is left as it is. */
export function withSourceUrl(code, url) {
  return typeof url === 'string' && /^https?:\/\//.test(url) ? `${code}\n//# sourceURL=${url}\n` : code;
}

// The stack of whoever called `api`: its first frame is the caller's code,
// outside this package, which may be bundled into the app or shared by every
// app (a Module Federation singleton, an import map). The agent attributes
// the call by that frame's script URL and infers an app's asset prefix from
// it. V8 cuts `api` and what it called off the stack itself; elsewhere the
// two frames above the caller (this function and `api`) are dropped.
export function stackAbove(api) {
  try {
    const error = new Error();
    if (typeof Error.captureStackTrace === 'function') {
      Error.captureStackTrace(error, api);
      return error.stack || '';
    }
    return String(error.stack || '').split('\n').slice(2).join('\n');
  } catch {
    return '';
  }
}

// Errors as the wire's ErrorReport: read from the page's `error` and
// `unhandledrejection` events (uncaught errors, rejections, failed loads of
// scripts, styles and images) or from `captureError` / `captureMessage`,
// then readied to leave the page — stack parsed, URLs scrubbed, text cut.
// A micro-frontend's chunk that fails to load means the app is not there for
// the user: its URL is handed back so the agent also counts a failed load.
import { readFields, truncate, checkAppName, hash, attrsObject, attempt, property as get, MAX_TEXT_BYTES, MAX_STACK_BYTES, MAX_U32 } from './fields.js';
import { parseStack } from '../stack.js';
import { scrubUrl } from './scrub.js';
import { whole } from './encode.js';

// What browsers report instead of a cross-origin script's error, unless the
// script was loaded with `crossorigin` and served with CORS headers.
const MUTED = 'Script error.';
const LEVELS = 'fatal error warning info debug'.split(' ');
/** A string property, else undefined. */
const string = (value, key) => {
  const found = get(value, key);
  return typeof found == 'string' ? found : undefined;
};

/** A report that happened once, with no stack or location yet (ErrorReport::new). */
const newReport = (source, error_type, message) =>
  ({ kind: 'error', source, error_type, message, stack: '', url: '', line: 0, column: 0, frames: [] });

/** Readies a report to leave the page: its stack parsed into frames, every URL scrubbed, its text cut to the limits. */
function finish(report, scrub) {
  report.frames = parseStack(report.stack).map((frame) => ({ ...frame, file: scrub(frame.file) }));
  report.url = scrub(report.url);
  report.error_type = truncate(report.error_type, MAX_TEXT_BYTES);
  report.message = truncate(report.message, MAX_TEXT_BYTES);
  report.stack = truncate(report.stack, MAX_STACK_BYTES);
  return report;
}

/** An `error` event as [report, whether a script or stylesheet failed to load (perhaps an app's chunk)], or undefined. */
function onError(event) {
  const element = get(event, 'target');
  if (get(element, 'nodeType') !== 1) return errorEvent(event);
  // An element failed to load its resource.
  const url = string(element, 'src') ?? string(element, 'href') ?? '';
  // tagName is ASCII-uppercased in HTML documents; undo just that, as Rust's to_ascii_lowercase.
  const tag = (string(element, 'tagName') ?? '').replace(/[A-Z]/g, (letter) => letter.toLowerCase());
  const report = newReport('resource_load', tag, 'failed to load ' + tag + ' ' + scrubUrl(url, []));
  report.url = url;
  return [report, tag == 'script' || tag == 'link'];
}

/** An uncaught error (an `ErrorEvent`: one with a `message`). */
function errorEvent(event) {
  const message = string(event, 'message');
  if (message === undefined) return;
  const thrown = get(event, 'error');
  if (message == MUTED && thrown === null && !string(event, 'filename')) {
    return [newReport('muted', 'Script error', MUTED), false];
  }
  // The thrown error's own message; the event's adds "Uncaught ".
  const report = newReport('error', string(thrown, 'name') ?? 'Error', string(thrown, 'message') ?? message);
  report.stack = string(thrown, 'stack') ?? '';
  report.url = string(event, 'filename') ?? '';
  report.line = whole(get(event, 'lineno'), MAX_U32);
  report.column = whole(get(event, 'colno'), MAX_U32);
  return [report, false];
}

/** An `unhandledrejection` event: an Error reason as itself, anything else as what it says. */
function onRejection(event) {
  const reason = get(event, 'reason');
  const message = string(reason, 'message');
  const report = message === undefined
    ? newReport('rejection', 'UnhandledRejection', describe(reason))
    : newReport('rejection', string(reason, 'name') ?? 'Error', message);
  report.stack = string(reason, 'stack') ?? '';
  return [report, false];
}

/** `String(value)` for primitives, JSON for objects; never throws. */
function describe(value) {
  if (typeof value == 'string') return value;
  // JSON.stringify may throw (a cycle) or give undefined (a toJSON); String may throw (no toString).
  const json = typeof value == 'object' && value && attempt(() => JSON.stringify(value));
  return typeof json == 'string' ? json : attempt(() => String(value)) ?? '';
}

/** The chunk URL in the message of a failed dynamic `import()` (Chrome: "Failed to fetch dynamically imported module: URL", Firefox: "error loading dynamically imported module: URL") or webpack's ChunkLoadError ("Loading chunk 7 failed. (error: URL)"): up to a ')' or ASCII white space. */
export function chunkInMessage(message) {
  const isChunk = /dynamically imported module|Loading (CSS )?chunk/.test(message);
  return isChunk ? /https?:\/\/[^)\t\n\f\r ]*/.exec(message)?.[0] : undefined;
}

/** An `error` or `unhandledrejection` event (by its type) as `{ report, chunk }` (`chunk`: the failed chunk's scrubbed URL, else ''), or null when it holds no error. */
export function readErrorEvent(event, scrub) {
  try {
    const caught = string(event, 'type') == 'unhandledrejection' ? onRejection(event) : onError(event);
    if (!caught) return null;
    const [report, chunk] = caught;
    // A failed dynamic import has no stack of the app's: its chunk's URL names the app.
    const failed = chunk ? report.url : chunkInMessage(report.message);
    return { chunk: failed === undefined ? '' : scrub(failed), report: finish(report, scrub) };
  } catch {
    return null;
  }
}

/** A `captureError` (`{ message, type, stack, caller, app, level, attributes }`, the error described by the package) or `captureMessage` report (no type or stack of its own) as `{ app, report }`, or `{ error }` saying why not. The app: the one named, else the one whose code made the call (`caller`, its stack). */
export function captureReport(call, source, level, defaultType, ctx) {
  const fields = readFields(call, 'the report', 'Smessage stype sstack scaller sapp slevel aattributes');
  if (typeof fields == 'string') return { error: fields };
  const [message, type = defaultType, stack = '', caller = '', app, named = level, attributes] = fields;
  if (!LEVELS.includes(named)) {
    return { error: `level must be "fatal", "error", "warning", "info" or "debug", got "${named}"` };
  }
  const problem = app === undefined ? '' : checkAppName(app);
  if (problem) return { error: problem };
  // Apps are numbers now: one named must be registered to be one.
  const index = app === undefined ? ctx.apps.ownerOfError('', parseStack(caller)) : ctx.apps.indexOf(app);
  if (index < 0) return { error: `"${app}" is not registered; call registerApp first` };
  const report = newReport(source, type, message);
  if (named != 'error') report.level = named;
  const attrs = attrsObject(attributes);
  if (attrs) report.attrs = attrs;
  // A message, or a thrown value that is not an Error, has no stack of its
  // own: where it was reported from places it.
  report.stack = stack || caller;
  return { app: index, report: finish(report, ctx.scrub) };
}

/** A u32 hash of what makes two reports the same error (repeats.rs same_error): kind, level, type, message, location and top frame. */
export function fingerprint(report = {}) {
  const top = report.frames && report.frames[0];
  const same = [report.source, report.level || 'error', report.error_type, report.message, report.url,
    report.line, report.column, top ? [top.file, top.line, top.column] : null];
  return hash(JSON.stringify(same));
}
